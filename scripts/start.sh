#!/usr/bin/env bash
# `npm start`: installs what the build needs (not the test tools: `npm test` adds those), builds
# the package, then serves the demo page and the local mock API on one origin until stopped
# (Ctrl-C). PORT=NNNN picks the port (default 8787).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
port=${PORT:-8787}
echo
echo "Demo page:     http://127.0.0.1:$port/"
echo "Mock API:      http://127.0.0.1:$port/v1/dreamina  (sandbox token: user:12345-sandbox)"
echo "Stop with Ctrl-C."
exec node tests/mock/server.mjs --host 127.0.0.1 --port "$port" --static www:/ --static pkg:/pkg/
