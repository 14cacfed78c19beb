//! Turning MaxMind records into platform attributes and indicators, per the mapping table in
//! [`table`].
//!
//! Each source record (one database's record, or the web service's answer) is mapped with the
//! rows its role allows ([`RowFilter`]). For every row, the first source in precedence order that
//! has a value gives it — the same "first listed wins" rule as the merged `data`. An identical
//! name/value pair is reported once.

pub mod table;
mod trie;

use crate::record::Record;

use crate::protocol::{Attribute, Indicator};

pub use table::TABLE;
pub use trie::{Capture, Leaf, PathTrie, TrieNode};

/// One step of a record path.
#[derive(Debug, Clone, Copy)]
pub enum Seg {
    /// A map key.
    Key(&'static str),
    /// `names.<locale>`, falling back to `names.en`.
    Names,
    /// Every element of an array.
    Each,
}

/// Where in a record a row's path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// At the record's root only.
    Record,
    /// At the root (flat databases) and under `traits` (City/Enterprise, web service).
    Traits,
    /// As [`Scope::Traits`], and also under `anonymizer` (newer web service answers).
    Flag,
}

impl Scope {
    fn prefixes(self) -> &'static [Option<&'static str>] {
        match self {
            Scope::Record => &[None],
            Scope::Traits => &[None, Some("traits")],
            Scope::Flag => &[None, Some("traits"), Some("anonymizer")],
        }
    }
}

/// Whether a row makes an attribute or an indicator, or only fills the description's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A platform attribute of the object.
    Attribute,
    /// A platform indicator (its type is the row's name).
    Indicator,
    /// Neither: the value only fills its [`Show`] column of the description's table.
    Shown,
}

/// Groups of rows, by what a context asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// City-level location: postal code, city, subdivisions, coordinates, time zone.
    Geo,
    /// Country, registered and represented country, continent.
    Country,
    /// Autonomous system number and organization.
    Asn,
    /// Anonymizer flags.
    Anonymizer,
    /// Connection type, domain, ISP, organization.
    Network,
}

/// One row of the mapping table.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The record path, from the scope's start.
    pub path: &'static [Seg],
    /// Where the path may start.
    pub scope: Scope,
    /// Attribute or indicator.
    pub kind: Kind,
    /// The attribute name, or the indicator type.
    pub name: &'static str,
    /// The row's group.
    pub class: Class,
    /// The column of the description's results table it fills, if any.
    pub show: Option<Show>,
}

/// Columns of the description's results table, and which rows fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The country's name.
    Country,
    /// The country's code.
    CountryCode,
    /// The registered country's name (shown when there is no country).
    RegisteredCountry,
    /// The registered country's code (shown when there is no country).
    RegisteredCountryCode,
    /// A subdivision's name.
    Subdivision,
    /// The city's name.
    City,
    /// The AS number.
    Asn,
    /// The AS organization.
    AsnOrganization,
    /// The ISP.
    Isp,
    /// The latitude.
    Latitude,
    /// The longitude.
    Longitude,
    /// The accuracy radius, in kilometres.
    AccuracyRadius,
    /// An anonymizer flag (shown by the row's name when true).
    Flag,
}

/// The rows one source record may contribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowFilter(u8);

impl RowFilter {
    /// Every row.
    pub const ALL: RowFilter = RowFilter(0b1_1111);
    /// Country, registered/represented country and continent rows.
    pub const COUNTRY: RowFilter = RowFilter(Self::bit(Class::Country));
    /// ASN and ASN Organization rows.
    pub const ASN: RowFilter = RowFilter(Self::bit(Class::Asn));

    const fn bit(class: Class) -> u8 {
        1 << class as u8
    }

    /// Whether rows of `class` apply.
    pub fn allows(self, class: Class) -> bool {
        self.0 & Self::bit(class) != 0
    }
}

/// What the mapping found for one IP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapped {
    /// Attributes, in table order, each name/value pair once.
    pub attributes: Vec<Attribute>,
    /// Indicators, in table order, each type/value pair once.
    pub indicators: Vec<Indicator>,
    /// The fields a results table, the summary and the map show.
    pub display: Display,
}

