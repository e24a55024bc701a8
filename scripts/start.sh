#!/usr/bin/env bash
# `npm start`: installs what the build needs (not the test tools: `npm test` adds those), builds
# the package unless pkg/ is newer than everything it is built from, then serves the demo page
# and the local mock API on one origin until stopped (Ctrl-C). PORT=NNNN picks the port
# (default 8787). `npm run build` always rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# What build.sh turns into pkg/; the stamp also records the build flavour.
inputs=(src js Cargo.toml Cargo.lock scripts/build.sh scripts/wasm-opt.flags scripts/make-package.mjs README.md LICENSE)
stamp=pkg/.start-stamp flavour="DREAMINA_DEBUG=${DREAMINA_DEBUG:-0}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$flavour" ] && [ -e node_modules/dreamina-upscale ] &&
  [ -z "$(find "${inputs[@]}" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "[start] pkg/ is up to date with src/ and js/ (no rebuild; \`npm run build\` forces one)"
else
  bash scripts/build.sh
  echo "$flavour" > "$stamp"
fi

port=${PORT:-8787}
echo
echo "Demo page:     http://127.0.0.1:$port/"
echo "Mock API:      http://127.0.0.1:$port/v1/dreamina  (sandbox token: user:12345-sandbox)"
echo "Stop with Ctrl-C."
exec node tests/mock/server.mjs --host 127.0.0.1 --port "$port" --static www:/ --static pkg:/pkg/
