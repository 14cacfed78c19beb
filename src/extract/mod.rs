//! Finding IP addresses in text: threat reports, logs, CSV, JSON, e-mail headers, binaries.
//!
//! [`scan`] is the pure core (bytes in, addresses out, no allocation per byte); [`scan_reader`]
//! streams any reader through it in chunks — UTF-8, UTF-16 (by BOM, or by its zero bytes) and
//! binary alike — so memory does not grow with the input.
//!
//! What counts as an address:
//! - IPv4 dotted quads, and IPv6 in every textual form (compressed, full, embedded IPv4, with a
//!   zone id, in brackets), in canonical form (RFC 5952); IPv4-mapped IPv6 is the IPv4 address.
//! - Defanged forms: `[.]`, `(.)`, `{.}`, `[dot]` (any case) for dots and `[:]` for colons;
//!   regex-escaped dots (`151\.106\.171\.63`, and `\\.` as JSON writes a regex) unless the
//!   regex goes on to match more than the address (`10\.0\.0\.1[0-9]`).
//! - An address in a URL, a header (`[1.2.3.4]`), a CSV cell, a JSON string, `ip:port`,
//!   `src=ip`; a CIDR gives its address (noted as a network); `ip/port` gives the IP.
//!
//! What does not: spaced-out digits, dotted numbers of more than four parts, octets over 255 or
//! with leading zeros, addresses glued to letters or digits on either side (an escape such as
//! `\n` in JSON text is no glue), OIDs (a dotted number right after the word `OID`),
//! colon-separated runs longer than any IPv6 address (fingerprints, hex dumps), and IPv6
//! text outside the space IANA has assigned (what `::`, `1::` or `d::d` in a binary and
//! `Dead::Beef` in a C++ name decode to; see `worth_reporting`).

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// One address found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    /// The address, canonical (IPv4-mapped IPv6 as IPv4).
    pub ip: IpAddr,
    /// The network, when the text wrote the address as a CIDR (`10.0.0.0/8`).
    pub network: Option<IpNet>,
    /// Where the address is written: byte offsets of its first byte and of the byte after it
    /// (a CIDR suffix or port included), in the text scanned — for [`scan_reader`], in the
    /// stream as decoded (UTF-16 counts one byte a character).
    pub start: usize,
    /// See `start`.
    pub end: usize,
}

/// An IPv4-mapped IPv6 address is the IPv4 address; everything else is itself.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The longest token that can still be an address (a fully written IPv6 address with an
/// embedded IPv4 address is 45 characters).
const MAX_TOKEN: usize = 64;

/// Finds every address in `text`, in order (duplicates included), and hands each to `emit`.
///
/// `text` is taken to start and end at a token boundary.
pub fn scan(text: &[u8], emit: &mut dyn FnMut(Extracted)) {
    scan_from(&as_read(text), 0, emit);
}

/// [`scan`] for a value given as an address (an indicator): every address written in it,
/// unassigned IPv6 space included (`::`, `1::`: [`scan`] leaves those out of text).
pub fn scan_value(value: &[u8], emit: &mut dyn FnMut(Extracted)) {
    scan_shapes(&as_read(value), 0, &mut Sink { emit, every: true });
}

/// `text` as a reader reads it, as the streaming loop sees it: wide strings narrowed
/// ([`narrow_wide_strings`]), invisible characters dropped ([`drop_invisible`]). Offsets of
/// what is found count in it.
fn as_read(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let [a, b, c] = INVISIBLE_LEADS;
    if memchr::memchr3(a, b, c, text).is_none() && memchr::memchr(0, text).is_none() {
        return text.into();
    }
    let mut owned = text.to_vec();
    let (len, _) = as_read_in_place(&mut owned, 0, text.len(), true);
    owned.truncate(len);
    owned.into()
}

/// [`scan`] from `text[start..]`; the bytes before `start` are only looked back at (the left
/// neighbour of a token, an `oid` before a dotted number).
fn scan_from(text: &[u8], start: usize, emit: &mut dyn FnMut(Extracted)) {
    scan_shapes(text, start, &mut Sink { emit, every: false });
}

/// Where the addresses a scan finds go.
struct Sink<'a> {
    emit: &'a mut dyn FnMut(Extracted),
    /// Whether every address shape goes (a value), or only those worth reporting (text).
    every: bool,
}

/// Every address written in `text[start..]` that `sink` takes.
fn scan_shapes(text: &[u8], start: usize, sink: &mut Sink) {
    let mut token = [0u8; MAX_TOKEN];
    let mut i = start;
    // Every address has a separator (`.`, `:`, or a defanged one opening with `[`, `(`, `{`),
    // and the scan is the same from any byte after a boundary as from the start: so jump to
    // the next separator, back to the boundary before it, and scan from there past it.
    while let Some(separator) = next_separator(text, i) {
        let mut from = separator;
        while from > i && !is_boundary(text[from - 1]) {
            from -= 1;
        }
        i = from;
        while i <= separator {
            i = step(text, i, &mut token, sink);
        }
    }
}

/// One step of the scan at `text[i]` (which the scan reached): past a byte, a word, or a
/// token, emitting the address it holds. Returns where the scan goes on.
fn step(text: &[u8], i: usize, token: &mut [u8; MAX_TOKEN], sink: &mut Sink) -> usize {
    let b = text[i];
    let class = class(b);
    if class & HEX == 0 {
        if class & GLUE != 0 {
            if is_escape_letter(text, i) || is_loose_dot(text, i) {
                // `\n` in JSON text: a line break, not glue; so is a dot after no word.
                return i + 1;
            }
            // A letter past `f` or a dot: the rest of this word can't start an address.
            skip_glue(text, i + 1)
        } else if b == b':' && text.get(i + 1) == Some(&b':') && !glued_left(text, i) {
            candidate(text, i, token, sink)
        } else {
            i + 1
        }
    } else if i > 0 && text[i - 1] == b'%' && after_percent_escape(text, i + 2) {
        // A URL's `%2F`: what follows it may be an address.
        i + 2
    } else if glued_left(text, i) {
        // Inside a word or a longer dotted number: nothing can start before its end.
        skip_glue(text, i + 1)
    } else {
        candidate(text, i, token, sink)
    }
}

/// Where the next byte that may separate the parts of an address is, from `from`: eight bytes
/// at a time.
fn next_separator(text: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // The lowest byte flagged is exactly the first byte equal to `byte`.
    let equal = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGH
    };
    let rest = text.get(from..)?;
    let mut words = rest.chunks_exact(8);
    for (k, chunk) in (&mut words).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = equal(word, b'.')
            | equal(word, b':')
            | equal(word, b'[')
            | equal(word, b'(')
            | equal(word, b'{');
        if found != 0 {
            return Some(from + k * 8 + found.trailing_zeros() as usize / 8);
        }
    }
    let tail = rest.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|b| matches!(b, b'.' | b':' | b'[' | b'(' | b'{'))
        .map(|p| from + tail + p)
}

/// Where the run of glue bytes from `from` ends (a loose dot ends it: "wait...10.0.0.1").
fn skip_glue(text: &[u8], mut from: usize) -> usize {
    while from < text.len() && is_glue(text[from]) && !is_loose_dot(text, from) {
        from += 1;
    }
    from
}

// Byte classes ([`class`]: one table lookup per byte in the scanning loops), as bits.
/// Class: hex digits.
const HEX: u8 = 1;
/// Class: letters, digits and `.`, which an address must not touch.
const GLUE: u8 = 2;
/// Class: hex digits, `.` and `:`, what an address is written with.
const TOKEN: u8 = 4;
/// Class: `[`, `(`, `{` and `\`, which may open a defanged separator.
const OPEN: u8 = 8;
/// Class: bytes that are part of a token, its glue or its suffix (not a boundary).
const KEEP: u8 = 16;
/// Class: `.`.
const DOT: u8 = 32;
/// Class: `:`.
const COLON: u8 = 64;

static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_hexdigit() {
            class |= HEX | TOKEN;
        }
        if c.is_ascii_alphanumeric() || c == b'.' {
            class |= GLUE | KEEP;
        }
        if c == b'.' {
            class |= TOKEN | DOT;
        }
        if c == b':' {
            class |= TOKEN | COLON;
        }
        if c == b'[' || c == b'(' || c == b'{' || c == b'\\' {
            class |= OPEN;
        }
        if matches!(
            c,
            b':' | b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'%' | b'/' | b'_' | b'-' | b'\\'
        ) {
            class |= KEEP;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// The class bits of `b`.
fn class(b: u8) -> u8 {
    CLASSES[usize::from(b)]
}

/// Bytes an address must not touch on either side (a `.` on the left makes a dotted number of
/// more than four parts).
fn is_glue(b: u8) -> bool {
    class(b) & GLUE != 0
}

/// Whether the token at `text[i]` touches glue on its left (an escape such as `\n` or a URL's
/// `%2F` is none).
fn glued_left(text: &[u8], i: usize) -> bool {
    i > 0
        && is_glue(text[i - 1])
        && !is_escape_letter(text, i - 1)
        && !is_loose_dot(text, i - 1)
        && !after_percent_escape(text, i)
}

/// Whether `text[i]` is a dot after no letter or digit (an ellipsis, a hex dump's ASCII column
/// `.194.165.16.79..`): it makes no dotted number longer.
fn is_loose_dot(text: &[u8], i: usize) -> bool {
    text[i] == b'.' && (i == 0 || !text[i - 1].is_ascii_alphanumeric())
}

/// Whether `text[..i]` ends with a URL's percent escape (`%2F`, `%3A`, `%20`).
fn after_percent_escape(text: &[u8], i: usize) -> bool {
    i >= 3
        && text[i - 3] == b'%'
        && text[i - 2].is_ascii_hexdigit()
        && text[i - 1].is_ascii_hexdigit()
}

/// Whether `text[i]` is the letter of a `\n`, `\r` or `\t` escape (JSON, C and log exports
/// write line breaks and tabs so).
fn is_escape_letter(text: &[u8], i: usize) -> bool {
    matches!(text[i], b'n' | b'r' | b't') && i > 0 && text[i - 1] == b'\\'
}

/// The defanged separator at `text[at..]`, if any: its length and the character it stands for.
fn defang_at(text: &[u8], at: usize) -> Option<(usize, u8)> {
    let rest = &text[at..];
    let close = match rest.first()? {
        b'[' => b']',
        b'(' => b')',
        b'{' => b'}',
        b'\\' => {
            // A regex's escaped dot, as written (`\.`) or as a JSON string holds it (`\\.`).
            return match &rest[1..] {
                [b'.', ..] => Some((2, b'.')),
                [b'\\', b'.', ..] => Some((3, b'.')),
                _ => None,
            };
        }
        _ => return None,
    };
    match rest.get(1..3)? {
        [b'.', c] if *c == close => Some((3, b'.')),
        [b':', c] if *c == close && close == b']' => Some((3, b':')),
        _ => match rest.get(1..5)? {
            [d, o, t, c]
                if d.eq_ignore_ascii_case(&b'd')
                    && o.eq_ignore_ascii_case(&b'o')
                    && t.eq_ignore_ascii_case(&b't')
                    && *c == close =>
            {
                Some((5, b'.'))
            }
            _ => None,
        },
    }
}

/// An address-shaped token: hex digits, dots and colons, defanged separators refanged.
struct Token<'a> {
    /// The token as an address is written, refanged.
    text: &'a [u8],
    /// Where its first colon is in the scanned text.
    first_colon: Option<usize>,
    /// Whether it has a dot.
    dot: bool,
    /// Where it ends in the scanned text.
    end: usize,
    /// Whether it is longer than any address (`text` is then cut short).
    overflow: bool,
    /// Whether a dot in it is regex-escaped (`\.`).
    regex: bool,
}

/// Reads the token at `text[start..]`: borrowed from `text` when it has no defanged separator
/// (most tokens), else refanged into `buffer`.
fn read_token<'a>(text: &'a [u8], start: usize, buffer: &'a mut [u8; MAX_TOKEN]) -> Token<'a> {
    let n = text.len().min(start + MAX_TOKEN);
    let mut j = start;
    let mut seen = 0;
    while j < n && class(text[j]) & TOKEN != 0 {
        seen |= class(text[j]);
        j += 1;
    }
    let ends_plainly = match text.get(j) {
        None => true,
        Some(&b) => j < n && (class(b) & OPEN == 0 || defang_at(text, j).is_none()),
    };
    if ends_plainly {
        let raw = &text[start..j];
        return Token {
            text: raw,
            first_colon: if seen & COLON == 0 {
                None
            } else {
                raw.iter().position(|&b| b == b':').map(|p| start + p)
            },
            dot: seen & DOT != 0,
            end: j,
            overflow: false,
            regex: false,
        };
    }
    let mut len = 0;
    let mut overflow = false;
    let mut j = start;
    let mut first_colon: Option<usize> = None;
    let mut regex = false;
    while j < text.len() {
        let c = text[j];
        let class = class(c);
        let (step, ch) = if class & TOKEN != 0 {
            (1, c)
        } else if class & OPEN == 0 {
            break;
        } else if let Some(d) = defang_at(text, j) {
            regex |= c == b'\\';
            d
        } else {
            break;
        };
        if ch == b':' && first_colon.is_none() {
            first_colon = Some(j);
        }
        if len == MAX_TOKEN {
            overflow = true;
            break;
        }
        buffer[len] = ch;
        len += 1;
        j += step;
    }
    Token {
        text: &buffer[..len],
        first_colon,
        dot: buffer[..len].contains(&b'.'),
        end: j,
        overflow,
        regex,
    }
}

