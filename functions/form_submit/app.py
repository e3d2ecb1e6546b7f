"""Form submit Lambda (POST /f/{form_id}): parse the form post, let haishin.forms apply it, answer with a page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from haishin.errors import HaishinError
from haishin.pages.forms import respond
from haishin.pages.html import message_page
from haishin.pages.http import form_data, path_param, query, source_ip
from haishin.pages.liff import form_done_page
from haishin.public_url import serving
from haishin.wiring import services

logger = Logger()
metrics = Metrics()
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    form_id = path_param(event, "form_id")
    try:
        answers = form_data(event)
    except HaishinError as error:  # not a form post, or too large: say so, store nothing
        return message_page(error.http_status, "送信できませんでした", error.message)
    with serving(event):  # a page shown again (errors) posts back to this request's base, stage included
        try:
            result = services().forms.submit(form_id, answers, ip=source_ip(event),
                                      token=query(event, "t"))
        except Exception:
            logger.exception("form submit failed", extra={"form_id": form_id})
            return message_page(500, "送信できませんでした", "時間をおいてもう一度お試しください。")
        metrics.add_metric(name=f"FormSubmit_{result.outcome}", unit=MetricUnit.Count, value=1)
        liff_id = (answers.get("_liff") or [""])[0]  # opened as a LIFF app: the thanks page posts into the chat
        return form_done_page(result, liff_id) if liff_id else respond(result)
