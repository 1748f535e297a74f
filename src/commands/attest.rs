//! `chainproof attest --type T [--predicate FILE] SUBJECT...`: an in-toto Statement v1 about the
//! subjects, signed as DSSE into one Sigstore bundle.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chainproof_attest::statement::{self, PredicateKind};
use chainproof_attest::{Statement, Subject};

use crate::Outcome;
use crate::cli::AttestArgs;

pub fn run(args: AttestArgs) -> Result<Outcome> {
    let Some(kind) = PredicateKind::parse(&args.predicate_type) else {
        bail!(
            "--type {}: expected slsaprovenance1, cyclonedx, vuln, sarif, or a predicate type URI",
            args.predicate_type
        );
    };
    let mut subjects = Vec::new();
    let format = super::image::format(&args.registry_format)?;
    let mut image = None;
    if args
        .subjects
        .iter()
        .any(|s| super::image::is_image(s, &args.images))
    {
        if args.subjects.len() != 1 || args.bundle.is_some() {
            bail!(
                "an image attestation has one SUBJECT, the image (IMAGE@sha256:...), and is stored \
                 in the registry (no --bundle)"
            );
        }
        let t = super::image::open(&args.subjects[0], &args.images, true)?;
        let digest = chainproof_attest::oci::digest_bytes(&t.subject.digest)
            .with_context(|| format!("unsupported digest {}", t.subject.digest))?;
        subjects.push(Subject::sha256(t.image.name(), &digest));
        image = Some(t);
    }
    for f in args.subjects.iter().filter(|_| image.is_none()) {
        let d = chainproof_attest::sha256_file(f)
            .with_context(|| format!("reading {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.display().to_string());
        subjects.push(Subject::sha256(name, &d));
    }
    let bytes = match &args.predicate {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
        None => None,
    };
    let path = args.predicate.as_ref().map(|p| p.display().to_string());
    let env = |k: &str| std::env::var(k).ok();
    // The signer first: keyless provenance takes the source and run from the identity token's claims
    // (what the CI provider signed and Fulcio certifies), not from the job's environment.
    let (signer, what, claims) = super::sign::signer_with_claims(&args.services)?;
    let predicate = statement::predicate_with_claims(
        &kind,
        path.as_deref().zip(bytes.as_deref()),
        &env,
        claims.as_ref(),
    )?;
    let st = Statement::new(subjects, kind.predicate_type(), predicate);
    let out = args.bundle.clone().unwrap_or_else(|| {
        let short = match &kind {
            PredicateKind::SlsaProvenance1 => "slsaprovenance1",
            PredicateKind::CycloneDx => "cyclonedx",
            PredicateKind::Vuln => "vuln",
            PredicateKind::Sarif => "sarif",
            PredicateKind::Custom(_) => "intoto",
        };
        let mut p = PathBuf::from(&args.subjects[0]);
        p.as_mut_os_string().push(format!(".{short}.sigstore.json"));
        p
    });
    eprintln!(
        "attesting {} subject(s) ({}), {what}",
        st.subject.len(),
        st.predicate_type
    );
    if let Some(t) = image {
        let stored = t
            .registry
            .publish_attestation(&t.image, &t.subject, &signer, &st, format)
            .with_context(|| format!("attesting {}", t.image))?;
        for p in stored {
            println!(
                "attested {} for {} -> {}: {}",
                st.predicate_type, t.image, p.kind, p.location
            );
        }
        return Ok(Outcome::Clean);
    }
    let bundle = signer.attest(&st).context("signing the attestation")?;
    super::sign::write_bundle(&out, &bundle)?;
    println!("attested {} -> {}", st.predicate_type, out.display());
    Ok(Outcome::Clean)
}
