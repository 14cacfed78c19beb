//! The cache of web-service answers: one SQLite file that every process on the machine shares,
//! so that each address is paid for once per TTL (a week by default). Only the web backend
//! ([`super`]) and the `cache` command use it.
//!
//! # What is kept
//! An entry is keyed by the service base URL (without any credentials it may carry), the
//! endpoint (`city`, `country`, `insights`) and the canonical text of the address. It holds the
//! body the service sent, validated as JSON and with the whitespace between tokens removed (key
//! order, numbers and string escapes are kept byte for byte), its [`Kind`] and the unix second it
//! was stored. Only two kinds of answer can be stored, and only through [`Cacheable`]: an HTTP 200
//! JSON object, and MaxMind's `IP_ADDRESS_NOT_FOUND` error body. Refusals (credentials, funds,
//! permissions), other 4xx, 5xx, timeouts and bodies that are not JSON have no way in. Nothing
//! else is written: no account ID, no license key, no setting, no header. An entry older than the
//! TTL is a miss, and is deleted by later writes and by [`Cache::prune`].
//!
//! # Concurrent actions ask each address once
//! The platform starts one process per action, often several at once on overlapping addresses.
//! Before querying, a process *claims* the keys it misses ([`Cache::get_or_claim_many`]): one
//! short write transaction records, in the `claims` table, an owner (process id and a random
//! nonce) and a deadline for every key that is neither stored nor claimed by a live owner. The
//! process then queries the service with no lock held, and stores each answer (through a
//! [`PutBuffer`], which also drops the claim) or gives the claim up ([`ClaimGuard::release`], or
//! dropping the guard) when the answer is not cacheable. Keys another process has claimed come
//! back as [`Lookup::Wait`]; the caller polls them again ([`Backoff`]: 25 ms, growing to 250 ms)
//! until they are answered, or until their claim is released or expires, and then claims them
//! itself. A process killed mid-query thus blocks nobody past its claim's deadline, which the
//! caller sets to the time the query's tries are given (`timeout_s × retries`; see
//! [`claim_time`]). An owner still at it past its deadline (waiting out backoff or a rate
//! limit) costs at most one more query of the same address, never a wrong answer.
//!
//! # SQLite set-up
//! WAL journal (readers never wait for the writer), `synchronous=NORMAL`, a busy timeout
//! ([`Settings::busy_timeout`], 5 s by default), 8 KiB pages (three City answers to a page),
//! and a schema checked at open through `PRAGMA application_id` and `PRAGMA user_version`. A new
//! cache is built beside its path and hard-linked into place, so that no process ever opens a
//! database without pages (SQLite takes the WAL of such a file for a stale one and deletes it,
//! under the feet of the process using it). Write transactions are short (at most
//! [`PUT_CHUNK`] answers or 500 claims) and never span a network query. Entries are rowid-ordered
//! by the time they were stored (`INSERT OR REPLACE`), so age needs no index: after each write,
//! the pages in use are compared with [`Settings::max_bytes`] and, when over, the oldest rows are
//! deleted until 90 % of it is left; every 64 stores, expired rows among the oldest 256 and dead
//! claims are swept. Closing does not fold the log into the file (that is left to SQLite's
//! checkpoint every 1,000 pages written): an action does not wait for two fsyncs at its end.
//!
//! # Failures never fail the action
//! Every failure is a [`CacheError`] whose message says what happened to which file; the caller
//! reports it as a warning and goes on as if there were no cache. A file that is not a
//! database, is corrupt, is truncated, or is a database of some other program is moved aside
//! (`<name>.corrupt-<unix time>`, with its `-wal` and `-shm`) and a new cache is started in its
//! place: at open, [`Cache::repaired`] says so; later, the call that found it returns
//! [`CacheError::Corrupt`] and the cache goes on with the new file.
//!
//! # Async callers, and what it costs
//! [`Cache`] is `Send + Sync` (one connection behind a mutex) and cheap to clone. Its calls never
//! sleep and are short enough (one transaction over indexed rows) to run inline on the
//! backend's current-thread runtime. A write blocks while another process holds the write lock
//! (that process's transaction: short, by the bounds above) and fails after the busy timeout.
//! A lone store costs a transaction plus its share of WAL checkpoints (fsyncs), and a cold
//! action must cost little more than one without a cache: the web backend stores answers
//! through a [`PutBuffer`], flushing it whenever it is about to await the network with no
//! answer left to handle. What the cache costs and saves is measured by `benches/web_cache.py`
//! (docs/performance.md).

use std::fmt;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::value::RawValue;
use thiserror::Error;

/// How long an entry is fresh by default: 7 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How large the cache may grow by default: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// How long a call waits for another process's write lock by default.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Marks the file as this cache (`"MGWC"`), in the SQLite header.
const APPLICATION_ID: i32 = 0x4d47_5743;
/// The version of [`SCHEMA`]; a cache of an older version is emptied and rebuilt at open.
const SCHEMA_VERSION: i32 = 1;
/// Pages of 8 KiB hold a City answer (2 to 4 KiB compact) without overflow pages.
const PAGE_SIZE: i64 = 8192;
/// The WAL is cut back to this size after a checkpoint.
const JOURNAL_SIZE_LIMIT: i64 = 8 * 1024 * 1024;
/// Expired entries and claims are swept every this many stored entries (per process).
const SWEEP_EVERY: u64 = 64;
/// At most this many expired entries are deleted per sweep, to keep writes short.
const SWEEP_LIMIT: i64 = 256;
/// At most this many entries are stored per write transaction (a few ms of write lock).
pub const PUT_CHUNK: usize = 128;
/// At most this many keys are claimed per write transaction.
const CLAIM_CHUNK: usize = 500;
/// Eviction deletes down to `max_bytes - max_bytes / EVICT_SLACK`.
const EVICT_SLACK: u64 = 10;

const KIND_ANSWER: i64 = 1;
const KIND_NOT_FOUND: i64 = 2;

/// The tables. `entries` is a rowid table (bodies of a few KiB); `claims` is small and
/// short-lived, keyed like `entries`.
const SCHEMA: &str = "
CREATE TABLE entries (
    service  TEXT    NOT NULL,
    endpoint TEXT    NOT NULL,
    ip       TEXT    NOT NULL,
    kind     INTEGER NOT NULL CHECK (kind IN (1, 2)),
    stored   INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    UNIQUE (service, endpoint, ip)
);
CREATE TABLE claims (
    service  TEXT    NOT NULL,
    endpoint TEXT    NOT NULL,
    ip       TEXT    NOT NULL,
    owner    TEXT    NOT NULL,
    deadline INTEGER NOT NULL,
    PRIMARY KEY (service, endpoint, ip)
) WITHOUT ROWID;
";

