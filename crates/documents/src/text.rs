//! Text assembly shared by every decoder: labels (sanitised, capped) and [`TextOut`], which
//! gathers the text of one part with separators and hands it to the sink in bounded chunks.

use crate::Ctx;
use std::io;

/// Longest label handed to the sink, in bytes.
pub(crate) const MAX_LABEL: usize = 200;
/// A part's text is handed out once it grows past this, at a separator (never mid-word).
const CHUNK: usize = 1 << 20;

/// Removes control characters from a name that came from the attachment (file names,
/// attachment names, sheet names) and caps it at [`MAX_LABEL`] bytes.
pub(crate) fn clean_name(name: &str) -> String {
    let s: String = name.chars().filter(|c| !c.is_control()).collect();
    cap_label(&s)
}

/// Caps a label at [`MAX_LABEL`] bytes, keeping its start and its end (where the page or part
/// number is) around an ellipsis.
pub(crate) fn cap_label(s: &str) -> String {
    if s.len() <= MAX_LABEL {
        return s.to_string();
    }
    let mut head = 60;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - (MAX_LABEL - head - 3);
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}…{}", &s[..head], &s[tail..])
}

/// Decodes bytes as UTF-8, falling back to Windows-1252/Latin-1 for bytes that are not.
pub(crate) fn bytes_to_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let lossy = String::from_utf8_lossy(b);
            if lossy.contains('\u{FFFD}') {
                b.iter().map(|&c| c as char).collect()
            } else {
                lossy.into_owned()
            }
        }
    }
}

/// How strongly two pieces of text are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Sep {
    None,
    Space,
    Tab,
    Line,
}

/// The text of one part being built: pieces joined, separators collapsed, flushed to the sink
/// in chunks of about 1 MiB at separators so that memory does not grow with the document.
pub(crate) struct TextOut {
    label: String,
    buf: String,
    pending: Sep,
}

impl TextOut {
    pub(crate) fn new(label: String) -> Self {
        TextOut {
            label,
            buf: String::new(),
            pending: Sep::None,
        }
    }

    /// Appends `name` as the label of what follows (`FileVersion: `), as a reader reads a
    /// value under its column or after its field's name.
    pub(crate) fn label(&mut self, name: &str) {
        self.push(name);
        self.push(":");
        self.sep(Sep::Space);
    }

    /// Appends text; a pending separator is written first.
    pub(crate) fn push(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.write_pending();
        if s.contains('\0') {
            self.buf.extend(s.chars().filter(|&c| c != '\0'));
        } else {
            self.buf.push_str(s);
        }
    }

    fn write_pending(&mut self) {
        if !self.buf.is_empty() {
            match self.pending {
                Sep::None => {}
                Sep::Space => self.buf.push(' '),
                Sep::Tab => self.buf.push('\t'),
                Sep::Line => self.buf.push('\n'),
            }
        }
        self.pending = Sep::None;
    }

    /// Requests a separator before the next text (the strongest requested one wins).
    pub(crate) fn sep(&mut self, s: Sep) {
        if s > self.pending {
            self.pending = s;
        }
    }

    /// Writes a space before what comes next now (unless a stronger separator is pending or
    /// nothing came before); returns where it is, for [`TextOut::unspace`].
    pub(crate) fn space_now(&mut self) -> Option<usize> {
        self.sep(Sep::Space);
        let space = self.pending == Sep::Space && !self.buf.is_empty();
        self.write_pending();
        space.then(|| self.buf.len() - 1)
    }

    /// Takes back the space [`TextOut::space_now`] wrote at `at` (if the text still has it
    /// there: a flush in between leaves it out).
    pub(crate) fn unspace(&mut self, at: usize) {
        if self.buf.as_bytes().get(at) == Some(&b' ') {
            self.buf.remove(at);
        }
    }

    /// Where the text stands now, for [`TextOut::replace_since`].
    pub(crate) fn checkpoint(&self) -> (usize, Sep) {
        (self.buf.len(), self.pending)
    }

    /// Replaces what was written since `checkpoint` (and the separator requested since) with
    /// `text`, if none of it was handed out in between.
    pub(crate) fn replace_since(&mut self, (at, pending): (usize, Sep), text: &str) {
        if at > self.buf.len() || !self.buf.is_char_boundary(at) {
            return;
        }
        self.buf.truncate(at);
        self.pending = pending;
        self.push(text);
    }

    /// Hands the text out if it has grown large and ends at a separator.
    pub(crate) fn maybe_flush(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        if self.buf.len() >= CHUNK && self.pending != Sep::None {
            self.flush(ctx)?;
        }
        Ok(())
    }

    /// Hands out what has been gathered (if anything but whitespace).
    pub(crate) fn flush(&mut self, ctx: &mut Ctx<'_>) -> io::Result<()> {
        if !self.buf.trim().is_empty() {
            ctx.emit_text(&self.label, &self.buf)?;
        }
        self.buf.clear();
        self.pending = Sep::None;
        Ok(())
    }

    /// Flushes and continues under a new label.
    pub(crate) fn relabel(&mut self, ctx: &mut Ctx<'_>, label: String) -> io::Result<()> {
        self.flush(ctx)?;
        self.label = label;
        Ok(())
    }
}
