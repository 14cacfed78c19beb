//! The fast path of [`crate::xml::walk`]: splits the markup that Office parts are made of
//! (start, empty and end tags, text, references, the XML declaration and processing
//! instructions) straight from a window over the input, without copying each event into a
//! buffer as `quick-xml`'s buffered reader does. Spreadsheet XML is about four bytes of
//! markup for each byte of text, so splitting it is most of the work of reading a workbook.
//!
//! It yields exactly the pieces `quick-xml` (configured as in
//! [`crate::xml::walk_reference`]) yields, by the same rules: a tag ends at the first `>`
//! outside quotes, a name ends at the first XML whitespace, an end tag's name loses its
//! trailing whitespace, a reference ends at `;` (an `&` or `<` before it makes the `&` text),
//! a UTF-8 BOM is dropped at the start. Anything else — comments, CDATA, DOCTYPE, a tag that
//! is not UTF-8, markup cut by the end of the input — is handed with the rest of the input to
//! `quick-xml`, which reads it (and reports what is malformed) as the reference walk would.

use crate::Ctx;
use crate::xml::{Tok, Walker, XEv};
use quick_xml::events::BytesStart;
use std::io::{self, BufRead, Cursor, Read};

/// Bytes read from the input at a time; the window grows only for a longer piece of markup.
const READ: usize = 128 << 10;

/// The longest piece of markup split here; a longer one goes, with the rest of the input, to
/// `quick-xml`. A piece cut by the end of the window is split again from its start after each
/// read: a piece of any length (an attacker's megabytes of attribute) would cost its length
/// squared over the read size.
const MAX_PIECE: usize = 64 << 10;

/// What the start of the window holds.
enum Lexed<'a> {
    /// A piece of markup, and how many bytes it took.
    Token(Piece<'a>, usize),
    /// A declaration or processing instruction (ignored by the walk), and its length.
    Skip(usize),
    /// The piece is cut by the end of the window: more input is needed.
    More,
    /// Not handled here: `quick-xml` reads from here on.
    HandOver,
}