const SELECT_FRESH: &str = "SELECT kind, stored, body FROM entries \
     WHERE service = ?1 AND endpoint = ?2 AND ip = ?3 AND stored > ?4 AND stored < ?5";
const SELECT_LIVE_CLAIM: &str = "SELECT 1 FROM claims \
     WHERE service = ?1 AND endpoint = ?2 AND ip = ?3 AND deadline > ?4";
const UPSERT_CLAIM: &str = "INSERT INTO claims (service, endpoint, ip, owner, deadline) \
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (service, endpoint, ip) \
     DO UPDATE SET owner = excluded.owner, deadline = excluded.deadline";
/// `REPLACE` gives a stored-again entry a new, highest rowid: rowid order is the order of storing,
/// which eviction and sweeps follow without an index on `stored`.
const UPSERT_ENTRY: &str = "INSERT OR REPLACE INTO entries \
     (service, endpoint, ip, kind, stored, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const DELETE_CLAIM: &str = "DELETE FROM claims WHERE service = ?1 AND endpoint = ?2 AND ip = ?3";
const DELETE_OWN_CLAIM: &str =
    "DELETE FROM claims WHERE service = ?1 AND endpoint = ?2 AND ip = ?3 AND owner = ?4";
const DELETE_DEAD_CLAIMS: &str = "DELETE FROM claims WHERE deadline <= ?1";
/// Looks at the oldest rows only: they are the ones that expire first.
const SWEEP_EXPIRED: &str = "DELETE FROM entries WHERE rowid IN (SELECT rowid FROM \
     (SELECT rowid, stored FROM entries ORDER BY rowid LIMIT ?2) WHERE stored <= ?1)";
const DELETE_EXPIRED: &str = "DELETE FROM entries WHERE stored <= ?1 OR stored >= ?2";
const OLDEST: &str = "SELECT rowid, octet_length(body) + octet_length(service) \
     + octet_length(endpoint) + octet_length(ip) + 32 FROM entries ORDER BY rowid LIMIT 256";
const DELETE_ROW: &str = "DELETE FROM entries WHERE rowid = ?1";

/// How long to claim a key for: the time its query's tries are given (`timeout` per try,
/// `tries` tries, at least one). A dead owner's claim blocks others no longer than that.
pub fn claim_time(timeout: Duration, tries: u32) -> Duration {
    timeout.saturating_mul(tries.max(1))
}

/// The time, for freshness and claim deadlines. Tests use a clock they can move.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// How the cache behaves. A TTL of zero means no cache: the caller should not open one (if it
/// does, every entry is a miss).
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long an entry is fresh, in whole seconds (`cache_ttl_s`; default 7 days).
    pub ttl: Duration,
    /// How many bytes of pages the entries may use before the oldest are evicted
    /// (`cache_max_mib`; default 256 MiB).
    pub max_bytes: u64,
    /// How long a call waits for another process's write lock before failing (default 5 s).
    pub busy_timeout: Duration,
    /// The wall clock (the system's unless a test injects one).
    pub clock: Arc<dyn Clock>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            ttl: DEFAULT_TTL,
            max_bytes: DEFAULT_MAX_BYTES,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            clock: Arc::new(SystemClock),
        }
    }
}

impl Settings {
    /// The settings from the configuration's TTL and size bound, with the default busy timeout
    /// and the system clock.
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        Settings {
            ttl,
            max_bytes,
            ..Settings::default()
        }
    }

    /// The same settings with another clock.
    #[cfg(test)]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Settings { clock, ..self }
    }
}

/// What an entry is for: one service, one endpoint, one address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    service: Arc<str>,
    endpoint: Arc<str>,
    /// The address as text (RFC 5952 for IPv6), as the table keeps it.
    ip_text: Box<str>,
}

impl Key {
    /// The key of `ip` at `endpoint` of the service at `service` (its base URL, as in
    /// `<base>/geoip/v2.1/<endpoint>/<ip>`). The URL is kept without user and password, query or
    /// fragment, and without trailing slashes; its scheme and host are lowercased.
    pub fn new(service: &str, endpoint: &str, ip: IpAddr) -> Key {
        Key {
            service: normalize_service(service).into(),
            endpoint: endpoint.trim().to_ascii_lowercase().into(),
            ip_text: crate::ip::text(ip).into(),
        }
    }

    /// The key of another address at the same service and endpoint (shares their text).
    pub fn with_ip(&self, ip: IpAddr) -> Key {
        Key {
            service: Arc::clone(&self.service),
            endpoint: Arc::clone(&self.endpoint),
            ip_text: crate::ip::text(ip).into(),
        }
    }

    /// The service base URL as kept in the cache.
    #[cfg(test)]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The address.
    #[cfg(test)]
    pub fn ip(&self) -> IpAddr {
        self.ip_text.parse().expect("an address's text")
    }
}

/// `scheme://host[:port]/path` without userinfo, query, fragment or trailing slash.
fn normalize_service(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = tail.split(['?', '#']).next().unwrap_or("");
    let mut out = String::with_capacity(url.len());
    if let Some(scheme) = scheme {
        out.push_str(&scheme.to_ascii_lowercase());
        out.push_str("://");
    }
    out.push_str(&host.to_ascii_lowercase());
    out.push_str(path.trim_end_matches('/'));
    out
}

/// What kind of answer an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An HTTP 200 answer: the record.
    Answer,
    /// MaxMind's `IP_ADDRESS_NOT_FOUND` error: the address is in none of its data.
    NotFound,
}

impl Kind {
    fn code(self) -> i64 {
        match self {
            Kind::Answer => KIND_ANSWER,
            Kind::NotFound => KIND_NOT_FOUND,
        }
    }

    fn from_code(code: i64) -> Option<Kind> {
        match code {
            KIND_ANSWER => Some(Kind::Answer),
            KIND_NOT_FOUND => Some(Kind::NotFound),
            _ => None,
        }
    }
}

/// An answer that may be stored. The only ways to make one are [`Cacheable::from_response`],
/// [`Cacheable::answer`] and [`Cacheable::not_found`], which refuse everything else (the fields
/// are private: an arbitrary body cannot be made cacheable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cacheable {
    kind: Kind,
    body: String,
}

/// Why an answer may not be stored.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum NotCacheable {
    /// Only 200 answers and the not-found error are kept.
    #[error("an HTTP {0} answer is never cached")]
    Status(u16),
    /// The body is not JSON.
    #[error("the body is not JSON ({0})")]
    NotJson(String),
    /// A 200 body that is JSON but not an object.
    #[error("the body is not a JSON object")]
    NotAnObject,
    /// An error body other than `IP_ADDRESS_NOT_FOUND`.
    #[error("the MaxMind error {0} is never cached")]
    Code(String),
}

