//! `chainproof sign`, `attest`, `verify` and `key generate` against the local Sigstore stand-in
//! (tests/support/sigstore, started by the helpers of `sigstore_standin.rs`), with sigstore-js and
//! sigstore-python as the independent clients:
//!
//! - our keyless blob bundle and SLSA provenance attestation (built from GitHub Actions variables)
//!   verify in sigstore-js, sigstore-python and chainproof; a tampered artifact, a wrong identity, a
//!   wrong issuer and a forged inclusion proof are rejected by all three;
//! - sigstore-js's and sigstore-python's blob and attestation bundles verify with chainproof, and the
//!   same negative cases are rejected;
//! - chainproof alone: a missing inclusion proof, an expired certificate without a valid timestamp
//!   (a second stand-in whose Fulcio backdates certificates), Fulcio-extension policy (repository,
//!   owner, ref, commit, workflow, runner), regex identities, a policy file that requires provenance +
//!   SBOM + a scan with no critical finding, usage errors (exit 2);
//! - keys: generate (0600, cosign's encrypted format) -> sign --key -> verify --key, a wrong key and a
//!   wrong password fail clearly; an independent implementation of cosign's key format
//!   (tests/support/sigstore/cosign_key.py: scrypt, PyNaCl, pyca/cryptography) decrypts our key and
//!   writes one we sign with.
//!
//! Every rejection must carry the words of the check that failed (a crash is not a rejection), and
//! chainproof's rejections must exit 1. The matrix is printed.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::sigstore_standin::{
    CASES, Case, Check, GITHUB_ENV, IDENTITY, ISSUER, Run, StandIn, grade, hermetic, mentions,
    must, run, sign_with_clients, token as id_token, verify_matrix,
};
use crate::support::{run_logged, test_tool};

/// Our binary, hermetic (no CI variables of the machine running the tests).
fn chainproof() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainproof"));
    hermetic(&mut cmd);
    cmd.env_remove("COSIGN_PASSWORD");
    cmd
}

/// Runs chainproof (at most 180 s) with `envs` added to its hermetic environment, its output
/// captured in `work/<label>.out` and `.err`; returns the exit code and the output.
pub(crate) fn cp(args: &[&str], envs: &[(&str, &str)], work: &Path, label: &str) -> (i32, String) {
    let mut cmd = chainproof();
    cmd.args(args).current_dir(work);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let (status, output) = run_logged(&mut cmd, work, label, Duration::from_secs(180));
    (status.code().unwrap_or(-1), output)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The clients' words, and chainproof's for an attestation about another file.
fn reason_words(case: Case) -> Vec<&'static str> {
    let mut words = crate::sigstore_standin::reason_words(case).to_vec();
    if case == Case::TamperedArtifact {
        words.push("subject mismatch");
    }
    words
}

struct Bundle {
    name: &'static str,
    path: std::path::PathBuf,
    ours: bool,
}

/// `c` with chainproof (its exit code too), sigstore-js or sigstore-python.
fn verify(s: &StandIn, work: &Path, verifier: &str, c: &Check, label: &str) -> (Run, Option<i32>) {
    if verifier != "chainproof" {
        return (
            crate::sigstore_standin::verify(s, work, verifier, c, label),
            None,
        );
    }
    let (code, output) = cp(
        &[
            "verify",
            p(c.file),
            "--bundle",
            p(c.bundle),
            "--trusted-root",
            p(&s.file("trusted_root.json")),
            "--certificate-identity",
            c.identity,
            "--certificate-oidc-issuer",
            c.issuer,
        ],
        &[],
        work,
        label,
    );
    (
        Run {
            ok: code == 0,
            output,
        },
        Some(code),
    )
}

/// A single chainproof-only case: expected exit code and words its output must contain.
struct Extra {
    name: String,
    code: i32,
    want_code: i32,
    words: &'static [&'static str],
    output: String,
}

impl Extra {
    fn right(&self) -> bool {
        self.code == self.want_code && (self.words.is_empty() || mentions(&self.output, self.words))
    }
}

