//! Both actions with `"source": "web_api"`, through the binary, against the fake MaxMind service
//! and proxy of [`crate::fake_maxmind`].

use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_maxmind::{ACCOUNT, FakeMaxMind, FakeProxy, KEY, Options};
use crate::harness::{Run, attrs, lookup_request, root, run_in};

fn web_config(fake: &FakeMaxMind, extra: Value) -> Value {
    let mut c = json!({"source": "web_api", "account_id": ACCOUNT, "license_key": KEY,
                       "web_api_url": fake.url(), "bypass_proxy": true});
    c.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    c
}

fn lookup(fake: &FakeMaxMind, ip: &str, extra: Value) -> Run {
    let mut req = lookup_request(&[], ip, json!({}));
    req["config"] = web_config(fake, extra);
    run_with_env(&req, &[])
}

fn run_with_env(req: &Value, env: &[(&str, &str)]) -> Run {
    let run = run_in(&root(), &[], req.to_string().as_bytes(), env);
    let everything = format!("{}{}", run.json, run.stderr);
    assert!(
        !everything.contains(KEY),
        "the license key leaked: {everything}"
    );
    run
}

#[test]
fn a_web_lookup_maps_like_the_same_record_from_files() {
    let fake = FakeMaxMind::start(Options::default());
    for ip in ["81.2.69.142", "2.125.160.216", "89.160.20.115"] {
        let web = lookup(&fake, ip, json!({}));
        assert_eq!(web.code, 0, "{}", web.json);
        let files = crate::harness::plugin(&lookup_request(
            &["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"],
            ip,
            json!({}),
        ));
        assert_eq!(
            attrs(&web.json["attributes"]),
            attrs(&files.json["attributes"]),
            "{ip}"
        );
        assert_eq!(web.json["indicators"], files.json["indicators"], "{ip}");
        assert_eq!(web.result()["network"], files.result()["network"], "{ip}");
    }
    let run = lookup(&fake, "81.2.69.142", json!({}));
    let data = &run.result()["data"];
    assert_eq!(
        data["maxmind"]["queries_remaining"], 4997,
        "data is the body exactly as sent"
    );
    assert_eq!(data["traits"]["network"], "81.2.69.128/26");
    assert!(
        data["traits"].get("prefix_len").is_none(),
        "nothing is added to the body"
    );
    assert_eq!(run.json["meta"]["source"], "web_api");
    assert_eq!(run.json["meta"]["queries_sent"], 1);
    assert_eq!(run.json["meta"]["queries_remaining"], 4997);
    let seen = fake.seen();
    assert!(
        seen.iter()
            .all(|s| s.authorized && s.accept == "application/json")
    );
    assert!(
        seen[0].user_agent.starts_with("maxmind-geolocate/"),
        "{}",
        seen[0].user_agent
    );
    assert_eq!(seen[0].path, "/geoip/v2.1/city/81.2.69.142");
}

#[test]
fn contexts_choose_the_endpoint() {
    let fake = FakeMaxMind::start(Options::default());
    let run = lookup(&fake, "81.2.69.142", json!({"context_type": "country"}));
    assert_eq!(
        fake.seen().last().unwrap().path,
        "/geoip/v2.1/country/81.2.69.142"
    );
    assert!(
        !attrs(&run.json["attributes"])
            .iter()
            .any(|(n, _)| n == "City")
    );
    let run = lookup(&fake, "81.2.69.142", json!({"context_type": "asn"}));
    assert_eq!(
        fake.seen().last().unwrap().path,
        "/geoip/v2.1/city/81.2.69.142"
    );
    assert_eq!(
        attrs(&run.json["attributes"]),
        [(
            "ASN Organization".to_owned(),
            "Andrews & Arnold Ltd".to_owned()
        )]
    );
    lookup(&fake, "81.2.69.142", json!({"context_type": "insights"}));
    assert_eq!(
        fake.seen().last().unwrap().path,
        "/geoip/v2.1/insights/81.2.69.142"
    );
}

fn result_code(run: &Run) -> String {
    run.result()["error"]["code"]
        .as_str()
        .unwrap_or("none")
        .to_owned()
}

