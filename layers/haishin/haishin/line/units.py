"""LINE's aggregation units (``customAggregationUnits``): the unit name a message is sent with, and its month.

LINE reports how friends interact with push and multicast messages (opens, URL taps) only per *unit*: a name the
sender puts on the message (one per request, 1-30 characters of ``[a-zA-Z0-9_]``, case-sensitive), at most 1,000
distinct names a month per channel. Narrowcast and broadcast take no unit. Haishin names one unit per broadcast
(per A/B variant) and per scenario step, deterministically, so the statistics reader finds the name again without
storing it: ``b_<hash of broadcast>[_<variant label>]`` and ``s_<hash of scenario and step>`` (at most 24
characters). Statistics periods are dates in Japan time (UTC+9), as LINE counts them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone

UNIT_NAME = re.compile(r"[a-zA-Z0-9_]{1,30}")
MONTHLY_UNIT_LIMIT = 1000  # distinct unit names per channel and calendar month
STATS_MAX_DAYS = 30  # "The end date can be specified for up to 30 days later" than the start date
STATS_PRIVACY_FLOOR = 20  # LINE answers null for any figure below 20 users
LINE_TZ = timezone(timedelta(hours=9), "JST")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def broadcast_unit(broadcast_id: str, variant: str | None = None) -> str:
    """The unit of a broadcast, or of one A/B variant of it (label ``A``-``D``)."""
    name = f"b_{_digest('broadcast', broadcast_id)}"
    if variant:
        name += "_" + re.sub(r"[^a-zA-Z0-9]", "", variant)[:3]
    return name


def step_unit(scenario_id: str, step_id: str) -> str:
    """The unit of one scenario step (every friend who receives that step, whatever the scenario version)."""
    return f"s_{_digest('step', scenario_id, step_id)}"


def line_date(when: datetime) -> date:
    """The date LINE files ``when`` under (Japan time)."""
    return when.astimezone(LINE_TZ).date()


def month_of(when: datetime) -> str:
    """``yyyyMM`` of LINE's month (Japan time): the monthly unit count resets with it."""
    return line_date(when).strftime("%Y%m")


def stats_period(since: date, today: date) -> tuple[date, date]:
    """A statistics period LINE accepts: from ``since`` to today, at most 30 days after ``since``."""
    since = min(since, today)
    return since, min(today, since + timedelta(days=STATS_MAX_DAYS))


__all__ = ["LINE_TZ", "MONTHLY_UNIT_LIMIT", "STATS_MAX_DAYS", "STATS_PRIVACY_FLOOR", "UNIT_NAME", "broadcast_unit",
           "line_date", "month_of", "stats_period", "step_unit"]
