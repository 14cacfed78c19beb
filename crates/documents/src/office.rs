//! Office documents inside a ZIP: DOCX (body, headers, footers, footnotes, endnotes, comments,
//! the HTML or text parts of `altChunk`s), XLSX (every sheet, shared and inline strings,
//! numbers; each sheet's page headers and footers, notes and threaded comments), PPTX (slides
//! and their notes), ODT/ODS/ODP (`content.xml`, ODT headers and footers), plus external link
//! targets of OOXML relationships and the files an OOXML package embeds (decoded as an
//! archive's members are). Runs of a paragraph are joined; paragraphs, cells, tabs and breaks
//! separate.
//! Text that tracked changes remove (DOCX `del` and `moveFrom`, ODF `tracked-changes`) is left
//! out: what is read is the document with its changes accepted.

use crate::limits::{Capped, read_capped};
use crate::text::{Sep, TextOut, clean_name};
use crate::xml::{XEv, attr, attr_cow, local, walk};
use crate::{
    Ctx, DOCUMENT_LIMIT, DOCUMENT_PARTIAL, DOCUMENT_UNSUPPORTED, Format, archive, decode_reader,
    html, sniff,
};
use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read, Seek};
use zip::ZipArchive;

/// Recognises an Office document from the entry names (and the ODF `mimetype` entry).
pub(crate) fn kind<R: Read + Seek>(a: &mut ZipArchive<R>) -> Option<Format> {
    let has = |a: &ZipArchive<R>, n: &str| a.index_for_name(n).is_some();
    if has(a, "word/document.xml") {
        return Some(Format::Docx);
    }
    if has(a, "xl/workbook.xml") {
        return Some(Format::Xlsx);
    }
    if has(a, "ppt/presentation.xml") {
        return Some(Format::Pptx);
    }
    if has(a, "content.xml") {
        let mut mime = String::new();
        if let Ok(f) = a.by_name("mimetype") {
            let _ = f.take(200).read_to_string(&mut mime);
        }
        let mime = mime.trim();
        if mime.starts_with("application/vnd.oasis.opendocument.text") {
            return Some(Format::Odt);
        }
        if mime.starts_with("application/vnd.oasis.opendocument.spreadsheet") {
            return Some(Format::Ods);
        }
        if mime.starts_with("application/vnd.oasis.opendocument.presentation") {
            return Some(Format::Odp);
        }
    }
    None
}

/// Decodes an Office document of the given kind, found at `depth` (the files it embeds are
/// at `depth + 1`).
pub(crate) fn decode<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    kind: Format,
    depth: usize,
) -> io::Result<()> {
    match kind {
        Format::Docx => docx(ctx, label, a, depth)?,
        Format::Xlsx => xlsx(ctx, label, a)?,
        Format::Pptx => pptx(ctx, label, a)?,
        _ => odf(ctx, label, a, kind)?,
    }
    if matches!(kind, Format::Docx | Format::Xlsx | Format::Pptx) {
        links(ctx, label, a)?;
        embeddings(ctx, label, a, kind, depth)?;
    }
    Ok(())
}

/// Walks one entry of the archive (if present) with `f`.
fn walk_entry<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    entry: &str,
    f: impl FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let file = match a.by_name(entry) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(()),
        Err(e) => {
            ctx.warn(
                DOCUMENT_PARTIAL,
                format!("{label}: cannot read {entry}: {e}"),
            );
            return Ok(());
        }
    };
    let capped = Capped::new(file, &ctx.budget);
    walk(ctx, label, BufReader::with_capacity(64 << 10, capped), f)?;
    ctx.note_budget(label);
    Ok(())
}

