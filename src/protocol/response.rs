//! The response: one JSON document on stdout per action.

use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;

/// How the action went as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every IP has an answer (a record, `not_found` or `reserved_ip`).
    Success,
    /// Some IPs failed; the others have their answers.
    Partial,
    /// The action could not run, or every IP failed.
    Error,
}

/// A JSON text written once (when a record is looked up) and copied into the response as is.
///
/// A record shared by many addresses of an action is held once ([`RawJson::spliced`]): each
/// address keeps only its own few bytes, put in place while the response is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Whole(Box<str>),
    Spliced {
        base: Arc<str>,
        at: usize,
        insert: Box<str>,
    },
}

impl RawJson {
    /// Wraps JSON text this operation wrote itself (the record transcoder). The caller
    /// guarantees it is one valid JSON value; a test checks the transcoder on every MaxMind
    /// test database and the fuzzer on arbitrary bytes.
    pub fn from_trusted(json: String) -> Self {
        RawJson(Repr::Whole(json.into_boxed_str()))
    }

    /// The JSON text `base` with `insert` put at byte `at` (a character boundary), under the
    /// same guarantee as [`RawJson::from_trusted`] for the whole.
    pub fn spliced(base: Arc<str>, at: usize, insert: String) -> Self {
        let at = if base.is_char_boundary(at) {
            at
        } else {
            base.len()
        };
        RawJson(Repr::Spliced {
            base,
            at,
            insert: insert.into_boxed_str(),
        })
    }

    /// The JSON text in the order it is written: the shared text up to the splice, the
    /// address's own fields, the rest (a whole text is its first piece).
    fn pieces(&self) -> [&str; 3] {
        match &self.0 {
            Repr::Whole(text) => [text, "", ""],
            Repr::Spliced { base, at, insert } => [&base[..*at], insert, &base[*at..]],
        }
    }

    /// Appends the JSON text to `out`, from its pieces.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let pieces = self.pieces();
        out.reserve(pieces.iter().map(|p| p.len()).sum());
        for piece in pieces {
            out.extend_from_slice(piece.as_bytes());
        }
    }

    /// Serializes `value` into JSON text.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        serde_json::to_string(value).map(Self::from_trusted)
    }

    /// The JSON text.
    pub fn get(&self) -> std::borrow::Cow<'_, str> {
        match self.pieces() {
            [whole, "", ""] => std::borrow::Cow::Borrowed(whole),
            pieces => std::borrow::Cow::Owned(pieces.concat()),
        }
    }
}

impl IpResult {
    /// Writes this result as its derived `Serialize` writes it, compact, naming the fields in
    /// their order; `data` verbatim (without serde_json's check that it is JSON, which the
    /// record's writer already made sure of).
    pub fn write_json(&self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let result = self;
        out.extend_from_slice(b"{\"ip\":");
        serde_json::to_writer(&mut *out, &result.ip)?;
        if let Some(source) = result.source {
            out.extend_from_slice(b",\"source\":");
            serde_json::to_writer(&mut *out, &source)?;
        }
        if let Some(found_in) = &result.found_in {
            out.extend_from_slice(b",\"found_in\":");
            serde_json::to_writer(&mut *out, found_in)?;
        }
        if let Some(network) = &result.found_as_network {
            out.extend_from_slice(b",\"found_as_network\":");
            serde_json::to_writer(&mut *out, network)?;
        }
        out.extend_from_slice(b",\"network\":");
        serde_json::to_writer(&mut *out, &result.network)?;
        out.extend_from_slice(b",\"data\":");
        match &result.data {
            Some(data) => data.write_to(out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"attributes\":");
        out.extend_from_slice(result.attributes.json().as_bytes());
        out.extend_from_slice(b",\"indicators\":");
        out.extend_from_slice(result.indicators.json().as_bytes());
        out.extend_from_slice(b",\"error\":");
        serde_json::to_writer(&mut *out, &result.error)?;
        out.push(b'}');
        Ok(())
    }
}

impl Serialize for RawJson {
    /// Written verbatim, through serde_json's [`RawValue`](serde_json::value::RawValue)
    /// (which checks the text is JSON: the response writer writes results without it).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let raw = serde_json::value::RawValue::from_string(self.get().into_owned())
            .map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// An error or a warning: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// Whether this is an answer about an IP (`not_found`, `reserved_ip`) rather than a failure.
    #[serde(skip)]
    pub is_answer: bool,
}

impl From<&Error> for ErrorBody {
    fn from(e: &Error) -> Self {
        ErrorBody {
            code: e.code().to_owned(),
            message: e.to_string(),
            is_answer: e.is_answer(),
        }
    }
}

impl ErrorBody {
    /// A warning with the given code.
    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        ErrorBody {
            code: code.to_owned(),
            message: message.into(),
            is_answer: false,
        }
    }
}

