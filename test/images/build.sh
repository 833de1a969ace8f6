#!/usr/bin/env bash
# Builds Fresco's test function images locally (nothing is pulled from a public registry):
# FROM scratch images holding static C programs (gcc -static) and/or the static busybox.
#   fresco-test/hello:1     cold hello-world (C): stdin "Bob" -> "Hello Bob", empty -> "Hello World"
#   fresco-test/env:1       prints its environment, "---", then stdin (busybox)
#   fresco-test/fail:1      writes "about to fail" to stderr, "partial" to stdout, exits 3
#   fresco-test/sleep:1     sleeps forever            fresco-test/oom:1    allocates past any limit (C)
#   fresco-test/flood:1     infinite output (yes)     fresco-test/forkbomb:1  forks until the pids limit
#   fresco-test/probe:1     id, writes to / and /tmp (hardening checks)
#   fresco-test/nap:1       cold, slow but well-behaved: sleeps $NAP_SECONDS (default 2), prints "napped $CALL_ID <stdin>"
#   fresco-test/hot-http:1  hot http hello-world (C; behaviours by path, see c/hot-http.c)
#   fresco-test/hot-json:1  hot json hello-world (C)
#   fresco-test/garbage:1   hot function that answers bytes that are neither HTTP nor JSON
#   fresco-test/ticker:1    cold: "tick N" and "FRESCO_PROGRESS <N*100/TICKS> tick N" on stderr every 0.3 s ($TICKS times, 5), then "ticked <stdin>"
#   fresco-test/stamps:1    cold: "stamp <epoch s.µs>" on stderr every $GAP s (0.05), $STAMPS times (40) (live-log bench)
# Each image is tagged :<content hash> and :1. Idempotent: when every image already has the tag
# of the current sources' hash, nothing is compiled or built (~0.2 s). Needs docker, gcc, busybox.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
misbehaving=(fail sleep oom flood forkbomb probe garbage ticker stamps)
images=(hello env hot-http hot-json nap "${misbehaving[@]}")
busybox=/usr/bin/busybox; [[ -x $busybox ]] || busybox="$(command -v busybox)"
hash=$(cd "$here" && { cat build.sh c/*.c scripts/*; sha256sum "$busybox" | cut -d' ' -f1; } | sha256sum | cut -c1-12)
# --hash: print the current sources' tag (tests that need this checkout's images use it: :1 is
# shared by every checkout on the machine).
if [[ ${1:-} == --hash ]]; then echo "$hash"; exit 0; fi

dockerfile() { # name -> Dockerfile text
  local bb='COPY bin/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]'
  case "$1" in
    hello) printf 'FROM scratch\nCOPY bin/hello /hello\nENTRYPOINT ["/hello"]\n' ;;
    hot-http) printf 'FROM scratch\nCOPY bin/hot-http /hot-http\nCMD ["/hot-http"]\n' ;;
    hot-json) printf 'FROM scratch\nCOPY bin/hot-json /hot-json\nENTRYPOINT ["/hot-json"]\n' ;;
    env) printf 'FROM scratch\n%s\nCMD ["/bin/sh", "-c", "env; echo ---; cat"]\n' "$bb" ;;
    *) printf 'FROM scratch\n%s\nCOPY bin/oom /oom\nCOPY scripts/misbehave.sh /misbehave.sh\nENTRYPOINT ["/bin/sh", "/misbehave.sh", "%s"]\n' "$bb" "$1" ;;
  esac
}

missing=()
for name in "${images[@]}"; do
  docker image inspect "fresco-test/$name:$hash" >/dev/null 2>&1 || missing+=("$name")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/bin" "$stage/scripts"
  file "$busybox" 2>/dev/null | grep -q 'statically linked' \
    || { echo "build.sh: $busybox is not static; install busybox-static" >&2; exit 1; }
  cp "$busybox" "$stage/bin/busybox"
  cp "$here"/scripts/* "$stage/scripts/"
  for src in "$here"/c/*.c; do
    gcc -static -O2 -s -o "$stage/bin/$(basename "$src" .c)" "$src"
  done
  for name in "${missing[@]}"; do
    dockerfile "$name" > "$stage/Dockerfile.$name"
    out=$(docker build -q -f "$stage/Dockerfile.$name" -t "fresco-test/$name:$hash" "$stage" 2>&1) \
      || { echo "$out" >&2; exit 1; }
    echo "built fresco-test/$name:$hash"
  done
fi
for name in "${images[@]}"; do
  docker tag "fresco-test/$name:$hash" "fresco-test/$name:1"
done
