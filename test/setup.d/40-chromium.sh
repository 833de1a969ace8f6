#!/usr/bin/env bash
# For test/integration/console: Debian's Chromium (/usr/bin/chromium), which playwright-core drives
# headless; no browser is ever downloaded. Installs it when it is missing; ~0 s when it is there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [[ ! -x /usr/bin/chromium ]]; then
  apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }
fi
/usr/bin/chromium --version >/dev/null 2>&1
