#!/usr/bin/env bash
# Builds the static fresco-launcher that pre-started and hot containers run as their entrypoint.
# Usage: bash src/executor/launcher/build.sh [OUTPUT]   (default: dist/launcher/fresco-launcher)
# Needs only gcc and a static libc (Debian: gcc + libc6-dev). Idempotent: rebuilds only when
# launcher.c is newer than the output. The engine runs this itself at start when the binary is
# missing, so CI may run it ahead of time but does not have to.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../../dist/launcher/fresco-launcher}"
if [[ -x "$out" && "$out" -nt "$here/launcher.c" ]]; then exit 0; fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
gcc -static -Os -s -Wall -Wextra -o "$tmp" "$here/launcher.c"
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
echo "built $out"
