"""The layering contract (`make lint`): .importlinter through import-linter, and scripts/check_imports.py.

The real package passes both; each check is shown to fail on a tiny fake package built in tmp_path (a package
loop, a loop hidden in a function, a stray function-level import, an importlib look-up, a namespace directory, a
handler or a service importing PynamoDB)."""

from __future__ import annotations

import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
assert _spec is not None and _spec.loader is not None
check_imports = importlib.util.module_from_spec(_spec)
sys.modules["check_imports"] = check_imports
_spec.loader.exec_module(check_imports)


def make_package(base: Path, name: str, files: dict[str, str]) -> Path:
    package = base / name
    for relative, source in {"__init__.py": "", **files}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return package


def test_the_domain_package_passes_the_import_checks() -> None:
    assert check_imports.check(ROOT / "layers" / "haishin" / "haishin", ROOT / "functions") == []


def test_the_domain_package_keeps_the_import_linter_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "layers" / "haishin"))
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True) == 0


def test_a_transitive_package_loop_is_reported_with_its_imports(tmp_path: Path) -> None:
    package = make_package(tmp_path, "fake_loop", {
        "low/__init__.py": "", "low/core.py": "from fake_loop.mid import service\n",
        "mid/__init__.py": "", "mid/service.py": "from fake_loop.high import api\n",
        "high/__init__.py": "", "high/api.py": "from fake_loop.low import core\n",
        "clean.py": "from fake_loop.low import core\n",
    })
    problems = check_imports.check(package)
    assert len(problems) == 1
    assert problems[0].startswith("package loop fake_loop.high <-> fake_loop.low <-> fake_loop.mid:")
    assert "fake_loop.high.api:1 imports fake_loop.low.core" in problems[0]


def test_a_loop_hidden_in_a_function_is_still_a_loop_and_a_stray_lazy_import(tmp_path: Path) -> None:
    package = make_package(tmp_path, "fake_hidden", {
        "a/__init__.py": "", "a/models.py": "from fake_hidden.b import service\n",
        "b/__init__.py": "",
        "b/service.py": "def run():\n    from fake_hidden.a import models  # noqa: PLC0415\n    return models\n",
    })
    problems = check_imports.check(package)
    assert any(p.startswith("package loop fake_hidden.a <-> fake_hidden.b") for p in problems)
    assert any("fake_hidden.b.service:2 run() does a function-level import of fake_hidden.a" in p for p in problems)


def test_function_level_imports_pass_only_in_the_allow_list(tmp_path: Path) -> None:
    package = make_package(tmp_path, "fake_lazy", {
        "root.py": "def build():\n    from fake_lazy import leaf\n    return leaf\n",
        "leaf.py": "import importlib\n\ndef find():\n    return importlib.import_module('fake_lazy.root')\n",
    })
    problems = check_imports.check(package, allowed_lazy=["fake_lazy.root"])
    assert problems == ["fake_lazy.leaf:4 find() does an importlib look-up of fake_lazy.root (import it at module "
                        "level; if that makes a loop, move the shared need down a layer)"]


def test_a_directory_without_init_is_reported(tmp_path: Path) -> None:
    package = make_package(tmp_path, "fake_ns", {"hidden/mod.py": "X = 1\n"})
    assert check_imports.check(package) == [
        "fake_ns/hidden has Python files but no __init__.py (a namespace package: its imports escape the layering "
        "checks)"]


def test_a_handler_importing_pynamodb_is_reported(tmp_path: Path) -> None:
    package = make_package(tmp_path, "fake_handlers", {})
    (tmp_path / "functions" / "thing").mkdir(parents=True)
    (tmp_path / "functions" / "thing" / "app.py").write_text("from pynamodb.models import Model\n")
    problems = check_imports.check(package, tmp_path / "functions")
    assert problems == [f"{tmp_path / 'functions' / 'thing' / 'app.py'}:1 a handler imports pynamodb.models "
                        "(only repositories do)"]


def test_a_service_importing_pynamodb_breaks_the_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_package(tmp_path, "fake_svc", {
        "orders/__init__.py": "",
        "orders/repository.py": "from pynamodb.models import Model\n",
        "orders/service.py": "from fake_svc.orders import repository\n",
    })
    config = tmp_path / ".importlinter"
    config.write_text(textwrap.dedent("""\
        [importlinter]
        root_package = fake_svc
        include_external_packages = True

        [importlinter:contract:pynamodb]
        name = only repositories touch PynamoDB
        type = forbidden
        source_modules =
            fake_svc.*.service
        allow_indirect_imports = True
        forbidden_modules =
            pynamodb
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert lint_imports(config_filename=str(config), no_cache=True) == 0  # through its repository: fine
    (tmp_path / "fake_svc" / "orders" / "service.py").write_text("from pynamodb.exceptions import PutError\n")
    assert lint_imports(config_filename=str(config), no_cache=True) == 1


def test_every_module_of_the_package_has_a_place_in_the_layers() -> None:
    """A new package or top-level module must be placed in a layer (else the layers contract ignores it)."""
    config = (ROOT / ".importlinter").read_text().split("[importlinter:contract:feature-shape]")[0]
    placed = set(re.findall(r"haishin\.([a-z_]+)", config))
    package = ROOT / "layers" / "haishin" / "haishin"
    children = {p.stem for p in package.glob("*.py") if p.stem != "__init__"} | \
        {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert sorted(children - placed) == []
