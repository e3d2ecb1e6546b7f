"""Which admin screen uses each admin API operation (issue 18: "every capability has its screen").

Lists every operation (method + path) of the admin API's OpenAPI document (the one ``GET /api/openapi.json`` serves,
built in-process from ``haishin.api.app.build_app``, or read from a file with ``--openapi``) and, for each, the files
under ``admin/src`` that call it. A call is a string literal starting with ``/api/`` handed to the API client
(``api.get<T>(`/api/subscribers/${id}`)``, ``.post(...)``, ``request("PUT", "/api/...")``, ``rawRequest(api, token,
"GET", `/api/...`)``); a template literal's ``${...}`` stands for one path segment (or the rest of one), a query
string is ignored. An operation no screen calls must be listed, with a reason, in ONE exceptions file
(``admin/api-without-screen.json``): ``{"GET /api/health": {"reason": "..."}, ...}``; ``"planned": true`` marks one
whose screen is still to come (issue 18), so the remaining work can be counted.

Exit status 1 when an operation has neither a screen nor a listed reason, or when a listed exception is stale (the
operation now has a screen, or no longer exists); 0 otherwise. Usage::

    source env.sh && .venv/bin/python scripts/api_coverage.py [--openapi FILE] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_SRC = ROOT / "admin" / "src"
EXCEPTIONS_FILE = ROOT / "admin" / "api-without-screen.json"
PLANNED_REASON = "画面は issue 18 で追加予定 / screen planned in issue 18"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_EXPR = "\x00"  # stands for a ${...} part of a template literal
_LITERAL_START = re.compile(r"([\"'`])/api/")
_CLIENT_METHOD = re.compile(r"\.(get|post|put|patch|delete)\s*$")
_METHOD_ARGUMENT = re.compile(r"[\"'`](GET|POST|PUT|PATCH|DELETE)[\"'`]\s*,\s*$")
# the shared screen parts read with GET (admin/src/components/ResourceScreen.tsx): useApiGet/useApiList/useApiPages
# take the path first; <Loaded path={...}> loads one item (the condition before a ``?`` may come first), as does a
# settings card <SettingsCard path={...}> (admin/src/screens/settings/ui.tsx)
_GET_HOOK = re.compile(r"\buseApi(?:Get|List|Pages)$")
_LOADED_PATH = re.compile(r"<(?:Loaded|SettingsCard)\b(?:<[^<>]*>)?[^<>]*?\bpath=\{[^{}]*$")


@dataclass(frozen=True)
class Call:
    method: str | None  # None: a /api/ literal whose HTTP method could not be read (reported, never matched)
    path: str  # with _EXPR for each ${...}; query string cut off
    file: str  # relative to admin/src
    line: int


@dataclass
class Report:
    operations: list[str]
    screens: dict[str, list[str]]
    exceptions: dict[str, dict[str, Any]]
    missing: list[str] = field(default_factory=list)  # no screen, no reason
    stale: list[tuple[str, str]] = field(default_factory=list)  # (operation, why)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (entry, why)
    unresolved: list[Call] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.invalid)

    @property
    def planned(self) -> list[str]:
        return [op for op, entry in self.exceptions.items() if entry.get("planned") and op in self.operations]


# ---------------------------------------------------------------------------------------------------- operations
def openapi_operations(document: Mapping[str, Any]) -> list[str]:
    """``"METHOD /path"`` for every operation of an OpenAPI document, sorted by path then method."""
    out: list[str] = []
    for path, item in (document.get("paths") or {}).items():
        for method in item:
            if method.upper() in METHODS:
                out.append(f"{method.upper()} {path}")
    return sorted(out, key=lambda op: (op.split(" ", 1)[1], METHODS.index(op.split(" ", 1)[0])))


def served_openapi() -> dict[str, Any]:
    """The document ``GET /api/openapi.json`` answers (built the same way, in-process)."""
    from haishin.api.app import build_app  # noqa: PLC0415 (needs PYTHONPATH from env.sh; only when run)

    return json.loads(build_app().get_openapi_json_schema(title="Haishin admin API", version="1"))


# ---------------------------------------------------------------------------------------------------- calls
def _read_literal(text: str, start: int) -> tuple[str, int]:
    """The string literal opening at ``text[start]`` as a path (``${...}`` -> _EXPR) and the index after it."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            out.append(text[i + 1: i + 2])
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        if quote == "`" and text.startswith("${", i):
            i = _skip_expression(text, i + 2)
            out.append(_EXPR)
            continue
        if quote != "`" and ch == "\n":
            break
        out.append(ch)
        i += 1
    return "".join(out), i


