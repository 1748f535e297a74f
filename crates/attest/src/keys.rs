//! Long-lived ECDSA P-256 keys in cosign's format, so keys move between cosign and chainproof.
//!
//! `PREFIX.key` is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign also wrote `ENCRYPTED COSIGN
//! PRIVATE KEY`; both are read) whose body is the JSON of go-securesystemslib's `encrypted` package:
//! `{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},"cipher":{"name":"nacl/secretbox",
//! "nonce":B64},"ciphertext":B64}`, the ciphertext being NaCl secretbox (XSalsa20-Poly1305) of the
//! PKCS#8 DER private key under `scrypt(password, salt, N, r, p)` (32 bytes). `PREFIX.pub` is the
//! SubjectPublicKeyInfo in a `PUBLIC KEY` PEM block. A plain PKCS#8 `PRIVATE KEY` PEM is read too.
//!
//! Passwords come from `CHAINPROOF_PASSWORD`, else `COSIGN_PASSWORD` (an empty value is an empty
//! password, as in cosign); there is no prompt, since this runs in pipelines. Key material never
//! appears in errors or logs; key files are created with mode 0600 and never overwritten.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead, KeyInit};
use serde::{Deserialize, Serialize};
use sigstore_crypto::KeyPair;
use sigstore_types::DerPublicKey;

const PEM_ENCRYPTED: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
const PEM_ENCRYPTED_COSIGN: &str = "ENCRYPTED COSIGN PRIVATE KEY";
const PEM_PKCS8: &str = "PRIVATE KEY";
const PEM_PUBLIC: &str = "PUBLIC KEY";
/// go-securesystemslib's defaults, which cosign uses.
const SCRYPT_LOG_N: u8 = 15;
/// Upper bounds for the scrypt parameters of a key file we read.
const MAX_SCRYPT_N: u64 = 1 << 20;
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no password for the private key: set CHAINPROOF_PASSWORD (or COSIGN_PASSWORD); an empty \
         value means an empty password"
    )]
    NoPassword,
    #[error("cannot decrypt the private key {0}: wrong password, or the key file is damaged")]
    WrongPassword(String),
    #[error("{path} is not a key chainproof reads: {reason}")]
    Format { path: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} exists; not overwriting a key file")]
    Exists(String),
    #[error("key generation failed: {0}")]
    Crypto(String),
}

/// The password from `CHAINPROOF_PASSWORD`, else `COSIGN_PASSWORD`.
pub fn password_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<String, KeyError> {
    env("CHAINPROOF_PASSWORD")
        .or_else(|| env("COSIGN_PASSWORD"))
        .ok_or(KeyError::NoPassword)
}

/// An ECDSA P-256 private key (never printed: `Debug` shows the public key's fingerprint only).
pub struct PrivateKey {
    pub(crate) pair: KeyPair,
    pkcs8: Vec<u8>,
    public: DerPublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey(P-256, public {})", self.hint())
    }
}

#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}
#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}
#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}
#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

fn random<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut b = [0u8; N];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| KeyError::Crypto("no randomness".into()))?;
    Ok(b)
}

fn scrypt_key(password: &str, salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], String> {
    let params = scrypt::Params::new(log_n, r, p, 32).map_err(|e| e.to_string())?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), salt, &params, &mut key).map_err(|e| e.to_string())?;
    Ok(key)
}

impl PrivateKey {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
        let doc = EcdsaKeyPair::generate_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
        Self::from_pkcs8(doc.as_ref().to_vec()).map_err(KeyError::Crypto)
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Self, String> {
        let pair = KeyPair::from_pkcs8_der(&pkcs8).map_err(|e| e.to_string())?;
        if pair.algorithm() != sigstore_crypto::KeyAlgorithm::EcdsaP256 {
            return Err(format!(
                "a {:?} key; only ECDSA P-256 is supported",
                pair.algorithm()
            ));
        }
        let public = pair.public_key_der().map_err(|e| e.to_string())?;
        Ok(PrivateKey {
            pair,
            pkcs8,
            public,
        })
    }

