//! Reading an attachment's content for the addresses in it.
//!
//! Plain text, logs, CSV, JSON and binaries are scanned here, streamed (`extract`). Documents —
//! PDF, Office, e-mail, HTML/XML, archives, recognised by their content — are first turned into
//! the text a reader sees by the document layer (the `documents` crate), part by part, each
//! part labelled with where it is (`report.pdf p. 3`, `logs.zip/fw/deny.log`); every address
//! found keeps the label of the part it was first found in.
//!
//! Documents come from attackers, and a decoder of a complex format may still blow its memory
//! or stack on some input. So the binary decodes them in a child process of its own (the hidden
//! `decode-document` command), with limits on its memory and CPU time; the parent reads the
//! addresses the child reports as it finds them. When the child dies, the addresses it
//! reported are kept and a `document_partial` warning says what happened.

use super::mapped::MappedFile;
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ipnet::IpNet;

use crate::extract::{self, Extracted, Location, ScanError};

/// One address found in an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The address.
    pub ip: IpAddr,
    /// The network, when the text wrote the address as a CIDR.
    pub network: Option<IpNet>,
    /// The part it was found in (`report.pdf p. 3`; the attachment's name for plain text).
    pub found_in: Arc<str>,
    /// Where in the part, as written (only when every occurrence is asked for).
    pub at: Option<Location>,
}

/// Where documents are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoder {
    /// In this process (the library's default: tests, fuzzing).
    InProcess,
    /// In a child process: this binary, run with the hidden `decode-document` command.
    Child(PathBuf),
}

/// How an attachment is read.
#[derive(Debug, Clone)]
pub struct Reading<'a> {
    /// The attachment's name: the label of its parts (and of the whole, for plain text).
    pub name: &'a str,
    /// The largest attachment read, in bytes.
    pub limit: u64,
    /// The attachment's length in bytes, when it is known (a file's, a decoded upload's): a
    /// document is then read into one buffer of that size, not into one grown by doubling.
    pub size: Option<u64>,
    /// The attachment's file, when it is one (and the input reads it from its start): a
    /// decoding child is given the file to map rather than its bytes through a pipe.
    pub file: Option<&'a std::fs::File>,
    /// The most bytes the document layer may decode from it, all parts together.
    pub max_decoded: u64,
    /// Where documents are decoded.
    pub decoder: &'a Decoder,
    /// Every occurrence of every address, with where it is written (`extract --with-source`),
    /// rather than each address once.
    pub every: bool,
    /// When the reading must end.
    pub deadline: Instant,
}

/// A warning about the attachment (`document_partial`, `document_limit`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable snake_case code.
    pub code: String,
    /// What was skipped and why.
    pub message: String,
}

/// What a reading found, beside the addresses.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// What the attachment was recognised as (`pdf`, `docx`, …, `other` for plain content).
    pub format: &'static str,
    /// Everything that could not be read whole.
    pub warnings: Vec<Warning>,
}

