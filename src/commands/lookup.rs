//! `lookup IP|CIDR…`: the analyst's lookups, on the same path as the Lookup action.

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use super::Exit;
use crate::app::{self, Query};
use crate::cli::{Format, LookupArgs};
use crate::error::Error;
use crate::ip;
use crate::output::Rows;
use crate::protocol::{IpResult, Response, Status};

/// Queries answered a batch at a time by the streaming formats: memory stays flat on any
/// number of input lines.
const STREAM_BATCH: usize = 8192;

/// Runs `lookup`.
pub fn run(args: LookupArgs, conf: Option<&Path>, pretty: bool) -> Exit {
    let session = match super::analyst_session(&args.settings, conf) {
        Ok(session) => session,
        Err(e) => return super::finish(&super::failed("lookup", &e), &args.output, pretty),
    };
    // No argument: the list comes on stdin, as from a pipe.
    let from_stdin = ["-".to_owned()];
    let ips = if args.ips.is_empty() && !io::stdin().is_terminal() {
        &from_stdin[..]
    } else {
        &args.ips[..]
    };
    if ips.iter().any(|ip| ip == "-") {
        super::awaiting_stdin("IP addresses or networks, one a line,");
    }
    let mut queries = queries(ips).peekable();
    if queries.peek().is_none() {
        eprintln!(
            "maxmind-geolocate: no IP address given: pass them as arguments, or one per line on stdin"
        );
        return Exit::Usage;
    }
    let (config, warnings) = session.resolve(&serde_json::Map::new());
    let config = match config {
        Ok(config) => config,
        Err(e) => {
            let response = Response::failed(Some("lookup".into()), &e, warnings);
            return super::finish(&response, &args.output, pretty);
        }
    };
    if matches!(args.output.format, Some(Format::Ndjson | Format::Csv)) {
        return stream(&session, &config, &args, warnings, queries);
    }
    let queries: Result<Vec<Query>, Error> = queries.collect();
    let queries = match queries {
        Ok(queries) => queries,
        Err(e) => return super::finish(&super::failed("lookup", &e), &args.output, pretty),
    };
    let response = app::lookup_queries(&session, &config, &queries, args.max_networks, warnings);
    let exit = super::finish(&response, &args.output, pretty);
    let repeats = repeats(&queries);
    if repeats > 0 && !super::reader_gone() {
        eprintln!(
            "maxmind-geolocate: {} inputs, {repeats} {} merged: {} rows",
            queries.len(),
            if repeats == 1 {
                "duplicate"
            } else {
                "duplicates"
            },
            response.results.len()
        );
    }
    super::leave_to_exit((response, session));
    exit
}

/// The queries of the arguments, `-` standing for the lines of stdin (read as they are
/// needed; blank lines and `#` comments skipped).
fn queries(args: &[String]) -> impl Iterator<Item = Result<Query, Error>> + '_ {
    args.iter()
        .flat_map(|arg| -> Box<dyn Iterator<Item = Result<Query, Error>>> {
            if arg == "-" {
                Box::new(io::stdin().lock().lines().filter_map(|line| match line {
                    Ok(line) if line.trim().is_empty() || line.trim_start().starts_with('#') => {
                        None
                    }
                    Ok(line) => Some(Ok(Query::parse(&line))),
                    Err(e) => Some(Err(Error::InvalidRequest(format!(
                        "stdin cannot be read: {e}"
                    )))),
                }))
            } else if arg.trim().is_empty() {
                Box::new(std::iter::empty())
            } else {
                Box::new(std::iter::once(Ok(Query::parse(arg))))
            }
        })
}

/// How many of `queries` repeat an earlier one (the same address, however written, or the
/// same network): the response answers each once.
fn repeats(queries: &[Query]) -> usize {
    let mut seen = std::collections::HashSet::new();
    queries
        .iter()
        .filter(|q| {
            let k = match q {
                Query::Value(v) => key(v),
                Query::Within(net) => net.to_string(),
            };
            !seen.insert(k)
        })
        .count()
}

