//! The analyst's command line, through the binary: every command, every output format, and the
//! precedence of settings (flags > request config > environment > GeoIP.conf).

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::fake_maxmind::{ACCOUNT, FakeMaxMind, KEY, Options};
use crate::harness::{Output, cli, fixtures, maxmind_test_data, measured, root, run_in};

const CITY: &str = "fixtures/GeoIP2-City-Fixture.mmdb";
const ASN: &str = "fixtures/GeoLite2-ASN-Fixture.mmdb";

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn lines(out: &Output) -> Vec<&str> {
    out.stdout.lines().collect()
}

// ---- lookup ----------------------------------------------------------------------------------

#[test]
fn lookup_takes_ips_as_arguments_and_from_stdin() {
    let args = cli(
        &["lookup", "81.2.69.142", "-", "--db", CITY],
        b"2.125.160.216\n\n89.160.20.115\n",
        &[],
    );
    assert_eq!(args.code, 0, "{}", args.stderr);
    let json = json_of(&args);
    let ips: Vec<&str> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["81.2.69.142", "2.125.160.216", "89.160.20.115"]);
}

#[test]
fn lookup_reads_a_piped_list_without_arguments_skipping_comments() {
    let list = b"# seen in the phishing wave\n81.2.69.142\n\n  # and its twin\n2.125.160.216\n";
    let out = cli(
        &["lookup", "--db", CITY, "--format", "csv", "--field", "ip"],
        list,
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(lines(&out), ["ip", "81.2.69.142", "2.125.160.216"]);
    let nothing = cli(&["lookup", "--db", CITY], b"\n# only a comment\n", &[]);
    assert_eq!(nothing.code, 2, "no address at all is a usage error");
    assert!(nothing.stderr.contains("no IP address given"));
}

#[test]
fn a_cidr_lists_every_network_with_a_record_inside_it() {
    let data = maxmind_test_data();
    let db = data.join("test-data/GeoIP2-City-Test.mmdb");
    let db = db.to_str().unwrap();
    // The oracle: the networks MaxMind built the test database from (IPv4 written as ::a.b.c.d).
    let source: Vec<Value> = serde_json::from_slice(
        &std::fs::read(data.join("source-data/GeoIP2-City-Test.json")).unwrap(),
    )
    .unwrap();
    let query: IpNet = "81.2.69.0/24".parse().unwrap();
    let mut expected: Vec<(String, String)> = source
        .iter()
        .filter_map(|entry| {
            let (key, record) = entry.as_object()?.iter().next()?;
            let v4 = key.strip_prefix("::")?;
            let (addr, len) = v4.split_once('/')?;
            let net = IpNet::new(addr.parse().ok()?, len.parse::<u8>().ok()? - 96).ok()?;
            query.contains(&net).then(|| {
                (
                    net.to_string(),
                    record["city"]["names"]["en"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 4, "the oracle finds the test networks");

    let out = cli(
        &[
            "lookup",
            "81.2.69.0/24",
            "--db",
            db,
            "--format",
            "csv",
            "--field",
            "network,city,found_as_network",
        ],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = lines(&out);
    assert_eq!(rows[0], "network,city,found_as_network");
    let mut got: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r.split(',').collect();
            assert_eq!(cells[2], "81.2.69.0/24");
            (cells[0].to_owned(), cells[1].to_owned())
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);

    // A network inside one record's network is that record, for its own first address.
    let inside = cli(
        &[
            "lookup",
            "81.2.69.150/32",
            "81.2.69.160/28",
            "--db",
            db,
            "--format",
            "csv",
            "--field",
            "ip,network,city",
        ],
        b"",
        &[],
    );
    assert_eq!(
        lines(&inside),
        [
            "ip,network,city",
            "81.2.69.150,81.2.69.144/28,London",
            "81.2.69.160,81.2.69.160/27,London"
        ]
    );

    let capped = cli(
        &["lookup", "81.2.69.0/24", "--db", db, "--max-networks", "2"],
        b"",
        &[],
    );
    let json = json_of(&capped);
    assert_eq!(json["results"].as_array().unwrap().len(), 2);
    assert!(json["warnings"].to_string().contains("within_truncated"));
}

/// `found_in` is a field: where in an archive or document a bulk's address was first found.
#[test]
fn found_in_is_a_field_of_bulk() {
    let out = cli(
        &[
            "bulk",
            "fixtures/documents/logs.zip",
            "--db",
            CITY,
            "--max-db-age",
            "0",
            "-f",
            "csv",
            "--field",
            "ip,found_in",
        ],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        lines(&out).contains(&"81.2.69.142,logs.zip/fw/deny.log"),
        "{}",
        out.stdout
    );
}

/// With several databases, a CIDR lists the networks of all of them (a City /26 inside an ASN
/// /24), whatever the order the databases are given in.
#[test]
fn a_cidr_lists_the_networks_of_every_database() {
    let run = |dbs: [&str; 2]| {
        let out = cli(
            &[
                "lookup",
                "81.2.69.0/24",
                "--db",
                dbs[0],
                "--db",
                dbs[1],
                "--max-db-age",
                "0",
                "-f",
                "csv",
                "--field",
                "ip,network,city,asn",
            ],
            b"",
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let city_first = run([CITY, ASN]);
    assert!(
        city_first.iter().any(|r| r.ends_with(",London,20712")),
        "the City database's networks: {city_first:?}"
    );
    assert!(
        city_first
            .iter()
            .any(|r| r.starts_with("81.2.69.0,") && r.ends_with(",20712")),
        "the ASN database's network: {city_first:?}"
    );
    assert_eq!(
        run([ASN, CITY]),
        city_first,
        "the order of --db changes nothing"
    );
}

#[test]
fn fields_pick_attributes_and_record_paths_in_every_format() {
    let fields = "ip,city,country_code,asn,location.accuracy_radius,error";
    let base = [
        "lookup",
        "81.2.69.142",
        "2.125.160.216",
        "10.0.0.1",
        "--db",
        CITY,
        "--db",
        ASN,
        "--field",
        fields,
    ];

    let csv = cli(&[&base[..], &["--format", "csv"]].concat(), b"", &[]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(
        lines(&csv),
        [
            "ip,city,country_code,asn,location.accuracy_radius,error",
            "81.2.69.142,London,GB,20712,10,",
            "2.125.160.216,Boxford,GB,,100,",
            "10.0.0.1,,,,,reserved_ip",
        ]
    );

    let ndjson = cli(&[&base[..], &["--format", "ndjson"]].concat(), b"", &[]);
    let objects: Vec<Value> = lines(&ndjson)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["city"], "London");
    assert_eq!(objects[0]["country_code"], "GB");
    assert_eq!(
        objects[0]["location.accuracy_radius"], 10,
        "a record path keeps its JSON type"
    );
    assert_eq!(objects[2]["error"], "reserved_ip");

    let array = cli(&[&base[..], &["--format", "json"]].concat(), b"", &[]);
    assert_eq!(json_of(&array), Value::Array(objects));
    assert!(
        lines(&ndjson)[0].starts_with("{\"ip\":\"81.2.69.142\",\"city\":"),
        "keys keep the order asked: {}",
        lines(&ndjson)[0]
    );
}

#[test]
fn ndjson_without_fields_is_one_whole_result_a_line() {
    let out = cli(
        &[
            "lookup",
            "81.2.69.142",
            "89.160.20.115",
            "--db",
            CITY,
            "--format",
            "ndjson",
        ],
        b"",
        &[],
    );
    let results: Vec<Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let whole = json_of(&cli(
        &["lookup", "81.2.69.142", "89.160.20.115", "--db", CITY],
        b"",
        &[],
    ));
    assert_eq!(Value::Array(results), whole["results"]);
}

#[test]
fn csv_has_the_same_columns_whatever_the_data() {
    let header = |ip: &str| {
        lines(&cli(
            &["lookup", ip, "--db", CITY, "--format", "csv"],
            b"",
            &[],
        ))[0]
            .to_owned()
    };
    let located = header("81.2.69.142");
    assert_eq!(located, header("10.0.0.1"));
    assert!(located.starts_with("ip,network,postal_code,city,subdivision,country,country_code,"));
    assert!(located.ends_with(",isp,organization,error"));
}

#[test]
fn a_table_is_aligned_and_coloured_only_where_colour_belongs() {
    let args = [
        "lookup",
        "81.2.69.142",
        "2.125.160.216",
        "10.0.0.1",
        "--db",
        CITY,
        "--format",
        "table",
    ];
    let plain = cli(&args, b"", &[]);
    assert_eq!(plain.code, 0);
    assert!(!plain.stdout.contains('\u{1b}'), "no colour into a pipe");
    let rows = lines(&plain);
    let col = |row: &str, name: &str| {
        rows[0]
            .find(name)
            .map(|i| row[i..].split("  ").next().unwrap().trim().to_owned())
    };
    assert_eq!(col(rows[1], "city").as_deref(), Some("London"));
    assert_eq!(col(rows[2], "city").as_deref(), Some("Boxford"));
    assert_eq!(col(rows[3], "error").as_deref(), Some("reserved_ip"));
    assert!(
        !rows[0].contains("isp"),
        "a table leaves out the columns no result has"
    );

    let forced = cli(&args, b"", &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains("\u{1b}["), "colour when forced");
    let no_color = cli(&args, b"", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins");
    assert_eq!(no_color.stdout, plain.stdout);
}

#[test]
fn exit_codes_say_success_partial_failure_and_usage() {
    let ok = cli(&["lookup", "81.2.69.142", "--db", CITY], b"", &[]);
    assert_eq!(ok.code, 0);
    let partial = cli(
        &["lookup", "81.2.69.142", "not-an-ip", "--db", CITY],
        b"",
        &[],
    );
    assert_eq!(partial.code, 0, "partial is 0");
    assert_eq!(json_of(&partial)["status"], "partial");
    assert!(
        partial.stderr.contains("partial result: 1 of 2 IPs failed"),
        "{}",
        partial.stderr
    );
    let failed = cli(&["lookup", "not-an-ip", "--db", CITY], b"", &[]);
    assert_eq!(failed.code, 1);
    let missing = cli(
        &["lookup", "81.2.69.142", "--db", "fixtures/none.mmdb"],
        b"",
        &[],
    );
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("[db_not_found]"));
    let as_table = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            "fixtures/none.mmdb",
            "--format",
            "table",
        ],
        b"",
        &[],
    );
    assert_eq!(
        (as_table.code, as_table.stdout.as_str()),
        (1, ""),
        "no table without rows"
    );
    assert!(as_table.stderr.contains("[db_not_found]"));
    let usage = cli(&["lookup", "81.2.69.142", "--format", "yaml"], b"", &[]);
    assert_eq!(usage.code, 2);
}

#[test]
fn lookup_asks_the_web_service_with_web() {
    let fake = FakeMaxMind::start(Options::default());
    let url = fake.url();
    let web = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--web",
            "--web-url",
            &url,
            "--account-id",
            ACCOUNT,
            "--format",
            "csv",
        ],
        b"",
        &[("MAXMIND_LICENSE_KEY", KEY)],
    );
    assert_eq!(web.code, 0, "{}", web.stderr);
    let files = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            CITY,
            "--db",
            ASN,
            "--format",
            "csv",
        ],
        b"",
        &[],
    );
    assert_eq!(
        web.stdout, files.stdout,
        "the same row as the same record from files"
    );
    assert_eq!(fake.queries_for("81.2.69.142"), 1);

    let within = cli(
        &[
            "lookup",
            "81.2.69.0/24",
            "--web",
            "--web-url",
            &url,
            "--account-id",
            ACCOUNT,
        ],
        b"",
        &[("MAXMIND_LICENSE_KEY", KEY)],
    );
    assert_eq!(within.code, 1);
    assert_eq!(json_of(&within)["errors"][0]["code"], "within_unsupported");
}

// ---- bulk ------------------------------------------------------------------------------------

#[test]
fn bulk_runs_lookup_all_related_ips_on_a_file_and_writes_the_description() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("out.html");
    let report = fixtures().join("attachments/apt-report.txt");
    let out = cli(
        &[
            "bulk",
            report.to_str().unwrap(),
            "--db",
            CITY,
            "--db",
            ASN,
            "--description",
            html.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = json_of(&out);
    // The same action as the platform's, on the same content.
    let request = json!({"action": "lookup_all_related_ips",
        "config": {"db_dir": "fixtures", "mmdb_filename": ["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"],
                   "attachment_dir": "fixtures/attachments"},
        "object": {"type": "attachment", "name": "apt-report.txt", "path": "apt-report.txt"}});
    let plugin = run_in(&root(), &[], request.to_string().as_bytes(), &[]);
    assert_eq!(json["summary"], plugin.json["summary"]);
    // The same results (messages name the files as each was given).
    let outcome = |v: &Value| -> Vec<Value> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!([
                    r["ip"],
                    r["source"],
                    r["network"],
                    r["attributes"],
                    r["indicators"],
                    r["data"],
                    r["error"]["code"]
                ])
            })
            .collect()
    };
    assert_eq!(outcome(&json), outcome(&plugin.json));
    let written = std::fs::read_to_string(&html).unwrap();
    assert_eq!(Some(written.as_str()), plugin.json["description"].as_str());
    assert!(written.contains("<!-- maxmind-geolocate:begin -->"));

    let stdin = cli(
        &[
            "bulk",
            "-",
            "--db",
            CITY,
            "--format",
            "csv",
            "--field",
            "ip,source,country_code",
        ],
        &std::fs::read(&report).unwrap(),
        &[],
    );
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(
        lines(&stdin).len(),
        1 + json["results"].as_array().unwrap().len()
    );
    assert!(
        lines(&stdin)[1..]
            .iter()
            .all(|l| l.split(',').nth(1) == Some("content"))
    );
    let found = json["summary"]["found"].as_u64().unwrap();
    assert!(
        stdin.stderr.contains(&format!("{found} IPs: ")),
        "the summary goes to stderr: {}",
        stdin.stderr
    );
}

