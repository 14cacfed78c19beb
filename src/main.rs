//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

use std::io::Write as _;

/// mimalloc: glibc's malloc and free were a quarter of the instructions of the lookup loop
/// (a few small strings per new record); mimalloc's take a quarter of that. v2 without
/// transparent huge pages: v3 and huge pages zero 2 MiB at the first allocation (a Lookup took
/// 0.5 ms longer and 6 MB more).
#[global_allocator]
static ALLOCATOR: maxmind_geolocate::allocator::Allocator = maxmind_geolocate::allocator::Allocator;

fn main() {
    let exit = maxmind_geolocate::run();
    // Everything is written: what is left is the process's own teardown, which for a bulk
    // action is mostly mimalloc collecting the heaps its worker threads left (it walks every
    // page of them, about 8 ms for 100,000 results). The kernel takes the memory back whole.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` ends the process at once; nothing runs after it, and the only state that
    // matters outside it (the output) was flushed above.
    unsafe { libc::_exit(i32::from(exit as u8)) }
}