/// A platform attribute to add to the object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Attribute {
    /// The attribute's name, from the mapping table.
    pub name: &'static str,
    /// Its value, always a string.
    pub value: String,
}

/// A platform indicator to create and relate to the object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Indicator {
    /// The indicator type, e.g. `ASN` or `FQDN`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its value.
    pub value: String,
}

/// A list of attributes or indicators, shared by the addresses of one record (a bulk's 100,000
/// results hold the lists of some 23,000 records), with its JSON text written once, the first
/// time the response writer asks for it; the writer copies the text for the other addresses.
/// Serialized, it is its items.
#[derive(Debug, Clone)]
pub struct Listed<T>(Option<Arc<ListedItems<T>>>);

#[derive(Debug)]
struct ListedItems<T> {
    items: Box<[T]>,
    json: std::sync::OnceLock<Box<str>>,
}

impl<T: Serialize> Listed<T> {
    /// The list of `items`.
    pub fn new(items: Vec<T>) -> Self {
        if items.is_empty() {
            return Listed(None);
        }
        Listed(Some(Arc::new(ListedItems {
            items: items.into_boxed_slice(),
            json: std::sync::OnceLock::new(),
        })))
    }

    /// The list as JSON, written on the first call. (Two threads may write it at once: both
    /// write the same text, and one is kept.)
    pub fn json(&self) -> &str {
        let Some(list) = &self.0 else {
            return "[]";
        };
        list.json.get_or_init(|| {
            // Attributes and indicators are names and text: they always serialize.
            serde_json::to_string(&list.items[..])
                .unwrap_or_else(|_| "[]".to_owned())
                .into_boxed_str()
        })
    }
}

impl<T> Listed<T> {
    /// The list shared by `self` and `other`, not only equal.
    pub fn is_shared_with(&self, other: &Listed<T>) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<T> std::ops::Deref for Listed<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.0.as_ref().map_or(&[], |l| &l.items)
    }
}

impl<T> Default for Listed<T> {
    /// The empty list (it allocates nothing).
    fn default() -> Self {
        Listed(None)
    }
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// Where an IP of Lookup All Related IPs came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A related indicator.
    Related,
    /// Found in the attachment's content.
    Content,
    /// Both.
    Both,
}

/// The answer for one IP address. (The response writer writes it by hand, in this field order:
/// a test holds the two alike.)
#[derive(Debug, Clone, Default, Serialize)]
pub struct IpResult {
    /// The address in canonical form, or the value as received when it is not an address.
    pub ip: String,
    /// Lookup All Related IPs: where the IP came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Origin>,
    /// Lookup All Related IPs: the part of the attachment the IP was first found in
    /// (`report.pdf p. 3`, `logs.zip/fw/deny.log`; the attachment's name for plain text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_in: Option<Arc<str>>,
    /// Lookup All Related IPs: the network the content wrote, when it wrote a CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_as_network: Option<String>,
    /// The narrowest network a database stores a record (or the absence of one) under.
    pub network: Option<String>,
    /// The MaxMind record, as MaxMind's own readers give it (serialized once, when looked up).
    pub data: Option<RawJson>,
    /// Attributes for the platform (shared by the addresses of one record).
    pub attributes: Listed<Attribute>,
    /// Indicators for the platform.
    pub indicators: Listed<Indicator>,
    /// Why there is no record, if there is none.
    pub error: Option<ErrorBody>,
}

