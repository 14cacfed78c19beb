//! The Lookup action on the project's fixture databases, through the binary.

use serde_json::{Value, json};

use crate::harness::{attrs, lookup_request, pairs, plugin, root, run_in};

const CITY: &str = "GeoIP2-City-Fixture.mmdb";
const COUNTRY: &str = "GeoIP2-Country-Fixture.mmdb";
const ASN: &str = "GeoLite2-ASN-Fixture.mmdb";
const ANON: &str = "GeoIP2-Anonymous-IP-Fixture.mmdb";
const ENTERPRISE: &str = "GeoIP2-Enterprise-Fixture.mmdb";
const ISP: &str = "GeoIP2-ISP-Fixture.mmdb";

fn lookup(dbs: &[&str], ip: &str, config: Value) -> crate::harness::Run {
    plugin(&lookup_request(dbs, ip, config))
}

#[test]
fn a_city_record_becomes_every_city_attribute() {
    let run = lookup(&[CITY], "81.2.69.142", json!({}));
    assert_eq!(run.code, 0);
    assert_eq!(run.json["status"], "success");
    assert_eq!(run.json["action"], "lookup");
    let result = run.result();
    assert_eq!(result["ip"], "81.2.69.142");
    assert_eq!(result["network"], "81.2.69.128/26");
    assert_eq!(result["error"], Value::Null);
    assert_eq!(
        attrs(&result["attributes"]),
        pairs(&[
            ("Postal Code", "EC2V"),
            ("City", "London"),
            ("Subdivision", "England"),
            ("Country", "United Kingdom"),
            ("Country Code", "GB"),
            ("Latitude", "51.5142"),
            ("Longitude", "-0.0931"),
            ("Timezone", "Europe/London"),
            ("Continent Code", "EU"),
            ("Continent", "Europe"),
        ])
    );
    assert_eq!(
        run.json["attributes"], result["attributes"],
        "Lookup's top level is its one result"
    );
    assert_eq!(
        result["data"]["traits"],
        json!({"ip_address": "81.2.69.142", "prefix_len": 26})
    );
    assert_eq!(result["data"]["city"]["geoname_id"], 2643743);
    let db = &run.json["meta"]["databases"][0];
    assert_eq!(db["file"], CITY);
    assert_eq!(db["database_type"], "GeoIP2-City");
    assert_eq!(db["build_epoch"], 1764201600);
    assert_eq!(db["network"], "81.2.69.128/26");
    assert_eq!(run.json["meta"]["source"], "db_file");
}

#[test]
fn every_subdivision_and_the_postal_code_are_attributes() {
    let run = lookup(&[CITY], "2.125.160.216", json!({}));
    let a = attrs(&run.result()["attributes"]);
    assert!(a.contains(&("City".into(), "Boxford".into())));
    assert!(a.contains(&("Postal Code".into(), "OX1".into())));
    let subs: Vec<_> = a
        .iter()
        .filter(|(n, _)| n == "Subdivision")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(subs, ["England", "West Berkshire"]);
}

#[test]
fn a_country_level_record_gives_no_city_and_whole_coordinates_keep_their_point() {
    let run = lookup(&[CITY], "67.43.156.9", json!({}));
    let a = attrs(&run.result()["attributes"]);
    assert!(!a.iter().any(|(n, _)| n == "City" || n == "Postal Code"));
    assert!(a.contains(&("Country".into(), "Bhutan".into())));
    assert!(a.contains(&("Latitude".into(), "27.5".into())));

    let mut req = lookup_request(&[CITY], "2a02:ff80::1", json!({}));
    req["object"]["indicator_type"] = json!("IPv6 Address");
    let run = plugin(&req);
    let a = attrs(&run.result()["attributes"]);
    assert!(a.contains(&("Latitude".into(), "51.0".into())), "{a:?}");
    assert!(a.contains(&("Longitude".into(), "9.0".into())), "{a:?}");
    assert_eq!(run.result()["network"], "2a02:ff80::/29");
    assert_eq!(run.result()["data"]["traits"]["prefix_len"], 29);
    assert!(run.warning_codes().is_empty(), "{}", run.json["warnings"]);
}

