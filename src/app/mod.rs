//! The orchestrator: request → configuration → IPs → backend lookups → mapping → response.
//!
//! Everything here is plain data in, [`Response`] out; reading stdin and writing stdout is left
//! to the caller (`lib.rs`), so tests and the analyst's commands share one path.

mod bulk;

use std::borrow::Cow;
// foldhash: the fast hasher hashbrown itself defaults to (still seeded per process); the
// hashing of 100,000 addresses, attribute lists and attributes was SipHash's.
use foldhash::{HashMap, HashSet, HashSetExt};
use std::collections::hash_map::Entry;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnet::IpNet;
use serde_json::{Map, Value};

pub use crate::backend::Progress;
use crate::backend::mmdb::MmdbBackend;
use crate::backend::web::WebBackend;
use crate::backend::{BATCH, Backend, Deadline, Found, Shape, Transcoded};
use crate::config::{self, Config, Context, DbFiles, Environment, RawConfig, Source};
use crate::error::Error;
use crate::ip;
use crate::mapping::{self, Display};
use crate::parallel;
use crate::protocol::{
    Action, Attribute, DatabaseInfo, ErrorBody, Indicator, IpResult, Meta, Object, Origin, RawJson,
    Request, Response, Status, parse_request,
};
use crate::record::Record;

/// The indicator types Lookup runs on.
const IP_INDICATOR_TYPES: [&str; 2] = ["IP Address", "IPv6 Address"];

/// What outlives one action in a process: the settings from outside the request, the database
/// files opened so far (a stream of requests opens each once) and who hears of progress.
pub struct Session {
    env: Environment,
    flags: RawConfig,
    opened: Mutex<Vec<OpenDatabases>>,
    progress: Option<Box<dyn Progress>>,
}

/// Database files opened for one set of settings, kept for the requests that follow.
struct OpenDatabases {
    key: (DbFiles, Context, &'static str),
    backend: Arc<MmdbBackend>,
    warnings: Vec<String>,
}

impl Session {
    /// A session on the settings of `env`.
    pub fn new(env: Environment) -> Self {
        Session {
            env,
            flags: RawConfig::default(),
            opened: Mutex::new(Vec::new()),
            progress: None,
        }
    }

    /// Settings from the command line: they win over the request's own.
    pub fn with_flags(mut self, flags: RawConfig) -> Self {
        self.flags = flags;
        self
    }

