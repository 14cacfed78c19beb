//! The HTML, XML and table decoders (entities, inline and block tags, nesting caps; quoted
//! fields, aligned columns, long lines): they must never panic or hang. The first byte
//! chooses the decoder.
#![no_main]
use documents::Format;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = match choice % 3 {
        0 => Format::Html,
        1 => Format::Xml,
        _ => Format::Table,
    };
    documents::fuzz_as(Some(format), rest);
});
