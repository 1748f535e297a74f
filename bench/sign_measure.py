#!/usr/bin/env python3
"""Time `chainproof sign`, `attest` and `verify` (keyless and with a key) against sigstore-python and
sigstore-js, on the same artifacts and the same local Sigstore stand-in. Called by bench/sign.sh
(which builds chainproof, starts the stand-in, makes the artifacts and the test token first):

    python3 bench/sign_measure.py --chainproof target/release/chainproof \
        --sigstore-python .tools/bin/sigstore --client tests/support/sigstore/client.mjs \
        --node-path .tools/node/node_modules --trust DIR --url URL --token-file FILE \
        --work DIR [--standin-pid PID] [--runs 5] ARTIFACT...

Each run signs every artifact once per tool and operation, one process at a time; run 0 is a
warm-up and is not counted. A run's time per artifact is its wall time over the artifacts divided
by their number; the table gives the median and the minimum of that over the counted runs, and the
median CPU time (user + system of the process, from `wait4`) per artifact, and with --standin-pid
the median CPU time the stand-in spent per artifact (from /proc/PID/stat around each tool's batch).
Every command goes
through the tool's CLI, so every number includes process start and the round trips to the local
stand-in (Fulcio, Rekor, TSA on 127.0.0.1: no network).

Operations:
- sign: keyless signing of the artifact (Fulcio certificate, Rekor entry, RFC 3161 timestamp) into a
  bundle;
- attest: keyless SLSA provenance v1 for the artifact (chainproof builds the predicate from the
  token's claims and GitHub Actions variables; sigstore-python gets a predicate file and hashes the
  artifact; sigstore-js gets a whole in-toto statement, made beforehand and not timed);
- verify: the run's own sign bundle against the stand-in's trusted root and the identity policy
  (sigstore-python with `--offline`);
- sign --key / verify --key: chainproof only (an encrypted cosign-format key from `key generate`,
  decrypted with scrypt at every signing; the bundle goes to Rekor and the TSA). Neither peer signs
  with a key.

Exits 1 when a command fails (its output is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

ISSUER = "https://token.actions.githubusercontent.com"
IDENTITY = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
# GitHub Actions variables matching the test token's claims (as tests/sigstore_standin.rs).
GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "octo-org/octo-repo",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_SHA": "a3f1c2d4e5b6978899aabbccddeeff0011223344",
    "GITHUB_WORKFLOW_REF": "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
    "GITHUB_RUN_ID": "4242424242",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_EVENT_NAME": "push",
    "RUNNER_ENVIRONMENT": "github-hosted",
}
PASSWORD = "bench password"
PREDICATE = {
    "buildDefinition": {
        "buildType": "https://actions.github.io/buildtypes/workflow/v1",
        "externalParameters": {
            "workflow": {
                "ref": "refs/heads/main",
                "repository": "https://github.com/octo-org/octo-repo",
                "path": ".github/workflows/release.yml",
            }
        },
        "internalParameters": {},
        "resolvedDependencies": [],
    },
    "runDetails": {
        "builder": {"id": "https://github.com/actions/runner/github-hosted"},
        "metadata": {},
    },
}
TOOLS = ["chainproof", "sigstore-python", "sigstore-js"]


def hermetic_env() -> dict:
    """This environment without CI identity variables, as the tests' `hermetic`."""
    leaks = ("GITHUB_", "GITLAB_", "CI_", "ACTIONS_", "RUNNER_", "SIGSTORE_", "CHAINPROOF_")
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith(leaks)}
    env.pop("COSIGN_PASSWORD", None)
    return env


