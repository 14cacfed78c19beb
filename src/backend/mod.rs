//! Where records come from: MaxMind DB files ([`mmdb`]) or the MaxMind web service ([`web`]),
//! behind one seam: [`Backend::lookup_many`], which turns addresses into finished
//! [`Answer`]s — the record as the response carries it, its attributes, indicators and table
//! fields. The only modules that touch database files or the network.
//!
//! How a backend gets there is its own business: the file backend has a reference path (the
//! `maxminddb` crate decodes, [`crate::mapping`] maps, serde writes) and a fast path for the
//! common one-database case, both inside [`mmdb`]; callers see neither.

pub mod mmdb;
pub mod web;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ipnet::IpNet;

use crate::config::Context;
use crate::error::Error;
use crate::mapping::{self, Display, RowFilter};
use crate::protocol::{Attribute, DatabaseInfo, Indicator, Listed, RawJson};
use crate::record::Record;

pub use mmdb::{Databases, MmdbBackend};
pub use web::WebBackend;

/// A source of MaxMind records for one action, shared by the threads that ask it.
pub trait Backend: Sync {
    /// The sources in precedence order, as the response's `meta.databases` shows them.
    fn databases(&self) -> &[DatabaseInfo];

    /// Answers each of `ips` (distinct, globally reachable), in the same order. A corrupt
    /// database is an error for the address that met it, never an empty answer. An address not
    /// started by `deadline` is answered [`Error::ActionTimeout`]; `progress` hears of each
    /// answer.
    fn lookup_many(
        &self,
        ips: &[IpAddr],
        deadline: Deadline,
        progress: Option<&dyn Progress>,
    ) -> Vec<Result<Answer, Error>>;

    /// Whether the caller should hand over every address in one call (the web service, which
    /// overlaps its queries) rather than spread calls of [`BATCH`] addresses over its threads.
    fn wants_everything_at_once(&self) -> bool {
        false
    }

    /// What the action spent of a paid service, if the source is one.
    fn usage(&self) -> Option<Usage> {
        None
    }

    /// Warnings about how the lookups went (`code`, message), e.g. a cache that could not be
    /// used; for the response, after the lookups.
    fn warnings(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Addresses a caller with many hands to [`Backend::lookup_many`] at a time, per thread.
pub const BATCH: usize = 64;

/// One address's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The narrowest network a source stores the address (or the absence of a record) under,
    /// in IPv4 terms for IPv4 addresses.
    pub network: Option<IpNet>,
    /// The record, when a source has one.
    pub record: Option<Located>,
    /// Each source that had a record, and the network it matched (a Lookup's
    /// `meta.databases[].network`).
    pub matched: Vec<(usize, IpNet)>,
}

/// A record found for an address, ready for the response. All but `data` is shared by the
/// addresses of one record.
#[derive(Debug, Clone)]
pub struct Located {
    /// The record as the response carries it (`ip_address` and `prefix_len` added for files).
    pub data: RawJson,
    /// Its attributes.
    pub attributes: Listed<Attribute>,
    /// Its indicators.
    pub indicators: Listed<Indicator>,
    /// Its fields for the results table, the summary and the map.
    pub display: Arc<Display>,
}

/// What a database holds, read from its metadata `database_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// GeoIP2/GeoLite2 City (and regional/Shield variants).
    City,
    /// GeoIP2/GeoLite2 Country.
    Country,
    /// GeoIP2 Enterprise and Precision Enterprise; also the web service's City and Insights
    /// answers, which carry the same `traits`.
    Enterprise,
    /// GeoLite2/GeoIP2 ASN.
    Asn,
    /// GeoIP2 ISP.
    Isp,
    /// GeoIP2 Anonymous-IP, GeoIP Anonymous Plus.
    AnonymousIp,
    /// GeoIP2 Connection-Type.
    ConnectionType,
    /// GeoIP2 Domain.
    Domain,
    /// A type the mapping table does not know (DensityIncome, IP-Risk, …): flat raw data.
    Other,
}

