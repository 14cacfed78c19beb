//! A loop of lookups for a profiler (`perf record`, `valgrind --tool=callgrind`), not part of
//! the product:
//!
//! `MAXMIND_BENCH_DB=GeoLite2-City.mmdb MAXMIND_BENCH_IPS=ips.txt cargo run --release --example profile_lookup -- 5 [reference]`
//!
//! Each pass is one action (a backend of its own, as a process makes one), through the
//! backend's seam; `reference` takes the reference path instead of the fast path.

use std::time::{Duration, Instant};

use maxmind_geolocate::{BATCH, Backend, Databases, Deadline, MmdbBackend};
use maxmind_geolocate::{Context, DbFiles};

/// The binary's allocator (src/main.rs), so that the profile is the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let reference = std::env::args().nth(2).as_deref() == Some("reference");
    let files = DbFiles {
        in_memory: false,
        root: None,
        confine: false,
        files: vec![db.into()],
    };
    let open = Databases::default();
    let deadline = Deadline {
        at: Instant::now() + Duration::from_secs(86_400),
        seconds: 86_400,
    };
    let started = Instant::now();
    let mut bytes = 0usize;
    let mut text = Vec::with_capacity(1 << 16);
    for _ in 0..passes {
        let (backend, _) =
            MmdbBackend::open(&files, Context::City, "en", &open).expect("the database opens");
        let backend = if reference {
            backend.reference_path()
        } else {
            backend
        };
        for batch in ips.chunks(BATCH) {
            for answer in backend.lookup_many(batch, deadline, None) {
                if let Some(record) = answer.ok().and_then(|a| a.record) {
                    text.clear();
                    record.data.write_to(&mut text);
                    bytes += record.attributes.len() + text.len();
                }
            }
        }
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / (f64::from(passes) * ips.len() as f64);
    println!("{per:.2} µs per lookup ({bytes} bytes)");
}
