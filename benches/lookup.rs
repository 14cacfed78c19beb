//! Lookups with everything a result needs: the tree walk, the record decoded (borrowed), the
//! mapped attributes, and the record serialized as the response carries it.
//!
//! `MAXMIND_BENCH_DB=/path/GeoLite2-City.mmdb cargo bench --bench lookup` (benches/compare.sh
//! sets it and prints the figures beside libmaxminddb's and the Python stack's).

mod common;

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use maxmind_geolocate::backend::mmdb::MmdbBackend;
use maxmind_geolocate::backend::tree::V4Tree;
use maxmind_geolocate::backend::{BATCH, Backend};
use maxmind_geolocate::config::{Context, DbFiles};
use maxmind_geolocate::mapping;

fn lookups(c: &mut Criterion) {
    let db = common::city_db();
    let files = DbFiles {
        in_memory: false,
        root: None,
        files: vec![db.clone()],
    };
    let (backend, _) =
        MmdbBackend::open(&files, Context::City, "en").expect("the bench database opens");
    let ips = common::bench_ips(100_000);
    let mut group = c.benchmark_group("city");
    group.throughput(Throughput::Elements(ips.len() as u64));
    group.sample_size(10);
    // Each pass is one action: records are cached within an action, never across actions.
    // The cache is emptied before each pass, outside the timing: a process starts its action
    // with an empty cache and never frees it (it leaves its memory to the process's end).
    group.bench_function("lookup+record JSON+mapping (fast path)", |b| {
        let mut written = Vec::with_capacity(1 << 16);
        b.iter_batched(
            || backend.forget_records(),
            |()| {
                let mut bytes = 0usize;
                // In batches, as the bulk action hands them over.
                for batch in ips.chunks(BATCH) {
                    let answers = backend.lookup_transcoded_many(batch).expect("one database");
                    for t in answers {
                        let t = t.expect("no corrupt records");
                        if let Some(a) = &t.answer {
                            // The record with this address's fields, copied as the response
                            // writer copies it (into a buffer it reuses).
                            written.clear();
                            a.data.write_to(&mut written);
                            bytes += written.len() + a.attributes.len();
                            black_box(&a.display);
                        }
                    }
                }
                black_box(bytes)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("lookup+decode tree+mapping+serialize (merge path)", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            for &ip in &ips {
                let found = backend.lookup(ip).expect("no corrupt records");
                let mapped =
                    mapping::map_records(found.records.iter().map(|r| (&r.record, r.rows)), "en");
                for r in &found.records {
                    bytes += serde_json::to_string(&r.record).map_or(0, |j| j.len());
                }
                black_box(&mapped);
            }
            black_box(bytes)
        })
    });
    let reader = maxminddb::Reader::open_readfile(&db).expect("the bench database opens");
    group.bench_function("tree walk only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for &ip in &ips {
                n += usize::from(reader.lookup(ip).is_ok_and(|r| r.has_data()));
            }
            black_box(n)
        })
    });
    // The same walks, eight side by side as the batch path takes them (backend::tree).
    let bytes = std::fs::read(&db).expect("the bench database reads");
    let meta = reader.metadata();
    let tree = V4Tree::new(&bytes, meta.ip_version, meta.node_count, meta.record_size)
        .expect("GeoLite2-City's tree has the usual shape");
    let v4: Vec<Ipv4Addr> = ips
        .iter()
        .filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    let data_len = bytes.len();
    group.bench_function("tree walk only, side by side in batches", |b| {
        let mut walked = Vec::with_capacity(BATCH);
        b.iter(|| {
            let mut n = 0usize;
            for batch in v4.chunks(BATCH) {
                walked.clear();
                tree.walk(&bytes, batch, &mut walked);
                n += walked
                    .iter()
                    .filter(|w| tree.data_offset(**w, data_len).is_ok_and(|o| o.is_some()))
                    .count();
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