    /// Reports the progress of large actions to `progress`.
    pub fn with_progress(mut self, progress: Box<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Resolves a request's configuration: flags, then the request, then the environment.
    pub fn resolve(&self, request: RawConfig) -> Result<(Config, Vec<ErrorBody>), Error> {
        Config::resolve(self.flags.clone().or(request), &self.env)
    }

    /// The database files of `config`, opened on first use and shared by later actions. Each
    /// action starts with no records cached: the cache holds one action's records (its
    /// results hold them too), not a stream's.
    fn databases(&self, config: &Config) -> Result<(Arc<MmdbBackend>, Vec<String>), Error> {
        let key = (config.databases.clone(), config.context, config.locale);
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = opened.iter().find(|o| o.key == key) {
            open.backend.forget_records();
            return Ok((open.backend.clone(), open.warnings.clone()));
        }
        let (backend, warnings) =
            MmdbBackend::open(&config.databases, config.context, config.locale)?;
        let backend = Arc::new(backend);
        opened.push(OpenDatabases {
            key,
            backend: backend.clone(),
            warnings: warnings.clone(),
        });
        Ok((backend, warnings))
    }
}

/// Runs one plugin-mode request given as raw bytes (the contents of stdin).
pub fn run_request(input: &[u8], session: &Session) -> Response {
    match parse_request(input) {
        Ok(request) => run_parsed(session, &request, None),
        Err(e) => Response::failed(None, &e, Vec::new()),
    }
}

/// Runs one parsed request. `content`, when given, is the attachment's content, read instead of
/// what the object carries (the analyst's `bulk FILE`).
pub fn run_parsed(
    session: &Session,
    request: &Request,
    content: Option<&mut dyn Read>,
) -> Response {
    let action = match Action::parse(&request.action) {
        Ok(a) => a,
        Err(e) => {
            return Response::failed(Some(crate::error::shorten(&request.action)), &e, Vec::new());
        }
    };
    let name = Some(action.as_str().to_owned());
    let mut warnings = Vec::new();
    let config = match session.resolve(request.config.clone()) {
        Ok((config, config_warnings)) => {
            warnings.extend(config_warnings);
            config
        }
        Err(e) => return Response::failed(name, &e, warnings),
    };
    match action {
        Action::Lookup => lookup_indicator(session, &config, request, warnings),
        Action::LookupAllRelatedIps => {
            bulk::lookup_all_related(session, &config, request, warnings, content)
        }
    }
}

pub(crate) fn describe(object: Option<&Object>) -> String {
    match object {
        None => "no object".to_owned(),
        Some(o) => match &o.indicator_type {
            Some(t) => format!(
                "{} of type {:?}",
                crate::error::shorten(&o.kind),
                crate::error::shorten(t)
            ),
            None => format!("an object of type {:?}", crate::error::shorten(&o.kind)),
        },
    }
}

/// The Lookup action: one IP indicator.
fn lookup_indicator(
    session: &Session,
    config: &Config,
    request: &Request,
    mut warnings: Vec<ErrorBody>,
) -> Response {
    let name = Some(Action::Lookup.as_str().to_owned());
    let unsupported = || Error::UnsupportedObject {
        action: Action::Lookup.as_str(),
        object: describe(request.object.as_ref()),
        hint: "it runs on indicators of type \"IP Address\" or \"IPv6 Address\"",
    };
    let Some(object) = &request.object else {
        let e = Error::InvalidRequest("object is missing: Lookup needs the IP indicator".into());
        return Response::failed(name, &e, warnings);
    };
    if !object.kind.eq_ignore_ascii_case("indicator") {
        return Response::failed(name, &unsupported(), warnings);
    }
    if let Some(t) = &object.indicator_type {
        if !IP_INDICATOR_TYPES.iter().any(|k| k.eq_ignore_ascii_case(t)) {
            return Response::failed(name, &unsupported(), warnings);
        }
    }
    let Some(value) = &object.value else {
        let e = Error::InvalidRequest("object.value is missing: give the IP address".into());
        return Response::failed(name, &e, warnings);
    };
    for key in request.params.keys().filter(|k| *k != "dry_run") {
        warnings.push(ErrorBody::warning(
            "unknown_param",
            format!(
                "Lookup takes no run parameters but dry_run; {:?} was ignored",
                crate::error::shorten(key)
            ),
        ));
    }
    let dry_run = match bool_param(&request.params, "dry_run", false) {
        Ok(b) => b,
        Err(e) => return Response::failed(name, &e, warnings),
    };
    if let (Some(t), Ok(ip)) = (&object.indicator_type, ip::parse_indicator(value)) {
        let expected = if ip.is_ipv4() {
            "IP Address"
        } else {
            "IPv6 Address"
        };
        if !t.eq_ignore_ascii_case(expected) {
            warnings.push(ErrorBody::warning(
                "indicator_type_mismatch",
                format!("the indicator is of type {t:?} but {ip} is an {expected}; looked up as {expected}"),
            ));
        }
    }
    let mut targets = Targets::default();
    targets.add_value(value, None);
    run_targets(
        session,
        config,
        Action::Lookup,
        targets.into_vec(),
        warnings,
        dry_run,
    )
}

/// A boolean run parameter, read as platforms send it.
fn bool_param(params: &Map<String, Value>, key: &str, default: bool) -> Result<bool, Error> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => config::lenient_bool(v)
            .map(|b| b.unwrap_or(default))
            .map_err(|e| Error::InvalidRequest(format!("params.{key}: {e}"))),
    }
}

/// One IP (or a value that is not one) an action answers. Kept small: a bulk holds one for
/// each of its addresses, written by one thread while the content is read.
#[derive(Debug)]
pub(crate) struct Target {
    /// The address (written out where its result is made, on the thread that looks it up),
    /// or the value that is not one.
    pub ip: Result<IpAddr, Box<Invalid>>,
    /// Lookup All Related IPs: where it came from.
    pub origin: Option<Origin>,
    /// Lookup All Related IPs: the network the content wrote it as.
    pub written_as: Option<IpNet>,
}

