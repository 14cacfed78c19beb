//! The results section Lookup All Related IPs writes into an attachment's description.
//!
//! The summary comes first — the counts, the map, the countries and networks the addresses
//! are in — then a row per located address, then the addresses without a location. Every
//! location is shown as precise as it is ([`super::precision`]).
//!
//! The section sits between two HTML comments; running the action again replaces the section
//! instead of appending a second one, and the rest of the description is kept whole.

use foldhash::{HashMap, HashMapExt};
use std::fmt::Write;

use super::precision;
use super::summary::{self, Tally};
use super::worldmap::WorldMap;
use super::{MapImage, escape, escape_into, thousands};
use crate::mapping::Display;

/// Opens the operation's section of a description.
pub const BEGIN: &str = "<!-- maxmind-geolocate:begin -->";
/// Closes it.
pub const END: &str = "<!-- maxmind-geolocate:end -->";

/// One located IP in the table.
#[derive(Debug, Clone)]
pub struct TableRow<'a> {
    /// The address (borrowed from its result: a bulk's report would otherwise copy each).
    pub ip: &'a str,
    /// What the record says (shared by the addresses of one record).
    pub display: &'a Display,
    /// The part of the attachment it was first found in.
    pub found_in: Option<&'a str>,
}

/// Which columns the results table has beside the record's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns {
    /// "Found in": the part of the attachment (shown when the attachment has parts).
    pub found_in: bool,
    /// "Anonymizer": the flags (shown when any row has one).
    pub flags: bool,
    /// "ASN" and "ASN Organization / ISP" (shown when any row has one of them).
    pub network: bool,
}

/// Everything the section shows.
#[derive(Debug, Clone, Default)]
pub struct Report<'a> {
    /// The attachment's file name.
    pub attachment: Option<String>,
    /// Located IPs, in order of first appearance.
    pub rows: Vec<TableRow<'a>>,
    /// IPs in no database.
    pub not_found: Vec<String>,
    /// Special-purpose IPs and why.
    pub reserved: Vec<(String, String)>,
    /// Values that failed and why.
    pub failed: Vec<(String, String)>,
    /// The databases: type and build date (`YYYY-MM-DD`).
    pub sources: Vec<(String, String)>,
    /// Located IPs per country (ISO code, name), most first.
    pub countries: Vec<Tally<'a>>,
    /// Located IPs per autonomous system (number, organization), most first.
    pub networks: Vec<Tally<'a>>,
    /// The map, if any.
    pub map: Option<Map>,
}

/// The map a description shows.
#[derive(Debug, Clone)]
pub enum Map {
    /// Mapbox's image, loaded from Mapbox by the analyst's browser.
    Mapbox(MapImage),
    /// The offline map, carried in the description itself.
    Offline(WorldMap),
}

/// The `alt` text of either map.
const MAP_ALT: &str = "Map of the located IP addresses";

/// Renders the section, markers included.
pub fn render_section(report: &Report<'_>) -> String {
    render_section_with(report, &|rows, columns| vec![table_rows(rows, columns)])
}

