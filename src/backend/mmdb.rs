//! The MaxMind DB file backend: opens each configured file once (memory-mapped), reads its kind
//! from the metadata, decides what it contributes to the configured context, and looks IPs up.

use foldhash::{HashMap, HashMapExt};
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ipnet::IpNet;
use maxminddb::{MaxMindDbError, Reader};

use super::transcode::{self, Inject, Splice};
use super::tree::V4Tree;
use super::{Answer, Backend, Found, Shape, SourceRecord, Transcoded};
use crate::config::{Context, DbFiles};
use crate::error::Error;
use crate::mapping::{Display, PathTrie, RowFilter};
use crate::paths::{self, Confine, io_reason};
use crate::protocol::{Attribute, DatabaseInfo, Indicator, RawJson, SharedList};
use crate::record::Record;

/// What a database holds, read from its metadata `database_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// GeoIP2/GeoLite2 City (and regional/Shield variants).
    City,
    /// GeoIP2/GeoLite2 Country.
    Country,
    /// GeoIP2 Enterprise and Precision Enterprise.
    Enterprise,
    /// GeoLite2/GeoIP2 ASN.
    Asn,
    /// GeoIP2 ISP.
    Isp,
    /// GeoIP2 Anonymous-IP, GeoIP Anonymous Plus.
    AnonymousIp,
    /// GeoIP2 Connection-Type.
    ConnectionType,
    /// GeoIP2 Domain.
    Domain,
    /// A type the mapping table does not know (DensityIncome, IP-Risk, …): flat raw data.
    Other,
}

impl DbKind {
    /// Classifies a metadata `database_type`.
    pub fn from_database_type(database_type: &str) -> DbKind {
        let t = database_type.to_ascii_lowercase();
        if t.contains("enterprise") {
            DbKind::Enterprise
        } else if t.contains("city") {
            DbKind::City
        } else if t.contains("country") {
            DbKind::Country
        } else if t.contains("asn") {
            DbKind::Asn
        } else if t.contains("isp") {
            DbKind::Isp
        } else if t.contains("anonymous-ip") || t.contains("anonymous-plus") {
            DbKind::AnonymousIp
        } else if t.contains("connection-type") {
            DbKind::ConnectionType
        } else if t.contains("domain") {
            DbKind::Domain
        } else {
            DbKind::Other
        }
    }

    /// The record layout of this kind.
    pub fn shape(self) -> Shape {
        match self {
            DbKind::City | DbKind::Country | DbKind::Enterprise => Shape::Located,
            _ => Shape::Flat,
        }
    }

    /// Whether this kind answers `context` (at least one listed database must).
    pub fn answers(self, context: Context) -> bool {
        match context {
            Context::City | Context::Insights => {
                matches!(self, DbKind::City | DbKind::Enterprise)
            }
            Context::Country => {
                matches!(self, DbKind::City | DbKind::Country | DbKind::Enterprise)
            }
            Context::Asn => matches!(self, DbKind::Asn | DbKind::Isp | DbKind::Enterprise),
            Context::Auto => true,
        }
    }

