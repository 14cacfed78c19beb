//! The e-mail decoders (one message, a mailbox; MIME, RFC 2047, base64, quoted-printable): they
//! must never panic or hang. The first byte chooses the decoder.
#![no_main]
use documents::Format;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = if choice & 1 == 0 {
        Format::Eml
    } else {
        Format::Mbox
    };
    documents::fuzz_as(Some(format), rest);
});
