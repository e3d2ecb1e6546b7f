"""pydantic's problems reach marketers in Japanese: one table (haishin.errors.pydantic_message) keyed by the error
type, the numbers from the error's ctx; our own validators' messages stay as written; ``where`` is unchanged."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from haishin.api.app import AdminApi
from haishin.errors import pydantic_message
from tests.support.admin_api import call_admin_api


@pytest.mark.parametrize(("error", "japanese"), [
    ({"type": "missing", "msg": "Field required"}, "入力してください（必須です）"),
    ({"type": "string_too_short", "ctx": {"min_length": 1}}, "1 文字以上で入力してください"),
    ({"type": "string_too_long", "ctx": {"max_length": 100}}, "100 文字以内で入力してください"),
    ({"type": "int_parsing"}, "整数で入力してください"),
    ({"type": "float_parsing"}, "数値で入力してください"),
    ({"type": "bool_parsing"}, "true か false で指定してください"),
    ({"type": "greater_than_equal", "ctx": {"ge": 5}}, "5 以上にしてください"),
    ({"type": "less_than_equal", "ctx": {"le": 95}}, "95 以下にしてください"),
    ({"type": "too_short", "ctx": {"field_type": "List", "min_length": 2}}, "2 件以上指定してください"),
    ({"type": "too_long", "ctx": {"field_type": "List", "max_length": 20}}, "20 件以内にしてください"),
    ({"type": "literal_error", "ctx": {"expected": "'text' or 'image'"}},
     "次のいずれかを指定してください: 'text' または 'image'"),
    ({"type": "enum", "ctx": {"expected": "'shared' or 'scenario'"}},
     "次のいずれかを指定してください: 'shared' または 'scenario'"),
    ({"type": "extra_forbidden", "msg": "Extra inputs are not permitted"}, "この項目は使えません（指定できない項目です）"),
    ({"type": "url_parsing", "ctx": {"error": "relative URL without a base"}}, "URL の形式が正しくありません"),
    ({"type": "json_invalid", "ctx": {"error": "EOF"}}, "JSON の形式が正しくありません"),
    ({"type": "model_type", "ctx": {"class_name": "X"}}, "オブジェクト（{...}）で指定してください"),
    ({"type": "list_type"}, "リスト（[...]）で指定してください"),
    ({"type": "dict_type"}, "オブジェクト（{...}）で指定してください"),
    ({"type": "string_type"}, "文字列で入力してください"),
    # Our own validators already speak Japanese: kept as written, without pydantic's "Value error, " prefix.
    ({"type": "value_error", "msg": "Value error, タグ名を入力してください"}, "タグ名を入力してください"),
    # Our own PydanticCustomError (no documentation url, Japanese), even when it reuses a pydantic type name.
    ({"type": "url_scheme", "msg": "http:// または https:// で始まる URL を入力してください"},
     "http:// または https:// で始まる URL を入力してください"),
    ({"type": "name_required", "msg": "セグメント名を入力してください"}, "セグメント名を入力してください"),
    # pydantic's own url_scheme (with its url): the table, with the schemes
    ({"type": "url_scheme", "msg": "URL scheme should be 'http' or 'https'", "url": "https://errors.pydantic.dev/",
      "ctx": {"expected_schemes": "'http' or 'https'"}}, "URL は 'http' または 'https' で始めてください"),
    # Powertools' own body errors (English, no url) still get the table
    ({"type": "json_invalid", "msg": "JSON decode error", "ctx": {"error": "Expecting value"}},
     "JSON の形式が正しくありません"),
    # A ctx without the number: the sentence without it, never a KeyError.
    ({"type": "string_too_long"}, "入力が正しくありません"),
    ({"type": "literal_error"}, "次のいずれかを指定してください"),
    # A type not in the table: a Japanese lead, pydantic's words kept in brackets so nothing is lost.
    ({"type": "some_new_type", "msg": "Something odd"}, "入力が正しくありません（Something odd）"),
])
def test_each_error_type_reads_in_japanese(error: dict[str, Any], japanese: str) -> None:
    assert pydantic_message(error) == japanese


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100)]
    share: Annotated[int, Field(ge=5, le=95)] = 50
    kind: Literal["text", "image"] = "text"
    url: HttpUrl | None = None
    ids: Annotated[list[str], Field(max_length=2)] = []


def test_real_pydantic_errors_all_have_a_japanese_sentence() -> None:
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({"share": "x", "kind": "video", "url": "nope", "ids": ["a", "b", "c"], "zz": 1})
    messages = {e["loc"][0]: pydantic_message(e) for e in info.value.errors()}
    assert messages == {
        "name": "入力してください（必須です）",
        "share": "整数で入力してください",
        "kind": "次のいずれかを指定してください: 'text' または 'image'",
        "url": "URL の形式が正しくありません",
        "ids": "2 件以内にしてください",
        "zz": "この項目は使えません（指定できない項目です）",
    }


@pytest.fixture
def api(aws: Any) -> AdminApi:
    return AdminApi()


def test_admin_api_too_long_name_is_japanese_at_the_field(api: AdminApi) -> None:
    # Powertools' body validation (RequestValidationError)
    status, body = call_admin_api(api, "POST", "/api/broadcasts", workspace="ws_ja", body={"name": "あ" * 201})
    assert status == 422
    assert (body["where"], body["message"]) == ("name", "200 文字以内で入力してください")
    # a route validating with pydantic itself (subscribers.http.validate): where stays in front, as before
    status, body = call_admin_api(api, "POST", "/api/tags", workspace="ws_ja", body={"name": "あ" * 101})
    assert status == 422
    assert body["where"] == "name"
    assert body["message"] == "name: 100 文字以内で入力してください"


def test_admin_api_missing_required_field_is_japanese_at_the_field(api: AdminApi) -> None:
    status, body = call_admin_api(api, "POST", "/api/broadcasts/id-lists", workspace="ws_ja",
                                  body={"kind": "email"})
    assert status == 422
    assert (body["where"], body["message"]) == ("text", "入力してください（必須です）")
    status, body = call_admin_api(api, "POST", "/api/tags", workspace="ws_ja", body={})
    assert status == 422
    assert (body["where"], body["message"]) == ("name", "name: 入力してください（必須です）")


def test_admin_api_extra_field_is_japanese_at_the_field(api: AdminApi) -> None:
    status, body = call_admin_api(api, "POST", "/api/broadcasts", workspace="ws_ja",
                                  body={"name": "夏のセール", "colour": "red"})
    assert status == 422
    assert (body["where"], body["message"]) == ("colour", "この項目は使えません（指定できない項目です）")
    assert body["details"] == [{"where": "colour", "message": "この項目は使えません（指定できない項目です）"}]
    status, body = call_admin_api(api, "POST", "/api/tags", workspace="ws_ja", body={"name": "VIP", "colour": "red"})
    assert status == 422
    assert (body["where"], body["message"]) == ("colour", "colour: この項目は使えません（指定できない項目です）")
