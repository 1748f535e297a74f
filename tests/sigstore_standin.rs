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
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::support::root;

const INSTALL_HINT: &str = "run scripts/install-test-tools.sh (scripts/test.sh runs it first)";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The certificate identity Fulcio gives the test token: `https://github.com/` + `job_workflow_ref`.
const IDENTITY: &str =
    "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main";
const WRONG_IDENTITY: &str =
    "https://github.com/octo-org/octo-repo/.github/workflows/other.yml@refs/heads/main";
const WRONG_ISSUER: &str = "https://gitlab.com";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

fn support_dir() -> PathBuf {
    root().join("tests/support/sigstore")
}

fn node_modules() -> PathBuf {
    root().join(".tools/node/node_modules")
}

/// `node` from PATH, with the test tools' npm tree as NODE_PATH (our scripts resolve their
/// dependencies there: see tests/support/sigstore/lib.mjs) and nothing of the CI we run in.
fn node(script: &str) -> Command {
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
fn sigstore_python() -> Command {
    let path = root().join(".tools/bin/sigstore");
    assert!(
        path.exists(),
        "sigstore-python is missing ({}): {INSTALL_HINT}",
        path.display()
    );
    let mut cmd = Command::new(path);
    hermetic(&mut cmd);
    cmd
}

/// No ambient CI identity (GitHub's ID-token request variables, ...) reaches the clients.
fn hermetic(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let leaks = [
            "GITHUB_",
            "GITLAB_",
            "CI_",
            "ACTIONS_",
            "RUNNER_",
            "SIGSTORE_",
            "CHAINPROOF_",
        ];
        if k == "CI" || leaks.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(&k);
        }
    }
    cmd.stdin(Stdio::null());
}

struct Run {
    ok: bool,
    output: String,
}

