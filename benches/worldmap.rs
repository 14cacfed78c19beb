//! The offline world map: grouping and drawing 10,000 located IPs at 10,000 places (the
//! issue's worst case), and at 200 places, to its `data:` URI — the work Lookup All Related IPs
//! adds to a description. Run: `cargo bench --bench worldmap`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use maxmind_geolocate::worldmap::{Options, Point, group, render};

/// `n` IPs spread over `places` places on a grid, one in ten a country-level guess.
fn points(n: u32, places: u32) -> Vec<Point> {
    (0..n)
        .map(|i| {
            let p = i % places;
            Point {
                lat: -60.0 + f64::from(p % 120) + 0.5,
                lon: -170.0 + f64::from(p / 120) * 4.1,
                ips: 1,
                approximate: p.is_multiple_of(10),
                place: format!("City {p}, XX"),
            }
        })
        .collect()
}

fn worldmap(c: &mut Criterion) {
    let mut g = c.benchmark_group("worldmap");
    g.sample_size(20);
    for (name, n, places) in [
        ("10000_ips_10000_places", 10_000, 10_000),
        ("10000_ips_200_places", 10_000, 200),
    ] {
        let input = points(n, places);
        g.bench_function(name, |b| {
            b.iter(|| {
                let map = render(&group(input.iter().cloned()), &Options::default());
                black_box(map.data_uri().len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, worldmap);
criterion_main!(benches);
