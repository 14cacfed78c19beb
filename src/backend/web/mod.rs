//! The MaxMind GeoIP2 / GeoLite2 web service backend.
//!
//! `GET <base>/geoip/v2.1/<endpoint>/<ip>` with HTTP Basic auth, over rustls. Users pay per query,
//! so the backend is frugal: the caller sends each public address once; queries run a bounded
//! number at a time; an account-wide refusal (bad credentials, no funds) stops every query not yet
//! sent; 5xx, connection errors and timeouts are retried with exponential backoff and jitter; a
//! 429 pauses every query, not just the one that got it; other 4xx are never retried.
//!
//! Each answer worth keeping (a record, or MaxMind's `IP_ADDRESS_NOT_FOUND`) goes into the
//! machine-wide [`cache`], and an address it holds is answered from it without a query; an
//! address another process is asking already is waited for rather than asked again. The cache
//! never fails an action: when it cannot be used, a `cache_unavailable` warning says why and the
//! action runs without it. Answers are the same either way: the body is kept in its compact form
//! ([`Cacheable`]) and mapped by the same code whether it came from the service or the cache.
//!
//! The tokio runtime is built only when this backend is opened, so a file lookup pays nothing
//! for it; the HTTP client (its TLS set-up reads the system's certificates) only when the first
//! query is sent, so an action the cache answers whole pays nothing for it either. The license
//! key is sent in the Authorization header only, and is scrubbed from every message this module
//! writes and every answer it keeps.

pub mod cache;

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ipnet::IpNet;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Answer, Backend, DbKind, Deadline, Located, Progress, Usage};
use crate::config::{CacheConfig, Context, WebConfig};
use crate::error::Error;
use crate::mapping::{self, RowFilter};
use crate::protocol::{DatabaseInfo, Listed, RawJson};
use crate::record::Record;
use cache::{
    Backoff, Cache, CacheError, Cacheable, Cached, ClaimGuard, Key, Kind, Lookup, PutBuffer,
};

/// The first backoff step; each retry doubles it, plus up to half again of jitter.
const BACKOFF: Duration = Duration::from_millis(200);
/// How many 429 answers one query waits out before giving up.
const MAX_RATE_LIMITED: u32 = 6;
/// Addresses are claimed in the cache this many rounds of queries ahead (`max_parallel_queries`
/// addresses a round): one short write for several rounds, and still a claim that is sent long
/// before it expires (its deadline covers one query's every try) when the service answers in
/// less than a quarter of `timeout_s`.
const CLAIM_ROUNDS: usize = 4;

/// The web service, ready to query.
pub struct WebBackend {
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
    parallel: usize,
    /// The answer cache while it works: `None` when it is off, could not be opened, or failed
    /// during the action.
    cache: Mutex<Option<Cache>>,
    /// What went wrong with the cache (`cache_unavailable`), each once.
    cache_problems: Mutex<Vec<String>>,
    /// The cache key of this service and endpoint (its addresses are put in with
    /// [`Key::with_ip`]).
    key: Key,
    /// A dry run: answers from the cache only; nothing is sent.
    dry_run: bool,
    /// Answers taken from the cache.
    hits: AtomicUsize,
    /// A dry run: the addresses that would be sent.
    planned: AtomicUsize,
}

/// What every query task shares.
struct Shared {
    /// The HTTP client, built for the first query.
    client: OnceLock<Result<reqwest::Client, Error>>,
    /// How to build it.
    builder: Mutex<Option<reqwest::ClientBuilder>>,
    base: String,
    endpoint: &'static str,
    rows: RowFilter,
    locale: &'static str,
    account_id: String,
    web: WebConfig,
    secrets: Vec<String>,
    sent: AtomicUsize,
    /// `u64::MAX` until the service reports a figure.
    remaining: AtomicU64,
    /// The account-wide error that stopped all further queries.
    halted: Mutex<Option<Error>>,
    /// No query is sent before this instant (after a 429).
    pause_until: Mutex<Option<Instant>>,
}

