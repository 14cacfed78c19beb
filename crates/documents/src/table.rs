//! A table whose header names a version column: delimited (CSV, TSV, `;`- or `|`-separated:
//! an EDR or inventory export, `Host,Process,Company,Product,FileVersion,…`) or aligned in
//! columns under a rule (`winget list`, `pip list`, `dpkg -l`). Each row is
//! written as it is, its fields apart; a field under a version's header is written after
//! that header (`FileVersion: 8.0.6.0`), as a reader reads it under its column, so that a
//! four-part version is not taken for an address. A table whose header names no version is
//! no document: it is scanned as the text it is.

use crate::Ctx;
use crate::text::{Sep, TextOut};
use std::io::{self, Read};

/// How a table's columns are told apart.
pub(crate) enum Layout {
    /// By a delimiter (`,`, tab, `;`, `|`).
    Delimited(u8),
    /// By where they start under a rule: the header's line number, where the version column
    /// starts (in bytes), and its name.
    Aligned(usize, usize, String),
}

/// The layout of a table whose header (in its first lines, `head`) names a version column;
/// None for anything else.
pub(crate) fn layout(head: &[u8]) -> Option<Layout> {
    delimiter(head)
        .map(Layout::Delimited)
        .or_else(|| aligned(head).map(|(line, column, name)| Layout::Aligned(line, column, name)))
}

/// Writes the rows of a table laid out as `layout`, read from `input` (streamed).
pub(crate) fn decode(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    layout: Layout,
) -> io::Result<()> {
    match layout {
        Layout::Delimited(delimiter) => decode_delimited(ctx, label, input, delimiter),
        Layout::Aligned(header_line, column, name) => {
            decode_aligned(ctx, label, input, header_line, column, &name)
        }
    }
}

/// The delimiters a table may use, in the order they are preferred on a tie.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// The delimiter of a table whose first line (its header) names a version column, if it is one:
/// the delimiter written most often in the header (at least once), which splits it into
/// short fields, one of which names a version, with a next line that uses it too.
fn delimiter(text: &[u8]) -> Option<u8> {
    // After a UTF-8 BOM and blank lines.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let text = &text[text.iter().position(|b| !b.is_ascii_whitespace())?..];
    let mut lines = text.split(|&b| b == b'\n');
    let header = lines.next()?;
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    let next = lines.next()?;
    let delimiter = DELIMITERS.into_iter().max_by_key(|&d| {
        (
            count(header, d),
            std::cmp::Reverse(DELIMITERS.iter().position(|&x| x == d)),
        )
    })?;
    if count(header, delimiter) == 0 || count(next, delimiter) == 0 {
        return None;
    }
    let fields: Vec<&[u8]> = header.split(|&b| b == delimiter).map(trim_field).collect();
    let short = fields.iter().all(|f| f.len() <= 64);
    (short && fields.iter().any(|f| names_version(f))).then_some(delimiter)
}

/// A table aligned in columns under a header and a rule (`winget list`, `pip list`, `dpkg -l`,
/// PowerShell's `Format-Table`): within the first lines, a header that names a version,
/// followed by a line of `-`, `=` and `+` only. Returns the header's line number and where
/// its version column starts (in bytes), and the column's name.
fn aligned(text: &[u8]) -> Option<(usize, usize, String)> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').take(12).collect();
    lines.windows(2).enumerate().find_map(|(i, pair)| {
        let (header, rule) = (pair[0].trim_ascii_end(), pair[1].trim_ascii_end());
        let ruled = rule.len() >= 3
            && rule.iter().all(|b| matches!(b, b'-' | b'=' | b'+' | b' '))
            && rule.iter().filter(|&&b| b == b'-' || b == b'=').count() >= 3;
        if !ruled || DELIMITERS[..3].iter().any(|&d| count(header, d) > 0) {
            return None;
        }
        // The header's words, each where it starts; a column's name starts the line or
        // follows two spaces at least (a title is words apart by one).
        if !header.windows(2).any(|w| w == b"  ") {
            return None;
        }
        let mut at = 0;
        header.split(|&b| b == b' ').find_map(|word| {
            let start = at;
            at += word.len() + 1;
            let column = start == 0 || header[..start].ends_with(b"  ");
            (column && names_version(word))
                .then(|| (i, start, String::from_utf8_lossy(word).into_owned()))
        })
    })
}

fn count(line: &[u8], byte: u8) -> usize {
    line.iter().filter(|&&b| b == byte).count()
}

/// A header's field without its spaces and quotes.
fn trim_field(field: &[u8]) -> &[u8] {
    let field = field.trim_ascii();
    field
        .strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
        .unwrap_or(field)
        .trim_ascii()
}

/// Whether a column's header names a version (`Version`, `FileVersion`, `File Version`,
/// `product_version`, `InitiatingProcessVersionInfoFileVersion`): one of 64 bytes at most (a
/// sentence that says "version" is no column's name).
pub(crate) fn names_version(header: &[u8]) -> bool {
    header.len() <= 64
        && header
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"version"))
}

