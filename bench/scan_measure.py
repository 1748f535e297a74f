#!/usr/bin/env python3
"""Time `chainproof scan` on the full offline OSV database and compare it with cargo-audit on the
same RustSec data. Called by bench/scan.sh (which builds, installs and generates first):

    python3 bench/scan_measure.py --chainproof target/release/chainproof --cargo-audit PATH \
        --advisories DIR --sbom SBOM_10K --work DIR --lockfile NAME=PATH ... [--runs 5]

Everything goes through the CLI, so every number includes process start, reading the SBOM or
lockfile and writing the JSON report:

- load: `chainproof scan --sbom ONE` (a one-component SBOM) on the full database. "first load"
  runs with no index (reads and parses every zip, then writes the index); "from the index" runs
  once the index exists. chainproof writes its index beside each zip when it can (it can in a
  read-only directory when run as root), so the scans use mirrors of the database under `--work`
  (`db-full/<Ecosystem>/all.zip`, `db-crates/crates.io/all.zip`: symbolic links to the zips) and
  the index files land there, never in the shared database. `XDG_CACHE_HOME` points under `--work`
  too, for the fallback location.
- match: the same command on the 10,000-component SBOM, minus the one-component time: the extra
  cost of 9,999 components (their parsing, matching and report lines).
- cargo-audit: `cargo audit --db RUSTSEC --no-fetch --stale --no-yanked --file LOCK --json` (yanked
  crates come from the local crates.io index cache, not from advisories; chainproof does not
  check them, and what cargo-audit finds depends on what the machine has downloaded) against
  `chainproof scan LOCK --db CRATES` where CRATES holds only `crates.io/all.zip` (the OSV export of
  the same RustSec database), its index built beforehand. Advisory ids are compared per
  (id, crate, version); cargo-audit's informational warnings (unmaintained, unsound, notice) are
  counted apart from its vulnerabilities, chainproof reports both kinds as findings.

Peak RSS comes from `wait4`. Exits 3 when a target is missed, 4 when the id sets differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def run_once(cmd: list[str], out_path: str, env: dict) -> dict:
    with open(out_path, "wb") as out, open(out_path + ".stderr", "wb") as err:
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


def measure(cmd: list[str], out: str, runs: int, env: dict, warm: bool = True, before=None) -> dict:
    if warm:
        run_once(cmd, out, env)
    samples = []
    for _ in range(runs):
        if before:
            before()
        samples.append(run_once(cmd, out, env))
    walls = sorted(s["wall_s"] for s in samples)
    return {
        "wall_median": statistics.median(walls),
        "wall_min": walls[0],
        "cpu_median": statistics.median(s["cpu_s"] for s in samples),
        "rss_max": max(s["max_rss_mb"] for s in samples),
        "exits": sorted({s["exit"] for s in samples}),
        "samples": samples,
    }


def row(label: str, m: dict, extra: str = "") -> None:
    print(f"  {label:<34}{m['wall_median']:>9.3f}s{m['wall_min']:>9.3f}s{m['cpu_median']:>9.3f}s"
          f"{m['rss_max']:>8.1f} MB  exit {m['exits']}{extra}")


def load_json(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        err = open(path + ".stderr", errors="replace").read()[-2000:] if os.path.exists(path + ".stderr") else ""
        raise SystemExit(f"scan_measure: {path}: {e}\n{err}")


def audit_sets(doc: dict) -> tuple[set, dict[str, set]]:
    """cargo-audit JSON -> ({(id, crate, version)} of vulnerabilities, {kind: {(id, crate, version)}})."""
    vulns = {(v["advisory"]["id"], v["package"]["name"], v["package"]["version"])
             for v in doc.get("vulnerabilities", {}).get("list", [])}
    warnings: dict[str, set] = {}
    for kind, items in (doc.get("warnings") or {}).items():
        for w in items:
            adv = w.get("advisory") or {}
            key = (adv.get("id", f"<{kind}, no advisory>"), w["package"]["name"], w["package"]["version"])
            warnings.setdefault(kind, set()).add(key)
    return vulns, warnings


def chainproof_findings(doc: dict) -> list[tuple[str, str, str, frozenset]]:
    """(id, crate, version, {id and aliases}) per finding: chainproof reports records that alias each
    other as one finding under one id, so a cargo-audit id may be one of its aliases."""
    return [(f["id"], f["package"], f["version"], frozenset([f["id"], *f.get("aliases", [])]))
            for f in doc.get("findings", [])]


def compare(ours: list, theirs: set) -> tuple[set, list, list]:
    """Pair chainproof findings with cargo-audit (id, crate, version) keys: (common keys as cargo-audit
    names them, chainproof findings with no partner, cargo-audit keys with no partner)."""
    common, only_ours = set(), []
    for fid, crate, version, ids in ours:
        hits = {k for k in theirs if k[1] == crate and k[2] == version and k[0] in ids}
        if len(hits) > 1:
            print(f"    one chainproof finding, {len(hits)} cargo-audit advisories (records that alias each other): "
                  f"{fid} {crate} {version} = {', '.join(sorted(h[0] for h in hits))}")
        if hits:
            common |= hits
        else:
            only_ours.append((fid, crate, version))
    return common, sorted(only_ours), sorted(theirs - common)


def mirror(advisories: str, ecos: list[str], dest: str) -> str:
    """`dest/<Ecosystem>/all.zip` as symbolic links to the database's zips (and nothing else)."""
    shutil.rmtree(dest, ignore_errors=True)
    for e in ecos:
        os.makedirs(os.path.join(dest, e))
        os.symlink(os.path.join(os.path.abspath(advisories), e, "all.zip"), os.path.join(dest, e, "all.zip"))
    return dest


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chainproof", required=True)
    ap.add_argument("--cargo-audit", required=True)
    ap.add_argument("--advisories", required=True)
    ap.add_argument("--sbom", required=True, help="the 10,000-component SBOM")
    ap.add_argument("--work", required=True)
    ap.add_argument("--lockfile", action="append", default=[])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=3)
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    cache = os.path.join(work, "xdg-cache")
    env = dict(os.environ, XDG_CACHE_HOME=cache, NO_COLOR="1")
    cp = os.path.abspath(args.chainproof)
    common = ["--format", "json", "--fail-on", "none", "--max-db-age", "100000"]
    summary: dict = {}
    failed = False

    one = os.path.join(work, "one.cdx.json")
    with open(one, "w") as f:
        json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
            {"type": "library", "name": "smallvec", "version": "1.13.2", "purl": "pkg:cargo/smallvec@1.13.2"}]}, f)

    ecos = sorted(e for e in os.listdir(args.advisories) if os.path.isfile(os.path.join(args.advisories, e, "all.zip")))
    size = sum(os.path.getsize(os.path.join(args.advisories, e, "all.zip")) for e in ecos)
    print(f"{os.cpu_count()} CPUs; database {args.advisories}: {', '.join(ecos)} ({size / 1e6:.1f} MB of zips); "
          f"{args.runs} runs after a warm-up ({args.cold_runs} for the first load)")
    print(f"  {'':<34}{'median':>10}{'min':>10}{'cpu':>10}{'peak RSS':>11}")

    full_db = mirror(args.advisories, ecos, os.path.join(work, "db-full"))
    crates_db = mirror(args.advisories, ["crates.io"], os.path.join(work, "db-crates"))

    def clear_cache():
        shutil.rmtree(cache, ignore_errors=True)
        for d in (full_db, crates_db):
            for e in os.listdir(d):
                for f in os.listdir(os.path.join(d, e)):
                    if f != "all.zip":
                        os.remove(os.path.join(d, e, f))

    def index_files() -> list[str]:
        return sorted(os.path.relpath(os.path.join(d, f), work)
                      for top in (full_db, cache) for d, _, fs in os.walk(top) for f in fs if f != "all.zip")

    out1 = os.path.join(work, "chainproof-one.json")
    cmd1 = [cp, "scan", "--sbom", one, "--db", full_db, *common]
    first = measure(cmd1, out1, args.cold_runs, env, warm=False, before=clear_cache)
    row("full DB, first load (no index)", first)
    indexes = index_files()
    warm1 = measure(cmd1, out1, args.runs, env)
    ok_load = warm1["wall_median"] < 1.0
    row("full DB, from the index", warm1, f"  target < 1 s: {'PASS' if ok_load else 'FAIL'}")
    print(f"    index files: {', '.join(indexes) or 'NONE (the cache was not written)'}")
    if not indexes:
        ok_load = False
    failed |= not ok_load
    out10k = os.path.join(work, "chainproof-10k.json")
    cmd10k = [cp, "scan", "--sbom", args.sbom, "--db", full_db, *common]
    big = measure(cmd10k, out10k, args.runs, env)
    doc = load_json(out10k)
    s = doc["summary"]
    row("10,000-component SBOM", big,
        f"\n    components {s['components']}, checked {s['checked']}, not checked {s['not_checked']}, "
        f"vulnerabilities {s['vulnerabilities']} ({', '.join(f'{k} {v}' for k, v in sorted(s['by_severity'].items()))})")
    matched = big["wall_median"] - warm1["wall_median"]
    ok_match = matched < 0.2
    failed |= not ok_match
    print(f"  match 10,000 components (10k run - 1-component run, medians): {matched * 1000:.0f} ms  "
          f"target < 200 ms: {'PASS' if ok_match else 'FAIL'}")
    summary["load"] = {"first": first, "index": warm1, "index_files": indexes}
    summary["sbom_10k"] = {**big, "summary": s, "match_s": matched}

    # cargo-audit comparison on the crates.io data alone.
    rustsec = os.path.join(args.advisories, "rustsec")
    print()
    print(f"cargo-audit ({args.cargo_audit}) against chainproof on the same RustSec data")
    print(f"  {'':<34}{'median':>10}{'min':>10}{'cpu':>10}{'peak RSS':>11}")
    summary["cargo"] = {}
    disagree = False
    for spec in args.lockfile:
        name, _, lock = spec.partition("=")
        lock = os.path.abspath(lock)
        with open(lock) as f:
            packages = f.read().count("[[package]]")
        print(f"{name}: {lock} ({packages} packages)")
        a_out = os.path.join(work, f"cargo-audit-{name}.json")
        a_cmd = [args.cargo_audit, "audit", "--db", rustsec, "--no-fetch", "--stale", "--no-yanked", "--file", lock, "--json"]
        audit = measure(a_cmd, a_out, args.runs, env)
        audit_yanked = measure([a for a in a_cmd if a != "--no-yanked"], a_out + ".yanked", args.runs, env)
        c_out = os.path.join(work, f"chainproof-{name}.json")
        c_cmd = [cp, "scan", lock, "--db", crates_db, *common]
        clean = lambda: shutil.rmtree(os.path.join(crates_db, "crates.io", "all.zip.chainproof-index"), ignore_errors=True)  # noqa: E731
        clean()
        cold = measure(c_cmd, c_out, 1, env, warm=False)
        ours = measure(c_cmd, c_out, args.runs, env)
        full_out = os.path.join(work, f"chainproof-{name}-fulldb.json")
        full = measure([cp, "scan", lock, "--db", full_db, *common], full_out, args.runs, env)
        row("cargo-audit --no-yanked", audit)
        row("cargo-audit (default: + yanked check)", audit_yanked)
        row("chainproof, crates.io index", ours)
        row("chainproof, crates.io first load", cold)
        row("chainproof, full 4-ecosystem DB", full)
        ratio = ours["wall_median"] / audit["wall_median"]
        ok = ratio < 1.0
        failed |= not ok
        print(f"  ratio chainproof/cargo-audit --no-yanked: wall {ratio:.3f} (first load {cold['wall_median'] / audit['wall_median']:.3f}; "
              f"against cargo-audit's default {ours['wall_median'] / audit_yanked['wall_median']:.3f}); "
              f"target faster: {'PASS' if ok else 'FAIL'}")
        adoc, cdoc = load_json(a_out), load_json(c_out)
        vulns, warnings = audit_sets(adoc)
        informational = set().union(*warnings.values()) if warnings else set()
        ours = chainproof_findings(cdoc)
        ours_set = {f[:3] for f in ours}
        full_set = {f[:3] for f in chainproof_findings(load_json(full_out))}
        theirs = vulns | informational
        both, only_ours, only_theirs = compare(ours, theirs)
        total = len(both) + len(only_ours) + len(only_theirs)
        agree = len(both) / total if total else 1.0
        print(f"  cargo-audit: {len(vulns)} vulnerabilities + "
              + (", ".join(f"{len(v)} {k}" for k, v in sorted(warnings.items())) or "no warnings")
              + f"; chainproof: {len(ours_set)} findings ({cdoc['summary']['checked']} of "
              f"{cdoc['summary']['components']} components checked, {cdoc['summary']['not_checked']} not)")
        print(f"  agreement on (id, crate, version): {len(both)} common, {agree:.2%}"
              f" (cargo-audit's vulnerabilities {len(vulns & both)}/{len(vulns)}, informational "
              f"{len(informational & both)}/{len(informational)})")
        for key in only_ours:
            print(f"    only chainproof: {key[0]} {key[1]} {key[2]}")
        for key in only_theirs:
            kind = "vulnerability" if key in vulns else next(k for k, v in warnings.items() if key in v)
            print(f"    only cargo-audit ({kind}): {key[0]} {key[1]} {key[2]}")
        if full_set != ours_set:
            print(f"    full DB differs from crates.io-only: +{sorted(full_set - ours_set)} -{sorted(ours_set - full_set)}")
        disagree |= bool(only_ours or only_theirs)
        summary["cargo"][name] = {
            "cargo_audit": audit, "cargo_audit_default": audit_yanked, "chainproof": ours, "chainproof_first_load": cold, "chainproof_full_db": full,
            "ratio": ratio, "agreement": agree, "only_chainproof": only_ours, "only_cargo_audit": only_theirs,
            "cargo_audit_vulnerabilities": len(vulns),
            "cargo_audit_warnings": {k: len(v) for k, v in warnings.items()},
        }
    print()
    print(f"targets: DB load from the index < 1 s: {'PASS' if ok_load else 'FAIL'}; "
          f"10,000 components matched < 200 ms: {'PASS' if ok_match else 'FAIL'}; "
          f"faster than cargo-audit: {'PASS' if all(c['ratio'] < 1 for c in summary['cargo'].values()) else 'FAIL'}")
    stray = [os.path.join(args.advisories, e, f) for e in ecos
             for f in os.listdir(os.path.join(args.advisories, e)) if f.endswith(".chainproof-index")]
    if stray:
        print(f"warning: index files in the database itself (not written by this run's scans): {stray}")
    with open(os.path.join(work, "scan.json"), "w") as f:
        json.dump(summary, f, indent=2, default=list)
    if failed:
        return 3
    return 4 if disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