/// The endpoint for a context, and the mapping rows its answers give: an answer maps as a
/// database of the same kind would ([`DbKind::rows`]); the City and Insights answers carry
/// the `traits` of an Enterprise record.
fn endpoint(context: Context) -> (&'static str, RowFilter) {
    let (endpoint, kind) = match context {
        Context::Country => ("country", DbKind::Country),
        Context::Insights => ("insights", DbKind::Enterprise),
        Context::City | Context::Auto | Context::Asn => ("city", DbKind::Enterprise),
    };
    (endpoint, kind.rows(context).unwrap_or(RowFilter::ALL))
}

impl WebBackend {
    /// Builds the runtime for `web` and `context` (the HTTP client waits for the first query),
    /// names in `locale`, and opens the answer cache `cache` describes (a problem with it is a
    /// warning, see [`Backend::warnings`]). Sends nothing. A `dry_run` backend answers what the
    /// cache holds and counts the rest ([`Usage::queries_planned`]) without sending them.
    pub fn open(
        web: &WebConfig,
        context: Context,
        locale: &'static str,
        cache: &CacheConfig,
        dry_run: bool,
    ) -> Result<Self, Error> {
        let (endpoint, rows) = endpoint(context);
        let account_id = web.account_id.clone().unwrap_or_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("maxmind-geolocate/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(web.timeout.min(Duration::from_secs(10)))
            .timeout(web.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if web.bypass_proxy {
            builder = builder.no_proxy();
        }
        let mut secrets = credential_forms(&account_id, web.license_key.expose());
        secrets.extend(proxy_secrets());
        secrets.retain(|s| s.len() >= MIN_SECRET);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("the async runtime cannot start: {e}")))?;
        let (cache, problem) = open_cache(cache, dry_run);
        let base = web.base_url();
        Ok(WebBackend {
            runtime,
            parallel: web.parallel.max(1),
            cache: Mutex::new(cache),
            cache_problems: Mutex::new(problem.into_iter().collect()),
            key: Key::new(base, endpoint, IpAddr::from([0, 0, 0, 0])),
            dry_run,
            hits: AtomicUsize::new(0),
            planned: AtomicUsize::new(0),
            shared: Arc::new(Shared {
                client: OnceLock::new(),
                builder: Mutex::new(Some(builder)),
                base: base.to_owned(),
                endpoint,
                rows,
                locale,
                account_id,
                web: web.clone(),
                secrets,
                sent: AtomicUsize::new(0),
                remaining: AtomicU64::new(u64::MAX),
                halted: Mutex::new(None),
                pause_until: Mutex::new(None),
            }),
        })
    }
}

impl Backend for WebBackend {
    fn databases(&self) -> &[DatabaseInfo] {
        &[]
    }

