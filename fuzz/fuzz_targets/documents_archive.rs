//! The container decoders (ZIP, gzip, xz, bzip2, zstd, tar, Outlook's compound files): they
//! must never panic, hang or trust a declared size. The first byte chooses the decoder.
#![no_main]
use documents::Format;
const DECODERS: [Format; 7] = [
    Format::Zip,
    Format::Gzip,
    Format::Xz,
    Format::Bzip2,
    Format::Zstd,
    Format::Tar,
    Format::Msg,
];
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = DECODERS[usize::from(choice) % DECODERS.len()];
    documents::fuzz_as(Some(format), rest);
});
