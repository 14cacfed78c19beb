//! XML: a streaming walker over `quick-xml` events shared by the Office decoders (depth cap,
//! entity and character references resolved, malformed input reported), and the decoder for
//! plain XML files (every text node and every attribute value, each a separate token).

use crate::text::{Sep, TextOut};
use crate::{Ctx, DOCUMENT_LIMIT, DOCUMENT_PARTIAL};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::io::{self, BufRead};

/// One simplified XML event.
pub(crate) enum XEv<'e> {
    /// An opening tag (also sent for an empty element, followed by its `End`).
    Start(&'e BytesStart<'e>),
    /// A closing tag: its local name (no prefix).
    End(&'e [u8]),
    /// Character data, with references resolved.
    Text(&'e str),
}

/// The local name (without prefix) of an element.
pub(crate) fn local<'e>(e: &'e BytesStart<'_>) -> &'e [u8] {
    e.local_name().into_inner()
}

/// The value of the attribute whose local name is `name`, unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    for a in attrs.flatten() {
        if a.key.local_name().as_ref() == name {
            return Some(match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(_) => crate::text::bytes_to_string(&a.value),
            });
        }
    }
    None
}

/// Every attribute value of an element, unescaped.
pub(crate) fn attr_values(e: &BytesStart<'_>) -> Vec<String> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    attrs
        .flatten()
        .map(|a| match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => crate::text::bytes_to_string(&a.value),
        })
        .collect()
}

/// Walks an XML document, calling `f` for each event. Elements nested deeper than
/// `max_xml_depth` stop the walk with a `document_limit` warning; malformed XML stops it with
/// `document_partial` (what came before is kept). Only the sink's errors are returned.
pub(crate) fn walk<R: BufRead>(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: R,
    mut f: impl FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut reader = Reader::from_reader(input);
    {
        let c = reader.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.allow_dangling_amp = true;
        c.trim_text(false);
        c.expand_empty_elements = false;
    }
    let max = ctx.limits.max_xml_depth;
    let mut depth = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                ctx.warn(
                    DOCUMENT_PARTIAL,
                    format!("{label}: malformed XML ({e}); the rest was skipped"),
                );
                return Ok(());
            }
        };
        match ev {
            Event::Start(e) => {
                depth += 1;
                if depth > max {
                    ctx.warn(
                        DOCUMENT_LIMIT,
                        format!("{label}: max_xml_depth ({max}) reached; the rest was skipped"),
                    );
                    return Ok(());
                }
                f(ctx, XEv::Start(&e))?;
            }
            Event::Empty(e) => {
                f(ctx, XEv::Start(&e))?;
                f(ctx, XEv::End(e.local_name().as_ref()))?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                f(ctx, XEv::End(e.local_name().as_ref()))?;
            }
            Event::Text(t) => match t.xml_content() {
                Ok(s) => f(ctx, XEv::Text(&s))?,
                Err(_) => f(ctx, XEv::Text(&crate::text::bytes_to_string(&t)))?,
            },
            Event::CData(t) => {
                let s = crate::text::bytes_to_string(&t);
                f(ctx, XEv::Text(&s))?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => {
                        let name = crate::text::bytes_to_string(&r);
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .or_else(|| crate::html::named_entity(&name).map(str::to_string))
                    }
                };
                if let Some(s) = resolved {
                    f(ctx, XEv::Text(&s))?;
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Decodes a plain XML file: text nodes (adjacent ones joined across inline markup would be a
/// guess, so each element boundary separates) and attribute values as separate tokens.
pub(crate) fn decode(ctx: &mut Ctx<'_>, label: &str, bytes: &[u8]) -> io::Result<()> {
    let mut out = TextOut::new(label.to_string());
    walk(ctx, label, bytes, |ctx, ev| {
        match ev {
            XEv::Start(e) => {
                out.sep(Sep::Space);
                for v in attr_values(e) {
                    out.push(&v);
                    out.sep(Sep::Space);
                }
            }
            XEv::End(_) => out.sep(Sep::Line),
            XEv::Text(t) => out.push(t),
        }
        out.maybe_flush(ctx)
    })?;
    out.flush(ctx)
}
