//! Container images in an OCI registry: image references, a small registry client, and where
//! signatures and attestations are stored next to an image (`chainproof sign|attest|verify IMAGE@DIGEST`).
//!
//! # Registry client: ours, on the workspace's reqwest 0.13
//!
//! `oci-client` 0.18 (oras-project/rust-oci-client) was evaluated: it is built on reqwest 0.13 too, so
//! it adds no second HTTP stack and no `ring`/OpenSSL (checked with `cargo tree -i ring`,
//! `-i openssl-sys`, `-d` in a scratch crate), but 12 crates we do not have (`oci-spec` with its
//! `derive_builder`/`getset`/`strum` macros, `olpc-cjson`, `http-auth`, `konst`, ...). What we need
//! and it does not do: credentials from the docker config file (it takes a ready `RegistryAuth`; its
//! `docker_credential` use is a dev-dependency), docker `identitytoken`s (OAuth2 refresh tokens), the
//! write side of the referrers tag schema (it reads the fallback tag but never updates it), and
//! cosign's tag layouts. We would have used it for a handful of raw calls only, so the client here
//! is the few distribution-API requests we need, on the reqwest the crate already uses: manifests
//! (GET/PUT), blobs (HEAD, GET, monolithic POST+PUT upload), referrers (GET), tags (GET), the
//! `WWW-Authenticate` Bearer token flow and Basic auth.
//!
//! # Rules
//!
//! - References: `[REGISTRY/]REPOSITORY[:TAG][@sha256:HEX]`; a first component with a `.` or `:`, or
//!   `localhost`, is the registry, otherwise it is Docker Hub (`docker.io`, `library/` for one-part
//!   names). Only `sha256` digests.
//! - Signing needs a digest: a tag is never signed ([`ImageRef::require_digest`] refuses it and
//!   names the digest the tag points to now, so the user signs what they checked). A digest is
//!   always confirmed: the manifest is fetched, its SHA-256 computed and compared with the reference
//!   and with the registry's `Docker-Content-Digest` header.
//! - Transport: https, certificates verified. Plain http only for loopback registries (`localhost`,
//!   `127.0.0.1`, `[::1]`), tried when https fails, or for any registry with
//!   [`RegistryOptions::allow_insecure`] (`--allow-insecure-registry`).
//! - Credentials, first found wins: `CHAINPROOF_REGISTRY_USERNAME` + `CHAINPROOF_REGISTRY_PASSWORD`
//!   for the one registry named by `CHAINPROOF_REGISTRY` (`host[:port]`; the username set without it
//!   is an error naming the variable); then the docker config file
//!   (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): `auths.<registry>.auth`
//!   (base64 `user:password`), `username`/`password`, or `identitytoken` (exchanged at the token
//!   endpoint, `grant_type=refresh_token`). **Credential helpers (`credsStore`, `credHelpers`) are not
//!   run**: when one is configured for the registry and it asks for credentials, the error says so
//!   and names the environment variables to use instead. Credentials never appear in errors.
//! - Credentials (and tokens) go only to the registry's own scheme, host and port, and to the token
//!   realm its challenge names; an upload `Location` elsewhere is refused, redirects never go from
//!   https to plain http, and a 401 from any other origin is not answered.
//! - Reading ([`Registry::find`]) is bounded: every digest from the registry must be
//!   `sha256:` + 64 lowercase hex, one bundle (manifest or blob) at most [`BUNDLE_LIMIT`] bytes
//!   (checked against the descriptor's `size` before fetching and the body after), and at most
//!   [`FIND_BUDGET`] bytes for one `find`.
//!
//! # Where bundles go
//!
//! - [`Format::Referrers`] (default), cosign's bundle spec (`specs/BUNDLE_SPEC.md`): the bundle is a
//!   blob; an artifact manifest (`artifactType` [`crate::BUNDLE_MEDIA_TYPE`], the empty config, one
//!   layer = the bundle, `subject` = the image manifest, annotations `dev.sigstore.bundle.content`,
//!   `dev.sigstore.bundle.predicateType`, `org.opencontainers.image.created`) is pushed by digest.
//!   A registry that answers the push with `OCI-Subject` indexes it; otherwise (distribution 2.8) the
//!   referrers tag schema: the index at tag `sha256-<hex>` is read, the descriptor added, and
//!   written back (read-modify-write; two writers racing can lose an entry, as with every client
//!   of the fallback).
//! - [`Format::Cosign`], cosign's tag layout (`specs/SIGNATURE_SPEC.md`, `ATTESTATION_SPEC.md`):
//!   `sha256-<hex>.sig` holds an image manifest whose layers are simple-signing payloads
//!   (`application/vnd.dev.cosign.simplesigning.v1+json`, naming the image digest) with the
//!   signature, certificate, Rekor bundle (SET) and RFC 3161 timestamp as layer annotations
//!   (`dev.cosignproject.cosign/signature`, `dev.sigstore.cosign/certificate`,
//!   `dev.sigstore.cosign/bundle`, `dev.sigstore.cosign/rfc3161timestamp`); `sha256-<hex>.att` holds
//!   DSSE envelopes (`application/vnd.dsse.envelope.v1+json`, annotation `predicateType`). The
//!   signature there covers the payload, not the manifest digest, so a `.sig` layer is a second
//!   signature. Each layer also carries the v0.3 bundle's verification material (inclusion proof and
//!   all) in [`VERIFICATION_MATERIAL_ANNOTATION`], so chainproof verifies these layers as fully as
//!   referrer bundles. Layers are appended to what the tag already holds.
//! - [`Registry::find`]: the referrers API, else the fallback tag, then the cosign tags.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::sign::{SignError, Signer};
use crate::statement::Statement;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Our layer annotation on cosign-layout layers: the v0.3 bundle without its content.
pub const VERIFICATION_MATERIAL_ANNOTATION: &str = "dev.chainproof/sigstore-verification-material";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";
const EMPTY_JSON: &[u8] = b"{}";
const MANIFEST_LIMIT: usize = 4 << 20;
/// The largest manifest or bundle blob [`Registry::find`] fetches.
pub const BUNDLE_LIMIT: usize = 4 << 20;
/// The most bytes one [`Registry::find`] fetches in all.
pub const FIND_BUDGET: usize = 64 << 20;
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("invalid image reference {reference:?}: {reason}")]
    Reference { reference: String, reason: String },
    #[error(
        "{reference} names a tag, and tags move: sign the digest it points to now instead: \
         {resolved}"
    )]
    TagNotDigest { reference: String, resolved: String },
    #[error("registry {registry}: {reason}")]
    Registry { registry: String, reason: String },
    #[error("registry {registry}: authentication failed: {reason}")]
    Auth { registry: String, reason: String },
    #[error("registry {registry}: digest mismatch: {reason}")]
    Digest { registry: String, reason: String },
    #[error("docker config {path}: {reason}")]
    Config { path: String, reason: String },
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error("{0}")]
    Runtime(#[from] std::io::Error),
}

// --- references -----------------------------------------------------------------------------------

