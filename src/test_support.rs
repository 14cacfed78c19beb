//! What the unit tests share.

/// Calls `check` with every sequence of `alphabet`'s items from one to `longest` long: the
/// inputs of a test that holds a fast path to a plain one on every short mix.
pub(crate) fn for_every_mix<T: Clone>(
    alphabet: &[T],
    longest: usize,
    check: &mut impl FnMut(&[T]),
) {
    fn grow<T: Clone>(
        mix: &mut Vec<T>,
        alphabet: &[T],
        longest: usize,
        check: &mut impl FnMut(&[T]),
    ) {
        if mix.len() == longest {
            return;
        }
        for item in alphabet {
            mix.push(item.clone());
            check(mix);
            grow(mix, alphabet, longest, check);
            mix.pop();
        }
    }
    grow(&mut Vec::with_capacity(longest), alphabet, longest, check);
}
