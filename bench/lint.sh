#!/usr/bin/env bash
# Benchmark `chainproof lint` against zizmor on the same corpus of GitHub workflows.
#
#   bench/lint.sh                 # build, install zizmor, make/reuse the corpus, measure, print
#   RUNS=10 bench/lint.sh         # more timed runs per tool (default 5, plus one warm-up each)
#   COUNT=3000 SEED=7 bench/lint.sh
#   REGEN=1 bench/lint.sh         # regenerate the corpus even if it looks current
#
# Prints the median wall time, peak RSS and finding count of each tool and the ratio
# chainproof/zizmor; raw per-run numbers and both tools' JSON go to bench/results/ (gitignored).
# Targets: chainproof at most half of zizmor's wall time, peak RSS under 100 MB.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

runs="${RUNS:-5}"
count="${COUNT:-1500}"
seed="${SEED:-1}"
corpus="$root/bench/corpus"
venv="$root/.tools/bench"
zizmor_version="1.32.0"

echo "== building chainproof (release)" >&2
cargo build --release --locked --bin chainproof >&2
chainproof="$root/target/release/chainproof"

if ! "$venv/bin/zizmor" --version 2>/dev/null | grep -qx "zizmor $zizmor_version"; then
  echo "== installing zizmor==$zizmor_version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "zizmor==$zizmor_version"
fi

stamp="$(sha256sum "$root/bench/gen_corpus.py" | cut -c1-16) count=$count seed=$seed"
if [[ "${REGEN:-0}" != 1 && -f "$corpus/.stamp" && "$(cat "$corpus/.stamp")" == "$stamp" ]]; then
  echo "== reusing corpus $corpus" >&2
else
  echo "== generating corpus $corpus" >&2
  python3 "$root/bench/gen_corpus.py" --out "$corpus" --count "$count" --seed "$seed"
  echo "$stamp" >"$corpus/.stamp"
fi

exec python3 "$root/bench/measure.py" --runs "$runs" --corpus "$corpus" \
  --chainproof "$chainproof" --zizmor "$venv/bin/zizmor" --results "$root/bench/results"
