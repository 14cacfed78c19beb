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
    if items.len() < from.max(2) || threads() == 1 {
        return items.iter().map(f).collect();
    }
    let threads = threads();
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// `f(i, &mut items[i])` for every item, in place, split into one contiguous chunk per thread
/// when there are at least `from` items: what [`map`] does without collecting the answers into
/// a new vector (and then copying them where they belong, on one thread). A panic in a worker
/// is resumed on the caller's thread.
pub fn each_mut<T: Send>(items: &mut [T], from: usize, f: impl Fn(usize, &mut T) + Sync) {
    if items.len() < from.max(2) || threads() == 1 {
        items
            .iter_mut()
            .enumerate()
            .for_each(|(i, item)| f(i, item));
        return;
    }
    let chunk = items.len().div_ceil(threads());
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks_mut(chunk)
            .enumerate()
            .map(|(k, part)| {
                scope.spawn(move || {
                    for (i, item) in part.iter_mut().enumerate() {
                        f(k * chunk + i, item);
                    }
                })
            })
            .collect();
        for w in workers {
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
    fn each_mut_reaches_every_item_with_its_index() {
        for n in [0, 1, 2, 3, 4_095, 10_001] {
            let mut items = vec![0usize; n];
            super::each_mut(&mut items, 2, |i, x| *x += i + 1);
            assert_eq!(items, (1..=n).collect::<Vec<_>>(), "{n} items");
        }
    }
}