/// How a record is laid out, which decides where `ip_address` and `prefix_len` go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// City/Country/Enterprise: nested, with a `traits` map (they go under `traits`).
    Located,
    /// ASN, ISP, Anonymous-IP, Connection-Type, Domain and unknown types: one flat map (they
    /// go at the top).
    Flat,
}

impl DbKind {
    /// Classifies a metadata `database_type`.
    pub fn from_database_type(database_type: &str) -> DbKind {
        let t = database_type.to_ascii_lowercase();
        if t.contains("enterprise") {
            DbKind::Enterprise
        } else if t.contains("city") {
            DbKind::City
        } else if t.contains("country") {
            DbKind::Country
        } else if t.contains("asn") {
            DbKind::Asn
        } else if t.contains("isp") {
            DbKind::Isp
        } else if t.contains("anonymous-ip") || t.contains("anonymous-plus") {
            DbKind::AnonymousIp
        } else if t.contains("connection-type") {
            DbKind::ConnectionType
        } else if t.contains("domain") {
            DbKind::Domain
        } else {
            DbKind::Other
        }
    }

    /// The record layout of this kind.
    pub fn shape(self) -> Shape {
        match self {
            DbKind::City | DbKind::Country | DbKind::Enterprise => Shape::Located,
            _ => Shape::Flat,
        }
    }

    /// Whether this kind answers `context` (at least one listed database must).
    pub fn answers(self, context: Context) -> bool {
        match context {
            Context::City | Context::Insights => {
                matches!(self, DbKind::City | DbKind::Enterprise)
            }
            Context::Country => {
                matches!(self, DbKind::City | DbKind::Country | DbKind::Enterprise)
            }
            Context::Asn => matches!(self, DbKind::Asn | DbKind::Isp | DbKind::Enterprise),
            Context::Auto => true,
        }
    }

    /// The mapping rows this kind contributes in `context`, or `None` when it is not used.
    /// The one place that decides it, for files and the web service alike.
    ///
    /// Flat kinds hold data of their own and add it in any context; located kinds contribute
    /// the rows of the context they answer.
    pub fn rows(self, context: Context) -> Option<RowFilter> {
        if self.shape() == Shape::Flat {
            return Some(RowFilter::ALL);
        }
        if !self.answers(context) {
            return None;
        }
        Some(match (context, self) {
            (Context::Country, _) | (Context::Auto, DbKind::Country) => RowFilter::COUNTRY,
            (Context::Asn, _) => RowFilter::ASN,
            _ => RowFilter::ALL,
        })
    }
}

/// One source's record for an address, for [`located`].
pub(crate) struct SourceRecord<'a> {
    /// The record's layout.
    pub shape: Shape,
    /// The mapping rows the source may contribute.
    pub rows: RowFilter,
    /// The record.
    pub record: Record<'a>,
}

/// The reference assembly of an answer from the records of its sources (in precedence order,
/// none empty): mapped by the table, and `data` built as MaxMind's readers give it — one
/// record with `ip_address` and `prefix_len` added (under `traits` for located records, at
/// the top for flat ones), or the merge of several (flat records under `traits`, the first
/// listed wins a shared key).
pub(crate) fn located(
    ip: IpAddr,
    prefix_len: u8,
    records: Vec<SourceRecord<'_>>,
    merge: bool,
    locale: &str,
) -> Result<Located, Error> {
    let mapped = mapping::map_records(records.iter().map(|r| (&r.record, r.rows)), locale);
    let ip_text = crate::ip::text(ip);
    let add_address = |target: &mut Record<'_>| {
        target.insert(
            "ip_address",
            Record::String(std::borrow::Cow::Owned(ip_text.clone())),
        );
        target.insert("prefix_len", Record::Uint(u64::from(prefix_len)));
    };
    let mut records = records.into_iter();
    let data = match (merge, records.next()) {
        (false, Some(mut only)) => {
            match only.shape {
                Shape::Located => {
                    if let Some(traits) = only.record.entry("traits", Record::map) {
                        add_address(traits);
                    }
                }
                Shape::Flat => add_address(&mut only.record),
            }
            only.record
        }
        (_, first) => {
            let mut merged = Record::map();
            for source in first.into_iter().chain(records) {
                match source.shape {
                    Shape::Flat => {
                        if let Some(traits) = merged.entry("traits", Record::map) {
                            traits.merge_first_wins(source.record);
                        }
                    }
                    Shape::Located => merged.merge_first_wins(source.record),
                }
            }
            if let Some(traits) = merged.entry("traits", Record::map) {
                add_address(traits);
            }
            merged
        }
    };
    let data = RawJson::of(&data)
        .map_err(|e| Error::Internal(format!("a record cannot be written as JSON: {e}")))?;
    Ok(Located {
        data,
        attributes: Listed::new(mapped.attributes),
        indicators: Listed::new(mapped.indicators),
        display: Arc::new(mapped.display),
    })
}

