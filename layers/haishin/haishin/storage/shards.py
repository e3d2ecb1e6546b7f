"""The subscriber table's shards: a subscriber row lives under ``sub#<workspace_id>#<shard>`` with the shard
derived from the subscriber ID, so writes spread over partitions and a workspace is read in ``SHARDS`` parallel
slices (``haishin.storage.shard_scan``). Stdlib only: the key layout every reader and writer shares."""

from __future__ import annotations

import zlib

SHARDS = 16


def shard_of(subscriber_id: str) -> int:
    return zlib.crc32(subscriber_id.encode()) % SHARDS


def shard_pk(workspace_id: str, shard: int) -> str:
    return f"sub#{workspace_id}#{shard:02d}"