#[test]
fn registered_and_represented_countries_are_countries_too() {
    let run = lookup(&[CITY], "89.160.20.120", json!({}));
    let a = attrs(&run.result()["attributes"]);
    let countries: Vec<_> = a
        .iter()
        .filter(|(n, _)| n == "Country")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        countries,
        ["Sweden", "Germany"],
        "where the IP is first, then where it is registered"
    );

    let run = lookup(&[CITY], "202.196.224.1", json!({}));
    let a = attrs(&run.result()["attributes"]);
    let codes: Vec<_> = a
        .iter()
        .filter(|(n, _)| n == "Country Code")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        codes,
        ["PH", "US"],
        "country PH, registered US, represented US once"
    );
}

#[test]
fn names_come_in_the_configured_locale_or_english() {
    let run = lookup(&[CITY], "81.2.69.142", json!({"locale": "ja"}));
    let a = attrs(&run.result()["attributes"]);
    assert!(a.contains(&("City".into(), "ロンドン".into())));
    assert!(a.contains(&("Continent".into(), "ヨーロッパ".into())));
    assert!(
        a.contains(&("Subdivision".into(), "England".into())),
        "no ja name: English"
    );
}

#[test]
fn the_value_is_trimmed_refanged_and_unmapped() {
    for value in [
        " 81.2.69.142\n",
        "81.2.69[.]142",
        "81[.]2[.]69[.]142",
        "::ffff:81.2.69.142",
    ] {
        let run = lookup(&[CITY], value, json!({}));
        assert_eq!(run.code, 0, "{value:?}");
        assert_eq!(run.result()["ip"], "81.2.69.142", "{value:?}");
        assert_eq!(
            run.result()["data"]["traits"]["prefix_len"],
            26,
            "{value:?}: IPv4 terms"
        );
    }
}

#[test]
fn an_address_in_no_database_or_with_an_empty_record_is_not_found_but_success() {
    for ip in ["8.8.8.8", "1.0.0.1"] {
        let run = lookup(&[CITY], ip, json!({}));
        assert_eq!(run.code, 0, "{ip}");
        assert_eq!(run.json["status"], "success");
        assert_eq!(run.result()["error"]["code"], "not_found", "{ip}");
        assert_eq!(run.result()["data"], Value::Null);
        assert!(run.result()["attributes"].as_array().unwrap().is_empty());
        assert!(run.json["errors"].as_array().unwrap().is_empty());
    }
}

#[test]
fn special_purpose_addresses_are_not_looked_up() {
    for ip in [
        "10.1.12.1",
        "127.0.0.1",
        "192.168.1.1",
        "fe80::1",
        "2001:db8::1",
        "239.1.1.1",
        "240.0.0.1",
    ] {
        let run = lookup(&[CITY], ip, json!({}));
        assert_eq!(run.code, 0, "{ip}");
        assert_eq!(run.json["status"], "success", "{ip}");
        assert_eq!(run.result()["error"]["code"], "reserved_ip", "{ip}");
        assert!(
            run.result()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not globally reachable")
        );
    }
}

#[test]
fn country_context_applies_only_country_rows() {
    let run = lookup(&[CITY], "81.2.69.142", json!({"context_type": "country"}));
    assert_eq!(
        attrs(&run.result()["attributes"]),
        pairs(&[
            ("Country", "United Kingdom"),
            ("Country Code", "GB"),
            ("Continent Code", "EU"),
            ("Continent", "Europe"),
        ])
    );
    let run = lookup(
        &[COUNTRY],
        "81.2.69.142",
        json!({"context_type": "country"}),
    );
    assert_eq!(run.result()["data"]["traits"]["prefix_len"], 26);
    assert_eq!(attrs(&run.result()["attributes"]).len(), 4);
}

#[test]
fn asn_context_on_an_asn_database_gives_the_asn_indicator_and_flat_data() {
    let run = lookup(&[ASN], "81.2.69.142", json!({"context_type": "asn"}));
    assert_eq!(run.code, 0);
    let result = run.result();
    assert_eq!(
        attrs(&result["attributes"]),
        pairs(&[("ASN Organization", "Andrews & Arnold Ltd")])
    );
    assert_eq!(
        result["indicators"],
        json!([{"type": "ASN", "value": "20712"}])
    );
    assert_eq!(run.json["indicators"], result["indicators"]);
    assert_eq!(
        result["data"],
        json!({"autonomous_system_number": 20712, "autonomous_system_organization": "Andrews & Arnold Ltd",
               "ip_address": "81.2.69.142", "prefix_len": 24})
    );
}

