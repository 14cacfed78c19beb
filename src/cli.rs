//! The command line, as clap definitions only (no I/O).
//!
//! With no subcommand the binary runs in plugin mode: one JSON action request on stdin, one JSON
//! response on stdout. The same definitions generate the shell completions and the man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::settings::{Kind, SETTINGS, Setting};

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

    /// Indent JSON output for people, the records too (JSON on a terminal is indented anyway).
    #[arg(short, long, global = true)]
    pub pretty: bool,

    /// When to colour the output: `auto` only on a terminal and never with NO_COLOR set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = Color::Auto)]
    pub color: Color,

    /// Threads for the work spread over the cores (lookups, large responses, a bulk's
    /// summary, scanning a large text) [default: env MAXMIND_GEOLOCATE_THREADS, else one per core]; 0 is the default.
    #[arg(short = 'j', long, global = true, value_name = "N")]
    pub threads: Option<usize>,

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
    /// is a good part of a Lookup's own time in the process).
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
            color: Color::Auto,
            threads: None,
            geoip_conf: None,
        }
    }
}

/// When to colour the output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// Only on a terminal, and never with NO_COLOR set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// Examples at the end of `--help` (and in the man page).
const EXAMPLES: &str = "\
Examples:
  maxmind-geolocate lookup 81.2.69.142 2001:218::1 --db GeoIP2-City.mmdb --db GeoLite2-ASN.mmdb
  maxmind-geolocate lookup 81.2.69.0/24 -d GeoIP2-City.mmdb -f table
  maxmind-geolocate lookup - -d City.mmdb -f csv --field ip,city,asn -o out.csv < ips.txt
  maxmind-geolocate lookup 8.8.8.8 --web          # credentials from the environment or GeoIP.conf
  maxmind-geolocate cache stats                   # what the web cache holds
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
    /// The web cache: what it holds, and clearing it out.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `maxmind-geolocate man > maxmind-geolocate.1`.
    Man,
    /// (Internal) Decode a document read on stdin and report the addresses in it: the bulk
    /// action runs this in a child process, so that a hostile document cannot take the
    /// response with it.
    #[command(hide = true, name = "decode-document")]
    DecodeDocument(DecodeArgs),
}

/// Arguments of the hidden `decode-document`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The attachment's name (the label of its parts).
    #[arg(long)]
    pub name: String,
    /// The largest attachment read, in bytes.
    #[arg(long)]
    pub max_bytes: u64,
    /// The most bytes decoded from it.
    #[arg(long)]
    pub max_decoded_bytes: u64,
    /// The most CPU seconds the process may take.
    #[arg(long)]
    pub cpu_seconds: u64,
    /// The attachment's length in bytes, when the parent knows it.
    #[arg(long)]
    pub size: Option<u64>,
    /// Report every occurrence, with where it is written.
    #[arg(long)]
    pub every: bool,
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
    pub settings: SettingFlags,
}