/// Reads the token starting at `start`, emits the address it holds (if any), and returns where
/// scanning resumes.
fn candidate(text: &[u8], start: usize, token: &mut [u8; MAX_TOKEN], sink: &mut Sink) -> usize {
    if let Some((v6, end)) = ip6_arpa_name(text, start) {
        // Its dots part nibbles: no sign of an embedded IPv4 address (`::` is no address).
        if sink.every || worth_reporting(v6, b"") {
            emit_checked(text, start, end, found(IpAddr::V6(v6)), sink);
        }
        return end;
    }
    let n = text.len();
    let Token {
        text: whole,
        first_colon,
        dot,
        mut end,
        overflow,
        regex,
    } = read_token(text, start, token);
    // A run too long has eight colons at least, and the token whole holds all of its colons.
    if first_colon.is_some() && !dot && (overflow || colons(whole) >= 8) {
        if let Some(run_end) = colon_run_too_long(text, start) {
            // A fingerprint or a hex dump: no part of it is an address.
            return run_end;
        }
    }
    if overflow {
        // Too long for an address; one may still start after a colon ("hexword:1.2.3.4").
        return first_colon.map_or(end, |c| c + 1);
    }
    let len = whole.len();
    let colons = first_colon.is_some();
    // Words of hex letters ("bad", "face") are most tokens of prose: no dot, no colon, no address.
    if !colons && !dot {
        return end;
    }
    // Sentence punctuation after an address is not part of it: "seen at 1.2.3.4." / "1.2.3.4:".
    let mut stripped = whole;
    while let [rest @ .., b'.' | b':'] = stripped {
        stripped = rest;
    }
    let (parsed, tok) = match parse_token(whole, colons) {
        Some(found) => (Some(found), whole),
        None if stripped.len() < len => (parse_token(stripped, stripped.contains(&b':')), stripped),
        None => (None, whole),
    };
    let Some(mut found) = parsed else {
        if let Some((found, written_end)) = tcpdump_address(text, start, whole, end) {
            emit_checked(text, start, written_end, found, sink);
            return end;
        }
        // "word:1.2.3.4" where the word is all hex digits: try again after the colon, if what
        // follows it can still hold an address.
        let Some(colon) = first_colon else {
            return end;
        };
        let after = &whole[whole.iter().position(|&b| b == b':').map_or(len, |p| p + 1)..];
        // A part of it can: a dotted quad needs a dot, IPv6 a `::` or six colons at least.
        let (colons, gap) = colons_in(after);
        let may_hold = after.contains(&b'.') || colons >= 6 || gap;
        return if may_hold { colon + 1 } else { end };
    };
    let goes_on = match whole.last() {
        // `10\.0\.0\.1[0-9]` matches ten addresses, none of them 10.0.0.1 for sure.
        _ if tok.len() == len => regex_goes_on(text, end),
        // `1\.2\.3\.4\.\d+`: a fifth part; `1\.2\.3\.4:\d+`: a port.
        Some(b'.') => matches!(text.get(end), Some(b'\\' | b'[' | b'(')),
        _ => false,
    };
    if regex && goes_on {
        return end;
    }
    // Right-hand context: a zone id, a CIDR or port after `/`, or glue.
    if found.ip.is_ipv6() && text.get(end) == Some(&b'%') && tok.len() == len {
        end += 1;
        while end < n && (text[end].is_ascii_alphanumeric() || b"_-".contains(&text[end])) {
            end += 1;
        }
        return finish(text, start, end, found, sink);
    }
    if tok.len() == len && text.get(end) == Some(&b'/') {
        let digits_start = end + 1;
        let mut k = digits_start;
        while k < n && text[k].is_ascii_digit() && k - digits_start < 6 {
            k += 1;
        }
        if k > digits_start && !glued_after_number(text, k) {
            let number: u32 = std::str::from_utf8(&text[digits_start..k])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(u32::MAX);
            let max = if found.ip.is_ipv4() { 32 } else { 128 };
            if number <= max && (k - digits_start == 1 || text[digits_start] != b'0') {
                found.network = IpNet::new(found.ip, number as u8).ok().map(|n| n.trunc());
            }
            // Otherwise a port, as some firewalls log it: the address alone.
            return finish(text, start, k, found, sink);
        }
    }
    if tok.len() < len {
        // Trailing punctuation was dropped: it is not glue, nor part of what was written.
        let mut written_end = end;
        for _ in tok.len()..len {
            written_end = before_char(text, start, written_end);
        }
        emit_checked(text, start, written_end, found, sink);
        return end;
    }
    finish(text, start, end, found, sink)
}

/// The address of `ADDRESS.PORT`, as tcpdump writes both ends of a packet
/// (`IP 185.224.128.17.52311 > 10.20.0.4.23: Flags [S]`), and where it ends in the text: only
/// for a token `whole` (at `text[start..end]`) written right before ` > `, or right after `> `
/// and before `:`.
fn tcpdump_address(
    text: &[u8],
    start: usize,
    whole: &[u8],
    end: usize,
) -> Option<(Extracted, usize)> {
    if whole.len() != end - start {
        return None;
    }
    let whole = if text[end..].starts_with(b" > ") {
        whole
    } else if let (true, Some((b':', written))) =
        (text[..start].ends_with(b"> "), whole.split_last())
    {
        written
    } else {
        return None;
    };
    let dot = whole.iter().rposition(|&b| b == b'.')?;
    let (address, port) = (&whole[..dot], &whole[dot + 1..]);
    if !(1..=5).contains(&port.len()) || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let found = parse_token(address, address.contains(&b':'))?;
    Some((found, start + dot))
}

/// Where the colon-separated run of hex groups at `text[start..]` ends, when it has more groups
/// than an IPv6 address can (`1:2:3:4:5:6:7:8:9`, a fingerprint of 16 hex pairs). None for
/// anything else, and for runs with a dot (an embedded IPv4 address, `host:port` lists).
fn colon_run_too_long(text: &[u8], start: usize) -> Option<usize> {
    let mut end = start;
    let (mut colons, mut gap) = (0usize, false);
    while let Some(&b) = text.get(end) {
        match b {
            b':' => {
                colons += 1;
                gap |= end > start && text[end - 1] == b':';
            }
            b'.' => return None,
            b if b.is_ascii_hexdigit() => {}
            _ => break,
        }
        end += 1;
    }
    // Eight groups have seven colons; a `::` may stand for the first or last group.
    (colons > 8 || (colons == 8 && !gap)).then_some(end)
}

/// Whether a regex goes on after a literal address at `text[end..]` to match more than it: a
/// quantifier of its last digit, or a digit class or a group that may add digits (`[0-9]`,
/// `\d`, `(0|1)`). A port or path after it (`(:[0-9]+)?`, `:\d+`, `[/:]`) leaves it whole.
fn regex_goes_on(text: &[u8], end: usize) -> bool {
    let adds_digits = |at: usize| match text.get(at) {
        Some(b) if b.is_ascii_digit() || *b == b'|' => true,
        Some(b'\\') => text.get(at + 1).is_some_and(|c| b"dwS".contains(c)),
        _ => false,
    };
    match text.get(end) {
        Some(b'{' | b'?' | b'*' | b'+') => true,
        Some(b'[') => adds_digits(end + 1),
        Some(b'(') => {
            let inside = if text[end + 1..].starts_with(b"?:") {
                end + 3
            } else {
                end + 1
            };
            adds_digits(inside) || text.get(inside) == Some(&b'[') && adds_digits(inside + 1)
        }
        Some(b'\\') => adds_digits(end),
        _ => false,
    }
}

/// Whether the number ending at `end` continues into a word or a longer dotted number (a final
/// `.` before a space is the end of a sentence).
fn glued_after_number(text: &[u8], end: usize) -> bool {
    match text.get(end) {
        Some(b'.') => text.get(end + 1).is_some_and(u8::is_ascii_alphanumeric),
        Some(b) => b.is_ascii_alphanumeric(),
        None => false,
    }
}

fn finish(text: &[u8], start: usize, end: usize, found: Extracted, sink: &mut Sink) -> usize {
    if !text.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
        emit_checked(text, start, end, found, sink);
    }
    end
}

/// Where the token character that ends at `end` starts: one byte back, or back over a
/// defanged separator (`[.]`, `(dot)`, `\.`).
fn before_char(text: &[u8], start: usize, end: usize) -> usize {
    if matches!(
        text.get(end.wrapping_sub(1)),
        Some(b']' | b')' | b'}' | b'.')
    ) {
        for len in [3, 5, 2] {
            if end >= start + len && defang_at(text, end - len).is_some_and(|(l, _)| l == len) {
                return end - len;
            }
        }
    }
    end.saturating_sub(1).max(start)
}

/// Emits `found`, written at `text[start..end]`, unless the text names it an OID or (for a
/// text scan) it is IPv6 not worth reporting.
fn emit_checked(text: &[u8], start: usize, end: usize, mut found: Extracted, sink: &mut Sink) {
    let taken = match found.ip {
        IpAddr::V4(v4) => {
            let reverse = in_reverse_zone(&text[end..text.len().min(end + 256)]);
            if reverse {
                found.ip = IpAddr::V4(reversed(v4));
            }
            // A quad inside a longer name (`0/25.2.0.192.in-addr.arpa`, RFC 2317) is no
            // address, reversed or not.
            let inside_a_name = reverse && start > 0 && !starts_a_name(text[start - 1]);
            let before = &text[start.saturating_sub(LOOK_BEHIND)..start];
            !inside_a_name
                && !named_otherwise(v4, before)
                && !named_by_what_follows(v4, before, &text[end..text.len().min(end + 64)])
        }
        IpAddr::V6(v6) => sink.every || worth_reporting(v6, &text[start..end]),
    };
    if taken {
        found.start = start;
        found.end = end;
        (sink.emit)(found);
    }
}

/// The reverse-DNS zone: `142.69.2.81.in-addr.arpa` names 81.2.69.142.
const REVERSE_DNS: &[u8] = b"in-addr.arpa";

/// Block lists and look-up services that follow reverse DNS under zones of theirs
/// (`2.0.0.127.zen.spamhaus.org` asks about 127.0.0.2).
const BLOCK_LISTS: [&[u8]; 13] = [
    b"spamhaus.org",
    b"spamcop.net",
    b"barracudacentral.org",
    b"sorbs.net",
    b"abuseat.org",
    b"surriel.com",
    b"uceprotect.net",
    b"mailspike.net",
    b"spameatingmonkey.net",
    b"senderscore.com",
    b"dnswl.org",
    b"dronebl.org",
    b"cymru.com",
];

/// Whether what follows a dotted quad (`after`) makes it the start of a name whose address
/// is written reversed: in [`REVERSE_DNS`], or under a zone of one of the [`BLOCK_LISTS`] (never
/// the domain itself: `….Spamhaus.org` is a sentence's end without its space).
fn in_reverse_zone(after: &[u8]) -> bool {
    let Some(name) = after.strip_prefix(b".") else {
        return false;
    };
    let len = name
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .unwrap_or(name.len());
    let name = name[..len].strip_suffix(b".").unwrap_or(&name[..len]);
    let under = |zone: &[u8]| {
        name.len() > zone.len()
            && ends_with_ignore_case(name, zone)
            && name[name.len() - zone.len() - 1] == b'.'
    };
    name.eq_ignore_ascii_case(REVERSE_DNS) || BLOCK_LISTS.iter().any(|zone| under(zone))
}

/// Whether a name can start after `before`: not after a character of a name or a path.
fn starts_a_name(before: u8) -> bool {
    !(before.is_ascii_alphanumeric() || matches!(before, b'.' | b'/' | b'-' | b'_'))
}

/// The IPv6 address of the reverse-DNS name at `text[start..]` (`2.4.0.0.….8.b.d.0.1.0.0.2.ip6.arpa`:
/// its 32 nibbles, last first, RFC 3596) and where the name ends; None for anything else (a
/// zone of fewer nibbles holds no whole address).
fn ip6_arpa_name(text: &[u8], start: usize) -> Option<(Ipv6Addr, usize)> {
    const ZONE: &[u8] = b"ip6.arpa";
    let name = text.get(start..start + 64 + ZONE.len())?;
    let mut bits = 0u128;
    for (k, pair) in name[..64].chunks_exact(2).enumerate() {
        let nibble = char::from(pair[0]).to_digit(16)?;
        if pair[1] != b'.' {
            return None;
        }
        bits |= u128::from(nibble) << (4 * k);
    }
    if !name[64..].eq_ignore_ascii_case(ZONE)
        || text
            .get(start + name.len())
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return None;
    }
    Some((Ipv6Addr::from_bits(bits), start + name.len()))
}

/// Whether `text` ends with `suffix`, ASCII case ignored.
fn ends_with_ignore_case(text: &[u8], suffix: &[u8]) -> bool {
    text.len() >= suffix.len() && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// `v4` with its parts in the other order.
fn reversed(v4: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, d] = v4.octets();
    Ipv4Addr::new(d, c, b, a)
}