    fn lookup_many(
        &self,
        ips: &[IpAddr],
        deadline: Deadline,
        progress: Option<&dyn Progress>,
    ) -> Vec<Result<Answer, Error>> {
        let answered = |n: usize| {
            if let Some(p) = progress {
                p.advance(n);
            }
        };
        let mut out: Vec<Option<Result<Answer, Error>>> = (0..ips.len()).map(|_| None).collect();
        let mut cache = self.cache();
        let keys: Vec<Key> = match cache {
            Some(_) => ips.iter().map(|&ip| self.key.with_ip(ip)).collect(),
            None => Vec::new(),
        };
        // What the cache holds is answered at once, in one read.
        if let Some(c) = &cache {
            match c.get_many(&keys) {
                Ok(found) => {
                    for ((slot, &ip), cached) in out.iter_mut().zip(ips).zip(found) {
                        if let Some(cached) = cached {
                            *slot = Some(from_cache(&self.shared, ip, cached));
                            self.hits.fetch_add(1, Ordering::Relaxed);
                            answered(1);
                        }
                    }
                }
                Err(e) => {
                    self.cache_failed(&e);
                    cache = None;
                }
            }
        }
        if self.dry_run {
            for (slot, ip) in out.iter_mut().zip(ips) {
                if slot.is_none() {
                    *slot = Some(Err(Error::DryRun(ip.to_string())));
                    self.planned.fetch_add(1, Ordering::Relaxed);
                    answered(1);
                }
            }
        } else {
            let todo: Vec<usize> = (0..ips.len()).filter(|&i| out[i].is_none()).collect();
            if !todo.is_empty() {
                let mut pass = Pass {
                    shared: &self.shared,
                    ips,
                    keys: &keys,
                    claim_for: cache::claim_time(self.shared.web.timeout, self.shared.web.tries),
                    buffer: cache.as_ref().map(Cache::buffer),
                    cache,
                    guards: (0..ips.len()).map(|_| None).collect(),
                    ready: VecDeque::new(),
                    waiting: Vec::new(),
                    out: &mut out,
                    answered: &answered,
                    backend: self,
                };
                self.runtime
                    .block_on(pass.run(&todo, self.parallel, deadline));
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Internal("a web query task failed".into()))))
            .collect()
    }

    fn wants_everything_at_once(&self) -> bool {
        true
    }

    fn usage(&self) -> Option<Usage> {
        let remaining = self.shared.remaining.load(Ordering::Relaxed);
        Some(Usage {
            queries_sent: self.shared.sent.load(Ordering::Relaxed),
            queries_remaining: (remaining != u64::MAX).then_some(remaining),
            cache_hits: self.hits.load(Ordering::Relaxed),
            queries_planned: self.dry_run.then(|| self.planned.load(Ordering::Relaxed)),
        })
    }

    fn warnings(&self) -> Vec<(&'static str, String)> {
        lock(&self.cache_problems)
            .iter()
            .map(|problem| ("cache_unavailable", problem.clone()))
            .collect()
    }
}

impl WebBackend {
    /// The cache, while it works.
    fn cache(&self) -> Option<Cache> {
        lock(&self.cache).clone()
    }

    /// Turns the cache off for the rest of the action, and says why.
    fn cache_failed(&self, e: &CacheError) {
        lock(&self.cache).take();
        let problem = format!("{e}; the rest of the action ran without it");
        let mut problems = lock(&self.cache_problems);
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
}

/// A mutex's value, even after a panic elsewhere (these hold plain values, never half-changed).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The cache `config` describes, or why there is none (`None` and no reason: it is off, or a
/// dry run finds no cache file: it has nothing to answer from and makes none).
fn open_cache(config: &CacheConfig, dry_run: bool) -> (Option<Cache>, Option<String>) {
    if config.ttl.is_zero() {
        return (None, None);
    }
    if dry_run && config.path.as_deref().is_some_and(|p| !p.exists()) {
        return (None, None);
    }
    let Some(path) = &config.path else {
        return (
            None,
            Some(
                "the web cache has no place: set cache_path (or MAXMIND_GEOLOCATE_CACHE, \
                 XDG_CACHE_HOME or HOME); the action ran without it"
                    .into(),
            ),
        );
    };
    match Cache::open(path, cache::Settings::new(config.ttl, config.max_bytes)) {
        Ok(cache) => {
            let repaired = cache.repaired().map(ToString::to_string);
            (Some(cache), repaired)
        }
        Err(e) => (None, Some(format!("{e}; the action ran without it"))),
    }
}

/// The answer for `ip` from a cached body, as the same body from the service would give it.
fn from_cache(shared: &Shared, ip: IpAddr, cached: Cached) -> Result<Answer, Error> {
    match cached.kind {
        Kind::Answer => found(shared, ip, cached.body, false),
        Kind::NotFound => Err(refusal(shared, ip, 404, cached.body.as_bytes())),
    }
}

/// One [`Backend::lookup_many`] call's queries, with the cache: the addresses the cache did not
/// hold are claimed a few at a time, just before they are sent (so that a claim lasts no longer
/// than its query), queried, and their answers stored; those another process is asking are
/// polled until it has answered (or given up, or died).
struct Pass<'a> {
    backend: &'a WebBackend,
    shared: &'a Arc<Shared>,
    ips: &'a [IpAddr],
    /// The cache key of each address (empty without a cache).
    keys: &'a [Key],
    cache: Option<Cache>,
    buffer: Option<PutBuffer>,
    claim_for: Duration,
    /// This process's claim on each address it is to query.
    guards: Vec<Option<ClaimGuard>>,
    /// Addresses to send, in order.
    ready: VecDeque<usize>,
    /// Addresses another live process is asking.
    waiting: Vec<usize>,
    out: &'a mut [Option<Result<Answer, Error>>],
    answered: &'a dyn Fn(usize),
}

