//! The one table of settings: every configuration key declared once — its type and range, its
//! default, the environment variable and `GeoIP.conf` setting it may come from, its
//! command-line flag, and its field on the platform's configuration page (label, help, choices).
//!
//! The table drives reading a request's `config`, the layers of the other sources, validation
//! of each value, the command-line flags (see `cli`), and the manifest's `user_fields`
//! ([`manifest_fields`], held to `manifest.yaml` by a test).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Secret;

/// One setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The key in a request's `config` and the field's name on the configuration page.
    pub key: &'static str,
    /// Its type, and what values it takes.
    pub kind: Kind,
    /// The default the configuration page shows, as JSON text.
    pub default: &'static str,
    /// The environment variable it is read from when neither a flag nor the request sets it.
    pub env: Option<&'static str>,
    /// The `GeoIP.conf` setting it is read from after that.
    pub geoip_conf: Option<ConfField>,
    /// Its command-line flag.
    pub flag: Option<Flag>,
    /// The field's label on the configuration page.
    pub label: &'static str,
    /// What it does, for the configuration page and `--help`.
    pub help: &'static str,
    /// The page shows the field only when another field has this value.
    pub show_when: Option<(&'static str, &'static str)>,
}

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text.
    Text,
    /// A secret text: never printed.
    Password,
    /// A boolean; platforms send `true`, `"true"`, `"yes"`, `1`, …
    Bool,
    /// A whole number in a range; platforms may send it as text.
    Number {
        /// The smallest value.
        min: u64,
        /// The largest value.
        max: u64,
    },
    /// One of a few values (each with its label on the page); `noun` names what it is.
    Select {
        /// What a value is, for messages (`a context`).
        noun: &'static str,
        /// The values and their labels.
        options: &'static [(&'static str, &'static str)],
    },
    /// One name or a list of names.
    List,
}

/// A `GeoIP.conf` setting (as `geoipupdate` reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfField {
    /// `AccountID` (or the older `UserId`).
    AccountId,
    /// `LicenseKey`.
    LicenseKey,
    /// `DatabaseDirectory`.
    DatabaseDirectory,
    /// `EditionIDs` (or the older `ProductIds`): the files `<EditionID>.mmdb`.
    EditionIds,
}

/// A setting's command-line flag.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// `--long`.
    pub long: &'static str,
    /// `-s`, for the most used.
    pub short: Option<char>,
    /// What its value is called in `--help`; `None` for a switch that sets [`Flag::sets`].
    pub value_name: Option<&'static str>,
    /// A switch's value.
    pub sets: &'static str,
    /// Whether it may be given several times (a list).
    pub repeat: bool,
}

const fn flag(long: &'static str, value_name: &'static str) -> Option<Flag> {
    Some(Flag {
        long,
        short: None,
        value_name: Some(value_name),
        sets: "",
        repeat: false,
    })
}

const fn switch(long: &'static str, sets: &'static str) -> Option<Flag> {
    Some(Flag {
        long,
        short: None,
        value_name: None,
        sets,
        repeat: false,
    })
}

const NO: Setting = Setting {
    key: "",
    kind: Kind::Text,
    default: "\"\"",
    env: None,
    geoip_conf: None,
    flag: None,
    label: "",
    help: "",
    show_when: None,
};

const CONTEXTS: &[(&str, &str)] = &[
    ("city", "City"),
    ("country", "Country"),
    ("asn", "ASN"),
    ("auto", "Auto"),
    ("insights", "Insights (GeoIP2 web service only)"),
];