/// `lookup` in a streaming format: a batch of queries at a time, each answer written as soon
/// as its batch is done, one line per query in input order (a repeated address is answered
/// again; with the web service it is not asked again).
fn stream(
    session: &app::Session,
    config: &crate::config::Config,
    args: &LookupArgs,
    mut warnings: Vec<crate::protocol::ErrorBody>,
    mut queries: impl Iterator<Item = Result<Query, Error>>,
) -> Exit {
    let to = match super::Destination::open(args.output.output.as_deref()) {
        Ok(to) => to,
        Err(exit) => return exit,
    };
    let mut out = match to.buffered() {
        Ok(out) => out,
        Err(e) => return super::write_failed(&e),
    };
    let format = args.output.format.unwrap_or(Format::Json);
    let mut rows = match Rows::start(format, &args.output.field, &mut out) {
        Ok(rows) => rows,
        Err(e) => return super::write_failed(&e),
    };
    // Paid answers are kept for the repeats of later batches; file lookups are asked again.
    let paid = config.source == crate::config::Source::WebApi;
    let mut answered: HashMap<String, IpResult> = HashMap::new();
    let mut outcome = Outcome::default();
    loop {
        let mut batch = Vec::with_capacity(STREAM_BATCH);
        let mut read_error = None;
        for query in queries.by_ref() {
            match query {
                Ok(query) => batch.push(query),
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
            if batch.len() == STREAM_BATCH {
                break;
            }
        }
        if batch.is_empty() && read_error.is_none() {
            break;
        }
        let asked: Vec<Query> = batch
            .iter()
            .filter(|q| !matches!(q, Query::Value(v) if answered.contains_key(&key(v))))
            .cloned()
            .collect();
        let response = app::lookup_queries(
            session,
            config,
            &asked,
            args.max_networks,
            std::mem::take(&mut warnings),
        );
        outcome.add(&response);
        let mut by_key: HashMap<String, Vec<&IpResult>> = HashMap::new();
        for result in &response.results {
            let k = result
                .found_as_network
                .clone()
                .unwrap_or_else(|| result.ip.clone());
            by_key.entry(k).or_default().push(result);
        }
        let mut write = |result: &IpResult| {
            outcome.results += 1;
            let failed = result.error.as_ref().is_some_and(|e| !e.is_answer);
            outcome.failed_results += usize::from(failed);
            rows.result(result)
        };
        let written = batch.iter().try_for_each(|query| {
            let k = match query {
                Query::Value(v) => key(v),
                Query::Within(net) => net.to_string(),
            };
            if let Some(result) = answered.get(&k) {
                return write(result);
            }
            by_key
                .get(&k)
                .map_or(Ok(()), |results| results.iter().try_for_each(|r| write(r)))
        });
        let written = written.and_then(|()| rows.flush());
        if let Err(e) = written {
            return super::write_failed(&e);
        }
        if paid {
            for result in response.results {
                if result.found_as_network.is_none() {
                    answered.insert(result.ip.clone(), result);
                }
            }
        }
        if let Some(e) = read_error {
            outcome.errors.push((&e).into());
            outcome.failed = true;
            break;
        }
    }
    drop(rows);
    outcome.finish()
}

/// How a value's result is found among a batch's: its address as results write it, or the
/// value itself when it is no address.
fn key(value: &str) -> String {
    match ip::parse_indicator(value) {
        Ok(ip) => ip::text(ip),
        Err(_) => crate::error::shorten(value.trim()),
    }
}

/// What the batches of a stream said, for stderr and the exit code.
#[derive(Default)]
struct Outcome {
    warnings: Vec<crate::protocol::ErrorBody>,
    errors: Vec<crate::protocol::ErrorBody>,
    /// Lines written, and how many of them are failures.
    results: usize,
    failed_results: usize,
    failed: bool,
}

impl Outcome {
    fn add(&mut self, response: &Response) {
        for w in &response.warnings {
            if !self.warnings.iter().any(|seen| seen.message == w.message) {
                self.warnings.push(w.clone());
            }
        }
        self.errors.extend(response.errors.iter().cloned());
        self.failed |= response.status == Status::Error;
    }

    fn finish(self) -> Exit {
        let partial = (!self.failed && self.failed_results > 0)
            .then_some((self.failed_results, self.results));
        super::report_parts(&self.warnings, &self.errors, partial);
        if self.failed {
            Exit::Failure
        } else {
            Exit::Success
        }
    }
}