#[test]
fn every_maxmind_error_has_its_code() {
    let fake = FakeMaxMind::start(Options::default());
    let fast = json!({"timeout_s": 1});
    for (ip, code, status, says) in [
        ("1.1.1.1", "invalid_ip", "error", "not a valid IP address"),
        ("1.1.1.2", "not_found", "success", "not in the database"),
        (
            "1.1.1.3",
            "reserved_ip",
            "success",
            "reserved or private range",
        ),
        (
            "1.1.1.4",
            "permission_required",
            "error",
            "do not have permission",
        ),
        ("1.1.1.5", "out_of_queries", "error", "out of funds"),
        ("1.1.1.6", "http_error", "error", "HTTP 400"),
        ("1.1.1.7", "http_error", "error", "not a JSON object"),
        ("1.1.1.12", "http_error", "error", "SOMETHING_NEW"),
        ("1.1.1.9", "service_unavailable", "error", "HTTP 503"),
        ("1.1.1.10", "timeout", "error", "in time"),
    ] {
        let run = lookup(&fake, ip, fast.clone());
        assert_eq!(result_code(&run), code, "{ip}: {}", run.json);
        assert_eq!(run.json["status"], status, "{ip}");
        let message = run.result()["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{ip}: {message}");
        assert_eq!(run.code, if status == "error" { 1 } else { 0 }, "{ip}");
    }
    assert_eq!(fake.queries_for("1.1.1.1"), 1, "4xx are never retried");
    assert_eq!(fake.queries_for("1.1.1.9"), 3, "5xx are tried three times");
    assert_eq!(
        fake.queries_for("1.1.1.10"),
        3,
        "timeouts are tried three times"
    );
}

#[test]
fn wrong_credentials_are_auth_invalid() {
    let fake = FakeMaxMind::start(Options::default());
    let run = lookup(&fake, "81.2.69.142", json!({"license_key": "WRONG-KEY"}));
    assert_eq!(run.error_codes(), ["auth_invalid"]);
    assert!(
        run.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("could not be authenticated")
    );
    assert_eq!(run.code, 1);
}

#[test]
fn server_errors_and_rate_limits_are_waited_out() {
    let fake = FakeMaxMind::start(Options::default());
    let run = lookup(&fake, "1.1.1.8", json!({}));
    assert_eq!(run.json["status"], "success", "{}", run.json);
    assert_eq!(fake.queries_for("1.1.1.8"), 3, "two 500s, then the answer");
    let started = std::time::Instant::now();
    let run = lookup(&fake, "1.1.1.11", json!({}));
    assert_eq!(run.json["status"], "success", "{}", run.json);
    assert_eq!(fake.queries_for("1.1.1.11"), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
}

fn bulk(
    fake: &FakeMaxMind,
    content: &str,
    extra: Value,
    params: Value,
    env: &[(&str, &str)],
) -> Run {
    let object = json!({"type": "attachment", "name": "ips.txt", "content": content});
    let req = json!({"action": "lookup_all_related_ips", "config": web_config(fake, extra),
                     "object": object, "params": params});
    run_with_env(&req, env)
}

/// `n` distinct public addresses outside the fake's special 1.1.1.0/24.
fn public_ips(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| std::net::Ipv4Addr::from(0x5100_0000 + i * 4099).to_string())
        .collect()
}

#[test]
fn a_bulk_sends_one_query_per_distinct_public_ip_in_parallel() {
    let fake = FakeMaxMind::start(Options {
        delay: Duration::from_millis(20),
        ..Options::default()
    });
    let distinct = public_ips(600);
    let mut content: Vec<String> = Vec::new();
    for (i, ip) in distinct.iter().enumerate() {
        content.push(ip.clone());
        if i % 3 == 0 {
            content.push(ip.clone()); // a duplicate
        }
    }
    for i in 0..200 {
        content.push(format!("10.{}.0.1", i % 250)); // reserved, never sent
    }
    assert!(content.len() >= 1000);
    let run = bulk(&fake, &content.join("\n"), json!({}), json!({}), &[]);
    assert_eq!(run.json["status"], "success", "{}", run.json["errors"]);
    let seen = fake.seen();
    assert_eq!(seen.len(), 600, "one query per distinct public IP");
    for ip in &distinct {
        assert_eq!(fake.queries_for(ip), 1, "{ip}");
    }
    assert!(
        seen.iter().all(|s| !s.path.contains("/10.")),
        "reserved IPs are never sent"
    );
    assert_eq!(run.json["results"].as_array().unwrap().len(), 600 + 200);
    assert_eq!(run.json["meta"]["queries_sent"], 600);
    assert_eq!(
        run.json["meta"]["queries_remaining"],
        5000 - 599,
        "the smallest figure reported"
    );
    let parallel = fake.max_in_flight();
    assert!(
        (2..=8).contains(&parallel),
        "{parallel} queries in flight at most"
    );
    assert_eq!(run.json["summary"]["located"], 600);
    assert_eq!(run.json["summary"]["reserved"], 200);
}

