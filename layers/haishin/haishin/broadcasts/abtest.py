"""A/B test broadcasts: the variants' validation, which variant a friend receives, and the results.

A broadcast with ``variants`` (2-4, each ``{"content": ..., "weight": ...}``) sends each recipient exactly one
variant: ``haishin.abtests.assign.variant_index(broadcast_id, subscriber_id, weights)``, a pure function of the
friend, so a re-run planner slice plans the same variant and the batches (and LINE retry keys) stay the same.
The planner counts recipients per variant on its slice items (``counts["variant_<i>"]``, written whole by each
slice run, so a re-run overwrites rather than adds); the results add them up.

Clicks: a friend's click is known per tracked link (``/c/<link_id>.<token>``, one row per friend and link with the
first click's time). A variant's clicks are the friends assigned to it who clicked, at or after the broadcast
started, a tracked link whose URL (``/c/<link_id>``) is in that variant's content. What is missing: links are not
yet rewritten per friend at send time (a plain ``/c/<link_id>`` in a broadcast counts anonymous clicks, which no
variant can claim), and a friend who clicked the same link from another message after the broadcast started is
counted too. See docs/production/abtest.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

from haishin.abtests.assign import position, variant_index, variant_label
from haishin.abtests.stats import METRIC_LABELS, METRICS, Arm, Sample, revenue_verdict, verdict
from haishin.broadcasts.models import BroadcastModel
from haishin.broadcasts.repository import BroadcastRepository
from haishin.errors import ValidationFailed

SHARE_RANGE = (5, 95)  # percent of the audience in the test when the winner goes to the rest
WINNER_AFTER_RANGE = (10, 7 * 24 * 60)  # minutes from the test's planning to the winner's send
_LINK = re.compile(r"/c/([A-Za-z0-9_-]+)")


def check_share(share: Any, after: Any, *, has_variants: bool) -> tuple[int | None, int | None]:
    """The "test share first, winner to the rest" option: both or neither, only with variants."""
    if (share is None and after is None) or share == 0:  # 0: the whole audience gets the test (the default)
        return None, None
    if not has_variants:
        raise ValidationFailed("先行テスト配信はA/Bテスト（variants）でだけ使えます", where="ab_test_share")
    low, high = SHARE_RANGE
    if isinstance(share, bool) or not isinstance(share, int) or not low <= share <= high:
        raise ValidationFailed(f"先にテストする割合は{low}〜{high}%の整数です", where="ab_test_share")
    low, high = WINNER_AFTER_RANGE
    if isinstance(after, bool) or not isinstance(after, int) or not low <= after <= high:
        raise ValidationFailed(f"勝者を配信するまでの時間は{low}〜{high}分です", where="ab_winner_after_minutes")
    return share, after


def check_metric(metric: Any) -> str | None:
    """The winner metric: click rate (stored as None, the default), conversion rate or revenue per recipient."""
    if metric not in METRICS:
        raise ValidationFailed("勝者の指標は click_rate・conversion_rate・revenue_per_recipient のどれかです",
                               where="ab_metric")
    return None if metric == "click_rate" else str(metric)


def winner_id(broadcast_id: str) -> str:
    """The ID of the broadcast that sends a test's winner to the rest of the audience."""
    return f"{broadcast_id}_w"


def in_cohort(broadcast: BroadcastModel, subscriber_id: str) -> bool:
    """Whether this broadcast sends to ``subscriber_id`` at all: a test sent to a share first reaches the friends
    whose share position (a hash of the TEST's ID and the friend, independent of the variant) is below the share;
    its winner broadcast reaches exactly the others. Any other broadcast: everyone its segment matches."""
    share = broadcast.ab_share
    if not share:
        return True
    if broadcast.ab_parent:
        return position(f"{broadcast.ab_parent}#share", subscriber_id) >= float(share) / 100.0
    return position(f"{broadcast.broadcast_id}#share", subscriber_id) < float(share) / 100.0


def variant_of(broadcast: BroadcastModel, subscriber_id: str) -> int | None:
    """The variant index ``subscriber_id`` receives (None: not an A/B test); a winner broadcast sends its winner."""
    weights = broadcast.variants
    if not weights:
        return None
    if broadcast.ab_parent and broadcast.ab_winner is not None:
        return int(broadcast.ab_winner)
    return variant_index(broadcast.broadcast_id, subscriber_id, list(weights))


def choose_winner(results: dict[str, Any]) -> tuple[int, str]:
    """(variant index, note): the verdict's leader; before the minimum sample, the best value of the test's metric
    (ties: the earlier variant, A first), said so in the note."""
    variants = results["variants"]
    found = results["verdict"]
    metric = results.get("metric") or "click_rate"
    if found["ready"] and found["leader"]:
        index = next(i for i, v in enumerate(variants) if v["label"] == found["leader"])
        return index, str(found["message"])
    index = max(range(len(variants)), key=lambda i: (variants[i].get(metric) or 0.0, -i))
    return index, (f"{variants[index]['label']} を配信（{found['message']}。"
                   f"判定前のため、その時点の{METRIC_LABELS[metric]}が最も高いパターンを選びました）")


