//! The MaxMind DB file backend: opens each configured file (memory-mapped, or read whole),
//! reads its kind from the metadata, decides what it contributes to the configured context,
//! and answers addresses.
//!
//! Two paths give the same answers. The reference path ([`MmdbBackend::reference`]) is the
//! plain one: the `maxminddb` crate decodes each source's record, [`crate::mapping`] maps it,
//! serde writes `data`; it serves several merged databases and is what the fast path is
//! tested against. The fast path ([`fast`]) serves the common case of one used database.

mod bus;
mod fast;

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ipnet::IpNet;
use maxminddb::{MaxMindDbError, Reader};

use super::{Answer, Backend, DbKind, Deadline, Progress, SourceRecord, located};
use crate::config::{Context, DbFiles};
use crate::error::Error;
use crate::mapping::RowFilter;
use crate::paths::{self, Confine, io_reason};
use crate::protocol::DatabaseInfo;
use crate::record::Record;

/// A database's bytes: mapped (the default: nothing read up front) or read into memory (safe
/// against another process writing into the file in place). Shared, so that the fast path
/// reads the same bytes the reader walks.
#[derive(Clone)]
struct Bytes(Arc<Held>);

enum Held {
    Mapped(maxminddb::Mmap),
    Loaded(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        match &*self.0 {
            Held::Mapped(m) => m,
            Held::Loaded(v) => v,
        }
    }
}

/// One open database file.
pub struct Database {
    /// Watches the mapping for a truncation of the file (declared first: it is dropped before
    /// the mapping is unmapped). `None` for a file read whole.
    watch: Option<bus::Watch>,
    /// The file as configured (for messages and `meta.databases`).
    path: PathBuf,
    reader: Reader<Bytes>,
    bytes: Bytes,
    kind: DbKind,
    ipv4_only: bool,
    /// What the fast path knows of the file.
    index: fast::Index,
}

impl Database {
    /// Opens the file at `real` (named `path` in messages), after checking it is a regular
    /// file (a FIFO would block).
    fn open(path: &Path, real: &Path, in_memory: bool) -> Result<Database, Error> {
        let (reader, bytes) = open_reader(real, in_memory).map_err(|e| db_error(path, e))?;
        Database::from_reader(path, reader, bytes)
    }

    fn from_reader(path: &Path, reader: Reader<Bytes>, bytes: Bytes) -> Result<Database, Error> {
        let meta = reader.metadata();
        let index = fast::Index::new(bytes.as_ref(), meta).map_err(|reason| Error::DbInvalid {
            path: path.to_owned(),
            reason,
        })?;
        let watch = match &*bytes.0 {
            Held::Mapped(m) => Some(bus::Watch::new(m)),
            Held::Loaded(_) => None,
        };
        Ok(Database {
            watch,
            path: path.to_owned(),
            kind: DbKind::from_database_type(&meta.database_type),
            ipv4_only: meta.ip_version == 4,
            index,
            reader,
            bytes,
        })
    }

    fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// Whether the file was cut short while mapped: what was read since is not the database.
    fn damaged(&self) -> bool {
        self.watch.as_ref().is_some_and(bus::Watch::damaged)
    }

    /// The error for lookups that read the file after it was cut short.
    fn cut_short(&self) -> Error {
        corrupt(
            self,
            "the file was cut short while it was read (written in place by another process?)"
                .into(),
        )
    }
}

/// The database files a process has open, shared by the actions of a stream (`run --ndjson`
/// opens each file once). At most [`Databases::KEPT`] stay open: the least recently used goes
/// first, so a stream naming ever new files keeps its memory and mappings bounded.
#[derive(Default)]
pub struct Databases {
    /// The open files by real path and whether they were read whole, most recently used last.
    open: Mutex<Vec<(OpenKey, Arc<Database>)>>,
}

/// A file's real path, and whether it was read whole rather than mapped.
type OpenKey = (PathBuf, bool);

impl Databases {
    /// Files kept open at most.
    pub const KEPT: usize = 16;

