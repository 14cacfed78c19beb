//! How the analyst's commands print a response: the response JSON, one result a line, CSV, or
//! aligned columns for a terminal — with all fields or only the ones asked for.
//!
//! Pure: a response in, text out. Colour is written as ANSI sequences; the caller's stream
//! drops them where colour does not belong (not a terminal, `NO_COLOR`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use crate::mapping::Kind;
use crate::mapping::table::TABLE;
use crate::protocol::{IpResult, Response};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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

/// One column of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The address.
    Ip,
    /// The network the record is stored under.
    Network,
    /// Where a bulk IP came from (`related`, `content`, `both`).
    Source,
    /// The network the input wrote (a CIDR argument, or a CIDR in a file).
    FoundAsNetwork,
    /// The error code, if the IP has no record.
    Error,
    /// The values of a mapped attribute or indicator (its name in the mapping table).
    Attribute(&'static str),
    /// A field of the record, by its path (`location.accuracy_radius`, `subdivisions.0.names.en`).
    Path(String),
}

impl Column {
    /// The column a `--field` value names: a fixed name, an attribute name of the mapping table
    /// (any case; spaces, `-` and `_` alike), else a record path.
    pub fn parse(field: &str) -> Column {
        let key = normalize(field);
        match key.as_str() {
            "ip" => Column::Ip,
            "network" => Column::Network,
            "source" => Column::Source,
            "found_as_network" => Column::FoundAsNetwork,
            "error" => Column::Error,
            _ => attribute_names()
                .into_iter()
                .find(|name| normalize(name) == key)
                .map_or_else(|| Column::Path(field.trim().to_owned()), Column::Attribute),
        }
    }

    /// The column's heading: the field as the analyst names it.
    pub fn heading(&self) -> String {
        match self {
            Column::Ip => "ip".into(),
            Column::Network => "network".into(),
            Column::Source => "source".into(),
            Column::FoundAsNetwork => "found_as_network".into(),
            Column::Error => "error".into(),
            Column::Attribute(name) => normalize(name),
            Column::Path(path) => path.clone(),
        }
    }

    /// This column's value for `result` (`data`: the result's record, parsed, when needed).
    fn value(&self, result: &IpResult, data: Option<&Value>) -> Value {
        let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
        match self {
            Column::Ip => Value::String(result.ip.clone()),
            Column::Network => text(result.network.as_deref()),
            Column::Source => result.source.map_or(Value::Null, |s| {
                serde_json::to_value(s).unwrap_or(Value::Null)
            }),
            Column::FoundAsNetwork => text(result.found_as_network.as_deref()),
            Column::Error => text(result.error.as_ref().map(|e| e.code.as_str())),
            Column::Attribute(name) => {
                let mut values: Vec<&str> = Vec::new();
                let attributes = result.attributes.iter().map(|a| (a.name, &a.value));
                let indicators = result.indicators.iter().map(|i| (i.kind, &i.value));
                for (_, value) in attributes.chain(indicators).filter(|(n, _)| n == name) {
                    if !values.contains(&value.as_str()) {
                        values.push(value);
                    }
                }
                match values.as_slice() {
                    [] => Value::Null,
                    [one] => Value::String((*one).to_owned()),
                    many => many
                        .iter()
                        .map(|v| Value::String((*v).to_owned()))
                        .collect(),
                }
            }
            Column::Path(path) => data
                .and_then(|d| {
                    let path = path.strip_prefix(ANY_PATH).unwrap_or(path);
                    path.split('.').try_fold(d, |v, key| match v {
                        Value::Object(m) => m.get(key),
                        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
                        _ => None,
                    })
                })
                .cloned()
                .unwrap_or(Value::Null),
        }
    }
}

/// The top-level keys of MaxMind's records (GeoIP2/GeoLite2 City, Country, Enterprise,
/// Insights, and the flat ASN, ISP, Anonymous-IP, Connection-Type and Domain records): the first
/// segment of a record path.
const RECORD_KEYS: &[&str] = &[
    "city",
    "continent",
    "country",
    "location",
    "maxmind",
    "postal",
    "registered_country",
    "represented_country",
    "subdivisions",
    "traits",
    "anonymizer",
    "autonomous_system_number",
    "autonomous_system_organization",
    "connection_type",
    "domain",
    "isp",
    "organization",
    "mobile_country_code",
    "mobile_network_code",
    "is_anonymous",
    "is_anonymous_vpn",
    "is_hosting_provider",
    "is_public_proxy",
    "is_residential_proxy",
    "is_tor_exit_node",
    "ip_address",
    "prefix_len",
];

/// The prefix that takes any record path as it is, for databases with keys of their own
/// (`data.as_name`).
const ANY_PATH: &str = "data.";

