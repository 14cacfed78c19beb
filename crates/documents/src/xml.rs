//! XML: a streaming walker over `quick-xml` events shared by the Office decoders (depth cap,
//! entity and character references resolved, malformed input reported), and the decoder for
//! plain XML files (every text node and every attribute value, each a separate token).

use crate::text::{Sep, TextOut};
use crate::{Ctx, DOCUMENT_LIMIT, DOCUMENT_PARTIAL};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, BytesText, Event};
use quick_xml::name::QName;
use std::borrow::Cow;
use std::io::{self, BufRead};
use std::ops::ControlFlow;

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
    attr_cow(e, name).map(Cow::into_owned)
}

/// [`attr`], borrowed from the element where the value has no reference to resolve.
pub(crate) fn attr_cow<'e>(e: &'e BytesStart<'_>, name: &[u8]) -> Option<Cow<'e, str>> {
    // A worksheet asks each of its millions of cells for its type: plain attribute lists are
    // read here, anything else by quick-xml (a test holds the two alike).
    match plain_attr(e.attributes_raw(), name) {
        Plain::Found(value) => Some(Cow::Borrowed(value)),
        Plain::Absent => None,
        Plain::Other => attr_reference(e, name),
    }
}

/// What [`plain_attr`] read.
enum Plain<'e> {
    /// The attribute's value, which has no reference to resolve.
    Found(&'e str),
    /// No attribute has that local name.
    Absent,
    /// Something quick-xml reads better: a reference, a key without a quoted value, a value
    /// that is not UTF-8.
    Other,
}

/// The value of the attribute whose local name is `name` in `raw` (an element's attributes as
/// written), when the attributes up to it are plain: `key="value"` or `key='value'`.
fn plain_attr<'e>(raw: &'e [u8], name: &[u8]) -> Plain<'e> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let skip_space = |s: &'e [u8]| &s[s.iter().position(|b| !space(b)).unwrap_or(s.len())..];
    let mut rest = raw;
    loop {
        rest = skip_space(rest);
        if rest.is_empty() {
            return Plain::Absent;
        }
        let Some(key_end) = rest.iter().position(|b| *b == b'=' || space(b)) else {
            return Plain::Other;
        };
        let key = &rest[..key_end];
        let Some((b'=', after)) = skip_space(&rest[key_end..]).split_first() else {
            return Plain::Other;
        };
        let Some((&quote @ (b'"' | b'\''), value)) = skip_space(after).split_first() else {
            return Plain::Other;
        };
        let Some(len) = value.iter().position(|&b| b == quote) else {
            return Plain::Other;
        };
        let (value, tail) = (&value[..len], &value[len + 1..]);
        if key.is_empty() || value.contains(&b'&') {
            return Plain::Other;
        }
        if QName(key).local_name().as_ref() == name {
            return std::str::from_utf8(value).map_or(Plain::Other, Plain::Found);
        }
        rest = tail;
    }
}

/// Fuzzing harness: panics unless [`attr_cow`] reads the attributes of the tag `content`
/// (`name attr="value" …`, as between `<` and `>`) as quick-xml reads them.
pub fn fuzz_attributes(content: &[u8]) {
    let Ok(content) = std::str::from_utf8(content) else {
        return;
    };
    let name_len = content
        .find([' ', '\t', '\r', '\n'])
        .unwrap_or(content.len());
    let e = BytesStart::from_content(content, name_len);
    for name in [&b"t"[..], b"r", b"x", b"val"] {
        assert_eq!(attr_cow(&e, name), attr_reference(&e, name), "<{content}>");
    }
}

/// [`attr_cow`] as quick-xml reads the attributes: the reference [`plain_attr`] is held to.
fn attr_reference<'e>(e: &'e BytesStart<'_>, name: &[u8]) -> Option<Cow<'e, str>> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    for a in attrs.flatten() {
        if a.key.local_name().as_ref() == name {
            return Some(match a.unescape_value() {
                Ok(v) => v,
                Err(_) => Cow::Owned(crate::text::bytes_to_string(&a.value)),
            });
        }
    }
    None
}

