//! Signing: keyless (Fulcio certificate, Rekor entry, RFC 3161 timestamp when a TSA is configured) or
//! with a long-lived key (a bundle with a public-key hint). Everything works on digests, so a caller
//! without a file (a container image's manifest digest) signs and attests the same way:
//! [`Signer::sign_digest`] and [`Signer::attest`].
//!
//! Key-signed bundles are uploaded to Rekor v1 like cosign does (a `hashedrekord` or `dsse` entry whose
//! verifier is the public key; sigstore-rust's Rekor client only builds certificate-bound requests, so
//! the request is ours and the answer goes through its `LogEntry::to_bundle_entry`), unless the caller
//! passes no Rekor URL (`--tlog-upload=false`); they get an RFC 3161 timestamp when a TSA URL is given.
//! A bundle needs one or the other (verifiers reject a bundle with neither), so signing refuses that.

use sigstore_bundle::{BundleV03, VerificationMaterialV03};
use sigstore_oidc::IdentityToken;
use sigstore_types::bundle::{MessageDigest, MessageSignature};
use sigstore_types::{
    Bundle, DsseEnvelope, DsseSignature, HashAlgorithm, KeyId, PayloadBytes, Sha256Hash,
    SignatureContent,
};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sigstore_rekor::LogEntry;
use sigstore_types::KindVersion;