    /// The rows this kind contributes in `context`, or `None` when it is not used.
    ///
    /// Flat kinds hold data of their own and add it in any context; located kinds contribute the
    /// rows of the context they answer.
    pub fn rows(self, context: Context) -> Option<RowFilter> {
        if self.shape() == Shape::Flat {
            return Some(RowFilter::ALL);
        }
        if !self.answers(context) {
            return None;
        }
        Some(match (context, self) {
            (Context::Country, _) | (Context::Auto, DbKind::Country) => RowFilter::COUNTRY,
            (Context::Asn, _) => RowFilter::ASN,
            _ => RowFilter::ALL,
        })
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

/// A database's bytes: mapped (the default: nothing read up front) or read into memory (safe
/// against another process writing into the file in place).
/// Shared, so that the transcoder reads the same bytes the reader walks.
#[derive(Clone)]
struct DbBytes(Arc<Bytes>);

enum Bytes {
    Mapped(maxminddb::Mmap),
    Loaded(Vec<u8>),
}

impl AsRef<[u8]> for DbBytes {
    fn as_ref(&self) -> &[u8] {
        match &*self.0 {
            Bytes::Mapped(m) => m,
            Bytes::Loaded(v) => v,
        }
    }
}

impl DbBytes {
    fn loaded(bytes: Vec<u8>) -> Self {
        DbBytes(Arc::new(Bytes::Loaded(bytes)))
    }

    fn mapped(map: maxminddb::Mmap) -> Self {
        DbBytes(Arc::new(Bytes::Mapped(map)))
    }
}

/// The marker before a database's metadata.
const METADATA_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

/// The data section of a database the reader accepted: after the search tree and its 16-byte
/// separator, up to the metadata marker (which sits in the last 128 KiB).
fn data_section(bytes: &[u8], metadata: &maxminddb::Metadata) -> Option<std::ops::Range<usize>> {
    let tree = (metadata.node_count as usize).checked_mul(usize::from(metadata.record_size))? / 4;
    let start = tree.checked_add(16)?;
    let tail_from = bytes.len().saturating_sub(128 * 1024);
    let end = tail_from
        + bytes[tail_from..]
            .windows(METADATA_MARKER.len())
            .rposition(|w| w == METADATA_MARKER)?;
    (start <= end).then_some(start..end)
}

struct Database {
    reader: Reader<DbBytes>,
    bytes: DbBytes,
    data: std::ops::Range<usize>,
    kind: DbKind,
    rows: Option<RowFilter>,
    trie: Option<PathTrie>,
    ipv4_only: bool,
    /// The IPv4 part of the search tree, for walking many addresses at once; `None` for an
    /// unusual tree, whose addresses the reader walks one by one.
    v4_tree: Option<V4Tree>,
    path: PathBuf,
    /// Unique in the process: what a thread's [`transcode::Memo`] belongs to.
    id: u64,
}

thread_local! {
    /// Per thread: a scratch buffer a record is written to (then copied once into its shared,
    /// exactly sized home), and the sub-maps already written.
    static SCRATCH: std::cell::RefCell<(String, transcode::Memo)> =
        std::cell::RefCell::new((String::with_capacity(4096), transcode::Memo::default()));
}

/// The configured database files, open.
pub struct MmdbBackend {
    databases: Vec<Database>,
    infos: Vec<DatabaseInfo>,
    used: usize,
    /// Transcoded records of this action by data offset: addresses often share a record.
    cache: Mutex<HashMap<usize, Arc<Cached>>>,
}

/// A record written once for every address of the action that shares it.
struct Cached {
    json: Arc<str>,
    splice: Splice,
    attributes: Arc<SharedList<Attribute>>,
    indicators: Arc<SharedList<Indicator>>,
    display: Arc<Display>,
}

/// Records kept per action at most. Every record cached is also held by the results of the
/// addresses that share it, so the cache itself costs only its table; the bound is a
/// safeguard. (At 20,000, a bulk of 1,000,000 addresses, 125,000 records, wrote most of
/// its records again for each of their addresses.)
const CACHE_RECORDS: usize = 1 << 20;

impl MmdbBackend {
    /// Opens every file of `files` and checks that together they can answer `context`.
    ///
    /// Returns warnings about files that are not used in this context.
    pub fn open(
        files: &DbFiles,
        context: Context,
        locale: &'static str,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut readers = Vec::with_capacity(files.files.len());
        let mut warnings = Vec::new();
        for (i, file) in files.files.iter().enumerate() {
            if files.files[..i].contains(file) {
                warnings.push(format!(
                    "database {} is listed twice; it is used once",
                    file.display()
                ));
                continue;
            }
            let path = resolve(files.root.as_deref(), file)?;
            let (reader, bytes) =
                open_reader(&path, files.in_memory).map_err(|e| db_error(file, e))?;
            readers.push((file.clone(), reader, bytes));
        }
        let (backend, more) = Self::from_readers(readers, context, locale)?;
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
        let bytes = DbBytes::loaded(bytes);
        let reader = Reader::from_source(bytes.clone())
            .map_err(|e| db_error(&path, OpenError::Format(e)))?;
        Self::from_readers(vec![(path, reader, bytes)], context, locale)
    }

    fn from_readers(
        readers: Vec<(PathBuf, Reader<DbBytes>, DbBytes)>,
        context: Context,
        locale: &'static str,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut databases = Vec::with_capacity(readers.len());
        let mut infos = Vec::with_capacity(readers.len());
        let mut warnings = Vec::new();
        for (file, reader, bytes) in readers {
            let meta = reader.metadata();
            let kind = DbKind::from_database_type(&meta.database_type);
            let rows = kind.rows(context);
            if rows.is_none() {
                warnings.push(format!(
                    "database {} ({}) does not answer context_type {:?} and holds no other data; it was not used",
                    file.display(),
                    meta.database_type,
                    context.as_str()
                ));
            }
            infos.push(DatabaseInfo {
                file: file.display().to_string(),
                database_type: meta.database_type.clone(),
                build_epoch: meta.build_epoch,
                used: rows.is_some(),
                network: None,
            });
            let data = data_section(bytes.as_ref(), meta).ok_or_else(|| Error::DbInvalid {
                path: file.clone(),
                reason: "the data section cannot be found".into(),
            })?;
            static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
            databases.push(Database {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                ipv4_only: meta.ip_version == 4,
                v4_tree: V4Tree::new(
                    bytes.as_ref(),
                    meta.ip_version,
                    meta.node_count,
                    meta.record_size,
                ),
                trie: rows.map(|r| PathTrie::new(r, locale)),
                data,
                bytes,
                reader,
                kind,
                rows,
                path: file,
            });
        }
        if !databases.iter().any(|d| d.kind.answers(context)) {
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
        let used = databases.iter().filter(|d| d.rows.is_some()).count();
        Ok((
            MmdbBackend {
                databases,
                infos,
                used,
                cache: Mutex::new(HashMap::new()),
            },
            warnings,
        ))
    }
}

impl MmdbBackend {
    /// The networks with a record inside `net` (at most `limit`; `true` when there were more),
    /// from the first database that answers the context: the networks its search tree stores,
    /// whose first addresses the other databases are then asked about.
    pub fn networks_within(&self, net: IpNet, limit: usize) -> Result<(Vec<IpNet>, bool), Error> {
        let Some(db) = self.databases.iter().find(|d| d.rows.is_some()) else {
            return Ok((Vec::new(), false));
        };
        if db.ipv4_only && net.addr().is_ipv6() {
            return Ok((Vec::new(), false));
        }
        let invalid = |e: &dyn std::fmt::Display| Error::DbInvalid {
            path: db.path.clone(),
            reason: e.to_string(),
        };
        let cidr = net
            .to_string()
            .parse()
            .map_err(|e| Error::Internal(format!("network {net}: {e}")))?;
        let mut found = Vec::new();
        for item in db
            .reader
            .within(cidr, maxminddb::WithinOptions::default())
            .map_err(|e| invalid(&e))?
        {
            let item = item.map_err(|e| invalid(&e))?;
            if found.len() == limit {
                return Ok((found, true));
            }
            found.push(Self::network_of(&item, db)?);
        }
        Ok((found, false))
    }

    /// Forgets the records cached so far, and the calling thread's shared maps already
    /// written, as a new action (a new process) starts: between the actions of a stream,
    /// which share the open databases, and for benchmarks that measure many actions on one
    /// open database (a warm memo made a second pass 9 % cheaper).
    pub fn forget_records(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
        SCRATCH.with_borrow_mut(|(_, memo)| *memo = transcode::Memo::default());
    }

    /// How many records are cached for the current action.
    #[cfg(test)]
    pub(crate) fn cached_records(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.len())
    }

    /// The fast path's source, when exactly one database is used.
    fn fast_source(&self) -> Option<Fast<'_>> {
        if self.used != 1 {
            return None;
        }
        let (index, db) = self
            .databases
            .iter()
            .enumerate()
            .find(|(_, d)| d.rows.is_some())?;
        Some(Fast {
            index,
            db,
            trie: db.trie.as_ref()?,
        })
    }

    /// The network `result` reports, in IPv4 terms for IPv4 addresses.
    fn network_of<S: AsRef<[u8]>>(
        result: &maxminddb::LookupResult<'_, S>,
        db: &Database,
    ) -> Result<IpNet, Error> {
        let network = result.network().map_err(|e| Error::DbInvalid {
            path: db.path.clone(),
            reason: e.to_string(),
        })?;
        IpNet::new(network.ip(), network.prefix())
            .map(|n| n.trunc())
            .map_err(|e| Error::Internal(format!("network from the reader: {e}")))
    }

    /// The fast-path answer for `ip`, whose walk down the tree the reader takes.
    fn transcoded(&self, fast: Fast<'_>, ip: IpAddr) -> Result<Transcoded, Error> {
        let Fast { index, db, .. } = fast;
        if db.ipv4_only && ip.is_ipv6() {
            return Ok(Transcoded {
                source: index,
                network: None,
                answer: None,
            });
        }
        let result = db
            .reader
            .lookup(ip)
            .map_err(|e| corrupt(db, e.to_string()))?;
        let network = Self::network_of(&result, db)?;
        let offset = result.offset();
        let cached = offset.and_then(|o| self.cache.lock().ok()?.get(&o).cloned());
        self.answer(fast, ip, network, offset, cached)
    }

    /// The cached records at each of `offsets` (`None` for an address without one), asked
    /// for under one lock. The records are shared with the addresses that found them before
    /// and lie apart in memory: their cache lines are fetched for the whole batch before any
    /// is used, so that the waits on memory overlap (counting a reference to a record is an
    /// atomic write, which waits for its line before anything after it goes on).
    fn cached_many(
        &self,
        offsets: impl Iterator<Item = Option<usize>>,
    ) -> Vec<Option<Arc<Cached>>> {
        let Ok(cache) = self.cache.lock() else {
            return offsets.map(|_| None).collect();
        };
        let found: Vec<Option<&Arc<Cached>>> =
            offsets.map(|o| o.and_then(|o| cache.get(&o))).collect();
        for c in found.iter().flatten() {
            super::prefetch(Arc::as_ptr(c));
        }
        let cached: Vec<Option<Arc<Cached>>> = found.into_iter().map(|c| c.cloned()).collect();
        drop(cache);
        for c in cached.iter().flatten() {
            super::prefetch(Arc::as_ptr(&c.json));
            super::prefetch(Arc::as_ptr(&c.attributes));
            super::prefetch(Arc::as_ptr(&c.indicators));
            super::prefetch(Arc::as_ptr(&c.display));
        }
        cached
    }

    /// The answer for `ip`, stored under `network`, whose record (if any) is at `offset` of the
    /// data section: `cached` when the cache had it, else transcoded and mapped (and then
    /// cached). The cache is asked first: a cached record is never empty, and the record's
    /// bytes (a cache miss on a random place of the file) are read only for a record not yet
    /// known.
    fn answer(
        &self,
        fast: Fast<'_>,
        ip: IpAddr,
        network: IpNet,
        offset: Option<usize>,
        cached: Option<Arc<Cached>>,
    ) -> Result<Transcoded, Error> {
        let Fast { index, db, trie } = fast;
        let mut out = Transcoded {
            source: index,
            network: Some(network),
            answer: None,
        };
        let Some(offset) = offset else {
            return Ok(out);
        };
        let cached = match cached {
            Some(c) => c,
            None => {
                let data = &db.bytes.as_ref()[db.data.clone()];
                if transcode::is_empty_map(data, offset) {
                    return Ok(out);
                }
                let inject = match db.kind.shape() {
                    Shape::Located => Inject::Traits,
                    _ => Inject::Top,
                };
                let mut captures = Vec::with_capacity(48);
                let (json, splice) = SCRATCH.with_borrow_mut(|(json, memo)| {
                    json.clear();
                    let memo = memo.for_owner(db.id);
                    transcode::transcode(
                        data,
                        offset,
                        trie,
                        inject,
                        json,
                        &mut captures,
                        Some(memo),
                    )
                    .map(|splice| (Arc::<str>::from(json.as_str()), splice))
                    .map_err(|reason| {
                        corrupt(db, format!("the record at data offset {offset}: {reason}"))
                    })
                })?;
                let (mapped, display) = trie.resolve(&captures);
                let fresh = Arc::new(Cached {
                    json,
                    splice,
                    attributes: Arc::new(mapped.attributes.into()),
                    indicators: Arc::new(mapped.indicators.into()),
                    display: Arc::new(display),
                });
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.len() < CACHE_RECORDS {
                        cache.insert(offset, Arc::clone(&fresh));
                    }
                }
                fresh
            }
        };
        let insert = cached.splice.insert(ip, network.prefix_len());
        out.answer = Some(Answer {
            data: RawJson::spliced(Arc::clone(&cached.json), cached.splice.at, insert),
            attributes: Arc::clone(&cached.attributes),
            indicators: Arc::clone(&cached.indicators),
            display: Arc::clone(&cached.display),
        });
        Ok(out)
    }
}

