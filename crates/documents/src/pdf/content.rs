//! The PDF content-stream interpreter, reduced to text: it tracks the graphics and text
//! matrices through `q`/`Q`/`cm`, `BT`/`ET`, `Td`/`TD`/`Tm`/`T*`, shows strings (`Tj`, `TJ`,
//! `'`, `"`) through the current font, and decides from glyph positions where words and lines
//! break: text that continues where the previous glyph ended joins it, a gap wider than a
//! fraction of a space separates words, a move off the baseline separates lines (a line break
//! never glues two tokens). Form XObjects are entered (bounded depth, no cycles); inline image
//! data is skipped; nothing but shown text is output.

use super::doc::Doc;
use super::font::Font;
use super::lexer::{Dict, Lexer, Obj, Tok, parse_obj};
use crate::DOCUMENT_UNSUPPORTED;
use crate::text::{Sep, TextOut};
use std::collections::HashMap;
use std::rc::Rc;

type Mat = [f64; 6];
const IDENT: Mat = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Mat, b: &Mat) -> Mat {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// Fonts already read, by object number (shared across pages).
pub(crate) type FontCache = HashMap<u32, Rc<Font>>;

/// Text state and output of one page.
pub(crate) struct Interp<'o> {
    pub(crate) out: &'o mut TextOut,
    fonts: &'o mut FontCache,
    ctm: Mat,
    stack: Vec<(Mat, TextState)>,
    tm: Mat,
    tlm: Mat,
    ts: TextState,
    /// Device-space end of the last glyph shown, and the font height there.
    last: Option<(f64, f64, f64)>,
    /// A line break was requested by an operator (`T*`, `'`, `"`).
    newline: bool,
    /// The text line was moved off its baseline (`Td`, `TD` with a vertical move): a line
    /// break, unless the text goes on on the baseline of the last glyph (LibreOffice starts a
    /// `BT` block with a `Td` from the origin for each change of font or colour).
    moved_line: bool,
    /// Letter spacing on this line: see [`Spacing`].
    spacing: Spacing,
    form_depth: usize,
    forms_seen: Vec<u32>,
    /// How many marked-content sequences (`BDC`/`BMC` … `EMC`) are open.
    marked: usize,
    /// The outermost open `/Span` sequence with an `/ActualText` (Chromium shows a soft
    /// hyphen as a space glyph replaced by U+00AD; a ligature's text is spelled out).
    actual: Option<Actual>,
    max_depth: usize,
}

/// An open `/Span << /ActualText … >>` sequence: its text, where the page's text stood at its
/// first glyph, and how many glyphs it has shown. Its glyphs are written as any are; when it
/// closes, its text (if not blank, and if it marked any glyph) replaces theirs. A sequence
/// never closed leaves them.
struct Actual {
    text: String,
    at: (usize, Sep),
    glyphs: usize,
    /// The marked-content depth it opened at: the `EMC` back to it closes it.
    depth: usize,
}

/// Letter-spaced text placed a glyph at a time (Chromium prints CSS `letter-spacing` so: every
/// glyph moved to its place, each gap as wide as a narrow word space) is told from words by
/// the gaps' sameness: three equal gaps in a row, each between two single glyphs and narrower
/// than the font's space, are letter spacing, and the spaces written for the first two are
/// taken back. From then on, until the line ends, a gap between two single glyphs parts words
/// only by what exceeds that spacing. A string of several glyphs is a word (justified words,
/// however equal their gaps), and a glyph joined tightly to the one before it is part of one:
/// neither is ever taken for letter spacing.
#[derive(Default)]
struct Spacing {
    /// The line's letter spacing, once found (device units).
    gap: Option<f64>,
    /// The gaps in a row that were written as spaces and could be letter spacing: where each
    /// space is in the page's text, and its width.
    soft: Vec<(usize, f64)>,
    /// Glyphs in the last string shown.
    glyphs: usize,
    /// Whether the last string shown stood apart from what came before it (the start of a
    /// line, a gap, or a space glyph before it), rather than joined to a word.
    loose: bool,
    /// Whether the last glyph shown was a space.
    after_space: bool,
}