/// Writes the rows of the table read from `input` (streamed), fields separated by `delimiter`.
/// A line longer than [`LONGEST_LINE`] ends the table: the rest is handed on as raw text.
fn decode_delimited(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    delimiter: u8,
) -> io::Result<()> {
    let mut lines = Lines {
        inner: input,
        line: Vec::new(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        // A `|` table (Markdown) quotes nothing.
        .quoting(delimiter != b'|')
        .from_reader(&mut lines);
    let mut out = TextOut::new(label.to_string());
    // The header's fields, each with its name if it names a version (it labels the fields
    // under it); None until the header is read, and again after a blank line.
    let mut columns: Option<Vec<Option<String>>> = None;
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                out.flush(ctx)?;
                drop(reader);
                return match e.into_kind() {
                    // A line longer than any table's: the rest is text, read as it is.
                    csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                        let held = std::mem::take(&mut lines.line);
                        ctx.emit_raw(label, &mut io::Cursor::new(held).chain(lines.inner))
                    }
                    csv::ErrorKind::Io(e) => Err(e),
                    // A byte record takes any bytes: nothing else stops it.
                    _ => Ok(()),
                };
            }
        }
        let header = std::mem::take(&mut first);
        if header {
            columns = Some(
                record
                    .iter()
                    .map(|f| {
                        let name = String::from_utf8_lossy(f).trim().to_string();
                        names_version(name.as_bytes()).then_some(name)
                    })
                    .collect(),
            );
        } else if record.iter().all(|f| f.trim_ascii().is_empty()) {
            // A blank line ends the table.
            columns = None;
        }
        // The table's rows are those with the header's fields.
        let labels = columns
            .as_deref()
            .filter(|c| !header && c.len() == record.len());
        for (i, field) in record.iter().enumerate() {
            let field = String::from_utf8_lossy(field);
            if let Some(Some(name)) = labels.map(|c| &c[i]) {
                if !field.trim().is_empty() {
                    out.label(name);
                }
            }
            out.push(&field);
            out.sep(Sep::Tab);
        }
        out.sep(Sep::Line);
        out.maybe_flush(ctx)?;
    }
    out.flush(ctx)
}

/// Writes the lines of an [`aligned`] table read from `input`: each line under the rule (the
/// line after `header_line`) with the column's `name` before what stands in its version
/// column, from byte `column` (`Version: 0.80.0.0`).
fn decode_aligned(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    header_line: usize,
    column: usize,
    name: &str,
) -> io::Result<()> {
    let mut out = TextOut::new(label.to_string());
    let mut input = io::BufReader::new(input);
    let mut line = Vec::new();
    let mut number = 0;
    // The table's rows: from the line after the rule to the first blank line.
    let mut in_table = true;
    loop {
        line.clear();
        let read = (&mut input).take(LONGEST_LINE as u64);
        if io::BufRead::read_until(&mut { read }, b'\n', &mut line)? == 0 {
            break;
        }
        if line.len() >= LONGEST_LINE && !line.ends_with(b"\n") {
            // No table has such a line: the rest is text, read as it is.
            out.flush(ctx)?;
            return ctx.emit_raw(label, &mut io::Cursor::new(line).chain(input));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if number > header_line + 1 && text.trim().is_empty() {
            in_table = false;
        }
        let cell = text.get(column..).filter(|cell| {
            in_table
                && number > header_line + 1
                && !cell.starts_with(' ')
                && !cell.trim().is_empty()
                && text[..column].ends_with(' ')
        });
        match cell {
            Some(cell) => {
                out.push(&text[..column]);
                out.label(name);
                out.push(cell);
            }
            None => out.push(text),
        }
        out.sep(Sep::Line);
        out.maybe_flush(ctx)?;
        number += 1;
    }
    out.flush(ctx)
}

/// The longest line a table's row may have; a longer one ends the table, and the rest of
/// the input is read as text (a row is held whole while it is read).
const LONGEST_LINE: usize = 1 << 20;

/// The input of a delimited table, which fails (`InvalidData`) on a line longer than
/// [`LONGEST_LINE`]; it holds the line being read, to hand it on as text then.
struct Lines<'r> {
    inner: &'r mut dyn Read,
    line: Vec<u8>,
}

impl Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.line.len() >= LONGEST_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a line too long for a table",
            ));
        }
        let room = buf.len().min(LONGEST_LINE - self.line.len());
        let n = self.inner.read(&mut buf[..room])?;
        let read = &buf[..n];
        match memchr::memrchr(b'\n', read) {
            Some(at) => {
                self.line.clear();
                self.line.extend_from_slice(&read[at + 1..]);
            }
            None => self.line.extend_from_slice(read),
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_one_when_its_header_names_a_version_column() {
        for (text, expected) in [
            (
                &b"Host,Process,FileVersion,RemoteIP\nWS1,a.exe,8.0.6.0,81.2.69.142\n"[..],
                Some(b','),
            ),
            (
                b"\"Host\";\"File Version\"\r\n\"WS1\";\"1.0.0.1\"\r\n",
                Some(b';'),
            ),
            (
                b"Name\tId\tVersion\nPuTTY\tPuTTY.PuTTY\t0.80.0.0\n",
                Some(b'\t'),
            ),
            (b"| Host | Path | Version |\n|---|---|---|\n", Some(b'|')),
            // No version column, or no table: text.
            (b"Host,Process,RemoteIP\nWS1,a.exe,81.2.69.142\n", None),
            (b"version 1.2.3.4 is out\nand so on\n", None),
            (b"Version,only\n", None),
        ] {
            assert_eq!(
                delimiter(text),
                expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn a_table_aligned_under_a_rule_has_its_version_column_found() {
        let winget = b"PS C:\\> winget list\n\nName      Id            Version   Source\n----------------------------------------\nPuTTY     PuTTY.PuTTY   0.80.0.0  winget\n";
        assert_eq!(aligned(winget), Some((2, 24, "Version".to_string())));
        let dpkg = b"Desired=Unknown\n||/ Name    Version     Architecture Description\n+++-=======-===========-============-====\nii  adduser 3.118       all          add users\n";
        assert_eq!(aligned(dpkg), Some((1, 12, "Version".to_string())));
        // No rule under the header, or a delimited header: not aligned.
        assert_eq!(aligned(b"Name   Version\nPuTTY  0.80.0.0\n"), None);
        assert_eq!(aligned(b"Name,Version\n----,----\n"), None);
    }
}
