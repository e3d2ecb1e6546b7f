"""The local runtime: template.yaml served in-process with DynamoDB Local, the moto server and the emulators."""

from __future__ import annotations

from .errors import LocalSystemError, TemplateRefused
from .system import LocalSystem
from .template import HttpRoute, ScheduleSource, SqsSource, Template

__all__ = ["HttpRoute", "LocalSystem", "LocalSystemError", "ScheduleSource", "SqsSource", "Template", "TemplateRefused"]
