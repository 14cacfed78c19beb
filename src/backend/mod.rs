//! Where records come from: MaxMind DB files ([`mmdb`]) or, later, the web service — behind one
//! seam, [`Backend`]. The only modules that touch database files or the network.

pub mod mmdb;

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::error::Error;
use crate::mapping::RowFilter;
use crate::protocol::DatabaseInfo;

/// How a source record is laid out, which decides how `data` is built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// City/Country/Enterprise: nested, with a `traits` map.
    Located,
    /// ASN, ISP, Anonymous-IP, Connection-Type, Domain and unknown types: one flat map.
    Flat,
}

/// One source's record for an IP.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// Index of the source in [`Backend::databases`].
    pub source: usize,
    /// The network the source stores the record under (in IPv4 terms for IPv4 addresses).
    pub network: IpNet,
    /// The record's layout.
    pub shape: Shape,
    /// The mapping rows this source may contribute.
    pub rows: RowFilter,
    /// The record, decoded.
    pub record: Value,
}

/// What the sources know of one IP.
#[derive(Debug, Clone)]
pub struct Found {
    /// The non-empty records, in precedence order.
    pub records: Vec<SourceRecord>,
    /// The narrowest network seen, with or without a record.
    pub network: Option<IpNet>,
}

/// A source of MaxMind records.
pub trait Backend {
    /// The sources in precedence order, as the response's `meta.databases` shows them.
    fn databases(&self) -> &[DatabaseInfo];

    /// Whether records of several sources are merged into one `data` (even when only one matched).
    fn merges(&self) -> bool;

    /// The records every used source has for `ip`.
    ///
    /// A corrupt database is an error, never an empty answer.
    fn lookup(&self, ip: IpAddr) -> Result<Found, Error>;
}
