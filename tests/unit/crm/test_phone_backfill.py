"""Rows written before phones were E.164 keep a digits-only phone alias; ``rekey_phone`` moves them to E.164 so a
friend entered as 090... and later as +8190... is one person."""

from __future__ import annotations

import pytest

from haishin.errors import Conflict
from haishin.subscribers.repository import AliasTaken, SubscriberRepository
from haishin.subscribers.service import SubscriberCreate
from haishin.wiring import services
from tests.unit.crm.conftest import WS


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
