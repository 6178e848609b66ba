// SPDX-License-Identifier: Apache-2.0
//! Finding where a run of some byte class can start without reading every
//! byte. Prose holds none of the long runs several detectors look for
//! (base64 and hex blobs, ids), so instead of classifying each byte the
//! search reads the window a run would need and jumps past its last byte
//! outside the class: no start up to that byte can have a full window.

/// The first `i >= from` whose `len` bytes are all `member`; `None` when no
/// such window is left.
pub(crate) fn next_window(
    bytes: &[u8],
    mut from: usize,
    len: usize,
    member: impl Fn(u8) -> bool,
) -> Option<usize> {
    loop {
        let window = bytes.get(from..from.checked_add(len)?)?;
        match window.iter().rposition(|&b| !member(b)) {
            Some(last_outside) => from += last_outside + 1,
            None => return Some(from),
        }
    }
}

/// The maximal runs of `member` bytes at least `len` long, in order, as
/// byte ranges: [`next_window`] finds each, then the run is read to its end.
pub(crate) fn long_runs(
    bytes: &[u8],
    len: usize,
    member: impl Fn(u8) -> bool + Copy,
) -> impl Iterator<Item = (usize, usize)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let start = next_window(bytes, from, len.max(1), member)?;
        let end = bytes
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| !member(b)))
            .map_or(bytes.len(), |n| start + n);
        from = end;
        Some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The jump finds the same start as trying every position.
        #[test]
        fn jumps_to_the_first_full_window(
            bytes in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b' ')], 0..40),
            from in 0usize..45,
            len in 0usize..8,
        ) {
            let member = |b: u8| b == b'a';
            let by_every_start = (from..=bytes.len().saturating_sub(len))
                .filter(|&i| i + len <= bytes.len())
                .find(|&i| bytes[i..i + len].iter().all(|&b| member(b)));
            prop_assert_eq!(next_window(&bytes, from, len, member), by_every_start);
        }

        /// The long runs are the maximal runs of members, the short ones
        /// left out.
        #[test]
        fn long_runs_are_the_maximal_runs_that_long(
            bytes in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b' ')], 0..40),
            len in 0usize..6,
        ) {
            let member = |b: u8| b == b'a';
            let mut want = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let end = (i..bytes.len()).find(|&j| !member(bytes[j])).unwrap_or(bytes.len());
                if end - i >= len.max(1) {
                    want.push((i, end));
                }
                i = end + 1;
            }
            prop_assert_eq!(long_runs(&bytes, len, member).collect::<Vec<_>>(), want);
        }
    }
}
