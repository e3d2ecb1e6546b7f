#!/usr/bin/env bash
# Debian's Chromium and Japanese fonts for the browser tests (never `playwright install`).
# As root, missing packages are installed with apt-get. Otherwise: in CI it is an error (browser tests
# must run there); on a developer machine it prints what to run and the e2e tests are skipped.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> apt-get install ${missing[*]} (browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

msg="The browser tests need ${missing[*]}: run as root: apt-get install -y ${PACKAGES[*]}"
if [ "${CI:-}" = "true" ]; then
  echo "$msg" >&2
  exit 1
fi
echo "$msg (skipping the browser tests on this machine)" >&2
