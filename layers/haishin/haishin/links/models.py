"""Tracked link records in WorkspaceTable.

- link:    pk ``ws#<workspace_id>`` sk ``link#<link_id>`` (name, target URL, inflow route, actions)
- lookup:  pk ``link#<link_id>`` sk ``link`` -> workspace (``/c/{token}`` carries no workspace)
- stats:   pk ``linkstats#<workspace_id>#<link_id>`` sk ``stats``: counters updated with ADD (atomic), kept out of
           the workspace's configuration partition so a busy link never heats it
- friend:  pk ``linkclicks#<workspace_id>#<link_id>`` sk ``<subscriber_id>``: the first click of one friend
           (a conditional put: the friend's actions run once per link), then that friend's click count
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def link_sk(link_id: str) -> str:
    return f"link#{link_id}"


def lookup_pk(link_id: str) -> str:
    return f"link#{link_id}"


def stats_pk(workspace_id: str, link_id: str) -> str:
    return f"linkstats#{workspace_id}#{link_id}"


def clicks_pk(workspace_id: str, link_id: str) -> str:
    return f"linkclicks#{workspace_id}#{link_id}"


class LinkModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    link_id = UnicodeAttribute()
    name = UnicodeAttribute()
    target_url = UnicodeAttribute()
    inflow_route = UnicodeAttribute(null=True)
    actions = JSONTextAttribute(default=list)  # haishin.actions as JSON
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class LinkLookupModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="link")
    workspace_id = UnicodeAttribute()
    link_id = UnicodeAttribute()


class LinkStatsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="stats")
    clicks = NumberAttribute(null=True)  # every click
    friend_clicks = NumberAttribute(null=True)  # clicks through a valid per-friend link
    anonymous_clicks = NumberAttribute(null=True)  # the public link, or a per-friend link past its expiry
    unique_friends = NumberAttribute(null=True)  # friends who clicked at least once


class LinkFriendClickModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # subscriber ID
    status = UnicodeAttribute(default="in_progress")  # in_progress (actions running) | done
    lease_until = NumberAttribute(default=0)
    clicks = NumberAttribute(null=True)
    first_at = UTCDateTimeAttribute()
