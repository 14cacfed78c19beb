//! The operation's configuration: the raw keys of the platform's configuration page
//! ([`RawConfig`], the same keys as the user fields of `manifest.yaml`) and the resolved,
//! validated settings the core runs on ([`Config`]).
//!
//! The platform sends every field of the page, set or not, and some platforms send booleans and
//! numbers as strings: an empty string is "not set", and `"true"`/`"false"` are booleans.
//! Unknown keys are kept and reported as warnings rather than refused.

pub mod geoip_conf;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use geoip_conf::{ConfError, GeoIpConf};

use crate::error::Error;
use crate::protocol::ErrorBody;

/// A value that must never be printed: `Debug`, `Display` and `Serialize` show `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no secret was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret(lenient_string(d)?.unwrap_or_default()))
    }
}

/// One name or a list of names, as `mmdb_filename` accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// Nothing configured.
    #[default]
    None,
    /// A single name.
    One(String),
    /// Several names, in precedence order.
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The configuration keys exactly as the platform sends them (see `manifest.yaml`).
///
/// Every field is optional: defaults are applied by [`Config::resolve`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawConfig {
    /// `db_file` (default) or `web_api`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub source: Option<String>,
    /// One MMDB file name, or a list of them, under `db_dir`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub mmdb_filename: OneOrMany,
    /// The folder of uploaded database files.
    #[serde(default, deserialize_with = "lenient_string")]
    pub db_dir: Option<String>,
    /// `city` (default), `country`, `asn` or `auto`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub context_type: Option<String>,
    /// Language of names; default `en`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub locale: Option<String>,
    /// MaxMind account ID (web service).
    #[serde(default, deserialize_with = "lenient_string")]
    pub account_id: Option<String>,
    /// MaxMind license key (web service).
    #[serde(default)]
    pub license_key: Secret,
    /// `geoip2` (default) or `geolite2` (web service).
    #[serde(default, deserialize_with = "lenient_string")]
    pub edition: Option<String>,
    /// Override of the web service's base URL.
    #[serde(default, deserialize_with = "lenient_string")]
    pub web_api_url: Option<String>,
    /// Whether Lookup All Related IPs adds a Mapbox map to the description.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub use_mapbox: Option<bool>,
    /// The public (`pk.`) Mapbox token for the map.
    #[serde(default)]
    pub mapbox_api_key: Secret,
    /// Whether web requests ignore the proxy settings of the environment.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub bypass_proxy: Option<bool>,
    /// Seconds a web request may take (default 10).
    #[serde(default, deserialize_with = "lenient_string")]
    pub timeout_s: Option<String>,
    /// Tries per web query on 5xx, connection errors and timeouts (default 3).
    #[serde(default, deserialize_with = "lenient_string")]
    pub retries: Option<String>,
    /// Web queries in flight at once in a bulk action (default 8).
    #[serde(default, deserialize_with = "lenient_string")]
    pub max_parallel_queries: Option<String>,
    /// The most distinct IPs one action looks up (default 1,000,000).
    #[serde(default, deserialize_with = "lenient_string")]
    pub max_ips: Option<String>,
    /// Seconds one action may take in all (default 600).
    #[serde(default, deserialize_with = "lenient_string")]
    pub action_timeout_s: Option<String>,
    /// Read database files into memory instead of mapping them (safe against in-place writes).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub databases_in_memory: Option<bool>,
    /// The folder attachment `path`s must stay inside.
    #[serde(default, deserialize_with = "lenient_string")]
    pub attachment_dir: Option<String>,
    /// The largest attachment content read, in MiB (default 100).
    #[serde(default, deserialize_with = "lenient_string")]
    pub max_attachment_mib: Option<String>,
    /// Days after its build a database counts as stale and every response that used it warns
    /// (default 30; 0 never warns).
    #[serde(default, deserialize_with = "lenient_string")]
    pub max_database_age_days: Option<String>,
    /// Database files named on the command line, used as given (not confined to `db_dir`).
    #[serde(skip)]
    pub db_paths: Vec<PathBuf>,
    /// Keys this version does not know; reported as warnings.
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, serde::de::IgnoredAny>,
}

