//! The databases the file backend's tests run on: the project's fixtures, MaxMind's official
//! test and corrupt databases, and a generated database holding every MMDB data type.
//!
//! MaxMind's data is read from env `MAXMIND_TEST_DATA`, else `../shared/maxmind-db` beside the
//! project. When it is missing the tests that need it fail, saying where they looked: they
//! never pass without running.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use mmdb_writer::{IpVersion, Value, Writer};

/// MaxMind's test data folder (`test-data/`, `bad-data/`).
pub fn maxmind() -> PathBuf {
    let dir = std::env::var_os("MAXMIND_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/maxmind-db"))
        });
    assert!(
        dir.join("test-data").is_dir(),
        "MaxMind's test data is not at {}: set MAXMIND_TEST_DATA to a checkout of \
         https://github.com/maxmind/MaxMind-DB",
        dir.display()
    );
    dir
}

/// Every database file: the fixtures, MaxMind's test databases and its corrupt ones.
pub fn every_file() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")),
        maxmind().join("test-data"),
    ];
    for sub in std::fs::read_dir(maxmind().join("bad-data"))
        .into_iter()
        .flatten()
    {
        dirs.push(sub.unwrap().path());
    }
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmdb"))
        .collect();
    files.sort();
    files
}

/// Every database as bytes with its name, the generated ones included.
pub fn every_database() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = every_file()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    all.push((
        "generated every-type City".into(),
        every_type("GeoIP2-City", IpVersion::V6),
    ));
    all.push((
        "generated every-type ASN (IPv4)".into(),
        every_type("GeoLite2-ASN", IpVersion::V4),
    ));
    all.push((
        "generated every-type unknown kind".into(),
        every_type("Example-Other", IpVersion::V6),
    ));
    all
}

