#!/usr/bin/env python3
"""Generate a benchmark corpus of GitHub Actions workflows, laid out as one repository.

    python3 bench/gen_corpus.py [--out bench/corpus] [--count 1500] [--seed 1] [--no-real]

The output directory becomes `OUT/.github/workflows/*.yml` (plus a few composite actions under
`OUT/.github/actions/*/action.yml`, which some workflows call), the layout that both chainproof and
zizmor collect from a directory.

The corpus starts with every real workflow file found on this machine (crates in the cargo registry,
Python tooling, SDKs, ... often ship their `.github/workflows`): `real-*.yml`, in sorted order. The rest,
up to `--count` workflows, is synthetic: realistic, varied workflows drawn deterministically from
`--seed` (CI matrices, release pipelines, `pull_request_target` triage bots, comment-ops, reusable
workflows and their callers, docker and service jobs, pages deploys, scheduled jobs, long shell
scripts), 20-300 lines each, with the usual mistakes sprinkled in at realistic rates (template
injection, unpinned actions, `secrets: inherit`, write-all permissions, checkouts of PR heads, ...).

The same seed and the same real files give byte-identical output. The script rewrites OUT.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Where real workflow files may live on a developer's or CI machine. Globs, searched in this order.
REAL_GLOBS = [
    "~/.cargo/registry/src/*/*/.github/workflows/*.y*ml",
    "~/.pyenv/.github/workflows/*.y*ml",
    "~/.pyenv/plugins/*/.github/workflows/*.y*ml",
    "~/.pyenv/versions/*/lib/python*/site-packages/**/.github/workflows/*.y*ml",
    "/usr/lib/python3*/**/.github/workflows/*.y*ml",
    "/usr/lib/google-cloud-sdk/**/.github/workflows/*.y*ml",
    "/usr/lib/node_modules/**/.github/workflows/*.y*ml",
    "/usr/local/lib/node_modules/**/.github/workflows/*.y*ml",
    "/usr/share/**/.github/workflows/*.y*ml",
]

MAX_REAL_BYTES = 256 * 1024


def find_real() -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for pattern in REAL_GLOBS:
        for path in sorted(glob.glob(os.path.expanduser(pattern), recursive=True)):
            real = os.path.realpath(path)
            if real in seen or not os.path.isfile(real):
                continue
            try:
                if os.path.getsize(real) > MAX_REAL_BYTES:
                    continue
                with open(real, "rb") as f:
                    data = f.read()
                data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            seen.add(real)
            out.append(real)
    # The same file content shipped by several crate versions counts once.
    unique: list[str] = []
    digests: set[str] = set()
    for path in out:
        with open(path, "rb") as f:
            d = hashlib.sha256(f.read()).hexdigest()
        if d not in digests:
            digests.add(d)
            unique.append(path)
    return unique


def real_name(path: str) -> str:
    parts = path.split(os.sep)
    try:
        i = parts.index(".github")
        owner = parts[i - 1]
    except ValueError:
        owner = "x"
    base = os.path.splitext(parts[-1])[0]
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{owner}-{base}")
    return f"real-{safe}"


# --------------------------------------------------------------------------------------------------
# Synthetic workflows


class Gen:
    def __init__(self, rng: random.Random):
        self.r = rng
        self.lines: list[str] = []

    # -- randomness helpers
    def p(self, prob: float) -> bool:
        return self.r.random() < prob

    def pick(self, xs):
        return self.r.choice(xs)

    def sha(self) -> str:
        return "".join(self.r.choice("0123456789abcdef") for _ in range(40))

    def ident(self) -> str:
        return self.pick(ADJ) + "-" + self.pick(NOUN)

    # -- output helpers
    def out(self, indent: int, text: str) -> None:
        self.lines.append(" " * indent + text if text else "")

    def block(self, indent: int, text: str) -> None:
        for line in text.splitlines():
            self.out(indent, line)

    def uses(self, action: str, version: str | None = None) -> str:
        """An action reference, pinned by SHA most of the time, as real repositories are."""
        if action.startswith("./") or action.startswith("docker://"):
            return action
        ver = version or ACTION_VERSIONS.get(action, "v1")
        roll = self.r.random()
        if roll < 0.45:
            return f"{action}@{self.sha()} # {ver}"
        if roll < 0.93:
            return f"{action}@{ver}"
        return f"{action}@{self.pick(['main', 'master', 'latest'])}"

    # -- pieces
    def on_ci(self, indent: int = 0) -> None:
        style = self.r.randrange(5)
        branches = self.pick([["main"], ["main", "develop"], ["master"], ["main", "release/**"]])
        if style == 0:
            self.out(indent, "on: [push, pull_request]")
        elif style == 1:
            self.out(indent, "on:")
            self.out(indent + 2, "push:")
            self.out(indent + 4, f"branches: [{', '.join(branches)}]")
            self.out(indent + 2, "pull_request:")
        else:
            self.out(indent, "on:")
            self.out(indent + 2, "push:")
            self.out(indent + 4, "branches:")
            for b in branches:
                self.out(indent + 6, f"- {b!r}" if "*" in b else f"- {b}")
            if self.p(0.4):
                self.out(indent + 4, "paths-ignore:")
                for x in self.r.sample(["'**.md'", "docs/**", ".github/ISSUE_TEMPLATE/**", "LICENSE"], 2):
                    self.out(indent + 6, f"- {x}")
            self.out(indent + 2, "pull_request:")
            if self.p(0.5):
                self.out(indent + 4, "types: [opened, synchronize, reopened]")
            if self.p(0.3):
                self.out(indent + 2, "merge_group:")
            if self.p(0.4):
                self.out(indent + 2, "workflow_dispatch:")
            if self.p(0.2):
                self.out(indent + 2, "schedule:")
                self.out(indent + 4, f"- cron: '{self.r.randrange(60)} {self.r.randrange(24)} * * {self.r.randrange(7)}'")

    def permissions(self, indent: int, level: str = "workflow") -> None:
        roll = self.r.random()
        if roll < 0.25:
            return
        if roll < 0.4:
            self.out(indent, "permissions: read-all" if self.p(0.6) else "permissions: {}")
        elif roll < 0.47:
            self.out(indent, "permissions: write-all")
        else:
            self.out(indent, "permissions:")
            perms = ["contents: read"]
            extra = ["pull-requests: write", "issues: write", "id-token: write", "packages: write",
                     "checks: write", "statuses: write", "actions: read", "security-events: write",
                     "contents: write", "deployments: write", "pages: write"]
            for x in self.r.sample(extra, self.r.randrange(0, 3)):
                if x.startswith("contents:"):
                    perms[0] = x
                else:
                    perms.append(x)
            for x in perms:
                self.out(indent + 2, x)

    def concurrency(self, indent: int) -> None:
        if self.p(0.45):
            self.out(indent, "concurrency:")
            self.out(indent + 2, "group: ${{ github.workflow }}-${{ github.event.pull_request.number || github.ref }}")
            self.out(indent + 2, "cancel-in-progress: true")

    def env(self, indent: int, names=None) -> None:
        if not self.p(0.5):
            return
        self.out(indent, "env:")
        pool = names or ENV_POOL
        for k, v in self.r.sample(pool, self.r.randrange(1, 4)):
            self.out(indent + 2, f"{k}: {v}")

    def checkout(self, indent: int, head: bool = False, persist: bool | None = None) -> None:
        self.out(indent, f"- uses: {self.uses('actions/checkout')}")
        opts = []
        if head:
            opts.append(self.pick([
                "ref: ${{ github.event.pull_request.head.sha }}",
                "ref: ${{ github.event.pull_request.head.ref }}",
                "ref: refs/pull/${{ github.event.pull_request.number }}/merge",
            ]))
            if self.p(0.5):
                opts.append("repository: ${{ github.event.pull_request.head.repo.full_name }}")
        if persist is False or (persist is None and self.p(0.3)):
            opts.append("persist-credentials: false")
        if self.p(0.2):
            opts.append("fetch-depth: 0")
        if self.p(0.1):
            opts.append("submodules: recursive")
        if opts:
            self.out(indent + 2, "with:")
            for o in opts:
                self.out(indent + 4, o)

    def run(self, indent: int, script: str, name: str | None = None, env: dict | None = None,
            shell: str | None = None, extra: list[str] | None = None) -> None:
        first = True

        def head(text: str) -> None:
            nonlocal first
            self.out(indent + (0 if first else 2), ("- " if first else "") + text)
            first = False

        if name:
            head(f"name: {name}")
        if extra:
            for e in extra:
                head(e)
        if env:
            head("env:")
            for k, v in env.items():
                self.out(indent + 4, f"{k}: {v}")
        if shell:
            head(f"shell: {shell}")
        lines = script.strip("\n").splitlines()
        if len(lines) == 1 and not any(c in lines[0] for c in ":#{}[]&*!|>'\"%@`"):
            head(f"run: {lines[0]}")
        else:
            head("run: |")
            for line in lines:
                self.out(indent + 4, line)

    def setup(self, indent: int, lang: str, version_expr: str) -> None:
        if lang == "rust":
            self.out(indent, f"- uses: {self.uses('dtolnay/rust-toolchain', 'stable')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"toolchain: {version_expr}")
            if self.p(0.5):
                self.out(indent + 4, "components: clippy, rustfmt")
            self.out(indent, f"- uses: {self.uses('Swatinem/rust-cache')}")
        elif lang == "node":
            self.out(indent, f"- uses: {self.uses('actions/setup-node')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"node-version: {version_expr}")
            self.out(indent + 4, f"cache: {self.pick(['npm', 'yarn', 'pnpm'])}")
        elif lang == "python":
            self.out(indent, f"- name: Set up Python {version_expr}")
            self.out(indent + 2, f"uses: {self.uses('actions/setup-python')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"python-version: {version_expr}")
            if self.p(0.5):
                self.out(indent + 4, "cache: pip")
        elif lang == "go":
            self.out(indent, f"- uses: {self.uses('actions/setup-go')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"go-version: {version_expr}")
        elif lang == "java":
            self.out(indent, f"- uses: {self.uses('actions/setup-java')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"distribution: {self.pick(['temurin', 'zulu', 'corretto'])}")
            self.out(indent + 4, f"java-version: {version_expr}")
            self.out(indent + 4, f"cache: {self.pick(['maven', 'gradle'])}")
        elif lang == "ruby":
            self.out(indent, f"- uses: {self.uses('ruby/setup-ruby')}")
            self.out(indent + 2, "with:")
            self.out(indent + 4, f"ruby-version: {version_expr}")
            self.out(indent + 4, "bundler-cache: true")

    def cache(self, indent: int, lang: str) -> None:
        paths = {
            "rust": ["~/.cargo/registry", "~/.cargo/git", "target"],
            "node": ["~/.npm", "node_modules"],
            "python": ["~/.cache/pip"],
            "go": ["~/go/pkg/mod", "~/.cache/go-build"],
            "java": ["~/.m2/repository"],
            "ruby": ["vendor/bundle"],
        }[lang]
        lock = {"rust": "Cargo.lock", "node": "package-lock.json", "python": "requirements*.txt",
                "go": "go.sum", "java": "pom.xml", "ruby": "Gemfile.lock"}[lang]
        self.out(indent, "- name: Cache")
        self.out(indent + 2, f"uses: {self.uses('actions/cache')}")
        self.out(indent + 2, "with:")
        self.out(indent + 4, "path: |")
        for p_ in paths:
            self.out(indent + 6, p_)
        self.out(indent + 4, f"key: ${{{{ runner.os }}}}-{lang}-${{{{ hashFiles('**/{lock}') }}}}")
        self.out(indent + 4, f"restore-keys: ${{{{ runner.os }}}}-{lang}-")

    def upload(self, indent: int, name: str, path: str) -> None:
        self.out(indent, f"- uses: {self.uses('actions/upload-artifact')}")
        if self.p(0.3):
            self.out(indent + 2, "if: always()")
        self.out(indent + 2, "with:")
        self.out(indent + 4, f"name: {name}")
        self.out(indent + 4, f"path: {path}")
        if self.p(0.4):
            self.out(indent + 4, f"retention-days: {self.pick([1, 5, 7, 14, 30])}")

    def long_script(self, indent: int, lang: str, taint: str | None = None) -> None:
        """A long multi-line `run:` as found in older repositories."""
        body = list(SCRIPT_HEAD)
        for _ in range(self.r.randrange(3, 12)):
            body.extend(self.pick(SCRIPT_CHUNKS[lang] + SCRIPT_CHUNKS["any"]))
        if taint:
            at = self.r.randrange(1, len(body))
            body.insert(at, self.pick([
                f'echo "Processing {taint}"',
                f'TITLE="{taint}"',
                f'git commit -m "{taint}" || true',
                f"echo '{taint}' >> \"$GITHUB_STEP_SUMMARY\"",
            ]))
        self.run(indent, "\n".join(body), name=self.pick(["Build and test", "Run checks", "CI script",
                                                          "Integration tests", "Package"]))

    def doc(self) -> str:
        return "\n".join(self.lines) + "\n"


ADJ = ["quick", "lazy", "bright", "silent", "brave", "calm", "eager", "fancy", "gentle", "happy",
       "jolly", "kind", "lively", "mighty", "nice", "proud", "rapid", "shiny", "tidy", "witty"]
NOUN = ["otter", "falcon", "maple", "river", "comet", "badger", "cedar", "harbor", "lynx", "meadow",
        "nebula", "orchid", "pebble", "quartz", "raven", "summit", "tundra", "willow", "yak", "zephyr"]

ACTION_VERSIONS = {
    "actions/checkout": "v4", "actions/setup-node": "v4", "actions/setup-python": "v5",
    "actions/setup-go": "v5", "actions/setup-java": "v4", "actions/cache": "v4",
    "actions/upload-artifact": "v4", "actions/download-artifact": "v4", "actions/github-script": "v7",
    "actions/labeler": "v5", "actions/stale": "v9", "actions/configure-pages": "v5",
    "actions/upload-pages-artifact": "v3", "actions/deploy-pages": "v4", "dtolnay/rust-toolchain": "stable",
    "Swatinem/rust-cache": "v2", "codecov/codecov-action": "v4", "docker/setup-buildx-action": "v3",
    "docker/setup-qemu-action": "v3", "docker/login-action": "v3", "docker/build-push-action": "v6",
    "docker/metadata-action": "v5", "softprops/action-gh-release": "v2",
    "pypa/gh-action-pypi-publish": "release/v1", "peter-evans/create-pull-request": "v6",
    "github/codeql-action/init": "v3", "github/codeql-action/analyze": "v3",
    "github/codeql-action/upload-sarif": "v3", "aws-actions/configure-aws-credentials": "v4",
    "google-github-actions/auth": "v2", "azure/login": "v2", "hashicorp/setup-terraform": "v3",
    "peaceiris/actions-gh-pages": "v4", "tj-actions/changed-files": "v44", "pre-commit/action": "v3.0.1",
    "golangci/golangci-lint-action": "v6", "ruby/setup-ruby": "v1", "sigstore/cosign-installer": "v3",
    "slackapi/slack-github-action": "v1.26.0", "marocchino/sticky-pull-request-comment": "v2",
    "amannn/action-semantic-pull-request": "v5", "actions-rs/toolchain": "v1", "actions-rs/cargo": "v1",
    "EndBug/add-and-commit": "v9", "stefanzweifel/git-auto-commit-action": "v5",
    "dorny/paths-filter": "v3", "actions/dependency-review-action": "v4", "ossf/scorecard-action": "v2.4.0",
    "taiki-e/install-action": "v2", "crazy-max/ghaction-import-gpg": "v6", "goreleaser/goreleaser-action": "v6",
    "JS-DevTools/npm-publish": "v3", "rtCamp/action-slack-notify": "v2", "appleboy/ssh-action": "v1.0.3",
}

ENV_POOL = [
    ("CARGO_TERM_COLOR", "always"), ("RUST_BACKTRACE", "1"), ("NODE_ENV", "test"),
    ("PYTHONUNBUFFERED", "'1'"), ("FORCE_COLOR", "'1'"), ("GO111MODULE", "on"), ("CI", "true"),
    ("REGISTRY", "ghcr.io"), ("IMAGE_NAME", "${{ github.repository }}"), ("TZ", "UTC"),
    ("DOTNET_NOLOGO", "true"), ("HOMEBREW_NO_AUTO_UPDATE", "1"), ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ("MAVEN_OPTS", "-Xmx2g"), ("GRADLE_OPTS", "-Dorg.gradle.daemon=false"),
]

LANGS = {
    "rust": (["stable", "beta", "nightly", "1.74", "1.80"], "cargo build --locked --all-targets\ncargo test --locked --workspace"),
    "node": (["18", "20", "22", "lts/*"], "npm ci\nnpm run build --if-present\nnpm test"),
    "python": (["'3.9'", "'3.10'", "'3.11'", "'3.12'", "'3.13'"], "python -m pip install --upgrade pip\npip install -e '.[test]'\npytest -q"),
    "go": (["'1.21'", "'1.22'", "'1.23'", "stable"], "go build ./...\ngo test -race ./..."),
    "java": (["'17'", "'21'", "'11'"], "./mvnw -B verify"),
    "ruby": (["'3.1'", "'3.2'", "'3.3'"], "bundle exec rake"),
}

SCRIPT_HEAD = ["set -euo pipefail", 'echo "::group::Environment"', "uname -a", "env | sort | grep -v TOKEN || true", 'echo "::endgroup::"']

SCRIPT_CHUNKS = {
    "any": [
        ["if [ -f Makefile ]; then", "  make -j\"$(nproc)\" all", "else", '  echo "no Makefile, skipping"', "fi"],
        ['for dir in packages/*/; do', '  echo "Checking $dir"', '  (cd "$dir" && ls -la)', "done"],
        ['VERSION="$(git describe --tags --always)"', 'echo "version=${VERSION}" >> "$GITHUB_OUTPUT"'],
        ["cat <<'EOF' > config.json", "{", '  "retries": 3,', '  "timeout": 600', "}", "EOF"],
        ['curl -fsSL -o tool.tgz "https://example.com/releases/tool-${TOOL_VERSION:-1.2.3}.tgz"', "tar -xzf tool.tgz -C /usr/local/bin", "rm tool.tgz"],
        ["sudo apt-get update", "sudo apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev jq"],
        ['case "${RUNNER_OS}" in', '  Linux) echo linux ;;', '  macOS) echo mac ;;', '  *) echo other ;;', "esac"],
        ['git config --global user.name "github-actions[bot]"', 'git config --global user.email "41898282+github-actions[bot]@users.noreply.github.com"'],
        ["find . -name '*.log' -size +1M -print -delete || true"],
        ['if git diff --quiet; then', '  echo "changed=false" >> "$GITHUB_OUTPUT"', "else", '  echo "changed=true" >> "$GITHUB_OUTPUT"', "fi"],
        ['echo "$HOME/.local/bin" >> "$GITHUB_PATH"'],
        ['for i in 1 2 3; do', '  if ./scripts/health-check.sh; then break; fi', '  sleep $((i * 5))', "done"],
        ["curl -sSL https://install.example.org/setup.sh | bash"],
        ['echo "## Results" >> "$GITHUB_STEP_SUMMARY"', "jq -r '.results[] | \"- \\(.name): \\(.status)\"' results.json >> \"$GITHUB_STEP_SUMMARY\""],
    ],
    "rust": [["cargo fmt --all -- --check"], ["cargo clippy --all-targets --all-features -- -D warnings"],
             ["cargo test --workspace --all-features", "cargo test --doc"], ["cargo doc --no-deps", "cargo package --list > /dev/null"]],
    "node": [["npm ci"], ["npx eslint . --max-warnings 0"], ["npm run build", "npm test -- --coverage"], ["npx tsc --noEmit"]],
    "python": [["pip install -r requirements-dev.txt"], ["ruff check .", "ruff format --check ."], ["mypy src"], ["pytest -n auto --cov=src --cov-report=xml"]],
    "go": [["go vet ./..."], ["gofmt -l . | tee /dev/stderr | (! read)"], ["go test -coverprofile=coverage.out ./..."], ["go mod tidy", "git diff --exit-code go.mod go.sum"]],
    "java": [["./mvnw -B -ntp verify"], ["./gradlew build --no-daemon"], ["./gradlew spotlessCheck"]],
    "ruby": [["bundle install --jobs 4"], ["bundle exec rubocop"], ["bundle exec rspec"]],
}

TAINT = [
    "${{ github.event.issue.title }}", "${{ github.event.issue.body }}",
    "${{ github.event.pull_request.title }}", "${{ github.event.pull_request.body }}",
    "${{ github.event.pull_request.head.ref }}", "${{ github.head_ref }}",
    "${{ github.event.comment.body }}", "${{ github.event.review.body }}",
    "${{ github.event.head_commit.message }}", "${{ github.event.pull_request.head.label }}",
]
SAFE_EXPR = ["${{ github.sha }}", "${{ github.run_id }}", "${{ github.repository }}", "${{ runner.os }}",
             "${{ github.event.pull_request.number }}", "${{ github.ref_name }}", "${{ matrix.os }}"]


def gen_ci(g: Gen, name: str) -> None:
    lang = g.pick(list(LANGS))
    versions, build = LANGS[lang]
    g.out(0, f"name: {g.pick(['CI', 'Build', 'Tests', 'ci', lang.title() + ' CI', 'Continuous integration'])}")
    g.out(0, "")
    g.on_ci()
    g.out(0, "")
    g.permissions(0)
    g.concurrency(0)
    g.env(0)
    g.out(0, "")
    g.out(0, "jobs:")
    if g.p(0.5):
        g.out(2, "lint:")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, f"timeout-minutes: {g.pick([5, 10, 15])}")
        g.out(4, "steps:")
        g.checkout(6, persist=False)
        g.setup(6, lang, versions[0])
        for chunk in g.r.sample(SCRIPT_CHUNKS[lang], min(2, len(SCRIPT_CHUNKS[lang]))):
            g.run(6, "\n".join(chunk))
        g.out(0, "")
    g.out(2, "test:")
    g.out(4, f"name: {lang} ${{{{ matrix.version }}}} on ${{{{ matrix.os }}}}")
    g.out(4, "runs-on: ${{ matrix.os }}")
    if "  lint:" in g.lines and g.p(0.5):
        g.out(4, "needs: lint")
    g.out(4, "strategy:")
    g.out(6, f"fail-fast: {g.pick(['false', 'true'])}")
    g.out(6, "matrix:")
    oses = g.r.sample(["ubuntu-latest", "macos-latest", "windows-latest", "ubuntu-22.04", "macos-13"], g.r.randrange(1, 4))
    g.out(8, f"os: [{', '.join(oses)}]")
    vs = g.r.sample(versions, g.r.randrange(1, len(versions) + 1))
    g.out(8, "version:")
    for v in vs:
        g.out(10, f"- {v}")
    if g.p(0.4):
        g.out(8, "include:")
        g.out(10, f"- os: ubuntu-latest")
        g.out(12, f"version: {versions[-1]}")
        g.out(12, "experimental: true")
        if g.p(0.5):
            g.out(8, "exclude:")
            g.out(10, f"- os: {oses[-1]}")
            g.out(12, f"version: {vs[0]}")
    if g.p(0.3):
        g.out(4, "continue-on-error: ${{ matrix.experimental == true }}")
    g.env(4)
    g.out(4, "steps:")
    g.checkout(6)
    g.setup(6, lang, "${{ matrix.version }}")
    if g.p(0.4):
        g.cache(6, lang)
    if g.p(0.3):
        g.long_script(6, lang)
    else:
        g.run(6, build, name="Build and test")
    if g.p(0.35):
        g.out(6, f"- uses: {g.uses('codecov/codecov-action')}")
        g.out(8, "with:")
        g.out(10, "token: ${{ secrets.CODECOV_TOKEN }}")
        g.out(10, "fail_ci_if_error: false")
    if g.p(0.3):
        g.upload(6, "test-results-${{ matrix.os }}-${{ matrix.version }}", "reports/")
    if g.p(0.3):
        g.out(0, "")
        g.out(2, "docs:")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "if: github.event_name == 'push' && github.ref == 'refs/heads/main'")
        g.out(4, "needs: [test]")
        g.out(4, "steps:")
        g.checkout(6)
        g.run(6, "make docs", name="Build docs")
        g.out(6, f"- uses: {g.uses('peaceiris/actions-gh-pages')}")
        g.out(8, "with:")
        g.out(10, "github_token: ${{ secrets.GITHUB_TOKEN }}")
        g.out(10, "publish_dir: ./site")
    if g.p(0.25):
        g.out(0, "")
        g.out(2, "all-green:")
        g.out(4, "if: always()")
        g.out(4, "needs: [test]")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "steps:")
        g.run(6, "test \"${{ needs.test.result }}\" = success")


def gen_release(g: Gen, name: str) -> None:
    lang = g.pick(["rust", "node", "python", "go"])
    g.out(0, "name: Release")
    g.out(0, "")
    g.out(0, "on:")
    g.out(2, "push:")
    g.out(4, "tags:")
    g.out(6, g.pick(["- 'v*'", "- 'v[0-9]+.[0-9]+.[0-9]+'", '- "*.*.*"']))
    if g.p(0.4):
        g.out(2, "release:")
        g.out(4, "types: [published]")
    if g.p(0.5):
        g.out(2, "workflow_dispatch:")
        g.out(4, "inputs:")
        g.out(6, "version:")
        g.out(8, "description: Version to release")
        g.out(8, "required: true")
        g.out(8, "type: string")
    g.out(0, "")
    g.permissions(0)
    g.out(0, "")
    g.out(0, "jobs:")
    g.out(2, "build:")
    g.out(4, "runs-on: ${{ matrix.os }}")
    g.out(4, "strategy:")
    g.out(6, "matrix:")
    g.out(8, "include:")
    targets = [("ubuntu-latest", "x86_64-unknown-linux-gnu"), ("ubuntu-latest", "aarch64-unknown-linux-musl"),
               ("macos-latest", "aarch64-apple-darwin"), ("macos-13", "x86_64-apple-darwin"),
               ("windows-latest", "x86_64-pc-windows-msvc")]
    for os_, t in g.r.sample(targets, g.r.randrange(2, 6)):
        g.out(10, f"- os: {os_}")
        g.out(12, f"target: {t}")
    g.out(4, "steps:")
    g.checkout(6)
    g.setup(6, lang, LANGS[lang][0][0])
    if g.p(0.5) and "inputs:" in "\n".join(g.lines):
        g.run(6, f'echo "Releasing ${{{{ inputs.version }}}}"\n./scripts/set-version.sh "${{{{ inputs.version }}}}"', name="Set version")
    else:
        g.run(6, 'echo "VERSION=${GITHUB_REF_NAME#v}" >> "$GITHUB_ENV"', name="Set version")
    g.run(6, {"rust": "cargo build --release --locked --target ${{ matrix.target }}",
              "node": "npm ci && npm run build", "python": "python -m pip install build\npython -m build",
              "go": "go build -trimpath -ldflags='-s -w' -o dist/ ./cmd/..."}[lang], name="Build")
    g.run(6, "tar -czf app-${{ matrix.target }}.tar.gz -C dist .\nsha256sum app-${{ matrix.target }}.tar.gz > app-${{ matrix.target }}.tar.gz.sha256", name="Package", shell="bash")
    g.upload(6, "dist-${{ matrix.target }}", "app-*")
    g.out(0, "")
    g.out(2, "publish:")
    g.out(4, "needs: build")
    g.out(4, "runs-on: ubuntu-latest")
    if g.p(0.6):
        g.out(4, "environment:")
        g.out(6, f"name: {g.pick(['release', 'pypi', 'production', 'npm'])}")
        if g.p(0.5):
            g.out(6, "url: https://pypi.org/p/example")
    g.out(4, "permissions:")
    g.out(6, "contents: write")
    if lang == "python" or g.p(0.3):
        g.out(6, "id-token: write")
    g.out(4, "steps:")
    g.out(6, f"- uses: {g.uses('actions/download-artifact')}")
    g.out(8, "with:")
    g.out(10, "path: dist")
    g.out(10, "merge-multiple: true")
    if lang == "python":
        g.out(6, f"- uses: {g.uses('pypa/gh-action-pypi-publish')}")
        if g.p(0.3):
            g.out(8, "with:")
            g.out(10, "password: ${{ secrets.PYPI_API_TOKEN }}")
    elif lang == "node":
        g.checkout(6)
        g.setup(6, "node", "20")
        g.run(6, "npm publish --provenance --access public", env={"NODE_AUTH_TOKEN": "${{ secrets.NPM_TOKEN }}"})
    elif lang == "rust":
        g.checkout(6)
        g.run(6, "cargo publish --locked", env={"CARGO_REGISTRY_TOKEN": "${{ secrets.CARGO_REGISTRY_TOKEN }}"})
    else:
        g.out(6, f"- uses: {g.uses('goreleaser/goreleaser-action')}")
        g.out(8, "with:")
        g.out(10, "args: release --clean")
        g.out(8, "env:")
        g.out(10, "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}")
    g.out(6, f"- uses: {g.uses('softprops/action-gh-release')}")
    g.out(8, "with:")
    g.out(10, "files: dist/*")
    g.out(10, f"generate_release_notes: {g.pick(['true', 'false'])}")
    g.out(10, f"draft: {g.pick(['true', 'false'])}")
    if g.p(0.3):
        g.out(0, "")
        g.out(2, "notify:")
        g.out(4, "needs: publish")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "steps:")
        g.out(6, f"- uses: {g.uses('slackapi/slack-github-action')}")
        g.out(8, "with:")
        g.out(10, 'payload: \'{"text": "Released ${{ github.ref_name }}"}\'')
        g.out(8, "env:")
        g.out(10, "SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}")


def gen_triage(g: Gen, name: str) -> None:
    """`pull_request_target` / `issues` bots: labelers, greeters, auto-format, preview builds."""
    trigger = g.pick(["pull_request_target", "pull_request_target", "issues", "issue_comment", "pull_request_review"])
    g.out(0, f"name: {g.pick(['Triage', 'Labeler', 'Welcome', 'PR bot', 'Auto-label', 'Preview'])}")
    g.out(0, "")
    g.out(0, "on:")
    g.out(2, f"{trigger}:")
    types = {"pull_request_target": "[opened, edited, synchronize, labeled]", "issues": "[opened, edited]",
             "issue_comment": "[created]", "pull_request_review": "[submitted]"}[trigger]
    g.out(4, f"types: {types}")
    g.out(0, "")
    g.permissions(0)
    g.out(0, "")
    g.out(0, "jobs:")
    g.out(2, "triage:")
    g.out(4, "runs-on: ubuntu-latest")
    if trigger == "issue_comment" and g.p(0.6):
        g.out(4, "if: github.event.issue.pull_request && startsWith(github.event.comment.body, '/')")
    g.out(4, "steps:")
    if trigger == "pull_request_target":
        kind = g.r.randrange(4)
        if kind == 0:
            g.out(6, f"- uses: {g.uses('actions/labeler')}")
            g.out(8, "with:")
            g.out(10, 'repo-token: "${{ secrets.GITHUB_TOKEN }}"')
        elif kind == 1:
            # The classic pwn request: check out the head and run its code.
            g.checkout(6, head=True)
            g.setup(6, "node", "20")
            g.run(6, "npm ci\nnpm run build\nnpm run preview -- --pr ${{ github.event.pull_request.number }}", name="Build preview")
        elif kind == 2:
            g.checkout(6)  # the base: fine
            g.run(6, "./scripts/check-pr-title.sh", env={"TITLE": "${{ github.event.pull_request.title }}"}, name="Check title")
        else:
            g.out(6, f"- uses: {g.uses('amannn/action-semantic-pull-request')}")
            g.out(8, "env:")
            g.out(10, "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}")
    if g.p(0.6):
        src = g.pick(TAINT)
        if g.p(0.5):
            g.run(6, f'echo "New item: {src}"\necho "from ${{{{ github.actor }}}}"', name="Log")
        else:
            g.run(6, 'echo "New item: $TITLE"', env={"TITLE": src}, name="Log")
    g.out(6, "- name: Comment")
    g.out(8, f"uses: {g.uses('actions/github-script')}")
    g.out(8, "with:")
    if g.p(0.3):
        g.out(10, "github-token: ${{ secrets.BOT_TOKEN }}")
    g.out(10, "script: |")
    body = g.pick(["Thanks for the contribution!", "Thanks for opening this issue, a maintainer will triage it soon.",
                   f"Title was: {g.pick(TAINT)}"])
    g.block(12, f"""const {{ owner, repo }} = context.repo;
