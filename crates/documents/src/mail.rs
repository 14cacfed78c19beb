//! E-mail: `.eml` (RFC 5322/MIME) and mbox. The raw header block is handed on unfolded (so
//! `Received: … ([37.221.113.45])` survives as written), then the value of every header that
//! holds RFC 2047 encoded words, decoded; every MIME part is transfer-decoded (base64, quoted-printable with soft line
//! breaks removed) before anything is scanned; HTML parts go through `html`; nested
//! `message/rfc822` is walked; attachments are recursed through the decoder.

use crate::text::{bytes_to_string, clean_name};
use crate::{Ctx, DOCUMENT_LIMIT, DOCUMENT_PARTIAL, decode_bytes, html};
use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use std::io;

/// Decodes one e-mail held in memory.
pub(crate) fn decode_eml(
    ctx: &mut Ctx<'_>,
    label: &str,
    bytes: &[u8],
    depth: usize,
) -> io::Result<()> {
    let Some(msg) = MessageParser::default().parse(bytes) else {
        ctx.warn(
            DOCUMENT_PARTIAL,
            format!("{label}: not a readable e-mail; handed on as raw bytes"),
        );
        return ctx.emit_raw(label, &mut &bytes[..]);
    };
    let mut parts = 0usize;
    walk(ctx, label, &msg, depth, &mut parts)
}

/// Decodes an mbox: each message as `label message N`.
pub(crate) fn decode_mbox(
    ctx: &mut Ctx<'_>,
    label: &str,
    bytes: &[u8],
    depth: usize,
) -> io::Result<()> {
    if !ctx.may_nest(label, depth) {
        return Ok(());
    }
    for (n, m) in split_mbox(bytes).into_iter().enumerate() {
        let child = format!("{label} message {}", n + 1);
        if !ctx.take_entry(&child) {
            break;
        }
        // Skip the `From ` envelope line.
        let body = m
            .iter()
            .position(|&c| c == b'\n')
            .map_or(&m[m.len()..], |p| &m[p + 1..]);
        if let Err(e) = decode_eml(ctx, &child, body, depth + 1) {
            ctx.branch_error(&child, e)?;
        }
    }
    Ok(())
}

/// Splits an mbox at `From ` lines that start the file or follow a blank line.
fn split_mbox(b: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![];
    let mut i = 0;
    while i + 5 <= b.len() {
        if &b[i..i + 5] == b"From "
            && (i == 0 || b[..i].ends_with(b"\n\n") || b[..i].ends_with(b"\n\r\n"))
            && next_line_is_header(&b[i..])
        {
            starts.push(i);
        }
        i = match b[i..].iter().position(|&c| c == b'\n') {
            Some(p) => i + p + 1,
            None => break,
        };
    }
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &b[s..starts.get(k + 1).copied().unwrap_or(b.len())])
        .collect()
}

/// Whether the line after the first of `b` looks like `Name: value`.
fn next_line_is_header(b: &[u8]) -> bool {
    let Some(p) = b.iter().position(|&c| c == b'\n') else {
        return false;
    };
    let next = &b[p + 1..];
    let name_len = next
        .iter()
        .take_while(|&&c| c != b':' && c.is_ascii_graphic())
        .count();
    name_len > 0 && next.get(name_len) == Some(&b':')
}