impl Cacheable {
    /// The cacheable form of an HTTP answer: a 200 whose body is a JSON object, or a 4xx whose
    /// body is MaxMind's `IP_ADDRESS_NOT_FOUND` error. Anything else is refused.
    pub fn from_response(status: u16, body: &[u8]) -> Result<Cacheable, NotCacheable> {
        match status {
            200 => Cacheable::answer(body),
            400..=499 => Cacheable::not_found(body).map_err(|e| match e {
                NotCacheable::Code(code) => NotCacheable::Code(code),
                _ => NotCacheable::Status(status),
            }),
            _ => Err(NotCacheable::Status(status)),
        }
    }

    /// A 200 answer's body, which must be one JSON object.
    pub fn answer(body: &[u8]) -> Result<Cacheable, NotCacheable> {
        let text = json_text(body)?;
        if !text.trim_start().starts_with('{') {
            return Err(NotCacheable::NotAnObject);
        }
        Ok(Cacheable {
            kind: Kind::Answer,
            body: crate::indent::compact(text),
        })
    }

    /// A MaxMind error body, which must carry `"code": "IP_ADDRESS_NOT_FOUND"`. It is kept whole
    /// (code and message).
    pub fn not_found(body: &[u8]) -> Result<Cacheable, NotCacheable> {
        let text = json_text(body)?;
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| NotCacheable::NotJson(e.to_string()))?;
        match value.get("code").and_then(serde_json::Value::as_str) {
            Some("IP_ADDRESS_NOT_FOUND") => Ok(Cacheable {
                kind: Kind::NotFound,
                body: crate::indent::compact(text),
            }),
            Some(code) => Err(NotCacheable::Code(code.chars().take(64).collect())),
            None => Err(NotCacheable::Code("(none)".into())),
        }
    }

    /// The kind of answer.
    #[cfg(test)]
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The body as it will be stored.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// `body` as text, once it is known to be one well-formed JSON value.
fn json_text(body: &[u8]) -> Result<&str, NotCacheable> {
    let text = std::str::from_utf8(body).map_err(|e| NotCacheable::NotJson(e.to_string()))?;
    serde_json::from_str::<&RawValue>(text).map_err(|e| NotCacheable::NotJson(e.to_string()))?;
    Ok(text)
}

/// A fresh entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    /// What the body is.
    pub kind: Kind,
    /// The compact JSON body: the record for [`Kind::Answer`], MaxMind's error for
    /// [`Kind::NotFound`].
    pub body: String,
    /// When it was stored (to the second).
    pub stored: SystemTime,
}

impl Cached {
    /// For a [`Kind::NotFound`] entry, MaxMind's error code and message.
    #[cfg(test)]
    pub fn error(&self) -> Option<(String, String)> {
        if self.kind != Kind::NotFound {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        let text = |field: &str| {
            value
                .get(field)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some((text("code"), text("error")))
    }

    /// How old the entry is at `now` (zero if it seems to come from the future).
    #[cfg(test)]
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.stored).unwrap_or_default()
    }
}

/// The answer to [`Cache::get_or_claim_many`] for one key.
#[derive(Debug)]
pub enum Lookup {
    /// A fresh entry: no query needed.
    Hit(Cached),
    /// This process now owns the query: it must query, then [`ClaimGuard::put`] the answer or
    /// [`ClaimGuard::release`] the claim (dropping the guard releases it too).
    Claimed(ClaimGuard),
    /// Another live owner is querying: ask again later (with [`Backoff`]).
    Wait,
}

/// The right and duty to query one key. Dropping it without [`ClaimGuard::put`] releases the
/// claim (a short write; errors are ignored, and the claim's deadline covers them).
#[must_use = "a claim must be answered with put() or release()"]
pub struct ClaimGuard {
    inner: Arc<Inner>,
    key: Option<Key>,
}

impl ClaimGuard {
    /// The key claimed.
    #[cfg(test)]
    pub fn key(&self) -> &Key {
        self.key
            .as_ref()
            .expect("a guard holds its key until it is consumed")
    }

    /// Stores the answer and drops the claim. If storing fails, the claim is released (so that
    /// others do not wait for an answer that will never come) and the error returned.
    #[cfg(test)]
    pub fn put(mut self, value: Cacheable) -> Result<(), CacheError> {
        let key = self
            .key
            .take()
            .expect("a guard holds its key until it is consumed");
        let cache = Cache {
            inner: Arc::clone(&self.inner),
        };
        let item = [(key, value)];
        let stored = cache.put_many(&item);
        if stored.is_err() {
            let _ = self.inner.release(&item[0].0);
        }
        stored
    }

    /// Gives the claim up (the query failed or its answer is not cacheable), so that others may
    /// ask.
    pub fn release(mut self) -> Result<(), CacheError> {
        let key = self
            .key
            .take()
            .expect("a guard holds its key until it is consumed");
        self.inner.release(&key)
    }

    /// Takes the key out, leaving the claim in place: the caller will answer it with
    /// [`Cache::put`], [`Cache::put_many`] or [`Cache::release`] (e.g. to store a batch in one
    /// transaction).
    pub fn into_key(mut self) -> Key {
        self.key
            .take()
            .expect("a guard holds its key until it is consumed")
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.inner.release(&key);
        }
    }
}

impl fmt::Debug for ClaimGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimGuard")
            .field("key", &self.key)
            .finish()
    }
}

/// Answers waiting to be stored together. A store costs one write transaction, and its share of
/// a WAL checkpoint (an fsync), however few answers it holds: batches make it cheap. The
/// web backend pushes each cacheable answer here as it comes and calls [`PutBuffer::flush`]
/// whenever it is about to wait for the network with nothing else to do; the buffer also flushes
/// itself every [`PutBuffer::MAX_ITEMS`] answers, when the oldest has waited
/// [`PutBuffer::MAX_DELAY`] (checked on push), and when dropped. Claims stay in place until
/// their answers are stored, so other processes wait for them rather than query.
#[must_use = "answers are stored when the buffer is flushed or dropped"]
pub struct PutBuffer {
    cache: Cache,
    items: Vec<(Key, Cacheable)>,
    since: Option<Instant>,
}

impl PutBuffer {
    /// The most answers held before they are stored.
    pub const MAX_ITEMS: usize = 64;
    /// The longest an answer is held (checked when another is pushed).
    pub const MAX_DELAY: Duration = Duration::from_millis(100);

