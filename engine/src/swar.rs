// SPDX-License-Identifier: Apache-2.0
//! Byte classes eight bytes at a time ("SIMD within a register").
//!
//! Wasm has no SIMD fast path in `str`/`slice` searches for a byte RANGE
//! such as the ASCII digits, so a byte-at-a-time `position` is what V8 runs
//! over every text, once per numeric detector. A class here is a function
//! from a little-endian word to a mask with the high bit of each member
//! byte set, EXACTLY per byte (no borrow or carry crosses bytes), so the
//! first member is the mask's lowest set bit.

/// A byte class as a 256-entry table, built at compile time from an
/// expression over `$b`: where a detector classifies every byte of long runs,
/// one load beats a chain of range tests (the base64 alphabet's was 5 % of a
/// 1 MB scan).
macro_rules! byte_table {
    ($b:ident => $member:expr) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            let $b = i as u8;
            table[i] = $member;
            i += 1;
        }
        table
    }};
}
pub(crate) use byte_table;

/// One in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;
/// The low seven bits of every byte.
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The eight bytes at `at` as a little-endian word, and how many of them are
/// real (fewer at the end of `bytes`; the rest are zero).
fn word_at(bytes: &[u8], at: usize) -> (u64, usize) {
    // The whole-word case is one unaligned load; only the tail is copied.
    if let Some(le) = bytes
        .get(at..at.saturating_add(8))
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        return (u64::from_le_bytes(le), 8);
    }
    let mut le = [0u8; 8];
    let rest = bytes.get(at..).unwrap_or_default();
    let n = rest.len().min(8);
    if let (Some(dst), Some(src)) = (le.get_mut(..n), rest.get(..n)) {
        dst.copy_from_slice(src);
    }
    (u64::from_le_bytes(le), n)
}

/// Bytes of `w` equal to `byte`.
pub(crate) fn eq(w: u64, byte: u8) -> u64 {
    let t = w ^ (ONES * u64::from(byte));
    // A byte of `t` is zero exactly when neither its low seven bits (added
    // to 0x7F, they carry into the high bit) nor its high bit is set.
    !((t & LOW7).wrapping_add(LOW7) | t | LOW7)
}

/// ASCII digits `0`–`9` in `w`.
pub(crate) fn digits(w: u64) -> u64 {
    // Per byte b < 0x80: (0x7F + 0x3A) - b has its high bit set when
    // b <= 0x39, and b + (0x7F - 0x2F) when b >= 0x30; `!w` drops b >= 0x80.
    let low = w & LOW7;
    (ONES * (0x7F + 0x3A)).wrapping_sub(low) & !w & low.wrapping_add(ONES * (0x7F - 0x2F)) & HIGH
}

/// Bytes of `w` that are not ASCII letters (prose is mostly letters: the
/// injection fold skips runs of them a word at a time).
pub(crate) fn non_letters(w: u64) -> u64 {
    // Per byte, with bit 5 set (upper case read as lower) and the high bit
    // cleared: + (0x80 - 0x61) reaches the high bit from `a` on, + (0x80 -
    // 0x7B) past `z`; neither carries out of the byte. `w` flags b >= 0x80.
    let low = (w | (ONES * 0x20)) & LOW7;
    let from_a = low.wrapping_add(ONES * (0x80 - 0x61));
    let past_z = low.wrapping_add(ONES * (0x80 - 0x7B));
    !(from_a & !past_z & !w) & HIGH
}

/// Bytes of `w` below `n` (`n` ≤ 0x80), flagged EXACTLY FOR THE LOWEST
/// ONE only: the classic subtraction's borrow may flag a byte above a
/// real member, never one below it. Enough for [`find`], which reads the
/// lowest flag, at three operations instead of an exact class's four or
/// more; an OR of such tests keeps the property.
pub(crate) fn lowest_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w
}

/// The members of `class` among the real bytes of a word.
fn members(class: impl Fn(u64) -> u64, w: u64, real: usize) -> u64 {
    let mask = class(w) & HIGH;
    if real < 8 {
        mask & ((1u64 << (8 * real)) - 1)
    } else {
        mask
    }
}

/// The first offset at or after `from` whose byte is in `class`.
pub(crate) fn find(bytes: &[u8], from: usize, class: impl Fn(u64) -> u64) -> Option<usize> {
    let rest = bytes.get(from..)?;
    // Whole words without a bounds check or a length test each; then the
    // tail, zero-padded.
    let mut words = rest.chunks_exact(8);
    let mut at = from;
    for chunk in &mut words {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?);
        let found = class(w) & HIGH;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    if tail.is_empty() {
        return None;
    }
    let (w, real) = word_at(tail, 0);
    let found = members(&class, w, real);
    (found != 0).then(|| at + (found.trailing_zeros() / 8) as usize)
}

