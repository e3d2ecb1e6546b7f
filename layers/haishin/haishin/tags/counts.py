"""Friends per tag, computed from the rows (see ``haishin.tags.repository`` for why it is not a counter)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from haishin.storage.shard_scan import SHARDS, iter_shard_pages


def tag_counts(workspace_id: str) -> dict[str, int]:
    """tag ID -> number of friends (merged-away rows excluded), reading the 16 shards in parallel."""

    def shard(index: int) -> Counter[str]:
        counts: Counter[str] = Counter()
        for page in iter_shard_pages(workspace_id, index, ["tags"]):
            for row in page:
                if not row.get("merged_into"):
                    counts.update(row.get("tags") or ())
        return counts

    total: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=SHARDS, thread_name_prefix="tagcount") as pool:
        for counts in pool.map(shard, range(SHARDS)):
            total.update(counts)
    return dict(total)