/// A piece of markup before it is wrapped for the walker.
enum Piece<'a> {
    Start(&'a str, bool),
    End(&'a [u8]),
    Text(&'a [u8]),
    Ref(&'a [u8]),
}

/// Walks `input` with `walker`: the fast path until something it leaves to `quick-xml`.
pub(crate) fn run<R: BufRead, F>(
    ctx: &mut Ctx<'_>,
    walker: &mut Walker<'_, F>,
    mut input: R,
) -> io::Result<()>
where
    F: FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>,
{
    let mut buf: Vec<u8> = Vec::new();
    let (mut pos, mut end, mut eof) = (0usize, 0usize, false);
    let mut at_start = true;
    loop {
        if at_start && (end - pos >= 3 || eof) {
            at_start = false;
            if buf[pos..end].starts_with(&[0xEF, 0xBB, 0xBF]) {
                pos += 3;
            }
        }
        let lexed = if at_start {
            Lexed::More
        } else if pos == end {
            if eof {
                return Ok(());
            }
            Lexed::More
        } else {
            lex(&buf[pos..end], eof)
        };
        match lexed {
            Lexed::Token(piece, used) => {
                let flow = match piece {
                    Piece::Start(content, empty) => {
                        let name_len = name_len(content.as_bytes());
                        let e = BytesStart::from_content(content, name_len);
                        let tok = if empty {
                            Tok::Empty(&e)
                        } else {
                            Tok::Start(&e)
                        };
                        walker.token(ctx, tok)?
                    }
                    Piece::End(name) => walker.token(ctx, Tok::End(name))?,
                    Piece::Text(t) => walker.token(ctx, Tok::Text(t))?,
                    Piece::Ref(r) => walker.token(ctx, Tok::Ref(r))?,
                };
                if flow.is_break() {
                    return Ok(());
                }
                pos += used;
            }
            Lexed::Skip(used) => pos += used,
            Lexed::More if !eof && end - pos <= MAX_PIECE => {
                #[cfg(test)]
                tests::SPLIT_AGAIN.with(|c| c.set(c.get() + (end - pos)));
                // Keep the unread bytes, at the front of the window, and read more after them.
                buf.copy_within(pos..end, 0);
                end -= pos;
                pos = 0;
                if buf.len() < end + READ {
                    buf.resize(end + READ, 0);
                }
                let n = loop {
                    match input.read(&mut buf[end..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            // As `quick-xml` would: a read error ends the walk as malformed.
                            walker.malformed(ctx, &quick_xml::Error::Io(e.into()));
                            return Ok(());
                        }
                    }
                };
                end += n;
                eof = n == 0;
            }
            Lexed::More | Lexed::HandOver => {
                let rest = Cursor::new(&buf[pos..end]).chain(input);
                return walker.quick_xml(ctx, rest);
            }
        }
    }
}

/// Splits the piece of markup at the start of `b` (not empty). `eof`: nothing follows `b`.
fn lex(b: &[u8], eof: bool) -> Lexed<'_> {
    match b[0] {
        b'<' => {
            let Some(&next) = b.get(1) else {
                return Lexed::More;
            };
            match next {
                b'!' => Lexed::HandOver,
                b'/' => match tag_end(&b[1..]) {
                    Some(i) => {
                        let content = &b[2..1 + i];
                        let name = match content.iter().rposition(|&c| !is_whitespace(c)) {
                            Some(last) => &content[..=last],
                            None => content,
                        };
                        Lexed::Token(Piece::End(name), i + 2)
                    }
                    None => Lexed::More,
                },
                b'?' => {
                    // The first `>` after a `?` (not the one that opened it) ends it.
                    let fed = &b[1..];
                    let found =
                        memchr::memchr_iter(b'>', fed).find(|&i| i > 0 && fed[i - 1] == b'?');
                    match found {
                        // `quick-xml` reads `<?>` as malformed.
                        Some(i) if i > 1 => Lexed::Skip(i + 2),
                        Some(_) => Lexed::HandOver,
                        None => Lexed::More,
                    }
                }
                _ => match tag_end(&b[1..]) {
                    Some(i) => {
                        let raw = &b[1..1 + i];
                        let (raw, empty) = match raw.strip_suffix(b"/") {
                            Some(r) => (r, true),
                            None => (raw, false),
                        };
                        match std::str::from_utf8(raw) {
                            Ok(content) => Lexed::Token(Piece::Start(content, empty), i + 2),
                            Err(_) => Lexed::HandOver,
                        }
                    }
                    None => Lexed::More,
                },
            }
        }
        b'&' => match memchr::memchr3(b';', b'&', b'<', &b[1..]) {
            Some(i) if b[1 + i] == b';' => Lexed::Token(Piece::Ref(&b[1..1 + i]), i + 2),
            // A lone `&`: text up to the next `&` or markup.
            Some(i) => Lexed::Token(Piece::Text(&b[..1 + i]), 1 + i),
            None if eof => Lexed::Token(Piece::Text(b), b.len()),
            None => Lexed::More,
        },
        _ => match text_end(b) {
            Some(i) => Lexed::Token(Piece::Text(&b[..i]), i),
            None if eof => Lexed::Token(Piece::Text(b), b.len()),
            None => Lexed::More,
        },
    }
}

/// Where the tag whose content starts `b` (after `<`) ends: the first `>` outside quotes.
fn tag_end(b: &[u8]) -> Option<usize> {
    // Tags are short: a plain loop beats setting up a vector search for each.
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'>' if quote == 0 => return Some(i),
            b'"' | b'\'' if quote == 0 => quote = c,
            _ if c == quote => quote = 0,
            _ => {}
        }
    }
    None
}

/// Where the next `<` or `&` is: a short look first (cell values are a few bytes), then a
/// vector search.
fn text_end(b: &[u8]) -> Option<usize> {
    const SHORT: usize = 16;
    if let Some(i) = b.iter().take(SHORT).position(|&c| c == b'<' || c == b'&') {
        return Some(i);
    }
    memchr::memchr2(b'<', b'&', b.get(SHORT..)?).map(|i| i + SHORT)
}

/// XML whitespace, as `quick-xml` has it.
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// The length of an element's name: up to the first XML whitespace.
fn name_len(content: &[u8]) -> usize {
    content
        .iter()
        .position(|&b| is_whitespace(b))
        .unwrap_or(content.len())
}

