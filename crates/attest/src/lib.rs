//! Sigstore signing, in-toto attestations and verification with policy (`chainproof sign`, `attest`,
//! `verify`, `key generate`).
//!
//! # Library choice
//!
//! Built on the Sigstore project's `sigstore-rust` crates (`sigstore-sign`, `sigstore-verify`,
//! `sigstore-trust-root`, `sigstore-types`, `sigstore-bundle`, `sigstore-crypto`, 0.15.1), not on the
//! older `sigstore` crate (sigstore-rs 0.15). The evidence (shared/notes/sigstore.md, and the sources
//! read for this crate):
//!
//! - sigstore-rs's keyless `SigningContext` needs a crate-private `Keyring`, so it cannot sign against a
//!   private Fulcio/Rekor (sigstore-rs#562); it writes only v0.2 bundles, has no DSSE/in-toto signing and
//!   no TSA client; its verifier accepted a bundle whose Rekor SET, inclusion proof and checkpoint were
//!   random bytes (every other client rejected it); its token parser requires an `email` claim, which CI
//!   tokens do not have.
//! - sigstore-rust signs against any URLs (`SigningServices::new(fulcio, rekor).with_tsa_url(..)` or a
//!   v0.2 signing config), signs DSSE in-toto statements, asks a TSA for RFC 3161 timestamps, writes
//!   v0.3 bundles, and verifies the whole chain: certificate chain and SCT against the trusted root,
//!   inclusion proof against the signed checkpoint, SET, timestamps, signature over the artifact or the
//!   DSSE PAE, and the statement's subject digest. It verifies managed-key bundles
//!   (`PublicKeyVerificationPolicy`) and exposes every Fulcio CI extension (`FulcioCiClaims`), which our
//!   identity policy checks. Its crypto is aws-lc-rs, the provider the rest of the workspace uses (no
//!   `ring`, no OpenSSL). Its TUF client is left out (`default-features = false`): the public-good
//!   trusted root and signing config embedded in `sigstore-trust-root` are the defaults, and
//!   `--trusted-root`/`--signing-config` files select any other instance.
//! - What sigstore-rust lacks, this crate adds: long-lived keys (cosign's encrypted key format,
//!   implemented in [`keys`] with scrypt + NaCl secretbox over a PKCS#8 P-256 key: sigstore-rs is not
//!   needed for that), bundles with a public-key hint, regular-expression identities, the
//!   `gh attestation verify`-style repository/ref/workflow checks, and policies that require a set of
//!   attestations.
//!
//! # Layout
//!
//! - [`token`]: the OIDC identity token (flag, `SIGSTORE_ID_TOKEN`, the GitHub Actions runner request).
//! - [`services`]: which Fulcio/Rekor/TSA to use and which trusted root to verify against.
//! - [`sign`]: [`Signer`] (keyless or key), `sign_digest`/`sign_blob`/`attest` on digests, so callers
//!   without a file (container images) sign a manifest digest the same way.
//! - [`statement`]: in-toto Statement v1, predicate types, SLSA provenance built from the CI environment.
//! - [`keys`]: `chainproof key generate` and cosign-compatible encrypted private keys.
//! - [`oci`]: container images in a registry: references, a small registry client (auth from the
//!   docker config or env), signatures and attestations as OCI 1.1 referrers or in cosign's tags.
//! - [`verify`]: bundle verification, identity policy, Fulcio extensions, errors that name the check.
//! - [`policy`]: the `--policy` file (schema in `schemas/verify-policy.json`).

pub mod keys;
pub mod oci;
pub mod policy;
pub mod services;
pub mod sign;
pub mod statement;
pub mod token;
pub mod verify;

pub use keys::{KeyError, PrivateKey};
pub use policy::Policy;
pub use services::{Services, TrustedRoot};
pub use sign::{SignError, Signer};
pub use sigstore_types::Bundle;
pub use statement::{PredicateKind, Statement, Subject};
pub use token::{TokenError, TokenSource};
pub use verify::{Verified, VerifyError, VerifyRequest};

/// The bundle media type we write.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A lower-case hex string of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<[u8; 32]> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// A current-thread tokio runtime for the async Sigstore clients; the CLI stays synchronous.
pub(crate) fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}