#[test]
fn bulk_of_a_missing_file_is_attachment_unreadable() {
    let out = cli(
        &["bulk", "fixtures/attachments/none.txt", "--db", CITY],
        b"",
        &[],
    );
    assert_eq!(out.code, 1);
    assert_eq!(json_of(&out)["errors"][0]["code"], "attachment_unreadable");

    // A folder is named, and said to be one.
    let out = cli(&["bulk", "fixtures/documents", "--db", CITY], b"", &[]);
    assert_eq!(out.code, 1);
    let error = &json_of(&out)["errors"][0];
    assert_eq!(error["code"], "attachment_unreadable");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("fixtures/documents: is a folder"),
        "{error}"
    );
}

/// Runs `args` on a terminal (`script` gives it one), stdout into `stdout_to` when given;
/// returns what the terminal showed, and checks the command succeeded.
fn on_a_terminal(
    args: &[&str],
    env: &[(&str, &str)],
    stdout_to: Option<&std::path::Path>,
) -> String {
    let mut command = binary_with(args);
    if let Some(file) = stdout_to {
        command.push_str(&format!(" > '{}'", file.display()));
    }
    let (shown, code) = terminal(&command, env);
    assert_eq!(code, 0, "{shown}");
    shown
}

/// The binary and `args`, quoted for `sh`.
fn binary_with(args: &[&str]) -> String {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    format!(
        "{} {}",
        env!("CARGO_BIN_EXE_maxmind-geolocate"),
        quoted.join(" ")
    )
}