/// Calls `each(start, end)` for every maximal run of `class` bytes, in
/// order, in one pass a word at a time: a run's ends are the bytes whose
/// membership differs from the byte before them, so a text dense with short
/// numbers (logs, JSON) costs a few bit operations per run instead of two
/// searches, each with its own set-up.
pub(crate) fn for_each_run(
    bytes: &[u8],
    class: impl Fn(u64) -> u64,
    mut each: impl FnMut(usize, usize),
) {
    let mut start: Option<usize> = None;
    // 0x80 when the byte before the current word is a member.
    let mut carry = 0u64;
    let mut visit = |mask: u64, at: usize| {
        // Most words of prose hold no member and follow none: no edge.
        if mask | carry == 0 {
            return;
        }
        let before = (mask << 8) | carry;
        carry = (mask >> 56) & 0x80;
        // Edges alternate: a run starts, then ends, and so on.
        let mut edges = (mask ^ before) & HIGH;
        while edges != 0 {
            let edge = at + (edges.trailing_zeros() / 8) as usize;
            match start.take() {
                None => start = Some(edge),
                Some(from) => each(from, edge),
            }
            edges &= edges - 1;
        }
    };
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        if let Ok(le) = <[u8; 8]>::try_from(chunk) {
            visit(class(u64::from_le_bytes(le)) & HIGH, at);
        }
        at += 8;
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let (w, real) = word_at(tail, 0);
        // The zero padding is no member: a run open at the end ends there.
        visit(members(&class, w, real), at);
    }
    if let Some(from) = start {
        each(from, bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn word(bytes: [u8; 8]) -> u64 {
        u64::from_le_bytes(bytes)
    }

    /// The byte-by-byte reading of a mask.
    fn flagged(mask: u64) -> [bool; 8] {
        std::array::from_fn(|i| mask >> (8 * i) & 0x80 != 0)
    }

    proptest! {
        /// Exact per byte, whatever the neighbours (borrows and carries
        /// would show up as a wrong flag next to a member).
        #[test]
        fn classes_are_exact_per_byte(bytes in any::<[u8; 8]>(), probe in any::<u8>()) {
            let w = word(bytes);
            prop_assert_eq!(flagged(digits(w)), bytes.map(|b| b.is_ascii_digit()));
            prop_assert_eq!(flagged(eq(w, probe)), bytes.map(|b| b == probe));
            prop_assert_eq!(flagged(non_letters(w)), bytes.map(|b| !b.is_ascii_alphabetic()));
        }

        #[test]
        fn find_agrees_with_a_byte_walk(
            bytes in proptest::collection::vec(prop_oneof![Just(b'7'), Just(b'a'), any::<u8>()], 0..40),
            from in 0usize..44,
        ) {
            let walk = bytes.iter().skip(from).position(u8::is_ascii_digit).map(|i| i + from);
            prop_assert_eq!(find(&bytes, from, digits), walk);
        }

        #[test]
        fn runs_are_the_maximal_runs_of_members(
            bytes in proptest::collection::vec(prop_oneof![Just(b'7'), Just(b'a'), any::<u8>()], 0..40),
        ) {
            let mut want = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() {
                    let end = (i..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
                    want.push((i, end));
                    i = end;
                } else {
                    i += 1;
                }
            }
            let mut got = Vec::new();
            for_each_run(&bytes, digits, |s, e| got.push((s, e)));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_byte_table_holds_its_class() {
        const DIGITS: [bool; 256] = byte_table!(b => b.is_ascii_digit());
        for b in 0..=255u8 {
            assert_eq!(DIGITS[usize::from(b)], b.is_ascii_digit(), "{b}");
        }
    }

    #[test]
    fn the_end_of_the_text_is_not_a_member() {
        // The zero padding after the last real byte must not match.
        assert_eq!(find(b"ab", 0, |w| eq(w, 0)), None);
        assert_eq!(find(b"ab\0", 0, |w| eq(w, 0)), Some(2));
        let mut runs = Vec::new();
        for_each_run(b"a1", |w| eq(w, 0) | digits(w), |s, e| runs.push((s, e)));
        assert_eq!(runs, [(1, 2)]);
    }
}
