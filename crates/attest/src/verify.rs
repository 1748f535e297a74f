//! Bundle verification: sigstore-verify checks the certificate chain to the trusted root, the SCT,
//! the Rekor inclusion proof against its signed checkpoint, the SET, RFC 3161 timestamps, the
//! certificate's validity at the verified signing time, and the signature over the artifact digest or
//! the DSSE PAE; this module checks the artifact digest / attestation subjects first (for a precise
//! message), then the identity policy: SAN identity (exact or regex), OIDC issuer and the Fulcio CI
//! extensions (repository, owner, ref, commit, workflow, runner environment). Every failure names the
//! check that failed ([`Check`]).

use regex::Regex;
use sigstore_types::{Bundle, DerPublicKey, Sha256Hash, SignatureContent};
use sigstore_verify::{
    CertificateError, PublicKeyVerificationPolicy, TimestampError, TransparencyLogError,
    VerificationPolicy, Verifier,
};

use crate::policy::{IdentityPolicy, Policy, Severity, findings_at_or_above};
use crate::services::TrustedRoot;
use crate::statement::{PAYLOAD_TYPE, PredicateKind, Statement};

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The check that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Bundle,
    CertificateChain,
    Sct,
    CertificateValidity,
    TransparencyLog,
    InclusionProof,
    Checkpoint,
    InclusionPromise,
    Timestamp,
    Signature,
    ArtifactDigest,
    Subject,
    Identity,
    Issuer,
    Extension(&'static str),
    Key,
    RequiredAttestation,
    Findings,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Bundle => "bundle",
            Check::CertificateChain => "certificate chain to the trusted root",
            Check::Sct => "signed certificate timestamp (SCT)",
            Check::CertificateValidity => "certificate validity at the signing time",
            Check::TransparencyLog => "transparency log entry",
            Check::InclusionProof => "Rekor inclusion proof",
            Check::Checkpoint => "Rekor checkpoint",
            Check::InclusionPromise => "Rekor inclusion promise (SET)",
            Check::Timestamp => "RFC 3161 timestamp",
            Check::Signature => "signature",
            Check::ArtifactDigest => "artifact digest",
            Check::Subject => "attestation subject",
            Check::Identity => "certificate identity",
            Check::Issuer => "certificate OIDC issuer",
            Check::Extension(name) => name,
            Check::Key => "public key",
            Check::RequiredAttestation => "required attestation",
            Check::Findings => "attested findings",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The inputs cannot be used (unreadable or malformed bundle, trusted root, flags): exit code 2.
    #[error("{0}")]
    Input(String),
    /// A check failed: exit code 1.
    #[error("{check} check failed: {detail}")]
    Failed { check: Check, detail: String },
}

fn failed(check: Check, detail: impl Into<String>) -> VerifyError {
    VerifyError::Failed {
        check,
        detail: detail.into(),
    }
}

/// What to verify a bundle against.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// Identity constraint sets; every constraint of every set must hold (flags and policy file).
    pub identity: Vec<IdentityPolicy>,
    /// Verify a key-signed bundle with this public key instead of a certificate.
    pub key: Option<DerPublicKey>,
    /// With `key`: accept a bundle without a Rekor entry (an RFC 3161 timestamp alone), as signed by
    /// `sign --key --tlog-upload=false`. Gives up the transparency log's public, append-only record of
    /// the signature (nobody can audit that the key signed this); off by default.
    pub insecure_ignore_tlog: bool,
}

impl VerifyRequest {
    /// Checks that a keyless verification names a signer and an issuer (usage errors otherwise).
    pub fn check_usage(&self) -> Result<(), VerifyError> {
        self.prepare().map(drop)
    }

