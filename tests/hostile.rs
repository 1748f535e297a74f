//! Hostile inputs fed to the lint run, deterministic and without the fuzzer (fuzz/ has the fuzzer).
//!
//! A generated set of broken and adversarial files (truncations, byte flips, deep nesting, alias
//! bombs, long lines and keys, NUL bytes, invalid UTF-8, CRLF, tabs, BOMs, duplicate keys, wrong
//! types, `!reference`/`extends`/`include` loops, includes that leave the repository) is linted file
//! by file, each file as a GitHub workflow, as a composite action and as a GitLab CI file. Every run
//! must return: no panic, and every file is either linted or reported as an input error; a YAML error
//! names its file, line and column. No time bound per file is asserted (timing belongs to
//! `bench/`), but the whole set must finish: a watchdog fails the test, naming the case, rather
//! than letting a hang stall CI.
//!
//! A failing case is written to `target/hostile-failures/<case>` for `chainproof lint` by hand.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chainproof_pipeline::lint::{self, FileKind, Lint, LintOptions, Target};

/// The whole set takes seconds; this only turns a hang into a failure.
const WATCHDOG: Duration = Duration::from_secs(600);

/// SplitMix64: a tiny deterministic PRNG, enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const WORKFLOW: &str = r#"name: CI
on:
  push:
    branches: [main]
  pull_request_target:
    types: [opened, synchronize]
permissions:
  contents: read
env:
  CARGO_TERM_COLOR: always
jobs:
  build:
    name: build ${{ matrix.os }}
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, macos-latest]
    outputs:
      title: ${{ steps.meta.outputs.title }}
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
          persist-credentials: false
      - id: meta
        run: echo "title=${{ github.event.pull_request.title }}" >> "$GITHUB_OUTPUT"
      - name: Build
        env:
          TITLE: ${{ github.event.pull_request.title }}
        run: |
          set -eu
          echo "Building $TITLE"
          echo "${{ github.event.pull_request.body }}"
          cargo build --release
  deploy:
    needs: build
    uses: ./.github/workflows/deploy.yml
    with:
      title: ${{ needs.build.outputs.title }}
    secrets: inherit
"#;

const ACTION: &str = r#"name: Setup
description: Shared setup
inputs:
  title:
    description: A title
    default: ''
outputs:
  result:
    value: ${{ steps.main.outputs.result }}
runs:
  using: composite
  steps:
    - id: main
      shell: bash
      run: |
        echo "Title: ${{ inputs.title }}"
        echo "result=ok" >> "$GITHUB_OUTPUT"
    - uses: actions/cache@v4
      with:
        path: ~/.cache
        key: ${{ runner.os }}
"#;

const GITLAB: &str = r#"stages: [build, test, deploy]
variables:
  GIT_DEPTH: "10"
default:
  image: alpine:3.20
  before_script:
    - echo default
.setup: &setup
  before_script:
    - apk add curl
  script:
    - echo setup
.base:
  <<: *setup
  tags: [docker]
build:
  extends: .base
  stage: build
  script:
    - !reference [.setup, script]
    - echo "$CI_COMMIT_REF_NAME"
    - curl -sSL https://example.com/install.sh | sh
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
test:
  extends: [.base, build]
  stage: test
  script: make test
deploy:
  stage: deploy
  script: ./deploy.sh "$CI_MERGE_REQUEST_TITLE"
  environment: production
"#;

/// One hostile case: files of a small repository and which of them to lint as what.
struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    /// Files linted, each in a run of its own.
    lint: Vec<(String, FileKind)>,
}

