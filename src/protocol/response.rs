//! The response: one JSON document on stdout per action.

use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

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

/// The struct name serde_json's serializer writes verbatim (its `RawValue` protocol).
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

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

impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let text = self.get();
        let mut s = serializer.serialize_struct(RAW_TOKEN, 1)?;
        s.serialize_field(RAW_TOKEN, &*text)?;
        s.end()
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

/// A list the addresses of one record share (its attributes, its indicators), with its JSON
/// written once: by the first thread that writes a result holding it.
///
/// A bulk's 100,000 results hold the lists of some 23,000 records. Written once each from a
/// table of the lists by address instead, they took one thread 20 ms before the first result
/// was written, and a table lookup per list after.
#[derive(Debug)]
pub struct SharedList<T> {
    items: Box<[T]>,
    json: OnceLock<Box<str>>,
}

impl<T: Serialize> SharedList<T> {
    /// The list as JSON, written on the first call.
    pub fn json(&self) -> serde_json::Result<&str> {
        if let Some(json) = self.json.get() {
            return Ok(json);
        }
        // Two threads may write it at once: both write the same text, one is kept.
        let json = serde_json::to_string(&self.items[..])?;
        Ok(self.json.get_or_init(|| json.into_boxed_str()))
    }
}

impl<T> std::ops::Deref for SharedList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> From<Vec<T>> for SharedList<T> {
    fn from(items: Vec<T>) -> Self {
        SharedList {
            items: items.into_boxed_slice(),
            json: OnceLock::new(),
        }
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<T: Serialize> Serialize for SharedList<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
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

/// The answer for one IP address. (A bulk writes it with `write_result`, which must name the
/// same fields in the same order.)
#[derive(Debug, Clone, Serialize)]
pub struct IpResult {
    /// The address in canonical form, or the value as received when it is not an address.
    pub ip: String,
    /// Lookup All Related IPs: where the IP came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Origin>,
    /// Lookup All Related IPs: the network the content wrote, when it wrote a CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_as_network: Option<String>,
    /// The narrowest network a database stores a record (or the absence of one) under.
    pub network: Option<String>,
    /// The MaxMind record, as MaxMind's own readers give it (serialized once, when looked up).
    pub data: Option<RawJson>,
    /// Attributes for the platform (shared by the addresses of one record).
    pub attributes: Arc<SharedList<Attribute>>,
    /// Indicators for the platform.
    pub indicators: Arc<SharedList<Indicator>>,
    /// Why there is no record, if there is none.
    pub error: Option<ErrorBody>,
    /// The fields of the record a results table shows (not serialized).
    #[serde(skip)]
    pub display: Option<Arc<crate::mapping::Display>>,
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
    /// The web service: the smallest `queries_remaining` it reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries_remaining: Option<u64>,
    /// A dry run: the queries the action would send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries_planned: Option<usize>,
}

impl Meta {
    /// The facts every response has.
    pub fn new(config: &crate::config::Config, databases: Vec<DatabaseInfo>) -> Self {
        Meta {
            source: config.source.as_str(),
            context_type: config.context.as_str(),
            databases,
            version: env!("CARGO_PKG_VERSION"),
            queries_sent: None,
            queries_remaining: None,
            queries_planned: None,
        }
    }
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
    #[serde(serialize_with = "results_on_every_core")]
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
}

/// Writes many results with every core: batches are rendered in parallel, then written in
/// order; memory holds one batch, not the whole response. (A batch is written compact even
/// under `--pretty`.)
fn results_on_every_core<S: serde::Serializer>(
    results: &[IpResult],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error as _, SerializeSeq};
    const BATCH: usize = 8192;
    if results.len() < crate::parallel::PARALLEL_FROM {
        return results.serialize(s);
    }
    let mut seq = s.serialize_seq(Some(results.len()))?;
    for batch in results.chunks(BATCH) {
        // One text per thread: its results joined by commas, so that the sequence (which puts
        // a comma between its elements) writes the batch as the results one by one would be.
        let parts: Vec<&[IpResult]> = batch
            .chunks(batch.len().div_ceil(crate::parallel::threads()))
            .collect();
        for part in crate::parallel::map(&parts, 2, |part| joined(part)) {
            seq.serialize_element(&part.map_err(S::Error::custom)?)?;
        }
    }
    seq.end()
}

/// `results` as JSON, joined by commas, written into one buffer (a result's JSON is about
/// 1.5 KB: one `String` per result grew through five sizes).
fn joined(results: &[IpResult]) -> serde_json::Result<RawJson> {
    let mut text = Vec::with_capacity(results.len() * 2048);
    for (i, result) in results.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        write_result(&mut text, result)?;
    }
    // SAFETY: serde_json writes UTF-8 only (the strings it is given, and ASCII of its own),
    // and so does `write_result` (ASCII, and text from `str`s); serde_json's `to_string` makes
    // its `String` in the same way.
    Ok(RawJson::from_trusted(unsafe {
        String::from_utf8_unchecked(text)
    }))
}