    /// [`Self::check_usage`], returning each identity policy's compiled regexp (compiled once).
    fn prepare(&self) -> Result<Vec<Option<Regex>>, VerifyError> {
        if self.insecure_ignore_tlog && self.key.is_none() {
            return Err(VerifyError::Input(
                "--insecure-ignore-tlog applies to key-signed bundles (with --key); keyless bundles \
                 always need their Rekor entry"
                    .into(),
            ));
        }
        if self.key.is_some() {
            if !self.identity.is_empty() {
                return Err(VerifyError::Input(
                    "identity constraints (certificate identity, issuer, repository, ref, ...) apply \
                     to keyless bundles; --key verifies key-signed bundles, which carry no identity"
                        .into(),
                ));
            }
            return Ok(Vec::new());
        }
        if !self.identity.iter().any(IdentityPolicy::names_signer) {
            return Err(VerifyError::Input(
                "keyless verification needs the expected signer: --certificate-identity, \
                 --certificate-identity-regexp, --signer-workflow, --repo or --owner (or a policy \
                 file's identity); or --key for key-signed bundles"
                    .into(),
            ));
        }
        let issuer = self
            .identity
            .iter()
            .any(|p| p.certificate_oidc_issuer.is_some());
        let github = self.identity.iter().any(IdentityPolicy::github_style);
        if !issuer && !github {
            return Err(VerifyError::Input(
                "keyless verification needs --certificate-oidc-issuer (e.g. \
                 https://token.actions.githubusercontent.com or https://gitlab.com)"
                    .into(),
            ));
        }
        self.identity
            .iter()
            .map(|p| {
                p.certificate_identity_regexp
                    .as_deref()
                    .map(Regex::new)
                    .transpose()
                    .map_err(|e| VerifyError::Input(format!("--certificate-identity-regexp: {e}")))
            })
            .collect()
    }

    /// Warnings for identity regexps not anchored with `^...$` (they match anywhere in the identity,
    /// as in cosign: `github.com/octo-org/.*` also matches another owner's workflow on a branch named
    /// `github.com/octo-org/x`).
    pub fn warnings(&self) -> Vec<String> {
        self.identity
            .iter()
            .filter_map(|p| p.certificate_identity_regexp.as_deref())
            .filter(|re| !is_anchored(re))
            .map(|re| {
                format!(
                    "the certificate identity regexp {re:?} is not anchored with ^...$: it matches \
                     anywhere in the identity, so another repository's workflow (e.g. on a branch \
                     whose name contains the pattern) can match it; anchor it, e.g. \
                     ^https://github\\.com/OWNER/REPO/\\.github/workflows/FILE\\.yml@refs/.*$"
                )
            })
            .collect()
    }
}

/// Whether a regexp matches whole identities only: `^` first, an unescaped `$` last, and no `|`
/// outside parentheses or classes (`^a|b$` matches `b` anywhere at the start...).
fn is_anchored(re: &str) -> bool {
    let (Some(body), true) = (re.strip_prefix('^'), re.ends_with('$')) else {
        return false;
    };
    let mut depth = 0i32;
    let mut class = false;
    let mut escaped = false;
    let mut last_escaped = false;
    for c in body.chars() {
        last_escaped = escaped;
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth -= 1,
            '|' if !class && depth == 0 => return false,
            _ => {}
        }
    }
    !last_escaped
}

/// What a verified bundle says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The SAN identity (keyless) or `key <hint>` (key-signed).
    pub signer: String,
    pub issuer: Option<String>,
    /// The in-toto statement of an attestation bundle.
    pub statement: Option<Statement>,
    /// Rekor log index, when the bundle has a log entry.
    pub log_index: Option<u64>,
    /// Verified signing times (TSA timestamps, Rekor integrated time), RFC 3339.
    pub times: Vec<String>,
}