/// A single document, linted as a workflow, an action and a GitLab file.
fn doc(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Case {
    let bytes = bytes.into();
    Case {
        name: name.into(),
        files: vec![
            (".github/workflows/ci.yml".into(), bytes.clone()),
            ("action.yml".into(), bytes.clone()),
            (".gitlab-ci.yml".into(), bytes),
        ],
        lint: vec![
            (".github/workflows/ci.yml".into(), FileKind::Workflow),
            ("action.yml".into(), FileKind::Action),
            (".gitlab-ci.yml".into(), FileKind::Gitlab),
        ],
    }
}

/// A GitLab repository: `.gitlab-ci.yml` plus other files it may include.
fn gitlab_repo(name: &str, files: &[(&str, &str)]) -> Case {
    Case {
        name: name.into(),
        files: files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect(),
        lint: vec![(".gitlab-ci.yml".into(), FileKind::Gitlab)],
    }
}

fn truncations(out: &mut Vec<Case>) {
    for (base, text) in [
        ("workflow", WORKFLOW),
        ("action", ACTION),
        ("gitlab", GITLAB),
    ] {
        let bytes = text.as_bytes();
        // Every 7th byte, plus the cut points next to every structural character.
        let mut cuts: Vec<usize> = (0..bytes.len()).step_by(7).collect();
        cuts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| b":-[{\"'|\n".contains(b))
                .map(|(i, _)| i + 1),
        );
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            out.push(doc(format!("truncate-{base}-{cut}"), &bytes[..cut]));
        }
    }
}

fn byte_flips(out: &mut Vec<Case>, rng: &mut Rng) {
    const PALETTE: &[u8] = b"\0\t\r\n :-[]{},&*!|>\"'#%@`?\\\x7f\x80\xbf\xc3\xe2\xed\xef\xf0\xff";
    for (base, text) in [
        ("workflow", WORKFLOW),
        ("action", ACTION),
        ("gitlab", GITLAB),
    ] {
        for i in 0..120 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                match rng.below(4) {
                    0 => bytes[at] = *rng.pick(PALETTE),
                    1 => bytes[at] = rng.next() as u8,
                    2 => bytes.insert(at, *rng.pick(PALETTE)),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            out.push(doc(format!("flip-{base}-{i}"), bytes));
        }
        // Splices: a chunk of the document copied somewhere else (indentation goes astray).
        for i in 0..40 {
            let bytes = text.as_bytes();
            let from = rng.below(bytes.len());
            let len = rng.below(200).min(bytes.len() - from);
            let at = rng.below(bytes.len());
            let mut spliced = bytes[..at].to_vec();
            spliced.extend_from_slice(&bytes[from..from + len]);
            spliced.extend_from_slice(&bytes[at..]);
            out.push(doc(format!("splice-{base}-{i}"), spliced));
        }
    }
}

