"""Our postback payload format, parsed into ``haishin.actions``.

Two forms (``data`` of a LINE postback action is at most 300 characters):

- ``haishin:<base64url JSON>``: the JSON is a list of actions (or ``{"actions": [...]}``), exactly the action model
  of ``haishin.actions`` — e.g. ``[{"type": "add_tag", "tag": "vip"}, {"type": "start_scenario", ...}]``.
- querystring, for hand-written rich menus: ``action=add_tag&tag=vip`` is one action whose ``type`` is ``action``
  and whose other keys are its fields (``action=add_to_field&field=score&amount=5``).

- ``haishin:rm:<menu_id>:<area>`` / ``haishin:rmtab:<menu_id>:<area>``: a tap on one of our rich menus
  (``haishin.richmenus.models.tap_data``): the processor counts it and runs the stored area's actions
  (``rich_menu_tap``); ``parse`` leaves it alone.

- ``haishin:sem:l:<event_id>`` / ``haishin:sem:r:<event_id>:<session_id>``: a seminar's carousel asked for, or a
  session chosen from it (``haishin.seminars``): the processor answers with the carousel or registers the friend;
  ``parse`` leaves it alone.

Anything else is not ours (another tool's postback): recorded on the timeline, no action.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from typing import Any

from haishin.actions import Action, parse_actions
from haishin.richmenus.models import parse_tap_data
from haishin.seminars.models import SEMINAR_PREFIX, parse_seminar_data

PREFIX = "haishin:"


class NotOurs(Exception):
    """The postback data is not in a Haishin format."""


def encode(actions: list[dict[str, Any]]) -> str:
    raw = json.dumps(actions, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def rich_menu_tap(data: str) -> tuple[str, str, int] | None:
    """(``rm`` | ``rmtab``, menu ID, area index) of a tap on one of our rich menus; None for anything else."""
    return parse_tap_data(data)


def seminar_postback(data: str) -> tuple[str, str, str] | None:
    """(``l`` | ``r``, event ID, session ID or "") of a seminar postback; None for anything else."""
    return parse_seminar_data(data)


def parse(data: str) -> list[Action]:
    """Actions from postback data. Raises NotOurs, or ValueError (pydantic's ValidationError) for a bad payload."""
    data = (data or "").strip()
    if data.startswith(SEMINAR_PREFIX):
        raise NotOurs(data[:50])  # handled by the processor (seminar_postback), never as actions
    if data.startswith(PREFIX):
        text = data[len(PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            decoded = json.loads(raw)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the haishin: postback is not base64url JSON") from exc
        if isinstance(decoded, dict):
            decoded = decoded.get("actions")
        if not isinstance(decoded, list):
            raise ValueError("the haishin: postback holds no list of actions")
        return parse_actions(decoded)
    pairs = urllib.parse.parse_qs(data, keep_blank_values=True, strict_parsing=False)
    if "action" not in pairs:
        raise NotOurs(data[:50])
    action: dict[str, Any] = {"type": pairs["action"][0]}
    for key, values in pairs.items():
        if key != "action":
            action[key] = values[0]
    return parse_actions([action])