/// The locales of MaxMind's data, and their names on the page.
pub const LOCALES: &[(&str, &str)] = &[
    ("de", "German"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("ja", "Japanese"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("ru", "Russian"),
    ("zh-CN", "Chinese (Simplified)"),
];

const WEB: Option<(&str, &str)> = Some(("source", "web_api"));
const FILES: Option<(&str, &str)> = Some(("source", "db_file"));

/// Every setting, in the order of the configuration page.
pub static SETTINGS: &[Setting] = &[
    Setting {
        key: "source",
        kind: Kind::Select {
            noun: "source",
            options: &[("db_file", "DB File"), ("web_api", "Web API")],
        },
        default: "\"db_file\"",
        flag: switch("web", "web_api"),
        label: "Source",
        help: "Where the records come from: uploaded MaxMind DB files, or the MaxMind GeoIP2 web service (each IP is a paid query).",
        ..NO
    },
    Setting {
        key: "mmdb_filename",
        kind: Kind::List,
        default: "\"GeoLite2-City.mmdb\"",
        geoip_conf: Some(ConfField::EditionIds),
        flag: Some(Flag {
            long: "db",
            short: Some('d'),
            value_name: Some("FILE"),
            sets: "",
            repeat: true,
        }),
        label: "MMDB Filename",
        help: "The uploaded MaxMind DB file to read, or several (one per line); on a field present in several, the file listed first wins.",
        show_when: FILES,
        ..NO
    },
    Setting {
        key: "db_dir",
        env: Some("MAXMIND_DB_DIR"),
        geoip_conf: Some(ConfField::DatabaseDirectory),
        flag: flag("db-dir", "DIR"),
        label: "Database Folder",
        help: "The folder of uploaded database files. Empty: the MAXMIND_DB_DIR environment variable, else the operation's working directory.",
        show_when: FILES,
        ..NO
    },
    Setting {
        key: "databases_in_memory",
        kind: Kind::Bool,
        default: "false",
        flag: switch("in-memory", "true"),
        label: "Read databases into memory",
        help: "Read database files whole instead of memory-mapping them: a little slower to start, but safe when uploads overwrite a file in place while an action reads it.",
        show_when: FILES,
        ..NO
    },
    Setting {
        key: "context_type",
        kind: Kind::Select {
            noun: "context",
            options: CONTEXTS,
        },
        default: "\"city\"",
        flag: flag("context", "CONTEXT"),
        label: "Context",
        help: "What is asked of the data: City (all attributes), Country (country and continent), ASN (autonomous system), or Auto (each database as its type says).",
        ..NO
    },
    Setting {
        key: "locale",
        kind: Kind::Select {
            noun: "MaxMind locale",
            options: LOCALES,
        },
        default: "\"en\"",
        flag: flag("locale", "LOCALE"),
        label: "Language of names",
        help: "Names fall back to English where the data lacks the chosen language.",
        ..NO
    },
    Setting {
        key: "account_id",
        env: Some("MAXMIND_ACCOUNT_ID"),
        geoip_conf: Some(ConfField::AccountId),
        flag: flag("account-id", "ID"),
        label: "MaxMind Account ID",
        help: "The MaxMind account of the web service.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "license_key",
        kind: Kind::Password,
        env: Some("MAXMIND_LICENSE_KEY"),
        geoip_conf: Some(ConfField::LicenseKey),
        flag: flag("license-key", "KEY"),
        label: "MaxMind License Key",
        help: "The license key of the web service (prefer the environment to the flag: arguments are visible to other users of the machine).",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "edition",
        kind: Kind::Select {
            noun: "edition",
            options: &[
                ("geoip2", "GeoIP2 (geoip.maxmind.com)"),
                ("geolite2", "GeoLite2 (geolite.info)"),
            ],
        },
        default: "\"geoip2\"",
        flag: flag("edition", "EDITION"),
        label: "Web Service Edition",
        help: "The web service's edition.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "web_api_url",
        env: Some("MAXMIND_WEB_API_URL"),
        flag: flag("web-url", "URL"),
        label: "Web Service URL",
        help: "Overrides the edition's base URL, e.g. https://sandbox.maxmind.com.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "timeout_s",
        kind: Kind::Number { min: 1, max: 600 },
        default: "10",
        flag: flag("timeout", "SECONDS"),
        label: "Web Request Timeout (seconds)",
        help: "How long one web request may take.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "max_response_kib",
        kind: Kind::Number {
            min: 16,
            max: 65_536,
        },
        default: "1024",
        label: "Largest Web Answer (KiB)",
        help: "The most bytes read of one web service answer (MaxMind's are a few KB); a larger one is an http_error.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "retries",
        kind: Kind::Number { min: 1, max: 10 },
        default: "3",
        flag: flag("retries", "N"),
        label: "Tries per Query",
        help: "Tries on server errors, connection errors and timeouts (other refusals are never retried).",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "max_parallel_queries",
        kind: Kind::Number { min: 1, max: 64 },
        default: "8",
        flag: flag("parallel-queries", "N"),
        label: "Queries in Flight",
        help: "How many web queries Lookup All Related IPs sends at once.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "cache_path",
        env: Some("MAXMIND_GEOLOCATE_CACHE"),
        flag: flag("cache-path", "FILE"),
        label: "Web Cache File",
        help: "The SQLite file that keeps web answers for every action on the machine, so that each IP is paid for once. Empty: the MAXMIND_GEOLOCATE_CACHE environment variable, else $XDG_CACHE_HOME/maxmind-geolocate/web-cache.sqlite3, else ~/.cache/maxmind-geolocate/web-cache.sqlite3.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "cache_ttl_s",
        kind: Kind::Number {
            min: 0,
            max: 31_536_000,
        },
        default: "604800",
        flag: flag("cache-ttl", "SECONDS"),
        label: "Web Cache Lifetime (seconds)",
        help: "How long a web answer is reused before the IP is asked again (MaxMind's data changes weekly; 604800 is 7 days). 0 turns the cache off.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "cache_max_mib",
        kind: Kind::Number {
            min: 1,
            max: 1 << 20,
        },
        default: "256",
        flag: flag("cache-max-mib", "MIB"),
        label: "Web Cache Size (MiB)",
        help: "The most the web cache keeps; past it, the oldest answers go first.",
        show_when: WEB,
        ..NO
    },
    Setting {
        key: "offline_map",
        kind: Kind::Bool,
        default: "true",
        flag: switch("no-offline-map", "false"),
        label: "Add an offline world map to attachment descriptions",
        help: "Lookup All Related IPs draws the located IPs on a world map carried in the description itself (no map service, no network: it shows on air-gapped installs). Not drawn when a Mapbox map is.",
        ..NO
    },
    Setting {
        key: "use_mapbox",
        kind: Kind::Bool,
        default: "false",
        label: "Add a Mapbox map to attachment descriptions",
        help: "Lookup All Related IPs adds a Mapbox static map of the located IPs to the description instead of the offline map; the analyst's browser loads it from Mapbox. Without a token the offline map is drawn, with a mapbox_token_missing warning.",
        ..NO
    },
    Setting {
        key: "mapbox_api_key",
        kind: Kind::Password,
        label: "Mapbox Access Token",
        help: "A public (pk.) token; it is visible to everyone who can read the description. Any other token is never used (a mapbox_token_invalid warning).",
        show_when: Some(("use_mapbox", "true")),
        ..NO
    },
    Setting {
        key: "bypass_proxy",
        kind: Kind::Bool,
        default: "false",
        flag: switch("no-proxy", "true"),
        label: "Bypass Proxy",
        help: "Ignore the HTTPS_PROXY / HTTP_PROXY settings of the environment for web requests.",
        ..NO
    },
    Setting {
        key: "max_ips",
        kind: Kind::Number {
            min: 1,
            max: 100_000_000,
        },
        default: "1000000",
        flag: flag("max-ips", "N"),
        label: "Most IPs per action",
        help: "An action that names more distinct IPs is refused with too_many_ips.",
        ..NO
    },
    Setting {
        key: "action_timeout_s",
        kind: Kind::Number {
            min: 1,
            max: 86_400,
        },
        default: "600",
        flag: flag("action-timeout", "SECONDS"),
        label: "Action time limit (seconds)",
        help: "IPs not looked up when the time is up are answered action_timeout; the rest are kept.",
        ..NO
    },
    Setting {
        key: "attachment_dir",
        env: Some("MAXMIND_ATTACHMENT_DIR"),
        label: "Attachment Folder",
        help: "The folder attachment files (object.path) are read from; nothing outside it is read. Empty: the MAXMIND_ATTACHMENT_DIR environment variable, else the operation's working directory.",
        ..NO
    },
    Setting {
        key: "max_attachment_mib",
        kind: Kind::Number {
            min: 1,
            max: 1 << 20,
        },
        default: "100",
        flag: flag("max-mib", "MIB"),
        label: "Largest attachment read (MiB)",
        help: "An attachment whose content is larger is refused with attachment_too_large.",
        ..NO
    },
    Setting {
        key: "max_decoded_mib",
        kind: Kind::Number {
            min: 1,
            max: 1 << 20,
        },
        default: "1024",
        flag: flag("max-decoded-mib", "MIB"),
        label: "Most text decoded from one attachment (MiB)",
        help: "The most bytes the document layer decodes from one attachment (PDF streams, Office and archive members, e-mail parts, all together); what is past it is skipped with a document_limit warning.",
        ..NO
    },
    Setting {
        key: "max_database_age_days",
        kind: Kind::Number {
            min: 0,
            max: 36_500,
        },
        default: "30",
        flag: flag("max-db-age", "DAYS"),
        label: "Warn about databases older than (days)",
        help: "A database built longer ago than this adds a database_stale warning to every response that used it (MaxMind updates GeoIP2/GeoLite2 databases weekly or twice a week). 0 never warns.",
        ..NO
    },
];

/// The setting named `key`.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A setting's value, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Text (a select's value in its canonical spelling).
    Text(String),
    /// A secret.
    Secret(Secret),
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(u64),
    /// Names.
    List(Vec<String>),
}

/// Where a value came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum From {
    /// A command-line flag.
    Flag,
    /// The request's `config`.
    Request,
    /// The environment.
    Env,
    /// `GeoIP.conf`.
    GeoIpConf,
}

