//! Scanning a large plain attachment on the thread pool.
//!
//! The scan is most of what `extract` and Lookup All Related IPs spend on a large log or
//! address list (docs/performance.md). [`scan_reader_parallel`] reads the text in the pieces
//! `extract::scan_pieces` cuts, scans them on rayon's pool while the next ones are read, and
//! emits what they hold on the calling thread in the text's order: the same addresses as
//! `extract::scan_reader_until`, the reference it is tested against.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc;

use crate::extract::{self, Extracted, Piece, ScanError};

/// The most pieces in flight (each a copy of 256 KiB of text): more than the threads can scan
/// at once, and few enough that memory does not grow with the cores.
const MOST_IN_FLIGHT: usize = 16;

/// [`extract::scan_reader_until`] with the pieces scanned on rayon's pool while the next ones
/// are read: what is found is emitted on this thread in the order of the text, and
/// `keep_going` is asked after each piece's addresses, as there. With one thread in the pool,
/// or a text of one piece, it is that scan.
pub fn scan_reader_parallel(
    reader: impl Read,
    limit: u64,
    emit: &mut impl FnMut(Extracted),
    keep_going: &mut dyn FnMut() -> bool,
) -> Result<u64, ScanError> {
    let threads = rayon::current_num_threads();
    if threads == 1 {
        return extract::scan_reader_until(reader, limit, emit, keep_going);
    }
    // Each piece sent to the pool is answered on its own channel; the channels wait here in
    // the text's order.
    let window = (2 * threads).min(MOST_IN_FLIGHT);
    let mut in_flight = VecDeque::with_capacity(window + 1);
    let mut spare = Vec::with_capacity(window + 1);
    let mut stopped = false;
    let read = extract::scan_pieces(reader, limit, &mut |piece| {
        if piece.base == 0 || piece.last && in_flight.is_empty() {
            // The first piece, or all of a short text: no thread is worth starting (yet).
            let mut here = Job::default();
            piece.scan(&mut |e| here.found.push(e));
            return deliver(Ok(here), emit, keep_going, &mut spare);
        }
        let mut job: Job = spare.pop().unwrap_or_default();
        job.text.clear();
        job.text.extend_from_slice(piece.text);
        (job.resume, job.base) = (piece.resume, piece.base);
        let (answer, answered) = mpsc::sync_channel(1);
        rayon::spawn(move || {
            job.scan();
            let _ = answer.send(job);
        });
        in_flight.push_back(answered);
        while in_flight.len() > window || (piece.last && !in_flight.is_empty()) {
            let oldest = in_flight.pop_front().expect("a piece in flight");
            if !deliver(oldest.recv(), emit, keep_going, &mut spare) {
                stopped = true;
                return false;
            }
        }
        true
    });
    // The text read before an error was scanned: its addresses are not lost.
    while !stopped && let Some(oldest) = in_flight.pop_front() {
        stopped = !deliver(oldest.recv(), emit, keep_going, &mut spare);
    }
    match read {
        Ok(_) if stopped => Err(ScanError::Stopped),
        other => other,
    }
}

/// A piece on its way through the pool, and back with what was found in it. Its buffers are
/// used again for a later piece: memory is allocated and freed on one thread, and only
/// `window` times.
#[derive(Default)]
struct Job {
    /// The piece's text, `resume` and `base` (see [`Piece`]).
    text: Vec<u8>,
    resume: usize,
    base: usize,
    /// The addresses found in it, in order.
    found: Vec<Extracted>,
}

impl Job {
    fn scan(&mut self) {
        let piece = Piece {
            text: &self.text,
            resume: self.resume,
            base: self.base,
            last: false,
        };
        let found = &mut self.found;
        piece.scan(&mut |e| found.push(e));
    }
}

/// Emits the addresses of a piece scanned, then asks whether to go on. (A piece comes back
/// without an answer only if its worker panicked, and that panic has been reported.)
fn deliver(
    job: Result<Job, mpsc::RecvError>,
    emit: &mut impl FnMut(Extracted),
    keep_going: &mut dyn FnMut() -> bool,
    spare: &mut Vec<Job>,
) -> bool {
    if let Ok(mut job) = job {
        for e in job.found.drain(..) {
            emit(e);
        }
        spare.push(job);
    }
    keep_going()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{CHUNK, scan_reader, scan_reader_until, varied_text};

    fn in_turn(text: &[u8]) -> Vec<Extracted> {
        let mut got = Vec::new();
        let total = scan_reader(text, u64::MAX, &mut |e| got.push(e)).unwrap();
        assert_eq!(total, text.len() as u64);
        got
    }

    /// What [`scan_reader_parallel`] emits in a pool of `threads`, and how it ends; asked to
    /// stop after `chunks` chunks.
    fn in_parallel(
        text: &[u8],
        threads: usize,
        limit: u64,
        chunks: usize,
    ) -> (Vec<Extracted>, Result<u64, ScanError>) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut got = Vec::new();
        let mut asked = 0;
        let ended = pool.install(|| {
            scan_reader_parallel(text, limit, &mut |e| got.push(e), &mut || {
                asked += 1;
                asked < chunks
            })
        });
        (got, ended)
    }

    #[test]
    fn a_parallel_scan_finds_what_the_scan_in_turn_finds() {
        let mut texts = vec![
            varied_text(40 * CHUNK),
            varied_text(CHUNK / 2),
            Vec::new(),
            // Runs without a boundary longer than a chunk, and UTF-16.
            format!("{}:1.2.3.4 ", "ab".repeat(3 * CHUNK)).into_bytes(),
        ];
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(
                String::from_utf8(varied_text(6 * CHUNK))
                    .unwrap()
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        texts.push(utf16);
        for text in &texts {
            let expected = in_turn(text);
            for threads in [1, 2, 3] {
                let (got, ended) = in_parallel(text, threads, u64::MAX, usize::MAX);
                assert_eq!(ended.unwrap(), text.len() as u64);
                assert!(got == expected, "{threads} threads, {} bytes", text.len());
            }
        }
        assert!(in_turn(&texts[0]).len() > 50_000);
    }

    #[test]
    fn a_parallel_scan_stops_when_asked_and_keeps_what_it_read_before_an_error() {
        let text = varied_text(20 * CHUNK);
        let mut in_turn = Vec::new();
        let mut asked = 0;
        let ended = scan_reader_until(&text[..], u64::MAX, &mut |e| in_turn.push(e), &mut || {
            asked += 1;
            asked < 5
        });
        assert!(matches!(ended, Err(ScanError::Stopped)));
        let (got, ended) = in_parallel(&text, 2, u64::MAX, 5);
        assert!(matches!(ended, Err(ScanError::Stopped)));
        assert!(got == in_turn, "{} / {}", got.len(), in_turn.len());
        // Over the limit: the chunks read before are scanned, as in turn.
        let limit = 9 * CHUNK as u64 + 7;
        let mut in_turn = Vec::new();
        let ended = scan_reader(&text[..], limit, &mut |e| in_turn.push(e));
        assert!(matches!(ended, Err(ScanError::TooLarge { .. })));
        let (got, ended) = in_parallel(&text, 2, limit, usize::MAX);
        assert!(matches!(ended, Err(ScanError::TooLarge { .. })));
        assert!(
            !got.is_empty() && got == in_turn,
            "{} / {}",
            got.len(),
            in_turn.len()
        );
    }
}
