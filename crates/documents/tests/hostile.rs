//! Hostile input: every case is generated in memory and must finish quickly, without a panic,
//! with a warning that names the cap (`document_limit`) or the damage (`document_partial`).
//! Run in release for realistic timings: `cargo test --release --test hostile`.

mod common;

use common::{Drain, decode_bytes, find_ips, part_text};
use documents::samples::{
    deep_docx, nested_gzip, nested_zip, pdf, pdf_bomb, pdf_page_tree_loop, stored_zip, stream,
    stream_bomb, xz_stored_declaring, zip_bomb,
};
use documents::{Format, Limits, decode};
use std::io::{Cursor, Write};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;

/// Decodes with default limits into a draining sink; asserts it took under `secs`.
fn run(name: &str, bytes: &[u8], secs: u64) -> documents::Outcome {
    let start = Instant::now();
    let mut sink = Drain::default();
    let o = decode(name, Cursor::new(bytes), &Limits::default(), &mut sink);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(secs), "{name}: took {took:?}");
    eprintln!(
        "{name}: {took:?}, {} parts, {} bytes, warnings {:?}",
        sink.parts, sink.bytes, o.warnings
    );
    o
}

fn has(o: &documents::Outcome, code: &str, needle: &str) -> bool {
    o.warnings
        .iter()
        .any(|w| w.code == code && w.message.contains(needle))
}

#[test]
fn a_zip_bomb_stops_at_the_decoded_bytes_cap() {
    let bomb = zip_bomb(3);
    assert!(bomb.len() < 4 << 20);
    let o = run("bomb.zip", &bomb, 60);
    assert!(
        has(&o, "document_limit", "max_decoded_bytes"),
        "{:?}",
        o.warnings
    );
}

#[test]
fn xz_bzip2_and_zstd_bombs_stop_at_the_decoded_bytes_cap() {
    for (name, format) in [
        ("bomb.xz", Format::Xz),
        ("bomb.bz2", Format::Bzip2),
        ("bomb.zst", Format::Zstd),
    ] {
        // 1,100 MiB of zeros, past the 1 GiB budget.
        let bomb = stream_bomb(format, 1_100);
        assert!(bomb.len() < 1 << 20, "{name}: {} bytes", bomb.len());
        let o = run(name, &bomb, 60);
        assert!(
            has(&o, "document_limit", "max_decoded_bytes"),
            "{name}: {:?}",
            o.warnings
        );
    }
}

#[test]
fn an_xz_dictionary_or_zstd_window_past_the_buffer_cap_is_refused_not_allocated() {
    // A block declaring a 2 GiB dictionary: it would be allocated before the block's first byte.
    let xz = xz_stored_declaring(38, b"after the header 81.2.69.142");
    // A frame declaring a 2 GiB window (descriptor 0xA8), then one raw block, the last.
    let text = b"after the header 81.2.69.142";
    let mut zst = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8];
    zst.extend_from_slice(&((text.len() as u32) << 3 | 1).to_le_bytes()[..3]);
    zst.extend_from_slice(text);
    for (name, bytes, says) in [
        ("huge-dict.xz", xz, "xz dictionary of 2147483648 bytes"),
        ("huge-window.zst", zst, "zstd window of 2147483648 bytes"),
    ] {
        let o = run(name, &bytes, 5);
        assert!(
            has(&o, "document_limit", says) && has(&o, "document_limit", "max_buffer_bytes"),
            "{name}: {:?}",
            o.warnings
        );
    }
    // Up to the cap (`xz -9` declares 64 MiB, as much as `max_buffer_bytes`), the file is read.
    let (o, parts) = decode_bytes("dict.xz", &xz_stored_declaring(28, text));
    assert_eq!(o.warnings, []);
    let found: Vec<String> = parts.iter().flat_map(|p| find_ips(&part_text(p))).collect();
    assert_eq!(found, ["81.2.69.142"]);
    // Nested, each stream may hold half the window of the one around it: a 64 MiB dictionary
    // inside one of 64 MiB is refused (eight levels could otherwise hold 512 MiB); 32 MiB
    // inside it is read.
    let inner = xz_stored_declaring(28, text);
    let o = run("nest.xz", &xz_stored_declaring(28, &inner), 5);
    assert!(
        has(&o, "document_limit", "xz dictionary of 67108864 bytes"),
        "{:?}",
        o.warnings
    );
    let (o, parts) = decode_bytes(
        "nest.xz",
        &xz_stored_declaring(28, &xz_stored_declaring(26, text)),
    );
    assert_eq!(o.warnings, []);
    let found: Vec<String> = parts.iter().flat_map(|p| find_ips(&part_text(p))).collect();
    assert_eq!(found, ["81.2.69.142"]);
}

