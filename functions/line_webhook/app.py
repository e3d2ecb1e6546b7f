"""LINE webhook Lambda: verify ``x-line-signature``, durably enqueue the batch, then answer (LINE waits 2 s).

Thin on purpose: the logic is ``haishin.ingest.webhook``. Cold start matters here, so this module imports only the
standard library and stdlib-only parts of ``haishin`` (no boto3, botocore, pynamodb, line-bot-sdk, stripe,
Powertools); logs are JSON lines through stdlib ``logging``.
"""

from __future__ import annotations

import logging
from typing import Any

from haishin.wiring import services

logging.getLogger("haishin").setLevel(logging.INFO)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return services().line_webhook.handle(event)
