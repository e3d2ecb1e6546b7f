"""scripts/api_coverage.py: every admin API operation has a screen or a listed reason (issue 18), and its matcher."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "scripts" / "api_coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_coverage"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cov = _load()

SCREEN = """
export function Screen({ api }: Props) {
  const load = () => api.get<{ items: { id: string }[] }>(`/api/things/${id}`, { query: { limit: 5 } });
  const save = id ? api.put<Thing>(`/api/things/${id}`, body) : api.post<Thing>("/api/things", body);
  api
    .delete(`/api/things/${encodeURIComponent(thing.id)}`);
  rawRequest(api, token, "GET", `/api/things/${id}/export?format=${fmt === "csv" ? "csv" : "json"}`);
  api.post(`/api/things/search`, {});
}
"""
OPERATIONS = ["GET /api/things/{thing_id}", "PUT /api/things/{thing_id}", "POST /api/things",
              "DELETE /api/things/{thing_id}", "GET /api/things/{thing_id}/export", "POST /api/things/search",
              "POST /api/things/{thing_id}"]


def test_the_repository_passes_and_counts_the_planned_screens(capsys: pytest.CaptureFixture[str]) -> None:
    """Every operation of the served OpenAPI document has an admin screen or a reason in the one exceptions file,
    and no exception is stale. Planned screens (issue 18) are counted in the output."""
    assert cov.main(["--quiet"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    exceptions = json.loads(cov.EXCEPTIONS_FILE.read_text(encoding="utf-8"))
    planned = sum(1 for op, e in exceptions.items() if not op.startswith("_") and e.get("planned"))
    assert f"of which planned in issue 18: {planned})" in out and "missing: 0" in out
    for op, entry in exceptions.items():
        if not op.startswith("_") and entry.get("planned"):
            assert entry["reason"] == cov.PLANNED_REASON, op


def test_calls_are_read_with_their_method_and_template_paths() -> None:
    calls = cov.find_calls({"screens/Thing.tsx": SCREEN})
    found = sorted((c.method, c.path.replace(cov._EXPR, "*")) for c in calls)
    assert found == [("DELETE", "/api/things/*"), ("GET", "/api/things/*"), ("GET", "/api/things/*/export"),
                     ("POST", "/api/things"), ("POST", "/api/things/search"), ("PUT", "/api/things/*")]
    report = cov.check(OPERATIONS, calls, {"POST /api/things/{thing_id}": {"reason": "used by integrations only"}})
    assert report.ok and not report.unresolved
    assert report.screens["POST /api/things/search"] == ["screens/Thing.tsx"]  # the static route, not {thing_id}
    assert report.screens["POST /api/things/{thing_id}"] == []


def test_an_operation_without_screen_or_reason_fails() -> None:
    calls = cov.find_calls({"screens/Thing.tsx": 'api.get("/api/things/1");'})
    report = cov.check(["GET /api/things/{thing_id}", "DELETE /api/things/{thing_id}"], calls, {})
    assert not report.ok and report.missing == ["DELETE /api/things/{thing_id}"]
    assert "MISSING DELETE /api/things/{thing_id}" in cov.render(report)


@pytest.mark.parametrize(("exceptions", "why"), [
    ({"GET /api/things/{thing_id}": {"reason": "x"}}, "now called by screens/Thing.tsx"),
    ({"GET /api/gone": {"reason": "x", "planned": True}}, "no such operation"),
])
def test_a_stale_exception_fails(exceptions: dict[str, Any], why: str) -> None:
    calls = cov.find_calls({"screens/Thing.tsx": "api.get(`/api/things/${id}`);"})
    report = cov.check(["GET /api/things/{thing_id}"], calls, exceptions)
    assert not report.ok and len(report.stale) == 1 and why in report.stale[0][1]
    assert "STALE exception" in cov.render(report)


def test_an_exception_needs_a_reason_and_planned_ones_are_counted() -> None:
    report = cov.check(["GET /api/a", "GET /api/b"], [], {"GET /api/a": {"planned": True}, "GET /api/b": {
        "reason": cov.PLANNED_REASON, "planned": True}, "_comment": "ignored"})
    assert not report.ok and report.invalid[0][0] == "GET /api/a" and report.planned == ["GET /api/b"]


def test_a_path_the_method_of_which_cannot_be_read_is_reported_not_matched() -> None:
    calls = cov.find_calls({"lib/x.ts": 'const url = "/api/things";'})
    report = cov.check(["GET /api/things"], calls, {})
    assert report.missing == ["GET /api/things"] and report.unresolved[0].method is None
    assert "lib/x.ts:1" in cov.render(report)


def test_the_shared_screen_parts_read_with_get() -> None:
    """useApiList/useApiGet/useApiPages and <Loaded path={...}> (admin/src/components/ResourceScreen.tsx) are GETs."""
    source = """
      const list = useApiList<Thing>("/api/things", (b: { things: Thing[] }) => b.things);
      const one = useApiGet<Thing>(`/api/things/${id}`);
      const pages = useApiPages<Thing>(`/api/things/${id}/export`, { limit: 50 });
      return <Loaded<Thing> path={id ? `/api/things/${id}` : null}>{(x) => <Editor initial={x} />}</Loaded>;
    """
    found = sorted((c.method, c.path.replace(cov._EXPR, "*")) for c in cov.find_calls({"screens/T.tsx": source}))
    assert found == [("GET", "/api/things"), ("GET", "/api/things/*"), ("GET", "/api/things/*"),
                     ("GET", "/api/things/*/export")]


SHELL_SCREEN = """
function Editor({ id }: { id: string | null }) {
  const all = useApiGet<TagsBody>("/api/tags?counts=0");
  const list = useApiList<Field>("/api/fields", (b: { fields: Field[] }) => b.fields);
  const pages = useApiPages(`/api/forms/${id}/answers`, { limit: 50 });
  return <Loaded<Usage> path={id ? `/api/tags/${id}/usage` : null}>{(u) => <Form u={u} />}</Loaded>;
}
const label = "/api/not-a-call";
"""


def test_the_shared_shells_readers_are_gets() -> None:
    """useApiGet / useApiList / useApiPages and <Loaded path={…}> read their path with GET (the shell's parts), so a
    screen built on them counts; a bare string is still no call."""
    found = sorted((c.method or "-", c.path.replace(cov._EXPR, "*"))
                   for c in cov.find_calls({"screens/X.tsx": SHELL_SCREEN}))
    assert found == [("-", "/api/not-a-call"), ("GET", "/api/fields"), ("GET", "/api/forms/*/answers"),
                     ("GET", "/api/tags"), ("GET", "/api/tags/*/usage")]


def test_the_shared_screen_parts_count_as_gets() -> None:
    source = """
const list = useApiList<Thing>("/api/things", (b: { things: Thing[] }) => b.things);
const pages = useApiPages(`/api/things/${id}/answers`, { limit: 50 });
return <Loaded<Thing> key={id} path={id ? `/api/things/${id}` : null}>{(x) => <Form x={x} />}</Loaded>;
"""
    calls = cov.find_calls({"screens/Thing.tsx": source})
    assert sorted((c.method, c.path.replace(cov._EXPR, "*")) for c in calls) == [
        ("GET", "/api/things"), ("GET", "/api/things/*"), ("GET", "/api/things/*/answers")]
