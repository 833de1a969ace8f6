#!/usr/bin/env bash
# The DevStack helpers Fresco's plugin calls, backed by the real services on this machine:
# Keystone through the `openstack` CLI as admin, PostgreSQL through psql, RabbitMQ, Docker,
# and processes started in the background with a pid file instead of systemd units.
# Sourced by run.sh after /tmp/openstack-env.sh; signatures follow DevStack's functions-common.
# shellcheck disable=SC2034 # variables here are read by the sourced plugin

# Runtime directory of the fake: pid files and process logs.
FAKE_RUN_DIR=${FAKE_RUN_DIR:?}
mkdir -p "$FAKE_RUN_DIR/pids" "$FAKE_RUN_DIR/logs"

# --- messages and options ----------------------------------------------------------------

function echo_summary { echo ">>> $*"; }
function die { local line=$1; shift; echo "[ERROR] plugin line $line: $*" >&2; exit 1; }
function is_ubuntu { [[ -f /etc/debian_version ]]; }
function is_fedora { [[ -f /etc/redhat-release ]]; }
# We run as root here; DevStack runs as $STACK_USER with sudo.
function sudo { "$@"; }

# trueorfalse DEFAULT VARNAME: the variable's value as True/False.
function trueorfalse {
    local default=$1 value=${!2:-}
    case "${value:-$default}" in
        1|yes|Yes|YES|true|True|TRUE|on|On|ON) echo True ;;
        *) echo False ;;
    esac
}

# --- services ----------------------------------------------------------------------------

function define_plugin { :; }
function plugin_requires { :; }
function enable_service {
    local s
    for s in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$s,"* ]] || ENABLED_SERVICES+=",$s"
    done
}
# is_service_enabled NAME...: true if any is enabled (an OR, as in DevStack).
function is_service_enabled {
    local s
    for s in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$s,"* ]] && return 0
    done
    return 1
}

# --- packages ----------------------------------------------------------------------------

function install_package {
    dpkg -s "$@" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
# A local directory goes to Debian's python (the one with the OpenStack libraries; a pyenv
# python3 may come first on PATH); a PyPI name to its Debian package (no PyPI access needed).
function pip_install {
    local arg
    for arg in "$@"; do
        if [[ -d "$arg" ]]; then
            /usr/bin/python3 -m pip install -q --no-deps --no-build-isolation --break-system-packages \
                --root-user-action=ignore "$arg"
        else
            install_package "python3-$arg"
        fi
    done
}

# --- ini files (python3 configparser: no crudini on this machine) ------------------------

function _ini {
    /usr/bin/python3 - "$@" <<'PY'
import configparser, sys
op, path, section, option = sys.argv[1:5]
cp = configparser.RawConfigParser(interpolation=None, strict=False)
cp.optionxform = str
cp.read(path)
if op == 'get':
    if cp.has_option(section, option):
        print(cp.get(section, option))
    sys.exit(0)
if section != 'DEFAULT' and not cp.has_section(section):
    cp.add_section(section)
if op == 'set':
    cp.set(section, option, sys.argv[5])
elif cp.has_option(section, option):
    cp.remove_option(section, option)
with open(path, 'w') as f:
    cp.write(f)
PY
}
function iniset { [[ "$1" == "-sudo" ]] && shift; _ini set "$@"; }
function iniget { _ini get "$@"; }
function inicomment { [[ "$1" == "-sudo" ]] && shift; _ini del "$@"; }

# --- Keystone (as admin) -----------------------------------------------------------------

function _os_admin {
    openstack --os-auth-url "$OS_AUTH_URL" --os-identity-api-version 3 \
        --os-username "$OS_ADMIN_USERNAME" --os-password "$OS_ADMIN_PASSWORD" \
        --os-project-name "$OS_ADMIN_PROJECT_NAME" --os-user-domain-name Default \
        --os-project-domain-name Default "$@"
}
# get_or_create_service NAME TYPE DESCRIPTION: prints the service id.
function get_or_create_service {
    local id
    id=$(_os_admin service list -f value -c ID -c Name -c Type | awk -v n="$1" -v t="$2" '$2 == n && $3 == t {print $1; exit}')
    [[ -n "$id" ]] || id=$(_os_admin service create --name "$1" --description "$3" -f value -c id "$2")
    echo "$id"
}
function _get_or_create_endpoint_with_interface {
    local service=$1 interface=$2 url=$3 region=$4 id
    id=$(_os_admin endpoint list --service "$service" --interface "$interface" --region "$region" -f value -c ID -c URL \
        | awk -v u="$url" '$2 == u {print $1; exit}')
    [[ -n "$id" ]] || id=$(_os_admin endpoint create --region "$region" -f value -c id "$service" "$interface" "$url")
    echo "$id"
}
# get_or_create_endpoint SERVICE REGION PUBLIC [ADMIN] [INTERNAL]: one endpoint per URL given.
function get_or_create_endpoint {
    local service=$1 region=$2
    _get_or_create_endpoint_with_interface "$service" public "$3" "$region"
    [[ -z "${4:-}" ]] || _get_or_create_endpoint_with_interface "$service" admin "$4" "$region"
    [[ -z "${5:-}" ]] || _get_or_create_endpoint_with_interface "$service" internal "$5" "$region"
}
function get_or_add_user_project_role {
    _os_admin role add --user "$2" --user-domain Default --project "$3" --project-domain Default "$1"
}
# create_service_user NAME [ROLE]: the user in the service project with role service (+ROLE).
function create_service_user {
    if ! _os_admin user show --domain Default "$1" >/dev/null 2>&1; then
        _os_admin user create --domain Default --password "$SERVICE_PASSWORD" "$1" >/dev/null
    fi
    get_or_add_user_project_role service "$1" "$SERVICE_PROJECT_NAME"
    [[ -z "${2:-}" ]] || get_or_add_user_project_role "$2" "$1" "$SERVICE_PROJECT_NAME"
}

# --- database and messaging --------------------------------------------------------------

function database_connection_url {
    echo "postgresql://$DATABASE_USER@$DATABASE_HOST/$1?client_encoding=utf8"
}
function recreate_database {
    dropdb -h "$DATABASE_HOST" -U "$DATABASE_USER" --if-exists "$1"
    createdb -h "$DATABASE_HOST" -U "$DATABASE_USER" -l C -T template0 -E utf8 "$1"
}
function get_transport_url { echo "$FAKE_TRANSPORT_URL"; }
function get_notification_url { echo "$FAKE_TRANSPORT_URL"; }

# --- processes ---------------------------------------------------------------------------

# run_process NAME "ABS_CMD" [GROUP] [USER] ["ENV=1 ENV2=2"]: a background process in its own
# session, logging to $FAKE_RUN_DIR/logs/NAME.log (a systemd unit in DevStack).
function run_process {
    local name=$1 cmd=$2 env=${5:-}
    is_service_enabled "$name" || return 0
    [[ "$cmd" == /* ]] || die $LINENO "run_process $name: the command must start with an absolute path"
    # shellcheck disable=SC2086 # cmd and env are word lists, as in DevStack
    setsid env $env $cmd >"$FAKE_RUN_DIR/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$FAKE_RUN_DIR/pids/$name.pid"
}
# stop_process NAME: TERM, then KILL after 10 s.
function stop_process {
    local pidfile="$FAKE_RUN_DIR/pids/$1.pid" pid
    [[ -f "$pidfile" ]] || return 0
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
}
# wait_for_service TIMEOUT URL
function wait_for_service {
    local deadline=$((SECONDS + $1))
    while ((SECONDS < deadline)); do
        curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