    /// The file at `real`, opened now or earlier.
    fn get(&self, path: &Path, real: &Path, in_memory: bool) -> Result<Arc<Database>, Error> {
        let key = (real.to_owned(), in_memory);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        // A file cut short under an earlier action is opened again.
        open.retain(|(_, db)| !db.damaged());
        if let Some(at) = open.iter().position(|(k, _)| *k == key) {
            let entry = open.remove(at);
            let db = Arc::clone(&entry.1);
            open.push(entry);
            return Ok(db);
        }
        let db = Arc::new(Database::open(path, real, in_memory)?);
        if open.len() >= Self::KEPT {
            open.remove(0);
        }
        open.push((key, Arc::clone(&db)));
        Ok(db)
    }

    /// How many files are open.
    pub fn len(&self) -> usize {
        self.open.lock().map_or(0, |o| o.len())
    }

    /// Whether no file is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One configured database, with the rows it contributes to the action's context.
struct Source {
    db: Arc<Database>,
    /// `None` when it is not used in this context.
    rows: Option<RowFilter>,
}

/// The configured database files of one action.
pub struct MmdbBackend {
    sources: Vec<Source>,
    infos: Vec<DatabaseInfo>,
    /// How many sources are used: several are merged.
    used: usize,
    locale: &'static str,
    /// The fast path, when exactly one database is used.
    fast: Option<fast::Fast>,
}

impl MmdbBackend {
    /// Opens every file of `files` (or takes it from `open`) and checks that together they can
    /// answer `context`. Returns warnings about files that are not used in this context.
    pub fn open(
        files: &DbFiles,
        context: Context,
        locale: &'static str,
        open: &Databases,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut databases = Vec::with_capacity(files.files.len());
        let mut warnings = Vec::new();
        for (i, file) in files.files.iter().enumerate() {
            if files.files[..i].contains(file) {
                warnings.push(format!(
                    "database {} is listed twice; it is used once",
                    file.display()
                ));
                continue;
            }
            let real = resolve(files, file)?;
            // A name the platform gave stays a name in messages; a file the command line named
            // is shown where it was looked for (`--db NAME --db-dir DIR`: DIR/NAME).
            let shown = if files.confine { file } else { &real };
            databases.push(open.get(shown, &real, files.in_memory)?);
        }
        let (backend, more) = Self::from_databases(databases, context, locale)?;
        warnings.extend(more);
        Ok((backend, warnings))
    }

    /// A backend on one database held in memory (`name` stands for its file in messages); for
    /// tests and fuzzing.
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        context: Context,
        locale: &'static str,
    ) -> Result<(Self, Vec<String>), Error> {
        let path = PathBuf::from(name);
        let bytes = Bytes(Arc::new(Held::Loaded(bytes)));
        let reader = Reader::from_source(bytes.clone())
            .map_err(|e| db_error(&path, OpenError::Format(e)))?;
        let db = Database::from_reader(&path, reader, bytes)?;
        Self::from_databases(vec![Arc::new(db)], context, locale)
    }

