"""SQS size limits, measured the way SQS measures them: UTF-8 bytes (a Japanese character is 3 bytes), not characters.

``MAX_MESSAGE_BYTES`` is the ``MaximumMessageSize`` template.yaml sets on every queue (tests/unit/test_template.py
fails when they differ). A message, and the sum of the bodies of one SendMessageBatch call, stay at or below it.
Stdlib only: the webhook path imports this.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_MESSAGE_BYTES = 262_144  # 256 KiB: template.yaml's MaximumMessageSize on every queue
MAX_BATCH_ENTRIES = 10  # SendMessageBatch takes at most 10 entries


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def batches(bodies: Sequence[str], *, limit: int = MAX_MESSAGE_BYTES,
            entries: int = MAX_BATCH_ENTRIES) -> tuple[list[list[int]], list[int]]:
    """Split ``bodies`` (in order) into SendMessageBatch calls of at most ``entries`` entries and ``limit`` bytes in
    total. Returns (calls as lists of indexes, indexes of bodies that alone exceed ``limit`` and cannot be sent)."""
    calls: list[list[int]] = []
    too_large: list[int] = []
    current: list[int] = []
    total = 0
    for index, body in enumerate(bodies):
        size = utf8_size(body)
        if size > limit:
            too_large.append(index)
            continue
        if current and (len(current) == entries or total + size > limit):
            calls.append(current)
            current, total = [], 0
        current.append(index)
        total += size
    if current:
        calls.append(current)
    return calls, too_large
