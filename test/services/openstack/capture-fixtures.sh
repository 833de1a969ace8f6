#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# capture-fixtures.sh OUT_DIR: (re)capture real wire data from the Keystone, Swift and RabbitMQ
# of keystone-up.sh/swift-up.sh into OUT_DIR (Fresco's own copy is test/fixtures: capture into a
# temporary folder, review the diff, then copy). Token ids are replaced by '<token>'; ids of users
# and projects are the real ones of that run.
# Needs node (>= 18) and the npm registry once (amqplib into /tmp/openstack-capture).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -eq 1 ]] || ost_die "usage: capture-fixtures.sh OUT_DIR"
OUT=$(realpath -m "$1")
mkdir -p "$OUT"
bash "$OST_HERE/swift-up.sh" >/dev/null
set -a
# shellcheck disable=SC1090
. "$OST_ENV_FILE"
set +a
NODE_DIR=/tmp/openstack-capture
if [[ ! -d $NODE_DIR/node_modules/amqplib ]]; then
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --silent amqplib@0.10 >/dev/null)
fi

scrub() { sed -E 's/gAAAAA[A-Za-z0-9_=-]+/<token>/g'; }
pretty() { "$OST_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2))'; }
# save NAME CURL_ARGS...: the response's headers to NAME-headers.txt (token ids scrubbed) and
# its body to NAME.json (pretty-printed) or, if it is not JSON, to NAME.body as it came.
save() {
  local name=$1 raw; shift
  raw=$(mktemp)
  curl -sS -D "$raw.h" -o "$raw" "$@"
  tr -d '\r' <"$raw.h" | scrub >"$OUT/$name-headers.txt"
  if [[ -s $raw ]]; then
    pretty <"$raw" 2>/dev/null | scrub >"$OUT/$name.json" || { rm -f "$OUT/$name.json"; scrub <"$raw" >"$OUT/$name.body"; }
  fi
  rm -f "$raw" "$raw.h"
}
# shellcheck disable=SC2153 # OS_PASSWORD: from the env file sourced above
auth_body() {
  printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","domain":{"name":"Default"},"password":"%s"}}},"scope":{"project":{"name":"%s","domain":{"name":"Default"}}}}}' \
    "$1" "$OS_PASSWORD" "$2"
}
token() {
  curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' "$OS_AUTH_URL/auth/tokens" -d "$(auth_body "$1" "$2")" |
    sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^[:space:]]*\).*/\1/p'
}
SVC=$(token "$OS_SERVICE_USERNAME" "$OS_SERVICE_PROJECT_NAME")
validate() { save "$1" -H "X-Auth-Token: $SVC" -H "X-Subject-Token: $2" "$OS_AUTH_URL/auth/tokens${3:-}"; }

# Keystone: issue (POST) and validate (GET) as the FaaS service user does it.
save keystone-token-issue -H 'Content-Type: application/json' "$OS_AUTH_URL/auth/tokens" \
  -d "$(auth_body "$OS_DEMO_USERNAME" "$OS_DEMO_PROJECT_NAME")"
DEMO=$(token "$OS_DEMO_USERNAME" "$OS_DEMO_PROJECT_NAME")
validate keystone-token-validate "$DEMO"
validate keystone-token-validate-nocatalog "$DEMO" '?nocatalog'
validate keystone-token-validate-alt "$(token "$OS_ALT_USERNAME" "$OS_ALT_PROJECT_NAME")" '?nocatalog'
validate keystone-token-validate-reader "$(token "$OS_READER_USERNAME" "$OS_READER_PROJECT_NAME")" '?nocatalog'
validate keystone-token-validate-admin "$(token "$OS_ADMIN_USERNAME" "$OS_ADMIN_PROJECT_NAME")" '?nocatalog'
validate keystone-token-validate-service "$SVC" '?nocatalog'
validate keystone-token-validate-malformed 'not-a-token'
REVOKED=$(token "$OS_DEMO_USERNAME" "$OS_DEMO_PROJECT_NAME")
curl -fsS -o /dev/null -X DELETE -H "X-Auth-Token: $SVC" -H "X-Subject-Token: $REVOKED" "$OS_AUTH_URL/auth/tokens"
validate keystone-token-validate-revoked "$REVOKED"
save keystone-token-validate-no-service-token -H "X-Subject-Token: $DEMO" "$OS_AUTH_URL/auth/tokens"
save keystone-token-issue-bad-password -H 'Content-Type: application/json' "$OS_AUTH_URL/auth/tokens" \
  -d "$(OS_PASSWORD=wrong auth_body "$OS_DEMO_USERNAME" "$OS_DEMO_PROJECT_NAME")"
save keystone-version-v3 "$OS_AUTH_URL"
# Swift's answer to a request without a token (keystonemiddleware's WWW-Authenticate).
save swift-unauthorized -X PUT "$OS_DEMO_STORAGE_URL/fixtures/x.txt" -d x

# Swift requests and the notifications ceilometermiddleware published for each.
NODE_PATH=$NODE_DIR/node_modules node "$OST_HERE/capture-swift.mjs" "$OUT" >"$OUT/swift-notifications-summary.txt"

# How oslo.messaging left the broker: exchange 'swift' and its default 'notifications.info' queue.
{
  echo "# rabbitmqctl list_exchanges / list_queues / list_bindings after swift-up.sh and a capture"
  rabbitmqctl -q list_exchanges name type durable auto_delete internal arguments | awk 'NR==1 || $1=="swift"'
  echo
  rabbitmqctl -q list_queues name durable auto_delete exclusive arguments | awk 'NR==1 || $1 ~ /^notifications\./'
  echo
  rabbitmqctl -q list_bindings source_name destination_name destination_kind routing_key | awk 'NR==1 || $1=="swift"'
} >"$OUT/rabbitmq-swift-topology.txt"
ls "$OUT"