/// Verifies one bundle (JSON text) for an artifact of SHA-256 `digest`.
pub fn verify_bundle(
    root: &TrustedRoot,
    digest: &[u8; 32],
    bundle_json: &str,
    request: &VerifyRequest,
) -> Result<Verified, VerifyError> {
    let regexps = request.prepare()?;
    // A bundle that does not parse is a failed verification (exit 1), not an unusable input: it is
    // what was handed to us as the signature, and the other bundles are still checked.
    let bundle = Bundle::from_json(bundle_json)
        .map_err(|e| failed(Check::Bundle, format!("not a Sigstore bundle: {e}")))?;

    // The artifact binding first: the most common failure deserves the plainest message.
    let statement = match &bundle.content {
        SignatureContent::MessageSignature(sig) => {
            if let Some(md) = &sig.message_digest {
                if md.digest.as_bytes() != digest.as_slice() {
                    return Err(failed(
                        Check::ArtifactDigest,
                        format!(
                            "digest mismatch: the bundle signs sha256:{}, the artifact is sha256:{} \
                             (tampered or wrong file)",
                            crate::hex(md.digest.as_bytes()),
                            crate::hex(digest)
                        ),
                    ));
                }
            }
            None
        }
        SignatureContent::DsseEnvelope(env) => {
            if env.payload_type != PAYLOAD_TYPE {
                return Err(failed(
                    Check::Bundle,
                    format!(
                        "DSSE payload type {:?} is not {PAYLOAD_TYPE}",
                        env.payload_type
                    ),
                ));
            }
            let st: Statement = serde_json::from_slice(env.payload.as_bytes()).map_err(|e| {
                failed(
                    Check::Bundle,
                    format!("the DSSE payload is not an in-toto statement: {e}"),
                )
            })?;
            if st.statement_type != crate::statement::STATEMENT_TYPE {
                return Err(failed(
                    Check::Bundle,
                    format!(
                        "the DSSE payload's _type is {:?}, not {}",
                        st.statement_type,
                        crate::statement::STATEMENT_TYPE
                    ),
                ));
            }
            if !st.covers(digest) {
                let subjects: Vec<String> = st
                    .subject
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (sha256:{})",
                            s.name,
                            s.digest.get("sha256").map_or("-", String::as_str)
                        )
                    })
                    .collect();
                return Err(failed(
                    Check::Subject,
                    format!(
                        "subject mismatch: the artifact sha256:{} is no subject of the attestation \
                         (subjects: {})",
                        crate::hex(digest),
                        subjects.join(", ")
                    ),
                ));
            }
            Some(st)
        }
        _ => {
            return Err(failed(
                Check::Bundle,
                "the bundle holds neither a message signature nor a DSSE envelope",
            ));
        }
    };

    let verifier = Verifier::new(&root.inner)
        .map_err(|e| VerifyError::Input(format!("the trusted root cannot be used: {e}")))?;
    let artifact = Sha256Hash::new(*digest);
    let log_index = bundle
        .verification_material
        .tlog_entries
        .first()
        .and_then(|e| u64::try_from(e.log_index.as_i64()).ok());

    if let Some(key) = &request.key {
        let mut policy = PublicKeyVerificationPolicy::new(key.clone());
        if bundle.verification_material.tlog_entries.is_empty() {
            // A Rekor entry is required unless the verifier (never the bundle) opts out: bundles from
            // `sign --key --tlog-upload=false` carry an RFC 3161 timestamp only.
            if !request.insecure_ignore_tlog {
                return Err(failed(
                    Check::TransparencyLog,
                    "the key-signed bundle has no Rekor entry (tlogEntries is empty); a signature \
                     nobody can audit in the transparency log is refused unless you pass \
                     --insecure-ignore-tlog (for bundles from `sign --key --tlog-upload=false`)",
                ));
            }
            policy = policy.skip_tlog_unsafe();
        }
        if bundle.signing_certificate().is_some() {
            return Err(failed(
                Check::Key,
                "the bundle was signed keyless (it holds a certificate); verify it with \
                 --certificate-identity/--certificate-oidc-issuer instead of --key",
            ));
        }
        let result = verifier
            .verify(artifact, &bundle, &policy)
            .map_err(|e| map_error(e, true))?;
        return Ok(Verified {
            signer: format!("key {}", crate::keys::key_hint(key)),
            issuer: None,
            statement,
            log_index,
            times: result
                .verified_timestamps()
                .iter()
                .map(ToString::to_string)
                .collect(),
        });
    }

    if bundle.signing_certificate().is_none() {
        return Err(failed(
            Check::Key,
            "the bundle was signed with a key (it has a public-key hint, no certificate); verify it \
             with --key PUBLIC_KEY",
        ));
    }
    let result = verifier
        .verify(artifact, &bundle, &VerificationPolicy::any_identity())
        .map_err(|e| map_error(e, false))?;
    let cert = result.certificate().ok_or_else(|| {
        failed(
            Check::Bundle,
            "no certificate information after verification",
        )
    })?;
    let identity = result
        .identity()
        .map(ToString::to_string)
        .unwrap_or_default();
    let issuer = result.issuer().map(str::to_owned);
    for (p, re) in request.identity.iter().zip(&regexps) {
        check_identity(
            p,
            re.as_ref(),
            &identity,
            issuer.as_deref(),
            &cert.ci_claims,
        )?;
    }
    if let Some(st) = &statement {
        check_provenance_source(st, &cert.ci_claims)?;
    }
    Ok(Verified {
        signer: identity,
        issuer,
        statement,
        log_index,
        times: result
            .verified_timestamps()
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

fn github_url(value: &str) -> String {
    if value.contains("://") {
        value.trim_end_matches('/').to_owned()
    } else {
        format!("https://github.com/{}", value.trim_matches('/'))
    }
}

fn check_identity(
    p: &IdentityPolicy,
    regexp: Option<&Regex>,
    identity: &str,
    issuer: Option<&str>,
    claims: &sigstore_crypto::FulcioCiClaims,
) -> Result<(), VerifyError> {
    let shown = |v: Option<&str>| v.map_or_else(|| "none".to_owned(), str::to_owned);
    if let Some(want) = &p.certificate_identity {
        if want != identity {
            return Err(failed(
                Check::Identity,
                format!(
                    "certificate identity mismatch: expected {want}, the certificate has {identity}"
                ),
            ));
        }
    }
    if let Some(re) = regexp {
        if !re.is_match(identity) {
            return Err(failed(
                Check::Identity,
                format!(
                    "certificate identity mismatch: {identity} does not match the regexp {}",
                    re.as_str()
                ),
            ));
        }
    }
    let want_issuer = p
        .certificate_oidc_issuer
        .clone()
        .or_else(|| p.github_style().then(|| GITHUB_ISSUER.to_owned()));
    if let Some(want) = want_issuer {
        if issuer != Some(want.as_str()) {
            return Err(failed(
                Check::Issuer,
                format!(
                    "OIDC issuer mismatch: expected {want}, the certificate has {}",
                    shown(issuer)
                ),
            ));
        }
    }
    if let Some(repo) = &p.repo {
        let want = github_url(repo);
        let have = claims.source_repository_uri.as_deref();
        if !have.is_some_and(|h| h.eq_ignore_ascii_case(&want)) {
            return Err(failed(
                Check::Extension("source repository (Fulcio extension 1.3.6.1.4.1.57264.1.12)"),
                format!("expected {want}, the certificate has {}", shown(have)),
            ));
        }
    }
    if let Some(owner) = &p.owner {
        let want = github_url(owner);
        let have = claims.source_repository_owner_uri.clone().or_else(|| {
            claims
                .source_repository_uri
                .as_deref()
                .and_then(|u| u.rsplit_once('/').map(|(o, _)| o.to_owned()))
        });
        if !have
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&want))
        {
            return Err(failed(
                Check::Extension(
                    "source repository owner (Fulcio extension 1.3.6.1.4.1.57264.1.16)",
                ),
                format!(
                    "expected {want}, the certificate has {}",
                    shown(have.as_deref())
                ),
            ));
        }
    }
    if let Some(wf) = &p.signer_workflow {
        let wf = wf.trim_matches('/');
        let want = if wf.contains("://") {
            wf.to_owned()
        } else if wf.split('/').next().is_some_and(|h| h.contains('.')) {
            format!("https://{wf}")
        } else {
            format!("https://github.com/{wf}")
        };
        // The workflow is everything before its `@ref`: the first `@refs/` (a workflow file sits
        // directly in .github/workflows, so its path cannot hold one; a branch name can hold `@`),
        // else the last `@`.
        let have = identity.find("@refs/").map_or_else(
            || identity.rsplit_once('@').map_or(identity, |(w, _)| w),
            |i| &identity[..i],
        );
        if have != want {
            return Err(failed(
                Check::Extension("signer workflow (certificate identity without its ref)"),
                format!("expected {want}, the certificate has {identity}"),
            ));
        }
    }
    let exact = |want: &Option<String>,
                 have: Option<&str>,
                 name: &'static str,
                 ignore_case: bool|
     -> Result<(), VerifyError> {
        if let Some(want) = want {
            let ok = have.is_some_and(|h| {
                if ignore_case {
                    h.eq_ignore_ascii_case(want)
                } else {
                    h == want
                }
            });
            if !ok {
                return Err(failed(
                    Check::Extension(name),
                    format!("expected {want}, the certificate has {}", shown(have)),
                ));
            }
        }
        Ok(())
    };
    exact(
        &p.source_ref,
        claims.source_repository_ref.as_deref(),
        "source ref (Fulcio extension 1.3.6.1.4.1.57264.1.14)",
        false,
    )?;
    exact(
        &p.source_digest,
        claims.source_repository_digest.as_deref(),
        "source commit (Fulcio extension 1.3.6.1.4.1.57264.1.13)",
        true,
    )?;
    exact(
        &p.runner_environment,
        claims.runner_environment.as_deref(),
        "runner environment (Fulcio extension 1.3.6.1.4.1.57264.1.11)",
        false,
    )?;
    Ok(())
}