/// Every attribute of an element: its name, and its value unescaped.
fn unescaped_attrs(e: &BytesStart<'_>) -> Vec<(String, String)> {
    let mut attrs = e.attributes();
    attrs.with_checks(false);
    attrs
        .flatten()
        .map(|a| {
            let value = match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(_) => crate::text::bytes_to_string(&a.value),
            };
            (crate::text::bytes_to_string(a.key.as_ref()), value)
        })
        .collect()
}

/// Every attribute value of an element, unescaped.
pub(crate) fn attr_values(e: &BytesStart<'_>) -> Vec<String> {
    unescaped_attrs(e).into_iter().map(|(_, v)| v).collect()
}

/// Walks an XML document, calling `f` for each event. Elements nested deeper than
/// `max_xml_depth` stop the walk with a `document_limit` warning; malformed XML stops it with
/// `document_partial` (what came before is kept). Only the sink's errors are returned.
///
/// The markup is split by [`crate::xml_fast`], which hands what it does not handle itself
/// (comments, CDATA, DOCTYPE, malformed markup) to `quick-xml` for the rest of the document;
/// [`walk_reference`] is the same walk with `quick-xml` alone, and both yield the same events.
pub(crate) fn walk<R: BufRead>(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: R,
    f: impl FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>,
) -> io::Result<()> {
    #[cfg(test)]
    if tests::REFERENCE_ONLY.with(std::cell::Cell::get) {
        return walk_reference(ctx, label, input, f);
    }
    let mut walker = Walker::new(ctx, label, f);
    crate::xml_fast::run(ctx, &mut walker, input)
}

/// [`walk`] with `quick-xml` splitting all of the markup: the reference the fast path is
/// tested against.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn walk_reference<R: BufRead>(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: R,
    f: impl FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let mut walker = Walker::new(ctx, label, f);
    walker.quick_xml(ctx, input)
}

