#!/usr/bin/env bash
# Times the two commands on a simulated fresh machine, without touching the real one:
# a fresh clone, an empty home folder, CARGO_HOME (so no wasm tools, no crate cache) and npm
# cache in a temporary folder; only the existing rustup toolchain is reused, through RUSTUP_HOME.
# Measures cold `npm start` until the demo page and its wasm answer, then cold `npm test`, then
# warm `npm start` (and warm `npm test` with --warm-test), and prints the figures.
#   scripts/cold-start.sh [--warm-test] [--keep] [REV]    REV: commit to clone (default HEAD)
# Heavy: both cores for several minutes. Debian's Chromium is machine-wide and stays installed,
# so its install (about 20 s-1 min with apt-get) is not part of the figures.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)

warm_test=0 keep=0 rev=HEAD
for arg in "$@"; do
  case $arg in
    --warm-test) warm_test=1 ;;
    --keep) keep=1 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) rev=$arg ;;
  esac
done
commit=$(git -C "$SRC" rev-parse --verify "$rev^{commit}")
[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ] ||
  echo "[cold] note: uncommitted changes in $SRC are not part of the clone"

rustup_bin=$(readlink -f "$(command -v rustup)") || { echo "[cold] rustup is needed" >&2; exit 1; }
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
real_home=$HOME

tmp=$(mktemp -d /tmp/dreamina-cold.XXXXXX)
pgid=""
sampler=""
cleanup() {
  [ -z "$pgid" ] || kill -- -"$pgid" 2>/dev/null || true
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "[cold] kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# The fresh machine: an empty home with only the machine's npm settings (registry, CA file),
# a CARGO_HOME whose bin holds nothing but the rustup proxies, as rustup's installer leaves it.
export HOME=$tmp/home CARGO_HOME=$tmp/home/.cargo npm_config_cache=$tmp/npm-cache
mkdir -p "$CARGO_HOME/bin"
[ ! -f "$real_home/.npmrc" ] || cp "$real_home/.npmrc" "$HOME/.npmrc"
for p in cargo rustc rustup rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do ln -s "$rustup_bin" "$CARGO_HOME/bin/$p"; done
node_dir=$(dirname "$(readlink -f "$(command -v node)")")
export PATH="$CARGO_HOME/bin:$node_dir:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
for t in wasm-pack wasm-bindgen wasm-opt; do
  if command -v "$t" >/dev/null; then echo "[cold] $t is on the simulated PATH ($(command -v "$t")): not a cold machine" >&2; exit 1; fi
done

git clone --quiet --no-checkout "$SRC" "$tmp/repo"
git -C "$tmp/repo" checkout --quiet "$commit"
cd "$tmp/repo"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
answers() {
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$port/pkg/dreamina_upscale_bg.wasm" 2>/dev/null
}
# Prefixes each line with the seconds since the command started.
stamped() { local t0=$1 l; while IFS= read -r l; do printf '%4ds %s\n' $(($(date +%s) - t0)) "$l"; done; }
export -f stamped

# time_start LOG: runs `npm start` until the page answers, then stops it; sets $secs and $cpu
# (CPU seconds of npm start and everything it ran, which the load of the machine barely changes).
time_start() {
  local log=$1 t0 p
  t0=$(date +%s)
  setsid bash -c "TIMEFORMAT='%U %S'; time { PORT=$port npm start 2>&1 | stamped $t0; }" > "$log" 2> "$log.cpu" &
  pgid=$!
  until answers; do
    if ! kill -0 "$pgid" 2>/dev/null; then
      echo "[cold] npm start ended before the page answered; its last lines:" >&2; tail -n 20 "$log" >&2; exit 1
    fi
    [ $(($(date +%s) - t0)) -lt 1800 ] || { echo "[cold] npm start: no answer after 30 min" >&2; exit 1; }
    sleep 0.5
  done
  secs=$(($(date +%s) - t0))
  # Stop the server only: npm then reaps it and ends, so the CPU time of all it ran adds up.
  for p in $(pgrep -g "$pgid" -f 'tests/mock/server.mjs'); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 100); do kill -0 "$pgid" 2>/dev/null || break; sleep 0.1; done
  kill -- -"$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
  pgid=""
  cpu=$(awk 'NF == 2 { printf "%d", $1 + $2 }' "$log.cpu")
}
# time_test LOG: runs `npm test`; sets $secs, $cpu and $summary.
time_test() {
  local log=$1 t0 rc=0
  t0=$(date +%s)
  local TIMEFORMAT='%U %S'
  { time { npm test 2>&1 | stamped "$t0" > "$log" || rc=$?; } ; } 2> "$log.cpu"
  secs=$(($(date +%s) - t0))
  cpu=$(awk 'NF == 2 { printf "%d", $1 + $2 }' "$log.cpu")
  summary="exit $rc, $(grep -Eo 'suites: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
}
# The mean 1-minute load average over the run, sampled every 10 s (other work on the machine).
( while sleep 10; do cut -d' ' -f1 /proc/loadavg; done ) > "$tmp/load" &
sampler=$!
mean_load() { awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else print "?" }' "$tmp/load"; }

load0=$(uptime)
echo "[cold] fresh clone of $(git -C "$SRC" log -1 --format='%h %s' "$commit" | cut -c1-70) in $tmp"
echo "[cold] load average before: ${load0##*load average: }"
time_start "$tmp/start-cold.log"; s_cold=$secs c_cold=$cpu
echo "[cold] cold npm start: demo answering after ${s_cold}s (${c_cold} CPU-s); its setup lines:"
grep -F '[setup]' "$tmp/start-cold.log" | sed 's/^/        /'
time_test "$tmp/test-cold.log"; t_cold=$secs ct_cold=$cpu t_cold_sum=$summary
echo "[cold] cold npm test right after: ${t_cold}s (${ct_cold} CPU-s; $t_cold_sum); its setup lines:"
grep -F '[setup]' "$tmp/test-cold.log" | sed 's/^/        /'
time_start "$tmp/start-warm.log"; s_warm=$secs
echo "[cold] warm npm start: demo answering after ${s_warm}s"
if [ "$warm_test" = 1 ]; then
  time_test "$tmp/test-warm.log"; t_warm=$secs ct_warm=$cpu t_warm_sum=$summary
  echo "[cold] warm npm test: ${t_warm}s (${ct_warm} CPU-s; $t_warm_sum)"
fi
load1=$(uptime)

printf '\n=== cold-start figures (%s, %s cores, %s)\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(git -C "$SRC" log -1 --format=%h "$commit")"
echo "cold npm start -> demo answering: ${s_cold}s  (${c_cold} CPU-s)"
echo "cold npm test right after:        ${t_cold}s  (${ct_cold} CPU-s; $t_cold_sum)"
echo "together:                         $((s_cold + t_cold))s"
echo "warm npm start -> demo answering: ${s_warm}s"
[ "$warm_test" = 0 ] || echo "warm npm test:                    ${t_warm}s  (${ct_warm} CPU-s; $t_warm_sum)"
echo "load average: before ${load0##*load average: }; after ${load1##*load average: }; mean over the run $(mean_load) (on $(nproc) cores)"
[ "$keep" = 0 ] || echo "logs: $tmp/*.log"
