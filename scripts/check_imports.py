"""The import checks `lint-imports` (.importlinter) cannot express; run by `make lint`, tested in
tests/unit/test_layering.py. Exit status 1 with one line per problem; docs/production/layers.md explains the rules.

1. No package loops: no two sub-packages of the domain package (``haishin.<x>``) import each other, directly or
   through others. grimp (import-linter's graph) sees function-level imports too, so a loop cannot hide in a
   function. Each loop is named with one import per edge.
2. No function-level imports of our own modules, except the few in ``ALLOWED_LAZY`` (each with its reason). A lazy
   import that dodges a loop hides a design problem; a shared need moves down a layer instead. A heavy third-party
   SDK that must stay off a cold start is imported lazily inside the one leaf module that wraps it.
3. No ``importlib.import_module("haishin...")`` look-ups of our own modules by name.
4. Every directory of the package with Python files has an ``__init__.py`` (a namespace package is invisible to
   grimp, so its imports would escape every check).
5. Handlers (``functions/*/app.py``) stay thin: they never import PynamoDB.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]

# module -> why it may import our modules inside a function. Keep this tiny; every entry is a reason, not a habit.
ALLOWED_LAZY: dict[str, str] = {
    # The composition root builds services on first use, so a handler pays only for the ones it runs.
    "haishin.wiring": "composition root",
    # jinja2 is the heaviest import of the render path: it loads with the sandbox on the first template compiled,
    # in this one leaf module, so every caller imports haishin.render at module level.
    "haishin.render": "Renderer.sandbox: jinja2 on first compile",
}


@dataclass(frozen=True)
class LazyImport:
    module: str
    function: str
    target: str
    line: int


def package_of(module: str, root: str) -> str:
    """``haishin.scenarios.tick`` -> ``haishin.scenarios``; a top-level module is its own unit."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == root and len(parts) > 1 else module


def package_graph(graph: grimp.ImportGraph, root: str) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if not module.startswith(root + "."):
            continue
        source = package_of(module, root)
        edges.setdefault(source, set())
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith(root + "."):
                target = package_of(imported, root)
                if target != source:
                    edges[source].add(target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of two or more packages, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    nodes = sorted(set(edges) | {t for targets in edges.values() for t in targets})
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _example_import(graph: grimp.ImportGraph, source: str, target: str) -> str:
    for module in sorted(m for m in graph.modules if m == source or m.startswith(source + ".")):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported == target or imported.startswith(target + "."):
                details = graph.get_import_details(importer=module, imported=imported)
                line = f":{details[0]['line_number']}" if details else ""
                return f"{module}{line} imports {imported}"
    return f"{source} imports {target}"


def package_loops(package_dir: Path, root: str) -> list[str]:
    """One message per loop, naming the packages and one import on each edge inside the loop."""
    sys.path.insert(0, str(package_dir.parent))
    try:
        graph = grimp.build_graph(root, cache_dir=None)
    finally:
        sys.path.remove(str(package_dir.parent))
    edges = package_graph(graph, root)
    problems = []
    for component in strongly_connected(edges):
        members = set(component)
        imports = [_example_import(graph, s, t) for s in component for t in sorted(edges.get(s, ())) if t in members]
        problems.append(f"package loop {' <-> '.join(component)}: " + "; ".join(imports))
    return problems


def _module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def lazy_imports(package_dir: Path, root: str) -> list[LazyImport]:
    """Imports of ``root`` modules inside functions (any depth), and ``importlib.import_module("<root>...")``."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        module = _module_name(path, package_dir)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                targets: list[str] = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    targets = [_resolve(node, module, path.name == "__init__.py")]
                elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    targets = [f"importlib:{node.args[0].value}"]
                for target in targets:
                    name = target.removeprefix("importlib:")
                    if name == root or name.startswith(root + "."):
                        found.append(LazyImport(module, function.name, target, node.lineno))
    return sorted(set(found), key=lambda i: (i.module, i.line, i.target))


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or \
        (isinstance(func, ast.Name) and func.id == "import_module")


def missing_inits(package_dir: Path) -> list[str]:
    problems = []
    for directory in sorted({p.parent for p in package_dir.rglob("*.py")}):
        if not (directory / "__init__.py").exists():
            problems.append(f"{directory.relative_to(package_dir.parent)} has Python files but no __init__.py "
                            "(a namespace package: its imports escape the layering checks)")
    return problems


def handler_problems(functions_dir: Path) -> list[str]:
    problems = []
    for path in sorted(functions_dir.glob("*/app.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                if name == "pynamodb" or name.startswith("pynamodb."):
                    problems.append(f"{path}:{node.lineno} a handler imports {name} (only repositories do)")
    return problems


def check(package_dir: Path, functions_dir: Path | None = None, *,
          allowed_lazy: Iterable[str] = ALLOWED_LAZY) -> list[str]:
    root = package_dir.name
    allowed = set(allowed_lazy)
    problems = missing_inits(package_dir)
    problems += package_loops(package_dir, root)
    for item in lazy_imports(package_dir, root):
        if item.module in allowed:
            continue
        how = "an importlib look-up of" if item.target.startswith("importlib:") else "a function-level import of"
        problems.append(f"{item.module}:{item.line} {item.function}() does {how} "
                        f"{item.target.removeprefix('importlib:')} (import it at module level; if that makes a "
                        "loop, move the shared need down a layer)")
    if functions_dir is not None:
        problems += handler_problems(functions_dir)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=ROOT / "layers" / "haishin" / "haishin")
    parser.add_argument("--functions", type=Path, default=ROOT / "functions")
    args = parser.parse_args(argv)
    problems = check(args.package, args.functions)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_imports: {len(problems)} problem(s)")
        return 1
    print("check_imports: no package loops, no function-level imports of our modules outside the allow-list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