/// An image reference: `registry/repository[:tag][@sha256:hex]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As written (`docker.io` for Docker Hub), with its port.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A repository path component: `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, OciError> {
        let bad = |reason: &str| OciError::Reference {
            reference: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("empty, too long, or has whitespace"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if !is_sha256_digest(d) {
                    return Err(bad(
                        "the digest must be sha256: and 64 lower-case hex digits",
                    ));
                }
                (r, Some(d.to_owned()))
            }
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if is_registry_host(first) => (first.to_owned(), path.to_owned()),
            _ => ("docker.io".to_owned(), rest.to_owned()),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_owned(), Some(t.to_owned())),
            _ => (path, None),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() || !repository.split('/').all(is_path_component) {
            return Err(bad(
                "the repository must be lower-case path components ([a-z0-9] separated by . _ -)",
            ));
        }
        if let Some(t) = &tag {
            if !is_tag(t) {
                return Err(bad("invalid tag"));
            }
        }
        if tag.is_none() && digest.is_none() {
            return Err(bad("no tag and no digest (write REPOSITORY@sha256:...)"));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Whether a command-line argument names an image rather than a file (the caller checks first
    /// that no such file exists): it holds `@sha256:`, or it starts with a registry host
    /// (`HOST.DOMAIN/`, `HOST:PORT/`, `localhost/`). Plain `name:tag` words are files.
    pub fn looks_like_image(s: &str) -> bool {
        if s.contains("@sha256:") {
            return true;
        }
        match s.split_once('/') {
            Some((first, rest)) => is_registry_host(first) && !rest.is_empty(),
            None => false,
        }
    }

    /// The digest, or an error naming the digest the tag resolves to (signing never takes a tag).
    pub fn require_digest(&self, registry: &Registry) -> Result<&str, OciError> {
        match &self.digest {
            Some(d) => Ok(d),
            None => {
                let resolved = match registry.resolve(self) {
                    Ok(desc) => format!("{}@{}", self.name(), desc.digest),
                    Err(e) => format!("(resolving it failed: {e})"),
                };
                Err(OciError::TagNotDigest {
                    reference: self.to_string(),
                    resolved,
                })
            }
        }
    }

    /// `registry/repository`, without tag or digest (cosign's `docker-reference`).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same repository at `digest`.
    pub fn at_digest(&self, digest: &str) -> ImageRef {
        ImageRef {
            tag: None,
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn is_registry_host(s: &str) -> bool {
    s == "localhost" || s.contains('.') || s.contains(':')
}

fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

/// Same scheme, host and port (the port a scheme implies counts).
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn is_loopback(registry: &str) -> bool {
    matches!(host_of(registry), "localhost" | "127.0.0.1" | "::1")
}

/// The tag the referrers tag schema and cosign use for `digest` (`sha256:x` -> `sha256-x`).
pub fn digest_tag(digest: &str) -> String {
    digest.replace(':', "-")
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::hex(&crate::sha256(bytes)))
}

/// The 32 bytes of a `sha256:<hex>` digest.
pub fn digest_bytes(digest: &str) -> Option<[u8; 32]> {
    if !is_sha256_digest(digest) {
        return None;
    }
    let hex = digest.strip_prefix("sha256:")?;
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

// --- manifests -----------------------------------------------------------------------------------

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

// --- credentials -----------------------------------------------------------------------------------

#[derive(Clone)]
enum Credential {
    Basic { username: String, password: String },
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// Where credentials came from, for messages (never the secret).
#[derive(Debug, Clone, Default)]
struct Credentials {
    credential: Option<Credential>,
    source: String,
    /// A credential helper configured for this registry, which we do not run.
    helper: Option<String>,
}

/// The keys a docker config may use for `registry`.
fn config_keys(registry: &str) -> Vec<String> {
    let mut keys = vec![registry.to_owned()];
    if matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) {
        keys.extend(
            [
                "https://index.docker.io/v1/",
                "index.docker.io",
                "docker.io",
                "registry-1.docker.io",
            ]
            .map(String::from),
        );
    }
    keys
}

/// A docker config `auths` key without its scheme and path (`https://host:5000/v1/` -> `host:5000`).
fn normalise_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn lookup_credentials(
    registry: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, OciError> {
    if let Some(username) = env("CHAINPROOF_REGISTRY_USERNAME").filter(|u| !u.is_empty()) {
        let Some(password) = env("CHAINPROOF_REGISTRY_PASSWORD") else {
            return Err(OciError::Auth {
                registry: registry.to_owned(),
                reason: "CHAINPROOF_REGISTRY_USERNAME is set without CHAINPROOF_REGISTRY_PASSWORD"
                    .into(),
            });
        };
        let Some(for_registry) = env("CHAINPROOF_REGISTRY").filter(|r| !r.trim().is_empty()) else {
            return Err(OciError::Auth {
                registry: registry.to_owned(),
                reason: "CHAINPROOF_REGISTRY_USERNAME is set without CHAINPROOF_REGISTRY (the \
                         host[:port] those credentials are for)"
                    .into(),
            });
        };
        let wanted = normalise_key(for_registry.trim());
        if config_keys(registry)
            .iter()
            .any(|k| normalise_key(k).eq_ignore_ascii_case(wanted))
        {
            return Ok(Credentials {
                credential: Some(Credential::Basic { username, password }),
                source: "CHAINPROOF_REGISTRY_USERNAME/PASSWORD".into(),
                helper: None,
            });
        }
    }
    let path = match env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir).join("config.json"),
        None => match env("HOME").filter(|h| !h.is_empty()) {
            Some(home) => std::path::PathBuf::from(home).join(".docker/config.json"),
            None => return Ok(Credentials::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credentials::default()),
        Err(e) => {
            return Err(OciError::Config {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    credentials_from_config(&text, registry, &path.display().to_string())
}

fn credentials_from_config(
    text: &str,
    registry: &str,
    path: &str,
) -> Result<Credentials, OciError> {
    let err = |reason: String| OciError::Config {
        path: path.to_owned(),
        reason,
    };
    let config: Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
    let keys = config_keys(registry);
    let mut creds = Credentials {
        source: path.to_owned(),
        ..Credentials::default()
    };
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object) {
        creds.helper = keys
            .iter()
            .find_map(|k| helpers.get(k.as_str()))
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    if creds.helper.is_none() {
        creds.helper = config
            .get("credsStore")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    }
    let Some(auths) = config.get("auths").and_then(Value::as_object) else {
        return Ok(creds);
    };
    let entry = keys.iter().find_map(|k| {
        auths
            .iter()
            .find(|(key, _)| normalise_key(key) == normalise_key(k))
            .map(|(_, v)| v)
    });
    let Some(entry) = entry else {
        return Ok(creds);
    };
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(token) = field("identitytoken") {
        creds.credential = Some(Credential::IdentityToken(token.to_owned()));
    } else if let Some(auth) = field("auth") {
        let decoded = STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                err(format!(
                    "auths.{registry}.auth is not base64 of USER:PASSWORD"
                ))
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            err(format!(
                "auths.{registry}.auth is not base64 of USER:PASSWORD"
            ))
        })?;
        creds.credential = Some(Credential::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        });
    } else if let (Some(u), Some(p)) = (field("username"), field("password")) {
        creds.credential = Some(Credential::Basic {
            username: u.to_owned(),
            password: p.to_owned(),
        });
    }
    Ok(creds)
}

// --- the client ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Allow plain http to any registry (`--allow-insecure-registry`); loopback needs no flag.
    pub allow_insecure: bool,
}

#[derive(Debug, Clone)]
enum Auth {
    Basic,
    Bearer(String),
}

/// A connection to one registry (the reference's host).
pub struct Registry {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    registry: String,
    base: Url,
    creds: Credentials,
    /// Per scope: how to authenticate, learnt from the registry's challenges.
    auth: Mutex<HashMap<String, Auth>>,
}

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Registry {
    /// Connects to `registry` (a reference's registry part): https, or plain http where allowed
    /// (see the module doc). `env` reads the credential variables, `DOCKER_CONFIG` and `HOME`.
    pub fn connect(
        registry: &str,
        options: &RegistryOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Registry, OciError> {
        let api_host = if registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            registry
        };
        let err = |reason: String| OciError::Registry {
            registry: registry.to_owned(),
            reason,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // reqwest's timers need the runtime while the client is built.
        let _guard = rt.enter();
        let http = reqwest::Client::builder()
            .user_agent(concat!("chainproof/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(120))
            .connect_timeout(std::time::Duration::from_secs(15))
            // Redirects (blob downloads go to storage elsewhere) never downgrade to plain http;
            // reqwest drops the Authorization header when the host or port changes.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt.url().scheme() != "https"
                    && attempt.previous().iter().any(|u| u.scheme() == "https");
                if downgrade {
                    attempt.error("redirect from https to plain http refused")
                } else if attempt.previous().len() > 10 {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| err(e.to_string()))?;
        let creds = lookup_credentials(registry, env)?;
        let plain_ok = options.allow_insecure || is_loopback(registry);
        let mut tried = Vec::new();
        let mut base = None;
        for scheme in ["https", "http"] {
            if scheme == "http" && !plain_ok {
                break;
            }
            let url = Url::parse(&format!("{scheme}://{api_host}/"))
                .map_err(|e| err(format!("not a host: {e}")))?;
            let ping = url.join("v2/").map_err(|e| err(e.to_string()))?;
            match rt.block_on(http.get(ping).send()) {
                Ok(_) => {
                    base = Some(url);
                    break;
                }
                Err(e) => tried.push(format!("{scheme}: {}", error_chain(&e))),
            }
        }
        let Some(base) = base else {
            let hint = if plain_ok {
                String::new()
            } else {
                " (plain http is used only for localhost/127.0.0.1 or with --allow-insecure-registry)"
                    .to_owned()
            };
            return Err(err(format!("unreachable: {}{hint}", tried.join("; "))));
        };
        Ok(Registry {
            rt,
            http,
            registry: registry.to_owned(),
            base,
            creds,
            auth: Mutex::new(HashMap::new()),
        })
    }

    /// `http` or `https`, as connected.
    pub fn scheme(&self) -> &str {
        self.base.scheme()
    }

    fn err(&self, reason: impl Into<String>) -> OciError {
        OciError::Registry {
            registry: self.registry.clone(),
            reason: reason.into(),
        }
    }

    fn url(&self, path: &str) -> Result<Url, OciError> {
        self.base
            .join(path)
            .map_err(|e| self.err(format!("bad URL {path}: {e}")))
    }

    /// One request with authentication: anonymous (or what this scope needed before) first, then
    /// the registry's challenge answered once.
    fn send(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        scope: &str,
        limit: usize,
    ) -> Result<Response, OciError> {
        // Credentials and tokens go to the registry's own origin only.
        let ours = same_origin(&url, &self.base);
        self.rt.block_on(async {
            let mut answered = !ours;
            loop {
                let mut req = self.http.request(method.clone(), url.clone());
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                if let Some(b) = body {
                    req = req.body(b.to_vec());
                }
                let known = if ours {
                    self.auth.lock().ok().and_then(|m| m.get(scope).cloned())
                } else {
                    None
                };
                match known {
                    Some(Auth::Bearer(token)) => req = req.bearer_auth(token),
                    Some(Auth::Basic) => {
                        if let Some(Credential::Basic { username, password }) =
                            &self.creds.credential
                        {
                            req = req.basic_auth(username, Some(password));
                        }
                    }
                    None => {}
                }
                let response = req
                    .send()
                    .await
                    .map_err(|e| self.err(format!("{method} {url}: {}", error_chain(&e))))?;
                let status = response.status();
                let response_headers = response.headers().clone();
                if status == StatusCode::UNAUTHORIZED && !answered {
                    answered = true;
                    let challenge = response_headers
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let auth = self.answer(&challenge, scope).await?;
                    if let Ok(mut m) = self.auth.lock() {
                        m.insert(scope.to_owned(), auth);
                    }
                    continue;
                }
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    return Err(
                        self.auth_error(&format!("{method} {} answered {status}", url.path()))
                    );
                }
                let body = read_capped(response, limit)
                    .await
                    .map_err(|e| self.err(format!("{method} {url}: {e}")))?;
                return Ok(Response {
                    status,
                    headers: response_headers,
                    body,
                });
            }
        })
    }

    fn auth_error(&self, what: &str) -> OciError {
        let mut reason = what.to_owned();
        match (&self.creds.credential, &self.creds.helper) {
            (Some(_), _) => reason.push_str(&format!(
                " with the credentials from {} (wrong user or password, or no access)",
                self.creds.source
            )),
            (None, Some(helper)) => reason.push_str(&format!(
                "; the docker config {} keeps credentials in the credential helper `{helper}` \
                 (docker-credential-{helper}), which chainproof does not run: set \
                 CHAINPROOF_REGISTRY_USERNAME and CHAINPROOF_REGISTRY_PASSWORD (with \
                 CHAINPROOF_REGISTRY={}), or put an `auths` \
                 entry in a config file named by DOCKER_CONFIG",
                self.creds.source, self.registry
            )),
            (None, None) => reason.push_str(&format!(
                "; no credentials found: set CHAINPROOF_REGISTRY_USERNAME and \
                 CHAINPROOF_REGISTRY_PASSWORD with CHAINPROOF_REGISTRY={}, or log in so that \
                 $DOCKER_CONFIG/config.json (or ~/.docker/config.json) has an `auths` entry for \
                 this registry",
                self.registry
            )),
        }
        OciError::Auth {
            registry: self.registry.clone(),
            reason,
        }
    }

    /// Answers a `WWW-Authenticate` challenge: Basic with our credentials, or a Bearer token from
    /// the realm (with our credentials, or anonymous).
    async fn answer(&self, challenge: &str, scope: &str) -> Result<Auth, OciError> {
        let (scheme, params) = parse_challenge(challenge);
        if scheme.eq_ignore_ascii_case("basic") {
            return match &self.creds.credential {
                Some(Credential::Basic { .. }) => Ok(Auth::Basic),
                Some(Credential::IdentityToken(_)) => Err(self.auth_error(
                    "the registry wants Basic auth, and the docker config holds only an identity token",
                )),
                None => Err(self.auth_error("the registry wants Basic auth")),
            };
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.auth_error(&format!(
                "unsupported authentication challenge {challenge:?}"
            )));
        }
        let realm = params
            .get("realm")
            .ok_or_else(|| self.auth_error("Bearer challenge without a realm"))?;
        let mut realm_url = Url::parse(realm)
            .map_err(|e| self.auth_error(&format!("Bearer realm {realm:?}: {e}")))?;
        let realm_host = realm_url.host_str().unwrap_or_default().to_owned();
        if realm_url.scheme() != "https" {
            let port = realm_url
                .port()
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            let plain_ok = is_loopback(&format!("{realm_host}{port}"))
                || (self.base.scheme() == "http" && realm_url.host_str() == self.base.host_str());
            if realm_url.scheme() != "http" || !plain_ok {
                return Err(self.auth_error(&format!(
                    "refusing to send credentials to the token endpoint {realm} over plain http"
                )));
            }
        }
        let service = params.get("service").cloned();
        // The challenge's scope is what the registry wants for this request; ours otherwise.
        let want_scope = params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| scope.to_owned());
        let request = match &self.creds.credential {
            Some(Credential::IdentityToken(token)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token".to_owned()),
                    ("refresh_token", token.clone()),
                    ("client_id", "chainproof".to_owned()),
                    ("scope", want_scope.clone()),
                ];
                if let Some(s) = &service {
                    form.push(("service", s.clone()));
                }
                let body = form
                    .iter()
                    .map(|(k, v)| format!("{k}={}", form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                self.http
                    .post(realm_url.clone())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
            }
            other => {
                {
                    let mut q = realm_url.query_pairs_mut();
                    if let Some(s) = &service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", &want_scope);
                }
                let mut req = self.http.get(realm_url.clone());
                if let Some(Credential::Basic { username, password }) = other {
                    req = req.basic_auth(username, Some(password));
                }
                req
            }
        };
        let response = request.send().await.map_err(|e| {
            self.auth_error(&format!("token endpoint {realm}: {}", error_chain(&e)))
        })?;
        let status = response.status();
        let body = read_capped(response, 1 << 20)
            .await
            .map_err(|e| self.auth_error(&format!("token endpoint {realm}: {e}")))?;
        if !status.is_success() {
            return Err(self.auth_error(&format!("the token endpoint {realm} answered {status}")));
        }
        let v: Value = serde_json::from_slice(&body)
            .map_err(|_| self.auth_error(&format!("the token endpoint {realm} sent no JSON")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.auth_error(&format!("the token endpoint {realm} sent no token")))?;
        Ok(Auth::Bearer(token.to_owned()))
    }

    fn pull_scope(&self, repo: &str) -> String {
        format!("repository:{repo}:pull")
    }

    fn push_scope(&self, repo: &str) -> String {
        format!("repository:{repo}:pull,push")
    }

    /// GETs a manifest by tag or digest; `None` when the registry has none. The bytes' SHA-256 is
    /// checked against a digest reference and against `Docker-Content-Digest`.
    fn get_manifest(
        &self,
        repo: &str,
        reference: &str,
        scope: &str,
    ) -> Result<Option<(Vec<u8>, Descriptor)>, OciError> {
        if !is_sha256_digest(reference) && !is_tag(reference) {
            return Err(self.err(format!(
                "{reference:?} is neither a tag nor a sha256 digest (sha256: + 64 lowercase hex)"
            )));
        }
        let url = self.url(&format!("v2/{repo}/manifests/{reference}"))?;
        let r = self.send(
            Method::GET,
            url,
            &[("Accept", ACCEPT_MANIFESTS)],
            None,
            scope,
            MANIFEST_LIMIT,
        )?;
        if r.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status.is_success() {
            return Err(self.err(format!(
                "GET manifest {repo}:{reference}: {} {}",
                r.status,
                snippet(&r.body)
            )));
        }
        let digest = sha256_digest(&r.body);
        if reference.starts_with("sha256:") && reference != digest {
            return Err(OciError::Digest {
                registry: self.registry.clone(),
                reason: format!(
                    "asked for {repo}@{reference}, the manifest served hashes to {digest}"
                ),
            });
        }
        if let Some(h) = r
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
        {
            if h != digest {
                return Err(OciError::Digest {
                    registry: self.registry.clone(),
                    reason: format!(
                        "{repo}:{reference}: Docker-Content-Digest says {h}, the manifest bytes hash \
                         to {digest}"
                    ),
                });
            }
        }
        let body_type = serde_json::from_slice::<Value>(&r.body).ok().and_then(|v| {
            v.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let header_type = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned());
        let media_type = body_type
            .or(header_type)
            .unwrap_or_else(|| OCI_MANIFEST.to_owned());
        let desc = Descriptor {
            media_type,
            digest,
            size: r.body.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
        };
        Ok(Some((r.body, desc)))
    }

    /// The manifest descriptor `image` names (its tag resolved, or its digest confirmed).
    pub fn resolve(&self, image: &ImageRef) -> Result<Descriptor, OciError> {
        let reference = image
            .digest
            .as_deref()
            .or(image.tag.as_deref())
            .ok_or_else(|| self.err("no tag or digest"))?;
        let scope = self.pull_scope(&image.repository);
        match self.get_manifest(&image.repository, reference, &scope)? {
            Some((_, desc)) => Ok(desc),
            None => Err(self.err(format!("{image}: no such manifest"))),
        }
    }

    fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<HeaderMap, OciError> {
        let url = self.url(&format!("v2/{repo}/manifests/{reference}"))?;
        let r = self.send(
            Method::PUT,
            url,
            &[("Content-Type", media_type)],
            Some(bytes),
            &self.push_scope(repo),
            MANIFEST_LIMIT,
        )?;
        if !r.status.is_success() {
            return Err(self.err(format!(
                "PUT manifest {repo}:{reference}: {} {}",
                r.status,
                snippet(&r.body)
            )));
        }
        Ok(r.headers)
    }

    /// Uploads a blob unless the repository has it (HEAD), monolithically (POST + PUT).
    fn put_blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Result<Descriptor, OciError> {
        let desc = Descriptor::of(media_type, bytes);
        let scope = self.push_scope(repo);
        let head = self.send(
            Method::HEAD,
            self.url(&format!("v2/{repo}/blobs/{}", desc.digest))?,
            &[],
            None,
            &scope,
            0,
        )?;
        if head.status.is_success() {
            return Ok(desc);
        }
        let start = self.send(
            Method::POST,
            self.url(&format!("v2/{repo}/blobs/uploads/"))?,
            &[("Content-Length", "0")],
            Some(&[]),
            &scope,
            1 << 16,
        )?;
        if start.status != StatusCode::ACCEPTED {
            return Err(self.err(format!(
                "starting a blob upload in {repo}: {} {}",
                start.status,
                snippet(&start.body)
            )));
        }
        let location = start
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.err("blob upload without a Location"))?;
        let mut url = self
            .base
            .join(location)
            .map_err(|e| self.err(format!("blob upload Location {location:?}: {e}")))?;
        if !same_origin(&url, &self.base) {
            return Err(self.err(format!(
                "blob upload Location {location:?} is not on {} (same scheme, host and port)",
                self.base
            )));
        }
        url.query_pairs_mut().append_pair("digest", &desc.digest);
        let done = self.send(
            Method::PUT,
            url,
            &[("Content-Type", "application/octet-stream")],
            Some(bytes),
            &scope,
            1 << 16,
        )?;
        if done.status != StatusCode::CREATED {
            return Err(self.err(format!(
                "uploading blob {} to {repo}: {} {}",
                desc.digest,
                done.status,
                snippet(&done.body)
            )));
        }
        Ok(desc)
    }

    fn get_blob(
        &self,
        repo: &str,
        digest: &str,
        scope: &str,
        limit: usize,
    ) -> Result<Vec<u8>, OciError> {
        if !is_sha256_digest(digest) {
            return Err(self.err(format!(
                "blob digest {digest:?} is not sha256: + 64 lowercase hex"
            )));
        }
        let r = self.send(
            Method::GET,
            self.url(&format!("v2/{repo}/blobs/{digest}"))?,
            &[],
            None,
            scope,
            limit,
        )?;
        if !r.status.is_success() {
            return Err(self.err(format!("GET blob {repo}@{digest}: {}", r.status)));
        }
        let have = sha256_digest(&r.body);
        if have != digest {
            return Err(OciError::Digest {
                registry: self.registry.clone(),
                reason: format!("blob {digest} served bytes hashing to {have}"),
            });
        }
        Ok(r.body)
    }

    /// The referrers API's index for `digest`; `None` when the registry does not implement it (404).
    fn referrers_api(&self, repo: &str, digest: &str) -> Result<Option<Index>, OciError> {
        let r = self.send(
            Method::GET,
            self.url(&format!("v2/{repo}/referrers/{digest}"))?,
            &[("Accept", OCI_INDEX)],
            None,
            &self.pull_scope(repo),
            MANIFEST_LIMIT,
        )?;
        if r.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status.is_success() {
            return Err(self.err(format!(
                "GET referrers of {repo}@{digest}: {} {}",
                r.status,
                snippet(&r.body)
            )));
        }
        serde_json::from_slice(&r.body)
            .map(Some)
            .map_err(|e| self.err(format!("referrers of {digest}: not an image index: {e}")))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)])
        .trim()
        .to_owned()
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(format!("response larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Bearer realm="...",service="...",scope="..."` -> ("Bearer", params).
fn parse_challenge(header: &str) -> (String, HashMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    (scheme.to_owned(), params)
}

// --- publishing ------------------------------------------------------------------------------------

/// Where `sign`/`attest` store bundles (`--registry-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Referrers,
    Cosign,
    Both,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "referrers" => Some(Format::Referrers),
            "cosign" => Some(Format::Cosign),
            "both" => Some(Format::Both),
            _ => None,
        }
    }

    fn referrers(self) -> bool {
        matches!(self, Format::Referrers | Format::Both)
    }

    fn cosign(self) -> bool {
        matches!(self, Format::Cosign | Format::Both)
    }
}

/// One thing written to the registry.
#[derive(Debug, Clone)]
pub struct Published {
    /// `referrer` (with `via` the API or the fallback tag), `cosign .sig`, `cosign .att`.
    pub kind: String,
    /// Where: `repo@sha256:...` of the artifact manifest, or `repo:tag`.
    pub location: String,
}

/// What the registry holds for a subject, ready for [`crate::verify::verify_bundle`].
#[derive(Debug, Clone)]
pub struct Found {
    /// Where it came from (for messages).
    pub origin: String,
    /// The bundle (JSON) to verify.
    pub bundle_json: String,
    /// The artifact digest the bundle must verify for: the image manifest digest, or for a cosign
    /// `.sig` layer the simple-signing payload's digest (after the payload was checked to name the
    /// image).
    pub artifact: [u8; 32],
    /// Set when the stored object is unusable for this image (wrong subject, malformed): the caller
    /// reports it as a failed verification.
    pub problem: Option<String>,
    /// Set for objects chainproof cannot verify and does not count (cosign-layout layers another
    /// tool wrote carry no inclusion proof): the caller reports them and verifies the rest.
    pub skipped: Option<String>,
}

/// At most this many referrers and cosign layers are read for one image (a hostile registry could
/// list millions).
const FIND_LIMIT: usize = 256;

fn bundle_value(bundle: &crate::Bundle) -> Result<Value, OciError> {
    serde_json::to_value(bundle)
        .map_err(|e| OciError::Sign(SignError::Statement(format!("bundle: {e}"))))
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

impl Registry {
    /// Signs the image manifest `subject` and stores the signature in `format`.
    pub fn publish_signature(
        &self,
        image: &ImageRef,
        subject: &Descriptor,
        signer: &Signer,
        format: Format,
    ) -> Result<Vec<Published>, OciError> {
        let digest = digest_bytes(&subject.digest)
            .ok_or_else(|| self.err(format!("unsupported digest {}", subject.digest)))?;
        let mut out = Vec::new();
        if format.referrers() {
            let bundle = signer.sign_digest(&digest)?;
            out.push(self.attach_referrer(image, subject, &bundle, None)?);
        }
        if format.cosign() {
            let payload = simple_signing_payload(image, &subject.digest);
            let bundle = signer.sign_digest(&crate::sha256(&payload))?;
            let layer = cosign_layer(SIMPLE_SIGNING, &bundle_value(&bundle)?, None)?;
            out.push(self.append_cosign(image, subject, "sig", layer, &payload)?);
        }
        Ok(out)
    }

    /// Signs `statement` (whose subject must be the image) and stores the attestation in `format`.
    pub fn publish_attestation(
        &self,
        image: &ImageRef,
        subject: &Descriptor,
        signer: &Signer,
        statement: &Statement,
        format: Format,
    ) -> Result<Vec<Published>, OciError> {
        let bundle = signer.attest(statement)?;
        let mut out = Vec::new();
        if format.referrers() {
            out.push(self.attach_referrer(
                image,
                subject,
                &bundle,
                Some(&statement.predicate_type),
            )?);
        }
        if format.cosign() {
            let v = bundle_value(&bundle)?;
            let envelope = serde_json::to_vec(&v["dsseEnvelope"])
                .map_err(|e| self.err(format!("envelope: {e}")))?;
            let layer = cosign_layer(DSSE_ENVELOPE, &v, Some(&statement.predicate_type))?;
            out.push(self.append_cosign(image, subject, "att", layer, &envelope)?);
        }
        Ok(out)
    }

    /// Pushes `bundle` as an OCI 1.1 referrer of `subject` (see the module doc).
    pub fn attach_referrer(
        &self,
        image: &ImageRef,
        subject: &Descriptor,
        bundle: &crate::Bundle,
        predicate_type: Option<&str>,
    ) -> Result<Published, OciError> {
        let repo = &image.repository;
        let json = bundle
            .to_json()
            .map_err(|e| self.err(format!("serialising the bundle: {e}")))?;
        let mut layer = self.put_blob(repo, crate::BUNDLE_MEDIA_TYPE, json.as_bytes())?;
        layer.annotations.insert(
            "org.opencontainers.image.title".into(),
            format!("{}.sigstore.json", digest_tag(&layer.digest)),
        );
        let config = self.put_blob(repo, OCI_EMPTY, EMPTY_JSON)?;
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "dev.sigstore.bundle.content".into(),
            if predicate_type.is_some() {
                "dsse-envelope"
            } else {
                "message-signature"
            }
            .to_owned(),
        );
        if let Some(p) = predicate_type {
            annotations.insert("dev.sigstore.bundle.predicateType".into(), p.to_owned());
        }
        annotations.insert("org.opencontainers.image.created".into(), now_rfc3339());
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: Some(crate::BUNDLE_MEDIA_TYPE.into()),
            config,
            layers: vec![layer],
            subject: Some(Descriptor {
                media_type: subject.media_type.clone(),
                digest: subject.digest.clone(),
                size: subject.size,
                artifact_type: None,
                annotations: BTreeMap::new(),
            }),
            annotations: annotations.clone(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| self.err(e.to_string()))?;
        let mut desc = Descriptor::of(OCI_MANIFEST, &bytes);
        let headers = self.put_manifest(repo, &desc.digest, OCI_MANIFEST, &bytes)?;
        let location = format!("{}@{}", image.name(), desc.digest);
        if headers.contains_key("oci-subject") {
            return Ok(Published {
                kind: "referrer (referrers API)".into(),
                location,
            });
        }
        // The referrers tag schema: read, add, write back.
        desc.artifact_type = Some(crate::BUNDLE_MEDIA_TYPE.into());
        desc.annotations = annotations;
        let tag = digest_tag(&subject.digest);
        let mut index = match self.get_manifest(repo, &tag, &self.push_scope(repo))? {
            Some((_, held)) if held.media_type != OCI_INDEX => {
                return Err(self.err(format!(
                    "the referrers tag {repo}:{tag} holds a {}, not an image index: not \
                     overwriting it",
                    held.media_type
                )));
            }
            Some((bytes, _)) => serde_json::from_slice::<Index>(&bytes).map_err(|e| {
                self.err(format!(
                    "the referrers tag {repo}:{tag} does not hold an image index: {e}"
                ))
            })?,
            None => Index {
                schema_version: 2,
                media_type: Some(OCI_INDEX.into()),
                manifests: Vec::new(),
            },
        };
        index.media_type = Some(OCI_INDEX.into());
        if !index.manifests.iter().any(|m| m.digest == desc.digest) {
            index.manifests.push(desc);
        }
        let bytes = serde_json::to_vec(&index).map_err(|e| self.err(e.to_string()))?;
        self.put_manifest(repo, &tag, OCI_INDEX, &bytes)?;
        Ok(Published {
            kind: format!("referrer (fallback tag {tag})"),
            location,
        })
    }

    /// Appends a layer to cosign's `sha256-<hex>.<suffix>` manifest (creating it).
    fn append_cosign(
        &self,
        image: &ImageRef,
        subject: &Descriptor,
        suffix: &str,
        mut layer: Descriptor,
        content: &[u8],
    ) -> Result<Published, OciError> {
        let repo = &image.repository;
        let blob = self.put_blob(repo, &layer.media_type, content)?;
        layer.digest = blob.digest;
        layer.size = blob.size;
        let tag = format!("{}.{suffix}", digest_tag(&subject.digest));
        let mut layers = match self.get_manifest(repo, &tag, &self.push_scope(repo))? {
            Some((bytes, _)) => {
                serde_json::from_slice::<Manifest>(&bytes)
                    .map_err(|e| {
                        self.err(format!("{repo}:{tag} does not hold an image manifest: {e}"))
                    })?
                    .layers
            }
            None => Vec::new(),
        };
        layers.retain(|l| l.digest != layer.digest || l.annotations != layer.annotations);
        layers.push(layer);
        // go-containerregistry's empty image with these layers appended, as cosign writes it.
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
        let config = json!({
            "architecture": "",
            "created": "0001-01-01T00:00:00Z",
            "history": diff_ids.iter().map(|_| json!({"created": "0001-01-01T00:00:00Z"})).collect::<Vec<_>>(),
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "config": {},
        });
        let config_bytes = serde_json::to_vec(&config).map_err(|e| self.err(e.to_string()))?;
        let config = self.put_blob(repo, OCI_CONFIG, &config_bytes)?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| self.err(e.to_string()))?;
        self.put_manifest(repo, &tag, OCI_MANIFEST, &bytes)?;
        Ok(Published {
            kind: format!("cosign .{suffix}"),
            location: format!("{}:{tag}", image.name()),
        })
    }

    /// Every bundle stored for `subject_digest` in `image`'s repository: referrers (API, else the
    /// fallback tag) with the Sigstore bundle artifact type, then cosign's `.sig` and `.att` layers.
    pub fn find(&self, image: &ImageRef, subject_digest: &str) -> Result<Vec<Found>, OciError> {
        let repo = &image.repository;
        let scope = self.pull_scope(repo);
        let subject = digest_bytes(subject_digest)
            .ok_or_else(|| self.err(format!("unsupported digest {subject_digest}")))?;
        let mut out = Vec::new();
        let mut budget = FIND_BUDGET;
        let tag = digest_tag(subject_digest);
        let (index, via) = match self.referrers_api(repo, subject_digest)? {
            Some(index) => (Some(index), "referrers API".to_owned()),
            None => match self.get_manifest(repo, &tag, &scope)? {
                Some((bytes, _)) => (
                    Some(serde_json::from_slice::<Index>(&bytes).map_err(|e| {
                        self.err(format!("{repo}:{tag} does not hold an image index: {e}"))
                    })?),
                    format!("fallback tag {tag}"),
                ),
                None => (None, String::new()),
            },
        };
        let manifests = index.map(|i| i.manifests).unwrap_or_default();
        if manifests.len() > FIND_LIMIT {
            return Err(self.err(format!(
                "{} referrers of {subject_digest}: more than the {FIND_LIMIT} chainproof reads",
                manifests.len()
            )));
        }
        for m in manifests {
            if m.artifact_type.as_deref() != Some(crate::BUNDLE_MEDIA_TYPE) {
                continue;
            }
            let origin = format!("referrer {}@{:?} ({via})", image.name(), m.digest);
            let mut found = Found {
                origin,
                bundle_json: String::new(),
                artifact: subject,
                problem: None,
                skipped: None,
            };
            match self.referrer_bundle(repo, &m, subject_digest, &scope, &mut budget) {
                Ok(json) => found.bundle_json = json,
                Err(problem) => found.problem = Some(problem),
            }
            out.push(found);
        }
        for suffix in ["sig", "att"] {
            let tag = format!("{}.{suffix}", digest_tag(subject_digest));
            let Some((bytes, _)) = self.get_manifest(repo, &tag, &scope)? else {
                continue;
            };
            budget = budget.saturating_sub(bytes.len());
            let manifest: Manifest = serde_json::from_slice(&bytes)
                .map_err(|e| self.err(format!("{repo}:{tag}: not an image manifest: {e}")))?;
            if manifest.layers.len() > FIND_LIMIT {
                return Err(self.err(format!(
                    "{repo}:{tag} has {} layers, more than the {FIND_LIMIT} chainproof reads",
                    manifest.layers.len()
                )));
            }
            for (i, layer) in manifest.layers.iter().enumerate() {
                if !layer
                    .annotations
                    .contains_key(VERIFICATION_MATERIAL_ANNOTATION)
                {
                    out.push(Found {
                        origin: format!("cosign {}:{tag} layer {i}", image.name()),
                        bundle_json: String::new(),
                        artifact: subject,
                        problem: None,
                        skipped: Some(
                            "written by another tool (no Sigstore verification material: \
                             chainproof verifies the cosign-layout layers it wrote, which carry \
                             the inclusion proof)"
                                .into(),
                        ),
                    });
                    continue;
                }
                let origin = format!("cosign {}:{tag} layer {i}", image.name());
                let mut found = Found {
                    origin,
                    bundle_json: String::new(),
                    artifact: subject,
                    problem: None,
                    skipped: None,
                };
                match self.cosign_bundle(repo, layer, subject_digest, &scope, &mut budget) {
                    Ok((json, artifact)) => {
                        found.bundle_json = json;
                        found.artifact = artifact;
                    }
                    Err(problem) => found.problem = Some(problem),
                }
                out.push(found);
            }
        }
        Ok(out)
    }

    fn referrer_bundle(
        &self,
        repo: &str,
        entry: &Descriptor,
        subject_digest: &str,
        scope: &str,
        budget: &mut usize,
    ) -> Result<String, String> {
        let digest = &entry.digest;
        charge(entry, budget)?;
        let (bytes, _) = self
            .get_manifest(repo, digest, scope)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!("the index lists {digest}, the registry has no such manifest")
            })?;
        check_size(entry, &bytes)?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| format!("not an image manifest: {e}"))?;
        match &manifest.subject {
            Some(s) if s.digest == subject_digest => {}
            Some(s) => {
                return Err(format!(
                    "the artifact's subject is {}, not {subject_digest}",
                    s.digest
                ));
            }
            None => return Err("the artifact manifest has no subject".into()),
        }
        let layer = manifest
            .layers
            .iter()
            .find(|l| l.media_type == crate::BUNDLE_MEDIA_TYPE)
            .ok_or("no Sigstore bundle layer")?;
        charge(layer, budget)?;
        let blob = self
            .get_blob(repo, &layer.digest, scope, BUNDLE_LIMIT)
            .map_err(|e| e.to_string())?;
        check_size(layer, &blob)?;
        String::from_utf8(blob).map_err(|_| "the bundle is not UTF-8".to_owned())
    }

    /// Rebuilds a v0.3 bundle from a cosign-layout layer and our verification-material annotation.
    fn cosign_bundle(
        &self,
        repo: &str,
        layer: &Descriptor,
        subject_digest: &str,
        scope: &str,
        budget: &mut usize,
    ) -> Result<(String, [u8; 32]), String> {
        let material = layer
            .annotations
            .get(VERIFICATION_MATERIAL_ANNOTATION)
            .ok_or_else(|| {
                format!(
                    "no {VERIFICATION_MATERIAL_ANNOTATION} annotation (written by another tool; \
                     chainproof verifies only the cosign-layout layers it wrote)"
                )
            })?;
        let material: Value =
            serde_json::from_str(material).map_err(|e| format!("verification material: {e}"))?;
        charge(layer, budget)?;
        let content = self
            .get_blob(repo, &layer.digest, scope, BUNDLE_LIMIT)
            .map_err(|e| e.to_string())?;
        check_size(layer, &content)?;
        let mut bundle = json!({
            "mediaType": crate::BUNDLE_MEDIA_TYPE,
            "verificationMaterial": material,
        });
        let artifact = match layer.media_type.as_str() {
            SIMPLE_SIGNING => {
                let payload: Value = serde_json::from_slice(&content)
                    .map_err(|e| format!("simple-signing payload: {e}"))?;
                let named = payload["critical"]["image"]["docker-manifest-digest"]
                    .as_str()
                    .unwrap_or_default();
                if named != subject_digest {
                    return Err(format!(
                        "the signed payload names the image {named}, not {subject_digest}"
                    ));
                }
                let signature = layer
                    .annotations
                    .get(SIGNATURE_ANNOTATION)
                    .ok_or("no signature annotation")?;
                let digest = crate::sha256(&content);
                bundle["messageSignature"] = json!({
                    "messageDigest": {"algorithm": "SHA2_256", "digest": STANDARD.encode(digest)},
                    "signature": signature,
                });
                digest
            }
            DSSE_ENVELOPE => {
                let envelope: Value =
                    serde_json::from_slice(&content).map_err(|e| format!("DSSE envelope: {e}"))?;
                bundle["dsseEnvelope"] = envelope;
                digest_bytes(subject_digest).ok_or("unsupported digest")?
            }
            other => return Err(format!("unknown layer media type {other}")),
        };
        Ok((bundle.to_string(), artifact))
    }
}

