//! The web cache, through the binary, against the fake MaxMind service that counts its queries:
//! warm runs send nothing and answer the same; concurrent actions ask each IP once; answers
//! expire; failures are never kept; a broken or impossible cache never fails an action; no
//! secret reaches the cache files; each service has a cache of its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fake_maxmind::{ACCOUNT, FakeMaxMind, KEY, Options};
use crate::harness::{CACHE_VAR, Output, Run, SECRETS, cli, root, run_in};

/// A cache file in a folder of its own (not made yet).
fn cache_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("cache").join("web-cache.sqlite3")
}

fn web_config(fake: &FakeMaxMind, extra: &Value) -> Value {
    let mut c = json!({"source": "web_api", "account_id": ACCOUNT, "license_key": KEY,
                       "web_api_url": fake.url(), "bypass_proxy": true});
    c.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    c
}

/// Lookup All Related IPs on `content`, with the cache at `cache`.
fn bulk(fake: &FakeMaxMind, cache: &Path, content: &str, extra: Value, params: Value) -> Run {
    let req = json!({"action": "lookup_all_related_ips", "config": web_config(fake, &extra),
                     "object": {"type": "attachment", "name": "ips.txt", "content": content},
                     "params": params});
    plugin_with_cache(&req, cache)
}

/// Lookup of `ip`, with the cache at `cache`.
fn lookup(fake: &FakeMaxMind, cache: &Path, ip: &str, extra: Value) -> Run {
    let req = json!({"action": "lookup", "config": web_config(fake, &extra),
                     "object": {"type": "indicator", "indicator_type": "IP Address", "value": ip},
                     "params": {}});
    plugin_with_cache(&req, cache)
}

fn plugin_with_cache(req: &Value, cache: &Path) -> Run {
    let cache = cache.to_str().unwrap();
    run_in(
        &root(),
        &[],
        req.to_string().as_bytes(),
        &[(CACHE_VAR, cache)],
    )
}

/// The response without what differs between a cold and a warm run (what was spent).
fn answers(run: &Run) -> Value {
    let mut json = run.json.clone();
    json.as_object_mut().unwrap().remove("meta");
    json
}

/// `n` distinct public addresses outside the fake's special 1.1.0.0/16.
fn public_ips(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| std::net::Ipv4Addr::from(0x5100_0000 + i * 4099).to_string())
        .collect()
}

#[test]
fn a_warm_run_sends_nothing_and_answers_exactly_as_the_service_did() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    // Records of every shape the fake has, a not-found, a reserved address, an invalid value,
    // and an answer the service indented.
    let content = "81.2.69.142 2.125.160.216 89.160.20.115 2001:218::1 1.1.1.2 10.0.0.1 \
                   67.43.156.9 999.1.1.1 1.1.3.1";
    let cold = bulk(&fake, &cache, content, json!({}), json!({}));
    assert_eq!(cold.json["status"], "success", "{}", cold.json);
    let sent = fake.seen().len();
    assert_eq!(sent, 7, "seven public addresses");
    assert_eq!(cold.json["meta"]["queries_sent"], 7);
    assert_eq!(cold.json["meta"]["cache_hits"], 0);
    assert!(cold.warning_codes().is_empty(), "{}", cold.json["warnings"]);

    let warm = bulk(&fake, &cache, content, json!({}), json!({}));
    assert_eq!(fake.seen().len(), sent, "a warm run sends nothing");
    assert_eq!(warm.json["meta"]["queries_sent"], 0);
    assert_eq!(warm.json["meta"]["cache_hits"], 7);
    assert_eq!(
        warm.json["meta"].get("queries_remaining"),
        None,
        "a cached figure is not the account's"
    );
    assert_eq!(
        answers(&warm),
        answers(&cold),
        "data, attributes, indicators, errors"
    );
    let not_found = &warm.json["results"][4]["error"];
    assert_eq!(not_found["code"], "not_found");
    assert!(
        not_found["message"]
            .as_str()
            .unwrap()
            .contains("IP_ADDRESS_NOT_FOUND"),
        "{not_found}"
    );

    // The Lookup action, other contexts of the same endpoint, and the analyst's command line
    // take the same answers.
    for context in ["city", "asn", "auto"] {
        let one = lookup(
            &fake,
            &cache,
            "81.2.69.142",
            json!({"context_type": context}),
        );
        assert_eq!(one.json["meta"]["cache_hits"], 1, "{context}");
        assert_eq!(one.json["status"], "success");
    }
    assert_eq!(
        one_cli_lookup(&fake, &cache, &[]).0["results"][0]["data"],
        cold.json["results"][0]["data"]
    );
    assert_eq!(fake.seen().len(), sent, "still nothing sent");
}

