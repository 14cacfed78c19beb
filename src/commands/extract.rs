//! `extract FILE|-`: the addresses a file holds, as Lookup All Related IPs finds them.

use std::io::{self, Read, Write};

use foldhash::HashSet;

use crate::Exit;
use crate::cli::ExtractArgs;
use crate::extract::{self, Extracted, Location, ScanError};

/// Runs `extract`: each distinct address once, in order of first appearance; with
/// `--with-source` every occurrence as `IP<TAB>LINE:COLUMN<TAB>as written`.
pub fn run(args: &ExtractArgs) -> Exit {
    let reader: Box<dyn Read> = if args.input == "-" {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(&args.input) {
            Ok(file) => Box::new(file),
            Err(e) => return failed(args, &ScanError::Io(e)),
        }
    };
    let limit = args.max_mib.saturating_mul(1 << 20);
    let mut out = super::stdout_buffered();
    let mut write_error = None;
    let mut line = String::with_capacity(96);
    let mut seen = Seen::default();
    let mut write = |line: &[u8]| {
        if write_error.is_none() {
            if let Err(e) = out.write_all(line) {
                write_error = Some(e);
            }
        }
    };
    let scanned = if args.with_source {
        extract::scan_reader_located(reader, limit, &mut |found: Extracted, at: Location| {
            line.clear();
            crate::ip::write_text(&mut line, found.ip);
            let written = at.written.replace(['\t', '\n', '\r'], " ");
            line.push_str(&format!("\t{}:{}\t{written}\n", at.line, at.column));
            write(line.as_bytes());
        })
    } else {
        let mut batch = Vec::with_capacity(BATCH);
        let mut distinct = |batch: &mut Vec<std::net::IpAddr>| {
            seen.look_ahead(batch);
            for ip in batch.drain(..) {
                if seen.first(ip) {
                    write(crate::ip::Text::new(ip).as_bytes());
                    write(b"\n");
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

/// The addresses written so far: IPv4 apart, as four-byte keys (a million distinct addresses
/// then fit in a few megabytes of table, not tens).
#[derive(Default)]
struct Seen {
    v4: HashSet<u32>,
    v6: HashSet<u128>,
}

/// How many addresses are looked up in [`Seen`] together.
const BATCH: usize = 32;

impl Seen {
    /// Looks each of `batch` up without waiting for the answer: a million distinct addresses
    /// make a table larger than the caches, and a lookup that misses them waits for memory;
    /// issued together, those waits overlap, and [`Seen::first`] then finds the table cached.
    fn look_ahead(&self, batch: &[std::net::IpAddr]) {
        for ip in batch {
            std::hint::black_box(match ip {
                std::net::IpAddr::V4(v4) => self.v4.contains(&v4.to_bits()),
                std::net::IpAddr::V6(v6) => self.v6.contains(&v6.to_bits()),
            });
        }
    }

    /// Whether `ip` is seen for the first time.
    fn first(&mut self, ip: std::net::IpAddr) -> bool {
        match ip {
            std::net::IpAddr::V4(v4) => self.v4.insert(v4.to_bits()),
            std::net::IpAddr::V6(v6) => self.v6.insert(v6.to_bits()),
        }
    }
}

fn failed(args: &ExtractArgs, e: &ScanError) -> Exit {
    eprintln!("maxmind-geolocate: {}: {e}", args.input);
    Exit::Failure
}