impl RawConfig {
    /// These settings, with each one left unset taken from `lower` (the next layer of the
    /// precedence: flags, then the request, then the environment, then `GeoIP.conf`).
    pub fn or(self, lower: RawConfig) -> RawConfig {
        fn secret(a: Secret, b: Secret) -> Secret {
            if a.is_empty() { b } else { a }
        }
        let mut unknown = lower.unknown;
        unknown.extend(self.unknown);
        RawConfig {
            source: self.source.or(lower.source),
            mmdb_filename: match self.mmdb_filename {
                OneOrMany::None => lower.mmdb_filename,
                set => set,
            },
            db_dir: self.db_dir.or(lower.db_dir),
            context_type: self.context_type.or(lower.context_type),
            locale: self.locale.or(lower.locale),
            account_id: self.account_id.or(lower.account_id),
            license_key: secret(self.license_key, lower.license_key),
            edition: self.edition.or(lower.edition),
            web_api_url: self.web_api_url.or(lower.web_api_url),
            use_mapbox: self.use_mapbox.or(lower.use_mapbox),
            mapbox_api_key: secret(self.mapbox_api_key, lower.mapbox_api_key),
            bypass_proxy: self.bypass_proxy.or(lower.bypass_proxy),
            timeout_s: self.timeout_s.or(lower.timeout_s),
            retries: self.retries.or(lower.retries),
            max_parallel_queries: self.max_parallel_queries.or(lower.max_parallel_queries),
            max_ips: self.max_ips.or(lower.max_ips),
            action_timeout_s: self.action_timeout_s.or(lower.action_timeout_s),
            databases_in_memory: self.databases_in_memory.or(lower.databases_in_memory),
            attachment_dir: self.attachment_dir.or(lower.attachment_dir),
            max_attachment_mib: self.max_attachment_mib.or(lower.max_attachment_mib),
            max_database_age_days: self.max_database_age_days.or(lower.max_database_age_days),
            db_paths: if self.db_paths.is_empty() {
                lower.db_paths
            } else {
                self.db_paths
            },
            unknown,
        }
    }

    /// The names of all configuration keys this version knows, sorted.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(RawConfig::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Str(String),
        Int(i64),
        UInt(u64),
    }
    Ok(match Option::<Scalar>::deserialize(d)? {
        None => None,
        Some(Scalar::Str(s)) if s.trim().is_empty() => None,
        Some(Scalar::Str(s)) => Some(s.trim().to_owned()),
        Some(Scalar::Int(i)) => Some(i.to_string()),
        Some(Scalar::UInt(u)) => Some(u.to_string()),
    })
}

/// Reads a boolean as platforms send it: `true`, `"true"`, `"yes"`, `1`, … (empty: unset).
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolLike {
        Bool(bool),
        Str(String),
        Int(u64),
    }
    use serde::de::Error as _;
    match Option::<BoolLike>::deserialize(d)? {
        None => Ok(None),
        Some(BoolLike::Bool(b)) => Ok(Some(b)),
        Some(BoolLike::Int(0)) => Ok(Some(false)),
        Some(BoolLike::Int(1)) => Ok(Some(true)),
        Some(BoolLike::Int(n)) => Err(D::Error::custom(format!("expected a boolean, found {n}"))),
        Some(BoolLike::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "on" | "1" => Ok(Some(true)),
            "false" | "no" | "off" | "0" => Ok(Some(false)),
            other => Err(D::Error::custom(format!(
                "expected a boolean, found {other:?}"
            ))),
        },
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<OneOrMany, D::Error> {
    let value = Option::<OneOrMany>::deserialize(d)?.unwrap_or_default();
    let names: Vec<String> = value
        .into_vec()
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    Ok(match names.len() {
        0 => OneOrMany::None,
        1 => OneOrMany::One(names.into_iter().next().unwrap_or_default()),
        _ => OneOrMany::Many(names),
    })
}

/// Where the records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// MaxMind DB files.
    DbFile,
    /// The MaxMind GeoIP2 web service.
    WebApi,
}

impl Source {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DbFile => "db_file",
            Source::WebApi => "web_api",
        }
    }
}

/// What is asked of the databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// City-level geolocation; all mapping rows apply.
    City,
    /// Country-level geolocation; the country and continent rows apply.
    Country,
    /// Autonomous system; the ASN rows apply.
    Asn,
    /// Each database answers as its type says (the web service: its City endpoint).
    Auto,
    /// The web service's Insights endpoint (GeoIP2 only); all mapping rows apply.
    Insights,
}

