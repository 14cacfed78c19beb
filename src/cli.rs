//! The command line, as clap definitions only (no I/O).
//!
//! With no subcommand the binary runs in plugin mode: one JSON action request on stdin, one JSON
//! response on stdout. The same definitions generate the shell completions and the man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Geolocate IP indicators with MaxMind GeoIP2/GeoLite2 data — a threat-intelligence operation.
///
/// Without a subcommand, reads one JSON action request on stdin and writes one JSON response on
/// stdout (plugin mode, as the platform runs it).
///
/// Settings are taken from, in order: flags, the request's config (plugin mode), the
/// environment (MAXMIND_ACCOUNT_ID, MAXMIND_LICENSE_KEY, MAXMIND_DB_DIR), then MaxMind's
/// GeoIP.conf (AccountID, LicenseKey, DatabaseDirectory, EditionIDs).
///
/// Exit codes: 0 the action ran (a partial result also warns on stderr), 1 the action failed
/// (the response says why), 2 the command line is wrong.
#[derive(Debug, Parser)]
#[command(name = "maxmind-geolocate", version, about, long_about, after_long_help = EXAMPLES)]
pub struct Cli {
    /// What to do; plugin mode (`run`) when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Indent JSON output for people.
    #[arg(long, global = true)]
    pub pretty: bool,

    /// MaxMind's GeoIP.conf to read credentials and the database folder from [default:
    /// env GEOIPUPDATE_CONF_FILE, else /etc/GeoIP.conf, else /usr/local/etc/GeoIP.conf];
    /// an empty value reads none.
    #[arg(long, global = true, value_name = "PATH",
          value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), PathBuf::from))]
    pub geoip_conf: Option<PathBuf>,
}

impl Cli {
    /// The process's command line, parsed. The platform's call has no arguments at all: that
    /// is plugin mode with every default, and clap's parser is not built for it (building it
    /// took 0.4 ms, and 75 page faults, of a Lookup's 0.9 ms in the process).
    pub fn from_args() -> Result<Cli, clap::Error> {
        if std::env::args_os().len() == 1 {
            return Ok(Cli::plugin_mode());
        }
        Cli::try_parse()
    }

    /// What clap makes of a command line with no arguments (a test holds the two alike).
    fn plugin_mode() -> Cli {
        Cli {
            command: None,
            pretty: false,
            geoip_conf: None,
        }
    }
}

