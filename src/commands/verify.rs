//! `chainproof verify FILE --bundle B...`: every bundle must verify for FILE under the identity
//! policy (flags and `--policy` together); the policy's required attestations must be among them.
//! Exit codes: 0 verified, 1 a check failed (the message names it), 2 unusable input.

use anyhow::{Context, Result};
use chainproof_attest::policy::IdentityPolicy;
use chainproof_attest::{Policy, TrustedRoot, VerifyError, VerifyRequest, keys, verify};

use crate::Outcome;
use crate::cli::VerifyArgs;

pub fn run(args: VerifyArgs) -> Result<Outcome> {
    let flags = IdentityPolicy {
        certificate_identity: args.certificate_identity.clone(),
        certificate_identity_regexp: args.certificate_identity_regexp.clone(),
        certificate_oidc_issuer: args.certificate_oidc_issuer.clone(),
        owner: args.owner.clone(),
        repo: args.repo.clone(),
        signer_workflow: args.signer_workflow.clone(),
        source_ref: args.source_ref.clone(),
        source_digest: args.source_digest.clone(),
        runner_environment: args.runner_environment.clone(),
    };
    let policy = match &args.policy {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(Policy::parse(&text, &p.display().to_string())?)
        }
        None => None,
    };
    let mut identity = Vec::new();
    if flags != IdentityPolicy::default() {
        identity.push(flags);
    }
    if let Some(p) = &policy {
        if p.identity != IdentityPolicy::default() {
            identity.push(p.identity.clone());
        }
    }
    let key = match &args.key {
        Some(k) => Some(keys::read_public_key(k)?),
        None => None,
    };
    let request = VerifyRequest {
        identity,
        key,
        insecure_ignore_tlog: args.insecure_ignore_tlog,
    };
    if let Err(e) = request.check_usage() {
        eprintln!("error: {e}");
        return Ok(Outcome::InputError);
    }
    for w in request.warnings() {
        eprintln!("warning: {w}");
    }
    let root = TrustedRoot::choose(args.trusted_root.as_deref())?;
    // (what, bundle JSON, the digest it must cover, why it cannot be used): --bundle files, and for
    // an image the bundles its registry holds.
    let mut items: Vec<(String, String, [u8; 32], Option<String>)> = Vec::new();
    let digest = if super::image::is_image(&args.file, &args.images) {
        let t = super::image::open(&args.file, &args.images, false)?;
        let digest = chainproof_attest::oci::digest_bytes(&t.subject.digest)
            .with_context(|| format!("unsupported digest {}", t.subject.digest))?;
        eprintln!("verifying {} ({})", t.image, t.subject.media_type);
        for f in t.registry.find(&t.image, &t.subject.digest)? {
            match f.skipped {
                Some(why) => eprintln!("SKIPPED {}: {why}", f.origin),
                None => items.push((f.origin, f.bundle_json, f.artifact, f.problem)),
            }
        }
        if items.is_empty() && args.bundle.is_empty() {
            eprintln!(
                "FAILED {}: no signatures or attestations to verify (looked at the referrers API, \
                 the referrers tag {}, cosign's .sig/.att tags)",
                t.image,
                chainproof_attest::oci::digest_tag(&t.subject.digest)
            );
            return Ok(Outcome::Findings);
        }
        digest
    } else {
        if args.bundle.is_empty() {
            eprintln!(
                "error: verifying a file needs --bundle (or name an image: IMAGE@sha256:...)"
            );
            return Ok(Outcome::InputError);
        }
        chainproof_attest::sha256_file(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?
    };
    for b in &args.bundle {
        let text =
            std::fs::read_to_string(b).with_context(|| format!("reading {}", b.display()))?;
        items.push((b.display().to_string(), text, digest, None));
    }

    let mut verified = Vec::new();
    let mut failed = false;
    for (b, text, digest, problem) in &items {
        if let Some(problem) = problem {
            eprintln!("FAILED {b}: {problem}");
            failed = true;
            continue;
        }
        match verify::verify_bundle(&root, digest, text, &request) {
            Ok(v) => {
                let what = v.statement.as_ref().map_or_else(
                    || "signature".to_owned(),
                    |s| format!("attestation {}", s.predicate_type),
                );
                println!(
                    "OK {}: {what} over {} by {}{}{}",
                    b,
                    args.file.display(),
                    v.signer,
                    v.issuer
                        .as_deref()
                        .map(|i| format!(" (issuer {i})"))
                        .unwrap_or_default(),
                    v.log_index
                        .map(|i| format!(", Rekor log index {i}"))
                        .unwrap_or_default(),
                );
                verified.push(v);
            }
            Err(VerifyError::Input(msg)) => {
                eprintln!("error: {}: {msg}", b);
                return Ok(Outcome::InputError);
            }
            Err(e) => {
                eprintln!("FAILED {}: {e}", b);
                if args.trusted_root.is_none() && args.key.is_none() {
                    eprintln!(
                        "  (checked against the public-good Sigstore trusted root; pass --trusted-root \
                         FILE for a private instance)"
                    );
                }
                failed = true;
            }
        }
    }
    if failed {
        return Ok(Outcome::Findings);
    }
    if let Some(p) = &policy {
        if let Err(e) = verify::check_requirements(p, &verified) {
            eprintln!(
                "FAILED policy {}: {e}",
                args.policy
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            return Ok(match e {
                VerifyError::Input(_) => Outcome::InputError,
                VerifyError::Failed { .. } => Outcome::Findings,
            });
        }
        println!("OK policy: {} requirement(s) met", p.require.len());
    }
    Ok(Outcome::Clean)
}
