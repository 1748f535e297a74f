//! Where an image's blobs are and which of them make the image: a `docker save` tarball
//! (`manifest.json` -> `Config` + `Layers`), or an OCI image layout (`oci-layout`, `index.json`
//! -> manifest, nested indexes followed, `linux/amd64` or the only platform chosen) as a
//! directory or a tarball. Nothing is extracted: a tarball is indexed once (name -> offset and
//! size) and blobs are read from it in place. Blobs named by a digest are verified against it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

/// The largest JSON document (manifest, index, config) read.
const MAX_JSON: u64 = 16 * 1024 * 1024;
/// Entries in an image tarball (its files, not the layers' files).
const MAX_ARCHIVE_ENTRIES: usize = 100_000;
/// Nesting of image indexes, and of symbolic links inside a `docker save` tarball.
const MAX_DEPTH: usize = 8;

/// The blobs of an image on disk.
pub enum Store {
    Dir(PathBuf),
    Tar {
        path: PathBuf,
        /// Regular files: name -> (offset of the data, size).
        files: BTreeMap<String, (u64, u64)>,
        /// Symbolic and hard links: name -> target name (old `docker save` links repeated layers).
        links: BTreeMap<String, String>,
    },
}

/// `a/./b/../c` -> `a/c`; `None` when it climbs out of the root (a hostile name).
pub fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, String> {
        if path.is_dir() {
            return Ok(Store::Dir(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
        let mut file = BufReader::new(file);
        if sniff(&mut file).map_err(|e| format!("cannot read: {e}"))? != Compression::None {
            // Blobs are read in place, which needs an uncompressed archive.
            return Err(
                "a compressed tarball: decompress it first (`gunzip`, `zstd -d`); `docker save` writes an uncompressed one"
                    .into(),
            );
        }
        let mut archive = tar::Archive::new(file);
        let mut files = BTreeMap::new();
        let mut links = BTreeMap::new();
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar archive: {e}"))?;
        for (n, entry) in entries.enumerate() {
            if n >= MAX_ARCHIVE_ENTRIES {
                return Err(format!(
                    "more than {MAX_ARCHIVE_ENTRIES} entries: not an image tarball"
                ));
            }
            let entry = entry.map_err(|e| format!("corrupt tar archive: {e}"))?;
            let raw = entry
                .path()
                .map_err(|e| format!("corrupt tar archive: {e}"))?
                .to_string_lossy()
                .into_owned();
            let Some(name) = normalise(&raw) else {
                continue;
            };
            let kind = entry.header().entry_type();
            if kind.is_file() {
                files.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let base = if kind.is_symlink() {
                    name.rsplit_once('/').map_or("", |(d, _)| d)
                } else {
                    ""
                };
                if let Some(t) = normalise(&format!("{base}/{target}")) {
                    links.insert(name, t);
                }
            }
        }
        if files.is_empty() {
            return Err("not a tar archive (no files)".into());
        }
        Ok(Store::Tar {
            path: path.to_path_buf(),
            files,
            links,
        })
    }

    pub fn is_dir(&self) -> bool {
        matches!(self, Store::Dir(_))
    }

    /// The tarball entry `name` names after following links.
    fn entry(&self, name: &str) -> Option<(u64, u64)> {
        let Store::Tar { files, links, .. } = self else {
            return None;
        };
        let mut name = normalise(name)?;
        for _ in 0..MAX_DEPTH {
            if let Some(e) = files.get(&name) {
                return Some(*e);
            }
            name = links.get(&name)?.clone();
        }
        None
    }

    pub fn exists(&self, name: &str) -> bool {
        match self {
            Store::Dir(d) => normalise(name).is_some_and(|n| d.join(n).is_file()),
            Store::Tar { .. } => self.entry(name).is_some(),
        }
    }

    /// Open `name` (relative, never outside the image).
    pub fn open_blob(&self, name: &str) -> Result<Box<dyn Read + '_>, String> {
        let missing = || format!("`{name}` is missing from the image");
        match self {
            Store::Dir(d) => {
                let n = normalise(name).ok_or_else(|| format!("`{name}` is outside the image"))?;
                let f = File::open(d.join(n)).map_err(|e| format!("cannot read `{name}`: {e}"))?;
                Ok(Box::new(f))
            }
            Store::Tar { path, .. } => {
                let (offset, size) = self.entry(name).ok_or_else(missing)?;
                let mut f = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| format!("cannot read `{name}`: {e}"))?;
                Ok(Box::new(f.take(size)))
            }
        }
    }

    /// A small document (JSON), verified against `digest` when given.
    pub fn read_small(&self, name: &str, digest: Option<&Digested>) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        self.open_blob(name)?
            .take(MAX_JSON + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read `{name}`: {e}"))?;
        if bytes.len() as u64 > MAX_JSON {
            return Err(format!("`{name}` is over {} MiB", MAX_JSON >> 20));
        }
        if let Some(d) = digest {
            let actual = d.alg.hex(&bytes);
            if actual != d.hex {
                return Err(format!(
                    "`{name}` does not match its digest {} (content is {}:{actual})",
                    d.text(),
                    d.alg.name()
                ));
            }
        }
        Ok(bytes)
    }

    /// A JSON document; a leading UTF-8 byte order mark (which serde_json rejects) is skipped.
    pub fn read_json(&self, name: &str, digest: Option<&Digested>) -> Result<Value, String> {
        let bytes = self.read_small(name, digest)?;
        let json = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        serde_json::from_slice(json).map_err(|e| format!("`{name}` is not valid JSON: {e}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Sha256,
    Sha512,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::Sha256 => "sha256",
            Alg::Sha512 => "sha512",
        }
    }

    fn hex(self, bytes: &[u8]) -> String {
        match self {
            Alg::Sha256 => hex(&Sha256::digest(bytes)),
            Alg::Sha512 => hex(&Sha512::digest(bytes)),
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A content digest (`sha256:<hex>`), checked for shape so it can name a blob path safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub alg: Alg,
    pub hex: String,
}

impl Digested {
    pub fn parse(s: &str) -> Option<Digested> {
        let (alg, hex) = s.split_once(':')?;
        let (alg, len) = match alg {
            "sha256" => (Alg::Sha256, 64),
            "sha512" => (Alg::Sha512, 128),
            _ => return None,
        };
        let ok = hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Digested {
            alg,
            hex: hex.to_string(),
        })
    }

    pub fn text(&self) -> String {
        format!("{}:{}", self.alg.name(), self.hex)
    }

    /// The blob path in an OCI layout.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.alg.name(), self.hex)
    }

    /// A `docker save` name that is itself a blob path (`blobs/sha256/<hex>`, Docker 25 and later).
    fn of_blob_path(name: &str) -> Option<Digested> {
        let n = normalise(name)?;
        let mut parts = n.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("blobs"), Some(alg), Some(hex), None) => Digested::parse(&format!("{alg}:{hex}")),
            _ => None,
        }
    }
}