/// A database whose records hold every MMDB data type (strings that need escaping and that do
/// not, doubles and floats of every kind, bytes, every integer width at its limits, nested and
/// empty maps and arrays, booleans), in the shapes the mapping reads, with maps shared by
/// several records (the writer stores them once, behind pointers).
pub fn every_type(database_type: &str, version: IpVersion) -> Vec<u8> {
    let names = |en: &str| {
        Value::map([
            ("en", Value::from(en)),
            ("de", Value::from(format!("{en} (de) \"q\" \\ </script>"))),
            ("zh-CN", Value::from("北京")),
        ])
    };
    let country = Value::map([
        ("geoname_id", Value::U32(2_635_167)),
        ("iso_code", Value::from("GB")),
        ("names", names("United Kingdom")),
        ("is_in_european_union", Value::Bool(false)),
    ]);
    let mut writer = Writer::builder(database_type)
        .languages(["en", "de", "zh-CN"].map(String::from).to_vec())
        .description(&[("en", "every MMDB data type")])
        .ip_version(version)
        .build();
    for (i, double) in [
        0.0,
        -0.0,
        51.5142,
        -1e-7,
        1e300,
        123_456.789,
        f64::MIN_POSITIVE,
    ]
    .into_iter()
    .enumerate()
    {
        let n = i as u8;
        let record = Value::map([
            ("city", Value::map([("names", names("London"))])),
            ("country", country.clone()),
            (
                "registered_country",
                if i % 2 == 0 {
                    country.clone()
                } else {
                    Value::map([("iso_code", Value::from("DE")), ("names", names("Germany"))])
                },
            ),
            (
                "continent",
                Value::map([("code", Value::from("EU")), ("names", names("Europe"))]),
            ),
            (
                "subdivisions",
                Value::array((0..i % 3).map(|j| {
                    Value::map([
                        ("iso_code", Value::from(format!("S{j}"))),
                        ("names", names(&format!("Sub {j}"))),
                    ])
                })),
            ),
            (
                "location",
                Value::map([
                    ("latitude", Value::Double(double)),
                    ("longitude", Value::Double(-double)),
                    ("accuracy_radius", Value::U16(u16::MAX - u16::from(n))),
                    ("time_zone", Value::from("Europe/London")),
                    ("metro_code", Value::U16(u16::from(n))),
                ]),
            ),
            (
                "postal",
                Value::map([("code", Value::from("EC2V\t\u{1}\u{7f}"))]),
            ),
            (
                "traits",
                Value::map([
                    (
                        "autonomous_system_number",
                        Value::U32(u32::MAX - u32::from(n)),
                    ),
                    (
                        "autonomous_system_organization",
                        Value::from("Org \"quoted\" & <tagged> ünïcödé"),
                    ),
                    ("is_anonymous", Value::Bool(i % 2 == 0)),
                    ("is_tor_exit_node", Value::Bool(true)),
                    ("domain", Value::from("example.com")),
                    ("isp", Value::from("Example ISP")),
                    ("organization", Value::from("")),
                    ("connection_type", Value::from("Cable/DSL")),
                ]),
            ),
            (
                "autonomous_system_number",
                Value::U32(64_512 + u32::from(n)),
            ),
            ("is_anonymous_vpn", Value::Bool(true)),
            ("float", Value::Float(1.1 + f32::from(n))),
            ("bytes", Value::Bytes(vec![0, 1, 127, 128, 255, n])),
            ("u64", Value::U64(u64::MAX - u64::from(n))),
            ("u128", Value::U128(u128::MAX - u128::from(n))),
            ("small_u128", Value::U128(u128::from(n))),
            ("i32", Value::I32(i32::MIN + i32::from(n))),
            ("positive_i32", Value::I32(i32::from(n))),
            ("empty_map", Value::map(Vec::<(String, Value)>::new())),
            ("empty_array", Value::array(Vec::<Value>::new())),
            (
                "nested",
                Value::array([Value::array([Value::map([(
                    "deep",
                    Value::array([Value::Bool(false)]),
                )])])]),
            ),
        ]);
        let net: ipnet::IpNet = match version {
            IpVersion::V4 => format!("81.2.{}.0/24", 60 + i).parse().unwrap(),
            _ => format!("2a02:ff{i:02x}::/32").parse().unwrap(),
        };
        writer.insert_value(net, record.clone()).unwrap();
        if version != IpVersion::V4 {
            // The same record for an IPv4 network (IPv4 in an IPv6 tree).
            let v4: ipnet::IpNet = format!("81.2.{}.0/24", 60 + i).parse().unwrap();
            writer.insert_value(v4, record).unwrap();
        }
    }
    // A record without `traits` (it gets one for the address), and an empty one.
    writer
        .insert_value(
            "81.2.80.0/24".parse::<ipnet::IpNet>().unwrap(),
            Value::map([("country", country.clone())]),
        )
        .unwrap();
    writer
        .insert_value(
            "81.2.81.0/24".parse::<ipnet::IpNet>().unwrap(),
            Value::map(Vec::<(String, Value)>::new()),
        )
        .unwrap();
    writer.to_bytes().unwrap()
}

/// Addresses that probe a database: the first and last address of each of its first networks
/// and the addresses just outside them (IPv4 and IPv6), and a spread over the whole space.
pub fn probes(bytes: &[u8]) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = Vec::new();
    if let Ok(reader) = maxminddb::Reader::from_source(bytes) {
        for all in ["0.0.0.0/0", "::/0"] {
            let Ok(networks) =
                reader.within(all.parse().unwrap(), maxminddb::WithinOptions::default())
            else {
                continue;
            };
            for item in networks.take(2_000) {
                let Ok(net) = item.and_then(|i| i.network()) else {
                    break;
                };
                let Ok(net) = ipnet::IpNet::new(net.ip(), net.prefix()) else {
                    continue;
                };
                match net {
                    ipnet::IpNet::V4(net) => {
                        let (first, last) = (u32::from(net.network()), u32::from(net.broadcast()));
                        for a in [first.wrapping_sub(1), first, last, last.wrapping_add(1)] {
                            ips.push(IpAddr::V4(Ipv4Addr::from(a)));
                        }
                    }
                    ipnet::IpNet::V6(net) => {
                        let (first, last) =
                            (u128::from(net.network()), u128::from(net.broadcast()));
                        for a in [first, last, last.wrapping_add(1)] {
                            ips.push(IpAddr::V6(a.into()));
                        }
                    }
                }
            }
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..3_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ips.push(IpAddr::V4(Ipv4Addr::from(state as u32)));
        if i % 5 == 0 {
            ips.push(IpAddr::V6(
                (u128::from(state) << 64 | u128::from(state)).into(),
            ));
        }
    }
    ips.extend([
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::BROADCAST),
    ]);
    ips
}
