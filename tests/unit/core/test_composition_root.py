"""The one composition root (haishin.wiring): every service of every handler is built there, nothing falls back to
a no-op, and every admin route module is wired."""

from __future__ import annotations

import pkgutil
from typing import Any

import pytest

import haishin.api.routes
from haishin.api.app import ROUTE_MODULES
from haishin.wiring import Services, buildable


def test_an_override_must_name_a_collaborator_and_cannot_be_none() -> None:
    with pytest.raises(TypeError, match="not a collaborator of Services: paymnets"):
        Services(paymnets=object())
    with pytest.raises(TypeError, match="no no-op fallbacks"):
        Services(webhooks=None)


def test_a_fresh_container_builds_every_service_with_every_collaborator(aws: Any) -> None:
    root = Services()
    root.build_all()
    for name in sorted(buildable()):
        service = getattr(root, name)
        assert service is not None, name
        assert getattr(root, name) is service, f"{name} is built once per container"
        # no collaborator of a built service is left unset (the old wiring left webhooks None)
        for attribute, value in vars(service).items() if hasattr(service, "__dict__") else ():
            assert value is not None or attribute.startswith("_cache"), f"{name}.{attribute} is None"


def test_services_share_their_collaborators() -> None:
    root = Services()
    assert root.worker.subscribers is root.subscribers is root.forms.collab.subscribers
    assert root.actions.scenarios is root.scenario_service is root.line_events.triggers
    assert root.pages.optout is root.optout is root.worker.optout


def test_every_admin_route_module_is_wired() -> None:
    present = {m.name for m in pkgutil.iter_modules(haishin.api.routes.__path__)}
    wired = {m.__name__.rsplit(".", 1)[1] for m in ROUTE_MODULES}
    assert present == wired
