//! Behaviour that the fixtures do not show: Outlook `.msg` (built here with the `cfb` crate, as
//! no tool on this machine writes one), labels from hostile names, encrypted ZIP entries,
//! entry caps, sink failures, and a mutation loop over every fixture that must never panic.

mod common;

use common::{Collect, decode_bytes, find_ips, fixtures, part_text};
use documents::samples::{bzip2_of, stored_zip, tar_of, xz_stored, zstd_of};
use documents::{Limits, PartKind, Sink, decode, fuzz_one};
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn msg_file() -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    let put = |cf: &mut cfb::CompoundFile<Cursor<Vec<u8>>>, path: &str, data: &[u8]| {
        cf.create_stream(path).unwrap().write_all(data).unwrap();
    };
    put(&mut cf, "/__properties_version1.0", &[0u8; 32]);
    put(
        &mut cf,
        "/__substg1.0_0037001F",
        &utf16("Blocked login from 89.160.20.115"),
    );
    put(
        &mut cf,
        "/__substg1.0_007D001F",
        &utf16("Received: from relay ([37.221.113.45])\r\n\tby mx; Fri, 17 May 2024\r\n"),
    );
    put(
        &mut cf,
        "/__substg1.0_1000001F",
        &utf16("Body text: the source was 81.2.69.142."),
    );
    put(
        &mut cf,
        "/__substg1.0_10130102",
        b"<p>html body 216.160.<b>83</b>.60</p>",
    );
    cf.create_storage("/__recip_version1.0_#00000000").unwrap();
    put(
        &mut cf,
        "/__recip_version1.0_#00000000/__substg1.0_39FE001F",
        &utf16("soc@example.org"),
    );
    cf.create_storage("/__attach_version1.0_#00000000").unwrap();
    put(
        &mut cf,
        "/__attach_version1.0_#00000000/__substg1.0_3707001F",
        &utf16("iocs.csv"),
    );
    put(
        &mut cf,
        "/__attach_version1.0_#00000000/__substg1.0_37010102",
        b"ip\n2a02:ff80::1\n",
    );
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn outlook_msg_headers_bodies_and_attachments() {
    let (o, parts) = decode_bytes("alert.msg", &msg_file());
    assert_eq!(format!("{:?}", o.format), "Msg", "{:?}", o.warnings);
    let mut first = std::collections::BTreeMap::new();
    for p in &parts {
        for ip in find_ips(&part_text(p)) {
            first.entry(ip).or_insert(p.found_in.clone());
        }
    }
    let expect: Vec<(&str, &str)> = vec![
        ("216.160.83.60", "alert.msg body text/html"),
        ("2a02:ff80::1", "alert.msg attachment 1 iocs.csv"),
        ("37.221.113.45", "alert.msg headers"),
        ("81.2.69.142", "alert.msg body"),
        ("89.160.20.115", "alert.msg headers"),
    ];
    let got: Vec<(&str, &str)> = first
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, expect);
    assert!(
        parts
            .iter()
            .any(|p| p.found_in == "alert.msg attachment 1 iocs.csv" && p.kind == PartKind::Raw)
    );
}

#[test]
fn labels_from_hostile_names_are_clean_and_short() {
    let long = format!("evil\u{1b}[31m\r\n{}.txt", "x".repeat(500));
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file(long.as_str(), SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"1.2.3.4").unwrap();
    let zip = z.finish().unwrap().into_inner();
    let (_, parts) = decode_bytes("a\u{0}b.zip", &zip);
    let label = &parts[0].found_in;
    assert!(label.len() <= 203, "{} bytes", label.len());
    assert!(!label.chars().any(char::is_control), "{label:?}");
    assert!(label.starts_with("ab.zip/evil[31m"), "{label:?}");
    assert!(label.ends_with("xxx.txt"), "{label:?}");
}

