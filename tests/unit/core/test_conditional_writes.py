"""storage.base: the one "write only if" helper every repository uses (True written / False refused / else raise)."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import PutError, UpdateError

from haishin.storage.base import condition_failed, delete_together, save_if, save_new_together, update_if
from haishin.storage.once import OnceModel


def marker(key: str) -> Any:
    return OnceModel(key, status="done", expiration=1767571200)


def test_save_if_writes_once_then_reports_the_refusal(aws: Any) -> None:
    assert save_if(marker("k1"), condition=OnceModel.id.does_not_exist()) is True
    assert save_if(marker("k1"), condition=OnceModel.id.does_not_exist()) is False


def test_update_if_applies_when_the_condition_holds_and_refreshes_the_item(aws: Any) -> None:
    item = marker("k2")
    item.save()
    assert update_if(item, actions=[OnceModel.status.set("running")], condition=OnceModel.status == "done") is True
    assert item.status == "running"
    assert update_if(item, actions=[OnceModel.status.set("x")], condition=OnceModel.status == "done") is False
    assert OnceModel.get("k2", consistent_read=True).status == "running"


def test_other_errors_are_raised_not_taken_for_a_refusal(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    item = marker("k3")

    def throttled(*_a: Any, **_k: Any) -> None:
        raise UpdateError("ProvisionedThroughputExceededException: slow down")

    monkeypatch.setattr(OnceModel, "update", throttled)
    with pytest.raises(UpdateError):
        update_if(item, actions=[OnceModel.status.set("x")], condition=OnceModel.id.exists())
    assert condition_failed(PutError("An error occurred (ConditionalCheckFailedException) on PutItem"))
    assert not condition_failed(PutError("ThrottlingException"))


def test_items_saved_together_are_all_new_or_none_is_written_and_go_together(aws: Any) -> None:
    """An item and its public lookup (forms, links, inflow routes, conversion points): one transaction."""
    assert save_new_together(marker("item"), marker("lookup")) is True
    assert save_new_together(marker("other"), marker("lookup")) is False  # the lookup's key is taken
    with pytest.raises(OnceModel.DoesNotExist):
        OnceModel.get("other", consistent_read=True)  # nothing of the refused pair was written
    delete_together(marker("item"), marker("lookup"))
    for key in ("item", "lookup"):
        with pytest.raises(OnceModel.DoesNotExist):
            OnceModel.get(key, consistent_read=True)