def _skip_expression(text: str, i: int) -> int:
    """Index after the ``}`` closing a ``${`` expression that starts at ``i`` (nested braces and strings skipped)."""
    depth = 1
    while i < len(text) and depth:
        ch = text[i]
        if ch in "\"'`":
            _, i = _read_literal(text, i)
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        i += 1
    return i


def _method_before(text: str, start: int) -> str | None:
    """The HTTP method of the call whose first path argument starts at ``start``."""
    before = text[max(0, start - 400): start]
    named = _METHOD_ARGUMENT.search(before)
    if named:
        return named.group(1)
    if _LOADED_PATH.search(before):
        return "GET"
    rest = before.rstrip()
    if not rest.endswith("("):
        return None
    rest = rest[:-1].rstrip()
    if rest.endswith(">") and not rest.endswith("=>"):  # a type argument: api.get<{ items: X[] }>(...)
        depth, i = 0, len(rest) - 1
        while i >= 0:
            if rest[i] == ">" and (i == 0 or rest[i - 1] != "="):
                depth += 1
            elif rest[i] == "<":
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        rest = rest[:i].rstrip()
    client = _CLIENT_METHOD.search(rest)
    if client:
        return client.group(1).upper()
    return "GET" if _GET_HOOK.search(rest) else None


def find_calls(sources: Mapping[str, str]) -> list[Call]:
    """Every ``/api/`` path handed to the API client in ``sources`` (file name -> text)."""
    calls: list[Call] = []
    for name, text in sorted(sources.items()):
        for match in _LITERAL_START.finditer(text):
            path, _ = _read_literal(text, match.start())
            path = re.split(r"[?#]", path, maxsplit=1)[0]
            calls.append(Call(_method_before(text, match.start()), path, name,
                              text.count("\n", 0, match.start()) + 1))
    return calls


