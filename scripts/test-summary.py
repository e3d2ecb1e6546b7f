"""Adds up the JUnit reports of `make test`'s pytest stages and prints one closing line.

Usage: python scripts/test-summary.py .local/reports
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report_dir: str) -> int:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    per_stage = []
    for report in sorted(Path(report_dir).glob("*.xml")):
        root = ET.parse(report).getroot()  # noqa: S314 - our own pytest output
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        stage = {k: sum(int(s.get(k, 0)) for s in suites) for k in totals}
        per_stage.append((report.stem, stage))
        for k in totals:
            totals[k] += stage[k]
    for name, s in per_stage:
        passed = s["tests"] - s["failures"] - s["errors"] - s["skipped"]
        print(f"  {name:<12} {passed} passed, {s['failures'] + s['errors']} failed, {s['skipped']} skipped")
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    print(f"summary: {passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".local/reports"))
