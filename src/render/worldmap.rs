//! The offline world map: located IPs as pins on a Natural Earth land map, drawn as SVG by
//! this module alone and embedded in HTML as a `data:` URI — no map service, no network.
//!
//! ```
//! use maxmind_geolocate::worldmap::{Options, Point, group, img_tag};
//!
//! let points = [
//!     Point { lat: 51.5074, lon: -0.1278, ips: 3, approximate: false, place: "London, GB".into() },
//!     Point { lat: 51.0, lon: 9.0, ips: 1, approximate: true, place: "Germany".into() },
//! ];
//! let pins = group(points);
//! let tag = img_tag(&pins, &Options::default(), "Map of the located IP addresses");
//! assert!(tag.starts_with("<img alt=\"Map of the located IP addresses\" src=\"data:image/svg+xml;base64,"));
//! ```
//!
//! Parts, each a module that says what it owns:
//! - `projection`: Equal Earth, and the grid the land data is drawn on;
//! - `land`: the embedded Natural Earth 1:110m land outline (`land-110m.txt`, written by
//!   `tools/make_land.mjs` with the same projection);
//! - `group`: located IPs → pins, one per place (coordinates rounded to two decimals);
//! - `svg`: the SVG document (ocean, graticule, land, pins, legend) and the `<img>` tag.
//!
//! The tests of the whole (`tests.rs`) read as its specification; each part tests its own
//! details.
//!
//! Guarantees: the output depends only on the input (no hash-order, no clock); every label is
//! escaped; the `data:` URI is at most [`MAX_DATA_URI`] bytes for any number of IPs (at most
//! [`MAX_PINS`] places are drawn, the busiest; the legend says what was left off).

mod group;
mod land;
mod projection;
mod svg;

use super::{push_thousands, thousands};
pub use group::{Pin, Point, group};
pub use svg::{
    MAX_DATA_URI, MAX_PINS, Options, WIDTH_RANGE, WorldMap, img_tag, pin_position, render, svg,
};

#[cfg(test)]
mod tests;
