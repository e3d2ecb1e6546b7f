#!/usr/bin/env bash
# Runs one pytest stage: scripts/pytest-stage.sh NAME DIR [pytest args...]
# - a directory with no test files yet is reported and skipped (not an error);
# - pytest's exit code 5 (nothing collected, e.g. every test deselected by -m) is not an error;
# - a JUnit report goes to .local/reports/NAME.xml for the summary `make test` prints.
set -uo pipefail

name=$1 dir=$2
shift 2
reports=.local/reports
mkdir -p "$reports"

if [ -z "$(find "$dir" -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -1)" ]; then
  echo "$name: no tests in $dir yet"
  exit 0
fi
if [ "$name" = e2e ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "e2e: Chromium is missing (apt-get install -y chromium fonts-noto-cjk); browser tests must run in CI" >&2
    exit 1
  fi
  echo "e2e: skipped, Chromium is not installed (as root: apt-get install -y chromium fonts-noto-cjk)" >&2
  exit 0
fi

.venv/bin/python -m pytest "$dir" --junitxml="$reports/$name.xml" -o junit_suite_name="$name" "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "$name: no tests collected in $dir (pytest exit 5), not an error"
  rm -f "$reports/$name.xml"
  exit 0
fi
exit $rc