#[cfg(test)]
mod tests {
    //! The fast path against the reference walk (`quick-xml` alone): the same events and
    //! warnings on every XML part of the Office fixtures, on generated workbooks (shared and
    //! inline strings, rich-text runs, references, numbers, several sheets), on markup the
    //! fast path hands over, on every cut of those documents and on mutated ones, read whole
    //! and a few bytes at a time; and the same parts from whole XLSX files.
    use crate::limits::Budget;
    use crate::xml::{XEv, local, tests::REFERENCE_ONLY, walk, walk_reference};
    use crate::{Ctx, Limits, PartKind, Sink, Warning};
    use std::cell::Cell;
    use std::io::{self, BufReader, Cursor, Read, Write};
    use std::rc::Rc;

    thread_local! {
        /// Bytes of unfinished pieces the fast path kept to split again after a read.
        pub(super) static SPLIT_AGAIN: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn a_piece_longer_than_max_piece_goes_to_quick_xml_instead_of_being_split_again_and_again() {
        // Megabytes of attribute, text and reference name, read 4 KiB at a time: each piece
        // is split again after a read only until it outgrows MAX_PIECE (split again after
        // every read, the attribute alone would be 2 MiB * 2 MiB / 8 KiB = 512 MiB).
        let long = "x".repeat(2 << 20);
        for xml in [
            format!("<a b=\"{long}\"/><t>81.2.69.142</t>"),
            format!("<a>{long}</a><t>81.2.69.142</t>"),
            format!("<a>&{long};</a><t>81.2.69.142</t>"),
        ] {
            SPLIT_AGAIN.with(|c| c.set(0));
            let fast = events(false, xml.as_bytes(), 4096, 1_000);
            let again = SPLIT_AGAIN.with(Cell::get);
            assert!(again < 1 << 20, "{again} bytes split again");
            assert_eq!(fast, events(true, xml.as_bytes(), 4096, 1_000));
        }
    }

    struct Drop;
    impl Sink for Drop {
        fn part(&mut self, _: &str, _: PartKind, text: &mut dyn Read) -> io::Result<()> {
            io::copy(text, &mut io::sink()).map(|_| ())
        }
    }

    /// A reader that hands out at most `step` bytes a call.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// The events (and warnings) of one walk, written out.
    fn events(
        reference: bool,
        xml: &[u8],
        step: usize,
        max_depth: usize,
    ) -> (Vec<String>, Vec<Warning>) {
        let limits = Limits {
            max_xml_depth: max_depth,
            ..Limits::default()
        };
        let mut sink = Drop;
        let mut ctx = Ctx {
            limits: &limits,
            sink: &mut sink,
            warnings: Vec::new(),
            budget: Rc::clone(&Budget::new(u64::MAX)),
            entries: 0,
            sink_error: None,
            budget_warned: false,
            open_windows: 0,
        };
        let mut seen = Vec::new();
        let record = |_: &mut Ctx<'_>, ev: XEv<'_>| {
            seen.push(match ev {
                XEv::Start(e) => format!(
                    "start {:?} {:?} {:?}",
                    String::from_utf8_lossy(local(e)),
                    String::from_utf8_lossy(e),
                    crate::xml::attr_values(e)
                ),
                XEv::End(name) => format!("end {:?}", String::from_utf8_lossy(name)),
                XEv::Text(t) => format!("text {t:?}"),
            });
            Ok(())
        };
        // The reference reads the whole input at once: `quick-xml` drops a leading BOM only
        // when its first read holds all three bytes.
        if reference {
            walk_reference(&mut ctx, "t.xml", xml, record).unwrap();
        } else {
            let input = BufReader::with_capacity(step.clamp(1, 1 << 16), Trickle(xml, step));
            walk(&mut ctx, "t.xml", input, record).unwrap();
        }
        (seen, ctx.warnings)
    }

    fn agree(xml: &[u8]) {
        // (The reference reads the input at once: one walk for every step.)
        let references = [1_000, 3].map(|depth| (depth, events(true, xml, usize::MAX, depth)));
        for step in [usize::MAX, 1, 3, 7, 4096] {
            for (depth, reference) in &references {
                let (depth, reference) = (*depth, reference);
                let fast = events(false, xml, step, depth);
                if fast != *reference {
                    let at = (0..)
                        .find(|&i| fast.0.get(i) != reference.0.get(i))
                        .unwrap_or(0);
                    panic!(
                        "step {step}, depth {depth}, event {at}: fast {:?}, reference {:?}; warnings {:?} / {:?}; input {:?}",
                        fast.0.get(at),
                        reference.0.get(at),
                        fast.1,
                        reference.1,
                        String::from_utf8_lossy(xml)
                    );
                }
            }
        }
    }

    /// A worksheet and shared strings as Excel and openpyxl write them, with inline strings,
    /// rich-text runs, phonetic runs, references, numbers, formulas, empty cells.
    fn sheet(n: usize) -> String {
        let mut s = String::from(
            "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
             <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
             <sheetData>",
        );
        for r in 1..=n {
            s += &format!(
                "<row r=\"{r}\" spans=\"1:6\"><c r=\"A{r}\" t=\"s\"><v>{}</v></c>\
                 <c r=\"B{r}\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> 81.2.69.{} </t></is></c>\
                 <c r=\"C{r}\" t=\"inlineStr\"><is><r><rPr><b/></rPr><t>2a02:</t></r><r><t>cf40::{r:x}</t></r>\
                 <rPh sb=\"0\" eb=\"1\"><t>ph</t></rPh></is></c>\
                 <c r=\"D{r}\"><v>{}</v></c><c r=\"E{r}\" s=\"1\"><f>SUM(D1:D{r})</f><v>1.5E+{r}</v></c>\
                 <c r=\"F{r}\" t=\"str\"><v>89&#46;160&#x2E;20&period;{} &amp; &lt;b&gt; &quot;q&apos; &bogus; &#0; & x</v></c>\
                 <c r=\"G{r}\"/></row>",
                r % 3,
                r % 250,
                r * 7,
                r % 200
            );
        }
        s += "</sheetData><extLst><ext uri=\"{x}\"><x14:a xmlns:x14=\"u\" v='a>b\"c'/></ext></extLst></worksheet>";
        s
    }

    fn shared_strings() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"3\" uniqueCount=\"3\">\
         <si><t>seen with 47.243.26.4</t></si><si><r><t>151.106</t></r><r><rPr><i/></rPr><t>.171.63</t></r></si>\
         <si><t>caf\u{e9} \u{2028} line\r\nnext\u{85} \r end</t><rPh><t>x</t></rPh></si></sst>"
            .to_string()
    }

