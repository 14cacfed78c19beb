//! SVG writing: the map as one self-contained SVG document, and as an `<img>` tag.
//!
//! The document draws, back to front: a white background (the description may be shown on a
//! dark theme), the ocean (the Equal Earth outline, very light blue), an optional 30° graticule,
//! the land (light grey, the embedded path scaled by one `transform`), the pins and a legend
//! below the map. It loads nothing — no fonts (generic `sans-serif`), no images, no scripts —
//! as an SVG shown through `<img>` may not.
//!
//! Pins: filled red-orange with a dark outline for IPs located at a city, hollow rings for
//! country-level guesses; five size classes by IP count (1, 2–9, 10–99, 100–999, 1,000+). The
//! filled pins are drawn biggest first so small ones stay visible on top; the hollow rings come
//! after them (a ring hides nothing it is drawn over). At most [`MAX_PINS`] pins are drawn, the
//! busiest; the legend says how many places and IPs were left off.
//!
//! Size: the data URI stays within [`MAX_DATA_URI`] bytes whatever the input. Land, outline and
//! legend take about 27 KB, 2,000 pins without tooltips about 80 KB; the rest of the
//! budget goes to `<title>` tooltips, given to the busiest pins first while they fit (labels are
//! cut to 120 characters). Browsers show those tooltips only when the SVG is opened on its own,
//! not inside an `<img>`.

use std::cmp::Ordering;
use std::fmt::Write as _;

use base64::Engine as _;

use super::group::{Pin, ips};
use super::land;
use super::projection::{GRID_H, GRID_W, normalize, to_grid};
use super::thousands;
use crate::render::escape_into;

/// The most pins one map draws (the busiest places are kept).
pub const MAX_PINS: usize = 2_000;
/// The longest `data:` URI [`img_tag`] writes, in bytes.
pub const MAX_DATA_URI: usize = 200_000;
/// The narrowest and widest maps drawn, in pixels ([`Options::width`] is clamped).
pub const WIDTH_RANGE: (u32, u32) = (320, 4096);

/// `data:` URI prefix.
const DATA_PREFIX: &str = "data:image/svg+xml;base64,";
/// The longest SVG whose base64 fits [`MAX_DATA_URI`] with its prefix.
const MAX_SVG: usize = (MAX_DATA_URI - DATA_PREFIX.len()) / 4 * 3;
/// Labels and the title are cut to this many characters.
const MAX_LABEL_CHARS: usize = 120;
/// Space around the map, in pixels.
const MARGIN: f64 = 6.0;
/// Height of the title line, when there is a title.
const TITLE_HEIGHT: f64 = 24.0;
/// Legend font size, and an upper estimate of a character's width in it (no font metrics
/// here: the estimate errs wide so legend items never overlap).
const FONT_SIZE: f64 = 12.0;
const CHAR_WIDTH: f64 = 6.8;

/// Colours: calm, readable printed in grey too (filled and hollow pins differ by shape).
const BACKGROUND: &str = "#ffffff";
const OCEAN: &str = "#eaf2f8";
const OCEAN_EDGE: &str = "#aebdcb";
const GRATICULE: &str = "#d2dde8";
const LAND: &str = "#d5d5d2";
const COAST: &str = "#a9a9a5";
const PIN: &str = "#e4572e";
const PIN_EDGE: &str = "#7a1f0b";
const HOLLOW: &str = "#c0391b";
const TEXT: &str = "#333333";

/// Size classes: the smallest count in the class, the pin radius in pixels, the legend text.
const SIZES: [(u32, f64, &str); 5] = [
    (1, 3.5, "1"),
    (2, 5.0, "2–9"),
    (10, 7.0, "10–99"),
    (100, 9.5, "100–999"),
    (1000, 12.5, "1,000+"),
];

/// How to draw the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Width in pixels (clamped to [`WIDTH_RANGE`]); the height follows from the projection
    /// and the legend (about half the width plus 80 px).
    pub width: u32,
    /// A heading drawn above the map; empty for none. Raw text, escaped when written.
    pub title: String,
    /// The most pins to draw, busiest first (at most [`MAX_PINS`]).
    pub max_pins: usize,
    /// Draw meridians and parallels every 30°.
    pub graticule: bool,
    /// Fill the globe's outline (the ocean) in very light blue; otherwise only outline it.
    pub ocean: bool,
}