/// Runs `cmd` to completion (at most CLIENT_TIMEOUT), its output captured in files under `dir`.
fn run(cmd: &mut Command, dir: &Path, label: &str) -> Run {
    let out_path = dir.join(format!("{label}.out"));
    let err_path = dir.join(format!("{label}.err"));
    cmd.stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{label}: cannot start {cmd:?}: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > CLIENT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{label}: {cmd:?} did not finish in {CLIENT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = format!(
        "{}{}",
        fs::read_to_string(&out_path).unwrap_or_default(),
        fs::read_to_string(&err_path).unwrap_or_default()
    );
    Run {
        ok: status.success(),
        output,
    }
}

/// Runs a step that must succeed (signing, the token): a failure fails the test with its output.
fn must(cmd: &mut Command, dir: &Path, label: &str) -> String {
    let r = run(cmd, dir, label);
    assert!(r.ok, "{label} failed:\n{}", r.output);
    r.output
}

// --- the stand-in -------------------------------------------------------------------------------------

/// The running stand-in; dropping it stops the process by PID (SIGTERM, then SIGKILL).
struct StandIn {
    child: Child,
    url: String,
    dir: PathBuf,
    stderr: PathBuf,
}

impl StandIn {
    fn start(work: &Path) -> StandIn {
        let dir = work.join("trust");
        let stderr = work.join("standin.err");
        let mut cmd = node("server.mjs");
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
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let ready: Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
            panic!(
                "the Sigstore stand-in did not report ready (stdout {line:?}); its stderr:\n{}",
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

    fn file(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        assert!(path.exists(), "the stand-in did not write {name}");
        path
    }

    /// A GET on the stand-in, with a plain HTTP/1.0 request (no client library needed).
    fn get_json(&self, path: &str) -> Value {
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
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- signing ----------------------------------------------------------------------------------------

struct Bundle {
    name: &'static str,
    path: PathBuf,
}

fn sign_js(s: &StandIn, work: &Path, token: &str, args: &[&str], out: &Path, label: &str) {
    let mut cmd = node("client.mjs");
    cmd.args(args)
        .arg("--signing-config")
        .arg(s.file("signing_config.json"))
        .args(["--identity-token", token, "--bundle"])
        .arg(out);
    must(&mut cmd, work, label);
}

fn sign_python(s: &StandIn, work: &Path, token: &str, args: &[&str], out: &Path, label: &str) {
    let mut cmd = sigstore_python();
    cmd.arg("--trust-config")
        .arg(s.file("trust_config.json"))
        .args(args)
        .args(["--identity-token", token, "--bundle"])
        .arg(out);
    must(&mut cmd, work, label);
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// --- verification -------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Valid,
    TamperedArtifact,
    WrongIdentity,
    WrongIssuer,
    ForgedProof,
}

const CASES: [(Case, &str); 5] = [
    (Case::Valid, "valid"),
    (Case::TamperedArtifact, "tampered"),
    (Case::WrongIdentity, "wrong-id"),
    (Case::WrongIssuer, "wrong-iss"),
    (Case::ForgedProof, "forged-proof"),
];

const VERIFIERS: [&str; 2] = ["sigstore-js", "sigstore-python"];

/// A copy of the bundle whose Rekor inclusion proof has a random audit-path hash.
fn forge_proof(bundle: &Path, out: &Path) {
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
struct Check<'a> {
    bundle: &'a Path,
    file: &'a Path,
    identity: &'a str,
    issuer: &'a str,
}

/// Words that the clients' rejection messages contain, per case (so a client that fails for an
/// unrelated reason, e.g. a crash, does not count as a rejection).
fn reason_words(case: Case) -> &'static [&'static str] {
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

fn verify(s: &StandIn, work: &Path, verifier: &str, check: &Check, label: &str) -> Run {
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

    let token = must(node("token.mjs").current_dir(work), work, "token")
        .trim()
        .to_owned();
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
    let statement_path = work.join("statement.json");
    fs::write(
        &statement_path,
        statement(&artifact, &predicate).to_string(),
    )
    .unwrap();
    let predicate_path = work.join("predicate.json");
    fs::write(&predicate_path, predicate.to_string()).unwrap();

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
    let artifact_arg = artifact.to_str().unwrap();
    sign_js(
        &standin,
        work,
        &token,
        &["sign", artifact_arg],
        &bundles[0].path,
        "sign-js",
    );
    sign_python(
        &standin,
        work,
        &token,
        &["sign", artifact_arg],
        &bundles[1].path,
        "sign-py",
    );
    sign_js(
        &standin,
        work,
        &token,
        &[
            "attest",
            "--payload-type",
            "application/vnd.in-toto+json",
            statement_path.to_str().unwrap(),
        ],
        &bundles[2].path,
        "attest-js",
    );
    sign_python(
        &standin,
        work,
        &token,
        &[
            "attest",
            "--predicate-type",
            "https://slsa.dev/provenance/v1",
            "--predicate",
            predicate_path.to_str().unwrap(),
            artifact_arg,
        ],
        &bundles[3].path,
        "attest-py",
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
    let mut jobs = Vec::new();
    for (bi, b) in bundles.iter().enumerate() {
        let forged = work.join(format!("forged-{bi}.sigstore.json"));
        forge_proof(&b.path, &forged);
        for verifier in VERIFIERS {
            for (case, case_name) in CASES {
                jobs.push((bi, verifier, case, case_name, forged.clone()));
            }
        }
    }
    let queue = Mutex::new(jobs.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let job = queue.lock().unwrap().next();
                    let Some((bi, verifier, case, case_name, forged)) = job else {
                        break;
                    };
                    let b = &bundles[bi];
                    let (bundle, file, identity, issuer) = match case {
                        Case::Valid => (&b.path, &artifact, IDENTITY, ISSUER),
                        Case::TamperedArtifact => (&b.path, &tampered, IDENTITY, ISSUER),
                        Case::WrongIdentity => (&b.path, &artifact, WRONG_IDENTITY, ISSUER),
                        Case::WrongIssuer => (&b.path, &artifact, IDENTITY, WRONG_ISSUER),
                        Case::ForgedProof => (&forged, &artifact, IDENTITY, ISSUER),
                    };
                    let check = Check {
                        bundle,
                        file,
                        identity,
                        issuer,
                    };
                    let label = format!("verify-{bi}-{verifier}-{case_name}");
                    let r = verify(&standin, work, verifier, &check, &label);
                    results
                        .lock()
                        .unwrap()
                        .push((bi, verifier, case, case_name, r));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

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
                let output = r.output.to_lowercase();
                let for_reason = reason_words(case)
                    .iter()
                    .any(|w| output.contains(&w.to_lowercase()));
                let (cell, right) = match (expected, r.ok) {
                    (true, true) => ("ok", true),
                    (true, false) => ("FAILED!", false),
                    (false, true) => ("ACCEPTED!", false),
                    (false, false) if for_reason => ("rejected", true),
                    (false, false) => ("REJECTED?", false),
                };
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