/// Whether the dotted quad `v4`, written right after `before`, is named something else than
/// an address by what is written before it, or is an X.509 object identifier:
/// - after a word that names it (and at most four spaces, colons, `=`, `(` or quotes; a dot
///   after an abbreviation): `OID 2.5.29.17`, `urn:oid:…`, `Oid("…")`, `Object Identifier:
///   …`, `Extension Id: …`, `version 1.7.0.3`, `Version=4.0.0.0`, `ver. 3.2.1.0`, `section
///   4.2.1.6`, `@since 1.4.0.2` — the word whole, not inside another (`Android`, `avoid`,
///   `void*`, `OIDC`, `server` do not count), but for `Version` ending an identifier
///   (`FileVersion: 10.0.0.1`, `AssemblyVersion("1.0.0.0")`, `__version__ = "2.0.0.1"`); a
///   version's word may be followed by more spaces (a list aligned in columns: `FileVersion
///   : 15.49.2.0`), no other word;
/// - a number of parts under 100 written right after a word that numbers builds or parts of
///   a document, or a product that reports name with its version, with one or two spaces only
///   (`Build 5.1.2.3`, `rev 4.4.0.1`, `Table 4.1.2.3`, `Fig. 2.1.1.3`, `Java 1.8.0.25`,
///   `Kernel 5.15.0.91`, `OpenSSL 1.1.1.4`, `AnyDesk 8.0.6.0`): not `firewall table:
///   81.2.69.142`, `TeamViewer 81.2.69.146`, `AnyDesk: 185.229.191.45`, nor a device's
///   system or a tool before its address (`Android 10.44.2.17`, `OpenVPN 10.8.0.10`);
/// - a product's version in a user agent or banner: any product's ending in `.0`
///   (`Chrome/120.0.0.0`, `+Edg/119.0.0.0+`), any version of a known HTTP client, browser,
///   web server or SSH server (`curl/8.4.0.1`, `Firefox/115.0.2.1`, `nginx/1.18.0.1`,
///   `OpenSSH_8.9.1.2`), a token starting a line too; not a URL's path (`ipinfo.io/8.8.8.0`,
///   `/check/1.2.3.0`, `GET /curl/1.2.3.4`) nor a country's code (`RU/5.8.18.0`);
/// - a requirements file's version constraint (`lib==1.0.0.1`; not a filter's
///   `ip.addr==…`), a CEF or LEEF header's version field, a container image's tag (`image:
///   registry/app:2.1.4.0`), a package URL's version, a script's or stylesheet's `?v=`, an
///   OSPF area (`area 0.0.0.10`);
/// - in `2.5.4.0/24` or `2.5.29.0/24`: the X.500 attribute types and certificate extensions
///   every certificate dump prints (`2.5.29.17: Flags = 0`).
///
/// What follows a quad can name it too ([`named_by_what_follows`]).
fn named_otherwise(v4: Ipv4Addr, before: &[u8]) -> bool {
    let [a, b, c, d] = v4.octets();
    if a == 2 && b == 5 && (c == 4 || c == 29) {
        return true;
    }
    if matches!(before.last(), Some(b'/' | b'_')) {
        return after_product(before, d == 0);
    }
    // The end of a range whose start is named (`oldVersion="0.0.0.0-13.0.0.0"`).
    if let Some(start) = range_start(before) {
        return named_otherwise(v4, start);
    }
    let small_parts = v4.octets().iter().all(|&o| o < 100);
    // An OSPF area's identifier (`area 0.0.0.10`): in 0.0.0.0/8, where no host is.
    if a == 0 && ends_with_ignore_case(before, b"area ") {
        return true;
    }
    if version_specifier(before)
        || in_log_header_version(before)
        || image_reference(before)
        || (small_parts && url_version(before))
    {
        return true;
    }
    // Spaces and tabs, and at most four marks; more than four of them together (a list
    // aligned in columns) only after a word that names a version (`FileVersion    :
    // 15.49.2.0`), not after one that names a column of products or hosts.
    let mut rest = before;
    let mut marks = 0;
    while let [head @ .., last] = rest {
        match last {
            b' ' | b'\t' => {}
            b':' | b'=' | b'(' | b'"' | b'\'' if marks < 4 => marks += 1,
            _ => break,
        }
        rest = head;
    }
    let spaced = before.len() - rest.len();
    let aligned = spaced > 4;
    let only_spaces = before[rest.len()..].iter().all(|&b| b == b' ');
    if spaced > 0 && !only_spaces && identifier_names_version(rest) {
        return true;
    }
    // A dot right after an abbreviation (`ver.`, `Fig.`).
    let (rest, dotted) = match rest {
        [head @ .., b'.'] => (head, true),
        _ => (rest, false),
    };
    // Most addresses follow a byte that ends none of the words: that byte decides first.
    let mut words = rest
        .last()
        .map_or(0, |&last| ENDING_IN[usize::from(last.to_ascii_lowercase())]);
    if words == 0 {
        return false;
    }
    let numbered = (1..=2).contains(&spaced) && only_spaces && small_parts;
    if !numbered {
        words &= NAMING;
    }
    while words != 0 {
        let word = NAMED_BY[words.trailing_zeros() as usize];
        words &= words - 1;
        if rest.len() < word.len()
            || (dotted && word.len() > 3)
            || (aligned && !word.starts_with(b"version"))
        {
            continue;
        }
        let (head, tail) = rest.split_at(rest.len() - word.len());
        if tail.eq_ignore_ascii_case(word)
            && match head.last() {
                // `FileVersion`: the word ending an identifier.
                Some(b) if b.is_ascii_alphanumeric() => {
                    word == b"version" && identifier_names_version(rest)
                }
                _ => true,
            }
        {
            return true;
        }
    }
    false
}

/// Whether the identifier that `rest` ends with names a version (`android:versionName`,
/// `platformBuildVersionName`, `os_version`, `X-Version-Id`): the word at the identifier's
/// start, after a separator, or capitalised after a lowercase letter or a digit, and last or
/// followed by a word that says which part of it (`Name`, `Number`, `Id`, …); not inside
/// another word (`conversion`), nor naming something else (`versioned_host`,
/// `version_check_server`, `VersionCheckHost`).
fn identifier_names_version(rest: &[u8]) -> bool {
    let len = rest
        .iter()
        .rev()
        .take(64)
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.'))
        .count();
    let ident = &rest[rest.len() - len..];
    ident.windows(7).enumerate().any(|(i, word)| {
        let suffix = &ident[i + 7..];
        let suffix = match suffix {
            [b'_' | b'-' | b'.' | b':', tail @ ..] => tail,
            _ => suffix,
        };
        // Python's dunder (`__version__`).
        let suffix = if suffix.iter().all(|&b| b == b'_') {
            &[][..]
        } else {
            suffix
        };
        word.eq_ignore_ascii_case(b"version")
            && match i.checked_sub(1).map(|j| ident[j]) {
                Some(b) if b.is_ascii_alphanumeric() => word[0] == b'V' && !b.is_ascii_uppercase(),
                _ => true,
            }
            && (suffix.is_empty()
                || [
                    &b"name"[..],
                    b"number",
                    b"string",
                    b"str",
                    b"id",
                    b"info",
                    b"code",
                    b"no",
                ]
                .iter()
                .any(|w| suffix.eq_ignore_ascii_case(w)))
    })
}

/// What comes before the dotted number that `before` ends with, followed by a `-` (the start
/// of a range of versions), if it does.
fn range_start(before: &[u8]) -> Option<&[u8]> {
    let number = before.strip_suffix(b"-")?;
    let len = number
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let dots = number[number.len() - len..]
        .iter()
        .filter(|&&b| b == b'.')
        .count();
    (len >= 7 && dots == 3).then(|| &number[..number.len() - len])
}

/// Whether `before` ends with a package's version constraint as a requirements file writes
/// it: a package's name starting a line, then `==`, `>=`, `<=`, `~=` or `!=`
/// (`some-lib==1.0.0.1`, `requests[socks]~=2.31.0.1`), or a second bound
/// (`pyzmq>=25.1.2,<26.0.0.0`). Not a filter's comparison (`ip.addr==10.0.0.1`,
/// `src_ip==…`, `server==…`: a dotted field, a name that is not first on its line, or one
/// that names an address).
fn version_specifier(before: &[u8]) -> bool {
    let name = match before {
        [.., b',', b'<' | b'>'] => return true,
        [name @ .., b'=' | b'>' | b'<' | b'~' | b'!', b'='] => name,
        _ => return false,
    };
    let name = name.strip_suffix(b"]").map_or(name, |n| {
        // Extras: `requests[socks]==…`.
        n.iter().rposition(|&b| b == b'[').map_or(n, |at| &n[..at])
    });
    let len = name
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        .count();
    let word = &name[name.len() - len..];
    let first_on_its_line = match (name.len() - len).checked_sub(1) {
        Some(at) => name[at] == b'\n',
        // The window began at the text's start.
        None => before.len() < LOOK_BEHIND,
    };
    let names_an_address = [
        "ip", "addr", "address", "src", "dst", "host", "source", "dest", "server", "gw",
    ]
    .iter()
    .any(|w| ends_with_ignore_case(word, w.as_bytes()));
    len >= 2 && word[0].is_ascii_alphabetic() && first_on_its_line && !names_an_address
}

/// Whether `before` ends with a package URL's version (`pkg:maven/…/jackson-databind@`,
/// purl) or a URL's version parameter (`main.min.css?v=`, `&ver=`).
fn url_version(before: &[u8]) -> bool {
    if let Some(name) = before.strip_suffix(b"@") {
        let start = name
            .iter()
            .rposition(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\''))
            .map_or(0, |at| at + 1);
        return name[start..].starts_with(b"pkg:");
    }
    // A version parameter, of a stylesheet's or a script's URL (`main.min.css?v=`), not any
    // query's.
    let Some(parameter) = [
        &b"?v="[..],
        b"&v=",
        b"?ver=",
        b"&ver=",
        b"?version=",
        b"&version=",
    ]
    .into_iter()
    .find(|p| ends_with_ignore_case(before, p)) else {
        return false;
    };
    let url = &before[..before.len() - parameter.len() + 1];
    url.iter().rposition(|&b| b == b'?').is_some_and(|query| {
        [&b".css"[..], b".js"]
            .iter()
            .any(|e| url[..query].ends_with(e))
    })
}

/// Whether `before` ends where a CEF or LEEF header writes the product's version: the fourth
/// field (`CEF:0|Palo Alto Networks|PAN-OS|`, `LEEF:2.0|Lancope|StealthWatch|`).
fn in_log_header_version(before: &[u8]) -> bool {
    if before.last() != Some(&b'|') {
        return false;
    }
    [&b"CEF:"[..], b"LEEF:"].iter().any(|header| {
        before
            .windows(header.len())
            .rposition(|w| w == *header)
            .is_some_and(|at| before[at..].iter().filter(|&&b| b == b'|').count() == 3)
    })
}

/// Whether what follows a dotted quad (`after`, right after it; `before` is what precedes it)
/// makes it a version: a .NET assembly's in the global assembly cache
/// (`v4.0_3.0.0.0__31bf3856ad364e35`, the public key token after `__`), a product's in a
/// user agent with its comment (`ExampleApp/5.12.1.4 (iPhone; iOS 17.2.1)`, `bot/1.2.0.4
/// (+https://…)`), or a package's in its file name ([`in_package_file_name`]).
fn named_by_what_follows(v4: Ipv4Addr, before: &[u8], after: &[u8]) -> bool {
    if let Some(token) = after.strip_prefix(b"__") {
        return token.len() >= 16 && token[..16].iter().all(u8::is_ascii_hexdigit);
    }
    if let Some(comment) = after.strip_prefix(b" (") {
        // A user agent's comment: `(iPhone; iOS 17.2.1)`, `(+https://…)`.
        let end = comment
            .iter()
            .position(|&b| b == b')')
            .unwrap_or(comment.len());
        let an_agents = comment[..end].contains(&b';') || comment.starts_with(b"+http");
        return an_agents && before.last() == Some(&b'/') && after_product(before, true);
    }
    // A version's parts are small (`beacon-81.2.69.142-443.exe` names its server).
    v4.octets().iter().all(|&o| o < 100) && in_package_file_name(before, after)
}

/// Whether a dotted quad is the version in a package's or installer's file name: after a
/// name and `-`, in a name that ends with a package's extension (`agent-4.2.0.1.msi`,
/// `internal_sdk-4.0.0.0-py3-none-any.whl`, `tool-1.2.3.4-x64.exe`). Not a file named after
/// an address (`nmap-10.0.0.1.xml`, `log_10.0.0.1.txt`).
fn in_package_file_name(before: &[u8], after: &[u8]) -> bool {
    const EXTENSIONS: [&[u8]; 15] = [
        b"msi", b"exe", b"whl", b"jar", b"war", b"nupkg", b"rpm", b"deb", b"apk", b"dmg", b"pkg",
        b"dll", b"gem", b"egg", b"msix",
    ];
    if !matches!(before, [.., b, b'-'] if b.is_ascii_alphanumeric()) {
        return false;
    }
    let len = after
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .count();
    let name = &after[..len];
    name.iter().rposition(|&b| b == b'.').is_some_and(|dot| {
        let extension = &name[dot + 1..];
        EXTENSIONS.iter().any(|e| extension.eq_ignore_ascii_case(e))
    }) && after.get(len).is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// Whether `before` ends with a container image's name and the `:` before its tag
/// (`image: registry.example.com/payments-api:`): a name with a `/` that starts a token, on
/// a line that says it is an image.
fn image_reference(before: &[u8]) -> bool {
    let Some(name) = before.strip_suffix(b":") else {
        return false;
    };
    let len = name
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        .count();
    let token = &name[name.len() - len..];
    // Said to be an image: `image: …`, `FROM …`, `docker pull …`.
    let line = &name[name
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1)..];
    let said = [&b"image"[..], b"FROM ", b"docker "]
        .iter()
        .any(|w| line.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)));
    said && token.contains(&b'/')
        && token.first().is_some_and(u8::is_ascii_alphanumeric)
        && token.last().is_some_and(u8::is_ascii_alphanumeric)
        && (name.len() - len)
            .checked_sub(1)
            .is_none_or(|at| matches!(name[at], b' ' | b'\t' | b'"' | b'\'' | b'='))
}

