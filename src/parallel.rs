//! Spreading work over the cores: the one place that decides how many threads a large action
//! uses and how work is split among them.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many items, one thread does all the work: starting threads costs more.
pub const PARALLEL_FROM: usize = 4096;

/// How many threads share a large action: env `MAXMIND_GEOLOCATE_THREADS`, else every core.
/// Worked out once per process (counting cores reads the cgroup files: a stream of requests
/// would pay for it on every one).
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(count_threads)
}

fn count_threads() -> usize {
    std::env::var("MAXMIND_GEOLOCATE_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(64)
}

/// `items.iter().map(f)`, in order, on every thread when there are at least `from` items
/// (shared out as [`map_batched`] shares them). A panic in a worker is resumed on the caller's
/// thread.
pub fn map<T: Sync, R: Send>(items: &[T], from: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_indexed(items, from, |_, item| f(item))
}

/// [`map`] with each item's index: `items.iter().enumerate().map(f)`.
pub fn map_indexed<T: Sync, R: Send>(
    items: &[T],
    from: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    map_batched(items, from, 256, |first, batch, out| {
        out.extend(batch.iter().enumerate().map(|(k, item)| f(first + k, item)));
    })
}

/// [`map_indexed`] a batch of up to `batch_len` items at a time, for work that gains from
/// seeing several items at once: `f(first, batch, out)` pushes one answer for each item of
/// `batch` (the items from index `first` on) to `out`, in order.
///
/// The threads take the items in runs, each claiming the next run when it is done with its
/// last: a run is a share of what is left (half of it over the threads; whole batches while
/// that is more than a batch, down to single items at the end), so that the threads finish
/// together even when one of them is slowed for a while (on a shared machine a vCPU can be,
/// by tens of milliseconds; halves fixed up front then kept the other waiting). Each thread writes its answers straight into
/// their places in the one vector returned. A panic in a worker is resumed on the caller's
/// thread; so is an `f` that answers a batch with the wrong number of answers.
pub fn map_batched<T: Sync, R: Send>(
    items: &[T],
    from: usize,
    batch_len: usize,
    f: impl Fn(usize, &[T], &mut Vec<R>) + Sync,
) -> Vec<R> {
    let n = items.len();
    let batch_len = batch_len.max(1);
    let workers = if n < from.max(2) { 1 } else { threads() };
    let mut out: Vec<R> = Vec::with_capacity(n);
    let slots = Slots(out.as_mut_ptr());
    let next = AtomicUsize::new(0);
    let work = || {
        let slots = &slots;
        let mut answers = Vec::with_capacity(batch_len.min(n));
        loop {
            let left = n.saturating_sub(next.load(Ordering::Relaxed));
            let run = match (left / (2 * workers)).max(1) {
                // Whole batches while there are many items left.
                run if run > batch_len => run.next_multiple_of(batch_len),
                run => run,
            };
            let start = next.fetch_add(run, Ordering::Relaxed);
            if start >= n {
                return;
            }
            let end = n.min(start + run);
            for first in (start..end).step_by(batch_len) {
                let batch = &items[first..end.min(first + batch_len)];
                f(first, batch, &mut answers);
                assert_eq!(answers.len(), batch.len(), "one answer for each item");
                for (k, answer) in answers.drain(..).enumerate() {
                    // SAFETY: `start..end` was claimed by this thread alone (`fetch_add`
                    // hands out each index once) and lies within the `n` slots reserved.
                    unsafe { slots.0.add(first + k).write(answer) };
                }
            }
        }
    };
    if workers == 1 {
        work();
    } else {
        let work = &work;
        std::thread::scope(|scope| {
            let others: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            // The caller's thread works too.
            work();
            for w in others {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
        });
    }
    // SAFETY: the runs cover the first `n` slots, and every run's batches wrote each of
    // their slots (an `f` with too few answers panicked above). Every thread returned
    // normally: a panic on this thread unwinds past this line, a worker's was resumed above;
    // the answers written so far are then leaked, never read.
    unsafe { out.set_len(n) };
    out
}

/// The slots of the vector [`map_batched`] fills, shared by its threads; each writes only the
/// runs it claimed.
struct Slots<R>(*mut R);

// SAFETY: the threads write disjoint slots (see `map_batched`), and only answers that are
// `Send` cross over.
unsafe impl<R: Send> Sync for Slots<R> {}

/// `side()` on a thread of its own while the caller's thread runs `main()`; with one thread,
/// `side()` first, then `main()`. A panic in `side` is resumed on the caller's thread.
///
/// The caller's thread keeps the work whose memory matters: each thread allocates from a heap
/// of its own, and a new thread's heap starts with no memory freed earlier to reuse.
pub fn beside<S: Send, M>(side: impl FnOnce() -> S + Send, main: impl FnOnce() -> M) -> (S, M) {
    if threads() < 2 {
        let side = side();
        return (side, main());
    }
    std::thread::scope(|scope| {
        let side = scope.spawn(side);
        let main = main();
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (side, main)
    })
}

/// `f(item)` for each of `items`, each on a thread of its own, the first on the caller's
/// thread: for work the caller has already split into one piece per thread, each piece owning
/// what it writes to (such as its own `&mut` part of one buffer). A panic in a worker is
/// resumed on the caller's thread.
pub fn each<T: Send>(items: Vec<T>, f: impl Fn(T) + Sync) {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return;
    };
    let f = &f;
    std::thread::scope(|scope| {
        let others: Vec<_> = items.map(|item| scope.spawn(move || f(item))).collect();
        f(first);
        for w in others {
            w.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_across_threads() {
        let items: Vec<u32> = (0..10_000).collect();
        assert_eq!(
            super::map(&items, 2, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn map_indexed_answers_every_item_in_place_and_order() {
        for n in [0, 1, 2, 3, 4_095, 10_001] {
            let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            let answers = super::map_indexed(&items, 2, |i, s| format!("{i}:{s}"));
            assert_eq!(
                answers,
                (0..n).map(|i| format!("{i}:{i}")).collect::<Vec<_>>(),
                "{n} items"
            );
        }
    }

    #[test]
    fn batches_start_where_they_say_and_answers_keep_their_places() {
        for n in [0, 1, 63, 64, 65, 4_095, 10_001] {
            let items: Vec<usize> = (0..n).collect();
            let answers = super::map_batched(&items, 2, 64, |first, batch, out| {
                assert!(!batch.is_empty() && batch.len() <= 64, "{}", batch.len());
                assert_eq!(batch[0], first, "the batch starts at its index");
                out.extend(batch.iter().map(|i| i * 3));
            });
            assert_eq!(
                answers,
                (0..n).map(|i| i * 3).collect::<Vec<_>>(),
                "{n} items"
            );
        }
    }

    #[test]
    fn two_items_go_to_two_threads() {
        if super::threads() < 2 {
            return; // One core: nothing to share.
        }
        // The results writer hands over one part per thread; a smallest run of a whole batch
        // (256) once put both on one thread. The first item waits (5 s at most) for the second
        // to be started, which only another thread can do.
        let second_started = std::sync::atomic::AtomicBool::new(false);
        let on = super::map_batched(&[0, 1], 2, 256, |first, batch, out| {
            if first == 0 {
                let waited = std::time::Instant::now();
                while !second_started.load(std::sync::atomic::Ordering::Acquire)
                    && waited.elapsed() < std::time::Duration::from_secs(5)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            } else {
                second_started.store(true, std::sync::atomic::Ordering::Release);
            }
            out.extend(batch.iter().map(|_| std::thread::current().id()));
        });
        assert_ne!(on[0], on[1], "each part on a thread of its own");
    }

    #[test]
    fn a_slowed_thread_leaves_the_rest_to_the_others() {
        if super::threads() < 2 {
            return; // One core: nothing to share.
        }
        // The thread that answers the first batch sleeps on it, and answers no more than the
        // run it had claimed (half of the items over the threads, in whole batches); with
        // halves fixed up front it answered half of them.
        let items: Vec<usize> = (0..20_000).collect();
        let on = super::map_batched(&items, 2, 64, |first, batch, out| {
            if first == 0 {
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            out.extend(batch.iter().map(|_| std::thread::current().id()));
        });
        let slowed = on[0];
        let its_share = on.iter().filter(|t| **t == slowed).count();
        let first_run = (20_000 / (2 * super::threads())).next_multiple_of(64);
        assert!(
            its_share <= first_run,
            "the slowed thread answered {its_share} of 20,000"
        );
    }

    #[test]
    fn a_batch_answered_short_is_a_panic_not_a_hole() {
        let items: Vec<u32> = (0..10_000).collect();
        let caught = std::panic::catch_unwind(|| {
            super::map_batched(&items, 2, 64, |first, batch, out| {
                // The last batch, in whichever share it falls.
                let short = usize::from(first + batch.len() == items.len());
                out.extend(batch[short..].iter().map(|x| x.to_string()));
            })
        });
        assert!(caught.is_err());
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller() {
        let items: Vec<u32> = (0..10_000).collect();
        let caught = std::panic::catch_unwind(|| {
            super::map_indexed(&items, 2, |i, _| {
                assert!(i != 9_999, "the last item");
                String::from("answer")
            })
        });
        assert!(caught.is_err());
    }

    #[test]
    fn each_piece_is_worked_once_and_a_panic_in_one_reaches_the_caller() {
        let mut buffer = vec![0u32; 10];
        let (left, right) = buffer.split_at_mut(4);
        super::each(vec![(1, left), (2, right)], |(mark, part)| part.fill(mark));
        assert_eq!(buffer, [1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
        super::each(Vec::<u32>::new(), |_| unreachable!("no pieces, no work"));
        let caught = std::panic::catch_unwind(|| {
            super::each(vec![1, 2, 3], |piece| assert!(piece != 3, "the last piece"));
        });
        assert!(caught.is_err());
    }

    #[test]
    fn beside_answers_both_and_a_panic_beside_reaches_the_caller() {
        let items: Vec<u64> = (0..1000).collect();
        assert_eq!(
            super::beside(|| items.iter().sum::<u64>(), || items.len()),
            (499_500, 1000)
        );
        let caught =
            std::panic::catch_unwind(|| super::beside(|| -> u32 { panic!("beside") }, || 1));
        assert!(caught.is_err());
    }
}