/// Maps source records, given in precedence order with the rows each may contribute: for
/// every row, the first source that has a value for it gives it.
pub fn map_records<'r, 'a: 'r>(
    sources: impl Iterator<Item = (&'r Record<'a>, RowFilter)> + Clone,
    locale: &str,
) -> Mapped {
    let mut out = Mapped::default();
    let mut display = DisplayParts::default();
    let mut values = Vec::new();
    for row in TABLE {
        for (record, filter) in sources.clone() {
            if !filter.allows(row.class) {
                continue;
            }
            values.clear();
            collect_row(record, row, locale, &mut values);
            if values.is_empty() {
                continue;
            }
            for value in values.drain(..) {
                display.add(row, &value, None);
                out.push(row, value);
            }
            break;
        }
    }
    out.display = display.finish();
    out
}

impl Mapped {
    /// Adds what `row` makes of `value`, unless the same pair is already there. Coordinates
    /// are reported as they are shown: rounded to [`coordinate`] precision.
    fn push(&mut self, row: &Row, value: String) {
        let value = match row.show {
            Some(Show::Latitude | Show::Longitude) => value
                .parse()
                .ok()
                .and_then(coordinate_text)
                .unwrap_or(value),
            _ => value,
        };
        match row.kind {
            Kind::Attribute => push_unique(
                &mut self.attributes,
                Attribute {
                    name: row.name,
                    value,
                },
            ),
            Kind::Indicator => push_unique(
                &mut self.indicators,
                Indicator {
                    kind: row.name,
                    value,
                },
            ),
            Kind::Shown => {}
        }
    }
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The values `row` reads from `record`, from every place its scope allows, in that order.
fn collect_row(record: &Record<'_>, row: &Row, locale: &str, out: &mut Vec<String>) {
    for prefix in row.scope.prefixes() {
        let start = match prefix {
            None => Some(record),
            Some(key) => record.get(key),
        };
        if let Some(start) = start {
            collect(start, row.path, locale, out);
        }
    }
}

fn collect(value: &Record<'_>, path: &[Seg], locale: &str, out: &mut Vec<String>) {
    let Some((first, rest)) = path.split_first() else {
        if let Some(s) = format_value(value) {
            out.push(s);
        }
        return;
    };
    match first {
        Seg::Key(key) => {
            if let Some(next) = value.get(key) {
                collect(next, rest, locale, out);
            }
        }
        Seg::Names => {
            let names = value.get("names");
            let name = names
                .and_then(|n| n.get(locale))
                .or_else(|| names.and_then(|n| n.get("en")));
            if let Some(name) = name {
                collect(name, rest, locale, out);
            }
        }
        Seg::Each => {
            if let Some(items) = value.as_array() {
                for item in items {
                    collect(item, rest, locale, out);
                }
            }
        }
    }
}

/// The fields of one record an analyst reads in a results table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Display {
    /// Country name (the country, else the registered country).
    pub country: Option<String>,
    /// Its ISO code.
    pub country_code: Option<String>,
    /// Subdivision names, largest first.
    pub subdivisions: Vec<String>,
    /// City name.
    pub city: Option<String>,
    /// Autonomous system number.
    pub asn: Option<String>,
    /// Autonomous system organization.
    pub asn_organization: Option<String>,
    /// ISP.
    pub isp: Option<String>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// How far from the coordinates the address may be, in kilometres (MaxMind's
    /// `location.accuracy_radius`).
    pub accuracy_radius: Option<u32>,
    /// Names of the anonymizer flags that are set (e.g. `Is TOR Exit Node`).
    pub flags: Vec<&'static str>,
}

/// A [`Display`] being filled from the rows of the table.
#[derive(Default)]
struct DisplayParts {
    d: Display,
    registered: Option<String>,
    registered_code: Option<String>,
}

