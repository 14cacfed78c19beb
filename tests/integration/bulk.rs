//! Lookup All Related IPs through the binary: which IPs are taken from an attachment, what the
//! response says of each, and the description and map written for analysts.

use std::path::Path;

use serde_json::{Value, json};

use crate::fixtures::build_from_json;
use crate::harness::{Run, fixtures, plugin, root, run_in};

const DBS: [&str; 3] = [
    "GeoIP2-City-Fixture.mmdb",
    "GeoLite2-ASN-Fixture.mmdb",
    "GeoIP2-Anonymous-IP-Fixture.mmdb",
];

fn report_text() -> String {
    std::fs::read_to_string(fixtures().join("attachments/apt-report.txt")).unwrap()
}

fn bulk_request(object: Value, config: Value, params: Value) -> Value {
    let mut c = json!({"db_dir": "fixtures", "mmdb_filename": DBS});
    c.as_object_mut()
        .unwrap()
        .extend(config.as_object().unwrap().clone());
    json!({"action": "lookup_all_related_ips", "config": c, "object": object, "params": params})
}

fn attachment(content: Value) -> Value {
    let mut o = json!({
        "type": "attachment", "id": 9, "name": "apt-report.txt",
        "description": "<p>Existing text</p>",
        "related_indicators": [
            {"type": "IP Address", "value": "81.2.69.142"},
            {"type": "FQDN", "value": "x.example"},
            {"type": "IPv6 Address", "value": "2a02:ff80::1"},
            {"type": "IP Address", "value": "not-an-ip"}
        ]
    });
    o.as_object_mut()
        .unwrap()
        .extend(content.as_object().unwrap().clone());
    o
}

fn ips(run: &Run) -> Vec<String> {
    run.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap().to_owned())
        .collect()
}

fn result<'a>(run: &'a Run, ip: &str) -> &'a Value {
    run.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ip"] == ip)
        .unwrap_or_else(|| panic!("{ip} missing"))
}

#[test]
fn a_threat_report_gives_exactly_its_real_ips_once_each() {
    let run = plugin(&bulk_request(
        attachment(json!({"content": report_text()})),
        json!({}),
        json!({}),
    ));
    assert_eq!(run.code, 0, "{}", run.json);
    assert_eq!(
        run.json["status"], "partial",
        "one related value is not an IP"
    );
    assert_eq!(
        ips(&run),
        [
            "81.2.69.142",
            "2a02:ff80::1",
            "not-an-ip",
            "89.160.20.115",
            "216.160.83.60",
            "185.220.101.7",
            "1.128.0.9",
            "67.43.156.9",
            "202.196.224.5",
            "1.2.3.4",
            "2001:db8::1",
            "71.160.223.12",
            "10.0.0.5",
            "77.91.124.55",
            "149.101.100.3",
            "81.2.69.0",
        ]
    );
    assert_eq!(result(&run, "81.2.69.142")["source"], "both");
    assert_eq!(result(&run, "2a02:ff80::1")["source"], "both");
    assert_eq!(result(&run, "not-an-ip")["source"], "related");
    assert_eq!(result(&run, "not-an-ip")["error"]["code"], "invalid_ip");
    assert_eq!(result(&run, "89.160.20.115")["source"], "content");
    assert_eq!(
        result(&run, "81.2.69.0")["found_as_network"],
        "81.2.69.0/24"
    );
    assert_eq!(result(&run, "10.0.0.5")["error"]["code"], "reserved_ip");
    assert_eq!(result(&run, "2001:db8::1")["error"]["code"], "reserved_ip");
    assert_eq!(result(&run, "77.91.124.55")["error"]["code"], "not_found");
    let city = result(&run, "89.160.20.115")["attributes"].clone();
    assert!(crate::harness::attrs(&city).contains(&("City".into(), "Linköping".into())));

    let summary = &run.json["summary"];
    assert_eq!(summary["found"], 16);
    assert_eq!(summary["located"], 11);
    assert_eq!(summary["not_found"], 2);
    assert_eq!(summary["reserved"], 2);
    assert_eq!(summary["failed"], 1);
    assert_eq!(
        summary["by_country"][0],
        json!({"code": "GB", "name": "United Kingdom", "count": 1})
    );
    let asns: Vec<&str> = summary["by_asn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asn"].as_str().unwrap())
        .collect();
    assert_eq!(
        asns,
        ["20712", "3320", "29518", "209", "1221"],
        "most first, then first seen"
    );
    assert_eq!(
        summary["by_asn"][0]["count"], 2,
        "81.2.69.142 and 81.2.69.0"
    );

    assert_eq!(
        run.json["attributes"],
        json!([]),
        "an attachment gets indicators, not one IP's attributes"
    );
    let indicators: Vec<&str> = run.json["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(indicators, ["20712", "3320", "29518", "209", "1221"]);
    assert_eq!(run.error_codes(), ["invalid_ip"]);
}

