//! Grouping: located IPs become pins, one per place.
//!
//! Places are matched as the Mapbox map matches them: latitude and longitude rounded to two
//! decimals (about 1 km) are the same place. Grouping sorts instead of hashing, so the result
//! depends only on the input, and pins come out busiest first, then by latitude and longitude.

use std::cmp::Reverse;
use std::fmt::Write as _;

use super::projection::normalize;
use super::push_thousands;

/// Located IP addresses that share one record, as the caller knows them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Point {
    /// Latitude in degrees (clamped to ±90°; not finite: the point is skipped).
    pub lat: f64,
    /// Longitude in degrees (wrapped into ±180°; not finite: the point is skipped).
    pub lon: f64,
    /// How many IPs stand at this point (the addresses of one record share it); 0 counts as 1.
    pub ips: u32,
    /// A country-level guess rather than a real location: the database's accuracy radius is
    /// 500 km or more, or it names no city.
    pub approximate: bool,
    /// What to call the place in the pin's tooltip, e.g. `London, GB`; may be empty. Raw text:
    /// it is escaped when the SVG is written.
    pub place: String,
}

/// A pin on the map: one place and how many IPs are there.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pin {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// How many IPs the pin stands for (sets its size).
    pub count: u32,
    /// Drawn hollow: a country-level guess (accuracy radius ≥ 500 km or no city).
    pub approximate: bool,
    /// The pin's tooltip, e.g. `London, GB — 3 IPs`. Raw text: it is XML-escaped, stripped of
    /// characters XML forbids and cut to 120 characters when the SVG is written.
    pub label: String,
}

/// Groups located IPs into pins: coordinates rounded to two decimals are one place, and its
/// count is the sum of its points' [`ips`](Point::ips).
///
/// A pin is [`approximate`](Pin::approximate) only when every IP at its place is a country-level
/// guess. Its label is the first non-empty [`place`](Point::place) given for it (else its
/// coordinates), then `(approximate)` for hollow pins, then the number of IPs:
/// `London, GB — 3 IPs`. Points whose coordinates are not finite are skipped. Pins come out
/// busiest first, then by latitude and longitude.
pub fn group(points: impl IntoIterator<Item = Point>) -> Vec<Pin> {
    let points: Vec<Point> = points.into_iter().collect();
    // (place key, input index): sorting these orders places by key and, within a place, keeps
    // the caller's order, so "the first place name" is well defined.
    let mut keyed: Vec<((i32, i32), u32)> = points
        .iter()
        .zip(0u32..)
        .filter_map(|(point, i)| {
            let (lat, lon) = normalize(point.lat, point.lon)?;
            // ±90 × 100 and ±180 × 100 fit an i32 exactly.
            Some((
                ((lat * 100.0).round() as i32, (lon * 100.0).round() as i32),
                i,
            ))
        })
        .collect();
    keyed.sort_unstable();
    let mut pins: Vec<Pin> = keyed
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| {
            let (lat, lon) = run[0].0;
            let (lat, lon) = (f64::from(lat) / 100.0, f64::from(lon) / 100.0);
            let at = |&(_, i): &((i32, i32), u32)| &points[i as usize];
            let count = run
                .iter()
                .fold(0u32, |sum, k| sum.saturating_add(at(k).ips.max(1)));
            let approximate = run.iter().all(|k| at(k).approximate);
            let place = run
                .iter()
                .map(|k| at(k).place.trim())
                .find(|place| !place.is_empty());
            let mut label = String::with_capacity(place.map_or(16, str::len) + 32);
            match place {
                Some(place) => label.push_str(place),
                None => {
                    let _ = write!(label, "{lat:.2}, {lon:.2}");
                }
            }
            if approximate {
                label.push_str(" (approximate)");
            }
            label.push_str(" — ");
            push_ips(&mut label, u64::from(count));
            Pin {
                lat,
                lon,
                count,
                approximate,
                label,
            }
        })
        .collect();
    // Stable: places with as many IPs stay in key order, i.e. by latitude, then longitude.
    pins.sort_by_key(|pin| Reverse(pin.count));
    pins
}

