//! The Office decoders (DOCX, XLSX, PPTX, ODT): the fuzzer writes the XML of a document's main
//! part, which goes into a well-formed package, so that the XML walkers are explored rather
//! than the ZIP reader. They must never panic or hang. The first byte chooses the format.
#![no_main]
use documents::samples::stored_zip;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&choice, xml)) = data.split_first() else {
        return;
    };
    let types: (&str, &[u8]) = ("[Content_Types].xml", b"<Types/>");
    let package = match choice % 5 {
        0 => stored_zip(&[types, ("word/document.xml", xml)]),
        1 => stored_zip(&[
            types,
            (
                "xl/workbook.xml",
                b"<workbook><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>",
            ),
            ("xl/sharedStrings.xml", xml),
        ]),
        2 => stored_zip(&[
            types,
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/worksheets/sheet1.xml", xml),
        ]),
        3 => stored_zip(&[
            types,
            ("ppt/presentation.xml", b"<p/>"),
            ("ppt/slides/slide1.xml", xml),
        ]),
        _ => stored_zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", xml),
        ]),
    };
    documents::fuzz_one(&package);
});
