//! The HTML and XML decoders (entities, inline and block tags, nesting caps): they must never
//! panic or hang. The first byte chooses the decoder.
#![no_main]
use documents::Format;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = if choice & 1 == 0 {
        Format::Html
    } else {
        Format::Xml
    };
    documents::fuzz_as(Some(format), rest);
});