#[derive(Clone)]
struct TextState {
    font: Option<Rc<Font>>,
    size: f64,
    tc: f64,
    tw: f64,
    th: f64,
    tl: f64,
    rise: f64,
}

fn num(o: &Obj) -> f64 {
    o.as_f64().unwrap_or(0.0)
}

impl<'o> Interp<'o> {
    pub(crate) fn new(out: &'o mut TextOut, fonts: &'o mut FontCache, max_depth: usize) -> Self {
        Interp {
            out,
            fonts,
            ctm: IDENT,
            stack: Vec::new(),
            tm: IDENT,
            tlm: IDENT,
            ts: TextState {
                font: None,
                size: 0.0,
                tc: 0.0,
                tw: 0.0,
                th: 1.0,
                tl: 0.0,
                rise: 0.0,
            },
            last: None,
            newline: false,
            moved_line: false,
            spacing: Spacing::default(),
            form_depth: 0,
            forms_seen: Vec::new(),
            marked: 0,
            actual: None,
            max_depth: max_depth.min(16),
        }
    }

    /// Runs a content stream with the given resources.
    pub(crate) fn run(&mut self, doc: &mut Doc<'_>, data: &[u8], resources: &Dict) {
        let mut lx = Lexer::new(data, 0);
        let mut ops: Vec<Obj> = Vec::new();
        loop {
            let save = lx.pos;
            let op = match lx.next_tok() {
                Tok::Eof => break,
                Tok::Kw(k) => k,
                _ => {
                    lx.pos = save;
                    match parse_obj(&mut lx, 64, false) {
                        Some(o) => {
                            if ops.len() < 64 {
                                ops.push(o);
                            }
                        }
                        None => {
                            if lx.pos == save {
                                lx.pos += 1;
                            }
                        }
                    }
                    continue;
                }
            };
            self.op(doc, op, &ops, resources, &mut lx);
            ops.clear();
        }
    }

    /// Ends the open `/ActualText` sequence: its text stands for the glyphs it marked.
    fn end_actual(&mut self) {
        if let Some(seq) = self.actual.take() {
            if seq.glyphs > 0 && !seq.text.trim().is_empty() {
                self.out.replace_since(seq.at, &normalize(&seq.text));
            }
        }
    }

