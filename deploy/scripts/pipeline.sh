#!/usr/bin/env bash
# The pipeline's workers as background processes: posting consumer, relay, projection
# worker, release scheduler and payout scheduler (SPLITBOOK_WORKERS="post relay project"
# leaves the schedulers out).
# Usage: pipeline.sh start|stop|status   (start is idempotent; logs in .local/logs/)
source "$(dirname "$0")/lib.sh"
read -r -a WORKERS <<<"${SPLITBOOK_WORKERS:-post relay project release-scheduler payout-scheduler}"
ALL_WORKERS=(post relay project release-scheduler payout-scheduler)
SPLITBOOK="$ROOT/.venv/bin/splitbook"

start() {
  [ -f "$LOCAL/env" ] || die "no .local/env: run 'make up' (services first)"
  set -a; source "$LOCAL/env"; set +a
  "$SPLITBOOK" migrate >/dev/null
  for w in "${WORKERS[@]}"; do
    if pid_alive "$RUN/$w.pid"; then say "$w already running"; continue; fi
    case "$w" in
      payout-scheduler) cmd=(payouts scheduler) ;;
      *) cmd=("$w") ;;
    esac
    nohup "$SPLITBOOK" "${cmd[@]}" >>"$LOGS/$w.log" 2>&1 &
    echo $! >"$RUN/$w.pid"
    say "started $w (pid $!, log .local/logs/$w.log)"
  done
  sleep 1
  for w in "${WORKERS[@]}"; do
    pid_alive "$RUN/$w.pid" || die "$w exited at start: see .local/logs/$w.log"
  done
}

stop() { for w in "${ALL_WORKERS[@]}"; do stop_pid "$w"; done; say "pipeline stopped"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) for w in "${ALL_WORKERS[@]}"; do pid_alive "$RUN/$w.pid" && echo "$w running" || echo "$w stopped"; done ;;
  *) die "usage: pipeline.sh start|stop|status" ;;
esac
