#!/usr/bin/env bash
# Installs what a command needs, skipping what is already there (a second or so when warm).
#   scripts/setup.sh            build + demo: wasm32 target, wasm-bindgen-cli, wasm-pack, wasm-opt
#   scripts/setup.sh --tools    also the test and bench tools (package.json devDependencies)
#   scripts/setup.sh --browser  also Debian's Chromium + ChromeDriver and the framework test apps
#                               of tests/frameworks/ (implies --tools)
#   scripts/setup.sh --test     everything `npm test` needs (= --tools --browser)
# Each step prints one line: what, why, about how long the first time. Logs go to .cache/setup/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

# Pinned tool versions. The wasm-bindgen CLI must equal the crate pinned in Cargo.toml.
WASM_PACK_VERSION=0.15.1
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
LOGS=$ROOT/.cache/setup
mkdir -p "$LOGS"

want_tools=0 want_browser=0
for arg in "$@"; do
  case $arg in
    --tools) want_tools=1 ;;
    --browser | --test) want_tools=1 want_browser=1 ;;
    *) echo "[setup] unknown option $arg (use --tools, --browser or --test)" >&2; exit 2 ;;
  esac
done

step() { printf '[setup] %s\n' "$*"; }
# fail WHAT HINT [LOG]: one clear message instead of a stack of errors, then stop.
fail() {
  printf '\n[setup] FAILED: %s\n[setup] %s\n' "$1" "$2" >&2
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    # The error lines if the tool marks them, else the last lines (never a backtrace's tail).
    local lines
    lines=$(grep -iE '^(error|npm error|E:|fatal)' "$3" | grep -vE '^npm error +at ' | head -n 5)
    [ -n "$lines" ] || lines=$(tail -n 6 "$3")
    printf '[setup] from %s:\n%s\n' "${3#"$ROOT"/}" "$(sed 's/^/    /' <<< "$lines")" >&2
  fi
  exit 1
}
# Names the unreachable registry when a log says the network failed.
offline_hint() {
  if grep -qiE 'could not resolve|resolve host|failed to download|network|timed out|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|Temporary failure' "$2" 2>/dev/null; then
    echo "$1 looks unreachable from this machine: check the network or proxy, then run the command again."
  else
    echo "see the log for the cause; run the command again once it is fixed."
  fi
}

# --- What the machine must already have -------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 18 ] ||
  fail "Node.js 18 or newer is needed (found: $(node --version 2>/dev/null || echo none))" \
    "install Node 18+ (for example Debian's nodejs, or from nodejs.org), then run the command again."
command -v npm >/dev/null || fail "npm is missing" "install npm alongside Node.js."
command -v cargo >/dev/null ||
  fail "Rust (cargo) is needed to build the wasm and was not found on PATH" \
    "install it with rustup (https://rustup.rs), then open a new shell so ~/.cargo/bin is on PATH."
wasm_std="$(rustc --print sysroot 2>/dev/null)/lib/rustlib/wasm32-unknown-unknown"
if [ ! -d "$wasm_std" ]; then
  command -v rustup >/dev/null ||
    fail "the wasm32-unknown-unknown target of Rust is missing, and rustup, which adds it, is not installed" \
      "install Rust with rustup (https://rustup.rs): a distribution's cargo alone cannot add the target."
  step "wasm32-unknown-unknown target: the Rust standard library for wasm, to compile the package (about 20 s, once)"
  rustup target add wasm32-unknown-unknown > "$LOGS/rustup.log" 2>&1 ||
    fail "rustup could not add the wasm32-unknown-unknown target" "$(offline_hint "The Rust distribution server" "$LOGS/rustup.log")" "$LOGS/rustup.log"
fi

# --- Rust → wasm tools --------------------------------------------------------------------------
have_version() { [ "$("$1" --version 2>/dev/null | awk '{print $2}')" = "$2" ]; }
need_wb=0 need_wp=0
have_version wasm-bindgen "$WB_VERSION" && have_version wasm-bindgen-test-runner "$WB_VERSION" || need_wb=1
have_version wasm-pack "$WASM_PACK_VERSION" || need_wp=1

# Both CLIs are compiled from crates.io (no registry ships a binary of them that installs here),
# in one shared target folder so their common crates compile once, in the background while npm
# installs. A light profile: no optimisation, except for the crates wasm-bindgen spends its time
# in (opt-level 1). Measured here, wasm-bindgen-cli alone: 212 CPU-s to compile (opt-level 1
# everywhere: 336 s; unoptimised: 133 s), then 1.3 s on our 15 MB test wasm (release build: 0.9 s;
# unoptimised: 4.5 s). No --locked for wasm-bindgen-cli (a locked dependency is missing from the
# registry), and none for wasm-pack so both resolve the same versions of their shared crates.
HOT_CRATES=(walrus wasmparser wasm-encoder gimli wasm-bindgen-cli-support)
tools_pid=""
# Ends the background install (cargo and its rustc children) when setup stops early.
kill_tree() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done; kill "$1" 2>/dev/null; }
trap '[ -z "$tools_pid" ] || kill_tree "$tools_pid"' EXIT
trap 'exit 130' INT TERM
rm -f "$LOGS/tools.failed"
if [ $((need_wb + need_wp)) -gt 0 ]; then
  [ "$need_wb" = 1 ] && step "wasm-bindgen-cli $WB_VERSION: makes the JS glue of the wasm (build) and runs the wasm tests (test); compiling from crates.io in the background (about 2 min, once)"
  [ "$need_wp" = 1 ] && step "wasm-pack $WASM_PACK_VERSION: drives the wasm build and the wasm tests; compiling from crates.io after it (about 1 min, once)"
  (
    export CARGO_TARGET_DIR=$ROOT/.cache/cargo-tools CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
      CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_LTO=false \
      CARGO_PROFILE_RELEASE_INCREMENTAL=false CARGO_TERM_COLOR=never
    hot=(); for c in "${HOT_CRATES[@]}"; do hot+=(--config "profile.release.package.$c.opt-level=1"); done
    if [ "$need_wb" = 1 ]; then
      nice cargo install --force wasm-bindgen-cli --version "$WB_VERSION" "${hot[@]}" \
        --bin wasm-bindgen --bin wasm-bindgen-test-runner > "$LOGS/wasm-bindgen-cli.log" 2>&1 || { echo wasm-bindgen-cli > "$LOGS/tools.failed"; exit 1; }
    fi
    if [ "$need_wp" = 1 ]; then
      # Should a newer shared crate ever break it, wasm-pack's own lock file is the fallback.
      nice cargo install --force wasm-pack --version "$WASM_PACK_VERSION" > "$LOGS/wasm-pack.log" 2>&1 ||
        nice cargo install --force --locked wasm-pack --version "$WASM_PACK_VERSION" >> "$LOGS/wasm-pack.log" 2>&1 ||
        { echo wasm-pack > "$LOGS/tools.failed"; exit 1; }
    fi
    rm -rf "$CARGO_TARGET_DIR" # only needed while installing
  ) &
  tools_pid=$!
