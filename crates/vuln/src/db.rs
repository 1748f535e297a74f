//! The offline database: OSV's per-ecosystem exports laid out as `DIR/<Ecosystem>/all.zip`.
//!
//! A zip is hostile input. Its entry names are never used as paths (entries are only read into
//! memory and parsed, never extracted); an entry may declare or inflate to at most
//! [`MAX_ENTRY_BYTES`], a zip may hold at most [`MAX_ENTRIES`] entries and
//! [`MAX_TOTAL_BYTES`] in all; a corrupt entry or a record that is not OSV JSON is reported
//! (naming the zip and the entry) and skipped, and the other records are used.
//!
//! The first load of a zip writes a cache: the records that parsed, re-serialised compactly,
//! with the errors found, keyed by the zip's size, modification time and SHA-256. Later loads
//! read the cache instead of inflating and re-validating the zip. The cache goes beside the zip
//! (`all.zip.chainproof-index`) or, where that directory is not writable, into the user's cache
//! directory; [`CacheLocation`] chooses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ecosystem::{base, canonical, normalize_name};
use crate::osv::Vulnerability;

/// The most one entry may declare or inflate to.
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;
/// The most entries one zip may hold.
pub const MAX_ENTRIES: usize = 1_000_000;
/// The most all entries of one zip may inflate to.
pub const MAX_TOTAL_BYTES: u64 = 4 << 30;
/// The most a zip file itself may be.
pub const MAX_ZIP_BYTES: u64 = 2 << 30;

const CACHE_MAGIC: &[u8] = b"chainproof-osv-index\n";
/// Bumped whenever the cache layout or the OSV model changes.
const CACHE_FORMAT: u32 = 1;
const CACHE_FILE: &str = "all.zip.chainproof-index";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}: not a usable zip: {message}", zip.display())]
    Zip { zip: PathBuf, message: String },
    #[error("{}: entry {entry}: {message}", zip.display())]
    Entry {
        zip: PathBuf,
        entry: String,
        message: String,
    },
    #[error("{}: no `<Ecosystem>/all.zip` in this directory", dir.display())]
    Empty { dir: PathBuf },
}

/// Where the index cache is read and written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CacheLocation {
    /// Beside each zip, or in the user's cache directory when that is not writable.
    #[default]
    Beside,
    /// In this directory (one file per ecosystem).
    Dir(PathBuf),
    /// No cache: every load reads the zips.
    Disabled,
}

/// Records of one ecosystem and the index from package names to them.
#[derive(Debug)]
struct EcosystemDb {
    records: Vec<Vulnerability>,
    /// Normalised package name -> indexes into `records`.
    index: HashMap<String, Vec<usize>>,
    /// The exact ecosystems (`Debian:12`, `Ubuntu:22.04` with `:LTS` dropped) records name.
    releases: BTreeSet<String>,
    /// When the export was last fetched or confirmed current (`checked` in
    /// `all.zip.meta.json`, written by `chainproof db update`), else the zip's modification time.
    built: Option<SystemTime>,
}

/// The offline database.
#[derive(Debug)]
pub struct Db {
    ecosystems: BTreeMap<String, EcosystemDb>,
    errors: Vec<DbError>,
    /// How each ecosystem was loaded (for measurements): ecosystem -> from the cache or not.
    from_cache: BTreeMap<String, bool>,
}

impl Db {
    /// Reads `DIR/<Ecosystem>/all.zip` for every ecosystem directory present, with the index
    /// cache beside the zips. Fails only when the directory cannot be read or holds no zip;
    /// a zip that cannot be used is in [`Db::errors`] and its ecosystem is not covered.
    pub fn open(dir: &Path) -> Result<Db, DbError> {
        Db::open_with(dir, &CacheLocation::Beside)
    }

