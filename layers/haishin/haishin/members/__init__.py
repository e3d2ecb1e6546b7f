"""Member sites (会員サイト): courses, access, drip, member login, progress (docs/production/members.md)."""
