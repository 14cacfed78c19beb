//! The orchestrator: request → configuration → IPs → backend lookups → response.
//!
//! Everything here is plain data in, [`Response`] out; reading stdin and writing stdout is left
//! to the caller ([`crate::commands`]), so tests and the analyst's commands share one path.
//! The lookups of a large action are spread over the cores here, and nowhere else.

mod attachment;
mod bulk;
mod mapped;
mod scan;
mod targets;
mod write;

use foldhash::{HashSet, HashSetExt};
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnet::IpNet;
use rayon::prelude::*;
use serde_json::{Map, Value};

pub use crate::backend::Progress;
use crate::backend::{Answer, BATCH, Backend, Databases, Deadline, MmdbBackend, WebBackend};
use crate::config::{self, Audience, Config, Environment, Layer, Source};
use crate::error::Error;
use crate::ip;
use crate::mapping::Display;
use crate::protocol::{
    Action, Attribute, DatabaseInfo, ErrorBody, Indicator, IpResult, Listed, Meta, Object, Request,
    Response, Status, parse_request,
};
pub use attachment::{
    CHILD_MEMORY_BYTES, Decoder, Reading, read as read_attachment, serve as serve_decoder,
    serve_mapped as serve_decoder_mapped,
};
pub use mapped::MappedFile;
pub use targets::{Seen, Target, Targets};
pub use write::write_response;

/// The indicator types Lookup runs on.
const IP_INDICATOR_TYPES: [&str; 2] = ["IP Address", "IPv6 Address"];

/// Below this many addresses, one thread does all the lookups: starting threads costs more.
const PARALLEL_FROM: usize = 4096;

/// Sets how many threads share a large action (every core by default). Call it once, before
/// the first action; later calls change nothing.
pub fn use_threads(threads: usize) {
    // (It fails only when the pool is already made, which leaves it as it is.)
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.clamp(1, 64))
        .build_global();
}

/// What outlives one action in a process: the settings from outside the request, the database
/// files opened so far (a stream of requests opens each once) and who hears of progress.
pub struct Session {
    env: Environment,
    flags: Layer,
    audience: Audience,
    databases: Databases,
    progress: Option<Box<dyn Progress>>,
    decoder: Decoder,
}

impl Session {
    /// A session on the settings of `env`.
    pub fn new(env: Environment) -> Self {
        Session {
            env,
            flags: Layer::default(),
            audience: Audience::Platform,
            databases: Databases::default(),
            progress: None,
            decoder: Decoder::InProcess,
        }
    }

    /// Decodes documents with `decoder` (the binary: in a child process of its own).
    pub fn with_decoder(mut self, decoder: Decoder) -> Self {
        self.decoder = decoder;
        self
    }

    /// Settings from the command line: they win over the request's own.
    pub fn with_flags(mut self, flags: Layer) -> Self {
        self.flags = flags;
        self
    }

    /// An analyst's session: messages name flags where they help.
    pub fn on_command_line(mut self) -> Self {
        self.audience = Audience::CommandLine;
        self
    }

