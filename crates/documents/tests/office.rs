//! Office documents built here, part by part, for what the fixtures made by real tools do not
//! show: tracked changes, footnote marks, spreadsheet comments and page headers, alternative
//! format parts and embedded documents. Each test states the text a reader sees, part by part.

mod common;

use common::{decode_bytes, part_text};
use documents::samples::stored_zip;

/// The namespaces of a WordprocessingML part.
const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

/// A DOCX whose body is `body` (the children of `w:body`), with `more` parts besides (an empty
/// `[Content_Types].xml` unless they hold one).
fn docx(body: &str, more: &[(&str, &[u8])]) -> Vec<u8> {
    let document =
        format!(r#"<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>"#);
    let mut files: Vec<(&str, &[u8])> = vec![("word/document.xml", document.as_bytes())];
    if !more.iter().any(|(name, _)| *name == "[Content_Types].xml") {
        files.insert(0, ("[Content_Types].xml", b"<Types/>"));
    }
    files.extend_from_slice(more);
    stored_zip(&files)
}

/// An ODF document of the given MIME type whose `content.xml` holds `body` (the children of
/// `office:body`).
fn odf(mime: &str, body: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:body>{body}</office:body></office:document-content>"#
    );
    stored_zip(&[
        ("mimetype", mime.as_bytes()),
        ("content.xml", content.as_bytes()),
    ])
}

/// Every part handed out, as (label, text); asserts that nothing was warned about.
fn parts(name: &str, bytes: &[u8]) -> Vec<(String, String)> {
    let (outcome, parts) = decode_bytes(name, bytes);
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    parts
        .iter()
        .map(|p| (p.found_in.clone(), part_text(p)))
        .collect()
}

/// `(label, text)` pairs as [`parts`] returns them, from string literals.
fn expect(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(l, t)| (l.to_string(), t.to_string()))
        .collect()
}

#[test]
fn docx_text_removed_by_a_tracked_change_is_left_out_and_the_text_around_it_joins() {
    // A deletion inside an address, a deleted paragraph, and a move: the text at its old place
    // (`moveFrom`, between its range marks) is gone once the changes are accepted, the text at
    // its new place (`moveTo`) is read.
    let body = r#"
        <w:p><w:r><w:t>kept 81.2.</w:t></w:r><w:del w:id="1" w:author="a"><w:r><w:delText>99.</w:delText></w:r></w:del><w:r><w:t>69.142</w:t></w:r></w:p>
        <w:p><w:pPr><w:rPr><w:del w:id="2" w:author="a"/></w:rPr></w:pPr><w:del w:id="3" w:author="a"><w:r><w:delText>45.133.1.46</w:delText></w:r></w:del></w:p>
        <w:p><w:moveFromRangeStart w:id="4" w:name="move1" w:author="a"/><w:moveFrom w:id="5" w:author="a"><w:r><w:t>91.92.248.46</w:t></w:r></w:moveFrom><w:moveFromRangeEnd w:id="4"/></w:p>
        <w:p><w:r><w:t xml:space="preserve">moved to the end: </w:t></w:r><w:moveToRangeStart w:id="6" w:name="move1" w:author="a"/><w:moveTo w:id="7" w:author="a"><w:r><w:t>91.92.248.46</w:t></w:r></w:moveTo><w:moveToRangeEnd w:id="6"/></w:p>"#;
    assert_eq!(
        parts("changes.docx", &docx(body, &[])),
        expect(&[(
            "changes.docx",
            "kept 81.2.69.142\nmoved to the end: 91.92.248.46"
        )])
    );
}

#[test]
fn odt_tracked_changes_are_a_record_of_changes_not_text() {
    // LibreOffice keeps the text of a deletion, with who deleted it and when, in
    // `text:tracked-changes`; the body keeps only a mark where it was.
    let body = r#"<office:text><text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><office:change-info><dc:creator>rev</dc:creator><dc:date>2024-05-01T00:00:00</dc:date></office:change-info><text:p>45.133.1.46</text:p></text:deletion></text:changed-region></text:tracked-changes><text:p>Body 81.2.69.142<text:change text:change-id="ct1"/> end</text:p></office:text>"#;
    assert_eq!(
        parts(
            "changes.odt",
            &odf("application/vnd.oasis.opendocument.text", body)
        ),
        expect(&[("changes.odt", "Body 81.2.69.142 end")])
    );
}

