#!/usr/bin/env bash
# Creates .venv and installs the project and its compiled capture lane (once; again when they change).
source "$(dirname "$0")/lib.sh"
need python3 "python3 not found: install Python 3.11+"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ needed, found $(python3 --version)"
stamp="$ROOT/.venv/.installed"
# again when pyproject.toml or the capture lane's sources (services/native) change
want="$(cat "$ROOT/pyproject.toml" "$ROOT"/services/native/{pyproject.toml,Cargo.toml,Cargo.lock,src/*.rs} | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$PYTHON" ]; then exit 0; fi
say "creating .venv and installing dependencies"
[ -x "$PYTHON" ] || python3 -m venv "$ROOT/.venv" || die "python3 -m venv failed: install python3-venv"
"$ROOT/.venv/bin/pip" install -q --upgrade pip >"$LOGS/pip.log" 2>&1 || true
"$ROOT/.venv/bin/pip" install -q -e "$ROOT[test]" >>"$LOGS/pip.log" 2>&1 || die "pip install failed: see $LOGS/pip.log"
# The compiled capture lane (Rust, built by maturin from PyPI with crates from crates.io).
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"  # rustup's, when the shell has not sourced it
need cargo "cargo not found: install Rust (rustup) to build the capture lane in services/native"
say "building the capture lane (services/native)"
"$ROOT/.venv/bin/pip" install -q "$ROOT/services/native" >>"$LOGS/pip.log" 2>&1 \
  || die "the capture lane (services/native) did not build: see $LOGS/pip.log"
echo "$want" >"$stamp"
