#!/usr/bin/env bash
# Checks that the six library crates can be published: packages them
# together (cargo resolves their dependencies on each other from the
# packages being published, so none has to be on crates.io yet) and builds
# each one from its package, exactly as `cargo publish` would, without
# uploading anything. Extra arguments go to `cargo publish` (e.g.
# `--allow-dirty` on a working copy with uncommitted changes).
#
# The package names differ from some folder names: `otp/` is
# `wa-commerce-otp`, `bot-core/` is `wa-commerce-bot-core`, `plugins/sdk/`
# is `wa-commerce-plugin-sdk` (the short names are taken on crates.io).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

cargo publish --dry-run --locked \
  -p whatsapp-client \
  -p midtrans-client \
  -p wa-commerce-otp \
  -p wa-commerce-bot-core \
  -p wa-commerce-plugin-sdk \
  -p pesan-template \
  "$@"
