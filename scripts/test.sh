#!/usr/bin/env bash
# `npm test`: installs what is missing (the build tools, then the test tools and Chromium that
# only the suites need), then runs every suite and prints a summary. One `suite` line per suite.
# Each suite runs even when an earlier one failed, except after a failed build: every suite
# after it tests pkg/, so the run stops there with the build's error (never tests an old pkg/).
# The exit code is non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/node_modules/.bin:$PATH"

bash scripts/setup.sh --test || exit 1

logs=$(mktemp -d) mockpid=""
trap '[ -z "$mockpid" ] || kill "$mockpid" 2>/dev/null; rm -rf "$logs"' EXIT
passed=(); failed=()
suite() {
  local name=$1; shift
  printf '\n=== %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then passed+=("$name ($((SECONDS - t0))s)"); else failed+=("$name ($((SECONDS - t0))s)"); return 1; fi
}
summary() {
  printf '\n=== summary\n'
  for s in "${passed[@]}"; do echo "ok   $s"; done
  for s in "${failed[@]}"; do echo "FAIL $s"; done
  echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
}
# The build, its output kept: on failure the run ends here, repeating the build's own error.
build() { bash scripts/build.sh 2>&1 | tee "$logs/build.log"; }
stop_after_failed_build() {
  local why
  why=$(grep -E '^(error|Error|\[[A-Z]+\] error|.*: error)' "$logs/build.log" | head -n 8)
  [ -n "$why" ] || why=$(tail -n 8 "$logs/build.log")
  summary
  printf '\nSTOPPED: scripts/build.sh failed, so no suite ran against pkg/ (it is not the package of these sources).\nThe build said:\n%s\n' "$(sed 's/^/    /' <<< "$why")"
  exit 1
}

# Browser suites can skip silently: demand a non-zero "N passed" from wasm-bindgen-test.
expect_passed() {
  local log=$1
  local n
  n=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then echo "!! no test ran in $log"; return 1; fi
  echo "-> $n passed"
}

suite "rustfmt" cargo fmt --check
suite "clippy (host)" cargo clippy --quiet --all-targets -- -D warnings
suite "clippy (wasm32)" cargo clippy --quiet --target wasm32-unknown-unknown --all-targets -- -D warnings
suite "clippy (wasm32, edge build)" cargo clippy --quiet --target wasm32-unknown-unknown --all-targets --features edge -- -D warnings
suite "cargo test (host)" cargo test --quiet
suite "build pkg/" build || stop_after_failed_build
suite "runtimes: Node/Deno/Bun/Chromium (Vite, native ESM)/workerd" node tests/runtimes/run.mjs
suite "types: tsc --strict as a user" node tests/types/check.mjs
suite "npm pack + install" node tests/pack/check.mjs

# One mock API for the wasm-bindgen-test suites.
node tests/mock/server.mjs --port 0 --port-file "$logs/port" --complete-after-ms 300 --quiet &
mockpid=$!
for _ in $(seq 50); do [ -s "$logs/port" ] && break; sleep 0.1; done
export DREAMINA_MOCK_URL="http://127.0.0.1:$(cat "$logs/port")/v1/dreamina"

wasm_node() { wasm-pack test --node -- --test web 2>&1 | tee "$logs/node.log"; expect_passed "$logs/node.log"; }
wasm_chrome() {
  WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver -- --test web 2>&1 | tee "$logs/chrome.log"
  expect_passed "$logs/chrome.log"
}
suite "wasm-bindgen-test (Node)" wasm_node
suite "wasm-bindgen-test (headless Chromium)" wasm_chrome
suite "node:test mock API" node --test tests/mock/
suite "scripts + bench: setup link, npm start's rebuild check, a failed build stops npm test, --only merges" node --test tests/scripts/
suite "node:test package (as users import it)" node --test tests/js/
suite "demo page end-to-end (headless Chromium)" node --test tests/e2e/
suite "fault injection" node --test tests/faults/
suite "load + memory" node --test tests/load/
suite "edge proxy + webhooks (workerd, Chromium)" node --test tests/proxy/
suite "frameworks: Next.js (Turbopack, webpack; build, start, dev), SvelteKit, React Router, webpack in Chromium" node --test tests/frameworks/
suite "cloudflare batch (workerd: Queues + Durable Objects)" node --test examples/cloudflare-batch/tests/

summary
[ ${#failed[@]} -eq 0 ]