    fn from_databases(
        databases: Vec<Arc<Database>>,
        context: Context,
        locale: &'static str,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut warnings = Vec::new();
        let mut sources = Vec::with_capacity(databases.len());
        let mut infos = Vec::with_capacity(databases.len());
        for db in databases {
            let meta = db.reader.metadata();
            let rows = db.kind.rows(context);
            if rows.is_none() {
                warnings.push(format!(
                    "database {} ({}) does not answer context_type {:?} and holds no other data; it was not used",
                    db.path.display(),
                    meta.database_type,
                    context.as_str()
                ));
            }
            infos.push(DatabaseInfo {
                file: db.path.display().to_string(),
                database_type: meta.database_type.clone(),
                build_epoch: meta.build_epoch,
                used: rows.is_some(),
                network: None,
            });
            sources.push(Source { db, rows });
        }
        if !sources.iter().any(|s| s.db.kind.answers(context)) {
            return Err(Error::ContextMismatch {
                context: context.as_str(),
                needs: needs(context),
                types: infos
                    .iter()
                    .map(|i| format!("{} ({})", i.database_type, i.file))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let used: Vec<usize> = (0..sources.len())
            .filter(|&i| sources[i].rows.is_some())
            .collect();
        let fast = match used[..] {
            [only] => sources[only]
                .rows
                .map(|rows| fast::Fast::new(only, sources[only].db.kind.shape(), rows, locale)),
            _ => None,
        };
        Ok((
            MmdbBackend {
                sources,
                infos,
                used: used.len(),
                locale,
                fast,
            },
            warnings,
        ))
    }

    /// The networks with a record inside `net` (at most `limit`, lowest first; `true` when there
    /// were more), from every database that answers the context: each database's search tree
    /// stores its own networks (a City database a /26 where an ASN database has the /24 around
    /// it), so the list is the union of theirs, one network per first address. The callers
    /// then ask all databases about each first address.
    pub fn networks_within(&self, net: IpNet, limit: usize) -> Result<(Vec<IpNet>, bool), Error> {
        let cidr = net
            .to_string()
            .parse()
            .map_err(|e| Error::Internal(format!("network {net}: {e}")))?;
        let mut found = Vec::new();
        let mut more = false;
        for source in self.sources.iter().filter(|s| s.rows.is_some()) {
            let db = &source.db;
            if db.ipv4_only && net.addr().is_ipv6() {
                continue;
            }
            let invalid = |e: &dyn std::fmt::Display| corrupt(db, e.to_string());
            let within = db
                .reader
                .within(cidr, maxminddb::WithinOptions::default())
                .map_err(|e| invalid(&e))?;
            for (own, item) in within.enumerate() {
                let item = item.map_err(|e| invalid(&e))?;
                if own == limit {
                    more = true;
                    break;
                }
                found.push(network_of(&item, db)?);
            }
        }
        // Lowest first; of networks that start at the same address, the most specific.
        found.sort_unstable_by_key(|n| (n.network(), std::cmp::Reverse(n.prefix_len())));
        found.dedup_by_key(|n| n.network());
        if found.len() > limit {
            found.truncate(limit);
            more = true;
        }
        Ok((found, more))
    }

    /// The reference path: each used source's record decoded by the `maxminddb` crate, mapped
    /// by the table and written by serde.
    fn reference(&self, ip: IpAddr) -> Result<Answer, Error> {
        let mut network: Option<IpNet> = None;
        let mut records = Vec::new();
        let mut matched = Vec::new();
        for (index, source) in self.sources.iter().enumerate() {
            let Some(rows) = source.rows else { continue };
            let db = &source.db;
            if db.ipv4_only && ip.is_ipv6() {
                continue;
            }
            let result = db
                .reader
                .lookup(ip)
                .map_err(|e| corrupt(db, e.to_string()))?;
            let found_under = network_of(&result, db)?;
            if network.is_none_or(|n| found_under.prefix_len() > n.prefix_len()) {
                network = Some(found_under);
            }
            let decoded: Option<Record<'_>> =
                result.decode().map_err(|e| corrupt(db, e.to_string()))?;
            let Some(record) = decoded.filter(|r| !r.is_empty_map()) else {
                continue;
            };
            if !matches!(record, Record::Map(_)) {
                let at = result.offset().unwrap_or_default();
                return Err(corrupt(
                    db,
                    format!("the record at data offset {at}: a record is not a map"),
                ));
            }
            records.push(SourceRecord {
                shape: db.kind.shape(),
                rows,
                record,
            });
            matched.push((index, found_under));
        }
        if records.is_empty() {
            return Ok(Answer {
                network,
                record: None,
                matched,
            });
        }
        // The network of the narrowest record.
        let network = matched.iter().map(|m| m.1).max_by_key(IpNet::prefix_len);
        let prefix_len = network.map_or(0, |n| n.prefix_len());
        let record = located(ip, prefix_len, records, self.used > 1, self.locale)?;
        Ok(Answer {
            network,
            record: Some(record),
            matched,
        })
    }

    /// This backend with every address answered by the reference path: for the differential
    /// tests, the fuzz target that holds the two paths to the same answers, and the benches
    /// that say what the fast path is worth.
    pub fn reference_path(mut self) -> Self {
        self.fast = None;
        self
    }
}

impl Backend for MmdbBackend {
    fn databases(&self) -> &[DatabaseInfo] {
        &self.infos
    }

    fn lookup_many(
        &self,
        ips: &[IpAddr],
        deadline: Deadline,
        progress: Option<&dyn Progress>,
    ) -> Vec<Result<Answer, Error>> {
        let answers = match (&self.fast, deadline.check()) {
            (_, Err(e)) => ips.iter().map(|_| Err(e.clone())).collect(),
            (Some(fast), Ok(())) => fast.lookup_many(&self.sources[fast.source].db, ips),
            (None, Ok(())) => ips
                .iter()
                .map(|&ip| deadline.check().and_then(|()| self.reference(ip)))
                .collect(),
        };
        // A file cut short under this batch: none of its answers can be trusted.
        let damaged = self
            .sources
            .iter()
            .find(|s| s.rows.is_some() && s.db.damaged());
        let answers = match damaged {
            Some(source) => answers.iter().map(|_| Err(source.db.cut_short())).collect(),
            None => answers,
        };
        if let Some(p) = progress {
            p.advance(ips.len());
        }
        answers
    }
}

fn needs(context: Context) -> &'static str {
    match context {
        Context::City | Context::Insights => "a City or Enterprise database",
        Context::Country => "a City, Country or Enterprise database",
        Context::Asn => "an ASN, ISP or Enterprise database",
        Context::Auto => "any database",
    }
}

/// The network `result` reports, in IPv4 terms for IPv4 addresses.
fn network_of<S: AsRef<[u8]>>(
    result: &maxminddb::LookupResult<'_, S>,
    db: &Database,
) -> Result<IpNet, Error> {
    let network = result.network().map_err(|e| corrupt(db, e.to_string()))?;
    IpNet::new(network.ip(), network.prefix())
        .map(|n| n.trunc())
        .map_err(|e| Error::Internal(format!("network from the reader: {e}")))
}

/// `db` is corrupt: `reason` says where.
fn corrupt(db: &Database, reason: String) -> Error {
    Error::DbInvalid {
        path: db.path.clone(),
        reason,
    }
}

/// Where a configured database file is: in `files.root` when there is one (confined to it when
/// the name came from the platform), else the name is the path.
fn resolve(files: &DbFiles, file: &Path) -> Result<PathBuf, Error> {
    let Some(root) = &files.root else {
        return Ok(file.to_path_buf());
    };
    if !files.confine {
        return Ok(root.join(file));
    }
    paths::confine(root, file).map_err(|e| match e {
        Confine::NoFolder(reason) => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: format!("{reason}; set db_dir to the folder the .mmdb files are in"),
        },
        Confine::Missing(reason) => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: format!("{reason}; upload it or fix mmdb_filename"),
        },
        Confine::Escapes(reason) => Error::ConfigInvalid {
            key: "mmdb_filename",
            reason,
        },
    })
}

