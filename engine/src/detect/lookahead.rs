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
    }
}