/// A keyless SLSA provenance attestation's source against the certificate: the commit and ref of its
/// `resolvedDependencies` (and the GitHub workflow's `ref`) must be the source commit (Fulcio extension
/// 1.3.6.1.4.1.57264.1.13) and source ref (.1.14) Fulcio certified from the identity token. The
/// predicate is written by the signing job; the extensions are not, so a job cannot claim another
/// commit than the one it ran for. Checked where the certificate carries the extension.
pub fn check_provenance_source(
    st: &Statement,
    claims: &sigstore_crypto::FulcioCiClaims,
) -> Result<(), VerifyError> {
    if st.predicate_type != crate::statement::SLSA_PROVENANCE_V1 {
        return Ok(());
    }
    let def = &st.predicate["buildDefinition"];
    let deps = def["resolvedDependencies"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let repo = claims
        .source_repository_uri
        .as_deref()
        .map(|r| r.trim_end_matches('/').to_ascii_lowercase());
    for dep in deps {
        let Some(commit) = dep["digest"]["gitCommit"].as_str() else {
            continue;
        };
        let uri = dep["uri"].as_str().unwrap_or_default();
        let located = uri.strip_prefix("git+").unwrap_or(uri);
        // `REPO_URL@REF`: the first `@` after the host (a ref may hold `@`, a repository URL not).
        let host_end = located.find("://").map_or(0, |i| i + 3);
        let (dep_repo, dep_ref) = match located[host_end..].split_once('@') {
            Some((r, f)) => (&located[..host_end + r.len()], Some(f)),
            None => (located, None),
        };
        let dep_repo = dep_repo.trim_end_matches(".git").trim_end_matches('/');
        // A dependency of another repository (a submodule, a second checkout) is not the source.
        if repo
            .as_deref()
            .is_some_and(|r| !dep_repo.eq_ignore_ascii_case(r))
        {
            continue;
        }
        if let Some(want) = &claims.source_repository_digest {
            if !commit.eq_ignore_ascii_case(want) {
                return Err(failed(
                    Check::Extension(
                        "provenance source commit vs. certificate (extension 1.3.6.1.4.1.57264.1.13)",
                    ),
                    format!(
                        "the provenance says the source {uri} is commit {commit}; the certificate \
                         says the signer ran for commit {want}"
                    ),
                ));
            }
        }
        if let (Some(want), Some(have)) = (&claims.source_repository_ref, dep_ref) {
            if have != want {
                return Err(failed(
                    Check::Extension(
                        "provenance source ref vs. certificate (extension 1.3.6.1.4.1.57264.1.14)",
                    ),
                    format!(
                        "the provenance says the source {uri} is ref {have}; the certificate says \
                         the signer ran for ref {want}"
                    ),
                ));
            }
        }
    }
    let workflow_ref = def["externalParameters"]["workflow"]["ref"]
        .as_str()
        .or_else(|| def["externalParameters"]["source"]["ref"].as_str());
    if let (Some(want), Some(have)) = (&claims.source_repository_ref, workflow_ref) {
        if have != want {
            return Err(failed(
                Check::Extension(
                    "provenance source ref vs. certificate (extension 1.3.6.1.4.1.57264.1.14)",
                ),
                format!(
                    "the provenance's build ref is {have}; the certificate says the signer ran for \
                     ref {want}"
                ),
            ));
        }
    }
    Ok(())
}

/// sigstore-verify's error, named by the check that failed.
fn map_error(e: sigstore_verify::Error, keyed: bool) -> VerifyError {
    use sigstore_verify::Error as E;
    let detail = e.to_string();
    let check = match &e {
        E::IdentityMismatch { .. } => Check::Identity,
        E::IssuerMismatch { .. } => Check::Issuer,
        E::SignatureInvalid(_) => {
            return failed(
                Check::Signature,
                format!(
                    "signature verification failed: {detail}{}",
                    if keyed { " (wrong key?)" } else { "" }
                ),
            );
        }
        E::ArtifactMismatch(_) => Check::ArtifactDigest,
        E::Certificate(c) => match c {
            CertificateError::Sct(_) => Check::Sct,
            CertificateError::Expired { .. } | CertificateError::NotYetValid { .. } => {
                return failed(
                    Check::CertificateValidity,
                    format!(
                        "{detail}: no verified timestamp (TSA or Rekor) falls within the \
                         certificate's validity"
                    ),
                );
            }
            CertificateError::ChainInvalid(d)
                if d.contains("CertExpired") || d.contains("CertNotValidYet") =>
            {
                return failed(
                    Check::CertificateValidity,
                    format!(
                        "the certificate had expired (or was not yet valid) at the verified signing \
                         time, and no timestamp within its validity exists: {detail}"
                    ),
                );
            }
            _ => Check::CertificateChain,
        },
        E::TransparencyLog(t) => match t {
            TransparencyLogError::InclusionProof(_) => Check::InclusionProof,
            TransparencyLogError::Checkpoint(_) => Check::Checkpoint,
            TransparencyLogError::InclusionPromise(_) => Check::InclusionPromise,
            _ => Check::TransparencyLog,
        },
        E::Timestamp(TimestampError::NoVerifiedTimestamp(_)) => Check::Timestamp,
        E::Timestamp(_) => Check::Timestamp,
        E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
            return VerifyError::Input(format!("the trusted root cannot be used: {detail}"));
        }
        E::Bundle(_) | E::InvalidBundle(_) if detail.contains("inclusion proof") => {
            Check::InclusionProof
        }
        E::Bundle(_) | E::InvalidBundle(_) if detail.contains("inclusion promise") => {
            Check::InclusionPromise
        }
        _ => Check::Bundle,
    };
    failed(check, detail)
}

