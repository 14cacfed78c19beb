//! The map as callers see it: pins, hollow guesses, escaping, size bound, determinism.

use base64::Engine as _;

use super::{
    MAX_DATA_URI, MAX_PINS, Options, Pin, Point, group, img_tag, pin_position, render, svg,
    thousands,
};

fn pin(lat: f64, lon: f64, count: u32, approximate: bool, label: &str) -> Pin {
    Pin {
        lat,
        lon,
        count,
        approximate,
        label: label.to_owned(),
    }
}

/// `n` IPs at `n` distinct random places over the world (fixed seed); a tenth approximate.
fn random_points(n: usize, seed: u64) -> Vec<Point> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    };
    let mut seen = std::collections::HashSet::new();
    let mut points = Vec::with_capacity(n);
    while points.len() < n {
        let (lat, lon) = (next() * 180.0 - 90.0, next() * 360.0 - 180.0);
        // Distinct places: distinct after rounding to hundredths.
        if seen.insert(((lat * 100.0).round() as i32, (lon * 100.0).round() as i32)) {
            let i = points.len();
            points.push(Point {
                lat,
                lon,
                ips: 1,
                approximate: i % 10 == 0,
                place: format!("City number {i}, XX"),
            });
        }
    }
    points
}

/// The `src` of an `<img>` tag.
fn src(tag: &str) -> &str {
    let start = tag.find("src=\"").unwrap() + 5;
    &tag[start..start + tag[start..].find('"').unwrap()]
}

/// The SVG inside an `<img>` tag's data URI.
fn decoded(tag: &str) -> String {
    let b64 = src(tag)
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("an SVG data URI");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

/// A strict-enough XML check: tags nest and close, attribute values are quoted, and `&` only
/// starts an entity — what a browser needs to load the SVG at all.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    let check_text = |text: &str| {
        assert!(!text.contains('>'), "raw > in text {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
                "bad entity {entity:?}"
            );
        }
    };
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split(' ').next().unwrap();
            assert!(
                name.chars().all(|c| c.is_ascii_alphabetic()),
                "tag name {name:?}"
            );
            // Attributes: name="value" pairs, values without < or ".
            let mut attributes = body[name.len()..].trim();
            while !attributes.is_empty() {
                let eq = attributes.find("=\"").expect("quoted attribute");
                let end = attributes[eq + 2..].find('"').unwrap() + eq + 2;
                check_text(&attributes[eq + 2..end]);
                assert!(!attributes[eq + 2..end].contains('<'));
                attributes = attributes[end + 1..].trim_start();
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(rest.trim().is_empty());
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

#[test]
fn a_single_pin_is_a_filled_circle_with_its_tooltip_where_the_city_is() {
    let options = Options::default();
    let svg = svg(
        &[pin(51.5074, -0.1278, 3, false, "London, GB — 3 IPs")],
        &options,
    );
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\""));
    let (x, y) = pin_position(51.5074, -0.1278, &options).unwrap();
    let circle = format!(
        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\"><title>London, GB — 3 IPs</title></circle>"
    );
    let filled = svg.find("<g fill=\"#e4572e\"").unwrap();
    let hollow = svg.find("<g fill=\"none\" stroke=\"#c0391b\"").unwrap();
    let at = svg
        .find(&circle)
        .unwrap_or_else(|| panic!("{circle} not in the SVG"));
    assert!(filled < at && at < hollow, "London is in the filled group");
    assert!(
        svg.contains(">3 IPs at 1 place.</text>"),
        "the legend counts"
    );
    assert_well_formed(&svg);
}

#[test]
fn country_level_guesses_are_drawn_hollow() {
    let svg = svg(
        &[
            pin(51.2993, 9.491, 6, true, "Germany (approximate) — 6 IPs"),
            pin(48.86, 2.35, 1, false, "Paris"),
        ],
        &Options::default(),
    );
    let hollow_group = &svg[svg.find("<g fill=\"none\" stroke=\"#c0391b\"").unwrap()..];
    let hollow_group = &hollow_group[..hollow_group.find("</g>").unwrap()];
    assert!(hollow_group.contains("<title>Germany (approximate) — 6 IPs</title>"));
    assert!(!hollow_group.contains("Paris"));
    // The legend explains both kinds.
    assert!(svg.contains(">IP located in a city</text>"));
    assert!(svg.contains(">Country-level guess (no city, or accuracy ≥ 500 km)</text>"));
}