fn structural(out: &mut Vec<Case>) {
    // Deep nesting, over and under the limit, flow and block.
    for depth in [100, 250, 257, 1_000, 100_000] {
        out.push(doc(format!("deep-flow-seq-{depth}"), "[".repeat(depth)));
        out.push(doc(
            format!("deep-flow-seq-closed-{depth}"),
            format!(
                "on: {}x{}\njobs: {{}}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ));
        out.push(doc(format!("deep-flow-map-{depth}"), "{a: ".repeat(depth)));
        out.push(doc(
            format!("deep-flow-mixed-{depth}"),
            "[{a: ".repeat(depth / 2) + &"}]".repeat(depth / 2),
        ));
        out.push(doc(
            format!("deep-block-seq-{depth}"),
            "- ".repeat(depth.min(20_000)) + "x\n",
        ));
        let mut nested = String::from("jobs:\n");
        for level in 0..depth.min(2_000) {
            nested.push_str(&" ".repeat(2 * (level + 1)));
            nested.push_str(&format!("k{level}:\n"));
        }
        out.push(doc(format!("deep-block-map-{depth}"), nested));
    }
    out.push(doc(
        "deep-steps",
        format!(
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps: {}{{run: x}}{}\n",
            "[".repeat(200),
            "]".repeat(200)
        ),
    ));

    // Anchors: many, redefined, undefined, as keys, merged in bulk, and an alias bomb.
    // (Steps stay at 300: per-step rules may look at earlier steps, which is quadratic; large
    // step counts are a benchmark question, not a robustness one.)
    let mut many = String::from("on: push\nanchors:\n");
    for i in 0..5_000 {
        many.push_str(&format!(
            "  a{i}: &a{i} {{run: echo {i}}}\n  v{i}: &v{i} value-{i}\n"
        ));
    }
    many.push_str("jobs:\n  j:\n    runs-on: x\n    env:\n");
    for i in 0..5_000 {
        many.push_str(&format!("      K{i}: *v{i}\n"));
    }
    many.push_str("    steps:\n");
    for i in 0..300 {
        many.push_str(&format!("      - *a{}\n", i * 16));
    }
    out.push(doc("many-anchors", many));
    let mut merged = String::from(".b: &b {image: x}\njob:\n  <<: [");
    merged.push_str(&vec!["*b"; 2_000].join(", "));
    merged.push_str("]\n  script: x\n");
    out.push(doc("many-merges", merged));
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [p.as_str(); 9].join(", ")));
    }
    bomb.push_str("jobs: *a9\non: push\nscript: *a9\n");
    out.push(doc("alias-bomb", bomb));
    out.push(doc("alias-undefined", "on: push\njobs: *nope\n"));
    out.push(doc(
        "anchor-redefined",
        "x: &a 1\ny: &a {on: push}\njobs: {j: {runs-on: *a, steps: [*a]}}\n",
    ));
    out.push(doc(
        "alias-as-key",
        "k: &k jobs\n*k : {j: {runs-on: x, steps: [{run: x}]}}\non: push\n",
    ));
    out.push(doc(
        "alias-self-in-flow",
        "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b, *a]\n",
    ));
    out.push(doc("merge-non-map", "a: &a [1]\nb:\n  <<: *a\n  <<: 3\n"));

    // Long lines, long keys, long scalars, many entries.
    let long = "x".repeat(1 << 20);
    out.push(doc(
        "long-run-line",
        format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo {long} ${{{{ github.event.issue.title }}}}\n"),
    ));
    out.push(doc(
        "long-key",
        format!("{long}: 1\non: push\njobs: {{}}\n"),
    ));
    out.push(doc(
        "long-job-id",
        format!(
            "on: push\njobs:\n  {}:\n    runs-on: x\n    steps: [{{run: x}}]\n",
            "j".repeat(100_000)
        ),
    ));
    out.push(doc(
        "long-quoted-key",
        format!(
            "\"{}\": 1\n'{}': 2\n",
            "k".repeat(200_000),
            "q".repeat(200_000)
        ),
    ));
    out.push(doc(
        "complex-keys",
        "? [a, b]\n: 1\n? {c: d}\n: 2\n? |\n  block key\n: 3\njobs:\n  ? {x: y}\n  : {runs-on: x}\n",
    ));
    let mut jobs = String::from("on: push\njobs:\n");
    for i in 0..3_000 {
        jobs.push_str(&format!(
            "  j{i}:\n    runs-on: x\n    needs: [j{}]\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo ${{{{ github.event.issue.title }}}}\n",
            (i + 1) % 3_000
        ));
    }
    out.push(doc("many-jobs-with-needs-cycle", jobs.clone()));
    let gitlab_jobs: String = (0..3_000)
        .map(|i| {
            format!(
                "job{i}:\n  extends: job{}\n  script: echo {i}\n",
                (i + 1) % 3_000
            )
        })
        .collect();
    out.push(doc("many-gitlab-jobs-extends-ring", gitlab_jobs));
    let exprs = "${{ ".repeat(50_000);
    out.push(doc(
        "many-unclosed-expressions",
        format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: \"{exprs}\"\n"),
    ));
    out.push(doc(
        "nested-expressions",
        "on: push\njobs:\n  a:\n    runs-on: ${{ ${{ matrix.os }} }}\n    if: ${{ github.event.issue.title }} }} ${{\n    steps:\n      - run: echo ${{ format('{0}', ${{ github.head_ref }}) }} ${{ github.event.issue.title\n      - run: ${{}}${{ }}${{ ' }}' }}${{ \"x\" }}\n",
    ));

    // Regression: the shell reader recursed once per nested `$(`/`${`/backtick and overflowed the
    // stack (abort, no report) at about 28,000 levels in release builds (a 56 KB line).
    for (open, what) in [
        ("$(", "command"),
        ("${", "parameter"),
        ("\"$(", "quoted"),
        ("`$(", "backtick"),
    ] {
        let deep = open.repeat(30_000);
        out.push(doc(
            format!("regression-nested-{what}-substitution-run"),
            format!(
                "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo {deep}\n"
            ),
        ));
        out.push(doc(
            format!("regression-nested-{what}-substitution-script"),
            format!("job:\n  script:\n    - echo {deep}\n"),
        ));
    }

    // Bytes a YAML parser must survive.
    out.push(doc(
        "nul-bytes",
        "on: push\0\njobs:\n  a:\0\n    runs-on: \0x\n    steps:\n      - run: echo \0\n",
    ));
    out.push(doc(
        "nul-in-quoted",
        "on: push\njobs: {a: {runs-on: \"x\\0y\", steps: [{run: \"\0\"}]}}\n",
    ));
    out.push(doc(
        "invalid-utf8-start",
        b"\xff\xfeo\0n\0:\0 \0p\0u\0s\0h\0".to_vec(),
    ));
    out.push(doc(
        "invalid-utf8-middle",
        [
            &WORKFLOW.as_bytes()[..200],
            b"\xc3\x28 \xed\xa0\x80 \xf0\x28\x8c\xbc \xc0\xaf",
            &WORKFLOW.as_bytes()[200..],
        ]
        .concat(),
    ));
    out.push(doc(
        "invalid-utf8-end",
        [WORKFLOW.as_bytes(), b"\xe2\x82"].concat(),
    ));
    out.push(doc("crlf", WORKFLOW.replace('\n', "\r\n")));
    out.push(doc("crlf-gitlab", GITLAB.replace('\n', "\r\n")));
    out.push(doc("lone-cr", WORKFLOW.replace('\n', "\r")));
    out.push(doc(
        "mixed-newlines",
        WORKFLOW.replacen('\n', "\r\n", 10).replacen('\n', "\r", 5),
    ));
    out.push(doc("tab-indent", WORKFLOW.replace("    ", "\t")));
    out.push(doc("tabs-in-values", WORKFLOW.replace(": ", ":\t")));
    out.push(doc("bom", format!("\u{feff}{WORKFLOW}")));
    out.push(doc("bom-twice", format!("\u{feff}\u{feff}{WORKFLOW}")));
    out.push(doc(
        "bom-middle",
        WORKFLOW.replacen("jobs:", "\u{feff}jobs:", 1),
    ));
    out.push(doc("bom-only", "\u{feff}"));
    out.push(doc(
        "unicode-everywhere",
        WORKFLOW
            .replace("build", "bü\u{202e}ld\u{0301}")
            .replace("echo", "ẹ̷̢̛cho 🚀🚀")
            .replace("title", "tïtle\u{200b}"),
    ));
    out.push(doc("empty", ""));
    out.push(doc("whitespace", "   \n\n\t\n  "));
    out.push(doc("comments-only", "# just\n# comments\n"));
    out.push(doc(
        "document-markers",
        "---\n...\n---\n---\non: push\n...\n",
    ));
    out.push(doc(
        "many-documents",
        (0..2_000)
            .map(|i| format!("---\njob{i}: {{script: x}}\n"))
            .collect::<String>(),
    ));
    out.push(doc(
        "directives",
        "%YAML 1.1\n%TAG !e! tag:example.com,2000:\n---\non: !e!push push\njobs: !!map {}\n",
    ));
    out.push(doc("bad-directive", "%YAML 9.9\n%FOO bar\n---\na: b\n"));
    out.push(doc(
        "odd-tags",
        "on: !!binary aGVsbG8=\njobs: !custom {a: !!int x}\nscript: !reference\nx: !<tag:yaml.org,2002:str> y\n",
    ));
    out.push(doc(
        "block-scalar-indicators",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |2-\n           echo a\n          echo ${{ github.head_ref }}\n      - run: >+\n\n\n      - run: |9\n",
    ));

    // Duplicate keys, at the top, in jobs and in steps.
    out.push(doc(
        "duplicate-keys",
        "on: push\non: pull_request_target\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps:\n      - run: echo 1\n        run: echo ${{ github.event.issue.title }}\n        uses: actions/checkout@v4\njobs: {}\n",
    ));
    out.push(doc(
        "duplicate-gitlab",
        "job:\n  script: a\njob:\n  script: b\n  script: c\n  extends: job\n",
    ));

    // Wrong types wherever the models look.
    for (i, (key, value)) in [
        ("on", "5"),
        ("on", "[[]]"),
        ("on", "{push: {branches: {a: b}}}"),
        ("jobs", "5"),
        ("jobs", "[a, b]"),
        ("jobs", "{a: 5}"),
        ("jobs", "{a: [x]}"),
        ("jobs", "{a: {steps: 5}}"),
        ("jobs", "{a: {steps: [5, [x], {uses: 5}, {run: [x]}, {run: {a: b}}, {with: [1]}, {env: x}]}}"),
        ("jobs", "{a: {runs-on: {a: b}, needs: {x: y}, strategy: {matrix: 5}, outputs: [x], permissions: [x], env: [x]}}"),
        ("jobs", "{a: {uses: [x], with: 5, secrets: [x]}}"),
        ("jobs", "{a: {container: [x], services: x}}"),
        ("runs", "5"),
        ("runs", "{using: composite, steps: {a: b}}"),
        ("runs", "{using: [x], steps: [5, {run: 5, shell: [x]}]}"),
        ("inputs", "[x]"),
        ("permissions", "[x]"),
        ("include", "5"),
        ("include", "[5, [x], {local: 5}, {local: [x]}, {remote: 5}, {project: [x]}, {template: {}}]"),
        ("default", "[x]"),
        ("default", "{before_script: {a: b}, image: [x]}"),
        ("variables", "[x]"),
        ("stages", "{a: b}"),
        ("job", "{extends: 5, script: {a: b}, rules: 5, needs: x, image: {name: [x]}}"),
        ("job", "{extends: [5, [x], {a: b}], script: [[[[x]]]]}"),
        ("job", "{script: !reference 5}"),
        ("job", "{script: !reference [5, [x]]}"),
        ("job", "{script: !reference {a: b}}"),
        ("job", "{trigger: 5, include: x}"),
        ("spec", "{inputs: [x]}"),
    ]
    .iter()
    .enumerate()
    {
        out.push(doc(format!("wrong-type-{i}-{key}"), format!("{key}: {value}\n")));
        out.push(doc(
            format!("wrong-type-in-context-{i}-{key}"),
            format!("{}\n{key}: {value}\n", WORKFLOW.replace("\njobs:", "\nunused:")),
        ));
    }
}