/// A reader hashing what passes through it.
pub struct Verify<R> {
    inner: R,
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
}

impl<R: Read> Verify<R> {
    pub fn new(inner: R, alg: Option<Alg>) -> Self {
        Verify {
            inner,
            sha256: (alg == Some(Alg::Sha256)).then(Sha256::new),
            sha512: (alg == Some(Alg::Sha512)).then(Sha512::new),
        }
    }

    /// Read to the end, then the hex digest of everything read.
    pub fn finish(mut self) -> io::Result<Option<String>> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(match (self.sha256, self.sha512) {
            (Some(h), _) => Some(hex(&h.finalize())),
            (_, Some(h)) => Some(hex(&h.finalize())),
            _ => None,
        })
    }
}

impl<R: Read> Read for Verify<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        if let Some(h) = self.sha256.as_mut() {
            h.update(done);
        }
        if let Some(h) = self.sha512.as_mut() {
            h.update(done);
        }
        Ok(n)
    }
}

/// How a layer blob is compressed, from its first bytes (media types lie less often than
/// magic numbers, and `docker save` stores uncompressed `layer.tar`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

pub fn sniff(r: &mut impl BufRead) -> io::Result<Compression> {
    let head = r.fill_buf()?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    })
}

/// Concatenated zstd frames as one stream.
pub struct Zstd<R: BufRead> {
    decoder: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> Zstd<R> {
    pub fn new(r: R) -> io::Result<Self> {
        let d = ruzstd::decoding::StreamingDecoder::new(r)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        Ok(Zstd { decoder: Some(d) })
    }
}

impl<R: BufRead> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(d) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = d.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // End of a frame: another one may follow.
            let Some(d) = self.decoder.take() else {
                return Ok(0);
            };
            let mut inner = d.into_inner();
            if inner.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.decoder = Some(
                ruzstd::decoding::StreamingDecoder::new(inner)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
            );
        }
    }
}