#[test]
fn the_description_keeps_the_old_text_and_replaces_its_own_section_on_a_rerun() {
    let run = plugin(&bulk_request(
        attachment(json!({"content": report_text()})),
        json!({}),
        json!({}),
    ));
    let description = run.json["description"].as_str().unwrap().to_owned();
    assert!(description.starts_with("<p>Existing text</p>\n<!-- maxmind-geolocate:begin -->"));
    assert!(description.contains("<h3>MaxMind Geolocate: 16 IP addresses in apt-report.txt</h3>"));
    assert!(description.contains("<tr><td>89.160.20.115</td><td nowrap>SE Sweden</td><td>Östergötland County</td><td>Linköping</td><td>29518</td><td>Bredband2 AB</td><td nowrap>58.4167, 15.6167</td><td nowrap>± 76 km</td><td>"));
    assert!(
        description.contains("<td nowrap>51.0, 9.0</td><td nowrap>± 1000 km (approximate)</td>")
    );
    assert!(description.contains("Andrews &amp; Arnold Ltd"));
    assert!(description.contains("<th>Anonymizer</th>"));
    assert!(description.contains("77.91.124.55, 149.101.100.3"));
    assert!(description.contains("10.0.0.5 (private-use)"));
    assert!(description.contains("GeoIP2-City (built 2025-11-27)"));

    let mut again = attachment(json!({"content": "now only 216.160.83.60"}));
    again["description"] = json!(format!("{description}\n<p>Analyst note</p>"));
    let rerun = plugin(&bulk_request(again, json!({}), json!({})));
    let second = rerun.json["description"].as_str().unwrap();
    assert_eq!(second.matches("maxmind-geolocate:begin").count(), 1);
    assert!(second.starts_with("<p>Existing text</p>\n"));
    assert!(second.ends_with("<p>Analyst note</p>"));
    assert!(!second.contains("89.160.20.115") && second.contains("216.160.83.60"));

    let off = plugin(&bulk_request(
        attachment(json!({"content": "1.2.3.4"})),
        json!({}),
        json!({"apply_results_to_description": false}),
    ));
    assert_eq!(off.json.get("description"), None);
    assert_eq!(off.json["results"].as_array().unwrap().len(), 4);
}

#[test]
fn content_may_come_as_base64_or_a_file_inside_the_attachment_folder() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(report_text());
    let by_text = plugin(&bulk_request(
        attachment(json!({"content": report_text()})),
        json!({}),
        json!({}),
    ));
    let by_b64 = plugin(&bulk_request(
        attachment(json!({"content_base64": encoded})),
        json!({}),
        json!({}),
    ));
    let by_path = plugin(&bulk_request(
        attachment(json!({"path": "apt-report.txt"})),
        json!({"attachment_dir": "fixtures/attachments"}),
        json!({}),
    ));
    assert_eq!(ips(&by_b64), ips(&by_text));
    assert_eq!(ips(&by_path), ips(&by_text));
    let env_dir = fixtures().join("attachments");
    let body = bulk_request(
        attachment(json!({"path": "apt-report.txt"})),
        json!({}),
        json!({}),
    )
    .to_string();
    let by_env = run_in(
        &root(),
        &[],
        body.as_bytes(),
        &[("MAXMIND_ATTACHMENT_DIR", env_dir.to_str().unwrap())],
    );
    assert_eq!(ips(&by_env), ips(&by_text));
}

