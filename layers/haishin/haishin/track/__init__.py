"""Click tracking on every message: URLs rewritten at render time to signed per-friend ``/c/...`` URLs that carry
their source (broadcast + variant, scenario step, auto-reply), and clicks counted per source."""
