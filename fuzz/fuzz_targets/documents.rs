//! Feeds arbitrary bytes to the document layer: it must never panic or hang.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| documents::fuzz_one(data));