/// The policy file's `require` entries against the verified bundles of one artifact.
pub fn check_requirements(policy: &Policy, verified: &[Verified]) -> Result<(), VerifyError> {
    for req in &policy.require {
        let Some(kind) = PredicateKind::parse(&req.kind) else {
            return Err(VerifyError::Input(format!(
                "unknown attestation type {}",
                req.kind
            )));
        };
        let want = kind.predicate_type();
        let matching: Vec<&Statement> = verified
            .iter()
            .filter_map(|v| v.statement.as_ref())
            .filter(|s| s.predicate_type == want)
            .collect();
        if matching.is_empty() {
            let have: Vec<&str> = verified
                .iter()
                .map(|v| {
                    v.statement
                        .as_ref()
                        .map_or("a plain signature", |s| s.predicate_type.as_str())
                })
                .collect();
            return Err(failed(
                Check::RequiredAttestation,
                format!(
                    "the policy requires a {} attestation ({want}); the verified bundles hold: {}",
                    req.kind,
                    if have.is_empty() {
                        "nothing".to_owned()
                    } else {
                        have.join(", ")
                    }
                ),
            ));
        }
        if let Some(threshold) = req.fail_on {
            for st in matching {
                let found = findings_at_or_above(&st.predicate, threshold).map_err(|e| {
                    failed(
                        Check::Findings,
                        format!("the {} attestation: {e}", req.kind),
                    )
                })?;
                if !found.is_empty() {
                    return Err(failed(
                        Check::Findings,
                        findings_message(&req.kind, threshold, &found),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn findings_message(kind: &str, threshold: Severity, found: &[(String, Severity)]) -> String {
    let ids: Vec<String> = found
        .iter()
        .take(10)
        .map(|(id, s)| format!("{id} ({s})"))
        .collect();
    format!(
        "the {kind} attestation reports {} finding(s) at or above {threshold}: {}{}",
        found.len(),
        ids.join(", "),
        if found.len() > 10 { ", ..." } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigstore_bundle::{BundleV03, VerificationMaterialV03};
    use sigstore_types::HashAlgorithm;
    use sigstore_types::bundle::{MessageDigest, MessageSignature};

    fn key_request(key: &crate::PrivateKey) -> VerifyRequest {
        VerifyRequest {
            key: Some(key.public_key().clone()),
            ..VerifyRequest::default()
        }
    }

    /// A key-signed bundle with neither a Rekor entry nor a timestamp.
    fn bare_key_bundle(key: &crate::PrivateKey, digest: &[u8; 32]) -> String {
        let sig = key
            .pair
            .sign_digest(&Sha256Hash::new(*digest))
            .expect("sign");
        let content =
            SignatureContent::MessageSignature(MessageSignature::new(sig).with_message_digest(
                MessageDigest::new(HashAlgorithm::Sha2256, Sha256Hash::new(*digest).into()),
            ));
        BundleV03::new(
            VerificationMaterialV03::PublicKey { hint: key.hint() },
            content,
        )
        .into_bundle()
        .to_json()
        .expect("json")
    }

    /// The verifier, never the bundle, decides whether a missing Rekor entry is acceptable.
    #[test]
    fn key_bundle_without_tlog_entry_is_refused_by_default() {
        let key = crate::PrivateKey::generate().expect("key");
        let digest = [7u8; 32];
        let bundle = bare_key_bundle(&key, &digest);
        let root = TrustedRoot::public_good().expect("root");
        let e = verify_bundle(&root, &digest, &bundle, &key_request(&key)).err();
        assert!(
            matches!(
                &e,
                Some(VerifyError::Failed { check: Check::TransparencyLog, detail })
                    if detail.contains("--insecure-ignore-tlog")
            ),
            "{e:?}"
        );
        // Opting out reaches the next requirement (a verified timestamp), not the log check.
        let mut lax = key_request(&key);
        lax.insecure_ignore_tlog = true;
        let e = verify_bundle(&root, &digest, &bundle, &lax).err();
        assert!(
            !matches!(
                &e,
                Some(VerifyError::Failed {
                    check: Check::TransparencyLog,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn usage_is_checked_by_verify_bundle_and_bad_bundles_fail() {
        let root = TrustedRoot::public_good().expect("root");
        let digest = [1u8; 32];
        // No signer named: a usage error, even when the caller skipped check_usage.
        let e = verify_bundle(&root, &digest, "{}", &VerifyRequest::default()).err();
        assert!(matches!(e, Some(VerifyError::Input(_))), "{e:?}");
        // --insecure-ignore-tlog is for key-signed bundles only.
        let req = VerifyRequest {
            identity: vec![IdentityPolicy {
                certificate_identity: Some("a".into()),
                certificate_oidc_issuer: Some("b".into()),
                ..IdentityPolicy::default()
            }],
            insecure_ignore_tlog: true,
            ..VerifyRequest::default()
        };
        assert!(matches!(req.check_usage(), Err(VerifyError::Input(_))));
        // A bundle that does not parse is a failed check (exit 1), not an input error.
        let key = crate::PrivateKey::generate().expect("key");
        let e = verify_bundle(&root, &digest, "not json", &key_request(&key)).err();
        assert!(
            matches!(
                e,
                Some(VerifyError::Failed {
                    check: Check::Bundle,
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn anchoring() {
        for re in ["^https://github\\.com/o/r/.*$", "^(a|b)$", "^[|]x$"] {
            assert!(is_anchored(re), "{re}");
        }
        for re in [
            "github.com/octo-org/.*",
            "^https://github\\.com/octo-org/",
            "^a|b$",
            "^a\\$",
            "https://x$",
        ] {
            assert!(!is_anchored(re), "{re}");
        }
        let req = VerifyRequest {
            identity: vec![IdentityPolicy {
                certificate_identity_regexp: Some("github.com/octo-org/.*".into()),
                ..IdentityPolicy::default()
            }],
            ..VerifyRequest::default()
        };
        assert_eq!(req.warnings().len(), 1);
        // The attack the warning is about: another owner's workflow on a branch named after the pattern.
        let re = Regex::new("github.com/octo-org/.*").expect("re");
        assert!(re.is_match(
            "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/github.com/octo-org/x"
        ));
    }

    fn provenance(commit: &str, git_ref: &str) -> Statement {
        Statement::new(
            vec![],
            crate::statement::SLSA_PROVENANCE_V1,
            serde_json::json!({"buildDefinition": {
                "externalParameters": {"workflow": {"ref": git_ref}},
                "resolvedDependencies": [{
                    "uri": format!("git+https://github.com/o/r@{git_ref}"),
                    "digest": {"gitCommit": commit},
                }],
            }}),
        )
    }

    #[test]
    fn provenance_source_must_match_the_certificate() {
        let mut claims = sigstore_crypto::FulcioCiClaims::default();
        claims.source_repository_uri = Some("https://github.com/o/r".into());
        claims.source_repository_digest = Some("abc".into());
        claims.source_repository_ref = Some("refs/heads/main".into());
        assert!(check_provenance_source(&provenance("abc", "refs/heads/main"), &claims).is_ok());
        let e = check_provenance_source(&provenance("def", "refs/heads/main"), &claims)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("commit def") && e.contains(".1.13"), "{e}");
        let e = check_provenance_source(&provenance("abc", "refs/heads/dev"), &claims)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("refs/heads/dev") && e.contains(".1.14"), "{e}");
        // Without the extensions (a non-CI identity) there is nothing to compare with.
        let none = sigstore_crypto::FulcioCiClaims::default();
        assert!(check_provenance_source(&provenance("x", "y"), &none).is_ok());
    }

    #[test]
    fn statement_type_is_checked() {
        let key = crate::PrivateKey::generate().expect("key");
        let digest = [3u8; 32];
        let mut st = Statement::new(
            vec![crate::Subject::sha256("a", &digest)],
            "https://example.com/p",
            serde_json::json!({}),
        );
        st.statement_type = "https://in-toto.io/Statement/v0.1-evil".into();
        let payload = serde_json::to_vec(&st).expect("json");
        let env = sigstore_types::DsseEnvelope::new(
            PAYLOAD_TYPE,
            sigstore_types::PayloadBytes::new(payload),
            sigstore_types::DsseSignature::new(
                key.pair.sign(b"x").expect("sig"),
                sigstore_types::KeyId::default(),
            ),
        );
        let bundle = BundleV03::new(
            VerificationMaterialV03::PublicKey { hint: key.hint() },
            SignatureContent::DsseEnvelope(env),
        )
        .into_bundle()
        .to_json()
        .expect("json");
        let root = TrustedRoot::public_good().expect("root");
        let e = verify_bundle(&root, &digest, &bundle, &key_request(&key))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("_type"), "{e}");
    }
}
