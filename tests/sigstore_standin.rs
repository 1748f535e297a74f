//! The local Sigstore stand-in (`tests/support/sigstore/server.mjs`: Fulcio, Rekor v1 with a real
//! RFC 6962 log, TSA, trusted root and signing config) proven with the independent clients, as the
//! groundwork for `chainproof sign`/`attest`/`verify` (issue 6).
//!
//! The test starts the stand-in on 127.0.0.1 (node from PATH, its npm dependencies from
//! `.tools/node/node_modules` through NODE_PATH), signs a blob with sigstore-js and sigstore-python and
//! an in-toto attestation with each, using a forged test token (`token.mjs`), then verifies every
//! bundle with both clients against the stand-in's trusted root and the identity policy: the valid
//! case must pass; a tampered artifact, a wrong identity, a wrong issuer and a forged inclusion proof
//! must be rejected. It prints the matrix and stops the stand-in by PID. A missing client fails the
//! test with the command that installs it; nothing is skipped.
#![cfg(unix)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::support::{INSTALL_HINT, ci_vars, root, run_logged, stop, test_tool};

pub(crate) const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The certificate identity Fulcio gives the test token: `https://github.com/` + `job_workflow_ref`.
pub(crate) const IDENTITY: &str =
    "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
pub(crate) const WRONG_IDENTITY: &str =
    "https://github.com/octo-org/octo-repo/.github/workflows/other.yml@refs/heads/main";
pub(crate) const WRONG_ISSUER: &str = "https://gitlab.com";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// GitHub Actions variables matching the test token's claims.
pub(crate) const GITHUB_ENV: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_REPOSITORY", "octo-org/octo-repo"),
    ("GITHUB_REF", "refs/heads/main"),
    ("GITHUB_SHA", "a3f1c2d4e5b6978899aabbccddeeff0011223344"),
    (
        "GITHUB_WORKFLOW_REF",
        "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
    ),
    ("GITHUB_RUN_ID", "4242424242"),
    ("GITHUB_RUN_ATTEMPT", "1"),
    ("GITHUB_EVENT_NAME", "push"),
    ("RUNNER_ENVIRONMENT", "github-hosted"),
];

fn support_dir() -> PathBuf {
    root().join("tests/support/sigstore")
}

fn node_modules() -> PathBuf {
    root().join(".tools/node/node_modules")
}

/// `node` from PATH, with the test tools' npm tree as NODE_PATH (our scripts resolve their
/// dependencies there: see tests/support/sigstore/lib.mjs) and nothing of the CI we run in.
pub(crate) fn node(script: &str) -> Command {
    let modules = node_modules();
    for pkg in ["@sigstore/mock", "sigstore", "@sigstore/verify"] {
        assert!(
            modules.join(pkg).join("package.json").exists(),
            "npm package {pkg} is missing from {}: {INSTALL_HINT}",
            modules.display()
        );
    }
    let mut cmd = Command::new("node");
    cmd.arg(support_dir().join(script))
        .env("NODE_PATH", &modules);
    hermetic(&mut cmd);
    cmd
}

/// sigstore-python's CLI from `.tools/bin`.
pub(crate) fn sigstore_python() -> Command {
    let mut cmd = Command::new(test_tool("bin/sigstore"));
    hermetic(&mut cmd);
    cmd
}

/// No ambient CI identity (GitHub's ID-token request variables, ...) reaches the clients.
pub(crate) fn hermetic(cmd: &mut Command) {
    let leaks = [
        "GITHUB_",
        "GITLAB_",
        "CI_",
        "ACTIONS_",
        "RUNNER_",
        "SIGSTORE_",
        "CHAINPROOF_",
    ];
    for k in ci_vars(&["CI"], &leaks) {
        cmd.env_remove(&k);
    }
    cmd.stdin(Stdio::null());
}

pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) output: String,
}

/// Runs `cmd` to completion (at most CLIENT_TIMEOUT), its output captured in files under `dir`.
pub(crate) fn run(cmd: &mut Command, dir: &Path, label: &str) -> Run {
    let (status, output) = run_logged(cmd, dir, label, CLIENT_TIMEOUT);
    Run {
        ok: status.success(),
        output,
    }
}