impl Backend for MmdbBackend {
    fn lookup_transcoded(&self, ip: IpAddr) -> Option<Result<Transcoded, Error>> {
        let fast = self.fast_source()?;
        Some(self.transcoded(fast, ip))
    }

    fn lookup_transcoded_many(&self, ips: &[IpAddr]) -> Option<Vec<Result<Transcoded, Error>>> {
        let fast = self.fast_source()?;
        let db = fast.db;
        let Some(tree) = &db.v4_tree else {
            return Some(ips.iter().map(|&ip| self.transcoded(fast, ip)).collect());
        };
        let v4: Vec<std::net::Ipv4Addr> = ips
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        let mut walked = Vec::with_capacity(v4.len());
        tree.walk(db.bytes.as_ref(), &v4, &mut walked);
        let placed: Vec<Result<(IpNet, Option<usize>), Error>> = v4
            .iter()
            .zip(&walked)
            .map(|(ip, w)| {
                let network = IpNet::new(IpAddr::V4(*ip), w.depth)
                    .map_err(|e| Error::Internal(format!("network of a walk: {e}")))?
                    .trunc();
                let offset = tree
                    .data_offset(*w, db.data.len())
                    .map_err(|reason| corrupt(db, reason))?;
                Ok((network, offset))
            })
            .collect();
        let cached = self.cached_many(placed.iter().map(|p| p.as_ref().ok().and_then(|p| p.1)));
        // One walk (and one cache answer) per IPv4 address, in order.
        let mut walked = placed.into_iter().zip(cached);
        Some(
            ips.iter()
                .map(
                    |&ip| match (ip, ip.is_ipv4().then(|| walked.next()).flatten()) {
                        (IpAddr::V4(_), Some((place, hit))) => {
                            let (network, offset) = place?;
                            self.answer(fast, ip, network, offset, hit)
                        }
                        _ => self.transcoded(fast, ip),
                    },
                )
                .collect(),
        )
    }

