//! The document layer of maxmind-geolocate: turns an attachment (PDF, Office, e-mail, HTML/XML,
//! archives) into the text a human reader sees, part by part, each part labelled with where it
//! came from. Files it does not recognise are handed on whole, as raw bytes.
//!
//! Entry points: [`decode`] of a reader, [`decode_in_memory`] of bytes held already (no copy
//! of them). Everything read from the attachment goes through capped readers
//! ([`Limits`]); no input makes it panic (a last-resort guard turns a dependency's panic into a
//! `document_partial` warning) and there is no `unsafe` code.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod archive;
mod compressed;
mod html;
mod html_entities;
mod limits;
mod mail;
mod msg;
mod office;
mod pdf;
pub mod samples;
mod sniff;
mod table;
mod text;
mod xml;
mod xml_fast;

pub use limits::Limits;
pub use xml::fuzz_attributes;

use limits::{Budget, Capped, read_capped};
use std::io::{self, Cursor, Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// Receives each part of the document as it is decoded (streaming: parts are not all held at
/// once).
pub trait Sink {
    /// One part: `found_in` says where it is; `text` yields its bytes. `kind` says whether the
    /// bytes are decoded text (UTF-8) or an unrecognised file's raw bytes.
    fn part(&mut self, found_in: &str, kind: PartKind, text: &mut dyn Read) -> io::Result<()>;
}

/// What the bytes of a part are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Decoded text, UTF-8.
    Text,
    /// The raw bytes of a file that is not a recognised document, to be scanned as any file
    /// (UTF-8, UTF-16 by BOM or zero bytes, or binary).
    Raw,
}

/// What an attachment was recognised as (by content, not by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PDF (`%PDF-` in the first KiB).
    Pdf,
    /// Word (OOXML) document.
    Docx,
    /// Excel (OOXML) workbook.
    Xlsx,
    /// PowerPoint (OOXML) presentation.
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
    /// One RFC 5322 e-mail.
    Eml,
    /// A mailbox of e-mails (`From ` separated).
    Mbox,
    /// Outlook message (CFB compound file).
    Msg,
    /// HTML page.
    Html,
    /// Other XML.
    Xml,
    /// ZIP archive (not an Office document).
    Zip,
    /// gzip stream (its content decoded under the same label).
    Gzip,
    /// xz stream (its content decoded under the same label).
    Xz,
    /// bzip2 stream (its content decoded under the same label).
    Bzip2,
    /// zstd stream (its content decoded under the same label).
    Zstd,
    /// tar archive.
    Tar,
    /// A delimited table (CSV, TSV) whose header names a version column.
    Table,
    /// Not a recognised document: handed on whole as [`PartKind::Raw`].
    Other,
}

/// Something the decoder could not fully do. `code` is one of `document_partial`,
/// `document_encrypted`, `document_limit`, `document_unsupported`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable snake_case code.
    pub code: &'static str,
    /// Human-readable: which part, what was skipped.
    pub message: String,
}

/// Truncated or corrupt input: what could be read was read.
pub const DOCUMENT_PARTIAL: &str = "document_partial";
/// Encrypted content that could not be opened (PDF with a user password, encrypted ZIP entry).
pub const DOCUMENT_ENCRYPTED: &str = "document_encrypted";
/// A cap of [`Limits`] was reached; the message names the cap and what was skipped.
pub const DOCUMENT_LIMIT: &str = "document_limit";
/// Recognised but not read (an unknown PDF filter, a ZIP compression method…).
pub const DOCUMENT_UNSUPPORTED: &str = "document_unsupported";

/// The result of [`decode`] and [`decode_in_memory`].
#[derive(Debug)]
pub struct Outcome {
    /// What the attachment was recognised as.
    pub format: Format,
    /// Everything that could not be fully read; all that was found elsewhere was still handed
    /// to the sink.
    pub warnings: Vec<Warning>,
    /// The sink's own error, if it failed: decoding stopped there.
    pub error: Option<io::Error>,
}