fn gitlab_graphs(out: &mut Vec<Case>) {
    out.push(gitlab_repo(
        "reference-loop",
        &[(
            ".gitlab-ci.yml",
            ".a:\n  script: !reference [.b, script]\n.b:\n  script: !reference [.a, script]\njob:\n  script:\n    - !reference [.a, script]\n",
        )],
    ));
    out.push(gitlab_repo(
        "reference-self",
        &[(".gitlab-ci.yml", "job:\n  script: !reference [job, script]\n  after_script: [!reference [job, after_script]]\n")],
    ));
    let mut chain = String::new();
    for i in 0..1_000 {
        chain.push_str(&format!(
            ".r{i}:\n  script:\n    - !reference [.r{}, script]\n    - echo {i}\n",
            i + 1
        ));
    }
    chain.push_str(".r1000:\n  script: [end]\njob:\n  script: !reference [.r0, script]\n");
    out.push(gitlab_repo(
        "reference-chain-1000",
        &[(".gitlab-ci.yml", &chain)],
    ));
    out.push(gitlab_repo(
        "reference-missing",
        &[(".gitlab-ci.yml", "job:\n  script: [!reference [.nope, script], !reference [job, nope, deeper], !reference []]\n")],
    ));
    out.push(gitlab_repo(
        "extends-loop",
        &[(
            ".gitlab-ci.yml",
            ".a:\n  extends: .b\n.b:\n  extends: .a\njob:\n  extends: .a\n  script: x\n",
        )],
    ));
    out.push(gitlab_repo(
        "extends-self",
        &[(
            ".gitlab-ci.yml",
            "job:\n  extends: job\n  script: x\nother:\n  extends: [other, job, other]\n",
        )],
    ));
    // Every job's `extends` tree has 2^11 paths; 40 jobs keep this case quick in debug builds (500
    // took 10 s in release: resolution is not memoised).
    let mut ext = String::new();
    for i in 0..40 {
        ext.push_str(&format!(
            ".e{i}:\n  extends: [.e{}, .e{}]\n  variables: {{V{i}: x}}\n",
            i + 1,
            i + 2
        ));
    }
    ext.push_str(".e40:\n  script: x\n.e41:\n  script: y\njob:\n  extends: .e0\n");
    out.push(gitlab_repo("extends-diamonds", &[(".gitlab-ci.yml", &ext)]));
    out.push(gitlab_repo(
        "extends-and-reference-mixed-loop",
        &[(".gitlab-ci.yml", ".a:\n  extends: job\n  script: !reference [job, script]\njob:\n  extends: .a\n  script: !reference [.a, script]\n")],
    ));
    out.push(gitlab_repo(
        "include-loop",
        &[
            (
                ".gitlab-ci.yml",
                "include: [{local: ci/a.yml}]\njob: {script: x}\n",
            ),
            ("ci/a.yml", "include: [{local: ci/b.yml}]\na: {script: a}\n"),
            (
                "ci/b.yml",
                "include:\n  - local: ci/a.yml\n  - local: /.gitlab-ci.yml\nb: {script: b}\n",
            ),
        ],
    ));
    out.push(gitlab_repo(
        "include-self",
        &[(
            ".gitlab-ci.yml",
            "include: .gitlab-ci.yml\njob:\n  script: x\n",
        )],
    ));
    out.push(gitlab_repo(
        "include-glob-self",
        &[
            (".gitlab-ci.yml", "include: '**/*.yml'\njob: {script: x}\n"),
            ("ci/x.yml", "include: '/**.yml'\nx: {script: x}\n"),
        ],
    ));
    out.push(gitlab_repo(
        "include-traversal",
        &[(
            ".gitlab-ci.yml",
            "include:\n  - local: ../../etc/passwd\n  - local: /../../../../etc/passwd\n  - local: ci/../../etc/passwd\n  - local: /etc/passwd\n  - local: //etc/shadow\n  - local: '..\\..\\etc\\passwd'\n  - local: ci/%2e%2e/%2e%2e/etc/passwd\n  - local: ''\n  - local: /\n  - local: .\n  - '../../etc/passwd'\njob:\n  script: x\n",
        )],
    ));
    out.push(gitlab_repo(
        "include-directory-and-binary",
        &[
            (".gitlab-ci.yml", "include:\n  - local: ci\n  - local: ci/bin.yml\n  - local: ci/missing.yml\njob: {script: x}\n"),
            ("ci/bin.yml", "\u{0}\u{1}\u{2}: \u{3}\n"),
        ],
    ));
    let many: String = (0..300)
        .map(|i| format!("  - local: ci/f{i}.yml\n"))
        .collect();
    let mut files: Vec<(String, String)> = vec![(
        ".gitlab-ci.yml".into(),
        format!("include:\n{many}job: {{script: x}}\n"),
    )];
    for i in 0..300 {
        files.push((
            format!("ci/f{i}.yml"),
            format!(
                "include: ci/f{}.yml\nj{i}: {{extends: j{}, script: x}}\n",
                (i + 1) % 300,
                (i + 7) % 300
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    out.push(gitlab_repo("include-300-files", &refs));
}

/// Lint one file of a case in a fresh directory; an error message if the run misbehaved.
fn run_case(case: &Case, file: &str, kind: FileKind) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).map_err(|e| e.to_string())?;
    for (rel, bytes) in &case.files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    let target = Target {
        path: root.join(file),
        root: root.to_path_buf(),
        kind,
    };
    let result = std::panic::catch_unwind(|| lint::lint(&[target], &LintOptions::default()));
    let lint: Lint = match result {
        Ok(l) => l,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "(non-string panic)".into());
            return Err(format!("panicked: {msg}"));
        }
    };
    check_report(&lint, root, file)
}

