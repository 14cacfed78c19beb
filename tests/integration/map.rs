//! The description analysts read, through the binary: the summary first, a world map that needs
//! no network, locations as precise as they are, and Mapbox only where it is configured.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::fixtures::build_from_value;
use crate::harness::{Run, cli, plugin};

/// A place a generated database puts addresses at.
#[derive(Clone, Copy)]
pub struct Place {
    pub city: Option<&'static str>,
    pub country: (&'static str, &'static str),
    pub lat: f64,
    pub lon: f64,
    pub radius: u32,
    pub asn: (u32, &'static str),
}

/// Seoul as GeoLite2 gives it: coordinates that print with 14 decimals.
pub const SEOUL: Place = Place {
    city: Some("Seoul"),
    country: ("KR", "South Korea"),
    lat: 37.419_200_000_000_004,
    lon: 126.974_099_999_999_99,
    radius: 5,
    asn: (4766, "Korea Telecom"),
};
/// An address known only by its country: the United States' centroid, 1000 km either way.
pub const US_CENTROID: Place = Place {
    city: None,
    country: ("US", "United States"),
    lat: 37.751,
    lon: -97.822,
    radius: 1000,
    asn: (15169, "Google LLC"),
};
/// London, to six decimals.
pub const LONDON: Place = Place {
    city: Some("London"),
    country: ("GB", "United Kingdom"),
    lat: 51.507_351,
    lon: -0.127_758,
    radius: 10,
    asn: (20712, "Andrews & Arnold Ltd"),
};
/// Sydney.
pub const SYDNEY: Place = Place {
    city: Some("Sydney"),
    country: ("AU", "Australia"),
    lat: -33.8688,
    lon: 151.2093,
    radius: 10,
    asn: (1221, "Telstra"),
};

/// Writes `generated.mmdb` (a City database joined with ASN fields) into `dir` with one /32
/// per address, the `i`-th address at `place(i)`, and returns the addresses.
pub fn database(dir: &Path, n: u32, place: impl Fn(u32) -> Place) -> Vec<String> {
    let mut records = Vec::new();
    let mut ips = Vec::new();
    for i in 0..n {
        let ip = std::net::Ipv4Addr::from(0x0b00_0000 + i * 256);
        ips.push(ip.to_string());
        let p = place(i);
        let mut record = json!({
            "country": {"iso_code": p.country.0, "names": {"en": p.country.1}},
            "location": {"latitude": p.lat, "longitude": p.lon, "accuracy_radius": p.radius},
            "autonomous_system_number": p.asn.0,
            "autonomous_system_organization": p.asn.1,
        });
        if let Some(city) = p.city {
            record["city"] = json!({"names": {"en": city}});
        }
        records.push(json!({ format!("{ip}/32"): record }));
    }
    let source = json!({"metadata": {"database_type": "GeoIP2-City", "description": {"en": "generated"},
                                      "languages": ["en"], "ip_version": 6, "build_epoch": 1764201600},
                        "records": records});
    std::fs::write(dir.join("generated.mmdb"), build_from_value(source)).unwrap();
    ips
}

/// Lookup All Related IPs on an attachment holding `ips`, with `config` over the generated
/// database in `dir`, writing the description.
pub fn describe(dir: &Path, ips: &[String], config: Value) -> Run {
    let mut c = json!({"db_dir": dir, "mmdb_filename": "generated.mmdb"});
    c.as_object_mut()
        .unwrap()
        .extend(config.as_object().unwrap().clone());
    plugin(&json!({
        "action": "lookup_all_related_ips",
        "config": c,
        "object": {"type": "attachment", "name": "report.txt", "description": "<p>Analyst's text</p>",
                   "content": format!("{} 10.0.0.5 203.0.113.9 8.8.8.8", ips.join(" "))},
        "params": {"apply_results_to_description": true}
    }))
}

fn description(run: &Run) -> &str {
    run.json["description"]
        .as_str()
        .unwrap_or_else(|| panic!("no description: {}", run.json))
}

/// The `src` of every `<img>` in `html`.
fn image_sources(html: &str) -> Vec<&str> {
    html.match_indices("<img ")
        .map(|(at, _)| {
            let tag = &html[at..at + html[at..].find('>').unwrap()];
            let src = tag.find(" src=\"").unwrap() + 6;
            &tag[src..src + tag[src..].find('"').unwrap()]
        })
        .collect()
}

/// The SVG of the description's one offline map.
fn offline_svg(html: &str) -> String {
    let sources = image_sources(html);
    assert_eq!(sources.len(), 1, "one image");
    let b64 = sources[0]
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("an SVG carried in the description");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// Every decimal number with more than four decimals in `text` (IPv4 addresses, with three
/// dots, are not numbers).
fn long_decimals(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|token| {
            let mut parts = token.split('.');
            let (whole, decimals) = (parts.next(), parts.next());
            parts.next().is_none()
                && whole.is_some_and(|w| !w.is_empty())
                && decimals.is_some_and(|d| d.len() > 4)
        })
        .collect()
}

#[test]
fn the_summary_comes_first_then_the_map_then_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 6, |i| if i < 4 { US_CENTROID } else { SEOUL });
    let run = describe(dir.path(), &ips, json!({}));
    assert_eq!(run.json["status"], "success", "{}", run.json);
    let html = description(&run);
    assert!(html.starts_with("<p>Analyst's text</p>\n<!-- maxmind-geolocate:begin -->"));
    let at = |text: &str| {
        html.find(text)
            .unwrap_or_else(|| panic!("{text:?} is not in {html}"))
    };
    assert!(
        at("Located 6, not found 1, special-purpose (not looked up) 2, failed 0.") < at("<img ")
    );
    assert!(at("<img ") < at("<h4>By country</h4>"));
    assert!(at("<h4>By country</h4>") < at("<h4>Top networks</h4>"));
    assert!(at("<h4>Top networks</h4>") < at("<h4>Located IPs</h4>"));
    assert!(at("<h4>Located IPs</h4>") < at(&format!("<td>{}</td>", ips[0])));
    // Countries and networks, most first, with their share of the located IPs.
    assert!(html.contains(
        "<tr><td nowrap>US United States</td><td align=\"right\">4</td><td align=\"right\">66.7%</td></tr>\n\
         <tr><td nowrap>KR South Korea</td><td align=\"right\">2</td><td align=\"right\">33.3%</td></tr>"
    ));
    assert!(html.contains("<td nowrap>AS15169</td><td>Google LLC</td><td align=\"right\">4</td>"));
    assert!(html.contains("<td>Korea Telecom</td>"));
}

