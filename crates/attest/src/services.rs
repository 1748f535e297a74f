//! Which Sigstore instance to sign with and verify against.
//!
//! Signing: `--fulcio-url`/`--rekor-url` (and optionally `--tsa-url`), or a v0.2 signing config
//! (`--signing-config FILE`, `application/vnd.dev.sigstore.signingconfig.v0.2+json`), else the
//! public-good instance's signing config embedded in `sigstore-trust-root`.
//! Verifying: `--trusted-root FILE`, else the embedded public-good trusted root. No TUF fetch happens:
//! a private instance's trusted root is a file the user passes.

use std::path::Path;

use sigstore_sign::SigningServices;
use sigstore_trust_root::{SigningConfig, SigstoreInstance};

/// The Fulcio, Rekor (v1 or v2) and TSA endpoints a keyless signature uses.
#[derive(Debug, Clone)]
pub struct Services {
    pub(crate) inner: SigningServices,
}

#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    #[error("cannot read the signing config {path}: {reason}")]
    SigningConfig { path: String, reason: String },
    #[error("--fulcio-url and --rekor-url go together (got only {0})")]
    Incomplete(&'static str),
    #[error("cannot read the trusted root {path}: {reason}")]
    TrustedRoot { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl Services {
    /// The public-good instance (Fulcio, Rekor, TSA of sigstore.dev), from the embedded signing config.
    pub fn public_good() -> Result<Self, ServicesError> {
        let inner = SigningServices::from_embedded(SigstoreInstance::PublicGood)
            .map_err(|e| ServicesError::Invalid(e.to_string()))?;
        Ok(Services { inner })
    }

    /// Explicit URLs (a private instance); Rekor v1 API.
    pub fn urls(fulcio: &str, rekor: &str, tsa: Option<&str>) -> Self {
        let mut inner = SigningServices::new(fulcio, rekor);
        if let Some(tsa) = tsa {
            inner = inner.with_tsa_url(tsa);
        }
        Services { inner }
    }

    /// The services a v0.2 signing config selects (Fulcio, the best Rekor, a TSA).
    pub fn from_signing_config(path: &Path) -> Result<Self, ServicesError> {
        let err = |reason: String| ServicesError::SigningConfig {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let config = SigningConfig::from_json(&text).map_err(|e| err(e.to_string()))?;
        let inner =
            SigningServices::from_signing_config(&config).map_err(|e| err(e.to_string()))?;
        Ok(Services { inner })
    }

    /// From the command line's choices: a signing config, explicit URLs, or the public-good instance.
    pub fn choose(
        signing_config: Option<&Path>,
        fulcio: Option<&str>,
        rekor: Option<&str>,
        tsa: Option<&str>,
    ) -> Result<Self, ServicesError> {
        match (signing_config, fulcio, rekor) {
            (Some(path), ..) => {
                let mut s = Self::from_signing_config(path)?;
                if let Some(tsa) = tsa {
                    s.inner = s.inner.with_tsa_url(tsa);
                }
                Ok(s)
            }
            (None, Some(f), Some(r)) => Ok(Self::urls(f, r, tsa)),
            (None, Some(_), None) => Err(ServicesError::Incomplete("--fulcio-url")),
            (None, None, Some(_)) => Err(ServicesError::Incomplete("--rekor-url")),
            (None, None, None) => {
                let mut s = Self::public_good()?;
                if let Some(tsa) = tsa {
                    s.inner = s.inner.with_tsa_url(tsa);
                }
                Ok(s)
            }
        }
    }

    pub fn fulcio_url(&self) -> &str {
        self.inner.fulcio_url()
    }
    pub fn rekor_url(&self) -> &str {
        self.inner.rekor_url()
    }
    pub fn tsa_url(&self) -> Option<&str> {
        self.inner.tsa_url()
    }
}

/// The trusted root a verification chains to.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) inner: sigstore_trust_root::TrustedRoot,
}

impl TrustedRoot {
    /// The embedded public-good trusted root.
    pub fn public_good() -> Result<Self, ServicesError> {
        let inner = SigstoreInstance::PublicGood
            .embedded_trusted_root()
            .map_err(|e| ServicesError::Invalid(e.to_string()))?;
        Ok(TrustedRoot { inner })
    }

    /// A trusted root file (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`).
    pub fn from_file(path: &Path) -> Result<Self, ServicesError> {
        let err = |reason: String| ServicesError::TrustedRoot {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let inner =
            sigstore_trust_root::TrustedRoot::from_json(&text).map_err(|e| err(e.to_string()))?;
        Ok(TrustedRoot { inner })
    }

    /// `--trusted-root FILE`, else the public-good root.
    pub fn choose(path: Option<&Path>) -> Result<Self, ServicesError> {
        match path {
            Some(p) => Self::from_file(p),
            None => Self::public_good(),
        }
    }
}