/// A value that is not an address.
#[derive(Debug)]
pub(crate) struct Invalid {
    /// The value as received, trimmed.
    pub value: String,
    /// Why it is not an address.
    pub error: Error,
}

/// Distinct targets in order of first appearance.
///
/// The addresses are told apart by their bits: IPv4 in a table of 8-byte entries, so that
/// the table of an attachment's hundred thousand addresses stays a few megabytes (its every
/// insert is a cache miss and its every page a fault, on the one thread reading the content).
#[derive(Debug, Default)]
pub(crate) struct Targets {
    list: Vec<Target>,
    v4: HashMap<u32, u32>,
    v6: HashMap<u128, u32>,
    invalid: HashMap<String, u32>,
}

impl Targets {
    /// Empty, with room for `n` addresses: a hundred thousand targets grown by doubling cost
    /// their one thread a copy of each of them and the fresh pages of every size.
    pub fn with_capacity(n: usize) -> Self {
        Targets {
            list: Vec::with_capacity(n),
            v4: HashMap::with_capacity_and_hasher(n, Default::default()),
            ..Targets::default()
        }
    }

    /// Adds an indicator value; a repeat only merges where it came from.
    pub fn add_value(&mut self, value: &str, origin: Option<Origin>) {
        match ip::parse_indicator(value) {
            Ok(ip) => self.add_ip(ip, origin, None),
            Err(error) => {
                let value = crate::error::shorten(value.trim());
                let next = self.next();
                match self.invalid.entry(value) {
                    Entry::Occupied(seen) => {
                        merge_origin(&mut self.list[*seen.get() as usize].origin, origin);
                    }
                    Entry::Vacant(slot) => {
                        let value = slot.key().clone();
                        slot.insert(next);
                        self.list.push(Target {
                            ip: Err(Box::new(Invalid { value, error })),
                            origin,
                            written_as: None,
                        });
                    }
                }
            }
        }
    }

    /// Adds an address; a repeat only merges where it came from.
    pub fn add_ip(&mut self, ip: IpAddr, origin: Option<Origin>, written_as: Option<IpNet>) {
        let next = self.next();
        let seen = match ip {
            IpAddr::V4(v4) => *self.v4.entry(v4.to_bits()).or_insert(next),
            IpAddr::V6(v6) => *self.v6.entry(v6.to_bits()).or_insert(next),
        };
        if seen != next {
            let target = &mut self.list[seen as usize];
            merge_origin(&mut target.origin, origin);
            target.written_as = target.written_as.or(written_as);
            return;
        }
        self.list.push(Target {
            ip: Ok(ip),
            origin,
            written_as,
        });
    }

    /// The place of the next new target. (`max_ips` is checked only once all are in, but 2^32
    /// distinct targets would be 200 GB of them first: memory runs out long before.)
    fn next(&self) -> u32 {
        u32::try_from(self.list.len()).expect("fewer than 2^32 targets")
    }

    /// Adds `more`'s targets after these, as if each were added here.
    pub fn append(&mut self, more: Targets) {
        if self.list.is_empty() {
            *self = more;
            return;
        }
        for target in more.list {
            match target.ip {
                Ok(ip) => self.add_ip(ip, target.origin, target.written_as),
                Err(invalid) => self.add_value(&invalid.value, target.origin),
            }
        }
    }

    /// The targets, in order.
    pub fn into_vec(self) -> Vec<Target> {
        self.list
    }
}

fn merge_origin(current: &mut Option<Origin>, new: Option<Origin>) {
    *current = match (*current, new) {
        (Some(a), Some(b)) if a != b => Some(Origin::Both),
        (a, b) => a.or(b),
    };
}

/// One thing the analyst's `lookup` asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// An IP indicator value (refanged here).
    Value(String),
    /// Every network with a record inside this one.
    Within(IpNet),
}