/// Reads `input` for its addresses, handing each to `found`, which says whether to go on (an
/// action stops reading once it has more addresses than it may look up).
pub fn read(
    mut input: impl Read + Send,
    reading: &Reading<'_>,
    found: &mut dyn FnMut(Found) -> bool,
) -> Result<Report, ScanError> {
    let mut head = Vec::with_capacity(documents::HEAD_BYTES);
    (&mut input)
        .take(documents::HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    let format = documents::recognise(&head);
    let whole = Cursor::new(head).chain(input);
    if format == documents::Format::Other {
        return scan_plain(whole, reading, found);
    }
    match reading.decoder {
        Decoder::InProcess => {
            let bytes = read_capped(whole, reading)?;
            Ok(decode_here(reading, &bytes, &|| (), found))
        }
        Decoder::Child(binary) => decode_in_child(binary, whole, reading, found),
    }
}

/// [`read`] of an attachment already in memory, decoded in this process: a document is
/// handed to the decoder as it is, not copied again. (The decoding child gets only what its
/// parent recognised as a document; the text branch keeps `read`'s behaviour all the same.)
fn read_in_memory(
    bytes: &[u8],
    release: &dyn Fn(),
    reading: &Reading<'_>,
    found: &mut dyn FnMut(Found) -> bool,
) -> Result<Report, ScanError> {
    let head = &bytes[..bytes.len().min(documents::HEAD_BYTES)];
    if documents::recognise(head) == documents::Format::Other {
        return scan_plain(bytes, reading, found);
    }
    Ok(decode_here(reading, bytes, release, found))
}

/// Scans an attachment that is no document as text.
fn scan_plain(
    text: impl Read,
    reading: &Reading<'_>,
    found: &mut dyn FnMut(Found) -> bool,
) -> Result<Report, ScanError> {
    let name: Arc<str> = Arc::from(reading.name);
    scan_part(
        text,
        reading.limit,
        &name,
        if reading.every {
            Scan::Located
        } else {
            Scan::Parallel
        },
        found,
        &mut || true,
    )?;
    Ok(Report {
        format: documents::Format::Other.name(),
        warnings: Vec::new(),
    })
}

/// How a part is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Every occurrence, with where it is written (see [`Reading::every`]), piece by piece.
    Located,
    /// Each piece's addresses are passed on before the next piece is read: a document's
    /// decoder may die reading on.
    InTurn,
    /// A plain attachment: pieces are scanned on the thread pool while the next are read
    /// (`app::scan`).
    Parallel,
}

/// Scans one part (or a whole plain attachment) for addresses; `after_chunk` is asked after
/// each piece of text scanned whether to go on (not when `Located`).
fn scan_part(
    text: impl Read,
    limit: u64,
    found_in: &Arc<str>,
    how: Scan,
    found: &mut dyn FnMut(Found) -> bool,
    after_chunk: &mut dyn FnMut() -> bool,
) -> Result<u64, ScanError> {
    let going = std::cell::Cell::new(true);
    if how == Scan::Located {
        return extract::scan_reader_located(text, limit, &mut |e: Extracted, at: Location| {
            if going.get() {
                going.set(found(Found {
                    ip: e.ip,
                    network: e.network,
                    found_in: Arc::clone(found_in),
                    at: Some(at),
                }));
            }
        });
    }
    let mut emit = |e: Extracted| {
        if going.get() {
            going.set(found(Found {
                ip: e.ip,
                network: e.network,
                found_in: Arc::clone(found_in),
                at: None,
            }));
        }
    };
    let mut keep_going = || {
        going.get() && {
            going.set(after_chunk());
            going.get()
        }
    };
    let scanned = if how == Scan::Parallel {
        super::scan::scan_reader_parallel(text, limit, &mut emit, &mut keep_going)
    } else {
        extract::scan_reader_until(text, limit, &mut emit, &mut keep_going)
    };
    match scanned {
        Err(ScanError::Stopped) => Ok(0),
        other => other,
    }
}