#[test]
fn asn_context_on_an_enterprise_database_reads_traits() {
    let run = lookup(&[ENTERPRISE], "81.2.69.142", json!({"context_type": "asn"}));
    assert_eq!(
        attrs(&run.result()["attributes"]),
        pairs(&[("ASN Organization", "Andrews & Arnold Ltd")])
    );
    assert_eq!(
        run.result()["indicators"],
        json!([{"type": "ASN", "value": "20712"}])
    );
}

#[test]
fn an_enterprise_record_maps_its_traits() {
    let run = lookup(&[ENTERPRISE], "81.2.69.142", json!({}));
    let a = attrs(&run.result()["attributes"]);
    for pair in [
        ("City", "London"),
        ("ASN Organization", "Andrews & Arnold Ltd"),
        ("Connection Type", "Cable/DSL"),
        ("ISP", "Andrews & Arnold"),
        ("Organization", "STONEHOUSE office network"),
    ] {
        assert!(
            a.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} missing from {a:?}"
        );
    }
    assert_eq!(
        run.result()["indicators"],
        json!([{"type": "ASN", "value": "20712"}, {"type": "FQDN", "value": "aa.net.uk"}])
    );
}

#[test]
fn a_list_of_databases_merges_into_one_answer() {
    let run = lookup(&[CITY, ASN, ANON], "81.2.69.142", json!({}));
    assert_eq!(run.code, 0);
    let result = run.result();
    let data = &result["data"];
    assert_eq!(data["city"]["names"]["en"], "London");
    assert_eq!(
        data["traits"],
        json!({"autonomous_system_number": 20712, "autonomous_system_organization": "Andrews & Arnold Ltd",
               "is_anonymous": true, "is_hosting_provider": true,
               "ip_address": "81.2.69.142", "prefix_len": 26})
    );
    assert_eq!(
        result["network"], "81.2.69.128/26",
        "the narrowest matched network"
    );
    let a = attrs(&result["attributes"]);
    for pair in [
        ("City", "London"),
        ("ASN Organization", "Andrews & Arnold Ltd"),
        ("Is Anonymous", "True"),
        ("Is Hosting Provider", "True"),
    ] {
        assert!(
            a.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} missing from {a:?}"
        );
    }
    assert!(
        !a.iter().any(|(n, _)| n == "Is TOR Exit Node"),
        "absent flags add nothing"
    );
    let networks: Vec<_> = run.json["meta"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["network"].as_str().unwrap_or("-").to_owned())
        .collect();
    assert_eq!(
        networks,
        ["81.2.69.128/26", "81.2.69.0/24", "81.2.69.128/26"]
    );
}

#[test]
fn merged_answers_keep_their_shape_when_only_one_database_matches() {
    let run = lookup(&[CITY, ASN], "67.43.156.9", json!({}));
    assert_eq!(
        run.result()["data"]["traits"],
        json!({"ip_address": "67.43.156.9", "prefix_len": 24})
    );
    let run = lookup(&[CITY, ASN], "1.128.0.1", json!({}));
    assert_eq!(
        run.result()["data"],
        json!({"traits": {"autonomous_system_number": 1221, "autonomous_system_organization": "Telstra Pty Ltd",
                          "ip_address": "1.128.0.1", "prefix_len": 11}})
    );
}

#[test]
fn the_database_listed_first_wins_a_shared_key() {
    let run = lookup(&[ISP, ASN], "1.128.0.1", json!({"context_type": "asn"}));
    let a = attrs(&run.result()["attributes"]);
    assert!(
        a.contains(&("ISP".into(), "Telstra Internet".into())),
        "an ISP database adds its rows"
    );
    assert_eq!(run.result()["data"]["traits"]["isp"], "Telstra Internet");

    let run = lookup(&[ENTERPRISE, ASN], "81.2.69.142", json!({}));
    assert_eq!(
        run.result()["data"]["traits"]["organization"],
        "STONEHOUSE office network"
    );
    assert_eq!(run.result()["network"], "81.2.69.128/26");
}

#[test]
fn a_database_that_cannot_serve_the_context_is_left_out_with_a_warning() {
    let run = lookup(&[ASN, CITY], "81.2.69.142", json!({"context_type": "asn"}));
    assert_eq!(run.code, 0);
    assert_eq!(run.warning_codes(), ["database_unused"]);
    assert_eq!(run.json["meta"]["databases"][1]["used"], false);
    assert!(
        !attrs(&run.result()["attributes"])
            .iter()
            .any(|(n, _)| n == "City")
    );
    assert!(run.result()["data"].get("city").is_none());
}

