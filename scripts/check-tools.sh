#!/usr/bin/env bash
# Checks the tools the Makefile needs and prints one clear line for each one that is missing.
# Usage: scripts/check-tools.sh python java npm chromium haishin_local
set -uo pipefail

PYTHON311="${PYTHON311:-python3.11}"
missing=0
fail() { echo "$1" >&2; missing=1; }

for tool in "$@"; do
  case "$tool" in
    python)
      if ! command -v "$PYTHON311" >/dev/null 2>&1 ||
         ! "$PYTHON311" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        fail "Python 3.11 with venv is required: apt-get install -y python3.11 python3.11-venv (or pyenv install 3.11)"
      fi ;;
    java)
      major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
      if [ -z "$major" ] || [ "$major" -lt 17 ]; then
        fail "Java 17 is required for DynamoDB Local: apt-get install -y openjdk-17-jre-headless"
      fi ;;
    npm)
      if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        fail "Node.js 20+ and npm are required for the admin and DynamoDB Local: apt-get install -y nodejs npm"
      elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
        fail "Node.js 20+ is required for the admin (found $(node --version)): install a newer nodejs"
      fi ;;
    chromium)
      if ! command -v chromium >/dev/null 2>&1; then
        fail "Chromium is required for the browser tests: apt-get install -y chromium fonts-noto-cjk"
      fi ;;
    haishin_local)
      if ! .venv/bin/python -c 'import importlib.util as u, sys; sys.exit(u.find_spec("haishin_local.__main__") is None)' 2>/dev/null; then
        fail "haishin_local has no command line yet (infra/haishin_local/__main__.py): 'python -m haishin_local install-dynamodb' and 'up' are needed"
      fi ;;
    *)
      fail "check-tools.sh: unknown tool '$tool'" ;;
  esac
done
exit "$missing"
