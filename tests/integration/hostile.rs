//! Hostile input: whatever the platform's users upload, the binary answers with one JSON
//! document and a clear code, keeps every result it could produce, and never crashes, hangs or
//! leaks. (Secrets are checked on every run by the harness; paths and markup have their own
//! tests in `errors.rs` and `bulk.rs`.)

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_maxmind::{ACCOUNT, FakeMaxMind, KEY, Options};
use crate::harness::{fixtures, lookup_request, plugin, plugin_bytes, root, run_in};

const CITY: &str = "GeoIP2-City-Fixture.mmdb";

fn assert_code(run: &crate::harness::Run, code: &str, what: &str) {
    assert_eq!(run.code, 1, "{what}");
    assert_eq!(
        run.error_codes().first().map(String::as_str),
        Some(code),
        "{what}: {}",
        run.json
    );
}

#[test]
fn absurd_json_is_an_invalid_request() {
    let deep = format!(
        "{{\"action\":\"lookup\",\"config\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert_code(
        &plugin_bytes(deep.as_bytes()),
        "invalid_request",
        "nesting 10,000 deep",
    );
    let digits = format!(
        "{{\"action\":\"lookup\",\"object\":{{\"type\":\"indicator\",\"value\":\"1.2.3.4\",\"id\":{}}}}}",
        "9".repeat(1_000_000)
    );
    let run = plugin_bytes(digits.as_bytes());
    assert!(run.json.is_object(), "a million-digit number");
    let unknown = br#"{"action":"lookup","what":{"is":["this"]},"config":{"mmdb_filename":"x"},"object":{"type":"indicator","value":"81.2.69.142","colour":1}}"#;
    assert!(plugin_bytes(unknown).json.is_object(), "unknown fields");
    for junk in [
        &b"\xff\xfe\x00{"[..],
        b"{\"action\":",
        b"nul\x00l",
        b"\"lookup\"",
        b"null",
        b"42",
    ] {
        assert_code(&plugin_bytes(junk), "invalid_request", &format!("{junk:?}"));
    }
}

#[test]
fn a_100_mb_value_is_refused_and_not_echoed_whole() {
    let mut req = lookup_request(&[CITY], "x", json!({}));
    req["object"]["value"] = json!("1".repeat(100 << 20));
    let run = plugin(&req);
    assert_code(&run, "invalid_ip", "100 MB value");
    assert!(run.json.to_string().len() < 10_000, "the echo is shortened");
    let mut req = lookup_request(&[CITY], "81.2.69.142", json!({}));
    req["action"] = json!("x".repeat(1 << 20));
    let run = plugin(&req);
    assert_code(&run, "unknown_action", "1 MB action name");
    assert!(run.json.to_string().len() < 10_000);
}

#[test]
fn a_request_over_the_size_limit_is_refused() {
    let mut req = lookup_request(&[CITY], "81.2.69.142", json!({}));
    req["object"]["padding"] = json!("p".repeat(3 << 20));
    let run = run_in(
        &root(),
        &[],
        req.to_string().as_bytes(),
        &[("MAXMIND_GEOLOCATE_MAX_REQUEST_MIB", "2")],
    );
    assert_code(&run, "request_too_large", "3 MB request, 2 MiB limit");
    assert!(
        run.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 MiB")
    );
}

/// Runs a bulk of `ips` on `db` in `dir` and checks it ends within 5 s with one result per IP or
/// a database error.
fn bulk_on(dir: &std::path::Path, db: &str, ips: &[&str]) -> crate::harness::Run {
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"db_dir": dir, "mmdb_filename": db, "context_type": "auto"},
                     "object": {"type": "attachment", "content": ips.join(" ")}});
    let started = Instant::now();
    let run = plugin(&req);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{db} took {:?}",
        started.elapsed()
    );
    run
}

const PROBES: [&str; 6] = [
    "81.2.69.142",
    "2.125.160.216",
    "89.160.20.115",
    "216.160.83.60",
    "2a02:ff80::1",
    "1.1.1.1",
];