use crate::keys::PrivateKey;
use crate::services::Services;
use crate::statement::{PAYLOAD_TYPE, Statement};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("keyless signing failed: {0}")]
    Sigstore(#[from] sigstore_sign::Error),
    #[error("signing with the key failed: {0}")]
    Key(String),
    #[error("the timestamp authority {url} failed: {reason}")]
    Timestamp { url: String, reason: String },
    #[error("the Rekor log {url} failed: {reason}")]
    Rekor { url: String, reason: String },
    #[error("the statement cannot be serialised: {0}")]
    Statement(String),
    #[error("{0}")]
    Runtime(#[from] std::io::Error),
}

enum Kind {
    Keyless(Box<sigstore_sign::Signer>),
    Key {
        key: Box<PrivateKey>,
        rekor_url: Option<String>,
        tsa_url: Option<String>,
    },
}

/// Signs digests and in-toto statements into Sigstore bundles (v0.3).
pub struct Signer {
    kind: Kind,
}

impl Signer {
    /// Keyless: an ephemeral key certified by Fulcio for `token`'s identity, logged in Rekor.
    pub fn keyless(services: &Services, token: IdentityToken) -> Self {
        let context = sigstore_sign::SigningContext::new(services.inner.clone());
        Signer {
            kind: Kind::Keyless(Box::new(context.signer(token))),
        }
    }

    /// With a long-lived key: logged in the Rekor v1 at `rekor_url` (`None`: not logged), with an
    /// RFC 3161 timestamp from `tsa_url`. At least one of the two is required.
    pub fn with_key(
        key: PrivateKey,
        rekor_url: Option<String>,
        tsa_url: Option<String>,
    ) -> Result<Self, SignError> {
        if rekor_url.is_none() && tsa_url.is_none() {
            return Err(SignError::Key(
                "a key-signed bundle needs a Rekor entry or an RFC 3161 timestamp (verifiers reject \
                 one with neither): keep the transparency log upload or give --tsa-url"
                    .into(),
            ));
        }
        Ok(Signer {
            kind: Kind::Key {
                key: Box::new(key),
                rekor_url,
                tsa_url,
            },
        })
    }

    /// Signs an artifact by its SHA-256 digest (a hashedrekord / message-signature bundle).
    pub fn sign_digest(&self, sha256: &[u8; 32]) -> Result<Bundle, SignError> {
        let digest = Sha256Hash::new(*sha256);
        match &self.kind {
            Kind::Keyless(signer) => Ok(crate::block_on(signer.sign(digest))??),
            Kind::Key {
                key,
                rekor_url,
                tsa_url,
            } => {
                let sig = key
                    .pair
                    .sign_digest(&digest)
                    .map_err(|e| SignError::Key(e.to_string()))?;
                let entry = json!({
                    "apiVersion": "0.0.1",
                    "kind": "hashedrekord",
                    "spec": {
                        "data": {"hash": {"algorithm": "sha256", "value": crate::hex(sha256)}},
                        "signature": {
                            "content": STANDARD.encode(sig.as_bytes()),
                            "publicKey": {"content": STANDARD.encode(key.public_pem())},
                        },
                    },
                });
                let content = SignatureContent::MessageSignature(
                    MessageSignature::new(sig.clone()).with_message_digest(MessageDigest::new(
                        HashAlgorithm::Sha2256,
                        digest.into(),
                    )),
                );
                let tlog = (rekor_url.as_deref(), entry, KindVersion::HashedRekordV001);
                finish_key_bundle(key, content, &sig, tlog, tsa_url.as_deref())
            }
        }
    }

    /// Signs a file's content (its SHA-256 digest, streamed).
    pub fn sign_file(&self, path: &std::path::Path) -> Result<Bundle, SignError> {
        self.sign_digest(&crate::sha256_file(path)?)
    }

    /// Signs an in-toto statement as a DSSE envelope (payloadType `application/vnd.in-toto+json`).
    pub fn attest(&self, statement: &Statement) -> Result<Bundle, SignError> {
        let payload =
            serde_json::to_vec(statement).map_err(|e| SignError::Statement(e.to_string()))?;
        match &self.kind {
            Kind::Keyless(signer) => Ok(crate::block_on(signer.sign_raw_statement(&payload))??),
            Kind::Key {
                key,
                rekor_url,
                tsa_url,
            } => {
                let pae = sigstore_types::pae(PAYLOAD_TYPE, &payload);
                let sig = key
                    .pair
                    .sign(&pae)
                    .map_err(|e| SignError::Key(e.to_string()))?;
                let envelope = DsseEnvelope::new(
                    PAYLOAD_TYPE,
                    PayloadBytes::new(payload),
                    DsseSignature::new(sig.clone(), KeyId::default()),
                );
                let envelope_json = serde_json::to_string(&envelope)
                    .map_err(|e| SignError::Statement(e.to_string()))?;
                let entry = json!({
                    "apiVersion": "0.0.1",
                    "kind": "dsse",
                    "spec": {"proposedContent": {
                        "envelope": envelope_json,
                        "verifiers": [STANDARD.encode(key.public_pem())],
                    }},
                });
                let tlog = (rekor_url.as_deref(), entry, KindVersion::DsseV001);
                finish_key_bundle(
                    key,
                    SignatureContent::DsseEnvelope(envelope),
                    &sig,
                    tlog,
                    tsa_url.as_deref(),
                )
            }
        }
    }
}

fn finish_key_bundle(
    key: &PrivateKey,
    content: SignatureContent,
    sig: &sigstore_types::SignatureBytes,
    (rekor_url, entry, kind): (Option<&str>, serde_json::Value, KindVersion),
    tsa_url: Option<&str>,
) -> Result<Bundle, SignError> {
    let mut bundle = BundleV03::new(
        VerificationMaterialV03::PublicKey { hint: key.hint() },
        content,
    );
    if let Some(url) = rekor_url {
        let entry = crate::block_on(rekor_upload(url, &entry))??;
        let entry = entry.to_bundle_entry(kind).map_err(|e| SignError::Rekor {
            url: url.to_owned(),
            reason: format!("unusable answer: {e}"),
        })?;
        bundle = bundle.with_tlog_entry(entry);
    }
    if let Some(url) = tsa_url {
        let err = |reason: String| SignError::Timestamp {
            url: url.to_owned(),
            reason,
        };
        let client = sigstore_sign::tsa::TimestampClient::builder(url)
            .build()
            .map_err(|e| err(e.to_string()))?;
        let token =
            crate::block_on(client.timestamp_signature(sig))?.map_err(|e| err(e.to_string()))?;
        bundle = bundle.with_rfc3161_timestamp(token);
    }
    Ok(bundle.into_bundle())
}

/// POSTs a Rekor v1 entry; the answer is `{uuid: entry}`.
async fn rekor_upload(url: &str, entry: &serde_json::Value) -> Result<LogEntry, SignError> {
    let err = |reason: String| SignError::Rekor {
        url: url.to_owned(),
        reason,
    };
    let endpoint = format!("{}/api/v1/log/entries", url.trim_end_matches('/'));
    let body = serde_json::to_vec(entry).map_err(|e| err(e.to_string()))?;
    let response = crate::token::http_client()
        .map_err(err)?
        .post(&endpoint)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| err(e.to_string()))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| err(e.to_string()))?;
    if !status.is_success() {
        return Err(err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
        )));
    }
    let entries: std::collections::BTreeMap<String, LogEntry> =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("unexpected answer: {e}")))?;
    entries
        .into_values()
        .next()
        .ok_or_else(|| err("empty answer".into()))
}
