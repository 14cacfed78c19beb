//! The operation's configuration: the raw values of each source of settings ([`Layer`]s, read
//! by the one table of settings in [`settings`]) and the resolved, validated settings the core
//! runs on ([`Config`]).
//!
//! Every setting is taken from the first source that has it: command-line flags, the
//! request's `config`, the environment, then MaxMind's `GeoIP.conf`. The platform sends every
//! field of its page, set or not, and some platforms send booleans and numbers as strings: an
//! empty string is "not set", and `"true"`/`"false"` are booleans. Unknown keys are reported
//! as warnings (with the closest known key) rather than refused.

pub mod geoip_conf;
pub mod settings;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub use geoip_conf::GeoIpConf;
pub use settings::{From, LOCALES, Layer, Parsed, lenient_bool};

use crate::error::Error;

/// A value that must never be printed: `Debug` shows `[redacted]`.
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

/// Something about the configuration worth telling, that did not stop the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable snake_case code.
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
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

    fn from_name(name: &str) -> Context {
        match name {
            "country" => Context::Country,
            "asn" => Context::Asn,
            "auto" => Context::Auto,
            "insights" => Context::Insights,
            _ => Context::City,
        }
    }
}

/// The MaxMind web service's editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// GeoIP2 (paid): geoip.maxmind.com.
    GeoIp2,
    /// GeoLite2 (free): geolite.info.
    GeoLite2,
}

/// The database files of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbFiles {
    /// Read each file whole instead of mapping it.
    pub in_memory: bool,
    /// The folder the names are in; `None`: the names are paths, used as given.
    pub root: Option<PathBuf>,
    /// Whether each name must stay inside `root` (names that come from the platform).
    pub confine: bool,
    /// The names, in precedence order.
    pub files: Vec<PathBuf>,
}

/// The web service's settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The account.
    pub account_id: Option<String>,
    /// The license key.
    pub license_key: Secret,
    /// The edition.
    pub edition: Edition,
    /// The base URL, when it is not the edition's.
    pub url: Option<String>,
    /// Whether requests ignore the environment's proxy settings.
    pub bypass_proxy: bool,
    /// How long one request may take.
    pub timeout: Duration,
    /// Tries per query.
    pub tries: u32,
    /// Queries in flight at once.
    pub parallel: usize,
    /// The most bytes read of one answer.
    pub max_response_bytes: usize,
}

impl WebConfig {
    /// The service's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        match (&self.url, self.edition) {
            (Some(url), _) => url.trim_end_matches('/'),
            (None, Edition::GeoIp2) => "https://geoip.maxmind.com",
            (None, Edition::GeoLite2) => "https://geolite.info",
        }
    }
}

/// The cache of web answers that every action on the machine shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// The SQLite file; `None` when no setting, variable or home folder gives a place for it.
    pub path: Option<PathBuf>,
    /// How long an answer is reused; zero turns the cache off.
    pub ttl: Duration,
    /// The most bytes its entries may take before the oldest go.
    pub max_bytes: u64,
}

/// The cache file's name under the user's cache folder.
const CACHE_FILE: [&str; 2] = ["maxmind-geolocate", "web-cache.sqlite3"];

/// Who reads the messages: an admin configuring the platform's page, or an analyst at the
/// command line. A message names what its reader can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Plugin mode: name the configuration keys.
    Platform,
    /// The command line: name the flags too.
    CommandLine,
}

/// The resolved, validated settings of one action.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where records come from.
    pub source: Source,
    /// The database files.
    pub databases: DbFiles,
    /// What is asked of the data.
    pub context: Context,
    /// The language of names, one of [`LOCALES`].
    pub locale: &'static str,
    /// The web service.
    pub web: WebConfig,
    /// The cache of web answers.
    pub cache: CacheConfig,
    /// Whether Lookup All Related IPs draws the offline map (when it makes no Mapbox map).
    pub offline_map: bool,
    /// Whether Lookup All Related IPs adds a Mapbox map (it warns and draws the offline map
    /// instead when [`Config::mapbox_api_key`] is empty).
    pub use_mapbox: bool,
    /// The Mapbox token: empty, or a public (`pk.`) token.
    pub mapbox_api_key: Secret,
    /// The folder attachment paths stay inside.
    pub attachment_dir: PathBuf,
    /// The largest attachment content read.
    pub max_attachment_bytes: u64,
    /// The most bytes the document layer decodes from one attachment.
    pub max_decoded_bytes: u64,
    /// The most distinct IPs one action looks up.
    pub max_ips: usize,
    /// When the action must end.
    pub deadline: Instant,
    /// The action's time limit, in seconds (for messages).
    pub action_timeout_s: u64,
    /// A database built longer ago adds a `database_stale` warning; `None` never warns.
    pub max_database_age: Option<Duration>,
}

