#!/usr/bin/env bash
# Builds the publishable npm package into pkg/ (then `npm pack ./pkg` makes the tarball).
# Set DREAMINA_DEBUG=1 for a build that reports Rust panics on the console.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

features=()
[ "${DREAMINA_DEBUG:-0}" = 1 ] && features=(--features debug-panic-hook)

cargo build --quiet --release --target wasm32-unknown-unknown "${features[@]}"
# Build into a fresh folder and swap it in at the end, so a test reading pkg/ meanwhile never
# sees a half-written package.
out=pkg.tmp.$$
rm -rf "$out" && mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
wasm-bindgen --target web --out-dir "$out" --out-name dreamina_upscale \
  target/wasm32-unknown-unknown/release/dreamina_upscale.wasm
# wasm-opt from the npm 'binaryen' package (Debian's is too old and breaks the output).
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/dreamina_upscale_bg.wasm" -o "$out/dreamina_upscale_bg.wasm"
cp js/error.js js/node.mjs js/browser.mjs js/workerd.mjs js/index.d.ts README.md LICENSE "$out/"
rm -f "$out/.gitignore"
node scripts/make-package.mjs "$out"
rm -rf pkg.old && { [ ! -d pkg ] || mv pkg pkg.old; } && mv "$out" pkg && rm -rf pkg.old
# Tests and the demo import the package by name, as users do.
mkdir -p node_modules && ln -sfn ../pkg node_modules/dreamina-upscale
printf '[build] pkg/: wasm %s bytes (gzip %s)\n' "$(wc -c < pkg/dreamina_upscale_bg.wasm)" "$(gzip -9c pkg/dreamina_upscale_bg.wasm | wc -c)"
