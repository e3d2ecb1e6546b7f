"""Every model sends through one botocore client per endpoint (a cold start loads the DynamoDB model once), while
models that share a table keep their own schema."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime

from pynamodb.models import Model

import haishin
from haishin.storage.base import HaishinModel, connection
from haishin.subscribers.models import AliasModel, SubscriberModel
from haishin.timeline.models import TimelineEntryModel
from haishin.workspaces.models import WorkspaceModel


def _models() -> list[type[HaishinModel]]:
    found, pending = [], list(HaishinModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        found.append(model)
    return found


def test_every_model_derives_from_haishin_model() -> None:
    for module in pkgutil.walk_packages(haishin.__path__, "haishin."):  # every model defined
        importlib.import_module(module.name)

    outside = []
    pending = list(Model.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("haishin.") and not issubclass(model, HaishinModel):
            outside.append(model.__name__)
    assert outside == []
    assert len(_models()) >= 30


def test_models_share_the_endpoint_client(aws) -> None:
    for model in (SubscriberModel, AliasModel, TimelineEntryModel, WorkspaceModel):
        model._connection = None
    clients = {id(model._get_connection().connection.client)
               for model in (SubscriberModel, AliasModel, TimelineEntryModel, WorkspaceModel)}
    assert clients == {id(connection().client)}


def test_models_on_one_table_keep_their_own_schema_and_work(aws) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    SubscriberModel(pk="sub#ws#00", sk="s_1", workspace_id="ws", subscriber_id="s_1", created_at=now,
                    updated_at=now).save()
    AliasModel(pk="alias#ws#email#a@example.jp", subscriber_id="s_1").save()
    assert SubscriberModel.get("sub#ws#00", "s_1").subscriber_id == "s_1"
    assert AliasModel.get("alias#ws#email#a@example.jp", "alias").subscriber_id == "s_1"
