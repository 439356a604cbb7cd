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
    (cd / && runuser -u postgres -- "$@")  # from /: the checkout may be closed to postgres
  else
    "$@"
  fi
}

# As root, the cluster runs as 'postgres', which must be able to enter the checkout (a
# clone under /root cannot be). Then the cluster lives in /var/lib/splitbook/<checkout id>
# and .local/pg-home says where (make clean removes it too).
PGLOG="$LOGS/postgres.log"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  if ! as_pg test -x "$LOCAL"; then
    PGHOME="/var/lib/splitbook/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    mkdir -p "$PGHOME" && chown postgres "$PGHOME" && chmod 700 "$PGHOME" \
      || die "the postgres user cannot enter $LOCAL, and $PGHOME could not be made: clone the project somewhere postgres can read (e.g. /srv or /opt)"
    [ -f "$LOCAL/pg-home" ] || say "the postgres user cannot enter $LOCAL: the cluster lives in $PGHOME"
    echo "$PGHOME" >"$LOCAL/pg-home"
    PGDATA="$PGHOME/pg"
    PGLOG="$PGHOME/postgres.log"
  fi
fi

status() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
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
  [ "$(id -u)" = 0 ] && touch "$PGLOG" && chown postgres "$PGLOG"
  if status; then say "postgres already running on $PG_PORT"; return 0; fi
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null \
    || die "postgres did not start: see $PGLOG"
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