/// Unfolds a raw header block: a line break followed by a space or tab joins the lines.
fn unfold(raw: &[u8]) -> String {
    let s = bytes_to_string(raw);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if c == '\n' && matches!(chars.peek(), Some(' ' | '\t')) {
            out.push(' ');
            while matches!(chars.peek(), Some(' ' | '\t')) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The header block of a message: raw and unfolded (so that `Received: … ([37.221.113.45])`
/// stays as written), then, for every header whose value holds RFC 2047 encoded words, that
/// value again with the words decoded. Every header is decoded alike, whatever mail-parser
/// makes of it (it decodes only some: `Thread-Topic`, `X-…` and the rest it keeps raw).
fn headers_text(msg: &Message<'_>) -> String {
    let Some(root) = msg.parts.first() else {
        return String::new();
    };
    let raw = &msg.raw_message[..];
    let block = raw
        .get(root.offset_header as usize..root.offset_body as usize)
        .unwrap_or(&[]);
    let mut text = unfold(block);
    for h in &root.headers {
        let value = raw
            .get(h.offset_start as usize..h.offset_end as usize)
            .unwrap_or(&[]);
        if !value.windows(2).any(|w| w == b"=?") {
            continue;
        }
        let decoded = decode_words(value);
        if !decoded.is_empty() {
            text.push_str(&format!("\n{}: {decoded}", h.name.as_str()));
        }
    }
    text
}

/// A header's raw value (folded, as in the message) read as unstructured text (RFC 2047
/// section 5 (1)): encoded words decoded, adjacent ones joined, folds and runs of white space
/// made one space.
fn decode_words(value: &[u8]) -> String {
    // The parser reads up to the line break that ends the header: the last header of a
    // message cut short has none.
    let mut line = value.to_vec();
    if !line.ends_with(b"\n") {
        line.push(b'\n');
    }
    match MessageStream::new(&line).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::new(),
    }
}

/// Walks one message: its headers, then every leaf part in order (`label part N …`).
fn walk(
    ctx: &mut Ctx<'_>,
    label: &str,
    msg: &Message<'_>,
    depth: usize,
    parts: &mut usize,
) -> io::Result<()> {
    ctx.emit_text(&format!("{label} headers"), &headers_text(msg))?;
    let mut n = 0usize;
    for part in &msg.parts {
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        n += 1;
        *parts += 1;
        if *parts > ctx.limits.max_mail_parts {
            ctx.warn(
                DOCUMENT_LIMIT,
                format!(
                    "{label}: max_mail_parts ({}) reached; later parts skipped",
                    ctx.limits.max_mail_parts
                ),
            );
            return Ok(());
        }
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase())
            .unwrap_or_else(|| "text/plain".into());
        let name = part
            .attachment_name()
            .map(clean_name)
            .filter(|n| !n.is_empty());
        let part_label = format!(
            "{label} part {n} {}",
            name.as_deref().unwrap_or(&clean_name(&ctype))
        );
        // Transfer-decoded bytes count against the budget.
        let size = match &part.body {
            PartType::Text(t) | PartType::Html(t) => t.len(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
            _ => 0,
        };
        if !ctx.budget.take(size as u64) {
            ctx.note_budget(&part_label);
            return Ok(());
        }
        let result = match (&part.body, &name) {
            (PartType::Text(t), None) => ctx.emit_text(&part_label, t),
            (PartType::Html(t), None) => html::to_text(ctx, &part_label, t),
            (PartType::Message(m), _) => {
                if ctx.may_nest(label, depth) {
                    walk(
                        ctx,
                        &format!("{label} part {n} message"),
                        m,
                        depth + 1,
                        parts,
                    )
                } else {
                    Ok(())
                }
            }
            (PartType::Text(t) | PartType::Html(t), Some(_)) => {
                attachment(ctx, label, &part_label, t.as_bytes(), depth)
            }
            (PartType::Binary(b) | PartType::InlineBinary(b), _) => {
                attachment(ctx, label, &part_label, b, depth)
            }
            (PartType::Multipart(_), _) => Ok(()),
        };
        if let Err(e) = result {
            ctx.branch_error(&part_label, e)?;
        }
    }
    Ok(())
}

fn attachment(
    ctx: &mut Ctx<'_>,
    label: &str,
    part_label: &str,
    bytes: &[u8],
    depth: usize,
) -> io::Result<()> {
    if !ctx.take_entry(part_label) || !ctx.may_nest(label, depth) {
        return Ok(());
    }
    decode_bytes(ctx, part_label, bytes, depth + 1).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_headers() {
        assert_eq!(
            unfold(b"Received: from a\r\n\t([37.221.113.45])\r\nTo: b\r\n"),
            "Received: from a ([37.221.113.45])\nTo: b\n"
        );
    }

    #[test]
    fn decodes_encoded_words_and_joins_adjacent_ones_even_at_the_end_of_a_message() {
        assert_eq!(
            decode_words(b" seen =?utf-8?Q?81=2E2?=\r\n =?utf-8?B?LjY5LjE0Mg==?= (twice)"),
            "seen 81.2.69.142 (twice)"
        );
    }

    #[test]
    fn splits_mbox_at_from_lines_after_blank_lines() {
        let m = b"From a Mon\nSubject: 1\n\nFrom me, hello\n\nFrom b Tue\nSubject: 2\n\nx\n";
        let parts = split_mbox(m);
        assert_eq!(parts.len(), 2);
        assert!(parts[1].starts_with(b"From b"));
    }
}