/// Checks a `--field` value (the command line's parser calls it): a name without a dot is a
/// fixed field, an attribute name or a top-level record key; a name with one is a record path
/// whose first segment is a record key, or any path after `data.`. An unknown name is refused
/// with the closest known one.
pub fn check_field(field: &str) -> Result<String, String> {
    let trimmed = field.trim();
    if !matches!(Column::parse(trimmed), Column::Path(_)) || trimmed.starts_with(ANY_PATH) {
        return Ok(trimmed.to_owned());
    }
    let (first, rest) = match trimmed.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (trimmed, None),
    };
    if RECORD_KEYS.contains(&first) && rest.is_none_or(|r| !r.is_empty()) {
        return Ok(trimmed.to_owned());
    }
    let suggestion = match rest {
        None => {
            let mut known: Vec<String> = ["ip", "network", "source", "found_as_network", "error"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            known.extend(attribute_names().into_iter().map(normalize));
            known.extend(RECORD_KEYS.iter().map(|s| (*s).to_owned()));
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            crate::config::settings::closest(first, &known).map(str::to_owned)
        }
        Some(rest) => {
            crate::config::settings::closest(first, RECORD_KEYS).map(|key| format!("{key}.{rest}"))
        }
    };
    let suggestion = suggestion.map_or_else(String::new, |s| format!(" (did you mean {s:?}?)"));
    Err(format!(
        "unknown field{suggestion}; a field is ip, network, source, found_as_network, error, \
         an attribute name (city, country_code, asn, …) or a record path whose first key is a \
         record's (location.accuracy_radius, traits.isp); `data.` takes any path as written"
    ))
}

/// `Country Code` → `country_code`.
fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The distinct attribute and indicator names of the mapping table, in its order.
pub fn attribute_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for row in TABLE.iter().filter(|r| r.kind != Kind::Shown) {
        if !names.contains(&row.name) {
            names.push(row.name);
        }
    }
    names
}

/// The columns printed: those asked for, else the stable set for `format` — `ip`, `network`,
/// (`source` for a bulk), every attribute name, `error` for CSV; for a table only the
/// attributes some result has.
pub fn columns(response: &Response, format: Format, fields: &[String]) -> Vec<Column> {
    let bulk = response.summary.is_some();
    columns_of(bulk, &response.results, format, fields)
}

/// [`columns`] for `results`, of a bulk or not.
fn columns_of(bulk: bool, results: &[IpResult], format: Format, fields: &[String]) -> Vec<Column> {
    if !fields.is_empty() {
        return fields
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| Column::parse(f))
            .collect();
    }
    let mut columns = vec![Column::Ip, Column::Network];
    if bulk {
        columns.push(Column::Source);
    }
    let names = attribute_names();
    let has = |name: &str| {
        results.iter().any(|r| {
            r.attributes.iter().any(|a| a.name == name)
                || r.indicators.iter().any(|i| i.kind == name)
        })
    };
    columns.extend(
        names
            .into_iter()
            .filter(|n| format != Format::Table || has(n))
            .map(Column::Attribute),
    );
    if format != Format::Table || results.iter().any(|r| r.error.is_some()) {
        columns.push(Column::Error);
    }
    columns
}

/// Writes results as they are made, for the formats that need no look at the whole batch
/// (`ndjson`, `csv`): the CSV header once, then each result's line.
pub struct Rows<'a> {
    format: Format,
    fields: bool,
    columns: Vec<Column>,
    out: RowsOut<'a>,
    /// One line, reused.
    line: Vec<u8>,
}

enum RowsOut<'a> {
    Lines(&'a mut dyn Write),
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
}

impl<'a> Rows<'a> {
    /// Starts the output (`format` is `Ndjson` or `Csv`) with the columns of a lookup's
    /// results: those asked for, else the stable set.
    pub fn start(format: Format, fields: &[String], out: &'a mut dyn Write) -> io::Result<Self> {
        let columns = columns_of(false, &[], format, fields);
        let out = if format == Format::Csv {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(columns.iter().map(Column::heading))?;
            RowsOut::Csv(Box::new(csv))
        } else {
            RowsOut::Lines(out)
        };
        Ok(Rows {
            format,
            fields: !fields.is_empty(),
            columns,
            out,
            line: Vec::new(),
        })
    }

    /// Writes one result.
    pub fn result(&mut self, result: &IpResult) -> io::Result<()> {
        match &mut self.out {
            RowsOut::Csv(csv) => {
                csv.write_record(row(result, &self.columns).iter().map(cell_text))?;
            }
            RowsOut::Lines(out) if !self.fields => {
                self.line.clear();
                result.write_json(&mut self.line)?;
                self.line.push(b'\n');
                out.write_all(&self.line)?;
            }
            RowsOut::Lines(out) => {
                let object = object(&self.columns, row(result, &self.columns));
                serde_json::to_writer(&mut **out, &object)?;
                out.write_all(b"\n")?;
            }
        }
        debug_assert!(matches!(self.format, Format::Ndjson | Format::Csv));
        Ok(())
    }