/// Checks a descriptor from the registry before fetching what it names: a valid sha256 digest, at
/// most [`BUNDLE_LIMIT`] bytes, and within what is left of the `find`'s budget (which it uses up).
fn charge(desc: &Descriptor, budget: &mut usize) -> Result<(), String> {
    if !is_sha256_digest(&desc.digest) {
        return Err(format!(
            "digest {:?} is not sha256: + 64 lowercase hex",
            desc.digest
        ));
    }
    let size = usize::try_from(desc.size).unwrap_or(usize::MAX);
    if size > BUNDLE_LIMIT {
        return Err(format!(
            "{} is {} bytes, more than the {BUNDLE_LIMIT} a bundle may have",
            desc.digest, desc.size
        ));
    }
    if size > *budget {
        return Err(format!(
            "{}: reading it would pass the {FIND_BUDGET} bytes chainproof reads for one image",
            desc.digest
        ));
    }
    *budget -= size;
    Ok(())
}

/// The bytes fetched for `desc` are as long as it said.
fn check_size(desc: &Descriptor, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 != desc.size {
        return Err(format!(
            "{}: the descriptor says {} bytes, the registry sent {}",
            desc.digest,
            desc.size,
            bytes.len()
        ));
    }
    Ok(())
}

/// cosign's simple-signing payload for `image` at `digest`.
pub fn simple_signing_payload(image: &ImageRef, digest: &str) -> Vec<u8> {
    let v = json!({
        "critical": {
            "identity": {"docker-reference": image.name()},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": null,
    });
    v.to_string().into_bytes()
}

fn pem(label: &str, der_b64: &str) -> Option<String> {
    let der = STANDARD.decode(der_b64).ok()?;
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).ok()?);
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    Some(out)
}

