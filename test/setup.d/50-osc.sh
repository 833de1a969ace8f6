#!/usr/bin/env bash
# For test/integration/osc and test/devstack: Debian's OpenStack client and Qinling client (the
# OSC plugin must coexist with it), the real Keystone of test/services/openstack, and Fresco's OSC
# plugin (osc/) installed into Debian's python3. Idempotent: ~2 s when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive

# keystone-up.sh installs keystone, which depends on python3-openstackclient; install it first
# anyway so that a Keystone started elsewhere still leaves us a client.
need=()
for pkg in python3-openstackclient python3-qinlingclient; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
    apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
bash test/services/openstack/keystone-up.sh >/dev/null

# modules_hash DIR: one hash of the Python modules under DIR.
modules_hash() { (cd "$1" && find . -name '*.py' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1); }
# The installed plugin's modules; empty when none is installed.
installed_modules_hash() {
    local dir
    dir=$(/usr/bin/python3 -c 'import os, fresco_osc; print(os.path.dirname(fresco_osc.__file__))' 2>/dev/null) || return 0
    modules_hash "$dir"
}

# Reinstall when osc/ changed since the last install (pip would otherwise keep the old copy), or
# when the installed modules are not these: on a machine shared by several checkouts another one
# (its DevStack harness, say) may have installed its own version without the stamp.
# pip builds in the source folder (build/, *.egg-info): it gets a copy, so the checkout stays clean.
# With FRESCO_OSC_PYTHONPATH (a directory holding a plugin installed with pip --target, see
# test/integration/osc/osc-world.ts) the tests run that plugin: the system's is left alone.
if [[ -n ${FRESCO_OSC_PYTHONPATH:-} ]]; then
    echo "osc: using the plugin in $FRESCO_OSC_PYTHONPATH"
    exit 0
fi
stamp=/var/lib/fresco-test/osc.sha
current=$(find osc -path osc/build -prune -o -name '*.egg-info' -prune -o -type f -print0 \
    | sort -z | xargs -0 sha1sum | sha1sum | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$current" ]] \
    || [[ "$(installed_modules_hash)" != "$(modules_hash osc/fresco_osc)" ]] \
    || ! /usr/bin/openstack fn --help >/dev/null 2>&1; then
    src=$(mktemp -d)
    trap 'rm -rf "$src"' EXIT
    cp -r osc "$src/"
    rm -rf "$src/osc/build" "$src"/osc/*.egg-info
    /usr/bin/python3 -m pip install -q --no-deps --no-build-isolation --break-system-packages \
        --root-user-action=ignore "$src/osc"
    mkdir -p "$(dirname "$stamp")"
    echo "$current" >"$stamp"
fi
echo "osc: openstack fn plugin installed ($(/usr/bin/openstack --version 2>&1))"
