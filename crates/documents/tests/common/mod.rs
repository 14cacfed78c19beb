//! Test helpers: a sink that collects every part, a deliberately simple IPv4/IPv6 finder (test
//! only: the real scanner lives in the main crate), and the fixture folder.

#![allow(dead_code)]

use documents::{Limits, Outcome, PartKind, Sink, decode};
use std::io::{Cursor, Read};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// One part as handed to the sink.
#[derive(Debug, Clone)]
pub struct Part {
    pub found_in: String,
    pub kind: PartKind,
    pub bytes: Vec<u8>,
}

/// Collects every part (reading at most `cap` bytes of each).
pub struct Collect {
    pub parts: Vec<Part>,
    pub cap: u64,
}

impl Default for Collect {
    fn default() -> Self {
        Collect {
            parts: Vec::new(),
            cap: 64 << 20,
        }
    }
}

impl Sink for Collect {
    fn part(&mut self, found_in: &str, kind: PartKind, text: &mut dyn Read) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        text.take(self.cap).read_to_end(&mut bytes)?;
        std::io::copy(text, &mut std::io::sink())?;
        self.parts.push(Part {
            found_in: found_in.to_string(),
            kind,
            bytes,
        });
        Ok(())
    }
}

/// Reads and drops every part; counts bytes.
#[derive(Default)]
pub struct Drain {
    pub parts: usize,
    pub bytes: u64,
}

impl Sink for Drain {
    fn part(&mut self, _: &str, _: PartKind, text: &mut dyn Read) -> std::io::Result<()> {
        self.parts += 1;
        self.bytes += std::io::copy(text, &mut std::io::sink())?;
        Ok(())
    }
}

/// Decodes bytes with default limits into a collecting sink.
pub fn decode_bytes(name: &str, bytes: &[u8]) -> (Outcome, Vec<Part>) {
    let mut sink = Collect::default();
    let outcome = decode(name, Cursor::new(bytes), &Limits::default(), &mut sink);
    (outcome, sink.parts)
}

/// The text of a part as the main crate would scan it: decoded text as is; raw bytes as UTF-16
/// when they carry a BOM, else as (lossy) UTF-8.
pub fn part_text(p: &Part) -> String {
    let b = &p.bytes;
    if p.kind == PartKind::Raw && b.len() >= 2 && (b[..2] == [0xFF, 0xFE] || b[..2] == [0xFE, 0xFF])
    {
        let le = b[0] == 0xFF;
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(b).into_owned()
}

/// Finds IPv4 and IPv6 addresses in text, refanging `[.]`, `(.)` and `[:]` first.
pub fn find_ips(text: &str) -> Vec<String> {
    // Invisible characters inside an address (a soft hyphen, zero-width spaces) are read
    // through, as the scan of the binary reads through them.
    let t: String = text
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
            )
        })
        .collect();
    let t = t
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":");
    let mut out = Vec::new();
    let is_c = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    for run in t.split(|c: char| !is_c(c)) {
        let run = run.trim_matches(|c| c == '.' || c == ':');
        if run.is_empty() {
            continue;
        }
        if run.contains("::") || run.matches(':').count() >= 2 {
            if let Ok(v6) = run.parse::<Ipv6Addr>() {
                out.push(v6.to_string());
                continue;
            }
        }
        // Not IPv6: IPv4 pieces (an address followed by :port, or alone).
        for piece in run.split(':') {
            let piece = piece.trim_matches('.');
            let parts: Vec<&str> = piece.split('.').collect();
            if parts.len() == 4
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
            {
                if let Ok(v4) = piece.parse::<Ipv4Addr>() {
                    out.push(v4.to_string());
                }
            }
        }
    }
    out
}

/// The fixture folder: `$DOCUMENT_FIXTURES`, else the project's `fixtures/documents`.
pub fn fixtures() -> PathBuf {
    if let Ok(p) = std::env::var("DOCUMENT_FIXTURES") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents")
}

#[test]
fn finder_reads_what_a_scanner_would() {
    assert_eq!(find_ips("x 81.2.69[.]142:443 y"), vec!["81.2.69.142"]);
    assert_eq!(
        find_ips("[2001:480::1] 10:00:01 1.2.3 3.14159"),
        vec!["2001:480::1"]
    );
    assert_eq!(find_ips("host 175.16.199.0."), vec!["175.16.199.0"]);
}