fn assert_survives(run: &crate::harness::Run, what: &str) {
    let codes = run.error_codes();
    if run.json["status"] == "error" {
        assert!(
            codes
                .iter()
                .all(|c| c == "db_invalid" || c == "db_not_found"),
            "{what}: {}",
            run.json
        );
    }
    if let Some(results) = run.json["results"].as_array().filter(|r| !r.is_empty()) {
        assert_eq!(results.len(), PROBES.len(), "{what}: one result per IP");
    }
}

#[test]
fn truncated_databases_fail_cleanly_at_every_kilobyte() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources = vec![std::fs::read(fixtures().join(CITY)).unwrap()];
    let data = crate::harness::maxmind_test_data();
    sources.push(std::fs::read(data.join("test-data/GeoIP2-City-Test.mmdb")).unwrap());
    let mut cuts = 0;
    for (n, bytes) in sources.iter().enumerate() {
        for cut in (0..bytes.len()).step_by(1024).skip(1) {
            let name = format!("cut-{n}-{cut}.mmdb");
            std::fs::write(dir.path().join(&name), &bytes[..cut]).unwrap();
            let run = bulk_on(dir.path(), &name, &PROBES);
            assert_code(&run, "db_invalid", &name);
            cuts += 1;
        }
    }
    assert!(cuts >= 3);
}

#[test]
fn random_and_damaged_databases_never_crash_or_hang() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixtures().join(CITY)).unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..40 {
        let name = format!("damaged-{i}.mmdb");
        let bytes: Vec<u8> = if i < 10 {
            // Pure noise, with and without a metadata marker.
            let mut b: Vec<u8> = (0..(64 << i.min(8))).map(|_| next() as u8).collect();
            if i % 2 == 0 {
                b.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
                b.extend_from_slice(&good[good.len() - 200..]);
            }
            b
        } else {
            // The real file with bytes flipped in its tree or data section.
            let mut b = good.clone();
            let metadata = good
                .windows(14)
                .rposition(|w| w == b"\xab\xcd\xefMaxMind.com")
                .unwrap();
            for _ in 0..(1 + i % 5) {
                let at = (next() as usize) % metadata;
                b[at] = next() as u8;
            }
            b
        };
        std::fs::write(dir.path().join(&name), bytes).unwrap();
        let run = bulk_on(dir.path(), &name, &PROBES);
        assert_survives(&run, &name);
    }
}

#[test]
fn a_database_corrupt_in_one_record_keeps_the_other_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixtures().join(CITY)).unwrap();
    // Break the record of London: its city name's UTF-8 string gets an impossible control byte
    // (a map of 255 entries) in place of the string's type byte.
    let at = bytes.windows(6).position(|w| w == b"London").unwrap() - 1;
    bytes[at] = 0xff;
    std::fs::write(dir.path().join("broken.mmdb"), bytes).unwrap();
    let run = bulk_on(dir.path(), "broken.mmdb", &PROBES);
    let results = run.json["results"].as_array().unwrap();
    assert_eq!(results.len(), PROBES.len());
    let london = &results[0];
    assert_eq!(
        london["error"]["code"], "db_invalid",
        "a corrupt record is not \"not found\": {london}"
    );
    assert!(
        results[2]["error"].is_null(),
        "Linköping is still answered: {}",
        results[2]
    );
    assert_eq!(run.json["status"], "partial");
}

/// A Lookup request on `live.mmdb` in `dir`, as one line of a stream.
fn lookup_line(dir: &std::path::Path, ip: &str) -> String {
    json!({"action": "lookup", "config": {"db_dir": dir, "mmdb_filename": "live.mmdb",
                                          "max_database_age_days": 0},
           "object": {"type": "indicator", "indicator_type": "IP Address", "value": ip}})
    .to_string()
        + "\n"
}

