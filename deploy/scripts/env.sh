#!/usr/bin/env bash
# Creates .venv and installs the project (once; again when pyproject.toml changes).
source "$(dirname "$0")/lib.sh"
need python3 "python3 not found: install Python 3.11+"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ needed, found $(python3 --version)"
stamp="$ROOT/.venv/.installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$PYTHON" ]; then exit 0; fi
say "creating .venv and installing dependencies"
[ -x "$PYTHON" ] || python3 -m venv "$ROOT/.venv" || die "python3 -m venv failed: install python3-venv"
"$ROOT/.venv/bin/pip" install -q --upgrade pip >"$LOGS/pip.log" 2>&1 || true
"$ROOT/.venv/bin/pip" install -q -e "$ROOT[test]" >>"$LOGS/pip.log" 2>&1 || die "pip install failed: see $LOGS/pip.log"
echo "$want" >"$stamp"
