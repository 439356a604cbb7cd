#!/usr/bin/env bash
# PostgreSQL + Kafka, started from the project's own files, unless DATABASE_URL /
# KAFKA_BOOTSTRAP_SERVERS already point at running ones. Writes .local/env.
# Usage: services.sh up|down
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  up)
    if [ -z "${DATABASE_URL:-}" ]; then
      bash "$ROOT/deploy/scripts/postgres.sh" start
      DATABASE_URL="postgresql://splitbook@127.0.0.1:$PG_PORT/splitbook"
    fi
    if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
      bash "$ROOT/deploy/scripts/kafka.sh" start
      KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
    fi
    printf 'DATABASE_URL=%s\nKAFKA_BOOTSTRAP_SERVERS=%s\nSPLITBOOK_API_URL=%s\n' "$DATABASE_URL" \
      "$KAFKA_BOOTSTRAP_SERVERS" "${SPLITBOOK_API_URL:-http://127.0.0.1:8400}" >"$LOCAL/env"
    ;;
  down)
    bash "$ROOT/deploy/scripts/kafka.sh" stop
    bash "$ROOT/deploy/scripts/postgres.sh" stop
    ;;
  *) die "usage: services.sh up|down" ;;
esac
