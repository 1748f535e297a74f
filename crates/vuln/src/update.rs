//! `chainproof db update`: downloads OSV's per-ecosystem exports
//! (`<base>/<Ecosystem>/all.zip`) into `DIR/<Ecosystem>/all.zip`.
//!
//! - Atomic: the download goes to a temporary file in the same directory, is checked to open as a
//!   zip archive, and only then renamed over the old file. A failed or corrupt download leaves the
//!   old export as it was and no temporary file behind.
//! - Conditional: the `ETag` and `Last-Modified` of the last download are kept beside the zip in
//!   `all.zip.meta.json` and sent as `If-None-Match` / `If-Modified-Since`; a `304` downloads
//!   nothing. The meta file also records when the export was last checked (`checked`, Unix seconds).
//! - Retries on 429/5xx/connection errors as the API client does; progress on stderr when asked
//!   and stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::online::{Retry, error_chain, join_segments, parse_base_url, send_with_retry};

/// Where OSV publishes its exports.
pub const DEFAULT_EXPORT_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Environment variable that overrides [`DEFAULT_EXPORT_URL`].
pub const EXPORT_URL_ENV: &str = "OSV_EXPORT_URL";
/// The export's file name, in the bucket and in `DIR/<Ecosystem>/`.
pub const EXPORT_FILE: &str = "all.zip";
/// The validators of the last download, beside the zip.
pub const META_FILE: &str = "all.zip.meta.json";