#[test]
fn out_of_queries_stops_sending_and_keeps_every_ip() {
    let fake = FakeMaxMind::start(Options {
        out_of_queries_after: Some(50),
        delay: Duration::from_millis(5),
        ..Options::default()
    });
    let ips = public_ips(700);
    let mut content = ips.clone();
    content.extend(ips[..200].iter().cloned()); // duplicates
    content.extend((0..100).map(|i| format!("192.168.{i}.1"))); // reserved
    assert!(content.len() >= 1000);
    let run = bulk(
        &fake,
        &content.join(" "),
        json!({"max_parallel_queries": 4}),
        json!({}),
        &[],
    );
    let results = run.json["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        800,
        "every distinct IP is still in the response"
    );
    let out = results
        .iter()
        .filter(|r| r["error"]["code"] == "out_of_queries")
        .count();
    let answered = results.iter().filter(|r| r["error"].is_null()).count();
    let reserved = results
        .iter()
        .filter(|r| r["error"]["code"] == "reserved_ip")
        .count();
    assert_eq!((answered, out, reserved), (50, 650, 100));
    let sent = fake.seen().len();
    assert!(
        sent <= 50 + 4,
        "queries stop at OUT_OF_QUERIES: {sent} sent"
    );
    assert!(
        ips.iter().all(|ip| fake.queries_for(ip) <= 1),
        "no address is asked twice"
    );
    assert_eq!(run.json["status"], "partial");
    assert_eq!(
        run.error_codes(),
        ["out_of_queries"],
        "listed once at the top"
    );
}

#[test]
fn a_dry_run_sends_nothing_and_counts_the_queries() {
    let fake = FakeMaxMind::start(Options::default());
    let run = bulk(
        &fake,
        "81.2.69.142 81.2.69.142 10.0.0.1 2.125.160.216",
        json!({}),
        json!({"dry_run": true}),
        &[],
    );
    assert!(fake.seen().is_empty());
    assert_eq!(run.json["meta"]["queries_planned"], 2);
    assert_eq!(run.json["status"], "success");
    assert_eq!(run.json["results"][0]["error"]["code"], "dry_run");
    assert_eq!(run.json.get("description"), None);
}

#[test]
fn proxies_from_the_environment_are_used_unless_bypassed() {
    let fake = FakeMaxMind::start(Options::default());
    let proxy = FakeProxy::start();
    let proxy_url = proxy.url(Some("analyst:proxy-pass-9c2e"));
    let env = [("HTTP_PROXY", proxy_url.as_str()), ("NO_PROXY", "")];
    let mut req = lookup_request(&[], "81.2.69.142", json!({}));
    req["config"] = web_config(&fake, json!({"bypass_proxy": false}));
    let run = run_with_env(&req, &env);
    assert_eq!(run.json["status"], "success", "{}", run.json);
    assert_eq!(proxy.relayed(), 1, "the query went through the proxy");
    assert!(!format!("{}{}", run.json, run.stderr).contains("proxy-pass-9c2e"));

    req["config"]["bypass_proxy"] = json!(true);
    let run = run_with_env(&req, &env);
    assert_eq!(run.json["status"], "success");
    assert_eq!(proxy.relayed(), 1, "bypass_proxy ignores the proxy");
    assert_eq!(fake.seen().len(), 2);
}

#[test]
fn an_unreachable_service_is_service_unavailable_without_secrets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut req = lookup_request(&[], "81.2.69.142", json!({}));
    req["config"] = json!({"source": "web_api", "account_id": ACCOUNT, "license_key": KEY,
                           "web_api_url": url, "retries": 2});
    let run = run_with_env(&req, &[]);
    assert_eq!(run.error_codes(), ["service_unavailable"]);
    assert_eq!(run.json["meta"]["queries_sent"], 0);
}

