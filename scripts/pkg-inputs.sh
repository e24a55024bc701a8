#!/usr/bin/env bash
# Prints one line that changes whenever what scripts/build.sh turns into pkg/ changes: a hash of
# the contents of its inputs, plus the build flavour (DREAMINA_DEBUG). build.sh records it in
# .cache/pkg.inputs once pkg/ is in place; start.sh rebuilds only when the two differ. (Contents,
# not times: a checkout or a rebuild by `npm test` of the same sources leaves it unchanged.)
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=(src js Cargo.toml Cargo.lock scripts/build.sh scripts/wasm-opt.flags scripts/make-package.mjs README.md LICENSE)
{
  echo "DREAMINA_DEBUG=${DREAMINA_DEBUG:-0}"
  find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1
