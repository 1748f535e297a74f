#!/usr/bin/env python3
"""Time chainproof and zizmor on one corpus; print median wall time, peak RSS and finding counts.

Called by bench/lint.sh (which builds, installs and generates first); usable alone:

    python3 bench/measure.py --corpus bench/corpus --chainproof target/release/chainproof \
        --zizmor .tools/bench/bin/zizmor [--runs 5] [--results bench/results]

Each tool runs once to warm the page cache, then `--runs` times. Wall time is measured around the
process; peak RSS and CPU time come from `wait4` (the same numbers `/usr/bin/time -v` prints), so no
extra tool is needed. Both tools print JSON; the finding counts come from the last run's output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd: list[str], out_path: str, cwd: str) -> dict:
    with open(out_path, "wb") as out, open(out_path + ".stderr", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "exit": proc.returncode,
    }


def count_chainproof(path: str) -> tuple[int, int, dict[str, int]]:
    """Findings, input errors, findings per rule."""
    with open(path) as f:
        doc = json.load(f)
    return len(doc["findings"]), len(doc["errors"]), per_rule(f["rule"] for f in doc["findings"])


def count_zizmor(path: str) -> tuple[int, int, dict[str, int]]:
    """Findings, inputs it warned about or failed on (from its log), findings per audit."""
    with open(path) as f:
        doc = json.load(f)
    with open(path + ".stderr", errors="replace") as f:
        errs = sum(1 for line in f if " WARN " in line or " ERROR " in line)
    return len(doc), errs, per_rule(f["ident"] for f in doc)


def per_rule(ids) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in ids:
        out[i] = out.get(i, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--chainproof", required=True)
    ap.add_argument("--zizmor", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args()
    os.makedirs(args.results, exist_ok=True)
    corpus = os.path.abspath(args.corpus)
    wf_dir = os.path.join(corpus, ".github", "workflows")
    n_files = len([f for f in os.listdir(wf_dir) if f.endswith((".yml", ".yaml"))])
    n_bytes = sum(os.path.getsize(os.path.join(wf_dir, f)) for f in os.listdir(wf_dir))

    tools = {
        "chainproof": ([args.chainproof, "lint", "--format", "json", "--fail-on", "none", corpus], count_chainproof),
        "zizmor": ([args.zizmor, "--offline", "--no-progress", "--format", "json", corpus], count_zizmor),
    }
    results: dict[str, list[dict]] = {}
    counts: dict[str, tuple[int, int, dict[str, int]]] = {}
    for name, (cmd, counter) in tools.items():
        out_path = os.path.join(args.results, f"{name}.json")
        print(f"== {name}: {' '.join(cmd)}", file=sys.stderr)
        warm = run_once(cmd, out_path, corpus)  # warm-up, not counted
        runs = [run_once(cmd, out_path, corpus) for _ in range(args.runs)]
        results[name] = [warm] + runs
        try:
            counts[name] = counter(out_path)
        except (ValueError, KeyError, TypeError) as e:
            with open(out_path + ".stderr", errors="replace") as f:
                tail = f.read()[-2000:]
            print(f"{name}: could not read its JSON output ({e}); exit {runs[-1]['exit']}; stderr:\n{tail}", file=sys.stderr)
            return 1

    with open(os.path.join(args.results, "runs.json"), "w") as f:
        json.dump({"runs": results, "per_rule": {k: v[2] for k, v in counts.items()}}, f, indent=2)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name][1:])

    print(f"corpus: {corpus}: {n_files} workflow files, {n_bytes / 1e6:.1f} MB; {args.runs} runs each after one warm-up; {os.cpu_count()} CPUs")
    print(f"{'tool':<12}{'wall median':>13}{'wall min':>10}{'cpu median':>12}{'peak RSS':>11}{'findings':>10}{'errors':>8}")
    for name in tools:
        walls = [r["wall_s"] for r in results[name][1:]]
        rss = max(r["max_rss_mb"] for r in results[name][1:])
        n, errs, _ = counts[name]
        print(f"{name:<12}{med(name, 'wall_s'):>12.3f}s{min(walls):>9.3f}s{med(name, 'cpu_s'):>11.3f}s{rss:>8.1f} MB{n:>10}{errs:>8}")
    for name in tools:
        top = ", ".join(f"{k} {v}" for k, v in list(counts[name][2].items())[:8])
        print(f"  {name} top rules: {top}")
    ratio = med("chainproof", "wall_s") / med("zizmor", "wall_s")
    cpu_ratio = med("chainproof", "cpu_s") / med("zizmor", "cpu_s")
    rss = max(r["max_rss_mb"] for r in results["chainproof"][1:])
    print(f"ratio chainproof/zizmor: wall {ratio:.3f}, cpu {cpu_ratio:.3f}")
    ok_time = ratio <= 0.5
    ok_rss = rss < 100
    print(f"targets: wall <= 0.5x zizmor: {'PASS' if ok_time else 'FAIL'}; peak RSS < 100 MB: {'PASS' if ok_rss else 'FAIL'}")
    return 0 if ok_time and ok_rss else 3


if __name__ == "__main__":
    sys.exit(main())