impl Default for Options {
    /// 960 px wide, no title, up to [`MAX_PINS`] pins, with ocean and graticule.
    fn default() -> Self {
        Options {
            width: 960,
            title: String::new(),
            max_pins: MAX_PINS,
            graticule: true,
            ocean: true,
        }
    }
}

/// A drawn map and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldMap {
    /// The SVG document.
    pub svg: String,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// Places given (pins with finite coordinates).
    pub places: usize,
    /// IPs at those places.
    pub ips: u64,
    /// Places drawn (the busiest, up to [`Options::max_pins`]).
    pub places_shown: usize,
    /// IPs at the places drawn.
    pub ips_shown: u64,
}

/// The map as SVG text: ocean, graticule, land, the pins and a legend.
///
/// Pins may come from [`group`](super::group) or anywhere else; they are drawn busiest first
/// (by count, then latitude, longitude, label), so the same pins give the same bytes whatever
/// their order. Pins whose coordinates are not finite are skipped.
pub fn svg(pins: &[Pin], options: &Options) -> String {
    render(pins, options).svg
}

/// The map as `<img alt="…" src="data:image/svg+xml;base64,…" style="…" width="…" height="…">`,
/// ready to put in HTML; `alt` is escaped. The `src` is at most [`MAX_DATA_URI`] bytes.
pub fn img_tag(pins: &[Pin], options: &Options, alt: &str) -> String {
    render(pins, options).img_tag(alt)
}

impl WorldMap {
    /// The SVG as a `data:image/svg+xml;base64,…` URI, at most [`MAX_DATA_URI`] bytes.
    pub fn data_uri(&self) -> String {
        let mut uri = String::with_capacity(DATA_PREFIX.len() + self.svg.len().div_ceil(3) * 4);
        uri.push_str(DATA_PREFIX);
        base64::engine::general_purpose::STANDARD.encode_string(self.svg.as_bytes(), &mut uri);
        uri
    }

    /// The map as an `<img>` tag (see [`img_tag`]), scaled down to the width of what holds it.
    pub fn img_tag(&self, alt: &str) -> String {
        let mut tag = String::with_capacity(self.svg.len() / 3 * 4 + 200);
        tag.push_str("<img alt=\"");
        escape_into(alt, &mut tag);
        tag.push_str("\" src=\"");
        tag.push_str(&self.data_uri());
        let _ = write!(
            tag,
            "\" style=\"max-width:100%;height:auto\" width=\"{}\" height=\"{}\">",
            self.width, self.height
        );
        tag
    }
}

/// Where a place's pin is drawn, in the SVG's pixel coordinates (`None` when not finite).
pub fn pin_position(lat: f64, lon: f64, options: &Options) -> Option<(f64, f64)> {
    let (lat, lon) = normalize(lat, lon)?;
    Some(Frame::new(options).place(lat, lon))
}

