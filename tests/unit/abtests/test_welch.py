"""Revenue per recipient: Welch's t-test and Student's t distribution against published values."""

from __future__ import annotations

import pytest

from haishin.abtests.stats import Sample, incomplete_beta, revenue_verdict, t_two_sided_p, welch_t

# Wikipedia, "Welch's t-test", example 1 (two samples of 15): t = -2.46, df = 24.99, p = 0.021 (sign: A - B there;
# ours is B - A).
A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
# Wikipedia example 2 (10 vs 20 values): t = -1.57, df = 9.9, p = 0.149
B1 = [17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8]
B2 = [21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5, 23.6, 21.5, 22.5, 23.5,
      21.5, 21.8]


def test_welch_example_1() -> None:
    result = welch_t(Sample.of(15, A1), Sample.of(15, A2))
    assert result.t == pytest.approx(2.46, abs=0.005)
    assert result.df == pytest.approx(24.99, abs=0.01)
    assert result.p_value == pytest.approx(0.021, abs=0.0005)


def test_welch_example_2() -> None:
    result = welch_t(Sample.of(10, B1), Sample.of(20, B2))
    assert result.t == pytest.approx(1.57, abs=0.005)
    assert result.df == pytest.approx(9.9, abs=0.05)
    assert result.p_value == pytest.approx(0.149, abs=0.001)


@pytest.mark.parametrize(("t", "df", "p"), [
    (12.706, 1, 0.05), (4.303, 2, 0.05), (2.228, 10, 0.05), (3.169, 10, 0.01), (2.086, 20, 0.05),
    (2.845, 20, 0.01), (1.960, 10**7, 0.05), (2.576, 10**7, 0.01)])  # the critical values of any t table
def test_student_t_two_sided_p_matches_the_tables(t: float, df: float, p: float) -> None:
    assert t_two_sided_p(t, df) == pytest.approx(p, abs=2e-4)


def test_incomplete_beta_known_values() -> None:
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)  # uniform
    assert incomplete_beta(2, 2, 0.5) == pytest.approx(0.5)  # symmetric
    assert incomplete_beta(2, 3, 0.4) == pytest.approx(0.5248)  # 1 - sum binomial(4, 0.4) k<2 = 0.5248


def test_zeros_count_as_recipients_and_no_variance_is_no_difference() -> None:
    sample = Sample.of(4, [10.0])  # four recipients, one bought for 10
    assert sample.mean == 2.5
    assert sample.variance == pytest.approx(25.0)  # (7.5^2 + 3 * 2.5^2) / 3
    nothing = welch_t(Sample.of(100, []), Sample.of(100, []))
    assert (nothing.t, nothing.p_value) == (0.0, 1.0)


def test_revenue_verdict_sentences() -> None:
    waiting = revenue_verdict([Sample.of(50, [1000.0] * 5), Sample.of(500, [1000.0] * 9)], [5, 9])
    assert not waiting.ready and waiting.message.startswith("まだ判定できません")
    a = Sample.of(1000, [3000.0] * 10)
    b = Sample.of(1000, [3000.0] * 40)
    result = revenue_verdict([a, b], [10, 40])
    assert result.ready and result.leader == "B" and result.significant
    assert result.message.startswith("B の方が1通あたりの売上が高い（120円、p=")
    close = revenue_verdict([Sample.of(1000, [3000.0] * 10), Sample.of(1000, [3000.0] * 12)], [10, 12])
    assert close.leader == "B" and close.message.endswith("（まだ統計的に有意な差ではありません）")
