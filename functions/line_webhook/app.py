"""LINE webhook Lambda: verify ``x-line-signature``, durably enqueue the batch, then answer (LINE waits 2 s).

Thin on purpose: the logic is ``haishin.ingest.webhook``. Cold start matters here, so this module imports only the
standard library and stdlib-only parts of ``haishin`` (no boto3, botocore, pynamodb, line-bot-sdk, stripe,
Powertools); logs are JSON lines through stdlib ``logging``.
"""

from __future__ import annotations

import logging
from typing import Any

from haishin.ingest.webhook import WebhookService, default_service

logging.getLogger("haishin").setLevel(logging.INFO)

_service: WebhookService | None = None


def set_service(service: WebhookService | None) -> None:
    """Tests inject fakes (queue sender, channel lookup, secret reader) through this."""
    global _service
    _service = service


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _service
    if _service is None:
        _service = default_service()
    return _service.handle(event)
