#!/usr/bin/env bash
# Benchmark `chainproof scan` on the real offline OSV database, and compare it with cargo-audit on the
# same RustSec data, in one run.
#
#   bench/scan.sh                                   # build, install cargo-audit, generate, measure, print
#   RUNS=10 bench/scan.sh                           # timed runs per command (default 5, after a warm-up)
#   ADVISORIES=/path/to/db bench/scan.sh            # another database (OSV layout + rustsec/)
#   COMPONENTS=20000 SEED=7 bench/scan.sh           # another SBOM size or seed
#
# Measures (see bench/scan_measure.py): full-database load (first load and from the index), the
# 10,000-component SBOM, peak RSS; then cargo-audit and chainproof on this repository's Cargo.lock,
# fuzz/Cargo.lock and bench/scan-vulnerable/Cargo.lock: wall time and every advisory-id difference.
# Targets: load from the index < 1 s; 10,000 components matched < 200 ms; faster than cargo-audit.
# Exits 3 when a target is missed, 4 when the tools' advisory sets differ.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
audit_version="0.22.2"
advisories="${ADVISORIES:-/work/shared/advisories}"
tools="$root/.tools/bench/cargo-audit"
work="$root/bench/results/scan"

echo "== building chainproof (release)" >&2
cargo build --release --locked --bin chainproof >&2

audit="$tools/bin/cargo-audit"
installed="$("$audit" audit --version 2>/dev/null | awk '{print $2}' || true)"
if [[ "$installed" != "$audit_version" ]]; then
  echo "== installing cargo-audit $audit_version into $tools" >&2
  cargo install cargo-audit --version "$audit_version" --locked --root "$tools" >&2
fi

mkdir -p "$work"
sbom="$work/sbom-${COMPONENTS:-10000}-seed${SEED:-1}.cdx.json"
stamp="$( (sha256sum <bench/gen_scan_sbom.py; ls -l --time-style=+%s "$advisories"/*/all.zip) | sha256sum | cut -c1-16)"
if [[ ! -f "$sbom" || ! -f "$sbom.stamp" || "$(cat "$sbom.stamp")" != "$stamp" ]]; then
  echo "== generating $sbom" >&2
  python3 bench/gen_scan_sbom.py --advisories "$advisories" --out "$sbom" \
    --components "${COMPONENTS:-10000}" --seed "${SEED:-1}"
  echo "$stamp" >"$sbom.stamp"
fi

locks=(--lockfile "chainproof=$root/Cargo.lock")
[[ -f fuzz/Cargo.lock ]] && locks+=(--lockfile "fuzz=$root/fuzz/Cargo.lock")
locks+=(--lockfile "vulnerable=$root/bench/scan-vulnerable/Cargo.lock")

exec python3 bench/scan_measure.py --chainproof "$root/target/release/chainproof" --cargo-audit "$audit" \
  --advisories "$advisories" --sbom "$sbom" --work "$work" --runs "${RUNS:-5}" "${locks[@]}"