/// Reads all of `input`, refusing more than `reading.limit` bytes.
fn read_capped(input: impl Read, reading: &Reading<'_>) -> Result<Vec<u8>, ScanError> {
    let limit = reading.limit;
    // (At most the limit: a size is only what the input said of itself.)
    let expected = reading.size.unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    input
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ScanError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Caps of the document layer that have no setting (see the `documents` crate's `Limits`).
fn limits(max_decoded: u64) -> documents::Limits {
    documents::Limits {
        max_decoded_bytes: max_decoded,
        ..documents::Limits::default()
    }
}

/// Decodes a document in this process, handing each address to `found`: once, unless every
/// occurrence is asked for, or more than [`RECALL`] other distinct addresses came in between.
/// `release` is called after every [`RELEASE_EVERY`] parts (a mapped file's pages go back).
fn decode_here(
    reading: &Reading<'_>,
    bytes: &[u8],
    release: &dyn Fn(),
    found: &mut dyn FnMut(Found) -> bool,
) -> Report {
    struct Parts<'f> {
        every: bool,
        /// The addresses passed on lately (see [`RECALL`]).
        seen: crate::app::Seen,
        /// The addresses passed on lately with a network.
        with_network: crate::app::Seen,
        /// Addresses found and not yet put through `seen`: they go in batches, so that their
        /// lookups in a set larger than the caches overlap (see `Seen::look_ahead`).
        batch: Vec<Found>,
        /// The batch's addresses, for the look-ahead.
        ips: Vec<IpAddr>,
        /// `found` said it wants no more: nothing more is passed on.
        stopped: bool,
        found: &'f mut dyn FnMut(Found) -> bool,
        /// Parts read, and what is called after every [`RELEASE_EVERY`] of them.
        parts: usize,
        release: &'f dyn Fn(),
    }
    impl Parts<'_> {
        /// Passes on the batch's addresses that are new (or all of them, with `every`): each
        /// once, with the first part it is in, and once more when a network is first written
        /// for it (it says how the content wrote it). False once no more are wanted.
        fn flush(&mut self) -> bool {
            if self.stopped {
                self.batch.clear();
                return false;
            }
            if !self.every {
                self.ips.clear();
                self.ips.extend(self.batch.iter().map(|f| f.ip));
                self.seen.look_ahead(&self.ips);
            }
            for f in self.batch.drain(..) {
                let new = first(&mut self.seen, f.ip);
                let new_network = f.network.is_some() && first(&mut self.with_network, f.ip);
                if !self.stopped && (self.every || new || new_network) {
                    self.stopped = !(self.found)(f);
                }
            }
            !self.stopped
        }
    }
    impl documents::Sink for Parts<'_> {
        fn part(
            &mut self,
            found_in: &str,
            _: documents::PartKind,
            text: &mut dyn Read,
        ) -> io::Result<()> {
            self.parts += 1;
            if self.parts.is_multiple_of(RELEASE_EVERY) {
                (self.release)();
            }
            let label: Arc<str> = Arc::from(found_in);
            let every = self.every;
            // The batch is passed on when full, and after each piece of text read: an address
            // found is reported before the decoder reads on (it may die reading).
            let parts = std::cell::RefCell::new(self);
            let scanned = scan_part(
                text,
                u64::MAX,
                &label,
                if every { Scan::Located } else { Scan::InTurn },
                &mut |f: Found| {
                    let mut parts = parts.borrow_mut();
                    parts.batch.push(f);
                    if every || parts.batch.len() == crate::app::Seen::BATCH {
                        parts.flush()
                    } else {
                        true
                    }
                },
                &mut || parts.borrow_mut().flush(),
            );
            let going = parts.into_inner().flush();
            match scanned {
                Ok(_) if going => Ok(()),
                Ok(_) | Err(ScanError::Stopped) => Err(io::Error::other(STOPPED)),
                Err(ScanError::Io(e)) => Err(e),
                Err(e) => Err(io::Error::other(e.to_string())),
            }
        }
    }
    let mut parts = Parts {
        every: reading.every,
        seen: crate::app::Seen::default(),
        with_network: crate::app::Seen::default(),
        batch: Vec::with_capacity(crate::app::Seen::BATCH),
        ips: Vec::with_capacity(crate::app::Seen::BATCH),
        stopped: false,
        found,
        parts: 0,
        release,
    };
    let outcome = documents::decode_in_memory(
        reading.name,
        bytes,
        &limits(reading.max_decoded),
        &mut parts,
    );
    Report {
        format: outcome.format.name(),
        warnings: outcome
            .warnings
            .into_iter()
            .map(|w| Warning {
                code: w.code.to_owned(),
                message: w.message,
            })
            .collect(),
    }
}

/// How many distinct addresses a document's decoder remembers having passed on: it spares the
/// reader repeats (a log names the same few addresses again and again), and forgets them all
/// when it has this many. The reader keeps the one set of distinct addresses; this one stays
/// small, so that a decoding child's memory does not grow with a document's distinct
/// addresses (two sets of 4,096 addresses: under 1 MiB).
const RECALL: usize = 1 << 12;

/// Whether `ip` was not passed on lately: it is added to `seen`, which forgets what it held
/// once it holds [`RECALL`] addresses.
fn first(seen: &mut crate::app::Seen, ip: IpAddr) -> bool {
    if seen.len() >= RECALL {
        seen.clear();
    }
    let place = u32::try_from(seen.len()).unwrap_or(u32::MAX);
    seen.place(ip, place).is_ok()
}