#[test]
fn a_zip_nested_thirty_deep_stops_at_max_depth() {
    let o = run("nest.zip", &nested_zip(30), 60);
    assert!(has(&o, "document_limit", "max_depth"), "{:?}", o.warnings);
}

#[test]
fn gzip_nested_forty_deep_stops_at_max_depth() {
    let o = run("nest.gz", &nested_gzip(40), 60);
    assert!(has(&o, "document_limit", "max_depth"), "{:?}", o.warnings);
}

#[test]
fn a_pdf_stream_inflating_to_a_gibibyte_is_cut_at_the_stream_cap() {
    let file = pdf_bomb();
    let start = Instant::now();
    let (o, parts) = decode_bytes("bomb.pdf", &file);
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(
        has(&o, "document_limit", "max_pdf_stream_bytes"),
        "{:?}",
        o.warnings
    );
    let text: String = parts.iter().map(part_text).collect();
    assert_eq!(find_ips(&text), vec!["89.160.20.115"]);
}

#[test]
fn a_pdf_page_tree_that_contains_itself_is_read_once() {
    let file = pdf_page_tree_loop();
    let start = Instant::now();
    let (o, parts) = decode_bytes("loop.pdf", &file);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(has(&o, "document_partial", "page tree"), "{:?}", o.warnings);
    assert_eq!(
        parts
            .iter()
            .filter(|p| p.found_in.starts_with("loop.pdf p. "))
            .count(),
        1
    );
    assert_eq!(find_ips(&part_text(&parts[0])), vec!["216.160.83.60"]);
}

#[test]
fn deeply_nested_pdf_arrays_are_refused_without_recursion() {
    let mut deep = b"<< /Type /Catalog /Pages 2 0 R /X ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 1_000_000));
    let objs = vec![
        deep,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Contents 4 0 R >>".to_vec(),
        stream("", b"BT 72 700 Td (x 67.43.156.9) Tj ET"),
    ];
    let o = run("deep.pdf", &pdf(&objs), 30);
    assert!(!o.warnings.is_empty() || o.error.is_none());
}

#[test]
fn docx_xml_nested_a_hundred_thousand_deep_stops_at_max_xml_depth() {
    let docx = deep_docx(100_000);
    let start = Instant::now();
    let (o, parts) = decode_bytes("deep.docx", &docx);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(format!("{:?}", o.format), "Docx");
    assert!(
        has(&o, "document_limit", "max_xml_depth"),
        "{:?}",
        o.warnings
    );
    let text: String = parts.iter().map(part_text).collect();
    assert_eq!(
        find_ips(&text),
        vec!["81.2.69.142"],
        "text before the cap is kept"
    );
}

