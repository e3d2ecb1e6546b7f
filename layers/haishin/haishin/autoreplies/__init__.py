"""Keyword auto-replies (自動応答): the rules a marketer stores, their validation and matching (``rules``).

The events consumer (``haishin.ingest``) answers with them; the admin API edits them."""