#[test]
fn ods_tracked_changes_are_left_out_too() {
    // Calc keeps the previous content of a changed cell in `table:tracked-changes`.
    let body = r#"<office:spreadsheet><table:tracked-changes><table:cell-content-change table:id="ct1"><office:change-info><dc:creator>rev</dc:creator><dc:date>2024-05-01T00:00:00</dc:date></office:change-info><table:previous><table:change-track-table-cell><text:p>45.133.1.46</text:p></table:change-track-table-cell></table:previous></table:cell-content-change></table:tracked-changes><table:table table:name="Hosts"><table:table-row><table:table-cell><text:p>81.2.69.142</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#;
    assert_eq!(
        parts(
            "book.ods",
            &odf("application/vnd.oasis.opendocument.spreadsheet", body)
        ),
        expect(&[("book.ods sheet \"Hosts\"", "Hosts\n81.2.69.142")])
    );
}

#[test]
fn an_odt_footnote_number_is_not_glued_to_the_address_before_it() {
    // The citation (the raised "1") is left out; the note's text is read where the note stands,
    // apart from the sentence around it.
    let body = r#"<office:text><text:p>Body 193.142.146.67<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>source 81.2.69.142</text:p></text:note-body></text:note> end</text:p></office:text>"#;
    assert_eq!(
        parts(
            "notes.odt",
            &odf("application/vnd.oasis.opendocument.text", body)
        ),
        expect(&[("notes.odt", "Body 193.142.146.67 source 81.2.69.142\n end")])
    );
}

#[test]
fn a_docx_note_reference_stands_apart_from_the_text_around_it() {
    // Word numbers a reference itself (no text); a custom mark is the reference run's own text.
    let body = r#"<w:p><w:r><w:t>seen at 193.142.146.67</w:t></w:r><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:customMarkFollows="1" w:id="1"/><w:t>1</w:t></w:r><w:r><w:t>, then at 81.2.69.142</w:t></w:r><w:r><w:endnoteReference w:id="2"/></w:r><w:r><w:t>.</w:t></w:r></w:p>"#;
    let footnotes = format!(
        r#"<w:footnotes {W}><w:footnote w:id="1"><w:p><w:r><w:t>1</w:t></w:r><w:r><w:t xml:space="preserve"> source 89.160.20.115</w:t></w:r></w:p></w:footnote></w:footnotes>"#
    );
    assert_eq!(
        parts(
            "notes.docx",
            &docx(body, &[("word/footnotes.xml", footnotes.as_bytes())])
        ),
        expect(&[
            (
                "notes.docx",
                "seen at 193.142.146.67 1 , then at 81.2.69.142 ."
            ),
            ("notes.docx footnotes", "1 source 89.160.20.115"),
        ])
    );
}

/// An XLSX of one sheet, "IOCs", whose `worksheet` holds `sheet` (cells and page setup) and
/// whose relationships are `sheet_rels` (the children of `Relationships`); `more` parts besides.
fn xlsx(sheet: &str, sheet_rels: &str, more: &[(&str, &[u8])]) -> Vec<u8> {
    xlsx_named("IOCs", sheet, sheet_rels, more)
}

