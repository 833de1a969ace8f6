#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# swift-up.sh [ENV_FILE]: a single-node Swift (Debian's packages; one device, a directory under
# $SWIFT_DEVICES; rings of one replica) whose proxy, on 127.0.0.1:$SWIFT_PORT, authenticates
# against the Keystone of keystone-up.sh (run first, it is idempotent) and publishes a
# notification of every request to RabbitMQ through ceilometermiddleware (exchange 'swift',
# routing key 'notifications.info'). Registers 'object-store' in the catalog, adds its block to
# ENV_FILE and prints the file. Reuses servers that already answer on their ports; after
# starting any, checks the whole path: PUT as the swift service user, notification seen.
#
# Env: SWIFT_PORT (8081), SWIFT_DEVICES (/srv/node), SWIFT_NONBLOCKING_NOTIFY (false, the
#      middleware's default: a request waits until its notification is published),
#      SWIFT_VERIFY (1 = run the PUT/notification check even when nothing was started),
#      plus those of keystone-up.sh and lib.sh (RABBIT_PORT, OS_TRANSPORT_URL).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ost_lock swift "$@"
[[ $# -ge 1 ]] && OST_ENV_FILE=$1
SWIFT_PORT=${SWIFT_PORT:-8081}
SWIFT_URL=http://127.0.0.1:$SWIFT_PORT
SWIFT_DIR=$OST_STATE/swift
declare -A PORT=([object]=6200 [container]=6201 [account]=6202 [proxy]=$SWIFT_PORT)

healthy() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$1]}/healthcheck"; }

write_configs() {
  mkdir -p "$SWIFT_DIR" "$SWIFT_DEVICES/d1"
  chown swift:swift "$SWIFT_DEVICES" "$SWIFT_DEVICES/d1"
  local kind
  for kind in account container object; do
    cat >"$SWIFT_DIR/$kind-server.conf" <<CONF
# Written by Fresco's test/services/openstack/swift-up.sh.
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${PORT[$kind]}
workers = 0
swift_dir = $SWIFT_DIR
devices = $SWIFT_DEVICES
mount_check = false
log_level = INFO

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind

[filter:healthcheck]
use = egg:swift#healthcheck

[$kind-replicator]
[$kind-auditor]
CONF
  done
  cat >"$SWIFT_DIR/proxy-server.conf" <<CONF
# Written by Fresco's test/services/openstack/swift-up.sh. No memcached: keystonemiddleware and the proxy
# cache in-process. ceilometer sits just before proxy-server, where DevStack puts it.
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
swift_dir = $SWIFT_DIR
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk authtoken keystoneauth copy slo dlo versioned_writes symlink proxy-logging ceilometer proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
interface = public
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = $OST_PASSWORD
delay_auth_decision = True

[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin

[filter:ceilometer]
paste.filter_factory = ceilometermiddleware.swift:filter_factory
url = $TRANSPORT_URL
control_exchange = swift
driver = messagingv2
topic = notifications
nonblocking_notify = ${SWIFT_NONBLOCKING_NOTIFY:-false}
log_level = WARNING

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
[filter:symlink]
use = egg:swift#symlink
CONF
}

# build_rings: one device (127.0.0.1, d1), one replica, 2^8 partitions; only if missing.
build_rings() {
  [[ -f $SWIFT_DIR/object.ring.gz && -f $SWIFT_DIR/container.ring.gz && -f $SWIFT_DIR/account.ring.gz ]] && return
  "$OST_PY" - "$SWIFT_DIR" "${PORT[account]}" "${PORT[container]}" "${PORT[object]}" <<'PY'
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for kind, port in zip(('account', 'container', 'object'), sys.argv[2:]):
    b = RingBuilder(8, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
               'device': 'd1', 'weight': 100, 'meta': ''})
    b.rebalance()
    b.save('%s/%s.builder' % (d, kind))
    b.get_ring().save('%s/%s.ring.gz' % (d, kind))
PY
}

register() {
  local spec=$OST_STATE/swift-spec.json
  cat >"$spec" <<JSON
{"roles": ["ResellerAdmin"],
 "users": [{"name": "swift", "project": "service", "roles": ["service", "admin"]}],
 "services": [{"name": "swift", "type": "object-store", "description": "Swift",
   "endpoints": {"public": "$SWIFT_URL/v1/AUTH_%(project_id)s",
                 "internal": "$SWIFT_URL/v1/AUTH_%(project_id)s",
                 "admin": "$SWIFT_URL"}}]}
JSON
  OS_AUTH_URL=$OS_AUTH_URL OS_PASSWORD=$OST_PASSWORD "$OST_PY" "$OST_HERE/ostool.py" ensure "$spec" >/dev/null
}

bash "$OST_HERE/keystone-up.sh" "$OST_ENV_FILE" >/dev/null
# shellcheck disable=SC1090
. "$OST_ENV_FILE"
ost_rabbitmq
ost_install swift-proxy swift-object swift-container swift-account python3-ceilometermiddleware
register

started=()
for kind in account container object proxy; do
  healthy "$kind" && continue
  [[ ${#started[@]} -gt 0 ]] || { write_configs; build_rings; }
  conf=$SWIFT_DIR/$kind-server.conf
  ost_spawn "swift-$kind" setpriv --reuid swift --regid swift --init-groups \
    "swift-$kind-server" "$conf" --verbose
  started+=("$kind")
done
for kind in "${started[@]}"; do
  ost_wait 60 healthy "$kind" || ost_die "swift-$kind-server did not start; see $OST_LOG/swift-$kind.log"
done
if [[ ${#started[@]} -gt 0 ]]; then
  # oslo.messaging also fills a 'notifications.info' queue for Ceilometer, which nobody reads
  # here: cap it (the FaaS service's own queues are not matched).
  rabbitmqctl -q set_policy --apply-to queues openstack-test-notifications-cap \
    '^notifications\.[a-z]+$' '{"max-length":1000}' >/dev/null 2>&1 || true
fi
if [[ ${#started[@]} -gt 0 || ${SWIFT_VERIFY:-0} == 1 ]]; then
  OS_AUTH_URL=$OS_AUTH_URL OS_PASSWORD=$OST_PASSWORD OS_TRANSPORT_URL=$TRANSPORT_URL \
    "$OST_PY" "$OST_HERE/ostool.py" swift-check swift service >/dev/null
fi

ost_env_write swift <<ENV
# Swift on loopback (Fresco's test/services/openstack/swift-up.sh): Keystone auth, ceilometermiddleware notifications.
export SWIFT_URL=$SWIFT_URL
export OS_DEMO_STORAGE_URL=$SWIFT_URL/v1/AUTH_$OS_DEMO_PROJECT_ID
export OS_ALT_STORAGE_URL=$SWIFT_URL/v1/AUTH_$OS_ALT_PROJECT_ID
export OS_ADMIN_STORAGE_URL=$SWIFT_URL/v1/AUTH_$OS_ADMIN_PROJECT_ID
export SWIFT_NOTIFICATION_EXCHANGE=swift SWIFT_NOTIFICATION_ROUTING_KEY=notifications.info
export SWIFT_NOTIFICATION_EVENT_TYPE=objectstore.http.request
# The same RabbitMQ as an oslo.messaging transport_url and as an amqplib URL.
export OS_TRANSPORT_URL=$TRANSPORT_URL AMQP_URL=amqp://${TRANSPORT_URL#rabbit://}
ENV
cat "$OST_ENV_FILE"