impl Context {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::City => "city",
            Context::Country => "country",
            Context::Asn => "asn",
            Context::Auto => "auto",
            Context::Insights => "insights",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "city" => Context::City,
            "country" => Context::Country,
            "asn" => Context::Asn,
            "auto" => Context::Auto,
            "insights" => Context::Insights,
            _ => return None,
        })
    }
}

/// The locales MaxMind databases carry names in.
pub const LOCALES: [&str; 8] = ["de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"];

/// The MaxMind web service edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// GeoIP2 (paid), the default.
    GeoIp2,
    /// GeoLite2 (free).
    GeoLite2,
}

/// Which database files to open, and the folder they must stay inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbFiles {
    /// Read the files into memory instead of mapping them.
    pub in_memory: bool,
    /// The folder every file must resolve inside (after following symlinks); `None` for paths an
    /// analyst gave on the command line, which are used as given.
    pub root: Option<PathBuf>,
    /// The files in precedence order (relative to `root` when it is set).
    pub files: Vec<PathBuf>,
}

/// Settings of the MaxMind web service, validated now and used by the web backend.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// MaxMind account ID.
    pub account_id: Option<String>,
    /// MaxMind license key.
    pub license_key: Secret,
    /// Which service.
    pub edition: Edition,
    /// Base URL override.
    pub url: Option<String>,
    /// Whether to ignore the environment's proxy settings.
    pub bypass_proxy: bool,
    /// How long one request may take.
    pub timeout: std::time::Duration,
    /// Tries per query on 5xx, connection errors and timeouts.
    pub tries: u32,
    /// Queries in flight at once.
    pub parallel: usize,
}

impl WebConfig {
    /// The defaults, without credentials.
    pub fn new(edition: Edition) -> Self {
        WebConfig {
            account_id: None,
            license_key: Secret::default(),
            edition,
            url: None,
            bypass_proxy: false,
            timeout: std::time::Duration::from_secs(DEFAULT_TIMEOUT_S),
            tries: DEFAULT_TRIES,
            parallel: DEFAULT_PARALLEL_QUERIES,
        }
    }

    /// The base URL: the override, else the edition's service.
    pub fn base_url(&self) -> &str {
        match (&self.url, self.edition) {
            (Some(url), _) => url.trim_end_matches('/'),
            (None, Edition::GeoIp2) => "https://geoip.maxmind.com",
            (None, Edition::GeoLite2) => "https://geolite.info",
        }
    }
}

/// Default of `timeout_s`.
pub const DEFAULT_TIMEOUT_S: u64 = 10;
/// Default of `retries` (tries per query).
pub const DEFAULT_TRIES: u32 = 3;
/// Default of `max_parallel_queries`.
pub const DEFAULT_PARALLEL_QUERIES: usize = 8;

/// The resolved, validated settings of one action.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where records come from.
    pub source: Source,
    /// The database files (for [`Source::DbFile`]).
    pub databases: DbFiles,
    /// What is asked of the databases.
    pub context: Context,
    /// Language of names, one of [`LOCALES`].
    pub locale: &'static str,
    /// Web service settings.
    pub web: WebConfig,
    /// Whether to add a Mapbox map (Lookup All Related IPs).
    pub use_mapbox: bool,
    /// Mapbox access token (public, `pk.`).
    pub mapbox_api_key: Secret,
    /// The folder attachment `path`s must stay inside.
    pub attachment_dir: PathBuf,
    /// The largest attachment content read, in bytes.
    pub max_attachment_bytes: u64,
    /// The most distinct IPs one action looks up.
    pub max_ips: usize,
    /// When the action must end: IPs not looked up by then get `action_timeout`.
    pub deadline: std::time::Instant,
    /// The action's time limit, in seconds (for messages).
    pub action_timeout_s: u64,
    /// A database built longer ago than this is stale (`None`: never).
    pub max_database_age: Option<Duration>,
}

/// Default of `max_ips`.
pub const DEFAULT_MAX_IPS: u64 = 1_000_000;
/// Default of `action_timeout_s`.
pub const DEFAULT_ACTION_TIMEOUT_S: u64 = 600;