impl DisplayParts {
    /// Takes the first value a row with a [`Show`] tag found for its column (copied only when
    /// it is kept); `number` is the value when it is already known as one (else it is read
    /// from the text).
    fn add(&mut self, row: &Row, value: &str, number: Option<f64>) {
        let Some(show) = row.show else { return };
        let first = |slot: &mut Option<String>, v: &str| {
            if slot.is_none() {
                *slot = Some(v.to_owned());
            }
        };
        let d = &mut self.d;
        match show {
            Show::Country => first(&mut d.country, value),
            Show::CountryCode => first(&mut d.country_code, value),
            Show::RegisteredCountry => first(&mut self.registered, value),
            Show::RegisteredCountryCode => first(&mut self.registered_code, value),
            Show::Subdivision => d.subdivisions.push(value.to_owned()),
            Show::City => first(&mut d.city, value),
            Show::Asn => first(&mut d.asn, value),
            Show::AsnOrganization => first(&mut d.asn_organization, value),
            Show::Isp => first(&mut d.isp, value),
            Show::Latitude => d.latitude = d.latitude.or(number.or_else(|| value.parse().ok())),
            Show::Longitude => {
                d.longitude = d.longitude.or(number.or_else(|| value.parse().ok()));
            }
            Show::AccuracyRadius => d.accuracy_radius = d.accuracy_radius.or(value.parse().ok()),
            Show::Flag if value == "True" && !d.flags.contains(&row.name) => d.flags.push(row.name),
            Show::Flag => {}
        }
    }

    /// The country falls back to the registered country when the record has none.
    fn finish(mut self) -> Display {
        if self.d.country.is_none() && self.d.country_code.is_none() {
            self.d.country = self.registered.take();
            self.d.country_code = self.registered_code.take();
        }
        self.d
    }
}

/// Formats a record value as the platform's attribute value: text as stored, integers plain,
/// floats as the shortest decimal that round-trips (`51.5142`, `37.0`), booleans `True`/`False`.
/// Maps, arrays and nulls make no value.
pub fn format_value(value: &Record<'_>) -> Option<String> {
    match value {
        Record::String(s) => Some(s.as_ref().to_owned()),
        Record::Uint(n) => Some(n.to_string()),
        Record::Int(n) => Some(n.to_string()),
        Record::Uint128(n) => Some(n.to_string()),
        Record::Float(f) => float_text(*f),
        Record::Bool(true) => Some("True".to_owned()),
        Record::Bool(false) => Some("False".to_owned()),
        Record::Null | Record::Array(_) | Record::Map(_) | Record::Bytes(_) => None,
    }
}

/// Decimals a coordinate is reported and shown with: four (about 11 m), finer than any
/// accuracy radius MaxMind gives (1 km and up), so no digit claims a precision the data lacks.
pub const COORDINATE_DECIMALS: usize = 4;

/// A latitude or longitude rounded to [`COORDINATE_DECIMALS`]: `126.97409999999999` →
/// `126.9741`. The stored number is rounded exactly, as `format!("{:.4}")` rounds it: scaled by
/// 10⁴ in floating point, a number within a hair of a half may round the other way, so those
/// take the exact (and slow) path. The nearest float to a decimal of four places prints with
/// at most four. `-0.0` becomes `0.0`.
pub fn coordinate(degrees: f64) -> f64 {
    // 10 to the power of COORDINATE_DECIMALS.
    const SCALE: f64 = 1e4;
    let scaled = degrees * SCALE;
    let rounded = scaled.round();
    let rounded = if ((scaled - scaled.trunc()).abs() - 0.5).abs() > 1e-6 {
        rounded / SCALE
    } else {
        format!("{degrees:.COORDINATE_DECIMALS$}")
            .parse()
            .unwrap_or(degrees)
    };
    rounded + 0.0
}

/// [`coordinate`] as the platform's attribute value (`37.4192`, `37.0`); none when not finite.
pub fn coordinate_text(degrees: f64) -> Option<String> {
    float_text(coordinate(degrees))
}

