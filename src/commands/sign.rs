//! `chainproof sign FILE...`: one Sigstore bundle (v0.3) per file, keyless or with `--key`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chainproof_attest::{PrivateKey, Services, Signer, token};

use crate::Outcome;
use crate::cli::{SignArgs, SigstoreServiceArgs};

/// The signer the service flags describe (keyless with a token, or a key), and a line saying which.
pub(crate) fn signer(args: &SigstoreServiceArgs) -> Result<(Signer, String)> {
    signer_with_claims(args).map(|(s, what, _)| (s, what))
}

/// [`signer`], with the identity token's claims when keyless (the source of SLSA provenance).
pub(crate) fn signer_with_claims(
    args: &SigstoreServiceArgs,
) -> Result<(Signer, String, Option<chainproof_attest::statement::Claims>)> {
    let env = |k: &str| std::env::var(k).ok();
    if let Some(key_path) = &args.key {
        if args.identity_token.is_some() || args.fulcio_url.is_some() {
            bail!("--key signs without Fulcio: drop --identity-token/--fulcio-url");
        }
        let key = PrivateKey::read(key_path, &env)?;
        let rekor = if args.tlog_upload {
            Some(match (&args.rekor_url, &args.signing_config) {
                (Some(r), _) => r.clone(),
                (None, Some(_)) | (None, None) => {
                    let s = Services::choose(args.signing_config.as_deref(), None, None, None)?;
                    s.rekor_url().to_owned()
                }
            })
        } else {
            None
        };
        let what = format!(
            "key {} ({}){}",
            key_path.display(),
            key.hint(),
            rekor
                .as_deref()
                .map(|r| format!(", Rekor {r}"))
                .unwrap_or_else(|| ", no transparency log".into())
        );
        return Ok((
            Signer::with_key(key, rekor, args.tsa_url.clone())?,
            what,
            None,
        ));
    }
    // Before the token: a GitHub runner's token request is not spent on a refused invocation.
    if !args.tlog_upload {
        bail!("keyless signing always logs in Rekor: --tlog-upload=false needs --key");
    }
    let services = Services::choose(
        args.signing_config.as_deref(),
        args.fulcio_url.as_deref(),
        args.rekor_url.as_deref(),
        args.tsa_url.as_deref(),
    )?;
    let (token, source) = token::acquire(args.identity_token.as_deref(), &env)?;
    let what = format!(
        "keyless, token issuer {} subject {} (from {source}; Fulcio {}, Rekor {}{})",
        token.issuer(),
        token.subject(),
        services.fulcio_url(),
        services.rekor_url(),
        services
            .tsa_url()
            .map(|t| format!(", TSA {t}"))
            .unwrap_or_default()
    );
    let claims = token::claims(&token);
    Ok((Signer::keyless(&services, token), what, claims))
}

/// Writes a bundle as JSON (creating or replacing the file).
pub(crate) fn write_bundle(path: &Path, bundle: &chainproof_attest::Bundle) -> Result<()> {
    let json = bundle.to_json_pretty().context("serialising the bundle")?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
}

pub fn run(args: SignArgs) -> Result<Outcome> {
    if args.bundle.is_some() && args.files.len() > 1 {
        bail!(
            "--bundle names one output: sign one file at a time with it, or drop it (FILE.sigstore.json)"
        );
    }
    // Read every input (and resolve every image) before asking for a certificate.
    let format = super::image::format(&args.registry_format)?;
    let mut images = Vec::new();
    let mut files = Vec::new();
    for f in &args.files {
        if super::image::is_image(f, &args.images) {
            images.push(super::image::open(f, &args.images, true)?);
        } else {
            files.push(f.clone());
        }
    }
    if !images.is_empty() && args.bundle.is_some() {
        bail!("--bundle names a file's bundle; image signatures are stored in the registry");
    }
    let mut digests = Vec::new();
    for f in &files {
        let d = chainproof_attest::sha256_file(f)
            .with_context(|| format!("reading {}", f.display()))?;
        digests.push(d);
    }
    let (signer, what) = signer(&args.services)?;
    eprintln!(
        "signing {} file(s) and {} image(s), {what}",
        files.len(),
        images.len()
    );
    for t in &images {
        let stored = t
            .registry
            .publish_signature(&t.image, &t.subject, &signer, format)
            .with_context(|| format!("signing {}", t.image))?;
        for p in stored {
            println!("signed {} -> {}: {}", t.image, p.kind, p.location);
        }
    }
    for (file, digest) in files.iter().zip(&digests) {
        let out = args.bundle.clone().unwrap_or_else(|| {
            let mut p = PathBuf::from(file);
            p.as_mut_os_string().push(".sigstore.json");
            p
        });
        let bundle = signer
            .sign_digest(digest)
            .with_context(|| format!("signing {}", file.display()))?;
        write_bundle(&out, &bundle)?;
        println!(
            "signed {} (sha256:{}) -> {}",
            file.display(),
            chainproof_attest::hex(digest),
            out.display()
        );
    }
    Ok(Outcome::Clean)
}
