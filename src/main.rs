//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

use std::process::ExitCode;

/// mimalloc: a bulk action makes millions of small allocations, which glibc's allocator serves
/// far slower (and with more fragmentation across threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    maxmind_geolocate::run().into()
}