/// Runs one chainproof-only case: name, arguments, environment, expected exit code, words.
type ExtraFn<'a> = dyn FnMut(&str, &[&str], &[(&str, &str)], i32, &'static [&'static str]) + 'a;

fn edit_bundle(src: &Path, out: &Path, f: impl FnOnce(&mut Value)) {
    let mut b: Value =
        serde_json::from_str(&fs::read_to_string(src).expect("bundle")).expect("json");
    f(&mut b);
    fs::write(out, b.to_string()).expect("write bundle");
}

#[test]
fn attest_sign_verify_interop_matrix() {
    let tmp = TempDir::new().expect("tempdir");
    let work = tmp.path();
    let standin = StandIn::start(work);
    let token = id_token(work, &[], "token");
    let signing_config = standin.file("signing_config.json");
    let trusted_root = standin.file("trusted_root.json");

    let artifact = work.join("artifact.txt");
    fs::write(&artifact, "chainproof release artifact\n").unwrap();
    let tampered = work.join("tampered.txt");
    fs::write(&tampered, "chainproof release artifact, tampered\n").unwrap();

    // --- sign with chainproof ------------------------------------------------------------------
    // Keyless: the artifact with `token` through the stand-in of `config` into `bundle`.
    let sign = |token: &str, config: &Path, bundle: &Path, label: &str| {
        let (code, out) = cp(
            &[
                "sign",
                p(&artifact),
                "--bundle",
                p(bundle),
                "--identity-token",
                token,
                "--signing-config",
                p(config),
            ],
            &[],
            work,
            label,
        );
        assert_eq!(code, 0, "chainproof sign ({label}): {out}");
    };
    let ours_blob = work.join("ours-blob.sigstore.json");
    let started = std::time::Instant::now();
    sign(&token, &signing_config, &ours_blob, "sign-ours");
    let sign_time = started.elapsed();
    let ours_attest = work.join("ours-attest.sigstore.json");
    // The token from SIGSTORE_ID_TOKEN (GitLab-style), the provenance from GitHub's variables.
    let mut envs = GITHUB_ENV.to_vec();
    envs.push(("SIGSTORE_ID_TOKEN", &token));
    // Keyless provenance comes from the token's claims, not from the job's environment (which the
    // job controls): variables that disagree with the token must not reach the predicate.
    envs.push(("GITHUB_SHA", "ffffffffffffffffffffffffffffffffffffffff"));
    envs.push(("GITHUB_REF", "refs/heads/not-the-token-ref"));
    envs.push(("RUNNER_ENVIRONMENT", "self-hosted"));
    let (code, out) = cp(
        &[
            "attest",
            "--type",
            "slsaprovenance1",
            p(&artifact),
            "--bundle",
            p(&ours_attest),
            "--signing-config",
            p(&signing_config),
        ],
        &envs,
        work,
        "attest-ours",
    );
    assert_eq!(code, 0, "chainproof attest: {out}");
    assert!(
        out.contains("SIGSTORE_ID_TOKEN"),
        "token source not named: {out}"
    );

    // Our bundles: v0.3, a TSA timestamp, a Rekor entry; the attestation is SLSA v1 from the env.
    for b in [&ours_blob, &ours_attest] {
        let v: Value = serde_json::from_str(&fs::read_to_string(b).unwrap()).unwrap();
        assert_eq!(
            v["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert!(
            v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
                .as_array()
                .is_some_and(|t| !t.is_empty()),
            "{}: no TSA timestamp",
            b.display()
        );
        assert!(v["verificationMaterial"]["tlogEntries"][0]["inclusionProof"].is_object());
    }
    let v: Value = serde_json::from_str(&fs::read_to_string(&ours_attest).unwrap()).unwrap();
    assert_eq!(
        v["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    let payload = base64_decode(v["dsseEnvelope"]["payload"].as_str().unwrap());
    let st: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(st["subject"][0]["name"], "artifact.txt");
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        crate::sigstore_standin::hex(&sha(&artifact))
    );
    let def = &st["predicate"]["buildDefinition"];
    assert_eq!(
        def["buildType"],
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    assert_eq!(
        def["externalParameters"]["workflow"]["path"],
        ".github/workflows/release.yml"
    );
    assert_eq!(
        def["resolvedDependencies"][0]["digest"]["gitCommit"],
        "a3f1c2d4e5b6978899aabbccddeeff0011223344"
    );
    assert_eq!(
        def["externalParameters"]["workflow"]["ref"],
        "refs/heads/main"
    );
    assert_eq!(
        def["internalParameters"]["github"]["runner_environment"],
        "github-hosted"
    );

    // --- sign with the independent clients ----------------------------------------------------------
    let predicate = st["predicate"].clone();
    let bundle = |n: &str| work.join(format!("{n}.sigstore.json"));
    let bundles = [
        Bundle {
            name: "chainproof blob",
            path: ours_blob.clone(),
            ours: true,
        },
        Bundle {
            name: "chainproof attest",
            path: ours_attest.clone(),
            ours: true,
        },
        Bundle {
            name: "sigstore-js blob",
            path: bundle("js-blob"),
            ours: false,
        },
        Bundle {
            name: "sigstore-python blob",
            path: bundle("py-blob"),
            ours: false,
        },
        Bundle {
            name: "sigstore-js attest",
            path: bundle("js-attest"),
            ours: false,
        },
        Bundle {
            name: "sigstore-python attest",
            path: bundle("py-attest"),
            ours: false,
        },
    ];
    sign_with_clients(
        &standin,
        work,
        &token,
        &artifact,
        &predicate,
        [2, 3, 4, 5].map(|i| bundles[i].path.as_path()),
    );

    // --- the matrix: our bundles in all three verifiers, theirs in ours ---------------------------
    const ALL: &[&str] = &["chainproof", "sigstore-js", "sigstore-python"];
    let matrix: Vec<(&Path, &[&str])> = bundles
        .iter()
        .map(|b| {
            let verifiers = if b.ours { ALL } else { &ALL[..1] };
            (b.path.as_path(), verifiers)
        })
        .collect();
    let results = verify_matrix(work, &matrix, &artifact, &tampered, |c, verifier, label| {
        verify(&standin, work, verifier, c, label)
    });

    let mut table = format!(
        "\nchainproof sign/attest/verify interop matrix, local stand-in {} (identity {IDENTITY}, issuer {ISSUER})\n{:<24} {:<16}",
        standin.url, "bundle", "verifier"
    );
    for (_, name) in CASES {
        table.push_str(&format!(" {name:<13}"));
    }
    table.push('\n');
    let mut failures = Vec::new();
    for (bi, b) in bundles.iter().enumerate() {
        for &verifier in matrix[bi].1 {
            table.push_str(&format!("{:<24} {:<16}", b.name, verifier));
            for (case, name) in CASES {
                let (.., (r, code)) = results
                    .iter()
                    .find(|(i, v, c, _)| *i == bi && *v == verifier && *c == case)
                    .expect("result");
                let for_reason = mentions(&r.output, &reason_words(case));
                // chainproof's rejections are exit code 1 (a failed check), never 2 or a crash.
                let code_ok = code.is_none_or(|c| c == 1);
                let (cell, right) = grade(case, r.ok, for_reason && code_ok);
                table.push_str(&format!(" {cell:<13}"));
                if !right {
                    failures.push(format!(
                        "{} / {verifier} / {name}: {cell} (exit {code:?}), output:\n{}",
                        b.name, r.output
                    ));
                }
            }
            table.push('\n');
        }
    }

    // --- chainproof-only cases ------------------------------------------------------------------------
    let mut extras: Vec<Extra> = Vec::new();
    let root = p(&trusted_root).to_owned();
    let mut extra = |name: &str,
                     args: &[&str],
                     envs: &[(&str, &str)],
                     want_code: i32,
                     words: &'static [&'static str]| {
        let label = format!("extra-{}", extras.len());
        let (code, output) = cp(args, envs, work, &label);
        extras.push(Extra {
            name: name.to_owned(),
            code,
            want_code,
            words,
            output,
        });
    };
    let verify_args = |bundle: &Path, file: &Path, more: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "verify",
            p(file),
            "--bundle",
            p(bundle),
            "--trusted-root",
            &root,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let id_iss = [
        "--certificate-identity",
        IDENTITY,
        "--certificate-oidc-issuer",
        ISSUER,
    ];
    let run_v = |extra: &mut ExtraFn,
                 name: &str,
                 args: Vec<String>,
                 code: i32,
                 words: &'static [&'static str]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        extra(name, &a, &[], code, words);
    };

    // Missing inclusion proof.
    let no_proof = work.join("no-proof.sigstore.json");
    edit_bundle(&ours_blob, &no_proof, |b| {
        if let Some(e) = b["verificationMaterial"]["tlogEntries"][0].as_object_mut() {
            e.remove("inclusionProof");
        }
    });
    run_v(
        &mut extra,
        "missing inclusion proof",
        verify_args(&no_proof, &artifact, &id_iss),
        1,
        &["inclusion proof"],
    );
    // Subject mismatch: an attestation about another file.
    run_v(
        &mut extra,
        "attestation subject mismatch",
        verify_args(&ours_attest, &tampered, &id_iss),
        1,
        &["subject mismatch"],
    );
    // Fulcio extensions and GitHub-style flags.
    run_v(
        &mut extra,
        "repo + owner + workflow + ref + sha + runner",
        verify_args(
            &ours_blob,
            &artifact,
            &[
                "--repo",
                "octo-org/octo-repo",
                "--owner",
                "octo-org",
                "--signer-workflow",
                "octo-org/octo-repo/.github/workflows/release.yml",
                "--source-ref",
                "refs/heads/main",
                "--source-digest",
                "a3f1c2d4e5b6978899aabbccddeeff0011223344",
                "--runner-environment",
                "github-hosted",
            ],
        ),
        0,
        &[],
    );
    run_v(
        &mut extra,
        "wrong --repo",
        verify_args(&ours_blob, &artifact, &["--repo", "octo-org/other"]),
        1,
        &["source repository"],
    );
    run_v(
        &mut extra,
        "wrong --owner",
        verify_args(
            &ours_blob,
            &artifact,
            &["--repo", "octo-org/octo-repo", "--owner", "evil-org"],
        ),
        1,
        &["owner"],
    );
    run_v(
        &mut extra,
        "wrong --signer-workflow",
        verify_args(
            &ours_attest,
            &artifact,
            &[
                "--signer-workflow",
                "octo-org/octo-repo/.github/workflows/other.yml",
            ],
        ),
        1,
        &["signer workflow"],
    );
    run_v(
        &mut extra,
        "wrong --source-ref",
        verify_args(
            &ours_blob,
            &artifact,
            &[&id_iss[..], &["--source-ref", "refs/heads/dev"]].concat(),
        ),
        1,
        &["source ref"],
    );
    run_v(
        &mut extra,
        "wrong --source-digest",
        verify_args(
            &ours_blob,
            &artifact,
            &[
                &id_iss[..],
                &[
                    "--source-digest",
                    "0000000000000000000000000000000000000000",
                ],
            ]
            .concat(),
        ),
        1,
        &["source commit"],
    );
    run_v(
        &mut extra,
        "self-hosted required",
        verify_args(
            &ours_blob,
            &artifact,
            &[&id_iss[..], &["--runner-environment", "self-hosted"]].concat(),
        ),
        1,
        &["runner environment"],
    );
    run_v(
        &mut extra,
        "identity regexp",
        verify_args(
            &ours_blob,
            &artifact,
            &[
                "--certificate-identity-regexp",
                "^https://github\\.com/octo-org/",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ),
        0,
        &[],
    );
    run_v(
        &mut extra,
        "wrong identity regexp",
        verify_args(
            &ours_blob,
            &artifact,
            &[
                "--certificate-identity-regexp",
                "^https://github\\.com/evil/",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ),
        1,
        &["does not match the regexp"],
    );
    run_v(
        &mut extra,
        "no identity (usage)",
        verify_args(
            &ours_blob,
            &artifact,
            &["--certificate-oidc-issuer", ISSUER],
        ),
        2,
        &["needs the expected signer"],
    );
    run_v(
        &mut extra,
        "no issuer (usage)",
        verify_args(&ours_blob, &artifact, &["--certificate-identity", IDENTITY]),
        2,
        &["--certificate-oidc-issuer"],
    );
    run_v(
        &mut extra,
        "not a bundle (a failed check)",
        verify_args(&artifact, &artifact, &id_iss),
        1,
        &["not a Sigstore bundle"],
    );
    // ... and the other bundles are still verified.
    run_v(
        &mut extra,
        "not a bundle, then a good one",
        [
            verify_args(&artifact, &artifact, &id_iss),
            vec!["--bundle".into(), p(&ours_blob).into()],
        ]
        .concat(),
        1,
        &["ours-blob.sigstore.json: signature over"],
    );

    // Unanchored identity regexp: cosign's semantics (it matches) with a warning. The attack: another
    // owner's workflow on a branch whose name contains the pattern.
    let evil_token = id_token(
        work,
        &[
            "--repository",
            "evil-org/evil-repo",
            "--ref",
            "refs/heads/github.com/octo-org/x",
        ],
        "token-evil",
    );
    let evil_b = work.join("evil.sigstore.json");
    sign(&evil_token, &signing_config, &evil_b, "sign-evil");
    run_v(
        &mut extra,
        "unanchored regexp matches another owner (warns)",
        verify_args(
            &evil_b,
            &artifact,
            &[
                "--certificate-identity-regexp",
                "github.com/octo-org/.*",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ),
        0,
        &["is not anchored"],
    );
    run_v(
        &mut extra,
        "anchored regexp refuses another owner",
        verify_args(
            &evil_b,
            &artifact,
            &[
                "--certificate-identity-regexp",
                "^https://github\\.com/octo-org/.*$",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ),
        1,
        &["does not match the regexp"],
    );

    // Keyless: an attestation of `kind` with the predicate `pred`, into `out`.
    let attest_with = |kind: &str, pred: &Path, out: &Path, label: &str| {
        let (code, o) = cp(
            &[
                "attest",
                "--type",
                kind,
                "--predicate",
                p(pred),
                p(&artifact),
                "--bundle",
                p(out),
                "--identity-token",
                &token,
                "--signing-config",
                p(&signing_config),
            ],
            &[],
            work,
            label,
        );
        assert_eq!(code, 0, "attest {kind}: {o}");
    };

    // Keyless provenance whose source commit is not the certificate's (a --predicate file lying).
    let mut lying = predicate_of(&ours_attest);
    lying["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"] =
        json!("0000000000000000000000000000000000000000");
    let lying_path = work.join("lying-provenance.json");
    fs::write(&lying_path, lying.to_string()).unwrap();
    let lying_b = work.join("lying.sigstore.json");
    attest_with("slsaprovenance1", &lying_path, &lying_b, "attest-lying");
    run_v(
        &mut extra,
        "provenance commit != certificate commit",
        verify_args(&lying_b, &artifact, &id_iss),
        1,
        &["provenance source commit"],
    );

    // Policy: provenance + SBOM + scan without critical findings.
    let sbom = work.join("sbom.json");
    fs::write(
        &sbom,
        json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []})
            .to_string(),
    )
    .unwrap();
    let scan_clean = work.join("scan-clean.json");
    fs::write(&scan_clean, json!({"version": 1, "tool": "chainproof", "tool_version": "0.1.0", "source": "osv", "findings": [{"id": "GHSA-low", "severity": "low"}]}).to_string()).unwrap();
    let scan_critical = work.join("scan-critical.json");
    fs::write(&scan_critical, json!({"version": 1, "tool": "chainproof", "tool_version": "0.1.0", "source": "osv", "findings": [{"id": "GHSA-crit", "severity": "critical"}]}).to_string()).unwrap();
    let sbom_b = work.join("sbom.sigstore.json");
    let vuln_clean_b = work.join("vuln-clean.sigstore.json");
    let vuln_crit_b = work.join("vuln-critical.sigstore.json");
    let sarif_b = work.join("sarif.sigstore.json");
    attest_with("cyclonedx", &sbom, &sbom_b, "attest-sbom");
    attest_with("vuln", &scan_clean, &vuln_clean_b, "attest-vuln-clean");
    attest_with("vuln", &scan_critical, &vuln_crit_b, "attest-vuln-crit");
    let sarif = work.join("lint.sarif");
    fs::write(&sarif, json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "chainproof"}}, "results": []}]}).to_string()).unwrap();
    attest_with("sarif", &sarif, &sarif_b, "attest-sarif");
    let policy = work.join("policy.yml");
    fs::write(
        &policy,
        format!(
            "identity:\n  certificate_oidc_issuer: {ISSUER}\n  repo: octo-org/octo-repo\n  source_ref: refs/heads/main\nrequire:\n  - type: slsaprovenance1\n  - type: cyclonedx\n  - type: vuln\n    fail_on: critical\n"
        ),
    )
    .unwrap();
    let pol = |bundles: &[&Path]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            "verify".into(),
            p(&artifact).into(),
            "--trusted-root".into(),
            root.clone(),
            "--policy".into(),
            p(&policy).into(),
        ];
        for b in bundles {
            v.push("--bundle".into());
            v.push(p(b).into());
        }
        v
    };
    run_v(
        &mut extra,
        "policy: provenance + sbom + clean scan + sarif",
        pol(&[&ours_attest, &sbom_b, &vuln_clean_b, &sarif_b]),
        0,
        &["requirement(s) met"],
    );
    run_v(
        &mut extra,
        "policy: SBOM missing",
        pol(&[&ours_attest, &vuln_clean_b]),
        1,
        &["requires a cyclonedx attestation"],
    );
    run_v(
        &mut extra,
        "policy: critical finding",
        pol(&[&ours_attest, &sbom_b, &vuln_crit_b]),
        1,
        &["GHSA-crit (critical)"],
    );
    let scan_unknown = work.join("scan-unknown.json");
    fs::write(&scan_unknown, json!({"version": 1, "tool": "chainproof", "tool_version": "0.1.0", "source": "osv", "findings": [{"id": "GHSA-unk", "severity": "unknown"}]}).to_string()).unwrap();
    let vuln_unknown_b = work.join("vuln-unknown.sigstore.json");
    attest_with(
        "vuln",
        &scan_unknown,
        &vuln_unknown_b,
        "attest-vuln-unknown",
    );
    run_v(
        &mut extra,
        "policy: unknown severity counts as critical",
        pol(&[&ours_attest, &sbom_b, &vuln_unknown_b]),
        1,
        &["GHSA-unk (critical)"],
    );
    // A vuln predicate in no format we read (grype-style `matches`): an error, not "no findings".
    let scan_odd = work.join("scan-odd.json");
    fs::write(&scan_odd, json!({"scanner": {"uri": "x", "result": {"matches": [{"vulnerability": {"id": "CVE-1", "severity": "Critical"}}]}}}).to_string()).unwrap();
    let vuln_odd_b = work.join("vuln-odd.sigstore.json");
    attest_with("vuln", &scan_odd, &vuln_odd_b, "attest-vuln-odd");
    run_v(
        &mut extra,
        "policy: unreadable scan results",
        pol(&[&ours_attest, &sbom_b, &vuln_odd_b]),
        1,
        &["cannot read findings"],
    );
    run_v(
        &mut extra,
        "policy: one bundle tampered",
        pol(&[
            &ours_attest,
            &sbom_b,
            &vuln_clean_b,
            &work.join("forged-1.sigstore.json"),
        ]),
        1,
        &["inclusion proof"],
    );

    // Expired certificate, no timestamp within its validity: a stand-in whose Fulcio backdates 30 min.
    let old = StandIn::start_with(work, "trust-backdated", &["--fulcio-backdate", "1800"]);
    let expired_b = work.join("expired.sigstore.json");
    sign(
        &token,
        &old.file("signing_config.json"),
        &expired_b,
        "sign-expired",
    );
    let old_root = p(&old.file("trusted_root.json")).to_owned();
    run_v(
        &mut extra,
        "expired certificate, no valid timestamp",
        [
            &[
                "verify",
                p(&artifact),
                "--bundle",
                p(&expired_b),
                "--trusted-root",
                &old_root,
            ][..],
            &id_iss[..],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .collect(),
        1,
        &["expired"],
    );
    drop(old);

    // Keys: generate -> sign --key -> verify --key; 0600; wrong key; wrong password.
    let pw = [("CHAINPROOF_PASSWORD", "correct horse")];
    let prefix = work.join("release");
    extra(
        "key generate",
        &["key", "generate", "--output", p(&prefix)],
        &pw,
        0,
        &["mode 0600"],
    );
    let key = work.join("release.key");
    let mode = fs::metadata(&key)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    assert_eq!(mode, 0o600, "release.key mode {mode:o}");
    let key_text = fs::read_to_string(&key).unwrap();
    assert!(
        key_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{key_text}"
    );
    // cosign's key format, both ways, with an independent implementation (scrypt + PyNaCl secretbox +
    // pyca/cryptography PKCS#8): it decrypts our key; we sign with its key.
    let py_check = run(
        cosign_key_py()
            .args(["check", p(&key), p(&work.join("release.pub"))])
            .env("PASSWORD", "correct horse"),
        work,
        "cosign-key-check",
    );
    let py_wrong = run(
        cosign_key_py()
            .args(["check", p(&key), p(&work.join("release.pub"))])
            .env("PASSWORD", "wrong"),
        work,
        "cosign-key-check-wrong",
    );
    must(
        cosign_key_py()
            .args(["generate", p(&work.join("pykey"))])
            .env("PASSWORD", "py password"),
        work,
        "cosign-key-generate",
    );
    let py_bundle = work.join("pykey.sigstore.json");
    extra(
        "sign --key with a key written by cosign_key.py",
        &[
            "sign",
            p(&artifact),
            "--key",
            p(&work.join("pykey.key")),
            "--bundle",
            p(&py_bundle),
            "--signing-config",
            p(&signing_config),
        ],
        &[("COSIGN_PASSWORD", "py password")],
        0,
        &[],
    );
    extra(
        "verify --key cosign_key.py's public key",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&py_bundle),
            "--key",
            p(&work.join("pykey.pub")),
            "--trusted-root",
            &root,
        ],
        &[],
        0,
        &["OK"],
    );
    extra(
        "key generate never overwrites",
        &["key", "generate", "--output", p(&prefix)],
        &pw,
        2,
        &["exists"],
    );
    extra(
        "key generate without a password",
        &["key", "generate", "--output", p(&work.join("nopw"))],
        &[],
        2,
        &["CHAINPROOF_PASSWORD"],
    );
    extra(
        "second key (cosign password variable)",
        &["key", "generate", "--output", p(&work.join("other"))],
        &[("COSIGN_PASSWORD", "")],
        0,
        &[],
    );
    let key_b = work.join("key.sigstore.json");
    extra(
        "sign --key (Rekor upload)",
        &[
            "sign",
            p(&artifact),
            "--key",
            p(&key),
            "--bundle",
            p(&key_b),
            "--signing-config",
            p(&signing_config),
        ],
        &pw,
        0,
        &[],
    );
    let key_att = work.join("key-attest.sigstore.json");
    extra(
        "attest --key --tlog-upload=false --tsa-url",
        &[
            "attest",
            "--type",
            "cyclonedx",
            "--predicate",
            p(&sbom),
            p(&artifact),
            "--key",
            p(&key),
            "--tlog-upload=false",
            "--tsa-url",
            &format!("{}/api/v1/timestamp", standin.url),
            "--bundle",
            p(&key_att),
        ],
        &pw,
        0,
        &[],
    );
    let pubk = work.join("release.pub");
    let other_pub = work.join("other.pub");
    extra(
        "verify --key",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_b),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
        ],
        &[],
        0,
        &["Rekor log index"],
    );
    extra(
        "verify --key attestation (TSA only)",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_att),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
            "--insecure-ignore-tlog",
        ],
        &[],
        0,
        &["cyclonedx"],
    );
    extra(
        "verify --key TSA-only without --insecure-ignore-tlog",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_att),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["no Rekor entry"],
    );
    // A bundle logged in Rekor and timestamped, its log entry stripped: the bundle must not choose
    // to skip the transparency log check.
    let key_both = work.join("key-both.sigstore.json");
    extra(
        "sign --key (Rekor + TSA)",
        &[
            "sign",
            p(&artifact),
            "--key",
            p(&key),
            "--tsa-url",
            &format!("{}/api/v1/timestamp", standin.url),
            "--bundle",
            p(&key_both),
            "--signing-config",
            p(&signing_config),
        ],
        &pw,
        0,
        &[],
    );
    let stripped = work.join("key-stripped.sigstore.json");
    edit_bundle(&key_both, &stripped, |b| {
        b["verificationMaterial"]["tlogEntries"] = json!([]);
    });
    extra(
        "verify --key, tlogEntries stripped",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&stripped),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["has no Rekor entry"],
    );
    extra(
        "verify --key tampered",
        &[
            "verify",
            p(&tampered),
            "--bundle",
            p(&key_b),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["digest mismatch"],
    );
    extra(
        "verify wrong key",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_b),
            "--key",
            p(&other_pub),
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["signature verification failed"],
    );
    extra(
        "--key with identity flags (usage)",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_b),
            "--key",
            p(&pubk),
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        &[],
        2,
        &["apply to keyless bundles"],
    );
    extra(
        "keyless bundle with --key",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&ours_blob),
            "--key",
            p(&pubk),
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["signed keyless"],
    );
    extra(
        "key bundle without --key",
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&key_b),
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            &root,
        ],
        &[],
        1,
        &["signed with a key"],
    );
    extra(
        "sign --key wrong password",
        &[
            "sign",
            p(&artifact),
            "--key",
            p(&key),
            "--bundle",
            p(&work.join("x.json")),
            "--signing-config",
            p(&signing_config),
        ],
        &[("CHAINPROOF_PASSWORD", "wrong")],
        2,
        &["wrong password"],
    );
    extra(
        "sign --key neither log nor timestamp",
        &[
            "sign",
            p(&artifact),
            "--key",
            p(&key),
            "--tlog-upload=false",
            "--bundle",
            p(&work.join("y.json")),
        ],
        &pw,
        2,
        &["needs a Rekor entry or an RFC 3161 timestamp"],
    );
    extra(
        "keyless --tlog-upload=false refused before the token",
        &[
            "sign",
            p(&artifact),
            "--tlog-upload=false",
            "--signing-config",
            p(&signing_config),
        ],
        &[],
        2,
        &["--tlog-upload=false needs --key"],
    );
    extra(
        "keyless without a token",
        &["sign", p(&artifact), "--signing-config", p(&signing_config)],
        &[],
        2,
        &["no identity token"],
    );
    for (name, r, ok, words) in [
        (
            "cosign_key.py decrypts our key",
            &py_check,
            true,
            &["cosign key format: ok"][..],
        ),
        (
            "cosign_key.py, wrong password",
            &py_wrong,
            false,
            &["Decryption failed"][..],
        ),
    ] {
        extras.push(Extra {
            name: name.to_owned(),
            code: i32::from(!r.ok),
            want_code: i32::from(!ok),
            words,
            output: r.output.clone(),
        });
    }
    // The password never reaches the output.
    for e in &extras {
        assert!(
            !e.output.contains("correct horse"),
            "{}: password in output",
            e.name
        );
    }

    // Timings per artifact (the stand-in is local: this is chainproof's own cost plus three HTTP round trips).
    let started = std::time::Instant::now();
    let (code, _) = cp(
        &[
            "verify",
            p(&artifact),
            "--bundle",
            p(&ours_blob),
            "--trusted-root",
            &root,
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ],
        &[],
        work,
        "verify-timed",
    );
    assert_eq!(code, 0);
    table.push_str(&format!(
        "\ntimings per artifact (debug build, local stand-in): keyless sign {} ms, verify {} ms\n",
        sign_time.as_millis(),
        started.elapsed().as_millis()
    ));
    table.push_str(&format!(
        "\n{:<48} {:<6} result\n",
        "chainproof-only case", "exit"
    ));
    for e in &extras {
        let cell = if e.right() { "ok" } else { "WRONG!" };
        table.push_str(&format!("{:<48} {:<6} {cell}\n", e.name, e.code));
        if !e.right() {
            failures.push(format!(
                "{}: exit {} (expected {}), expected words {:?}, output:\n{}",
                e.name, e.code, e.want_code, e.words, e.output
            ));
        }
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "{} cell(s) wrong:\n{}\nstand-in stderr:\n{}",
        failures.len(),
        failures.join("\n"),
        fs::read_to_string(&standin.stderr).unwrap_or_default()
    );
}

/// tests/support/sigstore/cosign_key.py with the test tools' Python (PyNaCl, cryptography).
fn cosign_key_py() -> Command {
    let mut cmd = Command::new(test_tool("venv/bin/python"));
    cmd.arg(crate::support::root().join("tests/support/sigstore/cosign_key.py"));
    hermetic(&mut cmd);
    cmd
}

/// The in-toto predicate of an attestation bundle.
fn predicate_of(bundle: &Path) -> Value {
    let v: Value =
        serde_json::from_str(&fs::read_to_string(bundle).expect("bundle")).expect("json");
    let payload = base64_decode(v["dsseEnvelope"]["payload"].as_str().expect("payload"));
    let st: Value = serde_json::from_slice(&payload).expect("statement");
    st["predicate"].clone()
}

fn sha(path: &Path) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(fs::read(path).expect("file")).into()
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
