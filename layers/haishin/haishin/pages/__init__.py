"""Hosted pages for friends (forms, checkout results, friendly errors): jinja2 templates with autoescape."""