/// Entry names matching `prefix<number>.xml`, in numeric order.
fn numbered<R: Read + Seek>(a: &ZipArchive<R>, prefix: &str) -> Vec<String> {
    let mut v: Vec<(u64, String)> = a
        .file_names()
        .filter_map(|n| {
            let num = n.strip_prefix(prefix)?.strip_suffix(".xml")?;
            Some((num.parse().ok()?, n.to_string()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, n)| n).collect()
}

/// The state of [`ooxml_text`] within one part.
#[derive(Default)]
struct OoxmlText {
    /// Inside a `t` or `instrText` element: its text is read.
    in_text: bool,
    /// Inside `del` and `moveFrom` elements: tracked changes that remove their text (a
    /// deletion, the old place of moved text), which a reader of the document with its changes
    /// accepted no longer sees.
    removed: LeftOut,
    /// A footnote or endnote reference was read in the current run: its mark, a raised
    /// number (or the run's own text, for a custom mark), stands apart from the text around.
    in_note_reference: bool,
    /// The relationship ids of the part's `altChunk` elements, in document order.
    alt_chunks: Vec<String>,
}

/// The nesting depth of elements whose text is left out (DOCX tracked deletions, the ODF
/// record of changes…).
#[derive(Default)]
struct LeftOut(usize);

impl LeftOut {
    /// Whether `ev` is left out: it opens or closes one of the elements `names` (counted), or
    /// stands inside one.
    fn skips(&mut self, ev: &XEv<'_>, names: &[&[u8]]) -> bool {
        match ev {
            XEv::Start(e) if names.contains(&local(e)) => self.0 += 1,
            XEv::End(name) if self.0 > 0 && names.contains(name) => self.0 -= 1,
            _ => return self.0 > 0,
        }
        true
    }
}

/// The most `altChunk` parts a part lists that are read (each is an entry of the package,
/// charged to `max_entries` as it is read).
const MAX_ALT_CHUNKS: usize = 10_000;

/// WordprocessingML and DrawingML text: `t` runs joined, paragraphs, cells, tabs and breaks
/// separate; field instructions (`instrText`) are kept as separate tokens; text removed by a
/// tracked change (`del`, `moveFrom`) is left out, and so is the `mc:Fallback` of alternate
/// content (Word writes a text box twice, as DrawingML and again as VML: it is read once, from
/// the `mc:Choice`).
fn ooxml_text(out: &mut TextOut, st: &mut OoxmlText, ev: XEv<'_>) {
    if st.removed.skips(&ev, &[b"del", b"moveFrom", b"Fallback"]) {
        return;
    }
    match ev {
        XEv::Start(e) => match local(e) {
            b"t" => st.in_text = true,
            b"instrText" => {
                st.in_text = true;
                out.sep(Sep::Space);
            }
            // Each part once, at most as many as an archive's members: a few bytes of markup
            // repeated must not make millions of look-ups.
            b"altChunk" if st.alt_chunks.len() < MAX_ALT_CHUNKS => {
                if let Some(id) = rel_id(e).filter(|id| !st.alt_chunks.contains(id)) {
                    st.alt_chunks.push(id);
                }
            }
            b"footnoteReference" | b"endnoteReference" => {
                st.in_note_reference = true;
                out.sep(Sep::Space);
            }
            b"tab" => out.sep(Sep::Tab),
            // A text box stands apart from the paragraph that anchors it.
            b"br" | b"cr" | b"txbxContent" => out.sep(Sep::Line),
            b"noBreakHyphen" => out.push("-"),
            // A simple field keeps its instruction in an attribute (`HYPERLINK "http://…"`),
            // where `instrText` holds a complex field's.
            b"fldSimple" => {
                if let Some(instr) = attr_cow(e, b"instr") {
                    out.sep(Sep::Space);
                    out.push(instr.trim());
                    out.sep(Sep::Space);
                }
            }
            _ => {}
        },
        XEv::End(name) => match name {
            b"t" => st.in_text = false,
            b"instrText" => {
                st.in_text = false;
                out.sep(Sep::Space);
            }
            b"r" if st.in_note_reference => {
                st.in_note_reference = false;
                out.sep(Sep::Space);
            }
            b"p" | b"tr" => out.sep(Sep::Line),
            b"tc" => out.sep(Sep::Tab),
            _ => {}
        },
        XEv::Text(t) => {
            if st.in_text {
                out.push(t)
            }
        }
    }
}

fn docx<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    depth: usize,
) -> io::Result<()> {
    let mut parts: Vec<(String, String)> = vec![("word/document.xml".into(), label.to_string())];
    for h in numbered(a, "word/header") {
        parts.push((h, format!("{label} header")));
    }
    for h in numbered(a, "word/footer") {
        parts.push((h, format!("{label} footer")));
    }
    for (entry, suffix) in [
        ("word/footnotes.xml", "footnotes"),
        ("word/endnotes.xml", "endnotes"),
        ("word/comments.xml", "comments"),
    ] {
        parts.push((entry.into(), format!("{label} {suffix}")));
    }
    for (entry, part_label) in parts {
        let mut out = TextOut::new(part_label.clone());
        let mut st = OoxmlText::default();
        walk_entry(ctx, &part_label, a, &entry, |ctx, ev| {
            ooxml_text(&mut out, &mut st, ev);
            out.maybe_flush(ctx)
        })?;
        out.flush(ctx)?;
        if !st.alt_chunks.is_empty() {
            alt_chunks(ctx, &part_label, a, &entry, &st.alt_chunks, depth)?;
        }
    }
    core_properties(ctx, label, a)
}

/// The parts that the `altChunk` elements of a WordprocessingML part bring in (`ids`: their
/// relationships, in document order): HTML, plain text, RTF, MHT or a whole document, which
/// Word shows in place of the element as text of the document. Each is read after the part
/// that holds it, as `report.docx altChunk afchunk.html`, by its content type.
fn alt_chunks<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    part_label: &str,
    a: &mut ZipArchive<R>,
    part: &str,
    ids: &[String],
    depth: usize,
) -> io::Result<()> {
    if !ctx.may_nest(part_label, depth) {
        return Ok(());
    }
    let (dir, rels_entry) = rels_of(part);
    let rel = rels(ctx, part_label, a, &rels_entry)?;
    let entries: Vec<String> = ids
        .iter()
        .filter_map(|id| rel.get(id))
        .filter(|r| !r.external)
        .map(|r| resolve(dir, &r.target))
        .collect();
    let types = content_types(ctx, part_label, a, &entries)?;
    for (entry, content_type) in entries.iter().zip(types) {
        let name = entry.rsplit('/').next().unwrap_or(entry);
        let child = format!("{part_label} altChunk {}", clean_name(name));
        let read_as = match content_type.as_deref() {
            Some("text/html" | "application/xhtml+xml") => ReadAs::Html,
            Some("text/plain") => ReadAs::Text,
            _ => ReadAs::Recognised,
        };
        if !member(ctx, &child, a, entry, depth, read_as)? || ctx.budget.remaining() == 0 {
            break;
        }
    }
    Ok(())
}