/// Runs the `sh` command line `command` on a terminal of its own (`script`; stdin, stdout and
/// stderr are the terminal unless it redirects them) in the project's root with `env` added;
/// returns what the terminal showed (`\r\n` read as `\n`) and the exit code.
fn terminal(command: &str, env: &[(&str, &str)]) -> (String, i32) {
    crate::shapes::need("script");
    let own_cache = tempfile::tempdir().unwrap();
    let tty = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(root())
        .env(
            crate::harness::CACHE_VAR,
            own_cache.path().join("web-cache.sqlite3"),
        )
        .env("GEOIPUPDATE_CONF_FILE", "")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout).replace("\r\n", "\n");
    (shown, tty.status.code().unwrap_or(-1))
}

/// `text` without its ANSI colour sequences.
fn without_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A file of `n` distinct public IPv4 addresses, one a line.
fn ip_file(dir: &std::path::Path, n: u32) -> std::path::PathBuf {
    let file = dir.join("ips.txt");
    let ips: String = (0..n)
        .map(|i| format!("{}\n", std::net::Ipv4Addr::from(0x5100_0000 + i * 13)))
        .collect();
    std::fs::write(&file, ips).unwrap();
    file
}

#[test]
fn a_progress_bar_shows_only_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = ip_file(dir.path(), 20_000);
    let args = [
        "bulk",
        file.to_str().unwrap(),
        "--db",
        CITY,
        "--format",
        "csv",
    ];
    let piped = cli(&args, b"", &[]);
    assert_eq!(piped.code, 0);
    assert!(
        !piped.stderr.contains("looking up"),
        "no bar into a pipe: {}",
        piped.stderr
    );
    let out = dir.path().join("stdout");
    let terminal = on_a_terminal(&args, &[], Some(&out));
    let stdout = std::fs::read_to_string(out).unwrap();
    assert!(
        terminal.contains("looking up"),
        "a bar on the terminal: {terminal:?}"
    );
    assert!(terminal.contains("/20000 IPs"), "{terminal:?}");
    assert_eq!(stdout, piped.stdout, "the bar never reaches stdout");
}

#[test]
fn json_is_indented_for_a_terminal_and_compact_into_a_pipe() {
    let args = ["lookup", "81.2.69.142", "--db", CITY, "--format", "json"];
    let piped = cli(&args, b"", &[]);
    assert_eq!(piped.stdout.lines().count(), 1, "one line into a pipe");
    let shown = on_a_terminal(&args, &[], None);
    assert!(shown.contains("\n  \"status\": \"success\""), "{shown}");
}

#[test]
fn a_web_bulk_shows_its_progress_too() {
    let fake = FakeMaxMind::start(Options::default());
    let url = fake.url();
    let dir = tempfile::tempdir().unwrap();
    let file = ip_file(dir.path(), 2_500);
    let args = [
        "bulk",
        file.to_str().unwrap(),
        "--web",
        "--web-url",
        &url,
        "--account-id",
        ACCOUNT,
        "--format",
        "csv",
        "--field",
        "ip",
    ];
    let out = dir.path().join("stdout");
    let terminal = on_a_terminal(&args, &[("MAXMIND_LICENSE_KEY", KEY)], Some(&out));
    let stdout = std::fs::read_to_string(out).unwrap();
    assert!(terminal.contains("/2500 IPs"), "{terminal:?}");
    assert_eq!(stdout.lines().count(), 2_501);
    assert!(!terminal.contains(KEY));
}

// ---- extract ---------------------------------------------------------------------------------