/// [`render_section`], with the table's rows rendered by `rows` in pieces that, joined, give
/// what [`table_rows`] gives (a caller may render shares of them on several threads): they
/// are copied once, into the section.
pub fn render_section_with(
    report: &Report<'_>,
    rows: &(dyn Fn(&[TableRow<'_>], Columns) -> Vec<String> + Sync),
) -> String {
    let total =
        report.rows.len() + report.not_found.len() + report.reserved.len() + report.failed.len();
    // The section of a large attachment is tens of megabytes, better not grown by doubling:
    // room for all but the table here, and for the table too once its rows are rendered.
    let mut h = String::with_capacity(4096);
    h.push_str(BEGIN);
    h.push_str("\n<div class=\"maxmind-geolocate\">\n");
    let _ = write!(
        h,
        "<h3>MaxMind Geolocate: {} IP address{}",
        thousands(total as u64),
        if total == 1 { "" } else { "es" }
    );
    if let Some(name) = &report.attachment {
        h.push_str(" in ");
        escape_into(name, &mut h);
    }
    let _ = write!(
        h,
        "</h3>\n<p>Located {}, not found {}, special-purpose (not looked up) {}, failed {}.",
        thousands(report.rows.len() as u64),
        thousands(report.not_found.len() as u64),
        thousands(report.reserved.len() as u64),
        thousands(report.failed.len() as u64)
    );
    if !report.sources.is_empty() {
        h.push_str(" Data: ");
        for (i, (kind, built)) in report.sources.iter().enumerate() {
            if i > 0 {
                h.push_str(", ");
            }
            escape_into(kind, &mut h);
            h.push_str(" (built ");
            escape_into(built, &mut h);
            h.push(')');
        }
        h.push('.');
    }
    h.push_str("</p>\n");

    match &report.map {
        Some(Map::Mapbox(map)) => {
            let _ = writeln!(
                h,
                "<p><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\"></p>",
                escape(&map.url),
                MAP_ALT,
                super::map::WIDTH,
                super::map::HEIGHT
            );
            if map.ips_left_off > 0 {
                let _ = writeln!(
                    h,
                    "<p>The map shows {} locations ({} IPs); {} located IPs at other locations are left off.</p>",
                    map.pins, map.ips_on_map, map.ips_left_off
                );
            }
        }
        // Scaled down to the width the description has; the legend under the map says what
        // is left off.
        Some(Map::Offline(map)) => {
            let _ = writeln!(h, "<p>{}</p>", map.img_tag(MAP_ALT));
        }
        None => {}
    }
    summary::push_tables(
        &mut h,
        &report.countries,
        &report.networks,
        report.rows.len(),
    );

    let mut table = None;
    if !report.rows.is_empty() {
        let columns = Columns {
            found_in: report.rows.iter().any(|r| {
                r.found_in
                    .is_some_and(|f| Some(f) != report.attachment.as_deref())
            }),
            flags: report.rows.iter().any(|r| !r.display.flags.is_empty()),
            network: report.rows.iter().any(|r| {
                let d = r.display;
                d.asn.is_some() || d.asn_organization.is_some() || d.isp.is_some()
            }),
        };
        h.push_str(
            "<h4>Located IPs</h4>\n<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\n<thead><tr><th>IP</th>",
        );
        if columns.found_in {
            h.push_str("<th>Found in</th>");
        }
        h.push_str("<th>Country</th><th>Subdivision</th><th>City</th>");
        if columns.network {
            h.push_str("<th>ASN</th><th>ASN Organization / ISP</th>");
        }
        h.push_str("<th>Latitude, Longitude</th><th>Accuracy</th>");
        if columns.flags {
            h.push_str("<th>Anonymizer</th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        table = Some(columns);
    }
    // What follows the table's rows.
    let head = h;
    let mut h = String::new();
    if table.is_some() {
        h.push_str("</tbody>\n</table>\n");
    }

    if !report.not_found.is_empty() {
        h.push_str("<p><b>Not found</b> (in no database): ");
        list(
            &mut h,
            report.not_found.iter().map(|ip| (ip.as_str(), None)),
        );
        h.push_str("</p>\n");
    }
    if !report.reserved.is_empty() {
        h.push_str("<p><b>Special-purpose</b> (not globally reachable, not looked up): ");
        list(
            &mut h,
            report
                .reserved
                .iter()
                .map(|(ip, why)| (ip.as_str(), Some(why.as_str()))),
        );
        h.push_str("</p>\n");
    }
    if !report.failed.is_empty() {
        h.push_str("<p><b>Failed</b>:</p>\n<ul>\n");
        for (value, why) in &report.failed {
            h.push_str("<li>");
            escape_into(value, &mut h);
            h.push_str(": ");
            escape_into(why, &mut h);
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</div>\n");
    h.push_str(END);
    match table {
        Some(columns) => {
            let table = rows(&report.rows, columns);
            let table_len: usize = table.iter().map(String::len).sum();
            let mut section = String::with_capacity(head.len() + table_len + h.len());
            section.push_str(&head);
            for piece in &table {
                section.push_str(piece);
            }
            section.push_str(&h);
            section
        }
        None => head + &h,
    }
}

fn list<'a>(h: &mut String, items: impl Iterator<Item = (&'a str, Option<&'a str>)>) {
    for (i, (ip, why)) in items.enumerate() {
        if i > 0 {
            h.push_str(", ");
        }
        escape_into(ip, h);
        if let Some(why) = why {
            h.push_str(" (");
            escape_into(why, h);
            h.push(')');
        }
    }
}

/// The rows of the results table for `rows`, with the `columns` asked for. A
/// record's addresses share its cells: each record's are rendered once.
pub fn table_rows(rows: &[TableRow<'_>], columns: Columns) -> String {
    let mut cells: HashMap<*const Display, String> = HashMap::new();
    let mut h = String::with_capacity(rows.len() * 160);
    for row in rows {
        h.push_str("<tr><td>");
        escape_into(row.ip, &mut h);
        h.push_str("</td>");
        if columns.found_in {
            h.push_str("<td>");
            escape_into(row.found_in.unwrap_or(""), &mut h);
            h.push_str("</td>");
        }
        let text = cells
            .entry(std::ptr::from_ref(row.display))
            .or_insert_with(|| {
                let mut text = String::new();
                record_cells(row.display, columns, &mut text);
                text
            });
        h.push_str(text);
        h.push_str("</tr>\n");
    }
    h
}

/// One row rendered alone: the plain path [`table_rows`] must agree with.
#[cfg(test)]
fn render_row(row: &TableRow<'_>, columns: Columns, h: &mut String) {
    h.push_str("<tr><td>");
    escape_into(row.ip, h);
    h.push_str("</td>");
    if columns.found_in {
        h.push_str("<td>");
        escape_into(row.found_in.unwrap_or(""), h);
        h.push_str("</td>");
    }
    record_cells(row.display, columns, h);
    h.push_str("</tr>\n");
}

/// The cells after the address: what the record says.
fn record_cells(d: &Display, columns: Columns, h: &mut String) {
    let cell = |h: &mut String, text: &str| {
        h.push_str("<td>");
        escape_into(text, h);
        h.push_str("</td>");
    };
    // Short cells a line break would only make harder to read. (The `nowrap` attribute
    // rather than a `style`: sanitizers that strip styles keep it, and it is 20 bytes a cell
    // shorter, 6 MB in the description of 100,000 addresses.)
    let nowrap = |h: &mut String, text: &str| {
        h.push_str("<td nowrap>");
        escape_into(text, h);
        h.push_str("</td>");
    };
    let country = match (&d.country_code, &d.country) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => String::new(),
    };
    nowrap(h, &country);
    cell(h, &d.subdivisions.join(", "));
    cell(h, d.city.as_deref().unwrap_or(""));
    if columns.network {
        cell(h, d.asn.as_deref().unwrap_or(""));
        let org = match (&d.asn_organization, &d.isp) {
            (Some(org), Some(isp)) if org != isp => format!("{org} / {isp}"),
            (Some(one), _) | (None, Some(one)) => one.clone(),
            (None, None) => String::new(),
        };
        cell(h, &org);
    }
    nowrap(h, &precision::coordinates(d).unwrap_or_default());
    nowrap(h, &precision::accuracy(d));
    if columns.flags {
        let names: Vec<&str> = d
            .flags
            .iter()
            .map(|f| f.strip_prefix("Is ").unwrap_or(f))
            .collect();
        cell(h, &names.join(", "));
    }
}

/// Puts `section` into `existing`: in place of an earlier section, else after the existing text.
/// (`section` is taken as it is when there is no text around it: it can be tens of megabytes.)
pub fn apply_section(existing: &str, section: String) -> String {
    let earlier = existing.find(BEGIN).and_then(|begin| {
        let end = begin + existing[begin..].find(END)? + END.len();
        Some((&existing[..begin], &existing[end..]))
    });
    let (before, after) = match earlier {
        Some((before, after)) => (before, after),
        None if existing.trim().is_empty() => return section,
        None => (existing, ""),
    };
    let newline = if earlier.is_none() { "\n" } else { "" };
    let mut out = String::with_capacity(before.len() + newline.len() + section.len() + after.len());
    for part in [before, newline, &section, after] {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report<'static> {
        Report {
            attachment: Some("<b>report</b>.txt".into()),
            rows: vec![TableRow {
                ip: "81.2.69.142",
                found_in: None,
                // A test's record, alive to the end of the tests.
                display: Box::leak(Box::new(Display {
                    country: Some("United Kingdom".into()),
                    country_code: Some("GB".into()),
                    subdivisions: vec!["England".into()],
                    city: Some("<script>alert(1)</script>".into()),
                    asn: Some("20712".into()),
                    asn_organization: Some("Andrews & Arnold Ltd".into()),
                    isp: Some("Andrews & Arnold".into()),
                    latitude: Some(51.514_24),
                    longitude: Some(-0.093_14),
                    accuracy_radius: Some(10),
                    flags: vec!["Is Anonymous", "Is TOR Exit Node"],
                })),
            }],
            not_found: vec!["8.8.8.8".into()],
            reserved: vec![("10.0.0.1".into(), "private-use".into())],
            failed: vec![("\"><img src=x onerror=alert(1)>".into(), "not an IP".into())],
            sources: vec![("GeoIP2-City".into(), "2025-11-27".into())],
            countries: vec![Tally {
                key: "GB",
                name: "United Kingdom",
                ips: 1,
            }],
            networks: vec![Tally {
                key: "20712",
                name: "Andrews & Arnold Ltd",
                ips: 1,
            }],
            map: None,
        }
    }

    #[test]
    fn rows_sharing_a_record_render_as_each_alone() {
        let mut records = vec![report().rows[0].display.clone()];
        records.push(Display {
            city: Some("Linköping".into()),
            flags: vec![],
            ..records[0].clone()
        });
        records.push(Display::default());
        // Each record shared by many addresses, its cells rendered once.
        let mut ips: Vec<String> = (0..10_007)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        // Text that grows when escaped.
        ips[5] = "<10.0.0.5> & 'x'".into();
        ips[10_006] = "\"&\"".into();
        let rows: Vec<TableRow<'_>> = ips
            .iter()
            .enumerate()
            .map(|(i, ip)| TableRow {
                ip,
                // Parts of an archive, one of them a name that needs escaping.
                found_in: [Some("a.zip/x.pdf"), None, Some("a.zip/<y>.eml")][i % 5 % 3],
                display: &records[i % 7 % 3],
            })
            .collect();
        let columns = Columns {
            found_in: true,
            flags: true,
            network: true,
        };
        let mut expected = String::new();
        for row in &rows {
            render_row(row, columns, &mut expected);
        }
        let section = render_section(&Report {
            rows,
            ..Report::default()
        });
        let body =
            &section[section.find("<tbody>\n").unwrap() + 8..section.find("</tbody>").unwrap()];
        assert_eq!(body, expected);
        assert!(expected.contains("Linköping") && expected.contains("TOR Exit Node"));
        assert!(expected.contains("&lt;10.0.0.5&gt; &amp; &#39;x&#39;"));
        assert!(expected.contains("<td>a.zip/&lt;y&gt;.eml</td>"));
        assert!(section.contains("<th>IP</th><th>Found in</th><th>Country</th>"));
    }

    #[test]
    fn found_in_is_shown_only_when_some_address_came_from_a_part() {
        let mut whole = report();
        whole.rows[0].found_in = Some("<b>report</b>.txt");
        assert!(!render_section(&whole).contains("Found in"));
        whole.rows[0].found_in = Some("<b>report</b>.txt/page.html");
        let html = render_section(&whole);
        assert!(html.contains("<th>Found in</th>"));
        assert!(html.contains("<td>&lt;b&gt;report&lt;/b&gt;.txt/page.html</td>"));
    }

    #[test]
    fn the_section_is_a_table_with_every_value_escaped() {
        let html = render_section(&report());
        assert!(html.starts_with(BEGIN) && html.ends_with(END));
        assert!(html.contains("<td nowrap>GB United Kingdom</td>"));
        assert!(html.contains("<td>Andrews &amp; Arnold Ltd / Andrews &amp; Arnold</td>"));
        assert!(html.contains("<td nowrap>51.5142, -0.0931</td><td nowrap>± 10 km</td>"));
        assert!(html.contains("<td>Anonymous, TOR Exit Node</td>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>") && !html.contains("<img src=x"));
        assert!(html.contains("10.0.0.1 (private-use)"));
        assert!(html.contains("8.8.8.8"));
        assert!(html.contains("in &lt;b&gt;report&lt;/b&gt;.txt</h3>"));
    }

    #[test]
    fn the_summary_comes_before_the_rows() {
        let html = render_section(&report());
        let at = |text: &str| {
            html.find(text)
                .unwrap_or_else(|| panic!("{text} is not in {html}"))
        };
        assert!(
            at("Located 1, not found 1, special-purpose (not looked up) 1, failed 1.")
                < at("By country")
        );
        assert!(at("By country") < at("Top networks"));
        assert!(at("Top networks") < at("<h4>Located IPs</h4>"));
        assert!(at("<h4>Located IPs</h4>") < at("<td>81.2.69.142</td>"));
    }

    #[test]
    fn approximate_locations_say_so() {
        let mut guess = report();
        let display = Display {
            city: None,
            latitude: Some(37.751),
            longitude: Some(-97.822),
            accuracy_radius: Some(1000),
            ..guess.rows[0].display.clone()
        };
        guess.rows[0].display = Box::leak(Box::new(display));
        let html = render_section(&guess);
        assert!(
            html.contains("<td nowrap>37.751, -97.822</td><td nowrap>± 1000 km (approximate)</td>")
        );
    }

    #[test]
    fn the_offline_map_is_one_image_carried_in_the_section() {
        let mut with_map = report();
        let records = with_map.rows.iter().map(|r| (r.display, 1));
        with_map.map = crate::render::offline_map(records).map(Map::Offline);
        let html = render_section(&with_map);
        assert_eq!(html.matches("<img ").count(), 1);
        let tag = &html[html.find("<img ").unwrap()..];
        assert!(tag.starts_with(
            "<img alt=\"Map of the located IP addresses\" src=\"data:image/svg+xml;base64,"
        ));
        assert!(html.find("<img ").unwrap() < html.find("<h4>Located IPs</h4>").unwrap());
        assert!(!html.contains("http"), "nothing is loaded from elsewhere");
    }

    #[test]
    fn a_rerun_replaces_its_own_section_and_keeps_the_rest() {
        let first = apply_section("<p>Existing text</p>", render_section(&report()));
        assert!(first.starts_with("<p>Existing text</p>\n"));
        let mut second_report = report();
        second_report.not_found = vec!["9.9.9.9".into()];
        let second = apply_section(&first, render_section(&second_report));
        assert_eq!(second.matches(BEGIN).count(), 1);
        assert!(second.starts_with("<p>Existing text</p>\n"));
        assert!(second.contains("9.9.9.9") && !second.contains("8.8.8.8"));
        let with_tail = format!("{first}\n<p>Analyst note</p>");
        let again = apply_section(&with_tail, render_section(&second_report));
        assert!(again.ends_with("<p>Analyst note</p>"));
        assert_eq!(again.matches(END).count(), 1);
    }
}