/// The content type (`[Content_Types].xml`: an `Override` for the part, else the `Default` for
/// its extension; lower case) of each of `parts`. Only the types of those parts are kept, however
/// many the package declares.
fn content_types<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    parts: &[String],
) -> io::Result<Vec<Option<String>>> {
    // Part names and extensions compare without regard to case (OPC, ECMA-376-2 §9.1.1.4).
    let wanted: HashMap<String, usize> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_ascii_lowercase(), i))
        .collect();
    let extension = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
    };
    let mut overrides: Vec<Option<String>> = vec![None; parts.len()];
    let mut defaults: HashMap<String, String> = parts
        .iter()
        .filter_map(|p| extension(p))
        .map(|e| (e, String::new()))
        .collect();
    walk_entry(ctx, label, a, "[Content_Types].xml", |_, ev| {
        if let XEv::Start(e) = ev {
            match local(e) {
                b"Override" => {
                    let name = attr(e, b"PartName").unwrap_or_default();
                    let name = name.trim_start_matches('/').to_ascii_lowercase();
                    if let (Some(&i), Some(t)) = (wanted.get(&name), attr(e, b"ContentType")) {
                        overrides[i] = Some(t.to_ascii_lowercase());
                    }
                }
                b"Default" => {
                    let ext = attr(e, b"Extension")
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if let (Some(slot), Some(t)) = (defaults.get_mut(&ext), attr(e, b"ContentType"))
                    {
                        *slot = t.to_ascii_lowercase();
                    }
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(parts
        .iter()
        .zip(overrides)
        .map(|(p, o)| {
            o.or_else(|| {
                extension(p)
                    .and_then(|e| defaults.get(&e).cloned())
                    .filter(|t| !t.is_empty())
            })
        })
        .collect())
}

/// Files embedded in an OOXML package (`word/embeddings/`, `xl/embeddings/`,
/// `ppt/embeddings/`: workbooks, documents, presentations, OLE objects…), in name order, each
/// decoded as an archive's member is, as `report.docx embedded Microsoft_Excel_Worksheet.xlsx`.
fn embeddings<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    kind: Format,
    depth: usize,
) -> io::Result<()> {
    let folder = match kind {
        Format::Docx => "word/embeddings/",
        Format::Xlsx => "xl/embeddings/",
        Format::Pptx => "ppt/embeddings/",
        _ => return Ok(()),
    };
    let mut entries: Vec<String> = a
        .file_names()
        .filter(|n| n.len() > folder.len() && n.starts_with(folder) && !n.ends_with('/'))
        .map(str::to_string)
        .collect();
    if entries.is_empty() || !ctx.may_nest(label, depth) {
        return Ok(());
    }
    entries.sort();
    for entry in entries {
        let child = format!("{label} embedded {}", clean_name(&entry[folder.len()..]));
        if !member(ctx, &child, a, &entry, depth, ReadAs::Recognised)?
            || ctx.budget.remaining() == 0
        {
            break;
        }
    }
    Ok(())
}

/// How [`member`] reads a file.
enum ReadAs {
    /// As HTML, whatever its first bytes look like (an altChunk of type `text/html` may be a
    /// fragment).
    Html,
    /// As plain text: handed on as raw bytes, as a text file is.
    Text,
    /// Recognised by its content, as an archive's member is.
    Recognised,
}

/// Decodes a part of the package that is a file of its own (an altChunk, an embedded file)
/// under `child`, as [`archive::zip`] decodes a member: counted against `max_entries`, read
/// through the decoded-bytes budget, its own members at `depth + 1`. False once `max_entries`
/// is reached (this and later members are skipped).
fn member<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    child: &str,
    a: &mut ZipArchive<R>,
    entry: &str,
    depth: usize,
    read_as: ReadAs,
) -> io::Result<bool> {
    let Some(index) = a.index_for_name(entry) else {
        ctx.warn(
            DOCUMENT_PARTIAL,
            format!("{child}: the part {} is missing", clean_name(entry)),
        );
        return Ok(true);
    };
    if !ctx.take_entry(child) {
        return Ok(false);
    }
    let method = a
        .by_index_raw(index)
        .map_or(zip::CompressionMethod::Stored, |f| f.compression());
    let file = match a.by_index(index) {
        Ok(f) => f,
        Err(e) => {
            archive::entry_error(ctx, child, e, method);
            return Ok(true);
        }
    };
    let mut input = Capped::new(file, &ctx.budget);
    let read = match read_as {
        ReadAs::Html => {
            let cap = ctx.limits.max_buffer_bytes;
            match read_capped(&mut input, cap, None) {
                Ok((buf, false)) => html::decode(ctx, child, &buf),
                Ok((buf, true)) => {
                    ctx.warn(
                        DOCUMENT_LIMIT,
                        format!("{child}: larger than max_buffer_bytes ({cap}); handed on as raw bytes, not decoded as HTML"),
                    );
                    ctx.emit_raw(child, &mut Cursor::new(buf).chain(input))
                }
                Err(e) => Err(e),
            }
        }
        ReadAs::Text => ctx.emit_raw(child, &mut input),
        ReadAs::Recognised => recognised(ctx, child, &mut input, depth),
    };
    if let Err(e) = read {
        ctx.branch_error(child, e)?;
    }
    ctx.note_budget(child);
    Ok(true)
}

/// Decodes an embedded file by its content; an OLE object (a compound file that is not an
/// Outlook message: a legacy Word or Excel file, a packaged file) has only its raw bytes
/// scanned, which is said in a warning.
fn recognised(
    ctx: &mut Ctx<'_>,
    child: &str,
    input: &mut dyn Read,
    depth: usize,
) -> io::Result<()> {
    let mut head = Vec::new();
    input.take(8).read_to_end(&mut head)?;
    let compound = sniff::sniff(&head) == Format::Msg;
    let format = decode_reader(ctx, child, &mut Cursor::new(head).chain(input), depth + 1)?;
    if compound && format == Format::Other {
        ctx.warn(
            DOCUMENT_UNSUPPORTED,
            format!("{child}: OLE object not decoded; only its raw bytes were scanned"),
        );
    }
    Ok(())
}

/// `docProps/core.xml`: title, subject, author, keywords, description.
fn core_properties<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
) -> io::Result<()> {
    let part_label = format!("{label} properties");
    let mut out = TextOut::new(part_label.clone());
    walk_entry(ctx, &part_label, a, "docProps/core.xml", |ctx, ev| {
        match ev {
            XEv::Text(t) => out.push(t),
            _ => out.sep(Sep::Line),
        }
        out.maybe_flush(ctx)
    })?;
    out.flush(ctx)
}

/// One relationship of a `.rels` entry.
struct Rel {
    /// Where it points: a part, relative to the folder of the part that owns it, or (external)
    /// a URL.
    target: String,
    /// Its type: a URI whose last segment names it (`…/relationships/comments`).
    kind: String,
    /// The target is outside the package (a hyperlink).
    external: bool,
}

impl Rel {
    /// Whether the type's last segment is `name` (the transitional and strict URIs differ in
    /// the rest).
    fn is(&self, name: &str) -> bool {
        self.kind.rsplit('/').next() == Some(name)
    }
}

/// The relationships of a `.rels` entry, by Id.
fn rels<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    entry: &str,
) -> io::Result<HashMap<String, Rel>> {
    let mut map = HashMap::new();
    walk_entry(ctx, label, a, entry, |_, ev| {
        if let XEv::Start(e) = ev {
            if local(e) == b"Relationship" {
                if let (Some(id), Some(target)) = (attr(e, b"Id"), attr(e, b"Target")) {
                    let external =
                        attr(e, b"TargetMode").is_some_and(|m| m.eq_ignore_ascii_case("External"));
                    let kind = attr(e, b"Type").unwrap_or_default();
                    map.insert(
                        id,
                        Rel {
                            target,
                            kind,
                            external,
                        },
                    );
                }
            }
        }
        Ok(())
    })?;
    Ok(map)
}

