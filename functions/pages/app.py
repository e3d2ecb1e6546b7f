"""Pages Lambda: hosted pages for friends (GET /f/{form_id}, GET /p/{proxy+}, POST /p/{product_id}, GET /c/{token})."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.pages.html import message_page
from haishin.pages.router import Pages

logger = Logger()
_pages: Pages | None = None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global _pages
    _pages = _pages or Pages()
    try:
        return _pages.handle(event)
    except Exception:
        logger.exception("page failed")
        return message_page(500, "ページを表示できませんでした", "時間をおいてもう一度お試しください。")
