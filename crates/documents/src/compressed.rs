//! Compressed streams other than gzip: xz, bzip2 and zstd (`.xz`, `.bz2`, `.zst`, and so
//! `.tar.xz`, `.tar.bz2`, `.tar.zst`). Each is decoded as `archive::gzip` decodes gzip: as a
//! stream, every stream or frame of the file in turn (as `xz -d`, `bzip2 -d` and `zstd -d`
//! read concatenated files), through a capped reader, the content decoded under the file's own
//! label (`logs.tar.xz/var/log/secure`).
//!
//! Memory: an xz dictionary and a zstd window are allocated from a size the file declares, up
//! to gigabytes; both decoders here are given `max_buffer_bytes` as their largest (64 MiB by
//! default, what `xz -9` declares; `zstd -19` declares 8 MiB), half that inside another xz or
//! zstd stream, and so on (all nested together hold at most twice it). A larger one ends the
//! stream with a `document_limit` warning, before it is allocated. bzip2 needs under 4 MiB
//! whatever the file says.

use crate::limits::Capped;
use crate::{Ctx, DOCUMENT_LIMIT, Format, decode_reader};
use bzip2::read::MultiBzDecoder;
use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::{self, BufRead, BufReader, Read};
use xz4rust::{XzDecoder, XzError};

/// Decodes an xz, bzip2 or zstd stream (`format`); its content is decoded under the same
/// label.
pub(crate) fn decode(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    depth: usize,
    format: Format,
) -> io::Result<Format> {
    if !ctx.may_nest(label, depth) {
        return Ok(format);
    }
    // Nested, each stream's window is half the one around it: however deep the nesting, all
    // of them together hold at most twice `max_buffer_bytes`.
    let window = ctx.limits.max_buffer_bytes >> ctx.open_windows.min(63);
    let decoder = match format {
        Format::Xz => Decoder::Xz(KeepFailure::new(XzStreams::new(input, window))),
        Format::Bzip2 => Decoder::Bzip2(MultiBzDecoder::new(input)),
        _ => Decoder::Zstd(Box::new(KeepFailure::new(ZstdFrames::new(input, window)))),
    };
    let mut capped = Capped::new(decoder, &ctx.budget);
    ctx.open_windows += 1;
    let result = decode_reader(ctx, label, &mut capped, depth + 1);
    ctx.open_windows -= 1;
    let refused = capped.get_ref().refused_window();
    if let Err(e) = result {
        // A refused window is a limit, said below, not damage; a failed sink stops everything.
        if refused.is_none() || ctx.stopped() {
            ctx.branch_error(label, e)?;
        }
    }
    if let Some(declared) = refused {
        let what = if format == Format::Xz {
            "xz dictionary"
        } else {
            "zstd window"
        };
        ctx.warn(
            DOCUMENT_LIMIT,
            format!(
                "{label}: {what} of {declared} bytes is larger than this stream may hold ({window} bytes: max_buffer_bytes, halved for each xz or zstd stream around it); the rest was skipped"
            ),
        );
    }
    ctx.note_budget(label);
    Ok(format)
}

/// One of the stream decoders, reading from the attachment.
enum Decoder<'a> {
    Xz(KeepFailure<XzStreams<&'a mut dyn Read>>),
    Bzip2(MultiBzDecoder<&'a mut dyn Read>),
    // Boxed: a frame decoder's state is some 900 bytes, eight times the others'.
    Zstd(Box<KeepFailure<ZstdFrames<&'a mut dyn Read>>>),
}

impl Decoder<'_> {
    /// The declared dictionary or window size that was refused, if one was.
    fn refused_window(&self) -> Option<u64> {
        match self {
            Decoder::Xz(x) => x.decoder.refused,
            Decoder::Bzip2(_) => None,
            Decoder::Zstd(z) => z.decoder.refused,
        }
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Xz(x) => x.read(buf),
            Decoder::Bzip2(b) => b.read(buf),
            Decoder::Zstd(z) => z.read(buf),
        }
    }
}

/// A decoder of many streams or frames, read `decode_some` at a time.
trait DecodeSome {
    /// Decodes into `out` (not empty): the count of bytes, 0 at the end of the last stream.
    fn decode_some(&mut self, out: &mut [u8]) -> io::Result<usize>;
}

/// Reads a [`DecodeSome`], keeping its first failure: every later read returns it again.
struct KeepFailure<D> {
    decoder: D,
    failed: Option<(io::ErrorKind, String)>,
}

impl<D> KeepFailure<D> {
    fn new(decoder: D) -> Self {
        KeepFailure {
            decoder,
            failed: None,
        }
    }
}

