#!/usr/bin/env bash
# Builds the example functions as local Docker images, with no registry: each image is FROM
# scratch and holds one static C program (gcc -static), so nothing is pulled.
#   fresco/hello:latest       default format (a container per call)   examples/hello/hello.c
#   fresco/hello-http:latest  http format (hot container)             examples/hello-http/hello-http.c
#   fresco/hello-json:latest  json format (hot container)             examples/hello-json/hello-json.c
# Each answers "Hello <request body>", or "Hello World" for an empty body.
# Needs docker, gcc and a static C library (Debian: gcc, libc6-dev — installed when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
examples=(hello hello-http hello-json)

install_compiler() {
  local need=() sudo=()
  command -v dpkg >/dev/null || return 0
  for pkg in gcc libc6-dev; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
  [[ ${#need[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "build.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq >/dev/null && "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null; }
}

install_compiler
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
for name in "${examples[@]}"; do
  mkdir -p "$stage/$name"
  gcc -static -O2 -s -o "$stage/$name/function" "$here/$name/$name.c"
  printf 'FROM scratch\nCOPY function /function\nENTRYPOINT ["/function"]\n' > "$stage/$name/Dockerfile"
  out=$(docker build -q -t "fresco/$name:latest" "$stage/$name" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "built fresco/$name:latest"
done