fn check_report(lint: &Lint, root: &Path, file: &str) -> Result<(), String> {
    let report = &lint.report;
    let shown = root.join(file).to_string_lossy().into_owned();
    let linted = report.files.iter().any(|f| f.ends_with(file));
    let errored = report.errors.iter().any(|e| e.file.ends_with(file));
    if !linted && !errored {
        return Err(format!(
            "{shown} neither linted nor reported: files {:?}, errors {:?}",
            report.files, report.errors
        ));
    }
    for e in &report.errors {
        if e.file.is_empty() {
            return Err(format!("input error without a file: {e:?}"));
        }
        let whole_file = e.message.starts_with("file is larger")
            || e.message.starts_with("not UTF-8")
            || e.message.contains("No such file")
            || e.message.contains("Is a directory");
        if !whole_file && (e.line == 0 || e.column == 0) {
            return Err(format!("input error without a position: {e:?}"));
        }
    }
    for f in &report.findings {
        for loc in std::iter::once(&f.location).chain(&f.related) {
            if loc.start.line == 0 || loc.start.column == 0 {
                return Err(format!("finding without a position: {f:?}"));
            }
            // A span must lie inside the file it names, on character boundaries.
            let Some(src) = lint
                .sources
                .find(&loc.file)
                .and_then(|id| lint.sources.get(id))
            else {
                return Err(format!("finding in a file not in the source map: {f:?}"));
            };
            let (start, end) = (loc.offset, loc.offset + loc.length);
            if end > src.text.len()
                || !src.text.is_char_boundary(start)
                || !src.text.is_char_boundary(end)
            {
                return Err(format!(
                    "span {start}..{end} outside {} ({} bytes): {f:?}",
                    loc.file,
                    src.text.len()
                ));
            }
        }
    }
    Ok(())
}

