//! IP extraction throughput on one core, on the mixed corpus of benches/make_corpus.py
//! (env `MAXMIND_BENCH_CORPUS`; without it, the fixture threat report repeated to 8 MB).

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use maxmind_geolocate::{scan, scan_reader};

fn corpus() -> Vec<u8> {
    if let Some(path) = std::env::var_os("MAXMIND_BENCH_CORPUS") {
        return std::fs::read(path).expect("the bench corpus is readable");
    }
    let report = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/attachments/apt-report.txt"
    ))
    .unwrap();
    report.iter().copied().cycle().take(8 << 20).collect()
}

fn extraction(c: &mut Criterion) {
    let text = corpus();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("scan", |b| {
        b.iter(|| {
            let mut n = 0usize;
            scan(&text, &mut |_| n += 1);
            black_box(n)
        })
    });
    group.bench_function("scan_reader (streamed, sniffed)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            scan_reader(text.as_slice(), u64::MAX, &mut |_| n += 1).unwrap();
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, extraction);
criterion_main!(benches);
