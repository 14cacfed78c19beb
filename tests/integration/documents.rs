//! Lookup All Related IPs on the attachments analysts upload — PDF, Office, e-mail, HTML,
//! archives — through the binary: every address a reader sees is found, each with the part it
//! was first found in, and hostile documents end in one JSON response, in time, in bounded
//! memory, with a warning.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::harness::{Run, cli, fixtures, plugin, root};

fn documents() -> std::path::PathBuf {
    root().join("fixtures/documents")
}

/// A bulk on the attachment file `name` of `fixtures/documents`.
fn bulk_on_document(name: &str) -> Run {
    plugin(&json!({
        "action": "lookup_all_related_ips",
        "config": {"db_dir": fixtures(), "mmdb_filename": "GeoIP2-City-Fixture.mmdb",
                   "attachment_dir": documents(), "max_database_age_days": 0},
        "object": {"type": "attachment", "name": name, "path": name},
        "params": {"apply_results_to_description": true}
    }))
}

#[test]
fn every_address_a_reader_sees_in_a_document_is_found_where_it_is() {
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(documents().join("truth.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for (file, expected) in truth.as_object().unwrap() {
        if file.starts_with('_') {
            continue;
        }
        let run = bulk_on_document(file);
        assert_ne!(run.json["status"], "error", "{file}: {}", run.json);
        let found: BTreeMap<String, String> = run.json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let found_in = r["found_in"].as_str().unwrap_or_default().to_owned();
                (r["ip"].as_str().unwrap().to_owned(), found_in)
            })
            .collect();
        let expected: BTreeMap<String, String> = expected["ips"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(ip, at)| (ip.clone(), at.as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(found, expected, "{file}");
        // The description shows where each located address was found, in a document.
        let description = run.json["description"].as_str().unwrap_or_default();
        let in_parts = found.values().any(|at| at != file);
        if run.json["summary"]["located"].as_u64() > Some(0) {
            assert_eq!(
                description.contains("<th>Found in</th>"),
                in_parts,
                "{file}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked} documents");
}

#[test]
fn a_wrapped_quoted_printable_address_is_never_read_wrong() {
    let run = bulk_on_document("phish.eml");
    let ips: Vec<&str> = run.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap())
        .collect();
    assert!(ips.contains(&"37.221.113.45"), "{ips:?}");
    assert!(!ips.contains(&"37.221.113.4"), "{ips:?}");
}

#[test]
fn extract_reads_documents_and_says_where_each_address_is() {
    let pdf = documents().join("report.pdf");
    let out = cli(
        &["extract", pdf.to_str().unwrap(), "--with-source"],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(first, "81.2.69.142\treport.pdf p. 1\t2:29\t81.2.69[.]142");
    let zip = documents().join("logs.zip");
    let plain = cli(&["extract", zip.to_str().unwrap()], b"", &[]);
    assert!(
        plain.stdout.lines().any(|l| l == "89.160.20.115"),
        "{}",
        plain.stdout
    );
}

/// Runs a bulk on `bytes` (as the attachment `name`) under GNU time: the response, the peak
/// resident memory of the process and its children (KiB) and the time it took.
fn bulk_measured(name: &str, bytes: &[u8]) -> (Value, u64, Duration) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let request = json!({
        "action": "lookup_all_related_ips",
        "config": {"db_dir": fixtures(), "mmdb_filename": "GeoIP2-City-Fixture.mmdb",
                   "attachment_dir": dir.path(), "max_database_age_days": 0},
        "object": {"type": "attachment", "name": name, "path": name}
    });
    let rss = dir.path().join("rss");
    let started = Instant::now();
    let mut child = crate::harness::under_time(&rss)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, crate::harness::peak_rss_kib(&rss), took)
}

#[test]
fn hostile_documents_end_in_one_response_in_time_and_in_bounded_memory() {
    use documents::samples::*;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.zip", zip_bomb(1), "max_decoded_bytes"),
        ("nest.zip", nested_zip(30), "max_depth"),
        ("nest.gz", nested_gzip(40), "max_depth"),
        (
            "bomb.xz",
            stream_bomb(documents::Format::Xz, 1_100),
            "max_decoded_bytes",
        ),
        (
            "bomb.bz2",
            stream_bomb(documents::Format::Bzip2, 1_100),
            "max_decoded_bytes",
        ),
        (
            "bomb.zst",
            stream_bomb(documents::Format::Zstd, 1_100),
            "max_decoded_bytes",
        ),
        ("bomb.pdf", pdf_bomb(), "max_pdf_stream_bytes"),
        ("loop.pdf", pdf_page_tree_loop(), "page tree"),
        ("deep.docx", deep_docx(100_000), "max_xml_depth"),
    ];
    for (name, bytes, says) in cases {
        let (json, kib, took) = bulk_measured(name, &bytes);
        assert_ne!(json["status"], "error", "{name}: {json}");
        assert!(took < Duration::from_secs(60), "{name}: {took:?}");
        assert!(kib <= 512 * 1024, "{name}: {kib} KiB resident");
        let warnings = json["warnings"].to_string();
        assert!(warnings.contains(says), "{name}: {warnings}");
    }
}

