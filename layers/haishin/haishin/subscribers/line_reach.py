"""THE choice of which of a friend's LINE accounts a message goes to, and the push through it.

A friend (``SubscriberModel.line``: channel ID -> ``line_account(...)``) may follow several of the workspace's
LINE official accounts. Every path that sends one friend a LINE message (step delivery, 1:1 chat, auto-replies and
thank-you messages, broadcast test sends) chooses the same way:

- a channel asked for (the scenario's / broadcast's channel, the operator's choice): that account or nothing;
- else the first account the friend follows, else the first account known (its status decides what happens next:
  a blocked account is not sent to).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LineReach:
    channel_id: str
    user_id: str | None
    status: str  # following | blocked | unknown

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"


def choose_line_account(line: Mapping[str, Any] | None, channel_id: str | None = None) -> LineReach | None:
    """The account a LINE message to this friend goes to (see the module doc), or None when there is none."""
    accounts = dict(line or {})
    if channel_id:
        chosen: str | None = channel_id if channel_id in accounts else None
    else:
        chosen = next((c for c, a in accounts.items() if (a or {}).get("status") == "following"), None)
        chosen = chosen or next(iter(accounts), None)
    if chosen is None:
        return None
    account = accounts[chosen] or {}
    user_id = account.get("user_id")
    return LineReach(chosen, str(user_id) if user_id else None, str(account.get("status") or "unknown"))


def push_to_friend(clients: Any, workspace_id: str, line: Mapping[str, Any] | None, messages: list[dict[str, Any]],
                   *, retry_key: str, channel_id: str | None = None) -> Any:
    """Push ``messages`` to the chosen account through ``clients`` (``haishin.line.client.LineClients``); None
    (nothing sent) when the friend has no reachable account there. LINE errors propagate."""
    reach = choose_line_account(line, channel_id)
    if reach is None or reach.user_id is None or reach.blocked:
        return None
    return clients.for_channel(workspace_id, reach.channel_id).push(reach.user_id, messages, retry_key=retry_key)
