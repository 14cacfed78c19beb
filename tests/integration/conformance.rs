//! Conformance with MaxMind's official test databases: an address in every network of every
//! GeoIP2/GeoLite2 source file is looked up through the binary, and `data` must equal the source
//! record (plus `ip_address`/`prefix_len`) while the attributes must match the mapping table.
//!
//! Where networks overlap, the later network in the source file overwrote the earlier one when
//! the database was built, so the expected record for an address is that of the *last* network
//! containing it.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde_json::{Map, Value, json};

use crate::harness::{maxmind_test_data, root, run_in};

/// One source network and its record.
struct Entry {
    network: IpNet,
    record: Value,
}

/// `::a.b.c.d/n` (n ≥ 96) is how source files write IPv4 networks of an IPv6 tree.
fn normalise(network: IpNet) -> IpNet {
    if let IpNet::V6(v6) = network {
        let bits = u128::from(v6.addr());
        if bits >> 32 == 0 && v6.prefix_len() >= 96 {
            let v4 = std::net::Ipv4Addr::from((bits & 0xffff_ffff) as u32);
            return IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).unwrap();
        }
    }
    network
}

fn read_source(path: &Path) -> Vec<Entry> {
    let list: Vec<Map<String, Value>> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    list.into_iter()
        .flat_map(|m| m.into_iter())
        .map(|(net, record)| Entry {
            network: normalise(net.parse().unwrap()),
            record,
        })
        .collect()
}

/// Addresses to probe: the first and last address of every network, deduplicated.
fn probes(entries: &[Entry]) -> Vec<IpAddr> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for e in entries {
        for ip in [e.network.network(), e.network.broadcast()] {
            if seen.insert(ip) {
                out.push(ip);
            }
        }
    }
    out
}

/// The record the database holds for `ip`: the last source network containing it wins.
fn expected(entries: &[Entry], ip: IpAddr) -> Option<&Entry> {
    entries.iter().rev().find(|e| e.network.contains(&ip))
}

fn is_located(database_type: &str) -> bool {
    ["City", "Country", "Enterprise"]
        .iter()
        .any(|k| database_type.contains(k))
}

/// Numbers compare as numbers (a 32-bit float in the file reads back widened).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || ((x - y) / y.abs().max(1e-9)).abs() < 1e-6
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// The mapping table, written again independently as the test's oracle: JSON paths of a record
/// (`*` = every array element) and the attribute or indicator they give.
const ORACLE: &[(&str, &str)] = &[
    ("postal/code", "Postal Code"),
    ("city/names/en", "City"),
    ("subdivisions/*/names/en", "Subdivision"),
    ("registered_country/names/en", "Country"),
    ("registered_country/iso_code", "Country Code"),
    ("country/names/en", "Country"),
    ("country/iso_code", "Country Code"),
    ("represented_country/names/en", "Country"),
    ("represented_country/iso_code", "Country Code"),
    ("location/latitude", "Latitude"),
    ("location/longitude", "Longitude"),
    ("location/time_zone", "Timezone"),
    ("location/metro_code", "Metro Code"),
    ("continent/code", "Continent Code"),
    ("continent/names/en", "Continent"),
];
const FLAT_ORACLE: &[(&str, &str)] = &[
    ("autonomous_system_number", "indicator:ASN"),
    ("autonomous_system_organization", "ASN Organization"),
    ("is_anonymous", "Is Anonymous"),
    ("is_anonymous_vpn", "Is Anonymous VPN"),
    ("is_hosting_provider", "Is Hosting Provider"),
    ("is_public_proxy", "Is Public Proxy"),
    ("is_residential_proxy", "Is Residential Proxy"),
    ("is_tor_exit_node", "Is TOR Exit Node"),
    ("connection_type", "Connection Type"),
    ("domain", "indicator:FQDN"),
    ("isp", "ISP"),
    ("organization", "Organization"),
];
const COUNTRY_ROWS: &[&str] = &["Country", "Country Code", "Continent Code", "Continent"];

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        Value::Number(n) if n.is_f64() => Some(format!("{:?}", n.as_f64().unwrap())),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn walk(v: &Value, path: &[&str], out: &mut Vec<String>) {
    match path.split_first() {
        None => out.extend(text(v)),
        Some((&"*", rest)) => v
            .as_array()
            .into_iter()
            .flatten()
            .for_each(|i| walk(i, rest, out)),
        Some((key, rest)) => {
            if let Some(next) = v.get(*key) {
                walk(next, rest, out);
            }
        }
    }
}