impl Query {
    /// A command-line argument: a network when it is written as a CIDR, else a value.
    pub fn parse(arg: &str) -> Query {
        let refanged = ip::refang(arg.trim());
        match refanged.parse::<IpNet>() {
            Ok(net) if refanged.contains('/') => Query::Within(net.trunc()),
            _ => Query::Value(arg.to_owned()),
        }
    }
}

/// Looks up `queries` with the configured source and builds one response: each value once, and
/// for each network every network with a record inside it (at most `max_networks` a query).
/// The analyst's `lookup` command; the Lookup action is its one-value case.
pub fn lookup_queries(
    session: &Session,
    config: &Config,
    queries: &[Query],
    max_networks: usize,
    mut warnings: Vec<ErrorBody>,
) -> Response {
    let mut targets = Targets::default();
    for query in queries {
        match query {
            Query::Value(value) => targets.add_value(value, None),
            Query::Within(net) => match networks_within(session, config, *net, max_networks) {
                Ok((networks, truncated)) => {
                    if truncated {
                        warnings.push(ErrorBody::warning(
                            "within_truncated",
                            format!("{net} holds more than {max_networks} networks with a record; the first {max_networks} are listed"),
                        ));
                    }
                    for found in networks {
                        // A query inside one record's network (`1.2.3.4/32`) asks about its
                        // own first address, not the record's.
                        let first = if found.prefix_len() <= net.prefix_len() {
                            net.network()
                        } else {
                            found.network()
                        };
                        targets.add_ip(first, None, Some(*net));
                    }
                }
                Err(e) => {
                    let name = Some(Action::Lookup.as_str().to_owned());
                    return Response::failed(name, &e, warnings);
                }
            },
        }
    }
    run_targets(
        session,
        config,
        Action::Lookup,
        targets.into_vec(),
        warnings,
        false,
    )
}

/// The networks with a record inside `net`, from the databases of `config`.
fn networks_within(
    session: &Session,
    config: &Config,
    net: IpNet,
    limit: usize,
) -> Result<(Vec<IpNet>, bool), Error> {
    if config.source != Source::DbFile {
        return Err(Error::WithinUnsupported(net.to_string()));
    }
    let (backend, _) = session.databases(config)?;
    backend.networks_within(net, limit)
}

