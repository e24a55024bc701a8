#!/usr/bin/env bash
# `npm start`: installs what the build needs (not the test tools: `npm test` adds those), builds
# the package unless pkg/ was built from the current sources, then serves the demo page
# and the local mock API on one origin until stopped (Ctrl-C). PORT=NNNN picks the port
# (default 8787). `npm run build` always rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The build is skipped while pkg/ was built from exactly the current sources (scripts/pkg-inputs.sh,
# recorded by build.sh), whichever command built it.
if [ -f pkg/package.json ] && [ "$(cat .cache/pkg.inputs 2>/dev/null)" = "$(bash scripts/pkg-inputs.sh)" ]; then
  echo "[start] pkg/ was built from the current src/ and js/ (no rebuild; \`npm run build\` forces one)"
else
  bash scripts/build.sh
fi

port=${PORT:-8787}
echo
echo "Demo page:     http://127.0.0.1:$port/"
echo "Mock API:      http://127.0.0.1:$port/v1/dreamina  (sandbox token: user:12345-sandbox)"
echo "Stop with Ctrl-C."
exec node tests/mock/server.mjs --host 127.0.0.1 --port "$port" --static www:/ --static pkg:/pkg/