/// Examples at the end of `--help` (and in the man page).
const EXAMPLES: &str = "\
Examples:
  maxmind-geolocate lookup 81.2.69.142 2001:218::1 --db GeoIP2-City.mmdb --db GeoLite2-ASN.mmdb
  maxmind-geolocate lookup 81.2.69.0/24 --db GeoIP2-City.mmdb --format table
  maxmind-geolocate lookup - --db City.mmdb --format csv --field ip,city,asn < ips.txt
  maxmind-geolocate lookup 8.8.8.8 --web          # credentials from the environment or GeoIP.conf
  maxmind-geolocate bulk report.pdf --description report.html --format table
  maxmind-geolocate extract access.log --with-source
  maxmind-geolocate db info /var/lib/GeoIP/*.mmdb --format table
  maxmind-geolocate run --ndjson < requests.ndjson > responses.ndjson";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plugin mode: one JSON action request on stdin, one JSON response on stdout.
    Run(RunArgs),
    /// Look IP addresses (or every network inside a CIDR) up.
    Lookup(LookupArgs),
    /// Lookup All Related IPs on a file: extraction, lookups, summary, description.
    Bulk(BulkArgs),
    /// Print the IP addresses found in a file (or `-` for stdin), one per line, each once.
    Extract(ExtractArgs),
    /// Facts about MaxMind DB files, and a full integrity check.
    #[command(subcommand)]
    Db(DbCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `maxmind-geolocate man > maxmind-geolocate.1`.
    Man,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// One request per stdin line, one response per stdout line; databases are opened once
    /// for the whole stream.
    #[arg(long)]
    pub ndjson: bool,

    /// Settings that win over the requests' own.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Where records come from, and what is asked of them (flags win over every other setting).
#[derive(Debug, Default, Args)]
pub struct SourceArgs {
    /// A MaxMind DB file; repeat to merge several (the first listed wins on a shared key).
    /// Default: the EditionIDs of GeoIP.conf, in its DatabaseDirectory.
    #[arg(long = "db", value_name = "FILE", conflicts_with = "web")]
    pub databases: Vec<PathBuf>,

    /// The folder database names are looked up in (plugin mode's db_dir).
    #[arg(long, value_name = "DIR")]
    pub db_dir: Option<PathBuf>,

    /// Ask the MaxMind GeoIP2 web service instead of database files (each IP is a paid query).
    #[arg(long)]
    pub web: bool,

    /// MaxMind account ID for --web [default: env MAXMIND_ACCOUNT_ID, else GeoIP.conf].
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// MaxMind license key for --web [default: env MAXMIND_LICENSE_KEY, else GeoIP.conf].
    /// Prefer the environment: arguments are visible to other users of the machine.
    #[arg(long, value_name = "KEY")]
    pub license_key: Option<String>,

    /// The web service's edition.
    #[arg(long, value_enum)]
    pub edition: Option<EditionArg>,

    /// The web service's base URL (a test server on loopback may use plain http).
    #[arg(long, value_name = "URL")]
    pub web_url: Option<String>,

    /// What to ask of the databases [default: city].
    #[arg(long, value_enum)]
    pub context: Option<ContextArg>,

    /// Language of names (de, en, es, fr, ja, pt-BR, ru, zh-CN) [default: en].
    #[arg(long)]
    pub locale: Option<String>,

    /// Warn when a database was built more than this many days ago; 0 never warns [default: 30].
    #[arg(long, value_name = "DAYS")]
    pub max_db_age: Option<u64>,
}

/// Arguments of `lookup`.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// IP addresses (defanged forms accepted) or CIDR networks (every network with a record
    /// inside it); `-`, or none when stdin is not a terminal, reads one per line from stdin
    /// (blank lines and `#` comments skipped).
    #[arg(value_name = "IP|CIDR")]
    pub ips: Vec<String>,

    /// Where records come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// How to print the results.
    #[command(flatten)]
    pub output: OutputArgs,

    /// The most networks one CIDR argument lists.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_networks: usize,
}

/// Arguments of `bulk`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The file to read (any text, binary or UTF-16); `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,

    /// Write the description the platform would get (HTML) to this file.
    #[arg(long, value_name = "OUT")]
    pub description: Option<PathBuf>,

    /// Refuse inputs larger than this many MiB [default: 100].
    #[arg(long, value_name = "MIB")]
    pub max_mib: Option<u64>,

    /// Where records come from.
    #[command(flatten)]
    pub source: SourceArgs,

    /// How to print the results.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How the results of `lookup` and `bulk` are printed.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: the response JSON, one result per line, CSV, or a table for people.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Print only these fields: attribute names (city, country_code, asn, …), `ip`, `network`,
    /// `error`, or record paths such as `location.accuracy_radius`.
    #[arg(long, value_delimiter = ',', value_name = "FIELD,…")]
    pub field: Vec<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The response as one JSON document (with --field: an array of the chosen fields).
    Json,
    /// One JSON result per line.
    Ndjson,
    /// One row per IP; columns `ip`, `network`, the attribute names, `error`.
    Csv,
    /// Aligned columns for a terminal (colour only on a terminal, never with NO_COLOR).
    Table,
}

/// Arguments of `extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The file to read; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub input: String,

    /// Print every occurrence with where it is: `IP<TAB>LINE:COLUMN<TAB>as written`.
    #[arg(long)]
    pub with_source: bool,

    /// Refuse inputs larger than this many MiB.
    #[arg(long, default_value_t = crate::config::DEFAULT_MAX_ATTACHMENT_MIB, value_name = "MIB")]
    pub max_mib: u64,
}

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Database type, build date and age, IP version, record size, node count, languages,
    /// description.
    Info(DbInfoArgs),
    /// Walk the whole search tree and data section; exit 1 on the first corruption found.
    Verify(DbVerifyArgs),
}

/// Arguments of `db info`.
#[derive(Debug, Args)]
pub struct DbInfoArgs {
    /// MaxMind DB files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// `json` (default) or `table`.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// Arguments of `db verify`.
#[derive(Debug, Args)]
pub struct DbVerifyArgs {
    /// MaxMind DB files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    /// The web service's Insights endpoint (GeoIP2 only).
    Insights,
}

impl ContextArg {
    /// The configuration's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextArg::City => "city",
            ContextArg::Country => "country",
            ContextArg::Asn => "asn",
            ContextArg::Auto => "auto",
            ContextArg::Insights => "insights",
        }
    }
}

/// `--edition` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EditionArg {
    /// GeoIP2 (paid).
    Geoip2,
    /// GeoLite2 (free).
    Geolite2,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_is_what_clap_makes_of_none() {
        let parsed = Cli::try_parse_from(["maxmind-geolocate"]).expect("no arguments parse");
        assert_eq!(format!("{:?}", Cli::plugin_mode()), format!("{parsed:?}"));
    }
}
