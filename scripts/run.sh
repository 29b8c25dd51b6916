#!/usr/bin/env bash
# Sets up and runs the reference server on its embedded defaults: a SQLite
# database under ./data, the built-in WhatsApp simulator, the bundled bot
# plugins. Extra arguments go to the server (try `scripts/run.sh --help`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
bash scripts/build-plugins.sh >/dev/null
exec cargo run -p reference-server -- "$@"
