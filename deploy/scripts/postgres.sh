#!/usr/bin/env bash
# Starts/stops the project's own PostgreSQL cluster in .local/pg (TCP on 127.0.0.1 only).
# Usage: postgres.sh start|stop|crash|status   (start is idempotent)
source "$(dirname "$0")/lib.sh"
PGDATA="$LOCAL/pg"
PGBIN="${SPLITBOOK_PG_BIN:-}"
if [ -z "$PGBIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN="$d"; done
fi
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || die "PostgreSQL binaries not found: install postgresql-15 (initdb, pg_ctl)"

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

status() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA" "$LOGS"
    say "initdb $PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U splitbook --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
      || die "initdb failed: see $LOGS/initdb.log"
    cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
shared_buffers = 512MB
wal_level = minimal
max_wal_senders = 0
synchronous_commit = on
max_wal_size = 4GB
checkpoint_timeout = 15min
fsync = on
CONF
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$LOGS" && touch "$LOGS/postgres.log" && chown postgres "$LOGS/postgres.log"
  if status; then say "postgres already running on $PG_PORT"; return 0; fi
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 start >/dev/null \
    || die "postgres did not start: see $LOGS/postgres.log"
  for _ in $(seq 1 100); do
    "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 0.1
  done
  "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U splitbook -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='splitbook'" | grep -q 1 \
    || "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U splitbook splitbook
  say "postgres up on 127.0.0.1:$PG_PORT"
}

stop() {
  if status; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; say "postgres stopped"; fi
}

crash() {  # immediate shutdown: no checkpoint, crash recovery at the next start (the fault campaign)
  if status; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null; say "postgres stopped (immediate)"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  crash) crash ;;
  status) status && echo running || { echo stopped; exit 1; } ;;
  *) die "usage: postgres.sh start|stop|crash|status" ;;
esac