def run_once(cmd: list[str], env: dict, log: str) -> tuple[float, float]:
    """Runs `cmd`, its output in `log`.out/.err; returns (wall s, cpu s); exits 1 when it fails."""
    with open(log + ".out", "wb") as out, open(log + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        output = ""
        for ext in (".out", ".err"):
            with open(log + ext, encoding="utf-8", errors="replace") as f:
                output += f.read()
        sys.exit(f"FAILED (exit {code}): {' '.join(cmd)}\n{output}")
    return wall, usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` so far (0 without a pid)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chainproof", required=True)
    ap.add_argument("--sigstore-python", required=True)
    ap.add_argument("--client", required=True, help="tests/support/sigstore/client.mjs")
    ap.add_argument("--node-path", required=True, help="the npm tree with sigstore-js")
    ap.add_argument("--trust", required=True, help="the stand-in's --out directory")
    ap.add_argument("--url", required=True, help="the stand-in's URL (for the header)")
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--standin-pid", type=int, help="the stand-in's PID, to count its CPU time")
    ap.add_argument("artifacts", nargs="+")
    a = ap.parse_args()
    if a.runs < 1:
        sys.exit("--runs must be at least 1")

    with open(a.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    trust = {n: os.path.join(a.trust, n) for n in ("signing_config.json", "trusted_root.json", "trust_config.json")}
    for path in trust.values():
        if not os.path.exists(path):
            sys.exit(f"the stand-in did not write {path}")
    sc, tr, tc = trust["signing_config.json"], trust["trusted_root.json"], trust["trust_config.json"]
    work = os.path.abspath(a.work)
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    base = hermetic_env()
    node_env = dict(base, NODE_PATH=a.node_path)
    gh_env = dict(base, **GITHUB_ENV)
    key_env = dict(base, CHAINPROOF_PASSWORD=PASSWORD)
    arts = [os.path.abspath(p) for p in a.artifacts]
    names = [os.path.basename(p) for p in arts]
    size = os.path.getsize(arts[0])

    # Inputs the peers need for attest (not timed): sigstore-python a predicate, sigstore-js a statement.
    predicate = os.path.join(work, "predicate.json")
    with open(predicate, "w", encoding="utf-8") as f:
        json.dump(PREDICATE, f)
    statements = []
    for path, name in zip(arts, names):
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        st = os.path.join(work, f"{name}.statement.json")
        with open(st, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "_type": "https://in-toto.io/Statement/v1",
                    "subject": [{"name": name, "digest": {"sha256": digest}}],
                    "predicateType": "https://slsa.dev/provenance/v1",
                    "predicate": PREDICATE,
                },
                f,
            )
        statements.append(st)

    # One key for every `sign --key` (not timed).
    key_prefix = os.path.join(work, "bench")
    for ext in (".key", ".pub"):
        if os.path.exists(key_prefix + ext):
            os.remove(key_prefix + ext)
    run_once([a.chainproof, "key", "generate", "--output", key_prefix], key_env, os.path.join(logs, "key-generate"))

    cp, py, js = a.chainproof, a.sigstore_python, ["node", a.client]

    def commands(op: str, tool: str, i: int, rdir: str):
        """(argv, env) of `op` by `tool` on artifact i in run directory `rdir`, or None."""
        art = arts[i]
        b = lambda kind: os.path.join(rdir, f"{names[i]}.{tool}.{kind}.sigstore.json")  # noqa: E731
        if op == "start":
            return {
                "chainproof": ([cp, "--version"], base),
                "sigstore-python": ([py, "--version"], base),
                "sigstore-js": (["node", "-e", ""], node_env),
            }[tool]
        if op == "sign":
            return {
                "chainproof": ([cp, "sign", art, "--bundle", b("sign"), "--identity-token", token, "--signing-config", sc], base),
                "sigstore-python": ([py, "--trust-config", tc, "sign", art, "--identity-token", token, "--bundle", b("sign")], base),
                "sigstore-js": ([*js, "sign", art, "--signing-config", sc, "--identity-token", token, "--bundle", b("sign")], node_env),
            }[tool]
        if op == "attest":
            return {
                "chainproof": (
                    [cp, "attest", "--type", "slsaprovenance1", art, "--bundle", b("attest"), "--identity-token", token, "--signing-config", sc],
                    gh_env,
                ),
                "sigstore-python": (
                    [py, "--trust-config", tc, "attest", "--predicate-type", "https://slsa.dev/provenance/v1", "--predicate", predicate,
                     art, "--identity-token", token, "--bundle", b("attest")],
                    base,
                ),
                "sigstore-js": (
                    [*js, "attest", "--payload-type", "application/vnd.in-toto+json", statements[i], "--signing-config", sc,
                     "--identity-token", token, "--bundle", b("attest")],
                    node_env,
                ),
            }[tool]
        if op == "verify":
            return {
                "chainproof": (
                    [cp, "verify", art, "--bundle", b("sign"), "--trusted-root", tr, "--certificate-identity", IDENTITY,
                     "--certificate-oidc-issuer", ISSUER],
                    base,
                ),
                "sigstore-python": (
                    [py, "--trust-config", tc, "verify", "identity", "--offline", "--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER,
                     "--bundle", b("sign"), art],
                    base,
                ),
                "sigstore-js": (
                    [*js, "verify", "--trusted-root", tr, "--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER,
                     "--bundle", b("sign"), art],
                    node_env,
                ),
            }[tool]
        if tool != "chainproof":
            return None
        if op == "sign --key":
            return ([cp, "sign", art, "--key", key_prefix + ".key", "--bundle", b("key"), "--signing-config", sc], key_env)
        if op == "verify --key":
            return ([cp, "verify", art, "--bundle", b("key"), "--key", key_prefix + ".pub", "--trusted-root", tr], base)
        raise ValueError(op)

    ops = ["start", "sign", "attest", "verify", "sign --key", "verify --key"]
    # times[op][tool] = [(wall, cpu, stand-in cpu) per artifact, per counted run]
    times: dict[str, dict[str, list[tuple[float, float, float]]]] = {op: {t: [] for t in TOOLS} for op in ops}
    n = len(arts)
    print(
        f"{os.cpu_count()} CPUs; {n} artifacts of {size:,} bytes; stand-in {a.url}; "
        f"{a.runs} runs after a warm-up, one process at a time",
        file=sys.stderr,
    )
    load_before = os.getloadavg()[0]
    for r in range(a.runs + 1):
        rdir = os.path.join(work, f"run{r}")
        os.makedirs(rdir, exist_ok=True)
        started = time.perf_counter()
        for op in ops:
            for tool in TOOLS:
                if commands(op, tool, 0, rdir) is None:
                    continue
                wall = cpu = 0.0
                server = proc_cpu(a.standin_pid)
                for i in range(n):
                    argv, env = commands(op, tool, i, rdir)
                    label = f"run{r}-{op.replace(' --', '-')}-{tool}-{i}"
                    w, c = run_once(argv, env, os.path.join(logs, label))
                    wall += w
                    cpu += c
                server = proc_cpu(a.standin_pid) - server
                if r > 0:
                    times[op][tool].append((wall / n, cpu / n, server / n))
        print(f"  run {r}{' (warm-up)' if r == 0 else ''}: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    with open(os.path.join(work, "runs.json"), "w", encoding="utf-8") as f:
        json.dump(times, f, indent=1)

    def cell(op: str, tool: str) -> tuple[str, float | None]:
        runs = times[op][tool]
        if not runs:
            return f"{'-':>24}", None
        med = statistics.median(r[0] for r in runs)
        mn = min(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        server = statistics.median(r[2] for r in runs)
        return f"{med * 1000:6.0f} {mn * 1000:5.0f} {cpu * 1000:5.0f} {server * 1000:5.0f}", med

    print(
        f"{os.cpu_count()} CPUs; {n} artifacts of {size:,} bytes; local stand-in {a.url}; "
        f"{a.runs} runs after a warm-up; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print("ms per artifact: median wall, min wall, median CPU of the client process, median CPU of the stand-in")
    print("every number includes process start and the local stand-in's latency (127.0.0.1, no network)")
    head = f"{'operation':<14}"
    for tool in TOOLS:
        head += f" | {tool:^24}"
    head += " | ratio chainproof/peer (median wall)"
    print(head)
    sub = f"{'':<14}" + f" | {'median':>6} {'min':>5} {'cpu':>5} {'srv':>5}" * len(TOOLS) + " |"
    print(sub)
    for op in ops:
        line = f"{op:<14}"
        meds = {}
        for tool in TOOLS:
            text, med = cell(op, tool)
            meds[tool] = med
            line += f" | {text}"
        ratios = []
        for peer in TOOLS[1:]:
            if meds["chainproof"] is not None and meds[peer]:
                ratios.append(f"/{peer.removeprefix('sigstore-')} {meds['chainproof'] / meds[peer]:.2f}")
        line += " | " + ("  ".join(ratios) if ratios else "no peer signs with a key" if "key" in op else "")
        print(line.rstrip())
    print("start: `chainproof --version`, `sigstore --version`, `node -e ''` (sigstore-js's modules not loaded)")


if __name__ == "__main__":
    main()
