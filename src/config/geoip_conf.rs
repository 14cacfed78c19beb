//! MaxMind's own configuration file, `GeoIP.conf` (as `geoipupdate` reads it): where analysts
//! already keep their account, license key and database folder.
//!
//! Only the settings this operation uses are read — `AccountID` (or the older `UserId`),
//! `LicenseKey`, `DatabaseDirectory` and `EditionIDs` (or the older `ProductIds`); the others
//! (`Host`, `Proxy`, `LockFile`, …) belong to `geoipupdate` and are skipped.

use std::path::{Path, PathBuf};

use super::Secret;
use super::settings::ConfField;

/// Where `geoipupdate` looks when no file is named, in order.
pub const DEFAULT_PATHS: [&str; 2] = ["/etc/GeoIP.conf", "/usr/local/etc/GeoIP.conf"];

/// The settings of one `GeoIP.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeoIpConf {
    /// The file they were read from.
    pub path: PathBuf,
    /// `AccountID`.
    pub account_id: Option<String>,
    /// `LicenseKey`.
    pub license_key: Secret,
    /// `DatabaseDirectory`.
    pub database_directory: Option<PathBuf>,
    /// `EditionIDs`, in the order written (each names the file `<ID>.mmdb`).
    pub edition_ids: Vec<String>,
}

/// Why a `GeoIP.conf` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `Key Value`.
    #[error("{path}, line {line}: {reason}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The placeholders of the sample file `geoipupdate` installs: not real settings.
const PLACEHOLDERS: [&str; 4] = [
    "YOUR_ACCOUNT_ID_HERE",
    "YOUR_LICENSE_KEY_HERE",
    "0",
    "000000000000",
];

impl GeoIpConf {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, ConfError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of a file read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfError> {
        let mut conf = GeoIpConf {
            path: path.to_owned(),
            ..GeoIpConf::default()
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = match line.split_once(char::is_whitespace) {
                Some((k, v)) => (k, v.trim()),
                None => (line, ""),
            };
            let syntax = |reason: String| ConfError::Syntax {
                path: path.to_owned(),
                line: i + 1,
                reason,
            };
            let known = ["AccountID", "UserId", "LicenseKey", "DatabaseDirectory"];
            if value.is_empty() && known.contains(&key) {
                return Err(syntax(format!("{key} has no value")));
            }
            let real = || (!PLACEHOLDERS.contains(&value)).then(|| value.to_owned());
            match key {
                "AccountID" | "UserId" => conf.account_id = real(),
                "LicenseKey" => conf.license_key = Secret(real().unwrap_or_default()),
                "DatabaseDirectory" => conf.database_directory = Some(PathBuf::from(value)),
                "EditionIDs" | "ProductIds" => {
                    conf.edition_ids = value.split_whitespace().map(str::to_owned).collect();
                }
                _ => {}
            }
        }
        Ok(conf)
    }

    /// The file to read: `explicit` (a flag or env `GEOIPUPDATE_CONF_FILE`) when given, else
    /// the first of [`DEFAULT_PATHS`] that exists. An explicit file must exist; an empty
    /// `explicit` means "none".
    pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
        match explicit {
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some(p.to_owned()),
            None => DEFAULT_PATHS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
        }
    }

    /// The database files `EditionIDs` names (`GeoLite2-City` → `GeoLite2-City.mmdb`).
    pub fn database_files(&self) -> Vec<String> {
        self.edition_ids
            .iter()
            .map(|id| format!("{id}.mmdb"))
            .collect()
    }

    /// What the file says of `field`, as a raw setting value.
    pub fn value(&self, field: ConfField) -> Option<serde_json::Value> {
        use serde_json::Value;
        match field {
            ConfField::AccountId => self.account_id.clone().map(Value::String),
            ConfField::LicenseKey => (!self.license_key.is_empty())
                .then(|| Value::String(self.license_key.expose().to_owned())),
            ConfField::DatabaseDirectory => self
                .database_directory
                .as_ref()
                .map(|d| Value::String(d.to_string_lossy().into_owned())),
            ConfField::EditionIds => (!self.edition_ids.is_empty()).then(|| {
                Value::Array(
                    self.database_files()
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GeoIpConf, ConfError> {
        GeoIpConf::parse(Path::new("GeoIP.conf"), text)
    }

    #[test]
    fn reads_the_settings_geoipupdate_reads() {
        let conf = parse(
            "# GeoIP.conf\nAccountID 12345\nLicenseKey abcdEFGH1234 # mine\n\
             EditionIDs GeoLite2-ASN GeoLite2-City\n  DatabaseDirectory /var/lib/GeoIP\n\
             Host updates.maxmind.com\n",
        )
        .unwrap();
        assert_eq!(conf.account_id.as_deref(), Some("12345"));
        assert_eq!(conf.license_key.expose(), "abcdEFGH1234");
        assert_eq!(
            conf.database_directory.as_deref(),
            Some(Path::new("/var/lib/GeoIP"))
        );
        assert_eq!(
            conf.database_files(),
            ["GeoLite2-ASN.mmdb", "GeoLite2-City.mmdb"]
        );
    }

    #[test]
    fn reads_the_older_key_names() {
        let conf = parse("UserId 42\nProductIds GeoIP2-City\n").unwrap();
        assert_eq!(conf.account_id.as_deref(), Some("42"));
        assert_eq!(conf.edition_ids, ["GeoIP2-City"]);
    }

    #[test]
    fn the_sample_files_placeholders_are_not_credentials() {
        let conf =
            parse("AccountID YOUR_ACCOUNT_ID_HERE\nLicenseKey YOUR_LICENSE_KEY_HERE\n").unwrap();
        assert_eq!(conf.account_id, None);
        assert!(conf.license_key.is_empty());
    }

    #[test]
    fn a_setting_without_a_value_is_refused_with_its_line() {
        let e = parse("\nAccountID 1\nLicenseKey\n").unwrap_err();
        assert_eq!(e.to_string(), "GeoIP.conf, line 3: LicenseKey has no value");
    }

    #[test]
    fn an_empty_explicit_path_means_none() {
        assert_eq!(GeoIpConf::locate(Some(Path::new(""))), None);
        assert_eq!(
            GeoIpConf::locate(Some(Path::new("/x/GeoIP.conf"))),
            Some(PathBuf::from("/x/GeoIP.conf"))
        );
    }
}
