# Misbehaving (or merely slow) function; $1 (the image's entrypoint argument) or MODE picks how.
case "${1:-$MODE}" in
  sleep) exec sleep 3600 ;;
  nap) sleep "${NAP_SECONDS:-2}"; echo "napped $CALL_ID $(cat)" ;;
  fail) echo "about to fail" >&2; echo partial; exit 3 ;;
  oom) exec /oom ;;
  flood) exec yes flood-flood-flood-flood-flood-flood-flood-flood ;;
  forkbomb) bomb() { bomb | bomb & }; bomb; sleep 3600 ;;
  probe) id; touch /probe 2>&1 || true; echo tmp > /tmp/probe && cat /tmp/probe ;;
  ticker) # live logs: a line and a progress line on stderr every ~0.3 s, $TICKS times (5), then its output
    n=${TICKS:-5}; i=1
    while [ "$i" -le "$n" ]; do echo "tick $i" >&2; echo "FRESCO_PROGRESS $((i * 100 / n)) tick $i" >&2; sleep 0.3; i=$((i + 1)); done
    echo "ticked $(cat)" ;;
  stamps) # live-log latency (bench): "stamp <epoch seconds.microseconds>" on stderr every $GAP s (0.05), $STAMPS times (40)
    n=${STAMPS:-40}; i=0
    while [ "$i" -lt "$n" ]; do echo "stamp $EPOCHREALTIME" >&2; sleep "${GAP:-0.05}"; i=$((i + 1)); done ;;
  garbage) read -r line; printf 'GARBAGE GARBAGE\r\n\r\n'; exec cat >/dev/null ;;
  *) echo "unknown MODE '$MODE'" >&2; exit 2 ;;
esac