impl<D: DecodeSome> Read for KeepFailure<D> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        if out.is_empty() {
            return Ok(0);
        }
        self.decoder.decode_some(out).inspect_err(|e| {
            self.failed = Some((e.kind(), e.to_string()));
        })
    }
}

/// Bytes of compressed input held at once.
const INPUT_BUFFER: usize = 64 << 10;

/// An xz file read as `xz -d` reads it: every stream in turn, the zero bytes of stream padding
/// between them skipped.
struct XzStreams<R> {
    inner: R,
    decoder: Box<XzDecoder<'static>>,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Inside a stream (not before the first, between two, or after the last).
    in_stream: bool,
    /// The dictionary size a block declared past the maximum.
    refused: Option<u64>,
}

impl<R: Read> XzStreams<R> {
    /// Reads `inner`; no block may declare a dictionary larger than `max_dict` bytes.
    fn new(inner: R, max_dict: u64) -> Self {
        let max_dict = usize::try_from(max_dict).unwrap_or(usize::MAX);
        XzStreams {
            inner,
            // Grown to each block's dictionary size as blocks declare it, up to `max_dict`.
            decoder: XzDecoder::in_heap_with_alloc_dict_size(xz4rust::DICT_SIZE_MIN, max_dict),
            buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            in_stream: false,
            refused: None,
        }
    }

    /// Reads more input after what is held (moved to the front first); false at its end.
    fn fill(&mut self) -> io::Result<bool> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "xz: no progress on a full input buffer",
            ));
        }
        let n = loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.end += n;
        Ok(n > 0)
    }
}

impl<R: Read> DecodeSome for XzStreams<R> {
    fn decode_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.start == self.end && !self.fill()? {
                if self.in_stream {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "xz stream cut short",
                    ));
                }
                return Ok(0);
            }
            if !self.in_stream {
                let held = &self.buf[self.start..self.end];
                self.start += held.iter().take_while(|&&b| b == 0).count();
                if self.start == self.end {
                    continue;
                }
                self.decoder.reset();
                self.in_stream = true;
            }
            match self.decoder.decode(&self.buf[self.start..self.end], out) {
                Ok(step) => {
                    self.start += step.input_consumed();
                    if step.is_end_of_stream() {
                        self.in_stream = false;
                    }
                    if step.output_produced() > 0 {
                        return Ok(step.output_produced());
                    }
                    if !step.made_progress() && !step.is_end_of_stream() && !self.fill()? {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "xz stream cut short",
                        ));
                    }
                }
                Err(XzError::NeedsLargerInputBuffer) => {
                    if !self.fill()? {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "xz stream cut short",
                        ));
                    }
                }
                Err(XzError::DictionaryTooLarge(declared)) => {
                    self.refused = Some(declared);
                    return Err(io::Error::other(format!(
                        "xz dictionary of {declared} bytes refused"
                    )));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("xz data corrupt ({e})"),
                    ));
                }
            }
        }
    }
}

/// A zstd file read as `zstd -d` reads it: every frame in turn, skippable frames skipped.
struct ZstdFrames<R> {
    inner: BufReader<R>,
    frame: FrameDecoder,
    in_frame: bool,
    /// The window size a frame declared past the maximum.
    refused: Option<u64>,
}

impl<R: Read> ZstdFrames<R> {
    /// Reads `inner`; no frame may declare a window larger than `max_window` bytes.
    fn new(inner: R, max_window: u64) -> Self {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(max_window);
        ZstdFrames {
            inner: BufReader::with_capacity(INPUT_BUFFER, inner),
            frame,
            in_frame: false,
            refused: None,
        }
    }

    /// Starts the next frame; false at the end of the input.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.inner.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.frame.reset(&mut self.inner) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.inner).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd skippable frame cut short",
                        ));
                    }
                }
                Err(FrameDecoderError::WindowSizeTooBig { requested, .. }) => {
                    self.refused = Some(requested);
                    return Err(io::Error::other(format!(
                        "zstd window of {requested} bytes refused"
                    )));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("zstd frame unreadable: {e}"),
                    ));
                }
            }
        }
    }
}

impl<R: Read> DecodeSome for ZstdFrames<R> {
    fn decode_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            if self.frame.can_collect() == 0 && !self.frame.is_finished() {
                let before = self.frame.bytes_read_from_source();
                self.frame
                    .decode_blocks(&mut self.inner, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| {
                        io::Error::new(io::ErrorKind::InvalidData, format!("zstd data: {e}"))
                    })?;
                if self.frame.bytes_read_from_source() == before {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zstd frame cut short",
                    ));
                }
                continue;
            }
            let n = self.frame.read(out)?;
            if n > 0 {
                return Ok(n);
            }
            if self.frame.is_finished() && self.frame.can_collect() == 0 {
                self.in_frame = false;
            }
        }
    }
}
