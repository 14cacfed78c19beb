//! HTML: a small hand-written tokenizer (no tree, so nesting costs nothing and time is linear
//! in the size). Entities are decoded (numeric and every WHATWG named one), inline tags join
//! the text around them (`81.2.<b>69</b>.142`), block tags, `<br>` and table cells separate,
//! `<script>`, `<style>`, `<template>` and comments are skipped, and URL-ish attribute values
//! (`href`, `src`, …) are emitted as separate tokens after the block that holds them.

use crate::Ctx;
use crate::text::{Sep, TextOut, bytes_to_string};
use std::io;

/// The expansion of a named character reference (`period` → `.`), if it exists.
pub(crate) fn named_entity(name: &str) -> Option<&'static str> {
    let t = &crate::html_entities::ENTITIES;
    t.binary_search_by(|(k, _)| k.cmp(&name))
        .ok()
        .map(|i| t[i].1)
}

/// Decodes an HTML file held in memory (UTF-8, UTF-16 with a BOM, else Windows-1252).
pub(crate) fn decode(ctx: &mut Ctx<'_>, label: &str, bytes: &[u8]) -> io::Result<()> {
    let s = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, u16::from_be_bytes)
    } else {
        bytes_to_string(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
    };
    to_text(ctx, label, &s)
}

fn utf16(b: &[u8], f: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = b.chunks_exact(2).map(|c| f([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// Tags that do not break a word: text on both sides joins.
const INLINE: [&str; 30] = [
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "tt", "u",
];
/// Tags whose content is not shown to a reader.
const HIDDEN: [&str; 5] = ["script", "style", "template", "noembed", "noframes"];
/// Attributes whose values are emitted as separate tokens.
const URL_ATTRS: [&str; 13] = [
    "href",
    "src",
    "action",
    "formaction",
    "cite",
    "poster",
    "background",
    "srcset",
    "data",
    "content",
    "alt",
    "title",
    "value",
];

/// Extracts the text of an HTML document and hands it to the sink under `label`.
pub(crate) fn to_text(ctx: &mut Ctx<'_>, label: &str, s: &str) -> io::Result<()> {
    let mut out = TextOut::new(label.to_string());
    let mut extras: Vec<String> = Vec::new();
    let mut memo: Vec<(String, usize)> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                if s[i..].starts_with("<!--") {
                    i = s[i + 4..].find("-->").map_or(b.len(), |p| i + 4 + p + 3);
                } else if matches!(b.get(i + 1), Some(b'!' | b'?')) {
                    i = s[i..].find('>').map_or(b.len(), |p| i + p + 1);
                } else if b.get(i + 1) == Some(&b'/')
                    && b.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
                {
                    let (name, end) = tag_name(s, i + 2);
                    i = s[end..].find('>').map_or(b.len(), |p| end + p + 1);
                    separate(&mut out, &mut extras, &name);
                } else if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
                    let (name, end) = tag_name(s, i + 1);
                    let (attrs, after) = attributes(s, end);
                    i = after;
                    for (k, v) in attrs {
                        if URL_ATTRS.contains(&k.as_str()) && !v.trim().is_empty() {
                            extras.push(decode_entities(&v));
                        }
                    }
                    if HIDDEN.contains(&name.as_str()) {
                        i = skip_raw(s, i, &name, &mut memo);
                        out.sep(Sep::Space);
                    } else if name == "title" || name == "textarea" {
                        let close = find_close(s, i, &name, &mut memo);
                        out.sep(Sep::Line);
                        push_text(&mut out, &decode_entities(&s[i..close]));
                        out.sep(Sep::Line);
                        i = s[close..].find('>').map_or(b.len(), |p| close + p + 1);
                    } else {
                        separate(&mut out, &mut extras, &name);
                    }
                } else {
                    out.push("<");
                    i += 1;
                }
            }
            b'&' => {
                let (text, len) = entity(&s[i..]);
                push_text(&mut out, &text);
                i += len;
            }
            _ => {
                let end = s[i..].find(['<', '&']).map_or(b.len(), |p| i + p);
                push_text(&mut out, &s[i..end]);
                i = end;
            }
        }
        out.maybe_flush(ctx)?;
    }
    flush_extras(&mut out, &mut extras);
    out.flush(ctx)
}

/// Applies the separator a tag implies; block boundaries also release pending attribute values.
fn separate(out: &mut TextOut, extras: &mut Vec<String>, name: &str) {
    if INLINE.contains(&name) || name == "wbr" {
        return;
    }
    if matches!(name, "td" | "th") {
        out.sep(Sep::Tab);
        flush_extras(out, extras);
        return;
    }
    let block = matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "pre"
            | "blockquote"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "main"
            | "dl"
            | "dt"
            | "dd"
            | "form"
            | "fieldset"
            | "address"
            | "figure"
            | "figcaption"
            | "body"
            | "html"
            | "head"
            | "caption"
            | "center"
            | "option"
            | "select"
            | "details"
            | "summary"
    );
    if block {
        out.sep(Sep::Line);
        flush_extras(out, extras);
    } else {
        out.sep(Sep::Space);
    }
}