/// How many parts are read between calls of `decode_here`'s `release`: a PDF's pages (a few
/// kilobytes of file each) or an archive's members, given back in groups.
const RELEASE_EVERY: usize = 32;

/// What the sink says when the reader wants no more addresses.
const STOPPED: &str = "enough addresses";

/// Decodes a document in a child process running `binary decode-document`: the attachment is
/// written to its stdin, and the addresses it finds come back on its stdout, one line each.
fn decode_in_child(
    binary: &std::path::Path,
    input: impl Read + Send,
    reading: &Reading<'_>,
    found: &mut dyn FnMut(Found) -> bool,
) -> Result<Report, ScanError> {
    let seconds = reading
        .deadline
        .saturating_duration_since(Instant::now())
        .as_secs()
        .clamp(1, CHILD_CPU_SECONDS);
    // A regular file is handed to the child, to be mapped there; anything else, or a file
    // that cannot be handed on, is sent through a pipe. The handle shares its offset with
    // `reading.file`'s, which the child reads from (if it cannot map the file) and which this
    // process no longer reads: rewound, the child reads the whole file.
    let file = reading
        .file
        .filter(|file| file.metadata().is_ok_and(|m| m.is_file()))
        .and_then(|file| {
            let mut file = file.try_clone().ok()?;
            io::Seek::rewind(&mut file).ok()?;
            Some(file)
        });
    let mut command = Command::new(binary);
    command
        .arg("decode-document")
        .arg("--name")
        .arg(reading.name)
        .arg("--max-bytes")
        .arg(reading.limit.to_string())
        .arg("--max-decoded-bytes")
        .arg(reading.max_decoded.to_string())
        .arg("--cpu-seconds")
        .arg(seconds.to_string())
        .args(reading.size.map(|size| format!("--size={size}")))
        // The allocator reserves a gigabyte of address space up front unless told otherwise;
        // the child's address-space limit is meant for what the decoder takes.
        .env("MIMALLOC_ARENA_RESERVE", "64MiB")
        .stdin(file.map_or_else(Stdio::piped, Stdio::from))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if reading.every {
        command.arg("--every");
    }
    let mut child = command.spawn()?;
    let (stdin, Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return Err(ScanError::Io(io::Error::other("the decoder's pipes")));
    };
    let child = Mutex::new(child);
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let mut result = Report::default();
    let mut too_large = false;
    let mut complete = false;
    // Whole lines that are no line of the protocol (none, from this binary's own child).
    let mut refused = 0;
    std::thread::scope(|threads| {
        // The attachment goes to the child while its answers are read (a pipe holds little).
        if let Some(mut stdin) = stdin {
            threads.spawn(move || {
                let _ = io::copy(&mut { input }, &mut stdin);
            });
        }
        // The action's deadline ends the child too.
        let deadline = reading.deadline;
        let child = &child;
        threads.spawn(move || {
            let wait = deadline.saturating_duration_since(Instant::now());
            if finished.recv_timeout(wait).is_err() {
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
            }
        });
        let mut going = true;
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        let mut label = None;
        loop {
            line.clear();
            // Only whole lines count: a child killed while writing leaves its last one cut.
            match lines.read_line(&mut line) {
                Ok(n) if n > 0 && line.ends_with('\n') => line.pop(),
                _ => break,
            };
            match parse_line(&line, &mut label) {
                Some(ChildLine::Found(f)) if going => going = found(f),
                Some(ChildLine::Found(_) | ChildLine::Part) => {}
                Some(ChildLine::Warning(w)) => result.warnings.push(w),
                Some(ChildLine::Format(f)) => result.format = f,
                Some(ChildLine::TooLarge) => too_large = true,
                Some(ChildLine::Done) => complete = true,
                None => refused += 1,
            }
            if !going {
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
                break;
            }
        }
        let _ = done.send(());
    });
    let status = child.into_inner().map(|mut c| c.wait()).ok();
    if refused > 0 {
        result.warnings.push(Warning {
            code: "document_partial".into(),
            message: format!(
                "{}: {refused} lines of the document decoder's report could not be read; the addresses they held are missing",
                reading.name
            ),
        });
    }
    if too_large {
        return Err(ScanError::TooLarge {
            limit: reading.limit,
        });
    }
    if !complete && result.format.is_empty() {
        result.format = "document";
    }
    if !complete && reading.deadline <= Instant::now() {
        result.warnings.push(Warning {
            code: "document_partial".into(),
            message: format!(
                "{}: the action's time ran out while the document was read; the addresses found before are kept",
                reading.name
            ),
        });
    } else if !complete {
        result.warnings.push(Warning {
            code: "document_partial".into(),
            message: format!(
                "{}: the document decoder stopped early ({}); the addresses found before are kept",
                reading.name,
                describe_exit(status.and_then(Result::ok))
            ),
        });
    }
    Ok(result)
}

