//! `extract FILE|-`: the addresses a file holds, as Lookup All Related IPs finds them.

use std::io::{self, Read, Write};
use std::net::IpAddr;

use foldhash::HashSet;

use crate::Exit;
use crate::cli::ExtractArgs;
use crate::extract::{self, Extracted, Location, ScanError};

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
            crate::ip::write_text(&mut line, found.ip);
            let written = at.written.replace(['\t', '\n', '\r'], " ");
            let _ = writeln!(line, "\t{}:{}\t{written}", at.line, at.column);
            write(line.as_bytes());
        })
    } else {
        // Room for the addresses a file of its size holds, as a rule (a mixed corpus has a
        // distinct address every 50 to 60 bytes), up to a bound: grown from small by doubling,
        // the set re-placed every address it held at each size, in memory touched afresh.
        let room = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len() / BYTES_PER_ADDRESS)
            .min(MAX_ROOM);
        let mut seen = Seen::with_room(room as usize);
        let mut batch = Vec::with_capacity(BATCH);
        let mut distinct = |batch: &mut Vec<IpAddr>| {
            seen.look_ahead(batch);
            for ip in batch.drain(..) {
                if seen.first(ip) {
                    write(crate::ip::Text::new(ip).as_bytes());
                    write(b"\n");
                }
            }
        };
        let mut add = |found: Extracted| {
            batch.push(found.ip);
            if batch.len() == BATCH {
                distinct(&mut batch);
            }
        };
        let scanned = match &file {
            Some(file) => extract::scan_file(file, limit, &mut add),
            None => extract::scan_reader(reader, limit, &mut add),
        };
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

/// The addresses written so far, IPv4 apart (a million distinct addresses then fit in a few
/// megabytes of table, not tens).
struct Seen {
    v4: V4Set,
    v6: HashSet<u128>,
}

/// How many addresses are looked up in [`Seen`] together.
const BATCH: usize = 32;

/// The bytes of a file taken to hold one distinct address, when the set of those seen is sized.
const BYTES_PER_ADDRESS: u64 = 64;

/// The most addresses the set is sized for before the scan (an 8 MiB table).
const MAX_ROOM: u64 = 1 << 20;

impl Seen {
    /// Empty, with room for `addresses` IPv4 addresses before it grows.
    fn with_room(addresses: usize) -> Self {
        Seen {
            v4: V4Set::with_room(addresses),
            v6: HashSet::default(),
        }
    }

    /// Looks each of `batch` up without waiting for the answer: a million distinct addresses
    /// make a table larger than the caches, and a lookup that misses them waits for memory;
    /// issued together, those waits overlap, and [`Seen::first`] then finds the table cached.
    fn look_ahead(&self, batch: &[IpAddr]) {
        for ip in batch {
            match ip {
                IpAddr::V4(v4) => {
                    std::hint::black_box(self.v4.peek(v4.to_bits()));
                }
                IpAddr::V6(v6) => {
                    std::hint::black_box(self.v6.contains(&v6.to_bits()));
                }
            }
        }
    }

    /// Whether `ip` is seen for the first time.
    fn first(&mut self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.v4.insert(v4.to_bits()),
            IpAddr::V6(v6) => self.v6.insert(v6.to_bits()),
        }
    }
}

/// A set of IPv4 addresses: open addressing with linear probing over one array of keys, so
/// that a new address costs one cache line where hashbrown, which keeps its control bytes
/// apart from its keys, costs two. A slot holds its address plus one (0 marks a free slot;
/// 255.255.255.255, which that wraps to 0, has a flag of its own).
struct V4Set {
    slots: Vec<u32>,
    len: usize,
    /// The odd multiplier of the hash, drawn per process: a file cannot be made to collide.
    seed: u64,
    broadcast: bool,
}

impl V4Set {
    /// Empty, with room for `addresses` before it grows (at most half its slots are used).
    /// Slots not yet written take no memory: the zeroed table is fresh pages.
    fn with_room(addresses: usize) -> Self {
        use std::hash::BuildHasher;
        V4Set {
            slots: vec![0; addresses.saturating_mul(2).next_power_of_two().max(1 << 10)],
            len: 0,
            seed: std::collections::hash_map::RandomState::new().hash_one(0u8) | 1,
            broadcast: false,
        }
    }
}

impl V4Set {
    /// Where the probe for `key` starts (multiply-shift hashing: the top bits of the product).
    fn home(&self, key: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (u64::from(key).wrapping_mul(self.seed) >> (64 - bits)) as usize
    }

    /// The slot where the probe for `address` starts (to bring it into the cache).
    fn peek(&self, address: u32) -> u32 {
        self.slots[self.home(address.wrapping_add(1))]
    }

    /// Adds `address`; whether it was new.
    fn insert(&mut self, address: u32) -> bool {
        let key = address.wrapping_add(1);
        if key == 0 {
            return !std::mem::replace(&mut self.broadcast, true);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = vec![0; self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, grown);
            for key in old.into_iter().filter(|&k| k != 0) {
                self.place(key);
            }
        }
        let new = self.place(key);
        self.len += usize::from(new);
        new
    }

    /// Puts `key` in its slot unless it is there; whether it was not.
    fn place(&mut self, key: u32) -> bool {
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            match self.slots[at] {
                0 => {
                    self.slots[at] = key;
                    return true;
                }
                k if k == key => return false,
                _ => at = (at + 1) & mask,
            }
        }
    }
}

fn failed(args: &ExtractArgs, e: &ScanError) -> Exit {
    eprintln!("maxmind-geolocate: {}: {e}", args.input);
    Exit::Failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ipv4_set_keeps_what_a_hash_set_keeps() {
        let mut set = V4Set::with_room(0);
        let mut reference = std::collections::HashSet::new();
        let mut x = 0x1234_5678_u32;
        for i in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Repeats, neighbours, and both ends of the address space.
            let address = match i % 5 {
                0 => x % 5_000,
                1 => u32::MAX - x % 3,
                2 => x & 0xffff_0000,
                _ => x,
            };
            assert_eq!(set.insert(address), reference.insert(address), "{address}");
        }
        assert_eq!(set.len + usize::from(set.broadcast), reference.len());
    }

    #[test]
    fn a_set_sized_ahead_keeps_what_a_hash_set_keeps_and_still_grows() {
        for room in [0, 1, 700, 5_000] {
            let mut set = V4Set::with_room(room);
            assert!(set.slots.len() >= 2 * room && set.slots.len().is_power_of_two());
            let mut reference = std::collections::HashSet::new();
            for i in 0..20_000u32 {
                let address = i.wrapping_mul(2_654_435_761) % 12_000;
                assert_eq!(set.insert(address), reference.insert(address), "{address}");
            }
            assert_eq!(set.len, reference.len());
            assert!(set.slots.len() >= 2 * set.len, "it grew past its room");
        }
    }
}