#[test]
fn pins_grow_with_their_count_in_five_classes() {
    let svg = svg(
        &[
            pin(10.0, 10.0, 1500, false, "a"),
            pin(20.0, 20.0, 150, false, "b"),
            pin(30.0, 30.0, 15, false, "c"),
        ],
        &Options::default(),
    );
    for (label, r) in [("a", "12.5"), ("b", "9.5"), ("c", "7")] {
        assert!(
            svg.contains(&format!("r=\"{r}\"><title>{label}</title>")),
            "{label} r={r}"
        );
    }
    for class in [
        ">1</text>",
        ">2–9</text>",
        ">10–99</text>",
        ">100–999</text>",
        ">1,000+</text>",
    ] {
        assert!(svg.contains(class), "legend {class}");
    }
}

#[test]
fn labels_title_and_alt_text_cannot_inject_markup() {
    let evil = "<script>alert('x')</script><image href=\"http://evil/\"/> & \u{1}";
    let options = Options {
        title: evil.into(),
        ..Options::default()
    };
    let tag = img_tag(&[pin(1.0, 2.0, 1, false, evil)], &options, evil);
    assert!(tag.starts_with(
        "<img alt=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;image href=&quot;http://evil/&quot;/&gt; &amp; \u{fffd}\" src=\""
    ));
    let svg = decoded(&tag);
    assert!(!svg.contains("<script") && !svg.contains("<image") && !svg.contains('\u{1}'));
    assert_eq!(
        svg.matches("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
            .count(),
        2,
        "title and tooltip"
    );
    assert_well_formed(&svg);
}

#[test]
fn the_svg_loads_nothing_from_outside() {
    let svg = svg(
        &group(random_points(300, 1)),
        &Options {
            title: "t".into(),
            ..Options::default()
        },
    );
    assert_eq!(svg.matches("http").count(), 1, "only the xmlns");
    for forbidden in [
        "href",
        "<script",
        "url(",
        "<image",
        "@import",
        "<foreignObject",
        "<style",
    ] {
        assert!(!svg.contains(forbidden), "{forbidden}");
    }
    assert!(svg.contains("font-family=\"sans-serif\""));
    assert_well_formed(&svg);
}

#[test]
fn the_data_uri_stays_under_200_kb_at_10000_ips_in_10000_places() {
    let pins = group(random_points(10_000, 42));
    assert_eq!(pins.len(), 10_000, "distinct places");
    let tag = img_tag(&pins, &Options::default(), "Map");
    assert!(src(&tag).len() <= MAX_DATA_URI, "{} bytes", src(&tag).len());
    assert_eq!(MAX_DATA_URI, 200_000);
    let svg = decoded(&tag);
    assert_eq!(
        svg.matches("<circle").count(),
        MAX_PINS + 7,
        "2,000 pins and 7 legend symbols"
    );
    assert!(svg.contains(">10,000 IPs at 10,000 places. Shown:"));
    assert!(svg.contains("Shown: the busiest 2,000 places (2,000 IPs)."));
    assert!(svg.contains("Left off: 8,000 places (8,000 IPs)."));
    assert!(
        svg.matches("<title>").count() > 500,
        "the busiest pins keep tooltips"
    );
    assert_well_formed(&svg);
}

#[test]
fn the_size_bound_holds_in_the_worst_case() {
    // The widest map, the longest title and labels made of the characters that escape longest.
    let options = Options {
        width: 100_000,
        title: "&".repeat(10_000),
        ..Options::default()
    };
    let label = "<".repeat(10_000);
    let pins: Vec<Pin> = (0..20_000u32)
        .map(|i| {
            pin(
                f64::from(i % 180) - 89.5,
                f64::from(i / 180) * 3.2 - 179.9,
                i % 7 + 1000,
                i % 2 == 0,
                &label,
            )
        })
        .collect();
    let map = render(&pins, &options);
    assert_eq!(map.width, 4096, "width is clamped");
    let tag = img_tag(&pins, &options, "Map");
    assert!(src(&tag).len() <= MAX_DATA_URI, "{} bytes", src(&tag).len());
    assert_well_formed(&decoded(&tag));
}

#[test]
fn the_busiest_places_are_kept_and_the_rest_counted() {
    let mut pins: Vec<Pin> = (0..10)
        .map(|i| pin(f64::from(i), 0.0, 1, false, "quiet"))
        .collect();
    pins.push(pin(35.68, 139.76, 50, false, "Tokyo, JP — 50 IPs"));
    let options = Options {
        max_pins: 3,
        ..Options::default()
    };
    let map = render(&pins, &options);
    assert_eq!(
        (map.places, map.ips, map.places_shown, map.ips_shown),
        (11, 60, 3, 52)
    );
    assert!(map.svg.contains("<title>Tokyo, JP — 50 IPs</title>"));
    assert_eq!(map.svg.matches("<title>quiet</title>").count(), 2);
    assert!(map.svg.contains(
        "60 IPs at 11 places. Shown: the busiest 3 places (52 IPs). Left off: 8 places (8 IPs)."
    ));
    // max_pins cannot go past the hard limit.
    let many = Options {
        max_pins: usize::MAX,
        ..Options::default()
    };
    let pins = group(random_points(3_000, 3));
    assert_eq!(render(&pins, &many).places_shown, MAX_PINS);
}

#[test]
fn the_same_pins_give_the_same_bytes_in_any_order() {
    let pins = group(random_points(5_000, 7));
    let options = Options::default();
    let once = img_tag(&pins, &options, "Map");
    assert_eq!(once, img_tag(&pins, &options, "Map"));
    let mut shuffled = pins.clone();
    shuffled.reverse();
    shuffled.rotate_left(1234);
    assert_eq!(once, img_tag(&shuffled, &options, "Map"));
    // Grouping the same points gives the same pins too.
    assert_eq!(group(random_points(5_000, 7)), pins);
}

#[test]
fn the_places_kept_are_spread_over_the_map_not_a_band() {
    // All places have one IP: which 2,000 are kept must not follow latitude.
    let map = render(&group(random_points(10_000, 11)), &Options::default());
    let ys: Vec<f64> = map
        .svg
        .match_indices("<circle cx=\"")
        .take(MAX_PINS)
        .map(|(i, _)| {
            let rest = &map.svg[i..];
            let cy = rest.find("cy=\"").unwrap() + 4;
            rest[cy..cy + rest[cy..].find('"').unwrap()]
                .parse()
                .unwrap()
        })
        .collect();
    let mid = f64::from(map.height) / 2.0;
    let north = ys.iter().filter(|&&y| y < mid - 60.0).count();
    let south = ys.iter().filter(|&&y| y > mid).count();
    assert!(north > 300 && south > 300, "north {north}, south {south}");
}

#[test]
fn ocean_and_graticule_are_optional() {
    let full = svg(&[], &Options::default());
    assert!(full.contains("fill=\"#eaf2f8\"") && full.contains("stroke=\"#d2dde8\""));
    let plain = svg(
        &[],
        &Options {
            ocean: false,
            graticule: false,
            ..Options::default()
        },
    );
    assert!(!plain.contains("fill=\"#eaf2f8\"") && !plain.contains("stroke=\"#d2dde8\""));
    assert!(plain.len() < full.len());
    assert_well_formed(&plain);
}

#[test]
fn an_empty_map_is_still_a_map() {
    let map = render(&[], &Options::default());
    assert!(map.svg.contains(">No located IPs.</text>"));
    assert_eq!(map.svg.matches("<circle").count(), 7, "legend symbols only");
    assert_eq!((map.width, map.places), (960, 0));
    assert!((520..=560).contains(&map.height), "{}", map.height);
    assert_well_formed(&map.svg);
}

#[test]
fn the_img_tag_carries_the_svg_and_its_size() {
    let pins = group([Point {
        lat: -33.8688,
        lon: 151.2093,
        ips: 1,
        approximate: false,
        place: "Sydney, AU".into(),
    }]);
    let options = Options {
        width: 600,
        ..Options::default()
    };
    let map = render(&pins, &options);
    let tag = img_tag(&pins, &options, "Map of the located IP addresses");
    assert_eq!(decoded(&tag), map.svg);
    assert!(tag.ends_with(&format!("\" width=\"600\" height=\"{}\">", map.height)));
    assert!(map.svg.contains(&format!(
        "width=\"600\" height=\"{h}\" viewBox=\"0 0 600 {h}\"",
        h = map.height
    )));
}

#[test]
fn thousands_are_separated_by_commas() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
