"""Partners and affiliates (パートナー・アフィリエイト): referral routes, commission rules, attribution, reports."""