#[test]
fn extract_with_source_tells_line_column_and_the_text_as_written() {
    let text = "seen 1.2.3[.]4 and\nthen 10.0.0.0/8, 5.6.7.8.\n  2001:db8::1 hxxp://8(.)8(.)8(.)8/x 1.2.3.4\n";
    let out = cli(&["extract", "-", "--with-source"], text.as_bytes(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        lines(&out),
        [
            "1.2.3.4\tstdin\t1:6\t1.2.3[.]4",
            "10.0.0.0\tstdin\t2:6\t10.0.0.0/8",
            "5.6.7.8\tstdin\t2:18\t5.6.7.8",
            "2001:db8::1\tstdin\t3:3\t2001:db8::1",
            "8.8.8.8\tstdin\t3:22\t8(.)8(.)8(.)8",
            "1.2.3.4\tstdin\t3:38\t1.2.3.4",
        ]
    );
    // Every location points at the text as written.
    let text_lines: Vec<&str> = text.lines().collect();
    for row in lines(&out) {
        let cells: Vec<&str> = row.split('\t').collect();
        let (line, column) = cells[2].split_once(':').unwrap();
        let at =
            &text_lines[line.parse::<usize>().unwrap() - 1][column.parse::<usize>().unwrap() - 1..];
        assert!(at.starts_with(cells[3]), "{row}");
    }
    let plain = cli(&["extract", "-"], text.as_bytes(), &[]);
    assert_eq!(
        lines(&plain),
        ["1.2.3.4", "10.0.0.0", "5.6.7.8", "2001:db8::1", "8.8.8.8"]
    );
}

#[test]
fn extract_with_source_counts_lines_across_read_chunks() {
    // Far more than one 256 KiB read, addresses spread through it.
    let mut text = String::new();
    let mut expected = Vec::new();
    for line in 1..=40_000u32 {
        if line % 997 == 0 {
            let ip = std::net::Ipv4Addr::from(0x0b00_0000 + line);
            text.push_str(&format!("padding words {ip} end\n"));
            expected.push(format!("{ip}\tstdin\t{line}:15\t{ip}"));
        } else {
            text.push_str("nothing to see on this line at all\n");
        }
    }
    let out = cli(&["extract", "-", "--with-source"], text.as_bytes(), &[]);
    assert_eq!(lines(&out), expected);
}

// ---- db info / db verify ---------------------------------------------------------------------

#[test]
fn db_info_tells_what_each_file_is() {
    let data = maxmind_test_data();
    let city = data.join("test-data/GeoIP2-City-Test.mmdb");
    let out = cli(&["db", "info", city.to_str().unwrap(), ASN], b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let info = json_of(&out);
    let c = &info[0];
    assert_eq!(c["database_type"], "GeoIP2-City");
    assert_eq!(c["ip_version"], 6);
    assert_eq!(c["record_size"], 28);
    assert_eq!(c["binary_format"], "2.0");
    assert_eq!(c["languages"], json!(["en", "zh"]));
    assert!(
        c["description"]["en"]
            .as_str()
            .unwrap()
            .contains("GeoIP2 City Test Database")
    );
    // The search tree fits in the file: node_count × 2 records × record_size bits.
    let tree = c["node_count"].as_u64().unwrap() * 2 * 28 / 8;
    assert!(tree > 0 && tree < c["size"].as_u64().unwrap());
    let epoch = c["build_epoch"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(c["age_days"].as_u64().unwrap(), (now - epoch) / 86_400);
    assert_eq!(info[1]["database_type"], "GeoLite2-ASN");

    let table = cli(
        &["db", "info", ASN, "fixtures/none.mmdb", "--format", "table"],
        b"",
        &[],
    );
    assert_eq!(table.code, 1, "a missing file fails the command");
    assert!(
        table.stdout.contains("  type         GeoLite2-ASN\n"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("[db_not_found]"));
}

#[test]
fn db_verify_passes_every_good_database_and_fails_corrupt_ones() {
    let data = maxmind_test_data();
    let good: Vec<String> = std::fs::read_dir(data.join("test-data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".mmdb")
                && name.contains("GeoIP2-")
                && !name.contains("Broken")
                && !name.contains("Invalid")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(good.len() > 10);
    let mut args = vec!["db", "verify"];
    args.extend(good.iter().map(String::as_str));
    let out = cli(&args, b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.matches(": ok (").count(), good.len());

    for bad in [
        "bad-data/maxminddb-golang/cyclic-data-structure.mmdb",
        "bad-data/libmaxminddb/libmaxminddb-corrupt-search-tree.mmdb",
        "bad-data/maxminddb-golang/invalid-data-record-offset.mmdb",
        "test-data/GeoIP2-City-Test-Broken-Double-Format.mmdb",
        "test-data/GeoIP2-City-Test-Invalid-Node-Count.mmdb",
    ] {
        let path = data.join(bad);
        let out = cli(&["db", "verify", path.to_str().unwrap()], b"", &[]);
        assert_eq!(out.code, 1, "{bad}: {}", out.stdout);
        assert!(out.stderr.contains("[db_invalid]"), "{bad}: {}", out.stderr);
    }
}

/// `--field`: a name without a dot is a field, an attribute or a record's top-level key; with a
/// dot, a record path whose first key is a record's (or anything after `data.`). Anything else
/// is a usage error naming the closest field.
#[test]
fn an_unknown_field_is_a_usage_error_with_a_suggestion() {
    let rows = [
        ("ip,cty", Some("did you mean \"city\"")),
        ("countrycode", Some("did you mean \"country_code\"")),
        (
            "locaton.accuracy_radius",
            Some("did you mean \"location.accuracy_radius\""),
        ),
        ("zzz", None),
    ];
    for (fields, suggestion) in rows {
        for command in ["lookup", "bulk"] {
            let target = if command == "lookup" {
                "81.2.69.142"
            } else {
                "-"
            };
            let out = cli(
                &[
                    command, target, "--db", CITY, "--format", "csv", "--field", fields,
                ],
                b"81.2.69.142",
                &[],
            );
            assert_eq!(out.code, 2, "{command} --field {fields}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{}", out.stdout);
            assert!(out.stderr.contains("unknown field"), "{}", out.stderr);
            if let Some(s) = suggestion {
                assert!(out.stderr.contains(s), "{s}: {}", out.stderr);
            }
        }
    }
    let fine = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            CITY,
            "--format",
            "csv",
            "--field",
            "ip,Country Code,location.accuracy_radius,traits,data.city.geoname_id",
        ],
        b"",
        &[],
    );
    assert_eq!(fine.code, 0, "{}", fine.stderr);
    let header = lines(&fine)[0];
    assert_eq!(
        header,
        "ip,country_code,location.accuracy_radius,traits,data.city.geoname_id"
    );
    assert!(lines(&fine)[1].ends_with(",2643743"), "{}", fine.stdout);
}

/// `--db NAME --db-dir DIR` opens DIR/NAME; `--db-dir` alone lists what DIR holds; a file not
/// found is named by the full path looked for.
#[test]
fn db_names_are_looked_up_in_db_dir_and_not_found_says_where() {
    let both = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            "GeoIP2-City-Fixture.mmdb",
            "--db-dir",
            "fixtures",
            "--max-db-age",
            "0",
            "--format",
            "csv",
            "--field",
            "ip,city",
        ],
        b"",
        &[],
    );
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert_eq!(lines(&both), ["ip,city", "81.2.69.142,London"]);

    let alone = cli(&["lookup", "81.2.69.142", "--db-dir", "fixtures"], b"", &[]);
    assert_eq!(alone.code, 1);
    assert!(
        alone.stderr.contains("GeoLite2-ASN-Fixture.mmdb")
            && alone.stderr.contains("--db GeoIP2-City-Fixture.mmdb"),
        "says what the folder holds and what to give: {}",
        alone.stderr
    );

    let full = root().join("fixtures").join("nope.mmdb");
    for args in [
        &["--db", "nope.mmdb", "--db-dir", "fixtures"][..],
        &["--db", "fixtures/nope.mmdb"][..],
    ] {
        let missing = cli(&[&["lookup", "81.2.69.142"][..], args].concat(), b"", &[]);
        assert_eq!(missing.code, 1);
        assert!(
            missing.stderr.contains("[db_not_found]"),
            "{}",
            missing.stderr
        );
        assert!(
            missing
                .stderr
                .contains(&format!("looked for {}", full.display())),
            "{args:?}: {}",
            missing.stderr
        );
    }
}

// ---- run --ndjson ----------------------------------------------------------------------------

fn lookup_line(ip: &str, config: &Value) -> String {
    json!({"action": "lookup", "config": config,
           "object": {"type": "indicator", "indicator_type": "IP Address", "value": ip}})
    .to_string()
}

#[test]
fn run_ndjson_answers_each_line_in_order_and_keeps_going_after_a_bad_one() {
    let config = json!({"db_dir": "fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb"});
    let input = [
        lookup_line("81.2.69.142", &config),
        String::new(),
        "{not json".to_owned(),
        lookup_line("2.125.160.216", &config),
    ]
    .join("\n");
    let out = cli(&["run", "--ndjson"], input.as_bytes(), &[]);
    assert_eq!(out.code, 1, "a failed action makes the exit code 1");
    let responses: Vec<Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        responses.len(),
        3,
        "one response per request; the blank line is skipped"
    );
    assert_eq!(responses[0]["results"][0]["ip"], "81.2.69.142");
    assert_eq!(responses[1]["errors"][0]["code"], "invalid_request");
    let message = responses[1]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("line 3 of the stream: invalid request: "),
        "the error names the stream's line (the blank line counts): {message}"
    );
    assert_eq!(responses[2]["results"][0]["ip"], "2.125.160.216");
    assert_eq!(responses[2]["status"], "success");
}

#[test]
fn run_ndjson_answers_an_overlong_line_and_goes_on() {
    let config = json!({"db_dir": "fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb"});
    let long = format!(
        "{{\"action\": \"lookup\", \"pad\": \"{}\"}}",
        "x".repeat(3 << 20)
    );
    let input = [long, lookup_line("81.2.69.142", &config)].join("\n");
    let out = cli(
        &["run", "--ndjson"],
        input.as_bytes(),
        &[("MAXMIND_GEOLOCATE_MAX_REQUEST_MIB", "1")],
    );
    let responses: Vec<Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0]["errors"][0]["code"], "request_too_large");
    assert_eq!(responses[1]["status"], "success");
    assert_eq!(out.code, 1);
}

#[test]
fn run_ndjson_answers_10000_requests_and_opens_each_database_once() {
    crate::shapes::need("strace");
    let config = json!({"db_dir": fixtures(), "mmdb_filename": ["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"]});
    let ips: Vec<String> = (0..10_000u32)
        .map(|i| std::net::Ipv4Addr::from(0x5100_0000 + i * 101).to_string())
        .collect();
    let input: String = ips
        .iter()
        .map(|ip| lookup_line(ip, &config) + "\n")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.txt");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "strace -f -e trace=open,openat,openat2 -o {} {} run --ndjson",
            trace.display(),
            env!("CARGO_BIN_EXE_maxmind-geolocate")
        ))
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(
            std::fs::File::open({
                let p = dir.path().join("in.ndjson");
                std::fs::write(&p, &input).unwrap();
                p
            })
            .unwrap(),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let answered: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answered.len(), 10_000);
    for (response, ip) in answered.iter().zip(&ips) {
        assert_eq!(response["results"][0]["ip"], ip.as_str());
        assert_ne!(response["status"], "error", "{response}");
    }
    let trace = std::fs::read_to_string(trace).unwrap();
    crate::shapes::assert_each_opened_once(&trace, "10,000 requests");
}

// ---- settings: flags > request config > environment > GeoIP.conf ------------------------------

