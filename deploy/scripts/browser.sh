#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (Playwright drives /usr/bin/chromium;
# no browser is downloaded). Installed once, with apt.
source "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null 2>&1 && exit 0
say "installing Debian's chromium (the console's tests drive it)"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium >"$LOGS/apt.log" 2>&1 \
  || { $SUDO apt-get update -q >>"$LOGS/apt.log" 2>&1 && $SUDO apt-get install -y -q chromium >>"$LOGS/apt.log" 2>&1; } \
  || die "could not install chromium with apt: see $LOGS/apt.log"
