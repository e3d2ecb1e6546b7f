"""Mark-as-read through the local system: a friend writes through the LINE emulator, the operator opens the 1:1 chat
through the admin API, and the emulator records the friend's messages as read, once; a message written after that
is unread until the chat is opened again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import json_request
from tests.support.local import connect_workspace

pytestmark = pytest.mark.integration

CH = "1234500195"
WS = "w_markread"
SECRET = "5c3c0a1b2d4e5f60718293a4b5c6d195"
TOKEN = "mark-read-token-000000000000000000000000195"
USER = "U" + "5" * 32


def test_opening_the_chat_marks_the_friends_messages_read(local_system: Any) -> None:
    system = local_system
    api = system.base_url
    emulator = system.line_emulator
    auth, _ = connect_workspace(system, WS, CH, SECRET, TOKEN)

    assert emulator.follow(CH, USER) == 200
    assert emulator.send_text(CH, USER, "予約できますか?") == 200
    assert emulator.send_text(CH, USER, "明日の10時希望です") == 200
    system.drain()
    assert [u["text"] for u in emulator.unread(CH, USER)] == ["予約できますか?", "明日の10時希望です"]

    status, friends = json_request("GET", f"{api}/api/subscribers", headers=auth)
    assert status == 200 and len(friends["items"]) == 1, friends
    sub = friends["items"][0]["subscriber_id"]

    status, page = json_request("GET", f"{api}/api/subscribers/{sub}/chat", headers=auth)
    assert status == 200, page
    assert [m["data"].get("text") for m in page["messages"] if m["direction"] == "in"] == [
        "明日の10時希望です", "予約できますか?"]
    assert emulator.unread(CH, USER) == []
    assert len(emulator.chat_marks(USER, CH, kind="read")) == 1

    # opened again with nothing new: LINE is not called again
    assert json_request("GET", f"{api}/api/subscribers/{sub}/chat", headers=auth)[0] == 200
    assert len(emulator.chat_marks(USER, CH, kind="read")) == 1

    # a new message stays unread until the operator opens the chat again
    assert emulator.send_text(CH, USER, "よろしくお願いします") == 200
    system.drain()
    assert [u["text"] for u in emulator.unread(CH, USER)] == ["よろしくお願いします"]
    assert json_request("GET", f"{api}/api/subscribers/{sub}/chat", headers=auth)[0] == 200
    assert emulator.unread(CH, USER) == []
    assert len(emulator.chat_marks(USER, CH, kind="read")) == 2
