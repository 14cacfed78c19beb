//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

use std::process::ExitCode;

/// mimalloc: glibc's malloc and free were a quarter of the instructions of the lookup loop
/// (a few small strings per new record); mimalloc's take a quarter of that. v2 without
/// transparent huge pages: v3 and huge pages zero 2 MiB at the first allocation (a Lookup took
/// 0.5 ms longer and 6 MB more).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    maxmind_geolocate::run().into()
}