/// What the process's surroundings contribute to the configuration, below the request's own
/// settings: environment variables, then MaxMind's `GeoIP.conf`.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The values of the environment variables of the settings table.
    env: Layer,
    /// What `GeoIP.conf` holds, if one was found.
    conf: ConfFile,
    /// The user's cache folder: `$XDG_CACHE_HOME` (when absolute), else `$HOME/.cache`.
    cache_home: Option<PathBuf>,
}

/// The `GeoIP.conf` of the process.
#[derive(Debug, Clone, Default)]
enum ConfFile {
    #[default]
    None,
    Read(Box<GeoIpConf>),
    /// A file that cannot be used: named by a flag or `GEOIPUPDATE_CONF_FILE` (an error), or
    /// found in a default place (a warning).
    Broken {
        named: bool,
        reason: String,
    },
}

impl Environment {
    /// The environment of this process; `conf` is the `GeoIP.conf` named on the command line.
    pub fn from_process(conf: Option<&Path>) -> Self {
        Self::from_vars(conf, |name| std::env::var_os(name))
    }

    /// The environment `var` reads (tests give their own).
    pub fn from_vars(
        conf: Option<&Path>,
        var: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Self {
        let mut env = Layer::default();
        for setting in settings::SETTINGS {
            let Some(name) = setting.env else { continue };
            let Some(value) = var(name).filter(|v| !v.is_empty()) else {
                continue;
            };
            // A value of the wrong form in the environment is left out (the next source may
            // set it); the request and flags are checked strictly.
            let _ = env.set(
                setting.key,
                &Value::String(value.to_string_lossy().into_owned()),
                From::Env,
            );
        }
        let named = conf
            .map(Path::to_owned)
            .or_else(|| var("GEOIPUPDATE_CONF_FILE").map(PathBuf::from));
        let conf = match GeoIpConf::locate(named.as_deref()) {
            None => ConfFile::None,
            Some(path) => match GeoIpConf::read(&path) {
                Ok(c) => ConfFile::Read(Box::new(c)),
                Err(e) => ConfFile::Broken {
                    named: named.is_some(),
                    reason: e.to_string(),
                },
            },
        };
        let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        // A relative XDG_CACHE_HOME is ignored, as the XDG specification asks.
        let cache_home = set("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| set("HOME").map(|home| home.join(".cache")));
        Environment {
            env,
            conf,
            cache_home,
        }
    }

    /// The cache settings of `flags` over this environment, without a request (the `cache`
    /// command).
    pub fn cache(&self, flags: &Layer) -> Result<CacheConfig, Error> {
        let (lower, _) = self.layer()?;
        Ok(cache_config(&flags.clone().over(&lower), self))
    }

    /// The environment's layer over `GeoIP.conf`'s, and warnings about the file.
    fn layer(&self) -> Result<(Layer, Vec<Warning>), Error> {
        let mut conf = Layer::default();
        let mut warnings = Vec::new();
        match &self.conf {
            ConfFile::None => {}
            ConfFile::Read(file) => {
                for setting in settings::SETTINGS {
                    if let Some(value) = setting.geoip_conf.and_then(|f| file.value(f)) {
                        let _ = conf.set(setting.key, &value, From::GeoIpConf);
                    }
                }
            }
            ConfFile::Broken {
                named: true,
                reason,
            } => return Err(invalid("geoip_conf", reason.clone())),
            ConfFile::Broken {
                named: false,
                reason,
            } => warnings.push(Warning {
                code: "geoip_conf_ignored",
                message: format!("GeoIP.conf was ignored: {reason}"),
            }),
        }
        Ok((self.env.clone().over(&conf), warnings))
    }
}

/// The settings of a request's `config`, and a warning for each key this version does not
/// know (with the closest known key). The warnings are kept even when a value is refused.
pub fn read_request(config: &Map<String, Value>) -> (Result<Layer, Error>, Vec<Warning>) {
    let mut layer = Layer::default();
    let mut warnings = Vec::new();
    let mut refused = None;
    let keys = settings::keys();
    for (key, value) in config {
        match layer.set(key, value, From::Request) {
            Ok(true) => {}
            Ok(false) => warnings.push(Warning {
                code: "unknown_config_key",
                message: format!(
                    "config key {:?} is not known to this version and was ignored{}",
                    crate::error::shorten(key),
                    settings::did_you_mean(key, &keys)
                ),
            }),
            Err(e) => {
                refused.get_or_insert(invalid(e.key, e.reason));
            }
        }
    }
    match refused {
        Some(e) => (Err(e), warnings),
        None => (Ok(layer), warnings),
    }
}

/// The settings of command-line flags: `(key, values)` pairs, each value as typed.
pub fn read_flags(flags: &[(&'static str, Vec<String>)]) -> Result<Layer, Error> {
    let mut layer = Layer::default();
    for (key, values) in flags {
        let raw = match values.as_slice() {
            [one] if settings::setting(key).is_none_or(|s| s.kind != settings::Kind::List) => {
                Value::String(one.clone())
            }
            many => Value::Array(many.iter().cloned().map(Value::String).collect()),
        };
        layer
            .set(key, &raw, From::Flag)
            .map_err(|e| invalid(e.key, e.reason))?;
    }
    Ok(layer)
}

impl Config {
    /// Resolves the settings of `flags` over `request` over `env`, for `audience`.
    pub fn resolve(
        flags: &Layer,
        request: &Layer,
        env: &Environment,
        audience: Audience,
    ) -> Result<(Config, Vec<Warning>), Error> {
        let (lower, mut warnings) = env.layer()?;
        let values = flags.clone().over(request).over(&lower);
        let get = |key: &str| values.get(key);
        let text = |key: &str| match get(key) {
            Some((Parsed::Text(t), _)) => Some(t.clone()),
            _ => None,
        };
        let secret = |key: &str| match get(key) {
            Some((Parsed::Secret(s), _)) => s.clone(),
            _ => Secret::default(),
        };
        let flag = |key: &str| match get(key) {
            Some((Parsed::Bool(b), _)) => *b,
            _ => settings::setting(key).is_some_and(|s| s.default == "true"),
        };
        let number = |key: &str| number_setting(&values, key);
        let choice = |key: &str| {
            text(key).unwrap_or_else(|| {
                settings::setting(key)
                    .map(|s| s.default.trim_matches('"').to_owned())
                    .unwrap_or_default()
            })
        };

        let source = match choice("source").as_str() {
            "web_api" => Source::WebApi,
            _ => Source::DbFile,
        };
        let context = Context::from_name(&choice("context_type"));
        let locale = LOCALES
            .iter()
            .map(|(l, _)| *l)
            .find(|l| *l == choice("locale"))
            .unwrap_or("en");
        let edition = match choice("edition").as_str() {
            "geolite2" => Edition::GeoLite2,
            _ => Edition::GeoIp2,
        };
        let web_url = text("web_api_url");
        if let Some(url) = &web_url {
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

        let databases = db_files(&values, flag("databases_in_memory"))?;
        if source == Source::DbFile && databases.files.is_empty() {
            let how = match (audience, text("db_dir")) {
                (Audience::Platform, _) => {
                    "no database is configured: name the uploaded .mmdb file (or a list of them)"
                        .to_owned()
                }
                (Audience::CommandLine, Some(dir)) => in_folder(Path::new(&dir)),
                (Audience::CommandLine, None) => {
                    "no database configured: give --db FILE (or set EditionIDs in GeoIP.conf)"
                        .to_owned()
                }
            };
            return Err(invalid("mmdb_filename", how));
        }
        let account_id = text("account_id");
        let license_key = secret("license_key");
        if let Some(url) = &web_url {
            check_credentials_go_home(url, get("web_api_url"), get("license_key"))?;
        }
        if source == Source::WebApi {
            if account_id.is_none() {
                return Err(invalid(
                    "account_id",
                    "the web service needs a MaxMind account ID".into(),
                ));
            }
            if license_key.is_empty() {
                return Err(invalid(
                    "license_key",
                    "the web service needs a MaxMind license key".into(),
                ));
            }
        }
        let mut use_mapbox = flag("use_mapbox");
        let mapbox_api_key = secret("mapbox_api_key");
        // Without a token the action warns and draws the offline map; a token that must not
        // be shown to every analyst is never used: Mapbox is off for the action, which says
        // so and runs on (its lookups do not need the map).
        if use_mapbox && !mapbox_api_key.is_empty() {
            if let Err(reason) = check_mapbox_token(&mapbox_api_key) {
                use_mapbox = false;
                warnings.push(Warning {
                    code: "mapbox_token_invalid",
                    message: format!(
                        "mapbox_api_key {reason}; no Mapbox map was made (the offline map is drawn when it is on)"
                    ),
                });
            }
        }
        let action_timeout_s = number("action_timeout_s");
        let max_age_days = number("max_database_age_days");
        let config = Config {
            source,
            databases,
            context,
            locale,
            web: WebConfig {
                account_id,
                license_key,
                edition,
                url: web_url,
                bypass_proxy: flag("bypass_proxy"),
                timeout: Duration::from_secs(number("timeout_s")),
                tries: u32::try_from(number("retries")).unwrap_or(3),
                parallel: usize::try_from(number("max_parallel_queries")).unwrap_or(8),
                max_response_bytes: usize::try_from(number("max_response_kib") << 10)
                    .unwrap_or(usize::MAX),
            },
            cache: cache_config(&values, env),
            offline_map: flag("offline_map"),
            use_mapbox,
            mapbox_api_key,
            attachment_dir: PathBuf::from(text("attachment_dir").unwrap_or_else(|| ".".into())),
            max_attachment_bytes: number("max_attachment_mib") << 20,
            max_decoded_bytes: number("max_decoded_mib") << 20,
            max_ips: usize::try_from(number("max_ips")).unwrap_or(usize::MAX),
            deadline: Instant::now() + Duration::from_secs(action_timeout_s),
            action_timeout_s,
            max_database_age: (max_age_days > 0)
                .then(|| Duration::from_secs(max_age_days * 86_400)),
        };
        Ok((config, warnings))
    }
}

/// The number setting `key` in `values`, else its default.
fn number_setting(values: &Layer, key: &str) -> u64 {
    match values.get(key) {
        Some((Parsed::Number(n), _)) => *n,
        _ => settings::setting(key)
            .and_then(|s| s.default.parse().ok())
            .unwrap_or(0),
    }
}

/// The web cache's settings: `cache_path` (flag, request, env `MAXMIND_GEOLOCATE_CACHE`), else
/// the file in the user's cache folder.
fn cache_config(values: &Layer, env: &Environment) -> CacheConfig {
    let number = |key: &str| number_setting(values, key);
    let path = match values.get("cache_path") {
        Some((Parsed::Text(path), _)) => Some(PathBuf::from(path)),
        _ => env
            .cache_home
            .as_ref()
            .map(|home| CACHE_FILE.iter().fold(home.clone(), |p, part| p.join(part))),
    };
    CacheConfig {
        path,
        ttl: Duration::from_secs(number("cache_ttl_s")),
        max_bytes: number("cache_max_mib") << 20,
    }
}

/// The database files the settings name: names from the platform (or `GeoIP.conf`) confined to
/// `db_dir`; files named by `--db` used as given, or looked up in `--db-dir` when it is given.
fn db_files(values: &Layer, in_memory: bool) -> Result<DbFiles, Error> {
    let (names, from) = match values.get("mmdb_filename") {
        Some((Parsed::List(names), from)) => (names.clone(), *from),
        _ => (Vec::new(), From::Request),
    };
    let dir = match values.get("db_dir") {
        Some((Parsed::Text(dir), from)) => Some((PathBuf::from(dir), *from)),
        _ => None,
    };
    let (root, confine) = match (from, dir) {
        (From::Flag, Some((dir, From::Flag))) => (Some(dir), false),
        (From::Flag, _) => (None, false),
        (_, dir) => (
            Some(dir.map_or_else(|| PathBuf::from("."), |(d, _)| d)),
            true,
        ),
    };
    if confine {
        for name in &names {
            check_file_name(name)?;
        }
    }
    Ok(DbFiles {
        in_memory,
        root,
        confine,
        files: names.into_iter().map(PathBuf::from).collect(),
    })
}

/// What to give with `--db-dir DIR` and no `--db`: the `.mmdb` files in the folder, by name.
fn in_folder(dir: &Path) -> String {
    let shown = crate::paths::shown(dir);
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .take(10_000)
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".mmdb"))
            .collect(),
        Err(e) => {
            return format!(
                "no database configured, and the folder {shown} cannot be read: {}",
                crate::paths::io_reason(&e)
            );
        }
    };
    names.sort_unstable();
    match names.as_slice() {
        [] => format!("no database configured, and the folder {shown} holds no .mmdb file"),
        [first, ..] => {
            let first = names.iter().find(|n| n.contains("City")).unwrap_or(first);
            let listed: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
            format!(
                "no database configured: --db-dir {shown} says where, --db NAME which; it holds {}{} (e.g. --db {first})",
                listed.join(", "),
                if names.len() > 8 { ", …" } else { "" }
            )
        }
    }
}

/// MaxMind's own web service hosts.
const MAXMIND_HOSTS: [&str; 2] = ["maxmind.com", "geolite.info"];

/// Credentials from the environment or `GeoIP.conf` (the machine's) go only to MaxMind's own
/// hosts, or to a `web_api_url` the machine's user set (in the environment, `GeoIP.conf` or a
/// flag): a request must not send them elsewhere.
fn check_credentials_go_home(
    url: &str,
    url_set: Option<&(Parsed, From)>,
    key_set: Option<&(Parsed, From)>,
) -> Result<(), Error> {
    let (Some((_, url_from)), Some((Parsed::Secret(key), key_from))) = (url_set, key_set) else {
        return Ok(());
    };
    // A flag is the user at the machine: their own choice. A request comes from elsewhere.
    let machines = matches!(key_from, From::Env | From::GeoIpConf);
    if key.is_empty() || !machines || *url_from != From::Request {
        return Ok(());
    }
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let maxmind = MAXMIND_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")));
    if maxmind {
        return Ok(());
    }
    let place = match key_from {
        From::Env => "the environment",
        _ => "GeoIP.conf",
    };
    Err(invalid(
        "web_api_url",
        format!(
            "{:?} is not a MaxMind host, and the license key comes from {place}: such a \
             key is sent only to MaxMind's hosts or to a web_api_url set on this machine \
             (environment, GeoIP.conf or a flag); give account_id and license_key in the \
             config too",
            crate::error::shorten(url)
        ),
    ))
}

fn check_web_url(url: &str) -> Result<(), Error> {
    let shown = crate::error::shorten(url);
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| invalid("web_api_url", format!("{shown:?} is not a URL: {e}")))?;
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
            format!("{shown:?}: plain http is accepted only for loopback test servers; use https"),
        )),
        other => Err(invalid(
            "web_api_url",
            format!("{shown:?}: the scheme {other:?} is not http(s)"),
        )),
    }
}