enum OpenError {
    Io(std::io::Error),
    /// The file opened but could not be mapped.
    Map(std::io::Error),
    NotAFile,
    Format(MaxMindDbError),
}

/// Opens a database, after checking it is a regular file (a FIFO would block).
fn open_reader(path: &Path, in_memory: bool) -> Result<(Reader<Bytes>, Bytes), OpenError> {
    let meta = fs::metadata(path).map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotAFile);
    }
    if meta.len() == 0 {
        return Err(OpenError::Format(MaxMindDbError::invalid_database(
            "the file is empty",
        )));
    }
    let held = if in_memory {
        Held::Loaded(fs::read(path).map_err(OpenError::Io)?)
    } else {
        Held::Mapped(map(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OpenError::Io(e),
            _ => OpenError::Map(e),
        })?)
    };
    let bytes = Bytes(Arc::new(held));
    let reader = Reader::from_source(bytes.clone()).map_err(OpenError::Format)?;
    Ok((reader, bytes))
}

/// Maps a database file read-only.
#[allow(unsafe_code)]
fn map(path: &Path) -> std::io::Result<maxminddb::Mmap> {
    let file = fs::File::open(path)?;
    // SAFETY: the map is read-only and lives as long as the reader. MaxMind's updaters replace a
    // database by renaming a new file over the old one, which leaves this mapping on the old
    // inode, intact. Writing into the same file in place while a run reads it changes the bytes
    // under the reader; the reader bounds-checks every offset it follows, but cannot see such a
    // change. Truncating it makes reads past the new end fault: [`bus`] turns that into
    // `db_invalid`. `databases_in_memory` reads the file instead.
    unsafe { maxminddb::Mmap::map(&file) }
}