#[test]
fn the_offline_map_is_one_image_in_the_description_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 5, |i| if i < 3 { US_CENTROID } else { SEOUL });
    let run = describe(dir.path(), &ips, json!({}));
    let html = description(&run);
    assert!(html.contains(
        "<p><img alt=\"Map of the located IP addresses\" src=\"data:image/svg+xml;base64,"
    ));
    assert!(!html.contains("mapbox"));
    let svg = offline_svg(html);
    assert_eq!(svg.matches("http").count(), 1, "only the SVG namespace");
    assert!(!svg.contains("href") && !svg.contains("<script"));
    // Seoul a filled pin; the country-level guess a hollow ring, its 3 IPs as one pin.
    let hollow = &svg[svg.find("<g fill=\"none\"").unwrap()..];
    let hollow = &hollow[..hollow.find("</g>").unwrap()];
    assert!(hollow.contains("<title>United States (approximate) — 3 IPs</title>"));
    assert!(!hollow.contains("Seoul"));
    assert!(svg.contains("<title>Seoul, KR — 2 IPs</title>"));
    assert!(svg.contains(">5 IPs at 2 places.</text>"));
    assert_eq!(run.warning_codes(), Vec::<String>::new());
    assert_eq!(run.json.get("map_url"), None);
}

#[test]
fn coordinates_are_shown_to_four_decimals_and_data_keeps_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 3, |i| [SEOUL, US_CENTROID, LONDON][i as usize]);
    let run = describe(dir.path(), &ips, json!({}));
    let html = description(&run);
    assert!(html.contains("<td nowrap>37.4192, 126.9741</td><td nowrap>± 5 km</td>"));
    assert!(
        html.contains("<td nowrap>37.751, -97.822</td><td nowrap>± 1000 km (approximate)</td>")
    );
    let section = &html[html.find("<!-- maxmind-geolocate:begin -->").unwrap()..];
    let (head, _) = section.split_once(" src=\"data:").unwrap();
    let (_, tail) = section.split_once("\" width=").unwrap();
    assert_eq!(
        long_decimals("at 126.97409999999999, 10.0.0.5"),
        ["126.97409999999999"]
    );
    assert_eq!(long_decimals(head), Vec::<&str>::new());
    assert_eq!(long_decimals(tail), Vec::<&str>::new());
    // The map's labels: the text between its tags (its drawing's numbers are pixels).
    let svg = offline_svg(html);
    let labels: Vec<&str> = svg.split('>').filter_map(|t| t.split('<').next()).collect();
    assert!(labels.contains(&"Seoul, KR — 1 IP"), "{labels:?}");
    assert_eq!(long_decimals(&labels.concat()), Vec::<&str>::new());

    // The attributes too; `data` keeps the record as it is.
    let attribute = |result: &Value, name: &str| {
        result["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["value"].as_str().unwrap().to_owned())
    };
    let seoul = &run.json["results"][0];
    assert_eq!(attribute(seoul, "Latitude").as_deref(), Some("37.4192"));
    assert_eq!(attribute(seoul, "Longitude").as_deref(), Some("126.9741"));
    assert_eq!(
        attribute(seoul, "Accuracy Radius"),
        None,
        "shown, not an attribute"
    );
    let london = &run.json["results"][2];
    assert_eq!(attribute(london, "Latitude").as_deref(), Some("51.5074"));
    assert_eq!(attribute(london, "Longitude").as_deref(), Some("-0.1278"));
    let data = &london["data"]["location"];
    assert!(
        (data["latitude"].as_f64().unwrap() - 51.507_351).abs() < 1e-9,
        "{data}"
    );
    assert!(
        (data["longitude"].as_f64().unwrap() + 0.127_758).abs() < 1e-9,
        "{data}"
    );
}

