//! PDF: the text of every page (`name p. N`), link URIs, annotation texts and form field values
//! with their page,
//! the Info and XMP metadata (`name metadata`), and embedded files recursed through the decoder
//! (`name/file`). Pages are read one at a time from a page-tree walk that refuses loops;
//! objects load lazily; every stream is decoded through capped filters.

mod content;
mod crypt;
mod doc;
mod filters;
mod font;
mod lexer;
mod tables;

use crate::text::{Sep, TextOut, clean_name};
use crate::{Ctx, DOCUMENT_ENCRYPTED, DOCUMENT_LIMIT, DOCUMENT_PARTIAL, decode_bytes, xml};
use content::{FontCache, Interp};
use doc::Doc;
use lexer::{Dict, Obj};
use std::collections::HashSet;
use std::io;
use std::rc::Rc;

/// Text of a PDF string: UTF-16BE or UTF-8 with a BOM, else PDFDocEncoding (read as Latin-1).
fn pdf_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|&c| c as char).collect()
}

fn drain(ctx: &mut Ctx<'_>, doc: &mut Doc<'_>, label: &str) {
    for (code, msg) in doc.warnings.drain(..) {
        ctx.warn(code, format!("{label}: {msg}"));
    }
}

/// Decodes a PDF held in memory.
pub(crate) fn decode(ctx: &mut Ctx<'_>, label: &str, bytes: &[u8], depth: usize) -> io::Result<()> {
    let start = crate::sniff::find(&bytes[..bytes.len().min(1024)], b"%PDF-").unwrap_or(0);
    let buf = &bytes[start..];
    let mut doc = Doc::open(buf, ctx.limits, &ctx.budget);
    if let Err(why) = doc.open_crypt() {
        drain(ctx, &mut doc, label);
        ctx.warn(
            DOCUMENT_ENCRYPTED,
            format!("{label}: encrypted: {why}; its text was not read"),
        );
        return Ok(());
    }
    let Some(root) = doc.root() else {
        drain(ctx, &mut doc, label);
        ctx.warn(
            DOCUMENT_PARTIAL,
            format!("{label}: no document catalog found; nothing could be read"),
        );
        return Ok(());
    };
    let result = pages(ctx, &mut doc, label, &root);
    drain(ctx, &mut doc, label);
    result?;
    metadata(ctx, &mut doc, label, &root)?;
    embedded_files(ctx, &mut doc, label, &root, depth)?;
    drain(ctx, &mut doc, label);
    ctx.note_budget(label);
    Ok(())
}

/// A page-tree node being walked: its kids not yet visited (last first) and the resources
/// they inherit. Each node's kids are held once, so the walk costs a reference per page; a
/// node is let go when its last kid is taken, and the resources are shared, not copied, so
/// that a deep tree costs no more than a flat one.
struct Level {
    kids: Vec<Obj>,
    inherited: Option<Rc<Obj>>,
}

/// Walks the page tree (iteratively; a node met twice is a loop and is skipped) and hands
/// each page's text to the sink as soon as it is read.
fn pages(ctx: &mut Ctx<'_>, doc: &mut Doc<'_>, label: &str, root: &Dict) -> io::Result<()> {
    let mut fonts = FontCache::new();
    let mut seen: HashSet<u32> = HashSet::new();
    let first = root.get(b"Pages").cloned().unwrap_or(Obj::Null);
    let mut levels = vec![Level {
        kids: vec![first],
        inherited: None,
    }];
    let mut pending = 1usize;
    let mut n = 0usize;
    let mut looped = false;
    while let Some(level) = levels.last_mut() {
        let Some(node) = level.kids.pop() else {
            levels.pop();
            continue;
        };
        pending -= 1;
        let inherited = if level.kids.is_empty() {
            levels.pop().and_then(|level| level.inherited)
        } else {
            level.inherited.clone()
        };
        if let Obj::Ref(id) = node {
            if !seen.insert(id) {
                looped = true;
                continue;
            }
        }
        let mut d = match doc.resolve(&node) {
            Obj::Dict(d) => d,
            Obj::Stream(s) => s.dict.clone(),
            _ => continue,
        };
        let resources = d.get(b"Resources").cloned().map(Rc::new).or(inherited);
        // Taken out of the node, not copied: a flat tree lists every page here.
        let kids = match d.0.iter().position(|(k, _)| k == b"Kids") {
            Some(at) => match d.0.remove(at).1 {
                r @ Obj::Ref(_) => doc.resolve(&r),
                kids => kids,
            },
            None => Obj::Null,
        };
        if d.name(b"Type") == Some(b"Pages") || matches!(kids, Obj::Array(_)) {
            if let Obj::Array(mut kids) = kids {
                pending += kids.len();
                if pending > ctx.limits.max_pdf_pages.saturating_mul(2) {
                    ctx.warn(
                        DOCUMENT_LIMIT,
                        format!(
                            "{label}: page tree larger than max_pdf_pages; the rest was skipped"
                        ),
                    );
                    break;
                }
                kids.reverse();
                levels.push(Level {
                    kids,
                    inherited: resources,
                });
            }
            continue;
        }
        n += 1;
        if n > ctx.limits.max_pdf_pages {
            ctx.warn(
                DOCUMENT_LIMIT,
                format!(
                    "{label}: max_pdf_pages ({}) reached; later pages skipped",
                    ctx.limits.max_pdf_pages
                ),
            );
            break;
        }
        let page_label = format!("{label} p. {n}");
        page(ctx, doc, &page_label, &d, resources, &mut fonts)?;
        drain(ctx, doc, label);
        if ctx.budget.remaining() == 0 {
            break;
        }
    }
    if looped {
        ctx.warn(
            DOCUMENT_PARTIAL,
            format!("{label}: the page tree refers to itself; repeated nodes were skipped"),
        );
    }
    Ok(())
}