fn flush_extras(out: &mut TextOut, extras: &mut Vec<String>) {
    if extras.is_empty() {
        return;
    }
    out.sep(Sep::Line);
    for e in extras.drain(..) {
        out.push(&e);
        out.sep(Sep::Line);
    }
}

/// Text with runs of whitespace (and no-break spaces) collapsed into separators.
fn push_text(out: &mut TextOut, t: &str) {
    for (k, piece) in t
        .split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .enumerate()
    {
        if k > 0 {
            out.sep(Sep::Space);
        }
        out.push(piece);
    }
}

/// A tag name starting at `i` (lower-cased) and where it ends.
fn tag_name(s: &str, i: usize) -> (String, usize) {
    let end = s[i..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map_or(s.len(), |p| i + p);
    (s[i..end].to_ascii_lowercase(), end)
}

/// Attributes from `i` up to the closing `>`; returns them and the index after `>`.
fn attributes(s: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let b = s.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = s[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i] as char;
                let end = s[i + 1..].find(q).map_or(b.len(), |p| i + 1 + p);
                value = s[i + 1..end].to_string();
                i = (end + 1).min(b.len());
            } else {
                let end = s[i..]
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .map_or(b.len(), |p| i + p);
                value = s[i..end].to_string();
                i = end;
            }
            attrs.push((name, value));
        } else if i == start {
            i += 1; // a stray character: step over it
        }
    }
}

/// Index of the `</name` that closes a raw-text element (or the end). The last answer per
/// tag name is remembered: it stays the answer for any later start before it, so a page of
/// unclosed `<title>` tags costs linear time, not quadratic.
fn find_close(s: &str, from: usize, name: &str, memo: &mut Vec<(String, usize)>) -> usize {
    if let Some((_, at)) = memo.iter().find(|(n, at)| n == name && *at >= from) {
        return *at;
    }
    let at = find_close_uncached(s, from, name);
    memo.retain(|(n, _)| n != name);
    memo.push((name.to_string(), at));
    at
}

fn find_close_uncached(s: &str, from: usize, name: &str) -> usize {
    let b = s.as_bytes();
    let mut i = from;
    while let Some(p) = s[i..].find("</") {
        let at = i + p;
        let cand = &b[at + 2..(at + 2 + name.len()).min(b.len())];
        if cand.eq_ignore_ascii_case(name.as_bytes()) {
            return at;
        }
        i = at + 2;
    }
    b.len()
}

/// Skips a raw-text element's content and its closing tag.
fn skip_raw(s: &str, from: usize, name: &str, memo: &mut Vec<(String, usize)>) -> usize {
    let close = find_close(s, from, name, memo);
    s[close..].find('>').map_or(s.len(), |p| close + p + 1)
}

/// Decodes every character reference in `t`.
pub(crate) fn decode_entities(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let (text, len) = entity(&rest[p..]);
        out.push_str(&text);
        rest = &rest[p + len..];
    }
    out.push_str(rest);
    out
}

/// Decodes the character reference at the start of `s` (which starts with `&`): the text and
/// how many bytes it took. Not a reference: a literal `&`.
fn entity(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        let start = if hex { 3 } else { 2 };
        let digits = b[start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits > 0 {
            let num = &s[start..start + digits];
            let v = u32::from_str_radix(&num[..num.len().min(8)], if hex { 16 } else { 10 })
                .unwrap_or(0xFFFD);
            let c = char::from_u32(v)
                .filter(|&c| c != '\0')
                .unwrap_or('\u{FFFD}');
            let mut len = start + digits;
            if b.get(len) == Some(&b';') {
                len += 1;
            }
            return (c.to_string(), len);
        }
        return ("&".into(), 1);
    }
    let n = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if n > 0 && n <= 32 {
        let name = &s[1..1 + n];
        if b.get(1 + n) == Some(&b';') {
            if let Some(v) = named_entity(name) {
                return (v.to_string(), n + 2);
            }
        } else if let Some(v) = ["amp", "lt", "gt", "quot", "nbsp"]
            .contains(&name)
            .then(|| named_entity(name))
            .flatten()
        {
            return (v.to_string(), n + 1);
        }
    }
    ("&".into(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("81&#46;2&#x2e;69&period;142 &amp; &lsqb;x&rsqb; &bogus; &"),
            "81.2.69.142 & [x] &bogus; &"
        );
    }
}