/// The words that name a dotted number something else than an address ([`named_otherwise`]):
/// first those that name any (`NAMING` marks them, the first 12), then those that number
/// builds, parts of a document or a product's releases, which name only a number of small
/// parts written right after them with one or two spaces.
const NAMED_BY: [&[u8]; 28] = [
    b"oid",
    b"oids",
    b"object identifier",
    b"objectidentifier",
    b"extension id",
    b"version",
    b"version info",
    b"ver",
    b"section",
    b"sec",
    "\u{a7}".as_bytes(),
    b"@since",
    // Numbering words.
    b"build",
    b"rev",
    b"revision",
    b"firmware",
    b"java",
    b"table",
    b"figure",
    b"fig",
    b"chapter",
    b"kernel",
    // Products that reports name with their version (`OpenSSL 1.1.1.4`, `AnyDesk 8.0.6.0`),
    // numbering as builds do: an address after one has a part of 100 or more
    // (`TeamViewer 81.2.69.146`).
    b"openssl",
    b"anydesk",
    b"teamviewer",
    b"screenconnect",
    b"fortios",
    b"fortiproxy",
];

/// The words of [`NAMED_BY`] that name any dotted number (a bit each).
const NAMING: u64 = (1 << 12) - 1;

/// For each byte, the words of [`NAMED_BY`] that end in it (a bit each).
static ENDING_IN: [u64; 256] = {
    let mut ending = [0u64; 256];
    let mut i = 0;
    while i < NAMED_BY.len() {
        ending[NAMED_BY[i][NAMED_BY[i].len() - 1] as usize] |= 1 << i;
        i += 1;
    }
    ending
};

/// Products whose every version is written after them in user agents and banners (lower
/// case): HTTP clients, browsers, web servers and SSH servers.
const PRODUCTS: [&[u8]; 30] = [
    b"curl",
    b"wget",
    b"python-requests",
    b"python-urllib",
    b"python-httpx",
    b"aiohttp",
    b"go-http-client",
    b"okhttp",
    b"java",
    b"apache-httpclient",
    b"libwww-perl",
    b"windowspowershell",
    b"powershell",
    b"openssh",
    b"dropbear",
    b"libssh",
    b"mozilla",
    b"applewebkit",
    b"chrome",
    b"chromium",
    b"firefox",
    b"safari",
    b"edg",
    b"opr",
    b"nginx",
    b"apache",
    b"microsoft-iis",
    b"lighttpd",
    b"openssl",
    b"php",
];

/// SSH servers: their banners write the version after a `_` (`OpenSSH_8.9.1.2`).
const SSH_SERVERS: [&[u8]; 3] = [b"openssh", b"dropbear", b"libssh"];

/// Whether `before` ends with a product token and the `/` of a user agent (`Chrome/`) or the
/// `_` of an SSH banner (`OpenSSH_`): a token of letters, digits, `-` and `_` after a space,
/// `(`, `+`, `"`, `;`, `,` or the start of the text — not after a `/` or `.`, as a URL's path
/// is (a banner's product may follow a `-`: `SSH-2.0-OpenSSH_`). Any product's with `/` when
/// `any` (the version ends in `.0`), else one of [`PRODUCTS`].
fn after_product(before: &[u8], any: bool) -> bool {
    let (sep, head) = match before.split_last() {
        // A product's name ends in a letter or digit (a URL's `//` or path's `/` do not).
        Some((&sep @ (b'/' | b'_'), head))
            if head.last().is_some_and(u8::is_ascii_alphanumeric) =>
        {
            (sep, head)
        }
        _ => return false,
    };
    let starts_a_token = |at: usize| match at.checked_sub(1) {
        Some(i) => {
            matches!(
                head[i],
                b' ' | b'\t' | b'\r' | b'\n' | b'(' | b'+' | b'"' | b';' | b','
            ) || (sep == b'_' && head[i] == b'-')
        }
        // The token starts the text (a look-behind shorter than the window began there).
        None => before.len() < LOOK_BEHIND,
    };
    // An SSH banner's `_` follows only an SSH server's name.
    let products: &[&[u8]] = if sep == b'_' { &SSH_SERVERS } else { &PRODUCTS };
    let known = products
        .iter()
        .any(|p| ends_with_ignore_case(head, p) && starts_a_token(head.len() - p.len()));
    if known || !any || sep != b'/' {
        return known;
    }
    let word = head
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
        .count();
    // A product's name has three characters at least (`RU/5.8.18.0` is a country's address).
    word >= 3 && head[head.len() - word].is_ascii_alphabetic() && starts_a_token(head.len() - word)
}

/// Whether an IPv6 address read from text is worth reporting: in space IANA has assigned
/// (global unicast `2000::/3`, unique local `fc00::/7`, link- and site-local `fe80::/9`,
/// multicast `ff00::/8`, discard `100::/64`), or in `0::/8` written on purpose (the loopback
/// address, an embedded dotted quad, NAT64 `64:ff9b::/32`). What text that is no address
/// decodes to lies elsewhere: `::`, `1::` and `d::d` in a binary, `Dead::Beef` in a C++ name, a
/// run of eight hex pairs (EUI-64).
fn worth_reporting(v6: Ipv6Addr, written: &[u8]) -> bool {
    let segments = v6.segments();
    match segments[0] {
        0x2000..=0x3fff | 0xfc00..=0xfdff | 0xfe80..=0xffff => true,
        0x100 => segments[1..4] == [0, 0, 0],
        0..0x100 => {
            v6 == Ipv6Addr::LOCALHOST || written.contains(&b'.') || segments[..2] == [0x64, 0xff9b]
        }
        _ => false,
    }
}

/// Parses a refanged token: IPv6 if it has colons (or IPv4 `host:port`), else a dotted quad.
fn parse_token(tok: &[u8], colons: bool) -> Option<Extracted> {
    let ip = if colons {
        let colon = tok.iter().position(|&b| b == b':')?;
        // "1.2.3.4:443" is far more common in logs than IPv6 with an embedded IPv4 address.
        let (host, port) = (&tok[..colon], &tok[colon + 1..]);
        if (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit) {
            if let Some(v4) = parse_v4(host) {
                return Some(found(IpAddr::V4(v4)));
            }
        }
        if !may_be_v6(tok) {
            // Clock times and MAC addresses: most tokens with colons are not addresses.
            return None;
        }
        IpAddr::V6(parse_v6(tok).or_else(|| v6_with_port(tok))?)
    } else {
        IpAddr::V4(parse_v4(tok)?)
    };
    Some(found(canonical(ip)))
}

/// The IPv6 address of an address written with its port and no brackets, as HAProxy logs a
/// client (`2001:db8:1::5:51422`): only when the last group can be no group of an address
/// (a port of five digits) and what is before it is an address with `::`.
fn v6_with_port(tok: &[u8]) -> Option<Ipv6Addr> {
    let colon = tok.iter().rposition(|&b| b == b':')?;
    let (address, port) = (&tok[..colon], &tok[colon + 1..]);
    let port: u32 = std::str::from_utf8(port).ok()?.parse().ok()?;
    let five_digits = tok.len() - colon - 1 == 5 && (10_000..=65_535).contains(&port);
    (five_digits && address.windows(2).any(|w| w == b"::")).then(|| parse_v6(address))?
}

/// An address found, not yet placed in the text.
fn found(ip: IpAddr) -> Extracted {
    Extracted {
        ip,
        network: None,
        start: 0,
        end: 0,
    }
}

/// Whether `tok` has the colons an IPv6 address needs: a `::`, or all seven (six before an
/// embedded IPv4 address).
fn may_be_v6(tok: &[u8]) -> bool {
    let (colons, gap) = colons_in(tok);
    colons == 7 || (colons == 6 && tok.contains(&b'.')) || gap
}

/// How many colons `tok` has, and whether two of them stand together (`::`).
fn colons_in(tok: &[u8]) -> (usize, bool) {
    let colons = colons(tok);
    (colons, colons >= 2 && tok.windows(2).any(|w| w == b"::"))
}

/// How many colons `tok` holds.
fn colons(tok: &[u8]) -> usize {
    tok.iter().filter(|&&b| b == b':').count()
}

/// A strict dotted quad: four parts of digits, no leading zeros, each at most 255 (what
/// `Ipv4Addr::from_str` accepts).
fn parse_v4(s: &[u8]) -> Option<Ipv4Addr> {
    match read_v4(s) {
        Some((v4, len)) if len == s.len() => Some(v4),
        _ => None,
    }
}

/// The dotted quad `s` starts with, and its length.
fn read_v4(s: &[u8]) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut at = 0;
    for (part, octet) in octets.iter_mut().enumerate() {
        if part > 0 {
            if s.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let (mut value, start) = (0u32, at);
        while let Some(digit) = s.get(at).and_then(|b| char::from(*b).to_digit(10)) {
            if at - start == 3 || (at > start && value == 0) {
                // A fourth digit, or a digit after a leading zero.
                return None;
            }
            value = value * 10 + digit;
            at += 1;
        }
        if at == start {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
    }
    Some((Ipv4Addr::from(octets), at))
}

/// IPv6 text, exactly as `Ipv6Addr::from_str` reads it (groups of one to four hex digits, at
/// most one `::`, a dotted quad for the last two groups), without its per-character machinery.
fn parse_v6(s: &[u8]) -> Option<Ipv6Addr> {
    let mut at = 0;
    let mut head = [0u16; 8];
    // Only a text with a dot can end in a dotted quad.
    let dotted = s.contains(&b'.');
    let (head_len, head_v4) = read_groups(s, &mut at, &mut head, dotted);
    if head_len == 8 {
        return (at == s.len()).then(|| Ipv6Addr::from(head));
    }
    if head_v4 || s.get(at..at + 2) != Some(b"::") {
        // A dotted quad only ends an address.
        return None;
    }
    at += 2;
    let mut tail = [0u16; 7];
    let (tail_len, _) = read_groups(s, &mut at, &mut tail[..7 - head_len], dotted);
    if at != s.len() {
        return None;
    }
    head[8 - tail_len..].copy_from_slice(&tail[..tail_len]);
    Some(Ipv6Addr::from(head))
}

/// Reads up to `groups.len()` colon-separated groups from `s[*at..]`, the last two of them
/// possibly a dotted quad (if `dotted`); returns how many, and whether a dotted quad ended them.
fn read_groups(s: &[u8], at: &mut usize, groups: &mut [u16], dotted: bool) -> (usize, bool) {
    let limit = groups.len();
    for i in 0..limit {
        let mut next = *at;
        if i > 0 {
            if s.get(next) != Some(&b':') {
                return (i, false);
            }
            next += 1;
        }
        if dotted && i + 1 < limit {
            if let Some((v4, len)) = read_v4(&s[next..]) {
                let [a, b, c, d] = v4.octets();
                groups[i] = u16::from_be_bytes([a, b]);
                groups[i + 1] = u16::from_be_bytes([c, d]);
                *at = next + len;
                return (i + 2, true);
            }
        }
        let (mut value, start) = (0u32, next);
        while let Some(digit) = s.get(next).and_then(|b| char::from(*b).to_digit(16)) {
            if next - start == 4 {
                return (i, false);
            }
            value = value * 16 + digit;
            next += 1;
        }
        if next == start {
            return (i, false);
        }
        groups[i] = value as u16;
        *at = next;
    }
    (limit, false)
}

/// How input bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, ASCII, Latin-1 or binary: scanned as bytes.
    Bytes,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

/// Guesses the encoding from the first bytes: a BOM, or (without one) the zero bytes that
/// ASCII text in UTF-16 is full of.
pub fn sniff(head: &[u8]) -> Encoding {
    match head {
        [0xff, 0xfe, ..] => return Encoding::Utf16Le,
        [0xfe, 0xff, ..] => return Encoding::Utf16Be,
        _ => {}
    }
    let pairs = head.len() / 2;
    if pairs < 8 {
        return Encoding::Bytes;
    }
    let (mut even_zero, mut odd_zero) = (0, 0);
    for pair in head.chunks_exact(2) {
        even_zero += usize::from(pair[0] == 0);
        odd_zero += usize::from(pair[1] == 0);
    }
    if odd_zero * 10 >= pairs * 7 && even_zero * 10 <= pairs {
        Encoding::Utf16Le
    } else if even_zero * 10 >= pairs * 7 && odd_zero * 10 <= pairs {
        Encoding::Utf16Be
    } else {
        Encoding::Bytes
    }
}

/// Why a reader could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The input is over the size limit.
    #[error("the content is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Reading failed.
    #[error("the content cannot be read: {0}")]
    Io(#[from] std::io::Error),
    /// The caller asked the scan to stop (it has all it can take).
    #[error("the scan was stopped")]
    Stopped,
}

/// The bytes a stream is read in, and the size of its pieces (see [`scan_pieces`]).
pub(crate) const CHUNK: usize = 256 * 1024;
/// How far back [`scan`] looks before a token (the words that name a dotted number otherwise,
/// see `named_otherwise`).
const LOOK_BEHIND: usize = 64;

/// Streams `reader` through [`scan`] in chunks; refuses more than `limit` bytes.
///
/// Returns the number of bytes read. Offsets in what is found count from the stream's start.
pub fn scan_reader(
    reader: impl Read,
    limit: u64,
    emit: &mut dyn FnMut(Extracted),
) -> Result<u64, ScanError> {
    scan_reader_until(reader, limit, &mut |e| emit(e), &mut || true)
}

/// [`scan_reader`], asking `keep_going` after each piece whether to go on: when it says no, the
/// scan ends with [`ScanError::Stopped`] (what was found so far was emitted).
pub fn scan_reader_until(
    reader: impl Read,
    limit: u64,
    emit: &mut impl FnMut(Extracted),
    keep_going: &mut dyn FnMut() -> bool,
) -> Result<u64, ScanError> {
    scan_pieces(reader, limit, &mut |piece| {
        piece.scan(&mut |e| emit(e));
        keep_going()
    })
}

/// Where a text scanned in pieces is cut: after the last boundary at or after `from` (the
/// bytes new to this piece), and from where its bytes are kept as the next piece's
/// look-behind. None when there is no boundary there.
fn cut_at_boundary(text: &[u8], from: usize) -> Option<(usize, usize)> {
    let p = text[from..].iter().rposition(|&b| is_boundary(b))?;
    let cut = from + p + 1;
    Some((cut, cut.saturating_sub(LOOK_BEHIND)))
}

/// Where an address was found, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The line, from 1.
    pub line: u64,
    /// The column, from 1, in bytes of the line (characters for UTF-16).
    pub column: u64,
    /// The address as written (defanged forms, CIDR suffix or port included).
    pub written: String,
}