/// `1 IP`, `3 IPs`, `1,024 IPs`.
pub(super) fn ips(n: u64) -> String {
    let mut s = String::new();
    push_ips(&mut s, n);
    s
}

/// Appends [`ips`]`(n)`.
fn push_ips(out: &mut String, n: u64) {
    push_thousands(out, n);
    out.push_str(if n == 1 { " IP" } else { " IPs" });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat: f64, lon: f64, approximate: bool, place: &str) -> Point {
        Point {
            lat,
            lon,
            ips: 1,
            approximate,
            place: place.to_owned(),
        }
    }

    #[test]
    fn points_rounding_to_the_same_hundredth_share_a_pin() {
        let pins = group([
            point(51.5142, -0.0931, false, "London, GB"),
            point(47.25, -122.31, false, "Seattle, US"),
            point(51.5139, -0.0929, false, "City of London, GB"),
        ]);
        assert_eq!(
            pins,
            [
                Pin {
                    lat: 51.51,
                    lon: -0.09,
                    count: 2,
                    approximate: false,
                    label: "London, GB — 2 IPs".into()
                },
                Pin {
                    lat: 47.25,
                    lon: -122.31,
                    count: 1,
                    approximate: false,
                    label: "Seattle, US — 1 IP".into()
                },
            ]
        );
    }

    #[test]
    fn a_pin_is_hollow_only_when_every_ip_there_is_a_country_level_guess() {
        let pins = group([
            point(51.0, 9.0, true, "Germany"),
            point(51.0, 9.0, true, "Germany"),
            point(37.751, -97.822, true, "United States"),
            point(37.751, -97.822, false, "Cheney, US"),
        ]);
        assert_eq!(pins.len(), 2);
        let germany = pins.iter().find(|p| p.lat == 51.0).unwrap();
        assert!(germany.approximate);
        assert_eq!(germany.label, "Germany (approximate) — 2 IPs");
        let us = pins.iter().find(|p| p.lat == 37.75).unwrap();
        assert!(!us.approximate, "one IP there has a city");
        assert_eq!(
            us.label, "United States — 2 IPs",
            "the first name given wins"
        );
    }

    #[test]
    fn busiest_first_then_by_coordinates_whatever_the_input_order() {
        let points = vec![
            point(10.0, 20.0, false, "a"),
            point(-5.0, 1.0, false, "b"),
            point(-5.0, 0.5, false, "c"),
            point(10.0, 20.0, false, "a"),
        ];
        let mut reversed = points.clone();
        reversed.reverse();
        let order = |pins: Vec<Pin>| pins.iter().map(|p| (p.lat, p.lon)).collect::<Vec<_>>();
        assert_eq!(
            order(group(points)),
            [(10.0, 20.0), (-5.0, 0.5), (-5.0, 1.0)]
        );
        assert_eq!(
            order(group(reversed)),
            [(10.0, 20.0), (-5.0, 0.5), (-5.0, 1.0)]
        );
    }

    #[test]
    fn unnamed_places_are_labelled_by_coordinates_and_bad_points_are_skipped() {
        let pins = group([
            point(-33.8688, 151.2093, false, "  "),
            point(f64::NAN, 0.0, false, "nowhere"),
            point(0.0, f64::INFINITY, false, "nowhere"),
        ]);
        assert_eq!(pins.len(), 1);
        assert_eq!(pins[0].label, "-33.87, 151.21 — 1 IP");
    }

    #[test]
    fn a_point_may_stand_for_many_ips() {
        let many = Point {
            ips: 40,
            ..point(51.5142, -0.0931, false, "London, GB")
        };
        let unset = Point {
            ips: 0,
            ..point(51.5139, -0.0929, false, "")
        };
        let pins = group([many, unset, point(51.0, 9.0, true, "Germany")]);
        assert_eq!(pins[0].count, 41, "0 counts as 1");
        assert_eq!(pins[0].label, "London, GB — 41 IPs");
        assert_eq!(pins[1].count, 1);
    }

    #[test]
    fn counts_are_written_with_thousands_separators() {
        let pins = group((0..1234).map(|_| point(1.0, 2.0, false, "X")));
        assert_eq!(pins[0].count, 1234);
        assert_eq!(pins[0].label, "X — 1,234 IPs");
    }
}
