#!/usr/bin/env bash
# Builds the publishable npm package into pkg/ (then `npm pack ./pkg` makes the tarball).
# Two wasm builds go in: the client alone for browsers (small), and the client plus the edge
# helpers (createProxyHandler, handleWebhook) for Node, Deno, Bun and Cloudflare Workers.
# Set DREAMINA_DEBUG=1 for builds that report Rust panics on the console.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

debug=""
[ "${DREAMINA_DEBUG:-0}" = 1 ] && debug="debug-panic-hook"

# Build into a fresh folder and swap it in at the end, so a test reading pkg/ meanwhile never
# sees a half-written package. (wasm-pack takes --out-dir relative to the crate: this is one.)
out=pkg.tmp.$$
inputs=$(bash scripts/pkg-inputs.sh) # taken before building: a change made meanwhile means "stale"
rm -rf "$out" && mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

# build NAME TARGET_DIR FEATURES: `wasm-pack build` (cargo + wasm-bindgen, its wasm-opt step
# turned off in Cargo.toml: it would download one), then binaryen's wasm-opt from npm (Debian's
# is too old and breaks the output), as $out/NAME{.js,.d.ts,_bg.wasm}. -Os, not -Oz: its output
# is ~1.7% larger raw but ~0.4% smaller gzip and brotli, which is what a web app downloads.
# --low-memory-unused lets it fold small constant offsets into loads and stores: Rust lays the
# stack out first (data starts at 1 MiB), so the low 1 KiB is only the deep end of the stack,
# and no pointer arithmetic of valid Rust wraps around into it. The flags live in
# scripts/wasm-opt.flags, which bench/diagnose.mjs reads too, so its named build matches this one.
build() {
  local name=$1 dir=$2 features=$3
  CARGO_TARGET_DIR="$dir" wasm-pack --log-level warn build --release --target web --no-pack --no-gitignore \
    --out-dir "$out" --out-name "$name" -- --features "$features"
  # shellcheck disable=SC2046 # the flags file is one line of words
  wasm-opt $(cat scripts/wasm-opt.flags) "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
}
# Panic locations in dependencies name their source files: with the registry folder cut off,
# those paths are short in the binary (`trim-paths` in [profile] would do it, but is not stable).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
remap=""
for d in "$registry"/*/; do remap+=" --remap-path-prefix=$d="; done
export RUSTFLAGS="${RUSTFLAGS:-}$remap"
# Separate target folders, so switching features never rebuilds the other one.
build dreamina_upscale target "$debug"
build dreamina_upscale_edge target/edge "edge,$debug"

cp js/error.js js/node.mjs js/browser.mjs js/workerd.mjs js/edge-light.mjs js/index.d.ts README.md LICENSE "$out/"
# server.mjs, the server entry for bundles, Deno and Bun, with its .wasm embedded (bundlers carry modules as they are).
node scripts/embed-wasm.mjs "$out"
node scripts/make-package.mjs "$out"
rm -rf pkg.old && { [ ! -d pkg ] || mv pkg pkg.old; } && mv "$out" pkg && rm -rf pkg.old
# What this pkg/ was built from (scripts/start.sh skips the build while it matches). The
# node_modules/dreamina-upscale link to pkg/ is scripts/setup.sh's: it survives this swap.
mkdir -p .cache && echo "$inputs" > .cache/pkg.inputs
for f in pkg/dreamina_upscale_bg.wasm pkg/dreamina_upscale_edge_bg.wasm; do
  printf '[build] %s: %s bytes (gzip %s)\n' "$f" "$(wc -c < "$f")" "$(gzip -9c "$f" | wc -c)"
done