/// [`xlsx`], its sheet named `name`.
fn xlsx_named(name: &str, sheet: &str, sheet_rels: &str, more: &[(&str, &[u8])]) -> Vec<u8> {
    let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let rels = r#"xmlns="http://schemas.openxmlformats.org/package/2006/relationships""#;
    let workbook = format!(
        r#"<workbook {ns}><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<Relationships {rels}><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let sheet = format!(r#"<worksheet {ns}>{sheet}</worksheet>"#);
    let sheet_rels = format!(r#"<Relationships {rels}>{sheet_rels}</Relationships>"#);
    let mut files: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/worksheets/_rels/sheet1.xml.rels", sheet_rels.as_bytes()),
    ];
    files.extend_from_slice(more);
    stored_zip(&files)
}

/// One cell, A1, holding `text` as an inline string.
fn a1(text: &str) -> String {
    format!(
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData>"#
    )
}

#[test]
fn xlsx_notes_and_threaded_comments_are_read_with_their_sheet() {
    // xlsxwriter and Excel write a note (`comments1.xml`, rich runs, phonetic runs left out)
    // and a threaded comment, each reached through the sheet's relationships.
    let rels = r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml"/><Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" Target="../threadedComments/threadedComment1.xml"/>"#;
    let notes = br#"<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>Analyst 1</author></authors><commentList><comment ref="A1" authorId="0"><text><r><rPr><b/></rPr><t xml:space="preserve">Analyst note: pivot from 195.123.</t></r><r><t>246.53</t></r><rPh sb="0" eb="1"><t>9</t></rPh></text></comment><comment ref="B2" authorId="0"><text><t>also 81.2.69.142</t></text></comment></commentList></comments>"#;
    let threaded = br#"<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"><threadedComment ref="A1" dT="2024-05-01T00:00:00.00" personId="{1}" id="{2}"><text>seen from 89.160.20.115</text></threadedComment></ThreadedComments>"#;
    let book = xlsx(
        &a1("see note"),
        rels,
        &[
            ("xl/comments1.xml", notes),
            ("xl/threadedComments/threadedComment1.xml", threaded),
        ],
    );
    assert_eq!(
        parts("book.xlsx", &book),
        expect(&[
            ("book.xlsx sheet \"IOCs\"", "IOCs\nsee note"),
            (
                "book.xlsx sheet \"IOCs\" comments",
                "Analyst note: pivot from 195.123.246.53\nalso 81.2.69.142\nseen from 89.160.20.115"
            ),
        ])
    );
}

#[test]
fn xlsx_page_headers_and_footers_are_read_through_their_formatting_codes() {
    // `&L`/`&C`/`&R` start a section; a font (`&"Arial,Bold"`), size (`&12`) or colour
    // (`&KFF0000`) inside an address leaves it whole; a field (`&P`, page number) is a word
    // of its own; `&&` is an ampersand.
    let page = r#"<headerFooter differentFirst="1"><oddHeader>&amp;L&amp;12Sensor 37.120.&amp;"Arial,Bold"198&amp;"-,Regular".&amp;KFF000053&amp;CR&amp;&amp;D&amp;RPage&amp;P+1</oddHeader><oddFooter>&amp;C&amp;B81.2.69.142&amp;B&amp;P</oddFooter><firstFooter>&amp;K01+0002a02:ff80::1</firstFooter></headerFooter>"#;
    let book = xlsx(&format!("{}{page}", a1("cells")), "", &[]);
    assert_eq!(
        parts("book.xlsx", &book),
        expect(&[
            ("book.xlsx sheet \"IOCs\"", "IOCs\ncells"),
            (
                "book.xlsx sheet \"IOCs\" header",
                "Sensor 37.120.198.53\tR&D\tPage"
            ),
            (
                "book.xlsx sheet \"IOCs\" footer",
                "81.2.69.142\n2a02:ff80::1"
            ),
        ])
    );
}

#[test]
fn a_docx_alt_chunk_is_read_by_its_content_type_after_the_part_that_holds_it() {
    // html-docx-js and "export to Word" features write the document as HTML in an altChunk
    // part, which Word shows in place of the element. An HTML fragment is read as HTML because
    // its content type says so (its first bytes look like XML); a text/plain one as text.
    let body = r#"<w:p><w:r><w:t>Body 81.2.69.142</w:t></w:r></w:p><w:altChunk r:id="rIdHtml"/><w:p><w:r><w:t>between</w:t></w:r></w:p><w:altChunk r:id="rIdText"/>"#;
    let rels = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdHtml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.html"/><Relationship Id="rIdText" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="/word/chunks/notes.part"/></Relationships>"#;
    let types = br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="HTML" ContentType="text/html"/><Override PartName="/word/chunks/notes.part" ContentType="text/plain"/></Types>"#;
    let files = docx(
        body,
        &[
            ("[Content_Types].xml", types),
            ("word/_rels/document.xml.rels", rels),
            (
                "word/afchunk.html",
                b"<span>seen at 216.160.</span><b>83.60</b>",
            ),
            ("word/chunks/notes.part", b"and 89.160.20.115"),
        ],
    );
    assert_eq!(
        parts("report.docx", &files),
        expect(&[
            ("report.docx", "Body 81.2.69.142\nbetween"),
            ("report.docx altChunk afchunk.html", "seen at 216.160.83.60"),
            ("report.docx altChunk notes.part", "and 89.160.20.115"),
        ])
    );
}

/// A compound file (what Office calls an OLE object) holding one stream, `name`.
fn compound_file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    std::io::Write::write_all(&mut cf.create_stream(name).unwrap(), data).unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn files_embedded_in_a_docx_are_decoded_as_archive_members_are() {
    // Word embeds a workbook as a package of its own; a legacy object as an OLE compound file,
    // which is not decoded: its raw bytes are scanned, and a warning says so.
    let workbook = xlsx(&a1("embedded 89.160.20.115"), "", &[]);
    let ole = compound_file("/\u{1}Ole10Native", b"packaged 216.160.83.60");
    let body = r#"<w:p><w:r><w:t>Body 81.2.69.142</w:t></w:r></w:p>"#;
    let file = docx(
        body,
        &[
            ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", &workbook),
            ("word/embeddings/oleObject1.bin", &ole),
        ],
    );
    let (outcome, parts) = decode_bytes("report.docx", &file);
    let found: Vec<(String, Vec<String>)> = parts
        .iter()
        .map(|p| (p.found_in.clone(), common::find_ips(&part_text(p))))
        .collect();
    assert_eq!(
        found,
        [
            ("report.docx", vec!["81.2.69.142"]),
            (
                "report.docx embedded Microsoft_Excel_Worksheet.xlsx sheet \"IOCs\"",
                vec!["89.160.20.115"]
            ),
            ("report.docx embedded oleObject1.bin", vec!["216.160.83.60"]),
        ]
        .map(|(l, ips)| (l.to_string(), ips.iter().map(|s| s.to_string()).collect()))
    );
    let warnings: Vec<(&str, &str)> = outcome
        .warnings
        .iter()
        .map(|w| (w.code, w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(
            "document_unsupported",
            "report.docx embedded oleObject1.bin: OLE object not decoded; only its raw bytes were scanned"
        )]
    );
}

#[test]
fn embedded_files_count_against_max_entries() {
    let text = |s: &str| s.as_bytes().to_vec();
    let file = docx(
        "",
        &[
            ("word/embeddings/a.txt", &text("first 81.2.69.142")),
            ("word/embeddings/b.txt", &text("second 89.160.20.115")),
        ],
    );
    let mut sink = common::Collect::default();
    let limits = documents::Limits {
        max_entries: 1,
        ..documents::Limits::default()
    };
    let o = documents::decode("x.docx", std::io::Cursor::new(file), &limits, &mut sink);
    let labels: Vec<&str> = sink.parts.iter().map(|p| p.found_in.as_str()).collect();
    assert_eq!(labels, ["x.docx embedded a.txt"]);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.code == "document_limit" && w.message.contains("max_entries")),
        "{:?}",
        o.warnings
    );
}

