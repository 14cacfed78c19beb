//! XML attributes: the plain-attribute reader (`documents::xml::attr_cow`'s fast path) reads
//! every tag as quick-xml, its reference, reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    documents::fuzz_attributes(data);
});
