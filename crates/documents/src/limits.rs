//! Caps that bound the work done on one attachment, and the shared byte budget that enforces
//! `max_decoded_bytes` through capped readers.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Caps for one attachment. Every cap is checked while reading; declared sizes (ZIP
/// uncompressed size, PDF `/Length`, gzip ISIZE) are never trusted.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Total bytes read from the attachment plus every byte produced by a decompressor or a
    /// transfer decoding inside it (ZIP/gzip inflate, PDF filters, base64, quoted-printable),
    /// nested levels included. Default 1 GiB.
    pub max_decoded_bytes: u64,
    /// Members of containers across the whole attachment: archive entries, mail parts, `.msg`
    /// attachments, PDF embedded files. Default 10,000.
    pub max_entries: usize,
    /// Nesting of containers (a ZIP in a mail in a gzip is depth 3). Default 8.
    pub max_depth: usize,
    /// Indirect objects indexed in one PDF (and ten times as many object look-ups). Default 500,000.
    pub max_pdf_objects: usize,
    /// Pages read from one PDF. Default 100,000.
    pub max_pdf_pages: usize,
    /// Decoded size of one PDF stream (content stream, object stream, ToUnicode CMap). Default 32 MiB.
    pub max_pdf_stream_bytes: u64,
    /// Nesting of XML/HTML elements, PDF arrays/dictionaries and form XObjects. Default 1,000.
    pub max_xml_depth: usize,
    /// Largest single file held in memory to be decoded (a PDF, a mail, an HTML page, a ZIP or
    /// `.msg` found inside another container), and largest xz dictionary or zstd window (half
    /// that inside another such stream, and so on). A larger file is handed on as raw bytes, a
    /// larger dictionary ends its stream, each with a `document_limit` warning. Default 64
    /// MiB. Peak memory of a decode stays around 3.5 × this + 2 × `max_pdf_stream_bytes`
    /// (≈ 290 MiB with the defaults; nested xz or zstd streams hold up to 2 × this).
    pub max_buffer_bytes: u64,
    /// MIME parts read from one mail (nested messages included). Default 1,000.
    pub max_mail_parts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decoded_bytes: 1 << 30,
            max_entries: 10_000,
            max_depth: 8,
            max_pdf_objects: 500_000,
            max_pdf_pages: 100_000,
            max_pdf_stream_bytes: 32 << 20,
            max_xml_depth: 1_000,
            max_buffer_bytes: 64 << 20,
            max_mail_parts: 1_000,
        }
    }
}

/// The remaining byte budget of one attachment, shared by every capped reader.
#[derive(Debug)]
pub(crate) struct Budget {
    remaining: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Budget {
    pub(crate) fn new(bytes: u64) -> Rc<Budget> {
        Rc::new(Budget {
            remaining: Cell::new(bytes),
            exhausted: Cell::new(false),
        })
    }

    /// True once some reader was cut short because the budget ran out.
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted.get()
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.remaining.get()
    }

    /// Takes `n` bytes from the budget; false (and marks exhaustion) if they are not there.
    pub(crate) fn take(&self, n: u64) -> bool {
        let rem = self.remaining.get();
        if n > rem {
            self.remaining.set(0);
            self.exhausted.set(true);
            false
        } else {
            self.remaining.set(rem - n);
            true
        }
    }
}

/// A reader whose output is charged to the attachment's [`Budget`]; it ends (EOF) when the
/// budget runs out and marks the budget exhausted if more data was there.
pub(crate) struct Capped<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R> Capped<R> {
    pub(crate) fn new(inner: R, budget: &Rc<Budget>) -> Self {
        Capped {
            inner,
            budget: Rc::clone(budget),
        }
    }

    /// The reader it caps.
    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let rem = self.budget.remaining.get();
        if rem == 0 {
            if !self.budget.exhausted.get() {
                let mut one = [0u8; 1];
                if self.inner.read(&mut one)? > 0 {
                    self.budget.exhausted.set(true);
                }
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(rem).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.budget.remaining.set(rem - n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Capped<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Reads at most `cap` bytes of `r` into memory; the flag says whether more data followed.
/// `size`, the input's length where it is known (a seekable input, not a declared size), is
/// allocated at once: growing by doubling would copy the file and hold up to twice its size.
pub(crate) fn read_capped(
    r: &mut dyn Read,
    cap: u64,
    size: Option<u64>,
) -> io::Result<(Vec<u8>, bool)> {
    let reserve = size.map_or(0, |s| s.min(cap));
    let mut out = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    r.take(cap).read_to_end(&mut out)?;
    if (out.len() as u64) < cap {
        return Ok((out, false));
    }
    let mut one = [0u8; 1];
    let more = loop {
        match r.read(&mut one) {
            Ok(n) => break n > 0,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if more {
        out.push(one[0]);
    }
    Ok((out, more))
}
