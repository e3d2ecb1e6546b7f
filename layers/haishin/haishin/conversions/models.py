"""Conversion records in WorkspaceTable.

- point:  pk ``cvpoints#<workspace_id>`` sk ``<code>``: one conversion point (its code is its ID and its URL part)
- code:   pk ``cvcode#<code>`` sk ``code``: which workspace a public ``/cv/<code>`` belongs to
- stats:  pk ``cvstats#<workspace_id>#<scope>`` sk ``<sub>``: ``conversions``, ``unique_friends``, ``revenue`` (ADD)
          scope ``point#<code>``: sub ``all``, ``click#<source>``, ``message#<source>``, ``route#<route>``;
          scope ``broadcast#<id>``: ``click``, ``click#variant#<n>``, ``message``; ``scenario#<id>``:
          ``click#step#<id>``, ``message#step#<id>``; ``autoreply#<id>``: ``click``; ``route#<route>``: ``all``
- friend: pk ``cvfriend#<workspace_id>#<scope>#<sub>`` sk ``<subscriber_id>``: this friend converted here (unique),
          with the friend's ``revenue`` there (A/B revenue per recipient reads it)
- log:    pk ``cvlog#<workspace_id>#<code>`` sk ``<iso time>#<conversion id>``: one conversion and its attribution
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from haishin.storage.base import HaishinModel, JSONTextAttribute, UTCDateTimeAttribute, model_meta


def points_pk(workspace_id: str) -> str:
    return f"cvpoints#{workspace_id}"


def code_pk(code: str) -> str:
    return f"cvcode#{code}"


def stats_pk(workspace_id: str, scope: str) -> str:
    return f"cvstats#{workspace_id}#{scope}"


def friend_pk(workspace_id: str, scope: str, sub: str) -> str:
    return f"cvfriend#{workspace_id}#{scope}#{sub}"


def log_pk(workspace_id: str, code: str) -> str:
    return f"cvlog#{workspace_id}#{code}"


class ConversionPointModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # the code
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # purchase | form | tag | url
    form_id = UnicodeAttribute(null=True)
    tag_id = UnicodeAttribute(null=True)
    product_id = UnicodeAttribute(null=True)
    window_days = NumberAttribute(default=7)
    value = NumberAttribute(null=True)  # fixed revenue of a non-purchase conversion (JPY)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ConversionCodeModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="code")
    workspace_id = UnicodeAttribute()


class ConversionStatsModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    conversions = NumberAttribute(null=True)
    unique_friends = NumberAttribute(null=True)
    revenue = NumberAttribute(null=True)


class ConversionFriendModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    first_at = UTCDateTimeAttribute(null=True)
    revenue = NumberAttribute(null=True)


class ConversionLogModel(HaishinModel):
    Meta = model_meta("WORKSPACE_TABLE")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    subscriber_id = UnicodeAttribute()
    value = NumberAttribute(default=0)
    cause = UnicodeAttribute()  # stripe:<event> / form:<answer> / tag:<key> / url:<txn> / api:<event>
    attribution = JSONTextAttribute(null=True)  # click, click_at, message, message_at, route
    at = UTCDateTimeAttribute()