/// Default of `max_attachment_mib`.
pub const DEFAULT_MAX_ATTACHMENT_MIB: u64 = 100;

/// Default of `max_database_age_days`.
pub const DEFAULT_MAX_DATABASE_AGE_DAYS: u64 = 30;

/// What the process's surroundings contribute to the configuration, below the request's own
/// settings: environment variables, then MaxMind's `GeoIP.conf`.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `MAXMIND_DB_DIR`.
    pub db_dir: Option<PathBuf>,
    /// `MAXMIND_ATTACHMENT_DIR`.
    pub attachment_dir: Option<PathBuf>,
    /// `MAXMIND_ACCOUNT_ID`.
    pub account_id: Option<String>,
    /// `MAXMIND_LICENSE_KEY`.
    pub license_key: Secret,
    /// `GeoIP.conf`, if one was found.
    pub geoip_conf: ConfFile,
}

/// The `GeoIP.conf` a process found.
#[derive(Debug, Clone, Default)]
pub enum ConfFile {
    /// None named and none in the default places.
    #[default]
    None,
    /// Read.
    Read(GeoIpConf),
    /// Found but unusable: an error when it was named (flag or env), a warning when it was
    /// only found in a default place.
    Broken {
        /// Whether the analyst named it.
        named: bool,
        /// Why it cannot be used.
        reason: String,
    },
}

impl Environment {
    /// Reads the process environment and `GeoIP.conf`: `conf` (the `--geoip-conf` flag), else
    /// env `GEOIPUPDATE_CONF_FILE`, else the first of the default places that exists.
    pub fn from_process(conf: Option<&Path>) -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let named = conf
            .map(Path::to_owned)
            .or_else(|| std::env::var_os("GEOIPUPDATE_CONF_FILE").map(PathBuf::from));
        let geoip_conf = match GeoIpConf::locate(named.as_deref()) {
            None => ConfFile::None,
            Some(path) => match GeoIpConf::read(&path) {
                Ok(c) => ConfFile::Read(c),
                Err(e) => ConfFile::Broken {
                    named: named.is_some(),
                    reason: e.to_string(),
                },
            },
        };
        Environment {
            db_dir: var("MAXMIND_DB_DIR").map(PathBuf::from),
            attachment_dir: var("MAXMIND_ATTACHMENT_DIR").map(PathBuf::from),
            account_id: var("MAXMIND_ACCOUNT_ID").map(|v| v.to_string_lossy().trim().to_owned()),
            license_key: Secret(
                var("MAXMIND_LICENSE_KEY")
                    .map(|v| v.to_string_lossy().trim().to_owned())
                    .unwrap_or_default(),
            ),
            geoip_conf,
        }
    }

    /// The environment's settings as a configuration layer (`GeoIP.conf` below the variables).
    fn layer(&self) -> Result<(RawConfig, Vec<ErrorBody>), Error> {
        let mut warnings = Vec::new();
        let conf = match &self.geoip_conf {
            ConfFile::None => RawConfig::default(),
            ConfFile::Read(c) => RawConfig {
                account_id: c.account_id.clone(),
                license_key: c.license_key.clone(),
                db_dir: c
                    .database_directory
                    .as_ref()
                    .map(|d| d.to_string_lossy().into_owned()),
                mmdb_filename: match c.database_files() {
                    files if files.is_empty() => OneOrMany::None,
                    files => OneOrMany::Many(files),
                },
                ..RawConfig::default()
            },
            ConfFile::Broken {
                named: true,
                reason,
            } => {
                return Err(invalid("geoip_conf", reason.clone()));
            }
            ConfFile::Broken {
                named: false,
                reason,
            } => {
                warnings.push(ErrorBody::warning(
                    "geoip_conf_ignored",
                    format!("GeoIP.conf was ignored: {reason}"),
                ));
                RawConfig::default()
            }
        };
        let vars = RawConfig {
            account_id: self.account_id.clone(),
            license_key: self.license_key.clone(),
            db_dir: self
                .db_dir
                .as_ref()
                .map(|d| d.to_string_lossy().into_owned()),
            attachment_dir: self
                .attachment_dir
                .as_ref()
                .map(|d| d.to_string_lossy().into_owned()),
            ..RawConfig::default()
        };
        Ok((vars.or(conf), warnings))
    }
}