    /// Flushes what is written so far.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            RowsOut::Csv(csv) => csv.flush(),
            RowsOut::Lines(out) => out.flush(),
        }
    }
}

/// Writes `response` to `out` as `format`, with only `fields` when some are given.
pub fn write(
    response: &Response,
    format: Format,
    fields: &[String],
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == Format::Json && fields.is_empty() {
        return write_json(response, pretty, out);
    }
    let columns = columns(response, format, fields);
    let rows = response.results.iter().map(|r| row(r, &columns));
    match format {
        Format::Json => {
            let all: Vec<Object<'_>> = rows.map(|r| object(&columns, r)).collect();
            write_json(&all, pretty, out)
        }
        Format::Ndjson if fields.is_empty() => {
            for result in &response.results {
                serde_json::to_writer(&mut *out, result)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Ndjson => {
            for r in rows {
                serde_json::to_writer(&mut *out, &object(&columns, r))?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(columns.iter().map(Column::heading))?;
            for r in rows {
                csv.write_record(r.iter().map(cell_text))?;
            }
            csv.flush()
        }
        // A table of no rows says nothing a person needs (the error goes to stderr).
        Format::Table if response.results.is_empty() => Ok(()),
        Format::Table => write_table(&columns, rows.collect(), out),
    }
}

/// Writes any serializable value as one JSON document and a newline.
pub fn write_json<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"\n")
}

fn row(result: &IpResult, columns: &[Column]) -> Vec<Value> {
    let data = columns
        .iter()
        .any(|c| matches!(c, Column::Path(_)))
        .then_some(result.data.as_ref())
        .flatten()
        .and_then(|raw| serde_json::from_str::<Value>(&raw.get()).ok());
    columns
        .iter()
        .map(|c| c.value(result, data.as_ref()))
        .collect()
}

/// A row as a JSON object whose keys keep the order the fields were asked in.
struct Object<'a> {
    columns: &'a [Column],
    row: Vec<Value>,
}

impl serde::Serialize for Object<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.columns.len()))?;
        for (column, value) in self.columns.iter().zip(&self.row) {
            map.serialize_entry(&column.heading(), value)?;
        }
        map.end()
    }
}

fn object(columns: &[Column], row: Vec<Value>) -> Object<'_> {
    Object { columns, row }
}

/// A cell as text: strings as they are, several values joined by `; `, other JSON as JSON.
fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Aligned columns, two spaces apart; a bold heading, error codes in red.
fn write_table(columns: &[Column], rows: Vec<Vec<Value>>, out: &mut dyn Write) -> io::Result<()> {
    let heading: Vec<String> = columns.iter().map(Column::heading).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| cell_text(v).replace(['\n', '\r', '\t'], " "))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].width())
                .chain([heading[i].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let bold = Style::new().bold();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let line = |out: &mut dyn Write, texts: &[String], style: &dyn Fn(usize) -> Style| {
        let mut text_line = String::new();
        for (i, text) in texts.iter().enumerate() {
            if !text.is_empty() {
                let s = style(i);
                text_line.push_str(&format!("{s}{text}{s:#}"));
            }
            let pad = widths[i] - text.width() + 2;
            text_line.push_str(&format!("{:pad$}", ""));
        }
        writeln!(out, "{}", text_line.trim_end())
    };
    line(out, &heading, &|_| bold)?;
    for r in &cells {
        line(out, r, &|i| {
            if columns[i] == Column::Error {
                red
            } else {
                Style::new()
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_attributes_in_any_case_or_record_paths() {
        assert_eq!(
            Column::parse("country_code"),
            Column::Attribute("Country Code")
        );
        assert_eq!(
            Column::parse("Country Code"),
            Column::Attribute("Country Code")
        );
        assert_eq!(Column::parse("asn"), Column::Attribute("ASN"));
        assert_eq!(
            Column::parse("is-tor-exit-node"),
            Column::Attribute("Is TOR Exit Node")
        );
        assert_eq!(Column::parse("IP"), Column::Ip);
        assert_eq!(
            Column::parse("location.accuracy_radius"),
            Column::Path("location.accuracy_radius".into())
        );
    }

    #[test]
    fn every_attribute_name_is_a_column_once() {
        let names = attribute_names();
        assert!(names.contains(&"Country") && names.contains(&"FQDN"));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn cells_join_several_values() {
        assert_eq!(cell_text(&serde_json::json!(["GB", "FR"])), "GB; FR");
        assert_eq!(cell_text(&serde_json::json!(100)), "100");
        assert_eq!(cell_text(&Value::Null), "");
    }
}