/// Writes `result` as its derived `Serialize` writes it, compact, with its lists as JSON
/// written once for all the results that share them, and its record from its pieces (without
/// [`RawJson::get`]'s copy). It must name IpResult's fields in IpResult's order: a test
/// compares the two on every field.
fn write_result(out: &mut Vec<u8>, result: &IpResult) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"ip\":");
    serde_json::to_writer(&mut *out, &result.ip)?;
    if let Some(source) = result.source {
        out.extend_from_slice(b",\"source\":");
        serde_json::to_writer(&mut *out, &source)?;
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
    out.extend_from_slice(result.attributes.json()?.as_bytes());
    out.extend_from_slice(b",\"indicators\":");
    out.extend_from_slice(result.indicators.json()?.as_bytes());
    out.extend_from_slice(b",\"error\":");
    serde_json::to_writer(&mut *out, &result.error)?;
    out.push(b'}');
    Ok(())
}

/// A writer that passes on all it is given but its last byte, kept back until more comes.
struct HoldLast<'a> {
    out: &'a mut dyn Write,
    last: Option<u8>,
}

impl Write for HoldLast<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some((&last, before)) = buf.split_last() else {
            return Ok(0);
        };
        if let Some(held) = self.last.take() {
            self.out.write_all(&[held])?;
        }
        self.out.write_all(before)?;
        self.last = Some(last);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it, in pieces of at most
/// [`ESCAPE_PIECE`] bytes through one buffer (escaped whole, a large text took memory of its
/// size, touched for the first time).
fn write_escaped(text: &str, out: &mut dyn Write) -> io::Result<()> {
    // As large as the escaping asks for one piece (six bytes a byte at worst): a short text,
    // the usual description of a few addresses, does not take the room of a whole piece.
    let mut escaped = Vec::with_capacity(text.len().min(ESCAPE_PIECE) * 6 + 64);
    out.write_all(b"\"")?;
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(ESCAPE_PIECE);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        escaped.clear();
        json_escape_simd::escape_into(&rest[..end], &mut escaped);
        // The piece between the quotes the escaping puts around it.
        out.write_all(&escaped[1..escaped.len() - 1])?;
        rest = &rest[end..];
    }
    out.write_all(b"\"")
}

/// The largest piece of a text [`write_escaped`] escapes at once.
const ESCAPE_PIECE: usize = 64 * 1024;

impl Response {
    /// Writes the response as `serde_json::to_writer` writes it, with the description (tens of
    /// megabytes for a large attachment) escaped by SIMD, a piece at a time, straight into
    /// `out`: serde_json escapes a byte at a time, about 6 ms for the 12 MB description of a
    /// bulk of 100,000 addresses, on one thread after everything else is written.
    ///
    /// The description and the map URL are the response's last fields: the rest is written by
    /// serde, but for its closing brace, and they follow. A test holds the output to serde's.
    pub fn write_compact(mut self, out: &mut dyn Write) -> io::Result<Self> {
        let description = self.description.take();
        let map_url = self.map_url.take();
        let mut head = HoldLast { out, last: None };
        serde_json::to_writer(&mut head, &self)?;
        if head.last != Some(b'}') {
            return Err(io::Error::other("a response is written as a JSON object"));
        }
        if let Some(description) = &description {
            out.write_all(b",\"description\":")?;
            write_escaped(description, out)?;
        }
        if let Some(map_url) = &map_url {
            out.write_all(b",\"map_url\":")?;
            serde_json::to_writer(&mut *out, map_url)?;
        }
        out.write_all(b"}")?;
        self.description = description;
        self.map_url = map_url;
        Ok(self)
    }

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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_results_are_written_whole_and_in_order() {
        // Every field in use, and lists shared by several results as a record's are.
        let attributes: Vec<Arc<SharedList<Attribute>>> = (0..3)
            .map(|k| {
                let list: Vec<Attribute> = (0..k)
                    .map(|j| Attribute {
                        name: "City",
                        value: format!("Town \"{j}\""),
                    })
                    .collect();
                Arc::new(list.into())
            })
            .collect();
        let indicators = Arc::new(SharedList::from(vec![Indicator {
            kind: "ASN",
            value: "20712".into(),
        }]));
        let results: Vec<IpResult> = (0..10_000u32)
            .map(|i| IpResult {
                ip: std::net::Ipv4Addr::from(i).to_string(),
                source: [None, Some(Origin::Content), Some(Origin::Both)][i as usize % 3],
                found_as_network: (i % 5 == 0).then(|| format!("0.0.{}.0/24", i % 256)),
                network: (i % 2 == 0).then(|| "0.0.0.0/8".to_owned()),
                data: Some(RawJson::from_trusted(format!("{{\"n\":{i}}}"))),
                attributes: Arc::clone(&attributes[i as usize % 3]),
                indicators: if i % 4 == 0 {
                    Arc::clone(&indicators)
                } else {
                    Arc::default()
                },
                error: (i % 7 == 0).then(|| ErrorBody::warning("not_found", "none")),
                display: None,
            })
            .collect();
        let mut response = Response::failed(None, &Error::Internal("x".into()), Vec::new());
        response.results = results;
        let text = serde_json::to_string(&response).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let back = parsed["results"].as_array().unwrap();
        assert_eq!(back.len(), 10_000);
        for (i, r) in back.iter().enumerate() {
            assert_eq!(r["data"]["n"], i, "result {i} in place");
        }
        // Byte for byte what one thread writing them one by one writes.
        let one_by_one = serde_json::to_string(&response.results).unwrap();
        assert!(text.contains(&format!("\"results\":{one_by_one},")));
        let pretty = serde_json::to_string_pretty(&response).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(parsed["results"][9_999]["data"]["n"], 9_999);
    }