impl Pass<'_> {
    async fn run(&mut self, todo: &[usize], parallel: usize, deadline: Deadline) {
        let slots = Arc::new(Semaphore::new(parallel));
        let mut tasks = JoinSet::new();
        let mut next = 0;
        let mut backoff = Backoff::new();
        let mut poll_at = Instant::now();
        loop {
            if self.ready.is_empty() && next < todo.len() {
                let chunk = &todo[next..todo.len().min(next + parallel * CLAIM_ROUNDS)];
                next += chunk.len();
                let was_waiting = !self.waiting.is_empty();
                self.take(chunk);
                if !was_waiting && !self.waiting.is_empty() {
                    // Another process is asking: look again soon, then less and less often.
                    backoff = Backoff::new();
                    poll_at = Instant::now() + backoff.next_delay();
                }
            }
            if !self.waiting.is_empty() && Instant::now() >= poll_at {
                self.poll(deadline);
                poll_at = Instant::now() + backoff.next_delay();
            }
            if let Some(i) = self.ready.pop_front() {
                // Answers are stored in batches as they come (see `PutBuffer`): waiting for a
                // slot is the usual state of a bulk, and a store per answer would cost more
                // than the rest of the cache.
                let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                    break;
                };
                // Answers that came in meanwhile are shown as they come.
                while let Some(joined) = tasks.try_join_next() {
                    self.finish(joined);
                }
                if let Some(e) = self.shared.halted() {
                    self.answer(i, Err(e));
                    continue;
                }
                let shared = Arc::clone(self.shared);
                let ip = self.ips[i];
                tasks.spawn(async move {
                    let _permit = permit;
                    (i, query(&shared, ip, deadline).await)
                });
                continue;
            }
            if tasks.is_empty() && self.waiting.is_empty() && next >= todo.len() {
                break;
            }
            // Nothing left to send for now: store what came, so that others waiting for it
            // have it, then wait for an answer (or the next look at what others are asking).
            self.flush();
            if self.waiting.is_empty() {
                if let Some(joined) = tasks.join_next().await {
                    self.finish(joined);
                }
            } else if tasks.is_empty() {
                tokio::time::sleep_until(poll_at).await;
            } else if let Ok(Some(joined)) =
                tokio::time::timeout_at(poll_at, tasks.join_next()).await
            {
                self.finish(joined);
            }
        }
        self.flush();
    }

    /// Claims `chunk` (or takes what another process stored meanwhile); without a cache, every
    /// address is ready to send.
    fn take(&mut self, chunk: &[usize]) {
        self.ask(chunk, true);
    }

    /// Asks again about the addresses other processes were asking. Past the action's deadline
    /// they are sent (and answered `action_timeout` at once).
    fn poll(&mut self, deadline: Deadline) {
        let waiting = std::mem::take(&mut self.waiting);
        self.ask(&waiting, deadline.check().is_ok());
    }

    /// Asks the cache (if any, and if `may_wait`) about `indexes` and sorts them by its answer;
    /// else they are ready to send. After a halt they are answered with it.
    fn ask(&mut self, indexes: &[usize], may_wait: bool) {
        if let Some(e) = self.shared.halted() {
            for &i in indexes {
                self.answer(i, Err(e.clone()));
            }
            return;
        }
        let Some(cache) = self.cache.as_ref().filter(|_| may_wait) else {
            self.ready.extend(indexes);
            return;
        };
        let keys: Vec<&Key> = indexes.iter().map(|&i| &self.keys[i]).collect();
        match cache.get_or_claim_many(&keys, self.claim_for) {
            Ok(lookups) => self.sort(indexes, lookups),
            Err(e) => {
                self.failed(&e);
                self.ready.extend(indexes);
            }
        }
    }

    /// Puts each of `indexes` where its lookup says: answered, ready to send, or waiting.
    fn sort(&mut self, indexes: &[usize], lookups: Vec<Lookup>) {
        for (&i, lookup) in indexes.iter().zip(lookups) {
            match lookup {
                Lookup::Hit(cached) => {
                    let answer = from_cache(self.shared, self.ips[i], cached);
                    self.backend.hits.fetch_add(1, Ordering::Relaxed);
                    self.answer(i, answer);
                }
                Lookup::Claimed(guard) => {
                    self.guards[i] = Some(guard);
                    self.ready.push_back(i);
                }
                Lookup::Wait => self.waiting.push(i),
            }
        }
    }

    /// A query's outcome: the answer, and the cache told (stored, or the claim given up).
    fn finish(&mut self, joined: Result<(usize, Queried), tokio::task::JoinError>) {
        let Ok((i, (answer, keep))) = joined else {
            (self.answered)(1);
            return;
        };
        if let Some(guard) = self.guards[i].take() {
            let told = match (keep, &mut self.buffer) {
                (Some(value), Some(buffer)) => buffer.push(guard, value),
                _ => guard.release(),
            };
            // (Once the cache is off, a claim it cannot give up expires on its own.)
            match told {
                Err(e) if self.cache.is_some() => self.failed(&e),
                _ => {}
            }
        }
        self.answer(i, answer);
    }

    fn answer(&mut self, i: usize, answer: Result<Answer, Error>) {
        self.out[i] = Some(answer);
        (self.answered)(1);
    }

    /// Stores the answers held.
    fn flush(&mut self) {
        if let Some(Err(e)) = self.buffer.as_mut().map(PutBuffer::flush) {
            self.failed(&e);
        }
    }

    /// The cache failed: the rest of the call runs without it (addresses that were waiting for
    /// another process are sent).
    fn failed(&mut self, e: &CacheError) {
        self.backend.cache_failed(e);
        self.cache = None;
        self.buffer = None;
        self.ready.extend(std::mem::take(&mut self.waiting));
    }
}