/// The folder of a part, and the entry of its relationships (`xl/worksheets/sheet1.xml` →
/// `xl/worksheets`, `xl/worksheets/_rels/sheet1.xml.rels`).
fn rels_of(part: &str) -> (&str, String) {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    (dir, format!("{dir}/_rels/{file}.rels"))
}

/// The `r:id` attribute (relationship id) of an element: local name `id` with a prefix.
fn rel_id(e: &quick_xml::events::BytesStart<'_>) -> Option<String> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    attrs
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"id" && a.key.prefix().is_some())
        .map(|a| crate::text::bytes_to_string(&a.value))
}

/// Resolves a relationship target against the folder of the part that owns it.
fn resolve(base_dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut segs: Vec<&str> = base_dir.split('/').filter(|s| !s.is_empty()).collect();
    for s in target.split('/') {
        match s {
            ".." => {
                segs.pop();
            }
            "." | "" => {}
            s => segs.push(s),
        }
    }
    segs.join("/")
}

/// External targets (hyperlinks) of every relationship part, as one `links` part.
fn links<R: Read + Seek>(ctx: &mut Ctx<'_>, label: &str, a: &mut ZipArchive<R>) -> io::Result<()> {
    let part_label = format!("{label} links");
    let names: Vec<String> = a
        .file_names()
        .filter(|n| n.ends_with(".rels"))
        .map(str::to_string)
        .collect();
    let mut out = TextOut::new(part_label.clone());
    for n in names {
        let mut targets: Vec<String> = rels(ctx, &part_label, a, &n)?
            .into_values()
            .filter(|r| r.external)
            .map(|r| r.target)
            .collect();
        targets.sort();
        for t in targets {
            out.push(&t);
            out.sep(Sep::Line);
        }
    }
    out.flush(ctx)
}

