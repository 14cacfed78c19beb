//! The PDF decoder alone (object parser, xref, filters, fonts, text operators): it must never
//! panic or hang, whatever the bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| documents::fuzz_as(Some(documents::Format::Pdf), data));