/// Runs a step that must succeed (signing, the token): a failure fails the test with its output.
pub(crate) fn must(cmd: &mut Command, dir: &Path, label: &str) -> String {
    let r = run(cmd, dir, label);
    assert!(r.ok, "{label} failed:\n{}", r.output);
    r.output
}

/// A forged test token from `token.mjs` (its claims changed by `args`), never a real one.
pub(crate) fn token(work: &Path, args: &[&str], label: &str) -> String {
    must(node("token.mjs").args(args).current_dir(work), work, label)
        .trim()
        .to_owned()
}

// --- the stand-in -------------------------------------------------------------------------------------

/// The running stand-in; dropping it stops the process by PID (SIGTERM, then SIGKILL).
pub(crate) struct StandIn {
    child: Child,
    pub(crate) url: String,
    dir: PathBuf,
    pub(crate) stderr: PathBuf,
}

impl StandIn {
    pub(crate) fn start(work: &Path) -> StandIn {
        Self::start_with(work, "trust", &[])
    }

    /// Starts a stand-in writing its trust files to `work/<name>`, with extra server.mjs arguments.
    pub(crate) fn start_with(work: &Path, name: &str, extra: &[&str]) -> StandIn {
        let dir = work.join(name);
        let stderr = work.join(format!("standin-{name}.err"));
        let mut cmd = node("server.mjs");
        cmd.args(extra);
        cmd.args(["--port", "0", "--out"])
            .arg(&dir)
            // Stops by itself if this test process dies without running Drop.
            .args(["--watch-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr).expect("stand-in stderr file"));
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot start the Sigstore stand-in with `node` from PATH ({e}): install Node.js >= 20")
        });
        let stdout = child.stdout.take().expect("stand-in stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut standin = StandIn {
            child,
            url: String::new(),
            dir,
            stderr,
        };
        // Generous: on a loaded 2-core machine (parallel tests, builds) node's start and the
        // stand-in's key generation have been seen to take most of a minute.
        let (line, timed_out) = match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(line) => (line, false),
            Err(_) => (String::new(), true),
        };
        let ready: Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
            let status = standin.child.try_wait().ok().flatten();
            panic!(
                "the Sigstore stand-in did not report ready ({}; stdout {line:?}; exit status {status:?}); its stderr:\n{}",
                if timed_out { "no line within 180 s" } else { "it closed stdout" },
                fs::read_to_string(&standin.stderr).unwrap_or_default()
            )
        });
        standin.url = ready["url"].as_str().expect("url").to_owned();
        assert_eq!(
            Path::new(ready["dir"].as_str().expect("dir")),
            standin.dir,
            "the stand-in wrote its trust files elsewhere"
        );
        standin
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        assert!(path.exists(), "the stand-in did not write {name}");
        path
    }

    /// A GET on the stand-in, with a plain HTTP/1.0 request (no client library needed).
    pub(crate) fn get_json(&self, path: &str) -> Value {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).expect("connect to the stand-in");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        let (head, body) = response.split_once("\r\n\r\n").expect("HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
        assert!(
            body.ends_with('\n'),
            "GET {path}: JSON without the trailing newline"
        );
        serde_json::from_str(body).expect("JSON body")
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

// --- signing ----------------------------------------------------------------------------------------

struct Bundle {
    name: &'static str,
    path: PathBuf,
}

/// With each client, as `token`: signs `artifact` (bundles `out[0]` js, `out[1]` python) and
/// attests it with the SLSA provenance `predicate` (`out[2]` js, from the in-toto statement written
/// to `work/statement.json`; `out[3]` python, from `work/predicate.json`).
pub(crate) fn sign_with_clients(
    s: &StandIn,
    work: &Path,
    token: &str,
    artifact: &Path,
    predicate: &Value,
    out: [&Path; 4],
) {
    let statement_path = work.join("statement.json");
    fs::write(&statement_path, statement(artifact, predicate).to_string()).expect("statement");
    let predicate_path = work.join("predicate.json");
    fs::write(&predicate_path, predicate.to_string()).expect("predicate");
    let js = |args: &[&str]| {
        let mut cmd = node("client.mjs");
        cmd.args(args)
            .arg("--signing-config")
            .arg(s.file("signing_config.json"));
        cmd
    };
    let python = |args: &[&str]| {
        let mut cmd = sigstore_python();
        cmd.arg("--trust-config")
            .arg(s.file("trust_config.json"))
            .args(args);
        cmd
    };
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let (artifact, statement_path, predicate_path) =
        (path(artifact), path(&statement_path), path(&predicate_path));
    let runs = [
        (js(&["sign", &artifact]), "sign-js"),
        (python(&["sign", &artifact]), "sign-py"),
        (
            js(&[
                "attest",
                "--payload-type",
                "application/vnd.in-toto+json",
                &statement_path,
            ]),
            "attest-js",
        ),
        (
            python(&[
                "attest",
                "--predicate-type",
                "https://slsa.dev/provenance/v1",
                "--predicate",
                &predicate_path,
                &artifact,
            ]),
            "attest-py",
        ),
    ];
    for ((mut cmd, label), out) in runs.into_iter().zip(out) {
        cmd.args(["--identity-token", token, "--bundle"]).arg(out);
        must(&mut cmd, work, label);
    }
}

fn statement(artifact: &Path, predicate: &Value) -> Value {
    let digest = hex(&Sha256::digest(fs::read(artifact).expect("artifact")));
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.txt", "digest": {"sha256": digest}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": predicate,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// --- verification -------------------------------------------------------------------------------------

/// The cases of a verification matrix.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Case {
    Valid,
    TamperedArtifact,
    WrongIdentity,
    WrongIssuer,
    ForgedProof,
}

pub(crate) const CASES: [(Case, &str); 5] = [
    (Case::Valid, "valid"),
    (Case::TamperedArtifact, "tampered"),
    (Case::WrongIdentity, "wrong-id"),
    (Case::WrongIssuer, "wrong-iss"),
    (Case::ForgedProof, "forged-proof"),
];

const VERIFIERS: [&str; 2] = ["sigstore-js", "sigstore-python"];

/// A copy of the bundle whose Rekor inclusion proof has a random audit-path hash.
pub(crate) fn forge_proof(bundle: &Path, out: &Path) {
    let mut b: Value =
        serde_json::from_str(&fs::read_to_string(bundle).expect("bundle")).expect("bundle JSON");
    let hashes = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"]
        .as_array_mut()
        .expect("an inclusion proof with an audit path");
    assert!(!hashes.is_empty(), "{}: empty audit path", bundle.display());
    // Base64 of 32 bytes that differ from any real hash.
    hashes[0] = json!("q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=");
    fs::write(out, b.to_string()).expect("forged bundle");
}

/// What one verification checks: a bundle, the file it should cover and the identity policy.
pub(crate) struct Check<'a> {
    pub(crate) bundle: &'a Path,
    pub(crate) file: &'a Path,
    pub(crate) identity: &'a str,
    pub(crate) issuer: &'a str,
}

