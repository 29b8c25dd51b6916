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

crates=(whatsapp-client midtrans-client wa-commerce-otp wa-commerce-bot-core
  wa-commerce-plugin-sdk pesan-template)

# Cargo verifies each package against a temporary local registry that holds
# the others, and unpacks that registry's crates under
# $CARGO_HOME/registry/src. An unpacked copy from an earlier run (a CI cache,
# a developer's machine) is reused as is when the version number has not
# changed, so the check would build against stale sources. None of these
# crates is on crates.io yet, so every unpacked copy of them is such a
# leftover: remove them, and the packaging directory, first.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for name in "${crates[@]}"; do
  rm -rf "$cargo_home"/registry/src/*/"$name"-[0-9]*
done
rm -rf "${CARGO_TARGET_DIR:-target}/package"

args=()
for name in "${crates[@]}"; do args+=(-p "$name"); done
cargo publish --dry-run --locked "${args[@]}" "$@"
