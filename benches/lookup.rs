//! Lookups with everything a result needs, through the backend's one seam
//! ([`Backend::lookup_many`]): the tree walk, the record written as the response carries it,
//! the mapped attributes and the table fields. The fast path (one database) beside the
//! reference path on the same addresses: the fast path is kept only while it wins by more
//! than 10 % (docs/performance.md).
//!
//! `MAXMIND_BENCH_DB=/path/GeoLite2-City.mmdb cargo bench --bench lookup` (benches/compare.sh
//! sets it and prints the figures beside libmaxminddb's and the Python stack's).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use maxmind_geolocate::{BATCH, Backend, Databases, Deadline, MmdbBackend};
use maxmind_geolocate::{Context, DbFiles};

fn lookups(c: &mut Criterion) {
    let db = common::city_db();
    let files = DbFiles {
        in_memory: false,
        root: None,
        confine: false,
        files: vec![db.clone()],
    };
    let open = Databases::default();
    let ips = common::bench_ips(100_000);
    let deadline = Deadline {
        at: Instant::now() + Duration::from_secs(86_400),
        seconds: 86_400,
    };
    let mut group = c.benchmark_group("city");
    group.throughput(Throughput::Elements(ips.len() as u64));
    group.sample_size(10);
    // Each pass is one action: a backend per action, as a process makes one (records are
    // cached within an action, never across actions), made outside the timing.
    for (name, reference) in [
        ("lookup+record JSON+mapping (fast path)", false),
        ("lookup+record JSON+mapping (reference path)", true),
    ] {
        group.bench_function(name, |b| {
            let mut written = Vec::with_capacity(1 << 16);
            // (By reference: the backend is dropped outside the timing, as a process leaves it
            // to its exit.)
            b.iter_batched_ref(
                || {
                    let (backend, _) = MmdbBackend::open(&files, Context::City, "en", &open)
                        .expect("the bench database opens");
                    if reference {
                        backend.reference_path()
                    } else {
                        backend
                    }
                },
                |backend: &mut MmdbBackend| {
                    let mut bytes = 0usize;
                    // In batches, as an action hands them over.
                    for batch in ips.chunks(BATCH) {
                        for answer in backend.lookup_many(batch, deadline, None) {
                            let answer = answer.expect("no corrupt records");
                            if let Some(record) = &answer.record {
                                // Copied as the response writer copies it.
                                written.clear();
                                record.data.write_to(&mut written);
                                bytes += written.len() + record.attributes.len();
                                black_box(&record.display);
                            }
                        }
                    }
                    black_box(bytes)
                },
                BatchSize::PerIteration,
            )
        });
    }
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
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