/// The map drawn, with the counts of what it shows and leaves off (for a caller's warning).
pub fn render(pins: &[Pin], options: &Options) -> WorldMap {
    let frame = Frame::new(options);
    let mut placed: Vec<Placed> = pins
        .iter()
        .filter_map(|pin| {
            let (lat, lon) = normalize(pin.lat, pin.lon)?;
            Some(Placed {
                pin,
                lat,
                lon,
                scramble: scramble(lat, lon),
            })
        })
        .collect();
    let places = placed.len();
    let ips: u64 = placed.iter().map(|p| u64::from(p.pin.count)).sum();
    let keep = options.max_pins.min(MAX_PINS);
    if placed.len() > keep {
        if keep > 0 {
            placed.select_nth_unstable_by(keep - 1, Placed::busiest_spread);
        }
        placed.truncate(keep);
    }
    placed.sort_unstable_by(Placed::drawing_order);
    let ips_shown: u64 = placed.iter().map(|p| u64::from(p.pin.count)).sum();
    let counts = Counts {
        places,
        ips,
        places_shown: placed.len(),
        ips_shown,
    };

    let (legend, legend_height) = legend(&frame, &counts);
    let height = (frame.legend_top + legend_height + MARGIN).ceil() as u32;

    let mut out = String::with_capacity(64 * 1024);
    let w = frame.width;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" font-family=\"sans-serif\" font-size=\"{FONT_SIZE}\">\
         <rect width=\"{w}\" height=\"{height}\" fill=\"{BACKGROUND}\"/>"
    );
    if !options.title.trim().is_empty() {
        let _ = write!(
            out,
            "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\" fill=\"{TEXT}\">",
            MARGIN + 15.0
        );
        escape_into(&cut(options.title.trim()), &mut out);
        out.push_str("</text>");
    }
    frame.ocean(&mut out, options.ocean);
    if options.graticule {
        frame.graticule(&mut out);
    }
    let _ = write!(
        out,
        "<path transform=\"matrix({s:.6} 0 0 {s:.6} {x} {y})\" fill=\"{LAND}\" stroke=\"{COAST}\" \
         stroke-width=\"{sw:.3}\" stroke-linejoin=\"round\" fill-rule=\"evenodd\" d=\"",
        s = frame.scale,
        x = MARGIN,
        y = frame.top,
        sw = 0.6 / frame.scale,
    );
    out.push_str(land::path_data());
    out.push_str("\"/>");

    // Each pin's element without a tooltip, then tooltips for the busiest while they fit.
    let elements: Vec<String> = placed
        .iter()
        .map(|p| {
            let (x, y) = frame.place(p.lat, p.lon);
            let mut e = String::with_capacity(48);
            e.push_str("<circle cx=\"");
            push_tenths(&mut e, x);
            e.push_str("\" cy=\"");
            push_tenths(&mut e, y);
            e.push_str("\" r=\"");
            push_tenths(&mut e, radius(p.pin.count));
            e.push('"');
            e
        })
        .collect();
    let groups = [
        (
            false,
            format!(
                "<g fill=\"{PIN}\" fill-opacity=\".85\" stroke=\"{PIN_EDGE}\" stroke-width=\"1\">"
            ),
        ),
        (
            true,
            format!("<g fill=\"none\" stroke=\"{HOLLOW}\" stroke-width=\"1.75\">"),
        ),
    ];
    let fixed = out.len()
        + legend.len()
        + "</svg>".len()
        + groups
            .iter()
            .map(|(_, open)| open.len() + "</g>".len())
            .sum::<usize>()
        + elements.iter().map(|e| e.len() + "/>".len()).sum::<usize>();
    let mut budget = MAX_SVG.saturating_sub(fixed);
    let tooltips: Vec<Option<String>> = placed
        .iter()
        .map(|p| {
            let mut title = String::new();
            escape_into(&cut(p.pin.label.trim()), &mut title);
            let cost = title.len() + "><title></title></circle>".len() - "/>".len();
            (!title.is_empty() && cost <= budget).then(|| {
                budget -= cost;
                title
            })
        })
        .collect();
    for (hollow, open) in &groups {
        out.push_str(open);
        for (i, p) in placed.iter().enumerate() {
            if p.pin.approximate != *hollow {
                continue;
            }
            out.push_str(&elements[i]);
            match &tooltips[i] {
                Some(title) => {
                    out.push_str("><title>");
                    out.push_str(title);
                    out.push_str("</title></circle>");
                }
                None => out.push_str("/>"),
            }
        }
        out.push_str("</g>");
    }
    out.push_str(&legend);
    out.push_str("</svg>");
    debug_assert!(out.len() <= MAX_SVG, "{} bytes", out.len());

    WorldMap {
        svg: out,
        width: frame.width as u32,
        height,
        places,
        ips,
        places_shown: counts.places_shown,
        ips_shown,
    }
}

/// What the legend counts.
struct Counts {
    places: usize,
    ips: u64,
    places_shown: usize,
    ips_shown: u64,
}

/// Where things go on the canvas, in pixels.
struct Frame {
    /// Canvas width.
    width: f64,
    /// Top of the map (below the title, if any).
    top: f64,
    /// Pixels per grid unit.
    scale: f64,
    /// Top of the legend.
    legend_top: f64,
}

