#!/usr/bin/env bash
# Installs the system services the test suite starts for itself: PostgreSQL, Redis, Chromium.
# On Debian/Ubuntu as root it uses apt-get; elsewhere it names what to install and carries on
# (tests that need a missing binary are then skipped loudly, or fail under CI=true).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# The virtualenv needs ensurepip, which Debian ships separately.
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "System packages present: postgresql, redis-server, chromium."
  exit 0
fi

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "!! apt-get could not install: ${missing[*]}"
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    echo "!! Tests that need them will be skipped (they fail when CI=true)."
  fi
  # The Debian package starts nothing here; the tests start their own throwaway servers.
else
  echo "!! Missing system packages: ${missing[*]}"
  echo "!! Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})."
  echo "!! Tests that need them will be skipped (or fail when CI=true)."
fi