    /// Markup the fast path hands over, and what is malformed.
    const ODD: &[&str] = &[
        "<a><!-- c > d --><b>t</b><![CDATA[ 1.2.3.4 <x> ]]></a>",
        "<!DOCTYPE a [<!ENTITY e \"v\">]><a>&e;</a>",
        "<a>x</a><?pi data?><??><?>",
        "<a b=\"1\" c='2'  >t</a >< b/><>x</><a/ >",
        "<a>&amp</a><a>&</a><a>&#;&#xZZ;&#1114112;&;</a>&",
        "<a>t</a><b",
        "<a>t</a></b",
        "<a x=\"unclosed>t</a>",
        "<a>\r\r\n\u{85}\u{2028}</a>",
        "\u{FEFF}\u{FEFF}<a>\u{FEFF}</a>",
        "text only",
        "<",
        "<a",
        "</a>",
        "<p:a xmlns:p=\"u\"><p:b p:t=\"s\">x</p:b></p:a>",
    ];

    #[test]
    fn the_fast_path_yields_the_reference_events() {
        agree(sheet(40).as_bytes());
        agree(shared_strings().as_bytes());
        for odd in ODD {
            agree(odd.as_bytes());
        }
        let mut latin1 = b"<a>caf\xe9 1.2.3.4</a><b\xe9>x</b\xe9><c v=\"\xe9\">".to_vec();
        latin1.extend_from_slice(b"\xef\xbb\xbf<d>\xef\xbb</d>");
        agree(&latin1);
        let deep: String = "<a>".repeat(50) + "x" + &"</a>".repeat(50);
        agree(deep.as_bytes());
    }

    #[test]
    fn cut_anywhere_the_fast_path_yields_the_reference_events() {
        let docs = [sheet(3), shared_strings(), ODD.concat()];
        for doc in &docs {
            for cut in 0..doc.len() {
                agree(&doc.as_bytes()[..cut]);
            }
        }
    }