/// `lookup 81.2.69.142 --web` with the cache at `cache` and `extra` flags: the response and
/// how many queries the fake got for the address since the start.
fn one_cli_lookup(fake: &FakeMaxMind, cache: &Path, extra: &[&str]) -> (Value, usize) {
    let url = fake.url();
    let mut args = vec![
        "lookup",
        "81.2.69.142",
        "--web",
        "--web-url",
        &url,
        "--account-id",
        ACCOUNT,
        "--no-proxy",
    ];
    args.extend_from_slice(extra);
    let out = cli(
        &args,
        b"",
        &[
            ("MAXMIND_LICENSE_KEY", KEY),
            (CACHE_VAR, cache.to_str().unwrap()),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    (
        serde_json::from_str(&out.stdout).unwrap(),
        fake.queries_for("81.2.69.142"),
    )
}

#[test]
fn six_actions_started_together_on_a_cold_cache_ask_each_ip_once() {
    // Slow answers, so that the six overlap all along.
    let fake = FakeMaxMind::start(Options {
        delay: Duration::from_millis(60),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let cache_text = cache.to_str().unwrap().to_owned();
    let ips = public_ips(40);
    let file = dir.path().join("ips.txt");
    std::fs::write(&file, ips.join("\n")).unwrap();
    let lookups: String = ips
        .iter()
        .map(|ip| {
            let req = json!({"action": "lookup", "config": web_config(&fake, &json!({})),
                "object": {"type": "indicator", "indicator_type": "IP Address", "value": ip}});
            format!("{req}\n")
        })
        .collect();
    let env = [
        ("MAXMIND_LICENSE_KEY", KEY),
        (CACHE_VAR, cache_text.as_str()),
    ];
    let url = fake.url();
    let cli_bulk = [
        "bulk",
        file.to_str().unwrap(),
        "--web",
        "--web-url",
        &url,
        "--account-id",
        ACCOUNT,
        "--no-proxy",
        "--format",
        "ndjson",
    ];
    // Three platform actions on the attachment, two streams of 40 Lookups (`run --ndjson`),
    // one analyst's `bulk FILE --web`: all at once.
    let fake = &fake;
    let outputs: Vec<(String, Output)> = std::thread::scope(|scope| {
        let mut running = Vec::new();
        for i in 0..3 {
            let content = ips.join(" ");
            running.push(scope.spawn(move || {
                let req = json!({"action": "lookup_all_related_ips",
                    "config": web_config(fake, &json!({})),
                    "object": {"type": "attachment", "name": "ips.txt", "content": content}});
                (
                    format!("bulk {i}"),
                    cli(&[], req.to_string().as_bytes(), &env),
                )
            }));
        }
        for i in 0..2 {
            let lookups = &lookups;
            running.push(scope.spawn(move || {
                let out = cli(&["run", "--ndjson"], lookups.as_bytes(), &env);
                (format!("ndjson {i}"), out)
            }));
        }
        running.push(scope.spawn(|| ("cli bulk".to_owned(), cli(&cli_bulk, b"", &env))));
        running.into_iter().map(|t| t.join().unwrap()).collect()
    });

    let mut hits = 0;
    for (who, out) in &outputs {
        assert_eq!(out.code, 0, "{who}: {}", out.stderr);
        assert!(
            !out.stderr.contains("cache_unavailable"),
            "{who}: {}",
            out.stderr
        );
        let docs: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let located = if who == "cli bulk" {
            docs.iter().filter(|r| r["error"].is_null()).count()
        } else if who.starts_with("ndjson") {
            hits += docs
                .iter()
                .map(|d| d["meta"]["cache_hits"].as_u64().unwrap())
                .sum::<u64>();
            docs.iter().filter(|d| d["status"] == "success").count()
        } else {
            hits += docs[0]["meta"]["cache_hits"].as_u64().unwrap();
            docs[0]["summary"]["located"].as_u64().unwrap() as usize
        };
        assert_eq!(located, 40, "{who} answered every IP");
    }
    let seen = fake.seen();
    assert_eq!(seen.len(), 40, "40 queries in all, not {}", seen.len());
    for ip in &ips {
        assert_eq!(fake.queries_for(ip), 1, "{ip}");
    }
    assert!(hits > 0, "answers were taken from the cache");
}

#[test]
fn an_answer_past_its_lifetime_is_asked_again() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    // Three seconds: the second look-up comes well within them, however busy the machine
    // (a lifetime of one second was missed under a loaded test run).
    let short = json!({"cache_ttl_s": 3});
    lookup(&fake, &cache, "81.2.69.142", short.clone());
    let again = lookup(&fake, &cache, "81.2.69.142", short.clone());
    assert_eq!(again.json["meta"]["cache_hits"], 1, "fresh: kept");
    assert_eq!(fake.queries_for("81.2.69.142"), 1);
    std::thread::sleep(Duration::from_millis(4_100));
    let expired = lookup(&fake, &cache, "81.2.69.142", short);
    assert_eq!(expired.json["meta"]["cache_hits"], 0);
    assert_eq!(
        fake.queries_for("81.2.69.142"),
        2,
        "asked again once expired"
    );
    // With the default lifetime the answer stored just now is fresh.
    let fresh = lookup(&fake, &cache, "81.2.69.142", json!({}));
    assert_eq!(fresh.json["meta"]["cache_hits"], 1);
    assert_eq!(fake.queries_for("81.2.69.142"), 2);
}

#[test]
fn failures_are_never_cached() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    // Invalid, permission, HTML 400, non-JSON 200, 503, timeout, an unknown code, a 5xx
    // echoing the key, a 200 over max_response_kib; and a not-found and one good answer.
    let failing = [
        "1.1.1.1", "1.1.1.4", "1.1.1.6", "1.1.1.7", "1.1.1.9", "1.1.1.10", "1.1.1.12", "1.1.2.3",
        "1.1.3.2",
    ];
    let content = format!("{} 1.1.1.2 81.2.69.142", failing.join(" "));
    let fast = json!({"timeout_s": 1, "retries": 1});
    for round in 1..=2 {
        let run = bulk(&fake, &cache, &content, fast.clone(), json!({}));
        let hits = if round == 1 { 0 } else { 2 };
        assert_eq!(run.json["meta"]["cache_hits"], hits, "{}", run.json["meta"]);
        for ip in failing {
            assert_eq!(fake.queries_for(ip), round, "{ip} is asked every time");
        }
        assert_eq!(fake.queries_for("1.1.1.2"), 1, "not found is a fact: kept");
        assert_eq!(fake.queries_for("81.2.69.142"), 1);
    }
    // Account-wide refusals are not kept either: out of queries, and bad credentials.
    for round in 1..=2 {
        let broke = lookup(&fake, &cache, "1.1.1.5", json!({}));
        assert_eq!(broke.error_codes(), ["out_of_queries"]);
        assert_eq!(broke.json["meta"]["cache_hits"], 0);
        assert_eq!(fake.queries_for("1.1.1.5"), round);
    }
    let refused = lookup(
        &fake,
        &cache,
        "2.125.160.216",
        json!({"license_key": "WRONG"}),
    );
    assert_eq!(refused.error_codes(), ["auth_invalid"]);
    let good = lookup(&fake, &cache, "2.125.160.216", json!({}));
    assert_eq!(good.json["status"], "success");
    assert_eq!(good.json["meta"]["cache_hits"], 0);
    let stats = cache_command(&["stats"], &cache);
    assert!(
        stats.stdout.contains("entries  3 (2 answers, 1 not found;"),
        "{}",
        stats.stdout
    );
}

#[test]
fn a_garbage_cache_file_is_moved_aside_and_the_action_answers_right() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(
        &cache,
        "this is not an SQLite database, just garbage\n".repeat(300),
    )
    .unwrap();
    let run = lookup(&fake, &cache, "81.2.69.142", json!({}));
    assert_eq!(run.json["status"], "success", "{}", run.json);
    assert_eq!(run.warning_codes(), ["cache_unavailable"]);
    let warning = run.json["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("moved aside"), "{warning}");
    let moved: Vec<String> = std::fs::read_dir(cache.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "the garbage is kept aside: {moved:?}");
    // The new cache works at once.
    let warm = lookup(&fake, &cache, "81.2.69.142", json!({}));
    assert!(warm.warning_codes().is_empty());
    assert_eq!(warm.json["meta"]["cache_hits"], 1);
    assert_eq!(answers(&warm)["results"], answers(&run)["results"]);
    assert_eq!(fake.queries_for("81.2.69.142"), 1);
}

#[test]
fn a_cache_that_cannot_be_made_is_a_warning_and_the_action_runs_without_it() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    // Its folder is a file; a folder stands where the file should be; no place at all.
    let places = [
        file.join("web-cache.sqlite3"),
        dir.path().to_owned(),
        PathBuf::from("/proc/maxmind-geolocate/web-cache.sqlite3"),
    ];
    for (n, place) in places.iter().enumerate() {
        let run = lookup(&fake, place, "81.2.69.142", json!({}));
        assert_eq!(run.json["status"], "success", "{}", run.json);
        assert_eq!(run.result()["network"], "81.2.69.128/26");
        assert_eq!(
            run.warning_codes(),
            ["cache_unavailable"],
            "{}",
            place.display()
        );
        assert_eq!(run.json["meta"]["queries_sent"], 1);
        assert_eq!(fake.queries_for("81.2.69.142"), n + 1);
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "not a folder",
        "left as it was"
    );
    // No place: neither the variable, nor XDG_CACHE_HOME, nor HOME.
    let req = json!({"action": "lookup", "config": web_config(&fake, &json!({})),
                     "object": {"type": "indicator", "value": "81.2.69.142"}});
    let run = run_in(
        &root(),
        &[],
        req.to_string().as_bytes(),
        &[(CACHE_VAR, ""), ("HOME", "")],
    );
    assert_eq!(run.json["status"], "success");
    assert_eq!(run.warning_codes(), ["cache_unavailable"]);
    assert!(
        run.json["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cache_path")
    );
}

#[test]
fn the_license_key_is_in_no_byte_of_the_cache_files() {
    // Slow answers, so that the files are read while the action writes them (the WAL is folded
    // into the database and deleted when the last connection closes).
    let fake = FakeMaxMind::start(Options {
        delay: Duration::from_millis(15),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    // 1.1.2.4 answers 200 with the credentials echoed in its body; 1.1.2.2 and 1.1.2.3 echo
    // them in refusals.
    let mut content = public_ips(150);
    content.extend(["1.1.2.2", "1.1.2.3", "1.1.2.4", "1.1.1.2", "81.2.69.142"].map(String::from));
    let req = json!({"action": "lookup_all_related_ips",
        "config": web_config(&fake, &json!({"retries": 1})),
        "object": {"type": "attachment", "name": "ips.txt", "content": content.join(" ")}});
    let stdout = dir.path().join("response.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .current_dir(root())
        .env_remove("MAXMIND_LICENSE_KEY")
        .env("GEOIPUPDATE_CONF_FILE", "")
        .env(CACHE_VAR, &cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(req.to_string().as_bytes())
            .unwrap();
    }
    let folder = cache.parent().unwrap();
    let mut looked_at = std::collections::BTreeSet::new();
    let started = Instant::now();
    loop {
        let done = child.try_wait().unwrap().is_some();
        for entry in std::fs::read_dir(folder).into_iter().flatten() {
            let path = entry.unwrap().path();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for secret in SECRETS {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} is in {name}"
                );
            }
            looked_at.insert(
                name.rsplit_once('-')
                    .map_or(name.clone(), |(_, s)| s.to_owned()),
            );
        }
        if done {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(5));
    }
    let response: Value = serde_json::from_slice(&std::fs::read(&stdout).unwrap()).unwrap();
    assert_eq!(
        response["meta"]["queries_sent"], 155,
        "{}",
        response["meta"]
    );
    assert!(
        looked_at.contains("wal") && looked_at.contains("shm"),
        "the WAL and shared memory were read too: {looked_at:?}"
    );
    // The echoing answer was kept, scrubbed, and comes back scrubbed.
    let again = bulk(&fake, &cache, "1.1.2.4", json!({}), json!({}));
    assert_eq!(again.json["meta"]["cache_hits"], 1);
    assert_eq!(again.result()["data"]["echo"]["key"], "[redacted]");
}

#[test]
fn another_service_url_or_endpoint_is_another_cache() {
    let first = FakeMaxMind::start(Options::default());
    let second = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    lookup(&first, &cache, "81.2.69.142", json!({}));
    let other = lookup(&second, &cache, "81.2.69.142", json!({}));
    assert_eq!(other.json["meta"]["cache_hits"], 0);
    assert_eq!(
        (
            first.queries_for("81.2.69.142"),
            second.queries_for("81.2.69.142")
        ),
        (1, 1)
    );
    let country = lookup(
        &first,
        &cache,
        "81.2.69.142",
        json!({"context_type": "country"}),
    );
    assert_eq!(
        country.json["meta"]["cache_hits"], 0,
        "the country endpoint"
    );
    let insights = lookup(
        &first,
        &cache,
        "81.2.69.142",
        json!({"context_type": "insights"}),
    );
    assert_eq!(
        insights.json["meta"]["cache_hits"], 0,
        "the insights endpoint"
    );
    assert_eq!(first.queries_for("81.2.69.142"), 3);
    // Each is now kept on its own.
    for fake in [&first, &second] {
        assert_eq!(
            lookup(fake, &cache, "81.2.69.142", json!({})).json["meta"]["cache_hits"],
            1
        );
    }
}

#[test]
fn a_dry_run_answers_what_the_cache_holds_and_plans_the_rest() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let cold = lookup(&fake, &cache, "81.2.69.142", json!({}));
    let dry = bulk(
        &fake,
        &cache,
        "81.2.69.142 2.125.160.216 10.0.0.1 89.160.20.115",
        json!({}),
        json!({"dry_run": true}),
    );
    assert_eq!(fake.seen().len(), 1, "a dry run sends nothing");
    assert_eq!(dry.json["meta"]["queries_planned"], 2);
    assert_eq!(dry.json["meta"]["cache_hits"], 1);
    assert_eq!(dry.json["meta"]["queries_sent"], 0);
    assert_eq!(dry.json["results"][0]["data"], cold.result()["data"]);
    assert_eq!(dry.json["results"][1]["error"]["code"], "dry_run");
    assert_eq!(dry.json["results"][2]["error"]["code"], "reserved_ip");
    assert_eq!(dry.json["status"], "success");
    // It stores nothing either.
    let stats = cache_command(&["stats"], &cache);
    assert!(stats.stdout.contains("entries  1 "), "{}", stats.stdout);
}

/// A dry run on a machine with no cache yet plans every address and makes no cache file.
#[test]
fn a_dry_run_without_a_cache_makes_none() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let dry = bulk(
        &fake,
        &cache,
        "81.2.69.142 2.125.160.216",
        json!({}),
        json!({"dry_run": true}),
    );
    assert_eq!(dry.json["meta"]["queries_planned"], 2);
    assert_eq!(dry.warning_codes(), Vec::<String>::new());
    assert!(!cache.exists(), "no cache file was made");
    assert!(fake.seen().is_empty());
}