/// Decodes `input` (recognised by content — magic bytes and structure; `name` is only a hint
/// and the start of every label) and hands every part to `sink`, in document order.
pub fn decode<R: Read + Seek>(
    name: &str,
    input: R,
    limits: &Limits,
    sink: &mut dyn Sink,
) -> Outcome {
    let mut input = input;
    decode_with(name, limits, sink, |ctx, label| {
        // The head is sniffed before the budget counts what is read: it is read again.
        let mut head = Vec::new();
        (&mut input).take(HEAD).read_to_end(&mut head)?;
        input.seek(io::SeekFrom::Start(0))?;
        let format = sniff::sniff(&head);
        let mut input = Capped::new(input, &ctx.budget);
        decode_seekable(ctx, label, &mut input, format)
    })
}

/// [`decode`] of an attachment already in memory: a format decoded from memory (PDF, e-mail,
/// HTML, …) is decoded from `bytes` itself, where [`decode`] reads its input into a buffer
/// of its own first. The same parts and warnings as [`decode`] of a reader over `bytes`.
pub fn decode_in_memory(name: &str, bytes: &[u8], limits: &Limits, sink: &mut dyn Sink) -> Outcome {
    let format = sniff::sniff(&bytes[..bytes.len().min(HEAD as usize)]);
    // (`decode` charges the whole input to the budget, and buffers at most `max_buffer_bytes`.)
    let size = bytes.len() as u64;
    let fits = size <= limits.max_decoded_bytes && size <= limits.max_buffer_bytes;
    if !format.is_read_whole() || !fits {
        // Streamed or read in place by `decode` as well; or cut by a limit, as it says.
        return decode(name, Cursor::new(bytes), limits, sink);
    }
    decode_with(name, limits, sink, |ctx, label| {
        ctx.budget.take(bytes.len() as u64);
        decode_bytes(ctx, label, bytes, 0)
    })
}

/// Runs `decode` over a context for `sink` within `limits` (a panic in a decoder is a
/// warning: the parts handed on before it stand), and gathers the outcome.
fn decode_with(
    name: &str,
    limits: &Limits,
    sink: &mut dyn Sink,
    decode: impl FnOnce(&mut Ctx<'_>, &str) -> io::Result<Format>,
) -> Outcome {
    let label = text::clean_name(name);
    let budget = Budget::new(limits.max_decoded_bytes);
    let mut ctx = Ctx {
        limits,
        sink,
        warnings: Vec::new(),
        budget: Rc::clone(&budget),
        entries: 0,
        sink_error: None,
        budget_warned: false,
        open_windows: 0,
    };
    let result = catch_unwind(AssertUnwindSafe(|| decode(&mut ctx, &label)));
    let format = match result {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            if ctx.sink_error.is_none() {
                ctx.warn(DOCUMENT_PARTIAL, format!("{label}: read error: {e}"));
            }
            Format::Other
        }
        Err(_) => {
            ctx.warn(
                DOCUMENT_PARTIAL,
                format!("{label}: internal decoder failure; the rest was skipped"),
            );
            Format::Other
        }
    };
    ctx.note_budget(&label);
    Outcome {
        format,
        warnings: ctx.warnings,
        error: ctx.sink_error,
    }
}

/// How many leading bytes [`recognise`] looks at.
pub const HEAD_BYTES: usize = HEAD as usize;

/// What a file is, from its first [`HEAD_BYTES`] bytes (as [`decode`] recognises it): a caller
/// can stream a file that is no document ([`Format::Other`]) itself, and hand only documents to
/// [`decode`].
pub fn recognise(head: &[u8]) -> Format {
    sniff::sniff(head)
}

impl Format {
    /// Whether [`decode`] reads an attachment of this format into memory whole to decode it
    /// (PDF, e-mail, HTML, …), where it streams the others (gzip, xz, bzip2, zstd, tar, what
    /// it does not recognise) or reads them in place (ZIP, `.msg`): [`decode_in_memory`]
    /// decodes these from the bytes it is given.
    pub fn is_read_whole(self) -> bool {
        !matches!(
            self,
            Format::Other
                | Format::Gzip
                | Format::Xz
                | Format::Bzip2
                | Format::Zstd
                | Format::Tar
                | Format::Table
                | Format::Zip
                | Format::Msg
        )
    }

