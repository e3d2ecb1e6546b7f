"""Rich menu rules (リッチメニューの出し分け): a channel's default menu and ordered rules, the bulk re-link job they
start, its progress, and the menu the rules give one friend."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.errors import ValidationFailed
from haishin.richmenus.rules import RuleSetIn
from haishin.subscribers.http import body, query, validate
from haishin.wiring import services

router = APIGatewayHttpRouter()


@router.get("/rich-menu-rules")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_rules() -> dict[str, Any]:
    channel_id = query(router, "channel_id")
    if not channel_id:
        raise ValidationFailed("LINE チャネル (channel_id) を指定してください", where="channel_id")
    return services().rich_menu_rules.view(current_caller().workspace_id, channel_id)


@router.put("/rich-menu-rules")
@requires(Permission.MANAGE_CHANNELS)
def put_rules() -> dict[str, Any]:
    request = validate(RuleSetIn, body(router))
    return services().rich_menu_rules.save(current_caller().workspace_id, request)


@router.get("/rich-menu-rules/jobs/<job_id>")
@requires(Permission.VIEW_SUBSCRIBERS)
def get_job(job_id: str) -> dict[str, Any]:
    return services().rich_menu_rules.job(current_caller().workspace_id, job_id)


@router.get("/subscribers/<subscriber_id>/rich-menu")
@requires(Permission.VIEW_SUBSCRIBERS)
def friend_menu(subscriber_id: str) -> dict[str, Any]:
    return services().rich_menu_rules.friend_menu(current_caller().workspace_id, subscriber_id,
                                                  query(router, "channel_id"))