/// [`scan_reader`], telling where each address is written.
pub fn scan_reader_located(
    reader: impl Read,
    limit: u64,
    emit: &mut dyn FnMut(Extracted, Location),
) -> Result<u64, ScanError> {
    let mut lines = Lines {
        counted: 0,
        line: 1,
        line_start: 0,
    };
    scan_pieces(reader, limit, &mut |piece| {
        let Piece { text, base, .. } = piece;
        piece.scan(&mut |found| {
            // (`found` counts from the stream's start.)
            lines.advance(text, base, found.start);
            let location = Location {
                line: lines.line,
                column: (found.start - lines.line_start) as u64 + 1,
                written: String::from_utf8_lossy(&text[found.start - base..found.end - base])
                    .into_owned(),
            };
            emit(found, location);
        });
        // The next piece's addresses are all after this one's text.
        lines.advance(text, base, base + text.len());
        true
    })
}

/// Counts lines as the stream goes by.
struct Lines {
    /// The newlines before this offset of the stream are counted.
    counted: usize,
    /// The line at `counted`, from 1.
    line: u64,
    /// Where that line starts in the stream.
    line_start: usize,
}

impl Lines {
    /// Counts the newlines of `text` (which starts at offset `base`) before offset `upto`.
    fn advance(&mut self, text: &[u8], base: usize, upto: usize) {
        if upto <= self.counted {
            return;
        }
        let from = self.counted.max(base) - base;
        for (i, _) in text[from..upto - base]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
        {
            self.line += 1;
            self.line_start = base + from + i + 1;
        }
        self.counted = upto;
    }
}

/// A piece of a stream cut by [`scan_pieces`]: `text[resume..]` is new to it, the bytes
/// before are the end of the piece before, only looked back at.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    /// The piece's text, its look-behind first.
    pub text: &'a [u8],
    /// Where the bytes new to this piece start in `text` (0 only in a stream's first piece:
    /// every later one starts with a look-behind).
    pub resume: usize,
    /// Where `text` starts in the stream (as decoded: UTF-16 counts one byte a character).
    pub base: usize,
    /// Whether it is the stream's last.
    pub last: bool,
}

impl Piece<'_> {
    /// Scans the piece, with offsets in the stream. The pieces of a stream scanned in its
    /// order find what [`scan_reader`] finds; each piece can be scanned on its own.
    pub fn scan(&self, emit: &mut impl FnMut(Extracted)) {
        scan_from(self.text, self.resume, &mut |mut found| {
            found.start += self.base;
            found.end += self.base;
            emit(found);
        });
    }
}

/// The streaming loop under the scans of a reader: reads `reader` (sniffed for its encoding,
/// UTF-16 decoded; at most `limit` bytes) and cuts it into pieces at token boundaries, each
/// handed to `piece`, which says whether to go on ([`ScanError::Stopped`] if not). Returns
/// the number of bytes read.
pub fn scan_pieces(
    mut reader: impl Read,
    limit: u64,
    piece: &mut dyn FnMut(Piece<'_>) -> bool,
) -> Result<u64, ScanError> {
    // `buf[..filled]` is the text being scanned: bytes are read straight into it; UTF-16 is
    // read into `raw` and decoded into it.
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut raw = Vec::new();
    let mut base = 0usize;
    let mut total: u64 = 0;
    let mut resume = 0;
    let mut search_from = 0;
    let mut encoding = None;
    let mut odd_byte: Option<u8> = None;
    // The error that ended the reading, once one has.
    let mut failed = None;
    // Bytes read after `buf[..filled]` and not yet read as text: what the next read may
    // complete (see `unfinished`).
    let mut held = 0;
    loop {
        if buf.len() < filled + held + CHUNK {
            buf.resize(filled + held + CHUNK, 0);
        }
        let got = match encoding {
            Some(Encoding::Bytes) => {
                let at = filled + held;
                let got = read_full(&mut reader, &mut buf[at..at + CHUNK], &mut failed);
                let ended = got == 0 || failed.is_some();
                (filled, held) = as_read_in_place(&mut buf, filled, at + got, ended);
                got
            }
            Some(utf16) => {
                raw.resize(CHUNK, 0);
                let got = read_full(&mut reader, &mut raw, &mut failed);
                filled = decode_utf16(&raw[..got], utf16, &mut odd_byte, &mut buf, filled);
                got
            }
            None => {
                // The first chunk (`filled` is 0): sniff it, and drop its byte order mark.
                let got = read_full(&mut reader, &mut buf[..CHUNK], &mut failed);
                let enc = sniff(&buf[..got]);
                encoding = Some(enc);
                let bom = got - strip_bom(&buf[..got], enc).len();
                if enc == Encoding::Bytes {
                    buf.copy_within(bom..got, 0);
                    let ended = got < CHUNK || failed.is_some();
                    (filled, held) = as_read_in_place(&mut buf, 0, got - bom, ended);
                } else {
                    raw = buf[bom..got].to_vec();
                    filled = decode_utf16(&raw, enc, &mut odd_byte, &mut buf, 0);
                }
                got
            }
        };
        total += got as u64;
        if total > limit {
            return Err(ScanError::TooLarge { limit });
        }
        let text = &buf[..filled];
        // Hands on `text[..end]`; whether the scan goes on.
        let mut hand_on = |end: usize, last: bool| {
            piece(Piece {
                text: &text[..end],
                resume,
                base,
                last,
            })
        };
        if let Some(e) = failed {
            // A damaged input (a truncated gzip): the text read before the damage is scanned
            // up to its last boundary, so that no address cut by the damage is reported.
            let cut = cut_at_boundary(text, resume);
            if cut.is_some_and(|(cut, _)| !hand_on(cut, false)) {
                return Err(ScanError::Stopped);
            }
            return Err(ScanError::Io(e));
        }
        if got == 0 {
            return if hand_on(filled, true) {
                Ok(total)
            } else {
                Err(ScanError::Stopped)
            };
        }
        // With no boundary in the new bytes, carry everything (a run without any boundary is
        // bounded by `limit`).
        let Some((cut, keep_from)) = cut_at_boundary(text, search_from) else {
            search_from = filled;
            continue;
        };
        if !hand_on(cut, false) {
            return Err(ScanError::Stopped);
        }
        buf.copy_within(keep_from..filled + held, 0);
        filled -= keep_from;
        base += keep_from;
        resume = cut - keep_from;
        search_from = resume;
    }
}

/// Reads as much of `buf` as there is: the count read, even when an error (put in `failed`)
/// ended the reading.
fn read_full(reader: &mut impl Read, buf: &mut [u8], failed: &mut Option<std::io::Error>) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                *failed = Some(e);
                break;
            }
        }
    }
    filled
}

fn strip_bom(input: &[u8], enc: Encoding) -> &[u8] {
    match (enc, input) {
        (Encoding::Bytes, [0xef, 0xbb, 0xbf, rest @ ..]) => rest,
        (Encoding::Utf16Le, [0xff, 0xfe, rest @ ..])
        | (Encoding::Utf16Be, [0xfe, 0xff, rest @ ..]) => rest,
        _ => input,
    }
}

/// Writes UTF-16 code units as bytes into `out` from `at` (which has room for them): ASCII as
/// itself, anything else as a separator (0x80). Returns where the bytes written end.
fn decode_utf16(
    input: &[u8],
    encoding: Encoding,
    odd: &mut Option<u8>,
    out: &mut [u8],
    mut at: usize,
) -> usize {
    let little = encoding == Encoding::Utf16Le;
    let mut unit = |a: u8, b: u8| {
        let unit = if little {
            u16::from_le_bytes([a, b])
        } else {
            u16::from_be_bytes([a, b])
        };
        if !is_invisible(unit) {
            out[at] = if unit < 0x80 { unit as u8 } else { 0x80 };
            at += 1;
        }
    };
    let mut bytes = input;
    if let Some(first) = odd.take() {
        if let Some((&second, rest)) = bytes.split_first() {
            unit(first, second);
            bytes = rest;
        } else {
            *odd = Some(first);
        }
    }
    let mut pairs = bytes.chunks_exact(2);
    for pair in &mut pairs {
        unit(pair[0], pair[1]);
    }
    if let [last] = pairs.remainder() {
        *odd = Some(*last);
    }
    at
}

/// Reads `buf[from..end]` (bytes just read after the text `buf[..from]`) as text in place
/// ([`as_read`]), but for an unfinished end that the next read may complete, unless the
/// reading `ended`. Returns the text's new length and how many bytes are held after it.
fn as_read_in_place(buf: &mut [u8], from: usize, end: usize, ended: bool) -> (usize, usize) {
    let hold = if ended {
        0
    } else {
        unfinished(&buf[from..end])
    };
    let narrowed = narrow_wide_strings(&mut buf[from..end - hold]);
    let len = drop_invisible(&mut buf[from..from + narrowed]);
    buf.copy_within(end - hold..end, from + len);
    (from + len, hold)
}

/// How many bytes at the end of `text` the next read may complete: the first bytes of an
/// invisible character ([`drop_invisible`]), or a wide string still open (its last pairs, up
/// to 64 KiB, and a last printable byte whose zero byte is next).
fn unfinished(text: &[u8]) -> usize {
    // The longest start of an invisible character that ends the text.
    let invisible = INVISIBLE
        .iter()
        .flat_map(|c| (1..c.len()).filter(|&k| text.ends_with(&c.as_bytes()[..k])))
        .max()
        .unwrap_or(0);
    let n = text.len();
    let mut k = n;
    if k > 0 && printable(text[k - 1]) {
        k -= 1;
    }
    while k >= 2 && text[k - 1] == 0 && printable(text[k - 2]) && n - k < 64 << 10 {
        k -= 2;
    }
    invisible.max(n - k)
}

/// The characters a reader does not see: the soft hyphen, the zero-width space, non-joiner
/// and joiner, the word joiner, the zero-width no-break space (see [`drop_invisible`]).
const INVISIBLE: [&str; 6] = [
    "\u{ad}", "\u{200b}", "\u{200c}", "\u{200d}", "\u{2060}", "\u{feff}",
];

/// The first bytes of [`INVISIBLE`]'s characters in UTF-8 (for `memchr3`).
const INVISIBLE_LEADS: [u8; 3] = [0xc2, 0xe2, 0xef];

/// Whether a UTF-16 unit is one of [`INVISIBLE`].
fn is_invisible(unit: u16) -> bool {
    INVISIBLE.iter().any(|c| {
        c.chars()
            .next()
            .is_some_and(|c| u32::from(c) == u32::from(unit))
    })
}

/// The printable ASCII bytes of a wide string ([`narrow_wide_strings`]).
fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Drops from UTF-8 `text` the characters a reader does not see ([`INVISIBLE`]) and returns
/// its new length. Pasted from a chat or a word processor, or put there to hide
/// it, one inside an address splits it for the scan and not for a reader
/// (`45.13<U+200B>3.1.25` is 45.133.1.25). (Columns after one shift by its length; one cut by
/// the end of a read is left.)
fn drop_invisible(text: &mut [u8]) -> usize {
    let invisible = |b: &[u8]| {
        INVISIBLE
            .iter()
            .find(|c| b.starts_with(c.as_bytes()))
            .map_or(0, |c| c.len())
    };
    // Where the next byte that may start one is, from `from`.
    let [a, b, c] = INVISIBLE_LEADS;
    let lead = |text: &[u8], from: usize| {
        memchr::memchr3(a, b, c, &text[from..]).map_or(text.len(), |p| from + p)
    };
    let mut read = lead(text, 0);
    let mut write = read;
    while read < text.len() {
        let len = invisible(&text[read..]);
        if len > 0 {
            read += len;
            continue;
        }
        let next = lead(text, read + 1);
        if write != read {
            text.copy_within(read..next, write);
        }
        write += next - read;
        read = next;
    }
    write
}

/// The shortest UTF-16LE string [`narrow_wide_strings`] reads, in characters (as `strings -el`).
const WIDE_STRING: usize = 4;

/// Reads the UTF-16LE strings of a binary as text, in place, as `strings -el` does: a run of
/// [`WIDE_STRING`] printable ASCII characters or more, each followed by a zero byte
/// (`S\0e\0r\0v\0e\0r\0=\01\00\03\0.\0…`, as Windows programs keep their strings), becomes its
/// characters between two spaces. Returns the new length. Text without zero bytes is left as
/// it is at the cost of one `memchr`; a string cut by the end of a read is left.
fn narrow_wide_strings(text: &mut [u8]) -> usize {
    // Where a run may start next: the byte before the next zero byte from `from`.
    let next_run = |text: &[u8], from: usize| {
        memchr::memchr(0, &text[from..]).map_or(text.len(), |p| (from + p).saturating_sub(1))
    };
    let mut read = next_run(text, 0);
    let mut write = read;
    while read < text.len() {
        let mut chars = 0;
        while read + 2 * chars + 1 < text.len()
            && printable(text[read + 2 * chars])
            && text[read + 2 * chars + 1] == 0
        {
            chars += 1;
        }
        if chars >= WIDE_STRING {
            // `chars + 2` bytes written where `2 * chars` were read, each character moved
            // before its place is written over (the first to where its zero byte was).
            for k in 0..chars {
                text[write + 1 + k] = text[read + 2 * k];
            }
            text[write] = b' ';
            text[write + 1 + chars] = b' ';
            write += chars + 2;
            read += 2 * chars;
            continue;
        }
        let next = next_run(text, read + 1).max(read + 1);
        if write != read {
            text.copy_within(read..next, write);
        }
        write += next - read;
        read = next;
    }
    write
}