/// The base URL to use: `$OSV_EXPORT_URL` when set and not empty, else [`DEFAULT_EXPORT_URL`].
pub fn export_url_from_env() -> String {
    match std::env::var(EXPORT_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => DEFAULT_EXPORT_URL.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateStatus {
    /// A new export was downloaded and installed.
    Downloaded { bytes: u64 },
    /// The server said the export had not changed (304): nothing was downloaded.
    NotModified,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The ecosystem as given (OSV's spelling, e.g. `PyPI`, `crates.io`).
    pub ecosystem: String,
    /// `DIR/<Ecosystem>/all.zip`.
    pub path: PathBuf,
    pub status: UpdateStatus,
}

#[derive(Debug, Error)]
pub enum UpdateError {
    #[error("invalid ecosystem name {name:?}: {reason}")]
    Ecosystem { name: String, reason: &'static str },
    #[error("invalid OSV export URL {url:?}: {message}")]
    Url { url: String, message: String },
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    #[error("{url}: gave up after {attempts} attempts: {message}")]
    Exhausted {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("{url}: HTTP {status}{hint}")]
    Status {
        url: String,
        status: u16,
        hint: &'static str,
    },
    #[error("{url}: download failed: {message}")]
    Download { url: String, message: String },
    #[error("{url}: the download is not a valid zip archive ({message}); {} was left unchanged", path.display())]
    Corrupt {
        url: String,
        path: PathBuf,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Meta {
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    /// When the export was last downloaded or confirmed unchanged (Unix seconds).
    #[serde(default)]
    checked: u64,
}

/// Downloads the export of each of `ecosystems` (OSV's names) from `base_url` into
/// `db_dir/<Ecosystem>/all.zip`, in order. Stops at the first failure: exports already updated stay
/// updated, the failing one keeps its old file. `progress` shows a bar on stderr when it is a
/// terminal.
pub fn update(
    db_dir: &Path,
    ecosystems: &[String],
    base_url: &str,
    progress: bool,
) -> Result<Vec<UpdateOutcome>, UpdateError> {
    update_with(db_dir, ecosystems, base_url, progress, &Retry::default())
}

pub(crate) fn update_with(
    db_dir: &Path,
    ecosystems: &[String],
    base: &str,
    progress: bool,
    retry: &Retry,
) -> Result<Vec<UpdateOutcome>, UpdateError> {
    for name in ecosystems {
        check_ecosystem(name)?;
    }
    let base = parse_base_url(base).map_err(|message| UpdateError::Url {
        url: base.to_string(),
        message,
    })?;
    let http = reqwest::Client::builder()
        .user_agent(concat!("chainproof/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        // Per read, not for the whole (possibly large) body.
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| UpdateError::Client(error_chain(&e)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UpdateError::Client(e.to_string()))?;
    let progress = progress && std::io::stderr().is_terminal();
    let mut outcomes = Vec::with_capacity(ecosystems.len());
    for ecosystem in ecosystems {
        let url = join_segments(&base, &[ecosystem.as_str(), EXPORT_FILE]);
        let dir = db_dir.join(ecosystem);
        let outcome = runtime.block_on(download(&http, retry, &url, &dir, progress))?;
        outcomes.push(UpdateOutcome {
            ecosystem: ecosystem.clone(),
            path: dir.join(EXPORT_FILE),
            status: outcome,
        });
    }
    Ok(outcomes)
}

/// Ecosystem names become a directory and a URL segment: no separators, no `.`/`..`, no control
/// characters. (`Debian:12`, `GitHub Actions`, `crates.io` are fine.)
fn check_ecosystem(name: &str) -> Result<(), UpdateError> {
    let reason = if name.trim().is_empty() {
        Some("empty")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if name.starts_with('.') {
        Some("starts with '.'")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(UpdateError::Ecosystem {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

fn read_meta(path: &Path) -> Option<Meta> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes the meta file atomically (temporary file + rename).
fn write_meta(dir: &Path, meta: &Meta) -> Result<(), UpdateError> {
    let path = dir.join(META_FILE);
    let fail = |source| UpdateError::Io {
        path: path.clone(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(meta).map_err(|e| fail(std::io::Error::other(e)))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(&bytes).map_err(fail)?;
    file.persist(&path).map_err(|e| fail(e.error))?;
    Ok(())
}

async fn download(
    http: &reqwest::Client,
    retry: &Retry,
    url: &reqwest::Url,
    dir: &Path,
    progress: bool,
) -> Result<UpdateStatus, UpdateError> {
    let zip_path = dir.join(EXPORT_FILE);
    let meta_path = dir.join(META_FILE);
    // Validators count only for the same URL and while the zip they describe is still there.
    let meta = read_meta(&meta_path).filter(|m| m.url == url.as_str() && zip_path.is_file());
    let response = send_with_retry(retry, || {
        let mut request = http.get(url.clone());
        if let Some(meta) = &meta {
            if let Some(etag) = &meta.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &meta.last_modified {
                request = request.header(IF_MODIFIED_SINCE, modified);
            }
        }
        request
    })
    .await
    .map_err(|f| UpdateError::Exhausted {
        url: url.to_string(),
        attempts: f.attempts,
        message: f.message,
    })?;

    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        if let Some(mut meta) = meta {
            meta.checked = now_secs();
            write_meta(dir, &meta)?;
        }
        return Ok(UpdateStatus::NotModified);
    }
    if !status.is_success() {
        let hint = if status == StatusCode::NOT_FOUND {
            " (is the ecosystem name spelt as OSV spells it?)"
        } else {
            ""
        };
        return Err(UpdateError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            hint,
        });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let new_meta = Meta {
        url: url.to_string(),
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
        checked: now_secs(),
    };

    std::fs::create_dir_all(dir).map_err(|source| UpdateError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    // Removed when dropped: a failed download leaves nothing behind.
    let mut temp = tempfile::Builder::new()
        .prefix(".all.zip.")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|source| UpdateError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    let bar = progress.then(|| progress_bar(response.content_length(), url));
    let mut response = response;
    let mut bytes = 0u64;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                if let Some(bar) = &bar {
                    bar.abandon();
                }
                return Err(UpdateError::Download {
                    url: url.to_string(),
                    message: error_chain(&e),
                });
            }
        };
        temp.write_all(&chunk).map_err(|source| UpdateError::Io {
            path: temp.path().to_path_buf(),
            source,
        })?;
        bytes += chunk.len() as u64;
        if let Some(bar) = &bar {
            bar.set_position(bytes);
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    temp.as_file()
        .sync_all()
        .map_err(|source| UpdateError::Io {
            path: temp.path().to_path_buf(),
            source,
        })?;
    let file = temp.reopen().map_err(|source| UpdateError::Io {
        path: temp.path().to_path_buf(),
        source,
    })?;
    if let Err(e) = zip::ZipArchive::new(file) {
        return Err(UpdateError::Corrupt {
            url: url.to_string(),
            path: zip_path,
            message: e.to_string(),
        });
    }
    temp.persist(&zip_path).map_err(|e| UpdateError::Io {
        path: zip_path.clone(),
        source: e.error,
    })?;
    write_meta(dir, &new_meta)?;
    Ok(UpdateStatus::Downloaded { bytes })
}

fn progress_bar(length: Option<u64>, url: &reqwest::Url) -> indicatif::ProgressBar {
    let target = indicatif::ProgressDrawTarget::stderr();
    let bar = match length {
        Some(length) => {
            let bar = indicatif::ProgressBar::with_draw_target(Some(length), target);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }
        None => {
            let bar = indicatif::ProgressBar::with_draw_target(None, target);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
            {
                bar.set_style(style);
            }
            bar
        }
    };
    bar.set_message(url.to_string());
    bar
}

#[cfg(test)]
mod tests;
