"""A/B tests: the statistics (``stats``) and the deterministic assignment of friends to variants (``assign``).
Pure code (stdlib only, no AWS), used by broadcasts (and later scenario steps)."""