#[test]
fn a_service_that_echoes_the_credentials_never_gets_them_into_the_output() {
    // The fake echoes the license key, the account:key pair and its Basic base64 form, in a
    // proxy's 502 page, a 4xx error message, a 5xx error message and a 200 body. The harness
    // fails the run when any of them reaches stdout or stderr.
    let fake = FakeMaxMind::start(Options::default());
    let content = "1.1.2.1 1.1.2.2 1.1.2.3 1.1.2.4 81.2.69.142";
    for env in [&[][..], &[("MAXMIND_LICENSE_KEY", KEY)][..]] {
        let run = bulk(&fake, content, json!({"retries": 1}), json!({}), env);
        let results = run.json["results"].as_array().unwrap();
        assert_eq!(results.len(), 5, "{}", run.json);
        // What the service said is kept, scrubbed: its messages, and the echoing record.
        let codes: Vec<&str> = results
            .iter()
            .map(|r| r["error"]["code"].as_str().unwrap_or("located"))
            .collect();
        assert_eq!(
            codes,
            [
                "service_unavailable",
                "http_error",
                "service_unavailable",
                "located",
                "located"
            ]
        );
        let text = run.json.to_string();
        assert!(text.contains("[redacted]"), "{text}");
        assert!(text.contains("could not be authenticated"), "{text}");
        assert_eq!(results[3]["data"]["echo"]["key"], "[redacted]");
    }
}

#[test]
fn an_indented_answer_is_written_on_one_line_with_its_keys_in_order() {
    let fake = FakeMaxMind::start(Options::default());
    let line = |ip: &str| {
        let mut req = lookup_request(&[], ip, json!({}));
        req["config"] = web_config(&fake, json!({}));
        req.to_string() + "\n"
    };
    let input = line("1.1.3.1") + &line("81.2.69.142");
    let out = crate::harness::cli(&["run", "--ndjson"], input.as_bytes(), &[]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per response: {}", out.stdout);
    let data = |l: &str| {
        let mut v: Value = serde_json::from_str(l).unwrap();
        // Each answer counts the queries left down by one.
        v["results"][0]["data"]["maxmind"].take();
        v["results"][0]["data"].take()
    };
    let (indented, plain) = (data(lines[0]), data(lines[1]));
    assert_eq!(indented, plain);
    // The service's key order is kept, as MaxMind's readers keep it.
    let order = |l: &str| {
        let mut keys: Vec<(usize, &str)> = indented
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|k| l.find(&format!("\"{k}\":")).map(|at| (at, k.as_str())))
            .collect();
        keys.sort();
        keys.into_iter().map(|(_, k)| k).collect::<Vec<_>>()
    };
    assert_eq!(order(lines[0]), order(lines[1]));
    assert!(
        !lines[0].contains("\": "),
        "whitespace between tokens was kept: {}",
        lines[0]
    );
}

#[test]
fn an_answer_over_max_response_kib_is_an_http_error_and_not_copied() {
    let fake = FakeMaxMind::start(Options::default());
    let run = lookup(&fake, "1.1.3.2", json!({"max_response_kib": 1024}));
    assert_eq!(run.result()["error"]["code"], "http_error", "{}", run.json);
    let message = run.result()["error"]["message"].as_str().unwrap();
    assert!(message.contains("max_response_kib"), "{message}");
    assert!(
        run.json.to_string().len() < 10_000,
        "the padding was copied"
    );
    // The same service's ordinary answers still come through.
    let ok = lookup(&fake, "81.2.69.142", json!({"max_response_kib": 1024}));
    assert!(ok.result()["error"].is_null(), "{}", ok.json);
}

#[test]
fn credentials_of_the_machine_go_only_to_maxmind_or_where_the_machine_says() {
    let fake = FakeMaxMind::start(Options::default());
    let mut req = lookup_request(&[], "81.2.69.142", json!({}));
    req["config"] = json!({"source": "web_api", "web_api_url": fake.url(), "bypass_proxy": true});
    let from_env = [
        ("MAXMIND_ACCOUNT_ID", ACCOUNT),
        ("MAXMIND_LICENSE_KEY", KEY),
    ];
    // A request naming another service with the environment's key: refused, nothing sent.
    let run = run_with_env(&req, &from_env);
    assert_eq!(run.error_codes(), ["config_invalid"], "{}", run.json);
    let message = run.json["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("web_api_url"), "{message}");
    assert!(
        fake.seen().is_empty(),
        "a query was sent: {:?}",
        fake.seen()
    );
    // The same request with its own credentials goes where it says.
    req["config"]["account_id"] = json!(ACCOUNT);
    req["config"]["license_key"] = json!(KEY);
    let run = run_with_env(&req, &from_env);
    assert!(run.result()["error"].is_null(), "{}", run.json);
    // The machine's URL with the machine's key: the machine's choice.
    let mut req = lookup_request(&[], "81.2.69.142", json!({}));
    req["config"] = json!({"source": "web_api", "bypass_proxy": true});
    let url = fake.url();
    let run = run_with_env(
        &req,
        &[from_env[0], from_env[1], ("MAXMIND_WEB_API_URL", &url)],
    );
    assert!(run.result()["error"].is_null(), "{}", run.json);
}