/// The layer descriptor (digest and size filled in later) with cosign's annotations, from a bundle.
fn cosign_layer(
    media_type: &str,
    bundle: &Value,
    predicate_type: Option<&str>,
) -> Result<Descriptor, OciError> {
    let mut a = BTreeMap::new();
    let material = &bundle["verificationMaterial"];
    let signature = if media_type == DSSE_ENVELOPE {
        // cosign writes an empty signature annotation on attestation layers.
        String::new()
    } else {
        bundle["messageSignature"]["signature"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    a.insert(SIGNATURE_ANNOTATION.to_owned(), signature);
    if let Some(p) = predicate_type {
        a.insert("predicateType".to_owned(), p.to_owned());
    }
    let cert = material["certificate"]["rawBytes"]
        .as_str()
        .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str());
    if let Some(pem) = cert.and_then(|c| pem("CERTIFICATE", c)) {
        a.insert(CERTIFICATE_ANNOTATION.to_owned(), pem);
    }
    let entry = &material["tlogEntries"][0];
    if let Some(set) = entry["inclusionPromise"]["signedEntryTimestamp"].as_str() {
        let log_id = entry["logId"]["keyId"]
            .as_str()
            .and_then(|k| STANDARD.decode(k).ok())
            .map(|k| crate::hex(&k))
            .unwrap_or_default();
        let num = |v: &Value| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or_default()
        };
        let rekor = json!({
            "SignedEntryTimestamp": set,
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": num(&entry["integratedTime"]),
                "logIndex": num(&entry["logIndex"]),
                "logID": log_id,
            },
        });
        a.insert(REKOR_BUNDLE_ANNOTATION.to_owned(), rekor.to_string());
    }
    if let Some(ts) =
        material["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"].as_str()
    {
        a.insert(
            TIMESTAMP_ANNOTATION.to_owned(),
            json!({"SignedRFC3161Timestamp": ts}).to_string(),
        );
    }
    a.insert(
        VERIFICATION_MATERIAL_ANNOTATION.to_owned(),
        material.to_string(),
    );
    Ok(Descriptor {
        media_type: media_type.to_owned(),
        digest: String::new(),
        size: 0,
        artifact_type: None,
        annotations: a,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("127.0.0.1:5000/x/y@{d}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "x/y");
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        let r = ImageRef::parse("ghcr.io/o/r:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("ghcr.io", Some("v1"))
        );
        let r = ImageRef::parse("alpine:3").unwrap();
        assert_eq!(r.name(), "docker.io/library/alpine");
        let r = ImageRef::parse("localhost:5000/app:latest").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert!(ImageRef::parse("localhost:5000/app").is_err());
        assert!(ImageRef::parse("x/Y:1").is_err());
        assert!(ImageRef::parse("x@sha256:abc").is_err());
        assert!(ImageRef::parse("x@sha512:abc").is_err());
        assert!(ImageRef::looks_like_image("127.0.0.1:5000/x:1"));
        assert!(ImageRef::looks_like_image(&format!("app@{d}")));
        assert!(!ImageRef::looks_like_image("dist/app.tar"));
        assert!(!ImageRef::looks_like_image("app:1"));
        assert_eq!(digest_bytes(&d), Some([0xaa; 32]));
        assert_eq!(digest_tag(&d), format!("sha256-{}", "a".repeat(64)));
    }

    #[test]
    fn challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (s.as_str(), p["realm"].as_str()),
            ("Basic", "Registry Realm")
        );
    }

    #[test]
    fn docker_config() {
        let auth = STANDARD.encode("alice:s3cret");
        let text = format!(
            r#"{{"auths": {{"https://127.0.0.1:5000/v1/": {{"auth": "{auth}"}},
                 "https://index.docker.io/v1/": {{"identitytoken": "tok"}}}},
               "credHelpers": {{"ghcr.io": "gh"}}}}"#
        );
        let c = credentials_from_config(&text, "127.0.0.1:5000", "cfg").unwrap();
        assert!(
            matches!(c.credential, Some(Credential::Basic { ref username, ref password }) if username == "alice" && password == "s3cret")
        );
        let c = credentials_from_config(&text, "docker.io", "cfg").unwrap();
        assert!(matches!(c.credential, Some(Credential::IdentityToken(ref t)) if t == "tok"));
        let c = credentials_from_config(&text, "ghcr.io", "cfg").unwrap();
        assert!(c.credential.is_none());
        assert_eq!(c.helper.as_deref(), Some("gh"));
        assert!(
            !format!(
                "{:?}",
                Credential::Basic {
                    username: "a".into(),
                    password: "pw".into()
                }
            )
            .contains("pw")
        );
        assert!(
            credentials_from_config("{\"auths\":{\"h\":{\"auth\":\"!!\"}}}", "h", "cfg").is_err()
        );
    }

    /// A registry that wants a Bearer token from its realm: answers one request per connection.
    fn token_registry(
        manifest: Vec<u8>,
        refresh: bool,
    ) -> (String, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let realm = format!("http://{addr}/token");
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for stream in listener.incoming().take(12) {
                let mut stream = stream.unwrap();
                let mut buf = Vec::new();
                let mut byte = [0u8; 1];
                while !buf.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        break;
                    }
                    if buf.is_empty() && byte[0] == 0x16 {
                        break; // a TLS ClientHello: plain http here
                    }
                    buf.push(byte[0]);
                }
                if buf.is_empty() {
                    continue;
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                stream.read_exact(&mut body).unwrap();
                let line = head.lines().next().unwrap().to_owned();
                let auth = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("authorization: ")
                            .or_else(|| l.strip_prefix("Authorization: "))
                    })
                    .unwrap_or("")
                    .to_owned();
                seen.push(format!(
                    "{line} | {auth} | {}",
                    String::from_utf8_lossy(&body)
                ));
                let challenge = format!(
                    "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"test\",scope=\"repository:x:pull\"\r\n"
                );
                let (status, headers, out): (&str, String, Vec<u8>) = if line.contains("/token") {
                    let basic_ok = auth == format!("Basic {}", STANDARD.encode("alice:pw"));
                    let refresh_ok = String::from_utf8_lossy(&body).contains("refresh_token=R1");
                    if (refresh && refresh_ok) || (!refresh && basic_ok) {
                        (
                            "200 OK",
                            String::new(),
                            br#"{"access_token":"T0K"}"#.to_vec(),
                        )
                    } else {
                        ("401 Unauthorized", String::new(), Vec::new())
                    }
                } else if auth == "Bearer T0K" && line.contains("/manifests/") {
                    let d = sha256_digest(&manifest);
                    (
                        "200 OK",
                        format!("Content-Type: {OCI_MANIFEST}\r\nDocker-Content-Digest: {d}\r\n"),
                        manifest.clone(),
                    )
                } else {
                    ("401 Unauthorized", challenge, Vec::new())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    out.len()
                );
                let _ = stream.write_all(&out);
                if seen
                    .iter()
                    .filter(|s| s.contains("/manifests/") && s.contains("Bearer T0K"))
                    .count()
                    >= 2
                {
                    break;
                }
            }
            seen
        });
        (addr, handle)
    }

    #[test]
    fn bearer_token_flow() {
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:00","size":1},"layers":[]}"#.to_vec();
        let digest = sha256_digest(&manifest);
        for refresh in [false, true] {
            let (addr, server) = token_registry(manifest.clone(), refresh);
            let dir = std::env::temp_dir().join(format!(
                "chainproof-oci-test-{}-{refresh}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let entry = if refresh {
                json!({"identitytoken": "R1"})
            } else {
                json!({"auth": STANDARD.encode("alice:pw")})
            };
            std::fs::write(
                dir.join("config.json"),
                json!({"auths": {addr.clone(): entry}}).to_string(),
            )
            .unwrap();
            let d = dir.to_str().unwrap().to_owned();
            let env = move |k: &str| (k == "DOCKER_CONFIG").then(|| d.clone());
            let reg = Registry::connect(&addr, &RegistryOptions::default(), &env).unwrap();
            assert_eq!(reg.scheme(), "http");
            let image = ImageRef::parse(&format!("{addr}/x@{digest}")).unwrap();
            let desc = reg.resolve(&image).unwrap();
            assert_eq!(desc.digest, digest);
            assert_eq!(desc.media_type, OCI_MANIFEST);
            // The token is reused: the second manifest GET needs no new token request.
            reg.resolve(&image).unwrap();
            let seen = server.join().unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            let tokens = seen.iter().filter(|s| s.contains("/token")).count();
            assert_eq!(tokens, 1, "{seen:#?}");
            if refresh {
                assert!(
                    seen.iter()
                        .any(|s| s.starts_with("POST /token")
                            && s.contains("grant_type=refresh_token")),
                    "{seen:#?}"
                );
            } else {
                assert!(
                    seen.iter()
                        .any(|s| s
                            .starts_with("GET /token?service=test&scope=repository%3Ax%3Apull")),
                    "{seen:#?}"
                );
            }
        }
    }

    #[test]
    fn digests_from_the_registry_are_checked() {
        let good = format!("sha256:{}", "ab".repeat(32));
        assert!(is_sha256_digest(&good));
        assert!(digest_bytes(&good).is_some_and(|b| b[0] == 0xab));
        for bad in [
            format!("sha256:{}", "AB".repeat(32)),
            format!("sha256:{}", "ab".repeat(31)),
            format!("sha256:{}a", "ab".repeat(32)),
            format!("sha512:{}", "ab".repeat(32)),
            format!("sha256:{}/../x", "ab".repeat(31)),
            format!("sha256:+{}", "a".repeat(63)),
        ] {
            assert!(!is_sha256_digest(&bad), "{bad}");
            assert!(digest_bytes(&bad).is_none(), "{bad}");
        }
        let mut budget = FIND_BUDGET;
        let mut d = Descriptor::of(OCI_MANIFEST, b"x");
        assert!(charge(&d, &mut budget).is_ok());
        assert_eq!(budget, FIND_BUDGET - 1);
        assert!(check_size(&d, b"x").is_ok() && check_size(&d, b"xy").is_err());
        d.size = BUNDLE_LIMIT as u64 + 1;
        assert!(charge(&d, &mut budget).is_err());
        d.size = 10;
        let mut small = 9;
        assert!(charge(&d, &mut small).is_err());
        d.digest = "sha256:../../x".into();
        assert!(charge(&d, &mut budget).is_err());
    }

    #[test]
    fn same_origin_needs_scheme_host_and_port() {
        let base = Url::parse("https://reg.example:5000/").unwrap();
        let same = base.join("/v2/x/blobs/uploads/abc?state=1").unwrap();
        assert!(same_origin(&same, &base));
        for other in [
            "http://reg.example:5000/v2/x/blobs/uploads/abc",
            "https://reg.example:5001/v2/x/blobs/uploads/abc",
            "https://reg.example/v2/x/blobs/uploads/abc",
            "https://evil.example:5000/v2/x/blobs/uploads/abc",
        ] {
            assert!(!same_origin(&Url::parse(other).unwrap(), &base), "{other}");
        }
        let default = Url::parse("https://reg.example/").unwrap();
        assert!(same_origin(
            &Url::parse("https://reg.example:443/v2/").unwrap(),
            &default
        ));
    }

    #[test]
    fn env_credentials_only_for_their_registry() {
        let vars = |registry: Option<&'static str>| {
            move |k: &str| match k {
                "CHAINPROOF_REGISTRY_USERNAME" => Some("alice".to_owned()),
                "CHAINPROOF_REGISTRY_PASSWORD" => Some("s3cret".to_owned()),
                "CHAINPROOF_REGISTRY" => registry.map(str::to_owned),
                _ => None,
            }
        };
        let ours = lookup_credentials("reg.example:5000", &vars(Some("reg.example:5000")))
            .expect("credentials");
        assert!(matches!(ours.credential, Some(Credential::Basic { .. })));
        let other = lookup_credentials("reg.example:5000", &vars(Some("other.example")))
            .expect("no credentials");
        assert!(other.credential.is_none());
        let hub = lookup_credentials("docker.io", &vars(Some("index.docker.io"))).expect("hub");
        assert!(hub.credential.is_some());
        let missing = lookup_credentials("reg.example:5000", &vars(None))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(missing.contains("CHAINPROOF_REGISTRY "), "{missing}");
        assert!(!missing.contains("s3cret"), "{missing}");
    }

    #[test]
    fn plain_http_only_for_loopback() {
        let env = |_: &str| None;
        let err = Registry::connect("registry.invalid:1", &RegistryOptions::default(), &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--allow-insecure-registry"), "{err}");
    }

    #[test]
    fn cosign_annotations_from_a_bundle() {
        let bundle = json!({
            "verificationMaterial": {
                "certificate": {"rawBytes": STANDARD.encode([1u8, 2, 3])},
                "tlogEntries": [{
                    "logIndex": "7", "logId": {"keyId": STANDARD.encode([0xab, 0xcd])},
                    "integratedTime": "1700000000",
                    "inclusionPromise": {"signedEntryTimestamp": "U0VU"},
                    "canonicalizedBody": "Ym9keQ==",
                }],
            },
            "messageSignature": {"signature": "c2ln"},
        });
        let l = cosign_layer(SIMPLE_SIGNING, &bundle, None).unwrap();
        assert_eq!(l.annotations[SIGNATURE_ANNOTATION], "c2ln");
        assert!(
            l.annotations[CERTIFICATE_ANNOTATION]
                .starts_with("-----BEGIN CERTIFICATE-----\nAQID\n")
        );
        let rekor: Value = serde_json::from_str(&l.annotations[REKOR_BUNDLE_ANNOTATION]).unwrap();
        assert_eq!(rekor["Payload"]["logIndex"], 7);
        assert_eq!(rekor["Payload"]["logID"], "abcd");
        assert_eq!(rekor["Payload"]["integratedTime"], 1_700_000_000);
    }
}