    /// Holds `value`, the answer to `guard`'s claim; stores the batch when it is full or old.
    pub fn push(&mut self, guard: ClaimGuard, value: Cacheable) -> Result<(), CacheError> {
        let since = *self.since.get_or_insert_with(Instant::now);
        self.items.push((guard.into_key(), value));
        if self.items.len() >= Self::MAX_ITEMS || since.elapsed() >= Self::MAX_DELAY {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Stores every answer held, and drops their claims. On failure the claims are released
    /// (others may ask) and the answers dropped.
    pub fn flush(&mut self) -> Result<(), CacheError> {
        self.since = None;
        if self.items.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.items);
        let stored = self.cache.put_many(&items);
        if stored.is_err() {
            for (key, _) in &items {
                let _ = self.cache.release(key);
            }
        }
        stored
    }

    /// How many answers are held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no answer is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Drop for PutBuffer {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl fmt::Debug for PutBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutBuffer")
            .field("items", &self.items.len())
            .finish()
    }
}

/// Polling delays for keys another process is querying: 25 ms, growing by half each time, to
/// 250 ms.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    /// The first delay.
    pub const FIRST: Duration = Duration::from_millis(25);
    /// The longest delay.
    pub const MAX: Duration = Duration::from_millis(250);

    /// Starts at [`Backoff::FIRST`].
    pub fn new() -> Self {
        Backoff { next: Self::FIRST }
    }

    /// The delay before the next poll.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (delay * 3 / 2).min(Self::MAX);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

/// What [`Cache::stats`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// The cache file.
    pub path: PathBuf,
    /// Entries stored, fresh or not.
    pub entries: u64,
    /// Of them, answers.
    pub answers: u64,
    /// Of them, not-found errors.
    pub not_found: u64,
    /// Of them, entries past the TTL (misses, deleted by the next prune).
    pub expired: u64,
    /// When the oldest entry was stored.
    pub oldest: Option<SystemTime>,
    /// When the newest entry was stored.
    pub newest: Option<SystemTime>,
    /// Keys some live process is querying now.
    pub live_claims: u64,
    /// The size of the file with its `-wal` and `-shm`.
    pub bytes_on_disk: u64,
    /// The bytes of pages in use (what [`Settings::max_bytes`] bounds).
    pub bytes_used: u64,
    /// The size bound.
    pub max_bytes: u64,
    /// The TTL.
    pub ttl: Duration,
}

/// What [`Cache::prune`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Entries past the TTL.
    pub expired: u64,
    /// The oldest entries, deleted to get under the size bound.
    pub evicted: u64,
    /// Claims whose deadline had passed.
    pub dead_claims: u64,
    /// File sizes (with `-wal` and `-shm`) before.
    pub bytes_before: u64,
    /// File sizes (with `-wal` and `-shm`) after.
    pub bytes_after: u64,
}

/// What happened when the file at open was not a usable cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    /// What was wrong with it.
    pub reason: String,
    /// Where it was moved (`None` if another process had moved it first).
    pub moved_to: Option<PathBuf>,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the web cache was unusable ({}); ", self.reason)?;
        match &self.moved_to {
            Some(to) => write!(f, "it was moved aside to {} and rebuilt", to.display()),
            None => write!(f, "another process moved it aside; it was rebuilt"),
        }
    }
}

/// Why the cache cannot serve a call. The caller reports it (`cache_unavailable`) and runs as if
/// there were no cache.
#[derive(Debug, Error)]
pub enum CacheError {
    /// The folder of the file cannot be made.
    #[error("the web cache folder {} cannot be created: {source}", .path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file cannot be created or opened.
    #[error("the web cache {} cannot be opened: {message}", .path.display())]
    CannotOpen {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Another process held the write lock longer than the busy timeout.
    #[error(
        "the web cache {} stayed locked by another process for more than {} ms",
        .path.display(), .timeout.as_millis()
    )]
    Busy {
        /// The file.
        path: PathBuf,
        /// The busy timeout.
        timeout: Duration,
    },
    /// The file or its folder is read-only.
    #[error("the web cache {} is read-only: {message}", .path.display())]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The disk is full.
    #[error("the web cache {} cannot grow: the disk is full", .path.display())]
    DiskFull {
        /// The file.
        path: PathBuf,
    },
    /// The file was corrupt (found after open). It was moved aside and the cache rebuilt.
    #[error("the web cache {} was corrupt ({reason}); {}", .path.display(), moved_note(.moved_to.as_deref(), *.rebuilt))]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
        /// Where the file was moved, if this process moved it.
        moved_to: Option<PathBuf>,
        /// Whether a new cache is in place (the next call uses it).
        rebuilt: bool,
    },
    /// A newer program made this cache; it is left as it is.
    #[error(
        "the web cache {} has schema version {found}, newer than this program's {supported}; it is left untouched",
        .path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// Ours.
        supported: i64,
    },
    /// The corrupt file could not be moved aside.
    #[error("the web cache {} is unusable ({reason}) and cannot be moved aside: {source}", .path.display())]
    MoveAside {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
        /// Why the move failed.
        source: io::Error,
    },
    /// The cache could not be reopened after a repair; it is off for this process.
    #[error("the web cache {} is off: it could not be reopened after a repair", .path.display())]
    Closed {
        /// The file.
        path: PathBuf,
    },
    /// Any other SQLite failure.
    #[error("the web cache {} failed: {message}", .path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
}

fn moved_note(moved_to: Option<&Path>, rebuilt: bool) -> String {
    let moved = match moved_to {
        Some(to) => format!("it was moved aside to {}", to.display()),
        None => "another process had moved it aside".to_owned(),
    };
    if rebuilt {
        format!("{moved} and a new cache was started")
    } else {
        format!("{moved}; a new cache could not be started")
    }
}

/// A failure while connecting: a file to move aside, or an error to report.
enum Failure {
    /// Why the file is no cache, and the file's device and inode (once known).
    Unusable(String, Option<FileId>),
    Fatal(CacheError),
}

/// A file's device and inode: a file moved aside or replaced by another process is not moved
/// again.
type FileId = (u64, u64);

/// What SQLite says is a broken file.
fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

fn sqlite_error(path: &Path, busy_timeout: Duration, e: &rusqlite::Error) -> CacheError {
    let path = path.to_owned();
    let message = match e.sqlite_error() {
        Some(code) => format!("{e} (SQLite code {})", code.extended_code),
        None => e.to_string(),
    };
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => CacheError::Busy {
            path,
            timeout: busy_timeout,
        },
        Some(ErrorCode::DiskFull) => CacheError::DiskFull { path },
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            CacheError::ReadOnly { path, message }
        }
        Some(ErrorCode::CannotOpen) => CacheError::CannotOpen { path, message },
        _ => CacheError::Sqlite { path, message },
    }
}

impl Failure {
    fn from_sqlite(path: &Path, busy_timeout: Duration, e: &rusqlite::Error) -> Failure {
        if is_corrupt(e) {
            Failure::Unusable(e.to_string(), None)
        } else {
            Failure::Fatal(sqlite_error(path, busy_timeout, e))
        }
    }
}