impl Shared {
    /// The HTTP client, built the first time it is needed (and an error every time, if it
    /// cannot be).
    fn client(&self) -> Result<&reqwest::Client, Error> {
        self.client
            .get_or_init(|| {
                let builder = lock(&self.builder)
                    .take()
                    .ok_or_else(|| Error::Internal("the HTTP client was built twice".into()))?;
                builder.build().map_err(|e| {
                    Error::Internal(
                        self.scrub(&format!("the HTTP client cannot start: {}", chain(&e))),
                    )
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn halted(&self) -> Option<Error> {
        self.halted.lock().ok().and_then(|h| h.clone())
    }

    fn halt(&self, e: &Error) {
        if let Ok(mut h) = self.halted.lock() {
            h.get_or_insert_with(|| e.clone());
        }
    }

    async fn wait_for_pause(&self) {
        loop {
            let until = self.pause_until.lock().ok().and_then(|p| *p);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    fn pause(&self, for_: Duration) {
        if let Ok(mut p) = self.pause_until.lock() {
            let until = Instant::now() + for_;
            if p.is_none_or(|current| current < until) {
                *p = Some(until);
            }
        }
    }

    fn scrub(&self, message: &str) -> String {
        scrub(message, &self.secrets)
    }

    /// Whether an answer may go into the cache: it holds none of the secrets (its body was
    /// scrubbed; this is the last look before anything is written to disk).
    fn may_keep(&self, value: &Cacheable) -> bool {
        !self
            .secrets
            .iter()
            .any(|secret| value.body().contains(secret.as_str()))
    }

    /// A body with every secret in it replaced (a service or proxy that echoes the request);
    /// a body that is not text is left as it is (it is refused as not JSON).
    fn scrub_body(&self, body: Vec<u8>) -> Vec<u8> {
        match String::from_utf8(body) {
            Ok(text) if self.secrets.iter().any(|s| text.contains(s.as_str())) => {
                self.scrub(&text).into_bytes()
            }
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        }
    }
}

/// One answer from the service, or why there is none.
enum Attempt {
    /// An HTTP answer: status, `Retry-After` seconds, body.
    Answer(u16, Option<u64>, Vec<u8>),
    /// No answer in time.
    TimedOut(String),
    /// No answer at all.
    Unreachable(String),
    /// An answer longer than `max_response_kib` (its size in bytes); the rest was not read.
    TooLarge(usize),
    /// Nothing could be sent.
    Failed(Error),
}

async fn send(shared: &Shared, url: &str) -> Attempt {
    let client = match shared.client() {
        Ok(client) => client,
        Err(e) => return Attempt::Failed(e),
    };
    let request = client
        .get(url)
        .basic_auth(&shared.account_id, Some(shared.web.license_key.expose()))
        .header(reqwest::header::ACCEPT, "application/json");
    let transport = |e: reqwest::Error| {
        let message = shared.scrub(&chain(&e));
        if e.is_timeout() {
            Attempt::TimedOut(format!(
                "no answer within {} s ({message})",
                shared.web.timeout.as_secs()
            ))
        } else {
            Attempt::Unreachable(message)
        }
    };
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return transport(e),
    };
    shared.sent.fetch_add(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Read up to the cap, never more: a body is parsed and kept whole.
    let cap = shared.web.max_response_bytes;
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > cap => {
                return Attempt::TooLarge(cap);
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return Attempt::Answer(status, retry_after, body),
            Err(e) => return transport(e),
        }
    }
}

/// A query's answer, and its form to keep in the cache when it may be kept.
type Queried = (Result<Answer, Error>, Option<Cacheable>);

/// Queries one address, retrying what is worth retrying.
async fn query(shared: &Shared, ip: IpAddr, deadline: Deadline) -> Queried {
    let url = format!("{}/geoip/v2.1/{}/{}", shared.base, shared.endpoint, ip);
    let mut last = Error::ServiceUnavailable("no query was sent".into());
    let (mut tries, mut rate_limited) = (0, 0);
    while tries < shared.web.tries {
        shared.wait_for_pause().await;
        if let Some(e) = shared.halted() {
            return (Err(e), None);
        }
        if let Err(e) = deadline.check() {
            return (Err(e), None);
        }
        match send(shared, &url).await {
            Attempt::Answer(200, _, body) => return answered(shared, ip, body),
            Attempt::Answer(429, retry_after, _) if rate_limited < MAX_RATE_LIMITED => {
                rate_limited += 1;
                let wait =
                    retry_after.map_or_else(|| backoff(ip, rate_limited), Duration::from_secs);
                shared.pause(wait.min(Duration::from_secs(60)));
                continue;
            }
            Attempt::Answer(status @ 500..=599, _, body) => {
                last = Error::ServiceUnavailable(
                    shared.scrub(&format!("HTTP {status}{}", service_message(&body))),
                );
            }
            Attempt::Answer(status, _, body) => {
                let e = refusal(shared, ip, status, &body);
                if e.stops_queries() {
                    shared.halt(&e);
                }
                // Of all refusals, only "not in MaxMind's data" is a fact worth keeping.
                let keep = matches!(e, Error::NotFound { .. })
                    .then(|| Cacheable::from_response(status, &shared.scrub_body(body)).ok())
                    .flatten()
                    .filter(|value| shared.may_keep(value));
                return (Err(e), keep);
            }
            Attempt::TooLarge(cap) => {
                let e = Error::HttpError {
                    status: 200,
                    message: format!(
                        "the answer is longer than {} KiB (max_response_kib); it was not read",
                        cap >> 10
                    ),
                };
                return (Err(e), None);
            }
            Attempt::TimedOut(message) => last = Error::Timeout(message),
            Attempt::Unreachable(message) => last = Error::ServiceUnavailable(message),
            Attempt::Failed(e) => {
                shared.halt(&e);
                return (Err(e), None);
            }
        }
        tries += 1;
        if tries < shared.web.tries {
            tokio::time::sleep(backoff(ip, tries)).await;
        }
    }
    (Err(last), None)
}

/// A 200 answer: its compact form (what the cache keeps), mapped; and that form to keep when
/// it mapped and holds no secret.
fn answered(shared: &Shared, ip: IpAddr, body: Vec<u8>) -> Queried {
    let body = shared.scrub_body(body);
    let Ok(value) = Cacheable::answer(&body) else {
        return (Err(not_json()), None);
    };
    let answer = found(shared, ip, value.body().to_owned(), true);
    let keep = (answer.is_ok() && shared.may_keep(&value)).then_some(value);
    (answer, keep)
}

/// A 200 answer that is not one JSON object.
fn not_json() -> Error {
    Error::HttpError {
        status: 200,
        message: "the body is not a JSON object".into(),
    }
}

/// A 200 answer's body mapped as a record of its endpoint's kind; `data` is the body itself.
/// `fresh`: it came from the service now, and its `queries_remaining` counts.
fn found(shared: &Shared, ip: IpAddr, body: String, fresh: bool) -> Result<Answer, Error> {
    // The record borrows the body's text while it is mapped; then the body itself is `data`.
    let (network, mapped) = {
        let record = match serde_json::from_str::<Record<'_>>(&body) {
            Ok(r @ Record::Map(_)) => r,
            _ => return Err(not_json()),
        };
        if let (true, Some(Record::Uint(remaining))) = (
            fresh,
            record
                .get("maxmind")
                .and_then(|m| m.get("queries_remaining")),
        ) {
            shared.remaining.fetch_min(*remaining, Ordering::Relaxed);
        }
        let network = match record.get("traits").and_then(|t| t.get("network")) {
            Some(Record::String(n)) => n.parse::<IpNet>().ok(),
            _ => None,
        }
        .unwrap_or_else(|| IpNet::from(ip));
        let mapped = mapping::map_records(std::iter::once((&record, shared.rows)), shared.locale);
        (network, mapped)
    };
    // The body parsed as one JSON object above, and is compact already (`Cacheable`): as sent,
    // but for the whitespace between tokens (one answer, one line, whatever the service's
    // indentation), from the service and from the cache alike.
    let raw = RawJson::from_trusted(body);
    Ok(Answer {
        network: Some(network),
        record: Some(Located {
            data: raw,
            attributes: Listed::new(mapped.attributes),
            indicators: Listed::new(mapped.indicators),
            display: Arc::new(mapped.display),
        }),
        matched: vec![(0, network)],
    })
}

/// A 4xx (or other non-success) answer, mapped by MaxMind's error code.
fn refusal(shared: &Shared, ip: IpAddr, status: u16, body: &[u8]) -> Error {
    #[derive(serde::Deserialize)]
    struct Body {
        code: String,
        #[serde(default)]
        error: String,
    }
    let Ok(Body { code, error }) = serde_json::from_slice::<Body>(body) else {
        return Error::HttpError {
            status,
            message: "the answer has no MaxMind error body".into(),
        };
    };
    let said = shared.scrub(&format!("MaxMind: {code}: {error}"));
    match code.as_str() {
        "IP_ADDRESS_INVALID" | "IP_ADDRESS_REQUIRED" => Error::InvalidIp {
            value: ip.to_string(),
            reason: said,
        },
        "IP_ADDRESS_RESERVED" => Error::ReservedIp {
            ip: ip.to_string(),
            reason: format!("reserved ({said})"),
        },
        "IP_ADDRESS_NOT_FOUND" => Error::NotFound {
            ip: ip.to_string(),
            sources: format!("the MaxMind web service ({said})"),
        },
        "AUTHORIZATION_INVALID"
        | "ACCOUNT_ID_REQUIRED"
        | "ACCOUNT_ID_UNKNOWN"
        | "LICENSE_KEY_REQUIRED" => Error::AuthInvalid(said),
        "INSUFFICIENT_FUNDS" | "OUT_OF_QUERIES" => Error::OutOfQueries(said),
        "PERMISSION_REQUIRED" => Error::PermissionRequired(said),
        _ => Error::HttpError {
            status,
            message: said,
        },
    }
}

/// `: <MaxMind's message>` when a body carries one.
fn service_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|m| format!(": {m}"))
        })
        .unwrap_or_default()
}

/// Exponential backoff with jitter: `BACKOFF · 2^(n-1)`, plus up to half of it again.
fn backoff(ip: IpAddr, n: u32) -> Duration {
    let step = BACKOFF * 2u32.saturating_pow(n.saturating_sub(1)).min(64);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a) as u64,
    } ^ u64::from(nanos)
        ^ u64::from(n).rotate_left(32);
    let mixed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    let half = step.as_millis() as u64 / 2;
    step + Duration::from_millis(if half == 0 { 0 } else { mixed % half })
}