#[test]
fn when_the_decoder_dies_the_addresses_it_found_are_kept() {
    // A gzipped log: the addresses first, then gigabytes of text the decoder reads for a
    // while. The decoder (a child process of the binary) is killed while it reads.
    let mut log = String::new();
    for i in 0..200 {
        log.push_str(&format!(
            "deny src=81.2.{}.{} dst=10.0.0.5\n",
            i / 250,
            i % 250 + 1
        ));
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(log.as_bytes()).unwrap();
    let filler = "nothing but words in this line of the log, on and on\n".repeat(20_000);
    for _ in 0..900 {
        encoder.write_all(filler.as_bytes()).unwrap();
    }
    let gz = encoder.finish().unwrap();
    let request = json!({
        "action": "lookup_all_related_ips",
        "config": {"db_dir": fixtures(), "mmdb_filename": "GeoIP2-City-Fixture.mmdb",
                   "max_database_age_days": 0},
        "object": {"type": "attachment", "name": "fw.log.gz",
                   "content_base64": base64::engine::general_purpose::STANDARD.encode(&gz)}
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).unwrap();
    drop(stdin);
    // The decoder's process, once it has run a little.
    let deadline = Instant::now() + Duration::from_secs(30);
    let decoder = loop {
        assert!(Instant::now() < deadline, "no decoder process appeared");
        if let Some(pid) = child_decoder(child.id()) {
            std::thread::sleep(Duration::from_millis(300));
            break pid;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let killed = Command::new("kill")
        .args(["-9", &decoder.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["results"].as_array().unwrap().len(),
        201,
        "{}",
        json["warnings"]
    );
    let warnings = json["warnings"].to_string();
    assert!(
        warnings.contains("document_partial") && warnings.contains("stopped early"),
        "{warnings}"
    );
}

#[test]
fn a_document_cut_short_while_its_decoder_reads_it_ends_the_decoder_alone() {
    // The decoding child maps the file `extract` is given; the file is cut to its first
    // megabyte while the child reads it, as an upload written over in place would be.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.pdf");
    std::fs::write(&path, log_export_pdf(12_000)).unwrap();
    let child = crate::harness::spawn(&["extract", path.to_str().unwrap()], b"", Stdio::piped());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child_decoder(child.id()).is_none() {
        assert!(Instant::now() < deadline, "no decoder process appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // What the child found before it ended is kept, and said to be partial (the child reads
    // the 12,000 pages for seconds, ten times the wait above).
    let found = String::from_utf8_lossy(&out.stdout);
    assert!(found.lines().any(|l| l == "11.0.0.0"), "{stderr}");
    assert!(
        stderr.contains("stopped early") && stderr.contains("[document_partial]"),
        "{} addresses; {stderr}",
        found.lines().count()
    );
}

#[test]
fn a_deep_page_tree_inheriting_large_resources_is_read_in_little_memory() {
    // 20,000 nested page-tree nodes under a root whose resources hold a 5,000-element array,
    // all inherited by the one page at the bottom: 1.7 MB of file. Were each level to keep its
    // own copy of what it inherits, the decoder would run out of memory and lose the page.
    use documents::samples::{FONT, pdf, stream};
    let depth = 20_000;
    let junk: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 3 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
    ];
    for level in 0..depth {
        let at = objects.len() + 1;
        let resources = if level == 0 {
            format!(
                "/Resources << /Font << /F1 2 0 R >> /Junk [{}] >>",
                junk.join(" ")
            )
        } else {
            String::new()
        };
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{} 0 R] /Count 1 {resources} >>",
                at + 1
            )
            .into_bytes(),
        );
    }
    let page_at = objects.len() + 1;
    objects.push(format!("<< /Type /Page /Contents {} 0 R >>", page_at + 1).into_bytes());
    objects.push(stream("", b"BT /F1 9 Tf 36 800 Td (C2 81.2.69.142) Tj ET"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.pdf");
    std::fs::write(&path, pdf(&objects)).unwrap();
    let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "81.2.69.142\n", "{}", out.stderr);
    assert!(!out.stderr.contains("document_partial"), "{}", out.stderr);
}

#[test]
fn xml_files_say_what_their_values_are() {
    let files = [
        (
            "web.config",
            r#"<?xml version="1.0" encoding="utf-8"?>
<configuration><runtime><assemblyBinding><dependentAssembly>
<assemblyIdentity name="Newtonsoft.Json" publicKeyToken="30ad4fe6b2a6aeed" culture="neutral" />
<bindingRedirect oldVersion="0.0.0.0-13.0.0.0" newVersion="13.0.0.0" />
</dependentAssembly></assemblyBinding></runtime>
<appSettings><add key="BackupHost" value="81.2.69.220" /></appSettings>
<system.webServer><security><ipSecurity><add ipAddress="81.2.69.221" allowed="false" />
</ipSecurity></security></system.webServer></configuration>"#,
            vec!["81.2.69.220", "81.2.69.221"],
        ),
        (
            "app.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><AssemblyVersion>2.1.0.0</AssemblyVersion>\
             <FileVersion>2.1.0.5</FileVersion><Version>2.1.0.5</Version></PropertyGroup></Project>",
            vec![],
        ),
        (
            "AndroidManifest.xml",
            r#"<?xml version="1.0" encoding="utf-8" standalone="no"?><manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.evil.app" android:versionName="1.0.0.1" platformBuildVersionName="13.0.0.0"><application><meta-data android:name="c2" android:value="81.2.69.223"/></application></manifest>"#,
            vec!["81.2.69.223"],
        ),
        (
            "feed.xml",
            r#"<rss><channel><item><title>Payload</title><enclosure url="http://81.2.69.245/a.zip"/><description><![CDATA[<p>New C2: <b>45.155.</b>205.52</p><!-- 45.155.205.53 -->]]></description><description>&lt;p&gt;<i>not</i> &lt;i&gt;89.160.&lt;/i&gt;20.112&lt;/p&gt;</description></item></channel></rss>"#,
            vec!["81.2.69.245", "45.155.205.52", "89.160.20.112"],
        ),
        (
            "label.svg",
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="4" id="VersionLabel">81.2.69.147</text><text><tspan>Section</tspan></text><g><desc>10.0.0.1</desc></g></svg>"#,
            vec!["81.2.69.147", "10.0.0.1"],
        ),
        (
            // A Windows event as XML: each `Data` is named by its `Name`.
            "sysmon.xml",
            r#"<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>3</EventID><Version>5</Version></System><EventData><Data Name="Image">C:\Program Files\AnyDesk\AnyDesk.exe</Data><Data Name="FileVersion">8.0.6.0</Data><Data Name="SourceIp">10.20.30.142</Data><Data Name="DestinationIp">81.2.69.224</Data></EventData></Event></Events>"#,
            vec!["10.20.30.142", "81.2.69.224"],
        ),
        (
            "ptr.txt",
            "142.69.2.81.in-addr.arpa. 3600 IN PTR host.example.net.\n",
            vec!["81.2.69.142"],
        ),
    ];
    extract_each(files);
}

/// Writes each file and checks that `extract` finds in it exactly the addresses listed.
fn extract_each<T: AsRef<[u8]>>(
    files: impl IntoIterator<Item = (&'static str, T, Vec<&'static str>)>,
) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(out.stdout.lines().collect::<Vec<_>>(), expected, "{name}");
    }
}

#[test]
fn a_tables_version_column_hides_only_its_versions() {
    let long_line = format!("x{}\n", "\u{ff}".repeat(700_000));
    let files: [(&str, String, Vec<&str>); 7] = [
        // A second section after a blank line has no version column.
        (
            "sections.csv",
            "Component,Version\nAgent,8.0.6.0\n\nHost,IP,Last Seen\nWS1,81.2.69.142,2024-03-12\n".into(),
            vec!["81.2.69.142"],
        ),
        // An empty version cell names nothing beside it.
        (
            "empty.csv",
            "Host,FileVersion,RemoteIP\nWS1,,81.2.69.143\nWS2, ,81.2.69.144\n".into(),
            vec!["81.2.69.143", "81.2.69.144"],
        ),
        // A row with another count of fields is no row of the table.
        (
            "ragged.csv",
            "Host,FileVersion\nWS1,8.0.6.0\nnote,81.2.69.145,extra\n".into(),
            vec!["81.2.69.145"],
        ),
        // A title underlined is no header; an aligned table ends at a blank line.
        (
            "report.txt",
            "Incident report for agent version 4\n===================================\n\nThe attacker connected to 81.2.69.146 from the VPN.\n".into(),
            vec!["81.2.69.146"],
        ),
        (
            "transcript.txt",
            "Name     Id       Version   Source\n----------------------------------\nPuTTY    PuTTY    0.80.0.0  winget\n\nLocalAddress            RemoteAddress\n10.0.0.5                81.2.69.147\n".into(),
            vec!["10.0.0.5", "81.2.69.147"],
        ),
        // A line longer than any table's: the rest is read as text, nothing lost.
        (
            "long.csv",
            format!("Host,Version,IP\nWS1,8.0.6.0,81.2.69.148\n{long_line}81.2.69.149\n"),
            vec!["81.2.69.148", "81.2.69.149"],
        ),
        (
            "long.txt",
            format!("Name     Version   Source\n-------------------------\nPuTTY    0.80.0.0  winget\n{long_line}81.2.69.150\n"),
            vec!["81.2.69.150"],
        ),
    ];
    extract_each(files);
}

/// The pid of the `decode-document` child of process `parent`, if it runs.
fn child_decoder(parent: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat.rsplit(')').next()?.split_whitespace().nth(1)?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if ppid == parent.to_string() && cmdline.windows(15).any(|w| w == b"decode-document") {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_decoders_memory_does_not_grow_with_the_distinct_addresses_it_finds() {
    // A gzipped log of a million distinct addresses, each written twice, far apart.
    let distinct = 1_000_000u32;
    let address = |i: u32| std::net::Ipv4Addr::from(0x0b00_0000 + i * 37);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..2 {
        let mut text = String::with_capacity(25 * distinct as usize);
        for i in 0..distinct {
            text.push_str(&format!("from {}\n", address(i)));
        }
        encoder.write_all(text.as_bytes()).unwrap();
    }
    let gz = encoder.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conn.log.gz");
    std::fs::write(&path, &gz).unwrap();

    // The decoding child alone, as an action runs it: a set of every address it passed on
    // would take 32 MiB here (a million slots of 8 bytes at most half full), and 48 while it
    // grows.
    let (report, kib) = run_decoder("conn.log.gz", &gz);
    let lines = report
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"A\t"));
    assert!(lines.count() >= distinct as usize);
    assert!(kib < 24 * 1024, "the decoding child peaked at {kib} KiB");

    // What it passes on again, the reader drops: each address once, in order.
    let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let found: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(found.len(), distinct as usize);
    assert!(
        found
            .iter()
            .enumerate()
            .all(|(i, ip)| *ip == address(i as u32).to_string())
    );
}

/// How the decoding child is given its document.
#[derive(Clone, Copy)]
enum Given {
    /// Its file as stdin, as `extract FILE` and an attachment given by path give it: mapped.
    File,
    /// Through a pipe, as content sent in the request is: read whole.
    Pipe,
}

/// Runs the decoding child alone on the document `bytes` named `name`, given its file: its
/// report (stdout) and its peak resident memory in KiB.
fn run_decoder(name: &str, bytes: &[u8]) -> (Vec<u8>, u64) {
    run_decoder_given(name, bytes, Given::File)
}

/// [`run_decoder`], the document given as said.
fn run_decoder_given(name: &str, bytes: &[u8], given: Given) -> (Vec<u8>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let rss = dir.path().join("rss");
    let mut child = crate::harness::under_time(&rss)
        .args(["decode-document", "--name", name, "--cpu-seconds", "60"])
        .args([
            "--max-bytes",
            "1000000000",
            "--max-decoded-bytes",
            "1000000000",
        ])
        .arg(format!("--size={}", bytes.len()))
        .env("MIMALLOC_ARENA_RESERVE", "64MiB")
        .stdin(match given {
            Given::File => Stdio::from(std::fs::File::open(&path).unwrap()),
            Given::Pipe => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        let bytes = bytes.to_vec();
        std::thread::spawn(move || stdin.write_all(&bytes));
    }
    let child = child.wait_with_output().unwrap();
    assert!(child.status.success());
    (child.stdout, crate::harness::peak_rss_kib(&rss))
}

/// A log export: `pages` pages of 60 lines, each naming an address not named before; the
/// content streams unfiltered, so that the file grows with the pages as much as the text
/// (2.5 KB a page).
fn log_export_pdf(pages: u32) -> Vec<u8> {
    use documents::samples::{FONT, pdf, stream};
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        Vec::new(),
        FONT.as_bytes().to_vec(),
    ];
    let mut kids = String::new();
    for page in 0..pages {
        let mut content = String::from("BT /F1 9 Tf 36 800 Td 11 TL\n");
        for line in 0..60 {
            let ip = std::net::Ipv4Addr::from(0x0b00_0000 + (page * 60 + line) * 37);
            content.push_str(&format!("(2026-12-04 deny tcp {ip}:443) '\n"));
        }
        content.push_str("ET");
        let page_at = objects.len() + 1;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                page_at + 1
            )
            .into_bytes(),
        );
        objects.push(stream("", content.as_bytes()));
        kids.push_str(&format!("{page_at} 0 R "));
    }
    objects[1] = format!("<< /Type /Pages /Kids [{kids}] /Count {pages} >>").into_bytes();
    pdf(&objects)
}