    #[test]
    fn mutated_the_fast_path_yields_the_reference_events() {
        let base = [sheet(6), shared_strings(), ODD.concat()]
            .concat()
            .into_bytes();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let rounds: usize = std::env::var("DOCUMENTS_FUZZ_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200);
        let bytes = b"<>/&;'\"?!=- \r\n\xc2\xe2\x85\xff\xef";
        for _ in 0..rounds {
            let mut doc = base.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % doc.len();
                let b = bytes[(next() as usize) % bytes.len()];
                match next() % 3 {
                    0 => doc[at] = b,
                    1 => doc.insert(at, b),
                    _ => {
                        doc.remove(at);
                    }
                }
            }
            agree(&doc);
        }
    }

    /// Every XML part of every Office fixture.
    #[test]
    fn on_every_office_fixture_the_fast_path_yields_the_reference_events() {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents");
        let mut parts = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            if !["docx", "xlsx", "pptx", "odt", "ods", "odp"].contains(&ext) {
                continue;
            }
            let mut z = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
            for i in 0..z.len() {
                let mut f = z.by_index(i).unwrap();
                if f.name().ends_with(".xml") || f.name().ends_with(".rels") {
                    let mut xml = Vec::new();
                    f.read_to_end(&mut xml).unwrap();
                    agree(&xml);
                    parts += 1;
                }
            }
        }
        assert!(parts >= 20, "{parts} parts");
    }

    /// A workbook: shared strings, two sheets and an inline-string sheet.
    fn workbook() -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        let files = [
            ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>".to_string()),
            (
                "xl/workbook.xml",
                "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>\
                 <sheet name=\"Hosts &amp; nets\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"two\" sheetId=\"2\" r:id=\"rId2\"/>\
                 <sheet name=\"three\" sheetId=\"3\" r:id=\"rId3\"/></sheets></workbook>"
                    .to_string(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/>\
                 <Relationship Id=\"rId2\" Target=\"/xl/worksheets/sheet2.xml\"/>\
                 <Relationship Id=\"rId3\" Target=\"worksheets/sheet3.xml\"/>\
                 <Relationship Id=\"rId9\" TargetMode=\"External\" Target=\"http://203.0.113.9/x\"/></Relationships>"
                    .to_string(),
            ),
            ("xl/sharedStrings.xml", shared_strings()),
            ("xl/worksheets/sheet1.xml", sheet(300)),
            ("xl/worksheets/sheet2.xml", sheet(2)),
            ("xl/worksheets/sheet3.xml", ODD.concat()),
        ];
        for (name, text) in files {
            z.start_file(name, o).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn parts(file: &[u8], reference: bool) -> (Vec<(String, String)>, Vec<Warning>) {
        struct Keep(Vec<(String, String)>);
        impl Sink for Keep {
            fn part(&mut self, found_in: &str, _: PartKind, text: &mut dyn Read) -> io::Result<()> {
                let mut s = String::new();
                text.read_to_string(&mut s)?;
                self.0.push((found_in.to_string(), s));
                Ok(())
            }
        }
        REFERENCE_ONLY.with(|r| r.set(reference));
        let mut keep = Keep(Vec::new());
        let outcome = crate::decode(
            "book.xlsx",
            Cursor::new(file),
            &Limits::default(),
            &mut keep,
        );
        REFERENCE_ONLY.with(|r| r.set(false));
        (keep.0, outcome.warnings)
    }

    #[test]
    fn whole_workbooks_decode_alike_both_ways() {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/documents");
        let mut books = vec![workbook()];
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) == Some("xlsx") {
                books.push(std::fs::read(&path).unwrap());
            }
        }
        assert!(books.len() >= 2);
        for book in &books {
            let fast = parts(book, false);
            assert!(!fast.0.is_empty());
            assert_eq!(fast, parts(book, true));
        }
        let (text, _) = parts(&books[0], false);
        let all: String = text.iter().map(|(_, t)| t.as_str()).collect();
        for expected in [
            "seen with 47.243.26.4",
            "151.106.171.63",
            "89.160.20.7",
            "2a02:cf40::1",
            "81.2.69.1",
        ] {
            assert!(all.contains(expected), "{expected} in {all:.2000}");
        }
    }
}