/// The web-answer cache. Clones share one connection and one claim owner.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    settings: Settings,
    /// Who this process's claims belong to: `<pid>.<random>`.
    owner: String,
    repaired: Option<Repair>,
    /// Entries this process stored; every [`SWEEP_EVERY`], expired rows are swept.
    stored: AtomicU64,
    state: Mutex<State>,
}

struct State {
    /// `None` once a repair could not reopen the file.
    conn: Option<Connection>,
    /// The file opened, so that a repair never moves another process's new file.
    identity: Option<FileId>,
    page_size: i64,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("path", &self.inner.path)
            .field("owner", &self.inner.owner)
            .field("settings", &self.inner.settings)
            .finish()
    }
}

/// One lookup's outcome, before claims become guards.
enum Outcome {
    Hit(Cached),
    Wait,
    Claimed,
    Miss,
}

impl Cache {
    /// Opens (creating if need be) the cache at `path`. The folder is made with mode 0700 and the
    /// file with mode 0600. A file that is not a usable cache is moved aside and replaced (see
    /// [`Cache::repaired`]); every other problem is an error.
    pub fn open(path: &Path, settings: Settings) -> Result<Cache, CacheError> {
        make_folder(path)?;
        let mut repaired = None;
        let opened = match connect(path, &settings) {
            Ok(opened) => opened,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Unusable(reason, identity)) => {
                let moved_to =
                    move_aside(path, identity, settings.clock.now()).map_err(|source| {
                        CacheError::MoveAside {
                            path: path.to_owned(),
                            reason: reason.clone(),
                            source,
                        }
                    })?;
                let opened = connect(path, &settings).map_err(|f| match f {
                    Failure::Fatal(e) => e,
                    Failure::Unusable(again, _) => CacheError::Corrupt {
                        path: path.to_owned(),
                        reason: again,
                        moved_to: moved_to.clone(),
                        rebuilt: false,
                    },
                })?;
                repaired = Some(Repair { reason, moved_to });
                opened
            }
        };
        Ok(Cache {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                owner: owner_id(),
                repaired,
                stored: AtomicU64::new(0),
                state: Mutex::new(opened),
                settings,
            }),
        })
    }

    /// Set when the file found at open was unusable and was replaced: the caller reports it.
    pub fn repaired(&self) -> Option<&Repair> {
        self.inner.repaired.as_ref()
    }

    /// The fresh entry for `key`, if any. Reads only: for dry runs.
    #[cfg(test)]
    pub fn get(&self, key: &Key) -> Result<Option<Cached>, CacheError> {
        Ok(self.get_many(std::slice::from_ref(key))?.pop().flatten())
    }

    /// The fresh entries for `keys`, in order, in one read transaction. Reads only.
    pub fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Cached>>, CacheError> {
        let refs: Vec<&Key> = keys.iter().collect();
        let outcomes = self.lookup(&refs, None)?;
        Ok(outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Hit(cached) => Some(cached),
                _ => None,
            })
            .collect())
    }

    /// The fresh entry for `key`, or the claim to query it, or [`Lookup::Wait`] if another live
    /// owner holds the claim. `claim_for` is the claim's lifetime (see [`claim_time`]).
    #[cfg(test)]
    pub fn get_or_claim(&self, key: &Key, claim_for: Duration) -> Result<Lookup, CacheError> {
        let mut out = self.get_or_claim_many(std::slice::from_ref(key), claim_for)?;
        Ok(out.pop().unwrap_or(Lookup::Wait))
    }

    /// [`Cache::get_or_claim`] for a batch, in order: one read transaction, then, only if some
    /// keys are neither stored nor claimed, one short write transaction that claims them. A key
    /// given twice is claimed once (the second gets [`Lookup::Wait`]).
    pub fn get_or_claim_many<K: std::borrow::Borrow<Key>>(
        &self,
        keys: &[K],
        claim_for: Duration,
    ) -> Result<Vec<Lookup>, CacheError> {
        let keys: Vec<&Key> = keys.iter().map(K::borrow).collect();
        let outcomes = self.lookup(&keys, Some(claim_for))?;
        Ok(outcomes
            .into_iter()
            .zip(keys)
            .map(|(o, key)| match o {
                Outcome::Hit(cached) => Lookup::Hit(cached),
                Outcome::Claimed => Lookup::Claimed(ClaimGuard {
                    inner: Arc::clone(&self.inner),
                    key: Some(key.clone()),
                }),
                Outcome::Wait | Outcome::Miss => Lookup::Wait,
            })
            .collect())
    }

    /// Stores `value` for `key` and drops any claim on it.
    #[cfg(test)]
    pub fn put(&self, key: &Key, value: Cacheable) -> Result<(), CacheError> {
        self.put_many(&[(key.clone(), value)])
    }

    /// Stores a batch and drops the claims on its keys, in one transaction per
    /// [`PUT_CHUNK`] items (so that the write lock is never held long).
    pub fn put_many(&self, items: &[(Key, Cacheable)]) -> Result<(), CacheError> {
        items
            .chunks(PUT_CHUNK)
            .try_for_each(|chunk| self.put_chunk(chunk))
    }

    fn put_chunk(&self, items: &[(Key, Cacheable)]) -> Result<(), CacheError> {
        if items.is_empty() {
            return Ok(());
        }
        let inner = &self.inner;
        let now = unix_s(inner.settings.clock.now());
        let before = inner
            .stored
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        let sweep =
            before == 0 || before / SWEEP_EVERY != (before + items.len() as u64) / SWEEP_EVERY;
        inner.run(|conn, page_size| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut upsert = tx.prepare_cached(UPSERT_ENTRY)?;
                let mut unclaim = tx.prepare_cached(DELETE_CLAIM)?;
                for (key, value) in items {
                    upsert.execute(params![
                        &*key.service,
                        &*key.endpoint,
                        &*key.ip_text,
                        value.kind.code(),
                        now,
                        value.body
                    ])?;
                    unclaim.execute(params![&*key.service, &*key.endpoint, &*key.ip_text])?;
                }
            }
            if sweep {
                let (lo, _) = inner.fresh_bounds(now);
                tx.prepare_cached(SWEEP_EXPIRED)?
                    .execute(params![lo, SWEEP_LIMIT])?;
                tx.prepare_cached(DELETE_DEAD_CLAIMS)?
                    .execute([unix_ms(inner.settings.clock.now())])?;
            }
            if used_bytes(&tx, page_size)? > inner.settings.max_bytes {
                evict(&tx, page_size, inner.settings.max_bytes)?;
            }
            tx.commit()
        })
    }

    /// A buffer that stores answers in batches (see [`PutBuffer`]).
    pub fn buffer(&self) -> PutBuffer {
        PutBuffer {
            cache: self.clone(),
            items: Vec::with_capacity(PutBuffer::MAX_ITEMS),
            since: None,
        }
    }

    /// Drops this process's claim on `key` (the query failed), so that others may ask.
    pub fn release(&self, key: &Key) -> Result<(), CacheError> {
        self.inner.release(key)
    }

    /// Counts entries, claims and bytes.
    pub fn stats(&self) -> Result<Stats, CacheError> {
        let inner = &self.inner;
        let now = inner.settings.clock.now();
        let (lo, hi) = inner.fresh_bounds(unix_s(now));
        let (counts, live_claims, bytes_used) = inner.run(|conn, page_size| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let counts = tx.query_row(
                "SELECT count(*), total(kind = ?1), total(kind = ?2), \
                 total(stored <= ?3 OR stored >= ?4), min(stored), max(stored) FROM entries",
                params![KIND_ANSWER, KIND_NOT_FOUND, lo, hi],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                },
            )?;
            let live: i64 = tx.query_row(
                "SELECT count(*) FROM claims WHERE deadline > ?1",
                [unix_ms(now)],
                |r| r.get(0),
            )?;
            let used = used_bytes(&tx, page_size)?;
            tx.commit()?;
            Ok((counts, live, used))
        })?;
        let (entries, answers, not_found, expired, oldest, newest) = counts;
        Ok(Stats {
            path: inner.path.clone(),
            entries: entries.max(0) as u64,
            answers: answers.max(0.0) as u64,
            not_found: not_found.max(0.0) as u64,
            expired: expired.max(0.0) as u64,
            oldest: oldest.map(from_unix_s),
            newest: newest.map(from_unix_s),
            live_claims: live_claims.max(0) as u64,
            bytes_on_disk: disk_bytes(&inner.path),
            bytes_used,
            max_bytes: inner.settings.max_bytes,
            ttl: inner.settings.ttl,
        })
    }

    /// Deletes expired entries and dead claims, evicts the oldest entries while over the size
    /// bound, and gives the space back to the file system (`VACUUM`) when over a quarter of the
    /// file is free. Holds the write lock for as long as that takes (a manual command).
    pub fn prune(&self) -> Result<Pruned, CacheError> {
        let inner = &self.inner;
        let now = inner.settings.clock.now();
        let (lo, hi) = inner.fresh_bounds(unix_s(now));
        let bytes_before = disk_bytes(&inner.path);
        let (expired, evicted, dead_claims) = inner.run(|conn, page_size| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let expired = tx.execute(DELETE_EXPIRED, params![lo, hi])?;
            let dead = tx.execute(DELETE_DEAD_CLAIMS, [unix_ms(now)])?;
            let evicted = if used_bytes(&tx, page_size)? > inner.settings.max_bytes {
                evict(&tx, page_size, inner.settings.max_bytes)?
            } else {
                0
            };
            tx.commit()?;
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            if free > 0 && free >= pages / 4 {
                conn.execute_batch("VACUUM")?;
            }
            checkpoint(conn)?;
            Ok((expired as u64, evicted, dead as u64))
        })?;
        Ok(Pruned {
            expired,
            evicted,
            dead_claims,
            bytes_before,
            bytes_after: disk_bytes(&inner.path),
        })
    }

    /// Deletes every entry (and dead claims; claims of live processes stay, so that their
    /// waiters do not query too), and gives the space back. Returns how many entries went.
    pub fn clear(&self) -> Result<u64, CacheError> {
        let inner = &self.inner;
        let now = unix_ms(inner.settings.clock.now());
        inner.run(|conn, _| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let deleted = tx.execute("DELETE FROM entries", [])?;
            tx.execute(DELETE_DEAD_CLAIMS, [now])?;
            tx.commit()?;
            conn.execute_batch("VACUUM")?;
            checkpoint(conn)?;
            Ok(deleted as u64)
        })
    }

    /// Reads `keys`; with `claim_for`, claims those neither stored nor claimed.
    fn lookup(
        &self,
        keys: &[&Key],
        claim_for: Option<Duration>,
    ) -> Result<Vec<Outcome>, CacheError> {
        let inner = &self.inner;
        let now = inner.settings.clock.now();
        let (lo, hi) = inner.fresh_bounds(unix_s(now));
        let now_ms = unix_ms(now);
        let mut out: Vec<Outcome> = keys.iter().map(|_| Outcome::Miss).collect();
        let mut misses = Vec::new();
        inner.run(|conn, _| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            {
                let mut fresh = tx.prepare_cached(SELECT_FRESH)?;
                let mut live = tx.prepare_cached(SELECT_LIVE_CLAIM)?;
                for (i, key) in keys.iter().enumerate() {
                    if let Some(cached) = fetch(&mut fresh, key, lo, hi)? {
                        out[i] = Outcome::Hit(cached);
                    } else if claim_for.is_some() {
                        if claimed(&mut live, key, now_ms)? {
                            out[i] = Outcome::Wait;
                        } else {
                            misses.push(i);
                        }
                    }
                }
            }
            tx.commit()
        })?;
        let Some(claim_for) = claim_for else {
            return Ok(out);
        };
        if misses.is_empty() {
            return Ok(out);
        }
        let deadline =
            now_ms.saturating_add(i64::try_from(claim_for.as_millis()).unwrap_or(i64::MAX));
        for (n, chunk) in misses.chunks(CLAIM_CHUNK).enumerate() {
            let claimed_chunk = inner.run(|conn, _| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                {
                    let mut fresh = tx.prepare_cached(SELECT_FRESH)?;
                    let mut live = tx.prepare_cached(SELECT_LIVE_CLAIM)?;
                    let mut claim = tx.prepare_cached(UPSERT_CLAIM)?;
                    for &i in chunk {
                        let key = keys[i];
                        out[i] = if let Some(cached) = fetch(&mut fresh, key, lo, hi)? {
                            Outcome::Hit(cached)
                        } else if claimed(&mut live, key, now_ms)? {
                            Outcome::Wait
                        } else {
                            claim.execute(params![
                                &*key.service,
                                &*key.endpoint,
                                &*key.ip_text,
                                inner.owner,
                                deadline
                            ])?;
                            Outcome::Claimed
                        };
                    }
                }
                tx.commit()
            });
            if let Err(e) = claimed_chunk {
                // No guard will answer the claims of the chunks already committed: give them up.
                for &i in misses.iter().take(n * CLAIM_CHUNK) {
                    if matches!(out[i], Outcome::Claimed) {
                        let _ = inner.release(keys[i]);
                    }
                }
                return Err(e);
            }
        }
        Ok(out)
    }
}

