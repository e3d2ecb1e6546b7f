"""The member site driven as a member drives it, over HTTP on the local system: the workspace's verified e-mail
sender (the login link is e-mailed From it), the login link read from the local SES, spent for a session cookie."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from typing import Any

from tests.support.http import json_request, raw_request

FORM_POST = {"content-type": "application/x-www-form-urlencoded"}


def verified_sender(system: Any, auth: dict[str, str], domain: str) -> None:
    """A default From of the workspace, verified in the local SES (settings → メール送信者, then the DNS records)."""
    status, identity = json_request("POST", f"{system.base_url}/api/senders",
                                    {"from_name": "講座事務局", "from_address": f"school@{domain}", "kind": "domain"}, auth)
    assert status in (200, 201), identity
    system.verify_ses_identity(domain)
    status, listed = json_request("GET", f"{system.base_url}/api/senders?refresh=1", headers=auth)
    assert status == 200 and any(i["verified"] for i in listed["items"]), listed


def login_links(system: Any, workspace_id: str, course_id: str) -> list[str]:
    """Every login link the local SES has carried for the course, oldest first."""
    with urllib.request.urlopen(f"{system.moto_endpoint}/moto-api/data.json", timeout=10) as response:
        text = json.dumps(json.loads(response.read()), ensure_ascii=False)
    pattern = re.escape(f"/m/{workspace_id}/{course_id}/auth?") + r"t=[A-Za-z0-9._\-]+&n=[A-Za-z0-9_\-]+"
    return [system.base_url + m for m in re.findall(pattern, text)]


def member_cookie(system: Any, workspace_id: str, course_id: str, email: str) -> str:
    """Ask for the login link, open it, press ログインする: the session cookie (``name=value``)."""
    base = f"{system.base_url}/m/{workspace_id}/{course_id}/"
    before = len(login_links(system, workspace_id, course_id))
    status, _, page = raw_request("POST", base + "login", urllib.parse.urlencode({"email": email}).encode(), FORM_POST)
    assert status == 200 and "ログイン用リンクをお送りしました" in page, page[:1000]
    links = login_links(system, workspace_id, course_id)
    assert len(links) == before + 1, links
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(links[-1]).query)
    body = urllib.parse.urlencode({"t": query["t"][0], "n": query["n"][0]}).encode()
    status, headers, page = raw_request("POST", base + "auth", body, FORM_POST)
    assert status == 303, page[:1000]
    return str(headers["set-cookie"]).split(";", 1)[0]


def complete_lesson(system: Any, workspace_id: str, course_id: str, lesson_id: str, cookie: str) -> None:
    url = f"{system.base_url}/m/{workspace_id}/{course_id}/l/{lesson_id}"
    status, headers, page = raw_request("POST", url, b"action=complete", {**FORM_POST, "cookie": cookie})
    assert status == 303 and headers["location"].endswith("?done=1"), (status, page[:1000])
