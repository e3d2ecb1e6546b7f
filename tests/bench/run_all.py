"""Runs every benchmark script in tests/bench (``make bench``) and prints a summary. Never asserts times.

A benchmark is any ``tests/bench/*.py`` except this file, helpers whose name starts with ``_`` and
``*_fixture.py`` modules. Each runs in its own interpreter; a script that crashes makes the run fail
(a broken benchmark is a bug), a slow one never does.
"""

from __future__ import annotations

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
        print(f"\n==> {script.relative_to(ROOT)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False).returncode
        results.append((script.name, rc, time.perf_counter() - t0))
    print("\nbench summary")
    for name, rc, seconds in results:
        print(f"  {name:<28} {'ok' if rc == 0 else f'FAILED (exit {rc})':<16} {seconds:6.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
