#!/usr/bin/env bash
# The pipeline's workers — posting consumer, relay, projection worker, release scheduler,
# payout scheduler, alerts worker and the HTTP API (SPLITBOOK_WORKERS="post relay project"
# leaves the schedulers, the alerts and the API out)
# — under one supervisor (`splitbook supervise`) that restarts any worker that exits,
# with backoff. `pipeline.sh status` (= `splitbook status`) shows each worker's pid,
# restarts and last error.
# Usage: pipeline.sh start|stop|status   (start is idempotent; logs in .local/logs/)
source "$(dirname "$0")/lib.sh"
WORKERS="${SPLITBOOK_WORKERS:-post relay project release-scheduler payout-scheduler alerts api}"
SPLITBOOK="$ROOT/.venv/bin/splitbook"
STATE="$RUN/supervisor.json"

start() {
  [ -f "$LOCAL/env" ] || die "no .local/env: run 'make up' (services first)"
  set -a; source "$LOCAL/env"; set +a
  "$SPLITBOOK" migrate >/dev/null
  if pid_alive "$RUN/supervisor.pid"; then say "pipeline already running (splitbook status)"; return 0; fi
  rm -f "$STATE"
  nohup "$SPLITBOOK" supervise --workers "$WORKERS" --metrics-base-port 8410 --state "$STATE" --logs "$LOGS" >>"$LOGS/supervisor.log" 2>&1 &
  echo $! >"$RUN/supervisor.pid"
  say "started the supervisor (pid $!) for: $WORKERS (logs .local/logs/<worker>.log)"
  for _ in $(seq 1 40); do
    sleep 0.25
    pid_alive "$RUN/supervisor.pid" || die "the supervisor exited at start: see .local/logs/supervisor.log"
    [ -f "$STATE" ] && "$SPLITBOOK" status --state "$STATE" >/dev/null 2>&1 && return 0
  done
  "$SPLITBOOK" status --state "$STATE" || die "a worker did not stay up: see .local/logs/"
}

stop() {
  stop_pid supervisor 30  # it gives its workers 20 s
  # workers of an older pipeline script (one pid file each), if any are left
  for w in post relay project release-scheduler payout-scheduler; do stop_pid "$w"; done
  say "pipeline stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) "$SPLITBOOK" status --state "$STATE" ;;
  *) die "usage: pipeline.sh start|stop|status" ;;
esac