impl Inner {
    /// Entries stored in `(lo, hi)` are fresh: younger than the TTL, and not from further in the
    /// future than the TTL (a clock set back does not keep entries for ever).
    fn fresh_bounds(&self, now_s: i64) -> (i64, i64) {
        let ttl = i64::try_from(self.settings.ttl.as_secs()).unwrap_or(i64::MAX);
        (now_s.saturating_sub(ttl), now_s.saturating_add(ttl))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic mid-call rolled its transaction back when it unwound: the connection is sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection; a corrupt file found on the way is moved aside and replaced.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut Connection, i64) -> rusqlite::Result<T>,
    ) -> Result<T, CacheError> {
        let mut state = self.lock();
        let page_size = state.page_size;
        let Some(conn) = state.conn.as_mut() else {
            return Err(CacheError::Closed {
                path: self.path.clone(),
            });
        };
        match f(conn, page_size) {
            Ok(value) => Ok(value),
            Err(e) if is_corrupt(&e) => Err(self.repair(&mut state, e.to_string())),
            Err(e) => Err(sqlite_error(&self.path, self.settings.busy_timeout, &e)),
        }
    }

    /// Closes the corrupt file, moves it aside (unless another process already replaced it) and
    /// opens a new cache in its place.
    fn repair(&self, state: &mut State, reason: String) -> CacheError {
        let path = self.path.clone();
        drop(state.conn.take());
        let moved_to = match move_aside(&path, state.identity, self.settings.clock.now()) {
            Ok(moved_to) => moved_to,
            Err(source) => {
                return CacheError::MoveAside {
                    path,
                    reason,
                    source,
                };
            }
        };
        let rebuilt = match connect(&path, &self.settings) {
            Ok(opened) => {
                *state = opened;
                true
            }
            Err(_) => false,
        };
        CacheError::Corrupt {
            path,
            reason,
            moved_to,
            rebuilt,
        }
    }

    fn release(&self, key: &Key) -> Result<(), CacheError> {
        self.run(|conn, _| {
            conn.prepare_cached(DELETE_OWN_CLAIM)?.execute(params![
                &*key.service,
                &*key.endpoint,
                &*key.ip_text,
                self.owner
            ])?;
            Ok(())
        })
    }
}

