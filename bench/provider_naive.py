#!/usr/bin/env python3
"""The naive rollout the provider bench compares against: what `github_repository_file` does.

One Contents API call per file: GET /repos/{repo}/contents/{path} (for the blob sha, as the official
provider reads before writing), then PUT with the content (one commit per file). `--refresh` only does
the GET per file (the official provider's refresh reads every file). Runs PARALLELISM requests at once
(Terraform's default -parallelism is 10). Prints JSON: {"seconds": s, "requests": n, "commits": n}.

Usage: provider_naive.py URL FILES_JSON REPO... [--refresh] [--parallelism N]
"""
import base64
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request


def call(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=body)
    req.add_header("Authorization", "token bench")
    req.add_header("Accept", "application/vnd.github+json")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def one_file(base, repo, path, content, refresh):
    url = f"{base}/repos/{repo}/contents/{path}"
    status, existing = call(url + "?ref=main")
    requests = 1
    if refresh:
        return requests, 0
    body = {
        "message": f"Add {path}",
        "content": base64.b64encode(content.encode()).decode(),
        "branch": "main",
    }
    if status == 200 and isinstance(existing, dict) and existing.get("sha"):
        body["sha"] = existing["sha"]
    status, _ = call(url, "PUT", json.dumps(body).encode())
    if status not in (200, 201):
        raise SystemExit(f"PUT {url} -> {status}")
    return requests + 1, 1


def main():
    args = sys.argv[1:]
    refresh = "--refresh" in args
    parallelism = 10
    if "--parallelism" in args:
        i = args.index("--parallelism")
        parallelism = int(args[i + 1])
        del args[i : i + 2]
    args = [a for a in args if a != "--refresh"]
    base, files_json, repos = args[0], args[1], args[2:]
    with open(files_json) as f:
        files = json.load(f)
    jobs = [(repo, path, content) for repo in repos for path, content in sorted(files.items())]
    start = time.monotonic()
    total_requests = total_commits = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallelism) as pool:
        for r, c in pool.map(lambda j: one_file(base, *j, refresh), jobs):
            total_requests += r
            total_commits += c
    print(json.dumps({"seconds": round(time.monotonic() - start, 2), "requests": total_requests, "commits": total_commits}))


if __name__ == "__main__":
    main()