/// Words that the clients' rejection messages contain, per case (so a client that fails for an
/// unrelated reason, e.g. a crash, does not count as a rejection).
pub(crate) fn reason_words(case: Case) -> &'static [&'static str] {
    match case {
        Case::Valid => &[],
        Case::TamperedArtifact => &[
            "signature verification failed",
            "digest mismatch",
            "no subject",
        ],
        Case::WrongIdentity => &["certificate identity", "SANs do not match"],
        Case::WrongIssuer => &["issuer"],
        Case::ForgedProof => &["inclusion proof"],
    }
}

/// Whether `output` mentions one of `words`, ignoring case.
pub(crate) fn mentions(output: &str, words: &[&str]) -> bool {
    let output = output.to_lowercase();
    words.iter().any(|w| output.contains(&w.to_lowercase()))
}

/// A cell of the matrix and whether it is right: a valid case must pass, the others must be
/// rejected `for_reason` (with the words of the failed check).
pub(crate) fn grade(case: Case, ok: bool, for_reason: bool) -> (&'static str, bool) {
    match (case == Case::Valid, ok) {
        (true, true) => ("ok", true),
        (true, false) => ("FAILED!", false),
        (false, true) => ("ACCEPTED!", false),
        (false, false) if for_reason => ("rejected", true),
        (false, false) => ("REJECTED?", false),
    }
}

