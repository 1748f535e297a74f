#!/usr/bin/env python3
"""Time `chainproof sbom` and cdxgen on the same inputs; print wall time, peak RSS, component counts
and the ratio. Called by bench/sbom.sh (which builds, installs and generates first):

    python3 bench/sbom_measure.py --chainproof target/release/chainproof --cdxgen PATH \
        --case NAME=DIR[:chainproof-only] ... [--runs 5] [--peer-runs 1] [--results bench/results]

chainproof runs once to warm the page cache, then `--runs` times; cdxgen (a Node program that takes
seconds to tens of seconds) runs `--peer-runs` times after no warm-up. Both write CycloneDX 1.6 JSON;
components are counted as distinct purls without qualifiers. Peak RSS comes from `wait4`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd: list[str], out_path: str, env: dict) -> dict:
    with open(out_path + ".stdout", "wb") as out, open(out_path + ".stderr", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,
        "exit": os.waitstatus_to_exitcode(status),
    }


def purls(path: str) -> set[str]:
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return set()
    return {c["purl"].split("?")[0] for c in doc.get("components", []) if c.get("purl")}


def measure(name: str, cmd: list[str], out: str, runs: int, warm: bool, env: dict) -> dict:
    if warm:
        run_once(cmd, out, env)
    samples = [run_once(cmd, out, env) for _ in range(runs)]
    walls = sorted(s["wall_s"] for s in samples)
    return {
        "tool": name,
        "wall_median": statistics.median(walls),
        "wall_min": walls[0],
        "cpu_median": statistics.median(s["cpu_s"] for s in samples),
        "rss_max": max(s["max_rss_mb"] for s in samples),
        "exits": sorted({s["exit"] for s in samples}),
        "purls": purls(out),
        "samples": samples,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chainproof", required=True)
    ap.add_argument("--cdxgen", required=True)
    ap.add_argument("--case", action="append", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--peer-runs", type=int, default=1)
    ap.add_argument("--results", default="bench/results")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    os.makedirs(args.results, exist_ok=True)
    env = dict(os.environ, FETCH_LICENSE="false", CDXGEN_NO_BANNER="true", NODE_NO_WARNINGS="1")
    print(f"{os.cpu_count()} CPUs; chainproof {args.runs} runs after a warm-up, cdxgen {args.peer_runs} run(s)")
    print(f"{'case':<16}{'tool':<12}{'wall median':>12}{'wall min':>10}{'cpu median':>12}{'peak RSS':>11}{'components':>12}")
    failed = False
    summary = {}
    for spec in args.case:
        name, _, rest = spec.partition("=")
        directory, _, flag = rest.partition(":")
        rows = []
        out = os.path.join(args.results, f"sbom-{name}-chainproof.cdx.json")
        rows.append(measure("chainproof", [args.chainproof, "sbom", directory, "-o", out], out, args.runs, True, env))
        if flag != "chainproof-only":
            out = os.path.join(args.results, f"sbom-{name}-cdxgen.cdx.json")
            cmd = [args.cdxgen, "-t", "js", "--no-install-deps", "--spec-version", "1.6", "-o", out, directory]
            rows.append(measure("cdxgen", cmd, out, args.peer_runs, False, env))
        for r in rows:
            print(f"{name:<16}{r['tool']:<12}{r['wall_median']:>11.3f}s{r['wall_min']:>9.3f}s{r['cpu_median']:>11.3f}s"
                  f"{r['rss_max']:>8.1f} MB{len(r['purls']):>12}  exit {r['exits']}")
        case = {r["tool"]: {k: v for k, v in r.items() if k != "purls"} for r in rows}
        if len(rows) == 2:
            ours, peer = rows
            ratio = ours["wall_median"] / peer["wall_median"]
            only_ours = sorted(ours["purls"] - peer["purls"])
            only_peer = sorted(peer["purls"] - ours["purls"])
            agree = len(ours["purls"] & peer["purls"]) / max(1, len(ours["purls"] | peer["purls"]))
            ok = ratio <= 0.1
            failed |= not ok
            print(f"  ratio chainproof/cdxgen: wall {ratio:.3f} (target <= 0.1: {'PASS' if ok else 'FAIL'}); "
                  f"purl agreement {agree:.2%} (only chainproof {len(only_ours)}, only cdxgen {len(only_peer)})")
            for p in only_ours[:5]:
                print(f"    only chainproof: {p}")
            for p in only_peer[:5]:
                print(f"    only cdxgen:     {p}")
            case["ratio"] = ratio
            case["agreement"] = agree
        else:
            ok = rows[0]["wall_median"] < 1.0
            failed |= not ok
            print(f"  target < 1 s: {'PASS' if ok else 'FAIL'}")
        summary[name] = case
    with open(os.path.join(args.results, "sbom.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return 3 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