#[test]
fn the_default_cache_is_in_the_users_cache_folder() {
    let fake = FakeMaxMind::start(Options::default());
    let req = json!({"action": "lookup", "config": web_config(&fake, &json!({})),
                     "object": {"type": "indicator", "value": "81.2.69.142"}});
    let xdg = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let run = run_in(&root(), &[], req.to_string().as_bytes(), env);
        assert!(run.warning_codes().is_empty(), "{}", run.json["warnings"]);
        run.json["meta"]["cache_hits"].as_u64().unwrap()
    };
    let (xdg_text, home_text) = (xdg.path().to_str().unwrap(), home.path().to_str().unwrap());
    // An empty variable counts as unset.
    let with_xdg = [
        (CACHE_VAR, ""),
        ("XDG_CACHE_HOME", xdg_text),
        ("HOME", home_text),
    ];
    assert_eq!(run(&with_xdg), 0);
    assert_eq!(run(&with_xdg), 1);
    assert!(
        xdg.path()
            .join("maxmind-geolocate/web-cache.sqlite3")
            .is_file()
    );
    let with_home = [(CACHE_VAR, ""), ("XDG_CACHE_HOME", ""), ("HOME", home_text)];
    assert_eq!(run(&with_home), 0, "another cache: asked again");
    assert_eq!(run(&with_home), 1);
    assert!(
        home.path()
            .join(".cache/maxmind-geolocate/web-cache.sqlite3")
            .is_file()
    );
    // The variable wins over both, and the configuration over the variable.
    let named = xdg.path().join("named.sqlite3");
    let named_text = named.to_str().unwrap();
    assert_eq!(run(&[(CACHE_VAR, named_text), ("HOME", home_text)]), 0);
    assert!(named.is_file());
    let mut configured = req.clone();
    configured["config"]["cache_path"] = json!(named_text);
    let run = run_in(
        &root(),
        &[],
        configured.to_string().as_bytes(),
        &[("HOME", home_text)],
    );
    assert_eq!(run.json["meta"]["cache_hits"], 1);
    assert_eq!(fake.seen().len(), 3);
}