/// What one database file is.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseInfo {
    /// The file as configured.
    pub file: String,
    /// Its metadata `database_type`.
    pub database_type: String,
    /// Its metadata `build_epoch` (seconds since 1970).
    pub build_epoch: u64,
    /// `false` when the file cannot answer the context and adds nothing to it.
    pub used: bool,
    /// For a Lookup: the network this database matched for the IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// Facts about how the action ran.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// `db_file` or `web_api`.
    pub source: &'static str,
    /// The context asked of the databases.
    pub context_type: &'static str,
    /// The databases opened, in precedence order.
    pub databases: Vec<DatabaseInfo>,
    /// This operation's version.
    pub version: &'static str,
    /// The web service: requests that got an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries_sent: Option<usize>,
    /// The web service: answers taken from the cache instead (no query sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_hits: Option<usize>,
    /// The web service: the smallest `queries_remaining` it reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries_remaining: Option<u64>,
    /// A dry run: the queries the action would send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries_planned: Option<usize>,
}

/// How many IPs of one country an action found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryCount {
    /// ISO 3166-1 code.
    pub code: String,
    /// Name in the configured locale.
    pub name: String,
    /// Number of IPs.
    pub count: usize,
}

/// How many IPs of one autonomous system an action found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AsnCount {
    /// The AS number.
    pub asn: String,
    /// Its organization, when known.
    pub organization: Option<String>,
    /// Number of IPs.
    pub count: usize,
}

/// Lookup All Related IPs: what the action found, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Distinct IPs (and invalid related values) the action considered.
    pub found: usize,
    /// IPs with a record.
    pub located: usize,
    /// IPs looked up without a record.
    pub not_found: usize,
    /// Special-purpose IPs, not looked up.
    pub reserved: usize,
    /// IPs that failed (invalid values, database errors).
    pub failed: usize,
    /// IPs per country, most first.
    pub by_country: Vec<CountryCount>,
    /// IPs per autonomous system, most first.
    pub by_asn: Vec<AsnCount>,
}

/// The response to one action.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// How it went.
    pub status: Status,
    /// The action's wire name, or the name received when it is unknown.
    pub action: Option<String>,
    /// One result per distinct IP, in order of first appearance.
    pub results: Vec<IpResult>,
    /// Attributes to add to the object.
    pub attributes: Vec<Attribute>,
    /// Indicators to create and relate.
    pub indicators: Vec<Indicator>,
    /// Things worth knowing that did not stop the action.
    pub warnings: Vec<ErrorBody>,
    /// Errors about the action as a whole, and every per-IP failure.
    pub errors: Vec<ErrorBody>,
    /// How it ran.
    pub meta: Option<Meta>,
    /// Lookup All Related IPs: the counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Lookup All Related IPs: the attachment's new description (HTML), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Lookup All Related IPs: the Mapbox static map, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_url: Option<String>,
    /// Lookup All Related IPs: the offline map drawn into the description (an SVG document),
    /// for the command line's `bulk --map`; never sent to the platform.
    #[serde(skip)]
    pub offline_map_svg: Option<String>,
}

impl Response {
    /// The response of an action that could not run at all.
    pub fn failed(action: Option<String>, error: &Error, warnings: Vec<ErrorBody>) -> Self {
        Response {
            status: Status::Error,
            action,
            results: Vec::new(),
            attributes: Vec::new(),
            indicators: Vec::new(),
            warnings,
            errors: vec![error.into()],
            meta: None,
            summary: None,
            description: None,
            map_url: None,
            offline_map_svg: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_is_written_verbatim() {
        let raw = RawJson::from_trusted(r#"{"b":1,"a":[true,"x"]}"#.to_owned());
        assert_eq!(
            serde_json::to_string(&raw).unwrap(),
            r#"{"b":1,"a":[true,"x"]}"#
        );
        let spliced = RawJson::spliced(Arc::from(r#"{"a":1}"#), 6, r#","b":2"#.to_owned());
        assert_eq!(serde_json::to_string(&spliced).unwrap(), r#"{"a":1,"b":2}"#);
        let mut written = Vec::new();
        spliced.write_to(&mut written);
        assert_eq!(written, br#"{"a":1,"b":2}"#);
    }

    #[test]
    fn raw_json_that_is_not_json_is_an_error_not_a_broken_document() {
        let raw = RawJson::from_trusted("{\"a\":".to_owned());
        assert!(serde_json::to_string(&raw).is_err());
    }
}
