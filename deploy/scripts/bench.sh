#!/usr/bin/env bash
# make bench [ARGS="--events 100000 --baseline-events 10000"]
source "$(dirname "$0")/lib.sh"
bash "$ROOT/deploy/scripts/env.sh"
bash "$ROOT/deploy/scripts/services.sh" up
cd "$ROOT"
exec "$PYTHON" -m services.bench.posting "$@"