fn fetch(
    stmt: &mut rusqlite::CachedStatement<'_>,
    key: &Key,
    lo: i64,
    hi: i64,
) -> rusqlite::Result<Option<Cached>> {
    let row = stmt
        .query_row(
            params![&*key.service, &*key.endpoint, &*key.ip_text, lo, hi],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(kind, stored, body)| {
        Some(Cached {
            kind: Kind::from_code(kind)?,
            body,
            stored: from_unix_s(stored),
        })
    }))
}

fn claimed(
    stmt: &mut rusqlite::CachedStatement<'_>,
    key: &Key,
    now_ms: i64,
) -> rusqlite::Result<bool> {
    stmt.exists(params![
        &*key.service,
        &*key.endpoint,
        &*key.ip_text,
        now_ms
    ])
}

/// Bytes of pages in use (the file less its free pages).
fn used_bytes(conn: &Connection, page_size: i64) -> rusqlite::Result<u64> {
    let pages: i64 = conn
        .prepare_cached("PRAGMA page_count")?
        .query_row([], |r| r.get(0))?;
    let free: i64 = conn
        .prepare_cached("PRAGMA freelist_count")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from((pages - free).max(0).saturating_mul(page_size)).unwrap_or(0))
}

/// Deletes the oldest entries until the pages in use are under 90 % of `max_bytes` (or none is
/// left). Returns how many went.
fn evict(conn: &Connection, page_size: i64, max_bytes: u64) -> rusqlite::Result<u64> {
    let target = max_bytes - max_bytes / EVICT_SLACK;
    let mut evicted = 0;
    loop {
        let used = used_bytes(conn, page_size)?;
        if used <= target {
            break;
        }
        let mut excess = i64::try_from(used - target).unwrap_or(i64::MAX);
        let mut rows = Vec::new();
        {
            let mut oldest = conn.prepare_cached(OLDEST)?;
            let mut found = oldest.query([])?;
            while let Some(row) = found.next()? {
                rows.push(row.get::<_, i64>(0)?);
                excess -= row.get::<_, i64>(1)?;
                if excess <= 0 {
                    break;
                }
            }
        }
        if rows.is_empty() {
            break;
        }
        let mut delete = conn.prepare_cached(DELETE_ROW)?;
        for rowid in &rows {
            delete.execute([rowid])?;
        }
        evicted += rows.len() as u64;
    }
    Ok(evicted)
}

/// Folds the WAL into the file and truncates it (skipped quietly while others read).
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

/// Makes the folder of `path`, mode 0700.
fn make_folder(path: &Path) -> Result<(), CacheError> {
    let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if folder.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder).map_err(|source| CacheError::Folder {
        path: folder.to_owned(),
        source,
    })
}

/// Opens and checks the cache at `path`, creating it (mode 0600) and its schema if need be.
fn connect(path: &Path, settings: &Settings) -> Result<State, Failure> {
    let mut identity = None;
    connect_file(path, settings, &mut identity).map_err(|failure| match failure {
        Failure::Unusable(reason, _) => Failure::Unusable(reason, identity),
        fatal => fatal,
    })
}

fn connect_file(
    path: &Path,
    settings: &Settings,
    identity: &mut Option<FileId>,
) -> Result<State, Failure> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(Failure::Fatal(CacheError::CannotOpen {
                path: path.to_owned(),
                message: "it is a folder".into(),
            }));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => new_file(path, settings)?,
        Err(e) => return Err(io_error(path, e)),
    }
    *identity = file_identity(path);
    let sql = |e: rusqlite::Error| Failure::from_sqlite(path, settings.busy_timeout, &e);
    let conn = Connection::open_with_flags(path, open_flags()).map_err(sql)?;
    conn.busy_timeout(settings.busy_timeout).map_err(sql)?;
    conn.set_prepared_statement_cache_capacity(32);
    // A process that closes the cache leaves the log to the next checkpoint (every 1,000 pages
    // written, in whichever process writes then): folding it in at every close would cost each
    // action two fsyncs and an unlink, tens of milliseconds on the path of its response.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )
    .map_err(sql)?;

    let state = schema_state(&conn).map_err(sql)?;
    match state {
        SchemaState::Foreign => {
            return Err(Failure::Unusable(
                "it is not a maxmind-geolocate web cache".into(),
                None,
            ));
        }
        SchemaState::Newer(found) => {
            return Err(Failure::Fatal(CacheError::NewerSchema {
                path: path.to_owned(),
                found: found.into(),
                supported: SCHEMA_VERSION.into(),
            }));
        }
        SchemaState::Empty => {
            // An empty file someone else made. Only takes effect on a file without pages yet.
            conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))
                .map_err(sql)?;
        }
        SchemaState::Current | SchemaState::Older => {}
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Failure::Fatal(CacheError::CannotOpen {
            path: path.to_owned(),
            message: format!("it cannot use a write-ahead log (journal mode {mode})"),
        }));
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};"
    ))
    .map_err(sql)?;
    if state != SchemaState::Current {
        init_schema(&conn).map_err(sql)?;
    }
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(sql)?;
    check_size(path, &conn, page_size)?;
    // Walks the right edge of the table and of its key index, and the small claims table: finds
    // gross damage (a lost tail) before the first lookup does, without reading the whole file.
    conn.query_row(
        "SELECT (SELECT max(rowid) FROM entries), \
         (SELECT ip FROM entries ORDER BY service DESC, endpoint DESC, ip DESC LIMIT 1), \
         (SELECT count(*) FROM claims)",
        [],
        |_| Ok(()),
    )
    .map_err(sql)?;
    Ok(State {
        conn: Some(conn),
        identity: *identity,
        page_size,
    })
}