    pub fn open_with(dir: &Path, cache: &CacheLocation) -> Result<Db, DbError> {
        let io = |e: std::io::Error| DbError::Io {
            path: dir.to_path_buf(),
            message: e.to_string(),
        };
        let mut zips = Vec::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let zip = entry.path().join("all.zip");
            if zip.is_file() {
                zips.push((name, zip));
            }
        }
        if zips.is_empty() {
            return Err(DbError::Empty {
                dir: dir.to_path_buf(),
            });
        }
        zips.sort();
        let loaded: Vec<_> = zips
            .par_iter()
            .map(|(name, zip)| (name, load_ecosystem(name, zip, cache)))
            .collect();
        let mut db = Db {
            ecosystems: BTreeMap::new(),
            errors: Vec::new(),
            from_cache: BTreeMap::new(),
        };
        for (name, result) in loaded {
            match result {
                Ok(loaded) => {
                    db.errors.extend(loaded.errors);
                    db.from_cache.insert(name.clone(), loaded.from_cache);
                    db.ecosystems.insert(name.clone(), loaded.db);
                }
                Err(e) => db.errors.push(e),
            }
        }
        Ok(db)
    }

    /// The OSV ecosystems (directory names) this database covers.
    pub fn ecosystems(&self) -> Vec<String> {
        self.ecosystems.keys().cloned().collect()
    }

    /// What could not be read: whole zips and single entries, each naming the zip and entry.
    pub fn errors(&self) -> &[DbError] {
        &self.errors
    }

    /// How fresh the data is: for each ecosystem when its export was last checked
    /// (`all.zip.meta.json`'s `checked`, else the zip's modification time; never the records'
    /// own `modified`, which a record can set to any date); the oldest of those, so that a
    /// `--max-db-age` check fails when any ecosystem is stale.
    pub fn built(&self) -> Option<SystemTime> {
        self.ecosystems.values().filter_map(|e| e.built).min()
    }

    /// The same, over the ecosystems (families or full names) given only; `None` when one of
    /// them has no known time.
    pub fn built_for<'a>(
        &self,
        ecosystems: impl IntoIterator<Item = &'a str>,
    ) -> Option<SystemTime> {
        let mut oldest: Option<SystemTime> = None;
        for eco in ecosystems {
            let built = self.ecosystems.get(base(eco))?.built?;
            oldest = Some(oldest.map_or(built, |o| o.min(built)));
        }
        oldest
    }

    /// Whether the database holds records for this exact ecosystem (`Debian:13`, not only some
    /// `Debian` release).
    pub fn covers(&self, osv_ecosystem: &str) -> bool {
        self.ecosystems
            .get(base(osv_ecosystem))
            .is_some_and(|e| e.releases.contains(canonical(osv_ecosystem)))
    }

    /// The same, for one ecosystem.
    pub fn ecosystem_built(&self, osv_ecosystem: &str) -> Option<SystemTime> {
        self.ecosystems.get(base(osv_ecosystem))?.built
    }

    /// Whether each ecosystem was read from its cache (`true`) or from its zip.
    pub fn loaded_from_cache(&self) -> &BTreeMap<String, bool> {
        &self.from_cache
    }

    /// Every record (withdrawn ones too) that names this package in an `affected` entry of this
    /// ecosystem's family (`Debian:12` looks in `Debian`; the matcher checks the exact ecosystem).
    pub fn advisories(&self, osv_ecosystem: &str, name: &str) -> Vec<&Vulnerability> {
        let Some(eco) = self.ecosystems.get(base(osv_ecosystem)) else {
            return Vec::new();
        };
        let key = normalize_name(osv_ecosystem, name);
        eco.index
            .get(key.as_ref())
            .map(|ids| ids.iter().filter_map(|&i| eco.records.get(i)).collect())
            .unwrap_or_default()
    }

    /// Number of records of an ecosystem.
    pub fn len(&self, osv_ecosystem: &str) -> usize {
        self.ecosystems
            .get(base(osv_ecosystem))
            .map_or(0, |e| e.records.len())
    }
}

impl crate::matcher::Advisories for Db {
    fn ecosystems(&self) -> Vec<String> {
        Db::ecosystems(self)
    }

    fn covers(&self, osv_ecosystem: &str) -> bool {
        Db::covers(self, osv_ecosystem)
    }

