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

/// The most pieces in flight: more than the threads can scan at once, and few enough that
/// memory does not grow with the cores.
const MOST_IN_FLIGHT: usize = 16;

/// The largest piece sent to the pool (pieces are a chunk and a look-behind long, but a run
/// without a boundary makes one as long as the run): a longer one is scanned on the calling
/// thread, not copied.
const LARGEST_SENT: usize = 2 * extract::CHUNK;

/// [`extract::scan_reader_until`] with the pieces scanned on rayon's pool while the next ones
/// are read: what is found is emitted on this thread in the order of the text, and
/// `keep_going` is asked after each piece's addresses, as there. With one thread in the pool,
/// or a text of one piece, it is that scan (and a text of one piece starts no thread).
///
/// Memory: at most `MOST_IN_FLIGHT` copies of a piece (`LARGEST_SENT` bytes at most) and
/// their addresses. Called on a thread of the pool, it runs pieces itself while it waits.
/// A panic in a piece's scan is raised again here.
pub fn scan_reader_parallel(
    reader: impl Read,
    limit: u64,
    emit: &mut impl FnMut(Extracted),
    keep_going: &mut dyn FnMut() -> bool,
) -> Result<u64, ScanError> {
    let mut pieces = InFlight {
        answers: VecDeque::new(),
        spare: Vec::new(),
        stopped: false,
    };
    // How many pieces may be in flight (0: none, all are scanned here): asked of the pool only
    // when a piece could go to it, so that a short text starts no thread.
    let mut window = None;
    let read = extract::scan_pieces(reader, limit, &mut |piece| {
        let here = piece.resume == 0 // the first piece (later ones start with a look-behind)
            || (piece.last && pieces.answers.is_empty())
            || piece.text.len() > LARGEST_SENT
            || *window.get_or_insert_with(pool_window) == 0;
        if here {
            // The first piece, all of a short text, a piece too long to copy, or every piece
            // with one thread: scanned here, after those before it.
            if !pieces.deliver_down_to(0, emit, keep_going) {
                return false;
            }
            piece.scan(&mut |e| emit(e));
            pieces.stopped = !keep_going();
            return !pieces.stopped;
        }
        pieces.send(piece);
        let keep = if piece.last { 0 } else { window.unwrap_or(0) };
        pieces.deliver_down_to(keep, emit, keep_going)
    });
    // The text read before an error was scanned: its addresses are not lost.
    if !pieces.stopped {
        pieces.deliver_down_to(0, emit, keep_going);
    }
    if pieces.stopped {
        // (Even when reading ahead then failed: the caller asked to stop first.)
        return Err(ScanError::Stopped);
    }
    read
}

/// How many pieces may be in flight on the pool: none with one thread.
fn pool_window() -> usize {
    match rayon::current_num_threads() {
        1 => 0,
        threads => (2 * threads).min(MOST_IN_FLIGHT),
    }
}

/// The pieces sent to the pool and not yet delivered.
struct InFlight {
    /// Each piece's answer comes on a channel of its own; the channels wait in text order.
    answers: VecDeque<mpsc::Receiver<std::thread::Result<Job>>>,
    /// Jobs back from the pool, to be used again.
    spare: Vec<Job>,
    /// `keep_going` said no.
    stopped: bool,
}

impl InFlight {
    /// Sends a piece to the pool.
    fn send(&mut self, piece: Piece<'_>) {
        let mut job: Job = self.spare.pop().unwrap_or_default();
        job.text.clear();
        job.text.extend_from_slice(piece.text);
        (job.resume, job.base) = (piece.resume, piece.base);
        let (answer, answered) = mpsc::sync_channel(1);
        rayon::spawn(move || {
            let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                job.scan();
                job
            }));
            // (No one waits for it when the scan was stopped.)
            let _ = answer.send(scanned);
        });
        self.answers.push_back(answered);
    }

    /// Emits the addresses of the oldest pieces, in order, until at most `keep` are in flight;
    /// `keep_going` is asked after each. False once it said no.
    fn deliver_down_to(
        &mut self,
        keep: usize,
        emit: &mut impl FnMut(Extracted),
        keep_going: &mut dyn FnMut() -> bool,
    ) -> bool {
        while !self.stopped && self.answers.len() > keep {
            let oldest = self.answers.pop_front().expect("a piece in flight");
            let mut job = match wait_for(&oldest) {
                Ok(job) => job,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            for e in job.found.drain(..) {
                emit(e);
            }
            self.spare.push(job);
            self.stopped = !keep_going();
        }
        !self.stopped
    }
}

/// A piece's answer. On a thread of the pool, pieces waiting for a thread are run meanwhile
/// (all the pool's threads may be waiting here).
fn wait_for<T>(answer: &mpsc::Receiver<std::thread::Result<T>>) -> std::thread::Result<T> {
    loop {
        match answer.try_recv() {
            Ok(answered) => return answered,
            Err(mpsc::TryRecvError::Empty) => {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    // Not on the pool, or nothing else to run: the piece is being scanned.
                    break;
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        }
    }
    answer
        .recv()
        .unwrap_or_else(|_| Err(Box::new("a scan ended without its answer")))
}

/// A piece on its way through the pool, and back with what was found in it. Its buffers are
/// used again for a later piece, so that a scan allocates them only as often as pieces are
/// in flight at once.
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

    #[test]
    fn a_stop_asked_while_draining_is_a_stop_though_reading_ahead_failed() {
        let text = varied_text(20 * CHUNK);
        // The second piece's addresses are the last wanted; reading goes over the limit
        // while pieces are still in flight.
        let mut in_turn = Vec::new();
        let mut asked = 0;
        let ended = scan_reader_until(
            &text[..],
            4 * CHUNK as u64 + 100,
            &mut |e| in_turn.push(e),
            &mut || {
                asked += 1;
                asked < 2
            },
        );
        assert!(matches!(ended, Err(ScanError::Stopped)), "{ended:?}");
        let (got, ended) = in_parallel(&text, 2, 4 * CHUNK as u64 + 100, 2);
        assert!(matches!(ended, Err(ScanError::Stopped)), "{ended:?}");
        assert!(got == in_turn, "{} / {}", got.len(), in_turn.len());
    }

    #[test]
    fn runs_without_a_boundary_longer_than_a_piece_lose_nothing() {
        // Boundary-free runs between addresses: pieces of several chunks.
        let mut text = Vec::new();
        for i in 0..12u32 {
            text.extend_from_slice(format!("10.0.0.{i} ").as_bytes());
            text.extend(std::iter::repeat_n(b'a', (i as usize % 4) * CHUNK));
            text.extend_from_slice(format!(" 10.1.0.{i}\n").as_bytes());
        }
        let (got, ended) = in_parallel(&text, 3, u64::MAX, usize::MAX);
        assert_eq!(ended.unwrap(), text.len() as u64);
        assert!(got == in_turn(&text));
        assert_eq!(got.len(), 24);
    }

    #[test]
    fn a_panic_in_a_worker_is_raised_on_the_calling_thread() {
        let (answer, answered) = mpsc::sync_channel(1);
        rayon::spawn(move || {
            let _ = answer.send(std::panic::catch_unwind(|| -> Job {
                panic!("in a worker")
            }));
        });
        let mut pieces = InFlight {
            answers: VecDeque::from([answered]),
            spare: Vec::new(),
            stopped: false,
        };
        let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pieces.deliver_down_to(0, &mut |_| {}, &mut || true)
        }))
        .unwrap_err();
        assert_eq!(raised.downcast_ref::<&str>(), Some(&"in a worker"));
    }
}
