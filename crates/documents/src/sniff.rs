//! Recognises a file by its content (magic bytes and structure). Names are never consulted:
//! they come from attackers and lie. ZIP-based formats are told apart later, from the
//! archive's entry names (see `archive`).

use crate::Format;

/// Recognises the format from the first bytes (up to 4 KiB) of a file.
pub(crate) fn sniff(head: &[u8]) -> Format {
    if head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(b"PK\x07\x08")
    {
        return Format::Zip;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Format::Gzip;
    }
    if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        return Format::Xz;
    }
    // "BZh", the block size (1-9 hundred KiB), then the magic of a first block (an empty
    // stream has none, and nothing to read).
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    {
        return Format::Bzip2;
    }
    if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        return Format::Zstd;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Format::Msg;
    }
    if find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Format::Pdf;
    }
    if is_tar(head) {
        return Format::Tar;
    }
    // Text formats: skip a UTF-8 BOM and leading blank lines.
    let mut t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    while let Some((&c, rest)) = t.split_first() {
        if c.is_ascii_whitespace() {
            t = rest
        } else {
            break;
        }
    }
    if t.starts_with(b"From ")
        && is_mail_headers(t.splitn(2, |&c| c == b'\n').nth(1).unwrap_or(b""))
    {
        return Format::Mbox;
    }
    if is_mail_headers(t) {
        return Format::Eml;
    }
    if t.first() == Some(&b'<') {
        let lower: Vec<u8> = t[..t.len().min(1024)].to_ascii_lowercase();
        const HTML: [&[u8]; 12] = [
            b"<!doctype html",
            b"<html",
            b"<head",
            b"<body",
            b"<title",
            b"<meta",
            b"<div",
            b"<table",
            b"<p>",
            b"<p ",
            b"<br",
            b"<a href",
        ];
        // An XML vocabulary (RSS, an Android manifest, a .NET config) may use `<title>` or
        // `<meta-data>`: it is XML when it says so (a declaration, a namespace on its root)
        // or its root is one of the usual ones, and no HTML page says otherwise.
        let page = find(&lower, b"<html").is_some() || find(&lower, b"<!doctype html").is_some();
        // Inline SVG or MathML (with its namespace) may open an HTML fragment.
        let fragment = [&b"<p>"[..], b"<p ", b"<div", b"<br", b"<table", b"<body"]
            .iter()
            .any(|tag| find(&lower, tag).is_some());
        if !page
            && (lower.starts_with(b"<?xml")
                || root_element(&lower).is_some_and(|(name, xmlns)| {
                    xmlns && !(fragment && matches!(name, b"svg" | b"math"))
                        || XML_ROOTS.contains(&name)
                }))
        {
            return Format::Xml;
        }
        if HTML.iter().any(|tag| find(&lower, tag).is_some()) {
            return Format::Html;
        }
        if lower.starts_with(b"<?xml")
            || lower
                .get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!')
        {
            return Format::Xml;
        }
    }
    if crate::table::layout(t).is_some() {
        return Format::Table;
    }
    Format::Other
}

/// Roots of XML vocabularies that are written without a declaration or a namespace.
const XML_ROOTS: [&[u8]; 8] = [
    b"rss",
    b"feed",
    b"manifest",
    b"configuration",
    b"project",
    b"plist",
    b"nmaprun",
    b"kml",
];

/// The name of the first element of markup (after the XML declaration, comments and the
/// document type), lowercase as `lower` is, and whether it declares a default namespace; None
/// if none starts in it.
fn root_element(lower: &[u8]) -> Option<(&[u8], bool)> {
    let mut at = 0;
    while let Some(p) = lower[at..].iter().position(|&c| c == b'<') {
        let tag = &lower[at + p + 1..];
        match tag.first() {
            Some(c) if c.is_ascii_alphabetic() => {
                let len = tag
                    .iter()
                    .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b':' | b'-' | b'_')))
                    .unwrap_or(tag.len());
                let end = tag.iter().position(|&c| c == b'>').unwrap_or(tag.len());
                return Some((&tag[..len], find(&tag[..end], b"xmlns=").is_some()));
            }
            Some(b'!' | b'?') => at += p + 1,
            _ => return None,
        }
    }
    None
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A POSIX/GNU tar header: `ustar` magic at 257 and a valid header checksum.
fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 || &head[257..262] != b"ustar" {
        return false;
    }
    tar_checksum_ok(&head[..512])
}

/// Checks the checksum of a 512-byte tar header block.
pub(crate) fn tar_checksum_ok(block: &[u8]) -> bool {
    let stored = parse_octal(&block[148..156]);
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u64
            }
        })
        .sum();
    stored == Some(sum)
}