impl Config {
    /// Validates `raw` over the settings of `env` and applies defaults; unknown keys come back
    /// as warnings.
    pub fn resolve(raw: RawConfig, env: &Environment) -> Result<(Config, Vec<ErrorBody>), Error> {
        let mut warnings: Vec<ErrorBody> = raw
            .unknown
            .keys()
            .map(|k| {
                ErrorBody::warning(
                    "unknown_config_key",
                    format!(
                        "config key {:?} is not known to this version and was ignored",
                        crate::error::shorten(k)
                    ),
                )
            })
            .collect();
        let (lower, env_warnings) = env.layer()?;
        warnings.extend(env_warnings);
        let raw = raw.or(lower);

        let source = match raw
            .source
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("db_file") | Some("db file") => Source::DbFile,
            Some("web_api") | Some("web api") => Source::WebApi,
            Some(other) => {
                return Err(invalid(
                    "source",
                    format!("{other:?} is not a source; expected \"db_file\" or \"web_api\""),
                ));
            }
        };

        let context = match raw.context_type.as_deref() {
            None => Context::City,
            Some(s) => Context::parse(s).ok_or_else(|| {
                invalid(
                    "context_type",
                    format!(
                        "{s:?} is not a context; expected city, country, asn, auto or insights"
                    ),
                )
            })?,
        };

        let locale = match raw.locale.as_deref() {
            None => "en",
            Some(s) => LOCALES
                .iter()
                .find(|l| l.eq_ignore_ascii_case(s) || l.replace('-', "_").eq_ignore_ascii_case(s))
                .copied()
                .ok_or_else(|| {
                    invalid(
                        "locale",
                        format!(
                            "{s:?} is not a MaxMind locale; expected one of {}",
                            LOCALES.join(", ")
                        ),
                    )
                })?,
        };

        let edition = match raw
            .edition
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("geoip2") => Edition::GeoIp2,
            Some("geolite2") => Edition::GeoLite2,
            Some(other) => {
                return Err(invalid(
                    "edition",
                    format!("{other:?} is not an edition; expected \"geoip2\" or \"geolite2\""),
                ));
            }
        };

        if let Some(url) = raw.web_api_url.as_deref() {
            check_web_url(url)?;
        }
        if context == Context::Insights
            && (source == Source::DbFile || edition == Edition::GeoLite2)
        {
            return Err(invalid(
                "context_type",
                "insights is a GeoIP2 web service endpoint: use it with source web_api and edition geoip2".into(),
            ));
        }
        let number = |key: &'static str,
                      value: &Option<String>,
                      default: u64,
                      max: u64|
         -> Result<u64, Error> {
            match value.as_deref() {
                None => Ok(default),
                Some(s) => match s.parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(invalid(
                        key,
                        format!("{s:?} is not a whole number between 1 and {max}"),
                    )),
                },
            }
        };
        let timeout_s = number("timeout_s", &raw.timeout_s, DEFAULT_TIMEOUT_S, 600)?;
        let max_ips = number("max_ips", &raw.max_ips, DEFAULT_MAX_IPS, 100_000_000)? as usize;
        let action_timeout_s = number(
            "action_timeout_s",
            &raw.action_timeout_s,
            DEFAULT_ACTION_TIMEOUT_S,
            86_400,
        )?;
        let tries = number("retries", &raw.retries, u64::from(DEFAULT_TRIES), 10)? as u32;
        let parallel = number(
            "max_parallel_queries",
            &raw.max_parallel_queries,
            DEFAULT_PARALLEL_QUERIES as u64,
            64,
        )? as usize;

        let max_age_days = match raw.max_database_age_days.as_deref() {
            None => DEFAULT_MAX_DATABASE_AGE_DAYS,
            Some(s) => s
                .parse::<u64>()
                .ok()
                .filter(|&d| d <= 36_500)
                .ok_or_else(|| {
                    invalid(
                        "max_database_age_days",
                        format!("{s:?} is not a whole number of days between 0 and 36500"),
                    )
                })?,
        };

        let named_paths = !raw.db_paths.is_empty();
        let files: Vec<PathBuf> = if named_paths {
            raw.db_paths
        } else {
            let names = raw.mmdb_filename.into_vec();
            for name in &names {
                check_file_name(name)?;
            }
            names.into_iter().map(PathBuf::from).collect()
        };
        if source == Source::DbFile && files.is_empty() {
            return Err(invalid(
                "mmdb_filename",
                "no database configured; name an uploaded .mmdb file (or a list of them), or on the command line give --db FILE (or EditionIDs in GeoIP.conf)".into(),
            ));
        }
        if source == Source::WebApi {
            if raw.account_id.is_none() {
                return Err(invalid(
                    "account_id",
                    "the web service needs a MaxMind account ID".into(),
                ));
            }
            if raw.license_key.is_empty() {
                return Err(invalid(
                    "license_key",
                    "the web service needs a MaxMind license key".into(),
                ));
            }
        }

        let use_mapbox = raw.use_mapbox.unwrap_or(false);
        if use_mapbox {
            check_mapbox_token(&raw.mapbox_api_key)?;
        }

        let max_attachment_bytes = match raw.max_attachment_mib.as_deref() {
            None => DEFAULT_MAX_ATTACHMENT_MIB << 20,
            Some(s) => match s.parse::<u64>() {
                Ok(mib) if (1..=1 << 20).contains(&mib) => mib << 20,
                _ => {
                    return Err(invalid(
                        "max_attachment_mib",
                        format!("{s:?} is not a size in MiB between 1 and 1048576"),
                    ));
                }
            },
        };
        let attachment_dir = raw
            .attachment_dir
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));

        let root = raw
            .db_dir
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));

        let config = Config {
            source,
            databases: DbFiles {
                in_memory: raw.databases_in_memory.unwrap_or(false),
                root: (!named_paths).then_some(root),
                files,
            },
            context,
            locale,
            web: WebConfig {
                account_id: raw.account_id,
                license_key: raw.license_key,
                edition,
                url: raw.web_api_url,
                bypass_proxy: raw.bypass_proxy.unwrap_or(false),
                timeout: std::time::Duration::from_secs(timeout_s),
                tries,
                parallel,
            },
            use_mapbox,
            mapbox_api_key: raw.mapbox_api_key,
            attachment_dir,
            max_attachment_bytes,
            max_ips,
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(action_timeout_s),
            action_timeout_s,
            max_database_age: (max_age_days > 0)
                .then(|| Duration::from_secs(max_age_days * 86_400)),
        };
        Ok((config, warnings))
    }
}

