"""Runs every benchmark script in tests/bench (``make bench``) and prints a summary. Never asserts times.

A benchmark is any ``tests/bench/*.py`` except this file, helpers whose name starts with ``_`` and
``*_fixture.py`` modules. Each runs in its own interpreter; a script that crashes makes the run fail
(a broken benchmark is a bug), a slow one never does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def scripts() -> list[Path]:
    return [
        p
        for p in sorted(HERE.glob("*.py"))
        if p.name != Path(__file__).name and not p.name.startswith("_") and not p.stem.endswith("_fixture")
    ]


def main() -> int:
    results = []
    for script in scripts():
        one, five, _ = os.getloadavg()
        print(f"\n==> {script.relative_to(ROOT)}  [load {one:.2f}/{five:.2f}, {os.cpu_count()} cpus]", flush=True)
        t0 = time.perf_counter()
        # the repository root on the path too, for benches that reuse test helpers (``from tests.integration...``)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        rc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, check=False).returncode
        results.append((script.name, rc, time.perf_counter() - t0))
    one, five, _ = os.getloadavg()
    print(f"\nbench summary  [load {one:.2f}/{five:.2f} at the end; step_fixture.py is shared set-up, not a bench]")
    for name, rc, seconds in results:
        print(f"  {name:<28} {'ok' if rc == 0 else f'FAILED (exit {rc})':<16} {seconds:6.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