/// A workbook's shared strings, one after the other in one buffer (a workbook may hold
/// millions of them: one allocation each cost more than the strings).
#[derive(Default)]
struct SharedStrings {
    /// The strings, and the text of the one being read.
    text: String,
    /// Where each string ends in `text` (it starts where the one before ends).
    ends: Vec<usize>,
}

impl SharedStrings {
    /// Ends the string being read; an empty one when `dropped` (over the cap).
    fn end_string(&mut self, dropped: bool) {
        if dropped {
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
        self.ends.push(self.text.len());
    }

    /// The `i`-th string.
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }
}

fn xlsx<R: Read + Seek>(ctx: &mut Ctx<'_>, label: &str, a: &mut ZipArchive<R>) -> io::Result<()> {
    // Shared strings: each `si` is one string (rich runs joined, phonetic runs left out).
    let mut shared = SharedStrings::default();
    let cap = ctx.limits.max_buffer_bytes;
    let (mut in_t, mut in_rph, mut full) = (false, false, false);
    walk_entry(ctx, label, a, "xl/sharedStrings.xml", |ctx, ev| {
        match ev {
            XEv::Start(e) => match local(e) {
                b"t" => in_t = true,
                b"rPh" => in_rph = true,
                _ => {}
            },
            XEv::End(b"t") => in_t = false,
            XEv::End(b"rPh") => in_rph = false,
            XEv::End(b"si") => {
                if shared.text.len() as u64 > cap && !full {
                    full = true;
                    ctx.warn(DOCUMENT_LIMIT, format!("{label}: shared strings exceed max_buffer_bytes ({cap}); later ones are missing"));
                }
                shared.end_string(full);
            }
            XEv::Text(t) if in_t && !in_rph && !full => shared.text.push_str(t),
            _ => {}
        }
        Ok(())
    })?;

    // Sheets in workbook order, with their names.
    let mut sheets: Vec<(String, String)> = Vec::new();
    walk_entry(ctx, label, a, "xl/workbook.xml", |_, ev| {
        if let XEv::Start(e) = ev {
            if local(e) == b"sheet" {
                if let (Some(name), Some(id)) = (attr(e, b"name"), rel_id(e)) {
                    sheets.push((name, id));
                }
            }
        }
        Ok(())
    })?;
    let rel = rels(ctx, label, a, "xl/_rels/workbook.xml.rels")?;
    let mut entries: Vec<(String, String)> = sheets
        .into_iter()
        .filter_map(|(name, id)| rel.get(&id).map(|r| (resolve("xl", &r.target), name)))
        .collect();
    if entries.is_empty() {
        entries = numbered(a, "xl/worksheets/sheet")
            .into_iter()
            .map(|n| (n.clone(), n))
            .collect();
    }
    for (entry, name) in entries {
        let part_label = format!("{label} sheet \"{}\"", clean_name(&name));
        let mut out = TextOut::new(part_label.clone());
        // The sheet's tab shows its name.
        out.push(&name);
        out.sep(Sep::Line);
        let (mut shared_cell, mut value, mut in_v, mut in_t) = (false, String::new(), false, false);
        // The columns whose header (the sheet's first row of two cells or more: a title
        // above it is none) names a version, by column number, and the column of the cell
        // being read: a version under them is written after its header (`FileVersion:
        // 8.0.6.0`), as a reader reads it under its column.
        let (mut version_columns, mut column, mut header_row) =
            (Vec::<(usize, String)>::new(), 0usize, true);
        let mut filled = 0usize;
        // A cell's formula, read for the target of a `HYPERLINK()`.
        let (mut in_f, mut formula) = (false, String::new());
        // The page headers and footers (`headerFooter`), and which of the two is being read.
        let mut pages = [
            TextOut::new(format!("{part_label} header")),
            TextOut::new(format!("{part_label} footer")),
        ];
        let (mut page, mut codes) = (None, HeaderFooterCodes::default());
        walk_entry(ctx, &part_label, a, &entry, |ctx, ev| {
            match ev {
                XEv::Start(e) => match local(e) {
                    b"c" => {
                        shared_cell = attr_cow(e, b"t").is_some_and(|t| t == "s");
                        value.clear();
                        formula.clear();
                        column = attr_cow(e, b"r").map_or(column + 1, |r| column_number(&r));
                    }
                    b"row" => (column, filled) = (0, 0),
                    b"v" => in_v = true,
                    b"f" => in_f = true,
                    b"t" => in_t = true,
                    b"oddHeader" | b"evenHeader" | b"firstHeader" => {
                        (page, codes) = (Some(0), HeaderFooterCodes::default())
                    }
                    b"oddFooter" | b"evenFooter" | b"firstFooter" => {
                        (page, codes) = (Some(1), HeaderFooterCodes::default())
                    }
                    _ => {}
                },
                XEv::End(name) => match name {
                    b"v" => in_v = false,
                    b"f" => in_f = false,
                    b"t" => in_t = false,
                    b"oddHeader" | b"evenHeader" | b"firstHeader" | b"oddFooter"
                    | b"evenFooter" | b"firstFooter" => {
                        if let Some(p) = page.take() {
                            pages[p].sep(Sep::Line);
                        }
                    }
                    b"c" => {
                        out.sep(Sep::Tab);
                        let text = if shared_cell {
                            value
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| shared.get(i))
                                .unwrap_or_default()
                        } else {
                            &value
                        };
                        if header_row {
                            filled += usize::from(!text.trim().is_empty());
                            let name = text.trim();
                            if crate::table::names_version(name.as_bytes()) {
                                version_columns.push((column, name.to_string()));
                            }
                        } else if let Some((_, header)) =
                            version_columns.iter().find(|(c, _)| *c == column)
                        {
                            if !text.trim().is_empty() {
                                out.label(header);
                            }
                        }
                        out.push(text);
                        if let Some(target) = hyperlink_target(&formula) {
                            out.sep(Sep::Tab);
                            out.push(&target);
                        }
                        out.sep(Sep::Tab);
                    }
                    b"row" => {
                        out.sep(Sep::Line);
                        if header_row && filled < 2 {
                            // A title, or nothing: the header is further down.
                            version_columns.clear();
                        } else {
                            header_row = false;
                        }
                    }
                    _ => {}
                },
                XEv::Text(t) => {
                    if let Some(p) = page {
                        codes.read(&mut pages[p], t);
                        pages[p].maybe_flush(ctx)?;
                    } else if in_v || in_t {
                        value.push_str(t);
                    } else if in_f && formula.len() < 8 * 1024 {
                        formula.push_str(t);
                    }
                }
            }
            out.maybe_flush(ctx)
        })?;
        out.flush(ctx)?;
        for mut p in pages {
            p.flush(ctx)?;
        }
        sheet_comments(ctx, &part_label, a, &entry)?;
    }
    Ok(())
}