const number = context.issue.number;
const labels = [];
if (context.payload.sender.type === 'Bot') {{
  labels.push('dependencies');
}}
await github.rest.issues.createComment({{
  owner, repo, issue_number: number,
  body: `{body}`,
}});
if (labels.length) {{
  await github.rest.issues.addLabels({{ owner, repo, issue_number: number, labels }});
}}""")
    if trigger == "issue_comment":
        g.out(0, "")
        g.out(2, "command:")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "if: contains(github.event.comment.body, '/rebase') || contains(github.event.comment.body, '/deploy')")
        g.out(4, "steps:")
        g.checkout(6, head=g.p(0.5))
        g.run(6, f'echo "Command: {g.pick(["${{ github.event.comment.body }}", "$BODY"])}"\n./scripts/chatops.sh', env={"BODY": "${{ github.event.comment.body }}"})


def gen_reusable(g: Gen, name: str, callees: list[str]) -> None:
    """A reusable workflow (`workflow_call`), or a caller of one."""
    if g.p(0.45) or not callees:
        g.out(0, f"name: {g.pick(['Reusable build', 'Shared test', 'Deploy (reusable)'])}")
        g.out(0, "")
        g.out(0, "on:")
        g.out(2, "workflow_call:")
        g.out(4, "inputs:")
        for inp, typ, default in g.r.sample([("environment", "string", "staging"), ("node-version", "string", "'20'"),
                                              ("run-e2e", "boolean", "false"), ("image-tag", "string", "latest"),
                                              ("working-directory", "string", "."), ("retries", "number", "3")], 3):
            g.out(6, f"{inp}:")
            g.out(8, f"type: {typ}")
            g.out(8, f"default: {default}")
            g.out(8, f"required: {g.pick(['false', 'true'])}")
        g.out(4, "secrets:")
        g.out(6, "deploy-key:")
        g.out(8, "required: false")
        g.out(4, "outputs:")
        g.out(6, "url:")
        g.out(8, "value: ${{ jobs.deploy.outputs.url }}")
        g.out(0, "")
        g.permissions(0)
        g.out(0, "jobs:")
        g.out(2, "deploy:")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "outputs:")
        g.out(6, "url: ${{ steps.out.outputs.url }}")
        g.out(4, "steps:")
        g.checkout(6)
        script = 'echo "Deploying to ${{ inputs.environment }}"\n./deploy.sh --env "${{ inputs.environment }}" --tag "${{ inputs.image-tag }}"'
        if g.p(0.5):
            script = './deploy.sh --env "$ENVIRONMENT"'
            g.run(6, script, env={"ENVIRONMENT": "${{ inputs.environment }}", "DEPLOY_KEY": "${{ secrets.deploy-key }}"})
        else:
            g.run(6, script)
        g.run(6, 'echo "url=https://${{ inputs.environment }}.example.com" >> "$GITHUB_OUTPUT"', extra=["id: out"])
    else:
        g.out(0, f"name: {g.pick(['Pipeline', 'Deploy', 'CI/CD', 'Main'])}")
        g.out(0, "")
        g.on_ci()
        g.out(0, "")
        g.permissions(0)
        g.out(0, "jobs:")
        prev = None
        for i in range(g.r.randrange(1, 4)):
            job = g.pick(["build", "test", "deploy-staging", "deploy-prod", "e2e", "scan"]) + f"-{i}"
            g.out(2, f"{job}:")
            if g.p(0.5):
                g.out(4, f"uses: ./.github/workflows/{g.pick(callees)}")
            else:
                org = g.pick(["acme", "octo-org", "platform-team", "infra"])
                g.out(4, f"uses: {org}/shared-workflows/.github/workflows/{g.pick(['build.yml', 'deploy.yml', 'scan.yml'])}@{g.pick(['main', 'v2', g.sha()])}")
            if prev and g.p(0.6):
                g.out(4, f"needs: [{prev}]")
            prev = job
            g.out(4, "with:")
            g.out(6, f"environment: {g.pick(['staging', 'production', '${{ github.event.inputs.env }}'])}")
            if g.p(0.4):
                g.out(6, "image-tag: ${{ github.sha }}")
            if g.p(0.5):
                g.out(4, "secrets: inherit")
            elif g.p(0.5):
                g.out(4, "secrets:")
                g.out(6, "deploy-key: ${{ secrets.DEPLOY_KEY }}")
            if g.p(0.3):
                g.out(4, "permissions:")
                g.out(6, "contents: read")
                g.out(6, "id-token: write")


def gen_docker(g: Gen, name: str) -> None:
    g.out(0, f"name: {g.pick(['Docker', 'Container image', 'Publish image', 'docker-build'])}")
    g.out(0, "")
    g.on_ci()
    g.out(0, "")
    g.env(0, [("REGISTRY", "ghcr.io"), ("IMAGE_NAME", "${{ github.repository }}"), ("PLATFORMS", "linux/amd64,linux/arm64")])
    g.permissions(0)
    g.out(0, "")
    g.out(0, "jobs:")
    if g.p(0.5):
        g.out(2, "integration:")
        g.out(4, "runs-on: ubuntu-latest")
        g.out(4, "container:")
        g.out(6, f"image: {g.pick(['node:20', 'python:3.12-slim', 'rust:1.80', 'golang:1.22@sha256:' + g.sha() + g.sha()[:24]])}")
        if g.p(0.3):
            g.out(6, "credentials:")
            g.out(8, "username: ${{ github.actor }}")
            g.out(8, "password: ${{ secrets.GITHUB_TOKEN }}")
        g.out(4, "services:")
        if g.p(0.7):
            g.out(6, "postgres:")
            g.out(8, "image: postgres:16")
            g.out(8, "env:")
            g.out(10, "POSTGRES_PASSWORD: postgres")
            g.out(8, "options: >-")
            g.out(10, '--health-cmd "pg_isready -U postgres"')
            g.out(10, "--health-interval 10s")
            g.out(10, "--health-retries 5")
            g.out(8, "ports:")
            g.out(10, "- 5432:5432")
        g.out(6, "redis:")
        g.out(8, "image: redis:7")
        g.out(8, "ports: ['6379:6379']")
        g.out(4, "steps:")
        g.checkout(6)
        g.run(6, "make integration", env={"DATABASE_URL": "postgres://postgres:postgres@postgres:5432/test", "REDIS_URL": "redis://redis:6379"})
        g.out(0, "")
    g.out(2, "image:")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "permissions:")
    g.out(6, "contents: read")
    g.out(6, "packages: write")
    if g.p(0.5):
        g.out(6, "id-token: write")
    g.out(4, "steps:")
    g.checkout(6)
    if g.p(0.5):
        g.out(6, f"- uses: {g.uses('docker/setup-qemu-action')}")
    g.out(6, f"- uses: {g.uses('docker/setup-buildx-action')}")
    g.out(6, f"- uses: {g.uses('docker/login-action')}")
    g.out(8, "if: github.event_name != 'pull_request'")
    g.out(8, "with:")
    g.out(10, "registry: ${{ env.REGISTRY }}" if g.p(0.5) else "registry: ghcr.io")
    g.out(10, "username: ${{ github.actor }}")
    g.out(10, "password: ${{ secrets.GITHUB_TOKEN }}")
    g.out(6, "- id: meta")
    g.out(8, f"uses: {g.uses('docker/metadata-action')}")
    g.out(8, "with:")
    g.out(10, "images: ghcr.io/${{ github.repository }}")
    g.out(10, "tags: |")
    g.out(12, "type=ref,event=branch")
    g.out(12, "type=semver,pattern={{version}}")
    g.out(12, "type=sha")
    g.out(6, f"- uses: {g.uses('docker/build-push-action')}")
    g.out(8, "with:")
    g.out(10, "context: .")
    g.out(10, "push: ${{ github.event_name != 'pull_request' }}")
    g.out(10, "tags: ${{ steps.meta.outputs.tags }}")
    g.out(10, "labels: ${{ steps.meta.outputs.labels }}")
    g.out(10, f"cache-from: type=gha")
    g.out(10, f"cache-to: type=gha,mode=max")
    if g.p(0.4):
        g.out(10, "build-args: |")
        g.out(12, "GIT_SHA=${{ github.sha }}")
        g.out(12, "NPM_TOKEN=${{ secrets.NPM_TOKEN }}")
    if g.p(0.4):
        g.out(6, f"- uses: {g.uses('sigstore/cosign-installer')}")
        g.run(6, "cosign sign --yes ghcr.io/${{ github.repository }}@${{ steps.build.outputs.digest }}")
    if g.p(0.3):
        g.out(6, "- uses: docker://alpine:3.20")
        g.out(8, "with:")
        g.out(10, "args: sh -c 'echo done'")


def gen_pages(g: Gen, name: str) -> None:
    g.out(0, "name: Deploy docs")
    g.out(0, "on:")
    g.out(2, "push:")
    g.out(4, "branches: [main]")
    g.out(2, "workflow_dispatch:")
    g.out(0, "permissions:")
    g.out(2, "contents: read")
    g.out(2, "pages: write")
    g.out(2, "id-token: write")
    g.out(0, "concurrency:")
    g.out(2, "group: pages")
    g.out(2, "cancel-in-progress: false")
    g.out(0, "jobs:")
    g.out(2, "build:")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "steps:")
    g.checkout(6)
    g.out(6, f"- uses: {g.uses('actions/configure-pages')}")
    lang = g.pick(["python", "node", "ruby"])
    g.setup(6, lang, LANGS[lang][0][-1])
    g.run(6, {"python": "pip install mkdocs-material\nmkdocs build --strict", "node": "npm ci\nnpm run docs:build",
              "ruby": "bundle exec jekyll build --baseurl \"${{ steps.pages.outputs.base_path }}\""}[lang])
    g.out(6, f"- uses: {g.uses('actions/upload-pages-artifact')}")
    g.out(8, "with:")
    g.out(10, "path: ./site")
    g.out(2, "deploy:")
    g.out(4, "environment:")
    g.out(6, "name: github-pages")
    g.out(6, "url: ${{ steps.deployment.outputs.page_url }}")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "needs: build")
    g.out(4, "steps:")
    g.out(6, "- id: deployment")
    g.out(8, f"uses: {g.uses('actions/deploy-pages')}")


def gen_scheduled(g: Gen, name: str) -> None:
    g.out(0, f"name: {g.pick(['Stale', 'Nightly', 'Update dependencies', 'Scorecard', 'CodeQL', 'Cleanup'])}")
    g.out(0, "on:")
    g.out(2, "schedule:")
    for _ in range(g.r.randrange(1, 3)):
        g.out(4, f"- cron: \"{g.r.randrange(60)} {g.r.randrange(24)} * * *\"")
    g.out(2, "workflow_dispatch:")
    if g.p(0.5):
        g.out(4, "inputs:")
        g.out(6, "dry-run:")
        g.out(8, "type: boolean")
        g.out(8, "default: true")
        g.out(6, "branch:")
        g.out(8, "type: string")
        g.out(8, "default: main")
    g.permissions(0)
    g.out(0, "jobs:")
    kind = g.r.randrange(4)
    g.out(2, "job:")
    g.out(4, "runs-on: ubuntu-latest")
    if g.p(0.4):
        g.out(4, "if: github.repository_owner == 'acme'")
    g.out(4, "steps:")
    if kind == 0:
        g.out(6, f"- uses: {g.uses('actions/stale')}")
        g.out(8, "with:")
        g.out(10, "days-before-stale: 60")
        g.out(10, "days-before-close: 7")
        g.out(10, "stale-issue-message: >")
        g.out(12, "This issue has been automatically marked as stale because it has not had")
        g.out(12, "recent activity. It will be closed if no further activity occurs.")
        g.out(10, "exempt-issue-labels: pinned,security")
    elif kind == 1:
        g.checkout(6)
        g.run(6, "cargo update\ncargo test --locked || true" if g.p(0.5) else "npx npm-check-updates -u\nnpm install")
        g.out(6, f"- uses: {g.uses('peter-evans/create-pull-request')}")
        g.out(8, "with:")
        g.out(10, "token: ${{ secrets.PAT }}")
        g.out(10, "commit-message: 'chore(deps): update dependencies'")
        g.out(10, "branch: deps/update")
        g.out(10, "title: Update dependencies")
    elif kind == 2:
        g.checkout(6, persist=False)
        g.out(6, f"- uses: {g.uses('github/codeql-action/init')}")
        g.out(8, "with:")
        g.out(10, f"languages: {g.pick(['javascript', 'python', 'go', 'java-kotlin'])}")
        g.out(6, f"- uses: {g.uses('github/codeql-action/analyze')}")
    else:
        g.checkout(6)
        g.run(6, 'git fetch origin "${{ inputs.branch }}"\ngit checkout "${{ inputs.branch }}"\n./scripts/nightly.sh', name="Nightly")
        g.out(6, f"- uses: {g.uses('stefanzweifel/git-auto-commit-action')}")
        g.out(8, "with:")
        g.out(10, "commit_message: Nightly update")


def gen_cloud_deploy(g: Gen, name: str) -> None:
    g.out(0, "name: Deploy")
    g.out(0, "on:")
    g.out(2, "push:")
    g.out(4, "branches: [main]")
    g.out(2, "workflow_dispatch:")
    g.out(4, "inputs:")
    g.out(6, "environment:")
    g.out(8, "type: choice")
    g.out(8, "options: [staging, production]")
    g.out(6, "ref:")
    g.out(8, "description: Git ref to deploy")
    g.out(8, "default: main")
    g.permissions(0)
    g.out(0, "jobs:")
    g.out(2, "deploy:")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "environment: ${{ inputs.environment || 'staging' }}")
    g.out(4, "permissions:")
    g.out(6, "id-token: write")
    g.out(6, "contents: read")
    g.out(4, "steps:")
    g.checkout(6)
    cloud = g.r.randrange(3)
    if cloud == 0:
        g.out(6, f"- uses: {g.uses('aws-actions/configure-aws-credentials')}")
        g.out(8, "with:")
        if g.p(0.7):
            g.out(10, "role-to-assume: arn:aws:iam::123456789012:role/deploy")
        else:
            g.out(10, "aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}")
            g.out(10, "aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}")
        g.out(10, "aws-region: us-east-1")
        g.run(6, "aws s3 sync ./build s3://example-bucket --delete\naws cloudfront create-invalidation --distribution-id ABC --paths '/*'")
    elif cloud == 1:
        g.out(6, f"- uses: {g.uses('google-github-actions/auth')}")
        g.out(8, "with:")
        g.out(10, "workload_identity_provider: projects/1/locations/global/workloadIdentityPools/p/providers/gh")
        g.out(10, "service_account: deploy@example.iam.gserviceaccount.com")
        g.run(6, "gcloud run deploy app --image gcr.io/example/app:${{ github.sha }} --region us-central1")
    else:
        g.out(6, f"- uses: {g.uses('hashicorp/setup-terraform')}")
        g.run(6, "terraform init -input=false\nterraform plan -out tfplan\nterraform apply -auto-approve tfplan",
              env={"TF_VAR_env": "${{ inputs.environment }}"}, extra=["working-directory: infra"])
    if g.p(0.5):
        g.run(6, 'echo "Deploying ${{ inputs.ref }} to ${{ inputs.environment }}"', name="Announce")
    if g.p(0.3):
        g.out(6, f"- uses: {g.uses('appleboy/ssh-action')}")
        g.out(8, "with:")
        g.out(10, "host: ${{ secrets.HOST }}")
        g.out(10, "key: ${{ secrets.SSH_KEY }}")
        g.out(10, "script: |")
        g.out(12, "cd /srv/app && git pull && systemctl restart app")


def gen_composite_user(g: Gen, name: str, actions: list[str]) -> None:
    """Workflows that lean on local composite actions and step outputs."""
    g.out(0, f"name: {g.pick(['Checks', 'PR checks', 'Verify'])}")
    g.on_ci()
    g.permissions(0)
    g.out(0, "jobs:")
    g.out(2, "check:")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "outputs:")
    g.out(6, "changed: ${{ steps.filter.outputs.src }}")
    g.out(4, "steps:")
    g.checkout(6)
    g.out(6, "- id: filter")
    g.out(8, f"uses: {g.uses('dorny/paths-filter')}")
    g.out(8, "with:")
    g.out(10, "filters: |")
    g.out(12, "src:")
    g.out(14, "- 'src/**'")
    for a in g.r.sample(actions, min(len(actions), g.r.randrange(1, 4))):
        g.out(6, f"- uses: ./.github/actions/{a}")
        if g.p(0.6):
            g.out(8, "with:")
            g.out(10, f"title: {g.pick(TAINT + SAFE_EXPR)}")
            g.out(10, f"mode: {g.pick(['fast', 'full'])}")
    g.out(6, "- id: changed")
    g.out(8, f"uses: {g.uses('tj-actions/changed-files')}")
    g.run(6, 'for f in ${{ steps.changed.outputs.all_changed_files }}; do\n  echo "changed: $f"\ndone')
    g.out(2, "after:")
    g.out(4, "needs: check")
    g.out(4, "if: needs.check.outputs.changed == 'true'")
    g.out(4, "runs-on: ubuntu-latest")
    g.out(4, "steps:")
    g.run(6, 'echo "src changed: ${{ needs.check.outputs.changed }}"')


def gen_long(g: Gen, name: str) -> None:
    """Older-style workflows: one big job, many steps, long scripts, lots of expressions."""
    lang = g.pick(list(LANGS))
    g.out(0, f"name: {g.pick(['Full build', 'Nightly build', 'Everything'])}")
    g.on_ci()
    g.env(0)
    g.permissions(0)
    g.out(0, "jobs:")
    prev = None
    for j in range(g.r.randrange(2, 5)):
        job = f"{g.ident()}-{j}"
        g.out(2, f"{job}:")
        g.out(4, f"runs-on: {g.pick(['ubuntu-latest', 'ubuntu-22.04', 'self-hosted', '[self-hosted, linux, x64]'])}")
        g.out(4, f"timeout-minutes: {g.pick([30, 60, 120, 360])}")
        if prev and g.p(0.5):
            g.out(4, f"needs: {prev}")
            g.out(4, "if: ${{ !cancelled() }}")
        prev = job
        g.env(4)
        g.out(4, "steps:")
        g.checkout(6)
        g.setup(6, lang, LANGS[lang][0][0])
        for _ in range(g.r.randrange(1, 4)):
            g.long_script(6, lang, taint=g.pick(TAINT) if g.p(0.15) else None)
        if g.p(0.5):
            g.run(6, 'echo "sha=${{ github.sha }}" >> "$GITHUB_OUTPUT"\necho "run=${{ github.run_id }}"', extra=["id: meta"])
        if g.p(0.3):
            g.run(6, 'echo "::add-mask::${{ secrets.API_TOKEN }}"\n./scripts/integration.sh', env={"API_TOKEN": "${{ secrets.API_TOKEN }}"},
                  extra=["if: github.event_name == 'push'", "continue-on-error: true"])


def gen_action(g: Gen, name: str) -> None:
    g.out(0, f"name: {name}")
    g.out(0, f"description: Shared {name} steps")
    g.out(0, "inputs:")
    g.out(2, "title:")
    g.out(4, "description: A title to report")
    g.out(4, "required: false")
    g.out(4, "default: ''")
    g.out(2, "mode:")
    g.out(4, "description: fast or full")
    g.out(4, "default: fast")
    g.out(0, "outputs:")
    g.out(2, "result:")
    g.out(4, "description: The result")
    g.out(4, "value: ${{ steps.main.outputs.result }}")
    g.out(0, "runs:")
    g.out(2, "using: composite")
    g.out(2, "steps:")
    if g.p(0.5):
        g.run(4, 'echo "Title: ${{ inputs.title }}"', shell="bash")
    else:
        g.run(4, 'echo "Title: $TITLE"', env={"TITLE": "${{ inputs.title }}"}, shell="bash")
    g.run(4, 'if [ "${{ inputs.mode }}" = full ]; then\n  ./ci/full.sh\nfi\necho "result=ok" >> "$GITHUB_OUTPUT"', shell="bash", extra=["id: main"])
    if g.p(0.5):
        g.out(4, f"- uses: {g.uses('actions/cache')}")
        g.out(6, "with:")
        g.out(8, "path: ~/.cache")
        g.out(8, "key: ${{ runner.os }}-cache")


KINDS = [
    (gen_ci, 30), (gen_release, 10), (gen_triage, 12), (gen_reusable, 10), (gen_docker, 9),
    (gen_pages, 4), (gen_scheduled, 8), (gen_cloud_deploy, 6), (gen_composite_user, 5), (gen_long, 6),
]


def synthetic(rng: random.Random, start: int, count: int, actions: list[str], callees: list[str]) -> list[tuple[str, str]]:
    """`count` (name, text) workflows. Reusable workflows come first so callers can name them."""
    out: list[tuple[str, str]] = []
    weights = [w for _, w in KINDS]
    for i in range(start, start + count):
        kind = rng.choices(KINDS, weights=weights)[0][0]
        g = Gen(rng)
        if rng.random() < 0.15:
            g.out(0, f"# {rng.choice(['Managed by the platform team.', 'Do not edit: generated from templates/ci.yml', 'See CONTRIBUTING.md'])}")
        name = f"{i:04d}-{kind.__name__[4:]}"
        if kind is gen_reusable:
            kind(g, name, callees)
            if any(line.strip() == "workflow_call:" for line in g.lines):
                callees.append(f"{name}.yml")
        elif kind is gen_composite_user:
            kind(g, name, actions)
        else:
            kind(g, name)
        text = g.doc()
        n = text.count("\n")
        # Keep files 20-300 lines like real ones: pad short ones with another job, trim nothing.
        while n < 20:
            g.out(0, "")
            g.out(0, f"# {rng.choice(NOUN)} {rng.choice(ADJ)}")
            text = g.doc()
            n = text.count("\n")
        if n > 300:
            continue
        out.append((name, text))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--count", type=int, default=1500, help="total workflows (real + synthetic)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-real", action="store_true", help="synthetic workflows only")
    args = ap.parse_args()

    wf_dir = os.path.join(args.out, ".github", "workflows")
    act_dir = os.path.join(args.out, ".github", "actions")
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(wf_dir)
    os.makedirs(act_dir)

    real = [] if args.no_real else find_real()
    names: set[str] = set()
    for path in real:
        n = real_name(path)
        k, base = 1, n
        while n in names:
            k += 1
            n = f"{base}-{k}"
        names.add(n)
        shutil.copyfile(path, os.path.join(wf_dir, n + ".yml"))

    rng = random.Random(args.seed)
    actions = [f"{a}-{n}" for a, n in zip(rng.sample(ADJ, 12), rng.sample(NOUN, 12))]
    for a in actions:
        g = Gen(rng)
        gen_action(g, a)
        os.makedirs(os.path.join(act_dir, a))
        with open(os.path.join(act_dir, a, "action.yml"), "w") as f:
            f.write(g.doc())

    wanted = max(0, args.count - len(real))
    made, start = 0, 0
    callees: list[str] = []
    while made < wanted:
        for name, text in synthetic(rng, start, wanted - made, actions, callees):
            with open(os.path.join(wf_dir, f"{name}.yml"), "w") as f:
                f.write(text)
            made += 1
        start += wanted

    lines = 0
    for fn in os.listdir(wf_dir):
        with open(os.path.join(wf_dir, fn), "rb") as f:
            lines += f.read().count(b"\n")
    print(f"corpus: {args.out}: {len(real)} real + {made} synthetic workflows, "
          f"{len(actions)} composite actions, {lines} workflow lines", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
