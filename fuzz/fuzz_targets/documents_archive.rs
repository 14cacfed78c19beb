//! The container decoders (ZIP, gzip, tar, Outlook's compound files): they must never panic,
//! hang or trust a declared size. The first byte chooses the decoder.
#![no_main]
use documents::Format;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = [Format::Zip, Format::Gzip, Format::Tar, Format::Msg][usize::from(choice % 4)];
    documents::fuzz_as(Some(format), rest);
});