#[test]
fn an_odf_comment_stands_apart_from_the_text_it_annotates_and_from_its_date() {
    // LibreOffice writes a comment where it is anchored: its author and date, then its text.
    let comment = "<office:annotation><dc:creator>Analyst</dc:creator><dc:date>2024-05-17T10:00:00.000000000</dc:date><text:p>89.160.20.115 is C2</text:p></office:annotation>";
    let text = format!("<office:text><text:p>Body 81.2.69.142{comment} end</text:p></office:text>");
    assert_eq!(
        parts(
            "notes.odt",
            &odf("application/vnd.oasis.opendocument.text", &text)
        ),
        expect(&[(
            "notes.odt",
            "Body 81.2.69.142 Analyst\n2024-05-17T10:00:00.000000000\n89.160.20.115 is C2\n end"
        )])
    );
    let sheet = format!(
        r#"<office:spreadsheet><table:table table:name="Hosts"><table:table-row><table:table-cell>{comment}<text:p>81.2.69.142</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#
    );
    assert_eq!(
        parts(
            "book.ods",
            &odf("application/vnd.oasis.opendocument.spreadsheet", &sheet)
        ),
        expect(&[(
            "book.ods sheet \"Hosts\"",
            "Hosts\nAnalyst\n2024-05-17T10:00:00.000000000\n89.160.20.115 is C2\n81.2.69.142"
        )])
    );
}