#[test]
fn truncated_files_keep_what_can_be_read() {
    let dir = common::fixtures();
    for (file, expect) in [
        ("report.pdf", "81.2.69.142"),
        ("logs.zip", "81.2.69.142"),
        ("access.log.gz", "216.160.83.60"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let cut = &bytes[..bytes.len() * 3 / 4];
        let (o, parts) = decode_bytes(file, cut);
        let text: String = parts.iter().map(part_text).collect::<Vec<_>>().join("\n");
        assert!(
            find_ips(&text).contains(&expect.to_string()),
            "{file}: {:?} / {:?}",
            o.warnings,
            text
        );
        assert!(
            o.warnings.iter().any(|w| w.code == "document_partial"),
            "{file}: {:?}",
            o.warnings
        );
    }
}

#[test]
fn mail_with_deeply_nested_multiparts_and_messages_finishes() {
    let mut m = String::from(
        "From: a@b\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n",
    );
    for i in 1..20_000 {
        m.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n",
            i - 1
        ));
    }
    m.push_str("--b19999\r\nContent-Type: text/plain\r\n\r\ninner 81.2.69.142\r\n");
    run("deep-multipart.eml", m.as_bytes(), 30);
    let mut r = String::new();
    for _ in 0..20_000 {
        r.push_str("From: a@b\r\nContent-Type: message/rfc822\r\n\r\n");
    }
    r.push_str("From: a@b\r\n\r\ninner 81.2.69.142\r\n");
    run("deep-rfc822.eml", r.as_bytes(), 30);
}

#[test]
fn html_nested_a_million_deep_is_linear() {
    let mut h = String::from("<!doctype html><html><body>");
    for _ in 0..1_000_000 {
        h.push_str("<div><span>");
    }
    h.push_str("81.2.69.142");
    for _ in 0..10_000 {
        h.push_str("<title>");
    }
    let (o, parts) = decode_bytes("deep.html", h.as_bytes());
    assert_eq!(format!("{:?}", o.format), "Html");
    let text: String = parts.iter().map(part_text).collect();
    assert_eq!(find_ips(&text), vec!["81.2.69.142"]);
}

#[test]
fn a_42_zip_style_nest_of_bombs_stops_at_the_decoded_bytes_cap() {
    let inner = zip_bomb(4);
    let mut outer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..4 {
        outer
            .start_file(
                format!("lib{i}.zip"),
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
            )
            .unwrap();
        outer.write_all(&inner).unwrap();
    }
    let outer = outer.finish().unwrap().into_inner();
    let o = run("42.zip", &outer, 60);
    assert!(
        has(&o, "document_limit", "max_decoded_bytes"),
        "{:?}",
        o.warnings
    );
}

/// A DOCX whose body says `text`, embedding `files` (`word/embeddings/<name>`).
fn docx_embedding(text: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let document = format!(
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    let names: Vec<String> = files
        .iter()
        .map(|(name, _)| format!("word/embeddings/{name}"))
        .collect();
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document.as_bytes()),
    ];
    parts.extend(
        names
            .iter()
            .zip(files)
            .map(|(n, (_, data))| (n.as_str(), *data)),
    );
    stored_zip(&parts)
}

#[test]
fn documents_embedded_thirty_deep_stop_at_max_depth() {
    let mut file = docx_embedding("level 29 81.2.69.29", &[]);
    for level in (0..29).rev() {
        file = docx_embedding(
            &format!("level {level} 81.2.69.{level}"),
            &[("inner.docx", &file)],
        );
    }
    let (o, parts) = decode_bytes("nest.docx", &file);
    assert!(has(&o, "document_limit", "max_depth"), "{:?}", o.warnings);
    let found: Vec<String> = parts.iter().flat_map(|p| find_ips(&part_text(p))).collect();
    let levels: Vec<String> = (0..=8).map(|l| format!("81.2.69.{l}")).collect();
    assert_eq!(
        found, levels,
        "the document at depth 8 is read, not what it embeds"
    );
}

#[test]
fn a_zip_bomb_embedded_in_a_document_stops_at_the_decoded_bytes_cap() {
    let file = docx_embedding(
        "body 81.2.69.142",
        &[
            ("bomb.zip", &zip_bomb(2)),
            ("later.txt", b"later 89.160.20.115"),
        ],
    );
    let start = Instant::now();
    let (o, parts) = decode_bytes("bomb.docx", &file);
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(
        has(&o, "document_limit", "max_decoded_bytes"),
        "{:?}",
        o.warnings
    );
    assert_eq!(find_ips(&part_text(&parts[0])), vec!["81.2.69.142"]);
}