#[test]
fn utf16_and_binary_attachments_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "beacon to 89.160.20.115 and 216.160.83[.]60\r\n";
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.path().join("utf16.txt"), utf16).unwrap();
    let mut binary = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0];
    binary.extend_from_slice(b"\x00\x0089.160.20.115\x00\xff\xfe216.160.83.60\x00");
    std::fs::write(dir.path().join("implant.bin"), binary).unwrap();
    for name in ["utf16.txt", "implant.bin"] {
        let mut object = attachment(json!({"path": name}));
        object["related_indicators"] = json!([]);
        let run = plugin(&bulk_request(
            object,
            json!({"attachment_dir": dir.path()}),
            json!({}),
        ));
        assert_eq!(ips(&run), ["89.160.20.115", "216.160.83.60"], "{name}");
    }
}

#[test]
fn an_unreadable_or_oversized_attachment_is_an_error_that_keeps_the_related_results() {
    let dir = tempfile::tempdir().unwrap();
    let big = "5.6.7.8 ".repeat(200_000); // 1.6 MB
    std::fs::write(dir.path().join("big.log"), &big).unwrap();
    let config = json!({"attachment_dir": dir.path(), "max_attachment_mib": 1});
    for object in [
        attachment(json!({"path": "big.log"})),
        attachment(json!({"content": big})),
    ] {
        let run = plugin(&bulk_request(object, config.clone(), json!({})));
        assert_eq!(run.code, 1);
        assert_eq!(run.json["status"], "error");
        assert_eq!(run.error_codes()[0], "attachment_too_large");
        assert!(
            run.json["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("1 MiB")
        );
        assert_eq!(
            ips(&run),
            ["81.2.69.142", "2a02:ff80::1", "not-an-ip"],
            "related IPs are kept"
        );
        assert_eq!(
            run.json.get("description"),
            None,
            "no description from half the content"
        );
    }
    let missing = plugin(&bulk_request(
        attachment(json!({"path": "nope.txt"})),
        json!({"attachment_dir": dir.path()}),
        json!({}),
    ));
    assert_eq!(missing.error_codes()[0], "attachment_unreadable");
    let bad64 = plugin(&bulk_request(
        attachment(json!({"content_base64": "%%%"})),
        json!({}),
        json!({}),
    ));
    assert_eq!(bad64.error_codes()[0], "attachment_unreadable");
}

#[test]
fn attachment_paths_cannot_leave_the_attachment_folder() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "1.2.3.4").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("link.txt"),
    )
    .unwrap();
    let absolute = outside.path().join("secret.txt");
    for path in [
        "../secret.txt",
        absolute.to_str().unwrap(),
        "link.txt",
        "a\\b.txt",
        "x\u{0}.txt",
    ] {
        let run = plugin(&bulk_request(
            attachment(json!({"path": path})),
            json!({"attachment_dir": dir.path()}),
            json!({}),
        ));
        assert_eq!(run.code, 1, "{path:?}");
        assert_eq!(
            run.error_codes()[0],
            "config_invalid",
            "{path:?}: {}",
            run.json
        );
    }
}

#[test]
fn each_action_runs_only_on_its_own_objects() {
    let indicator =
        json!({"type": "indicator", "indicator_type": "IP Address", "value": "81.2.69.142"});
    let run = plugin(&bulk_request(indicator, json!({}), json!({})));
    assert_eq!(run.error_codes(), ["unsupported_object"]);
    assert_eq!(run.code, 1);
}