#[test]
fn an_encrypted_zip_entry_is_reported_and_the_rest_kept() {
    // The zip crate writes no encrypted entries: mark the first entry encrypted (general
    // purpose flag bit 0, in its local and central headers), as ZipCrypto would.
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("secret.txt", stored).unwrap();
    z.write_all(b"hidden 81.2.69.142").unwrap();
    z.start_file("open.txt", stored).unwrap();
    z.write_all(b"open 89.160.20.115").unwrap();
    let mut zip = z.finish().unwrap().into_inner();
    zip[6] |= 1;
    let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[central + 8] |= 1;
    let (o, parts) = decode_bytes("mixed.zip", &zip);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.code == "document_encrypted" && w.message.contains("secret.txt")),
        "{:?}",
        o.warnings
    );
    let text: String = parts.iter().map(part_text).collect();
    assert_eq!(find_ips(&text), vec!["89.160.20.115"]);
}

#[test]
fn max_entries_caps_archive_members() {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..50 {
        z.start_file(format!("f{i}.txt"), SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"x").unwrap();
    }
    let zip = z.finish().unwrap().into_inner();
    let mut sink = Collect::default();
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let o = decode("many.zip", Cursor::new(zip), &limits, &mut sink);
    assert_eq!(sink.parts.len(), 10);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.code == "document_limit" && w.message.contains("max_entries"))
    );
}

#[test]
fn a_failing_sink_stops_decoding_and_its_error_is_returned() {
    struct Fail(usize);
    impl Sink for Fail {
        fn part(&mut self, _: &str, _: PartKind, _: &mut dyn Read) -> std::io::Result<()> {
            self.0 += 1;
            Err(std::io::Error::other("disk full"))
        }
    }
    let bytes = std::fs::read(fixtures().join("logs.zip")).unwrap();
    let mut sink = Fail(0);
    let o = decode(
        "logs.zip",
        Cursor::new(bytes),
        &Limits::default(),
        &mut sink,
    );
    assert_eq!(sink.0, 1);
    assert_eq!(o.error.map(|e| e.to_string()).as_deref(), Some("disk full"));
}

#[test]
fn quoted_printable_soft_breaks_never_yield_a_wrong_address() {
    let mail = b"From: a@b\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsource 37.221.113.4=\r\n5 and 81.2.69=\r\n.142\r\n";
    let (_, parts) = decode_bytes("qp.eml", mail);
    let ips: Vec<String> = parts.iter().flat_map(|p| find_ips(&part_text(p))).collect();
    assert_eq!(ips, vec!["37.221.113.45", "81.2.69.142"]);
}

#[test]
fn svg_text_spans_on_one_line_join_and_new_lines_do_not() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><text x="10" y="40"><tspan>5.18</tspan><tspan fill="red" dx="1">8.206.109</tspan></text>
        <text x="10" y="60"><tspan x="10" dy="1.2em">seen 81.2.69.142</tspan><tspan x="10" dy="1.2em">5 hosts</tspan></text>
        <g><text><tspan class="c" data-seen="89.160.20.115">216.160.</tspan>83.60</text></g></svg>"#;
    let (_, parts) = decode_bytes("d.svg", svg);
    let text: String = parts.iter().map(part_text).collect();
    assert_eq!(
        find_ips(&text),
        [
            "5.188.206.109",
            "81.2.69.142",
            "216.160.83.60",
            "89.160.20.115"
        ],
        "{text:?}"
    );
}

/// Where each address in `parts` is first found, in order.
fn found_in(parts: &[common::Part]) -> Vec<(String, String)> {
    parts
        .iter()
        .flat_map(|p| {
            find_ips(&part_text(p))
                .into_iter()
                .map(|ip| (ip, p.found_in.clone()))
        })
        .collect()
}