def admin_sources(src: Path = ADMIN_SRC) -> dict[str, str]:
    """The admin's TypeScript, without tests."""
    out: dict[str, str] = {}
    for path in sorted([*src.rglob("*.ts"), *src.rglob("*.tsx")]):
        if ".test." in path.name or "node_modules" in path.parts:
            continue
        out[path.relative_to(src).as_posix()] = path.read_text(encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------------- matching
def _segment_score(call: str, template: str) -> int | None:
    """How well one path segment of a call fits one of an operation (None: it cannot be that segment): 3 the same
    text; 2 an expression for a parameter; 1 a literal for a parameter (an ID written out) or an expression that
    could spell the literal. Higher wins, as the router prefers a static route and a screen passes IDs as ``${}``."""
    if call == template:
        return 3
    if not call:
        return None
    if template.startswith("{") and template.endswith("}"):
        return 2 if _EXPR in call else 1
    if _EXPR not in call:
        return None
    pattern = "".join("[^/]*" if part == _EXPR else re.escape(part) for part in re.split(f"({_EXPR})", call))
    return 1 if re.fullmatch(pattern, template) else None


def operations_for(call: Call, operations: Iterable[str]) -> list[str]:
    """The operation(s) a call reaches: same method, same number of segments, best fit (a literal segment beats a
    parameter, as the router prefers a static route)."""
    if call.method is None:
        return []
    best: list[str] = []
    best_score = -1
    parts = call.path.rstrip("/").split("/")
    for op in operations:
        method, path = op.split(" ", 1)
        template = path.rstrip("/").split("/")
        if method != call.method or len(template) != len(parts):
            continue
        scores = [_segment_score(c, t) for c, t in zip(parts, template, strict=True)]
        if any(s is None for s in scores):
            continue
        score = sum(s for s in scores if s is not None)
        if score > best_score:
            best, best_score = [op], score
        elif score == best_score:
            best.append(op)
    return best


def check(operations: list[str], calls: list[Call], exceptions: Mapping[str, Any]) -> Report:
    screens: dict[str, list[str]] = {op: [] for op in operations}
    unresolved: list[Call] = []
    for call in calls:
        reached = operations_for(call, operations)
        if not reached:
            unresolved.append(call)
        for op in reached:
            if call.file not in screens[op]:
                screens[op].append(call.file)
    report = Report(operations, screens, {}, unresolved=unresolved)
    for op, entry in exceptions.items():
        if op.startswith("_"):  # "_comment" and the like
            continue
        if not isinstance(entry, dict) or not str(entry.get("reason") or "").strip():
            report.invalid.append((op, 'each exception is {"reason": "...", "planned": true|false}'))
            continue
        report.exceptions[op] = entry
        if op not in screens:
            report.stale.append((op, "no such operation in the OpenAPI document any more"))
        elif screens[op]:
            report.stale.append((op, "now called by " + ", ".join(screens[op])))
    report.missing = [op for op in operations if not screens[op] and op not in report.exceptions]
    return report


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: expected a JSON object of 'METHOD /path': {{reason, planned}}")
    return data


# ---------------------------------------------------------------------------------------------------- output
def render(report: Report, *, quiet: bool = False) -> str:
    lines: list[str] = []
    if not quiet:
        width = max((len(op) for op in report.operations), default=10)
        lines.append(f"{'operation':<{width}}  screen(s) / reason")
        for op in report.operations:
            if report.screens[op]:
                used = ", ".join(report.screens[op])
            elif op in report.exceptions:
                entry = report.exceptions[op]
                used = ("[planned] " if entry.get("planned") else "[no screen] ") + str(entry["reason"])
            else:
                used = "!! NO SCREEN AND NO REASON"
            lines.append(f"{op:<{width}}  {used}")
        lines.append("")
    with_screen = sum(1 for op in report.operations if report.screens[op])
    excepted = sum(1 for op in report.operations if not report.screens[op] and op in report.exceptions)
    lines.append(f"operations: {len(report.operations)}; with a screen: {with_screen}; "
                 f"without a screen, with a reason: {excepted} (of which planned in issue 18: "
                 f"{len(report.planned)}); missing: {len(report.missing)}")
    for op in report.missing:
        lines.append(f"MISSING {op}: no admin screen calls it; add the screen, or list it with a reason in "
                     f"{EXCEPTIONS_FILE.relative_to(ROOT)}")
    for op, why in report.stale:
        lines.append(f"STALE exception {op}: {why}; remove it from {EXCEPTIONS_FILE.relative_to(ROOT)}")
    for op, why in report.invalid:
        lines.append(f"INVALID exception {op}: {why}")
    for call in report.unresolved:
        lines.append(f"note: {call.file}:{call.line} {call.method or '?'} {call.path.replace(_EXPR, '${…}')} "
                     "matches no operation (or its method could not be read)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", type=Path, help="read the OpenAPI document from this file")
    parser.add_argument("--quiet", action="store_true", help="only the figures and the problems")
    args = parser.parse_args(argv)
    document = json.loads(args.openapi.read_text(encoding="utf-8")) if args.openapi else served_openapi()
    report = check(openapi_operations(document), find_calls(admin_sources()), load_exceptions())
    print(render(report, quiet=args.quiet))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
