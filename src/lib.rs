//! # maxmind-geolocate
//!
//! A threat-intelligence operation that geolocates IPv4/IPv6 indicators with MaxMind data and
//! maps what it finds to platform attributes.
//!
//! The pipeline, one action per process:
//!
//! 1. [`protocol`] parses the JSON action request from stdin;
//! 2. [`config`] validates the configuration page into a [`config::Config`];
//! 3. [`ip`] turns indicator values into addresses (refanging, IPv4-mapped → IPv4) and sets
//!    special-purpose addresses aside;
//! 4. a [`backend::Backend`] (MaxMind DB files in [`backend::mmdb`]) finds the records;
//! 5. [`mapping`] turns records into attributes and indicators per the mapping table;
//! 6. [`app`] assembles the [`protocol::Response`], which [`run`] writes to stdout.
//!
//! Errors carry stable codes ([`error::Error::code`]); stdout always carries exactly one JSON
//! document in plugin mode, even when something panics.

pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod ip;
pub mod mapping;
pub mod parallel;
pub mod paths;
pub mod protocol;
pub mod record;
pub mod render;

use std::io::{self, Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ContextArg, ExtractArgs, LookupArgs};
use crate::config::{Config, Context, DbFiles, Environment, LOCALES, Source, WebConfig};
use crate::error::Error;
use crate::protocol::{Action, Response, Status};

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The action ran (status `success` or `partial`).
    Success = 0,
    /// The action failed; the response says why.
    Failure = 1,
    /// The command line was wrong.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// What a command ends with.
enum Outcome {
    /// A response to write as JSON.
    Respond(Box<Response>),
    /// The command wrote its own output.
    Exited(Exit),
}

/// Runs the binary: parses the command line, runs the command, writes the response.
pub fn run() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
        }
    };
    // Panics must never reach the platform as a backtrace: report them as a response instead.
    panic::set_hook(Box::new(|info| {
        eprintln!("maxmind-geolocate: internal error: {info}");
    }));
    let pretty = cli.pretty;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| match cli.command {
        None | Some(Command::Run) => Outcome::Respond(Box::new(run_plugin())),
        Some(Command::Lookup(args)) => Outcome::Respond(Box::new(run_lookup(args))),
        Some(Command::Extract(args)) => Outcome::Exited(run_extract(&args)),
    }));
    match outcome {
        Ok(Outcome::Respond(response)) => write_response(&response, pretty),
        Ok(Outcome::Exited(exit)) => exit,
        Err(_) => {
            let e = Error::Internal("the operation panicked".into());
            write_response(&Response::failed(None, &e, Vec::new()), pretty)
        }
    }
}

/// Default of env `MAXMIND_GEOLOCATE_MAX_REQUEST_MIB`: the largest request read from stdin.
pub const DEFAULT_MAX_REQUEST_MIB: u64 = 256;

fn run_plugin() -> Response {
    let limit_mib = std::env::var("MAXMIND_GEOLOCATE_MAX_REQUEST_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&m| m > 0)
        .unwrap_or(DEFAULT_MAX_REQUEST_MIB);
    let limit = limit_mib.saturating_mul(1 << 20);
    let mut input = Vec::new();
    if let Err(e) = io::stdin().lock().take(limit + 1).read_to_end(&mut input) {
        let e = Error::InvalidRequest(format!("stdin cannot be read: {e}"));
        return Response::failed(None, &e, Vec::new());
    }
    if input.len() as u64 > limit {
        return Response::failed(None, &Error::RequestTooLarge { limit_mib }, Vec::new());
    }
    app::run_request(&input, &Environment::from_process())
}

fn run_lookup(args: LookupArgs) -> Response {
    let mut values = Vec::new();
    for ip in args.ips {
        if ip == "-" {
            values.extend(io::stdin().lines().map_while(Result::ok));
        } else {
            values.push(ip);
        }
    }
    values.retain(|v| !v.trim().is_empty());
    let Some(locale) = LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(&args.locale))
    else {
        let e = Error::ConfigInvalid {
            key: "locale",
            reason: format!("{:?} is not one of {}", args.locale, LOCALES.join(", ")),
        };
        return Response::failed(Some(Action::Lookup.as_str().into()), &e, Vec::new());
    };
    let config = Config {
        source: Source::DbFile,
        databases: DbFiles {
            in_memory: false,
            root: None,
            files: args.databases,
        },
        context: match args.context {
            ContextArg::City => Context::City,
            ContextArg::Country => Context::Country,
            ContextArg::Asn => Context::Asn,
            ContextArg::Auto => Context::Auto,
        },
        locale,
        web: WebConfig::new(config::Edition::GeoIp2),
        use_mapbox: false,
        mapbox_api_key: Default::default(),
        attachment_dir: ".".into(),
        max_attachment_bytes: config::DEFAULT_MAX_ATTACHMENT_MIB << 20,
        max_ips: config::DEFAULT_MAX_IPS as usize,
        deadline: std::time::Instant::now()
            + std::time::Duration::from_secs(config::DEFAULT_ACTION_TIMEOUT_S),
        action_timeout_s: config::DEFAULT_ACTION_TIMEOUT_S,
    };
    app::lookup_values(&config, Action::Lookup, &values, Vec::new())
}

/// `extract`: the distinct addresses of a file, one per line, in order of first appearance.
fn run_extract(args: &ExtractArgs) -> Exit {
    let limit = args.max_mib.saturating_mul(1 << 20);
    let mut seen = std::collections::HashSet::new();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut write_error = None;
    let mut line = String::with_capacity(48);
    let mut emit = |found: extract::Extracted| {
        if write_error.is_none() && seen.insert(found.ip) {
            line.clear();
            extract::write_ip(&mut line, found.ip);
            line.push('\n');
            if let Err(e) = out.write_all(line.as_bytes()) {
                write_error = Some(e);
            }
        }
    };
    let scanned = if args.input == "-" {
        extract::scan_reader(io::stdin().lock(), limit, &mut emit)
    } else {
        match std::fs::File::open(&args.input) {
            Ok(file) => extract::scan_reader(file, limit, &mut emit),
            Err(e) => Err(extract::ScanError::Io(e)),
        }
    };
    let flushed = out.flush();
    match (scanned, write_error.or(flushed.err())) {
        (Ok(_), None) => Exit::Success,
        (Err(e), _) => {
            eprintln!("maxmind-geolocate: {}: {e}", args.input);
            Exit::Failure
        }
        (_, Some(e)) => {
            eprintln!("maxmind-geolocate: cannot write the addresses: {e}");
            Exit::Failure
        }
    }
}

/// Writes the response as one JSON document and picks the exit code from its status.
///
/// The response is complete before this starts, so writing can only fail on output (a closed
/// pipe, a full disk): then the exit code is 1 and stderr says why.
fn write_response(response: &Response, pretty: bool) -> Exit {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let written = if pretty {
        serde_json::to_writer_pretty(&mut out, response)
    } else {
        serde_json::to_writer(&mut out, response)
    }
    .map_err(io::Error::from)
    .and_then(|()| out.write_all(b"\n"))
    .and_then(|()| out.flush());
    if let Err(e) = written {
        eprintln!("maxmind-geolocate: cannot write the response: {e}");
        return Exit::Failure;
    }
    match response.status {
        Status::Success | Status::Partial => Exit::Success,
        Status::Error => Exit::Failure,
    }
}
