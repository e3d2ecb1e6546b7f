"""Conversion points (CV ポイント): what counts as a conversion (a purchase, a form answer, a tag added, a hit on the
point's URL or an API call), each recorded once and attributed to the friend's last click, last message and inflow
route; counters of conversions, unique friends and revenue per point and per source."""