fn page(
    ctx: &mut Ctx<'_>,
    doc: &mut Doc<'_>,
    page_label: &str,
    d: &Dict,
    resources: Option<Rc<Obj>>,
    fonts: &mut FontCache,
) -> io::Result<()> {
    let res = match resources.map(|r| doc.resolve(&r)) {
        Some(Obj::Dict(r)) => r,
        _ => Dict::default(),
    };
    let mut out = TextOut::new(page_label.to_string());
    let contents = match doc.get_in(d, b"Contents") {
        Obj::Array(a) => a,
        Obj::Null => vec![],
        o => vec![o],
    };
    let mut data = Vec::new();
    for c in contents {
        if let Some((_, bytes)) = doc.stream_bytes(&c) {
            if data.is_empty() {
                data = bytes;
            } else {
                data.extend_from_slice(&bytes);
            }
            data.push(b'\n');
        }
    }
    {
        let mut interp = Interp::new(&mut out, fonts, doc.max_depth);
        interp.run(doc, &data, &res);
    }
    drop(data);
    // Link targets and annotation texts.
    if let Obj::Array(annots) = doc.get_in(d, b"Annots") {
        // Each annotation and each form field once, however often they are listed or shared:
        // a few bytes of references must not multiply a long string.
        let mut seen = std::collections::HashSet::new();
        for a in annots.iter().take(10_000) {
            if let Obj::Ref(id) = a {
                if !seen.insert(*id) {
                    continue;
                }
            }
            let a = doc.resolve(a);
            let Some(ad) = a.as_dict() else { continue };
            let mut texts = Vec::new();
            if let Obj::Dict(action) = doc.get_in(ad, b"A") {
                if let Obj::Str(uri) = doc.get_in(&action, b"URI") {
                    texts.push(pdf_string(&uri));
                }
            }
            if let Obj::Str(c) = doc.get_in(ad, b"Contents") {
                texts.push(pdf_string(&c));
            }
            if ad.name(b"Subtype") == Some(b"Widget") {
                field_value(doc, ad, &mut seen, &mut texts);
            }
            for t in texts {
                out.sep(Sep::Line);
                out.push(&t);
                out.sep(Sep::Line);
            }
            out.maybe_flush(ctx)?;
        }
    }
    out.flush(ctx)
}

/// The value of the form field a widget annotation shows (a filled report's indicators): its
/// own `/V`, or the one it inherits from the field above it, unless that field (in `seen`,
/// with the annotations) was read already. Text fields and choices; the names of check boxes
/// are no text.
fn field_value(
    doc: &mut Doc<'_>,
    widget: &Dict,
    seen: &mut std::collections::HashSet<u32>,
    texts: &mut Vec<String>,
) {
    let mut field = widget.clone();
    for _ in 0..8 {
        match doc.get_in(&field, b"V") {
            Obj::Str(v) => return texts.push(pdf_string(&v)),
            Obj::Array(values) => {
                let mut listed = std::collections::HashSet::new();
                for v in values.iter().take(1_000) {
                    if matches!(v, Obj::Ref(id) if !listed.insert(*id)) {
                        continue;
                    }
                    if let Obj::Str(v) = doc.resolve(v) {
                        texts.push(pdf_string(&v));
                    }
                }
                return;
            }
            _ => {}
        }
        if let Some(Obj::Ref(parent)) = field.get(b"Parent") {
            if !seen.insert(*parent) {
                return;
            }
        }
        match doc.get_in(&field, b"Parent") {
            Obj::Dict(parent) => field = parent,
            _ => return,
        }
    }
}