/// What the table says a record of this database type gives, as `name=value` strings.
fn oracle(record: &Value, database_type: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut values = Vec::new();
    let country_only = database_type.contains("Country");
    if is_located(database_type) {
        for (path, name) in ORACLE {
            if country_only && !COUNTRY_ROWS.contains(name) {
                continue;
            }
            values.clear();
            walk(record, &path.split('/').collect::<Vec<_>>(), &mut values);
            if path.starts_with("location/l") {
                // Coordinates are doubles in the database, even where the source wrote `13`,
                // and are reported to four decimals (rounded here in decimal, not in binary).
                values = values
                    .iter()
                    .map(|v| {
                        format!(
                            "{:?}",
                            format!("{:.4}", v.parse::<f64>().unwrap())
                                .parse::<f64>()
                                .unwrap()
                        )
                    })
                    .collect();
            }
            out.extend(values.iter().map(|v| format!("{name}={v}")));
        }
    }
    if country_only {
        return out;
    }
    for scope in [record, record.get("traits").unwrap_or(&Value::Null)] {
        for (key, name) in FLAT_ORACLE {
            if let Some(v) = scope.get(*key).and_then(text) {
                out.insert(format!("{name}={v}"));
            }
        }
    }
    out
}

fn mapped(result: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in result["attributes"].as_array().unwrap() {
        out.insert(format!(
            "{}={}",
            a["name"].as_str().unwrap(),
            a["value"].as_str().unwrap()
        ));
    }
    for i in result["indicators"].as_array().unwrap() {
        out.insert(format!(
            "indicator:{}={}",
            i["type"].as_str().unwrap(),
            i["value"].as_str().unwrap()
        ));
    }
    out
}