/// One layer to apply.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The blob's name in the store.
    pub name: String,
    /// Its digest, when the image records one (OCI) or the name is one (`blobs/sha256/<hex>`).
    pub digest: Option<Digested>,
}

impl Layer {
    /// How messages name the layer.
    pub fn label(&self, index: usize) -> String {
        match &self.digest {
            Some(d) => format!("layer {} ({})", index + 1, d.text()),
            None => format!("layer {} ({})", index + 1, self.name),
        }
    }
}

/// What the manifests say about the image.
#[derive(Debug, Clone)]
pub struct Image {
    /// `docker-archive`, `oci-layout` or `oci-archive`.
    pub format: &'static str,
    /// The manifest's digest (the image's identity in a registry), when the layout records it.
    pub manifest_digest: Option<Digested>,
    pub config_digest: Option<Digested>,
    /// References naming the image (`docker.io/library/nginx:1.27`, `nginx:1.27`).
    pub refs: Vec<String>,
    pub layers: Vec<Layer>,
    pub os: String,
    pub arch: String,
}

/// Read the image's manifests.
pub fn image(store: &Store) -> Result<Image, String> {
    if store.exists("index.json") && (store.exists("oci-layout") || !store.exists("manifest.json"))
    {
        let mut image = oci(store)?;
        if !store.is_dir() {
            image.format = "oci-archive";
        }
        // Docker 25+ writes both; RepoTags name the image when the index does not.
        if image.refs.is_empty() && store.exists("manifest.json") {
            if let Ok(Value::Array(m)) = store.read_json("manifest.json", None) {
                image.refs = repo_tags(m.first().unwrap_or(&Value::Null));
            }
        }
        return Ok(image);
    }
    if store.exists("manifest.json") {
        return docker(store);
    }
    Err(if store.is_dir() {
        "not an OCI image layout (no index.json) or an unpacked `docker save` (no manifest.json)"
            .into()
    } else {
        "not a `docker save` tarball (no manifest.json) or an OCI layout (no index.json)".into()
    })
}