/// The Info dictionary's strings and the XMP packet's text, as `label metadata`.
fn metadata(ctx: &mut Ctx<'_>, doc: &mut Doc<'_>, label: &str, root: &Dict) -> io::Result<()> {
    let meta_label = format!("{label} metadata");
    let mut out = TextOut::new(meta_label.clone());
    let info = doc.trailer.get(b"Info").cloned().map(|i| doc.resolve(&i));
    if let Some(Obj::Dict(info)) = info {
        for (k, v) in info.0.iter().take(100) {
            // Tool names and versions ("HeadlessChrome/156.0.0.0") and dates are not content.
            if matches!(
                k.as_slice(),
                b"Producer" | b"Creator" | b"CreationDate" | b"ModDate" | b"Trapped"
            ) {
                continue;
            }
            if let Obj::Str(s) = doc.resolve(v) {
                out.push(&pdf_string(&s));
                out.sep(Sep::Line);
            }
        }
    }
    out.flush(ctx)?;
    if let Some(m) = root.get(b"Metadata").cloned() {
        if let Some((_, xmp)) = doc.stream_bytes(&m) {
            let mut out = TextOut::new(meta_label.clone());
            let mut skip = 0usize;
            xml::walk(ctx, &meta_label, &xmp[..], |ctx, ev| {
                match ev {
                    xml::XEv::Start(e) => {
                        if skip > 0 || is_tool_or_date(xml::local(e)) {
                            skip += 1;
                        }
                        out.sep(Sep::Line);
                    }
                    xml::XEv::End(_) => {
                        skip = skip.saturating_sub(1);
                        out.sep(Sep::Line);
                    }
                    xml::XEv::Text(t) if skip == 0 => out.push(t),
                    xml::XEv::Text(_) => {}
                }
                out.maybe_flush(ctx)
            })?;
            out.flush(ctx)?;
        }
    }
    Ok(())
}

/// XMP properties that name tools and versions or hold dates, not content.
fn is_tool_or_date(local: &[u8]) -> bool {
    matches!(
        local,
        b"CreatorTool"
            | b"Producer"
            | b"CreateDate"
            | b"ModifyDate"
            | b"MetadataDate"
            | b"DocumentID"
            | b"InstanceID"
    )
}

/// Files embedded in the document (the `/EmbeddedFiles` name tree), each decoded as
/// `label/filename`.
fn embedded_files(
    ctx: &mut Ctx<'_>,
    doc: &mut Doc<'_>,
    label: &str,
    root: &Dict,
    depth: usize,
) -> io::Result<()> {
    let names = doc.get_in(root, b"Names");
    let Some(tree) = names.as_dict().map(|n| doc.get_in(n, b"EmbeddedFiles")) else {
        return Ok(());
    };
    let mut specs: Vec<Obj> = Vec::new();
    let mut stack = vec![tree];
    let mut seen = 0usize;
    while let Some(node) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let Some(d) = node.as_dict().cloned() else {
            continue;
        };
        if let Obj::Array(kids) = doc.get_in(&d, b"Kids") {
            for k in kids.iter().rev() {
                stack.push(doc.resolve(k));
            }
        }
        if let Obj::Array(pairs) = doc.get_in(&d, b"Names") {
            for p in pairs.chunks(2) {
                if let [_, spec] = p {
                    specs.push(spec.clone());
                }
            }
        }
    }
    if specs.is_empty() || !ctx.may_nest(label, depth) {
        return Ok(());
    }
    for spec in specs {
        let spec = doc.resolve(&spec);
        let Some(sd) = spec.as_dict().cloned() else {
            continue;
        };
        let name = [b"UF".as_slice(), b"F"]
            .iter()
            .find_map(|k| match doc.get_in(&sd, k) {
                Obj::Str(s) => Some(pdf_string(&s)),
                _ => None,
            });
        let child = format!(
            "{label}/{}",
            clean_name(name.as_deref().unwrap_or("(embedded file)"))
        );
        if !ctx.take_entry(&child) {
            break;
        }
        let ef = doc.get_in(&sd, b"EF");
        let Some(stream) = ef
            .as_dict()
            .and_then(|e| e.get(b"F").or_else(|| e.get(b"UF")).cloned())
        else {
            continue;
        };
        if let Some((_, data)) = doc.stream_bytes(&stream) {
            drain(ctx, doc, label);
            if let Err(e) = decode_bytes(ctx, &child, &data, depth + 1) {
                ctx.branch_error(&child, e)?;
            }
        }
    }
    Ok(())
}