fn all_cases() -> Vec<Case> {
    let mut rng = Rng(0x5EED_C4A1_2026);
    let mut cases = Vec::new();
    truncations(&mut cases);
    byte_flips(&mut cases, &mut rng);
    structural(&mut cases);
    gitlab_graphs(&mut cases);
    cases
}

fn save_failure(case: &Case) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/hostile-failures")
        .join(&case.name);
    for (rel, bytes) in &case.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, bytes);
    }
    dir
}

#[test]
fn hostile_inputs_never_panic_and_are_linted_or_reported() {
    let cases = all_cases();
    assert!(cases.len() > 1_000, "only {} cases", cases.len());
    let current = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let now = Arc::clone(&current);
    // Quiet the default hook: a panicking case is reported below, with its name.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // HOSTILE_TRACE=1 names each case before running it (to find one that aborts the process).
    let trace = std::env::var_os("HOSTILE_TRACE").is_some();
    // HOSTILE_SKIP=name,name leaves cases out while one that aborts the process is being fixed.
    let skip: Vec<String> = std::env::var("HOSTILE_SKIP")
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let worker = std::thread::spawn(move || {
        let mut failures = Vec::new();
        for case in cases.iter().filter(|c| !skip.contains(&c.name)) {
            for (file, kind) in &case.lint {
                if let Ok(mut n) = now.lock() {
                    *n = format!("{} ({file})", case.name);
                }
                if trace {
                    eprintln!("hostile: {} ({file})", case.name);
                }
                let started = std::time::Instant::now();
                let outcome = run_case(case, file, *kind);
                if trace {
                    eprintln!(
                        "hostile: {} ({file}) took {:?}",
                        case.name,
                        started.elapsed()
                    );
                }
                if let Err(e) = outcome {
                    let saved = save_failure(case);
                    failures.push(format!(
                        "{} [{file} as {kind:?}]: {e} (saved in {})",
                        case.name,
                        saved.display()
                    ));
                }
            }
        }
        let _ = tx.send((cases.len(), failures));
    });
    let outcome = rx.recv_timeout(WATCHDOG);
    std::panic::set_hook(hook);
    let Ok((count, failures)) = outcome else {
        let at = current.lock().map(|s| s.clone()).unwrap_or_default();
        panic!("hostile inputs did not finish within {WATCHDOG:?}; stuck at {at}");
    };
    let _ = worker.join();
    assert!(
        failures.is_empty(),
        "{} of {count} hostile cases misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn include_outside_the_repository_is_refused() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("environ");
    // Looks like a runner's /proc/self/environ: not YAML, so an error snippet would print it.
    std::fs::write(&secret, "CI_JOB_TOKEN=hunter2-secret\0HOME=/root\0\t: [\n").expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::create_dir_all(root.join("ci")).expect("mkdir");
    std::fs::write(root.join("ci/real.yml"), "inner:\n  script: x\n").expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, root.join("ci/evil.yml")).expect("symlink");
        std::os::unix::fs::symlink(outside.path(), root.join("ci/dir")).expect("symlink");
        std::os::unix::fs::symlink(root.join("ci/real.yml"), root.join("ci/link.yml"))
            .expect("symlink");
    }
    std::fs::write(
        root.join(".gitlab-ci.yml"),
        "include:\n  - local: ../../../../../../etc/passwd\n  - local: /etc/hostname\n  - local: ci/evil.yml\n  - local: ci/dir/environ\n  - local: ci/link.yml\njob:\n  script: x\n",
    )
    .expect("write");
    let target = Target {
        path: root.join(".gitlab-ci.yml"),
        root: root.to_path_buf(),
        kind: FileKind::Gitlab,
    };
    let lint = lint::lint(&[target], &LintOptions::default());
    // Nothing outside the repository was read; a link inside it is followed.
    let inside = root.to_string_lossy().into_owned();
    for f in &lint.report.files {
        assert!(
            f.starts_with(&inside),
            "read a file outside the repository: {f}"
        );
    }
    let everything = format!("{:?} {:?}", lint.report.errors, lint.report.findings);
    assert!(
        !everything.contains("hunter2"),
        "leaked a file outside the repository: {everything}"
    );
    for id in 0..64 {
        if let Some(src) = lint.sources.get(id) {
            assert!(
                !src.text.contains("hunter2"),
                "read {} from outside the repository",
                src.path
            );
        }
    }
    #[cfg(unix)]
    assert!(
        lint.report.files.iter().any(|f| f.ends_with("ci/link.yml")),
        "a symbolic link inside the repository is an ordinary include: {:?}",
        lint.report.files
    );
}
