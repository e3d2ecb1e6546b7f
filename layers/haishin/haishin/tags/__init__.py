"""Tags (タグ) in folders."""
