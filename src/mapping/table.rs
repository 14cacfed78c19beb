//! The platform's default mapping table, as data: which record field becomes which attribute or
//! indicator, and which column of the description's results table shows it. Change names here
//! and nowhere else.

use super::{Class, Kind, Row, Scope, Seg, Show};

use Class::{Anonymizer, Asn, Country, Geo, Network};
use Kind::{Attribute, Indicator, Shown};
use Scope::{Flag, Record, Traits};
use Seg::{Each, Key, Names};

/// Every row of the table, in the order attributes are reported.
#[rustfmt::skip]
pub static TABLE: &[Row] = &[
    Row { path: &[Key("postal"), Key("code")], scope: Record, kind: Attribute, name: "Postal Code", class: Geo, show: None },
    Row { path: &[Key("city"), Names], scope: Record, kind: Attribute, name: "City", class: Geo, show: Some(Show::City) },
    Row { path: &[Key("subdivisions"), Each, Names], scope: Record, kind: Attribute, name: "Subdivision", class: Geo, show: Some(Show::Subdivision) },
    Row { path: &[Key("country"), Names], scope: Record, kind: Attribute, name: "Country", class: Country, show: Some(Show::Country) },
    Row { path: &[Key("country"), Key("iso_code")], scope: Record, kind: Attribute, name: "Country Code", class: Country, show: Some(Show::CountryCode) },
    Row { path: &[Key("registered_country"), Names], scope: Record, kind: Attribute, name: "Country", class: Country, show: Some(Show::RegisteredCountry) },
    Row { path: &[Key("registered_country"), Key("iso_code")], scope: Record, kind: Attribute, name: "Country Code", class: Country, show: Some(Show::RegisteredCountryCode) },
    Row { path: &[Key("represented_country"), Names], scope: Record, kind: Attribute, name: "Country", class: Country, show: None },
    Row { path: &[Key("represented_country"), Key("iso_code")], scope: Record, kind: Attribute, name: "Country Code", class: Country, show: None },
    Row { path: &[Key("location"), Key("latitude")], scope: Record, kind: Attribute, name: "Latitude", class: Geo, show: Some(Show::Latitude) },
    Row { path: &[Key("location"), Key("longitude")], scope: Record, kind: Attribute, name: "Longitude", class: Geo, show: Some(Show::Longitude) },
    Row { path: &[Key("location"), Key("accuracy_radius")], scope: Record, kind: Shown, name: "Accuracy Radius", class: Geo, show: Some(Show::AccuracyRadius) },
    Row { path: &[Key("location"), Key("time_zone")], scope: Record, kind: Attribute, name: "Timezone", class: Geo, show: None },
    Row { path: &[Key("location"), Key("metro_code")], scope: Record, kind: Attribute, name: "Metro Code", class: Geo, show: None },
    Row { path: &[Key("continent"), Key("code")], scope: Record, kind: Attribute, name: "Continent Code", class: Country, show: None },
    Row { path: &[Key("continent"), Names], scope: Record, kind: Attribute, name: "Continent", class: Country, show: None },
    Row { path: &[Key("autonomous_system_number")], scope: Traits, kind: Indicator, name: "ASN", class: Asn, show: Some(Show::Asn) },
    Row { path: &[Key("autonomous_system_organization")], scope: Traits, kind: Attribute, name: "ASN Organization", class: Asn, show: Some(Show::AsnOrganization) },
    Row { path: &[Key("is_anonymous")], scope: Flag, kind: Attribute, name: "Is Anonymous", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("is_anonymous_vpn")], scope: Flag, kind: Attribute, name: "Is Anonymous VPN", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("is_hosting_provider")], scope: Flag, kind: Attribute, name: "Is Hosting Provider", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("is_public_proxy")], scope: Flag, kind: Attribute, name: "Is Public Proxy", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("is_residential_proxy")], scope: Flag, kind: Attribute, name: "Is Residential Proxy", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("is_tor_exit_node")], scope: Flag, kind: Attribute, name: "Is TOR Exit Node", class: Anonymizer, show: Some(Show::Flag) },
    Row { path: &[Key("connection_type")], scope: Traits, kind: Attribute, name: "Connection Type", class: Network, show: None },
    Row { path: &[Key("domain")], scope: Traits, kind: Indicator, name: "FQDN", class: Network, show: None },
    Row { path: &[Key("isp")], scope: Traits, kind: Attribute, name: "ISP", class: Network, show: Some(Show::Isp) },
    Row { path: &[Key("organization")], scope: Traits, kind: Attribute, name: "Organization", class: Network, show: None },
];