fn repo_tags(entry: &Value) -> Vec<String> {
    entry["RepoTags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn docker(store: &Store) -> Result<Image, String> {
    let manifest = store.read_json("manifest.json", None)?;
    let entries = manifest
        .as_array()
        .ok_or("manifest.json: expected an array of images")?;
    let entry = match entries.as_slice() {
        [one] => one,
        [] => return Err("manifest.json lists no image".into()),
        many => {
            let tags: Vec<String> = many.iter().flat_map(repo_tags).collect();
            return Err(format!(
                "manifest.json lists {} images ({}); save one image per tarball",
                many.len(),
                tags.join(", ")
            ));
        }
    };
    let config = entry["Config"]
        .as_str()
        .ok_or("manifest.json: the image has no `Config`")?;
    // `<hex>.json` (before Docker 25) or `blobs/sha256/<hex>`: either way the config's digest.
    let config_digest = Digested::of_blob_path(config).or_else(|| {
        let stem = config.rsplit('/').next()?.strip_suffix(".json")?;
        Digested::parse(&format!("sha256:{stem}"))
    });
    let config_json = store
        .read_json(config, config_digest.as_ref())
        .map_err(|e| format!("image config: {e}"))?;
    let layers = entry["Layers"]
        .as_array()
        .ok_or("manifest.json: the image has no `Layers`")?
        .iter()
        .map(|l| {
            let name = l
                .as_str()
                .ok_or("manifest.json: a layer that is not a string")?;
            Ok(Layer {
                name: name.to_string(),
                digest: Digested::of_blob_path(name),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Image {
        format: "docker-archive",
        manifest_digest: None,
        config_digest,
        refs: repo_tags(entry),
        layers,
        os: config_json["os"].as_str().unwrap_or("").to_string(),
        arch: config_json["architecture"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    })
}

fn is_index(v: &Value) -> bool {
    v.get("manifests").is_some_and(Value::is_array)
}

fn platform(d: &Value) -> (String, String) {
    let p = &d["platform"];
    (
        p["os"].as_str().unwrap_or("").to_string(),
        p["architecture"].as_str().unwrap_or("").to_string(),
    )
}

/// Pick one image manifest from an index: skip attestations (`unknown/unknown`) and, when some
/// manifests are in the store, those that are not (`docker save` from a containerd store writes
/// the whole index but only the local platform's blobs); one left, or the `linux/amd64` one.
fn choose<'a>(store: &Store, index: &'a Value, where_: &str) -> Result<&'a Value, String> {
    let all: Vec<&Value> = index["manifests"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let candidates: Vec<&Value> = all
        .iter()
        .copied()
        .filter(|d| {
            let (os, arch) = platform(d);
            !(os == "unknown" && arch == "unknown")
                && d["annotations"]["vnd.docker.reference.type"] != "attestation-manifest"
        })
        .collect();
    let present = |d: &&Value| {
        d["digest"]
            .as_str()
            .and_then(Digested::parse)
            .is_some_and(|g| store.exists(&g.blob_path()))
    };
    let candidates = if candidates.iter().any(present) {
        candidates.into_iter().filter(present).collect()
    } else {
        candidates
    };
    match candidates.as_slice() {
        [] => Err(format!("{where_} lists no image manifest")),
        [one] => Ok(one),
        many => many
            .iter()
            .copied()
            .find(|d| platform(d) == ("linux".into(), "amd64".into()))
            .ok_or_else(|| {
                let names: Vec<String> = many
                    .iter()
                    .map(|d| {
                        let (os, arch) = platform(d);
                        let r = d["annotations"]["org.opencontainers.image.ref.name"]
                            .as_str()
                            .unwrap_or("");
                        format!("{os}/{arch} {r}").trim().to_string()
                    })
                    .collect();
                format!(
                    "{where_} lists {} images and none for linux/amd64 ({})",
                    many.len(),
                    names.join(", ")
                )
            }),
    }
}

fn oci(store: &Store) -> Result<Image, String> {
    let top = store.read_json("index.json", None)?;
    if !is_index(&top) {
        return Err("index.json: no `manifests` list".into());
    }
    let mut refs = Vec::new();
    let mut index = top;
    let mut where_ = "index.json".to_string();
    for _ in 0..MAX_DEPTH {
        let desc = choose(store, &index, &where_)?.clone();
        for key in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(r) = desc["annotations"][key].as_str() {
                refs.push(r.to_string());
            }
        }
        let digest_text = desc["digest"].as_str().unwrap_or("");
        let digest = Digested::parse(digest_text)
            .ok_or_else(|| format!("{where_}: invalid digest `{digest_text}`"))?;
        let doc = store.read_json(&digest.blob_path(), Some(&digest))?;
        if is_index(&doc) {
            where_ = format!("index {}", digest.text());
            index = doc;
            continue;
        }
        let config_text = doc["config"]["digest"].as_str().unwrap_or("");
        let config_digest = Digested::parse(config_text)
            .ok_or_else(|| format!("manifest {}: invalid config digest", digest.text()))?;
        let config = store
            .read_json(&config_digest.blob_path(), Some(&config_digest))
            .map_err(|e| format!("image config: {e}"))?;
        let layers = doc["layers"]
            .as_array()
            .ok_or_else(|| format!("manifest {}: no `layers`", digest.text()))?
            .iter()
            .map(|l| {
                let t = l["digest"].as_str().unwrap_or("");
                let d = Digested::parse(t).ok_or_else(|| {
                    format!("manifest {}: invalid layer digest `{t}`", digest.text())
                })?;
                Ok(Layer {
                    name: d.blob_path(),
                    digest: Some(d),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        return Ok(Image {
            format: "oci-layout",
            manifest_digest: Some(digest),
            config_digest: Some(config_digest),
            refs,
            layers,
            os: config["os"].as_str().unwrap_or("").to_string(),
            arch: config["architecture"].as_str().unwrap_or("").to_string(),
        });
    }
    Err(format!("image indexes nested more than {MAX_DEPTH} deep"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_the_image() {
        assert_eq!(normalise("./a/../b//c").as_deref(), Some("b/c"));
        assert_eq!(normalise("../etc/passwd"), None);
        assert_eq!(normalise("/abs").as_deref(), Some("abs"));
        assert!(Digested::parse("sha256:../../x").is_none());
        assert!(Digested::parse(&format!("sha256:{}", "A".repeat(64))).is_none());
        assert!(Digested::parse(&format!("sha256:{}", "a".repeat(64))).is_some());
    }

    #[test]
    fn multi_frame_zstd() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let mut both = compress_to_vec(&b"hello "[..], CompressionLevel::Fastest);
        both.extend(compress_to_vec(&b"world"[..], CompressionLevel::Fastest));
        let mut out = String::new();
        Zstd::new(&both[..])
            .expect("frame")
            .read_to_string(&mut out)
            .expect("decodes");
        assert_eq!(out, "hello world");
    }
}
