"""Deterministic weighted assignment: stable, proportional, and what a weight change moves."""

from __future__ import annotations

import hashlib

import pytest

from haishin.abtests.assign import position, variant_index, variant_label

IDS = [f"sub_{n:05d}" for n in range(10_000)]


def test_the_same_friend_always_gets_the_same_variant() -> None:
    first = [variant_index("bc_1", s, [1, 1]) for s in IDS[:500]]
    assert first == [variant_index("bc_1", s, [1, 1]) for s in IDS[:500]]
    # a fixed value: the hash is sha256, not Python's per-process salted hash()
    assert position("bc_1", "sub_00000") == pytest.approx(
        int.from_bytes(hashlib.sha256(b"bc_1\x1fsub_00000").digest()[:8], "big") / 2**64)


def test_tests_are_independent() -> None:
    one = [variant_index("bc_1", s, [1, 1]) for s in IDS]
    two = [variant_index("bc_2", s, [1, 1]) for s in IDS]
    same = sum(a == b for a, b in zip(one, two, strict=True)) / len(IDS)
    assert 0.47 < same < 0.53  # unrelated: agree about half the time


@pytest.mark.parametrize("weights", [[50, 50], [70, 30], [1, 1, 1], [40, 30, 20, 10], [0.25, 0.25, 0.25, 0.25]])
def test_proportions_follow_the_weights_over_10k_ids(weights: list[float]) -> None:
    counts = [0] * len(weights)
    for s in IDS:
        counts[variant_index("bc_prop", s, weights)] += 1
    total = sum(weights)
    for count, weight in zip(counts, weights, strict=True):
        # binomial sd at n = 10k is at most 0.005: 2 points is 4 sd
        assert abs(count / len(IDS) - weight / total) < 0.02


def test_two_variants_weight_change_moves_only_the_difference() -> None:
    before = [variant_index("bc_w", s, [50, 50]) for s in IDS]
    after = [variant_index("bc_w", s, [60, 40]) for s in IDS]
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert all(b == 1 and a == 0 for b, a in moved)  # only B -> A, never A -> B
    assert 0.08 < len(moved) / len(IDS) < 0.12  # ~10 %: the minimum a 10-point change can move


def test_three_variants_weight_change_moves_more_than_the_minimum() -> None:
    """Documented limit: consecutive intervals shift the B/C boundary too (1/3 each -> 50/25/25 moves ~25 %,
    while the minimum is ~17 %)."""
    before = [variant_index("bc_w3", s, [1, 1, 1]) for s in IDS]
    after = [variant_index("bc_w3", s, [2, 1, 1]) for s in IDS]
    moved = sum(b != a for b, a in zip(before, after, strict=True)) / len(IDS)
    assert 0.22 < moved < 0.28


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        variant_index("t", "s", [1])
    with pytest.raises(ValueError):
        variant_index("t", "s", [1, 1, 1, 1, 1])
    with pytest.raises(ValueError):
        variant_index("t", "s", [1, 0])
    assert [variant_label(i) for i in range(4)] == ["A", "B", "C", "D"]