/// The number of a cell's column from its reference (`E5`: 5; `AA1`: 27).
fn column_number(reference: &str) -> usize {
    reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .fold(0usize, |n, b| {
            n.saturating_mul(26)
                .saturating_add(usize::from(b.to_ascii_uppercase() - b'A' + 1))
        })
}

/// The link target of a `HYPERLINK("target", "name")` formula, when written as a string (the
/// cell shows the name; the target is where a click goes).
fn hyperlink_target(formula: &str) -> Option<String> {
    const CALL: &[u8] = b"HYPERLINK(";
    let at = formula
        .as_bytes()
        .windows(CALL.len())
        .position(|w| w.eq_ignore_ascii_case(CALL))?;
    let rest = formula[at + CALL.len()..].trim_start();
    let mut chars = rest.strip_prefix('"')?.chars();
    let mut target = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.as_str().starts_with('"') => {
                chars.next();
                target.push('"');
            }
            '"' => return Some(target),
            c => target.push(c),
        }
    }
    None
}

/// The text of a sheet's page header or footer, read through the formatting codes written
/// inline with it (ECMA-376 §18.3.1.39): `&L`, `&C` and `&R` start the left, centre and right
/// sections; `&P`, `&N`, `&D`, `&T`, `&A`, `&F`, `&Z` and `&G` print a field (page number,
/// date, sheet name, picture…); `&B`, `&I`, `&U`, `&"Arial,Bold"`, `&12` (size) and `&KFF0000`
/// (colour) change the look of the text that follows, which joins the text before as a run
/// of a paragraph does; `&&` is an ampersand. The text arrives in pieces (a reference such
/// as `&amp;` is one): the code being read is kept between them.
#[derive(Default)]
struct HeaderFooterCodes {
    code: Code,
}

/// Where [`HeaderFooterCodes`] is in the code being read.
#[derive(Default, Clone, Copy)]
enum Code {
    /// Text, no code.
    #[default]
    None,
    /// After `&`.
    Amp,
    /// Inside the quotes of `&"font,style"`.
    Font,
    /// After `&` and this many digits of a font size (at most three).
    Size(u8),
    /// After `&K` and this many characters of a colour (six: `RRGGBB`, or a theme colour
    /// `TTsNNN`).
    Colour(u8),
    /// After `&P` or `&N`, which may add or take a number (`&P+1`).
    Field,
    /// In the digits after `&P+` or `&N-`.
    FieldOffset,
}

impl HeaderFooterCodes {
    /// Reads one piece of the text into `out`.
    fn read(&mut self, out: &mut TextOut, text: &str) {
        let mut buf = [0u8; 4];
        for c in text.chars() {
            if self.code(out, c) {
                continue;
            }
            if c == '&' {
                self.code = Code::Amp;
            } else {
                out.push(c.encode_utf8(&mut buf));
            }
        }
    }