/// What a database file says of itself (`db info`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Facts {
    /// The file as named.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// `database_type`, e.g. `GeoIP2-City`.
    pub database_type: String,
    /// `build_epoch`: when it was built, in seconds since 1970.
    pub build_epoch: u64,
    /// The build time, RFC 3339.
    pub build_date: String,
    /// Whole days since the build.
    pub age_days: u64,
    /// 4 or 6.
    pub ip_version: u16,
    /// Bits per search-tree record: 24, 28 or 32.
    pub record_size: u16,
    /// Nodes in the search tree.
    pub node_count: u32,
    /// MaxMind DB format version, `major.minor`.
    pub binary_format: String,
    /// The locales names are given in.
    pub languages: Vec<String>,
    /// The description, by language.
    pub description: std::collections::BTreeMap<String, String>,
}

/// Reads the metadata of the database at `path`.
pub fn facts(path: &Path) -> Result<Facts, Error> {
    let (reader, bytes) = open_reader(path, false).map_err(|e| db_error(path, e))?;
    let m = reader.metadata();
    let built = std::time::UNIX_EPOCH + std::time::Duration::from_secs(m.build_epoch);
    Ok(Facts {
        file: path.display().to_string(),
        size: bytes.as_ref().len() as u64,
        database_type: m.database_type.clone(),
        build_epoch: m.build_epoch,
        build_date: humantime::format_rfc3339_seconds(built).to_string(),
        age_days: std::time::SystemTime::now()
            .duration_since(built)
            .map_or(0, |d| d.as_secs() / 86_400),
        ip_version: m.ip_version,
        record_size: m.record_size,
        node_count: m.node_count,
        binary_format: format!(
            "{}.{}",
            m.binary_format_major_version, m.binary_format_minor_version
        ),
        languages: m.languages.clone(),
        description: m.description.clone(),
    })
}

