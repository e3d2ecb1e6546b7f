"""The A/B statistics against known values.

Published two-proportion z-test examples (pooled standard error, two-sided p-value):
- homeworksource.com problem 1008622 ("Find the test statistic z ..."): x1 = 140 of n1 = 200, x2 = 255 of
  n2 = 340: pooled p = 0.7314815, SE = 0.03949401, z = -1.266015, one-sided p = 0.1030278 (read from a t
  distribution with 538 d.f.; the normal tail at that z is 0.1027539).
- homeworksource.com problem 997366: x1 = 28 of 254, x2 = 36 of 301: z = -0.344, two-sided p = 0.7307.
- David M. Lane, HyperStat Online, "Differences between two proportions" (davidmlane.com/hyperstat/B75278.html),
  the early childhood intervention example: z = 0.344 / 0.0713 = 4.69, p < 0.0001.

Bayesian probability of being best, checked against Evan Miller's exact closed form for two Beta posteriors
("Formulas for Bayesian A/B Testing", evanmiller.org/bayesian-ab-testing.html, 2015):
    P(p_B > p_A) = sum_{i=0}^{alpha_B - 1} B(alpha_A + i, beta_A + beta_B)
                   / ((beta_B + i) * B(1 + i, beta_B) * B(alpha_A, beta_A))
(exact for integer alpha_B; computed here in log space with math.lgamma), and against symmetry (k identical arms:
1/k each).
"""

from __future__ import annotations

import math

import pytest

from haishin.abtests.stats import Arm, minimum_sample, normal_cdf, percent, prob_best, two_proportion_z, verdict


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def miller_b_beats_a(a: Arm, b: Arm) -> float:
    """Evan Miller's exact P(p_B > p_A) with Beta(1 + s, 1 + f) posteriors."""
    alpha_a, beta_a = 1 + a.successes, 1 + a.recipients - a.successes
    alpha_b, beta_b = 1 + b.successes, 1 + b.recipients - b.successes
    total = 0.0
    for i in range(alpha_b):
        total += math.exp(_log_beta(alpha_a + i, beta_a + beta_b) - math.log(beta_b + i)
                          - _log_beta(1 + i, beta_b) - _log_beta(alpha_a, beta_a))
    return total


def test_normal_cdf_known_values() -> None:
    assert normal_cdf(0.0) == pytest.approx(0.5)
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-12)
    assert normal_cdf(-1.0) == pytest.approx(0.15865525393145707, abs=1e-12)


def test_z_test_published_example_140_of_200_vs_255_of_340() -> None:
    result = two_proportion_z(Arm(340, 255), Arm(200, 140))  # z = (p1 - p2) / SE with p1 = 140/200
    assert result.z == pytest.approx(-1.266015, abs=1e-6)
    # the source reads its one-sided p from a t distribution with 538 d.f.; the normal CDF (our test) is within 5e-4
    assert result.p_value / 2 == pytest.approx(0.1030278, abs=5e-4)
    assert result.p_value / 2 == pytest.approx(0.1027539, abs=1e-6)


def test_z_test_published_example_28_of_254_vs_36_of_301() -> None:
    result = two_proportion_z(Arm(301, 36), Arm(254, 28))
    assert result.z == pytest.approx(-0.344, abs=5e-4)
    assert result.p_value == pytest.approx(0.7307, abs=5e-4)


def test_z_test_direction_and_degenerate_pool() -> None:
    assert two_proportion_z(Arm(1000, 100), Arm(1000, 150)).z > 0  # B higher: positive
    assert two_proportion_z(Arm(100, 0), Arm(100, 0)).p_value == 1.0  # no variance: no evidence
    assert two_proportion_z(Arm(0, 0), Arm(100, 5)).p_value == 1.0


@pytest.mark.parametrize(("a", "b"), [
    (Arm(1000, 100), Arm(1000, 120)),
    (Arm(200, 10), Arm(180, 19)),
    (Arm(100, 5), Arm(100, 5)),
    (Arm(5000, 260), Arm(5000, 240)),
    (Arm(120, 7), Arm(130, 30)),
])
def test_prob_best_matches_evan_millers_closed_form(a: Arm, b: Arm) -> None:
    expected = miller_b_beats_a(a, b)
    assert prob_best([a, b])[1] == pytest.approx(expected, abs=1e-4)


def test_prob_best_identical_arms_share_equally() -> None:
    for k in (2, 3, 4):
        probabilities = prob_best([Arm(500, 40)] * k)
        assert probabilities == pytest.approx([1 / k] * k, abs=1e-6)


def test_prob_best_three_arms_is_consistent_with_pairs() -> None:
    """With C far below A and B, the three-arm answer for B equals the two-arm P(B > A)."""
    a, b, c = Arm(1000, 100), Arm(1000, 115), Arm(1000, 20)
    three = prob_best([a, b, c])
    assert three[2] < 1e-6
    assert three[1] == pytest.approx(miller_b_beats_a(a, b), abs=1e-4)
    assert sum(three) == pytest.approx(1.0)


def test_prob_best_refuses_one_or_five_arms() -> None:
    with pytest.raises(ValueError):
        prob_best([Arm(10, 1)])
    with pytest.raises(ValueError):
        prob_best([Arm(10, 1)] * 5)


def test_minimum_sample_per_arm() -> None:
    assert not minimum_sample([Arm(99, 50), Arm(500, 50)])  # A below 100 recipients
    assert not minimum_sample([Arm(500, 4), Arm(500, 50)])  # A below 5 successes
    assert minimum_sample([Arm(100, 5), Arm(100, 5)])


def test_verdict_before_minimum_sample_says_so_in_japanese() -> None:
    result = verdict([Arm(50, 10), Arm(50, 20)])
    assert not result.ready
    assert result.message == "まだ判定できません（各パターン最低100通・成果5件が必要です）"
    assert result.probabilities == {}


def test_verdict_two_arms_plain_japanese() -> None:
    a, b = Arm(1000, 100), Arm(1000, 130)
    result = verdict([a, b])
    share = percent(miller_b_beats_a(a, b))
    assert result.ready and result.leader == "B"
    assert share == 98
    assert result.message == "B の方がクリック率が高い可能性 98%"
    assert result.significant and result.p_value is not None and result.p_value < 0.05


def test_verdict_when_a_leads_and_not_significant() -> None:
    result = verdict([Arm(400, 30), Arm(400, 24)], "conversion_rate")
    assert result.leader == "A"
    assert result.message.startswith("A の方がコンバージョン率が高い可能性 ")
    assert result.message.endswith("（まだ統計的に有意な差ではありません）")
    assert not result.significant


def test_verdict_four_arms() -> None:
    result = verdict([Arm(1000, 100), Arm(1000, 100), Arm(1000, 160), Arm(1000, 100)])
    assert result.leader == "C"
    assert result.message == "C が最もクリック率が高い可能性 99%"
    assert set(result.probabilities) == {"A", "B", "C", "D"}


def test_percent_never_says_certain() -> None:
    assert percent(0.99999) == 99
    assert percent(0.0) == 1
    assert percent(0.965) == 97
