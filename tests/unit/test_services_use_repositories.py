"""Only repositories touch PynamoDB: the forms, links and payments services reach DynamoDB through their package's
repository (``forms/repository.py``, ``links/repository.py``, ``payments/repository.py``), and the PynamoDB
contract in ``.importlinter`` no longer exempts them (its ``ignore_imports`` list only shrinks)."""

from __future__ import annotations

import configparser
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["haishin.forms.service", "haishin.links.service", "haishin.payments.service", "haishin.broadcasts.service",
            "haishin.broadcasts.planner", "haishin.broadcasts.send", "haishin.scenarios.service", "haishin.scenarios.tick"]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("haishin", include_external_packages=True, cache_dir=None)


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_imports_no_pynamodb(graph: grimp.ImportGraph, service: str) -> None:
    direct = sorted(m for m in graph.find_modules_directly_imported_by(service) if m.split(".")[0] == "pynamodb")
    assert direct == [], f"{service} imports {direct}: move the DynamoDB work into its repository"
    assert f"{service.rsplit('.', 1)[0]}.repository" in graph.find_modules_directly_imported_by(service)


@pytest.mark.parametrize("service", SERVICES)
def test_the_pynamodb_contract_does_not_exempt_the_service(service: str) -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    exemptions = config["importlinter:contract:pynamodb"].get("ignore_imports", "")  # none left: the key is gone
    ignored = [line.split("->")[0].strip() for line in exemptions.splitlines()
               if "->" in line and not line.strip().startswith("#")]
    assert service not in ignored