/// Hears how far a large action's lookups are (the analyst's progress bar).
pub trait Progress: Sync {
    /// `total` lookups are about to start.
    fn start(&self, total: usize);
    /// `done` more lookups are done.
    fn advance(&self, done: usize);
    /// The lookups are over.
    fn finish(&self);
}

/// When an action must end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// The instant.
    pub at: Instant,
    /// The limit it came from, in seconds (for the message).
    pub seconds: u64,
}

impl Deadline {
    /// [`Error::ActionTimeout`] once the deadline has passed.
    pub fn check(&self) -> Result<(), Error> {
        if Instant::now() >= self.at {
            Err(Error::ActionTimeout {
                seconds: self.seconds,
            })
        } else {
            Ok(())
        }
    }
}

/// What an action spent of the web service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Requests that reached the service and got an answer.
    pub queries_sent: usize,
    /// The smallest `queries_remaining` the service reported now (never a cached figure), if
    /// it reported any.
    pub queries_remaining: Option<u64>,
    /// Answers taken from the cache instead of the service.
    pub cache_hits: usize,
    /// A dry run: the queries the action would send (the addresses the cache does not hold).
    pub queries_planned: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_database_type() {
        use DbKind::*;
        for (t, k) in [
            ("GeoIP2-City", City),
            ("GeoLite2-City", City),
            ("GeoIP2-City-Shield", City),
            ("GeoIP2-Country", Country),
            ("GeoLite2-Country", Country),
            ("GeoIP2-Enterprise", Enterprise),
            ("GeoIP2-Precision-Enterprise", Enterprise),
            ("GeoLite2-ASN", Asn),
            ("GeoIP2-ISP", Isp),
            ("GeoIP2-Anonymous-IP", AnonymousIp),
            ("GeoIP-Anonymous-Plus", AnonymousIp),
            ("GeoIP2-Connection-Type", ConnectionType),
            ("GeoIP2-Domain", Domain),
            ("GeoIP2-DensityIncome", Other),
            ("GeoIP2-IP-Risk", Other),
        ] {
            assert_eq!(DbKind::from_database_type(t), k, "{t}");
        }
    }

    #[test]
    fn contexts_pick_rows() {
        assert_eq!(DbKind::City.rows(Context::City), Some(RowFilter::ALL));
        assert_eq!(
            DbKind::City.rows(Context::Country),
            Some(RowFilter::COUNTRY)
        );
        assert_eq!(DbKind::City.rows(Context::Asn), None);
        assert_eq!(DbKind::Enterprise.rows(Context::Asn), Some(RowFilter::ASN));
        assert_eq!(DbKind::Country.rows(Context::City), None);
        assert_eq!(
            DbKind::Country.rows(Context::Auto),
            Some(RowFilter::COUNTRY)
        );
        assert_eq!(DbKind::Asn.rows(Context::City), Some(RowFilter::ALL));
        assert!(!DbKind::Asn.answers(Context::City));
        assert!(DbKind::Isp.answers(Context::Asn));
    }
}