/// The most CPU time the child decoder may take.
const CHILD_CPU_SECONDS: u64 = 50;

/// The most memory (address space) the child decoder may take.
pub const CHILD_MEMORY_BYTES: u64 = 1 << 30;

fn describe_exit(status: Option<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Some(s) if s.signal() == Some(9) => {
            "it was stopped: its memory or time ran out, or it was killed".into()
        }
        Some(s) if s.signal() == Some(24) => "its CPU time ran out".into(),
        Some(s) if s.signal() == Some(6) => "its memory ran out".into(),
        Some(s) if s.signal().is_some() => {
            format!("it crashed with signal {}", s.signal().unwrap_or_default())
        }
        Some(s) => format!("it exited with {s}"),
        None => "it could not be waited for".into(),
    }
}

/// The child's side of [`Decoder::Child`] (the `decode-document` command): reads the
/// attachment from `input` (at most `reading.limit` bytes), decodes it in this process and
/// reports to `out` what it finds, each address as it is found. What is reported reaches the
/// parent within [`FLUSH_EVERY`], however long the decoder then reads without finding more:
/// if this process dies, it is kept.
pub fn serve(
    input: impl Read,
    reading: &Reading<'_>,
    mut out: impl Write + Send,
) -> io::Result<()> {
    match read_capped(input, reading) {
        Ok(bytes) => serve_bytes(&bytes, &|| (), reading, out),
        Err(ScanError::TooLarge { .. }) => write_too_large(&mut out).and_then(|()| out.flush()),
        Err(ScanError::Io(e)) => Err(e),
        Err(e) => Err(io::Error::other(e.to_string())),
    }
}

/// [`serve`] of the attachment's file, mapped: the pages read are given back to the kernel as
/// the document's parts are decoded (see [`MappedFile`]).
pub fn serve_mapped(
    file: &MappedFile,
    reading: &Reading<'_>,
    mut out: impl Write + Send,
) -> io::Result<()> {
    if file.len() as u64 > reading.limit {
        return write_too_large(&mut out).and_then(|()| out.flush());
    }
    serve_bytes(file, &|| file.release(), reading, out)
}

/// [`serve`] of the attachment's bytes; `release` is called between parts (see
/// [`decode_here`]).
fn serve_bytes(
    bytes: &[u8],
    release: &dyn Fn(),
    reading: &Reading<'_>,
    out: impl Write + Send,
) -> io::Result<()> {
    use std::sync::mpsc::RecvTimeoutError;
    let out = Mutex::new(out);
    // Dropped when the work is done (or panics): the flusher then ends at once, without
    // finishing a wait of up to `FLUSH_EVERY` that the process would sit out on every document.
    let (done, stop) = std::sync::mpsc::channel::<()>();
    let shared = &out;
    std::thread::scope(|threads| {
        threads.spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(FLUSH_EVERY) {
                let _ = lock(shared).flush();
            }
        });
        // The part whose label was written last: its addresses follow it.
        let mut label: Option<Arc<str>> = None;
        // Each line is made here and written whole.
        let mut line = Vec::with_capacity(128);
        let report = read_in_memory(bytes, release, reading, &mut |found| {
            line.clear();
            if !label
                .as_ref()
                .is_some_and(|named| Arc::ptr_eq(named, &found.found_in))
            {
                label = Some(Arc::clone(&found.found_in));
                let _ = write_part(&mut line, &found.found_in);
            }
            let _ = write_found(&mut line, &found);
            lock(&out).write_all(&line).is_ok()
        });
        let mut out = lock(&out);
        let finished = match report {
            Ok(report) => write_end(&mut *out, &report),
            // Nothing more to say: the parent sees no end and says the decoder stopped early.
            Err(_) => Ok(()),
        }
        .and_then(|()| out.flush());
        drop(done);
        finished
    })
}

