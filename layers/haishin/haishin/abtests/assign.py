"""Deterministic weighted assignment of a friend to an A/B variant.

``position(test_id, subscriber_id)`` = the first 8 bytes of sha256("<test_id>\\x1f<subscriber_id>") as an integer
/ 2**64: uniform in [0, 1), the same for the same pair on every call, process and machine (no Python ``hash``,
which is salted per process). ``variant_index`` cuts [0, 1) into consecutive intervals sized by the weights (A
first) and returns the interval the position falls in. So:
- the same friend always gets the same variant of the same test (a retried planner slice plans the same variant);
- friends of one test are independent of another test (the test ID is in the hash);
- changing weights moves as few friends as the change needs FOR TWO VARIANTS (50/50 -> 60/40 moves exactly the 10 %
  between the old and new boundary). With 3-4 variants the intervals are consecutive, so growing A also shifts the
  B/C boundary: more friends move than the minimum (the total-variation distance). Weights are fixed once a test
  starts sending, so this matters only to a draft whose weights are edited (nobody has received anything yet).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

MIN_VARIANTS = 2
MAX_VARIANTS = 4
_SCALE = float(2**64)


def position(test_id: str, subscriber_id: str) -> float:
    digest = hashlib.sha256(f"{test_id}\x1f{subscriber_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def variant_index(test_id: str, subscriber_id: str, weights: Sequence[float]) -> int:
    """The index (0 = A) of the variant ``subscriber_id`` receives in test ``test_id``; weights are relative
    (any positive numbers: 1/1, 50/50 and 0.5/0.5 are the same split)."""
    if not MIN_VARIANTS <= len(weights) <= MAX_VARIANTS:
        raise ValueError("2 to 4 variants")
    if any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    total = float(sum(weights))
    point = position(test_id, subscriber_id) * total
    running = 0.0
    for index, weight in enumerate(weights):
        running += weight
        if point < running:
            return index
    return len(weights) - 1  # float rounding at the very top of the range


def variant_label(index: int) -> str:
    return "ABCD"[index]


__all__ = ["MAX_VARIANTS", "MIN_VARIANTS", "position", "variant_index", "variant_label"]