fn country(run: &Value) -> Vec<String> {
    run["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "Country")
        .map(|a| a["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_flag_wins_over_the_request_config() {
    let request = json!({"action": "lookup",
        "config": {"db_dir": "fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb", "locale": "fr"},
        "object": {"type": "indicator", "value": "2.125.160.216"}});
    let french = run_in(&root(), &["run"], request.to_string().as_bytes(), &[]);
    assert_eq!(country(&french.json), ["Royaume-Uni"]);
    let german = run_in(
        &root(),
        &["run", "--locale", "de"],
        request.to_string().as_bytes(),
        &[],
    );
    assert_eq!(country(&german.json), ["Vereinigtes Königreich"]);
}

#[test]
fn the_request_config_wins_over_the_environment() {
    let request = json!({"action": "lookup",
        "config": {"db_dir": "fixtures", "mmdb_filename": "GeoIP2-City-Fixture.mmdb"},
        "object": {"type": "indicator", "value": "81.2.69.142"}});
    let run = run_in(
        &root(),
        &[],
        request.to_string().as_bytes(),
        &[("MAXMIND_DB_DIR", "/nonexistent")],
    );
    assert_eq!(run.json["status"], "success", "{}", run.json);
}

fn geoip_conf(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("GeoIP.conf");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn geoip_conf_gives_the_database_folder_and_editions() {
    let dir = tempfile::tempdir().unwrap();
    let conf = geoip_conf(
        dir.path(),
        &format!(
            "# as geoipupdate reads it\nAccountID 1\nLicenseKey x\nEditionIDs GeoIP2-City-Fixture GeoLite2-ASN-Fixture\nDatabaseDirectory {}\n",
            fixtures().display()
        ),
    );
    let out = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--geoip-conf",
            &conf,
            "--format",
            "csv",
            "--field",
            "city,asn_organization",
        ],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        lines(&out),
        ["city,asn_organization", "London,Andrews & Arnold Ltd"]
    );

    // The environment variable names the file as well as the flag does.
    let by_env = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--format",
            "csv",
            "--field",
            "city,asn_organization",
        ],
        b"",
        &[("GEOIPUPDATE_CONF_FILE", &conf)],
    );
    assert_eq!(by_env.stdout, out.stdout);

    // The environment wins over GeoIP.conf: MAXMIND_DB_DIR points elsewhere.
    let env_wins = cli(
        &["lookup", "81.2.69.142", "--geoip-conf", &conf],
        b"",
        &[("MAXMIND_DB_DIR", "/nonexistent")],
    );
    assert_eq!(env_wins.code, 1);
    assert!(
        env_wins.stderr.contains("[db_not_found]"),
        "{}",
        env_wins.stderr
    );
}

#[test]
fn credentials_come_from_flags_then_environment_then_geoip_conf() {
    let fake = FakeMaxMind::start(Options::default());
    let url = fake.url();
    let dir = tempfile::tempdir().unwrap();
    let good_conf = geoip_conf(
        dir.path(),
        &format!("AccountID {ACCOUNT}\nLicenseKey {KEY}\n"),
    );
    let web = |extra: &[&str], conf: &str, env: &[(&str, &str)]| {
        let mut args = vec![
            "lookup",
            "81.2.69.142",
            "--web",
            "--web-url",
            &url,
            "--geoip-conf",
            conf,
        ];
        args.extend_from_slice(extra);
        let out = cli(&args, b"", env);
        json_of(&out)["results"][0]["error"]["code"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        web(&[], &good_conf, &[]),
        None,
        "GeoIP.conf alone is enough"
    );
    assert_eq!(
        web(&[], &good_conf, &[("MAXMIND_LICENSE_KEY", "wrong")]).as_deref(),
        Some("auth_invalid"),
        "the environment wins over GeoIP.conf"
    );
    assert_eq!(
        web(
            &["--license-key", KEY],
            &good_conf,
            &[("MAXMIND_LICENSE_KEY", "wrong")]
        ),
        None,
        "a flag wins over the environment"
    );
    assert_eq!(
        web(
            &[],
            "",
            &[
                ("MAXMIND_ACCOUNT_ID", ACCOUNT),
                ("MAXMIND_LICENSE_KEY", KEY)
            ]
        ),
        None,
        "the environment alone is enough"
    );
    let none = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--web",
            "--web-url",
            &url,
            "--geoip-conf",
            "",
        ],
        b"",
        &[],
    );
    assert_eq!(none.code, 1);
    assert!(none.stderr.contains("account_id"), "{}", none.stderr);
}

#[test]
fn a_named_geoip_conf_that_cannot_be_read_is_a_config_error() {
    let out = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            CITY,
            "--geoip-conf",
            "/nonexistent/GeoIP.conf",
        ],
        b"",
        &[],
    );
    assert_eq!(out.code, 1);
    let json = json_of(&out);
    assert_eq!(json["errors"][0]["code"], "config_invalid");
    assert!(
        json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/GeoIP.conf")
    );
}

// ---- stale databases --------------------------------------------------------------------------

#[test]
fn a_database_older_than_its_cadence_warns_in_every_response_that_used_it() {
    let epoch = 1_764_201_600u64; // the fixtures' build_epoch (2025-11-27)
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let days = (now - epoch) / 86_400;
    let stale = |extra: &[&str]| {
        let mut args = vec!["lookup", "81.2.69.142", "--db", CITY];
        args.extend_from_slice(extra);
        let json = json_of(&cli(&args, b"", &[]));
        json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["code"] == "database_stale")
            .map(|w| w["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let younger = (days - 1).to_string();
    let older = (days + 1).to_string();
    let warned = stale(&["--max-db-age", &younger]);
    assert_eq!(warned.len(), 1);
    assert!(
        warned[0].contains(&format!("built {days} days ago, on 2025-11-27T00:00:00Z")),
        "{}",
        warned[0]
    );
    assert!(stale(&["--max-db-age", &older]).is_empty());
    assert!(stale(&["--max-db-age", "0"]).is_empty(), "0 never warns");

    // In plugin mode, the config key.
    let request = |age: &str| {
        json!({"action": "lookup",
        "config": {"db_dir": "fixtures", "mmdb_filename": ["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"],
                   "max_database_age_days": age},
        "object": {"type": "indicator", "value": "81.2.69.142"}})
    };
    let run = run_in(&root(), &[], request(&younger).to_string().as_bytes(), &[]);
    let codes: Vec<&str> = run.json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["database_stale", "database_stale"],
        "one per database used"
    );
    let run = run_in(&root(), &[], request("0").to_string().as_bytes(), &[]);
    assert!(run.json["warnings"].as_array().unwrap().is_empty());
    let bad = run_in(&root(), &[], request("soon").to_string().as_bytes(), &[]);
    assert_eq!(bad.json["errors"][0]["code"], "config_invalid");
}

// ---- completions and man page -----------------------------------------------------------------

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    let bash = cli(&["completions", "bash"], b"", &[]);
    assert_eq!(bash.code, 0);
    for word in [
        "lookup",
        "bulk",
        "extract",
        "verify",
        "--geoip-conf",
        "--format",
    ] {
        assert!(bash.stdout.contains(word), "bash completion lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("c.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success(), "the bash completion parses");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = cli(&["completions", shell], b"", &[]);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("lookup"), "{shell}");
    }
    let man = cli(&["man"], b"", &[]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH maxmind-geolocate"),
        "{}",
        &man.stdout[..200]
    );
    for word in ["lookup", "bulk", "GeoIP.conf", "Exit codes"] {
        assert!(man.stdout.contains(word), "the man page lacks {word}");
    }
}

#[test]
fn addresses_in_results_are_addresses() {
    // Within results carry the first address of each network as their ip.
    let out = cli(
        &[
            "lookup",
            "2001:218::/32",
            "--db",
            CITY,
            "--format",
            "ndjson",
            "--field",
            "ip,network",
        ],
        b"",
        &[],
    );
    for line in lines(&out) {
        let v: Value = serde_json::from_str(line).unwrap();
        let ip: IpAddr = v["ip"].as_str().unwrap().parse().unwrap();
        let net: IpNet = v["network"].as_str().unwrap().parse().unwrap();
        assert_eq!(net.network(), ip);
    }
}

