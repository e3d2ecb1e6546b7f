"""Rows written before phones were E.164 keep a digits-only phone alias; ``rekey_phone`` moves them to E.164 so a
friend entered as 090... and later as +8190... is one person."""

from __future__ import annotations

import json

import pytest

from haishin.errors import Conflict
from haishin.subscribers.repository import AliasTaken, SubscriberRepository
from haishin.subscribers.service import SubscriberCreate
from haishin.wiring import services
from haishin.workspaces.service import WorkspaceService
from haishin_local import backfill_phones
from tests.unit.crm.conftest import OTHER_WS, WS


def _legacy_friend(repo: SubscriberRepository, phone: str) -> str:
    subscriber = repo.new(WS, source="api")
    subscriber.phone = phone
    repo.save_with_aliases(subscriber, add=[("phone", phone)], new=True)  # as stored before E.164
    return subscriber.subscriber_id


def test_rekey_moves_a_legacy_phone_to_e164(crm) -> None:
    repo = SubscriberRepository()
    sid = _legacy_friend(repo, "09012345678")
    assert repo.find_by_phone(WS, "090-1234-5678") is None  # the legacy key is not the normal form
    assert repo.rekey_phone(WS, sid) is True
    assert repo.require(WS, sid).phone == "+819012345678"
    assert repo.find_by_phone(WS, "090-1234-5678").subscriber_id == sid
    assert repo.find_id_by_alias(WS, "phone", "09012345678") is None  # the old alias is gone
    assert repo.rekey_phone(WS, sid) is False  # idempotent
    with pytest.raises(AliasTaken):
        services().crm.create(WS, SubscriberCreate(display_name="別人", phone="+81 90 1234 5678"), actor="t")


def test_rekey_refuses_when_the_e164_form_belongs_to_someone_else(crm) -> None:
    repo = SubscriberRepository()
    legacy = _legacy_friend(repo, "08011112222")
    services().crm.create(WS, SubscriberCreate(display_name="新", phone="080-1111-2222"), actor="t")
    with pytest.raises(Conflict):  # AliasTaken on DynamoDB; moto gives no cancellation reasons
        repo.rekey_phone(WS, legacy)
    assert repo.require(WS, legacy).phone == "08011112222"  # nothing half-written


def test_the_operator_command_rekeys_every_workspace_once_and_reports_counts(crm, capsys) -> None:
    repo = SubscriberRepository()
    WorkspaceService().ensure(WS)
    WorkspaceService().ensure(OTHER_WS)
    legacy = _legacy_friend(repo, "09012345678")
    clash = _legacy_friend(repo, "08011112222")
    services().crm.create(WS, SubscriberCreate(display_name="新", phone="080-1111-2222"), actor="t")
    modern = services().crm.create(WS, SubscriberCreate(display_name="今", phone="070-5555-6666"), actor="t")
    other = repo.new(OTHER_WS, source="api")
    other.phone = "0312345678"
    repo.save_with_aliases(other, add=[("phone", "0312345678")], new=True)

    dry = {c.workspace_id: c for c in backfill_phones.backfill(dry_run=True)}
    assert dry[WS].rekeyed == 2 and repo.require(WS, legacy).phone == "09012345678"  # a dry run writes nothing

    assert backfill_phones.main([]) == 1  # a conflict is left for the marketer: non-zero exit
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_ws = {line["workspace_id"]: line for line in lines}
    assert (by_ws[WS]["rekeyed"], by_ws[WS]["conflicts"], by_ws[WS]["conflict_ids"]) == (1, 1, [clash])
    assert by_ws[WS]["already_e164"] == 2  # the new friend and `modern`
    assert by_ws[OTHER_WS]["rekeyed"] == 1
    assert by_ws["*"]["rekeyed"] == 2 and by_ws["*"]["workspaces"] == 2
    assert repo.require(WS, legacy).phone == "+819012345678"
    assert repo.require(OTHER_WS, other.subscriber_id).phone == "+81312345678"
    assert repo.find_by_phone(OTHER_WS, "03-1234-5678").subscriber_id == other.subscriber_id
    assert repo.require(WS, modern.subscriber_id).phone == "+817055556666"

    again = {c.workspace_id: c for c in backfill_phones.backfill([WS, OTHER_WS])}  # idempotent
    assert (again[WS].rekeyed, again[OTHER_WS].rekeyed, again[WS].conflicts) == (0, 0, 1)