/// Runs `lookup --context auto` for `ips` on `dbs` in one process.
fn lookup_all(dbs: &[&Path], ips: &[IpAddr]) -> Value {
    let mut args: Vec<String> = vec!["lookup".into(), "--context".into(), "auto".into()];
    for db in dbs {
        args.push("--db".into());
        args.push(db.to_string_lossy().into_owned());
    }
    args.push("-".into());
    let stdin: String = ips.iter().map(|ip| format!("{ip}\n")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_in(&root(), &args, stdin.as_bytes(), &[]);
    assert_ne!(run.json["status"], "error", "{}", run.json["errors"]);
    run.json
}

/// MaxMind's reader, used directly as the oracle for the network a record is stored under
/// (MaxMind's builds merge adjacent identical networks, so the source file cannot say).
fn stored_prefix(reader: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<u8> {
    let result = reader.lookup(ip).unwrap();
    result
        .has_data()
        .then(|| result.network().unwrap().prefix())
}

/// Checks one result's network and prefix: it holds the IP, and its length is the narrowest that
/// the reader reports among the databases with a record.
fn check_network(
    result: &Value,
    ip: IpAddr,
    readers: &[maxminddb::Reader<Vec<u8>>],
    prefix_len: &Value,
    what: &str,
) {
    let network: IpNet = result["network"].as_str().unwrap().parse().unwrap();
    assert!(
        network.contains(&ip),
        "{what}: {network} does not hold {ip}"
    );
    let narrowest = readers.iter().filter_map(|r| stored_prefix(r, ip)).max();
    assert_eq!(Some(network.prefix_len()), narrowest, "{what}: network");
    assert_eq!(
        prefix_len,
        &json!(network.prefix_len()),
        "{what}: prefix_len"
    );
}

fn open(db: &Path) -> maxminddb::Reader<Vec<u8>> {
    maxminddb::Reader::open_readfile(db).unwrap()
}

#[test]
fn every_network_of_every_maxmind_test_database_answers_as_its_source() {
    let data = maxmind_test_data();
    let mut databases = 0;
    let mut checked = 0;
    let mut reserved = Vec::new();
    for entry in std::fs::read_dir(data.join("source-data")).unwrap() {
        let source_path = entry.unwrap().path();
        let stem = source_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !(stem.starts_with("GeoIP") || stem.starts_with("GeoLite2")) {
            continue;
        }
        let db = data.join("test-data").join(format!("{stem}.mmdb"));
        if !db.exists() {
            continue;
        }
        databases += 1;
        let entries = read_source(&source_path);
        let readers = [open(&db)];
        let ips = probes(&entries);
        let response = lookup_all(&[&db], &ips);
        let database_type = response["meta"]["databases"][0]["database_type"]
            .as_str()
            .unwrap()
            .to_owned();
        let results = response["results"].as_array().unwrap();
        assert_eq!(
            results.len(),
            ips.len(),
            "{stem}: one result per distinct IP"
        );
        for (ip, result) in ips.iter().zip(results) {
            let what = format!("{stem} {ip}");
            assert_eq!(result["ip"], ip.to_string(), "{what}");
            if result["error"]["code"] == "reserved_ip" {
                reserved.push(ip.to_string());
                continue;
            }
            let source = expected(&entries, *ip).unwrap();
            if source.record.as_object().is_some_and(Map::is_empty) {
                assert_eq!(
                    result["error"]["code"], "not_found",
                    "{what}: an empty record"
                );
                continue;
            }
            assert_eq!(result["error"], Value::Null, "{what}");
            let data = &result["data"];
            let mut want = source.record.clone();
            let (added, prefix_len) = if is_located(&database_type) {
                let traits = want
                    .as_object_mut()
                    .unwrap()
                    .entry("traits")
                    .or_insert(json!({}));
                (
                    traits.as_object_mut().unwrap(),
                    &data["traits"]["prefix_len"],
                )
            } else {
                (want.as_object_mut().unwrap(), &data["prefix_len"])
            };
            added.insert("ip_address".into(), json!(ip.to_string()));
            added.insert("prefix_len".into(), prefix_len.clone());
            assert!(same(data, &want), "{what}:\n got  {data}\n want {want}");
            check_network(result, *ip, &readers, prefix_len, &what);
            assert_eq!(
                mapped(result),
                oracle(&source.record, &database_type),
                "{what}: attributes"
            );
            checked += 1;
        }
    }
    assert!(
        databases >= 14,
        "every GeoIP2/GeoLite2 test database with source data: {databases}"
    );
    eprintln!(
        "{checked} addresses checked in {databases} databases; {} special-purpose: {reserved:?}",
        reserved.len()
    );
    assert!(checked > 4000, "addresses checked: {checked}");
    assert!(
        reserved.len() < 50,
        "only special-purpose ranges are set aside: {reserved:?}"
    );
}

#[test]
fn city_asn_and_anonymous_ip_merge_as_one_answer() {
    let data = maxmind_test_data();
    let names = [
        "GeoIP2-City-Test",
        "GeoLite2-ASN-Test",
        "GeoIP2-Anonymous-IP-Test",
    ];
    let sources: Vec<Vec<Entry>> = names
        .iter()
        .map(|n| read_source(&data.join("source-data").join(format!("{n}.json"))))
        .collect();
    let dbs: Vec<_> = names
        .iter()
        .map(|n| data.join("test-data").join(format!("{n}.mmdb")))
        .collect();
    let readers: Vec<_> = dbs.iter().map(|p| open(p)).collect();
    let mut ips: Vec<IpAddr> = Vec::new();
    for s in &sources {
        for ip in probes(s) {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
    }
    let response = lookup_all(&dbs.iter().map(|p| p.as_path()).collect::<Vec<_>>(), &ips);
    let results = response["results"].as_array().unwrap();
    assert_eq!(results.len(), ips.len());
    let mut merged = 0;
    for (ip, result) in ips.iter().zip(results) {
        let what = format!("merge {ip}");
        if result["error"]["code"] == "reserved_ip" {
            continue;
        }
        let hits: Vec<Option<&Entry>> = sources.iter().map(|s| expected(s, *ip)).collect();
        let mut want = hits[0].map_or(json!({}), |e| e.record.clone());
        let traits = want
            .as_object_mut()
            .unwrap()
            .entry("traits")
            .or_insert(json!({}));
        for hit in hits[1..].iter().flatten() {
            for (k, v) in hit.record.as_object().unwrap() {
                traits
                    .as_object_mut()
                    .unwrap()
                    .entry(k.clone())
                    .or_insert(v.clone());
            }
        }
        if hits
            .iter()
            .all(|h| h.is_none_or(|e| e.record.as_object().unwrap().is_empty()))
        {
            assert_eq!(result["error"]["code"], "not_found", "{what}");
            continue;
        }
        let traits = want["traits"].as_object_mut().unwrap();
        traits.insert("ip_address".into(), json!(ip.to_string()));
        traits.insert(
            "prefix_len".into(),
            result["data"]["traits"]["prefix_len"].clone(),
        );
        assert!(
            same(&result["data"], &want),
            "{what}:\n got  {}\n want {want}",
            result["data"]
        );
        check_network(
            result,
            *ip,
            &readers,
            &result["data"]["traits"]["prefix_len"],
            &what,
        );
        if hits.iter().filter(|h| h.is_some()).count() >= 2 {
            merged += 1;
        }
    }
    eprintln!("{merged} addresses merged from two or more databases");
    assert!(
        merged >= 20,
        "addresses with records in several databases: {merged}"
    );
}

#[test]
fn london_and_boxford_on_the_official_city_database() {
    let data = maxmind_test_data();
    let request = |ip: &str| {
        json!({"action": "lookup",
               "config": {"db_dir": data.join("test-data"), "mmdb_filename": "GeoIP2-City-Test.mmdb"},
               "object": {"type": "indicator", "indicator_type": "IP Address", "value": ip}})
    };
    let run = crate::harness::plugin(&request("81.2.69.142"));
    assert_eq!(run.code, 0);
    let a = crate::harness::attrs(&run.json["attributes"]);
    for pair in [
        ("City", "London"),
        ("Country", "United Kingdom"),
        ("Country Code", "GB"),
        ("Subdivision", "England"),
        ("Latitude", "51.5142"),
        ("Longitude", "-0.0931"),
        ("Timezone", "Europe/London"),
        ("Continent", "Europe"),
    ] {
        assert!(
            a.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} missing from {a:?}"
        );
    }
    let run = crate::harness::plugin(&request("2.125.160.216"));
    let a = crate::harness::attrs(&run.json["attributes"]);
    assert!(a.contains(&("City".into(), "Boxford".into())), "{a:?}");
    assert!(a.contains(&("Postal Code".into(), "OX1".into())), "{a:?}");
}
