//! `chainproof verify FILE --bundle B...`: every bundle must verify for FILE under the identity
//! policy (flags and `--policy` together); the policy's required attestations must be among them.
//! `chainproof verify IMAGE@DIGEST`, cosign's rule: the image verifies when at least one bundle
//! attached to it in the registry verifies (and, with `--policy`, the verified ones meet the
//! required set); attached bundles that do not verify are listed with the reason and do not fail the
//! run; none verifying fails it. Bundles named with `--bundle` must each verify, image or file.
//! Exit codes: 0 verified, 1 a check failed (the message names it), 2 unusable input.

use anyhow::{Context, Result};
use chainproof_attest::policy::IdentityPolicy;
use chainproof_attest::{Policy, TrustedRoot, VerifyError, VerifyRequest, keys, verify};

use crate::Outcome;
use crate::cli::VerifyArgs;

/// One bundle to verify.
struct Item {
    /// The file, or where in the registry it was found.
    what: String,
    json: String,
    /// The digest it must cover.
    digest: [u8; 32],
    /// Why it cannot be used at all.
    problem: Option<String>,
    /// Found attached to an image in the registry (cosign's rule), not named with --bundle.
    attached: bool,
}

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
    // --bundle files, and for an image the bundles its registry holds.
    let mut items: Vec<Item> = Vec::new();
    let mut image_name = None;
    let digest = if super::image::is_image(&args.file, &args.images) {
        let t = super::image::open(&args.file, &args.images, false)?;
        let digest = chainproof_attest::oci::digest_bytes(&t.subject.digest)
            .with_context(|| format!("unsupported digest {}", t.subject.digest))?;
        eprintln!("verifying {} ({})", t.image, t.subject.media_type);
        image_name = Some(t.image.to_string());
        for f in t.registry.find(&t.image, &t.subject.digest)? {
            match f.skipped {
                Some(why) => eprintln!("SKIPPED {}: {why}", f.origin),
                None => items.push(Item {
                    what: f.origin,
                    json: f.bundle_json,
                    digest: f.artifact,
                    problem: f.problem,
                    attached: true,
                }),
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
        items.push(Item {
            what: b.display().to_string(),
            json: text,
            digest,
            problem: None,
            attached: false,
        });
    }

    let mut verified = Vec::new();
    let mut failed = false;
    // Attached bundles that did not verify: listed, and fatal only when none verifies.
    let mut not_verified = 0usize;
    for Item {
        what: b,
        json: text,
        digest,
        problem,
        attached,
    } in &items
    {
        if let Some(problem) = problem {
            if *attached {
                eprintln!("NOT VERIFIED {b}: {problem}");
                not_verified += 1;
            } else {
                eprintln!("FAILED {b}: {problem}");
                failed = true;
            }
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
            Err(VerifyError::Input(msg)) if *attached => {
                eprintln!("NOT VERIFIED {b}: {msg}");
                not_verified += 1;
            }
            Err(VerifyError::Input(msg)) => {
                eprintln!("error: {}: {msg}", b);
                return Ok(Outcome::InputError);
            }
            Err(e) => {
                if *attached {
                    eprintln!("NOT VERIFIED {b}: {e}");
                    not_verified += 1;
                } else {
                    eprintln!("FAILED {}: {e}", b);
                    failed = true;
                }
                if args.trusted_root.is_none() && args.key.is_none() {
                    eprintln!(
                        "  (checked against the public-good Sigstore trusted root; pass --trusted-root \
                         FILE for a private instance)"
                    );
                }
            }
        }
    }
    if failed {
        return Ok(Outcome::Findings);
    }
    if let Some(image) = &image_name {
        if verified.is_empty() {
            eprintln!(
                "FAILED {image}: none of the {} bundle(s) attached verifies",
                items.len()
            );
            return Ok(Outcome::Findings);
        }
        if not_verified > 0 {
            eprintln!(
                "note: {not_verified} attached bundle(s) did not verify (listed above); {image} \
                 verifies because {} did",
                verified.len()
            );
        }
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