    fn advisories(&self, osv_ecosystem: &str, name: &str) -> Vec<&Vulnerability> {
        Db::advisories(self, osv_ecosystem, name)
    }
}

struct Loaded {
    db: EcosystemDb,
    errors: Vec<DbError>,
    from_cache: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheKey {
    format: u32,
    size: u64,
    mtime_ns: u128,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheHeader {
    key: CacheKey,
    /// (entry, message) of each entry that could not be used.
    errors: Vec<(String, String)>,
    /// (offset, length) in the body of each record's compact JSON.
    records: Vec<(usize, usize)>,
}

fn load_ecosystem(name: &str, zip: &Path, cache: &CacheLocation) -> Result<Loaded, DbError> {
    let io = |e: std::io::Error| DbError::Io {
        path: zip.to_path_buf(),
        message: e.to_string(),
    };
    let meta = fs::metadata(zip).map_err(io)?;
    if meta.len() > MAX_ZIP_BYTES {
        return Err(DbError::Zip {
            zip: zip.to_path_buf(),
            message: format!("{} bytes, more than {MAX_ZIP_BYTES}", meta.len()),
        });
    }
    let bytes = fs::read(zip).map_err(io)?;
    let mtime = meta.modified().ok();
    let built = checked_time(zip).or(mtime);
    let key = CacheKey {
        format: CACHE_FORMAT,
        size: bytes.len() as u64,
        mtime_ns: mtime
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
        sha256: hex(&Sha256::digest(&bytes)),
    };
    let candidates = cache_paths(name, zip, cache);
    for path in &candidates {
        if let Some((records, errors)) = read_cache(path, &key) {
            let errors = errors
                .into_iter()
                .map(|(entry, message)| DbError::Entry {
                    zip: zip.to_path_buf(),
                    entry,
                    message,
                })
                .collect();
            return Ok(Loaded {
                db: index(name, records, built),
                errors,
                from_cache: true,
            });
        }
    }
    let (records, errors) = read_zip(zip, &bytes)?;
    // A cache that cannot be written only makes the next load slower.
    for path in &candidates {
        if write_cache(path, &key, &records, &errors).is_ok() {
            break;
        }
    }
    let errors = errors
        .into_iter()
        .map(|(entry, message)| DbError::Entry {
            zip: zip.to_path_buf(),
            entry,
            message,
        })
        .collect();
    Ok(Loaded {
        db: index(name, records, built),
        errors,
        from_cache: false,
    })
}

/// Where the cache of this zip may be, in the order tried.
fn cache_paths(name: &str, zip: &Path, cache: &CacheLocation) -> Vec<PathBuf> {
    let file = format!("{name}.chainproof-index");
    match cache {
        CacheLocation::Disabled => Vec::new(),
        CacheLocation::Dir(dir) => vec![dir.join(file)],
        CacheLocation::Beside => {
            let mut paths = vec![zip.with_file_name(CACHE_FILE)];
            if let Some(user) = user_cache_dir() {
                // One directory per database location, so that two databases do not evict
                // each other's caches.
                let canonical = fs::canonicalize(zip).unwrap_or_else(|_| zip.to_path_buf());
                let digest = hex(&Sha256::digest(canonical.to_string_lossy().as_bytes()));
                let short = digest.get(..16).unwrap_or(&digest);
                paths.push(
                    user.join("chainproof")
                        .join("osv-index")
                        .join(short)
                        .join(file),
                );
            }
            paths
        }
    }
}

fn user_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|home| PathBuf::from(home).join(".cache"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records that parsed, and (entry, message) for each entry that could not be used.
type Parsed = (Vec<Vulnerability>, Vec<(String, String)>);

/// Every `.json` entry of the zip, parsed.
fn read_zip(zip: &Path, bytes: &[u8]) -> Result<Parsed, DbError> {
    let zip_error = |message: String| DbError::Zip {
        zip: zip.to_path_buf(),
        message,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(zip_error(format!(
            "{} entries, more than {MAX_ENTRIES}",
            archive.len()
        )));
    }
    let mut texts = Vec::with_capacity(archive.len());
    let mut errors = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let listed = match archive.name_for_index(i) {
            Some(Ok(name)) => display_name(&name),
            _ => format!("#{i}"),
        };
        let mut file = match archive.by_index(i) {
            Ok(file) => file,
            Err(e) => {
                errors.push((listed, e.to_string()));
                continue;
            }
        };
        // The name is only ever shown, never used as a path.
        let raw = String::from_utf8_lossy(file.name_raw()).into_owned();
        let entry = display_name(&raw);
        if file.is_dir() || !raw.ends_with(".json") {
            continue;
        }
        if file.size() > MAX_ENTRY_BYTES {
            errors.push((
                entry,
                format!(
                    "declares {} bytes, more than {MAX_ENTRY_BYTES}",
                    file.size()
                ),
            ));
            continue;
        }
        let mut text = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
        // Bounded whatever the entry declares: a lying header cannot inflate more.
        let read = (&mut file).take(MAX_ENTRY_BYTES + 1).read_to_end(&mut text);
        if let Err(e) = read {
            errors.push((entry, format!("cannot be read: {e}")));
            continue;
        }
        if text.len() as u64 > MAX_ENTRY_BYTES {
            errors.push((
                entry,
                format!("inflates to more than {MAX_ENTRY_BYTES} bytes"),
            ));
            continue;
        }
        total += text.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(zip_error(format!(
                "inflates to more than {MAX_TOTAL_BYTES} bytes"
            )));
        }
        texts.push((entry, text));
    }
    let parsed: Vec<_> = texts
        .into_par_iter()
        .map(|(entry, text)| {
            let record = serde_json::from_slice::<Vulnerability>(&text)
                .map_err(|e| format!("not an OSV record: {e}"))
                .and_then(|v| {
                    if v.id.trim().is_empty() {
                        Err("not an OSV record: empty `id`".to_string())
                    } else {
                        Ok(v)
                    }
                });
            (entry, record)
        })
        .collect();
    let mut records = Vec::with_capacity(parsed.len());
    for (entry, record) in parsed {
        match record {
            Ok(v) => records.push(v),
            Err(message) => errors.push((entry, message)),
        }
    }
    records.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((records, errors))
}

/// An entry name safe to print: control characters escaped, long names cut.
fn display_name(name: &str) -> String {
    let escaped: String = name.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > 200 {
        let cut: String = escaped.chars().take(200).collect();
        format!("{cut}...")
    } else {
        escaped
    }
}

fn read_cache(path: &Path, key: &CacheKey) -> Option<Parsed> {
    let bytes = fs::read(path).ok()?;
    let rest = bytes.strip_prefix(CACHE_MAGIC)?;
    let len_bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
    let header_len = usize::try_from(u64::from_le_bytes(len_bytes)).ok()?;
    let header_end = 8usize.checked_add(header_len)?;
    let header: CacheHeader = serde_json::from_slice(rest.get(8..header_end)?).ok()?;
    if header.key != *key {
        return None;
    }
    let body = rest.get(header_end..)?;
    let records: Option<Vec<Vulnerability>> = header
        .records
        .par_iter()
        .map(|&(offset, len)| {
            let text = body.get(offset..offset.checked_add(len)?)?;
            serde_json::from_slice(text).ok()
        })
        .collect();
    // Any damage to the cache: rebuild it from the zip.
    Some((records?, header.errors))
}

fn write_cache(
    path: &Path,
    key: &CacheKey,
    records: &[Vulnerability],
    errors: &[(String, String)],
) -> std::io::Result<()> {
    let mut body = Vec::new();
    let mut offsets = Vec::with_capacity(records.len());
    for record in records {
        let start = body.len();
        serde_json::to_writer(&mut body, record)?;
        offsets.push((start, body.len() - start));
    }
    let header = serde_json::to_vec(&CacheHeader {
        key: key.clone(),
        errors: errors.to_vec(),
        records: offsets,
    })?;
    let mut out = Vec::with_capacity(CACHE_MAGIC.len() + 8 + header.len() + body.len());
    out.extend_from_slice(CACHE_MAGIC);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    // Written whole then renamed, so a reader never sees half a cache.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, &out)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// `checked` (Unix seconds) from the `all.zip.meta.json` beside the zip.
fn checked_time(zip: &Path) -> Option<SystemTime> {
    let text = fs::read(zip.with_file_name(crate::update::META_FILE)).ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let secs = meta.get("checked")?.as_u64().filter(|s| *s > 0)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

fn index(name: &str, records: Vec<Vulnerability>, built: Option<SystemTime>) -> EcosystemDb {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    let mut releases = BTreeSet::new();
    for (i, record) in records.iter().enumerate() {
        for affected in &record.affected {
            let Some(package) = &affected.package else {
                continue;
            };
            if base(&package.ecosystem) != name {
                continue;
            }
            if !releases.contains(canonical(&package.ecosystem)) {
                releases.insert(canonical(&package.ecosystem).to_string());
            }
            let key = normalize_name(&package.ecosystem, &package.name).into_owned();
            let ids = index.entry(key).or_default();
            if ids.last() != Some(&i) {
                ids.push(i);
            }
        }
    }
    EcosystemDb {
        records,
        index,
        releases,
        built,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(entries: &[(&str, String)]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn record(id: &str, eco: &str, modified: &str) -> String {
        format!(
            r#"{{"id":"{id}","modified":"{modified}","affected":[{{"package":{{"ecosystem":"{eco}","name":"x"}},"versions":["1"]}}]}}"#
        )
    }

    #[test]
    fn coverage_is_per_release() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Debian")).unwrap();
        let zip = zip_of(&[
            (
                "A.json",
                record("DSA-1", "Debian:12", "2024-01-01T00:00:00Z"),
            ),
            (
                "B.json",
                record("USN-1", "Ubuntu:22.04:LTS", "2024-01-01T00:00:00Z"),
            ),
        ]);
        fs::write(dir.path().join("Debian/all.zip"), zip).unwrap();
        let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
        assert!(db.covers("Debian:12"));
        assert!(!db.covers("Debian:13"));
        assert!(!db.covers("Debian"));
        // Ubuntu records in the Debian zip are not indexed as Debian's.
        assert!(!db.covers("Ubuntu:22.04:LTS"));
        assert!(crate::matcher::Advisories::covers(&db, "Debian:12"));
        assert!(!crate::matcher::Advisories::covers(&db, "Debian:13"));
    }

    #[test]
    fn age_is_when_the_export_was_checked_not_the_newest_record() {
        let dir = tempfile::tempdir().unwrap();
        for eco in ["npm", "PyPI"] {
            fs::create_dir_all(dir.path().join(eco)).unwrap();
        }
        // A future-dated record must not make the data look fresh.
        let npm = zip_of(&[("A.json", record("GHSA-1", "npm", "2999-01-01T00:00:00Z"))]);
        fs::write(dir.path().join("npm/all.zip"), npm).unwrap();
        fs::write(
            dir.path().join("npm").join(crate::update::META_FILE),
            r#"{"url":"u","etag":null,"last_modified":null,"checked":1000}"#,
        )
        .unwrap();
        let pypi = zip_of(&[("B.json", record("PYSEC-1", "PyPI", "2000-01-01T00:00:00Z"))]);
        fs::write(dir.path().join("PyPI/all.zip"), pypi).unwrap();
        let db = Db::open_with(dir.path(), &CacheLocation::Disabled).unwrap();
        assert_eq!(
            db.built_for(["npm"]),
            Some(UNIX_EPOCH + Duration::from_secs(1000))
        );
        // No meta file: the zip's modification time (just now), not the 2000 record.
        let pypi_built = db.built_for(["PyPI"]).unwrap();
        assert!(pypi_built > UNIX_EPOCH + Duration::from_secs(1_600_000_000));
        assert_eq!(db.built(), Some(UNIX_EPOCH + Duration::from_secs(1000)));
    }

    #[test]
    fn display_names_are_escaped() {
        assert_eq!(display_name("../a\n.json"), "../a\\n.json");
        assert!(display_name(&"x".repeat(500)).ends_with("..."));
    }
}
