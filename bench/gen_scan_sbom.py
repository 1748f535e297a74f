#!/usr/bin/env python3
"""Write a CycloneDX 1.6 SBOM for the `chainproof scan` benchmark, built from the package names and
versions that real OSV advisories name, so that matches occur:

    python3 bench/gen_scan_sbom.py --advisories /work/shared/advisories --out FILE \
        [--components 10000] [--seed 1]

For every package named in the crates.io, npm, PyPI and Go exports (`<Ecosystem>/all.zip`; Go's
`stdlib` and `toolchain` are left out, they are not modules) one component is written, its version
drawn from the advisories' own data: about half the time a version inside an affected range (an
`introduced` other than 0, a `last_affected`, an entry of `versions`, or for a range from 0 a
release just below its `fixed`), else a `fixed` version
(usually clean) or a high version no advisory reaches. About one package in ten gets a second
version. The rest up to `--components` is filler: names no advisory mentions, spread over the four
ecosystems. The same advisories, count and seed give the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import urllib.parse
import zipfile

ECOSYSTEMS = {"crates.io": "cargo", "npm": "npm", "PyPI": "pypi", "Go": "golang"}
SKIP = {("Go", "stdlib"), ("Go", "toolchain")}


def candidates(advisories: str) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(ecosystem, package) -> {"affected": versions, "fixed": versions}."""
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    for eco in ECOSYSTEMS:
        path = os.path.join(advisories, eco, "all.zip")
        if not os.path.isfile(path):
            print(f"gen_scan_sbom: {path} missing, ecosystem skipped", file=sys.stderr)
            continue
        with zipfile.ZipFile(path) as z:
            for entry in sorted(z.namelist()):
                if not entry.endswith(".json"):
                    continue
                record = json.loads(z.read(entry))
                if record.get("withdrawn"):
                    continue
                for affected in record.get("affected", []):
                    pkg = affected.get("package") or {}
                    if pkg.get("ecosystem", "").split(":")[0] != eco or not pkg.get("name"):
                        continue
                    key = (eco, pkg["name"])
                    if key in SKIP:
                        continue
                    slot = out.setdefault(key, {"affected": set(), "fixed": set()})
                    slot["affected"].update(v for v in affected.get("versions", []) if v)
                    for r in affected.get("ranges", []):
                        if r.get("type") not in ("SEMVER", "ECOSYSTEM"):
                            continue
                        events = r.get("events", [])
                        from_zero = any(ev.get("introduced") == "0" for ev in events)
                        for ev in events:
                            if from_zero and ev.get("fixed") and (below := just_below(ev["fixed"])):
                                slot["affected"].add(below)
                            if ev.get("introduced") not in (None, "0"):
                                slot["affected"].add(ev["introduced"])
                            if ev.get("last_affected"):
                                slot["affected"].add(ev["last_affected"])
                            if ev.get("fixed"):
                                slot["fixed"].add(ev["fixed"])
    return out


def just_below(version: str) -> str | None:
    """A release just below `version` ("1.5.0" -> "1.4.0", "2.0.3" -> "2.0.2"), for ranges that start
    at 0, or None when `version` is not plain dotted numbers."""
    parts = version.split(".")
    if not all(p.isdigit() for p in parts) or not any(int(p) for p in parts):
        return None
    for i in range(len(parts) - 1, -1, -1):
        if int(parts[i]):
            parts[i] = str(int(parts[i]) - 1)
            return ".".join(parts)
    return None


def purl(eco: str, name: str, version: str) -> str:
    kind = ECOSYSTEMS[eco]
    if kind == "pypi":
        name = name.lower().replace("_", "-").replace(".", "-")
    if kind == "golang" and not version.startswith("v"):
        version = "v" + version
    quoted = "/".join(urllib.parse.quote(part, safe="") for part in name.split("/"))
    return f"pkg:{kind}/{quoted}@{urllib.parse.quote(version, safe='')}", version


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--advisories", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--components", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cands = candidates(args.advisories)
    chosen: list[tuple[str, str, str, str]] = []  # (ecosystem, name, version, kind)
    for (eco, name) in sorted(cands):
        slot = cands[(eco, name)]
        picks = 2 if rng.random() < 0.1 else 1
        for _ in range(picks):
            roll = rng.random()
            if roll < 0.5 and slot["affected"]:
                chosen.append((eco, name, rng.choice(sorted(slot["affected"])), "affected"))
            elif roll < 0.85 and slot["fixed"]:
                chosen.append((eco, name, rng.choice(sorted(slot["fixed"])), "fixed"))
            else:
                chosen.append((eco, name, "999.0.0", "beyond"))
    rng.shuffle(chosen)
    seen: set[tuple[str, str, str]] = set()
    real = []
    for c in chosen:
        if (c[0], c[1], c[2]) not in seen:
            seen.add((c[0], c[1], c[2]))
            real.append(c)
    real = real[: args.components]
    filler_names = {
        "crates.io": "bench-filler-crate-{}",
        "npm": "bench-filler-pkg-{}",
        "PyPI": "bench-filler-dist-{}",
        "Go": "example.com/bench/filler{}",
    }
    ecos = sorted(ECOSYSTEMS)
    filler = []
    for i in range(args.components - len(real)):
        eco = ecos[i % len(ecos)]
        filler.append((eco, filler_names[eco].format(i), f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}", "filler"))
    components = []
    counts: dict[str, int] = {}
    for n, (eco, name, version, kind) in enumerate(real + filler):
        p, shown = purl(eco, name, version)
        counts[f"{eco}/{kind}"] = counts.get(f"{eco}/{kind}", 0) + 1
        components.append({"type": "library", "bom-ref": f"c{n}", "name": name, "version": shown, "purl": p})
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:00000000-0000-4000-8000-%012d" % args.seed,
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "scan-bench", "bom-ref": "root"}},
        "components": components,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"gen_scan_sbom: {len(components)} components ({len(real)} from advisories): {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