/// An error and its causes, one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Secrets shorter than this are not looked for in what the service sends (a license key is
/// 16 characters or more; a one-letter "secret" would mangle every text).
const MIN_SECRET: usize = 4;

/// Every form the credentials travel or may be echoed in: the key, `account:key`, and the
/// Basic authorization value (its base64, padded and not, and the whole header value).
fn credential_forms(account_id: &str, key: &str) -> Vec<String> {
    use base64::Engine as _;
    if key.is_empty() {
        return Vec::new();
    }
    let pair = format!("{account_id}:{key}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
    let unpadded = encoded.trim_end_matches('=').to_owned();
    // Longest first, so that a longer form is scrubbed whole before a shorter one inside it.
    vec![
        format!("Basic {encoded}"),
        encoded,
        unpadded,
        pair,
        key.to_owned(),
    ]
}

/// The credentials of proxy URLs in the environment, to keep out of messages.
fn proxy_secrets() -> Vec<String> {
    let mut out = Vec::new();
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        let Ok(value) = std::env::var(var) else {
            continue;
        };
        if let Ok(url) = reqwest::Url::parse(&value) {
            if let Some(password) = url.password() {
                out.push(password.to_owned());
                out.push(value.clone());
            }
        }
    }
    out
}

/// Replaces every secret in `message` with `[redacted]`.
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_compacted_between_tokens_only() {
        let body = b"{\n  \"a b\" : [1, 2.50 ,\n\t\"x \\\" y\"],\r\n \"c\": {\"d\" : null} }\n";
        let compacted = Cacheable::answer(body).unwrap();
        assert_eq!(
            compacted.body(),
            r#"{"a b":[1,2.50,"x \" y"],"c":{"d":null}}"#
        );
        let before: Value = serde_json::from_slice(body).unwrap();
        let after: Value = serde_json::from_str(compacted.body()).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let ip: IpAddr = "81.2.69.142".parse().unwrap();
        for n in 1..5 {
            let step = BACKOFF * 2u32.pow(n - 1);
            let d = backoff(ip, n);
            assert!(d >= step && d <= step + step / 2, "{n}: {d:?}");
        }
    }

    #[test]
    fn every_form_of_the_credentials_is_scrubbed() {
        let secrets = credential_forms("42", "LK-TEST-KEY");
        let pair_b64 = "NDI6TEstVEVTVC1LRVk=";
        for echoed in [
            "LK-TEST-KEY".to_owned(),
            "42:LK-TEST-KEY".to_owned(),
            format!("Authorization: Basic {pair_b64}"),
            pair_b64.trim_end_matches('=').to_owned(),
        ] {
            let scrubbed = scrub(&format!("said: {echoed}."), &secrets);
            assert!(
                !scrubbed.contains("LK-TEST") && !scrubbed.contains("NDI6TEst"),
                "{scrubbed}"
            );
            assert!(scrubbed.contains("[redacted]"), "{scrubbed}");
        }
    }

    #[test]
    fn secrets_are_scrubbed() {
        let secrets = vec!["LK-123".to_owned(), "hunter2".to_owned()];
        assert_eq!(
            scrub("key LK-123 via http://u:hunter2@proxy", &secrets),
            "key [redacted] via http://u:[redacted]@proxy"
        );
    }

    #[test]
    fn contexts_pick_endpoints() {
        assert_eq!(endpoint(Context::Country).0, "country");
        assert_eq!(endpoint(Context::Asn), ("city", RowFilter::ASN));
        assert_eq!(endpoint(Context::Insights).0, "insights");
        assert_eq!(endpoint(Context::Auto).0, "city");
    }
}