#[test]
fn auto_context_lets_each_database_answer_as_its_type_says() {
    let run = lookup(
        &[COUNTRY, ASN],
        "81.2.69.142",
        json!({"context_type": "auto"}),
    );
    let a = attrs(&run.result()["attributes"]);
    assert!(a.contains(&("Country Code".into(), "GB".into())));
    assert!(a.contains(&("ASN Organization".into(), "Andrews & Arnold Ltd".into())));
}

#[test]
fn side_issues_are_warnings_not_errors() {
    let mut req = lookup_request(&[CITY], "2a02:ff80::1", json!({"favourite_colour": "red"}));
    req["params"] = json!({"verbose": true});
    let run = plugin(&req);
    assert_eq!(run.code, 0);
    let mut codes = run.warning_codes();
    codes.sort();
    assert_eq!(
        codes,
        [
            "indicator_type_mismatch",
            "unknown_config_key",
            "unknown_param"
        ]
    );
}

#[test]
fn the_display_name_of_the_action_is_accepted() {
    let mut req = lookup_request(&[CITY], "81.2.69.142", json!({}));
    req["action"] = json!("Lookup");
    let run = plugin(&req);
    assert_eq!(run.code, 0);
    assert_eq!(run.json["action"], "lookup");
}

#[test]
fn db_dir_defaults_to_env_then_the_current_directory() {
    let req = json!({"action": "lookup", "config": {"mmdb_filename": CITY},
                     "object": {"type": "indicator", "value": "81.2.69.142"}});
    let body = req.to_string();
    let fixtures = root().join("fixtures");
    let run = run_in(
        &root(),
        &[],
        body.as_bytes(),
        &[("MAXMIND_DB_DIR", fixtures.to_str().unwrap())],
    );
    assert_eq!(run.json["status"], "success", "{}", run.json);
    let run = run_in(&fixtures, &[], body.as_bytes(), &[]);
    assert_eq!(run.json["status"], "success", "{}", run.json);
    let run = run_in(&root(), &[], body.as_bytes(), &[]);
    assert_eq!(run.error_codes(), ["db_not_found"]);
}

#[test]
fn the_lookup_command_answers_several_ips_with_the_same_response() {
    let city = root().join("fixtures").join(CITY);
    let asn = root().join("fixtures").join(ASN);
    let run = run_in(
        &root(),
        &[
            "lookup",
            "81.2.69.142",
            "2.125.160.216",
            "81.2.69[.]142",
            "--db",
            city.to_str().unwrap(),
            "--db",
            asn.to_str().unwrap(),
        ],
        b"",
        &[],
    );
    assert_eq!(run.code, 0);
    let results = run.json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "duplicates are answered once");
    assert_eq!(results[1]["ip"], "2.125.160.216");
    assert!(
        attrs(&results[0]["attributes"])
            .contains(&("ASN Organization".into(), "Andrews & Arnold Ltd".into()))
    );

    let plugin_run = lookup(&[CITY], "81.2.69.142", json!({}));
    let cli_run = run_in(
        &root(),
        &["lookup", "81.2.69.142", "--db", city.to_str().unwrap()],
        b"",
        &[],
    );
    assert_eq!(
        cli_run.json["results"], plugin_run.json["results"],
        "one code path"
    );

    let stdin_run = run_in(
        &root(),
        &["lookup", "-", "--db", city.to_str().unwrap()],
        b"81.2.69.142\n8.8.8.8\n",
        &[],
    );
    assert_eq!(stdin_run.json["results"].as_array().unwrap().len(), 2);
}

#[test]
fn help_is_everywhere_and_usage_errors_exit_2() {
    for args in [&["--help"][..], &["lookup", "--help"], &["run", "--help"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(["lookup"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "lookup without an IP is a usage error"
    );
}

#[test]
fn the_example_requests_in_fixtures_succeed_without_a_warning() {
    let dir = root().join("fixtures").join("requests");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        let run = crate::harness::plugin_bytes(&body);
        assert_eq!(
            run.json["status"],
            "success",
            "{}: {}",
            path.display(),
            run.json
        );
        // The README's first command: its output is shown there with `"warnings": []`.
        assert_eq!(
            run.json["warnings"],
            serde_json::json!([]),
            "{}",
            path.display()
        );
        let results = run.json["results"].as_array().unwrap();
        assert!(
            results
                .iter()
                .any(|r| !r["attributes"].as_array().unwrap().is_empty()),
            "{}",
            path.display()
        );
    }
}