#[test]
fn rfc2047_encoded_words_are_decoded_in_every_header() {
    // "Alert for 23.94.190.74" (B) and "seen 81.2.69.142" (Q), in headers mail-parser reads
    // as raw text: Outlook's Thread-Topic, an X- header, a Received comment.
    let b = "=?utf-8?B?QWxlcnQgZm9yIDIzLjk0LjE5MC43NA==?=";
    let q = "=?iso-8859-1?Q?seen_81=2E2=2E69=2E142?=";
    let mail = format!(
        "From: a@example.net\r\nSubject: hello\r\nThread-Topic: {b}\r\nX-Alert:\r\n {q}\r\n\
         Received: from relay ({q}) by mx\r\nMIME-Version: 1.0\r\n\r\nbody\r\n"
    );
    let (_, parts) = decode_bytes("topic.eml", mail.as_bytes());
    let headers: String = parts.iter().map(part_text).collect();
    assert!(
        headers.contains("Thread-Topic: Alert for 23.94.190.74"),
        "{headers}"
    );
    assert!(headers.contains("X-Alert: seen 81.2.69.142"), "{headers}");
    let received = headers.lines().filter(|l| l.starts_with("Received:"));
    let ips: Vec<String> = received.flat_map(find_ips).collect();
    assert_eq!(ips, ["81.2.69.142"], "{headers}");

    // A message forwarded as an attachment, and each message of a mailbox.
    let inner = format!("From: b@example.net\r\nX-Alert: {b}\r\n\r\ninner\r\n");
    let outer = format!(
        "From: a@example.net\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
         --b\r\nContent-Type: message/rfc822\r\n\r\n{inner}--b--\r\n"
    );
    let (_, parts) = decode_bytes("fwd.eml", outer.as_bytes());
    assert_eq!(
        found_in(&parts),
        [(
            "23.94.190.74".into(),
            "fwd.eml part 2 message headers".into()
        )]
    );
    let mbox = format!(
        "From a Mon Jan  1 00:00:00 2024\nFrom: a@b\nSubject: one\n\nfirst\n\n\
         From b Tue Jan  2 00:00:00 2024\nFrom: b@c\nThread-Topic: {b}\n\nsecond\n"
    );
    let (_, parts) = decode_bytes("box.mbox", mbox.as_bytes());
    assert_eq!(
        found_in(&parts),
        [("23.94.190.74".into(), "box.mbox message 2 headers".into())]
    );
}

#[test]
fn xz_bzip2_and_zstd_are_read_as_gzip_is_and_a_tar_inside_is_opened() {
    let log: &[u8] = b"May 17 sshd[812]: Failed password for root from 77.91.124.109\n";
    let tar = tar_of(&[("var/log/secure", log)]);
    let secure = |name: &str| {
        vec![(
            "77.91.124.109".to_string(),
            format!("{name}/var/log/secure"),
        )]
    };
    for (name, format, bytes) in [
        ("sosreport.tar.xz", "Xz", xz_stored(&tar)),
        ("logs.tar.bz2", "Bzip2", bzip2_of(&tar)),
        ("logs.tar.zst", "Zstd", zstd_of(&tar)),
    ] {
        let (o, parts) = decode_bytes(name, &bytes);
        assert_eq!(format!("{:?}", o.format), format, "{name}");
        assert_eq!(o.warnings, [], "{name}");
        assert_eq!(found_in(&parts), secure(name), "{name}");
    }

    // Concatenated streams (`cat a.xz b.xz`, pbzip2, zstd's frames and skippable frames) are
    // read to the end, each under the file's label; so is a lone compressed log.
    let (a, b): (&[u8], &[u8]) = (b"first 81.2.69.142\n", b"second 89.160.20.115\n");
    let skippable = [&[0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0][..], b"abc"].concat();
    for (name, bytes) in [
        (
            "auth.log.xz",
            [xz_stored(a), vec![0; 8], xz_stored(b)].concat(),
        ),
        ("auth.log.bz2", [bzip2_of(a), bzip2_of(b)].concat()),
        ("auth.log.zst", [zstd_of(a), skippable, zstd_of(b)].concat()),
    ] {
        let (o, parts) = decode_bytes(name, &bytes);
        assert_eq!(o.warnings, [], "{name}");
        assert_eq!(
            found_in(&parts),
            [
                ("81.2.69.142".to_string(), name.to_string()),
                ("89.160.20.115".to_string(), name.to_string())
            ],
            "{name}"
        );
    }
}