/// The values one source sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    values: BTreeMap<&'static str, (Parsed, From)>,
}

/// Why a value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The setting.
    pub key: &'static str,
    /// Why.
    pub reason: String,
}

impl Layer {
    /// Sets `key` from `raw` as `from` gives it: lenient, as platforms send values (an empty
    /// string or list is "not set"). A key the table does not have is `Ok(false)`.
    pub fn set(&mut self, key: &str, raw: &Value, from: From) -> Result<bool, Refused> {
        let Some(setting) = setting(key) else {
            return Ok(false);
        };
        if let Some(parsed) = parse(setting, raw)? {
            self.values.insert(setting.key, (parsed, from));
        }
        Ok(true)
    }

    /// The value of `key`, if this layer sets it.
    pub fn get(&self, key: &str) -> Option<&(Parsed, From)> {
        self.values.get(key)
    }

    /// These values, with each one left unset taken from `lower`.
    pub fn over(mut self, lower: &Layer) -> Layer {
        for (key, value) in &lower.values {
            self.values.entry(key).or_insert_with(|| value.clone());
        }
        self
    }
}

/// Reads `raw` as a value of `setting`.
fn parse(setting: &Setting, raw: &Value) -> Result<Option<Parsed>, Refused> {
    let refused = |reason: String| Refused {
        key: setting.key,
        reason,
    };
    let shown = |v: &Value| crate::error::shorten(&v.to_string());
    let text = |v: &Value| -> Result<Option<String>, Refused> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => Ok(Some(s.trim().to_owned())),
            Value::Number(n) => Ok(Some(n.to_string())),
            other => Err(refused(format!("expected text, found {}", shown(other)))),
        }
    };
    Ok(Some(match setting.kind {
        Kind::Text => match text(raw)? {
            Some(t) => Parsed::Text(t),
            None => return Ok(None),
        },
        Kind::Password => match text(raw)? {
            Some(t) => Parsed::Secret(Secret::new(t)),
            None => return Ok(None),
        },
        Kind::Bool => match lenient_bool(raw).map_err(refused)? {
            Some(b) => Parsed::Bool(b),
            None => return Ok(None),
        },
        Kind::Number { min, max } => {
            let Some(t) = text(raw)? else {
                return Ok(None);
            };
            match t.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Parsed::Number(n),
                _ => {
                    return Err(refused(format!(
                        "{:?} is not a whole number between {min} and {max}",
                        crate::error::shorten(&t)
                    )));
                }
            }
        }
        Kind::Select { noun, options } => {
            let Some(t) = text(raw)? else {
                return Ok(None);
            };
            let wanted = t.to_ascii_lowercase().replace([' ', '_', '-'], "");
            match options
                .iter()
                .find(|(value, _)| value.to_ascii_lowercase().replace(['_', '-'], "") == wanted)
            {
                Some((value, _)) => Parsed::Text((*value).to_owned()),
                None => {
                    let values: Vec<&str> = options.iter().map(|(v, _)| *v).collect();
                    return Err(refused(format!(
                        "{:?} is not a {noun}; expected one of {}{}",
                        crate::error::shorten(&t),
                        values.join(", "),
                        did_you_mean(&t, &values)
                    )));
                }
            }
        }
        Kind::List => {
            let items: Vec<String> = match raw {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.extend(text(item)?);
                    }
                    out
                }
                other => text(other)?.into_iter().collect(),
            };
            if items.is_empty() {
                return Ok(None);
            }
            Parsed::List(items)
        }
    }))
}