def link_ids(content: Any) -> set[str]:
    """Tracked link IDs whose URL (``/c/<link_id>``, with or without a friend token) is in ``content``."""
    return set(_LINK.findall(json.dumps(content, ensure_ascii=False)))


class BroadcastAbTests:
    """The results of an A/B test broadcast (``GET /api/broadcasts/{id}/abtest``)."""

    def __init__(self, *, repository: BroadcastRepository, clicks: Any, track: Any = None,
                 conversions: Any = None) -> None:
        self.conversions = conversions  # haishin.conversions.service.ConversionService: conversions and revenue
        self.track = track  # haishin.track.service.TrackService: clicks recorded with their variant
        self.repository = repository
        self.clicks = clicks  # haishin.links.repository.LinkRepository: per-friend first clicks of a link

    def results(self, workspace_id: str, broadcast_id: str) -> dict[str, Any]:
        broadcast = self.repository.require(workspace_id, broadcast_id)
        weights = list(broadcast.variants or [])
        if not weights:
            raise ValidationFailed("この配信はA/Bテストではありません", where="variants")
        content = self.repository.content(workspace_id, broadcast_id)
        contents: list[Any] = list(content.get("variants") or [])
        recipients = [0] * len(weights)
        for item in self.repository.slices(workspace_id, broadcast_id):
            for index in range(len(weights)):
                recipients[index] += int((item.counts or {}).get(f"variant_{index}", 0))
        clickers: list[set[str]] = [set() for _ in weights]
        links_of = [link_ids(c) for c in contents]
        since = broadcast.started_at
        if since is not None:
            for link_id in sorted(set().union(*links_of)):
                for subscriber_id, first_at in self.clicks.friend_clicks(workspace_id, link_id):
                    if first_at is not None and first_at < since:
                        continue
                    index = variant_index(broadcast_id, subscriber_id, weights)
                    if link_id in links_of[index]:
                        clickers[index].add(subscriber_id)
        if self.track is not None:  # clicks on URLs rewritten into the message carry their variant
            for index in range(len(weights)):
                clickers[index] |= self.track.clickers(workspace_id, f"broadcast#{broadcast_id}", f"variant#{index}")
        arms = [Arm(recipients[i], min(len(clickers[i]), recipients[i])) for i in range(len(weights))]
        # conversions: friends with a conversion attributed to this broadcast (last click or last message), put in
        # the variant they were assigned (the same pure function the planner used), with their revenue
        revenue_of: list[list[int]] = [[] for _ in weights]
        if self.conversions is not None:
            for subscriber_id, revenue in self.conversions.converters(workspace_id, broadcast_id).items():
                revenue_of[variant_index(broadcast_id, subscriber_id, weights)].append(revenue)
        converted = [Arm(recipients[i], min(len(revenue_of[i]), recipients[i])) for i in range(len(weights))]
        samples = [Sample.of(recipients[i], revenue_of[i]) for i in range(len(weights))]
        metric = broadcast.ab_metric or "click_rate"
        if metric == "revenue_per_recipient":
            result = revenue_verdict(samples, [a.successes for a in converted])
        else:
            result = verdict(converted if metric == "conversion_rate" else arms, metric)
        total = sum(weights)
        winner = self.repository.find(workspace_id, winner_id(broadcast_id)) if broadcast.ab_share else None
        return {
            "test_share": int(broadcast.ab_share) if broadcast.ab_share else None,
            "winner": None if winner is None else {
                "broadcast_id": winner.broadcast_id, "status": winner.status,
                "send_at": winner.send_at.isoformat() if winner.send_at else None,
                "variant": variant_label(int(winner.ab_winner)) if winner.ab_winner is not None else None,
                "note": winner.ab_winner_note},
            "broadcast_id": broadcast_id, "metric": metric, "status": broadcast.status,
            "variants": [{
                "label": variant_label(i), "weight": weights[i], "share": weights[i] / total,
                "recipients": arms[i].recipients, "clicks": arms[i].successes,
                "click_rate": arms[i].rate,
                "conversions": converted[i].successes, "conversion_rate": converted[i].rate,
                "revenue": int(samples[i].total), "revenue_per_recipient": samples[i].mean,
                "probability_best": result.probabilities.get(variant_label(i)),
                "tracked_links": sorted(links_of[i]) if i < len(links_of) else [],
            } for i in range(len(weights))],
            "verdict": {"ready": result.ready, "message": result.message, "leader": result.leader,
                        "z": result.z, "p_value": result.p_value, "significant": result.significant},
        }


__all__ = ["BroadcastAbTests", "check_metric", "check_share", "choose_winner", "in_cohort", "link_ids", "variant_of",
           "winner_id"]