/// `https://` anywhere; plain `http://` only to a loopback address (a local test server).
fn check_web_url(url: &str) -> Result<(), Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid("web_api_url", format!("{url:?} is not a URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "web_api_url",
            "must not carry credentials; use account_id and license_key".into(),
        ));
    }
    let loopback = parsed.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(invalid(
            "web_api_url",
            format!("{url:?}: plain http is accepted only for loopback test servers; use https"),
        )),
        other => Err(invalid(
            "web_api_url",
            format!("{url:?}: the scheme {other:?} is not http(s)"),
        )),
    }
}

/// A map in a description is visible to every analyst: only a public (`pk.`) token belongs there.
fn check_mapbox_token(token: &Secret) -> Result<(), Error> {
    let t = token.expose();
    let reason = if t.is_empty() {
        "use_mapbox is on but no Mapbox access token is set"
    } else if t.starts_with("sk.") {
        "is a secret (sk.) token; a description is visible to every analyst, so use a public (pk.) token"
    } else if !t.starts_with("pk.") {
        "is not a Mapbox public token; public tokens start with \"pk.\""
    } else if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        "holds characters no Mapbox token has"
    } else {
        return Ok(());
    };
    Err(invalid("mapbox_api_key", reason.to_owned()))
}

fn invalid(key: &'static str, reason: String) -> Error {
    Error::ConfigInvalid { key, reason }
}

