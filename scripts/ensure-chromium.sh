#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the dashboard's browser test
# (test/dashboard.e2e-spec.ts drives it with playwright-core). Idempotent: does nothing when the
# browser is there. As root on Debian/Ubuntu it installs the distribution package `chromium`
# (about 45 s); otherwise it says how and fails, so the test never skips silently.
# The browser path: CHROMIUM_PATH, default /usr/bin/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM missing; installing the Debian package chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale on a fresh machine: update once, then install.
  if ! apt-get install -y --no-install-recommends chromium > /dev/null 2>&1; then
    apt-get update > /dev/null
    apt-get install -y --no-install-recommends chromium > /dev/null
  fi
fi

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM installed")" >&2
  exit 0
fi

cat >&2 << MSG
ensure-chromium: no Chromium at $CHROMIUM, and it could not be installed here.
The dashboard's browser test needs it. Install it, e.g. as root:
  apt-get update && apt-get install -y --no-install-recommends chromium
or point CHROMIUM_PATH at a Chromium or Chrome binary.
MSG
exit 1
