"""Click tracking records in WorkspaceTable.

- target:  pk ``mlink#<link_id>`` sk ``target``: workspace and target URL of one rewritten URL (the link ID is a hash
           of workspace and URL, so every message with the same URL shares it; written once, never changed)
- stats:   pk ``clickstats#<workspace_id>#<scope>`` sk ``<sub>``: ``clicks`` and ``unique_friends`` (ADD, atomic).
           scope: ``broadcast#<id>`` (sub ``all`` and ``variant#<n>``), ``scenario#<id>`` (sub ``step#<id>``, and
           ``step#<id>#variant#<n>`` for an A/B test step),
           ``autoreply#<id>`` (sub ``all``), ``route#<route>`` (sub ``all``)
- last:    pk ``lastclick#<workspace_id>#<subscriber_id>`` sk ``click``: the friend's last counted click (``source``
           encoded as in the token, ``at``): what a conversion is attributed to (one unconditional put per click)
- friend:  pk ``clickfriend#<workspace_id>#<scope>#<sub>`` sk ``<subscriber_id>``: this friend clicked here (unique)
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, UTCDateTimeAttribute, model_meta


def target_pk(link_id: str) -> str:
    return f"mlink#{link_id}"


def stats_pk(workspace_id: str, scope: str) -> str:
    return f"clickstats#{workspace_id}#{scope}"


def friend_pk(workspace_id: str, scope: str, sub: str) -> str:
    return f"clickfriend#{workspace_id}#{scope}#{sub}"


class TrackedTargetModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="target")
    workspace_id = UnicodeAttribute()
    target_url = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class ClickStatsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    clicks = NumberAttribute(null=True)
    unique_friends = NumberAttribute(null=True)


class ClickFriendModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    first_at = UTCDateTimeAttribute()


def last_click_pk(workspace_id: str, subscriber_id: str) -> str:
    return f"lastclick#{workspace_id}#{subscriber_id}"


class LastClickModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="click")
    source = UnicodeAttribute()
    at = UTCDateTimeAttribute()
