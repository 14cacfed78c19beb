//! Every error code, produced by feeding bad input through the binary. Each row is a bad input
//! and the code it must give; every run must still print one JSON response.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{
    Run, fixtures, lookup_request, maxmind_test_data, plugin, plugin_bytes, run_in,
};

const CITY: &str = "GeoIP2-City-Fixture.mmdb";

/// Asserts a failed action: exit 1, status error, `code` in the top-level errors.
fn assert_fails(run: &Run, code: &str, context: &str) {
    assert_eq!(run.code, 1, "{context}: exit code; {}", run.json);
    assert_eq!(run.json["status"], "error", "{context}: {}", run.json);
    assert_eq!(
        run.error_codes().first().map(String::as_str),
        Some(code),
        "{context}: {}",
        run.json
    );
    let message = run.json["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.len() > 10,
        "{context}: a message people can act on: {message:?}"
    );
}

#[test]
fn malformed_requests_are_invalid_request() {
    let rows: &[(&str, &[u8])] = &[
        ("empty stdin", b""),
        ("whitespace", b"  \n"),
        ("not JSON", b"geolocate 1.2.3.4 please"),
        ("truncated", br#"{"action":"lookup","config":{"#),
        ("an array", b"[1,2,3]"),
        ("no action", br#"{"config":{}}"#),
        ("action of the wrong type", br#"{"action":7}"#),
        ("value of the wrong type", br#"{"action":"lookup","object":{"type":"indicator","value":12}}"#),
        ("two documents", br#"{"action":"lookup"}{"action":"lookup"}"#),
        ("invalid UTF-8", b"{\"action\":\"lookup\xff\xfe\"}"),
        ("config of the wrong type", br#"{"action":"lookup","config":"x"}"#),
        ("missing object", br#"{"action":"lookup","config":{"mmdb_filename":"x.mmdb"}}"#),
        ("object without value", br#"{"action":"lookup","config":{"mmdb_filename":"x.mmdb"},"object":{"type":"indicator"}}"#),
    ];
    for (what, input) in rows {
        let run = plugin_bytes(input);
        assert_fails(&run, "invalid_request", what);
    }
}

#[test]
fn a_config_value_of_the_wrong_type_names_its_key() {
    for config in [
        r#"{"use_mapbox":"maybe"}"#,
        r#"{"use_mapbox":[true]}"#,
        r#"{"timeout_s":{"s":1}}"#,
    ] {
        let request = format!(r#"{{"action":"lookup","config":{config}}}"#);
        let run = plugin_bytes(request.as_bytes());
        assert_fails(&run, "config_invalid", config);
        let message = run.json["errors"][0]["message"].as_str().unwrap();
        let key = config.split('"').nth(1).unwrap();
        assert!(message.contains(key), "{message}");
    }
}

#[test]
fn an_unknown_action_is_unknown_action() {
    let mut req = lookup_request(&[CITY], "81.2.69.142", json!({}));
    req["action"] = json!("geolocate_everything");
    let run = plugin(&req);
    assert_fails(&run, "unknown_action", "unknown action");
    assert_eq!(run.json["action"], "geolocate_everything");
}

#[test]
fn lookup_runs_only_on_ip_indicators() {
    let mut attachment = lookup_request(&[CITY], "81.2.69.142", json!({}));
    attachment["object"] = json!({"type": "attachment", "id": 9, "name": "report.txt"});
    let mut fqdn = lookup_request(&[CITY], "example.com", json!({}));
    fqdn["object"]["indicator_type"] = json!("FQDN");
    for (what, req) in [("attachment", attachment), ("FQDN indicator", fqdn)] {
        assert_fails(&plugin(&req), "unsupported_object", what);
    }
}

#[test]
fn anything_but_one_address_is_invalid_ip() {
    for value in [
        "81.2.69.0/24",
        "81.2.69.142 and 81.2.69.160",
        "example.com",
        "1.2.3.4.5",
        "999.1.1.1",
        "",
        "81.2.69.142x",
    ] {
        let run = plugin(&lookup_request(&[CITY], value, json!({})));
        assert_fails(&run, "invalid_ip", value);
        assert_eq!(
            run.json["results"][0]["error"]["code"], "invalid_ip",
            "{value:?}: the result says so too"
        );
    }
}

#[test]
fn an_address_is_read_in_every_form_extract_finds() {
    // One reading of an address: what `extract` finds in text, a Lookup finds in its value.
    for value in [
        "81.2.69.142:443",
        "[81.2.69.142]:443",
        "hxxp://81.2.69[.]142/gate",
        "81[Dot]2[Dot]69[Dot]142",
        "81.2.69(.)142",
        "::ffff:81.2.69.142",
    ] {
        let run = plugin(&lookup_request(&[CITY], value, json!({})));
        assert_eq!(run.json["status"], "success", "{value}: {}", run.json);
        assert_eq!(run.result()["ip"], "81.2.69.142", "{value}");
    }
}

#[test]
fn missing_databases_are_db_not_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder.mmdb")).unwrap();
    let fifo = dir.path().join("fifo.mmdb");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success());
    let mut rows = vec![
        ("missing.mmdb", "missing file"),
        ("folder.mmdb", "a directory"),
    ];
    if made.is_ok_and(|ok| ok) {
        rows.push(("fifo.mmdb", "a FIFO"));
    }
    for (name, what) in rows {
        let run = plugin(&lookup_request(
            &[name],
            "81.2.69.142",
            json!({"db_dir": dir.path()}),
        ));
        assert_fails(&run, "db_not_found", what);
    }
    let run = plugin(&lookup_request(
        &[CITY],
        "81.2.69.142",
        json!({"db_dir": "/nonexistent/folder"}),
    ));
    assert_fails(&run, "db_not_found", "missing db_dir");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn corrupt_databases_are_db_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixtures().join(CITY)).unwrap();
    write(dir.path(), "empty.mmdb", b"");
    write(dir.path(), "text.mmdb", b"this is not a database\n");
    let noise: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    write(dir.path(), "noise.mmdb", &noise);
    write(dir.path(), "truncated.mmdb", &good[..good.len() / 2]);
    let mut no_metadata = good.clone();
    if let Some(at) = good
        .windows(14)
        .rposition(|w| w == b"\xab\xcd\xefMaxMind.com")
    {
        no_metadata.truncate(at);
    }
    write(dir.path(), "no-metadata.mmdb", &no_metadata);
    for name in [
        "empty.mmdb",
        "text.mmdb",
        "noise.mmdb",
        "truncated.mmdb",
        "no-metadata.mmdb",
    ] {
        let run = plugin(&lookup_request(
            &[name],
            "81.2.69.142",
            json!({"db_dir": dir.path()}),
        ));
        assert_fails(&run, "db_invalid", name);
    }
}

#[test]
fn maxmind_bad_data_is_db_invalid_never_a_crash() {
    let data = maxmind_test_data();
    let mut files = Vec::new();
    let mut stack = vec![data.join("bad-data")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "mmdb") {
                files.push(path);
            }
        }
    }
    for entry in std::fs::read_dir(data.join("test-data")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("-Broken-")
            || name.contains("-Invalid-")
            || name.starts_with("MaxMind-DB-test-broken-")
        {
            files.push(path);
        }
    }
    assert!(files.len() >= 10, "found the bad-data corpus: {files:?}");
    for file in &files {
        let dir = file.parent().unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        // Several addresses, so the search tree and data section are both walked.
        for ip in ["81.2.69.142", "1.1.1.1", "2001:218::1", "::1.1.1.1"] {
            let req = lookup_request(&[name], ip, json!({"db_dir": dir, "context_type": "auto"}));
            let run = plugin(&req);
            let codes: Vec<String> = run
                .error_codes()
                .into_iter()
                .chain(
                    run.json["results"][0]["error"]["code"]
                        .as_str()
                        .map(str::to_owned),
                )
                .collect();
            let ok_answer = run.json["status"] == "success";
            assert!(
                ok_answer
                    || codes
                        .iter()
                        .any(|c| c == "db_invalid" || c == "db_not_found"),
                "{name} {ip}: {}",
                run.json
            );
        }
    }
}

#[test]
fn a_context_no_database_can_answer_is_context_mismatch() {
    let run = plugin(&lookup_request(
        &[CITY],
        "81.2.69.142",
        json!({"context_type": "asn"}),
    ));
    assert_fails(&run, "context_mismatch", "asn on a City database");
    let message = run.json["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("\"asn\"") && message.contains("GeoIP2-City"),
        "{message}"
    );
    let run = plugin(&lookup_request(
        &["GeoLite2-ASN-Fixture.mmdb"],
        "81.2.69.142",
        json!({}),
    ));
    assert_fails(&run, "context_mismatch", "city on an ASN database");
}

#[test]
fn names_that_escape_db_dir_are_config_invalid() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join(CITY), outside.path().join("elsewhere.mmdb")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("elsewhere.mmdb"),
        dir.path().join("link.mmdb"),
    )
    .unwrap();
    let absolute_outside = outside.path().join("elsewhere.mmdb");
    let rows: Vec<(&str, String)> = vec![
        ("dot-dot", "../elsewhere.mmdb".into()),
        ("dot-dot inside", "sub/../../elsewhere.mmdb".into()),
        (
            "absolute outside",
            absolute_outside.to_string_lossy().into_owned(),
        ),
        ("symlink out", "link.mmdb".into()),
        ("backslash", "..\\elsewhere.mmdb".into()),
        ("NUL byte", "city.mmdb\u{0}.txt".into()),
    ];
    for (what, name) in rows {
        let run = plugin(&lookup_request(
            &[name.as_str()],
            "81.2.69.142",
            json!({"db_dir": dir.path()}),
        ));
        assert_fails(&run, "config_invalid", what);
    }
    // An absolute path that stays inside db_dir is fine.
    let inside = fixtures().join(CITY);
    let run = plugin(&lookup_request(
        &[inside.to_str().unwrap()],
        "81.2.69.142",
        json!({}),
    ));
    assert_eq!(run.json["status"], "success", "{}", run.json);
}

#[test]
fn bad_config_values_are_config_invalid() {
    for (what, config) in [
        ("locale", json!({"locale": "klingon"})),
        ("context", json!({"context_type": "planet"})),
        ("source", json!({"source": "carrier pigeon"})),
        ("edition", json!({"edition": "platinum"})),
        (
            "mapbox with a token that is not public",
            json!({"use_mapbox": true, "mapbox_api_key": "tk.not-a-mapbox-token"}),
        ),
        ("no database", json!({"mmdb_filename": ""})),
    ] {
        let run = plugin(&lookup_request(&[CITY], "81.2.69.142", config));
        assert_fails(&run, "config_invalid", what);
    }
}

#[test]
fn an_invalid_ip_is_reported_even_when_the_database_fails_too() {
    let run = plugin(&lookup_request(&["missing.mmdb"], "not-an-ip", json!({})));
    let codes = run.error_codes();
    assert_eq!(codes, ["db_not_found", "invalid_ip"], "{}", run.json);
}

#[test]
fn a_closed_stdin_gives_one_error_response() {
    let run = run_in(&crate::harness::root(), &["run"], b"", &[]);
    assert_fails(&run, "invalid_request", "closed stdin");
    assert_eq!(run.json["results"], Value::Array(vec![]));
}

/// What the admin configuring the operation reads: each failed request's message names the
/// configuration key to fix, never a command-line flag or `GeoIP.conf`, and every misspelt key
/// is reported with the key meant, whether the action failed or not.
#[test]
fn platform_messages_name_the_key_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let a_file = dir.path().join("not-a-folder");
    std::fs::write(&a_file, b"x").unwrap();
    let request = |action: &str, config: Value| {
        json!({"action": action, "config": config,
               "object": {"type": "indicator", "value": "81.2.69.142"}})
    };
    // (request, error code, words the message must hold)
    let rows = [
        (
            request(
                "lookup",
                json!({"mmdb_filenme": CITY, "db_dir": fixtures()}),
            ),
            "config_invalid",
            vec!["mmdb_filename"],
        ),
        (
            request(
                "lookup",
                json!({"mmdb_filename": CITY, "db_dir": "/nonexistent/folder", "db_dri": 1}),
            ),
            "db_not_found",
            vec!["/nonexistent/folder", "db_dir"],
        ),
        (
            request(
                "lookup",
                json!({"mmdb_filename": CITY, "db_dir": a_file, "db_dri": 1}),
            ),
            "db_not_found",
            vec!["not a folder", "db_dir"],
        ),
        (
            request(
                "lookup",
                json!({"mmdb_filename": "GeoIP2-City-Fixtur.mmdb", "db_dir": fixtures(), "db_dri": 1}),
            ),
            "db_not_found",
            vec!["mmdb_filename", "did you mean \"GeoIP2-City-Fixture.mmdb\""],
        ),
        (
            request("lookp", json!({"mmdb_filenme": CITY})),
            "unknown_action",
            vec!["did you mean \"lookup\""],
        ),
        (
            request("Lookup All Related IP", json!({"db_dri": 1})),
            "unknown_action",
            vec!["did you mean \"lookup_all_related_ips\""],
        ),
    ];
    for (req, code, words) in rows {
        let run = plugin(&req);
        assert_fails(&run, code, &req.to_string());
        let message = run.json["errors"][0]["message"].as_str().unwrap();
        for word in &words {
            assert!(message.contains(word), "{word:?} in {message}");
        }
        assert!(
            !message.contains("--") && !message.contains("GeoIP.conf"),
            "no flag nor GeoIP.conf for the admin: {message}"
        );
        if words.contains(&"db_dir") {
            assert!(!message.contains("mmdb_filename"), "{message}");
        }
        let warnings = run.json["warnings"].to_string();
        assert_eq!(run.warning_codes(), ["unknown_config_key"], "{}", run.json);
        assert!(
            warnings.contains("did you mean \\\"mmdb_filename\\\"")
                || warnings.contains("did you mean \\\"db_dir\\\""),
            "{warnings}"
        );
    }
}
