"""THE choice of a friend's LINE account (haishin.subscribers.line_reach), used by every one-friend LINE send."""

from __future__ import annotations

from typing import Any

from haishin.subscribers.line_reach import choose_line_account, push_to_friend
from haishin.subscribers.models import line_account

LINE = {"c_blocked": line_account("U1", "blocked"), "c_follow": line_account("U2", "following")}


class FakeClients:
    def __init__(self) -> None:
        self.pushed: list[tuple[str, str, Any, str]] = []

    def for_channel(self, workspace_id: str, channel_id: str) -> Any:
        clients = self

        class Client:
            def push(self, user_id: str, messages: Any, *, retry_key: str) -> str:
                clients.pushed.append((channel_id, user_id, messages, retry_key))
                return "accepted"

        return Client()


def test_without_a_channel_the_followed_account_wins_over_an_earlier_blocked_one() -> None:
    reach = choose_line_account(LINE)
    assert reach is not None and (reach.channel_id, reach.user_id, reach.blocked) == ("c_follow", "U2", False)


def test_an_asked_for_channel_is_that_account_or_nothing() -> None:
    blocked = choose_line_account(LINE, "c_blocked")
    assert blocked is not None and blocked.blocked
    assert choose_line_account(LINE, "c_other") is None
    assert choose_line_account({}) is None


def test_push_goes_to_the_chosen_account_and_never_to_a_blocked_one() -> None:
    clients = FakeClients()
    assert push_to_friend(clients, "ws", LINE, [{"type": "text", "text": "hi"}], retry_key="k") == "accepted"
    assert push_to_friend(clients, "ws", LINE, [], retry_key="k2", channel_id="c_blocked") is None
    assert [(c, u) for c, u, _m, _k in clients.pushed] == [("c_follow", "U2")]