#[test]
fn a_compressed_stream_cut_short_or_corrupt_says_so() {
    let text = "line 81.2.69.142\n".repeat(2_000);
    for (name, bytes) in [
        ("cut.xz", xz_stored(text.as_bytes())),
        ("cut.bz2", bzip2_of(text.as_bytes())),
        ("cut.zst", zstd_of(text.as_bytes())),
    ] {
        let (o, _) = decode_bytes(name, &bytes[..bytes.len() / 2]);
        assert!(
            o.warnings.iter().any(|w| w.code == "document_partial"),
            "{name}: {:?}",
            o.warnings
        );
        let mut corrupt = bytes.clone();
        let at = corrupt.len() / 2;
        corrupt[at..at + 16].fill(0xA5);
        let (o, _) = decode_bytes(name, &corrupt);
        assert!(
            o.warnings.iter().any(|w| w.code == "document_partial"),
            "{name}: {:?}",
            o.warnings
        );
    }
}

#[test]
fn a_zip_member_compressed_with_bzip2_is_read_and_one_with_lzma_is_named_in_a_warning() {
    let bz = {
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Bzip2);
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        z.start_file("fw/deny.log", options).unwrap();
        z.write_all(b"deny 77.91.124.109").unwrap();
        z.finish().unwrap().into_inner()
    };
    let (o, parts) = decode_bytes("logs.zip", &bz);
    assert_eq!(o.warnings, []);
    assert_eq!(
        found_in(&parts),
        [("77.91.124.109".into(), "logs.zip/fw/deny.log".into())]
    );

    // The same entry stored, its method then set to LZMA (14) in both headers.
    let mut lzma = stored_zip(&[("fw/deny.log", b"deny 77.91.124.109")]);
    let local = 0;
    let central = lzma.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    lzma[local + 8] = 14;
    lzma[central + 10] = 14;
    let (o, _) = decode_bytes("logs.zip", &lzma);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.code == "document_unsupported" && w.message.contains("LZMA")),
        "{:?}",
        o.warnings
    );
}

/// A small xorshift generator: deterministic mutations without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let dir = fixtures();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let rounds: usize = std::env::var("DOCUMENTS_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut files: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? != "py" && p.extension()? != "json")
                .then(|| std::fs::read(p).ok())
                .flatten()
        })
        .collect();
    files.push(msg_file());
    let hook = std::panic::take_hook();
    for f in &files {
        for _ in 0..rounds {
            let mut m = f.clone();
            match rng.below(4) {
                0 => {
                    for _ in 0..1 + rng.below(16) {
                        let i = rng.below(m.len());
                        m[i] = rng.next() as u8;
                    }
                }
                1 => m.truncate(rng.below(m.len())),
                2 => {
                    let i = rng.below(m.len());
                    let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                    m.splice(i..i, junk);
                }
                _ => {
                    let (a, b) = (rng.below(m.len()), rng.below(m.len()));
                    let (a, b) = (a.min(b), a.max(b));
                    let chunk = m[a..b].to_vec();
                    let i = rng.below(m.len());
                    m.splice(i..i, chunk);
                }
            }
            // A panic in a dependency is caught inside decode() and turned into a warning; this
            // hook makes any such panic fail the test loudly instead.
            std::panic::set_hook(Box::new(|info| {
                eprintln!("PANIC inside decode: {info}");
                std::process::abort();
            }));
            fuzz_one(&m);
            let _ = std::panic::take_hook();
        }
    }
    std::panic::set_hook(hook);
}
