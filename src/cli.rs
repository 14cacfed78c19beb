//! The command line, as clap definitions only (no I/O).
//!
//! With no subcommand the binary runs in plugin mode: one JSON action request on stdin, one JSON
//! response on stdout.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Geolocate IP indicators with MaxMind GeoIP2/GeoLite2 data — a threat-intelligence operation.
///
/// Without a subcommand, reads one JSON action request on stdin and writes one JSON response on
/// stdout (plugin mode, as the platform runs it).
#[derive(Debug, Parser)]
#[command(name = "maxmind-geolocate", version, about, long_about)]
pub struct Cli {
    /// What to do; plugin mode (`run`) when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Indent the JSON response for people.
    #[arg(long, global = true)]
    pub pretty: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plugin mode: one JSON action request on stdin, one JSON response on stdout.
    Run,
    /// Look IP addresses up in database files; prints the Lookup response JSON.
    Lookup(LookupArgs),
    /// Print the IP addresses found in a file (or `-` for stdin), one per line, each once.
    Extract(ExtractArgs),
}

/// Arguments of `extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// The file to read; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub input: String,

    /// Refuse inputs larger than this many MiB.
    #[arg(long, default_value_t = crate::config::DEFAULT_MAX_ATTACHMENT_MIB, value_name = "MIB")]
    pub max_mib: u64,
}

/// Arguments of `lookup`.
#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// IP addresses (defanged forms accepted); `-` reads one per line from stdin.
    #[arg(required = true, value_name = "IP")]
    pub ips: Vec<String>,

    /// A MaxMind DB file; repeat to merge several (the first listed wins on a shared key).
    #[arg(long = "db", required = true, value_name = "FILE")]
    pub databases: Vec<PathBuf>,

    /// What to ask of the databases.
    #[arg(long, value_enum, default_value_t = ContextArg::City)]
    pub context: ContextArg,

    /// Language of names (de, en, es, fr, ja, pt-BR, ru, zh-CN); English where a name lacks it.
    #[arg(long, default_value = "en")]
    pub locale: String,
}

/// `--context` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContextArg {
    /// City-level location; all mapping rows.
    City,
    /// Country and continent rows.
    Country,
    /// ASN rows.
    Asn,
    /// Each database as its type says.
    Auto,
}