// ---- lookup, streamed -------------------------------------------------------------------------

/// `count` public addresses, one a line, cycling through the fixture's networks and beyond.
fn address_lines(count: usize) -> impl FnOnce(&mut dyn std::io::Write) + Send + 'static {
    move |out| {
        let mut text = String::with_capacity(1 << 20);
        for i in 0..count {
            let ip = std::net::Ipv4Addr::from(
                0x5102_4500u32.wrapping_add((i as u32).wrapping_mul(7919)),
            );
            text.push_str(&ip.to_string());
            text.push('\n');
            if text.len() > (1 << 20) - 64 {
                if out.write_all(text.as_bytes()).is_err() {
                    return;
                }
                text.clear();
            }
        }
        let _ = out.write_all(text.as_bytes());
    }
}

#[test]
fn lookup_streams_one_line_per_input_line_in_order_repeats_included() {
    let input =
        "81.2.69.142\n89.160.20.115\n81.2.69[.]142\nnot-an-ip\n\n# a comment\n81.2.69.142\n";
    let out = cli(
        &[
            "lookup",
            "--db",
            "fixtures/GeoIP2-City-Fixture.mmdb",
            "--format",
            "csv",
            "--field",
            "ip,city,error",
        ],
        input.as_bytes(),
        &[],
    );
    assert_eq!(
        out.stdout,
        "ip,city,error\n81.2.69.142,London,\n89.160.20.115,Linköping,\n81.2.69.142,London,\n\
         not-an-ip,,invalid_ip\n81.2.69.142,London,\n"
    );
    assert!(
        out.stderr.contains("partial result: 1 of 5 IPs failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn lookup_streams_a_million_addresses_in_flat_memory() {
    for format in ["ndjson", "csv"] {
        let (status, lines, first, kib) = measured(
            &[
                "lookup",
                "--db",
                "fixtures/GeoIP2-City-Fixture.mmdb",
                "--format",
                format,
                "--max-db-age",
                "0",
            ],
            address_lines(1_000_000),
            2,
        );
        assert!(status.success(), "{format}: {status:?}");
        let header = usize::from(format == "csv");
        assert_eq!(lines, 1_000_000 + header, "{format}: one line per address");
        assert!(first[header].contains("81.2.69.0"), "{format}: {first:?}");
        assert!(
            kib <= 64 * 1024,
            "{format}: {kib} KiB resident for a million addresses"
        );
    }
}

// ---- closed pipes ----------------------------------------------------------------------------

/// Runs the binary with stdout a pipe whose reader is gone (as `| head -1` leaves it once it
/// has its line), and returns the exit code and stderr.
fn into_closed_pipe(args: &[&str], stdin: &[u8]) -> (i32, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(args)
        .current_dir(root())
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    drop(child.stdout.take());
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let _ = pipe.write_all(stdin);
    drop(pipe);
    let out = child.wait_with_output().expect("the binary ends");
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_every_analyst_command_quietly() {
    let many: String = (0..5000)
        .map(|i| format!("81.2.{}.{}\n", i / 250, i % 250))
        .collect();
    let request = std::fs::read("fixtures/requests/lookup-city.json").unwrap();
    let requests: Vec<u8> = std::iter::repeat_n(
        String::from_utf8(request.clone())
            .unwrap()
            .replace('\n', " ")
            + "\n",
        200,
    )
    .collect::<String>()
    .into_bytes();
    let db = ["--db", CITY, "--max-db-age", "0"];
    let rows: Vec<(Vec<&str>, &[u8])> = vec![
        ([&["lookup", "-"][..], &db].concat(), many.as_bytes()),
        (
            [&["lookup", "-", "--format", "csv"][..], &db].concat(),
            many.as_bytes(),
        ),
        (
            [&["lookup", "-", "--format", "table"][..], &db].concat(),
            many.as_bytes(),
        ),
        (
            [&["bulk", "-", "--format", "ndjson"][..], &db].concat(),
            many.as_bytes(),
        ),
        (vec!["extract", "-"], many.as_bytes()),
        (vec!["db", "info", CITY, ASN, CITY, ASN], b""),
        (vec!["db", "verify", CITY, ASN, CITY, ASN], b""),
        (vec!["completions", "bash"], b""),
        (vec!["man"], b""),
        (vec!["run", "--ndjson"], &requests),
        // (Not plugin mode's one response: the platform lost its answer, and exit 1 says so;
        // see hostile.rs.)
    ];
    for (args, stdin) in rows {
        let (code, stderr) = into_closed_pipe(&args, stdin);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing on stderr");
    }
}

/// A stderr whose reader is gone (`2>&1 | head -1` after its line) is no reason to crash: the
/// command ends with its own exit code, not a panic's abort.
#[test]
fn a_closed_stderr_is_no_reason_to_crash() {
    use std::process::{Command, Stdio};
    let rows: [(&[&str], i32); 4] = [
        (&["db", "info", "fixtures/GeoIP2-City-Fixture.json"], 1),
        (&["db", "verify", "fixtures/GeoIP2-City-Fixture.json"], 1),
        (&["extract", "/nonexistent/report.txt"], 1),
        (&["lookup", "81.2.69.142", "--db", "fixtures/nope.mmdb"], 1),
    ];
    for (args, expected) in rows {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
            .args(args)
            .current_dir(root())
            .env("GEOIPUPDATE_CONF_FILE", "")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(out.code(), Some(expected), "{args:?}: {out:?}");
    }
}

// ---- completion that completes ---------------------------------------------------------------

/// What bash's completion of `maxmind-geolocate` offers for `words` (the command line up to
/// the cursor; the last word is the one being completed): the script of `completions bash`
/// sourced in a real bash, its function found by what is registered for the binary's name.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let program = format!(
        r#"source '{script}'
spec=$(complete -p maxmind-geolocate) || exit 3
function=$(printf '%s' "$spec" | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$function" maxmind-geolocate '{cur}' '{prev}' 2>/dev/null
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display(),
        words = quoted.join(" "),
        cur = words[cword],
        prev = words[cword - 1],
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_completes_flags_and_their_values_after_a_subcommand() {
    let bash = cli(&["completions", "bash"], b"", &[]);
    assert_eq!(bash.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("maxmind-geolocate.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let offered = |words: &[&str]| {
        let mut offered = bash_completes(&script, words);
        offered.sort();
        offered
    };
    let subcommands = offered(&["maxmind-geolocate", ""]);
    for sub in ["lookup", "bulk", "extract", "db", "completions"] {
        assert!(subcommands.contains(&sub.to_owned()), "{subcommands:?}");
    }
    let flags = offered(&["maxmind-geolocate", "lookup", "--"]);
    for flag in [
        "--format",
        "--field",
        "--output",
        "--db",
        "--color",
        "--threads",
    ] {
        assert!(
            flags.contains(&flag.to_owned()),
            "lookup --<TAB>: {flags:?}"
        );
    }
    assert!(flags.iter().all(|f| f.starts_with("--")), "{flags:?}");
    let formats = ["csv", "json", "ndjson", "table"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        offered(&["maxmind-geolocate", "lookup", "--format", ""]),
        formats
    );
    assert_eq!(offered(&["maxmind-geolocate", "lookup", "-f", ""]), formats);
    assert_eq!(
        offered(&["maxmind-geolocate", "lookup", "--format", "nd"]),
        ["ndjson"]
    );
    assert_eq!(
        offered(&["maxmind-geolocate", "db", "info", "--format", ""]),
        formats
    );
    assert_eq!(
        offered(&["maxmind-geolocate", "bulk", "x.log", "--color", ""]),
        ["always", "auto", "never"]
    );
    assert!(
        offered(&["maxmind-geolocate", "db", ""]).contains(&"verify".to_owned()),
        "db <TAB>"
    );
}

#[test]
fn zsh_and_fish_completions_know_the_flags_and_their_values() {
    for shell in ["zsh", "fish"] {
        let out = cli(&["completions", shell], b"", &[]);
        assert_eq!(out.code, 0, "{shell}");
        for word in [
            "format", "ndjson", "table", "output", "color", "never", "threads", "field",
        ] {
            assert!(out.stdout.contains(word), "{shell} completion lacks {word}");
        }
        // Their own parser, where the shell is installed (it is not installed for this).
        let installed = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {shell}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if installed {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("completion");
            std::fs::write(&file, &out.stdout).unwrap();
            let parsed = std::process::Command::new(shell)
                .arg("-n")
                .arg(&file)
                .status()
                .unwrap();
            assert!(parsed.success(), "{shell} -n");
        }
    }
}

// ---- output that fits ------------------------------------------------------------------------

#[test]
fn pretty_indents_everything_the_records_too() {
    let compact = cli(&["lookup", "81.2.69.142", "--db", CITY], b"", &[]);
    // Before the subcommand or after it, long or short.
    for args in [
        ["lookup", "81.2.69.142", "--db", CITY, "--pretty"],
        ["--pretty", "lookup", "81.2.69.142", "--db", CITY],
        ["lookup", "81.2.69.142", "--db", CITY, "-p"],
    ] {
        let pretty = cli(&args, b"", &[]);
        assert_eq!(pretty.code, 0);
        assert_eq!(json_of(&pretty), json_of(&compact), "the same document");
        assert!(
            pretty.stdout.contains("\"data\": {\n"),
            "the record is indented: {}",
            pretty.stdout
        );
    }
    // Plugin mode's one response, the same.
    let request = std::fs::read("fixtures/requests/lookup-city.json").unwrap();
    let plugin = cli(&["--pretty"], &request, &[]);
    assert!(plugin.stdout.contains("\"data\": {\n"), "{}", plugin.stdout);
    assert!(
        plugin.stdout.contains("\"names\": {\n"),
        "{}",
        plugin.stdout
    );
}

/// Addresses of the fixture with a record each, and one without.
const SOME: [&str; 3] = ["81.2.69.142", "2.125.160.216", "10.0.0.1"];

#[test]
fn a_terminal_shows_a_few_addresses_field_by_field_within_its_width() {
    let args: Vec<&str> = [
        &["lookup"][..],
        &SOME,
        &["--db", CITY, "--db", ASN, "--max-db-age", "0"],
    ]
    .concat();
    for (how, command, env) in [
        ("COLUMNS", binary_with(&args), vec![("COLUMNS", "50")]),
        (
            "stty",
            format!("stty rows 24 cols 50; {}", binary_with(&args)),
            vec![],
        ),
    ] {
        let (shown, code) = terminal(&command, &env);
        assert_eq!(code, 0, "{shown}");
        let shown = without_colour(&shown);
        assert!(
            !shown.contains('{'),
            "{how}: no JSON on a terminal: {shown}"
        );
        let line_of = |name: &str| {
            shown
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("{how}: no {name} line: {shown}"))
                .to_owned()
        };
        assert!(line_of("city").contains("London"), "{how}: {shown}");
        assert!(line_of("asn").contains("20712"), "{how}: {shown}");
        line_of("error");
        assert!(shown.contains("[reserved_ip]"), "{how}: {shown}");
        assert!(
            shown.lines().any(|l| l.starts_with("2.125.160.216")),
            "{how}: each address heads its fields: {shown}"
        );
        for line in shown.lines() {
            assert!(line.chars().count() <= 50, "{how}: wider than 50: {line:?}");
        }
    }
}

#[test]
fn a_terminal_shows_many_addresses_as_a_table_that_fits_its_width() {
    let many = [
        "81.2.69.142",
        "81.2.69.160",
        "2.125.160.216",
        "216.160.83.56",
        "89.160.20.112",
        "67.43.156.9",
        "2001:218::1",
        "10.0.0.1",
    ];
    let args: Vec<&str> = [
        &["lookup"][..],
        &many,
        &["--db", CITY, "--db", ASN, "--max-db-age", "0"],
    ]
    .concat();
    let full = cli(&[&args[..], &["--format", "table"]].concat(), b"", &[]);
    let full_heading: Vec<&str> = full
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        full.stdout.lines().next().unwrap().len() > 100,
        "{}",
        full.stdout
    );

    for (how, command, env) in [
        ("COLUMNS", binary_with(&args), vec![("COLUMNS", "80")]),
        (
            "stty",
            format!("stty rows 24 cols 80; {}", binary_with(&args)),
            vec![],
        ),
    ] {
        let (shown, code) = terminal(&command, &env);
        assert_eq!(code, 0, "{shown}");
        let shown = without_colour(&shown);
        let table: Vec<&str> = shown
            .lines()
            .filter(|l| !l.starts_with("maxmind-geolocate:"))
            .collect();
        assert_eq!(
            table.len(),
            many.len() + 1,
            "{how}: a heading and a row each: {shown}"
        );
        for line in &table {
            assert!(line.chars().count() <= 80, "{how}: wider than 80: {line:?}");
        }
        let heading: Vec<&str> = table[0].split_whitespace().collect();
        assert_eq!(heading[0], "ip");
        assert_eq!(heading.last(), Some(&"error"), "{how}: error is kept");
        assert!(heading.len() < full_heading.len(), "{how}: {heading:?}");
        let left_out = full_heading.len() - heading.len();
        assert!(
            shown.contains(&format!("{left_out} columns left out to fit 80 columns")),
            "{how}: says what it left out: {shown}"
        );
    }

    // A wide terminal shows the whole table, as a pipe gets it.
    let (shown, _) = terminal(&binary_with(&args), &[("COLUMNS", "400")]);
    assert_eq!(without_colour(&shown), full.stdout);
}

// ---- a terminal with no input -----------------------------------------------------------------

#[test]
fn a_terminal_with_no_input_is_told_what_is_awaited() {
    let bin = env!("CARGO_BIN_EXE_maxmind-geolocate");
    // Each is ended (`timeout`) if it still waits after 2 seconds.
    for (command, expected) in [
        (
            format!("timeout 2 {bin}"),
            "reading one JSON action request",
        ),
        (
            format!("timeout 2 {bin} run"),
            "reading one JSON action request",
        ),
        (
            format!("timeout 2 {bin} run --ndjson"),
            "reading JSON action requests",
        ),
        (
            format!("timeout 2 {bin} lookup - --db {CITY}"),
            "reading IP addresses or networks, one a line, from stdin",
        ),
        (
            format!("timeout 2 {bin} lookup --db {CITY}"),
            "no IP address given",
        ),
        (
            format!("timeout 2 {bin} extract -"),
            "reading the text from stdin",
        ),
    ] {
        let (shown, _) = terminal(&command, &[]);
        assert!(shown.contains(expected), "{command}: {shown:?}");
    }
    // Into a pipe, nothing of the kind: the platform's call stays as it is.
    let request = std::fs::read("fixtures/requests/lookup-city.json").unwrap();
    let plugin = cli(&[], &request, &[]);
    assert!(!plugin.stderr.contains("reading"), "{}", plugin.stderr);
}

// ---- habits of ripgrep, fd, mmdbinspect ------------------------------------------------------

#[test]
fn short_flags_are_their_long_flags() {
    let dir = tempfile::tempdir().unwrap();
    let long_file = dir.path().join("long.csv");
    let short_file = dir.path().join("short.csv");
    let long = cli(
        &[
            "lookup",
            "81.2.69.142",
            "--db",
            CITY,
            "--format",
            "csv",
            "--output",
            long_file.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    let short = cli(
        &[
            "lookup",
            "81.2.69.142",
            "-d",
            CITY,
            "-f",
            "csv",
            "-o",
            short_file.to_str().unwrap(),
            "-j",
            "2",
        ],
        b"",
        &[],
    );
    assert_eq!((long.code, short.code), (0, 0), "{}", short.stderr);
    assert_eq!((long.stdout.as_str(), short.stdout.as_str()), ("", ""));
    let written = std::fs::read_to_string(&short_file).unwrap();
    assert!(written.starts_with("ip,network,"), "{written}");
    assert!(written.contains("London"), "{written}");
    assert_eq!(written, std::fs::read_to_string(&long_file).unwrap());

    // The JSON of the same lookup into a file is the same as into a pipe.
    let json_file = dir.path().join("out.json");
    let into_file = cli(
        &[
            "lookup",
            "81.2.69.142",
            "-d",
            CITY,
            "-o",
            json_file.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert_eq!(into_file.code, 0);
    let piped = cli(&["lookup", "81.2.69.142", "-d", CITY], b"", &[]);
    assert_eq!(std::fs::read_to_string(&json_file).unwrap(), piped.stdout);

    // An output file that cannot be made is a failure that names it.
    let nowhere = dir.path().join("no/such/folder/out.csv");
    let failed = cli(
        &[
            "lookup",
            "81.2.69.142",
            "-d",
            CITY,
            "-o",
            nowhere.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert_eq!(failed.code, 1);
    assert!(failed.stderr.contains("out.csv"), "{}", failed.stderr);

    let db = cli(&["db", "info", CITY, "-f", "csv"], b"", &[]);
    assert!(
        db.stdout.starts_with("file,database_type,"),
        "{}",
        db.stdout
    );
}

#[test]
fn color_is_auto_always_or_never() {
    let args = [
        "lookup",
        "81.2.69.142",
        "10.0.0.1",
        "--db",
        CITY,
        "-f",
        "table",
    ];
    let with =
        |extra: &[&str], env: &[(&str, &str)]| cli(&[&args[..], extra].concat(), b"", env).stdout;
    let plain = with(&[], &[]);
    assert!(!plain.contains('\u{1b}'), "auto: none into a pipe");
    assert!(
        with(&["--color", "always"], &[]).contains("\u{1b}["),
        "always"
    );
    assert!(
        with(&["--color", "always"], &[("NO_COLOR", "1")]).contains("\u{1b}["),
        "always is always"
    );
    assert_eq!(
        with(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]),
        plain,
        "never"
    );
    assert_eq!(with(&["--color", "auto"], &[]), plain);
    let bad = cli(&[&args[..], &["--color", "sometimes"]].concat(), b"", &[]);
    assert_eq!(bad.code, 2);

    // On a terminal, auto colours unless NO_COLOR is set.
    let term = [("TERM", "xterm-256color")];
    let coloured = on_a_terminal(&args, &term, None);
    assert!(coloured.contains("\u{1b}["), "{coloured:?}");
    let no_color = on_a_terminal(&args, &[term[0], ("NO_COLOR", "1")], None);
    assert!(!no_color.contains('\u{1b}'), "{no_color:?}");
    let never = on_a_terminal(&[&args[..], &["--color", "never"]].concat(), &term, None);
    assert!(!never.contains('\u{1b}'), "{never:?}");
}

/// How many threads process `pid` has (Linux: its `/proc` tasks).
fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(Iterator::count)
        .unwrap_or(0)
}

#[test]
fn threads_sets_the_size_of_the_lookup_pool() {
    use std::process::{Command, Stdio};
    // While `lookup -` waits for its list, its threads are the main one and the pool's.
    for (flag, env, expected) in [
        (Some("3"), None, 4),
        (Some("1"), None, 2),
        (Some("3"), Some("2"), 4),
        (None, Some("2"), 3),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"));
        command
            .args(["lookup", "-", "--db", CITY])
            .current_dir(root())
            .env("GEOIPUPDATE_CONF_FILE", "")
            .env_remove("MAXMIND_GEOLOCATE_THREADS")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(n) = flag {
            command.args(["--threads", n]);
        }
        if let Some(n) = env {
            command.env("MAXMIND_GEOLOCATE_THREADS", n);
        }
        let mut child = command.spawn().unwrap();
        let mut list = child.stdin.take().unwrap();
        let started = std::time::Instant::now();
        let mut seen = threads_of(child.id());
        while seen != expected && started.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
            seen = threads_of(child.id());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let settled = threads_of(child.id());
        std::io::Write::write_all(&mut list, b"81.2.69.142\n").unwrap();
        drop(list);
        let status = child.wait().unwrap();
        assert_eq!(
            (seen, settled),
            (expected, expected),
            "--threads {flag:?}, env {env:?}"
        );
        assert!(status.success());
    }
    let zero = cli(&["lookup", "81.2.69.142", "-d", CITY, "-j", "0"], b"", &[]);
    assert_eq!(zero.code, 0, "0 is the default: {}", zero.stderr);
    let bad = cli(
        &["lookup", "81.2.69.142", "-d", CITY, "-j", "many"],
        b"",
        &[],
    );
    assert_eq!(bad.code, 2);
}

/// `n` with a comma every three digits.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn db_info_tells_sizes_as_people_read_them() {
    let out = cli(&["db", "info", CITY, ASN, "-f", "table"], b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for file in [CITY, ASN] {
        let bytes = std::fs::metadata(root().join(file)).unwrap().len();
        assert!(bytes >= 1024, "{file} is at least a KiB");
        let line = out
            .stdout
            .lines()
            .skip_while(|l| !l.contains(file))
            .find(|l| l.trim_start().starts_with("size"))
            .unwrap_or_else(|| panic!("no size for {file}: {}", out.stdout));
        assert!(
            line.ends_with(&format!("({} bytes)", with_commas(bytes))),
            "{line}"
        );
        let mut words = line.split_whitespace().skip(1);
        let figure: f64 = words.next().unwrap().parse().unwrap();
        let unit = words.next().unwrap();
        let scale = match unit {
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            other => panic!("{other}"),
        };
        assert!(
            (figure - bytes as f64 / scale).abs() <= 0.05,
            "{line}: {bytes} bytes"
        );
    }
    // JSON keeps the number.
    let json = cli(&["db", "info", CITY], b"", &[]);
    let bytes = std::fs::metadata(root().join(CITY)).unwrap().len();
    assert_eq!(json_of(&json)[0]["size"], bytes);
}

#[test]
fn lookup_says_when_duplicates_among_its_inputs_were_merged() {
    let inputs = [
        "81.2.69.142",
        "81.2.69[.]142",
        "2.125.160.216",
        "81.2.69.142",
        "10.0.0.1",
        "2.125.160.216",
    ];
    let args: Vec<&str> = [&["lookup"][..], &inputs, &["--db", CITY]].concat();
    let merged = cli(&args, b"", &[]);
    assert_eq!(merged.code, 0);
    let rows = json_of(&merged)["results"].as_array().unwrap().len();
    assert_eq!(rows, 3);
    assert!(
        merged
            .stderr
            .contains("6 inputs, 3 duplicates merged: 3 rows"),
        "{}",
        merged.stderr
    );
    // From stdin too.
    let stdin = inputs.join("\n");
    let piped = cli(&["lookup", "--db", CITY], stdin.as_bytes(), &[]);
    assert!(
        piped
            .stderr
            .contains("6 inputs, 3 duplicates merged: 3 rows")
    );
    // Streams answer every line: nothing is merged, and nothing is said.
    let csv = cli(&[&args[..], &["-f", "csv"]].concat(), b"", &[]);
    assert_eq!(csv.stdout.lines().count(), 1 + inputs.len());
    assert!(!csv.stderr.contains("merged"), "{}", csv.stderr);
    // No duplicates, no note.
    let distinct = cli(
        &["lookup", "81.2.69.142", "2.125.160.216", "--db", CITY],
        b"",
        &[],
    );
    assert!(!distinct.stderr.contains("merged"), "{}", distinct.stderr);
}
