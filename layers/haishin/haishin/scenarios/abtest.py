"""A/B tests on scenario steps (docs/production/stepab.md): which variant a friend receives, the recipients per
variant, the results and "adopt the winner".

- Assignment: ``haishin.abtests.assign.variant_index(ab_test_id(scenario, step), friend, weights)``, the same
  deterministic hash as broadcasts. A pure function of the friend, so every path that sends the step (the tick's
  delivery, the instant first step on a reply token, a retry, a redelivered message) sends the same variant with the
  same delivery ID, ledger row and LINE retry key.
- Recipients: counted once per friend and step when a delivery of the step is recorded as sent
  (``StepAbRepository.count_recipient``: a conditional marker and an atomic ADD in one transaction).
- Clicks: the step's tracked URLs carry the variant (``s~<scenario>~<step>~<variant>``); ``haishin.track`` counts
  unique friends per step variant.
- Results and verdict: ``haishin.abtests.stats``, the same code as broadcasts.
"""

from __future__ import annotations

from typing import Any

from haishin import clock
from haishin.abtests.assign import variant_index, variant_label
from haishin.abtests.stats import Arm, verdict
from haishin.errors import NotFound, ValidationFailed
from haishin.scenarios.ab_repository import StepAbRepository
from haishin.scenarios.models import Scenario, Step
from haishin.scenarios.repository import ScenarioRepository


def ab_test_id(scenario_id: str, step_id: str) -> str:
    """The A/B test's ID in the assignment hash: one test per scenario step."""
    return f"scenario:{scenario_id}:step:{step_id}"


def variant_of(scenario_id: str, step: Step, subscriber_id: str) -> int | None:
    """The variant index (0 = A) ``subscriber_id`` receives at ``step``; None when the step is no A/B test."""
    if not step.variants:
        return None
    return variant_index(ab_test_id(scenario_id, step.id), subscriber_id, [v.weight for v in step.variants])


def click_sub(step_id: str, variant: int) -> str:
    """The click counter (``haishin.track``, scope ``scenario#<id>``) of one step variant."""
    return f"step#{step_id}#variant#{variant}"


class StepAbTests:
    def __init__(self, *, scenarios: ScenarioRepository, repository: StepAbRepository, track: Any) -> None:
        self.scenarios = scenarios
        self.repository = repository
        self.track = track  # haishin.track.service.TrackService: unique clicks per step variant

    def count(self, workspace_id: str, scenario_id: str, step_id: str, variant: int, subscriber_id: str) -> bool:
        """A delivery of the step was recorded as sent to ``subscriber_id``: count them once for ``variant``."""
        return self.repository.count_recipient(workspace_id, scenario_id, step_id, variant, subscriber_id,
                                               clock.now())

    @staticmethod
    def _step(scenario: Scenario, step_id: str) -> Step:
        step = next((s for s in scenario.steps if s.id == step_id), None)
        if step is None:
            raise NotFound(f"このステップはシナリオにありません: {step_id}", where="step_id")
        return step

    def results(self, workspace_id: str, scenario_id: str, step_id: str) -> dict[str, Any]:
        """Per variant: recipients, unique clicks, click rate, probability of being best; and the verdict."""
        scenario = self.scenarios.require(workspace_id, scenario_id)
        step = self._step(scenario, step_id)
        recipients = self.repository.recipients(workspace_id, scenario_id, step_id)
        weights = [v.weight for v in step.variants or []]
        count = max([len(weights), *(i + 1 for i in recipients)])
        if count < 2:
            raise ValidationFailed("このステップはA/Bテストではありません", where="variants")
        counts = self.track.counts(workspace_id, f"scenario#{scenario_id}")
        arms, totals = [], []
        for index in range(count):
            total, unique = counts.get(click_sub(step_id, index), (0, 0))
            sent = recipients.get(index, 0)
            arms.append(Arm(sent, min(unique, sent)))
            totals.append(total)
        result = verdict(arms[:4], "click_rate")
        weight_sum = sum(weights) or 1
        return {
            "scenario_id": scenario_id, "step_id": step_id, "version": scenario.version, "metric": "click_rate",
            "active": bool(step.variants),  # False after a winner was adopted (the numbers stay as they were)
            "variants": [{
                "label": variant_label(i), "weight": weights[i] if i < len(weights) else None,
                "share": weights[i] / weight_sum if i < len(weights) else None,
                "recipients": arms[i].recipients, "clicks": arms[i].successes, "total_clicks": totals[i],
                "click_rate": arms[i].rate, "probability_best": result.probabilities.get(variant_label(i)),
            } for i in range(count)],
            "verdict": {"ready": result.ready, "message": result.message, "leader": result.leader,
                        "z": result.z, "p_value": result.p_value, "significant": result.significant},
        }

    def adopt(self, workspace_id: str, scenario_id: str, step_id: str, label: Any, *, actor: str | None,
              expected_version: int | None = None) -> Scenario:
        """"Adopt the winner": the step's content becomes variant ``label``'s and the test ends (a new scenario
        version; friends already past the step keep what they received, the counts stay for the record)."""
        scenario = self.scenarios.require(workspace_id, scenario_id)
        step = self._step(scenario, step_id)
        if not step.variants:
            raise ValidationFailed("このステップはA/Bテストではありません", where="variants")
        labels = [variant_label(i) for i in range(len(step.variants))]
        if label not in labels:
            raise ValidationFailed(f"採用するパターンは {'・'.join(labels)} のどれかです", where="variant")
        content = step.variants[labels.index(label)].content
        steps = [s.model_copy(update={"line": content.line, "email": content.email, "sms": content.sms,
                                      "variants": None}) if s.id == step_id else s for s in scenario.steps]
        return self.scenarios.save(workspace_id, scenario.model_copy(update={"steps": steps}),
                                   expected_version=expected_version, actor=actor)


__all__ = ["StepAbTests", "ab_test_id", "click_sub", "variant_of"]
