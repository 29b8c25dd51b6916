#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing,
# builds the wasm plugins, starts one throwaway PostgreSQL server for the run
# (every test creates its own database in it) and runs every test of every
# crate. Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p wa-commerce-otp`; packages are named by their `[package] name`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build-plugins.sh >/dev/null

pgdir=$(mktemp -d /tmp/wa-test-pg.XXXXXX)
TEST_POSTGRES_URL=$(bash scripts/pg-test-server.sh "$pgdir" $$)
export TEST_POSTGRES_URL
echo "test.sh: PostgreSQL for this run at $TEST_POSTGRES_URL" >&2

if [ $# -gt 0 ]; then
  cargo test "$@"
else
  # `loadtest` adds the drivers of the load generators, which the
  # `marketplace_load` tests run with small numbers.
  cargo test --workspace --features reference-server/loadtest
fi