/// Walks the whole search tree and data section of the database at `path` (`db verify`);
/// corruption is [`Error::DbInvalid`].
pub fn verify(path: &Path) -> Result<(), Error> {
    let (reader, _) = open_reader(path, false).map_err(|e| db_error(path, e))?;
    reader.verify().map_err(|e| Error::DbInvalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn db_error(file: &Path, e: OpenError) -> Error {
    match e {
        OpenError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: match std::path::absolute(file) {
                // A relative path says where it was looked for.
                Ok(full) if file.is_relative() => {
                    format!("not found (looked for {})", full.display())
                }
                _ => io_reason(&e),
            },
        },
        OpenError::Io(e) => Error::DbUnreadable {
            path: file.to_path_buf(),
            reason: io_reason(&e),
        },
        OpenError::Map(e) => Error::DbUnreadable {
            path: file.to_path_buf(),
            reason: format!(
                "it cannot be memory-mapped ({}); databases_in_memory reads it instead",
                io_reason(&e)
            ),
        },
        OpenError::NotAFile => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: "not a regular file".to_owned(),
        },
        OpenError::Format(MaxMindDbError::Io(e)) => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: io_reason(&e),
        },
        OpenError::Format(e) => Error::DbInvalid {
            path: file.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod test_data;

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn deadline() -> Deadline {
        Deadline {
            at: Instant::now() + Duration::from_secs(3600),
            seconds: 3600,
        }
    }

    /// An answer as the response sees it.
    fn seen(answer: &Result<Answer, Error>) -> Result<String, String> {
        match answer {
            Err(e) => Err(e.code().to_owned()),
            Ok(a) => Ok(format!(
                "network {:?} matched {:?} record {:?}",
                a.network,
                a.matched,
                a.record.as_ref().map(|r| (
                    r.data.get().into_owned(),
                    r.attributes.to_vec(),
                    r.indicators.to_vec(),
                    r.display.clone()
                ))
            )),
        }
    }

    #[test]
    fn the_fast_path_answers_every_record_as_the_reference_path_does() {
        let (mut databases, mut compared, mut refused) = (0, 0, 0);
        for (name, bytes) in test_data::every_database() {
            let ips = test_data::probes(&bytes);
            for context in [Context::Auto, Context::City, Context::Country, Context::Asn] {
                for locale in ["en", "de", "zh-CN"] {
                    // (Some of MaxMind's test files answer no context, or refuse to open:
                    // they test the format.)
                    let Ok((fast, _)) =
                        MmdbBackend::from_bytes(&name, bytes.clone(), context, locale)
                    else {
                        continue;
                    };
                    assert!(
                        fast.fast.is_some(),
                        "{name}: one database takes the fast path"
                    );
                    let (reference, _) =
                        MmdbBackend::from_bytes(&name, bytes.clone(), context, locale).unwrap();
                    let reference = reference.reference_path();
                    // In batches, as actions hand them over, and one by one.
                    for batch in ips.chunks(crate::backend::BATCH) {
                        let by_fast = fast.lookup_many(batch, deadline(), None);
                        let by_reference = reference.lookup_many(batch, deadline(), None);
                        for ((ip, f), r) in batch.iter().zip(&by_fast).zip(&by_reference) {
                            assert_eq!(seen(f), seen(r), "{name} {context:?} {locale} {ip}");
                            refused += usize::from(f.is_err());
                            compared += 1;
                        }
                    }
                    databases += 1;
                }
            }
        }
        // The fixtures, MaxMind's test databases in every context that opens, the generated.
        assert!(
            databases > 150 && compared > 1_000_000,
            "{databases} {compared}"
        );
        assert!(
            refused > 0,
            "the corrupt databases refuse some addresses on both paths"
        );
    }

    #[test]
    fn several_databases_are_merged_by_the_reference_path() {
        let fixture = |name: &str| -> Arc<Database> {
            let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")).join(name);
            Arc::new(Database::open(&path, &path, false).unwrap())
        };
        let dbs = vec![
            fixture("GeoIP2-City-Fixture.mmdb"),
            fixture("GeoLite2-ASN-Fixture.mmdb"),
        ];
        let (backend, _) = MmdbBackend::from_databases(dbs, Context::City, "en").unwrap();
        assert!(backend.fast.is_none());
        let ip: IpAddr = "81.2.69.142".parse().unwrap();
        let answer = backend
            .lookup_many(&[ip], deadline(), None)
            .remove(0)
            .unwrap();
        let data: serde_json::Value =
            serde_json::from_str(&answer.record.unwrap().data.get()).unwrap();
        assert_eq!(data["city"]["names"]["en"], "London");
        assert_eq!(data["traits"]["autonomous_system_number"], 20712);
        assert_eq!(data["traits"]["ip_address"], "81.2.69.142");
        assert_eq!(answer.matched.len(), 2, "both databases matched");
    }

    #[test]
    fn a_passed_deadline_answers_every_address_with_action_timeout() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/GeoIP2-City-Fixture.mmdb"
        );
        let (backend, _) =
            MmdbBackend::from_bytes("city", std::fs::read(path).unwrap(), Context::City, "en")
                .unwrap();
        let past = Deadline {
            at: Instant::now(),
            seconds: 1,
        };
        let ips: Vec<IpAddr> = vec!["81.2.69.142".parse().unwrap(), "::1".parse().unwrap()];
        for answer in backend.lookup_many(&ips, past, None) {
            assert_eq!(answer.unwrap_err().code(), "action_timeout");
        }
    }

    #[test]
    fn a_process_keeps_at_most_sixteen_files_open() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/GeoIP2-City-Fixture.mmdb"
        );
        let open = Databases::default();
        for i in 0..40 {
            let path = dir.path().join(format!("{i}.mmdb"));
            std::fs::copy(fixture, &path).unwrap();
            open.get(&path, &path, false).unwrap();
            assert!(open.len() <= Databases::KEPT);
        }
        assert_eq!(open.len(), Databases::KEPT);
        // The most recently used stay; asking again for one that is kept opens nothing new.
        let kept = dir.path().join("39.mmdb");
        let a = open.get(&kept, &kept, false).unwrap();
        let b = open.get(&kept, &kept, false).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