/// A database with `n` distinct located /32 networks, and their addresses.
fn located_database(dir: &Path, n: u32, city: &str) -> Vec<String> {
    let mut records = Vec::new();
    let mut ips = Vec::new();
    for i in 0..n {
        let ip = std::net::Ipv4Addr::from(0x0b00_0000 + i * 256);
        ips.push(ip.to_string());
        let lat = -60.0 + f64::from(i % 120) + 0.5;
        let lon = -170.0 + f64::from(i / 120) * 8.1;
        records.push(json!({ format!("{ip}/32"): {
            "city": {"names": {"en": city}},
            "country": {"iso_code": "ZZ", "names": {"en": "Testland"}},
            "subdivisions": [{"names": {"en": "\"><img src=x onerror=alert(1)>"}}],
            "location": {"latitude": lat, "longitude": lon}
        }}));
    }
    let source = json!({"metadata": {"database_type": "GeoIP2-City", "description": {"en": "generated"},
                                      "languages": ["en"], "ip_version": 6, "build_epoch": 1764201600},
                        "records": records});
    std::fs::write(
        dir.join("generated.mmdb"),
        build_from_json(&source.to_string()),
    )
    .unwrap();
    ips
}

#[test]
fn a_map_of_5000_located_ips_stays_within_mapbox_limits() {
    let dir = tempfile::tempdir().unwrap();
    let ips = located_database(dir.path(), 5000, "Gridtown");
    let object = json!({"type": "attachment", "name": "grid.txt", "content": ips.join("\n")});
    let config = json!({"db_dir": dir.path(), "mmdb_filename": "generated.mmdb", "use_mapbox": true,
                        "mapbox_api_key": "pk.eyJ1IjoiYW5hbHlzdCJ9.TESTTOKEN123"});
    let run =
        plugin(&json!({"action": "lookup_all_related_ips", "config": config, "object": object}));
    assert_eq!(run.json["summary"]["located"], 5000);
    let url = run.json["map_url"].as_str().unwrap();
    assert!(url.starts_with("https://api.mapbox.com/styles/v1/mapbox/streets-v12/static/pin-s"));
    assert!(url.ends_with("/auto/600x400?access_token=pk.eyJ1IjoiYW5hbHlzdCJ9.TESTTOKEN123"));
    assert!(url.len() <= 2083, "{}", url.len());
    let pins = url.matches("pin-s").count();
    assert!((50..=100).contains(&pins), "{pins} pins");
    assert_eq!(run.warning_codes(), ["map_truncated"]);
    let description = run.json["description"].as_str().unwrap();
    assert!(description.contains(&format!("<img src=\"{}\"", url.replace('&', "&amp;"))));
    assert!(description.contains(&format!(
        "{} located IPs at other locations are left off",
        5000 - pins
    )));
}

#[test]
fn a_secret_mapbox_token_is_refused_and_never_echoed() {
    let config = json!({"use_mapbox": true, "mapbox_api_key": "sk.eyJ1IjoiYSJ9.SECRETVALUE"});
    let run = plugin(&bulk_request(
        attachment(json!({"content": "1.2.3.4"})),
        config,
        json!({}),
    ));
    assert_eq!(run.error_codes(), ["config_invalid"]);
    assert!(
        run.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pk.")
    );
    assert!(!run.json.to_string().contains("SECRETVALUE") && !run.stderr.contains("SECRETVALUE"));
}

#[test]
fn markup_from_records_names_and_values_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let ips = located_database(dir.path(), 2, "<script>alert('city')</script>");
    let object = json!({"type": "attachment", "name": "<img src=x onerror=alert(2)>.txt",
                        "related_indicators": [{"type": "IP Address", "value": "<script>alert(3)</script>"}],
                        "content": ips.join(" ")});
    let config = json!({"db_dir": dir.path(), "mmdb_filename": "generated.mmdb"});
    let run =
        plugin(&json!({"action": "lookup_all_related_ips", "config": config, "object": object}));
    let description = run.json["description"].as_str().unwrap();
    for raw in ["<script", "<img src=x", "onerror=alert(1)>"] {
        assert!(
            !description.contains(raw),
            "{raw} reached the HTML: {description}"
        );
    }
    assert!(description.contains("&lt;script&gt;alert(&#39;city&#39;)&lt;/script&gt;"));
    assert!(description.contains("&lt;img src=x onerror=alert(2)&gt;.txt"));
    assert!(description.contains("&lt;script&gt;alert(3)&lt;/script&gt;"));
}

