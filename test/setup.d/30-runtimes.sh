#!/usr/bin/env bash
# The runtime images of functions from code (docs/runtimes.md), built from Debian's packages with
# mmdebstrap (installed when missing): fresco/runtime-python3 and fresco/runtime-nodejs. Each build
# is skipped when the image with the same content tag exists; a fresh build takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
for runtime in python3 nodejs; do
  bash "$root/runtimes/build.sh" "$runtime"
done
