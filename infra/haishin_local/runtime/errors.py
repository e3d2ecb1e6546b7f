"""Errors the local runtime raises for things a developer must fix."""

from __future__ import annotations


class TemplateRefused(Exception):
    """A construct in template.yaml the local runtime cannot serve. The message always names the resource."""

    def __init__(self, resource: str, reason: str) -> None:
        super().__init__(f"{resource}: {reason}")
        self.resource = resource
        self.reason = reason


class LocalSystemError(RuntimeError):
    """A startup problem (missing tool, port in use...) the CLI reports as one line."""