/// A map in a description is visible to every analyst: only a public (`pk.`) token belongs
/// there. Why `token` is not one, if it is not.
fn check_mapbox_token(token: &Secret) -> Result<(), &'static str> {
    let t = token.expose();
    let reason = if t.starts_with("sk.") {
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
    Err(reason)
}

fn invalid(key: &'static str, reason: String) -> Error {
    Error::ConfigInvalid { key, reason }
}

fn check_file_name(name: &str) -> Result<(), Error> {
    crate::paths::check_name(name).map_err(|reason| {
        invalid(
            "mmdb_filename",
            format!(
                "{:?} {reason}",
                crate::error::shorten(&name.escape_debug().to_string())
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn resolve(config: Value) -> Result<(Config, Vec<String>), Error> {
        let Value::Object(map) = config else {
            panic!("a config is an object")
        };
        let (layer, mut warnings) = read_request(&map);
        let env = Environment::from_vars(Some(Path::new("")), |_| None);
        let (config, more) = Config::resolve(&Layer::default(), &layer?, &env, Audience::Platform)?;
        warnings.extend(more);
        Ok((config, warnings.into_iter().map(|w| w.message).collect()))
    }

    #[test]
    fn defaults_are_db_file_city_english_in_the_current_directory() {
        let (c, warnings) = resolve(json!({"mmdb_filename": "a.mmdb"})).unwrap();
        assert_eq!(c.source, Source::DbFile);
        assert_eq!(c.context, Context::City);
        assert_eq!(c.locale, "en");
        assert_eq!(c.databases.root, Some(PathBuf::from(".")));
        assert!(c.databases.confine);
        assert_eq!(c.databases.files, [PathBuf::from("a.mmdb")]);
        assert_eq!(c.web.timeout, Duration::from_secs(10));
        assert_eq!(c.max_attachment_bytes, 100 << 20);
        assert_eq!(c.max_database_age, Some(Duration::from_secs(30 * 86_400)));
        assert!(warnings.is_empty());
    }

    #[test]
    fn platform_strings_are_read_leniently() {
        let (c, _) = resolve(json!({
            "mmdb_filename": ["a.mmdb", " ", "b.mmdb"], "use_mapbox": "true",
            "mapbox_api_key": "pk.x", "account_id": 42, "license_key": "", "locale": "pt_br",
            "context_type": "ASN", "web_api_url": "", "max_database_age_days": "0"
        }))
        .unwrap();
        assert_eq!(c.databases.files.len(), 2);
        assert!(c.use_mapbox);
        assert_eq!(c.web.account_id.as_deref(), Some("42"));
        assert_eq!(c.locale, "pt-BR");
        assert_eq!(c.context, Context::Asn);
        assert_eq!(c.web.url, None);
        assert_eq!(c.max_database_age, None);
    }

    #[test]
    fn unknown_keys_are_warnings_that_suggest_the_key_meant() {
        let (_, warnings) = resolve(json!({"mmdb_filename": "a.mmdb", "colour": "red"})).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"colour\""));
        let (layer, warnings) = read_request(
            json!({"mmdb_filenme": "a.mmdb", "locale": "xx"})
                .as_object()
                .unwrap(),
        );
        assert!(layer.is_err(), "the bad locale is refused");
        assert_eq!(warnings.len(), 1, "and the misspelt key still reported");
        assert!(
            warnings[0]
                .message
                .contains("did you mean \"mmdb_filename\""),
            "{}",
            warnings[0].message
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let key = |config| match resolve(config) {
            Err(Error::ConfigInvalid { key, .. }) => key,
            other => panic!("expected config_invalid, got {other:?}"),
        };
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
        assert_eq!(
            key(json!({"mmdb_filename": "a", "use_mapbox": [true]})),
            "use_mapbox"
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
    }

    #[test]
    fn a_token_that_is_not_public_turns_mapbox_off_with_a_warning() {
        for token in ["sk.secret", "tk.other", "pk.with space"] {
            let (c, warnings) =
                resolve(json!({"mmdb_filename": "a", "use_mapbox": true, "mapbox_api_key": token}))
                    .unwrap();
            assert!(!c.use_mapbox, "{token}");
            assert_eq!(warnings.len(), 1);
            assert!(warnings[0].starts_with("mapbox_api_key "), "{warnings:?}");
            assert!(!warnings[0].contains(token), "the token is not echoed");
        }
    }

    #[test]
    fn mapbox_without_a_token_is_not_an_error_and_the_offline_map_is_on_by_default() {
        let (c, _) = resolve(json!({"mmdb_filename": "a", "use_mapbox": true})).unwrap();
        assert!(c.use_mapbox && c.mapbox_api_key.is_empty());
        assert!(c.offline_map);
        let (c, _) = resolve(json!({"mmdb_filename": "a", "offline_map": "false"})).unwrap();
        assert!(!c.offline_map);
    }

    #[test]
    fn a_platform_message_names_the_key_and_never_a_flag() {
        match resolve(json!({})) {
            Err(e @ Error::ConfigInvalid { .. }) => {
                let text = e.to_string();
                assert!(text.contains("mmdb_filename"), "{text}");
                assert!(
                    !text.contains("--") && !text.contains("GeoIP.conf"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secrets_never_print() {
        let (c, _) = resolve(json!({
            "mmdb_filename": "a", "license_key": "LK-SECRET-123", "use_mapbox": true,
            "mapbox_api_key": "pk.SECRET456"
        }))
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(c.web.license_key.expose(), "LK-SECRET-123");
    }

    #[test]
    fn flags_win_over_the_request_and_the_environment_fills_the_rest() {
        let flags = read_flags(&[
            ("locale", vec!["de".into()]),
            ("mmdb_filename", vec!["x/a.mmdb".into()]),
        ])
        .unwrap();
        let (request, _) = read_request(
            json!({"locale": "fr", "timeout_s": 20})
                .as_object()
                .unwrap(),
        );
        let env = Environment::from_vars(Some(Path::new("")), |name| {
            (name == "MAXMIND_ACCOUNT_ID").then(|| "77".into())
        });
        let (c, _) =
            Config::resolve(&flags, &request.unwrap(), &env, Audience::CommandLine).unwrap();
        assert_eq!(c.locale, "de");
        assert_eq!(c.web.timeout, Duration::from_secs(20));
        assert_eq!(c.web.account_id.as_deref(), Some("77"));
        // A file named by a flag is a path, used as given.
        assert_eq!((c.databases.root, c.databases.confine), (None, false));
    }

    #[test]
    fn the_cache_is_named_then_in_xdg_cache_home_then_in_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            Environment::from_vars(Some(Path::new("")), move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).into())
            })
        };
        let web = json!({"source": "web_api", "account_id": "1", "license_key": "k"});
        let resolve_in = |env: &Environment, config: &Value| {
            let (layer, _) = read_request(config.as_object().unwrap());
            let (c, _) =
                Config::resolve(&Layer::default(), &layer.unwrap(), env, Audience::Platform)
                    .unwrap();
            c.cache
        };
        let all = env(&[
            ("MAXMIND_GEOLOCATE_CACHE", "/srv/geo/cache.db"),
            ("XDG_CACHE_HOME", "/xdg"),
            ("HOME", "/home/a"),
        ]);
        let c = resolve_in(&all, &web);
        assert_eq!(c.path, Some(PathBuf::from("/srv/geo/cache.db")));
        assert_eq!(c.ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(c.max_bytes, 256 << 20);
        let mut configured = web.clone();
        configured["cache_path"] = json!("here.sqlite3");
        configured["cache_ttl_s"] = json!("0");
        configured["cache_max_mib"] = json!(3);
        let c = resolve_in(&all, &configured);
        assert_eq!(c.path, Some(PathBuf::from("here.sqlite3")));
        assert_eq!((c.ttl, c.max_bytes), (Duration::ZERO, 3 << 20));
        let xdg = env(&[("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/a")]);
        assert_eq!(
            resolve_in(&xdg, &web).path,
            Some(PathBuf::from("/xdg/maxmind-geolocate/web-cache.sqlite3"))
        );
        // Empty values are unset; a relative XDG_CACHE_HOME is ignored, as the XDG spec says.
        let home = env(&[
            ("MAXMIND_GEOLOCATE_CACHE", ""),
            ("XDG_CACHE_HOME", "relative"),
            ("HOME", "/home/a"),
        ]);
        assert_eq!(
            resolve_in(&home, &web).path,
            Some(PathBuf::from(
                "/home/a/.cache/maxmind-geolocate/web-cache.sqlite3"
            ))
        );
        assert_eq!(resolve_in(&env(&[("HOME", "")]), &web).path, None);
        // The `cache` command: flags over the environment, no request.
        let flags = read_flags(&[("cache_path", vec!["/flag.sqlite3".into()])]).unwrap();
        assert_eq!(
            all.cache(&flags).unwrap().path,
            Some(PathBuf::from("/flag.sqlite3"))
        );
        assert_eq!(
            all.cache(&Layer::default()).unwrap().path,
            Some(PathBuf::from("/srv/geo/cache.db"))
        );
    }

    #[test]
    fn a_flag_database_is_looked_up_in_the_flag_folder() {
        let flags = read_flags(&[
            ("mmdb_filename", vec!["GeoIP2-City.mmdb".into()]),
            ("db_dir", vec!["/var/lib/GeoIP".into()]),
        ])
        .unwrap();
        let env = Environment::from_vars(Some(Path::new("")), |_| None);
        let (c, _) =
            Config::resolve(&flags, &Layer::default(), &env, Audience::CommandLine).unwrap();
        assert_eq!(c.databases.root, Some(PathBuf::from("/var/lib/GeoIP")));
        assert!(!c.databases.confine);
    }
}
