"""Every test file that connects a LINE channel to the session-wide local system uses its own channel ID: a channel
connected to one workspace is refused to another ("this channel is connected to another workspace"), so a shared ID
fails whichever file runs second, and only in a full run."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_ID = re.compile(r"""["'](\d{10})["']""")


def test_no_two_local_system_test_files_share_a_line_channel_id() -> None:
    users: dict[str, set[str]] = defaultdict(set)
    for folder in ("tests/integration", "tests/e2e"):
        for path in sorted((ROOT / folder).glob("test_*.py")):
            for channel_id in CHANNEL_ID.findall(path.read_text(encoding="utf-8")):
                users[channel_id].add(path.relative_to(ROOT).as_posix())
    shared = {channel_id: sorted(files) for channel_id, files in users.items() if len(files) > 1}
    assert shared == {}, f"LINE channel IDs used by more than one test file: {shared}"
