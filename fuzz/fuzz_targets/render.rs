//! The description renderer: any strings in; none of their markup reaches the HTML, and a
//! re-run keeps exactly one section.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maxmind_geolocate::Display;
use maxmind_geolocate::{Report, TableRow, Tally, apply_section, render_section};

fn display(parts: &[String]) -> Display {
    let s = |i: usize| parts.get(i).cloned().unwrap_or_default();
    Display {
        country: Some(s(2)),
        country_code: Some(s(3)),
        subdivisions: vec![s(4), s(5)],
        city: Some(s(6)),
        asn: Some(s(7)),
        asn_organization: Some(s(8)),
        isp: Some(s(9)),
        latitude: Some(1.5),
        longitude: Some(-2.5),
        accuracy_radius: Some(10),
        flags: vec!["Is Anonymous"],
    }
}

fn report<'a>(parts: &'a [String], display: &'a Display) -> Report<'a> {
    let s = |i: usize| parts.get(i).cloned().unwrap_or_default();
    Report {
        attachment: Some(s(0)),
        rows: vec![TableRow {
            ip: parts.get(1).map_or("", String::as_str),
            display,
            found_in: parts.get(17).map(String::as_str),
        }],
        not_found: vec![s(10)],
        reserved: vec![(s(11), s(12))],
        failed: vec![(s(13), s(14))],
        sources: vec![(s(15), s(16))],
        countries: vec![Tally {
            key: parts.get(3).map_or("", String::as_str),
            name: parts.get(2).map_or("", String::as_str),
            ips: 1,
        }],
        networks: vec![Tally {
            key: parts.get(7).map_or("", String::as_str),
            name: parts.get(8).map_or("", String::as_str),
            ips: 1,
        }],
        map: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<String> = text.split('\u{1}').map(str::to_owned).collect();
    let html = render_section(&report(&parts, &display(&parts)));
    let blank = render_section(&report(&[], &display(&[])));
    let tags = |h: &str| h.matches(['<', '>', '"']).count();
    assert_eq!(tags(&html), tags(&blank), "input markup reached the HTML");
    let existing = parts.last().cloned().unwrap_or_default();
    let once = apply_section(&existing, html.clone());
    let twice = apply_section(&once, blank.clone());
    assert!(twice.contains(&blank));
    assert!(once.contains(&html));
});
