//! The project's own fixture databases: each `fixtures/*.json` (metadata + records in MaxMind's
//! source-data form) is the source of the `.mmdb` beside it.
//!
//! `UPDATE_FIXTURES=1 cargo test fixtures` rewrites the `.mmdb` files from their sources;
//! otherwise the test fails when a committed file differs from what its source builds.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use mmdb_writer::{IpVersion, Writer};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::harness::fixtures;

#[derive(Deserialize)]
struct Source {
    metadata: Metadata,
    records: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Metadata {
    database_type: String,
    description: Map<String, Value>,
    languages: Vec<String>,
    ip_version: u8,
    build_epoch: u64,
}

/// Builds the MMDB bytes described by one fixture source file.
pub fn build(source: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(source).expect("fixture source is readable");
    build_from_json(&text)
}

/// Builds MMDB bytes from a fixture source document (`{"metadata": …, "records": […]}`).
pub fn build_from_json(text: &str) -> Vec<u8> {
    build_from_source(serde_json::from_str(text).expect("fixture source parses"))
}

/// [`build_from_json`] of a document already parsed: its floats are written exactly as they
/// are (serde_json's text parser may land a long float one step off).
pub fn build_from_value(source: Value) -> Vec<u8> {
    build_from_source(serde_json::from_value(source).expect("fixture source is well-formed"))
}

fn build_from_source(source: Source) -> Vec<u8> {
    let m = source.metadata;
    let description: Vec<(String, String)> = m
        .description
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let description: Vec<(&str, &str)> = description
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut writer = Writer::builder(m.database_type)
        .languages(m.languages)
        .description(&description)
        .ip_version(if m.ip_version == 4 {
            IpVersion::V4
        } else {
            IpVersion::V6
        })
        .build_epoch(UNIX_EPOCH + Duration::from_secs(m.build_epoch))
        .build();
    for entry in source.records {
        for (network, record) in entry {
            let network: ipnet::IpNet = network.parse().expect("fixture network parses");
            writer
                .insert(network, &record)
                .expect("fixture record is writable");
        }
    }
    writer.to_bytes().expect("fixture database builds")
}

#[test]
fn committed_fixture_databases_match_their_sources() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).expect("fixtures/ exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let built = build(&path);
        let mmdb = path.with_extension("mmdb");
        if update {
            std::fs::write(&mmdb, &built).expect("fixture database is writable");
        } else {
            let committed = std::fs::read(&mmdb).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run UPDATE_FIXTURES=1 cargo test fixtures",
                    mmdb.display()
                )
            });
            assert!(
                committed == built,
                "{} is stale; run UPDATE_FIXTURES=1 cargo test fixtures",
                mmdb.display()
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 8, "one fixture per database shape");
}
