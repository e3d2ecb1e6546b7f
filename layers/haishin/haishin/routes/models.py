"""Inflow route records in WorkspaceTable.

- route:   pk ``ws#<workspace_id>`` sk ``route#<route_id>`` (name, folder, short code, LINE channel, actions,
           greeting override, once | every, whether it replaces the friend-added scenarios, and for a scenario's own
           friend-add link the scenario it belongs to)
- code:    pk ``routecode#<code>`` sk ``route`` -> workspace and route (``/r/{code}`` carries no workspace)
- pending: pk ``routepending#<workspace_id>#<channel_id>#<line_user_id>`` sk ``pending``: a LINE Login that named
           the route before the friend's follow arrived; the follow consumes it (a conditional delete, so one
           consumer wins); ``expires_at`` (the table's TTL) drops an unconsumed one; ``visit``: the funnel page visit
           the login came from (kept for the follow's attribution)
- friend:  pk ``routefriends#<workspace_id>#<route_id>`` sk ``<subscriber_id>``: the friend came by this route
           (first_at, arrivals, actions_done): 'first time only' actions run until they have once for this friend
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def route_sk(route_id: str) -> str:
    return f"route#{route_id}"


def code_pk(code: str) -> str:
    return f"routecode#{code}"


def pending_pk(workspace_id: str, channel_id: str, line_user_id: str) -> str:
    return f"routepending#{workspace_id}#{channel_id}#{line_user_id}"


def friends_pk(workspace_id: str, route_id: str) -> str:
    return f"routefriends#{workspace_id}#{route_id}"


class RouteModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    route_id = UnicodeAttribute()
    name = UnicodeAttribute()
    folder = UnicodeAttribute(null=True)
    code = UnicodeAttribute()
    channel_id = UnicodeAttribute()  # the Messaging API channel the friend adds (its Login channel logs them in)
    actions = JSONTextAttribute(default=list)  # haishin.actions as JSON
    greeting = JSONTextAttribute(null=True)  # LINE messages sent instead of the channel's greeting
    run = UnicodeAttribute(default="once")  # once (first time only) | every (every time)
    # friends who come by this route do not enter the friend-added (welcome) scenarios: its own actions decide
    replace_friend_added = BooleanAttribute(null=True)
    scenario_id = UnicodeAttribute(null=True)  # a scenario's own friend-add link (UTAGE): the scenario it starts
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class RouteCodeModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="route")
    workspace_id = UnicodeAttribute()
    route_id = UnicodeAttribute()


class PendingRouteModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="pending")
    route_id = UnicodeAttribute()
    login_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()
    visit = UnicodeAttribute(null=True)  # the page visit the login came from (a funnel's signed reference), opaque


class RouteFriendModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # subscriber ID
    first_at = UTCDateTimeAttribute(null=True)
    arrivals = NumberAttribute(null=True)
    last_at = UTCDateTimeAttribute(null=True)  # the latest arrival (partners' last-touch attribution)
    actions_done = BooleanAttribute(null=True)  # the 'first time only' actions ran (set after they did)