#[test]
fn no_cache_and_a_lifetime_of_zero_leave_the_cache_alone() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    assert_eq!(one_cli_lookup(&fake, &cache, &["--no-cache"]).1, 1);
    assert_eq!(one_cli_lookup(&fake, &cache, &["--no-cache"]).1, 2);
    assert_eq!(one_cli_lookup(&fake, &cache, &["--cache-ttl", "0"]).1, 3);
    let off = lookup(&fake, &cache, "81.2.69.142", json!({"cache_ttl_s": "0"}));
    assert_eq!(off.json["meta"]["cache_hits"], 0);
    assert_eq!(fake.queries_for("81.2.69.142"), 4);
    assert!(!cache.parent().unwrap().exists(), "nothing was made");
    // `--web` alone uses it.
    assert_eq!(one_cli_lookup(&fake, &cache, &[]).1, 5);
    let (warm, asked) = one_cli_lookup(&fake, &cache, &[]);
    assert_eq!((warm["meta"]["cache_hits"].as_u64(), asked), (Some(1), 5));
}

/// `cache ARGS… --cache-path CACHE`.
fn cache_command(args: &[&str], cache: &Path) -> Output {
    let mut all = vec!["cache"];
    all.extend_from_slice(args);
    all.extend(["--cache-path", cache.to_str().unwrap()]);
    let out = cli(&all, b"", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

#[test]
fn cache_stats_prune_and_clear_say_what_they_found_and_did() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let none = cache_command(&["stats"], &cache);
    assert!(none.stdout.contains("no web cache"), "{}", none.stdout);
    assert!(!cache.exists(), "looking makes nothing");
    bulk(
        &fake,
        &cache,
        "81.2.69.142 2.125.160.216 1.1.1.2",
        json!({}),
        json!({}),
    );

    let stats = cache_command(&["stats"], &cache);
    let text = &stats.stdout;
    for expected in [
        cache.to_str().unwrap(),
        "entries  3 (2 answers, 1 not found; 0 past their lifetime)",
        "KiB on disk",
        "of 256.0 MiB in use",
        "lifetime 7 days",
        "asking   0 IPs",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    let oldest = text.lines().find(|l| l.starts_with("oldest")).unwrap();
    assert!(
        oldest.contains("Z (") && oldest.ends_with("s ago)"),
        "{oldest}"
    );

    // The default place, through the environment, is the same cache.
    let via_env = cli(
        &["cache", "stats"],
        b"",
        &[(CACHE_VAR, cache.to_str().unwrap())],
    );
    assert!(via_env.stdout.contains("entries  3 "), "{}", via_env.stdout);

    let pruned = cache_command(&["prune"], &cache);
    assert!(pruned.stdout.contains("pruned"), "{}", pruned.stdout);
    assert!(pruned.stdout.contains("0 answers past their lifetime"));
    let cleared = cache_command(&["clear"], &cache);
    assert!(
        cleared.stdout.contains("3 answers deleted"),
        "{}",
        cleared.stdout
    );
    let empty = cache_command(&["stats"], &cache);
    assert!(empty.stdout.contains("entries  0 "), "{}", empty.stdout);
    assert!(empty.stdout.contains("oldest   -"), "{}", empty.stdout);
    let cold = bulk(&fake, &cache, "81.2.69.142", json!({}), json!({}));
    assert_eq!(cold.json["meta"]["cache_hits"], 0, "cleared: asked again");

    std::thread::sleep(Duration::from_millis(2_100));
    let expired = cache_command(&["prune", "--cache-ttl", "1"], &cache);
    assert!(
        expired.stdout.contains("1 answers past their lifetime"),
        "{}",
        expired.stdout
    );
    let usage = cli(&["cache", "empty"], b"", &[]);
    assert_eq!(usage.code, 2);
}

/// Starts plugin mode on `req` with the cache at `cache`; the caller waits for it (or kills it).
fn start_plugin(req: &Value, cache: &Path) -> std::process::Child {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .current_dir(root())
        .env_remove("MAXMIND_LICENSE_KEY")
        .env("GEOIPUPDATE_CONF_FILE", "")
        .env(CACHE_VAR, cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(req.to_string().as_bytes()).unwrap();
    child
}

#[test]
fn the_claim_of_a_killed_action_holds_others_back_only_until_its_deadline() {
    // Each answer takes 2 s; a query is given 3 s (one try): a claim lasts 3 s.
    let fake = FakeMaxMind::start(Options {
        delay: Duration::from_secs(2),
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let settings = json!({"timeout_s": 3, "retries": 1});
    let req = json!({"action": "lookup", "config": web_config(&fake, &settings),
                     "object": {"type": "indicator", "value": "81.2.69.142"}});
    let started = Instant::now();
    let mut first = start_plugin(&req, &cache);
    while fake.queries_for("81.2.69.142") == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never asked");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Killed while asking (SIGKILL: nothing is cleaned up): its claim stays in the file.
    first.kill().unwrap();
    first.wait().unwrap();

    let second = lookup(&fake, &cache, "81.2.69.142", settings);
    let took = started.elapsed();
    assert_eq!(second.json["status"], "success", "{}", second.json);
    assert!(second.warning_codes().is_empty(), "{}", second.json);
    assert_eq!(second.json["meta"]["queries_sent"], 1);
    assert_eq!(fake.queries_for("81.2.69.142"), 2, "asked again once");
    // It waited for the claim's deadline (3 s after the first asked), then asked (2 s): not
    // at once, nor for ever.
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(20),
        "{took:?}"
    );
}

#[test]
fn a_cache_locked_too_long_is_a_warning_and_the_action_runs_on_without_it() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    lookup(&fake, &cache, "81.2.69.142", json!({}));
    // Another program holds the write lock throughout.
    let holder = rusqlite::Connection::open(&cache).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let run = bulk(
        &fake,
        &cache,
        "81.2.69.142 2.125.160.216",
        json!({}),
        json!({}),
    );
    assert_eq!(run.json["status"], "success", "{}", run.json);
    assert_eq!(run.warning_codes(), ["cache_unavailable"]);
    let warning = run.json["warnings"][0]["message"].as_str().unwrap();
    assert!(warning.contains("locked"), "{warning}");
    // Reads go on beside the lock; the address it could not claim was asked all the same.
    assert_eq!(run.json["meta"]["cache_hits"], 1);
    assert_eq!(run.json["meta"]["queries_sent"], 1);
    assert_eq!(
        run.json["results"][1]["data"]["traits"]["ip_address"],
        "2.125.160.216"
    );
    assert_eq!(fake.queries_for("2.125.160.216"), 1);
    holder.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn over_cache_max_mib_the_oldest_answers_go_first() {
    let fake = FakeMaxMind::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache_in(&dir);
    let small = json!({"cache_max_mib": 1});
    // More answers than 1 MiB holds.
    let ips = public_ips(6000);
    let run = bulk(&fake, &cache, &ips.join("\n"), small.clone(), json!({}));
    assert_eq!(run.json["meta"]["queries_sent"], 6000);
    let stats = cache_command(&["stats", "--cache-max-mib", "1"], &cache);
    let entries: u64 = stats
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("entries"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", stats.stdout));
    assert!(entries > 1000 && entries < 6000, "{}", stats.stdout);
    // The first answered went; the last is kept.
    let (first, last) = (&ips[0], &ips[5999]);
    assert_eq!(
        lookup(&fake, &cache, first, small.clone()).json["meta"]["cache_hits"],
        0
    );
    assert_eq!(fake.queries_for(first), 2);
    assert_eq!(
        lookup(&fake, &cache, last, small).json["meta"]["cache_hits"],
        1
    );
    assert_eq!(fake.queries_for(last), 1);
}
