"""THE delivery message: what step_tick and broadcast_planner put on DeliveryQueue and delivery_worker consumes.

One SQS message = one send on one channel (JSON body, version ``v: 1``, well under SQS's 1 MiB):

```
{
  "v": 1,
  "kind": "step" | "broadcast" | "notice",
  "workspace_id": "ws_...",
  "delivery_id": "...",            # deterministic; the ledger row is LedgerTable pk "dlv#<delivery_id>"
  "retry_key": "<uuid>",           # X-Line-Retry-Key; steps: ids.retry_key("step", enrollment, cycle, step, channel)
  "channel": "line" | "email" | "sms" | "none",   # "none": an action-only step (no message, actions only)
  "line_channel_id": "1234567890", # which LINE official account (channel "line" only; None: the only one)
  "recipients": ["s_..."],         # subscriber IDs: exactly 1 for a step or a notice (push); up to 500 for a broadcast
  "content": {...} | null,         # inline content, see below
  "content_ref": {...} | null,     # or a reference the worker resolves (cached per container), see below
  "scheduled_at": "<iso>",         # when it was due (lag is measured from here)
  "enqueued_at": "<iso>",
  "step": {                        # kind "step" only
     "scenario_id", "scenario_version", "step_id", "step_index",
     "enrollment_pk", "enrollment_sk", "cycle",
     "after": ["<delivery_id>", ...],   # the previous step's deliveries: sent only once they are final (order)
     "run_actions": true           # the step's actions run with exactly one of its channel messages
  },
  "broadcast": {"broadcast_id": "..."}   # kind "broadcast" only (free-form for the planner)
}
```

Content (inline, or what ``content_ref`` resolves to) is channel-specific and may contain templates (haishin.render):
``{"line": [<1-5 LINE message objects>]}``, ``{"email": {"subject", "html", "text", "from"}}``, ``{"sms": {"text"}}``.
``content_ref``: ``{"type": "scenario_step", "scenario_id", "version", "step_id"}`` (step messages; the step sender,
``haishin.scenarios.step_send``, reads the step's content from that scenario version). Broadcast batches carry their
content inline (``broadcast.groups``, ``haishin.broadcasts.send``). There is no other type.

``kind: "notice"``: a feature's one-off LINE message to one friend (a seminar seat freed, a refund, a booking), queued
by ``haishin.delivery.notices.NoticeQueue``: channel ``line``, one recipient, inline ``{"line": [...]}`` content that is
final (never rendered again: a seminar title with ``{{`` in it is text), the feature's stable ``retry_key``, and
``delivery_id`` ``notice_delivery_id(retry_key)``.

Sending: personalised content (any template) is rendered per recipient and pushed one by one, each with
``retry_key(<message retry_key>, subscriber_id)`` when there are several recipients (the message's own key for
one); identical content goes out as one multicast with the message's retry key. Ledger rows: one per message
(``dlv#<delivery_id>``); for a multicast the skipped recipients are listed on the row.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from haishin.errors import ValidationFailed
from haishin.ids import retry_key

VERSION = 1
IN_PROCESS = frozenset({"reply_token", "reply_lead"})  # never on the queue
Kind = Literal["step", "broadcast", "notice"]
KINDS = ("step", "broadcast", "notice")
MAX_RECIPIENTS = 500


@dataclass(frozen=True)
class StepRef:
    scenario_id: str
    scenario_version: int
    step_id: str
    step_index: int
    enrollment_pk: str
    enrollment_sk: str
    cycle: int
    after: list[str] = field(default_factory=list)
    run_actions: bool = True


@dataclass
class ReplyLead:
    """In-process only: messages answering the same LINE event ahead of a step (the greeting), merged into the
    step's reply (at most 5 message objects per reply; the rest by push). ``via`` is set once they went out:
    ``reply``, or ``push`` with ``retry_key`` when LINE refused the token (pushed before the step, keeping order)."""

    messages: list[dict[str, Any]]
    retry_key: str
    via: str | None = None


@dataclass(frozen=True)
class DeliveryMessage:
    kind: Kind
    workspace_id: str
    delivery_id: str
    retry_key: str
    channel: str
    recipients: list[str]
    content: dict[str, Any] | None = None
    content_ref: dict[str, Any] | None = None
    line_channel_id: str | None = None
    scheduled_at: str | None = None
    enqueued_at: str | None = None
    step: StepRef | None = None
    broadcast: dict[str, Any] | None = None
    v: int = VERSION
    # in-process only, never on the queue: the LINE event's reply token a step answering that event is sent on
    # first (free); when LINE refuses it (used/expired) the same messages go by push with ``retry_key``
    reply_token: str | None = field(default=None, compare=False)
    reply_lead: ReplyLead | None = field(default=None, compare=False)

    def to_json(self) -> str:
        body = {k: v for k, v in asdict(self).items() if v is not None and k not in IN_PROCESS}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DeliveryMessage:
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise ValidationFailed("delivery message is not JSON", where="body") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DeliveryMessage:
        if raw.get("v") != VERSION:
            raise ValidationFailed(f"unknown delivery message version {raw.get('v')!r}", where="v")
        if raw.get("kind") not in KINDS:
            raise ValidationFailed("kind must be step, broadcast or notice", where="kind")
        recipients = raw.get("recipients") or []
        if raw.get("channel") != "none" and not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise ValidationFailed(f"1 to {MAX_RECIPIENTS} recipients", where="recipients")
        if raw.get("content") is None and raw.get("content_ref") is None and raw.get("channel") != "none":
            raise ValidationFailed("content or content_ref is needed", where="content")
        step = raw.get("step")
        try:
            return cls(
                kind=raw["kind"], workspace_id=raw["workspace_id"], delivery_id=raw["delivery_id"],
                retry_key=raw["retry_key"], channel=raw["channel"], recipients=list(recipients),
                content=raw.get("content"), content_ref=raw.get("content_ref"),
                line_channel_id=raw.get("line_channel_id"), scheduled_at=raw.get("scheduled_at"),
                enqueued_at=raw.get("enqueued_at"), step=StepRef(**step) if step else None,
                broadcast=raw.get("broadcast"),
            )
        except (KeyError, TypeError) as exc:
            raise ValidationFailed(f"delivery message is missing {exc}", where=str(exc)) from exc


def step_delivery_id(enrollment_pk: str, scenario_id: str, cycle: int, step_id: str, channel: str) -> str:
    """Deterministic: the same step of the same enrollment cycle on the same channel is one delivery, forever."""
    return "st_" + retry_key("step", enrollment_pk, scenario_id, str(cycle), step_id, channel)


def step_retry_key(enrollment_pk: str, scenario_id: str, cycle: int, step_id: str, channel: str) -> str:
    return retry_key("step-send", enrollment_pk, scenario_id, str(cycle), step_id, channel)


def notice_delivery_id(retry_key_: str) -> str:
    """Deterministic: a notice queued twice under the same retry key is one delivery (one ledger row, one send)."""
    return "nt_" + retry_key("notice", retry_key_)


def recipient_retry_key(message: DeliveryMessage, subscriber_id: str) -> str:
    if len(message.recipients) == 1:
        return message.retry_key
    return retry_key(message.retry_key, subscriber_id)
