#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# capture-aodh.sh OUT_DIR: capture a real Aodh alarm callback (the HTTP POST aodh-notifier makes
# to an http:// alarm action) and the AMQP message that triggers it, into OUT_DIR (as for
# capture-fixtures.sh: a temporary folder, then test/fixtures after review). Installs Debian's
# aodh-notifier (~7 s), runs it only for the capture, then stops it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -eq 1 ]] || ost_die "usage: capture-aodh.sh OUT_DIR"
OUT=$(realpath -m "$1")
mkdir -p "$OUT"
bash "$OST_HERE/keystone-up.sh" >/dev/null
# shellcheck disable=SC1090
. "$OST_ENV_FILE"
ost_rabbitmq
ost_install aodh-notifier
conf=$OST_STATE/aodh.conf
cat >"$conf" <<CONF
# Written by Fresco's test/services/openstack/capture-aodh.sh.
[DEFAULT]
transport_url = $TRANSPORT_URL
[service_credentials]
auth_type = password
auth_url = $KEYSTONE_URL
username = $OS_SERVICE_USERNAME
password = $OST_PASSWORD
project_name = service
user_domain_id = default
project_domain_id = default
interface = public
region_name = RegionOne
CONF
trap 'ost_stop aodh-notifier' EXIT
ost_alive aodh-notifier || ost_spawn aodh-notifier aodh-notifier --config-file "$conf"
OS_TRANSPORT_URL=$TRANSPORT_URL "$OST_PY" "$OST_HERE/capture-aodh.py" "$conf" "$OUT"