/// How long a found address may wait in the child's output buffer.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// The child's output, whoever held it before (a panic while writing leaves nothing half-done
/// that matters: each line is written whole, and the parent reads whole lines only).
fn lock<T>(out: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    out.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One line the child writes.
enum ChildLine {
    /// The label of the part whose addresses follow.
    Part,
    Found(Found),
    Warning(Warning),
    Format(&'static str),
    TooLarge,
    Done,
}

/// Writes the label of the part whose addresses follow (see [`parse_line`]).
fn write_part(out: &mut impl Write, found_in: &str) -> io::Result<()> {
    writeln!(out, "P\t{}", clean(found_in))
}

/// Writes what a child decoder found to `out`, a line each (see [`parse_line`]): it was
/// found in the part whose label was written last.
fn write_found(out: &mut impl Write, f: &Found) -> io::Result<()> {
    out.write_all(if f.at.is_some() { b"O\t" } else { b"A\t" })?;
    out.write_all(crate::ip::Text::new(f.ip).as_bytes())?;
    match f.network {
        Some(n) => write!(out, "\t{n}")?,
        None => out.write_all(b"\t-")?,
    }
    if let Some(at) = &f.at {
        write!(out, "\t{}\t{}\t{}", at.line, at.column, clean(&at.written))?;
    }
    out.write_all(b"\n")
}

/// Writes the end of a child decoder's report: its format, warnings and completion.
fn write_end(out: &mut impl Write, read: &Report) -> io::Result<()> {
    writeln!(out, "F\t{}", read.format)?;
    for w in &read.warnings {
        writeln!(out, "W\t{}\t{}", clean(&w.code), clean(&w.message))?;
    }
    writeln!(out, "D")
}

/// Writes that the attachment is over the size limit.
fn write_too_large(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "T")
}

/// Text with the line format's separators (tabs, line ends) as spaces.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_clean(&mut out, text);
    out
}

/// Appends [`clean`]`(text)`.
fn push_clean(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| {
        if matches!(c, '\t' | '\n' | '\r') {
            ' '
        } else {
            c
        }
    }));
}

/// One line of a child's report; `label` is the label of the part whose addresses follow (each
/// `P` line replaces it), shared by them.
fn parse_line(line: &str, label: &mut Option<Arc<str>>) -> Option<ChildLine> {
    let mut fields = line.split('\t');
    Some(match fields.next()? {
        "P" => {
            *label = fields.next().map(Arc::from);
            ChildLine::Part
        }
        kind @ ("A" | "O") => {
            let ip: IpAddr = fields.next()?.parse().ok()?;
            let network = match fields.next()? {
                "-" => None,
                n => Some(n.parse().ok()?),
            };
            // (An address before any part's label is no line of this protocol.)
            let found_in = Arc::clone(label.as_ref()?);
            let at = if kind == "O" {
                Some(Location {
                    line: fields.next()?.parse().ok()?,
                    column: fields.next()?.parse().ok()?,
                    written: fields.next()?.to_owned(),
                })
            } else {
                None
            };
            ChildLine::Found(Found {
                ip,
                network,
                found_in,
                at,
            })
        }
        "W" => ChildLine::Warning(Warning {
            code: fields.next()?.to_owned(),
            message: fields.next()?.to_owned(),
        }),
        "F" => ChildLine::Format(format_name(fields.next()?)),
        "T" => ChildLine::TooLarge,
        "D" => ChildLine::Done,
        _ => return None,
    })
}

