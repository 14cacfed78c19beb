//! Spreading work over the cores: the one place that decides how many threads a large action
//! uses and how work is split among them.

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

/// `items.iter().map(f)`, in order, split into one contiguous chunk per thread when there are
/// at least `from` items. A panic in a worker is resumed on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], from: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_indexed(items, from, |_, item| f(item))
}

/// [`map`] with each item's index: `items.iter().enumerate().map(f)`. Each thread writes its
/// answers straight into their places in the one vector returned (collecting them per thread
/// and then copying them into one on the caller's thread took a serial pass over all of them).
pub fn map_indexed<T: Sync, R: Send>(
    items: &[T],
    from: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    if n < from.max(2) || threads() == 1 {
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| f(i, item))
            .collect();
    }
    let chunk = n.div_ceil(threads());
    let f = &f;
    let mut out = Vec::with_capacity(n);
    std::thread::scope(|scope| {
        let workers: Vec<_> = out.spare_capacity_mut()[..n]
            .chunks_mut(chunk)
            .zip(items.chunks(chunk))
            .enumerate()
            .map(|(k, (slots, part))| {
                scope.spawn(move || {
                    for (i, (slot, item)) in slots.iter_mut().zip(part).enumerate() {
                        slot.write(f(k * chunk + i, item));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
    // SAFETY: the shares cover the first `n` slots, and every worker wrote each slot of its
    // share: it returned normally (a panic was resumed above, and the answers written so far
    // are then leaked, never read).
    unsafe { out.set_len(n) };
    out
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
}
