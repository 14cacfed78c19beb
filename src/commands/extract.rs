//! `extract FILE|-`: the addresses a file holds, as Lookup All Related IPs finds them.

use super::Exit;
use std::net::IpAddr;

use crate::app::Seen;
use crate::cli::ExtractArgs;
use crate::extract::{self, Extracted, Location, ScanError};
use std::io::{self, Read, Write};

/// Runs `extract`: each distinct address once, in order of first appearance; with
/// `--with-source` every occurrence as `IP<TAB>LINE:COLUMN<TAB>as written`.
pub fn run(args: &ExtractArgs) -> Exit {
    let file = if args.input == "-" {
        None
    } else {
        match std::fs::File::open(&args.input) {
            Ok(file) => Some(file),
            Err(e) => return failed(args, &ScanError::Io(e)),
        }
    };
    let reader: Box<dyn Read + '_> = match &file {
        Some(file) => Box::new(file),
        None => Box::new(io::stdin().lock()),
    };
    let limit = args.max_mib.saturating_mul(1 << 20);
    let mut out = super::stdout_buffered();
    let mut write_error = None;
    let mut write = |line: &[u8]| {
        if write_error.is_none() {
            if let Err(e) = out.write_all(line) {
                write_error = Some(e);
            }
        }
    };
    let scanned = if args.with_source {
        use std::fmt::Write as _;
        let mut line = String::with_capacity(96);
        extract::scan_reader_located(reader, limit, &mut |found: Extracted, at: Location| {
            line.clear();
            let _ = write!(line, "{}", found.ip);
            let written = at.written.replace(['\t', '\n', '\r'], " ");
            let _ = writeln!(line, "\t{}:{}\t{written}", at.line, at.column);
            write(line.as_bytes());
        })
    } else {
        // Each address once, in order: the addresses are looked up in the set of those seen
        // in batches (see `Seen::look_ahead`).
        // Room for as many addresses as a file of its size holds as a rule (a distinct one
        // every 64 bytes), up to a million: a set grown by doubling places every address again
        // at each size.
        let room = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len() / 64)
            .min(1 << 20);
        let mut seen = Seen::with_capacity(room as usize);
        let mut batch: Vec<IpAddr> = Vec::with_capacity(BATCH);
        let mut line = String::with_capacity(64);
        let mut distinct = |batch: &mut Vec<IpAddr>| {
            seen.look_ahead(batch);
            for ip in batch.drain(..) {
                let place = u32::try_from(seen.len()).unwrap_or(u32::MAX);
                if seen.place(ip, place).is_ok() {
                    line.clear();
                    crate::ip::push_text(&mut line, ip);
                    line.push('\n');
                    write(line.as_bytes());
                }
            }
        };
        let scanned = extract::scan_reader(reader, limit, &mut |found: Extracted| {
            batch.push(found.ip);
            if batch.len() == BATCH {
                distinct(&mut batch);
            }
        });
        distinct(&mut batch);
        scanned
    };
    let flushed = out.flush();
    match (scanned, write_error.or(flushed.err())) {
        (Ok(_), None) => Exit::Success,
        (Err(e), _) => failed(args, &e),
        (_, Some(e)) => {
            eprintln!("maxmind-geolocate: cannot write the addresses: {e}");
            Exit::Failure
        }
    }
}

/// Addresses looked up in the set of those seen together.
const BATCH: usize = 32;

fn failed(args: &ExtractArgs, e: &ScanError) -> Exit {
    eprintln!("maxmind-geolocate: {}: {e}", args.input);
    Exit::Failure
}
