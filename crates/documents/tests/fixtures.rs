//! Specification by example: every fixture in `fixtures/documents` decodes to exactly the
//! addresses its `truth.json` entry lists (precision and recall 1.0), each first found under
//! the expected label, recognised as the expected format with the expected warnings (a
//! table's versions, listed apart, written after their column's name); and PDF text holds
//! everything `pdftotext` finds.

mod common;

use common::{decode_bytes, find_ips, fixtures, part_text};
use documents::PartKind;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn every_fixture_yields_exactly_the_addresses_a_reader_sees() {
    let dir = fixtures();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).expect("truth.json"))
            .unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, spec) in truth.as_object().unwrap() {
        if file.starts_with('_') {
            continue;
        }
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (outcome, parts) = decode_bytes(file, &bytes);
        checked += 1;
        let mut first: BTreeMap<String, String> = BTreeMap::new();
        for p in &parts {
            for ip in find_ips(&part_text(p)) {
                first.entry(ip).or_insert_with(|| p.found_in.clone());
            }
        }
        // Versions written as a table's column names them (`FileVersion: 8.0.6.0`): in the
        // text, for the address scan to tell from addresses.
        if let Some(versions) = spec.get("versions").and_then(|v| v.as_object()) {
            let text: String = parts.iter().map(part_text).collect();
            for (version, written) in versions {
                first.remove(version);
                if !text.contains(written.as_str().unwrap()) {
                    failures.push(format!("{file}: {written} is not in the text"));
                }
            }
        }
        let expected: BTreeMap<String, String> = spec["ips"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        if first != expected {
            let got: BTreeSet<_> = first.keys().collect();
            let want: BTreeSet<_> = expected.keys().collect();
            failures.push(format!(
                "{file}: missing {:?}, unexpected {:?}, labels {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>(),
                first
                    .iter()
                    .filter(|(k, v)| expected.get(*k).is_some_and(|e| e != *v))
                    .collect::<Vec<_>>()
            ));
        }
        let format = format!("{:?}", outcome.format);
        if format != spec["format"].as_str().unwrap() {
            failures.push(format!(
                "{file}: format {format}, expected {}",
                spec["format"]
            ));
        }
        let codes: Vec<&str> = outcome.warnings.iter().map(|w| w.code).collect();
        let want_codes: Vec<&str> = spec["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        if codes != want_codes {
            failures.push(format!(
                "{file}: warnings {:?}, expected codes {want_codes:?}",
                outcome.warnings
            ));
        }
    }
    assert!(checked >= 20, "only {checked} fixtures checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn files_that_are_not_documents_come_through_whole_as_raw() {
    let dir = fixtures();
    for file in ["plain.log", "notes-utf16.txt"] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (outcome, parts) = decode_bytes(file, &bytes);
        assert_eq!(format!("{:?}", outcome.format), "Other");
        assert_eq!(parts.len(), 1, "{file}");
        assert_eq!(parts[0].kind, PartKind::Raw);
        assert_eq!(parts[0].found_in, file);
        assert_eq!(parts[0].bytes, bytes, "{file}: raw bytes unchanged");
    }
}

