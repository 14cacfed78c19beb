//! The offline map of an action's located addresses: each record's location becomes a point
//! of the [world map](super::worldmap), weighted by the addresses that share the record, and
//! drawn hollow when it is a country-level guess. It needs no network, so it shows on
//! air-gapped installs and in browsers that cannot reach a map service.

use super::precision::is_approximate;
use super::worldmap::{Options, Point, WorldMap, group, render};
use crate::mapping::Display;

/// The map of `records` — each record's fields and how many located addresses share it — or
/// none when no record has coordinates.
pub fn offline_map<'a>(
    records: impl IntoIterator<Item = (&'a Display, usize)>,
) -> Option<WorldMap> {
    let points: Vec<Point> = records
        .into_iter()
        .filter_map(|(d, ips)| {
            Some(Point {
                lat: d.latitude?,
                lon: d.longitude?,
                ips: u32::try_from(ips).unwrap_or(u32::MAX),
                approximate: is_approximate(d),
                place: place(d),
            })
        })
        .collect();
    let pins = group(points);
    if pins.is_empty() {
        return None;
    }
    // The default width; the description scales it down to fit.
    Some(render(&pins, &Options::default()))
}

/// What a pin's tooltip calls the place: `London, GB`, else the country.
fn place(d: &Display) -> String {
    let country = d.country_code.as_deref().or(d.country.as_deref());
    match (&d.city, country) {
        (Some(city), Some(country)) => format!("{city}, {country}"),
        (Some(city), None) => city.clone(),
        (None, _) => d
            .country
            .clone()
            .or(d.country_code.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(city: Option<&str>, lat: f64, lon: f64, radius: u32) -> Display {
        Display {
            country: Some("United States".into()),
            country_code: Some("US".into()),
            city: city.map(str::to_owned),
            latitude: Some(lat),
            longitude: Some(lon),
            accuracy_radius: Some(radius),
            ..Display::default()
        }
    }

    #[test]
    fn records_become_weighted_pins_and_guesses_hollow_rings() {
        let seattle = record(Some("Seattle"), 47.6062, -122.3321, 5);
        let centroid = record(None, 37.751, -97.822, 1000);
        let far = record(Some("Cheney"), 37.6, -97.7, 500);
        let map = offline_map([(&seattle, 3), (&centroid, 34), (&far, 1)]).unwrap();
        assert_eq!((map.places, map.ips), (3, 38));
        assert!(map.svg.contains("<title>Seattle, US — 3 IPs</title>"));
        assert!(
            map.svg
                .contains("<title>United States (approximate) — 34 IPs</title>")
        );
        assert!(
            map.svg
                .contains("<title>Cheney, US (approximate) — 1 IP</title>")
        );
        assert_eq!(map.width, Options::default().width);
    }

    #[test]
    fn records_without_coordinates_make_no_map() {
        let asn_only = Display {
            asn: Some("15169".into()),
            ..Display::default()
        };
        assert!(offline_map([(&asn_only, 5)]).is_none());
        assert!(offline_map([]).is_none());
    }
}