/// `check` with sigstore-js (`verifier` "sigstore-js") or sigstore-python (any other).
pub(crate) fn verify(s: &StandIn, work: &Path, verifier: &str, check: &Check, label: &str) -> Run {
    let Check {
        bundle,
        file: artifact,
        identity,
        issuer,
    } = *check;
    let mut cmd = if verifier == "sigstore-js" {
        let mut cmd = node("client.mjs");
        cmd.arg("verify")
            .arg("--trusted-root")
            .arg(s.file("trusted_root.json"))
            .args([
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
            ]);
        cmd
    } else {
        let mut cmd = sigstore_python();
        cmd.arg("--trust-config")
            .arg(s.file("trust_config.json"))
            .args(["verify", "identity", "--offline"])
            .args(["--cert-identity", identity, "--cert-oidc-issuer", issuer]);
        cmd
    };
    cmd.arg("--bundle").arg(bundle).arg(artifact);
    run(&mut cmd, work, label)
}

/// Every bundle with each of its verifiers, in every case, 4 at a time: `tampered` stands for the
/// artifact in the tampered case, a copy of the bundle with a forged inclusion proof
/// (`work/forged-<index>.sigstore.json`) for the bundle in the forged one. `verify(check, verifier,
/// label)` runs one cell; returns (bundle index, verifier, case, what `verify` returned).
pub(crate) fn verify_matrix<R: Send>(
    work: &Path,
    bundles: &[(&Path, &[&'static str])],
    artifact: &Path,
    tampered: &Path,
    verify: impl Fn(&Check, &'static str, &str) -> R + Sync,
) -> Vec<(usize, &'static str, Case, R)> {
    let mut jobs = Vec::new();
    for (bi, (bundle, verifiers)) in bundles.iter().enumerate() {
        let forged = work.join(format!("forged-{bi}.sigstore.json"));
        forge_proof(bundle, &forged);
        for verifier in *verifiers {
            for (case, case_name) in CASES {
                jobs.push((bi, *verifier, case, case_name, forged.clone()));
            }
        }
    }
    let queue = Mutex::new(jobs.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let job = queue.lock().expect("job queue").next();
                    let Some((bi, verifier, case, case_name, forged)) = job else {
                        break;
                    };
                    let bundle = bundles[bi].0;
                    let (bundle, file, identity, issuer) = match case {
                        Case::Valid => (bundle, artifact, IDENTITY, ISSUER),
                        Case::TamperedArtifact => (bundle, tampered, IDENTITY, ISSUER),
                        Case::WrongIdentity => (bundle, artifact, WRONG_IDENTITY, ISSUER),
                        Case::WrongIssuer => (bundle, artifact, IDENTITY, WRONG_ISSUER),
                        Case::ForgedProof => (forged.as_path(), artifact, IDENTITY, ISSUER),
                    };
                    let check = Check {
                        bundle,
                        file,
                        identity,
                        issuer,
                    };
                    let label = format!("verify-{bi}-{verifier}-{case_name}");
                    let r = verify(&check, verifier, &label);
                    results
                        .lock()
                        .expect("results")
                        .push((bi, verifier, case, r));
                }
            });
        }
    });
    results.into_inner().expect("results")
}

