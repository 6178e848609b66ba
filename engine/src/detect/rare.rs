// SPDX-License-Identifier: Apache-2.0
//! A rare-byte prefilter for ASCII case-insensitive literal sets.
//!
//! `aho-corasick` builds no prefilter for an ASCII case-insensitive set
//! whose first or rarest bytes, counted in both cases, are more than three
//! (two keywords are enough), so its automaton then reads every byte of
//! every text. Here each literal contributes its rarest byte, in both cases;
//! the text is searched for those bytes only (`memchr3`, or eight bytes at a
//! time). A hit opens a window only where a literal whose rarest byte it is
//! occurs around it (compared in place), so prose, where even a rare letter
//! comes every few dozen bytes, opens none; the automaton runs on the
//! windows.
//!
//! Every occurrence of a literal holds its rarest byte, so it opens a
//! window. A window reaches the longest literal's length on both sides of
//! its hit, so it holds that occurrence; overlapping windows are merged, so
//! no occurrence straddles two. Leftmost-first and leftmost-longest searches
//! keep no state between matches but the position, so searching the merged
//! windows in order finds exactly the matches a search of the whole text
//! finds.

use crate::swar;

/// Most distinct bytes (both cases counted) searched for: beyond eight the
/// byte search costs about what the automaton does.
const MAX_BYTES: usize = 8;

/// The bytes to look for and how far a match can reach from one.
#[derive(Debug, Clone)]
pub(crate) struct RareBytes {
    bytes: Vec<u8>,
    /// The longest literal's length in bytes.
    reach: usize,
    /// Each literal, lower-cased, with the offset of its rarest byte.
    anchored: Vec<(usize, Vec<u8>)>,
}

impl RareBytes {
    /// The prefilter for `literals` (matched ASCII case-insensitively), or
    /// `None` when one is empty or their rare bytes are too many.
    pub(crate) fn new<S: AsRef<[u8]>>(literals: &[S]) -> Option<RareBytes> {
        let mut bytes: Vec<u8> = Vec::new();
        let mut reach = 0;
        let mut anchored = Vec::with_capacity(literals.len());
        for literal in literals {
            let literal = literal.as_ref();
            let (offset, rarest) = literal
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|&(_, b)| commonness(b))?;
            for b in [rarest.to_ascii_lowercase(), rarest.to_ascii_uppercase()] {
                if !bytes.contains(&b) {
                    bytes.push(b);
                }
            }
            reach = reach.max(literal.len());
            anchored.push((offset, literal.to_ascii_lowercase()));
        }
        (!bytes.is_empty() && bytes.len() <= MAX_BYTES).then_some(RareBytes {
            bytes,
            reach,
            anchored,
        })
    }

    /// Whether a literal occurs with its rarest byte at `hit`.
    fn occurs_at(&self, haystack: &[u8], hit: usize) -> bool {
        self.anchored.iter().any(|(offset, literal)| {
            hit.checked_sub(*offset)
                .and_then(|start| haystack.get(start..start + literal.len()))
                .is_some_and(|found| found.eq_ignore_ascii_case(literal))
        })
    }

    /// The windows of `haystack` that can hold a match: merged, in order,
    /// as byte ranges (not always on char boundaries).
    pub(crate) fn windows<'h>(
        &'h self,
        haystack: &'h [u8],
    ) -> impl Iterator<Item = (usize, usize)> + 'h {
        let occurs = |&hit: &usize| self.occurs_at(haystack, hit);
        let mut hits = self.hits(haystack).filter(occurs).peekable();
        std::iter::from_fn(move || {
            let first = hits.next()?;
            let start = first.saturating_sub(self.reach);
            let mut end = first.saturating_add(self.reach).min(haystack.len());
            while let Some(&next) = hits.peek() {
                if next.saturating_sub(self.reach) > end {
                    break;
                }
                end = next.saturating_add(self.reach).min(haystack.len());
                hits.next();
            }
            Some((start, end))
        })
    }

    /// Offsets of the rare bytes in `haystack`, in order.
    fn hits<'h>(&'h self, haystack: &'h [u8]) -> Box<dyn Iterator<Item = usize> + 'h> {
        match *self.bytes.as_slice() {
            [a] => Box::new(memchr::memchr_iter(a, haystack)),
            [a, b] => Box::new(memchr::memchr2_iter(a, b, haystack)),
            [a, b, c] => Box::new(memchr::memchr3_iter(a, b, c, haystack)),
            _ => {
                // A letter is looked for once, in both cases: `| 0x20` maps
                // exactly `B` and `b` (and no other byte) to `b`.
                let letters: Vec<u8> = self
                    .bytes
                    .iter()
                    .filter(|b| b.is_ascii_lowercase())
                    .copied()
                    .collect();
                let others: Vec<u8> = self
                    .bytes
                    .iter()
                    .filter(|b| !b.is_ascii_alphabetic())
                    .copied()
                    .collect();
                let class = move |w: u64| {
                    let folded = w | 0x2020_2020_2020_2020;
                    letters.iter().fold(0, |m, &l| m | swar::eq(folded, l))
                        | others.iter().fold(0, |m, &b| m | swar::eq(w, b))
                };
                let mut at = 0;
                Box::new(std::iter::from_fn(move || {
                    let hit = swar::find(haystack, at, &class)?;
                    at = hit + 1;
                    Some(hit)
                }))
            }
        }
    }
}

