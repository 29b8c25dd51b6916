#!/usr/bin/env bash
# Builds every plugin crate under plugins/ (all but the SDK) for
# wasm32-wasip2 and copies the components to target/plugins/<name>.wasm,
# where bot-core's tests, the benchmarks and the reference server look.
#
# Adds the wasm32-wasip2 target with rustup when it is missing. Uses its own
# cargo target directory (target/wasm-build) so it can run while another
# cargo command holds the main one (bot-core's tests call this script).
# Environment: PLUGIN_OUT_DIR overrides the output folder.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${PLUGIN_OUT_DIR:-$root/target/plugins}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  echo "build-plugins: adding the wasm32-wasip2 target" >&2
  rustup target add wasm32-wasip2 >&2
fi

pkgs=()
for manifest in "$root"/plugins/*/Cargo.toml; do
  grep -q 'cdylib' "$manifest" || continue
  name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)
  pkgs+=("$name")
done
[ ${#pkgs[@]} -gt 0 ] || { echo "build-plugins: no plugin crates found" >&2; exit 1; }

args=()
for p in "${pkgs[@]}"; do args+=(-p "$p"); done
# From the root, so cargo reads .cargo/config.toml (the plugins' stack size)
# wherever the script was started.
cd "$root"
CARGO_TARGET_DIR="$root/target/wasm-build" \
  cargo build --manifest-path "$root/Cargo.toml" --profile plugin --target wasm32-wasip2 "${args[@]}" >&2

mkdir -p "$out"
for p in "${pkgs[@]}"; do
  file=${p//-/_}.wasm
  src="$root/target/wasm-build/wasm32-wasip2/plugin/$file"
  [ -f "$src" ] || { echo "build-plugins: $src was not produced" >&2; exit 1; }
  # Copy only when changed so the content-hash compile cache stays warm.
  cmp -s "$src" "$out/$p.wasm" 2>/dev/null || cp "$src" "$out/$p.wasm"
done
echo "$out"