/// The settings given as flags: one for each setting of the settings table that has one
/// (`config::settings`), with its help and, for a choice, its values, and `--no-cache` (the
/// same as `--cache-ttl 0`). They win over every other source of settings.
#[derive(Debug, Clone, Default)]
pub struct SettingFlags(pub Vec<(&'static str, Vec<String>)>);

/// The cache settings given as flags (`--cache-path`, `--cache-ttl`, `--cache-max-mib`): the
/// `cache` command's.
#[derive(Debug, Clone, Default)]
pub struct CacheFlags(pub Vec<(&'static str, Vec<String>)>);

/// The id of `--no-cache`.
const NO_CACHE: &str = "no_cache";

/// Whether a setting belongs to the cache.
fn is_cache_setting(setting: &Setting) -> bool {
    setting.key.starts_with("cache_")
}

/// The flags given of the settings `wanted` picks.
fn given_flags(
    matches: &clap::ArgMatches,
    wanted: fn(&Setting) -> bool,
) -> Vec<(&'static str, Vec<String>)> {
    let mut given = Vec::new();
    for setting in SETTINGS.iter().filter(|s| wanted(s)) {
        let Some(flag) = setting.flag else { continue };
        let values: Vec<String> = match flag.value_name {
            None if matches.get_flag(setting.key) => vec![flag.sets.to_owned()],
            None => continue,
            Some(_) => match matches.get_raw(setting.key) {
                Some(raw) => raw.map(|v| v.to_string_lossy().into_owned()).collect(),
                None => continue,
            },
        };
        given.push((setting.key, values));
    }
    given
}

/// `cmd` with a flag for each setting `wanted` picks.
fn setting_args(cmd: clap::Command, wanted: fn(&Setting) -> bool) -> clap::Command {
    use clap::builder::{PossibleValue, PossibleValuesParser};
    use clap::{Arg, ArgAction};
    SETTINGS
        .iter()
        .filter(|s| wanted(s))
        .filter_map(|s| Some((s, s.flag?)))
        .fold(cmd, |cmd, (setting, flag)| {
            let mut arg = Arg::new(setting.key).long(flag.long).help(setting.help);
            if let Some(short) = flag.short {
                arg = arg.short(short);
            }
            arg = match flag.value_name {
                None => arg.action(ArgAction::SetTrue),
                Some(name) if flag.repeat => arg.value_name(name).action(ArgAction::Append),
                Some(name) => arg.value_name(name).action(ArgAction::Set),
            };
            arg = match setting.kind {
                Kind::Select { options, .. } if flag.value_name.is_some() => arg
                    .value_parser(PossibleValuesParser::new(
                        options
                            .iter()
                            .map(|(v, label)| PossibleValue::new(*v).help(*label)),
                    ))
                    .ignore_case(true),
                Kind::Number { min, max } => {
                    arg.value_parser(clap::value_parser!(u64).range(min..=max))
                }
                Kind::Text | Kind::List if flag.value_name == Some("DIR") => {
                    arg.value_hint(clap::ValueHint::DirPath)
                }
                Kind::List => arg.value_hint(clap::ValueHint::FilePath),
                Kind::Text if flag.value_name == Some("FILE") => {
                    arg.value_hint(clap::ValueHint::FilePath)
                }
                Kind::Text if flag.long == "web-url" => arg.value_hint(clap::ValueHint::Url),
                _ => arg,
            };
            cmd.arg(arg)
        })
}

impl clap::FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut given = given_flags(matches, |_| true);
        if matches.get_flag(NO_CACHE) {
            given.push(("cache_ttl_s", vec!["0".to_owned()]));
        }
        Ok(SettingFlags(given))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for SettingFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        setting_args(cmd, |_| true).arg(
            clap::Arg::new(NO_CACHE)
                .long("no-cache")
                .action(clap::ArgAction::SetTrue)
                .conflicts_with("cache_ttl_s")
                .help("Neither read nor write the web cache: every IP is asked of the service (the same as --cache-ttl 0)."),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for CacheFlags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(CacheFlags(given_flags(matches, is_cache_setting)))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for CacheFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        setting_args(cmd, is_cache_setting)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Arguments of `lookup`.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// IP addresses (defanged forms accepted) or CIDR networks (every network with a record
    /// inside it); `-`, or none when stdin is not a terminal, reads one per line from stdin
    /// (blank lines and `#` comments skipped).
    #[arg(value_name = "IP|CIDR")]
    pub ips: Vec<String>,

    /// Where records come from, and what is asked of them.
    #[command(flatten)]
    pub settings: SettingFlags,

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

    /// Write the offline world map of the located IPs (SVG) to this file.
    #[arg(long, value_name = "OUT.svg")]
    pub map: Option<PathBuf>,

    /// Where records come from, and what is asked of them.
    #[command(flatten)]
    pub settings: SettingFlags,

    /// How to print the results.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How the results of `lookup` and `bulk` are printed.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: the response JSON, one result per line, CSV, or a table for people
    /// [default: on a terminal, a view that fits its width (each address's fields for a few
    /// addresses, a table for more); else json].
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,

    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub output: Option<PathBuf>,

    /// Print only these fields: attribute names (city, country_code, asn, …), `ip`, `network`,
    /// `source`, `found_as_network`, `found_in` (bulk: where in the file), `error`, or record
    /// paths such as `location.accuracy_radius` (`data.` before a path
    /// takes it as written, for a database's keys of its own); an unknown one is refused.
    #[arg(long, value_delimiter = ',', value_name = "FIELD,…", value_parser = crate::output::check_field)]
    pub field: Vec<String>,
}

pub use crate::output::Format;

/// Arguments of `extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The file to read; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub input: String,

    /// Print every occurrence with where it is: `IP<TAB>PART<TAB>LINE:COLUMN<TAB>as written`
    /// (PART: the file, or the part of a document: `report.pdf p. 3`, `logs.zip/fw/deny.log`).
    #[arg(long)]
    pub with_source: bool,

    /// Refuse inputs larger than this many MiB.
    #[arg(long, default_value_t = 100, value_name = "MIB")]
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

    /// `json` (default), `ndjson`, `csv` or `table`.
    #[arg(short, long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// Arguments of `db verify`.
#[derive(Debug, Args)]
pub struct DbVerifyArgs {
    /// MaxMind DB files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `cache` subcommands; each takes the cache settings flags (which cache, its lifetime and
/// size bound).
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Where the cache is, how many answers it holds, its size, its oldest and newest answer.
    Stats(CacheFlags),
    /// Delete the answers past their lifetime, and the oldest while over the size bound; give
    /// the space back.
    Prune(CacheFlags),
    /// Delete every answer.
    Clear(CacheFlags),
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_hold_together_no_two_flags_share_a_name() {
        // clap's own checks: a short or long flag used twice in one command panics here.
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_is_what_clap_makes_of_none() {
        let parsed = Cli::try_parse_from(["maxmind-geolocate"]).expect("no arguments parse");
        assert_eq!(format!("{:?}", Cli::plugin_mode()), format!("{parsed:?}"));
    }
}
