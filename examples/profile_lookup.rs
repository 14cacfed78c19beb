//! A loop of lookups for a profiler (`perf record`), not part of the product:
//!
//! `MAXMIND_BENCH_DB=GeoLite2-City.mmdb MAXMIND_BENCH_IPS=ips.txt cargo run --release --example profile_lookup -- 5 fast|tree`
//!
//! Each pass is one action (the record cache starts empty); `fast` is the one-database path
//! (transcoded), `tree` the decode-to-tree path used when databases are merged.

use maxmind_geolocate::backend::mmdb::MmdbBackend;
use maxmind_geolocate::backend::{BATCH, Backend};
use maxmind_geolocate::config::{Context, DbFiles};

/// The binary's allocator (src/main.rs), so that the profile is the binary's.
#[global_allocator]
static ALLOCATOR: maxmind_geolocate::allocator::Allocator = maxmind_geolocate::allocator::Allocator;

fn main() {
    let db = std::env::var_os("MAXMIND_BENCH_DB").expect("MAXMIND_BENCH_DB");
    let list = std::env::var_os("MAXMIND_BENCH_IPS").expect("MAXMIND_BENCH_IPS");
    let ips: Vec<std::net::IpAddr> = std::fs::read_to_string(list)
        .expect("the IP list")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let passes: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let mode = std::env::args().nth(2).unwrap_or_default();
    let tree = mode == "tree";
    // `written`: also the record text copied as the response writer copies it.
    let written = mode == "written";
    let files = DbFiles {
        in_memory: false,
        root: None,
        files: vec![db.into()],
    };
    let (backend, _) = MmdbBackend::open(&files, Context::City, "en").expect("the database opens");
    let started = std::time::Instant::now();
    let mut bytes = 0usize;
    let mut text = Vec::with_capacity(1 << 16);
    for _ in 0..passes {
        backend.forget_records();
        if tree {
            for &ip in &ips {
                bytes += backend.lookup(ip).map_or(0, |f| f.records.len());
            }
            continue;
        }
        // In batches, as the bulk action and the lookup bench hand them over.
        for batch in ips.chunks(BATCH) {
            let answers = backend.lookup_transcoded_many(batch).unwrap_or_default();
            for a in answers.into_iter().filter_map(|t| t.ok()?.answer) {
                if written {
                    // Copied as the response writer copies it.
                    text.clear();
                    a.data.write_to(&mut text);
                }
                bytes += a.attributes.len() + text.len();
            }
        }
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / (f64::from(passes) * ips.len() as f64);
    println!("{per:.2} µs per lookup ({bytes} bytes)");
}
