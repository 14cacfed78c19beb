//! The summary at the top of the description: which countries and which networks the located
//! addresses are in, most first, each with its share — read at a glance instead of off
//! hundreds of rows.

use std::fmt::Write;

use super::{escape_into, thousands};

/// Rows each summary table shows; the rest are summed up in one row.
pub const TOP: usize = 10;

/// One line of a summary table: a country or an autonomous system, and its located IPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally<'a> {
    /// The country's ISO code, or the AS number.
    pub key: &'a str,
    /// The country's name, or the AS organization (may be empty).
    pub name: &'a str,
    /// Located IPs in it.
    pub ips: usize,
}

/// The two summary tables side by side (a layout table: a description keeps no stylesheet),
/// for `located` IPs; nothing when both lists are empty.
pub fn push_tables(
    h: &mut String,
    countries: &[Tally<'_>],
    networks: &[Tally<'_>],
    located: usize,
) {
    if countries.is_empty() && networks.is_empty() {
        return;
    }
    h.push_str("<table cellpadding=\"0\" cellspacing=\"0\"><tr>");
    if !countries.is_empty() {
        h.push_str("<td valign=\"top\" style=\"padding-right:16px\">");
        push_table(h, &Kind::COUNTRY, countries, located);
        h.push_str("</td>");
    }
    if !networks.is_empty() {
        h.push_str("<td valign=\"top\">");
        push_table(h, &Kind::NETWORK, networks, located);
        h.push_str("</td>");
    }
    h.push_str("</tr></table>\n");
}

/// What a table lists.
struct Kind {
    heading: &'static str,
    /// Headings of the key and name columns; one heading over both when the second is empty.
    headings: (&'static str, &'static str),
    /// Written before the key: `AS` for networks.
    prefix: &'static str,
    /// The summing row's noun, one and many.
    noun: (&'static str, &'static str),
    /// The row for located IPs none of the listed lines has.
    without: &'static str,
}

impl Kind {
    const COUNTRY: Kind = Kind {
        heading: "By country",
        headings: ("Country", ""),
        prefix: "",
        noun: ("country", "countries"),
        without: "No country",
    };
    const NETWORK: Kind = Kind {
        heading: "Top networks",
        headings: ("ASN", "Organization"),
        prefix: "AS",
        noun: ("network", "networks"),
        without: "No ASN",
    };
}

fn push_table(h: &mut String, kind: &Kind, tallies: &[Tally<'_>], located: usize) {
    let _ = write!(
        h,
        "<h4>{}</h4>\n<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\n<thead><tr>",
        kind.heading
    );
    let split = !kind.headings.1.is_empty();
    if split {
        let _ = write!(
            h,
            "<th>{}</th><th>{}</th>",
            kind.headings.0, kind.headings.1
        );
    } else {
        let _ = write!(h, "<th>{}</th>", kind.headings.0);
    }
    h.push_str("<th>IPs</th><th>Share</th></tr></thead>\n<tbody>\n");
    let shown = &tallies[..tallies.len().min(TOP)];
    for t in shown {
        h.push_str("<tr><td nowrap>");
        h.push_str(kind.prefix);
        escape_into(t.key, h);
        if split {
            h.push_str("</td><td>");
        } else if !t.name.is_empty() {
            h.push(' ');
        }
        escape_into(t.name, h);
        h.push_str("</td>");
        push_count(h, t.ips, located);
    }
    let rest = &tallies[shown.len()..];
    if !rest.is_empty() {
        let ips = rest.iter().map(|t| t.ips).sum();
        let noun = if rest.len() == 1 {
            kind.noun.0
        } else {
            kind.noun.1
        };
        let _ = write!(h, "<tr><td{}>", span(split));
        let _ = write!(
            h,
            "<i>{} other {noun}</i></td>",
            thousands(rest.len() as u64)
        );
        push_count(h, ips, located);
    }
    let listed: usize = tallies.iter().map(|t| t.ips).sum();
    if listed < located {
        let _ = write!(h, "<tr><td{}><i>{}</i></td>", span(split), kind.without);
        push_count(h, located - listed, located);
    }
    h.push_str("</tbody>\n</table>");
}

/// The attribute making a summing row's label span the key and name columns.
fn span(split: bool) -> &'static str {
    if split { " colspan=\"2\"" } else { "" }
}

/// The IPs and share cells, closing the row.
fn push_count(h: &mut String, ips: usize, located: usize) {
    let _ = writeln!(
        h,
        "<td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
        thousands(ips as u64),
        share(ips, located)
    );
}

/// `ips` of `of` as a percentage with one decimal: `17.0%`; `<0.1%` for a small non-zero share.
fn share(ips: usize, of: usize) -> String {
    if of == 0 {
        return String::new();
    }
    let tenths = (ips as f64 * 1000.0 / of as f64).round() as u64;
    if tenths == 0 && ips > 0 {
        return "&lt;0.1%".to_owned();
    }
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally<'a>(key: &'a str, name: &'a str, ips: usize) -> Tally<'a> {
        Tally { key, name, ips }
    }

    #[test]
    fn shares_have_one_decimal() {
        assert_eq!(share(34, 200), "17.0%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(200, 200), "100.0%");
        assert_eq!(share(1, 100_000), "&lt;0.1%");
        assert_eq!(share(0, 5), "0.0%");
        assert_eq!(share(0, 0), "");
    }

    #[test]
    fn countries_show_code_and_name_on_one_line_with_their_share() {
        let mut h = String::new();
        push_tables(
            &mut h,
            &[tally("US", "United States", 3), tally("SE", "Sweden", 1)],
            &[],
            5,
        );
        assert!(h.contains("<h4>By country</h4>"));
        assert!(h.contains(
            "<tr><td nowrap>US United States</td><td align=\"right\">3</td><td align=\"right\">60.0%</td></tr>"
        ));
        assert!(h.contains("<tr><td><i>No country</i></td><td align=\"right\">1</td>"));
        assert!(!h.contains("Top networks"));
    }

    #[test]
    fn networks_name_the_as_and_its_organization() {
        let mut h = String::new();
        push_tables(&mut h, &[], &[tally("20712", "Andrews & Arnold", 2)], 2);
        assert!(h.contains("<th>ASN</th><th>Organization</th><th>IPs</th><th>Share</th>"));
        assert!(h.contains(
            "<td nowrap>AS20712</td><td>Andrews &amp; Arnold</td><td align=\"right\">2</td><td align=\"right\">100.0%</td>"
        ));
        assert!(!h.contains("No ASN"));
    }

    #[test]
    fn past_the_top_ten_the_rest_is_one_row() {
        let keys: Vec<String> = (0..13).map(|i| format!("{}", 64_500 + i)).collect();
        let networks: Vec<Tally<'_>> = keys.iter().map(|k| tally(k, "", 2)).collect();
        let mut h = String::new();
        push_tables(&mut h, &[], &networks, 26);
        assert_eq!(h.matches("<td nowrap>").count(), TOP);
        assert!(h.contains(
            "<tr><td colspan=\"2\"><i>3 other networks</i></td><td align=\"right\">6</td><td align=\"right\">23.1%</td></tr>"
        ));
    }

    #[test]
    fn no_tallies_no_tables() {
        let mut h = String::new();
        push_tables(&mut h, &[], &[], 3);
        assert!(h.is_empty());
    }
}