/// One piece of markup, as either tokenizer splits it: raw bytes, not yet decoded.
pub(crate) enum Tok<'a, 'b> {
    /// `<name …>`.
    Start(&'b BytesStart<'a>),
    /// `<name …/>`.
    Empty(&'b BytesStart<'a>),
    /// `</name>`: the name.
    End(&'a [u8]),
    /// Character data, escaped (references come as [`Tok::Ref`]).
    Text(&'a [u8]),
    /// A CDATA section's content.
    CData(&'a [u8]),
    /// `&name;`: the name.
    Ref(&'a [u8]),
}

/// The state of one walk shared by both tokenizers: the depth, and the caller's handler.
pub(crate) struct Walker<'l, F> {
    label: &'l str,
    max: usize,
    depth: usize,
    f: F,
}

impl<'l, F: FnMut(&mut Ctx<'_>, XEv<'_>) -> io::Result<()>> Walker<'l, F> {
    fn new(ctx: &Ctx<'_>, label: &'l str, f: F) -> Self {
        Walker {
            label,
            max: ctx.limits.max_xml_depth,
            depth: 0,
            f,
        }
    }

    /// Hands one piece of markup to the handler.
    pub(crate) fn token(
        &mut self,
        ctx: &mut Ctx<'_>,
        tok: Tok<'_, '_>,
    ) -> io::Result<ControlFlow<()>> {
        let f = &mut self.f;
        match tok {
            Tok::Start(e) => {
                self.depth += 1;
                if self.depth > self.max {
                    let max = self.max;
                    ctx.warn(
                        DOCUMENT_LIMIT,
                        format!(
                            "{}: max_xml_depth ({max}) reached; the rest was skipped",
                            self.label
                        ),
                    );
                    return Ok(ControlFlow::Break(()));
                }
                f(ctx, XEv::Start(e))?;
            }
            Tok::Empty(e) => {
                f(ctx, XEv::Start(e))?;
                f(ctx, XEv::End(e.local_name().as_ref()))?;
            }
            Tok::End(name) => {
                self.depth = self.depth.saturating_sub(1);
                f(ctx, XEv::End(QName(name).local_name().into_inner()))?;
            }
            Tok::Text(raw) => match std::str::from_utf8(raw) {
                Ok(s) if !needs_eol_normalizing(s) => f(ctx, XEv::Text(s))?,
                Ok(s) => match BytesText::from_escaped(s).xml_content() {
                    Ok(s) => f(ctx, XEv::Text(&s))?,
                    Err(_) => f(ctx, XEv::Text(&crate::text::bytes_to_string(raw)))?,
                },
                Err(_) => f(ctx, XEv::Text(&crate::text::bytes_to_string(raw)))?,
            },
            Tok::CData(raw) => {
                let s = crate::text::bytes_to_string(raw);
                f(ctx, XEv::Text(&s))?;
            }
            Tok::Ref(raw) => {
                let char_ref = match std::str::from_utf8(raw) {
                    Ok(s) => BytesRef::new(s).resolve_char_ref().ok().flatten(),
                    Err(_) => None,
                };
                let resolved = match char_ref {
                    Some(c) => Some(c.to_string()),
                    None => {
                        let name = crate::text::bytes_to_string(raw);
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .or_else(|| crate::html::named_entity(&name).map(str::to_string))
                    }
                };
                if let Some(s) = resolved {
                    f(ctx, XEv::Text(&s))?;
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Walks the rest of `input` with `quick-xml` (from its start, or from where the fast path
    /// handed it over: at the start of a piece of markup).
    pub(crate) fn quick_xml<R: BufRead>(&mut self, ctx: &mut Ctx<'_>, input: R) -> io::Result<()> {
        let mut reader = Reader::from_reader(input);
        {
            let c = reader.config_mut();
            c.check_end_names = false;
            c.allow_unmatched_ends = true;
            c.allow_dangling_amp = true;
            c.trim_text(false);
            c.expand_empty_elements = false;
        }
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let ev = match reader.read_event_into(&mut buf) {
                Ok(ev) => ev,
                Err(e) => {
                    self.malformed(ctx, &e);
                    return Ok(());
                }
            };
            let tok = match &ev {
                Event::Start(e) => Tok::Start(e),
                Event::Empty(e) => Tok::Empty(e),
                Event::End(e) => Tok::End(e.name().into_inner()),
                Event::Text(t) => Tok::Text(t),
                Event::CData(t) => Tok::CData(t),
                Event::GeneralRef(r) => Tok::Ref(r),
                Event::Eof => return Ok(()),
                _ => continue,
            };
            if self.token(ctx, tok)?.is_break() {
                return Ok(());
            }
        }
    }

    pub(crate) fn malformed(&self, ctx: &mut Ctx<'_>, e: &quick_xml::Error) {
        ctx.warn(
            DOCUMENT_PARTIAL,
            format!("{}: malformed XML ({e}); the rest was skipped", self.label),
        );
    }
}

/// Whether XML 1.1 end-of-line handling may change `s`: it holds `\r` or the first byte of
/// NEL or LINE SEPARATOR (as quick-xml's own check, which the text is then handed to).
fn needs_eol_normalizing(s: &str) -> bool {
    memchr::memchr3(b'\r', 0xC2, 0xE2, s.as_bytes()).is_some()
}

/// Decodes a plain XML file as it reads: each element's attributes as written on a line
/// (`newVersion="13.0.0.0"`: the name says what the value is), then its name as a label of its
/// text (`AssemblyVersion: 2.1.0.0`); text nodes (adjacent ones joined across inline markup
/// would be a guess, so each element boundary separates).
pub(crate) fn decode(ctx: &mut Ctx<'_>, label: &str, bytes: &[u8]) -> io::Result<()> {
    let mut out = TextOut::new(label.to_string());
    // The attribute values of SVG text spans that go on the line before them, said after it.
    let mut deferred: Vec<String> = Vec::new();
    // How many of the open elements are such spans.
    let mut spans: Vec<bool> = Vec::new();
    // The text since the last element boundary, read whole for markup in it.
    let mut run = String::new();
    let walked = walk(ctx, label, bytes, |ctx, ev| {
        if !matches!(ev, XEv::Text(_)) {
            text_run(ctx, label, &mut out, &mut run)?;
        }
        match ev {
            XEv::Start(e) => {
                let span = goes_on_the_line(e);
                spans.push(span);
                if span {
                    deferred.extend(attr_values(e));
                } else {
                    // The attributes on a line of their own, so that none names the text;
                    // then the name, which does (`<Version>2.1.0.5`, `<oid>…`), as a label
                    // (`Section: 10.0.0.1` is an address).
                    out.sep(Sep::Line);
                    let attrs = unescaped_attrs(e);
                    match attrs.as_slice() {
                        // An element named by its one attribute, `Name` (a Windows event's
                        // `<Data Name="FileVersion">`, `<param name="…">`): that name labels
                        // its text (`FileVersion: 8.0.6.0`).
                        [(name, value)] if name.eq_ignore_ascii_case("name") => {
                            out.label(value);
                        }
                        _ => {
                            // Each as written, `name="value"`: the name says what the value
                            // is (`newVersion="13.0.0.0"`).
                            for (name, value) in attrs {
                                out.push(&format!("{name}=\"{value}\""));
                                out.sep(Sep::Space);
                            }
                            out.sep(Sep::Line);
                            out.label(&crate::text::bytes_to_string(local(e)));
                        }
                    }
                }
            }
            XEv::End(_) => {
                if !spans.pop().unwrap_or(false) {
                    out.sep(Sep::Line);
                    for v in deferred.drain(..) {
                        out.push(&v);
                        out.sep(Sep::Line);
                    }
                }
            }
            XEv::Text(t) => {
                run.push_str(t);
                if run.len() >= 1 << 20 {
                    out.push(&run);
                    run.clear();
                }
            }
        }
        out.maybe_flush(ctx)
    });
    let ran = text_run(ctx, label, &mut out, &mut run);
    // What an unclosed span held, when the walk stopped (damage, a cap) before its line ended.
    for v in deferred {
        out.sep(Sep::Line);
        out.push(&v);
    }
    let flushed = out.flush(ctx);
    walked?;
    ran?;
    flushed
}

/// Writes a run of text: markup in it (CDATA or escaped, as an RSS item's description holds
/// the HTML a reader sees) is read as HTML, in a part of its own under the same label.
fn text_run(ctx: &mut Ctx<'_>, label: &str, out: &mut TextOut, run: &mut String) -> io::Result<()> {
    if run.contains('<') && run.contains('>') {
        out.flush(ctx)?;
        crate::html::to_text(ctx, label, run)?;
    } else {
        out.push(run);
    }
    run.clear();
    Ok(())
}

/// Whether `e` is an SVG text span that goes on the text before it (`<tspan>5.18</tspan>
/// <tspan>8.206.109</tspan>` draws one address): one that is not placed anew (`x`, `y`,
/// `dy`, as a new line is), nor rotated.
fn goes_on_the_line(e: &BytesStart<'_>) -> bool {
    local(e) == b"tspan"
        && [&b"x"[..], b"y", b"dy", b"rotate"]
            .iter()
            .all(|name| attr_cow(e, name).is_none())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn plain_attributes_are_read_as_quick_xml_reads_them() {
        let mut tags: Vec<String> = [
            r#"c r="A1" s="t" t="s""#,
            r#"c t='s'"#,
            r#"c t = "s" "#,
            "c\tr=\"B2\"\n\tt=\"str\"",
            r#"c x:t="s""#,
            r#"c t="&#115;""#,
            r#"c t="a&amp;b""#,
            r#"c t"#,
            r#"c t=s"#,
            r#"c r="A1"t="s""#,
            r#"c r="A1" t="s"#,
            r#"c t="" t="s""#,
            r#"c tt="s" t="n""#,
            r#"c :t="s""#,
            r#"c ="s" t="b""#,
            r#"c r="t=&quot;s&quot;" t="e""#,
            r#"c r='x"y' t="s""#,
            "c t=\"\u{e9}\"",
            r#"c"#,
            r#"c "#,
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
        // And every short arrangement of the pieces attribute lists are made of.
        let pieces = [" ", "t", "r", "=", "\"", "'", "s", "&amp;", ":", "x"];
        let mut shapes = vec![String::new()];
        for _ in 0..5 {
            shapes = shapes
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            tags.extend(shapes.iter().map(|s| format!("c {s}")));
        }
        for tag in &tags {
            let e = BytesStart::from_content(tag.as_str(), 1);
            for name in [&b"t"[..], b"r", b"x"] {
                assert_eq!(
                    attr_cow(&e, name),
                    attr_reference(&e, name),
                    "<{tag}> {}",
                    String::from_utf8_lossy(name)
                );
            }
        }
    }

    thread_local! {
        /// Makes [`super::walk`] use the reference walk (a test compares the two).
        pub(crate) static REFERENCE_ONLY: Cell<bool> = const { Cell::new(false) };
    }
}