/// Reads a boolean as platforms send it: `true`, `"true"`, `"yes"`, `1`, … (empty: unset).
pub fn lenient_bool(v: &Value) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(Some(false)),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(Some(true)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "on" | "1" => Ok(Some(true)),
            "false" | "no" | "off" | "0" => Ok(Some(false)),
            other => Err(format!(
                "expected a boolean, found {:?}",
                crate::error::shorten(other)
            )),
        },
        other => Err(format!(
            "expected a boolean, found {}",
            crate::error::shorten(&other.to_string())
        )),
    }
}

pub use crate::error::{closest, did_you_mean};

/// The keys of every setting a request may set.
pub fn keys() -> Vec<&'static str> {
    SETTINGS.iter().map(|s| s.key).collect()
}

/// The manifest's `user_fields`, as the table says (a test holds `manifest.yaml` to it).
pub fn manifest_fields() -> Value {
    Value::Array(
        SETTINGS
            .iter()
            .map(|s| {
                let (kind, options) = match s.kind {
                    Kind::Text => ("text", None),
                    Kind::Password => ("password", None),
                    Kind::Bool => ("checkbox", None),
                    Kind::Number { .. } => ("number", None),
                    Kind::Select { options, .. } => ("select", Some(options)),
                    Kind::List => ("text_list", None),
                };
                let mut field = json!({
                    "name": s.key,
                    "label": s.label,
                    "description": s.help,
                    "type": kind,
                    "default": serde_json::from_str::<Value>(s.default).unwrap_or(Value::Null),
                });
                if let Some(options) = options {
                    field["options"] = options
                        .iter()
                        .map(|(value, label)| json!({"value": value, "label": label}))
                        .collect();
                }
                if let Some((key, value)) = s.show_when {
                    let value = serde_json::from_str::<Value>(value).unwrap_or(json!(value));
                    field["show_when"] = json!({ key: value });
                }
                field
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_value_of_its_setting() {
        for s in SETTINGS {
            let default: Value = serde_json::from_str(s.default).expect(s.key);
            assert!(parse(s, &default).is_ok(), "{}: {}", s.key, s.default);
        }
    }

    #[test]
    fn keys_are_unique_and_flags_too() {
        let mut keys = keys();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), SETTINGS.len());
        let mut flags: Vec<&str> = SETTINGS.iter().filter_map(|s| Some(s.flag?.long)).collect();
        let n = flags.len();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), n);
    }

    #[test]
    fn values_are_read_as_platforms_send_them() {
        let mut layer = Layer::default();
        for (key, raw, expected) in [
            ("timeout_s", json!("15"), Some(Parsed::Number(15))),
            ("timeout_s", json!(15), Some(Parsed::Number(15))),
            ("timeout_s", json!(""), None),
            ("use_mapbox", json!("yes"), Some(Parsed::Bool(true))),
            ("use_mapbox", json!(0), Some(Parsed::Bool(false))),
            ("locale", json!("PT_br"), Some(Parsed::Text("pt-BR".into()))),
            (
                "source",
                json!("Web API"),
                Some(Parsed::Text("web_api".into())),
            ),
            (
                "mmdb_filename",
                json!(" a.mmdb "),
                Some(Parsed::List(vec!["a.mmdb".into()])),
            ),
            (
                "mmdb_filename",
                json!(["a", " ", "b"]),
                Some(Parsed::List(vec!["a".into(), "b".into()])),
            ),
            ("mmdb_filename", json!([]), None),
        ] {
            let mut one = Layer::default();
            assert_eq!(one.set(key, &raw, From::Request), Ok(true));
            assert_eq!(
                one.get(key).map(|(p, _)| p.clone()),
                expected,
                "{key} {raw}"
            );
            layer = one.over(&layer);
        }
        assert_eq!(layer.set("not_a_key", &json!(1), From::Request), Ok(false));
    }

    #[test]
    fn bad_values_are_refused_naming_their_key() {
        for (key, raw, says) in [
            ("timeout_s", json!("0"), "between 1 and 600"),
            ("timeout_s", json!([1]), "expected text"),
            ("use_mapbox", json!("maybe"), "expected a boolean"),
            ("context_type", json!("cty"), "did you mean \"city\""),
            ("locale", json!("xx"), "expected one of de, en"),
        ] {
            let e = Layer::default().set(key, &raw, From::Request).unwrap_err();
            assert_eq!(e.key, key);
            assert!(e.reason.contains(says), "{key}: {}", e.reason);
        }
    }

    #[test]
    fn a_higher_layer_wins_and_the_lower_fills_the_rest() {
        let mut high = Layer::default();
        high.set("locale", &json!("de"), From::Flag).unwrap();
        let mut low = Layer::default();
        low.set("locale", &json!("fr"), From::Env).unwrap();
        low.set("db_dir", &json!("/x"), From::Env).unwrap();
        let both = high.over(&low);
        assert_eq!(
            both.get("locale"),
            Some(&(Parsed::Text("de".into()), From::Flag))
        );
        assert_eq!(
            both.get("db_dir"),
            Some(&(Parsed::Text("/x".into()), From::Env))
        );
    }

    #[test]
    fn close_misspellings_are_suggested() {
        let keys = keys();
        assert_eq!(
            did_you_mean("mmdb_filenme", &keys),
            " (did you mean \"mmdb_filename\"?)"
        );
        assert_eq!(did_you_mean("xyz", &keys), "");
    }
}
