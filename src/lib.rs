//! # maxmind-geolocate
//!
//! A threat-intelligence operation that geolocates IPv4/IPv6 indicators with MaxMind data and
//! maps what it finds to platform attributes.
//!
//! The pipeline, one action per process:
//!
//! 1. `protocol` parses the JSON action request from stdin;
//! 2. `config` validates the configuration page (one table of settings) into a `Config`;
//! 3. `ip` turns indicator values into addresses (refanging, IPv4-mapped → IPv4) and sets
//!    special-purpose addresses aside; `extract` finds the addresses in an attachment;
//! 4. a [`Backend`] (MaxMind DB files, or the web service and the answer cache every action on
//!    the machine shares) answers the addresses, mapped to attributes and indicators by
//!    `mapping`;
//! 5. `app` assembles the response (`render` writes the description), which `commands`
//!    writes to stdout.
//!
//! The analyst's command line (`cli`, `commands`, printed by `output`) runs the same core: a
//! [`Session`] carries what outlives one action (settings from flags, the
//! environment and MaxMind's `GeoIP.conf`; database files opened once per process).
//!
//! Errors carry stable codes ([`Error::code`]); stdout always carries exactly one JSON
//! document in plugin mode, even when something panics.

#![deny(unsafe_code)]

mod app;
mod backend;
mod cli;
mod commands;
mod config;
mod error;
mod extract;
mod indent;
mod ip;
mod mapping;
mod output;
mod paths;
mod protocol;
mod record;
mod render;
#[cfg(test)]
mod test_support;

// The public API: what the binary, the benches, the fuzz targets and the integration tests
// use. Everything else is the crate's own (so the compiler reports what nothing uses).
pub use app::{Session, run_request};
pub use backend::{Answer, BATCH, Backend, Databases, Deadline, Located, MmdbBackend};
pub use commands::{Exit, run};
pub use config::settings::manifest_fields;
pub use config::{Context, DbFiles, Environment};
pub use error::Error;
pub use extract::{Encoding, Extracted, scan, scan_reader, sniff};
pub use ip::{parse_indicator, special_purpose};
pub use mapping::Display;
pub use render::{Report, TableRow, Tally, apply_section, render_section, worldmap};