#[test]
fn what_a_workbook_shows_beside_its_cells_is_read_its_tab_names_and_link_targets() {
    // A sheet's tab shows its name; a `HYPERLINK()` cell shows its name and links to its
    // target, as a relationship-based hyperlink does.
    let cells = r#"<sheetData><row r="1"><c r="A1" t="str"><f>HYPERLINK("http://89.160.20.125/x","click")</f><v>click</v></c><c r="B1" t="str"><f>CONCATENATE("89.160.","20.119")</f><v>89.160.20.119</v></c></row></sheetData>"#;
    assert_eq!(
        parts("book.xlsx", &xlsx_named("89.160.20.131", cells, "", &[])),
        expect(&[(
            "book.xlsx sheet \"89.160.20.131\"",
            "89.160.20.131\nclick\thttp://89.160.20.125/x\t89.160.20.119"
        )])
    );
    let sheet = r#"<office:spreadsheet><table:table table:name="77.88.56.99"><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#;
    assert_eq!(
        parts(
            "book.ods",
            &odf("application/vnd.oasis.opendocument.spreadsheet", sheet)
        ),
        expect(&[("book.ods sheet \"77.88.56.99\"", "77.88.56.99\nx")])
    );
}

#[test]
fn a_docx_simple_fields_instruction_is_read_as_a_complex_fields_is() {
    let body = r#"<w:p><w:fldSimple w:instr=" HYPERLINK &quot;http://81.2.69.43/&quot; "><w:r><w:t>simple field link</w:t></w:r></w:fldSimple></w:p>"#;
    assert_eq!(
        parts("links.docx", &docx(body, &[])),
        expect(&[(
            "links.docx",
            "HYPERLINK \"http://81.2.69.43/\" simple field link"
        )])
    );
}

#[test]
fn a_docx_text_box_written_twice_as_alternate_content_is_read_once() {
    // The box stands apart from the paragraph that anchors it (`port 8` before a box holding
    // `1.2.3.4` is no `81.2.3.4`).
    let body = r#"<w:p><w:r><w:t>Box:</w:t></w:r><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>C2 81.2.69.142</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>C2 81.2.69.142</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t> end</w:t></w:r></w:p>"#;
    assert_eq!(
        parts("box.docx", &docx(body, &[])),
        expect(&[("box.docx", "Box:\nC2 81.2.69.142\n end")])
    );
}

#[test]
fn an_xlsx_version_column_is_found_under_its_header_not_under_a_title() {
    // A title in row 1 (one cell, saying "version") is no header; row 2 is. A version under
    // it is written after its column's name; a blank cell there labels nothing.
    let cell =
        |r: &str, text: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#);
    let cells = format!(
        r#"<sheetData><row r="1">{}</row><row r="2">{}{}</row><row r="3">{}{}</row><row r="4">{}{}</row></sheetData>"#,
        cell("A1", "Hosts by agent version"),
        cell("A2", "Address"),
        cell("B2", "FileVersion"),
        cell("A3", "81.2.69.142"),
        cell("B3", "8.0.6.0"),
        cell("A4", "81.2.69.143"),
        cell("B4", " "),
    );
    assert_eq!(
        parts("inventory.xlsx", &xlsx(&cells, "", &[])),
        expect(&[(
            "inventory.xlsx sheet \"IOCs\"",
            "IOCs\nHosts by agent version\nAddress\tFileVersion\n81.2.69.142\tFileVersion: 8.0.6.0\n81.2.69.143\t "
        )])
    );
}
