//! The `maxmind-geolocate` binary: see the library crate for the pipeline.

use std::process::ExitCode;

fn main() -> ExitCode {
    maxmind_geolocate::run().into()
}