/// A float as serde_json writes it (the shortest form that reads back the same); none when
/// it is not finite.
fn float_text(f: f64) -> Option<String> {
    f.is_finite()
        .then(|| zmij::Buffer::new().format_finite(f).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_platform_shows_them() {
        assert_eq!(format_value(&Record::Float(37.0)).as_deref(), Some("37.0"));
        assert_eq!(
            format_value(&Record::Float(51.5142)).as_deref(),
            Some("51.5142")
        );
        assert_eq!(format_value(&Record::Uint(20712)).as_deref(), Some("20712"));
        assert_eq!(format_value(&Record::Int(-3)).as_deref(), Some("-3"));
        assert_eq!(format_value(&Record::Bool(true)).as_deref(), Some("True"));
        assert_eq!(format_value(&Record::Null), None);
    }
    use serde_json::{Value, json};

    /// A record from JSON (leaked: tests only).
    fn rec(v: Value) -> Record<'static> {
        let text: &'static str = Box::leak(v.to_string().into_boxed_str());
        serde_json::from_str(text).unwrap()
    }

    fn attrs(m: &Mapped) -> Vec<(String, String)> {
        m.attributes
            .iter()
            .map(|a| (a.name.to_owned(), a.value.clone()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn floats_read_as_serde_json_writes_them() {
        for f in [
            0.0,
            -0.0,
            37.0,
            51.5142,
            -0.0931,
            1e-7,
            1.5e300,
            123_456_789.123,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(float_text(f), Some(serde_json::json!(f).to_string()), "{f}");
        }
        assert_eq!(float_text(f64::NAN), None);
        assert_eq!(float_text(f64::INFINITY), None);
    }

    #[test]
    fn coordinates_are_rounded_to_four_decimals_exactly() {
        assert_eq!(coordinate_text(126.974_099_999_999_99).unwrap(), "126.9741");
        assert_eq!(coordinate_text(37.419_200_000_000_004).unwrap(), "37.4192");
        assert_eq!(coordinate_text(37.0).unwrap(), "37.0");
        assert_eq!(coordinate_text(-97.822).unwrap(), "-97.822");
        // The double nearest 34.91155 lies below it: it rounds down.
        assert_eq!(coordinate_text(34.91155).unwrap(), "34.9115");
        assert_eq!(coordinate_text(-0.000_01).unwrap(), "0.0");
        assert_eq!(coordinate_text(f64::NAN), None);
        // The quick path rounds as the exact one, on every coordinate of a fine grid and
        // around the halves.
        let exact = |d: f64| -> f64 { format!("{d:.4}").parse::<f64>().unwrap() + 0.0 };
        for i in (-1_800_000..=1_800_000).step_by(7) {
            for d in [f64::from(i) * 1e-4 + 0.5e-4, f64::from(i) * 1.37e-4] {
                assert_eq!(coordinate(d).to_bits(), exact(d).to_bits(), "{d}");
            }
        }
    }

    #[test]
    fn values_are_platform_strings() {
        assert_eq!(format_value(&rec(json!(51.5142))).unwrap(), "51.5142");
        assert_eq!(format_value(&rec(json!(37.0))).unwrap(), "37.0");
        assert_eq!(format_value(&rec(json!(-0.0931))).unwrap(), "-0.0931");
        assert_eq!(format_value(&rec(json!(20712))).unwrap(), "20712");
        assert_eq!(format_value(&rec(json!(true))).unwrap(), "True");
        assert_eq!(format_value(&rec(json!("Hong Kong"))).unwrap(), "Hong Kong");
        assert_eq!(format_value(&rec(json!({"a": 1}))), None);
    }

    #[test]
    fn every_country_row_applies_and_pairs_appear_once() {
        let record = rec(json!({
            "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
            "registered_country": {"iso_code": "FR", "names": {"en": "France"}},
            "represented_country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
        }));
        let m = map_records([(&record, RowFilter::ALL)].into_iter(), "en");
        assert_eq!(
            attrs(&m),
            pairs(&[
                ("Country", "United Kingdom"),
                ("Country Code", "GB"),
                ("Country", "France"),
                ("Country Code", "FR"),
            ])
        );
    }

    #[test]
    fn names_fall_back_to_english() {
        let record = rec(
            json!({"city": {"names": {"en": "Boxford", "de": "Boxford-de"}},
                            "continent": {"code": "EU", "names": {"en": "Europe", "ja": "ヨーロッパ"}}}),
        );
        let m = map_records([(&record, RowFilter::ALL)].into_iter(), "ja");
        assert_eq!(
            attrs(&m),
            pairs(&[
                ("City", "Boxford"),
                ("Continent Code", "EU"),
                ("Continent", "ヨーロッパ")
            ])
        );
    }

    #[test]
    fn flat_rows_apply_at_the_root_under_traits_and_under_anonymizer() {
        let flat = rec(
            json!({"autonomous_system_number": 1221, "autonomous_system_organization": "Telstra"}),
        );
        let nested = rec(
            json!({"traits": {"isp": "Telstra Internet", "domain": "example.net"},
                            "anonymizer": {"is_anonymous": true, "is_tor_exit_node": true}}),
        );
        let m = map_records(
            [(&flat, RowFilter::ALL), (&nested, RowFilter::ALL)].into_iter(),
            "en",
        );
        assert_eq!(
            attrs(&m),
            pairs(&[
                ("ASN Organization", "Telstra"),
                ("Is Anonymous", "True"),
                ("Is TOR Exit Node", "True"),
                ("ISP", "Telstra Internet"),
            ])
        );
        let ind: Vec<_> = m
            .indicators
            .iter()
            .map(|i| (i.kind, i.value.as_str()))
            .collect();
        assert_eq!(ind, [("ASN", "1221"), ("FQDN", "example.net")]);
    }

    #[test]
    fn filters_limit_rows_and_the_first_source_wins() {
        let city = rec(
            json!({"city": {"names": {"en": "London"}}, "country": {"iso_code": "GB"},
                          "traits": {"autonomous_system_organization": "First"}}),
        );
        let asn =
            rec(json!({"autonomous_system_organization": "Second", "autonomous_system_number": 7}));
        let m = map_records(
            [(&city, RowFilter::COUNTRY), (&asn, RowFilter::ALL)].into_iter(),
            "en",
        );
        assert_eq!(
            attrs(&m),
            pairs(&[("Country Code", "GB"), ("ASN Organization", "Second")])
        );

        let m = map_records(
            [(&city, RowFilter::ALL), (&asn, RowFilter::ALL)].into_iter(),
            "en",
        );
        assert!(attrs(&m).contains(&("ASN Organization".into(), "First".into())));
        assert!(!attrs(&m).contains(&("ASN Organization".into(), "Second".into())));
    }

    #[test]
    fn display_reads_the_table_fields_from_any_shape() {
        let merged = rec(
            json!({"country": {"iso_code": "GB", "names": {"en": "United Kingdom", "de": "Vereinigtes Königreich"}},
                            "city": {"names": {"en": "London"}}, "location": {"latitude": 51.5, "longitude": -0.1},
                            "traits": {"autonomous_system_number": 20712, "is_anonymous": true, "is_tor_exit_node": true}}),
        );
        let d = map_records([(&merged, RowFilter::ALL)].into_iter(), "de").display;
        assert_eq!(d.country.as_deref(), Some("Vereinigtes Königreich"));
        assert_eq!(d.country_code.as_deref(), Some("GB"));
        assert_eq!(d.city.as_deref(), Some("London"));
        assert_eq!(d.asn.as_deref(), Some("20712"));
        assert_eq!(d.latitude, Some(51.5));
        assert_eq!(d.flags, ["Is Anonymous", "Is TOR Exit Node"]);

        let flat = rec(
            json!({"autonomous_system_number": 1221, "autonomous_system_organization": "Telstra",
                          "registered_country": {"iso_code": "AU", "names": {"en": "Australia"}}}),
        );
        let d = map_records([(&flat, RowFilter::ALL)].into_iter(), "en").display;
        assert_eq!(d.asn_organization.as_deref(), Some("Telstra"));
        assert_eq!(d.country.as_deref(), Some("Australia"));
        assert_eq!(d.latitude, None);
    }

    #[test]
    fn display_shows_only_what_the_context_asks_for() {
        let city = rec(
            json!({"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
                   "city": {"names": {"en": "London"}}, "location": {"latitude": 51.5, "longitude": -0.1}}),
        );
        let d = map_records([(&city, RowFilter::COUNTRY)].into_iter(), "en").display;
        assert_eq!(d.country_code.as_deref(), Some("GB"));
        assert_eq!((d.city, d.latitude), (None, None));
    }

    #[test]
    fn subdivisions_give_one_attribute_each() {
        let record = rec(
            json!({"subdivisions": [{"names": {"en": "England"}}, {"names": {"en": "West Berkshire"}}]}),
        );
        let m = map_records([(&record, RowFilter::ALL)].into_iter(), "en");
        assert_eq!(
            attrs(&m),
            pairs(&[
                ("Subdivision", "England"),
                ("Subdivision", "West Berkshire")
            ])
        );
    }
}
