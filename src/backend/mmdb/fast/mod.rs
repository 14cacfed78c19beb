//! The fast path of a one-database lookup: everything that makes large file actions quick,
//! in one room. Nothing outside [`super`] knows it exists; the reference path
//! ([`super::MmdbBackend`]'s `reference`) gives the same answers, which the differential
//! tests and the `differential` fuzz target hold it to.
//!
//! What it does differently from the reference path:
//! - the record's bytes are written straight to JSON, with the values the mapping table
//!   needs captured on the way ([`transcode`]): no record tree is built;
//! - a record shared by several addresses of an action is written and mapped once (the
//!   record cache, by data offset); each address splices its own `ip_address` and
//!   `prefix_len` into the shared text;
//! - maps and arrays behind pointers (the country, continent and city maps many records
//!   share) are written once per thread and copied after ([`transcode::Memo`]);
//! - several IPv4 addresses walk the search tree side by side ([`tree`]).
//!
//! Why each is worth it, measured, is in `docs/performance.md`.

mod transcode;
mod tree;

use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

use super::{Database, corrupt, network_of};
use crate::backend::{Answer, Located, Shape};
use crate::error::Error;
use crate::mapping::{Display, PathTrie, RowFilter};
use crate::protocol::{Attribute, Indicator, Listed, RawJson};
use transcode::{Inject, Memo, Splice};
use tree::V4Tree;

/// What the fast path knows of a database file, found once when it is opened.
#[derive(Debug, Clone)]
pub(super) struct Index {
    /// The data section: after the search tree and its 16-byte separator, up to the metadata.
    data: Range<usize>,
    /// The IPv4 part of the search tree, for walking many addresses at once; `None` for an
    /// unusual tree, whose addresses the reader walks one by one.
    v4_tree: Option<V4Tree>,
}

/// The marker before a database's metadata.
const METADATA_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

impl Index {
    /// The index of a database the reader accepted; an error when its data section cannot be
    /// found.
    pub(super) fn new(bytes: &[u8], metadata: &maxminddb::Metadata) -> Result<Index, String> {
        let data = data_section(bytes, metadata)
            .ok_or_else(|| "the data section cannot be found".to_owned())?;
        Ok(Index {
            data,
            v4_tree: V4Tree::new(
                bytes,
                metadata.ip_version,
                metadata.node_count,
                metadata.record_size,
            ),
        })
    }
}

/// The data section of a database: after the search tree and its 16-byte separator, up to
/// the metadata marker (which sits in the last 128 KiB).
fn data_section(bytes: &[u8], metadata: &maxminddb::Metadata) -> Option<Range<usize>> {
    let tree = (metadata.node_count as usize).checked_mul(usize::from(metadata.record_size))? / 4;
    let start = tree.checked_add(16)?;
    let tail_from = bytes.len().saturating_sub(128 * 1024);
    let end = tail_from
        + bytes[tail_from..]
            .windows(METADATA_MARKER.len())
            .rposition(|w| w == METADATA_MARKER)?;
    (start <= end).then_some(start..end)
}

/// The fast path of one action on its one used database.
pub(super) struct Fast {
    /// Index of the database among the action's sources.
    pub(super) source: usize,
    /// The record paths the mapping reads, for the action's context and locale.
    trie: PathTrie,
    /// Where `ip_address` and `prefix_len` go.
    inject: Inject,
    /// Unique in the process: what a thread's [`Memo`] belongs to.
    id: u64,
    /// Records of this action by data offset: addresses often share a record.
    cache: Mutex<HashMap<usize, Arc<Cached>>>,
}

/// A record written once for every address of the action that shares it.
struct Cached {
    json: Arc<str>,
    splice: Splice,
    attributes: Listed<Attribute>,
    indicators: Listed<Indicator>,
    display: Arc<Display>,
}

/// Records kept per action at most: a safeguard (every record cached is also held by the
/// results of its addresses, so the cache itself costs only its table).
const CACHE_RECORDS: usize = 1 << 20;

thread_local! {
    /// Per thread: a scratch buffer a record is written to (then copied once into its shared,
    /// exactly sized home), and the sub-maps already written.
    static SCRATCH: RefCell<(String, Memo)> =
        RefCell::new((String::with_capacity(4096), Memo::default()));
}