    fn databases(&self) -> &[DatabaseInfo] {
        &self.infos
    }

    fn merges(&self) -> bool {
        self.used > 1
    }

    fn lookup(&self, ip: IpAddr) -> Result<Found<'_>, Error> {
        let mut found = Found {
            records: Vec::new(),
            network: None,
        };
        for (index, db) in self.databases.iter().enumerate() {
            let Some(rows) = db.rows else { continue };
            if db.ipv4_only && ip.is_ipv6() {
                continue;
            }
            let corrupt = |e: MaxMindDbError| Error::DbInvalid {
                path: db.path.clone(),
                reason: e.to_string(),
            };
            let result = db.reader.lookup(ip).map_err(corrupt)?;
            let network = result.network().map_err(corrupt)?;
            let network = IpNet::new(network.ip(), network.prefix())
                .map_err(|e| Error::Internal(format!("network from the reader: {e}")))?
                .trunc();
            if found
                .network
                .is_none_or(|n| network.prefix_len() > n.prefix_len())
            {
                found.network = Some(network);
            }
            let Some(record) = result.decode::<Record<'_>>().map_err(corrupt)? else {
                continue;
            };
            if record.is_empty_map() {
                continue;
            }
            found.records.push(SourceRecord {
                source: index,
                network,
                shape: db.kind.shape(),
                rows,
                record,
                raw: None,
            });
        }
        if let Some(narrowest) = found
            .records
            .iter()
            .map(|r| r.network)
            .max_by_key(IpNet::prefix_len)
        {
            found.network = Some(narrowest);
        }
        Ok(found)
    }
}