#[test]
fn sigstore_standin_interop_matrix() {
    let tmp = TempDir::new().expect("tempdir");
    let work = tmp.path();
    let standin = StandIn::start(work);
    for f in [
        "trusted_root.json",
        "signing_config.json",
        "trust_config.json",
    ] {
        standin.file(f);
    }
    let signing_config: Value =
        serde_json::from_str(&fs::read_to_string(standin.file("signing_config.json")).unwrap())
            .unwrap();
    assert_eq!(
        signing_config["mediaType"],
        "application/vnd.dev.sigstore.signingconfig.v0.2+json"
    );

    let token = token(work, &[], "token");
    assert_eq!(token.split('.').count(), 3, "token.mjs printed {token:?}");

    let artifact = work.join("artifact.txt");
    fs::write(&artifact, "chainproof release artifact\n").unwrap();
    let tampered = work.join("tampered.txt");
    fs::write(&tampered, "chainproof release artifact, tampered\n").unwrap();
    let predicate = json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": "https://github.com/octo-org/octo-repo", "path": ".github/workflows/release.yml"}},
            "internalParameters": {},
            "resolvedDependencies": [],
        },
        "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}, "metadata": {}},
    });
    // Sign: a blob and an in-toto attestation with each client.
    let bundle = |name| work.join(format!("{name}.sigstore.json"));
    let bundles = [
        Bundle {
            name: "sigstore-js blob",
            path: bundle("js-blob"),
        },
        Bundle {
            name: "sigstore-python blob",
            path: bundle("py-blob"),
        },
        Bundle {
            name: "sigstore-js attest",
            path: bundle("js-attest"),
        },
        Bundle {
            name: "sigstore-python attest",
            path: bundle("py-attest"),
        },
    ];
    sign_with_clients(
        &standin,
        work,
        &token,
        &artifact,
        &predicate,
        [0, 1, 2, 3].map(|i| bundles[i].path.as_path()),
    );

    // The log: sequential indexes after the stand-in's placeholder at 0, one tree, entries retrievable.
    let mut media_types = Vec::new();
    let mut indexes = Vec::new();
    for b in &bundles {
        let v: Value = serde_json::from_str(&fs::read_to_string(&b.path).unwrap()).unwrap();
        let media_type = v["mediaType"].as_str().unwrap_or("?");
        media_types.push(match media_type {
            "application/vnd.dev.sigstore.bundle.v0.3+json" => "v0.3",
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => "v0.2",
            other => panic!("{}: unexpected bundle media type {other}", b.name),
        });
        let timestamps =
            &v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
        assert!(
            timestamps.as_array().is_some_and(|t| !t.is_empty()),
            "{}: no RFC 3161 timestamp from the stand-in's TSA",
            b.name
        );
        let entry = &v["verificationMaterial"]["tlogEntries"][0];
        let index: u64 = entry["logIndex"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: no logIndex in {entry}", b.name));
        let fetched = standin.get_json(&format!("/api/v1/log/entries?logIndex={index}"));
        let (uuid, e) = fetched.as_object().unwrap().iter().next().unwrap();
        assert_eq!(uuid.len(), 80, "entry UUID {uuid}");
        assert_eq!(
            e["body"], entry["canonicalizedBody"],
            "{}: the log's entry {index} differs from the bundle's",
            b.name
        );
        indexes.push(index);
    }
    indexes.sort_unstable();
    assert_eq!(indexes, [1, 2, 3, 4], "log indexes");
    let info = standin.get_json("/api/v1/log");
    assert_eq!(info["treeSize"], 5, "{info}");

    // Verify: every bundle with every client, in every case (4 at a time).
    let matrix: Vec<(&Path, &[&str])> = bundles
        .iter()
        .map(|b| (b.path.as_path(), &VERIFIERS[..]))
        .collect();
    let results = verify_matrix(
        work,
        &matrix,
        &artifact,
        &tampered,
        |check, verifier, label| verify(&standin, work, verifier, check, label),
    );

    // The matrix.
    let mut table = format!(
        "\nSigstore interop matrix, local stand-in {} (identity {IDENTITY}, issuer {ISSUER})\n",
        standin.url
    );
    table.push_str(&format!(
        "{:<24} {:<7} {:<16}",
        "bundle", "format", "verifier"
    ));
    for (_, name) in CASES {
        table.push_str(&format!(" {name:<13}"));
    }
    table.push('\n');
    let mut failures = Vec::new();
    for (bi, b) in bundles.iter().enumerate() {
        for verifier in VERIFIERS {
            table.push_str(&format!(
                "{:<24} {:<7} {:<16}",
                b.name, media_types[bi], verifier
            ));
            for (case, case_name) in CASES {
                let (.., r) = results
                    .iter()
                    .find(|(i, v, c, ..)| *i == bi && *v == verifier && *c == case)
                    .expect("result");
                let expected = case == Case::Valid;
                let (cell, right) = grade(case, r.ok, mentions(&r.output, reason_words(case)));
                table.push_str(&format!(" {cell:<13}"));
                if !right {
                    failures.push(format!(
                        "{} / {verifier} / {case_name}: {cell} (expected {}), output:\n{}",
                        b.name,
                        if expected {
                            "ok".to_owned()
                        } else {
                            format!("a rejection mentioning one of {:?}", reason_words(case))
                        },
                        r.output
                    ));
                }
            }
            table.push('\n');
        }
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "{} cell(s) of the matrix are wrong:\n{}\nstand-in stderr:\n{}",
        failures.len(),
        failures.join("\n"),
        fs::read_to_string(&standin.stderr).unwrap_or_default()
    );
}
