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
    /// For a person at a terminal (its default there, never asked for by name): each
    /// address's fields one a line for a few addresses ([`FEW`]), a table for more.
    #[value(skip)]
    View,
}

/// Up to this many results, the terminal's view shows each one's fields one a line; past it,
/// a table.
pub const FEW: usize = 5;

/// How the text is laid out for where it goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    /// Indent JSON.
    pub pretty: bool,
    /// The terminal's width in cells: tables and views fit it. `None`: any width (a pipe, a
    /// file).
    pub width: Option<usize>,
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
    /// Where in a bulk's attachment the IP was first found (`report.pdf p. 3`).
    FoundIn,
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
            "found_in" => Column::FoundIn,
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
            Column::FoundIn => "found_in".into(),
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
            Column::FoundIn => text(result.found_in.as_deref()),
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
            let mut known: Vec<String> = FIXED_FIELDS.iter().map(|s| (*s).to_owned()).collect();
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
        "unknown field{suggestion}; a field is {}, \
         an attribute name (city, country_code, asn, …) or a record path whose first key is a \
         record's (location.accuracy_radius, traits.isp); `data.` takes any path as written",
        FIXED_FIELDS.join(", ")
    ))
}

/// The fields that are no attribute and no record path (see [`Column::parse`]).
const FIXED_FIELDS: [&str; 6] = [
    "ip",
    "network",
    "source",
    "found_as_network",
    "found_in",
    "error",
];

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

