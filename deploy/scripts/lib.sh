# Shared helpers for the service scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="$ROOT/.local"
RUN="$LOCAL/run"
LOGS="$LOCAL/logs"
mkdir -p "$RUN" "$LOGS"

PG_PORT="${SPLITBOOK_PG_PORT:-54329}"
KAFKA_PORT="${SPLITBOOK_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${SPLITBOOK_KAFKA_CONTROLLER_PORT:-19093}"
PYTHON="$ROOT/.venv/bin/python"

die() { echo "error: $*" >&2; exit 1; }
say() { echo "[splitbook] $*"; }
need() { command -v "$1" >/dev/null 2>&1 || die "$2"; }

# pid_alive FILE -> 0 when the pid in FILE is a running process
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid NAME [SECONDS]: TERM, wait up to SECONDS (default 20), then KILL
stop_pid() {
  local f="$RUN/$1.pid" wait_s="${2:-20}"
  if pid_alive "$f"; then
    local pid; pid="$(cat "$f")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((wait_s * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "$1 did not stop in $wait_s s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}
