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
//!    special-purpose addresses aside; [`extract`] finds the addresses in an attachment;
//! 4. a [`backend::Backend`] (MaxMind DB files or the web service) answers the addresses,
//!    mapped to attributes and indicators by [`mapping`];
//! 5. [`app`] assembles the [`protocol::Response`] ([`render`] writes the description), which
//!    [`commands`] writes to stdout.
//!
//! The analyst's command line ([`cli`], [`commands`], printed by [`output`]) runs the same
//! core: an [`app::Session`] carries what outlives one action (settings from flags, the
//! environment and MaxMind's `GeoIP.conf`; database files opened once per process).
//!
//! Errors carry stable codes ([`error::Error::code`]); stdout always carries exactly one JSON
//! document in plugin mode, even when something panics.

#![deny(unsafe_code)]

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
pub mod paths;
pub mod protocol;
pub mod record;
pub mod render;

pub use commands::{Exit, run};