/// Writes `response` to `out` as `format`, with only `fields` when some are given, laid out as
/// `shape` says; returns the headings of the columns a table left out to fit the width.
pub fn write(
    response: &Response,
    format: Format,
    fields: &[String],
    shape: Shape,
    out: &mut dyn Write,
) -> io::Result<Vec<String>> {
    let pretty = shape.pretty;
    if format == Format::Json && fields.is_empty() {
        return write_json(response, pretty, out).map(|()| Vec::new());
    }
    if format == Format::View && response.results.len() <= FEW {
        let columns = columns(response, Format::Table, fields);
        return write_fields(response, &columns, shape.width, out).map(|()| Vec::new());
    }
    let format = if format == Format::View {
        Format::Table
    } else {
        format
    };
    let columns = columns(response, format, fields);
    let rows = response.results.iter().map(|r| row(r, &columns));
    match format {
        Format::Json => {
            let all: Vec<Object<'_>> = rows.map(|r| object(&columns, r)).collect();
            write_json(&all, pretty, out)?;
        }
        Format::Ndjson if fields.is_empty() => {
            for result in &response.results {
                serde_json::to_writer(&mut *out, result)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Ndjson => {
            for r in rows {
                serde_json::to_writer(&mut *out, &object(&columns, r))?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(columns.iter().map(Column::heading))?;
            for r in rows {
                csv.write_record(r.iter().map(cell_text))?;
            }
            csv.flush()?;
        }
        // A table of no rows says nothing a person needs (the error goes to stderr).
        Format::Table | Format::View if response.results.is_empty() => {}
        Format::Table | Format::View => {
            return write_table(&columns, rows.collect(), shape.width, out);
        }
    }
    Ok(Vec::new())
}

/// Writes any serializable value as one JSON document and a newline; `pretty` indents all of
/// it, the records carried as raw JSON text too.
pub fn write_json<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if pretty {
        let compact = serde_json::to_vec(value)?;
        crate::indent::indent(&compact, out)?;
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

/// Aligned columns, two spaces apart; a bold heading, error codes in red. With a `width`, the
/// table fits it: long cells are cut (`…`) to a share of the width, then the last columns are
/// left out (never `ip` nor `error`), then the last column kept is cut. Returns the headings
/// left out.
fn write_table(
    columns: &[Column],
    rows: Vec<Vec<Value>>,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<Vec<String>> {
    let heading: Vec<String> = columns.iter().map(Column::heading).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| cell_text(v).replace(['\n', '\r', '\t'], " "))
                .collect()
        })
        .collect();
    let natural: Vec<usize> = (0..columns.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].width())
                .chain([heading[i].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rank = |i: usize| match &columns[i] {
        Column::Ip | Column::Error => Rank::Kept,
        Column::Network | Column::Source => Rank::Main,
        Column::Attribute(name) if MAIN_ATTRIBUTES.contains(name) => Rank::Main,
        _ => Rank::Other,
    };
    let (shown, widths) = fit(&natural, &heading, width, rank);
    let left_out: Vec<String> = (0..columns.len())
        .filter(|i| !shown.contains(i))
        .map(|i| heading[i].clone())
        .collect();
    let bold = Style::new().bold();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let line = |out: &mut dyn Write, texts: &[String], style: &dyn Fn(usize) -> Style| {
        let mut text_line = String::new();
        for (&i, &cells_wide) in shown.iter().zip(&widths) {
            let text = cut(&texts[i], cells_wide);
            if !text.is_empty() {
                let s = style(i);
                text_line.push_str(&format!("{s}{text}{s:#}"));
            }
            let pad = cells_wide - text.width() + 2;
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
    Ok(left_out)
}

/// What a column is worth when a table must leave some out to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    /// Never left out (`ip`, `error`).
    Kept,
    /// Left out last: where an address is, and who holds it.
    Main,
    /// Left out first.
    Other,
}

/// The attributes a narrow table keeps longest.
const MAIN_ATTRIBUTES: &[&str] = &[
    "City",
    "Country",
    "Country Code",
    "ASN",
    "ASN Organization",
    "ISP",
];

/// Which columns a table of `natural` widths shows within `width` cells, and how wide each is
/// (see [`write_table`]); `rank` tells what each column is worth: the last `Other` columns
/// go first, then the last `Main` ones; `Kept` ones stay.
fn fit(
    natural: &[usize],
    heading: &[String],
    width: Option<usize>,
    rank: impl Fn(usize) -> Rank,
) -> (Vec<usize>, Vec<usize>) {
    let keep = |i: usize| rank(i) == Rank::Kept;
    let mut shown: Vec<usize> = (0..natural.len()).collect();
    let mut widths = natural.to_vec();
    let Some(width) = width else {
        return (shown, widths);
    };
    let total =
        |widths: &[usize]| widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    // Long cells first: none wider than a third of the line (or its heading), but for the
    // columns kept whole.
    if total(&widths) > width {
        for (i, (w, h)) in widths.iter_mut().zip(heading).enumerate() {
            if !keep(i) {
                *w = (*w).min((width / 3).max(h.width()).max(4));
            }
        }
    }
    // Then the last columns that may go, the lesser first.
    while total(&widths) > width {
        let last_of = |r: Rank| (0..shown.len()).rev().find(|&at| rank(shown[at]) == r);
        let Some(at) = last_of(Rank::Other).or_else(|| last_of(Rank::Main)) else {
            break;
        };
        if shown.len() <= 1 {
            break;
        }
        shown.remove(at);
        widths.remove(at);
    }
    // Then the widest column is cut to what is left.
    let over = total(&widths).saturating_sub(width);
    if over > 0 {
        if let Some(widest) = widths.iter_mut().max() {
            *widest = widest.saturating_sub(over).max(1);
        }
    }
    (shown, widths)
}

/// `text` in at most `cells` cells: cut, with `…` at the end, when it is longer.
fn cut(text: &str, cells: usize) -> std::borrow::Cow<'_, str> {
    if text.width() <= cells {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cells {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    std::borrow::Cow::Owned(kept)
}

/// `text` in lines of at most `cells` cells, broken at spaces where it can be.
fn wrap(text: &str, cells: usize) -> Vec<String> {
    let cells = cells.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        loop {
            let room = if line.is_empty() {
                cells
            } else {
                cells.saturating_sub(line.width() + 1)
            };
            if word.width() <= room {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line is broken.
            let mut head = String::new();
            let mut rest = word.chars().peekable();
            while let Some(&c) = rest.peek() {
                if head.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > cells {
                    break;
                }
                head.push(c);
                rest.next();
            }
            lines.push(head);
            word = rest.collect();
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Each result's fields one a line, `name  value`, under its address and network in bold;
/// long values wrapped to `width`. Fields a result has no value for are left out; an error is
/// shown with its message.
fn write_fields(
    response: &Response,
    columns: &[Column],
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let columns: Vec<&Column> = columns
        .iter()
        .filter(|c| !matches!(c, Column::Ip | Column::Network))
        .collect();
    let name_width = columns
        .iter()
        .map(|c| c.heading().width())
        .max()
        .unwrap_or(0);
    for (n, result) in response.results.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let network = result
            .network
            .as_deref()
            .map_or_else(String::new, |net| format!("  {net}"));
        writeln!(out, "{bold}{}{bold:#}{network}", result.ip)?;
        let values = row(
            result,
            &columns.iter().map(|c| (*c).clone()).collect::<Vec<_>>(),
        );
        for (column, value) in columns.iter().zip(values) {
            let (text, style) = match (column, &result.error) {
                (Column::Error, Some(e)) => (format!("{} [{}]", e.message, e.code), red),
                _ if value.is_null() => continue,
                _ => (
                    cell_text(&value).replace(['\n', '\r', '\t'], " "),
                    Style::new(),
                ),
            };
            let indent = 2 + name_width + 2;
            let lines = wrap(
                &text,
                width.map_or(usize::MAX, |w| w.saturating_sub(indent)),
            );
            for (i, line) in lines.iter().enumerate() {
                let name = if i == 0 {
                    column.heading()
                } else {
                    String::new()
                };
                writeln!(out, "  {name:<name_width$}  {style}{line}{style:#}")?;
            }
        }
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
    fn a_table_fits_its_width_by_cutting_long_cells_then_leaving_out_columns() {
        let heading: Vec<String> = ["ip", "city", "isp", "error"].map(String::from).to_vec();
        let keep = |i: usize| match i {
            0 | 3 => Rank::Kept,
            1 => Rank::Main,
            _ => Rank::Other,
        };
        let natural = [15, 6, 60, 9];
        let any = fit(&natural, &heading, None, keep);
        assert_eq!(any, (vec![0, 1, 2, 3], vec![15, 6, 60, 9]));
        let wide = fit(&natural, &heading, Some(200), keep);
        assert_eq!(wide, (vec![0, 1, 2, 3], vec![15, 6, 60, 9]));
        // 80 cells: the 60-cell column is cut to a third of the line.
        let cut = fit(&natural, &heading, Some(80), keep);
        assert_eq!(cut, (vec![0, 1, 2, 3], vec![15, 6, 26, 9]));
        // 40 cells: then the last column that may go goes.
        let narrow = fit(&natural, &heading, Some(40), keep);
        assert_eq!(narrow, (vec![0, 1, 3], vec![15, 6, 9]));
        // Worth goes before place: the city stays longer than a lesser column before it.
        let before = fit(&[15, 30, 6, 9], &heading, Some(45), |i| match i {
            0 | 3 => Rank::Kept,
            1 => Rank::Other,
            _ => Rank::Main,
        });
        assert_eq!(before, (vec![0, 2, 3], vec![15, 6, 9]));
        // 20 cells: ip and error are kept, and the widest is cut to what is left.
        let (shown, widths) = fit(&natural, &heading, Some(20), keep);
        assert_eq!(shown, [0, 3]);
        assert!(widths.iter().sum::<usize>() + 2 * (widths.len() - 1) <= 20);
    }

    #[test]
    fn cut_and_wrap_keep_within_their_cells() {
        assert_eq!(cut("London", 6), "London");
        assert_eq!(cut("London", 4), "Lon…");
        assert_eq!(wrap("a bb ccc dddd", 8), ["a bb ccc", "dddd"]);
        assert_eq!(wrap("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        assert_eq!(wrap("", 8), [""]);
    }

    #[test]
    fn cells_join_several_values() {
        assert_eq!(cell_text(&serde_json::json!(["GB", "FR"])), "GB; FR");
        assert_eq!(cell_text(&serde_json::json!(100)), "100");
        assert_eq!(cell_text(&Value::Null), "");
    }
}
