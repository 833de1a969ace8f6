#!/usr/bin/env bash
# Builds Fresco's runtime images from Debian's packages only (no container registry):
#   runtimes/build.sh python3   → fresco/runtime-python3:<content tag> and :latest
#   runtimes/build.sh nodejs    → fresco/runtime-nodejs:<content tag> and :latest
# mmdebstrap installs a minimal Debian (variant "essential": no apt, no docs, no locales) with the
# language and Fresco's runtime server (runtimes/<name>/), and the rootfs tarball is imported into
# Docker. The content tag is a digest of everything that goes into the image (this script, the
# server, the package list, the suite): when an image with that tag exists the build is skipped.
# The label io.fresco.runtime.init=1 says the server takes its code after it starts (fresco_init):
# engines keep such containers waiting ahead of new functions (docs/runtimes.md).
# FRESCO_RUNTIME_MIRROR overrides the Debian mirror (default http://deb.debian.org/debian);
# FRESCO_RUNTIME_SUITE the suite (default: the host's, else bookworm). Needs root (or sudo) and docker.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="${1:-}"
case "$name" in
  python3) packages="python3-minimal,libpython3-stdlib"
           cmd='exec /usr/bin/python3 -u -I -X utf8 /opt/fresco/fresco_runtime.py 3<&0 4>&1 1>&2 0</dev/null' ;;
  nodejs)  packages="nodejs"
           cmd='exec /usr/bin/node /opt/fresco/fresco-runtime.js 3<&0 4>&1 1>&2 0</dev/null' ;;
  *) echo "usage: $0 python3|nodejs" >&2; exit 2 ;;
esac
mirror="${FRESCO_RUNTIME_MIRROR:-http://deb.debian.org/debian}"
suite="${FRESCO_RUNTIME_SUITE:-$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") )}"
suite="${suite:-bookworm}"
image="fresco/runtime-$name"
tag="$(cat "$0" "$here/$name"/* | { cat; echo "$packages $suite $mirror"; } | sha256sum | cut -c1-12)"

if docker image inspect "$image:$tag" >/dev/null 2>&1; then
  docker tag "$image:$tag" "$image:latest"
  echo "$image:$tag is up to date"
  exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
if ! command -v mmdebstrap >/dev/null; then
  echo "build.sh: installing mmdebstrap" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -qq mmdebstrap >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq >/dev/null && "${sudo[@]}" apt-get install -y -qq mmdebstrap >/dev/null; }
fi

start=$(date +%s)
sources=("deb $mirror $suite main")
[[ -n "${FRESCO_RUNTIME_MIRROR:-}" ]] || sources+=("deb http://deb.debian.org/debian-security $suite-security main")
# The rootfs: no documentation, manuals or locales; apt's lists and caches are cleaned by mmdebstrap.
# The hooks' "$1" is the rootfs, expanded by mmdebstrap, not here.
# shellcheck disable=SC2016
"${sudo[@]}" mmdebstrap --variant=essential --include="$packages" --quiet \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook="mkdir -p \"\$1/opt/fresco\" \"\$1/code\"" \
  --customize-hook="copy-in $here/$name/. /opt/fresco/" \
  --customize-hook='rm -rf "$1/var/cache/"* "$1/var/log/"* "$1/var/lib/apt/lists/"*' \
  "$suite" - "${sources[@]}" \
  | docker import \
      --change "CMD [\"/bin/sh\", \"-c\", \"$cmd\"]" \
      --change 'USER 65534:65534' --change 'WORKDIR /code' \
      --change "LABEL io.fresco.runtime=$name io.fresco.runtime.tag=$tag io.fresco.runtime.init=1" \
      --change 'ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1' \
      - "$image:$tag" >/dev/null
docker tag "$image:$tag" "$image:latest"
size=$(docker image inspect -f '{{.Size}}' "$image:$tag")
echo "$image:$tag built in $(( $(date +%s) - start )) s, $(( size / 1024 / 1024 )) MiB"