#[test]
fn a_pdfs_decoder_given_its_file_holds_little_of_it_however_many_pages() {
    // Both past the 2^16 addresses the decoder remembers passing on (and then forgets), so
    // that what differs is the pages alone: 120,000 against 720,000 distinct addresses.
    let (short, long) = (log_export_pdf(2_000), log_export_pdf(12_000));
    let growth = (long.len() - short.len()) as u64 / 1024;
    assert!(growth > 24 * 1024, "the file grows by {growth} KiB");
    let (report, a) = run_decoder("export.pdf", &short);
    let (_, b) = run_decoder("export.pdf", &long);
    assert!(String::from_utf8_lossy(&report).contains("A\t11.0.0.0\t-\n"));
    // Six times the pages, 27 MiB more file: the decoder's peak grows by far less than the
    // file (measured: under 1 MiB, the cross-reference table and the page tree's references,
    // about a hundred bytes a page), because the pages read are given back. The bound leaves
    // room for the file pages the kernel maps a few MiB at a time, which vary run to run.
    assert!(
        b < a + 8 * 1024,
        "{a} KiB at 2,000 pages, {b} KiB at 12,000 ({} and {} bytes of file)",
        short.len(),
        long.len()
    );
}

#[test]
fn a_pdfs_decoder_given_it_through_a_pipe_holds_the_file_and_little_more() {
    let (short, long) = (log_export_pdf(200), log_export_pdf(4_000));
    let beyond_the_file = |bytes: &[u8]| {
        run_decoder_given("export.pdf", bytes, Given::Pipe)
            .1
            .saturating_sub(bytes.len() as u64 / 1024)
    };
    let (a, b) = (beyond_the_file(&short), beyond_the_file(&long));
    // What the decoder holds beside the file grows by less than 4 MiB (8.4 MiB with a set of
    // every address passed on).
    assert!(
        b < a + 4 * 1024,
        "beyond the file: {a} KiB at 200 pages, {b} KiB at 4,000 ({} and {} bytes of file)",
        short.len(),
        long.len()
    );
}