/// Bytes that are never part of an address token nor its glue: a chunk may be cut after one.
fn is_boundary(b: u8) -> bool {
    class(b) & KEEP == 0
}

#[cfg(test)]
/// A text of every kind of address and of the things that are not, with runs of glue longer
/// than a small window, from a fixed seed.
pub(crate) fn varied_text(bytes: usize) -> Vec<u8> {
    let pieces: [&[u8]; 12] = [
        b"src=81.2.69.142 ",
        b"GET http://[2001:db8::1]:8080/x ",
        b"hxxp://89.160.20[.]115/a ",
        b"net 10.0.0.0/8, ",
        b"seen at 1.2.3.4.\n",
        b"v1.2.3.4.5 ",
        b"fe80::1%eth0 ",
        b"oid 1.3.6.1 ",
        b"\"ip\":\"216.160.83.56\",",
        b"2001:0DB8:0000:0000:0000:0000:0000:0001\t",
        b"05:14:33 host ",
        b"word. ",
    ];
    let mut text = Vec::with_capacity(bytes + 20_000);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    while text.len() < bytes {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        match seed % 2_000 {
            // Longer than the windows the test uses: a window must grow to pass it.
            0 => text.extend(std::iter::repeat_n(
                b'a',
                9_000 + (seed >> 40) as usize % 9_000,
            )),
            n => text.extend_from_slice(pieces[n as usize % pieces.len()]),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan(text.as_bytes(), &mut |e| {
            out.push(match e.network {
                Some(n) => format!("{} ({n})", e.ip),
                None => e.ip.to_string(),
            })
        });
        out
    }

    fn one(text: &str, ip: &str) {
        assert_eq!(found(text), [ip], "in {text:?}");
    }

    fn none(text: &str) {
        assert_eq!(found(text), Vec::<String>::new(), "in {text:?}");
    }

    #[test]
    fn plain_addresses() {
        one("1.2.3.4", "1.2.3.4");
        one("seen at 81.2.69.142.", "81.2.69.142");
        one("2001:db8::1", "2001:db8::1");
        one("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
        one("::ffff:1.2.3.4", "1.2.3.4");
        one("64:ff9b::1.2.3.4", "64:ff9b::102:304");
        one("fe80::1%eth0 is up", "fe80::1");
        one("[2001:db8::1]:443", "2001:db8::1");
        one("::1", "::1");
    }

    #[test]
    fn defanged_addresses() {
        one("1.2.3[.]4", "1.2.3.4");
        one("1[.]2[.]3[.]4", "1.2.3.4");
        one("1.2.3(.)4", "1.2.3.4");
        one("1.2.3{.}4", "1.2.3.4");
        one("1[dot]2[DOT]3[dot]4", "1.2.3.4");
        one("hxxp://1.2.3.4/x", "1.2.3.4");
        one("hxxps[:]//1.2.3.4/login", "1.2.3.4");
        one("2001:db8[:]:1", "2001:db8::1");
        one("2001[:]db8[:][:]1", "2001:db8::1");
    }

    #[test]
    fn addresses_in_context() {
        one("http://1.2.3.4:8080/x", "1.2.3.4");
        one("Received: from mx ([1.2.3.4])", "1.2.3.4");
        one("a,b,1.2.3.4,c", "1.2.3.4");
        one(r#"{"ip":"1.2.3.4"}"#, "1.2.3.4");
        one("1.2.3.4:443", "1.2.3.4");
        one("src=1.2.3.4 dst=", "1.2.3.4");
        one("10.0.0.0/8", "10.0.0.0 (10.0.0.0/8)");
        one("the network was 81.2.69.0/24.", "81.2.69.0 (81.2.69.0/24)");
        one("2001:db8::/32", "2001:db8:: (2001:db8::/32)");
        one("77.91.124.55/50122", "77.91.124.55");
        one("host:1.2.3.4", "1.2.3.4");
        one("feed:1.2.3.4", "1.2.3.4");
    }

    #[test]
    fn colon_runs_longer_than_an_address_give_none() {
        // Fingerprints (MD5, SHA-1, SHA-256; either case), hex dumps, counted runs.
        none("1:2:3:4:5:6:7:8:9");
        none("1::2:3:4:5:6:7:8:9");
        none("A2:74:E1:D5:C5:38:2B:18:D4:C7:A6:AC:ED:FC:93:E3");
        none("fingerprint a2:74:e1:d5:c5:38:2b:18:d4:c7:a6:ac:ed:fc:93:e3.");
        none("SHA1 Fingerprint=3B:9A:2C:41:7D:19:0E:5F:AA:C2:11:90:4D:6E:77:88:99:AB:CD:EF");
        none(
            "SHA256:5E:FF:56:A2:AF:15:88:25:35:D6:43:8C:E2:3F:A8:37:\
             1B:4C:5E:9A:2F:73:0C:11:42:A6:16:55:D3:8E:EF:2B",
        );
        none("de:ad:be:ef:00:11:22:33:44");
        none("a274:e1d5:c538:2b18:d4c7:a6ac:edfc:93e3:1234");
        none("2001:db8:1:2:3:4:5:6:443");
        // A run longer than any token, its colons past the token's first 64 bytes.
        none(&format!("{}:2001:db8:3:4:5:6:7:8", "a".repeat(60)));
        none(&format!("{}:2001:db8:3:4:5:6:7:8 end", "0".repeat(58)));
        // An address next to one is still found; so are the longest forms.
        assert_eq!(
            found("a2:74:e1:d5:c5:38:2b:18:d4:c7 from 2001:db8::7"),
            ["2001:db8::7"]
        );
        one("2001:db8:0:0:0:0:0:1", "2001:db8::1");
        one("2001:db8:1:2:3:4:5::", "2001:db8:1:2:3:4:5:0");
    }

    #[test]
    fn ipv6_text_that_binaries_and_code_are_full_of_gives_none() {
        for junk in [
            "::",
            "1::",
            "d::d",
            "e::",
            "ab::cd",
            "::f",
            "[::]:80",
            "ff::",
            // C++ names of hex letters, unassigned space.
            "Bad::Cafe",
            "Dead::Beef",
            "Face::Add",
            "4000::1",
            // A MAC-like run of eight hex pairs (EUI-64) decodes into 0::/8 too.
            "02:00:5e:10:00:00:00:01",
            "1:2:3:4:5:6:7:8",
        ] {
            none(junk);
        }
        // What in 0::/8 is written on purpose is kept.
        one("::1", "::1");
        one("::ffff:81.2.69.142", "81.2.69.142");
        one("::ffff:5102:458e", "81.2.69.142");
        one("::1.2.3.4", "::102:304");
        one("64:ff9b::81.2.69.142", "64:ff9b::5102:458e");
        one("64:ff9b::5102:458e", "64:ff9b::5102:458e");
        one("100::1", "100::1");
        // Every assigned kind of address.
        for (text, ip) in [
            ("fd12:3456::1", "fd12:3456::1"),
            ("fe80::1%eth0", "fe80::1"),
            ("fec0:0:0:ffff::1", "fec0:0:0:ffff::1"),
            ("ff02::1", "ff02::1"),
            ("3fff::1", "3fff::1"),
        ] {
            one(text, ip);
        }
    }

    #[test]
    fn regex_escaped_dots_are_a_defanged_form() {
        one(r"151\.106\.171\.63", "151.106.171.63");
        one(r#"pcre:"/^151\.106\.171\.63$/""#, "151.106.171.63");
        one(r"$c2 = /151\.106\.171\.63\b/", "151.106.171.63");
        one(r"151\.106\.171\.63|", "151.106.171.63");
        // A JSON string holds a regex's backslash doubled (a Sigma rule as JSON).
        one(r#"{"re": "151\\.106\\.171\\.63"}"#, "151.106.171.63");
        // The escapes are in what was written, not after it.
        let mut written = Vec::new();
        scan_reader_located(
            &b"seen at 1\\.2\\.3\\.4\\. Then"[..],
            u64::MAX,
            &mut |_, at| written.push(at.written),
        )
        .unwrap();
        assert_eq!(written, [r"1\.2\.3\.4"]);
        // A port or a path after the address leaves it whole.
        one(
            r#""^https?://151\.106\.171\.63(:[0-9]+)?/""#,
            "151.106.171.63",
        );
        one(r"151\.106\.171\.63(?::\d+)?", "151.106.171.63");
        one(r"ldap:\/\/45\.155\.205\.233:\d+\/", "45.155.205.233");
        one(r"151\.106\.171\.63[/:]", "151.106.171.63");
        one(r"151\.106\.171\.63", "151.106.171.63");
        one(r"151\.106\.171\.63\D", "151.106.171.63");
        // A regex that matches more than the address names none of them.
        for regex in [
            r"10\.0\.0\.1[0-9]",
            r"10\.0\.0\.1(0|1)",
            r"10\.0\.0\.1{2}",
            r"10\.0\.0\.1?",
            r"10\.0\.0\.1*",
            r"10\.0\.0\.1+",
            r"10\.0\.0\.1\d",
            r"192\.168\.\d+\.\d+",
            r"(10|192)\.168\.1\.1",
            r"10\.0\.0\.[0-9]{1,3}",
            r"10\.0\.0\.1(?:[0-9])",
            r"10\.0\.0\.1\w",
            r"1\.2\.3\.4\.\d+",
        ] {
            none(regex);
        }
        // Other backslashes are what they were.
        one(r"\\10.0.0.5\share", "10.0.0.5");
        one(r"C:\logs\81.2.69.142\x", "81.2.69.142");
    }

    #[test]
    fn escaped_line_breaks_are_not_glue() {
        assert_eq!(
            found(r#"{"msg":"conn\n10.1.2.3 - x\t81.2.69.143\r\n2001:db8::2"}"#),
            ["10.1.2.3", "81.2.69.143", "2001:db8::2"]
        );
        // Letters that only look like an escape still glue.
        none(r"x\a10.1.2.3");
        none("n10.1.2.3");
    }

    #[test]
    fn a_word_before_a_dotted_number_may_name_it_something_else() {
        for named in [
            "OID 2.6.29.17",
            "oid: 1.3.6.1",
            "OID=1.3.6.1",
            "urn:oid:1.3.6.1",
            "(OID 1.3.6.1)",
            "OIDs 1.3.6.1",
            "oid\t1.3.6.1",
            r#"new Oid("1.3.6.1")"#,
            r#"x509.ObjectIdentifier("1.3.6.1")"#,
            "Object Identifier: 1.3.6.1",
            "Extension Id: 1.3.6.1 (id-ce-x)",
            "internal version 1.7.0.3, compiled",
            "System.Runtime, Version=4.0.0.0, Culture=neutral",
            "ver 1.2.3.4",
            "see RFC 5280 section 4.2.1.6",
            "§ 4.2.1.6",
            // Versions as Windows, .NET and builds write them; numbered tables and figures.
            "FileVersion: 10.0.0.1",
            "ProductVersion: 6.3.0.1",
            "FileVersion 1.0.0.0",
            r#"[assembly: AssemblyVersion("1.0.0.0")]"#,
            r#"[assembly: AssemblyFileVersion("2.1.0.4")]"#,
            "file_version=1.2.3.4",
            "PE version info: 7.0.0.1",
            "Build 5.1.2.3 (x64)",
            "ver. 3.2.1.0",
            "rev 4.4.0.1",
            "Revision 1.0.2.3",
            "Firmware 1.0.4.12",
            "Table 4.1.2.3: network indicators",
            "Figure 2.1.1.3 shows",
            "Fig. 3.1.2.4",
            "Chapter 1.2.3.4",
            "Java 1.8.0.25",
            // Products named with their version in prose and release notes.
            "OpenSSL 1.1.1.4 is outdated",
            "Kernel 5.15.0.91",
            "EDR flagged AnyDesk 8.0.6.0 silent install",
            "TeamViewer 15.49.2.0",
            "FortiOS 7.2.4.1 / build 1396",
            " * @since 1.4.0.2",
            // Lists aligned in columns (PowerShell, sigcheck, Nessus).
            "FileVersion    : 15.49.2.0",
            "File Version                    : 1.0.0.1",
            "  Fixed version     : 7.2.7.0",
            "ProductVersion\t\t6.3.0.1",
            // Code.
            r#"__version__ = "2.0.0.1""#,
        ] {
            none(named);
        }
        // The word whole, not inside another one.
        for (text, ip) in [
            ("Android C2 81.2.69.142", "81.2.69.142"),
            ("avoid 89.160.20.115", "89.160.20.115"),
            ("void* at 216.160.83.56", "216.160.83.56"),
            ("paranoid 2.125.160.216", "2.125.160.216"),
            ("steroid:2.125.160.217", "2.125.160.217"),
            ("OIDC issuer 175.16.199.5", "175.16.199.5"),
            ("oidc=175.16.199.6", "175.16.199.6"),
            ("OID is 81.2.69.142", "81.2.69.142"),
            ("server 81.2.69.143", "81.2.69.143"),
            // A numbering word names only small parts written after it with spaces.
            ("kernel: 81.2.69.150", "81.2.69.150"),
            ("windows host 10.0.0.5", "10.0.0.5"),
            ("Android 81.2.69.151", "81.2.69.151"),
            // An inventory names a device's system, then its address.
            ("Android 10.44.2.17", "10.44.2.17"),
            ("Windows 10.44.2.18", "10.44.2.18"),
            ("iOS 10.44.2.19", "10.44.2.19"),
            ("intersection 81.2.69.144", "81.2.69.144"),
            ("DNS conversion to 81.2.69.145", "81.2.69.145"),
            ("CONVERSION 81.2.69.146", "81.2.69.146"),
            ("rebuild 81.2.69.147", "81.2.69.147"),
            ("stable 81.2.69.148", "81.2.69.148"),
            ("end of sentence. 81.2.69.149", "81.2.69.149"),
            // A sentence ending in one of the words, a word and a colon, larger parts.
            (
                "See the previous section. 81.2.69.150 was the C2",
                "81.2.69.150",
            ),
            ("after the release. 81.2.69.151", "81.2.69.151"),
            ("DHCP release 81.2.69.152", "81.2.69.152"),
            ("Blocked in the firewall table: 81.2.69.153", "81.2.69.153"),
            ("Build: 81.2.69.154", "81.2.69.154"),
            ("JAVA: 81.2.69.155", "81.2.69.155"),
            ("routing table 10.0.0.156", "10.0.0.156"),
            ("Figure 81.2.69.157", "81.2.69.157"),
        ] {
            one(text, ip);
        }
    }

    #[test]
    fn a_reverse_dns_name_holds_its_address_reversed() {
        one(
            "142.69.2.81.in-addr.arpa. 3600 IN PTR host.example.net.",
            "81.2.69.142",
        );
        one("PTR 142.69.2.81.IN-ADDR.ARPA", "81.2.69.142");
        one("DNSBL query 2.0.0.127.zen.spamhaus.org", "127.0.0.2");
        one("dig +short 1.2.3.4.origin.asn.cymru.com TXT", "4.3.2.1");
        one("listed: 45.205.155.45.psbl.surriel.com.", "45.155.205.45");
        for zone in [
            "bl.spamcop.net",
            "b.barracudacentral.org",
            "dnsbl.sorbs.net",
        ] {
            let listed = format!("query 45.205.155.45.{zone}");
            assert!(
                !found(&listed).contains(&"45.205.155.45".to_string()),
                "{listed}"
            );
        }
        // Names that hold the address as it is, and zones only like the reverse ones.
        one("callback to 1.2.3.4.nip.io", "1.2.3.4");
        one("81.2.69.142.sslip.io", "81.2.69.142");
        one("81.2.69.142.notspamhaus.org", "81.2.69.142");
        one("81.2.69.142.in-addr.arpa.example.com", "81.2.69.142");
        // A quad inside a longer name (RFC 2317 delegation), or a sentence's end.
        none("zone 0/25.2.0.192.in-addr.arpa delegated");
        none("142.128/25.2.0.192.in-addr.arpa. IN PTR");
        one("C2 was 81.2.69.142.Spamhaus.org listed it", "81.2.69.142");
        // A zone of three parts holds no whole address.
        none("69.2.81.in-addr.arpa zone");
        // IPv6: 32 nibbles, last first.
        one(
            "2.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR ns1.",
            "2001:db8::42",
        );
        one(
            "PTR 3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.3.2.1.8.B.D.0.1.0.0.2.IP6.ARPA",
            "2001:db8:1234::53",
        );
        // `::` is no address, written so or not.
        none(
            "zone \"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa\" IN {",
        );
        // A zone of fewer nibbles, or a name under it, holds no whole address.
        none("8.b.d.0.1.0.0.2.ip6.arpa zone");
        none("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa-x.example");
    }

    #[test]
    fn an_identifier_naming_a_version_names_its_value() {
        for named in [
            r#"android:versionName="1.0.0.1" platformBuildVersionName="13.0.0.0""#,
            r#"{"os_version": "10.0.0.19"}"#,
            "X-Version-Id: 2.1.0.5",
            "ProductVersion=6.1.0.2",
            "version_string='4.2.0.1'",
        ] {
            none(named);
        }
        for (text, ip) in [
            ("conversion_ip=81.2.69.142", "81.2.69.142"),
            ("CONVERSION: 81.2.69.143", "81.2.69.143"),
            ("subversion_host=81.2.69.144", "81.2.69.144"),
            ("server_ip=81.2.69.145", "81.2.69.145"),
            ("versioned_host=81.2.69.146", "81.2.69.146"),
            ("version_check_server = 81.2.69.147", "81.2.69.147"),
            ("VersionCheckHost: 81.2.69.148", "81.2.69.148"),
            ("update.versionServer=81.2.69.149", "81.2.69.149"),
            ("product_version_ip: 81.2.69.150", "81.2.69.150"),
            ("Versions: 81.2.69.151", "81.2.69.151"),
        ] {
            one(text, ip);
        }
    }

    #[test]
    fn the_end_of_a_named_range_is_named_too() {
        none(r#"<bindingRedirect oldVersion="0.0.0.0-13.0.0.0" newVersion="13.0.0.0" />"#);
        none("version 1.0.0.0-2.0.0.0");
        assert_eq!(
            found("blocked 81.2.69.0-81.2.69.255"),
            ["81.2.69.0", "81.2.69.255"]
        );
    }

    #[test]
    fn object_identifiers_of_certificates_are_not_addresses() {
        // What certutil, openssl and Wireshark print for extensions and attribute types.
        none("    2.5.29.17: Flags = 0, Length = 1a");
        none("2.5.4.3 = www.example.com");
        one("2.5.30.17", "2.5.30.17");
        one("2.4.29.17", "2.4.29.17");
    }

    #[test]
    fn a_user_agents_product_version_is_not_an_address() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
            "+Chrome/119.0.0.0+Safari/537.36",
            "Edg/120.0.0.0",
            "(OPR/105.0.0.0)",
            "User-Agent: curl/8.4.0.1",
            "User-Agent: python-requests/2.31.0.1",
            "Go-http-client/1.1.0.2",
            "SSH-2.0-OpenSSH_8.9.1.2 Ubuntu-3",
            "OpenSSH_8.9.1.2",
            "dropbear_1.2.3.4",
            "Mozilla/5.0 (X11; rv:115.0) Gecko/20100101 Firefox/115.0.2.1",
            "Server: nginx/1.18.0.1",
            "Server: Apache/2.4.41.1 (Ubuntu) OpenSSL/1.1.1.4 PHP/7.4.3.2",
            "Microsoft-IIS/10.0.1.7",
            // A token starting a line (a banner on its own, a log's user-agent column).
            "nginx/1.18.0.1\nApache/2.4.41.0 (Ubuntu)\r\nchrome/1.2.3.4",
        ] {
            none(ua);
        }
        // Another product's version may be a host; a word and `_` before an address are not
        // a banner.
        one("tcp/81.2.69.142", "81.2.69.142");
        one("src_ip_81.2.69.143 dst", "81.2.69.143");
        one("foo_1.2.3.4", "1.2.3.4");
        one("https://example.com/java/81.2.69.145", "81.2.69.145");
        one("GET /curl/81.2.69.146 HTTP/1.1", "81.2.69.146");
        one("curl-test/81.2.69.144", "81.2.69.144");
        // A URL's path holds addresses; so does a product's token ending in a host's digit.
        one("https://ipinfo.io/8.8.8.0", "8.8.8.0");
        one("https://www.abuseipdb.com/check/81.2.69.0", "81.2.69.0");
        one("host/81.2.69.142", "81.2.69.142");
        one("see /8.8.4.0 here", "8.8.4.0");
    }

    #[test]
    fn versions_in_log_headers_paths_and_package_constraints_are_not_addresses() {
        for version in [
            // CEF and LEEF headers: the fourth field is the product's version.
            "CEF:0|Palo Alto Networks|PAN-OS|10.2.9.1|url|THREAT|1|rt=Mar 12 2024",
            "Mar 12 10:27:05 host CEF:0|Vendor|Product|1.0.0.1|100|x|5|",
            "LEEF:2.0|Lancope|StealthWatch|6.10.0.1|alarm|",
            // .NET's global assembly cache.
            r"C:\Windows\Microsoft.Net\assembly\GAC_MSIL\System.Management.Automation\v4.0_3.0.0.0__31bf3856ad364e35\x.dll",
            // A user agent's product with its comment.
            r#""ExampleApp/5.12.1.4 (iPhone; iOS 17.2.1; Scale/3.00)""#,
            "geofence/1.2.0.4 (+https://example.com/bot)",
            // Requirement files.
            "some-legacy-lib==1.0.0.1",
            "pyzmq>=25.1.2,<26.0.0.0",
            "requests[socks]~=2.31.0.1",
            "lib!=1.2.3.4",
            // A package URL, a stylesheet's version, an OSPF area.
            r#""bom-ref": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4.2""#,
            "<link href=\"/css/main.min.css?v=2.3.1.4\">",
            "set protocols ospf area 0.0.0.10 interface ge-0/0/1",
            // Installers' and packages' file names, container images' tags.
            "GET /download/agent-4.2.0.1.msi HTTP/1.1",
            "packages/internal_sdk-4.0.0.0-py3-none-any.whl",
            "tool-1.2.3.4-x64.exe",
            "image: registry.example.com/payments-api:2.1.4.0",
        ] {
            none(version);
        }
        // Relatives that are addresses: a CEF extension's field, a filter's comparison, a
        // URL's path before a comment, an aligned list's address, a .NET-looking hex tail.
        for (text, ip) in [
            (
                "CEF:0|Vendor|Product|1.0|100|name|5|src=81.2.69.142",
                "81.2.69.142",
            ),
            ("CEF:0|Vendor|Product|1.0|81.2.69.143|", "81.2.69.143"),
            ("ip.addr==81.2.69.144", "81.2.69.144"),
            ("tcp.port==443 and ip.dst==81.2.69.157", "81.2.69.157"),
            ("src_ip==81.2.69.145", "81.2.69.145"),
            ("dst==81.2.69.146", "81.2.69.146"),
            ("ip.src == 81.2.69.147", "81.2.69.147"),
            (
                "https://www.abuseipdb.com/check/81.2.69.148 (reported)",
                "81.2.69.148",
            ),
            (
                "Source Address                  : 81.2.69.149",
                "81.2.69.149",
            ),
            ("<h1>81.2.69.150</h1>", "81.2.69.150"),
            ("81.2.69.151__not_a_key", "81.2.69.151"),
            ("Cloudflare 1.1.1.1", "1.1.1.1"),
            // A family or tool named before its server's address, a column of processes and
            // their remote addresses, a tag, a DHCP release, a filter's comparison, an
            // interface before its address, a path before a comment, a script's query.
            ("AsyncRAT 45.9.74.36", "45.9.74.36"),
            (
                "Client connected via OpenVPN 10.8.0.10 (assigned)",
                "10.8.0.10",
            ),
            ("chrome        142.250.185.78  443", "142.250.185.78"),
            ("AnyDesk       185.229.191.44  80", "185.229.191.44"),
            ("AnyDesk: 185.229.191.45", "185.229.191.45"),
            ("TeamViewer 81.2.69.146", "81.2.69.146"),
            ("Tag: 81.2.69.147", "81.2.69.147"),
            ("python        10.0.0.5   8000", "10.0.0.5"),
            ("DHCP release 10.0.0.6", "10.0.0.6"),
            ("arp.src.proto_ipv4==10.0.0.8", "10.0.0.8"),
            ("bgp.next_hop==81.2.69.149", "81.2.69.149"),
            ("server==10.0.0.12", "10.0.0.12"),
            ("Src/Dst:10.0.0.15", "10.0.0.15"),
            ("GigabitEthernet0/1:10.0.0.2", "10.0.0.2"),
            ("Blocked IP/81.2.69.153 (Tor exit)", "81.2.69.153"),
            (
                "https://cdn.example.com/lib.js?v=81.2.69.145",
                "81.2.69.145",
            ),
            ("Kernel    10.0.0.7", "10.0.0.7"),
            ("nginx_10.0.0.16", "10.0.0.16"),
            ("RU/5.8.18.0", "5.8.18.0"),
            ("area 10.0.0.17", "10.0.0.17"),
            ("beacon-81.2.69.142-443.exe", "81.2.69.142"),
            // Field names in camel case that name an address; a user at a host.
            ("SrcIp      10.0.0.5", "10.0.0.5"),
            ("RemoteAddress 10.0.0.6", "10.0.0.6"),
            ("GoogleDNS 8.8.8.8", "8.8.8.8"),
            ("OpenDNS 208.67.222.222", "208.67.222.222"),
            ("ssh admin@10.0.0.7", "10.0.0.7"),
            ("https://example.com/?ip=10.0.0.8", "10.0.0.8"),
            // Files named after an address, a range, a host and port.
            ("nmap-81.2.69.152.xml", "81.2.69.152"),
            ("log_81.2.69.153.txt", "81.2.69.153"),
            ("dst:81.2.69.155", "81.2.69.155"),
            ("peer host-a:81.2.69.156", "81.2.69.156"),
        ] {
            one(text, ip);
        }
    }

    #[test]
    fn an_unbracketed_ipv6_address_with_a_five_digit_port_is_the_address() {
        one(
            "Dec 12 10:00:01 lb haproxy[812]: 2001:db8:1::5:51422 [12/Dec/2023:10:00:01.123] fe be/s1",
            "2001:db8:1::5",
        );
        // A last group of four digits or fewer is a group of the address; six digits, or a
        // port over 65535, make no address.
        one("client 2001:db8:1::5:5142 here", "2001:db8:1::5:5142");
        none("client 2001:db8:1::5:514220 here");
        none("client 2001:db8:1::5:99999 here");
        // Without `::` the groups are counted: eight and a port is a run too long.
        none("1:2:3:4:5:6:7:8:51422");
    }

    #[test]
    fn tcpdump_writes_an_address_with_its_port() {
        assert_eq!(
            found("12:01:02.3 IP 185.224.128.17.52311 > 10.20.0.4.23: Flags [S], seq 1"),
            ["185.224.128.17", "10.20.0.4"]
        );
        assert_eq!(
            found("IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [P.]"),
            ["2001:db8::1", "2001:db8::2"]
        );
        // Without tcpdump's arrow a fifth part is a longer dotted number.
        none("1.2.3.4.5 and 1.2.3.4.52311");
    }

    #[test]
    fn escapes_and_loose_dots_are_not_glue() {
        assert_eq!(
            found("wget%20http%3A%2F%2F45.128.232.15%2Fbins%2Fmips"),
            ["45.128.232.15"]
        );
        one("q=%2281.2.69.142%22", "81.2.69.142");
        one(
            "00002e50: 0031 3934 2e31  .194.165.16.79..",
            "194.165.16.79",
        );
        one("wait...10.0.0.1", "10.0.0.1");
        // A dot after a word still makes a longer dotted number.
        none("v.1.2.3.4");
        none("a1.2.3.4");
    }

    #[test]
    fn not_addresses() {
        none("1 . 2 . 3 . 4");
        none("1.2.3.4.5");
        none("v10.0.0.1.2");
        none("version 1.2.3");
        none("256.1.1.1");
        none("01.2.3.4");
        none("1.02.3.4");
        none("a1.2.3.4");
        none("11.2.3.45x");
        none("1.2.3.4a");
        none("OID 2.5.29.17");
        none("urn:oid:2.5.4.3");
        none("12:30:45");
        none("00:1a:2b:3c:4d:5e");
        none("std::vector");
        none("deadbeef");
        none("1.800.555.1234");
        none("3.14159");
    }

    #[test]
    fn addresses_parse_as_std_parses_them() {
        let mut texts: Vec<String> = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "1::1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "12345::1",
            "1:::2",
            "1::2::3",
            ":1::2",
            "1::2:",
            "fFfF::AbCd",
            "0000:0:00:000::",
            "::01.2.3.4",
            "::1.2.3.256",
            "::1.2.3",
            "1:2:3:4:5:6:7:8:9",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Random strings of the characters addresses are written with, and random addresses
        // with one character changed.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let alphabet = b"0123456789abcdefABCDEFg:::...";
        for _ in 0..200_000 {
            let len = next(24);
            texts.push((0..len).map(|_| char::from(alphabet[next(29)])).collect());
        }
        for _ in 0..50_000 {
            let groups: [u16; 8] = std::array::from_fn(|_| [0, 1, 0xffff, 0x1234][next(4)]);
            let mut text = match next(3) {
                0 => Ipv6Addr::from(groups).to_string(),
                1 => format!("{:x}::{}", groups[0], Ipv4Addr::from(next(1 << 32) as u32)),
                _ => format!("{:x}:{}", groups[0], Ipv6Addr::from(groups)),
            }
            .into_bytes();
            let at = next(text.len() as u64);
            text[at] = alphabet[next(29)];
            texts.push(String::from_utf8(text).unwrap());
        }
        for text in texts {
            assert_eq!(parse_v6(text.as_bytes()), text.parse().ok(), "{text}");
            assert_eq!(parse_v4(text.as_bytes()), text.parse().ok(), "{text}");
        }
    }

    #[test]
    fn dotted_quads_are_strict() {
        for (text, ok) in [
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("1.2.3.4", true),
            ("256.1.1.1", false),
            ("1.2.3", false),
            ("1.2.3.4.5", false),
            ("01.2.3.4", false),
            ("1..3.4", false),
            ("1.2.3.", false),
            ("1.2.3.1000", false),
            ("a.b.c.d", false),
        ] {
            assert_eq!(parse_v4(text.as_bytes()).is_some(), ok, "{text}");
            assert_eq!(
                parse_v4(text.as_bytes()),
                text.parse().ok(),
                "{text}: as std parses it"
            );
        }
    }

    #[test]
    fn several_in_order_with_duplicates() {
        assert_eq!(
            found("1.1.1.1 and 2.2.2.2, then 1.1.1.1"),
            ["1.1.1.1", "2.2.2.2", "1.1.1.1"]
        );
    }

    fn stream(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        scan_reader(bytes, u64::MAX, &mut |e| out.push(e.ip.to_string())).unwrap();
        out
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "log: 1.2.3.4 and 2001:db8::1\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let with_bom = [&[0xff, 0xfe][..], &le].concat();
        for bytes in [le.clone(), be.clone(), with_bom] {
            assert_eq!(stream(&bytes), ["1.2.3.4", "2001:db8::1"]);
        }
    }

    #[test]
    fn utf16_longer_than_a_chunk_is_found_as_utf8_is() {
        let mut text = String::new();
        for i in 0..40_000u32 {
            text.push_str(&format!("é {} ", Ipv4Addr::from(0x0b00_0000 + i * 7919)));
        }
        // Decoded chunk by chunk into the scanned buffer, the BOM dropped from the first.
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(le.len() > 3 * CHUNK);
        assert_eq!(stream(&le), stream(text.as_bytes()));
        assert_eq!(stream(&le).len(), 40_000);
    }

    #[test]
    fn binary_files_are_scanned_like_strings() {
        let mut bytes = vec![0u8, 159, 146, 150];
        bytes.extend_from_slice(b"\x011.2.3.4\x00\xff\x0585.1.2.3\x00");
        assert_eq!(stream(&bytes), ["1.2.3.4", "85.1.2.3"]);
    }

    #[test]
    fn chunk_boundaries_lose_nothing() {
        let mut text = String::new();
        let mut expected = Vec::new();
        for i in 0..60_000u32 {
            let ip = Ipv4Addr::from(0x0b00_0000 + i * 7919);
            text.push_str(&format!("x {ip} y,"));
            expected.push(ip.to_string());
        }
        assert!(text.len() > 2 * CHUNK);
        assert_eq!(stream(text.as_bytes()), expected);
    }

    #[test]
    fn look_behind_crosses_chunk_boundaries() {
        // Fuzzing found an OID cut from its "OID" at a chunk boundary.
        let mut text = "x ".repeat(CHUNK / 2 - 2);
        text.push_str("OID 2.5.29.17 and 8.8.4.4");
        assert_eq!(stream(text.as_bytes()), ["8.8.4.4"]);
        for artifact in [
            &include_bytes!("../../fuzz/regressions/extract-oid-at-chunk-cut.bin")[..],
            // A chunk without any boundary was once cut in the middle of a token.
            &include_bytes!("../../fuzz/regressions/extract-no-boundary.bin")[..],
        ] {
            let mut direct = Vec::new();
            scan(artifact, &mut |e| direct.push(e.ip.to_string()));
            assert_eq!(stream(artifact), direct);
        }
        let run = format!("{}:1.2.3.4 ", "ab".repeat(CHUNK));
        assert_eq!(
            stream(run.as_bytes()),
            ["1.2.3.4"],
            "a boundary-free run longer than a chunk"
        );
    }

    fn all(text: &[u8]) -> Vec<Extracted> {
        let mut out = Vec::new();
        scan(text, &mut |e| out.push(e));
        out
    }

    fn streamed(text: &[u8]) -> Vec<Extracted> {
        let mut got = Vec::new();
        let total = scan_reader(text, u64::MAX, &mut |e| got.push(e)).unwrap();
        assert_eq!(total, text.len() as u64);
        got
    }

    #[test]
    fn a_stream_finds_what_the_whole_text_finds() {
        let text = varied_text(3 * CHUNK + 1_000);
        let expected = all(&text);
        assert!(expected.len() > 5_000, "{}", expected.len());
        assert!(streamed(&text) == expected);
        // A chunk cut just before a number with "OID" before it, or inside either: the next
        // chunk still sees what the scan looks back at.
        for pad in CHUNK - 40..CHUNK + 10 {
            let mut text = vec![b'x'; pad];
            text.extend_from_slice(b" OID 2.5.29.17 and 8.8.4.4 ");
            assert_eq!(streamed(&text), all(&text), "pad {pad}");
        }
    }

    #[test]
    fn what_was_read_before_a_damaged_input_fails_is_scanned_up_to_the_damage() {
        /// Gives `text`, then fails (as a truncated gzip does), `per_read` bytes at a time.
        struct Damaged<'a> {
            text: &'a [u8],
            per_read: usize,
        }
        impl Read for Damaged<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.text.is_empty() {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                let n = buf.len().min(self.per_read).min(self.text.len());
                buf[..n].copy_from_slice(&self.text[..n]);
                self.text = &self.text[n..];
                Ok(n)
            }
        }
        // Each text ends where the damage cut `9.9.9.99`: what is left looks like an address,
        // and must not be reported.
        let mut long = String::from("deny 80.66.88.123\n");
        for i in 0..30_000u32 {
            long.push_str(&format!("seen {}\n", Ipv4Addr::from(0x0b00_0000 + i)));
        }
        long.push_str("seen 9.9.9.9");
        let short = "deny 80.66.88.123 and 1.2.3.4\nfiller 9.9.9.9";
        for text in [short, long.as_str()] {
            let mut expected = found(text);
            assert_eq!(expected.pop().as_deref(), Some("9.9.9.9"));
            let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            for bytes in [text.as_bytes(), &utf16] {
                for per_read in [1, 7, 4096, usize::MAX] {
                    let mut out = Vec::new();
                    let damaged = Damaged {
                        text: bytes,
                        per_read,
                    };
                    let ended = scan_reader(damaged, u64::MAX, &mut |e| out.push(e.ip.to_string()));
                    assert!(matches!(ended, Err(ScanError::Io(_))), "{ended:?}");
                    assert!(
                        out == expected,
                        "{per_read} bytes a read: {} found",
                        out.len()
                    );
                }
            }
        }
    }

    #[test]
    fn characters_a_reader_does_not_see_do_not_split_an_address() {
        let text = "a 45.1\u{ad}2.3.4 b 45.13\u{200b}3.1.25 c 45.133.1\u{2060}0.11 \
                    d 81.2.69.1\u{feff}42 e 89.160.20\u{200c}.115 f \u{200d}2.125.160.216\u{200b} \
                    g \u{2014} 175.16.199.0 \u{e9}\u{200b}";
        let expected = [
            "45.12.3.4",
            "45.133.1.25",
            "45.133.10.11",
            "81.2.69.142",
            "89.160.20.115",
            "2.125.160.216",
            "175.16.199.0",
        ];
        assert_eq!(stream(text.as_bytes()), expected);
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(stream(&utf16), expected);
        // Against removing them character by character, on every mix of them and their
        // neighbours up to four long.
        let alphabet = [
            "\u{ad}", "\u{200b}", "\u{2060}", "\u{feff}", "\u{2014}", "\u{e2}", "a", ".",
        ];
        crate::test_support::for_every_mix(&alphabet, 4, &mut |mix| {
            let t = mix.concat();
            let mut bytes = t.clone().into_bytes();
            let len = drop_invisible(&mut bytes);
            let kept: String = t
                .chars()
                .filter(|&c| !u16::try_from(u32::from(c)).is_ok_and(is_invisible))
                .collect();
            assert_eq!(&bytes[..len], kept.as_bytes(), "{t:?}");
        });
    }

    #[test]
    fn a_binarys_wide_strings_are_read_as_strings_el_reads_them() {
        // A PE-like file: code bytes, a wide string with an address, 16-bit numbers, a narrow
        // string, a wide string too short to count.
        let wide = |s: &str| -> Vec<u8> { s.bytes().flat_map(|b| [b, 0]).collect() };
        let mut binary = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
        binary.extend(wide("Server=103.145.13.151;Port=443"));
        binary.extend([0, 0, 0x31, 0, 0x2e, 0, 7, 0, 0xff, 0xfe]);
        binary.extend(b"\x00c2 81.2.69.142\x00");
        binary.extend(b"x");
        binary.extend(wide("1.2."));
        binary.extend(wide("3"));
        assert_eq!(stream(&binary), ["103.145.13.151", "81.2.69.142"]);
        // Against reading the runs out by hand, on every short mix of printable bytes, zero
        // bytes and others.
        let alphabet = [b'a', b'\t', 0u8, 0x90];
        crate::test_support::for_every_mix(&alphabet, 10, &mut |t| {
            let mut expected = Vec::new();
            let mut i = 0;
            while i < t.len() {
                let run = (0..)
                    .take_while(|k| {
                        i + 2 * k + 1 < t.len()
                            && ((0x20..0x7f).contains(&t[i + 2 * k]) || t[i + 2 * k] == b'\t')
                            && t[i + 2 * k + 1] == 0
                    })
                    .count();
                if run >= WIDE_STRING {
                    expected.push(b' ');
                    expected.extend((0..run).map(|k| t[i + 2 * k]));
                    expected.push(b' ');
                    i += 2 * run;
                } else {
                    expected.push(t[i]);
                    i += 1;
                }
            }
            let mut bytes = t.to_vec();
            let len = narrow_wide_strings(&mut bytes);
            assert_eq!(bytes[..len], expected[..], "{t:?}");
        });
    }

    #[test]
    fn wide_strings_and_invisible_characters_cut_by_a_read_are_read_whole() {
        // At every cut near the end of the first read: a wide string, and an address with a
        // zero-width space, across it; read at once and a byte at a time.
        let wide: Vec<u8> = "Server=81.2.69.142;Port=443"
            .bytes()
            .flat_map(|b| [b, 0])
            .collect();
        for pad in CHUNK - 60..CHUNK + 4 {
            let mut binary = vec![0x90; pad];
            binary.extend(&wide);
            binary.extend(b"\x90\x90");
            assert_eq!(stream(&binary), ["81.2.69.142"], "pad {pad}");
            let mut text = vec![b'x'; pad];
            text.extend(" 89.160.20\u{200b}.115 ".as_bytes());
            assert_eq!(stream(&text), ["89.160.20.115"], "pad {pad}");
        }
    }

    #[test]
    fn the_size_limit_is_an_error() {
        let err = scan_reader(&b"1.2.3.4 5.6.7.8"[..], 10, &mut |_| {}).unwrap_err();
        assert!(matches!(err, ScanError::TooLarge { limit: 10 }));
    }
}
