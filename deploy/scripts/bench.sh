#!/usr/bin/env bash
# make bench [ARGS="--events 100000 --baseline-events 10000 [--profile]"]
# make bench-latency [ARGS="--rates 500,1000,2000,4000,8000 --seconds 20"]  (BENCH=latency)
source "$(dirname "$0")/lib.sh"
bash "$ROOT/deploy/scripts/env.sh"
bash "$ROOT/deploy/scripts/services.sh" up
cd "$ROOT"
if [ "${BENCH:-posting}" = latency ]; then
  "$PYTHON" -c 'import matplotlib' 2>/dev/null || "$ROOT/.venv/bin/pip" install -q -e "$ROOT[bench]" >>"$LOGS/pip.log" 2>&1 \
    || say "matplotlib could not be installed: no plot, the table and JSON still"
  exec "$PYTHON" -m services.bench.latency "$@"
fi
case " $* " in *" --profile "*)
  [ -x "$ROOT/.venv/bin/py-spy" ] || "$ROOT/.venv/bin/pip" install -q -e "$ROOT[bench]" >>"$LOGS/pip.log" 2>&1 \
    || say "py-spy could not be installed: no flame graphs";;
esac
exec "$PYTHON" -m services.bench.posting "$@"
