//! Inputs shared by the benches: the real-size database and IP lists, generated with fixed seeds.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// The binary's allocator (src/main.rs), so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The City database to measure: env `MAXMIND_BENCH_DB` (benches/compare.sh fetches
/// GeoLite2-City), else the project's fixture (tiny: figures from it are not representative).
pub fn city_db() -> PathBuf {
    std::env::var_os("MAXMIND_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/GeoIP2-City-Fixture.mmdb")
        })
}

/// A xorshift generator: the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The addresses to look up: the file of env `MAXMIND_BENCH_IPS` (one per line, as
/// benches/compare.sh writes it for every peer), else `n` generated ones.
pub fn bench_ips(n: usize) -> Vec<IpAddr> {
    match std::env::var_os("MAXMIND_BENCH_IPS") {
        Some(path) => std::fs::read_to_string(path)
            .expect("the bench IP list is readable")
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect(),
        None => public_ips(n, 42),
    }
}

/// `n` public IPv4 addresses (no special-purpose ranges), fixed by `seed`.
pub fn public_ips(n: usize, seed: u64) -> Vec<IpAddr> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let ip = IpAddr::V4(Ipv4Addr::from(rng.next_u64() as u32));
        if maxmind_geolocate::special_purpose(ip).is_none() {
            out.push(ip);
        }
    }
    out
}