fn io_error(path: &Path, e: io::Error) -> Failure {
    let message = e.to_string();
    let path = path.to_owned();
    Failure::Fatal(match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            CacheError::ReadOnly { path, message }
        }
        _ => CacheError::CannotOpen { path, message },
    })
}

/// Builds a new, empty cache beside `path` and links it into place unless another process put
/// one there first. Readers thus never see a database without pages at `path`: SQLite takes
/// the WAL of a database without pages for a stale one and deletes it, even while another
/// process is using it.
fn new_file(path: &Path, settings: &Settings) -> Result<(), Failure> {
    let temp = sidecar(path, &format!(".new-{}", owner_id()));
    let result = build_new(&temp, path, settings).and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: rename, unless another process won meanwhile.
        Err(_) if !path.exists() => fs::rename(&temp, path).map_err(|e| io_error(path, e)),
        Err(_) => Ok(()),
    });
    for leftover in [sidecar(&temp, "-wal"), sidecar(&temp, "-shm"), temp] {
        let _ = fs::remove_file(leftover);
    }
    result
}

/// Makes a complete, empty cache at `temp` (mode 0600). Errors name `path`, the file the caller
/// asked for.
fn build_new(temp: &Path, path: &Path, settings: &Settings) -> Result<(), Failure> {
    let mut create = fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    create.open(temp).map_err(|e| io_error(path, e))?;
    let sql = |e: rusqlite::Error| Failure::Fatal(sqlite_error(path, settings.busy_timeout, &e));
    let conn = Connection::open_with_flags(temp, open_flags()).map_err(sql)?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = {PAGE_SIZE}; PRAGMA journal_mode = WAL;"
    ))
    .map_err(sql)?;
    init_schema(&conn).map_err(sql)?;
    // Closing folds the WAL into the file: the file is complete on its own.
    conn.close().map_err(|(_, e)| sql(e))
}

fn open_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SchemaState {
    /// No table, no application id: a new file.
    Empty,
    /// Ours, at this version.
    Current,
    /// Ours, at an older version: rebuilt.
    Older,
    /// Ours, from a newer program: left alone.
    Newer(i32),
    /// Some other database.
    Foreign,
}

fn schema_state(conn: &Connection) -> rusqlite::Result<SchemaState> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(match app {
        0 if objects == 0 && version == 0 => SchemaState::Empty,
        APPLICATION_ID if version == SCHEMA_VERSION => {
            let ours: i64 = conn.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
                 AND name IN ('entries', 'claims')",
                [],
                |r| r.get(0),
            )?;
            if ours == 2 {
                SchemaState::Current
            } else {
                SchemaState::Older
            }
        }
        APPLICATION_ID if version < SCHEMA_VERSION => SchemaState::Older,
        APPLICATION_ID => SchemaState::Newer(version),
        _ => SchemaState::Foreign,
    })
}

/// Creates (or, for an older version, recreates) the tables, in one write transaction that
/// first checks that no other process did it meanwhile.
fn init_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        match schema_state(conn)? {
            SchemaState::Current | SchemaState::Newer(_) | SchemaState::Foreign => return Ok(()),
            SchemaState::Empty | SchemaState::Older => {}
        }
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS claims; {SCHEMA}
             PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        ))
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// A file shorter than the pages its header counts was truncated. Only checked when no WAL
/// frames are pending (the usual state when no other process has the cache open).
fn check_size(path: &Path, conn: &Connection, page_size: i64) -> Result<(), Failure> {
    let wal = fs::metadata(sidecar(path, "-wal")).map_or(0, |m| m.len());
    if wal > 0 {
        return Ok(());
    }
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(|e| Failure::from_sqlite(path, Duration::ZERO, &e))?;
    let len = fs::metadata(path).map_or(0, |m| m.len());
    let expected = u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0);
    if len < expected {
        return Err(Failure::Unusable(
            format!("it was truncated: {len} bytes where its header counts {expected}"),
            None,
        ));
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name (`-wal`, `-shm`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Renames the file at `path` and its `-wal` and `-shm` to `<name>.corrupt-<unix time>`. Returns
/// the new name, or `None` if there was no file to move: another process moved it first (the
/// file at `path` is no longer `identity`, the one found unusable).
fn move_aside(
    path: &Path,
    identity: Option<FileId>,
    now: SystemTime,
) -> io::Result<Option<PathBuf>> {
    if identity.is_some() && file_identity(path) != identity {
        return Ok(None);
    }
    let stamp = unix_s(now);
    let mut target = sidecar(path, &format!(".corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() || sidecar(&target, "-wal").exists() {
        n += 1;
        target = sidecar(path, &format!(".corrupt-{stamp}.{n}"));
    }
    let rename = |from: &Path, to: &Path| match fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    };
    // The sidecars first: a process opening the path meanwhile must not pair a new file with the
    // old journal.
    rename(&sidecar(path, "-wal"), &sidecar(&target, "-wal"))?;
    rename(&sidecar(path, "-shm"), &sidecar(&target, "-shm"))?;
    Ok(rename(path, &target)?.then_some(target))
}

/// The device and inode of the file at `path` (Unix).
fn file_identity(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The sizes of the file, its `-wal` and its `-shm`.
fn disk_bytes(path: &Path) -> u64 {
    [
        path.to_owned(),
        sidecar(path, "-wal"),
        sidecar(path, "-shm"),
    ]
    .iter()
    .filter_map(|p| fs::metadata(p).ok())
    .map(|m| m.len())
    .sum()
}

/// `<pid>.<64 random bits>`: unique per open cache, even across pid reuse.
fn owner_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{}.{:016x}", std::process::id(), hasher.finish())
}

fn unix_s(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn from_unix_s(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(s.unsigned_abs())
    }
}

#[cfg(test)]
mod tests;