#[test]
fn the_offline_map_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 3, |_| SEOUL);
    let run = describe(dir.path(), &ips, json!({"offline_map": false}));
    let html = description(&run);
    assert!(!html.contains("<img"));
    assert!(html.contains("<h4>By country</h4>") && html.contains("<h4>Located IPs</h4>"));
}

#[test]
fn mapbox_with_a_public_token_replaces_the_offline_map() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 3, |_| SEOUL);
    let run = describe(
        dir.path(),
        &ips,
        json!({"use_mapbox": true, "mapbox_api_key": "pk.eyJ1IjoiYSJ9.PUBLIC"}),
    );
    let url = run.json["map_url"].as_str().unwrap();
    assert!(url.starts_with("https://api.mapbox.com/") && url.contains("(126.97,37.42)"));
    let html = description(&run);
    assert_eq!(image_sources(html), [url]);
    assert_eq!(run.warning_codes(), Vec::<String>::new());
}

#[test]
fn mapbox_without_a_token_warns_and_draws_the_offline_map() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 3, |_| SEOUL);
    let run = describe(dir.path(), &ips, json!({"use_mapbox": true}));
    assert_eq!(run.code, 0);
    assert_eq!(run.json["status"], "success");
    assert_eq!(run.warning_codes(), ["mapbox_token_missing"]);
    let warning = run.json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "mapbox_token_missing")
        .unwrap();
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .ends_with("the offline map was drawn instead")
    );
    assert_eq!(run.json.get("map_url"), None);
    let html = description(&run);
    assert!(offline_svg(html).contains("<title>Seoul, KR — 3 IPs</title>"));
    assert!(html.contains("<h4>Located IPs</h4>") && html.contains("<td>Korea Telecom</td>"));

    // With the offline map off too, the warning says no map was drawn, and none is.
    let run = describe(
        dir.path(),
        &ips,
        json!({"use_mapbox": true, "offline_map": false}),
    );
    assert_eq!(run.warning_codes(), ["mapbox_token_missing"]);
    assert!(
        run.json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "mapbox_token_missing"
                && w["message"].as_str().unwrap().ends_with("no map was drawn")),
        "{}",
        run.json["warnings"]
    );
    assert!(image_sources(description(&run)).is_empty());
}

#[test]
fn the_map_of_10000_ips_in_10000_places_stays_under_200_kb() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 10_000, |i| Place {
        city: Some("Gridtown"),
        lat: -60.0 + f64::from(i % 120) + 0.5,
        lon: -170.0 + f64::from(i / 120) * 4.1,
        ..SEOUL
    });
    let run = describe(dir.path(), &ips, json!({}));
    let html = description(&run);
    let sources = image_sources(html);
    assert_eq!(sources.len(), 1);
    assert!(sources[0].len() <= 200_000, "{} bytes", sources[0].len());
    let svg = offline_svg(html);
    assert!(
        svg.contains("10,000 IPs at 10,000 places."),
        "the legend counts"
    );
    assert!(svg.contains("Left off: 8,000 places (8,000 IPs)."));
    assert_eq!(run.warning_codes(), ["map_truncated"]);
}

/// `bulk --map` writes the same offline map to a file; without located IPs it says why it
/// wrote nothing.
#[test]
fn bulk_map_writes_the_offline_map_as_an_svg_file() {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), 4, |i| if i < 3 { SEOUL } else { US_CENTROID });
    let input = dir.path().join("report.txt");
    std::fs::write(&input, ips.join("\n")).unwrap();
    let svg = dir.path().join("map.svg");
    let db = dir.path().join("generated.mmdb");
    let args = |file: &Path| {
        vec![
            "bulk".to_owned(),
            file.display().to_string(),
            "--db".into(),
            db.display().to_string(),
            "--max-db-age".into(),
            "0".into(),
            "--map".into(),
            svg.display().to_string(),
            "--format".into(),
            "csv".into(),
        ]
    };
    let run = cli(
        &args(&input).iter().map(String::as_str).collect::<Vec<_>>(),
        b"",
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.starts_with("<svg"),
        "{}",
        &drawn[..drawn.len().min(200)]
    );
    assert!(drawn.contains("<title>Seoul, KR — 3 IPs</title>"));
    assert!(drawn.contains("<title>United States (approximate) — 1 IP</title>"));

    std::fs::remove_file(&svg).unwrap();
    let nothing = dir.path().join("private.txt");
    std::fs::write(&nothing, "10.0.0.1 192.168.1.1").unwrap();
    let run = cli(
        &args(&nothing)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        b"",
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!svg.exists());
    assert!(
        run.stderr
            .contains("the map was not written: no IP was located"),
        "{}",
        run.stderr
    );
}
