#!/usr/bin/env bash
# Benchmark `chainproof sign`, `attest` and `verify` (keyless and with a key) against sigstore-python
# and sigstore-js, on the same artifacts and the same local Sigstore stand-in, in one run.
#
#   bench/sign.sh                 # build, start the stand-in, make 20 artifacts of 1 MiB, measure, print
#   RUNS=10 bench/sign.sh         # timed runs (default 5, after a warm-up)
#   N=50 SIZE=10M bench/sign.sh   # another artifact count or size (SIZE as `head -c` reads it)
#   CHAINPROOF=path bench/sign.sh # measure that binary, no build
#
# Needs the test tools (scripts/install-test-tools.sh): `.tools/bin/sigstore` (sigstore-python) and
# `.tools/node/node_modules` (sigstore-js, @sigstore/mock), and node >= 20 on PATH.
# The stand-in (tests/support/sigstore/server.mjs: Fulcio, Rekor v1, TSA on 127.0.0.1) is started as
# tests/sigstore_standin.rs starts it and stopped by PID on exit. Timing: bench/sign_measure.py.
# Exits non-zero when a command fails.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/bench/results/sign"
support="$root/tests/support/sigstore"
node_modules="$root/.tools/node/node_modules"
sigstore_py="$root/.tools/bin/sigstore"
n="${N:-20}"
size="${SIZE:-1M}"

for need in "$sigstore_py" "$node_modules/sigstore/package.json" "$node_modules/@sigstore/mock/package.json"; do
  [[ -e "$need" ]] || { echo "missing $need: run scripts/install-test-tools.sh" >&2; exit 1; }
done
command -v node >/dev/null || { echo "node is not on PATH: install Node.js >= 20" >&2; exit 1; }

if [[ -n "${CHAINPROOF:-}" ]]; then
  chainproof="$(realpath "$CHAINPROOF")"
else
  echo "== building chainproof (release)" >&2
  cargo build --release --locked --bin chainproof >&2
  chainproof="$root/target/release/chainproof"
fi

rm -rf "$work"
mkdir -p "$work/artifacts"

echo "== starting the Sigstore stand-in" >&2
NODE_PATH="$node_modules" node "$support/server.mjs" --port 0 --out "$work/trust" --watch-pid $$ \
  >"$work/standin.out" 2>"$work/standin.err" </dev/null &
standin_pid=$!
stop_standin() {
  if kill -0 "$standin_pid" 2>/dev/null; then
    kill -TERM "$standin_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$standin_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$standin_pid" 2>/dev/null || true
  fi
  wait "$standin_pid" 2>/dev/null || true
}
trap stop_standin EXIT
for _ in $(seq 600); do
  [[ -s "$work/standin.out" ]] && break
  kill -0 "$standin_pid" 2>/dev/null || break
  sleep 0.1
done
url="$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$work/standin.out" 2>/dev/null)" || {
  echo "the stand-in did not report ready; its stderr:" >&2
  cat "$work/standin.err" >&2
  exit 1
}

echo "== making $n artifacts of $size" >&2
artifacts=()
for i in $(seq -w 1 "$n"); do
  head -c "$size" /dev/urandom >"$work/artifacts/artifact-$i.bin"
  artifacts+=("$work/artifacts/artifact-$i.bin")
done

# A forged test token (never a real one) that the stand-in's Fulcio accepts; long enough for the run.
NODE_PATH="$node_modules" node "$support/token.mjs" --ttl 14400 >"$work/token" </dev/null

python3 bench/sign_measure.py --chainproof "$chainproof" --sigstore-python "$sigstore_py" \
  --client "$support/client.mjs" --node-path "$node_modules" --trust "$work/trust" --url "$url" \
  --token-file "$work/token" --work "$work" --standin-pid "$standin_pid" --runs "${RUNS:-5}" "${artifacts[@]}"