fn check_file_name(name: &str) -> Result<(), Error> {
    crate::paths::check_name(name).map_err(|reason| {
        invalid(
            "mmdb_filename",
            format!("{:?} {reason}", name.escape_debug().to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(json: serde_json::Value) -> Result<(Config, Vec<String>), Error> {
        let raw: RawConfig = serde_json::from_value(json).expect("raw config parses");
        Config::resolve(raw, &Environment::default())
            .map(|(c, w)| (c, w.into_iter().map(|w| w.message).collect()))
    }

    #[test]
    fn defaults_are_db_file_city_english_in_the_current_directory() {
        let (c, warnings) = resolve(serde_json::json!({"mmdb_filename": "a.mmdb"})).unwrap();
        assert_eq!(c.source, Source::DbFile);
        assert_eq!(c.context, Context::City);
        assert_eq!(c.locale, "en");
        assert_eq!(c.databases.root, Some(PathBuf::from(".")));
        assert_eq!(c.databases.files, [PathBuf::from("a.mmdb")]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn platform_strings_are_read_leniently() {
        let (c, _) = resolve(serde_json::json!({
            "mmdb_filename": ["a.mmdb", " ", "b.mmdb"], "use_mapbox": "true",
            "mapbox_api_key": "pk.x", "account_id": 42, "license_key": "", "locale": "pt_br",
            "context_type": "ASN", "web_api_url": ""
        }))
        .unwrap();
        assert_eq!(c.databases.files.len(), 2);
        assert!(c.use_mapbox);
        assert_eq!(c.web.account_id.as_deref(), Some("42"));
        assert_eq!(c.locale, "pt-BR");
        assert_eq!(c.context, Context::Asn);
        assert_eq!(c.web.url, None);
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let (_, warnings) =
            resolve(serde_json::json!({"mmdb_filename": "a.mmdb", "colour": "red"})).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"colour\""));
    }

    #[test]
    fn bad_values_name_their_key() {
        let key = |json| match resolve(json) {
            Err(Error::ConfigInvalid { key, .. }) => key,
            other => panic!("expected config_invalid, got {other:?}"),
        };
        use serde_json::json;
        assert_eq!(
            key(json!({"mmdb_filename": "a", "source": "ftp"})),
            "source"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "context_type": "zip"})),
            "context_type"
        );
        assert_eq!(key(json!({"mmdb_filename": "a", "locale": "xx"})), "locale");
        assert_eq!(
            key(json!({"mmdb_filename": "a", "edition": "gold"})),
            "edition"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "web_api_url": "ftp://x"})),
            "web_api_url"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "web_api_url": "http://geoip.maxmind.com"})),
            "web_api_url"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "web_api_url": "https://u:LK@geoip.maxmind.com"})),
            "web_api_url"
        );
        assert_eq!(
            key(
                json!({"source": "web_api", "account_id": "1", "license_key": "k",
                       "edition": "geolite2", "context_type": "insights"})
            ),
            "context_type"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "timeout_s": "0"})),
            "timeout_s"
        );
        assert_eq!(key(json!({})), "mmdb_filename");
        assert_eq!(
            key(json!({"mmdb_filename": "../etc/passwd"})),
            "mmdb_filename"
        );
        assert_eq!(key(json!({"mmdb_filename": "a\\b.mmdb"})), "mmdb_filename");
        assert_eq!(
            key(json!({"mmdb_filename": "a\u{0}.mmdb"})),
            "mmdb_filename"
        );
        assert_eq!(key(json!({"source": "web_api"})), "account_id");
        assert_eq!(
            key(json!({"source": "web_api", "account_id": "1"})),
            "license_key"
        );
        assert_eq!(
            key(json!({"mmdb_filename": "a", "use_mapbox": true})),
            "mapbox_api_key"
        );
    }

    #[test]
    fn secrets_never_print() {
        let (c, _) = resolve(serde_json::json!({
            "mmdb_filename": "a", "license_key": "LK-SECRET-123", "use_mapbox": true,
            "mapbox_api_key": "pk.SECRET456"
        }))
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(c.web.license_key.expose(), "LK-SECRET-123");
    }

    #[test]
    fn keys_lists_every_field() {
        let mut keys = RawConfig::keys();
        keys.sort();
        let mut expected = [
            "source",
            "mmdb_filename",
            "db_dir",
            "context_type",
            "locale",
            "account_id",
            "license_key",
            "edition",
            "web_api_url",
            "use_mapbox",
            "mapbox_api_key",
            "bypass_proxy",
            "attachment_dir",
            "max_attachment_mib",
            "timeout_s",
            "retries",
            "max_parallel_queries",
            "max_ips",
            "action_timeout_s",
            "databases_in_memory",
            "max_database_age_days",
        ];
        expected.sort();
        assert_eq!(keys, expected);
    }
}
