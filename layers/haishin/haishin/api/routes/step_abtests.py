"""A/B tests on scenario steps: the results of a step's test and "adopt the winner" (docs/production/stepab.md).

- ``GET /api/scenarios/{id}/steps/{step_id}/abtest``: per variant recipients (unique friends sent the variant),
  unique clicks, click rate and probability of being best, and the verdict in plain Japanese.
- ``POST /api/scenarios/{id}/steps/{step_id}/abtest/adopt`` ``{"variant": "B", "version": n}``: the step's
  content becomes that variant's and the test ends (a new scenario version).

No `from __future__ import annotations` in route modules: Powertools reads the annotations at runtime.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.wiring import services

router = APIGatewayHttpRouter()


class AdoptBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    variant: str = Field(min_length=1, max_length=1, description="the winning variant's label: A, B, C or D")
    version: int | None = Field(default=None, description="the scenario version the operator saw (optional)")


@router.get("/scenarios/<scenario_id>/steps/<step_id>/abtest")
@requires(Permission.VIEW_SCENARIOS)
def step_abtest_results(scenario_id: str, step_id: str) -> dict[str, Any]:
    """A scenario step's A/B test: recipients, clicks and click rate per variant, and the verdict."""
    return services().step_abtests.results(current_caller().workspace_id, scenario_id, step_id)


@router.post("/scenarios/<scenario_id>/steps/<step_id>/abtest/adopt")
@requires(Permission.EDIT_SCENARIOS)
def adopt_step_winner(scenario_id: str, step_id: str, body: Annotated[AdoptBody, Body()]) -> dict[str, Any]:
    """The step becomes the chosen variant's content; the test ends."""
    caller = current_caller()
    saved = services().step_abtests.adopt(caller.workspace_id, scenario_id, step_id, body.variant,
                                          actor=caller.operator_id, expected_version=body.version)
    return saved.model_dump(mode="json", by_alias=True)