    /// A short name, for messages (`pdf`, `docx`, …, `other`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Ods => "ods",
            Format::Odp => "odp",
            Format::Eml => "eml",
            Format::Mbox => "mbox",
            Format::Msg => "msg",
            Format::Html => "html",
            Format::Xml => "xml",
            Format::Zip => "zip",
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Bzip2 => "bzip2",
            Format::Zstd => "zstd",
            Format::Tar => "tar",
            Format::Table => "table",
            Format::Other => "other",
        }
    }
}

/// Fuzzing harness: decodes `bytes` (as `fuzz.bin`) with default limits into a sink that reads
/// and drops every part. Must never panic, whatever the bytes.
pub fn fuzz_one(bytes: &[u8]) {
    fuzz_as(None, bytes);
}

/// [`fuzz_one`] with the decoder chosen: `Some(format)` hands `bytes` straight to that format's
/// decoder, whatever they look like, so that a fuzzer explores one decoder at a time (the
/// OOXML and ODF formats are ZIPs: they go to the ZIP decoder, which tells them apart).
pub fn fuzz_as(format: Option<Format>, bytes: &[u8]) {
    struct Drain;
    impl Sink for Drain {
        fn part(&mut self, _: &str, _: PartKind, text: &mut dyn Read) -> io::Result<()> {
            io::copy(text, &mut io::sink()).map(|_| ())
        }
    }
    let limits = Limits {
        max_decoded_bytes: 64 << 20,
        max_buffer_bytes: 16 << 20,
        max_pdf_stream_bytes: 16 << 20,
        ..Limits::default()
    };
    let Some(format) = format else {
        let _ = decode("fuzz.bin", Cursor::new(bytes), &limits, &mut Drain);
        return;
    };
    let budget = Budget::new(limits.max_decoded_bytes);
    let mut ctx = Ctx {
        limits: &limits,
        sink: &mut Drain,
        warnings: Vec::new(),
        budget: Rc::clone(&budget),
        entries: 0,
        sink_error: None,
        budget_warned: false,
        open_windows: 0,
    };
    let ctx = &mut ctx;
    let label = "fuzz.bin";
    let _ = match format {
        Format::Pdf => pdf::decode(ctx, label, bytes, 0),
        Format::Eml => mail::decode_eml(ctx, label, bytes, 0),
        Format::Mbox => mail::decode_mbox(ctx, label, bytes, 0),
        Format::Html => html::decode(ctx, label, bytes),
        Format::Xml => xml::decode(ctx, label, bytes),
        Format::Msg => msg::decode(ctx, label, &mut Cursor::new(bytes), 0).map(drop),
        Format::Gzip => archive::gzip(ctx, label, &mut &bytes[..], 0).map(drop),
        Format::Xz | Format::Bzip2 | Format::Zstd => {
            compressed::decode(ctx, label, &mut &bytes[..], 0, format).map(drop)
        }
        Format::Tar => archive::tar(ctx, label, &mut &bytes[..], 0).map(drop),
        // Delimited or aligned, as its first lines say (else raw).
        Format::Table => table(ctx, label, &mut &bytes[..], table::layout(bytes)).map(drop),
        Format::Zip
        | Format::Docx
        | Format::Xlsx
        | Format::Pptx
        | Format::Odt
        | Format::Ods
        | Format::Odp => archive::zip(ctx, label, &mut Cursor::new(bytes), 0).map(drop),
        Format::Other => ctx.emit_raw(label, &mut &bytes[..]),
    };
}

/// Anything that reads and seeks (the attachment, or a buffered member of a container).
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// The state of one [`decode`] call, handed to every format decoder.
pub(crate) struct Ctx<'a> {
    pub(crate) limits: &'a Limits,
    sink: &'a mut dyn Sink,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) budget: Rc<Budget>,
    entries: usize,
    sink_error: Option<io::Error>,
    budget_warned: bool,
    /// xz and zstd streams open around the one being decoded: each inner one may hold half the
    /// window of the one around it (see `compressed::decode`).
    pub(crate) open_windows: u32,
}

