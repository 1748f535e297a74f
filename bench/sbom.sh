#!/usr/bin/env bash
# Benchmark `chainproof sbom` against cdxgen (npm) on the same inputs, in one run.
#
#   bench/sbom.sh                 # build, install cdxgen, generate the monorepos, measure, print
#   RUNS=10 PEER_RUNS=3 bench/sbom.sh
#   REGEN=1 bench/sbom.sh         # regenerate the synthetic monorepos
#
# Cases:
#   real-npm    real lockfiles written by npm (this repository's test-tool lockfile and cdxgen's own
#               install), both tools;
#   mono-npm    40 npm projects / 10,000 lockfile entries (bench/gen_monorepo.py --only npm), both
#               (cdxgen's time grows faster than linearly: on 200 projects / 50,000 entries it had not
#               finished after 19 minutes);
#   mono-mixed  200 projects / 50,000 entries in seven formats, chainproof only (target: < 1 s).
# Target: chainproof at most a tenth of cdxgen's wall time. Exits 3 when a target is missed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cdxgen_version="12.8.4"
bench="$root/.tools/bench"
data="$root/bench/corpus/sbom"

echo "== building chainproof (release)" >&2
cargo build --release --locked --bin chainproof >&2

cdxgen="$bench/cdxgen/node_modules/.bin/cdxgen"
installed="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
  "$bench/cdxgen/node_modules/@cyclonedx/cdxgen/package.json" 2>/dev/null || true)"
if [[ "$installed" != "$cdxgen_version" ]]; then
  echo "== installing @cyclonedx/cdxgen@$cdxgen_version into $bench/cdxgen" >&2
  mkdir -p "$bench/cdxgen"
  echo '{"private": true}' >"$bench/cdxgen/package.json"
  npm install --prefix "$bench/cdxgen" --no-audit --no-fund --ignore-scripts \
    "@cyclonedx/cdxgen@$cdxgen_version" "@cyclonedx/cyclonedx-npm@6.0.1" >&2
fi

stamp="$(sha256sum <bench/gen_monorepo.py | cut -c1-16)"
if [[ "${REGEN:-0}" == 1 || ! -f "$data/.stamp" || "$(cat "$data/.stamp")" != "$stamp" ]]; then
  echo "== generating monorepos in $data" >&2
  rm -rf "$data"
  python3 bench/gen_monorepo.py --out "$data/mono-npm" --only npm --lockfiles 40 --components 10000
  python3 bench/gen_monorepo.py --out "$data/mono-mixed"
  echo "$stamp" >"$data/.stamp"
fi
# Real npm lockfiles: the test tools' and cdxgen's own (both written by npm).
rm -rf "$data/real-npm"
for src in scripts/test-tools "$bench/cdxgen"; do
  dest="$data/real-npm/$(basename "$src")"
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
done

status=0
python3 bench/sbom_measure.py --chainproof "$root/target/release/chainproof" --cdxgen "$cdxgen" \
  --runs "${RUNS:-5}" --peer-runs "${PEER_RUNS:-1}" --results "$root/bench/results" \
  --case "real-npm=$data/real-npm" --case "mono-npm=$data/mono-npm" \
  --case "mono-mixed=$data/mono-mixed:chainproof-only" || status=$?

echo
echo "== accuracy: purls of every tests/fixtures/sbom/ directory against cdxgen and cyclonedx-npm"
python3 bench/sbom_accuracy.py --chainproof "$root/target/release/chainproof" --cdxgen "$cdxgen" \
  --cyclonedx-npm "$bench/cdxgen/node_modules/.bin/cyclonedx-npm"
exit "$status"