    #[test]
    fn a_compact_response_is_written_as_serde_writes_it() {
        // Every character JSON escapes, and wider ones, placed to straddle the pieces the
        // description is escaped in.
        let escapes: String = (0u8..0x80).map(char::from).collect();
        let mut long = String::new();
        while long.len() < 3 * ESCAPE_PIECE {
            long.push_str("<td>é€\u{1F600}\"\\\n</td>");
            long.push_str(&escapes);
        }
        let descriptions = [
            None,
            Some(String::new()),
            Some(escapes.clone()),
            Some(format!("{}{}", "a".repeat(ESCAPE_PIECE - 1), "€\u{10348}")),
            Some(long),
        ];
        for description in descriptions {
            for map_url in [None, Some("https://api.mapbox.com/?a=\"b\"".to_owned())] {
                let mut response = Response::failed(
                    Some("x".into()),
                    &Error::Internal("\u{7}".into()),
                    Vec::new(),
                );
                response.summary = Some(Summary::default());
                response.description = description.clone();
                response.map_url = map_url;
                let expected = serde_json::to_vec(&response).unwrap();
                let mut written = Vec::new();
                let back = response.write_compact(&mut written).unwrap();
                assert!(written == expected, "{:?}", description.map(|d| d.len()));
                assert_eq!(
                    back.description, description,
                    "the response is handed back whole"
                );
            }
        }
    }

    #[test]
    fn a_shared_list_is_written_as_its_items_once() {
        let list = SharedList::from(vec![Attribute {
            name: "City",
            value: "Town \"1\"".into(),
        }]);
        let first = list.json().unwrap();
        assert_eq!(first, serde_json::to_string(&list[..]).unwrap());
        assert_eq!(first, serde_json::to_string(&list).unwrap());
        assert!(
            std::ptr::eq(first, list.json().unwrap()),
            "kept, not written again"
        );
        assert_eq!(SharedList::<Indicator>::default().json().unwrap(), "[]");
    }

    #[test]
    fn raw_json_is_written_verbatim() {
        // Guards the serde_json protocol RawJson relies on.
        let raw = RawJson::from_trusted(r#"{"b":1,"a":[true,"x"]}"#.to_owned());
        assert_eq!(
            serde_json::to_string(&raw).unwrap(),
            r#"{"b":1,"a":[true,"x"]}"#
        );
        let wrapped = serde_json::json!({"data": serde_json::to_value(&raw).unwrap()});
        assert_eq!(wrapped["data"]["a"][1], "x");
        assert_eq!(
            serde_json::to_string_pretty(&vec![raw]).unwrap(),
            "[\n  {\"b\":1,\"a\":[true,\"x\"]}\n]"
        );
        let spliced = RawJson::spliced(Arc::from(r#"{"a":1}"#), 6, r#","b":2"#.to_owned());
        assert_eq!(serde_json::to_string(&spliced).unwrap(), r#"{"a":1,"b":2}"#);
    }
}