impl Ctx<'_> {
    /// Hands a text part to the sink.
    pub(crate) fn emit_text(&mut self, label: &str, text: &str) -> io::Result<()> {
        let label = text::cap_label(label);
        let mut r = text.as_bytes();
        self.call_sink(&label, PartKind::Text, &mut r)
    }

    /// Hands raw bytes to the sink, streamed.
    pub(crate) fn emit_raw(&mut self, label: &str, r: &mut dyn Read) -> io::Result<()> {
        let label = text::cap_label(label);
        self.call_sink(&label, PartKind::Raw, r)
    }

    fn call_sink(&mut self, label: &str, kind: PartKind, r: &mut dyn Read) -> io::Result<()> {
        if self.sink_error.is_some() {
            return Err(io::Error::other("sink failed"));
        }
        // Errors from the source while the sink reads are the source's, not the sink's:
        // remember them so that the two can be told apart.
        let mut guard = ErrGuard {
            inner: r,
            err: None,
        };
        match self.sink.part(label, kind, &mut guard) {
            Ok(()) => match guard.err {
                Some(e) => Err(e),
                None => Ok(()),
            },
            Err(e) => match guard.err {
                Some(src) => Err(src),
                None => {
                    self.sink_error = Some(e);
                    Err(io::Error::other("sink failed"))
                }
            },
        }
    }

    /// True once the sink failed: every decoder stops.
    pub(crate) fn stopped(&self) -> bool {
        self.sink_error.is_some()
    }

    pub(crate) fn warn(&mut self, code: &'static str, message: String) {
        if self.warnings.len() < 1_000 {
            self.warnings.push(Warning { code, message });
        }
    }

    /// Warns once if the decoded-bytes budget ran out.
    pub(crate) fn note_budget(&mut self, label: &str) {
        if self.budget.exhausted() && !self.budget_warned {
            self.budget_warned = true;
            self.warn(
                DOCUMENT_LIMIT,
                format!("{label}: max_decoded_bytes ({}) reached; the rest of the attachment was skipped", self.limits.max_decoded_bytes),
            );
        }
    }

    /// Counts one container member; false (with a warning, once) past `max_entries`.
    pub(crate) fn take_entry(&mut self, label: &str) -> bool {
        self.entries += 1;
        if self.entries == self.limits.max_entries + 1 {
            self.warn(
                DOCUMENT_LIMIT,
                format!(
                    "{label}: max_entries ({}) reached; this and later members skipped",
                    self.limits.max_entries
                ),
            );
        }
        self.entries <= self.limits.max_entries
    }

    /// Whether members of a container at `depth` may be opened (they are at `depth + 1`).
    pub(crate) fn may_nest(&mut self, label: &str, depth: usize) -> bool {
        if depth >= self.limits.max_depth {
            self.warn(
                DOCUMENT_LIMIT,
                format!(
                    "{label}: max_depth ({}) reached; its contents were not opened",
                    self.limits.max_depth
                ),
            );
            return false;
        }
        true
    }

    /// Records a decoder error on one branch: stops everything if the sink failed, else warns
    /// `document_partial` and lets the caller go on.
    pub(crate) fn branch_error(&mut self, label: &str, e: io::Error) -> io::Result<()> {
        if self.stopped() {
            return Err(e);
        }
        self.warn(
            DOCUMENT_PARTIAL,
            format!("{label}: {e}; the rest of it was skipped"),
        );
        Ok(())
    }
}

struct ErrGuard<'r> {
    inner: &'r mut dyn Read,
    err: Option<io::Error>,
}

impl Read for ErrGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let msg = e.to_string();
                self.err = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }
}

/// How many leading bytes are looked at to recognise a format.
const HEAD: u64 = 4096;

/// Decodes a whole attachment, sniffed as `format`, from a seekable input: ZIP and `.msg` are
/// read in place, everything else as a stream.
fn decode_seekable(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn ReadSeek,
    format: Format,
) -> io::Result<Format> {
    match format {
        Format::Zip => archive::zip(ctx, label, input, 0),
        Format::Msg => msg::decode(ctx, label, input, 0),
        _ => {
            let size = input.seek(io::SeekFrom::End(0))?;
            input.seek(io::SeekFrom::Start(0))?;
            decode_reader_sized(ctx, label, input, 0, Some(size))
        }
    }
}