/// Looks every target up and sums the results up into the response.
///
/// Invalid values and special-purpose addresses are answered here; only the rest reach the
/// backend, each once. With `dry_run` and the web service, nothing is sent: each address that
/// would cost a query is answered `dry_run` and `meta.queries_planned` counts them.
pub(crate) fn run_targets(
    session: &Session,
    config: &Config,
    action: Action,
    targets: Vec<Target>,
    mut warnings: Vec<ErrorBody>,
    dry_run: bool,
) -> Response {
    let name = Some(action.as_str().to_owned());
    if targets.len() > config.max_ips {
        let e = Error::TooManyIps {
            count: targets.len(),
            limit: config.max_ips,
        };
        return Response::failed(name, &e, warnings);
    }
    // The address the backend must answer for each target, if any (the others are answered
    // here: values that are not addresses, special-purpose addresses).
    let pending: Vec<Option<IpAddr>> =
        parallel::map(&targets, parallel::PARALLEL_FROM, |t| match &t.ip {
            Ok(ip) if ip::special_purpose(*ip).is_none() => Some(*ip),
            _ => None,
        });
    let asked = pending.iter().flatten().count();

    if dry_run && config.source == Source::WebApi {
        let results = targets
            .iter()
            .zip(&pending)
            .map(|(t, ip)| match *ip {
                Some(ip) => with_origin(
                    failed_result(ip::text(ip), &Error::DryRun(ip.to_string())),
                    t,
                ),
                None => answered_here(t),
            })
            .collect();
        let meta = Meta {
            queries_planned: Some(asked),
            ..Meta::new(config, Vec::new())
        };
        return finish(action, results, warnings, meta);
    }
    if dry_run {
        warnings.push(ErrorBody::warning(
            "dry_run_ignored",
            "dry_run only matters for the web service; the database files were read",
        ));
    }

    let backend = match open_backend(session, config) {
        Ok((backend, open_warnings)) => {
            warnings.extend(
                open_warnings
                    .into_iter()
                    .map(|w| ErrorBody::warning("database_unused", w)),
            );
            backend
        }
        Err(e) => {
            // The IPs themselves may be wrong too: say so as well, nothing is lost.
            let mut response = Response::failed(name, &e, warnings);
            for target in &targets {
                if let Err(invalid) = &target.ip {
                    response.errors.push((&invalid.error).into());
                }
            }
            return response;
        }
    };

    let deadline = Deadline {
        at: config.deadline,
        seconds: config.action_timeout_s,
    };
    let progress = session.progress.as_deref();
    if let Some(p) = progress {
        p.start(asked);
    }
    let (results, networks_of_one) = if backend.batches() {
        let ips: Vec<IpAddr> = pending.iter().flatten().copied().collect();
        let mut answers = backend.lookup_many(&ips, deadline, progress).into_iter();
        let mut networks_of_one = Vec::new();
        let results = targets
            .iter()
            .zip(&pending)
            .map(|(t, ip)| {
                let Some(ip) = *ip else {
                    return answered_here(t);
                };
                let Some(answer) = answers.next() else {
                    let e = Error::Internal("the backend answered fewer addresses".into());
                    return with_origin(failed_result(ip::text(ip), &e), t);
                };
                let (result, networks) = assemble(backend.as_ref(), ip, answer, config.locale);
                networks_of_one = networks;
                with_origin(result, t)
            })
            .collect();
        (results, networks_of_one)
    } else {
        lookup_in_parallel(
            backend.as_ref(),
            &targets,
            &pending,
            deadline,
            config.locale,
            progress,
        )
    };
    if let Some(p) = progress {
        p.finish();
    }

    warnings.extend(stale_warnings(backend.databases(), config.max_database_age));
    let mut databases = backend.databases().to_vec();
    if results.len() == 1 {
        for (source, network) in networks_of_one {
            if let Some(db) = databases.get_mut(source) {
                db.network = Some(network.to_string());
            }
        }
    }
    let mut meta = Meta::new(config, databases);
    if let Some(usage) = backend.usage() {
        meta.queries_sent = Some(usage.queries_sent);
        meta.queries_remaining = usage.queries_remaining;
    }
    finish(action, results, warnings, meta)
}

/// A `database_stale` warning for every used database built longer than `max_age` ago.
fn stale_warnings(databases: &[DatabaseInfo], max_age: Option<Duration>) -> Vec<ErrorBody> {
    let Some(max_age) = max_age else {
        return Vec::new();
    };
    let now = SystemTime::now();
    databases
        .iter()
        .filter(|d| d.used && d.build_epoch > 0)
        .filter_map(|d| {
            let built = UNIX_EPOCH + Duration::from_secs(d.build_epoch);
            let age = now.duration_since(built).ok().filter(|age| *age > max_age)?;
            Some(ErrorBody::warning(
                "database_stale",
                format!(
                    "{} ({}) was built {} days ago, on {}, longer ago than {} days: its geolocation may be out of date; update it (geoipupdate)",
                    d.file,
                    d.database_type,
                    age.as_secs() / 86_400,
                    humantime::format_rfc3339_seconds(built),
                    max_age.as_secs() / 86_400
                ),
            ))
        })
        .collect()
}