impl Fast {
    /// The fast path for source `source`, whose mapping rows are `rows`, names in `locale`.
    pub(super) fn new(source: usize, shape: Shape, rows: RowFilter, locale: &'static str) -> Fast {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Fast {
            source,
            trie: PathTrie::new(rows, locale),
            inject: match shape {
                Shape::Located => Inject::Traits,
                Shape::Flat => Inject::Top,
            },
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The answer for each of `ips`, in order. The IPv4 addresses walk the tree together.
    pub(super) fn lookup_many(&self, db: &Database, ips: &[IpAddr]) -> Vec<Result<Answer, Error>> {
        let Some(tree) = &db.index.v4_tree else {
            return ips.iter().map(|&ip| self.lookup(db, ip)).collect();
        };
        let v4: Vec<Ipv4Addr> = ips
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        let mut walked = Vec::with_capacity(v4.len());
        tree.walk(db.bytes(), &v4, &mut walked);
        let placed: Vec<Result<(IpNet, Option<usize>), Error>> = v4
            .iter()
            .zip(walked)
            .map(|(ip, w)| {
                let network = IpNet::new(IpAddr::V4(*ip), w.depth)
                    .map_err(|e| Error::Internal(format!("network of a walk: {e}")))?
                    .trunc();
                let offset = tree
                    .data_offset(w, db.index.data.len())
                    .map_err(|reason| corrupt(db, reason))?;
                Ok((network, offset))
            })
            .collect();
        // The records the action met before, asked for under one lock.
        let mut cached = self.cached_many(placed.iter().map(|p| p.as_ref().ok().and_then(|p| p.1)));
        let mut placed = placed.into_iter();
        ips.iter()
            .map(|&ip| match ip {
                IpAddr::V4(_) => {
                    // (Both taken before either can fail: they stay in step.)
                    let hit = cached.next().flatten();
                    let (network, offset) = placed.next().unwrap_or_else(|| {
                        Err(Error::Internal("an address was not walked".into()))
                    })?;
                    self.answer(db, ip, network, offset, hit)
                }
                IpAddr::V6(_) => self.lookup(db, ip),
            })
            .collect()
    }

    /// The answer for `ip`, whose walk down the tree the reader takes.
    fn lookup(&self, db: &Database, ip: IpAddr) -> Result<Answer, Error> {
        if db.ipv4_only && ip.is_ipv6() {
            return Ok(Answer {
                network: None,
                record: None,
                matched: Vec::new(),
            });
        }
        let result = db
            .reader
            .lookup(ip)
            .map_err(|e| corrupt(db, e.to_string()))?;
        let network = network_of(&result, db)?;
        let offset = result.offset();
        let hit = offset.and_then(|o| self.cache.lock().ok()?.get(&o).cloned());
        self.answer(db, ip, network, offset, hit)
    }

    /// The cached records at each of `offsets` (`None` for an address without one, or a record
    /// not met yet), asked for under one lock.
    fn cached_many(
        &self,
        offsets: impl Iterator<Item = Option<usize>>,
    ) -> std::vec::IntoIter<Option<Arc<Cached>>> {
        let Ok(cache) = self.cache.lock() else {
            return offsets.map(|_| None).collect::<Vec<_>>().into_iter();
        };
        offsets
            .map(|o| o.and_then(|o| cache.get(&o).cloned()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// The answer for `ip`, stored under `network`, whose record (if any) is at `offset` of the
    /// data section: `cached` when the action met the record before, else transcoded, mapped
    /// and cached.
    fn answer(
        &self,
        db: &Database,
        ip: IpAddr,
        network: IpNet,
        offset: Option<usize>,
        cached: Option<Arc<Cached>>,
    ) -> Result<Answer, Error> {
        let mut answer = Answer {
            network: Some(network),
            record: None,
            matched: Vec::new(),
        };
        let Some(offset) = offset else {
            return Ok(answer);
        };
        let cached = match cached {
            Some(c) => c,
            None => match self.transcode(db, offset)? {
                Some(fresh) => fresh,
                None => return Ok(answer),
            },
        };
        let insert = cached.splice.insert(ip, network.prefix_len());
        answer.record = Some(Located {
            data: RawJson::spliced(Arc::clone(&cached.json), cached.splice.at, insert),
            attributes: cached.attributes.clone(),
            indicators: cached.indicators.clone(),
            display: Arc::clone(&cached.display),
        });
        answer.matched.push((self.source, network));
        Ok(answer)
    }

    /// The record at `offset`, written, mapped and cached; `None` for an empty map (MaxMind's
    /// "no data").
    fn transcode(&self, db: &Database, offset: usize) -> Result<Option<Arc<Cached>>, Error> {
        let data = &db.bytes()[db.index.data.clone()];
        if transcode::is_empty_map(data, offset) {
            return Ok(None);
        }
        let mut captures = Vec::with_capacity(48);
        let (json, splice) = SCRATCH.with_borrow_mut(|(json, memo)| {
            json.clear();
            let memo = memo.for_owner(self.id);
            transcode::transcode(
                data,
                offset,
                &self.trie,
                self.inject,
                json,
                &mut captures,
                Some(memo),
            )
            .map(|splice| (Arc::<str>::from(json.as_str()), splice))
            .map_err(|reason| corrupt(db, format!("the record at data offset {offset}: {reason}")))
        })?;
        let mapped = self.trie.resolve(&captures);
        let fresh = Arc::new(Cached {
            json,
            splice,
            attributes: Listed::new(mapped.attributes),
            indicators: Listed::new(mapped.indicators),
            display: Arc::new(mapped.display),
        });
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() < CACHE_RECORDS {
                cache.insert(offset, Arc::clone(&fresh));
            }
        }
        Ok(Some(fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_data;
    use super::*;
    use tree::Walked;

    #[test]
    fn many_addresses_walk_the_tree_to_where_the_reader_walks_one() {
        let (mut walked_files, mut probed) = (0, 0);
        for (name, bytes) in test_data::every_database() {
            let Ok(reader) = maxminddb::Reader::from_source(bytes.as_slice()) else {
                continue;
            };
            let meta = reader.metadata();
            let Some(tree) =
                V4Tree::new(&bytes, meta.ip_version, meta.node_count, meta.record_size)
            else {
                continue;
            };
            let Some(data) = data_section(&bytes, meta) else {
                continue;
            };
            let ips: Vec<Ipv4Addr> = test_data::probes(&bytes)
                .into_iter()
                .filter_map(|ip| match ip {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                })
                .collect();
            let mut walked = vec![Walked {
                record: 7,
                depth: 7,
            }];
            tree.walk(&bytes, &ips, &mut walked);
            assert_eq!(walked.len(), ips.len() + 1, "appended after what was there");
            for (ip, w) in ips.iter().zip(&walked[1..]) {
                let one = reader.lookup(IpAddr::V4(*ip)).and_then(|r| {
                    let net = r.network()?;
                    Ok((
                        r.offset(),
                        IpNet::new(net.ip(), net.prefix()).unwrap().trunc(),
                    ))
                });
                let many = tree.data_offset(*w, data.len()).map(|offset| {
                    (
                        offset,
                        IpNet::new(IpAddr::V4(*ip), w.depth).unwrap().trunc(),
                    )
                });
                let why = format!("{name} {ip}: {one:?} / {many:?}");
                match (one, many) {
                    (Ok(one), Ok(many)) => assert_eq!(one, many, "{why}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("one answered, the other refused: {why}"),
                }
                probed += 1;
            }
            walked_files += 1;
        }
        // The fixtures hold 8 usual trees; MaxMind's test data adds every record size.
        assert!(
            walked_files >= 30 && probed > 100_000,
            "{walked_files} files, {probed} probes"
        );
    }

    #[test]
    fn unusual_trees_are_left_to_the_reader() {
        let dir = test_data::maxmind().join("test-data");
        let tree = |name: &str| {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            let reader = maxminddb::Reader::from_source(bytes.as_slice()).unwrap();
            let meta = reader.metadata();
            V4Tree::new(&bytes, meta.ip_version, meta.node_count, meta.record_size)
        };
        // IPv4 space answered above the IPv4 subtree: the reader names those networks in
        // IPv6 terms.
        assert_eq!(tree("MaxMind-DB-no-ipv4-search-tree.mmdb"), None);
        for name in [
            "MaxMind-DB-test-ipv4-24.mmdb",
            "MaxMind-DB-test-mixed-28.mmdb",
            "MaxMind-DB-test-ipv6-32.mmdb",
        ] {
            assert!(tree(name).is_some(), "{name}");
        }
    }
}
