"""Every ID a write names must be an object of the caller's workspace (haishin.ownership): the walker, its
completeness over every body schema, and the admin API refusing another workspace's IDs with 404, storing nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from haishin import clock, ids
from haishin.actions import ACTIONS_ADAPTER
from haishin.api.app import AdminApi, build_app
from haishin.autoreplies.rules import AutoReplyInput
from haishin.csvio.jobs import ImportOptions
from haishin.forms.inputs import FormDefinition
from haishin.links.service import LinkDefinition
from haishin.ownership import NOT_REFERENCES, REFERENCE_FIELDS, Kind, Reference, references
from haishin.payments.products import ProductDefinition
from haishin.scenarios.models import Scenario
from haishin.segments.lists import ListRepository
from haishin.segments.model import Group
from haishin.segments.saved import SavedSegmentRepository
from haishin.subscribers.repository import SubscriberRepository
from haishin.subscribers.service import SubscriberCreate, SubscriberPatch
from haishin.tags.repository import FolderIn, TagIn, TagRepository
from haishin.workspaces.models import ChannelModel
from tests.support.admin_api import call_admin_api, ensure_operator
from tests.unit.core.test_admin_api import Context, event

MINE, THEIRS = "ws_mine", "ws_theirs"
DOMAIN_MODELS: list[type[BaseModel]] = [Scenario, Group, FormDefinition, ProductDefinition, AutoReplyInput,
                                        LinkDefinition, ImportOptions, SubscriberCreate, SubscriberPatch, TagIn,
                                        FolderIn]


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            names |= _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _property_names(item)
    return names


def test_every_id_field_of_a_request_body_is_a_reference_or_declared_not_one() -> None:
    spec = json.loads(build_app().get_openapi_json_schema(title="t", version="1"))
    names = _property_names(spec.get("components", {})) | _property_names(ACTIONS_ADAPTER.json_schema())
    for model in DOMAIN_MODELS:
        names |= _property_names(model.model_json_schema())
    id_fields = {n for n in names if n.endswith(("_id", "_ids"))}
    assert {"segment_id", "scenario_id", "form_id", "list_id", "line_channel_id", "dunning_scenario_id"} <= id_fields
    unclassified = sorted(id_fields - set(REFERENCE_FIELDS) - set(NOT_REFERENCES))
    assert unclassified == []


def test_references_are_found_at_any_depth_by_name_and_tag_ids_by_shape() -> None:
    tag_id = ids.new_id("tag_")
    body = {"name": "x", "segment_id": "seg_1", "content": {"line": [{"type": "text", "text": "scn_1"}]},
            "steps": [{"actions": [{"type": "start_scenario", "scenario_id": "scn_2"},
                                   {"type": "add_tag", "tag": tag_id}, {"type": "add_tag", "tag": "VIP"}]}],
            "subscriber_ids": ["s_1", "s_2"], "definition": {"children": [{"type": "list", "list_id": "lst_1"}]}}
    assert list(references(body)) == [
        Reference(Kind.SEGMENT, "seg_1", "segment_id"),
        Reference(Kind.SCENARIO, "scn_2", "steps.0.actions.0.scenario_id"),
        Reference(Kind.TAG, tag_id, "steps.0.actions.1.tag"),
        Reference(Kind.SUBSCRIBER, "s_1", "subscriber_ids.0"),
        Reference(Kind.SUBSCRIBER, "s_2", "subscriber_ids.1"),
        Reference(Kind.LIST, "lst_1", "definition.children.0.list_id"),
    ]


@pytest.fixture
def theirs(aws: Any, manual_clock: Any) -> dict[str, str]:
    """Objects of another workspace, made directly through the repositories."""
    ChannelModel.for_channel(THEIRS, "1650000777", secret_name="s", connected_at=clock.now()).save()
    ChannelModel.for_channel(MINE, "1650000111", secret_name="s", connected_at=clock.now()).save()
    tags = TagRepository()
    friends = SubscriberRepository()
    subscriber = friends.create(friends.new(THEIRS, source="admin"), [])
    return {
        "channel": "1650000777",
        "tag": tags.create(THEIRS, TagIn(name="他社タグ")).tag_id,
        "folder": tags.create_folder(THEIRS, FolderIn(name="他社フォルダ")).folder_id,
        "segment": SavedSegmentRepository().create(THEIRS, "他社セグメント", Group()).segment_id,
        "list": ListRepository().create(THEIRS, "他社リスト", "email", ["a@example.com"]).list_id,
        "subscriber": subscriber.subscriber_id,
    }


def _mine(api: AdminApi) -> dict[str, Any]:
    """What my workspace holds, read back through the API."""
    paths = ("/api/tags", "/api/segments", "/api/broadcasts", "/api/lists", "/api/subscribers", "/api/operators",
             "/api/auto-replies", "/api/links", "/api/scenarios")
    return {p: call_admin_api(api, "GET", p, workspace=MINE)[1] for p in paths}


def cases(t: dict[str, str]) -> list[tuple[str, str, Any, str]]:
    """(method, path, body, field) for writes of my workspace that name one of theirs."""
    text = {"line": [{"type": "text", "text": "こんにちは"}]}
    return [
        ("POST", "/api/broadcasts", {"name": "b", "content": text, "segment_id": t["segment"]}, "segment_id"),
        ("POST", "/api/broadcasts", {"name": "b", "content": text, "line_channel_id": t["channel"]},
         "line_channel_id"),
        ("POST", "/api/tags", {"name": "新タグ", "folder_id": t["folder"]}, "folder_id"),
        ("POST", "/api/segments", {"name": "s", "definition": {"type": "group", "children": [
            {"type": "list", "list_id": t["list"]}]}}, "definition.children.0.list_id"),
        ("POST", "/api/segments", {"name": "s", "definition": {"type": "group", "children": [
            {"type": "tags", "tags": [t["tag"]]}]}}, "definition.children.0.tags.0"),
        ("POST", "/api/segments/count", {"definition": {"type": "group", "children": [
            {"type": "list", "list_id": t["list"]}]}}, "definition.children.0.list_id"),
        ("POST", "/api/subscribers", {"display_name": "x", "line_channel_id": t["channel"],
                                      "line_user_id": "U" + "e" * 32}, "line_channel_id"),
        ("POST", "/api/subscribers/search", {"segment_id": t["segment"]}, "segment_id"),
        ("POST", "/api/operators", {"email": "staff@example.com", "role": "viewer", "channel_id": t["channel"]},
         "channel_id"),
        ("POST", "/api/exports", {"segment_id": t["segment"]}, "segment_id"),
        ("POST", "/api/broadcasts/id-lists", {"kind": "email", "text": "a@example.com", "name": "l",
                                              "line_channel_id": t["channel"]}, "line_channel_id"),
        ("POST", "/api/auto-replies", {"name": "a", "match_type": "exact", "keywords": ["予約"],
                                       "messages": [{"type": "text", "text": "はい"}], "channel_id": t["channel"]},
         "channel_id"),
        ("POST", "/api/auto-replies", {"name": "a", "match_type": "exact", "keywords": ["予約"],
                                       "messages": [{"type": "text", "text": "はい"}],
                                       "actions": [{"type": "add_tag", "tag": t["tag"]}]}, "actions.0.tag"),
    ]


def test_a_write_naming_another_workspaces_object_is_404_and_stores_nothing(
    theirs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORTS_BUCKET", "haishin-exports-references")
    api = AdminApi()
    before = _mine(api)
    problems = []
    for method, path, body, field in cases(theirs):
        status, answer = call_admin_api(api, method, path, workspace=MINE, body=body)
        if (status, (answer or {}).get("where")) != (404, field):
            problems.append(f"{method} {path} naming {field}: {status} {answer}")
    assert problems == []
    assert _mine(api) == before



def test_a_yaml_scenario_import_naming_another_workspaces_object_is_404(theirs: dict[str, str]) -> None:
    """The import takes YAML, which the front door does not read as JSON: the route checks the parsed document."""
    api = AdminApi()
    claims = ensure_operator(MINE, "owner@example.jp", "owner")
    request = event("POST", "/api/scenarios/import", claims)
    request["headers"]["content-type"] = "application/yaml"
    request["body"] = ("name: 取り込み\nsteps:\n  - line: [{type: text, text: こんにちは}]\n"
                       f"    actions: [{{type: add_tag, tag: {theirs['tag']}}}]\n")
    response = api.handle(request, Context())
    assert response["statusCode"] == 404, response["body"]
    assert json.loads(response["body"])["where"] == "steps.0.actions.0.tag"
    assert call_admin_api(api, "GET", "/api/scenarios", workspace=MINE)[1]["items"] == []