/// The result of each target, on every core and in order: its `pending` address looked up
/// (telling `progress` every few lookups), or the target answered here. Also which source
/// matched which network, for a single target.
fn lookup_in_parallel(
    backend: &dyn Backend,
    targets: &[Target],
    pending: &[Option<IpAddr>],
    deadline: Deadline,
    locale: &str,
    progress: Option<&dyn Progress>,
) -> (Vec<IpResult>, Vec<(usize, IpNet)>) {
    /// Lookups between two progress reports.
    const STEP: usize = 1024;
    let done = AtomicUsize::new(0);
    let single = targets.len() == 1;
    let networks_of_one = Mutex::new(Vec::new());
    let results = parallel::map_batched(
        targets,
        parallel::PARALLEL_FROM,
        BATCH,
        |first, batch, out| {
            let pending = &pending[first..first + batch.len()];
            // The batch's addresses go to the fast path together (its tree walks overlap).
            let ips: Vec<IpAddr> = pending.iter().flatten().copied().collect();
            let mut answers = deadline
                .check()
                .ok()
                .and_then(|()| backend.lookup_transcoded_many(&ips))
                .map(Vec::into_iter);
            for (t, ip) in batch.iter().zip(pending) {
                let Some(ip) = *ip else {
                    out.push(answered_here(t));
                    continue;
                };
                if let Some(p) = progress {
                    if done.fetch_add(1, Ordering::Relaxed) % STEP == STEP - 1 {
                        p.advance(STEP);
                    }
                }
                // An answer the batch has already made is kept, whatever the time; the
                // deadline stops only the lookups still to make.
                let (result, networks) = match answers.as_mut().and_then(Iterator::next) {
                    Some(answer) => from_transcoded(backend, ip, answer),
                    None => match deadline.check() {
                        Err(e) => (failed_result(ip::text(ip), &e), Vec::new()),
                        Ok(()) => assemble(backend, ip, backend.lookup(ip), locale),
                    },
                };
                if single {
                    if let Ok(mut n) = networks_of_one.lock() {
                        *n = networks;
                    }
                }
                out.push(with_origin(result, t));
            }
        },
    );
    (results, networks_of_one.into_inner().unwrap_or_default())
}

/// The result of a target the backend is not asked about: a value that is not an address, or
/// a special-purpose address.
fn answered_here(t: &Target) -> IpResult {
    let result = match &t.ip {
        Ok(ip) => {
            let e = ip::check_reachable(*ip).err().unwrap_or_else(|| {
                Error::Internal(format!("{ip} was neither looked up nor refused"))
            });
            failed_result(ip::text(*ip), &e)
        }
        Err(invalid) => failed_result(invalid.value.clone(), &invalid.error),
    };
    with_origin(result, t)
}

/// `result` with what its target knew of where the address came from.
fn with_origin(mut result: IpResult, t: &Target) -> IpResult {
    result.source = t.origin;
    result.found_as_network = t.written_as.map(ip::net_text);
    result
}

fn open_backend(
    session: &Session,
    config: &Config,
) -> Result<(Arc<dyn Backend>, Vec<String>), Error> {
    match config.source {
        Source::DbFile => {
            let (backend, warnings) = session.databases(config)?;
            Ok((backend, warnings))
        }
        Source::WebApi => Ok((
            Arc::new(WebBackend::open(&config.web, config.context)?),
            Vec::new(),
        )),
    }
}

fn failed_result(ip: String, error: &Error) -> IpResult {
    IpResult {
        ip,
        source: None,
        found_as_network: None,
        network: None,
        data: None,
        attributes: Arc::default(),
        indicators: Arc::default(),
        error: Some(error.into()),
        display: None,
    }
}

/// One address's result from a fast-path answer, and which source matched which network.
fn from_transcoded(
    backend: &dyn Backend,
    ip: IpAddr,
    answer: Result<Transcoded, Error>,
) -> (IpResult, Vec<(usize, IpNet)>) {
    let t = match answer {
        Ok(t) => t,
        Err(e) => return (failed_result(ip::text(ip), &e), Vec::new()),
    };
    let network = t.network.map(ip::net_text);
    let Some(answer) = t.answer else {
        let e = not_found(backend, ip);
        let mut result = failed_result(ip::text(ip), &e);
        result.network = network;
        return (result, Vec::new());
    };
    let matched = t.network.map(|n| vec![(t.source, n)]).unwrap_or_default();
    let result = IpResult {
        ip: ip::text(ip),
        source: None,
        found_as_network: None,
        network,
        data: Some(answer.data),
        attributes: answer.attributes,
        indicators: answer.indicators,
        error: None,
        display: Some(answer.display),
    };
    (result, matched)
}