impl Frame {
    fn new(options: &Options) -> Frame {
        let width = f64::from(options.width.clamp(WIDTH_RANGE.0, WIDTH_RANGE.1));
        let top = MARGIN
            + if options.title.trim().is_empty() {
                0.0
            } else {
                TITLE_HEIGHT
            };
        let scale = (width - 2.0 * MARGIN) / GRID_W;
        Frame {
            width,
            top,
            scale,
            legend_top: top + GRID_H * scale + 6.0,
        }
    }

    /// Pixel position of a (normalized) place.
    fn place(&self, lat: f64, lon: f64) -> (f64, f64) {
        let (x, y) = to_grid(lat, lon);
        (MARGIN + x * self.scale, self.top + y * self.scale)
    }

    /// Appends `M x y` or ` x y` for a place.
    fn point(&self, out: &mut String, command: &str, lat: f64, lon: f64) {
        let (x, y) = self.place(lat, lon);
        out.push_str(command);
        push_tenths(out, x);
        out.push(' ');
        push_tenths(out, y);
    }

    /// The globe's outline, filled as ocean or not: down the 180th meridian's west side, up
    /// its east side.
    fn ocean(&self, out: &mut String, fill: bool) {
        let fill = if fill { OCEAN } else { "none" };
        let _ = write!(
            out,
            "<path fill=\"{fill}\" stroke=\"{OCEAN_EDGE}\" stroke-width=\".8\" d=\""
        );
        for (i, lat) in (-15..=15).rev().enumerate() {
            let command = if i == 0 { "M" } else { "L" };
            self.point(out, command, f64::from(lat * 6), -180.0);
        }
        for lat in -15..=15 {
            self.point(out, "L", f64::from(lat * 6), 180.0);
        }
        out.push_str("z\"/>");
    }

    /// Meridians and parallels every 30°.
    fn graticule(&self, out: &mut String) {
        let _ = write!(
            out,
            "<path fill=\"none\" stroke=\"{GRATICULE}\" stroke-width=\".6\" d=\""
        );
        for lon in (-150..=150).step_by(30) {
            for (i, lat) in (-9..=9).enumerate() {
                let command = if i == 0 { "M" } else { "L" };
                self.point(out, command, f64::from(lat * 10), f64::from(lon));
            }
        }
        for lat in (-60..=60).step_by(30) {
            self.point(out, "M", f64::from(lat), -180.0);
            self.point(out, "L", f64::from(lat), 180.0);
        }
        out.push_str("\"/>");
    }
}

/// The legend below the map, and its height: what filled and hollow pins mean, the size
/// classes, and how many IPs and places there are and are shown.
fn legend(frame: &Frame, counts: &Counts) -> (String, f64) {
    let mut flow = Flow::new(frame);
    flow.item(10.0, 20.0, "IP located in a city", |out, x, y| {
        circle(out, x + 5.0, y, 5.0, false);
    });
    flow.item(
        10.0,
        20.0,
        "Country-level guess (no city, or accuracy ≥ 500 km)",
        |out, x, y| circle(out, x + 5.0, y, 5.0, true),
    );
    flow.newline();
    flow.item(0.0, 28.0, "IPs per place:", |_, _, _| {});
    for (_, r, text) in SIZES {
        flow.item(2.0 * r, 28.0, text, |out, x, y| {
            circle(out, x + r, y, r, false)
        });
    }
    flow.newline();
    let mut sentences = vec![if counts.places == 0 {
        "No located IPs.".to_owned()
    } else {
        format!("{} at {}.", ips(counts.ips), places(counts.places as u64))
    }];
    if counts.places_shown < counts.places {
        sentences.push(format!(
            "Shown: the busiest {} ({}).",
            places(counts.places_shown as u64),
            ips(counts.ips_shown)
        ));
        sentences.push(format!(
            "Left off: {} ({}).",
            places((counts.places - counts.places_shown) as u64),
            ips(counts.ips - counts.ips_shown)
        ));
    }
    // Sentences share a line while they fit.
    let mut lines: Vec<String> = Vec::new();
    for sentence in sentences {
        match lines.last_mut() {
            Some(line) if flow.fits(&format!("{line} {sentence}")) => {
                line.push(' ');
                line.push_str(&sentence);
            }
            _ => lines.push(sentence),
        }
    }
    for line in &lines {
        flow.item(0.0, 18.0, line, |_, _, _| {});
        flow.newline();
    }
    (flow.out, flow.y - frame.legend_top)
}

