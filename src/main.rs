//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

/// mimalloc (v2, without transparent huge pages): the lookup loop makes a few small strings
/// per new record, and glibc's malloc and free cost it far more (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    maxmind_geolocate::run().into()
}
