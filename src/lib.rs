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
//! 6. [`app`] assembles the [`protocol::Response`], which [`commands`] writes to stdout.
//!
//! The analyst's command line ([`cli`], [`commands`], printed by [`output`]) runs the same
//! core: an [`app::Session`] carries what outlives one action (settings from flags, the
//! environment and MaxMind's `GeoIP.conf`; database files opened once per process).
//!
//! Errors carry stable codes ([`error::Error::code`]); stdout always carries exactly one JSON
//! document in plugin mode, even when something panics.

pub mod allocator;
pub mod app;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod extract;
pub mod ip;
pub mod mapping;
pub mod output;
pub mod parallel;
pub mod paths;
pub mod protocol;
pub mod record;
pub mod render;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use crate::cli::Cli;
use crate::error::Error;
use crate::protocol::Response;

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

/// Runs the binary: parses the command line, runs the command, writes its output.
pub fn run() -> Exit {
    let cli = match Cli::from_args() {
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
    match panic::catch_unwind(AssertUnwindSafe(|| commands::dispatch(cli))) {
        Ok(exit) => exit,
        Err(_) => {
            let e = Error::Internal("the operation panicked".into());
            commands::write_response(Response::failed(None, &e, Vec::new()), pretty)
        }
    }
}