/// `1 place`, `2 places`, `1,024 places`.
fn places(n: u64) -> String {
    if n == 1 {
        "1 place".to_owned()
    } else {
        format!("{} places", thousands(n))
    }
}

/// A legend circle: filled with an outline, or a hollow ring.
fn circle(out: &mut String, x: f64, y: f64, r: f64, hollow: bool) {
    let style = if hollow {
        format!("fill=\"none\" stroke=\"{HOLLOW}\" stroke-width=\"1.75\"")
    } else {
        format!("fill=\"{PIN}\" fill-opacity=\".85\" stroke=\"{PIN_EDGE}\"")
    };
    out.push_str("<circle cx=\"");
    push_tenths(out, x);
    out.push_str("\" cy=\"");
    push_tenths(out, y);
    out.push_str("\" r=\"");
    push_tenths(out, r);
    let _ = write!(out, "\" {style}/>");
}

/// Left-to-right legend layout with wrapping, by estimated text width.
struct Flow {
    out: String,
    left: f64,
    right: f64,
    x: f64,
    /// Top of the current row.
    y: f64,
    /// Height of the current row so far (0: empty row).
    row: f64,
}

impl Flow {
    fn new(frame: &Frame) -> Flow {
        let left = MARGIN + 4.0;
        Flow {
            out: String::new(),
            left,
            right: frame.width - MARGIN,
            x: left,
            y: frame.legend_top,
            row: 0.0,
        }
    }

    /// A symbol `symbol_width` wide (drawn by `draw` at its left edge, vertical centre) then
    /// `text`, in a row at least `height` high; wraps first when it would not fit.
    fn item(
        &mut self,
        symbol_width: f64,
        height: f64,
        text: &str,
        draw: impl FnOnce(&mut String, f64, f64),
    ) {
        let gap = if symbol_width > 0.0 { 5.0 } else { 0.0 };
        let width = symbol_width + gap + CHAR_WIDTH * text.chars().count() as f64;
        if self.row > 0.0 && self.x + width > self.right {
            self.newline();
        }
        self.row = self.row.max(height);
        let centre = self.y + height / 2.0;
        draw(&mut self.out, self.x, centre);
        let tx = self.x + symbol_width + gap;
        self.out.push_str("<text x=\"");
        push_tenths(&mut self.out, tx);
        self.out.push_str("\" y=\"");
        push_tenths(&mut self.out, centre + FONT_SIZE * 0.35);
        let _ = write!(self.out, "\" fill=\"{TEXT}\">");
        escape_into(text, &mut self.out);
        self.out.push_str("</text>");
        self.x += width + 14.0;
    }

    /// Whether `text` alone fits on a row.
    fn fits(&self, text: &str) -> bool {
        self.left + CHAR_WIDTH * text.chars().count() as f64 <= self.right
    }

    /// Ends the current row (if it has anything).
    fn newline(&mut self) {
        self.y += self.row;
        self.x = self.left;
        self.row = 0.0;
    }
}

/// A pin with finite coordinates, and its keys for choosing and ordering.
struct Placed<'a> {
    pin: &'a Pin,
    /// Normalized latitude and longitude.
    lat: f64,
    lon: f64,
    /// See [`scramble`].
    scramble: u64,
}

impl Placed<'_> {
    /// Which places to keep: the busiest; among places with as many IPs, a spread chosen by a
    /// fixed scramble of their coordinates (keeping ties in latitude order would keep only the
    /// southernmost places and draw a band across the map).
    fn busiest_spread(a: &Placed, b: &Placed) -> Ordering {
        b.pin
            .count
            .cmp(&a.pin.count)
            .then(a.scramble.cmp(&b.scramble))
            .then_with(|| Placed::drawing_order(a, b))
    }

    /// The order pins are drawn and written in: busiest (biggest) first, so smaller pins stay
    /// visible on top; then by coordinates. Total, so the output never depends on input order.
    fn drawing_order(a: &Placed, b: &Placed) -> Ordering {
        b.pin
            .count
            .cmp(&a.pin.count)
            .then(a.lat.total_cmp(&b.lat))
            .then(a.lon.total_cmp(&b.lon))
            .then(a.pin.approximate.cmp(&b.pin.approximate))
            .then_with(|| a.pin.label.cmp(&b.pin.label))
    }
}