/// `not_found` naming the sources that were asked.
fn not_found(backend: &dyn Backend, ip: IpAddr) -> Error {
    Error::NotFound {
        ip: ip::text(ip),
        sources: backend
            .databases()
            .iter()
            .filter(|d| d.used)
            .map(|d| d.file.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// One address's result from the backend's answer, and which source matched which network.
fn assemble(
    backend: &dyn Backend,
    ip: IpAddr,
    answer: Result<Found<'_>, Error>,
    locale: &str,
) -> (IpResult, Vec<(usize, IpNet)>) {
    let found = match answer {
        Ok(found) => found,
        Err(e) => return (failed_result(ip::text(ip), &e), Vec::new()),
    };
    let networks = found
        .records
        .iter()
        .map(|r| (r.source, r.network))
        .collect();
    if found.records.is_empty() {
        let e = not_found(backend, ip);
        let mut result = failed_result(ip::text(ip), &e);
        result.network = found.network.map(ip::net_text);
        return (result, networks);
    }
    let mapped = mapping::map_records(found.records.iter().map(|r| (&r.record, r.rows)), locale);
    let network = found.network;
    let (data, display) = match build_data(ip, found, backend.merges(), locale) {
        Ok(built) => built,
        Err(e) => return (failed_result(ip::text(ip), &e), networks),
    };
    let result = IpResult {
        ip: ip::text(ip),
        source: None,
        found_as_network: None,
        network: network.map(ip::net_text),
        data: Some(data),
        attributes: Arc::new(mapped.attributes.into()),
        indicators: Arc::new(mapped.indicators.into()),
        error: None,
        display: Some(Arc::new(display)),
    };
    (result, networks)
}

/// Builds `data` as MaxMind's readers give it — one database's record with `ip_address` and
/// `prefix_len` added (under `traits` for located records, at the top for flat ones), or, when
/// several databases are used, their merge (flat records under `traits`, first listed wins); a
/// web answer exactly as sent — serialized once, with the table fields read from it.
fn build_data(
    ip: IpAddr,
    found: Found<'_>,
    merges: bool,
    locale: &str,
) -> Result<(RawJson, Display), Error> {
    let prefix_len = found.network.map_or(0, |n| u64::from(n.prefix_len()));
    let ip_text = ip::text(ip);
    let added = |target: &mut Record<'_>| {
        target.insert("ip_address", Record::String(Cow::Owned(ip_text.clone())));
        target.insert("prefix_len", Record::Uint(prefix_len));
    };
    let mut records = found.records.into_iter();
    let data = match (merges, records.next()) {
        (_, Some(only)) if only.shape == Shape::Verbatim => {
            let display = mapping::display(&only.record, locale);
            let raw = only
                .raw
                .ok_or_else(|| Error::Internal("a web answer without its body".into()))?;
            return Ok((raw, display));
        }
        (false, Some(mut only)) => {
            match only.shape {
                Shape::Located => {
                    if let Some(traits) = only.record.entry("traits", Record::map) {
                        added(traits);
                    }
                }
                _ => added(&mut only.record),
            }
            only.record
        }
        (_, first) => {
            let mut merged = Record::map();
            for source in first.into_iter().chain(records) {
                match source.shape {
                    Shape::Flat => {
                        if let Some(traits) = merged.entry("traits", Record::map) {
                            traits.merge_first_wins(source.record);
                        }
                    }
                    _ => merged.merge_first_wins(source.record),
                }
            }
            if let Some(traits) = merged.entry("traits", Record::map) {
                added(traits);
            }
            merged
        }
    };
    let display = mapping::display(&data, locale);
    let raw = RawJson::of(&data)
        .map_err(|e| Error::Internal(format!("a record cannot be written as JSON: {e}")))?;
    Ok((raw, display))
}

/// Sums up per-IP results into the response.
fn finish(
    action: Action,
    results: Vec<IpResult>,
    warnings: Vec<ErrorBody>,
    meta: Meta,
) -> Response {
    let mut attributes: Vec<Attribute> = Vec::new();
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut errors: Vec<ErrorBody> = Vec::new();
    let mut seen_attributes: HashSet<&Attribute> = HashSet::new();
    let mut seen_indicators: HashSet<&Indicator> = HashSet::new();
    // An account-wide error (credentials, funds) reaches every result; it is listed once.
    let mut seen_errors: HashSet<(&str, &str)> = HashSet::new();
    let mut failed = 0;
    // The addresses of one record share its lists: each list is looked through once.
    let mut seen_lists: HashSet<usize> = HashSet::with_capacity(2 * results.len());
    for result in &results {
        // An attachment's attributes are not those of any one of its IPs: only the indicators
        // (ASN, FQDN) go to the top of Lookup All Related IPs.
        if action != Action::LookupAllRelatedIps
            && !result.attributes.is_empty()
            && seen_lists.insert(Arc::as_ptr(&result.attributes) as usize)
        {
            for a in result.attributes.iter() {
                if seen_attributes.insert(a) {
                    attributes.push(a.clone());
                }
            }
        }
        if !result.indicators.is_empty()
            && seen_lists.insert(Arc::as_ptr(&result.indicators) as usize)
        {
            for i in result.indicators.iter() {
                if seen_indicators.insert(i) {
                    indicators.push(i.clone());
                }
            }
        }
        if let Some(error) = result.error.as_ref().filter(|e| !e.is_answer) {
            failed += 1;
            if seen_errors.insert((&error.code, &error.message)) {
                errors.push(error.clone());
            }
        }
    }
    let status = if failed == 0 {
        Status::Success
    } else if failed == results.len() {
        Status::Error
    } else {
        Status::Partial
    };
    Response {
        status,
        action: Some(action.as_str().to_owned()),
        results,
        attributes,
        indicators,
        warnings,
        errors,
        meta: Some(meta),
        summary: None,
        description: None,
        map_url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_of_a_session_starts_with_no_records_cached() {
        let session = Session::new(Environment::default());
        let request = format!(
            r#"{{"action": "lookup",
                "config": {{"db_dir": "{}/fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb"}},
                "object": {{"type": "indicator", "indicator_type": "IP Address", "value": "81.2.69.142"}},
                "params": {{}}}}"#,
            env!("CARGO_MANIFEST_DIR")
        );
        let response = run_request(request.as_bytes(), &session);
        assert_eq!(response.status, Status::Success, "{:?}", response.errors);
        let cached = || session.opened.lock().unwrap()[0].backend.cached_records();
        assert_eq!(cached(), 1, "the action's record, cached while it ran");
        // The next action of the stream asks for the same databases.
        let (config, _) = session
            .resolve(parse_request(request.as_bytes()).unwrap().config)
            .unwrap();
        session.databases(&config).unwrap();
        assert_eq!(cached(), 0);
    }

    #[test]
    fn targets_keep_each_address_once_in_order_of_first_appearance() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let net = |s: &str| Some(s.parse::<IpNet>().unwrap());
        let mut targets = Targets::with_capacity(4);
        targets.add_ip(ip("0.0.0.1"), Some(Origin::Content), None);
        // The same bits in the other family are another address.
        targets.add_ip(ip("::1"), Some(Origin::Content), None);
        targets.add_value(" not an ip ", Some(Origin::Related));
        targets.add_ip(ip("0.0.0.1"), Some(Origin::Related), net("0.0.0.0/24"));
        targets.add_ip(ip("::1"), Some(Origin::Content), net("::/64"));
        targets.add_ip(ip("::1"), None, net("::/96"));
        targets.add_value("not an ip", Some(Origin::Content));
        let mut more = Targets::default();
        more.add_value("0.0.0.1", None);
        more.add_ip(ip("2001:db8::1"), Some(Origin::Content), None);
        targets.append(more);

        let list = targets.into_vec();
        let seen: Vec<(String, Option<Origin>, Option<IpNet>)> = list
            .iter()
            .map(|t| {
                let value = match &t.ip {
                    Ok(ip) => ip.to_string(),
                    Err(invalid) => format!("invalid {:?}", invalid.value),
                };
                (value, t.origin, t.written_as)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("0.0.0.1".into(), Some(Origin::Both), net("0.0.0.0/24")),
                ("::1".into(), Some(Origin::Content), net("::/64")),
                ("invalid \"not an ip\"".into(), Some(Origin::Both), None),
                ("2001:db8::1".into(), Some(Origin::Content), None),
            ]
        );
    }
}
