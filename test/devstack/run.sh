#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs Fresco's DevStack plugin for real on this machine and checks what it leaves:
#   stack install -> post-config -> extra; checks; unstack; clean; checks.
# DevStack itself is replaced by fake-devstack.sh (its helpers, backed by the real Keystone,
# PostgreSQL, RabbitMQ and Docker here). The plugin installs into a copy of this working tree
# (npm ci there), so this checkout's node_modules and dist are never touched. The services come
# from the repository's own scripts (test/services).
#
#   bash test/devstack/run.sh          # ~1 min; exit 0 when every check passes
# Env: FRESCO_DEVSTACK_KEEP=1 keeps the temp dir.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ENV_FILE=${OPENSTACK_ENV_FILE:-/tmp/openstack-env.sh}
WORK=$(mktemp -d /tmp/fresco-devstack.XXXXXX)
FAILURES=0
CHECKS=0

# --- reporting ---------------------------------------------------------------------------

function pass { CHECKS=$((CHECKS + 1)); echo "ok   - $*"; }
function fail { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "FAIL - $*"; }
# check "DESCRIPTION" CMD...: runs CMD quietly and records the outcome.
function check {
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
function poll {
    local seconds=$1; shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# --- the machine's services --------------------------------------------------------------

function bring_up_services {
    bash "$REPO/test/services/base-up.sh" >/dev/null
    # Swift (and Keystone): the plugin keeps code packages in Swift when Swift is enabled.
    bash "$REPO/test/services/openstack/swift-up.sh" "$ENV_FILE" >/dev/null
    set -a
    # shellcheck disable=SC1090 # written by keystone-up.sh and swift-up.sh
    . "$ENV_FILE"
    set +a
}

function port_free { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints a free TCP port on loopback.
function free_port {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- a DevStack-like environment ---------------------------------------------------------

# The catalog entry keystone-up.sh made points at $FAAS_URL (port 8080), which anything on this
# machine may hold. The plugin's API gets a free port instead, and its endpoints a region of our
# own, removed at the end, so that the machine's catalog keeps no extra endpoint.
function choose_port_and_region {
    FRESCO_SERVICE_PORT=$(free_port)
    FRESCO_ENGINE_HOP_PORT=$(free_port)
    REGION_NAME="FrescoDevstackTest-$$"
    OWN_REGION=$REGION_NAME
    _os_admin region create "$REGION_NAME" >/dev/null
    # What DevStack's lib/swift registers in its region: the machine's real Swift proxy.
    _os_admin endpoint create --region "$REGION_NAME" object-store public "$SWIFT_URL/v1/AUTH_%(project_id)s" >/dev/null
    echo "harness: API port $FRESCO_SERVICE_PORT, engine hop port $FRESCO_ENGINE_HOP_PORT, region $REGION_NAME"
}

# shellcheck disable=SC2034 # DevStack variables, read by the sourced plugin and fake-devstack.sh
function devstack_environment {
    DEST=$WORK/opt/stack
    DATA_DIR=$WORK/data
    STACK_USER=$(id -un)
    SERVICE_HOST=127.0.0.1
    SERVICE_PROTOCOL=http
    SERVICE_LISTEN_ADDRESS=127.0.0.1
    # How long start_fresco waits for the API (DevStack: 60 s); a role that fails does so at once.
    SERVICE_TIMEOUT=20
    SERVICE_PASSWORD=$OS_SERVICE_PASSWORD
    SERVICE_PROJECT_NAME=$OS_SERVICE_PROJECT_NAME
    SERVICE_DOMAIN_NAME=Default
    KEYSTONE_SERVICE_URI=${OS_AUTH_URL%/v3}
    DATABASE_HOST=127.0.0.1
    DATABASE_USER=postgres
    FAKE_TRANSPORT_URL=${OS_TRANSPORT_URL:-rabbit://guest:guest@127.0.0.1:5672/}
    FAKE_RUN_DIR=$WORK/run
    ENABLED_SERVICES=key,postgresql,rabbit,swift
    # Swift is "enabled" against a proxy-server.conf of our own: the plugin's pipeline edit is
    # checked without touching a running Swift.
    SWIFT_CONFIG_PROXY_SERVER=$WORK/swift/proxy-server.conf
    mkdir -p "$WORK/swift" "$DEST"
    printf '[pipeline:main]\npipeline = catch_errors proxy-logging authtoken keystoneauth proxy-logging proxy-server\n\n[app:proxy-server]\nuse = egg:swift#proxy\n' \
        >"$SWIFT_CONFIG_PROXY_SERVER"
    # The plugin's settings: everything under $WORK; a database name of our own.
    FRESCO_DIR=$DEST/fresco
    FRESCO_CONF_DIR=$WORK/etc/fresco
    FRESCO_DB_NAME=fresco_devstack_$$
    FRESCO_NOTIFICATIONS_QUEUE=fresco-devstack-test-$$
    FRESCO_NODE_SOURCE=none
    FRESCO_INSTALL_DOCKER=False
    FRESCO_NPM_CI_FLAGS="--no-audit --no-fund --prefer-offline"
    export DEST DATA_DIR FRESCO_DIR
}

# What DevStack's enable_plugin does: the plugin's repository checked out under $DEST.
function clone_plugin {
    rsync -a --exclude node_modules --exclude dist --exclude data --exclude 'osc/build' \
        --exclude '*.egg-info' --exclude .git "$REPO/" "$FRESCO_DIR/"
}

# --- checks ------------------------------------------------------------------------------

function pid_alive { [[ -f "$FAKE_RUN_DIR/pids/$1.pid" ]] && kill -0 "$(cat "$FAKE_RUN_DIR/pids/$1.pid")"; }
function conf_has { [[ "$(iniget "$FRESCO_CONF_FILE" "$1" "$2")" == "$3" ]]; }

# The functions entry of the catalog, as the demo user sees it in our region.
function catalog_has_fresco {
    local interface
    for interface in public internal; do
        openstack --os-username "$OS_DEMO_USERNAME" --os-project-name "$OS_DEMO_PROJECT_NAME" \
            --os-region-name "$REGION_NAME" catalog show "$FRESCO_SERVICE_TYPE" -f json \
            | /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)
region, interface, url, name = sys.argv[1:]
found = [e for e in s["endpoints"]
         if e["region_id"] == region and e["interface"] == interface and e["url"] == url]
sys.exit(0 if found and s["name"] == name else 1)' \
            "$REGION_NAME" "$interface" "$FRESCO_SERVICE_URL" "$FRESCO_SERVICE_NAME" || return 1
    done
}

# `openstack fn app list` through the catalog with a real demo token: discovery and keystone auth.
function osc_via_catalog { osc_demo fn app list -f json; }

function osc_demo { openstack --os-username "$OS_DEMO_USERNAME" --os-project-name "$OS_DEMO_PROJECT_NAME" \
    --os-region-name "$REGION_NAME" "$@"; }

function cluster_configured {
    [[ -n "$(iniget "$FRESCO_CONF_FILE" cluster secret)" ]] && conf_has cluster advertise_url "$FRESCO_ENGINE_HOP_URL"
}

# The engine announced itself in the database with its hop URL (the API finds it there).
function engine_in_membership { poll 20 engine_row_up; }
function engine_row_up {
    [[ "$(psql -h 127.0.0.1 -U postgres -d "$FRESCO_DB_NAME" -tAc "select url from engines where state = 'up'")" == "$FRESCO_ENGINE_HOP_URL" ]]
}

# `openstack fn run` through the catalog: fresco-api places the sync call on fresco-engine over the call hop.
function osc_run_sync {
    osc_demo fn app create devstack-hello -f value -c name >/dev/null &&
    osc_demo fn route create devstack-hello /greet --image fresco-test/hello:1 -f value -c path >/dev/null &&
    [[ "$(osc_demo fn run devstack-hello /greet --data '"DevStack"' -f value -c result)" == "Hello \"DevStack\"" ]]
}

# An async route: fresco-api queues it in RabbitMQ, the fresco-engine process runs it.
function osc_run_async {
    local id status _
    osc_demo fn route create devstack-hello /later --image fresco-test/hello:1 --type async -f value -c path >/dev/null &&
    id=$(osc_demo fn run devstack-hello /later --data '"later"' -f value -c call_id) || return 1
    for _ in $(seq 1 60); do
        status=$(osc_demo fn call show "$id" -f value -c status) || return 1
        [[ $status == success ]] && return 0
        [[ $status == queued || $status == running ]] || return 1
        sleep 0.5
    done
    return 1
}

# A function from code: the python3 runtime the plugin built (install) and registered (init).
function osc_run_code {
    osc_demo fn route create devstack-hello /py --runtime python3 --entry hello.main \
        --file "$FRESCO_DIR/examples/python-hello/hello.py" -f value -c path >/dev/null &&
    [[ "$(osc_demo fn run devstack-hello /py --data '{"name": "DevStack"}' -f value -c result)" == '{"greeting": "Hello DevStack"}' ]]
}

# The package of that function, in Swift: the demo project's container in the service user's
# account, the object named by the file's sha256 (docs/runtimes.md, "Packages in Swift").
function package_in_swift {
    local digest
    digest=$(sha256sum "$FRESCO_DIR/examples/python-hello/hello.py" | cut -d' ' -f1)
    openstack --os-username "$FRESCO_SERVICE_USER" --os-password "$SERVICE_PASSWORD" \
        --os-project-name "$SERVICE_PROJECT_NAME" --os-region-name "$REGION_NAME" \
        object list "fresco_packages_$OS_DEMO_PROJECT_ID" -f value -c Name | grep -qx "$digest"
}

function check_stacked {
    check "fresco.conf: auth_strategy keystone" conf_has DEFAULT auth_strategy keystone
    check "fresco.conf: database connection" conf_has database connection \
        "postgresql://$DATABASE_USER@$DATABASE_HOST/$FRESCO_DB_NAME"
    check "fresco.conf: transport_url" conf_has DEFAULT transport_url "$FAKE_TRANSPORT_URL"
    check "fresco.conf: keystone_authtoken username" conf_has keystone_authtoken username fresco
    check "fresco.conf: docker host" conf_has docker host /var/run/docker.sock
    check "fresco.conf: cluster secret set, engine hop at $FRESCO_ENGINE_HOP_URL" cluster_configured
    check "database created and migrated (db sync is up to date)" \
        bash -c "'$FRESCO_BIN' --config-file '$FRESCO_CONF_FILE' db sync | grep -q 'up to date'"
    check "swift pipeline: ceilometer just before proxy-server" \
        bash -c "grep -q '^pipeline = .* keystoneauth proxy-logging ceilometer proxy-server$' '$SWIFT_CONFIG_PROXY_SERVER'"
    check "swift: [filter:ceilometer] uses ceilometermiddleware" \
        conf_has_file "$SWIFT_CONFIG_PROXY_SERVER" filter:ceilometer paste.filter_factory ceilometermiddleware.swift:filter_factory
    check "catalog: type functions, name picasso, public+internal at $FRESCO_SERVICE_URL" catalog_has_fresco
    check "fresco-api answers GET /healthcheck" curl -fsS "$FRESCO_SERVICE_URL/healthcheck"
    # A role that fails at start exits within a second or two; give them that long.
    sleep 3
    local name
    for name in fresco-api fresco-engine fresco-listener; do
        check "$name is running" pid_alive "$name"
    done
    check "openstack fn app list via the catalog, as demo (Keystone auth)" osc_via_catalog
    check "fresco-engine is in the membership with its hop URL" engine_in_membership
    check "openstack fn run returns the function's output (sync, fresco-api → fresco-engine)" osc_run_sync
    check "openstack fn run of an async route ends in success (RabbitMQ, fresco-engine)" osc_run_async
    check "openstack fn run of a Python function from code (runtime built and registered)" osc_run_code
    check "fresco.conf: [swift] enabled in region $REGION_NAME (Swift is enabled)" conf_has swift region_name "$REGION_NAME"
    check "the function's package is in Swift, in the demo project's container, named by its digest" package_in_swift
}
function endpoint_count {
    _os_admin endpoint list --service "$FRESCO_SERVICE_TYPE" --region "$REGION_NAME" -f value -c ID | wc -l
}
# DevStack re-runs post-config on every stack.sh: the accounts must be get-or-create.
function check_accounts_idempotent {
    local before after
    before=$(endpoint_count)
    # shellcheck source=../../devstack/lib/fresco
    (set -e; source "$FRESCO_DIR/devstack/lib/fresco"; create_fresco_accounts >/dev/null)
    after=$(endpoint_count)
    check "create_fresco_accounts again: still $before endpoints (got $after)" test "$before" -eq "$after"
}
function conf_has_file { [[ "$(iniget "$1" "$2" "$3")" == "$4" ]]; }

# Remembers the pids run_process recorded, to check after unstack that they are gone.
declare -A STACKED_PIDS=()
function remember_pids {
    local name
    for name in fresco-api fresco-engine fresco-listener; do
        STACKED_PIDS[$name]=$(cat "$FAKE_RUN_DIR/pids/$name.pid" 2>/dev/null || echo "")
    done
}
function pid_gone { [[ -z "$1" ]] || ! kill -0 "$1" 2>/dev/null; }

function check_unstacked {
    local name
    for name in fresco-api fresco-engine fresco-listener; do
        check "unstack: $name stopped" pid_gone "${STACKED_PIDS[$name]}"
    done
    check "unstack: the API port is closed" port_free "$FRESCO_SERVICE_PORT"
    check "unstack: the engine hop port is closed" port_free "$FRESCO_ENGINE_HOP_PORT"
}

function db_absent { [[ -z "$(psql -h "$DATABASE_HOST" -U "$DATABASE_USER" -tAc "select 1 from pg_database where datname = '$FRESCO_DB_NAME'" postgres)" ]]; }
# Containers Docker itself is already removing (or holds as dead) are not clean's to remove: a
# shared test host can keep such entries from other runs until dockerd restarts.
function no_labelled_containers {
    [[ -z "$(docker ps -aq --filter "label=$FRESCO_CONTAINER_LABEL" --filter status=created \
        --filter status=running --filter status=restarting --filter status=paused --filter status=exited)" ]]
}

function container_gone { ! docker inspect "$1" >/dev/null 2>&1; }

function check_cleaned {
    check "clean: the planted container is gone" container_gone "fresco-devstack-test-$$"
    check "clean: no container labelled $FRESCO_CONTAINER_LABEL" no_labelled_containers
    check "clean: $FRESCO_CONF_DIR removed" test ! -e "$FRESCO_CONF_DIR"
    check "clean: $FRESCO_STATE_PATH removed" test ! -e "$FRESCO_STATE_PATH"
    check "clean: database $FRESCO_DB_NAME dropped" db_absent
}

# A stopped container labelled as Fresco's, from an empty local image (no registry needed):
# clean must remove it.
function plant_container {
    tar cf - --files-from /dev/null | docker import - "fresco-devstack-test:$$" >/dev/null
    docker create --label "$FRESCO_CONTAINER_LABEL" --name "fresco-devstack-test-$$" \
        "fresco-devstack-test:$$" /nothing >/dev/null
}

# --- the run -----------------------------------------------------------------------------

# Leaves the machine as it was, whatever failed: processes, database, catalog, images, files.
function teardown {
    set +e
    local name
    for name in fresco-api fresco-engine fresco-listener; do stop_process "$name"; done
    docker rm -f "fresco-devstack-test-$$" >/dev/null 2>&1
    docker rmi "fresco-devstack-test:$$" >/dev/null 2>&1
    dropdb -h "$DATABASE_HOST" -U "$DATABASE_USER" --if-exists "$FRESCO_DB_NAME" 2>/dev/null
    if [[ -n "${OWN_REGION:-}" ]]; then
        local id
        for id in $(_os_admin endpoint list --region "$OWN_REGION" -f value -c ID); do
            _os_admin endpoint delete "$id"
        done
        _os_admin region delete "$OWN_REGION"
    fi
    if [[ "${FRESCO_DEVSTACK_KEEP:-}" == 1 ]]; then echo "harness: kept $WORK"; else rm -rf "$WORK"; fi
}

# Sources plugin.sh for one phase in a subshell with errexit (as stack.sh runs it), so that a
# failing phase is recorded and the later phases and checks still run.
function phase {
    echo "harness: plugin.sh $*"
    local rc started=$SECONDS
    set +e
    # shellcheck source=../../devstack/plugin.sh
    (set -e; source "$FRESCO_DIR/devstack/plugin.sh" "$@")
    rc=$?
    set -e
    local took=$((SECONDS - started))
    if ((rc == 0)); then pass "plugin.sh $* (${took} s)"; else fail "plugin.sh $* (exit $rc after ${took} s)"; fi
}

function main {
    bring_up_services
    devstack_environment
    source "$HERE/fake-devstack.sh"
    trap teardown EXIT
    choose_port_and_region
    clone_plugin
    # shellcheck source=../../devstack/settings
    source "$FRESCO_DIR/devstack/settings"
    FRESCO_BIN=$FRESCO_DIR/bin/fresco

    phase stack install
    phase stack post-config
    phase stack extra
    check_stacked
    check_accounts_idempotent
    remember_pids
    check "planted a stopped container labelled $FRESCO_CONTAINER_LABEL" plant_container

    phase unstack
    check_unstacked
    phase clean
    check_cleaned

    echo "harness: $((CHECKS - FAILURES))/$CHECKS checks passed; logs in $FAKE_RUN_DIR/logs"
    if ((FAILURES > 0)); then
        FRESCO_DEVSTACK_KEEP=1
        for f in "$FAKE_RUN_DIR"/logs/*.log; do echo "--- $f"; tail -n 5 "$f"; done
        return 1
    fi
}

main "$@"