#[test]
fn pdf_text_holds_every_address_pdftotext_finds() {
    let probe = std::process::Command::new("pdftotext").arg("-v").output();
    if probe.is_err() {
        // Never a silent pass: without pdftotext this test fails, unless the run says it
        // knowingly skips the comparison (DOCUMENTS_SKIP_PDFTOTEXT=1).
        assert!(
            std::env::var_os("DOCUMENTS_SKIP_PDFTOTEXT").is_some(),
            "pdftotext is not installed (apt-get install poppler-utils), or set DOCUMENTS_SKIP_PDFTOTEXT=1 to skip"
        );
        eprintln!("SKIPPED pdf_text_holds_every_address_pdftotext_finds: pdftotext not installed");
        return;
    }
    let dir = fixtures();
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pdf")
            || path.file_name().unwrap() == "locked.pdf"
        {
            continue;
        }
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success(), "pdftotext failed on {path:?}");
        let theirs: BTreeSet<String> = find_ips(&String::from_utf8_lossy(&out.stdout))
            .into_iter()
            .collect();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (_, parts) = decode_bytes(&name, &std::fs::read(&path).unwrap());
        let pages: String = parts
            .iter()
            .filter(|p| p.found_in.contains(" p. "))
            .map(part_text)
            .collect::<Vec<_>>()
            .join("\n");
        let ours: BTreeSet<String> = find_ips(&pages).into_iter().collect();
        let missing: Vec<_> = theirs.difference(&ours).collect();
        assert!(
            missing.is_empty(),
            "{name}: pdftotext finds {missing:?} that we do not"
        );
        // Word-level check: every whitespace-separated word of pdftotext's output that holds a
        // digit appears in ours too (same joins, same splits).
        for w in String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        {
            assert!(
                pages.contains(w),
                "{name}: pdftotext word {w:?} not in our text"
            );
        }
        compared += 1;
    }
    assert!(compared >= 6, "only {compared} PDFs compared");
}

#[test]
fn a_document_in_memory_decodes_as_the_same_document_read() {
    use documents::{Limits, decode, decode_in_memory, samples};
    let dir = fixtures();
    let mut documents: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    // And the hostile ones, whose limits and warnings must hold either way.
    documents.push(("bomb.pdf".into(), samples::pdf_bomb()));
    documents.push(("loop.pdf".into(), samples::pdf_page_tree_loop()));
    documents.push(("deep.docx".into(), samples::deep_docx(100_000)));
    documents.push(("nested.zip".into(), samples::nested_zip(30)));
    let report = std::fs::read(dir.join("report.pdf")).unwrap();
    documents.push(("cut.pdf".into(), report[..report.len() / 2].to_vec()));
    assert!(documents.len() > 20, "{}", documents.len());
    // Small caps too: the in-memory path hands a document over its caps to `decode`.
    let small = Limits {
        max_buffer_bytes: 4096,
        max_decoded_bytes: 64 << 10,
        ..Limits::default()
    };
    // And a budget of each document's size, and just over it: what it decodes to is cut.
    let budget = |bytes: &[u8], over: u64| Limits {
        max_decoded_bytes: bytes.len() as u64 + over,
        ..Limits::default()
    };
    let mut from_memory = 0;
    for (setting, limits) in [Some(Limits::default()), Some(small), None, None]
        .into_iter()
        .enumerate()
    {
        for (name, bytes) in &documents {
            let over = if setting == 2 { 0 } else { 200 };
            let limits = limits.clone().unwrap_or_else(|| budget(bytes, over));
            // (What `decode_in_memory` decodes from the bytes themselves.)
            let format = documents::recognise(&bytes[..bytes.len().min(documents::HEAD_BYTES)]);
            let size = bytes.len() as u64;
            if format.is_read_whole()
                && size <= limits.max_decoded_bytes
                && size <= limits.max_buffer_bytes
            {
                from_memory += 1;
            }
            let mut read = common::Collect::default();
            let by_reading = decode(name, std::io::Cursor::new(bytes), &limits, &mut read);
            let mut held = common::Collect::default();
            let in_memory = decode_in_memory(name, bytes, &limits, &mut held);
            assert_eq!(in_memory.format, by_reading.format, "{name}");
            assert_eq!(
                format!("{:?}", in_memory.warnings),
                format!("{:?}", by_reading.warnings),
                "{name}"
            );
            let parts = |c: &common::Collect| -> Vec<(String, String, Vec<u8>)> {
                c.parts
                    .iter()
                    .map(|p| (p.found_in.clone(), format!("{:?}", p.kind), p.bytes.clone()))
                    .collect()
            };
            assert!(parts(&held) == parts(&read), "{name}: the parts differ");
        }
    }
    // PDF, e-mail, HTML and the cut PDF, under three of the four settings.
    assert!(from_memory >= 3 * 10, "{from_memory} decoded from memory");
}
