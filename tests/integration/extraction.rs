//! The address scan on realistic text (`fixtures/extract/`: firewall and proxy logs, detection
//! rules, mail headers, certificates, source code, SIEM exports, each with its hand-written
//! ground truth): `extract` finds every address in the truth and nothing else.
//! `fixtures/extract/score.py` prints the same comparison as a precision/recall table.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::harness::{cli, fixtures};

/// An address by value: a zone id dropped, IPv4-mapped IPv6 read as IPv4.
fn canonical(line: &str) -> Option<IpAddr> {
    let text = line.trim().trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = text.split('%').next()?.parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

#[test]
fn extract_finds_exactly_the_addresses_of_realistic_text() {
    let dir = fixtures().join("extract");
    let mut files = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures/extract exists") {
        let truth_path = entry.expect("a directory entry").path();
        if truth_path.extension().is_none_or(|e| e != "truth") {
            continue;
        }
        files += 1;
        let text_path = truth_path.with_extension("txt");
        let truth: BTreeSet<IpAddr> = std::fs::read_to_string(&truth_path)
            .expect("the truth file reads")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| canonical(l).unwrap_or_else(|| panic!("{l:?} in {truth_path:?}")))
            .collect();
        let out = cli(
            &["extract", text_path.to_str().expect("UTF-8 path")],
            b"",
            &[],
        );
        assert_eq!(out.code, 0, "{text_path:?}");
        let found: BTreeSet<IpAddr> = out
            .stdout
            .lines()
            .map(|l| canonical(l).unwrap_or_else(|| panic!("extract printed {l:?}")))
            .collect();
        let name = text_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let false_positives: Vec<_> = found.difference(&truth).collect();
        let missed: Vec<_> = truth.difference(&found).collect();
        if !false_positives.is_empty() || !missed.is_empty() {
            wrong.push(format!(
                "{name:?}: not there {false_positives:?}, missed {missed:?}"
            ));
        }
    }
    assert!(files >= 16, "the corpus is there ({files} files)");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
