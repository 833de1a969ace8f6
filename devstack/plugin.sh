#!/bin/bash
# DevStack plugin entry point for Fresco: sourced by stack.sh, unstack.sh and clean.sh as
# `plugin.sh <mode> [phase]`. It only dispatches; the work is in lib/fresco.

# Sourced: save and quiet xtrace, restore it at the end (DevStack convention).
_XTRACE_FRESCO_PLUGIN=$(set +o | grep xtrace)
set +o xtrace

# shellcheck disable=SC2153 # FRESCO_DIR comes from settings
source "$FRESCO_DIR/devstack/lib/fresco"

if is_service_enabled fresco-api fresco-engine fresco-listener; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Fresco"
        install_fresco
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        # Before Swift starts: its proxy pipeline must be final by then.
        echo_summary "Configuring Fresco"
        configure_fresco
        if is_service_enabled key; then
            create_fresco_accounts
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing and starting Fresco"
        init_fresco
        start_fresco
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_fresco
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_fresco
    fi
fi

$_XTRACE_FRESCO_PLUGIN