#[test]
fn a_database_cut_short_under_a_stream_is_db_invalid_then_opened_again() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.mmdb");
    std::fs::copy(fixtures().join(CITY), &live).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(["run", "--ndjson"])
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |ip: &str| -> Value {
        stdin
            .write_all(lookup_line(dir.path(), ip).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    };
    let first = ask("81.2.69.142");
    assert_eq!(
        first["results"][0]["data"]["city"]["names"]["en"], "London",
        "{first}"
    );
    // The file is mapped and kept open by the stream: written over in place, shorter.
    std::fs::File::options()
        .write(true)
        .open(&live)
        .unwrap()
        .set_len(0)
        .unwrap();
    let second = ask("81.2.69.160");
    assert_eq!(
        second["results"][0]["error"]["code"], "db_invalid",
        "{second}"
    );
    let message = second["results"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("cut short"), "{message}");
    // The upload is complete again: the next action opens the file afresh.
    std::fs::copy(fixtures().join(CITY), &live).unwrap();
    let third = ask("81.2.69.142");
    assert_eq!(
        third["results"][0]["data"]["city"]["names"]["en"], "London",
        "{third}"
    );
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.code().is_some(), "ended by a signal: {status:?}");
}

#[test]
fn a_database_cut_short_under_a_bulk_still_answers_once() {
    let dir = tempfile::tempdir().unwrap();
    let content: String = (0..200_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i * 13)))
        .collect();
    std::fs::write(dir.path().join("ips.txt"), content + "81.2.69.142").unwrap();
    let mut cut_short = 0;
    for delay_ms in [0, 5, 20, 60, 150, 400] {
        std::fs::copy(fixtures().join(CITY), dir.path().join("live.mmdb")).unwrap();
        let req = json!({"action": "lookup_all_related_ips",
                         "config": {"db_dir": dir.path(), "mmdb_filename": "live.mmdb",
                                    "attachment_dir": dir.path(), "max_database_age_days": 0},
                         "object": {"type": "attachment", "path": "ips.txt"},
                         "params": {"apply_results_to_description": false}});
        let child = crate::harness::spawn(&[], req.to_string().as_bytes(), Stdio::piped());
        std::thread::sleep(Duration::from_millis(delay_ms));
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("live.mmdb"))
            .unwrap()
            .set_len(0)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        // An exit code, not a signal: the process answered.
        assert!(out.status.code().is_some(), "after {delay_ms} ms: {out:?}");
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("after {delay_ms} ms, not one JSON document: {e}"));
        let text = json.to_string();
        if text.contains("cut short") {
            cut_short += 1;
        }
        // Every address has an answer: located, not found, or db_invalid; none is lost.
        if let Some(results) = json["results"].as_array() {
            if !results.is_empty() {
                assert_eq!(results.len(), 200_001, "after {delay_ms} ms");
            }
        }
    }
    // Whether a delay lands while lookups run depends on the machine; the stream test above
    // cuts the file under a lookup for sure.
    eprintln!("{cut_short} of 6 runs were cut short while looking up");
}

#[test]
fn an_attachment_cut_short_during_its_scan_still_answers_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join(CITY), dir.path().join("live.mmdb")).unwrap();
    let content: String = (0..1_500_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i * 7)))
        .collect();
    for delay_ms in [0, 10, 40, 120] {
        std::fs::write(dir.path().join("big.log"), &content).unwrap();
        let req = json!({"action": "lookup_all_related_ips",
                         "config": {"db_dir": dir.path(), "mmdb_filename": "live.mmdb",
                                    "attachment_dir": dir.path(), "max_database_age_days": 0,
                                    "max_ips": 10_000_000},
                         "object": {"type": "attachment", "path": "big.log"},
                         "params": {"apply_results_to_description": false}});
        let child = crate::harness::spawn(&[], req.to_string().as_bytes(), Stdio::piped());
        std::thread::sleep(Duration::from_millis(delay_ms));
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("big.log"))
            .unwrap()
            .set_len(1000)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.code().is_some(), "after {delay_ms} ms: {out:?}");
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("after {delay_ms} ms, not one JSON document: {e}"));
        assert!(json["results"].is_array(), "after {delay_ms} ms: {json}");
    }
}