/// Decodes a stream: gzip, xz, bzip2, zstd, tar and unrecognised files are streamed; other
/// formats are buffered (up to `max_buffer_bytes`) and decoded in memory.
pub(crate) fn decode_reader(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    depth: usize,
) -> io::Result<Format> {
    decode_reader_sized(ctx, label, input, depth, None)
}

/// [`decode_reader`] of an input whose length is known (`size`, in bytes): a file buffered to
/// be decoded is allocated once, at its size.
fn decode_reader_sized(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    depth: usize,
    size: Option<u64>,
) -> io::Result<Format> {
    let mut head = Vec::new();
    if let Err(e) = input.take(HEAD).read_to_end(&mut head) {
        // A stream that breaks within its first bytes (a truncated gzip): decode what came,
        // then report the damage.
        if head.is_empty() {
            return Err(e);
        }
        decode_bytes(ctx, label, &head, depth)?;
        return Err(e);
    }
    let fmt = sniff::sniff(&head);
    let mut chained = Cursor::new(head).chain(input);
    match fmt {
        Format::Other => {
            ctx.emit_raw(label, &mut chained)?;
            Ok(Format::Other)
        }
        Format::Gzip => archive::gzip(ctx, label, &mut chained, depth),
        Format::Xz | Format::Bzip2 | Format::Zstd => {
            compressed::decode(ctx, label, &mut chained, depth, fmt)
        }
        Format::Tar => archive::tar(ctx, label, &mut chained, depth),
        Format::Table => {
            let layout = table::layout(chained.get_ref().0.get_ref());
            table(ctx, label, &mut chained, layout)
        }
        _ => {
            let cap = ctx.limits.max_buffer_bytes;
            let (buf, more) = read_capped(&mut chained, cap, size)?;
            if more {
                ctx.warn(
                    DOCUMENT_LIMIT,
                    format!("{label}: larger than max_buffer_bytes ({cap}); handed on as raw bytes, not decoded as {fmt:?}"),
                );
                ctx.emit_raw(label, &mut Cursor::new(buf).chain(chained))?;
                return Ok(Format::Other);
            }
            decode_bytes(ctx, label, &buf, depth)
        }
    }
}

/// Streams a table from `input` as its first lines say it is laid out (raw if they say it is
/// none: [`table::layout`]).
fn table(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    layout: Option<table::Layout>,
) -> io::Result<Format> {
    match layout {
        Some(layout) => table::decode(ctx, label, input, layout).map(|()| Format::Table),
        None => ctx.emit_raw(label, input).map(|()| Format::Other),
    }
}

/// Decodes a file held in memory.
pub(crate) fn decode_bytes(
    ctx: &mut Ctx<'_>,
    label: &str,
    bytes: &[u8],
    depth: usize,
) -> io::Result<Format> {
    let fmt = sniff::sniff(&bytes[..bytes.len().min(HEAD as usize)]);
    match fmt {
        Format::Pdf => pdf::decode(ctx, label, bytes, depth).map(|()| Format::Pdf),
        Format::Zip => archive::zip(ctx, label, &mut Cursor::new(bytes), depth),
        Format::Msg => msg::decode(ctx, label, &mut Cursor::new(bytes), depth),
        Format::Eml => mail::decode_eml(ctx, label, bytes, depth).map(|()| Format::Eml),
        Format::Mbox => mail::decode_mbox(ctx, label, bytes, depth).map(|()| Format::Mbox),
        Format::Html => html::decode(ctx, label, bytes).map(|()| Format::Html),
        Format::Xml => xml::decode(ctx, label, bytes).map(|()| Format::Xml),
        Format::Gzip => archive::gzip(ctx, label, &mut &bytes[..], depth),
        Format::Xz | Format::Bzip2 | Format::Zstd => {
            compressed::decode(ctx, label, &mut &bytes[..], depth, fmt)
        }
        Format::Tar => archive::tar(ctx, label, &mut &bytes[..], depth),
        Format::Table => table(ctx, label, &mut &bytes[..], table::layout(bytes)),
        _ => {
            ctx.emit_raw(label, &mut &bytes[..])?;
            Ok(Format::Other)
        }
    }
}