    /// The key in cosign's encrypted PEM format.
    pub fn to_encrypted_pem(&self, password: &str) -> Result<String, KeyError> {
        let salt: [u8; 32] = random()?;
        let nonce: [u8; 24] = random()?;
        let key = scrypt_key(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
            .map_err(KeyError::Crypto)?;
        let cipher = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        let ciphertext = cipher
            .encrypt(&nonce.into(), self.pkcs8.as_slice())
            .map_err(|_| KeyError::Crypto("secretbox encryption failed".into()))?;
        let body = Encrypted {
            kdf: Kdf {
                name: "scrypt".into(),
                params: KdfParams {
                    n: 1 << SCRYPT_LOG_N,
                    r: SCRYPT_R,
                    p: SCRYPT_P,
                },
                salt: salt.to_vec(),
            },
            cipher: Cipher {
                name: "nacl/secretbox".into(),
                nonce: nonce.to_vec(),
            },
            ciphertext,
        };
        let json = serde_json::to_vec(&body).map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(pem_encode(PEM_ENCRYPTED, &json))
    }

    /// Reads an encrypted cosign/sigstore key (or a plain PKCS#8 one); `path` names it in errors.
    pub fn from_pem(text: &str, password: Option<&str>, path: &str) -> Result<Self, KeyError> {
        let format = |reason: String| KeyError::Format {
            path: path.to_owned(),
            reason,
        };
        let (label, der) = pem_decode(text).ok_or_else(|| format("no PEM block".into()))?;
        let pkcs8 = match label.as_str() {
            PEM_ENCRYPTED | PEM_ENCRYPTED_COSIGN => {
                let password = password.ok_or(KeyError::NoPassword)?;
                let enc: Encrypted = serde_json::from_slice(&der)
                    .map_err(|e| format(format!("the encrypted key is not cosign's JSON: {e}")))?;
                if enc.kdf.name != "scrypt" || enc.cipher.name != "nacl/secretbox" {
                    return Err(format(format!(
                        "unsupported encryption {}/{} (cosign writes scrypt/nacl/secretbox)",
                        enc.kdf.name, enc.cipher.name
                    )));
                }
                // Bounded so a crafted key file cannot make us spend gigabytes or hours (cosign
                // writes N=32768, r=8, p=1: 32 MiB).
                let (n, r, p) = (enc.kdf.params.n, enc.kdf.params.r, enc.kdf.params.p);
                if !n.is_power_of_two()
                    || !(2..=MAX_SCRYPT_N).contains(&n)
                    || !(1..=MAX_SCRYPT_R).contains(&r)
                    || !(1..=MAX_SCRYPT_P).contains(&p)
                    || 128 * n * u64::from(r) > MAX_SCRYPT_MEMORY
                {
                    return Err(format(format!(
                        "scrypt parameters N={n}, r={r}, p={p} are out of range (N a power of two \
                         <= 2^20, r <= {MAX_SCRYPT_R}, p <= {MAX_SCRYPT_P}, at most 1 GiB of memory)"
                    )));
                }
                let log_n = n.trailing_zeros() as u8;
                let key = scrypt_key(
                    password,
                    &enc.kdf.salt,
                    log_n,
                    enc.kdf.params.r,
                    enc.kdf.params.p,
                )
                .map_err(|e| format(format!("scrypt parameters: {e}")))?;
                let nonce: [u8; 24] = enc
                    .cipher
                    .nonce
                    .as_slice()
                    .try_into()
                    .map_err(|_| format("the nonce is not 24 bytes".into()))?;
                crypto_secretbox::XSalsa20Poly1305::new(&key.into())
                    .decrypt(&nonce.into(), enc.ciphertext.as_slice())
                    .map_err(|_| KeyError::WrongPassword(path.to_owned()))?
            }
            PEM_PKCS8 => der,
            other => {
                return Err(format(format!(
                    "a `{other}` PEM block; expected `{PEM_ENCRYPTED}` or `{PEM_PKCS8}`"
                )));
            }
        };
        Self::from_pkcs8(pkcs8).map_err(format)
    }

    /// Reads a private key file with the password from the environment (when it is encrypted).
    pub fn read(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let password = password_from_env(env).ok();
        Self::from_pem(&text, password.as_deref(), &path.display().to_string())
    }

    /// The public key (SubjectPublicKeyInfo DER).
    pub fn public_key(&self) -> &DerPublicKey {
        &self.public
    }

    /// The public key as a `PUBLIC KEY` PEM.
    pub fn public_pem(&self) -> String {
        pem_encode(PEM_PUBLIC, self.public.as_bytes())
    }

    /// The bundle's public-key hint: hex SHA-256 of the SubjectPublicKeyInfo DER.
    pub fn hint(&self) -> String {
        key_hint(&self.public)
    }
}

/// The hint chainproof writes for a public key: hex SHA-256 of its SubjectPublicKeyInfo DER.
pub fn key_hint(public: &DerPublicKey) -> String {
    crate::hex(&crate::sha256(public.as_bytes()))
}

/// Reads a `PUBLIC KEY` PEM file.
pub fn read_public_key(path: &Path) -> Result<DerPublicKey, KeyError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: p.clone(),
        source,
    })?;
    let format = |reason: String| KeyError::Format {
        path: p.clone(),
        reason,
    };
    match pem_decode(&text) {
        Some((label, der)) if label == PEM_PUBLIC => {
            let key = DerPublicKey::new(der);
            sigstore_crypto::VerificationKey::from_spki(&key)
                .map_err(|e| format(format!("not a usable public key: {e}")))?;
            Ok(key)
        }
        Some((label, _)) => Err(format(format!(
            "a `{label}` PEM block; expected `{PEM_PUBLIC}`"
        ))),
        None => Err(format("no PEM block".into())),
    }
}

