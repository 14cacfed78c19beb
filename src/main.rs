//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

/// mimalloc: glibc's malloc and free were a quarter of the instructions of the lookup loop (a
/// few small strings per new record); v2, without transparent huge pages, which zero 2 MiB at
/// the first allocation (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    maxmind_geolocate::run().into()
}