    /// Reads `c` as part of the code being read; false if it is not part of one (no code is
    /// being read, or `c` ends it): it is then text, or the start of the next code.
    fn code(&mut self, out: &mut TextOut, c: char) -> bool {
        self.code = match (self.code, c) {
            (Code::None, _) => return false,
            (Code::Amp, '&') => {
                out.push("&");
                Code::None
            }
            (Code::Amp, 'L' | 'C' | 'R') => {
                out.sep(Sep::Tab);
                Code::None
            }
            // A field's value is a word of its own.
            (Code::Amp, 'P' | 'N') => {
                out.sep(Sep::Space);
                Code::Field
            }
            (Code::Amp, 'D' | 'T' | 'A' | 'F' | 'Z' | 'G') => {
                out.sep(Sep::Space);
                Code::None
            }
            (Code::Amp, 'B' | 'I' | 'U' | 'E' | 'S' | 'X' | 'Y' | 'O' | 'H') => Code::None,
            (Code::Amp, '"') => Code::Font,
            (Code::Amp, 'K') => Code::Colour(0),
            (Code::Amp, '0'..='9') => Code::Size(1),
            (Code::Font, '"') => Code::None,
            (Code::Font, _) => Code::Font,
            (Code::Size(n), '0'..='9') if n < 3 => Code::Size(n + 1),
            (Code::Colour(n), c) if n < 6 && (c.is_ascii_hexdigit() || c == '+' || c == '-') => {
                Code::Colour(n + 1)
            }
            (Code::Field, '+' | '-') => Code::FieldOffset,
            (Code::FieldOffset, '0'..='9') => Code::FieldOffset,
            // A character that cannot continue the code ends it, and is text (after a lone
            // `&`, which is dropped).
            (Code::Amp | Code::Size(_) | Code::Colour(_) | Code::Field | Code::FieldOffset, _) => {
                self.code = Code::None;
                return false;
            }
        };
        true
    }
}

/// A sheet's notes (`comments`, reached through the sheet's relationships: the `t` runs of each
/// comment joined, phonetic runs left out) and threaded comments (the `text` of each), as one
/// part, `… sheet "Name" comments`.
fn sheet_comments<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    sheet_label: &str,
    a: &mut ZipArchive<R>,
    sheet: &str,
) -> io::Result<()> {
    let part_label = format!("{sheet_label} comments");
    let (dir, rels_entry) = rels_of(sheet);
    let mut parts: Vec<(bool, String)> = rels(ctx, &part_label, a, &rels_entry)?
        .into_values()
        .filter(|r| !r.external && (r.is("comments") || r.is("threadedComment")))
        .map(|r| (r.is("threadedComment"), resolve(dir, &r.target)))
        .collect();
    parts.sort();
    parts.dedup();
    let mut out = TextOut::new(part_label.clone());
    for (threaded, entry) in parts {
        // A note's text is in `t` runs inside its `text`; a threaded comment's is `text` itself.
        let text_element: &[u8] = if threaded { b"text" } else { b"t" };
        let (mut in_text, mut in_phonetic) = (false, false);
        walk_entry(ctx, &part_label, a, &entry, |ctx, ev| {
            match ev {
                XEv::Start(e) => match local(e) {
                    b"rPh" => in_phonetic = true,
                    name if name == text_element => in_text = true,
                    _ => {}
                },
                XEv::End(b"rPh") => in_phonetic = false,
                XEv::End(b"comment" | b"threadedComment") => out.sep(Sep::Line),
                XEv::End(name) if name == text_element => in_text = false,
                XEv::Text(t) if in_text && !in_phonetic => out.push(t),
                _ => {}
            }
            out.maybe_flush(ctx)
        })?;
        out.sep(Sep::Line);
    }
    out.flush(ctx)
}

fn pptx<R: Read + Seek>(ctx: &mut Ctx<'_>, label: &str, a: &mut ZipArchive<R>) -> io::Result<()> {
    let mut ids: Vec<String> = Vec::new();
    walk_entry(ctx, label, a, "ppt/presentation.xml", |_, ev| {
        if let XEv::Start(e) = ev {
            if local(e) == b"sldId" {
                if let Some(id) = rel_id(e) {
                    ids.push(id);
                }
            }
        }
        Ok(())
    })?;
    let rel = rels(ctx, label, a, "ppt/_rels/presentation.xml.rels")?;
    let mut slides: Vec<String> = ids
        .iter()
        .filter_map(|id| rel.get(id).map(|r| resolve("ppt", &r.target)))
        .collect();
    if slides.is_empty() {
        slides = numbered(a, "ppt/slides/slide");
    }
    for (i, slide) in slides.iter().enumerate() {
        let slide_label = format!("{label} slide {}", i + 1);
        drawing_text(ctx, &slide_label, a, slide)?;
        let (dir, rels_entry) = rels_of(slide);
        let slide_rels = rels(ctx, &slide_label, a, &rels_entry)?;
        let mut notes: Vec<String> = slide_rels
            .values()
            .filter(|r| !r.external && r.target.contains("notesSlide"))
            .map(|r| resolve(dir, &r.target))
            .collect();
        notes.sort();
        for n in notes {
            drawing_text(ctx, &format!("{slide_label} notes"), a, &n)?;
        }
    }
    Ok(())
}