/// The `&'static` name of a format a child reported.
fn format_name(name: &str) -> &'static str {
    use documents::Format::*;
    [
        Pdf, Docx, Xlsx, Pptx, Odt, Ods, Odp, Eml, Mbox, Msg, Html, Xml, Zip, Gzip, Xz, Bzip2,
        Zstd, Tar, Table, Other,
    ]
    .into_iter()
    .map(documents::Format::name)
    .find(|n| *n == name)
    .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn reading(decoder: &Decoder) -> Reading<'_> {
        Reading {
            name: "doc",
            limit: 1 << 30,
            size: None,
            file: None,
            max_decoded: 1 << 30,
            decoder,
            every: false,
            deadline: Instant::now() + Duration::from_secs(60),
        }
    }

    fn found_in(bytes: &[u8]) -> Vec<(String, String)> {
        let decoder = Decoder::InProcess;
        let mut out = Vec::new();
        read(bytes, &reading(&decoder), &mut |f| {
            out.push((f.ip.to_string(), f.found_in.to_string()));
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn plain_text_is_scanned_as_it_is_and_labelled_with_the_name() {
        assert_eq!(
            found_in(b"hello 81.2.69.142 and 81.2.69.142 again"),
            [
                ("81.2.69.142".to_owned(), "doc".to_owned()),
                ("81.2.69.142".to_owned(), "doc".to_owned())
            ]
        );
    }

    #[test]
    fn a_document_is_read_as_its_reader_sees_it_each_address_once() {
        let html = b"<!doctype html><p>C2 at 81.2.<b>69</b>&#46;142 and <a href=\"http://89.160.20.115/x\">here</a>, 81.2.69.142</p>";
        assert_eq!(
            found_in(html),
            [
                ("81.2.69.142".to_owned(), "doc".to_owned()),
                ("89.160.20.115".to_owned(), "doc".to_owned())
            ]
        );
    }

    #[test]
    fn a_reader_that_wants_no_more_is_asked_no_more() {
        // Two parts of many addresses: the reader says stop at the first one, inside a batch.
        let many = |b: u8| {
            (1..=100u8)
                .map(|d| format!("81.2.{b}.{d}\n"))
                .collect::<String>()
        };
        let zip = documents::samples::stored_zip(&[
            ("a.log", many(1).as_bytes()),
            ("b.log", many(2).as_bytes()),
        ]);
        let decoder = Decoder::InProcess;
        let mut calls = Vec::new();
        decode_here(&reading(&decoder), &zip, &|| (), &mut |f| {
            calls.push(f.ip.to_string());
            false
        });
        assert_eq!(calls, ["81.2.1.1"]);
    }

    #[test]
    fn the_child_protocol_reads_back_what_it_writes() {
        let f = Found {
            ip: "2a02:ff80::1".parse().unwrap(),
            network: Some("2a02:ff80::/32".parse().unwrap()),
            found_in: Arc::from("logs.zip/a\tb"),
            at: Some(Location {
                line: 3,
                column: 9,
                written: "2a02:ff80[:]:1/32".into(),
            }),
        };
        let mut text = Vec::new();
        let plain = Found {
            ip: "81.2.69.142".parse().unwrap(),
            network: None,
            at: None,
            ..f.clone()
        };
        write_part(&mut text, &f.found_in).unwrap();
        write_found(&mut text, &f).unwrap();
        write_found(&mut text, &plain).unwrap();
        let text = String::from_utf8(text).unwrap();
        let mut label = None;
        let mut lines = text.lines();
        assert!(matches!(
            parse_line(lines.next().unwrap(), &mut label),
            Some(ChildLine::Part)
        ));
        let line = lines.next().unwrap();
        assert!(
            parse_line(line, &mut None).is_none(),
            "an address comes after its part's label"
        );
        match parse_line(line, &mut label) {
            Some(ChildLine::Found(back)) => {
                assert_eq!(
                    &*back.found_in, "logs.zip/a b",
                    "separators never reach a line"
                );
                assert_eq!(back.ip, f.ip);
                assert_eq!(back.network, f.network);
                assert_eq!(back.at, f.at);
            }
            _ => panic!("{line}"),
        }
        let line = lines.next().unwrap();
        match parse_line(line, &mut label) {
            Some(ChildLine::Found(back)) => assert_eq!(
                back,
                Found {
                    found_in: Arc::from("logs.zip/a b"),
                    ..plain
                }
            ),
            _ => panic!("{line}"),
        }
        assert_eq!(lines.next(), None);
    }
}
