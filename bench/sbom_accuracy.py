#!/usr/bin/env python3
"""Compare the purls of `chainproof sbom` with cdxgen's (and, for npm, @cyclonedx/cyclonedx-npm's)
on every fixture under tests/fixtures/sbom/ (or the directories given), name + version only.

    python3 bench/sbom_accuracy.py --chainproof target/release/chainproof \
        --cdxgen .tools/bench/cdxgen/node_modules/.bin/cdxgen [DIR ...]

bench/sbom.sh installs both peers into .tools/bench/cdxgen. Purls are compared without qualifiers
and subpaths, percent-decoded, PyPI names normalised (PEP 503), Go versions with their `v`. Prints
per-directory counts, every difference, and the overall agreement (|both| / |either|).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import tempfile
import urllib.parse


def norm(purl: str) -> str:
    p = urllib.parse.unquote(purl.split("?")[0].split("#")[0])
    if p.startswith("pkg:pypi/"):
        name, _, ver = p[len("pkg:pypi/"):].partition("@")
        p = "pkg:pypi/" + re.sub(r"[-_.]+", "-", name).lower() + ("@" + ver if ver else "")
    return p


def purls(path: str) -> set[str] | None:
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    out: set[str] = set()

    def walk(cs):
        for c in cs:
            if c.get("purl"):
                out.add(norm(c["purl"]))
            walk(c.get("components", []))

    walk(doc.get("components", []))
    root = doc.get("metadata", {}).get("component", {}).get("purl")
    out.discard(norm(root) if root else "")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chainproof", required=True)
    ap.add_argument("--cdxgen", required=True)
    ap.add_argument("--cyclonedx-npm")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = args.dirs or sorted(d for d in glob.glob(os.path.join(root, "tests/fixtures/sbom/*")) if os.path.isdir(d))
    env = dict(os.environ, FETCH_LICENSE="false", CDXGEN_NO_BANNER="true", NODE_NO_WARNINGS="1")
    both = either = 0
    tmp = tempfile.mkdtemp()
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        ours_f, peer_f = os.path.join(tmp, name + ".ours.json"), os.path.join(tmp, name + ".cdxgen.json")
        subprocess.run([args.chainproof, "sbom", d, "-o", ours_f], capture_output=True)
        subprocess.run([args.cdxgen, "--no-install-deps", "--spec-version", "1.6", "-o", peer_f, d],
                       capture_output=True, env=env, timeout=600)
        ours, peer = purls(ours_f), purls(peer_f)
        peers = {"cdxgen": peer}
        if args.cyclonedx_npm and os.path.exists(os.path.join(d, "package-lock.json")) and os.path.exists(os.path.join(d, "package.json")):
            f = os.path.join(tmp, name + ".cnpm.json")
            subprocess.run([args.cyclonedx_npm, "--package-lock-only", "--short-PURLs", "--sv", "1.6", "--output-file", f],
                           capture_output=True, cwd=d, env=env)
            peers["cyclonedx-npm"] = purls(f)
        for tool, theirs in peers.items():
            if ours is None or theirs is None:
                print(f"{name:<24}{tool:<14} {'no output from ' + ('chainproof' if ours is None else tool)}")
                continue
            b, e = len(ours & theirs), len(ours | theirs)
            if tool == "cdxgen":
                both += b
                either += e
            print(f"{name:<24}{tool:<14} chainproof {len(ours):>5}  {tool} {len(theirs):>5}  agree {b / max(e, 1):7.2%}")
            for p in sorted(ours - theirs):
                print(f"    only chainproof: {p}")
            for p in sorted(theirs - ours):
                print(f"    only {tool}: {p}")
    print(f"overall agreement with cdxgen on name+version: {both}/{either} = {both / max(either, 1):.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
