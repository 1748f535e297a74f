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

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ecosystem::{base, normalize_name};
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
    /// Newest `modified` of the records, or the zip's modification time.
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

    /// How fresh the data is: for each ecosystem the newest `modified` of its records (or the
    /// zip's modification time when no record has a readable one); the oldest of those, so that
    /// a `--max-db-age` check fails when any ecosystem is stale.
    pub fn built(&self) -> Option<SystemTime> {
        self.ecosystems.values().filter_map(|e| e.built).min()
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
                db: index(name, records, mtime),
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
        db: index(name, records, mtime),
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

fn index(name: &str, records: Vec<Vulnerability>, mtime: Option<SystemTime>) -> EcosystemDb {
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    let mut newest: Option<SystemTime> = None;
    for (i, record) in records.iter().enumerate() {
        if let Some(t) = parse_rfc3339(&record.modified) {
            newest = Some(newest.map_or(t, |n| n.max(t)));
        }
        for affected in &record.affected {
            let Some(package) = &affected.package else {
                continue;
            };
            if base(&package.ecosystem) != name {
                continue;
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
        built: newest.or(mtime),
    }
}

/// `2024-01-02T03:04:05Z`, with optional fractional seconds and a `+hh:mm` offset.
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = frac.get(digits..)?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second.min(60) - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t =
            |s| parse_rfc3339(s).map(|t| t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).ok());
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(Some(0)));
        assert_eq!(t("2024-10-10T12:00:00.123456Z"), Some(Some(1_728_561_600)));
        assert_eq!(t("2024-10-10T14:00:00+02:00"), Some(Some(1_728_561_600)));
        assert_eq!(t("2024-13-10T14:00:00Z"), None);
        assert_eq!(t("yesterday"), None);
    }

    #[test]
    fn display_names_are_escaped() {
        assert_eq!(display_name("../a\n.json"), "../a\\n.json");
        assert!(display_name(&"x".repeat(500)).ends_with("..."));
    }
}
