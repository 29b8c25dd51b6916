#!/usr/bin/env bash
# Installs what a fresh machine of this project's kind lacks, idempotently:
# the wasm32-wasip2 target (via build-plugins.sh) and the PostgreSQL server
# binaries the tests start on a temporary directory, and headless Chromium
# with its WebDriver (the console's browser tests). Safe to run repeatedly.
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && return 0
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && return 0; done
  return 1
}

if ! have_postgres; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else
    echo "setup: PostgreSQL server binaries (initdb, postgres) are missing; install them (e.g. 'apt-get install postgresql')" >&2
    exit 1
  fi
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  echo "setup: adding the wasm32-wasip2 target" >&2
  rustup target add wasm32-wasip2 >&2
fi

# The web console's browser tests drive Debian's Chromium through
# chromedriver (reference-server/tests/integration/web_console.rs).
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium and chromium-driver from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >&2
  else
    echo "setup: chromium and chromedriver are missing; install them (e.g. 'apt-get install chromium chromium-driver')" >&2
    exit 1
  fi
fi