fi

# --- npm packages -------------------------------------------------------------------------------
# package.json "dependencies" are what the build needs (binaryen's wasm-opt); "devDependencies"
# are the test and bench tools, installed only by --tools. A stamp per level, newer than both
# package files, makes a second run instant.
stamp_build=node_modules/.setup-build stamp_tools=node_modules/.setup-tools
fresh() { [ -f "$1" ] && [ "$1" -nt package.json ] && [ "$1" -nt package-lock.json ]; }
npm_ci() {
  if ! npm ci --no-audit --no-fund --loglevel=error "$@" > "$LOGS/npm.log" 2>&1; then
    fail "npm ci could not install the packages of package-lock.json" "$(offline_hint "The npm registry" "$LOGS/npm.log")" "$LOGS/npm.log"
  fi
}
if [ "$want_tools" = 1 ] && ! fresh "$stamp_tools"; then
  step "npm test tools ($(node -p 'Object.keys(require("./package.json").devDependencies).join(", ")')): the runtime, browser, type and bench suites use them (about 10-30 s, once)"
  npm_ci
  touch "$stamp_build" "$stamp_tools"
elif ! fresh "$stamp_build" && ! fresh "$stamp_tools"; then
  step "npm build tools (binaryen's wasm-opt): shrink the wasm (about 5 s, once)"
  npm_ci --omit=dev
  touch "$stamp_build"
fi

# Tests, the bench and the examples import the package by its name, as users do: the link to
# pkg/ is made here, after any `npm ci` (which empties node_modules), and nowhere else. It may
# point at a pkg/ not built yet; scripts/build.sh swaps pkg/ in under it.
[ "$(readlink node_modules/dreamina-upscale 2>/dev/null)" = ../pkg ] || { mkdir -p node_modules && ln -sfn ../pkg node_modules/dreamina-upscale; }

# --- Framework test apps (tests/frameworks/*/, with --test or --browser) -------------------------
# Each app has its own package.json + lock pinning its framework (Next.js, React, TypeScript) and
# its own real node_modules: Turbopack compiles nothing outside the app's root. The suite
# installs the packed dreamina-upscale into it itself (npm install --no-save), as users do.
if [ "$want_browser" = 1 ]; then
  for app in tests/frameworks/*/; do
    app=${app%/}
    [ -f "$app/package-lock.json" ] || continue
    stamp=$app/node_modules/.setup-stamp
    if ! { [ -f "$stamp" ] && [ "$stamp" -nt "$app/package.json" ] && [ "$stamp" -nt "$app/package-lock.json" ]; }; then
      step "$app test app ($(node -p "Object.keys({...require('./$app/package.json').dependencies, ...require('./$app/package.json').devDependencies}).join(', ')")): the frameworks suite builds it (about 10-60 s each, once)"
      (cd "$app" && npm ci --no-audit --no-fund --loglevel=error) > "$LOGS/$(basename "$app").log" 2>&1 ||
        fail "npm ci could not install $app" "$(offline_hint "The npm registry" "$LOGS/$(basename "$app").log")" "$LOGS/$(basename "$app").log"
      touch "$stamp"
    fi
  done
fi

# --- Debian's Chromium (browser suites only) ----------------------------------------------------
if [ "$want_browser" = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  step "Debian's chromium + chromium-driver: the browser of the browser suites (about 1 min, once)"
  command -v apt-get >/dev/null ||
    fail "apt-get is missing" "install Chromium and ChromeDriver at /usr/bin/chromium and /usr/bin/chromedriver by hand."
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } > "$LOGS/apt.log" 2>&1 ||
    fail "apt-get could not install chromium" "$(offline_hint "The Debian package mirror" "$LOGS/apt.log") (root is needed)" "$LOGS/apt.log"
fi

if [ -n "$tools_pid" ]; then
  t0=$SECONDS
  wait "$tools_pid"
  tools_pid=""
  if [ -s "$LOGS/tools.failed" ]; then
    tool=$(cat "$LOGS/tools.failed")
    fail "cargo could not install $tool" "$(offline_hint "crates.io" "$LOGS/$tool.log")" "$LOGS/$tool.log"
  fi
  step "wasm tools installed in $CARGO_BIN (waited $((SECONDS - t0)) s for them)"
fi
step "ready"
