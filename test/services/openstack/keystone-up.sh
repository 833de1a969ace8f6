#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# keystone-up.sh [ENV_FILE]: a real Keystone (Debian's `keystone`, uwsgi, fernet tokens, data in
# the local PostgreSQL) on 127.0.0.1:$KEYSTONE_PORT with the accounts and catalog the FaaS tests
# use. Reuses a Keystone already answering on that port. Writes ENV_FILE (default
# /tmp/openstack-env.sh) and prints it. Idempotent; quiet unless something fails.
#
# Env: KEYSTONE_PORT (5000), OS_TEST_PASSWORD (secret: every user's password), FAAS_PORT (8080),
#      FAAS_URL (http://127.0.0.1:$FAAS_PORT), FAAS_SERVICE_USER (fresco),
#      KEYSTONE_TOKEN_EXPIRATION (3600 s).
# Accounts (domain Default):      user      project  roles
#   OS_ADMIN_*                    admin     admin    admin (from keystone-manage bootstrap)
#   OS_SERVICE_*                  fresco    service  service, admin   (the FaaS service user)
#   OS_DEMO_*                     demo      demo     member
#   OS_ALT_*                      alt       other    member           (a second tenant)
#   OS_READER_*                   viewer    demo     reader
# Catalog (RegionOne): identity $KEYSTONE_URL/v3; 'picasso' (type functions) and 'qinling'
# (type function-engine) at $FAAS_URL, public and internal.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ost_lock keystone "$@"
[[ $# -ge 1 ]] && OST_ENV_FILE=$1
FAAS_URL=${FAAS_URL:-http://127.0.0.1:${FAAS_PORT:-8080}}
SERVICE_USER=${FAAS_SERVICE_USER:-fresco}
AUTH_URL=$KEYSTONE_URL/v3
KS_CONF=/etc/keystone/keystone.conf
DB_URL=postgresql+psycopg2://keystone:keystone@127.0.0.1/keystone

ks_up() { curl -fs -o /dev/null --max-time 2 "$AUTH_URL"; }

configure() {
  mkdir -p /var/log/keystone
  cat >"$KS_CONF" <<CONF
# Written by Fresco's test/services/openstack/keystone-up.sh (a Keystone for tests, on loopback).
[DEFAULT]
log_dir = /var/log/keystone
public_endpoint = $KEYSTONE_URL
[database]
connection = $DB_URL
[token]
provider = fernet
expiration = ${KEYSTONE_TOKEN_EXPIRATION:-3600}
[identity]
# bcrypt's cheapest cost: a password check takes ~1 ms instead of ~250 ms.
password_hash_rounds = 4
[cache]
# In-process cache: coherent because uwsgi runs a single process (threads only).
enabled = true
backend = dogpile.cache.memory
CONF
  [[ $(ost_psql "select 1 from pg_roles where rolname='keystone'") == 1 ]] ||
    ost_psql "create role keystone login password 'keystone'" >/dev/null
  [[ $(ost_psql "select 1 from pg_database where datname='keystone'") == 1 ]] ||
    ost_psql "create database keystone owner keystone" >/dev/null
  if [[ $(ost_psql "select 1 from pg_tables where tablename='project'" keystone) != 1 ]]; then
    runuser -u keystone -- keystone-manage db_sync >>"$OST_LOG/keystone-manage.log" 2>&1 ||
      ost_die "keystone-manage db_sync failed; see $OST_LOG/keystone-manage.log"
  fi
  local repo
  for repo in fernet credential; do
    compgen -G "/etc/keystone/$repo-keys/0" >/dev/null ||
      keystone-manage "${repo}_setup" --keystone-user keystone --keystone-group keystone \
        >>"$OST_LOG/keystone-manage.log" 2>&1
  done
  if [[ $(ost_psql "select 1 from endpoint where url='$AUTH_URL' limit 1" keystone) != 1 ]]; then
    keystone-manage bootstrap --bootstrap-password "$OST_PASSWORD" \
      --bootstrap-admin-url "$AUTH_URL" --bootstrap-internal-url "$AUTH_URL" \
      --bootstrap-public-url "$AUTH_URL" --bootstrap-region-id RegionOne \
      >>"$OST_LOG/keystone-manage.log" 2>&1 ||
      ost_die "keystone-manage bootstrap failed; see $OST_LOG/keystone-manage.log"
  fi
  chown -R keystone:keystone /var/log/keystone /var/lib/keystone
}

start() {
  # The http router keeps clients' connections alive (a bare --http-socket closes them without
  # saying so, and keystoneauth's pooled connections then fail). One worker process so that the
  # in-process cache stays coherent; threads for concurrency.
  uwsgi --plugin python3,http --http "127.0.0.1:$KEYSTONE_PORT" --http-keepalive \
    --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 1 --threads 8 --enable-threads --need-app --die-on-term \
    --socket "$OST_RUN/keystone.sock" --chown-socket keystone:keystone \
    --uid keystone --gid keystone --chdir /var/lib/keystone --buffer-size 65535 \
    --pidfile "$OST_RUN/keystone.pid" --daemonize "$OST_LOG/keystone.log" >/dev/null 2>&1
  ost_wait 60 ks_up || ost_die "Keystone did not start; see $OST_LOG/keystone.log"
}

provision() {
  local spec=$OST_STATE/keystone-spec.json
  cat >"$spec" <<JSON
{"projects": ["service", "demo", "other"],
 "roles": ["admin", "member", "reader", "service"],
 "users": [{"name": "$SERVICE_USER", "project": "service", "roles": ["service", "admin"]},
           {"name": "demo", "project": "demo", "roles": ["member"]},
           {"name": "alt", "project": "other", "roles": ["member"]},
           {"name": "viewer", "project": "demo", "roles": ["reader"]}],
 "services": [
   {"name": "picasso", "type": "functions", "description": "FaaS (Picasso API)",
    "endpoints": {"public": "$FAAS_URL", "internal": "$FAAS_URL"}},
   {"name": "qinling", "type": "function-engine", "description": "FaaS (Qinling-compatible API)",
    "endpoints": {"public": "$FAAS_URL", "internal": "$FAAS_URL"}}]}
JSON
  OS_AUTH_URL=$AUTH_URL OS_PASSWORD=$OST_PASSWORD "$OST_PY" "$OST_HERE/ostool.py" ensure "$spec" \
    >"$OST_STATE/keystone-ids.json"
}

# verify: a demo token (POST /v3/auth/tokens) validated with the service user's token
# (GET /v3/auth/tokens + X-Subject-Token), as the FaaS API does it.
verify() {
  local demo svc
  token() {
    curl -fsS --max-time 10 -D - -o /dev/null -H 'Content-Type: application/json' "$AUTH_URL/auth/tokens" \
      -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",
      \"domain\":{\"id\":\"default\"},\"password\":\"$OST_PASSWORD\"}}},
      \"scope\":{\"project\":{\"name\":\"$2\",\"domain\":{\"id\":\"default\"}}}}}" |
      sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^[:space:]]*\).*/\1/p'
  }
  demo=$(token demo demo) || demo=""
  [[ -n $demo ]] || ost_die "no token for demo/demo"
  svc=$(token "$SERVICE_USER" service) || svc=""
  [[ -n $svc ]] || ost_die "no token for $SERVICE_USER/service"
  curl -fsS --max-time 10 -o /dev/null -H "X-Auth-Token: $svc" -H "X-Subject-Token: $demo" \
    "$AUTH_URL/auth/tokens" || ost_die "validating the demo token failed"
}

write_env() {
  local P U
  # shellcheck disable=SC2016
  eval "$("$OST_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in ("projects","users"):
  print("declare -A %s=(%s)" % (k[0].upper(), " ".join("[%s]=%s" % kv for kv in d[k].items())))' \
    "$OST_STATE/keystone-ids.json")"
  ost_env_write keystone <<ENV
# A real Keystone on loopback (Fresco's test/services/openstack/keystone-up.sh). Every user's password: OS_PASSWORD.
export OS_AUTH_URL=$AUTH_URL OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_INTERFACE=public
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
export OS_PASSWORD=$OST_PASSWORD
export OS_ADMIN_USERNAME=admin OS_ADMIN_PASSWORD=$OST_PASSWORD OS_ADMIN_PROJECT_NAME=admin OS_ADMIN_PROJECT_ID=${P[admin]} OS_ADMIN_USER_ID=${U[admin]}
export OS_SERVICE_USERNAME=$SERVICE_USER OS_SERVICE_PASSWORD=$OST_PASSWORD OS_SERVICE_PROJECT_NAME=service OS_SERVICE_PROJECT_ID=${P[service]} OS_SERVICE_USER_ID=${U[$SERVICE_USER]}
export OS_DEMO_USERNAME=demo OS_DEMO_PASSWORD=$OST_PASSWORD OS_DEMO_PROJECT_NAME=demo OS_DEMO_PROJECT_ID=${P[demo]} OS_DEMO_USER_ID=${U[demo]}
export OS_ALT_USERNAME=alt OS_ALT_PASSWORD=$OST_PASSWORD OS_ALT_PROJECT_NAME=other OS_ALT_PROJECT_ID=${P[other]} OS_ALT_USER_ID=${U[alt]}
export OS_READER_USERNAME=viewer OS_READER_PASSWORD=$OST_PASSWORD OS_READER_PROJECT_NAME=demo OS_READER_PROJECT_ID=${P[demo]} OS_READER_USER_ID=${U[viewer]}
export KEYSTONE_URL=$KEYSTONE_URL FAAS_URL=$FAAS_URL
ENV
}

ost_install keystone python3-psycopg2
ost_postgres
if ! ks_up; then
  configure
  start
fi
provision
verify
write_env
cat "$OST_ENV_FILE"
