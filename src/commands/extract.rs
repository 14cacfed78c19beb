//! `extract FILE|-`: the addresses a file holds, as Lookup All Related IPs finds them —
//! documents (PDF, Office, e-mail, HTML, archives) read as their reader sees them.

use std::io::{self, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::Exit;
use crate::app::{self, Reading, Seen};
use crate::cli::ExtractArgs;
use crate::extract::ScanError;

/// Runs `extract`: each distinct address once, in order of first appearance; with
/// `--with-source` every occurrence as `IP<TAB>FOUND IN<TAB>LINE:COLUMN<TAB>as written`.
pub fn run(args: &ExtractArgs) -> Exit {
    if args.input == "-" {
        super::awaiting_stdin("the text");
    }
    // The file's length, when it is a file (it sizes what is read and the set of addresses).
    let file = if args.input == "-" {
        None
    } else {
        match crate::paths::open_file(std::path::Path::new(&args.input)) {
            Ok(file) => Some(file),
            Err(e) => return failed(args, &ScanError::Io(e)),
        }
    };
    let (input, size): (Box<dyn io::Read + Send + '_>, Option<u64>) = match &file {
        Some(file) => (Box::new(file), file.metadata().ok().map(|m| m.len())),
        None => (Box::new(io::stdin()), None),
    };
    let name = match std::path::Path::new(&args.input).file_name() {
        Some(n) if args.input != "-" => n.to_string_lossy().into_owned(),
        _ => "stdin".to_owned(),
    };
    let decoder = super::document_decoder();
    let reading = Reading {
        name: &name,
        limit: args.max_mib.saturating_mul(1 << 20),
        size,
        file: file.as_ref(),
        max_decoded: 1 << 30,
        decoder: &decoder,
        every: args.with_source,
        deadline: Instant::now() + Duration::from_secs(24 * 3600),
    };
    let mut out = super::stdout_buffered();
    let mut write_error = None;
    let mut line = String::with_capacity(96);
    // Each address once, in order: looked up in the set of those seen in batches (see
    // `Seen::look_ahead`), sized for one distinct address per `BYTES_PER_ADDRESS` bytes of the
    // file, at most `MAX_ROOM` (docs/performance.md): grown by doubling, the set places every
    // address again at each size, in memory touched afresh. `--with-source` uses no set.
    let room = if args.with_source {
        0
    } else {
        size.unwrap_or(0) / BYTES_PER_ADDRESS
    };
    let mut seen = Seen::with_capacity(room.min(MAX_ROOM) as usize);
    let mut batch: Vec<IpAddr> = Vec::with_capacity(Seen::BATCH);
    let mut distinct = |batch: &mut Vec<IpAddr>, out: &mut io::BufWriter<Box<dyn Write>>| {
        seen.look_ahead(batch);
        for ip in batch.drain(..) {
            let place = u32::try_from(seen.len()).unwrap_or(u32::MAX);
            if seen.place(ip, place).is_ok() {
                out.write_all(crate::ip::Text::new(ip).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Ok::<(), io::Error>(())
    };
    let read = app::read_attachment(input, &reading, &mut |found| {
        let written = match &found.at {
            Some(at) => {
                use std::fmt::Write as _;
                line.clear();
                crate::ip::push_text(&mut line, found.ip);
                let written = at.written.replace(['\t', '\n', '\r'], " ");
                let _ = writeln!(
                    line,
                    "\t{}\t{}:{}\t{written}",
                    found.found_in, at.line, at.column
                );
                out.write_all(line.as_bytes())
            }
            None => {
                batch.push(found.ip);
                if batch.len() < Seen::BATCH {
                    return true;
                }
                distinct(&mut batch, &mut out)
            }
        };
        match written {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        }
    });
    if write_error.is_none() {
        if let Err(e) = distinct(&mut batch, &mut out) {
            write_error = Some(e);
        }
    }
    let write_error = write_error.or(out.flush().err());
    if let Some(e) = write_error.as_ref().filter(|e| super::is_broken_pipe(e)) {
        return super::write_failed(e);
    }
    if let Ok(report) = &read {
        for w in &report.warnings {
            say!("maxmind-geolocate: warning: {} [{}]", w.message, w.code);
        }
    }
    match (read, write_error) {
        (_, Some(e)) => super::write_failed(&e),
        (Ok(_), None) => Exit::Success,
        (Err(e), None) => failed(args, &e),
    }
}

/// The bytes of a file taken to hold one distinct address, when the set of those seen is sized.
const BYTES_PER_ADDRESS: u64 = 64;

/// The most addresses the set is sized for before the scan (a 16 MiB table).
const MAX_ROOM: u64 = 1 << 20;

fn failed(args: &ExtractArgs, e: &ScanError) -> Exit {
    say!("maxmind-geolocate: {}: {e}", args.input);
    Exit::Failure
}