#[test]
fn a_database_renamed_over_during_a_run_does_not_disturb_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join(CITY), dir.path().join("live.mmdb")).unwrap();
    let content: String = (0..200_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i * 13)))
        .collect();
    std::fs::write(dir.path().join("ips.txt"), content + "81.2.69.142").unwrap();
    for in_memory in [false, true] {
        let req = json!({"action": "lookup_all_related_ips",
                         "config": {"db_dir": dir.path(), "mmdb_filename": "live.mmdb", "attachment_dir": dir.path(),
                                    "databases_in_memory": in_memory},
                         "object": {"type": "attachment", "path": "ips.txt"},
                         "params": {"apply_results_to_description": false}});
        let child = crate::harness::spawn(&[], req.to_string().as_bytes(), Stdio::piped());
        // Replace the file as geoipupdate does: write elsewhere, rename over.
        std::thread::sleep(Duration::from_millis(150));
        // Another database that answers the same context, so either file gives a whole answer.
        std::fs::copy(
            fixtures().join("GeoIP2-Enterprise-Fixture.mmdb"),
            dir.path().join("next.mmdb"),
        )
        .unwrap();
        std::fs::rename(dir.path().join("next.mmdb"), dir.path().join("live.mmdb")).unwrap();
        let out = child.wait_with_output().unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["status"], "success",
            "in_memory={in_memory}: {}",
            json["errors"]
        );
        assert_eq!(
            json["results"].as_array().unwrap().len(),
            200_001,
            "in_memory={in_memory}"
        );
        let london = json["results"].as_array().unwrap().last().unwrap();
        assert_eq!(
            london["data"]["city"]["names"]["en"], "London",
            "in_memory={in_memory}"
        );
        std::fs::copy(fixtures().join(CITY), dir.path().join("live.mmdb")).unwrap();
    }
}

#[test]
fn the_ip_count_and_action_time_limits_are_clear_errors() {
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"db_dir": "fixtures", "mmdb_filename": CITY, "max_ips": 5},
                     "object": {"type": "attachment", "content": "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6"}});
    let run = plugin(&req);
    assert_code(&run, "too_many_ips", "6 IPs, limit 5");

    let fake = FakeMaxMind::start(Options {
        delay: Duration::from_millis(300),
        ..Options::default()
    });
    let ips: Vec<String> = (0..40).map(|i| format!("81.2.{i}.1")).collect();
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"source": "web_api", "account_id": ACCOUNT, "license_key": KEY,
                                "web_api_url": fake.url(), "bypass_proxy": true,
                                "max_parallel_queries": 2, "action_timeout_s": 1},
                     "object": {"type": "attachment", "content": ips.join(" ")}});
    let started = Instant::now();
    let run = plugin(&req);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let results = run.json["results"].as_array().unwrap();
    assert_eq!(results.len(), 40, "every IP is in the response");
    let timed_out = results
        .iter()
        .filter(|r| r["error"]["code"] == "action_timeout")
        .count();
    let answered = results.iter().filter(|r| r["error"].is_null()).count();
    assert!(
        timed_out > 20 && answered >= 2,
        "{answered} answered, {timed_out} timed out"
    );
    assert_eq!(run.json["status"], "partial");
}

#[test]
fn a_closed_stdout_or_a_full_disk_is_an_error_exit_not_a_panic() {
    let content: String = (0..20_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i)))
        .collect();
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"db_dir": fixtures(), "mmdb_filename": CITY},
                     "object": {"type": "attachment", "content": content}});
    let mut child = crate::harness::spawn(&[], req.to_string().as_bytes(), Stdio::piped());
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then closed, as `| head -c 10`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains("panicked") && stderr.contains("cannot write"),
        "{stderr}"
    );

    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let request = lookup_request(&[CITY], "81.2.69.142", json!({"db_dir": fixtures()}));
        let child = crate::harness::spawn(&[], request.to_string().as_bytes(), full.into());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}

#[test]
fn sigterm_ends_a_bulk_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let content: String = (0..1_000_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i * 3)))
        .collect();
    std::fs::write(dir.path().join("big.txt"), content).unwrap();
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"db_dir": fixtures(), "mmdb_filename": CITY, "attachment_dir": dir.path()},
                     "object": {"type": "attachment", "path": "big.txt"}});
    let mut child = crate::harness::spawn(&[], req.to_string().as_bytes(), Stdio::null());
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert!(!status.success());
}