    /// Reports the progress of large actions to `progress`.
    pub fn with_progress(mut self, progress: Box<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Resolves a request's configuration (flags, then the request, then the environment),
    /// with the warnings about it (kept when it fails: an unknown key is reported either way).
    pub fn resolve(&self, request: &Map<String, Value>) -> (Result<Config, Error>, Vec<ErrorBody>) {
        let (layer, warnings) = config::read_request(request);
        let mut warnings: Vec<ErrorBody> = warnings.into_iter().map(warning).collect();
        let resolved =
            layer.and_then(|layer| Config::resolve(&self.flags, &layer, &self.env, self.audience));
        match resolved {
            Ok((config, more)) => {
                warnings.extend(more.into_iter().map(warning));
                (Ok(config), warnings)
            }
            Err(e) => (Err(e), warnings),
        }
    }

    /// The database files of `config`, for one action; files opened earlier in the process are
    /// taken as they are.
    fn file_backend(&self, config: &Config) -> Result<(MmdbBackend, Vec<String>), Error> {
        MmdbBackend::open(
            &config.databases,
            config.context,
            config.locale,
            &self.databases,
        )
    }

    /// How many database files the session holds open.
    pub fn open_databases(&self) -> usize {
        self.databases.len()
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
    content: Option<&mut (dyn Read + Send)>,
) -> Response {
    let action = match Action::parse(&request.action) {
        Ok(a) => a,
        Err(e) => {
            // The configuration's warnings (a misspelt key) are the admin's to hear too.
            let (_, warnings) = session.resolve(&request.config);
            let name = Some(crate::error::shorten(&request.action));
            return Response::failed(name, &e, warnings);
        }
    };
    let name = Some(action.as_str().to_owned());
    let (config, warnings) = session.resolve(&request.config);
    let config = match config {
        Ok(config) => config,
        Err(e) => return Response::failed(name, &e, warnings),
    };
    match action {
        Action::Lookup => lookup_indicator(session, &config, request, warnings),
        // The attachment's action runs on a thread of the pool that shares out its lookups:
        // what it makes on the pool's threads is freed there too (memory freed on another
        // thread than the one that took it costs the allocator more).
        Action::LookupAllRelatedIps => {
            rayon::scope(|_| bulk::lookup_all_related(session, &config, request, warnings, content))
        }
    }
}

/// A configuration warning as the response carries it.
fn warning(w: config::Warning) -> ErrorBody {
    ErrorBody::warning(w.code, w.message)
}

/// What the request's object is, for messages.
fn describe(object: Option<&Object>) -> String {
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
    .response
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

/// One thing the analyst's `lookup` asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// An IP indicator value (refanged here).
    Value(String),
    /// Every network with a record inside this one.
    Within(IpNet),
}

impl Query {
    /// A command-line argument: a network when it is written as a CIDR, else a value (read
    /// as a Lookup reads its indicator: [`ip::parse_value`]).
    pub fn parse(arg: &str) -> Query {
        match ip::parse_value(arg) {
            Ok(ip::Value::Network(net)) => Query::Within(net.trunc()),
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
    .response
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
    let (backend, _) = session.file_backend(config)?;
    backend.networks_within(net, limit)
}

/// An action's response, with what its results table, summary and map read of each result.
pub(crate) struct Outcome {
    /// The response.
    pub response: Response,
    /// For each result, in order: the fields of its record, when it has one.
    pub displays: Vec<Option<Arc<Display>>>,
}

/// Looks every target up and sums the results up into the response.
///
/// Invalid values and special-purpose addresses are answered here; only the rest reach the
/// backend, each once. With `dry_run` and the web service, nothing is sent: the cache answers
/// what it holds, each other address is answered `dry_run` and `meta.queries_planned` counts
/// them.
pub(crate) fn run_targets(
    session: &Session,
    config: &Config,
    action: Action,
    targets: Vec<Target>,
    mut warnings: Vec<ErrorBody>,
    dry_run: bool,
) -> Outcome {
    let name = Some(action.as_str().to_owned());
    let failed = |e: &Error, warnings| Outcome {
        response: Response::failed(name.clone(), e, warnings),
        displays: Vec::new(),
    };
    if targets.len() > config.max_ips {
        let e = Error::TooManyIps {
            limit: config.max_ips,
        };
        return failed(&e, warnings);
    }
    // The address the backend must answer for each target, if any (the others are answered
    // here: values that are not addresses, special-purpose addresses).
    let pending: Vec<Option<IpAddr>> = targets
        .iter()
        .map(|t| match &t.ip {
            Ok(ip) if ip::special_purpose(*ip).is_none() => Some(*ip),
            _ => None,
        })
        .collect();
    let asked = pending.iter().flatten().count();

    if dry_run && config.source != Source::WebApi {
        warnings.push(ErrorBody::warning(
            "dry_run_ignored",
            "dry_run only matters for the web service; the database files were read",
        ));
    }

    let backend: Box<dyn Backend> = match open_backend(session, config, dry_run) {
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
            let mut outcome = failed(&e, warnings);
            for target in &targets {
                if let Err(invalid) = &target.ip {
                    outcome.response.errors.push((&invalid.error).into());
                }
            }
            return outcome;
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
    let (results, displays, matched) =
        lookup_all(backend.as_ref(), &targets, &pending, deadline, progress);
    if let Some(p) = progress {
        p.finish();
    }

    warnings.extend(
        backend
            .warnings()
            .into_iter()
            .map(|(code, message)| ErrorBody::warning(code, message)),
    );
    warnings.extend(stale_warnings(backend.databases(), config.max_database_age));
    let mut databases = backend.databases().to_vec();
    for (source, network) in matched {
        if let Some(db) = databases.get_mut(source) {
            db.network = Some(network.to_string());
        }
    }
    let mut meta = meta(config, databases);
    if let Some(usage) = backend.usage() {
        meta.queries_sent = Some(usage.queries_sent);
        meta.queries_remaining = usage.queries_remaining;
        meta.cache_hits = Some(usage.cache_hits);
        meta.queries_planned = usage.queries_planned;
    }
    Outcome {
        response: finish(action, results, warnings, meta),
        displays,
    }
}

/// Every target's result and the fields of its record, in order; for an action of one target,
/// which source matched which network.
type Looked = (
    Vec<IpResult>,
    Vec<Option<Arc<Display>>>,
    Vec<(usize, IpNet)>,
);

/// Every target's result and the fields of its record, in order: its `pending` address looked
/// up by the backend, or the target answered here; and, for an action of one target, which
/// source matched which network. A backend that wants every address at once gets them;
/// otherwise the lookups are spread over the cores, [`BATCH`] at a time, each batch's answers
/// written straight into their places.
fn lookup_all(
    backend: &dyn Backend,
    targets: &[Target],
    pending: &[Option<IpAddr>],
    deadline: Deadline,
    progress: Option<&dyn Progress>,
) -> Looked {
    let n = targets.len();
    // Every place is made here (on every core for a large action: the memory is touched for
    // the first time, and its page faults are shared out too) and filled below.
    let mut results: Vec<IpResult> = Vec::new();
    let mut displays: Vec<Option<Arc<Display>>> = Vec::new();
    if n < PARALLEL_FROM {
        results.resize_with(n, IpResult::default);
        displays.resize(n, None);
    } else {
        (0..n)
            .into_par_iter()
            .map(|_| IpResult::default())
            .collect_into_vec(&mut results);
        (0..n)
            .into_par_iter()
            .map(|_| None)
            .collect_into_vec(&mut displays);
    }
    let fill = |at: usize, results: &mut [IpResult], displays: &mut [Option<Arc<Display>>]| {
        let range = at..at + results.len();
        answer_range(
            backend,
            &targets[range.clone()],
            &pending[range],
            deadline,
            progress,
            results,
            displays,
        )
    };
    let matched = if n <= 1 || backend.wants_everything_at_once() {
        fill(0, &mut results, &mut displays)
    } else if n < PARALLEL_FROM {
        for (i, (r, d)) in results
            .chunks_mut(BATCH)
            .zip(displays.chunks_mut(BATCH))
            .enumerate()
        {
            fill(i * BATCH, r, d);
        }
        Vec::new()
    } else {
        results
            .par_chunks_mut(BATCH)
            .zip(displays.par_chunks_mut(BATCH))
            .enumerate()
            .for_each(|(i, (r, d))| {
                fill(i * BATCH, r, d);
            });
        Vec::new()
    };
    (results, displays, if n == 1 { matched } else { Vec::new() })
}

/// [`lookup_all`] for one range of the targets, in one call of the backend: each target's
/// result and display put in its place; which source matched which network for the last.
fn answer_range(
    backend: &dyn Backend,
    targets: &[Target],
    pending: &[Option<IpAddr>],
    deadline: Deadline,
    progress: Option<&dyn Progress>,
    results: &mut [IpResult],
    displays: &mut [Option<Arc<Display>>],
) -> Vec<(usize, IpNet)> {
    let ips: Vec<IpAddr> = pending.iter().flatten().copied().collect();
    let mut answers = backend.lookup_many(&ips, deadline, progress).into_iter();
    let mut last_matched = Vec::new();
    for (((t, ip), result), display) in targets.iter().zip(pending).zip(results).zip(displays) {
        let Some(ip) = *ip else {
            *result = answered_here(t);
            continue;
        };
        let answer = answers.next().unwrap_or_else(|| {
            Err(Error::Internal(
                "the backend answered fewer addresses".into(),
            ))
        });
        let (r, d, matched) = assemble(backend, ip, answer);
        *result = with_origin(r, t);
        *display = d;
        last_matched = matched;
    }
    last_matched
}

/// The one assembler: an address's result from its backend answer, the fields of its record,
/// and which source matched which network.
fn assemble(
    backend: &dyn Backend,
    ip: IpAddr,
    answer: Result<Answer, Error>,
) -> (IpResult, Option<Arc<Display>>, Vec<(usize, IpNet)>) {
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return (failed_result(ip::text(ip), &e), None, Vec::new()),
    };
    let network = answer.network.map(ip::net_text);
    let Some(record) = answer.record else {
        let mut result = failed_result(ip::text(ip), &not_found(backend, ip));
        result.network = network;
        return (result, None, answer.matched);
    };
    let result = IpResult {
        ip: ip::text(ip),
        source: None,
        found_in: None,
        found_as_network: None,
        network,
        data: Some(record.data),
        attributes: record.attributes,
        indicators: record.indicators,
        error: None,
    };
    (result, Some(record.display), answer.matched)
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
    result.found_in = t.found_in.clone();
    result.found_as_network = t.written_as.map(ip::net_text);
    result
}

/// The backend of `config`, and warnings about its databases. A `dry_run` web backend sends
/// nothing.
fn open_backend(
    session: &Session,
    config: &Config,
    dry_run: bool,
) -> Result<(Box<dyn Backend>, Vec<String>), Error> {
    match config.source {
        Source::DbFile => {
            let (backend, warnings) = session.file_backend(config)?;
            Ok((Box::new(backend), warnings))
        }
        Source::WebApi => Ok((
            Box::new(WebBackend::open(
                &config.web,
                config.context,
                config.locale,
                &config.cache,
                dry_run,
            )?),
            Vec::new(),
        )),
    }
}

fn failed_result(ip: String, error: &Error) -> IpResult {
    IpResult {
        ip,
        source: None,
        found_in: None,
        found_as_network: None,
        network: None,
        data: None,
        attributes: Listed::default(),
        indicators: Listed::default(),
        error: Some(error.into()),
    }
}

/// The facts every response has.
fn meta(config: &Config, databases: Vec<DatabaseInfo>) -> Meta {
    Meta {
        source: config.source.as_str(),
        context_type: config.context.as_str(),
        databases,
        version: env!("CARGO_PKG_VERSION"),
        queries_sent: None,
        cache_hits: None,
        queries_remaining: None,
        queries_planned: None,
    }
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
    let mut seen_lists: HashSet<*const ()> = HashSet::new();
    for result in &results {
        // An attachment's attributes are not those of any one of its IPs: only the indicators
        // (ASN, FQDN) go to the top of Lookup All Related IPs.
        if action != Action::LookupAllRelatedIps
            && !result.attributes.is_empty()
            && seen_lists.insert(result.attributes.as_ptr().cast())
        {
            for a in result.attributes.iter() {
                if seen_attributes.insert(a) {
                    attributes.push(a.clone());
                }
            }
        }
        if !result.indicators.is_empty() && seen_lists.insert(result.indicators.as_ptr().cast()) {
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
        offline_map_svg: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_keeps_each_database_file_open_once() {
        let session = Session::new(Environment::default());
        let request = format!(
            r#"{{"action": "lookup",
                "config": {{"db_dir": "{}/fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb"}},
                "object": {{"type": "indicator", "indicator_type": "IP Address", "value": "81.2.69.142"}},
                "params": {{}}}}"#,
            env!("CARGO_MANIFEST_DIR")
        );
        for _ in 0..3 {
            let response = run_request(request.as_bytes(), &session);
            assert_eq!(response.status, Status::Success, "{:?}", response.errors);
        }
        assert_eq!(session.open_databases(), 1);
    }
}