/// `chainproof key generate --output PREFIX`: writes PREFIX.key (0600, encrypted) and PREFIX.pub.
pub fn generate_files(prefix: &Path, password: &str) -> Result<PrivateKey, KeyError> {
    let key = PrivateKey::generate()?;
    let key_path = prefix.with_file_name(format!(
        "{}.key",
        prefix
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let pub_path = key_path.with_extension("pub");
    for p in [&key_path, &pub_path] {
        if p.exists() {
            return Err(KeyError::Exists(p.display().to_string()));
        }
    }
    let pem = key.to_encrypted_pem(password)?;
    write_new(&key_path, pem.as_bytes(), 0o600)?;
    write_new(&pub_path, key.public_pem().as_bytes(), 0o644)?;
    Ok(key)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    use std::io::Write;
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block: its label and decoded body.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest.find(&end_marker)?;
    let body: String = rest
        .get(body_start..body_end)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some((label.to_owned(), STANDARD.decode(body).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_round_trip_and_wrong_password() {
        let key = PrivateKey::generate().expect("generate");
        let pem = key.to_encrypted_pem("hunter2").expect("encrypt");
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let (_, body) = pem_decode(&pem).expect("pem");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["kdf"]["params"]["N"], 32768);
        assert_eq!(v["cipher"]["name"], "nacl/secretbox");
        let back = PrivateKey::from_pem(&pem, Some("hunter2"), "k").expect("decrypt");
        assert_eq!(back.public_key().as_bytes(), key.public_key().as_bytes());
        let err = PrivateKey::from_pem(&pem, Some("wrong"), "k").expect_err("wrong password");
        assert!(matches!(err, KeyError::WrongPassword(_)));
        assert!(!err.to_string().contains("hunter2"));
        assert!(matches!(
            PrivateKey::from_pem(&pem, None, "k"),
            Err(KeyError::NoPassword)
        ));
    }

    /// A crafted key file cannot ask for unbounded scrypt work or memory.
    #[test]
    fn scrypt_parameters_are_bounded() {
        let key = PrivateKey::generate().expect("generate");
        let pem = key.to_encrypted_pem("pw").expect("encrypt");
        let (label, body) = pem_decode(&pem).expect("pem");
        for (field, value) in [("N", 1u64 << 21), ("r", 1000), ("p", 1000), ("r", 0)] {
            let mut v: serde_json::Value = serde_json::from_slice(&body).expect("json");
            v["kdf"]["params"][field] = serde_json::json!(value);
            let crafted = pem_encode(&label, v.to_string().as_bytes());
            let e = PrivateKey::from_pem(&crafted, Some("pw"), "k")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("out of range"), "{field}={value}: {e}");
        }
        // N=2^20 with r=8 is 1 GiB: the limit, accepted as parameters (not run here).
        let mut v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        v["kdf"]["params"]["N"] = serde_json::json!(1u64 << 20);
        v["kdf"]["params"]["r"] = serde_json::json!(16);
        let crafted = pem_encode(&label, v.to_string().as_bytes());
        let e = PrivateKey::from_pem(&crafted, Some("pw"), "k")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("out of range"), "2 GiB: {e}");
    }

    #[test]
    fn password_env_order() {
        let env = |k: &str| match k {
            "COSIGN_PASSWORD" => Some("c".to_owned()),
            _ => None,
        };
        assert_eq!(password_from_env(&env).ok().as_deref(), Some("c"));
        assert!(matches!(
            password_from_env(&|_| None),
            Err(KeyError::NoPassword)
        ));
    }
}
