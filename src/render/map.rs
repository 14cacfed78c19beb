//! The Mapbox Static Images map of located IPs.
//!
//! Mapbox caps an overlay at 100 features and refuses URLs much over 2,083 characters, so
//! coordinates are rounded to two decimals (about 1 km), IPs at the same rounded location share a
//! pin, and the locations with the most IPs are kept while the URL stays within both limits.

/// The Static Images endpoint and style.
const BASE: &str = "https://api.mapbox.com/styles/v1/mapbox/streets-v12/static/";
/// The image size.
pub const WIDTH: u32 = 600;
/// The image size.
pub const HEIGHT: u32 = 400;
/// Mapbox's limit of features in one overlay.
pub const MAX_PINS: usize = 100;
/// The longest URL the map may have.
pub const MAX_URL: usize = 2083;
/// The web-mercator latitude limit.
const MAX_LAT: f64 = 85.0511;

/// A map ready to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapImage {
    /// The image URL (carries the public token).
    pub url: String,
    /// Pins on the map.
    pub pins: usize,
    /// IPs the pins stand for.
    pub ips_on_map: usize,
    /// Located IPs at locations the map leaves off.
    pub ips_left_off: usize,
}

/// Builds the map of `points` (latitude, longitude; one per located IP), or `None` without any.
pub fn map_image(points: &[(f64, f64)], token: &str) -> Option<MapImage> {
    // (rounded lat, rounded lon) in hundredths → IP count, in order of first appearance.
    let mut groups: Vec<((i32, i32), usize)> = Vec::new();
    let mut index: std::collections::HashMap<(i32, i32), usize> = std::collections::HashMap::new();
    for &(lat, lon) in points {
        if !(lat.is_finite() && lon.is_finite()) {
            continue;
        }
        let key = (
            (lat.clamp(-MAX_LAT, MAX_LAT) * 100.0).round() as i32,
            (lon.clamp(-180.0, 180.0) * 100.0).round() as i32,
        );
        match index.get(&key) {
            Some(&i) => groups[i].1 += 1,
            None => {
                index.insert(key, groups.len());
                groups.push((key, 1));
            }
        }
    }
    if groups.is_empty() {
        return None;
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    let suffix = format!("/auto/{WIDTH}x{HEIGHT}?access_token={token}");
    let mut overlay = String::new();
    let (mut pins, mut on_map) = (0, 0);
    for ((lat, lon), count) in &groups {
        let pin = format!("pin-s+d9381e({},{})", hundredths(*lon), hundredths(*lat));
        let extra = pin.len() + usize::from(pins > 0);
        if pins == MAX_PINS || BASE.len() + overlay.len() + extra + suffix.len() > MAX_URL {
            break;
        }
        if pins > 0 {
            overlay.push(',');
        }
        overlay.push_str(&pin);
        pins += 1;
        on_map += count;
    }
    if pins == 0 {
        return None;
    }
    Some(MapImage {
        url: format!("{BASE}{overlay}{suffix}"),
        pins,
        ips_on_map: on_map,
        ips_left_off: points.len() - on_map,
    })
}

/// `5151` → `51.51`, `-9` → `-0.09`, `900` → `9`.
fn hundredths(v: i32) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (whole, frac) = (a / 100, a % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_short() {
        assert_eq!(hundredths(5151), "51.51");
        assert_eq!(hundredths(-9), "-0.09");
        assert_eq!(hundredths(900), "9");
        assert_eq!(hundredths(-12250), "-122.5");
    }

    #[test]
    fn shared_locations_share_a_pin() {
        let map = map_image(
            &[(51.5142, -0.0931), (51.5139, -0.0929), (47.25, -122.31)],
            "pk.test",
        )
        .unwrap();
        assert_eq!(map.pins, 2);
        assert_eq!(map.ips_on_map, 3);
        assert_eq!(
            map.url,
            "https://api.mapbox.com/styles/v1/mapbox/streets-v12/static/\
             pin-s+d9381e(-0.09,51.51),pin-s+d9381e(-122.31,47.25)/auto/600x400?access_token=pk.test"
        );
    }

    #[test]
    fn many_locations_stay_within_mapbox_limits_keeping_the_busiest() {
        let mut points = Vec::new();
        for i in 0..5000 {
            let lat = -60.0 + (i % 120) as f64;
            let lon = -170.0 + (i / 120) as f64 * 7.3;
            points.push((lat, lon));
        }
        // One busy place that must be on the map.
        points.extend(std::iter::repeat_n((35.68, 139.76), 50));
        let map = map_image(&points, "pk.eyJ1IjoiZXhhbXBsZSJ9.abcdefghijklmnopqrstuv").unwrap();
        assert!(map.url.len() <= MAX_URL, "{}", map.url.len());
        assert!(map.pins <= MAX_PINS);
        assert!(map.url.contains("(139.76,35.68)"));
        assert_eq!(map.ips_on_map + map.ips_left_off, points.len());
        assert!(map.ips_left_off > 0);
    }

    #[test]
    fn no_points_no_map() {
        assert_eq!(map_image(&[], "pk.x"), None);
    }
}