/// The fast path's source: the one used database, its index among the databases and its
/// mapping trie.
#[derive(Clone, Copy)]
struct Fast<'a> {
    index: usize,
    db: &'a Database,
    trie: &'a PathTrie,
}

/// `db` is corrupt: `reason` says where.
fn corrupt(db: &Database, reason: String) -> Error {
    Error::DbInvalid {
        path: db.path.clone(),
        reason,
    }
}

/// Resolves a configured database file, confined to `root` when there is one.
fn resolve(root: Option<&Path>, file: &Path) -> Result<PathBuf, Error> {
    let Some(root) = root else {
        return Ok(file.to_path_buf());
    };
    paths::confine(root, file).map_err(|e| match e {
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
    NotAFile,
    Format(MaxMindDbError),
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
        OpenError::Io(e) => Error::DbNotFound {
            path: file.to_path_buf(),
            reason: io_reason(&e),
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

/// Opens a database, after checking it is a regular file (a FIFO would block).
fn open_reader(path: &Path, in_memory: bool) -> Result<(Reader<DbBytes>, DbBytes), OpenError> {
    let meta = fs::metadata(path).map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotAFile);
    }
    if meta.len() == 0 {
        return Err(OpenError::Format(MaxMindDbError::invalid_database(
            "the file is empty",
        )));
    }
    let bytes = if in_memory {
        DbBytes::loaded(fs::read(path).map_err(OpenError::Io)?)
    } else {
        DbBytes::mapped(map(path).map_err(OpenError::Io)?)
    };
    let reader = Reader::from_source(bytes.clone()).map_err(OpenError::Format)?;
    Ok((reader, bytes))
}

/// Maps a database file read-only.
fn map(path: &Path) -> std::io::Result<maxminddb::Mmap> {
    let file = fs::File::open(path)?;
    // SAFETY: the map is read-only and lives as long as the reader. MaxMind's updaters replace a
    // database by renaming a new file over the old one, which leaves this mapping on the old
    // inode, intact. Writing into the same file in place while a run reads it changes the bytes
    // under the reader (and truncating it can end the process with SIGBUS); the reader
    // bounds-checks every offset it follows, but cannot see such a change. `databases_in_memory`
    // reads the file instead, for platforms that overwrite uploads in place.
    unsafe { maxminddb::Mmap::map(&file) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::tree::Walked;

    /// Each answer's record JSON and attributes.
    fn answers(backend: &MmdbBackend, ips: &[IpAddr]) -> Vec<(String, Vec<Attribute>)> {
        ips.iter()
            .filter_map(|ip| {
                let a = backend.lookup_transcoded(*ip)?.ok()?.answer?;
                Some((a.data.get().into_owned(), a.attributes.to_vec()))
            })
            .collect()
    }

    #[test]
    fn the_fast_path_maps_every_record_as_the_tree_does() {
        // The project's fixtures, and MaxMind's test databases when they are at hand (CI sets
        // MAXMIND_TEST_DATA).
        let mut files: Vec<PathBuf> = Vec::new();
        let fixtures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"));
        let maxmind =
            std::env::var_os("MAXMIND_TEST_DATA").map(|d| PathBuf::from(d).join("test-data"));
        for dir in std::iter::once(fixtures).chain(maxmind) {
            files.extend(fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()));
        }
        let mut checked = 0;
        for path in files {
            if path.extension().is_none_or(|e| e != "mmdb") {
                continue;
            }
            let bytes = fs::read(&path).unwrap();
            for locale in ["en", "de"] {
                // (Some of MaxMind's test files answer no context: they test the format.)
                let Ok((backend, _)) =
                    MmdbBackend::from_bytes("test", bytes.clone(), Context::Auto, locale)
                else {
                    continue;
                };
                let (networks, _) = backend
                    .networks_within("::/0".parse().unwrap(), 10_000)
                    .unwrap();
                for net in networks {
                    let ip = net.addr();
                    // (A record the fast path refuses — a test file's odd key types — is not
                    // mapped by it at all.)
                    let Some(Ok(Transcoded {
                        answer: Some(fast), ..
                    })) = backend.lookup_transcoded(ip)
                    else {
                        continue;
                    };
                    let found = backend.lookup(ip).unwrap();
                    let sources = found.records.iter().map(|r| (&r.record, r.rows));
                    let mapped = crate::mapping::map_records(sources, locale);
                    let why = format!("{} {ip} {locale}", path.display());
                    assert_eq!(&fast.attributes[..], &mapped.attributes[..], "{why}");
                    assert_eq!(&fast.indicators[..], &mapped.indicators[..], "{why}");
                    let record = &found.records[0].record;
                    assert_eq!(
                        *fast.display,
                        crate::mapping::display(record, locale),
                        "{why}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "only {checked} records");
    }

    #[test]
    fn shared_sub_maps_from_the_memo_read_as_when_walked() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/GeoIP2-City-Fixture.mmdb"
        );
        let bytes = std::fs::read(path).unwrap();
        let open = || {
            MmdbBackend::from_bytes("city", bytes.clone(), Context::City, "de")
                .unwrap()
                .0
        };
        let ips: Vec<IpAddr> = [
            "81.2.69.142",
            "81.2.69.160",
            "2.125.160.216",
            "89.160.20.115",
            "89.160.20.120",
            "216.160.83.60",
            "2a02:ff80::1",
            "202.196.224.5",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        // In order, the later records find their country and continent maps in the memo; in
        // reverse, other records do; each record alone, none does.
        let forward = answers(&open(), &ips);
        let mut reversed: Vec<IpAddr> = ips.clone();
        reversed.reverse();
        let mut backward = answers(&open(), &reversed);
        backward.reverse();
        let alone: Vec<_> = ips.iter().flat_map(|ip| answers(&open(), &[*ip])).collect();
        assert_eq!(forward.len(), ips.len());
        assert_eq!(forward, backward);
        assert_eq!(forward, alone);
    }

    #[test]
    fn kinds_come_from_database_type() {
        use DbKind::*;
        for (t, k) in [
            ("GeoIP2-City", City),
            ("GeoLite2-City", City),
            ("GeoIP2-City-Shield", City),
            ("GeoIP2-Country", Country),
            ("GeoLite2-Country", Country),
            ("GeoIP2-Enterprise", Enterprise),
            ("GeoIP2-Precision-Enterprise", Enterprise),
            ("GeoLite2-ASN", Asn),
            ("GeoIP2-ISP", Isp),
            ("GeoIP2-Anonymous-IP", AnonymousIp),
            ("GeoIP-Anonymous-Plus", AnonymousIp),
            ("GeoIP2-Connection-Type", ConnectionType),
            ("GeoIP2-Domain", Domain),
            ("GeoIP2-DensityIncome", Other),
            ("GeoIP2-IP-Risk", Other),
        ] {
            assert_eq!(DbKind::from_database_type(t), k, "{t}");
        }
    }

    #[test]
    fn contexts_pick_rows() {
        assert_eq!(DbKind::City.rows(Context::City), Some(RowFilter::ALL));
        assert_eq!(
            DbKind::City.rows(Context::Country),
            Some(RowFilter::COUNTRY)
        );
        assert_eq!(DbKind::City.rows(Context::Asn), None);
        assert_eq!(DbKind::Enterprise.rows(Context::Asn), Some(RowFilter::ASN));
        assert_eq!(DbKind::Country.rows(Context::City), None);
        assert_eq!(
            DbKind::Country.rows(Context::Auto),
            Some(RowFilter::COUNTRY)
        );
        assert_eq!(DbKind::Asn.rows(Context::City), Some(RowFilter::ALL));
        assert!(!DbKind::Asn.answers(Context::City));
        assert!(DbKind::Isp.answers(Context::Asn));
    }

    /// Every database file at hand: the project's fixtures, and MaxMind's test and corrupt
    /// databases when they are there (CI sets MAXMIND_TEST_DATA).
    fn every_database() -> Vec<PathBuf> {
        let mut dirs = vec![PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))];
        if let Some(d) = std::env::var_os("MAXMIND_TEST_DATA").map(PathBuf::from) {
            dirs.push(d.join("test-data"));
            for sub in fs::read_dir(d.join("bad-data")).into_iter().flatten() {
                dirs.push(sub.unwrap().path());
            }
        }
        let mut files: Vec<PathBuf> = dirs
            .iter()
            .flat_map(|d| fs::read_dir(d).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mmdb"))
            .collect();
        files.sort();
        files
    }

    /// IPv4 addresses that probe `reader`'s tree: the first and last address of each of its
    /// first networks and the addresses just outside them, and a spread over the whole space.
    fn probes(reader: &Reader<Vec<u8>>) -> Vec<std::net::Ipv4Addr> {
        let mut ips = Vec::new();
        let all = "0.0.0.0/0".parse().unwrap();
        if let Ok(networks) = reader.within(all, maxminddb::WithinOptions::default()) {
            for item in networks.take(5_000) {
                let Ok(net) = item.and_then(|i| i.network()) else {
                    break;
                };
                let Ok(IpNet::V4(net)) = IpNet::new(net.ip(), net.prefix()) else {
                    continue;
                };
                let (first, last) = (u32::from(net.network()), u32::from(net.broadcast()));
                ips.extend([first.wrapping_sub(1), first, last, last.wrapping_add(1)]);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        ips.extend((0..4_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u32
        }));
        ips.extend([0, u32::MAX]);
        ips.into_iter().map(std::net::Ipv4Addr::from).collect()
    }

    #[test]
    fn many_addresses_walk_the_tree_to_where_the_reader_walks_one() {
        let (mut walked_files, mut probed) = (0, 0);
        for path in every_database() {
            let bytes = fs::read(&path).unwrap();
            let Ok(reader) = Reader::from_source(bytes.clone()) else {
                continue;
            };
            let meta = reader.metadata();
            let Some(tree) =
                V4Tree::new(&bytes, meta.ip_version, meta.node_count, meta.record_size)
            else {
                continue;
            };
            let Some(data) = data_section(&bytes, meta) else {
                continue;
            };
            let ips = probes(&reader);
            let mut walked = vec![Walked {
                record: 7,
                depth: 7,
            }];
            tree.walk(&bytes, &ips, &mut walked);
            assert_eq!(walked.len(), ips.len() + 1, "appended after what was there");
            for (ip, w) in ips.iter().zip(&walked[1..]) {
                let one = reader.lookup(IpAddr::V4(*ip)).and_then(|r| {
                    let net = r.network()?;
                    Ok((
                        r.offset(),
                        IpNet::new(net.ip(), net.prefix()).unwrap().trunc(),
                    ))
                });
                let many = tree.data_offset(*w, data.len()).map(|offset| {
                    (
                        offset,
                        IpNet::new(IpAddr::V4(*ip), w.depth).unwrap().trunc(),
                    )
                });
                let why = format!("{} {ip}: {one:?} / {many:?}", path.display());
                match (one, many) {
                    (Ok(one), Ok(many)) => assert_eq!(one, many, "{why}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("one answered, the other refused: {why}"),
                }
                probed += 1;
            }
            walked_files += 1;
        }
        // The fixtures alone hold 8 usual trees; MaxMind's test data adds every record size.
        assert!(
            walked_files >= 8 && probed > 30_000,
            "{walked_files} files, {probed} probes"
        );
    }

    #[test]
    fn unusual_trees_are_left_to_the_reader() {
        let Some(dir) = std::env::var_os("MAXMIND_TEST_DATA").map(PathBuf::from) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI requires MAXMIND_TEST_DATA"
            );
            return;
        };
        let open = |name: &str| {
            let bytes = fs::read(dir.join("test-data").join(name)).unwrap();
            let reader = Reader::from_source(bytes.clone()).unwrap();
            let meta = reader.metadata();
            V4Tree::new(&bytes, meta.ip_version, meta.node_count, meta.record_size)
        };
        // IPv4 space answered above the IPv4 subtree: the reader names those networks in
        // IPv6 terms.
        assert_eq!(open("MaxMind-DB-no-ipv4-search-tree.mmdb"), None);
        for name in [
            "MaxMind-DB-test-ipv4-24.mmdb",
            "MaxMind-DB-test-mixed-28.mmdb",
            "MaxMind-DB-test-ipv6-32.mmdb",
        ] {
            assert!(open(name).is_some(), "{name}");
        }
    }

    #[test]
    fn answers_in_batches_are_the_answers_one_by_one() {
        let mut checked = 0;
        for path in every_database() {
            let Ok((backend, _)) =
                MmdbBackend::from_bytes("test", fs::read(&path).unwrap(), Context::Auto, "en")
            else {
                continue;
            };
            let Ok(reader) = Reader::from_source(fs::read(&path).unwrap()) else {
                continue;
            };
            // IPv4 probes with IPv6 addresses between them, as an attachment mixes them.
            let mut ips: Vec<IpAddr> = Vec::new();
            for (i, v4) in probes(&reader).into_iter().enumerate() {
                ips.push(v4.into());
                if i % 5 == 0 {
                    ips.push(IpAddr::V6(v4.to_ipv6_mapped()));
                    ips.push(format!("2001:db8::{:x}", i).parse().unwrap());
                }
            }
            let Some(many) = backend.lookup_transcoded_many(&ips) else {
                continue;
            };
            assert_eq!(many.len(), ips.len());
            for (ip, many) in ips.iter().zip(many) {
                let one = backend.lookup_transcoded(*ip).unwrap();
                let text = |t: Result<Transcoded, Error>| {
                    t.map(|t| {
                        let answer = t
                            .answer
                            .map(|a| (a.data.get().into_owned(), a.attributes.to_vec()));
                        (t.source, t.network, answer)
                    })
                    .map_err(|e| e.to_string())
                };
                let (one, many) = (text(one), text(many));
                assert_eq!(
                    one.is_ok(),
                    many.is_ok(),
                    "{} {ip}: {one:?} / {many:?}",
                    path.display()
                );
                if let (Ok(one), Ok(many)) = (one, many) {
                    assert_eq!(one, many, "{} {ip}", path.display());
                }
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }
}
