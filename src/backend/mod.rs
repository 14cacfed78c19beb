//! Where records come from: MaxMind DB files ([`mmdb`]) or, later, the web service — behind one
//! seam, [`Backend`]. The only modules that touch database files or the network.

pub mod mmdb;
pub mod transcode;
pub mod tree;
pub mod web;

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::Error;
use crate::mapping::RowFilter;
use std::sync::Arc;

use crate::mapping::Display;
use crate::protocol::{Attribute, DatabaseInfo, Indicator, RawJson, SharedList};
use crate::record::Record;

/// How a source record is laid out, which decides how `data` is built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// City/Country/Enterprise: nested, with a `traits` map.
    Located,
    /// ASN, ISP, Anonymous-IP, Connection-Type, Domain and unknown types: one flat map.
    Flat,
    /// A web service answer: `data` is the body exactly as sent, nothing added.
    Verbatim,
}

/// One source's record for an IP, borrowing from the source where it can.
#[derive(Debug, Clone)]
pub struct SourceRecord<'a> {
    /// Index of the source in [`Backend::databases`].
    pub source: usize,
    /// The network the source stores the record under (in IPv4 terms for IPv4 addresses).
    pub network: IpNet,
    /// The record's layout.
    pub shape: Shape,
    /// The mapping rows this source may contribute.
    pub rows: RowFilter,
    /// The record, decoded.
    pub record: Record<'a>,
    /// [`Shape::Verbatim`]: the body exactly as the service sent it.
    pub raw: Option<RawJson>,
}

/// What the sources know of one IP.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The non-empty records, in precedence order.
    pub records: Vec<SourceRecord<'a>>,
    /// The narrowest network seen, with or without a record.
    pub network: Option<IpNet>,
}

/// A source of MaxMind records, shared by the threads of a large action.
pub trait Backend: Sync {
    /// The sources in precedence order, as the response's `meta.databases` shows them.
    fn databases(&self) -> &[DatabaseInfo];

    /// Whether records of several sources are merged into one `data` (even when only one matched).
    fn merges(&self) -> bool;

    /// The records every used source has for `ip`.
    ///
    /// A corrupt database is an error, never an empty answer.
    fn lookup(&self, ip: IpAddr) -> Result<Found<'_>, Error>;

    /// [`Backend::lookup`] for each of `ips` (distinct), answers in the same order. Sources that
    /// gain from it (the web service) work on several at once. An address not started by
    /// `deadline.at` is answered [`Error::ActionTimeout`]. `progress` hears of each answer.
    fn lookup_many(
        &self,
        ips: &[IpAddr],
        deadline: Deadline,
        progress: Option<&dyn Progress>,
    ) -> Vec<Result<Found<'_>, Error>> {
        ips.iter()
            .map(|ip| {
                let answer = deadline.check().and_then(|()| self.lookup(*ip));
                if let Some(p) = progress {
                    p.advance(1);
                }
                answer
            })
            .collect()
    }

    /// The fast path of a one-source lookup: the record written straight to JSON, with the
    /// mapping's values captured on the way. `None` when this backend answers only through
    /// [`Backend::lookup`] (several databases to merge, the web service).
    fn lookup_transcoded(&self, _ip: IpAddr) -> Option<Result<Transcoded, Error>> {
        None
    }

    /// [`Backend::lookup_transcoded`] for each of `ips`, answers in the same order; `None`
    /// when this backend has no fast path. A database walks its search tree for several
    /// addresses at once ([`tree`]): callers with many addresses hand them over in batches
    /// of about [`BATCH`].
    fn lookup_transcoded_many(&self, ips: &[IpAddr]) -> Option<Vec<Result<Transcoded, Error>>> {
        ips.iter().map(|ip| self.lookup_transcoded(*ip)).collect()
    }

    /// Whether [`Backend::lookup_many`] should have every address at once (the web service,
    /// which overlaps its queries); otherwise the caller spreads [`Backend::lookup`] over threads.
    fn batches(&self) -> bool {
        false
    }

    /// What the action spent of a paid service, if the source is one.
    fn usage(&self) -> Option<Usage> {
        None
    }
}

/// Asks the CPU to bring the cache lines around `value` closer: the value's own, and the one
/// 16 bytes before it, where an `Arc` keeps its counts (the same line unless the value starts
/// one). A hint: it reads nothing, and does nothing on other architectures.
#[inline(always)]
pub(crate) fn prefetch<T: ?Sized>(value: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE, which the instruction needs, is part of every x86_64 CPU, and a prefetch
    // never faults, whatever the address (the one 16 bytes before is computed, not used).
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let at = value.cast::<i8>();
        _mm_prefetch::<_MM_HINT_T0>(at);
        _mm_prefetch::<_MM_HINT_T0>(at.wrapping_sub(16));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Addresses a caller with many hands to [`Backend::lookup_transcoded_many`] at once: enough
/// for the tree walk's lanes to stay busy, few enough that a batch's answers stay in cache.
pub const BATCH: usize = 64;

/// Hears how far a large action's lookups are (the analyst's progress bar).
pub trait Progress: Sync {
    /// `total` lookups are about to start.
    fn start(&self, total: usize);
    /// `done` more lookups are done.
    fn advance(&self, done: usize);
    /// The lookups are over.
    fn finish(&self);
}

/// One source's answer on the fast path.
#[derive(Debug, Clone)]
pub struct Transcoded {
    /// Index of the source in [`Backend::databases`].
    pub source: usize,
    /// The network the source stores the answer (or the absence of one) under.
    pub network: Option<IpNet>,
    /// The record as JSON (`ip_address` and `prefix_len` added), its mapping and table fields;
    /// `None` when the source has no record.
    pub answer: Option<Answer>,
}

/// A record's answer on the fast path; all but `data` shared by the addresses of the record.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The record as the response carries it.
    pub data: RawJson,
    /// Its attributes.
    pub attributes: Arc<SharedList<Attribute>>,
    /// Its indicators.
    pub indicators: Arc<SharedList<Indicator>>,
    /// Its fields for the results table.
    pub display: Arc<Display>,
}

/// When an action must end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// The instant.
    pub at: std::time::Instant,
    /// The limit it came from, in seconds (for the message).
    pub seconds: u64,
}

impl Deadline {
    /// [`Error::ActionTimeout`] once the deadline has passed.
    pub fn check(&self) -> Result<(), Error> {
        if std::time::Instant::now() >= self.at {
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
    /// The smallest `queries_remaining` the service reported, if it reported any.
    pub queries_remaining: Option<u64>,
}
