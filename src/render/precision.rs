//! How precise a location is, said honestly wherever it is shown: coordinates to four decimals,
//! the accuracy radius beside them, and country-level guesses called approximate.
//!
//! A database places an address it knows only by country at the country's centroid (34 of 200
//! real addresses sat on the United States' centroid, in Kansas) with an accuracy radius of
//! hundreds of kilometres. Such a location is a guess: the table says so, and the offline map
//! draws it as a hollow ring.

use crate::mapping::{Display, coordinate_text};

/// An accuracy radius this large (km) makes a location a country-level guess.
pub const APPROXIMATE_KM: u32 = 500;

/// Whether the location is a country-level guess rather than a place: the accuracy radius is
/// [`APPROXIMATE_KM`] or more, or the record names no city.
pub fn is_approximate(d: &Display) -> bool {
    d.accuracy_radius.is_some_and(|km| km >= APPROXIMATE_KM) || d.city.is_none()
}

/// `51.5142, -0.0931`: the coordinates rounded to four decimals, as the Latitude and Longitude
/// attributes give them; none without both.
pub fn coordinates(d: &Display) -> Option<String> {
    let (lat, lon) = (
        coordinate_text(d.latitude?)?,
        coordinate_text(d.longitude?)?,
    );
    Some(format!("{lat}, {lon}"))
}

/// What the table says of a location's precision: `± 5 km`, `± 1000 km (approximate)`,
/// `approximate` (no radius, no city); nothing without coordinates.
pub fn accuracy(d: &Display) -> String {
    if d.latitude.is_none() || d.longitude.is_none() {
        return String::new();
    }
    match (d.accuracy_radius, is_approximate(d)) {
        (Some(km), false) => format!("± {km} km"),
        (Some(km), true) => format!("± {km} km (approximate)"),
        (None, true) => "approximate".to_owned(),
        (None, false) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(city: Option<&str>, radius: Option<u32>) -> Display {
        Display {
            city: city.map(str::to_owned),
            latitude: Some(37.419_200_000_000_004),
            longitude: Some(126.974_099_999_999_99),
            accuracy_radius: radius,
            ..Display::default()
        }
    }

    #[test]
    fn coordinates_show_four_decimals_at_most() {
        let d = located(Some("Seoul"), Some(5));
        assert_eq!(coordinates(&d).as_deref(), Some("37.4192, 126.9741"));
        let whole = Display {
            latitude: Some(37.0),
            longitude: Some(-97.822_000_000_000_01),
            ..Display::default()
        };
        assert_eq!(coordinates(&whole).as_deref(), Some("37.0, -97.822"));
        assert_eq!(coordinates(&Display::default()), None);
    }

    #[test]
    fn a_location_is_a_guess_with_a_radius_of_500_km_or_without_a_city() {
        assert!(!is_approximate(&located(Some("Seoul"), Some(5))));
        assert!(!is_approximate(&located(Some("Seoul"), Some(499))));
        assert!(is_approximate(&located(Some("Seoul"), Some(500))));
        assert!(is_approximate(&located(None, Some(5))));
        assert!(is_approximate(&located(None, None)));
    }

    #[test]
    fn the_radius_is_shown_and_guesses_are_called_approximate() {
        assert_eq!(accuracy(&located(Some("Seoul"), Some(5))), "± 5 km");
        assert_eq!(
            accuracy(&located(None, Some(1000))),
            "± 1000 km (approximate)"
        );
        assert_eq!(accuracy(&located(None, None)), "approximate");
        assert_eq!(accuracy(&located(Some("Seoul"), None)), "");
        assert_eq!(accuracy(&Display::default()), "", "nothing to qualify");
    }
}