#[test]
fn a_truncated_gzip_keeps_what_came_before_the_damage() {
    // A log being rotated while it was copied, a download cut short: the trailer missing, or
    // half the file. An address cut by the damage is not reported half written.
    let mut log = String::from("2024-05-17 deny 80.66.88.123\n");
    for i in 0..20_000 {
        log.push_str(&format!("filler line {i}\n"));
    }
    log.push_str("2024-05-17 deny 89.160.20.115\n");
    let gz = documents::samples::gzip_of(log.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("no-trailer.log.gz", &gz[..gz.len() - 8]),
        ("half.log.gz", &gz[..gz.len() / 2]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        let expected = if name == "half.log.gz" {
            "80.66.88.123\n"
        } else {
            "80.66.88.123\n89.160.20.115\n"
        };
        assert_eq!(out.stdout, expected, "{name}");
        assert!(
            out.stderr.contains("[document_partial]"),
            "{name}: {}",
            out.stderr
        );
    }
}

#[test]
fn an_invisible_character_inside_an_address_does_not_hide_it() {
    // Soft hyphens and zero-width spaces, pasted from a chat or put there on purpose: in
    // plain text, as HTML references, in an e-mail's body.
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 3] = [
        (
            "chat.txt",
            "c2 45.13\u{200b}3.1.25 and 81.2.69.1\u{ad}42\n",
            "45.133.1.25\n81.2.69.142\n",
        ),
        (
            "page.html",
            "<p>c2 45.13&#8203;3.1.25 and 81.2.69.1&shy;42</p>",
            "45.133.1.25\n81.2.69.142\n",
        ),
        (
            "mail.eml",
            "From: a@b\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nseen 216.160.\u{2060}83.60\r\n",
            "216.160.83.60\n",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
        assert_eq!(out.stdout, expected, "{name}");
    }
}

#[test]
fn a_binarys_wide_strings_are_searched() {
    // A sample's configuration as Windows programs keep strings (UTF-16LE), among code bytes:
    // what `strings -el` shows an analyst.
    let mut binary = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff\x00\x00\xb8".to_vec();
    binary.extend(
        "Server=103.145.13.151;Port=443"
            .bytes()
            .flat_map(|b| [b, 0]),
    );
    binary.extend(b"\x00\x00\x8b\x45\x08\x00c2 81.2.69.142\x00");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.exe");
    std::fs::write(&path, &binary).unwrap();
    let out = cli(&["extract", path.to_str().unwrap()], b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "103.145.13.151\n81.2.69.142\n");
}