fn drawing_text<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    part_label: &str,
    a: &mut ZipArchive<R>,
    entry: &str,
) -> io::Result<()> {
    let mut out = TextOut::new(part_label.to_string());
    let mut st = OoxmlText::default();
    walk_entry(ctx, part_label, a, entry, |ctx, ev| {
        ooxml_text(&mut out, &mut st, ev);
        out.maybe_flush(ctx)
    })?;
    out.flush(ctx)
}

fn odf<R: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    a: &mut ZipArchive<R>,
    kind: Format,
) -> io::Result<()> {
    let mut out = TextOut::new(label.to_string());
    let mut links: Vec<String> = Vec::new();
    let mut pages = 0usize;
    // Depth inside elements whose text is not the document's: `tracked-changes`, the record of
    // changes (the text of deletions, who made each change when), and `note-citation`, a
    // note's number, drawn raised after the text the note is about.
    let mut hidden = LeftOut::default();
    // Depth inside `annotation`s (comments), whose author and date stand apart from the
    // comment's text.
    let mut annotations = 0usize;
    walk_entry(ctx, label, a, "content.xml", |ctx, ev| {
        if hidden.skips(&ev, &[b"tracked-changes", b"note-citation"]) {
            // Nothing is gathered in there: only the opening tag may find a chunk to hand out.
            return out.maybe_flush(ctx);
        }
        match ev {
            XEv::Start(e) => {
                let name = local(e);
                match name {
                    b"tab" => out.sep(Sep::Tab),
                    b"line-break" => out.sep(Sep::Line),
                    b"s" => out.sep(Sep::Space),
                    // A note's body, or a comment, is read where it stands, apart from the text
                    // around.
                    b"note" => out.sep(Sep::Space),
                    b"annotation" => {
                        annotations += 1;
                        out.sep(Sep::Space);
                    }
                    b"table" if kind == Format::Ods => {
                        let sheet = attr(e, b"name").unwrap_or_default();
                        out.relabel(ctx, format!("{label} sheet \"{}\"", clean_name(&sheet)))?;
                        // The sheet's tab shows its name.
                        out.push(&sheet);
                        out.sep(Sep::Line);
                    }
                    b"page" if kind == Format::Odp => {
                        pages += 1;
                        out.relabel(ctx, format!("{label} slide {pages}"))?;
                    }
                    b"a" => {
                        if let Some(h) = attr(e, b"href") {
                            links.push(h);
                        }
                    }
                    _ => {}
                }
            }
            XEv::End(name) => match name {
                b"p" | b"h" | b"list-item" | b"table-row" | b"frame" => out.sep(Sep::Line),
                b"table-cell" => out.sep(Sep::Tab),
                b"note" => out.sep(Sep::Space),
                b"annotation" => {
                    annotations = annotations.saturating_sub(1);
                    out.sep(Sep::Space);
                }
                b"creator" | b"date" | b"date-string" if annotations > 0 => out.sep(Sep::Line),
                _ => {}
            },
            XEv::Text(t) => out.push(t),
        }
        out.maybe_flush(ctx)
    })?;
    out.flush(ctx)?;
    if kind == Format::Odt {
        // Page headers and footers live in the master pages of styles.xml.
        let part_label = format!("{label} header");
        let mut out = TextOut::new(part_label.clone());
        let mut inside = 0usize;
        walk_entry(ctx, &part_label, a, "styles.xml", |ctx, ev| {
            match ev {
                XEv::Start(e) => match local(e) {
                    b"header" | b"footer" | b"header-left" | b"footer-left" | b"header-first"
                    | b"footer-first" => inside += 1,
                    b"tab" if inside > 0 => out.sep(Sep::Tab),
                    b"s" if inside > 0 => out.sep(Sep::Space),
                    _ => {}
                },
                XEv::End(name) => match name {
                    b"header" | b"footer" | b"header-left" | b"footer-left" | b"header-first"
                    | b"footer-first" => {
                        inside = inside.saturating_sub(1);
                        out.sep(Sep::Line);
                    }
                    b"p" | b"h" => out.sep(Sep::Line),
                    _ => {}
                },
                XEv::Text(t) if inside > 0 => out.push(t),
                _ => {}
            }
            out.maybe_flush(ctx)
        })?;
        out.flush(ctx)?;
    }
    if !links.is_empty() {
        ctx.emit_text(&format!("{label} links"), &links.join("\n"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SharedStrings;

    #[test]
    fn shared_strings_are_found_by_their_index_and_those_over_the_cap_are_empty() {
        let mut shared = SharedStrings::default();
        for (text, dropped) in [
            ("81.2.69.142", false),
            ("", false),
            ("é ", false),
            ("x", true),
        ] {
            shared.text.push_str(text);
            shared.end_string(dropped);
        }
        shared.text.push_str("2001:db8::1");
        shared.end_string(false);
        let all: Vec<_> = (0..6).map(|i| shared.get(i)).collect();
        assert_eq!(
            all,
            [
                Some("81.2.69.142"),
                Some(""),
                Some("é "),
                Some(""),
                Some("2001:db8::1"),
                None
            ]
        );
    }
}