#[test]
fn a_100000_ip_attachment_answers_every_ip() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..100_000u32 {
        let ip =
            std::net::Ipv4Addr::from(0x5000_0000 + i.wrapping_mul(2_654_435_761) % 0x2000_0000);
        text.push_str(&format!("{ip} "));
        if i % 8 == 7 {
            text.push('\n');
        }
    }
    let distinct: std::collections::HashSet<&str> = text.split_whitespace().collect();
    std::fs::write(dir.path().join("big.txt"), &text).unwrap();
    let object = json!({"type": "attachment", "name": "big.txt", "path": "big.txt"});
    let config = json!({"db_dir": fixtures(), "mmdb_filename": DBS, "attachment_dir": dir.path()});
    let run =
        plugin(&json!({"action": "lookup_all_related_ips", "config": config, "object": object}));
    assert_eq!(run.code, 0);
    assert_eq!(
        run.json["results"].as_array().unwrap().len(),
        distinct.len()
    );
    assert_eq!(run.json["summary"]["found"], distinct.len());
    let s = &run.json["summary"];
    let total = ["located", "not_found", "reserved", "failed"]
        .iter()
        .map(|k| s[*k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(total as usize, distinct.len(), "every IP is counted once");
    assert!(run.json["description"].as_str().unwrap().len() > 1_000_000);
}

#[test]
fn the_extract_command_prints_each_address_once() {
    let report = fixtures().join("attachments/apt-report.txt");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(["extract", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 15);
    assert_eq!(lines.first().map(String::as_str), Some("81.2.69.142"));
    assert!(lines.contains(&"2001:db8::1".to_owned()));
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(["extract", "/nonexistent/file"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot be read"));
}

#[test]
fn the_threat_report_against_maxmind_test_databases() {
    let data = crate::harness::maxmind_test_data();
    let config = json!({"db_dir": data.join("test-data"),
                        "mmdb_filename": ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"]});
    let mut c = bulk_request(
        attachment(json!({"content": report_text()})),
        json!({}),
        json!({}),
    );
    c["config"] = config;
    let run = plugin(&c);
    assert_eq!(run.json["summary"]["found"], 16);
    let london = result(&run, "81.2.69.142");
    assert!(
        crate::harness::attrs(&london["attributes"]).contains(&("City".into(), "London".into()))
    );
    assert!(
        london["data"]["traits"].get("is_anonymous").is_some(),
        "{}",
        london["data"]
    );
    let description = run.json["description"].as_str().unwrap();
    assert!(description.contains(
        "<td>81.2.69.142</td><td nowrap>GB United Kingdom</td><td>England</td><td>London</td>"
    ));
}

#[test]
fn the_run_parameter_reads_as_platforms_send_it() {
    for (value, applied) in [
        (json!("false"), false),
        (json!("true"), true),
        (json!(0), false),
        (Value::Null, true),
    ] {
        let params = json!({"apply_results_to_description": value});
        let run = plugin(&bulk_request(
            attachment(json!({"content": "1.2.3.4"})),
            json!({}),
            params,
        ));
        assert_eq!(run.json.get("description").is_some(), applied, "{value}");
    }
    let run = plugin(&bulk_request(
        attachment(json!({"content": "1.2.3.4"})),
        json!({}),
        json!({"apply_results_to_description": "maybe", "colour": 1}),
    ));
    assert_eq!(run.error_codes(), ["invalid_request"]);
    let run = plugin(&bulk_request(
        attachment(json!({"content": "1.2.3.4"})),
        json!({}),
        json!({"colour": 1}),
    ));
    assert_eq!(run.warning_codes(), ["unknown_param"]);
}