#[test]
fn fifty_invocations_at_once_all_answer() {
    let body = lookup_request(
        &[CITY, "GeoLite2-ASN-Fixture.mmdb"],
        "81.2.69.142",
        json!({}),
    )
    .to_string();
    let children: Vec<_> = (0..50)
        .map(|_| crate::harness::spawn(&[], body.as_bytes(), Stdio::piped()))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["results"][0]["data"]["city"]["names"]["en"], "London");
        assert_eq!(json["indicators"][0]["value"], "20712");
    }
}

#[test]
fn a_huge_value_in_any_setting_is_echoed_at_most_256_bytes_long() {
    let huge = "x".repeat(2 << 20);
    let settings = [
        "mmdb_filename",
        "db_dir",
        "locale",
        "attachment_dir",
        "web_api_url",
        "context_type",
        "source",
        "edition",
        "timeout_s",
        "use_mapbox",
    ];
    for key in settings {
        let mut config = json!({"db_dir": fixtures(), "mmdb_filename": CITY});
        config[key] = json!(huge);
        let run = plugin(&json!({"action": "lookup", "config": config,
            "object": {"type": "indicator", "indicator_type": "IP Address", "value": "81.2.69.142"}}));
        let text = run.json.to_string();
        assert!(
            text.len() < 4096,
            "{key}: a response of {} bytes",
            text.len()
        );
    }
    let run = plugin(&json!({"action": "lookup_all_related_ips",
        "config": {"db_dir": fixtures(), "mmdb_filename": CITY},
        "object": {"type": "attachment", "path": huge}}));
    assert!(
        run.json.to_string().len() < 4096,
        "object.path: {}",
        run.json.to_string().len()
    );
}

#[test]
fn a_stream_naming_12000_databases_keeps_its_memory_flat() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.mmdb");
    std::fs::copy(fixtures().join(CITY), &original).unwrap();
    let count = 12_000;
    for i in 0..count {
        std::fs::hard_link(&original, dir.path().join(format!("db{i}.mmdb"))).unwrap();
    }
    let folder = dir.path().to_owned();
    let feed = move |out: &mut dyn std::io::Write| {
        for i in 0..count {
            let line = json!({"action": "lookup",
                "config": {"db_dir": folder, "mmdb_filename": format!("db{i}.mmdb"),
                           "max_database_age_days": 0},
                "object": {"type": "indicator", "indicator_type": "IP Address", "value": "81.2.69.142"}});
            if writeln!(out, "{line}").is_err() {
                return;
            }
        }
    };
    let (status, lines, answers, kib) = crate::harness::measured(&["run", "--ndjson"], feed, count);
    assert!(status.success(), "{status:?}");
    assert_eq!(lines, count);
    let failed = answers.iter().filter(|a| !a.contains("\"London\"")).count();
    assert_eq!(
        failed,
        0,
        "answers without London, e.g. {:?}",
        answers.iter().find(|a| !a.contains("London"))
    );
    assert!(
        kib <= 64 * 1024,
        "{kib} KiB resident after {count} databases"
    );
}

#[test]
fn max_ips_stops_reading_a_huge_attachment_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(100 << 20);
    let mut i = 0u32;
    while text.len() < 100 << 20 {
        text.push_str(&std::net::Ipv4Addr::from(0x0b00_0000 + i).to_string());
        text.push('\n');
        i += 1;
    }
    std::fs::write(dir.path().join("distinct.log"), &text).unwrap();
    drop(text);
    let request = json!({"action": "lookup_all_related_ips",
        "config": {"db_dir": fixtures(), "mmdb_filename": CITY, "attachment_dir": dir.path(),
                   "max_ips": 1000, "max_attachment_mib": 200, "max_database_age_days": 0},
        "object": {"type": "attachment", "path": "distinct.log"}});
    let started = Instant::now();
    let (_, _, lines, kib) = crate::harness::measured(
        &[],
        move |out| {
            let _ = out.write_all(request.to_string().as_bytes());
        },
        1,
    );
    let took = started.elapsed();
    let response: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(response["errors"][0]["code"], "too_many_ips", "{response}");
    assert!(kib <= 160 * 1024, "{kib} KiB resident");
    // Stopped at the limit, not after reading 100 MiB (a loaded machine is given room).
    assert!(took < Duration::from_secs(30), "{took:?}");
}