    fn op(&mut self, doc: &mut Doc<'_>, op: &[u8], a: &[Obj], res: &Dict, lx: &mut Lexer<'_>) {
        match op {
            b"q" if self.stack.len() < 256 => self.stack.push((self.ctm, self.ts.clone())),
            b"Q" => {
                if let Some((m, ts)) = self.stack.pop() {
                    self.ctm = m;
                    self.ts = ts;
                }
            }
            b"cm" if a.len() >= 6 => {
                let m = [
                    num(&a[0]),
                    num(&a[1]),
                    num(&a[2]),
                    num(&a[3]),
                    num(&a[4]),
                    num(&a[5]),
                ];
                self.ctm = mul(&m, &self.ctm);
            }
            // A new text object or matrix places the text anew: a `T*` before it (reportlab
            // ends every string it draws with one) moved nothing that is shown, and where the
            // text goes decides whether a line ends.
            b"BT" => {
                self.tm = IDENT;
                self.tlm = IDENT;
                self.newline = false;
            }
            b"Tf" if a.len() >= 2 => {
                self.ts.size = num(&a[1]);
                self.ts.font = a[0].as_name().map(|n| self.font(doc, res, n));
            }
            b"Tc" if !a.is_empty() => self.ts.tc = num(&a[0]),
            b"Tw" if !a.is_empty() => self.ts.tw = num(&a[0]),
            b"Tz" if !a.is_empty() => self.ts.th = num(&a[0]) / 100.0,
            b"TL" if !a.is_empty() => self.ts.tl = num(&a[0]),
            b"Ts" if !a.is_empty() => self.ts.rise = num(&a[0]),
            b"Td" if a.len() >= 2 => self.move_line(num(&a[0]), num(&a[1])),
            b"TD" if a.len() >= 2 => {
                self.ts.tl = -num(&a[1]);
                self.move_line(num(&a[0]), num(&a[1]));
            }
            b"Tm" if a.len() >= 6 => {
                self.tm = [
                    num(&a[0]),
                    num(&a[1]),
                    num(&a[2]),
                    num(&a[3]),
                    num(&a[4]),
                    num(&a[5]),
                ];
                self.tlm = self.tm;
                self.newline = false;
            }
            b"T*" => self.next_line(),
            b"BDC" | b"BMC" => {
                // As poppler: only a `/Span` replaces its glyphs' text.
                let actual = a
                    .get(1)
                    .and_then(Obj::as_dict)
                    .filter(|_| a.first().and_then(Obj::as_name) == Some(b"Span"))
                    .and_then(|d| d.get(b"ActualText"))
                    .and_then(Obj::as_str)
                    .filter(|_| self.actual.is_none())
                    .map(super::pdf_string);
                self.marked += 1;
                if let Some(text) = actual {
                    self.actual = Some(Actual {
                        text,
                        at: self.out.checkpoint(),
                        glyphs: 0,
                        depth: self.marked,
                    });
                }
            }
            b"EMC" => {
                if self
                    .actual
                    .as_ref()
                    .is_some_and(|seq| seq.depth == self.marked)
                {
                    self.end_actual();
                }
                self.marked = self.marked.saturating_sub(1);
            }
            b"Tj" if !a.is_empty() => self.show(&a[0]),
            b"'" if !a.is_empty() => {
                self.next_line();
                self.show(&a[0]);
            }
            b"\"" if a.len() >= 3 => {
                self.ts.tw = num(&a[0]);
                self.ts.tc = num(&a[1]);
                self.next_line();
                self.show(&a[2]);
            }
            b"TJ" if !a.is_empty() => {
                if let Some(items) = a[0].as_array() {
                    for it in items {
                        match it {
                            Obj::Str(_) => self.show(it),
                            o => {
                                let adj = num(o);
                                let tx = -adj / 1000.0 * self.ts.size * self.ts.th;
                                self.tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &self.tm);
                            }
                        }
                    }
                }
            }
            b"Do" if !a.is_empty() => {
                if let Some(n) = a[0].as_name() {
                    self.form(doc, res, n);
                }
            }
            b"BI" => skip_inline_image(lx),
            _ => {}
        }
    }

    fn move_line(&mut self, tx: f64, ty: f64) {
        self.tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
        if ty.abs() > 1e-9 {
            self.moved_line = true;
        }
    }

    fn next_line(&mut self) {
        self.move_line(0.0, -self.ts.tl);
        self.newline = true;
    }

    fn font(&mut self, doc: &mut Doc<'_>, res: &Dict, name: &[u8]) -> Rc<Font> {
        let fonts = doc.get_in(res, b"Font");
        let Some(fd) = fonts.as_dict() else {
            return Rc::new(Font::fallback());
        };
        let entry = fd.get(name).cloned();
        let id = match entry {
            Some(Obj::Ref(n)) => Some(n),
            _ => None,
        };
        if let Some(f) = id.and_then(|n| self.fonts.get(&n)) {
            return Rc::clone(f);
        }
        let font = match entry.map(|e| doc.resolve(&e)) {
            Some(o) => match o.as_dict() {
                Some(d) => Font::load(doc, d),
                None => Font::fallback(),
            },
            None => Font::fallback(),
        };
        if font.unmappable {
            doc.warn(
                DOCUMENT_UNSUPPORTED,
                format!(
                    "font {} has no ToUnicode map; text shown in it was not read",
                    font.name
                ),
            );
        }
        let font = Rc::new(font);
        if let Some(n) = id {
            if self.fonts.len() > 1024 {
                self.fonts.clear();
            }
            self.fonts.insert(n, Rc::clone(&font));
        }
        font
    }

    /// Shows a string: decides the separator from where it starts, then appends its glyphs.
    fn show(&mut self, s: &Obj) {
        let Some(bytes) = s.as_str() else { return };
        let font = self
            .ts
            .font
            .clone()
            .unwrap_or_else(|| Rc::new(Font::fallback()));
        let trm = mul(&self.tm, &self.ctm);
        let (ox, oy) = (
            trm[4] + trm[2] * self.ts.rise,
            trm[5] + trm[3] * self.ts.rise,
        );
        let height = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt() * self.ts.size.abs();
        let height = if height > 0.0 { height } else { 1.0 };
        let codes = font.codes(bytes);
        let mut loose = true;
        if self.newline {
            self.out.sep(Sep::Line);
            self.newline = false;
            self.spacing = Spacing::default();
        } else if let Some((lx, ly, lh)) = self.last {
            // Direction of the baseline in device space.
            let (bx, by) = (trm[0], trm[1]);
            let blen = (bx * bx + by * by).sqrt();
            let (ux, uy) = if blen > 0.0 {
                (bx / blen, by / blen)
            } else {
                (1.0, 0.0)
            };
            let (dx, dy) = (ox - lx, oy - ly);
            let along = dx * ux + dy * uy;
            let across = -dx * uy + dy * ux;
            let h = height.max(lh);
            // Off the baseline by half a line; or by a little after a line move, or in a font
            // of another size (a superscript footnote mark after an address is not part of it).
            let resized = (height - lh).abs() > 0.1 * h;
            let off_line = if self.moved_line || resized {
                0.1 * h
            } else {
                0.5 * h
            };
            if across.abs() > off_line {
                self.out.sep(Sep::Line);
                self.spacing = Spacing::default();
            } else {
                let space = font.space_width().unwrap_or(250.0) / 1000.0 * self.ts.th.abs();
                // A space glyph is never letter spacing's: its gap is the word space.
                let spaced = self.spacing.after_space
                    || codes
                        .first()
                        .is_some_and(|&(code, _)| blank(font.unicode(code).as_deref()));
                let singles = self.spacing.glyphs == 1 && codes.len() == 1 && !spaced;
                loose = self.gap(along, h, space, singles) || self.spacing.after_space;
            }
        }
        self.moved_line = false;
        // An `/ActualText` sequence replaces from its first glyph, after the separator its
        // place asked for.
        if let Some(seq) = self.actual.as_mut().filter(|seq| seq.glyphs == 0) {
            seq.at = self.out.checkpoint();
        }
        self.spacing.loose = loose;
        self.spacing.glyphs = codes.len();
        let fs = self.ts.size;
        for (code, len) in codes {
            let text = font.unicode(code);
            let space = blank(text.as_deref());
            self.spacing.after_space = space;
            if let Some(seq) = self.actual.as_mut() {
                seq.glyphs += 1;
            }
            match text {
                Some(_) if space => self.out.sep(Sep::Space),
                Some(t) => self.out.push(&normalize(&t)),
                None => {}
            }
            let w = font.width(code) / 1000.0;
            let mut tx = w * fs + self.ts.tc;
            if font.single_byte() && len == 1 && code == 32 {
                tx += self.ts.tw;
            }
            tx *= self.ts.th;
            self.tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &self.tm);
        }
        let end = mul(&self.tm, &self.ctm);
        self.last = Some((
            end[4] + end[2] * self.ts.rise,
            end[5] + end[3] * self.ts.rise,
            height,
        ));
    }

    /// Parts or joins what is shown next from what was shown before it, `along` the baseline
    /// after it, in a font `h` high whose space is `space` em wide; `singles`: both are single
    /// glyphs. A gap wider than a fraction of a space (beyond the line's letter spacing, between
    /// single glyphs) or a step back is a word break; see [`Spacing`] for how letter spacing is
    /// found. Returns whether there was a gap, whether or not it parts words.
    fn gap(&mut self, along: f64, h: f64, space: f64, singles: bool) -> bool {
        if along < -0.5 * h {
            self.spacing.soft.clear();
            self.out.sep(Sep::Space);
            return true;
        }
        let spacing = match self.spacing.gap {
            Some(gap) if singles => gap,
            _ => 0.0,
        };
        if along - spacing <= 0.15 * h {
            if along <= 0.15 * h {
                self.spacing.soft.clear();
            }
            return along > 0.15 * h;
        }
        let candidate =
            singles && self.spacing.loose && self.spacing.gap.is_none() && along < 0.9 * space * h;
        if !candidate {
            self.spacing.soft.clear();
            self.out.sep(Sep::Space);
            return true;
        }
        if let Some(&(_, first)) = self.spacing.soft.first() {
            if (along - first).abs() > 0.02 * h {
                self.spacing.soft.clear();
            }
        }
        if self.spacing.soft.len() >= 2 {
            let mut widest = along;
            for (at, gap) in self.spacing.soft.drain(..).rev() {
                self.out.unspace(at);
                widest = widest.max(gap);
            }
            self.spacing.gap = Some(widest);
        } else if let Some(at) = self.out.space_now() {
            self.spacing.soft.push((at, along));
        }
        true
    }

    /// Runs a form XObject (bounded depth, never one already being run).
    fn form(&mut self, doc: &mut Doc<'_>, res: &Dict, name: &[u8]) {
        if self.form_depth >= self.max_depth {
            return;
        }
        let xobjs = doc.get_in(res, b"XObject");
        let Some(entry) = xobjs.as_dict().and_then(|d| d.get(name)).cloned() else {
            return;
        };
        let id = match entry {
            Obj::Ref(n) => n,
            _ => return,
        };
        if self.forms_seen.contains(&id) {
            return;
        }
        let Obj::Stream(s) = doc.resolve(&entry) else {
            return;
        };
        if s.dict.name(b"Subtype") != Some(b"Form") {
            return; // images are never read
        }
        let Some(dec) = doc.decode_stream(&s, true) else {
            return;
        };
        let form_res = match doc.get_in(&s.dict, b"Resources") {
            Obj::Dict(d) => d,
            _ => res.clone(),
        };
        let saved = (
            self.ctm,
            self.tm,
            self.tlm,
            self.ts.clone(),
            self.stack.len(),
        );
        if let Some(m) = s
            .dict
            .get(b"Matrix")
            .and_then(Obj::as_array)
            .filter(|m| m.len() >= 6)
        {
            let m = [
                num(&m[0]),
                num(&m[1]),
                num(&m[2]),
                num(&m[3]),
                num(&m[4]),
                num(&m[5]),
            ];
            self.ctm = mul(&m, &self.ctm);
        }
        // The form's marked content is its own: what it leaves open is dropped with it.
        let marked = (std::mem::take(&mut self.marked), self.actual.take());
        self.form_depth += 1;
        self.forms_seen.push(id);
        self.run(doc, &dec.data, &form_res);
        self.forms_seen.pop();
        self.form_depth -= 1;
        (self.marked, self.actual) = marked;
        self.stack.truncate(saved.4);
        (self.ctm, self.tm, self.tlm, self.ts) = (saved.0, saved.1, saved.2, saved.3);
    }
}

/// Whether a glyph's text is a space (or another blank).
fn blank(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.chars().all(char::is_whitespace))
}

/// Spells out typographic ligatures (`ﬀ` in `2a02:ﬀ80::1` is two letters to a reader) and
/// turns control characters into spaces.
fn normalize(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Skips an inline image (`BI … ID <data> EI`): its data is never text.
fn skip_inline_image(lx: &mut Lexer<'_>) {
    loop {
        match lx.next_tok() {
            Tok::Eof => return,
            Tok::Kw(b"ID") => break,
            _ => {}
        }
    }
    let b = lx.buf;
    let mut i = lx.pos + 1;
    while i + 2 <= b.len() {
        if &b[i..i + 2] == b"EI"
            && super::lexer::is_ws(b[i - 1])
            && (i + 2 == b.len()
                || super::lexer::is_ws(b[i + 2])
                || super::lexer::is_delim(b[i + 2]))
        {
            lx.pos = i + 2;
            return;
        }
        i += 1;
    }
    lx.pos = b.len();
}