/// Parses a NUL/space-terminated octal field of a tar header.
pub(crate) fn parse_octal(field: &[u8]) -> Option<u64> {
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&c| c == b' ')
        .take_while(|&c| (b'0'..=b'7').contains(&c))
        .collect();
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in s {
        v = v.checked_mul(8)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Header names that mark the start of an e-mail.
const MAIL_HEADERS: [&str; 16] = [
    "received",
    "from",
    "to",
    "subject",
    "message-id",
    "mime-version",
    "date",
    "return-path",
    "delivered-to",
    "content-type",
    "reply-to",
    "x-originating-ip",
    "dkim-signature",
    "authentication-results",
    "x-mailer",
    "sender",
];

/// A mail header block at the top: every line up to the first blank one (or the end of what
/// we have) is a `Name: value` header or a folded continuation, with at least two headers and
/// one well-known name among them.
fn is_mail_headers(t: &[u8]) -> bool {
    let mut headers = 0;
    let mut known = false;
    let mut lines = t.split(|&c| c == b'\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if lines.peek().is_none() && headers >= 2 {
            break; // the last line of the head may be cut short
        }
        if !first && (line[0] == b' ' || line[0] == b'\t') {
            continue;
        }
        first = false;
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&c| c.is_ascii_graphic()) {
            return false;
        }
        headers += 1;
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if MAIL_HEADERS.contains(&name.as_str())
            || name.starts_with("x-")
            || name.starts_with("arc-")
        {
            known = true;
        }
    }
    headers >= 2 && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Format::Pdf);
        assert_eq!(sniff(b"junk\n%PDF-1.4\n"), Format::Pdf);
        assert_eq!(sniff(b"PK\x03\x04rest"), Format::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Format::Gzip);
        assert_eq!(sniff(b"\xFD7zXZ\0\0\x01"), Format::Xz);
        assert_eq!(sniff(b"BZh91AY&SY\x64\x1b"), Format::Bzip2);
        assert_eq!(sniff(b"BZh0rest of a note"), Format::Other);
        assert_eq!(sniff(b"BZh9\x17\x72\x45\x38\x50\x90"), Format::Other);
        assert_eq!(sniff(&[0x28, 0xB5, 0x2F, 0xFD, 0x24]), Format::Zstd);
        assert_eq!(
            sniff(b"Received: from x\r\nFrom: a@b\r\n\r\nbody"),
            Format::Eml
        );
        assert_eq!(
            sniff(b"From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\nSubject: x\n\n"),
            Format::Mbox
        );
        assert_eq!(sniff(b"\n<!DOCTYPE html><html>"), Format::Html);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><root/>"), Format::Xml);
        // XML vocabularies with elements named as HTML's are XML; pages and fragments HTML.
        use Format::{Html, Xml};
        for (text, format) in [
            (&b"<?xml version=\"1.0\"?><rss><channel><title>t</title></channel></rss>"[..], Xml),
            (b"<rss><item><title>t</title><enclosure url=\"http://81.2.69.245/a.zip\"/></item></rss>", Xml),
            (b"<?xml version=\"1.0\" encoding=\"utf-8\"?><manifest><application><meta-data/>", Xml),
            (b"<!-- feed --><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title>", Xml),
            (b"<svg xmlns=\"http://www.w3.org/2000/svg\"><title>map</title><a href=\"#\"><text>x</text></a></svg>", Xml),
            (b"<?xml version=\"1.0\"?><!DOCTYPE html><html><body>", Html),
            (b"<div><p>81.2.69.142</p></div>", Html),
            (b"<!-- saved --><table><tr><td>x</td></tr></table>", Html),
            (b"<section><p>text</p></section>", Html),
            (b"<nobr>C2 81.2.69.142</nobr><br><script>var x;</script>", Html),
            (b"<svg width=\"10\"></svg><p>if a < b then 81.2.69.142</p>", Html),
            (b"<svg xmlns=\"http://www.w3.org/2000/svg\"><path/></svg>\n<p>81.2.69.142</p><br>", Html),
            (b"<del>x</del><div title=\"IP version\">81.2.69.143</div>", Html),
            (b"<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]--><p>x</p>", Html),
        ] {
            assert_eq!(sniff(text), format, "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(sniff(b"2024-01-01 deny 81.2.69.142\n"), Format::Other);
        assert_eq!(sniff(b"ip,country\n81.2.69.142,GB\n"), Format::Other);
        assert_eq!(sniff(b"{\"ip\": \"81.2.69.142\"}"), Format::Other);
        assert_eq!(sniff(b"Note: one line\nno header\n"), Format::Other);
    }
}
