#!/usr/bin/env bash
# The executor's tests and the benchmark need: busybox-static and gcc (test function images,
# built locally: nothing can be pulled), Debian's docker-registry and apache2-utils' htpasswd
# (pull tests on loopback, with and without auth) and wrk (npm run bench). Installs what is
# missing, then builds the images (idempotent).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in busybox-static docker-registry apache2-utils wrk gcc libc6-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
bash "$(dirname "$0")/../images/build.sh"