/// A fixed pseudo-random number for a place (SplitMix64 of its coordinates in hundredths):
/// the same place always gets the same number, unrelated to where it is.
fn scramble(lat: f64, lon: f64) -> u64 {
    let lat = (lat * 100.0).round() as i64 as u64;
    let lon = (lon * 100.0).round() as i64 as u64;
    let mut z = ((lat << 32) ^ lon).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Pin radius in pixels for an IP count.
fn radius(count: u32) -> f64 {
    SIZES
        .iter()
        .rev()
        .find(|(min, _, _)| count >= *min)
        .map_or(SIZES[0].1, |s| s.1)
}

/// The first [`MAX_LABEL_CHARS`] characters, with `…` when cut.
fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_LABEL_CHARS) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

/// Appends `v` with at most one decimal: `12.3`, `12`, `-0.5`.
fn push_tenths(out: &mut String, v: f64) {
    let tenths = (v * 10.0).round() as i64;
    if tenths < 0 {
        out.push('-');
    }
    let a = tenths.unsigned_abs();
    let _ = write!(out, "{}", a / 10);
    if !a.is_multiple_of(10) {
        let _ = write!(out, ".{}", a % 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(lat: f64, lon: f64, count: u32, approximate: bool, label: &str) -> Pin {
        Pin {
            lat,
            lon,
            count,
            approximate,
            label: label.to_owned(),
        }
    }

    #[test]
    fn numbers_are_written_with_one_decimal_at_most() {
        let mut s = String::new();
        for v in [12.34, 12.0, -0.46, 0.04, 959.96, -12.0] {
            push_tenths(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "12.3 12 -0.5 0 960 -12 ");
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "é".repeat(500);
        assert_eq!(cut(&long).chars().count(), MAX_LABEL_CHARS + 1);
        assert!(cut(&long).ends_with('…'));
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn size_classes_grow_with_the_count() {
        assert_eq!(radius(0), 3.5);
        assert_eq!(radius(1), 3.5);
        assert_eq!(radius(2), 5.0);
        assert_eq!(radius(9), 5.0);
        assert_eq!(radius(10), 7.0);
        assert_eq!(radius(999), 9.5);
        assert_eq!(radius(u32::MAX), 12.5);
    }

    #[test]
    fn pins_stand_where_the_projection_puts_them() {
        let options = Options::default();
        // The map spans the width less the margins; (0°, 0°) is its centre.
        let (x, y) = pin_position(0.0, 0.0, &options).unwrap();
        assert!((x - 480.0).abs() < 1e-9);
        assert!((y - (MARGIN + GRID_H / 2.0 * 948.0 / 2000.0)).abs() < 1e-9);
        let (west, _) = pin_position(0.0, -180.0, &options).unwrap();
        let (east, _) = pin_position(0.0, 180.0, &options).unwrap();
        assert!((west - MARGIN).abs() < 1e-9 && (east - (960.0 - MARGIN)).abs() < 1e-9);
        // London is a little west of the centre, in the top third; Sydney far right, low.
        let (lx, ly) = pin_position(51.5074, -0.1278, &options).unwrap();
        assert!(
            (lx - 479.7).abs() < 0.1 && (ly - 67.7).abs() < 0.1,
            "{lx} {ly}"
        );
        let (sx, sy) = pin_position(-33.8688, 151.2093, &options).unwrap();
        assert!(
            (sx - 845.5).abs() < 0.1 && (sy - 353.1).abs() < 0.1,
            "{sx} {sy}"
        );
        // A title pushes the map down.
        let titled = Options {
            title: "Related IPs".into(),
            ..Options::default()
        };
        assert_eq!(pin_position(0.0, 0.0, &titled).unwrap().1, y + TITLE_HEIGHT);
        assert_eq!(pin_position(f64::NAN, 0.0, &options), None);
        // The written circle is at the same place, one decimal.
        let svg = svg(&[pin(51.5074, -0.1278, 1, false, "London")], &options);
        assert!(svg.contains("<circle cx=\"479.7\" cy=\"67.7\" r=\"3.5\"><title>London</title>"));
    }
}
