#!/usr/bin/env bash
# make test: the whole suite against real Kafka and PostgreSQL (started here when needed).
source "$(dirname "$0")/lib.sh"
bash "$ROOT/deploy/scripts/env.sh"
bash "$ROOT/deploy/scripts/browser.sh"   # Debian's chromium, for the console's tests
if ! "$PYTHON" -c 'import docker; docker.from_env().ping()' >/dev/null 2>&1; then
  bash "$ROOT/deploy/scripts/services.sh" up   # no Docker engine: local processes
fi
cd "$ROOT"
exec "$PYTHON" -m pytest "$@"
