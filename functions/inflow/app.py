"""Inflow Lambda: a route's URL or QR code (GET /r/{code}) and the LINE Login callback (GET /login/callback)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.pages.html import message_page
from haishin.wiring import services

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        return services().inflow_pages.handle(event)
    except Exception:
        logger.exception("inflow page failed")
        return message_page(500, "ページを表示できませんでした", "時間をおいてもう一度お試しください。")
