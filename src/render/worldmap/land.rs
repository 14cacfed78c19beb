//! The land data: Natural Earth 1:110m land (public domain), pre-projected and embedded.
//!
//! `land-110m.txt` is written once, at development time, by `tools/make_land.mjs` (its header
//! says where the data comes from and how to re-run it). The file is a few `#` comment lines —
//! provenance, the grid size, and check points of the projection — then one line of SVG path
//! data on the [grid](super::projection) of [`GRID_W`](super::projection::GRID_W) units: each
//! ring is `M x y`, relative `l dx dy …` steps with integer coordinates, and `z`. Rings were cut
//! at the antimeridian and Antarctica closed along the South Pole line, so no edge crosses the
//! map. It is filled with `fill-rule="evenodd"` (the Caspian Sea is a hole).

/// The whole embedded file, header included.
const FILE: &str = include_str!("land-110m.txt");

/// The land outline as SVG path data on the projection grid (the file without its header).
pub fn path_data() -> &'static str {
    FILE.lines()
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::super::projection::{GRID_H, GRID_W, normalize, to_grid};
    use super::*;

    /// The rings of the path data, as absolute grid points.
    fn rings() -> Vec<Vec<(i32, i32)>> {
        let mut rings = Vec::new();
        let mut numbers: Vec<i32> = Vec::new();
        let mut command = ' ';
        let mut token = String::new();
        let flush = |token: &mut String, numbers: &mut Vec<i32>| {
            if !token.is_empty() {
                numbers.push(token.parse().expect("an integer"));
                token.clear();
            }
        };
        let mut finish = |command: char, numbers: &mut Vec<i32>| {
            match command {
                'M' => rings.push(vec![(numbers[0], numbers[1])]),
                'l' => {
                    let ring: &mut Vec<(i32, i32)> = rings.last_mut().expect("M before l");
                    for step in numbers.chunks(2) {
                        let &(x, y) = ring.last().unwrap();
                        ring.push((x + step[0], y + step[1]));
                    }
                }
                _ => assert!(numbers.is_empty(), "numbers after {command:?}"),
            }
            numbers.clear();
        };
        for c in path_data().chars() {
            match c {
                'M' | 'l' | 'z' => {
                    flush(&mut token, &mut numbers);
                    finish(command, &mut numbers);
                    command = c;
                }
                ' ' => flush(&mut token, &mut numbers),
                '-' => {
                    flush(&mut token, &mut numbers);
                    token.push(c);
                }
                '0'..='9' => token.push(c),
                other => panic!("unexpected {other:?} in the land path data"),
            }
        }
        flush(&mut token, &mut numbers);
        finish(command, &mut numbers);
        rings
    }

    /// Even–odd point-in-polygon over every ring, as the SVG fills it.
    fn on_land(x: f64, y: f64) -> bool {
        let mut inside = false;
        for ring in rings() {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                let (x2, y2) = ring[(i + 1) % ring.len()];
                let (x1, y1, x2, y2) = (f64::from(x1), f64::from(y1), f64::from(x2), f64::from(y2));
                if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                    inside = !inside;
                }
            }
        }
        inside
    }

    fn city_on_land(lat: f64, lon: f64) -> bool {
        let (lat, lon) = normalize(lat, lon).unwrap();
        let (x, y) = to_grid(lat, lon);
        on_land(x, y)
    }

    #[test]
    fn the_file_says_where_it_comes_from() {
        let header: Vec<&str> = FILE.lines().take_while(|l| l.starts_with('#')).collect();
        assert!(header[0].contains("Natural Earth 1:110m land (public domain)"));
        assert!(header[1].contains("tools/make_land.mjs"));
        assert!(
            header[2].contains("Equal Earth, grid 2000 x 973"),
            "{}",
            header[2]
        );
        assert!(path_data().starts_with('M') && path_data().ends_with('z'));
        // Small enough to embed in every map: a few tens of KB.
        assert!(FILE.len() < 30_000, "{}", FILE.len());
    }

    #[test]
    fn the_script_projected_with_the_same_formula_as_the_pins() {
        let checks: Vec<Vec<f64>> = FILE
            .lines()
            .filter_map(|l| l.strip_prefix("# check "))
            .map(|l| l.split(' ').map(|n| n.parse().unwrap()).collect())
            .collect();
        assert!(checks.len() >= 8, "{checks:?}");
        for check in checks {
            let [lon, lat, x, y] = check[..] else {
                panic!("{check:?}")
            };
            let (gx, gy) = to_grid(lat, lon);
            assert!(
                (gx - x).abs() < 1e-3 && (gy - y).abs() < 1e-3,
                "{lat},{lon}: script ({x}, {y}), Rust ({gx}, {gy})"
            );
        }
    }

    #[test]
    fn known_cities_fall_on_land() {
        let cities = [
            ("London", 51.5074, -0.1278),
            ("Sydney", -33.8688, 151.2093),
            ("São Paulo", -23.5505, -46.6333),
            ("Tokyo", 35.6762, 139.6503),
            ("Nairobi", -1.2921, 36.8219),
            ("Anchorage", 61.2181, -149.9003),
            ("Moscow", 55.7558, 37.6173),
            ("Chicago", 41.8781, -87.6298),
            ("Anadyr, Chukotka (eastern hemisphere)", 64.7337, 177.5089),
            (
                "Chukotka inland at 176°W (western hemisphere)",
                67.0,
                -176.0,
            ),
            ("South Pole", -89.9, 0.0),
        ];
        for (name, lat, lon) in cities {
            assert!(
                city_on_land(lat, lon),
                "{name} ({lat}, {lon}) is not on land"
            );
        }
    }

    #[test]
    fn oceans_are_not_land() {
        let seas = [
            ("mid-Atlantic", 0.0, -30.0),
            ("mid-Pacific", 0.0, -160.0),
            ("Pacific at the antimeridian", 0.0, 180.0),
            ("Bering Sea", 58.0, 179.9),
            ("Indian Ocean", -20.0, 80.0),
            ("Caspian Sea (a hole in Eurasia)", 42.0, 50.5),
            ("Southern Ocean", -60.0, 0.0),
        ];
        for (name, lat, lon) in seas {
            assert!(
                !city_on_land(lat, lon),
                "{name} ({lat}, {lon}) is drawn as land"
            );
        }
    }

    #[test]
    fn no_edge_streaks_across_the_map() {
        // An edge longer than a tenth of the map's width would be a ring jumping across the
        // antimeridian — except along the pole lines, where Antarctica is closed.
        for ring in rings() {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                let (x2, y2) = ring[(i + 1) % ring.len()];
                let on_pole_line = y1 == y2 && (y1 == 0 || f64::from(y1) >= GRID_H.floor());
                assert!(
                    on_pole_line || (x2 - x1).abs() < (GRID_W / 10.0) as i32,
                    "edge ({x1}, {y1}) → ({x2}, {y2})"
                );
                assert!((0..=GRID_W as i32).contains(&x1), "x {x1} off the grid");
                assert!(
                    (0..=GRID_H.ceil() as i32).contains(&y1),
                    "y {y1} off the grid"
                );
            }
        }
    }

    #[test]
    fn antarctica_is_a_band_along_the_bottom() {
        // All along the South Pole line, across the whole width, is land.
        for lon in (-175..=175).step_by(10) {
            assert!(city_on_land(-88.0, f64::from(lon)), "{lon}° at -88°");
        }
    }
}
