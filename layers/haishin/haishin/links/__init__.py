"""Tracked links (流入経路 and click tracking): ``GET /c/{token}`` counts, attributes and redirects."""
