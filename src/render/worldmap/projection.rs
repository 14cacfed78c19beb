//! The map projection: Equal Earth, and the grid the land data is drawn on.
//!
//! Equal Earth (Šavrič, Patterson & Jenny, 2018) is an equal-area pseudocylindrical projection
//! made to look like Robinson: countries keep their true relative sizes (Russia and Greenland are
//! not blown up as on web maps, so a cluster of pins in Africa or Europe is not squeezed), the
//! outline is the familiar rounded world, and the forward formula is closed-form — an arcsine,
//! a cosine and a short polynomial per point — where Robinson needs a table interpolation.
//! Parallels are straight horizontal lines and the poles are flat lines (0.59 of the equator's
//! length), which lets Antarctica be drawn as a band along the bottom.
//!
//! This module owns the formula and the **grid**: projected coordinates scaled so the equator
//! runs from x = 0 to x = [`GRID_W`], y pointing down from the North Pole line (y = 0) to the
//! South Pole line (y = [`GRID_H`]). `tools/make_land.mjs` implements the same formula and writes
//! the land outline on this grid, with check points that the tests compare with [`to_grid`].

/// Equal Earth polynomial coefficients (from the paper).
const A1: f64 = 1.340264;
const A2: f64 = -0.081106;
const A3: f64 = 0.000893;
const A4: f64 = 0.003796;
/// √3 / 2.
const M: f64 = 0.866_025_403_784_438_6;

/// Half the equator's length on the unit sphere: `x` at longitude 180°, latitude 0.
pub const X_MAX: f64 = 2.706_629_983_696_075;
/// Half the map's height on the unit sphere: `y` at the North Pole.
pub const Y_MAX: f64 = 1.317_362_759_157_413_3;

/// Width of the land data's grid, in grid units (the equator's length).
pub const GRID_W: f64 = 2000.0;
/// Height of the grid, in grid units (pole line to pole line).
pub const GRID_H: f64 = GRID_W * Y_MAX / X_MAX;

/// Equal Earth on the unit sphere: `(x, y)` with y pointing north, from degrees.
///
/// Latitude is clamped to ±90° and longitude is taken as given (callers wrap it with
/// [`normalize`]). The sine and arcsine are the `libm` crate's, compiled in: `f64::sin` and
/// `f64::asin` would link the system's `libm.so`, a library every action of the binary would
/// then load at start-up. (θ stays within ±60°, so its cosine is the square root.)
pub fn equal_earth(lat: f64, lon: f64) -> (f64, f64) {
    let phi = lat.clamp(-90.0, 90.0).to_radians();
    let lambda = lon.to_radians();
    let sin_theta = M * libm::sin(phi);
    let theta = libm::asin(sin_theta);
    let cos_theta = (1.0 - sin_theta * sin_theta).sqrt();
    let t2 = theta * theta;
    let t6 = t2 * t2 * t2;
    let x = lambda * cos_theta / (M * (A1 + 3.0 * A2 * t2 + t6 * (7.0 * A3 + 9.0 * A4 * t2)));
    let y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
    (x, y)
}

/// A coordinate pair made drawable: `None` when either is not finite, else latitude clamped to
/// ±90° and longitude wrapped into [-180°, 180°].
pub fn normalize(lat: f64, lon: f64) -> Option<(f64, f64)> {
    if !(lat.is_finite() && lon.is_finite()) {
        return None;
    }
    let lon = if (-180.0..=180.0).contains(&lon) {
        lon
    } else {
        (lon + 180.0).rem_euclid(360.0) - 180.0
    };
    Some((lat.clamp(-90.0, 90.0), lon))
}

/// Where a place lies on the land data's grid: `(x, y)`, x right from the 180th meridian at the
/// equator, y down from the North Pole line.
pub fn to_grid(lat: f64, lon: f64) -> (f64, f64) {
    let (x, y) = equal_earth(lat, lon);
    let k = GRID_W / (2.0 * X_MAX);
    ((x + X_MAX) * k, (Y_MAX - y) * k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64), tolerance: f64) -> bool {
        (a.0 - b.0).abs() <= tolerance && (a.1 - b.1).abs() <= tolerance
    }

    #[test]
    fn the_extent_constants_are_the_formula_at_the_edges() {
        assert!(close(equal_earth(0.0, 180.0), (X_MAX, 0.0), 1e-12));
        assert!(close(equal_earth(90.0, 0.0), (0.0, Y_MAX), 1e-12));
        // The map is a little over twice as wide as it is high.
        assert!((GRID_H - 973.434).abs() < 0.001, "{GRID_H}");
    }

    #[test]
    fn round_numbers_land_where_the_projection_puts_them() {
        // The centre of the map is (0°, 0°); the equator spans the whole width.
        assert!(close(to_grid(0.0, 0.0), (1000.0, GRID_H / 2.0), 1e-9));
        assert!(close(to_grid(0.0, -180.0), (0.0, GRID_H / 2.0), 1e-9));
        assert!(close(to_grid(0.0, 180.0), (2000.0, GRID_H / 2.0), 1e-9));
        // The poles are flat lines at the top and bottom edges…
        assert!(close(to_grid(90.0, 0.0), (1000.0, 0.0), 1e-9));
        assert!(close(to_grid(-90.0, 0.0), (1000.0, GRID_H), 1e-9));
        // …0.59 of the equator's length, not a point.
        let pole = to_grid(90.0, 180.0).0 - to_grid(90.0, -180.0).0;
        assert!((pole / 2000.0 - 0.5925).abs() < 0.001, "{pole}");
        // Parallels are straight: y depends on latitude only.
        assert_eq!(to_grid(45.0, -120.0).1, to_grid(45.0, 60.0).1);
        // Symmetry about the equator and the central meridian.
        let (x, y) = to_grid(30.0, 45.0);
        assert!(close(to_grid(-30.0, -45.0), (2000.0 - x, GRID_H - y), 1e-9));
    }

    #[test]
    fn equal_area_means_high_latitudes_are_not_stretched() {
        // A 10° × 10° cell at 60°N has half the area of one at the equator (cos 60° = 0.5):
        // Equal Earth keeps that ratio; Mercator would make it larger.
        let width = |lat: f64| equal_earth(lat, 10.0).0 - equal_earth(lat, 0.0).0;
        let area = |lat: f64| {
            let height = equal_earth(lat + 10.0, 0.0).1 - equal_earth(lat, 0.0).1;
            (width(lat) + width(lat + 10.0)) / 2.0 * height
        };
        let expected = (65f64.to_radians().sin() - 55f64.to_radians().sin())
            / (5f64.to_radians().sin() - (-5f64).to_radians().sin());
        let ratio = area(55.0) / area(-5.0);
        assert!((ratio - expected).abs() < 0.01, "{ratio} vs {expected}");
    }

    #[test]
    fn coordinates_are_normalized_before_drawing() {
        assert_eq!(normalize(51.5, -0.12), Some((51.5, -0.12)));
        assert_eq!(normalize(95.0, 190.0), Some((90.0, -170.0)));
        assert_eq!(normalize(-91.0, -190.0), Some((-90.0, 170.0)));
        assert_eq!(normalize(0.0, 540.0), Some((0.0, -180.0)));
        assert_eq!(normalize(f64::NAN, 0.0), None);
        assert_eq!(normalize(0.0, f64::INFINITY), None);
    }
}