/// How common a byte is in text, lowest for the rarest: English letter
/// frequencies for letters (either case), then digits and punctuation; the
/// last bytes of non-ASCII chars count as fairly rare.
fn commonness(byte: u8) -> u8 {
    const LETTERS_BY_FREQUENCY: &[u8; 26] = b"etaoinshrdlcumwfgypbvkjxqz";
    let lower = byte.to_ascii_lowercase();
    match lower {
        b' ' => 255,
        b'a'..=b'z' => LETTERS_BY_FREQUENCY
            .iter()
            .position(|&l| l == lower)
            .map_or(0, |rank| 250 - 8 * rank as u8),
        b'0'..=b'9' => 150,
        b'.' | b',' | b'-' | b'_' | b'"' | b':' | b'/' | b'\n' => 180,
        // UTF-8 lead bytes repeat in every char of a script; the
        // continuation byte tells chars apart.
        0xC0..=0xFF => 120,
        0x80..=0xBF => 40,
        _ => 60,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    fn windowed(rare: &RareBytes, ac: &AhoCorasick, text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        rare.windows(bytes)
            .flat_map(|(s, e)| {
                ac.find_iter(bytes.get(s..e).unwrap_or_default())
                    .map(move |m| (s + m.start(), s + m.end()))
            })
            .collect()
    }

    #[test]
    fn picks_the_rarest_byte_in_both_cases() {
        let rare = RareBytes::new(&["bluebird", "nightjar"]).unwrap();
        assert_eq!(rare.bytes, b"bBjJ");
        assert_eq!(rare.reach, 8);
        assert!(RareBytes::new(&["ok", ""]).is_none());
        let many = ["ab", "cd", "fg", "hi", "kl"];
        assert!(RareBytes::new(&many).is_none());
    }

    #[test]
    fn windows_cover_every_occurrence_and_merge() {
        let rare = RareBytes::new(&["xyz"]).unwrap();
        // A rare byte without its literal around it opens no window.
        let text = b"..xyz.z......XYZ..............xyzxyZ.z";
        let windows: Vec<_> = rare.windows(text).collect();
        assert_eq!(windows, [(1, 7), (12, 18), (29, 38)]);
        assert_eq!(rare.windows(b"z..zz.yz.xz").count(), 0);
    }

    proptest! {
        /// Searching the windows finds exactly what searching the whole
        /// text finds, for either leftmost match kind.
        #[test]
        fn windowed_matches_are_the_whole_text_matches(
            words in prop::collection::vec("[a-dA-D]{1,4}", 1..5),
            text in "[a-dA-D .é]{0,80}",
            longest in any::<bool>(),
        ) {
            let kind = if longest { MatchKind::LeftmostLongest } else { MatchKind::LeftmostFirst };
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(kind)
                .build(&words)
                .unwrap();
            let Some(rare) = RareBytes::new(&words) else {
                return Ok(());
            };
            let whole: Vec<(usize, usize)> =
                ac.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            prop_assert_eq!(windowed(&rare, &ac, &text), whole);
        }
    }
}
