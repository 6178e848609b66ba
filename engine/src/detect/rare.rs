// SPDX-License-Identifier: Apache-2.0
//! A rare-byte prefilter for ASCII case-insensitive literal sets.
//!
//! `aho-corasick` builds no prefilter for an ASCII case-insensitive set
//! whose first or rarest bytes, counted in both cases, are more than three
//! (two keywords are enough), so its automaton then reads every byte of
//! every text. Here each literal contributes its rarest byte; the literals
//! that share one form a group, and each group's byte is searched for in
//! both cases (`memchr2`, vectorized natively and with wasm's simd128). A
//! hit opens a window only where a literal of its group occurs around it
//! (compared in place), so prose, where even a rare letter comes every few
//! dozen bytes, opens none; the automaton runs on the windows.
//!
//! Every occurrence of a literal holds its rarest byte, so it opens a
//! window. A window reaches the longest literal's length on both sides of
//! its hit, so it holds that occurrence; overlapping windows are merged, so
//! no occurrence straddles two. Leftmost-first and leftmost-longest searches
//! keep no state between matches but the position, so searching the merged
//! windows in order finds exactly the matches a search of the whole text
//! finds.

/// Most groups (one search each) kept: beyond four the searches and their
/// hits cost about what the automaton does.
const MAX_GROUPS: usize = 4;

/// The bytes to look for and how far a match can reach from one.
#[derive(Debug, Clone)]
pub(crate) struct RareBytes {
    groups: Vec<Group>,
    /// The longest literal's length in bytes.
    reach: usize,
}

/// The literals whose rarest byte is one byte (either case of a letter).
#[derive(Debug, Clone)]
struct Group {
    /// The byte in lower and upper case (twice the same when it is no letter).
    needles: [u8; 2],
    /// Each literal, lower-cased, with the offset of its rarest byte.
    anchored: Vec<(usize, Vec<u8>)>,
}

impl Group {
    /// Whether one of the group's literals occurs with its rarest byte at `hit`.
    fn occurs_at(&self, haystack: &[u8], hit: usize) -> bool {
        self.anchored.iter().any(|(offset, literal)| {
            hit.checked_sub(*offset)
                .and_then(|start| haystack.get(start..start + literal.len()))
                .is_some_and(|found| found.eq_ignore_ascii_case(literal))
        })
    }
}

impl RareBytes {
    /// The prefilter for `literals` (matched ASCII case-insensitively), or
    /// `None` when one is empty or their rare bytes are too many.
    pub(crate) fn new<S: AsRef<[u8]>>(literals: &[S]) -> Option<RareBytes> {
        let mut groups: Vec<Group> = Vec::new();
        let mut reach = 0;
        for literal in literals {
            let literal = literal.as_ref();
            let (offset, rarest) = literal
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|&(_, b)| commonness(b))?;
            let needles = [rarest.to_ascii_lowercase(), rarest.to_ascii_uppercase()];
            let anchored = (offset, literal.to_ascii_lowercase());
            match groups.iter_mut().find(|g| g.needles == needles) {
                Some(group) => group.anchored.push(anchored),
                None => groups.push(Group {
                    needles,
                    anchored: vec![anchored],
                }),
            }
            reach = reach.max(literal.len());
        }
        (!groups.is_empty() && groups.len() <= MAX_GROUPS).then_some(RareBytes { groups, reach })
    }

    /// The windows of `haystack` that can hold a match: merged, in order,
    /// as byte ranges (not always on char boundaries).
    pub(crate) fn windows<'h>(
        &'h self,
        haystack: &'h [u8],
    ) -> impl Iterator<Item = (usize, usize)> + 'h {
        // Each group's hits where one of its literals occurs, in order; the
        // streams are merged by taking the smallest next hit.
        let mut streams: Vec<_> = self
            .groups
            .iter()
            .map(|group| {
                let [lower, upper] = group.needles;
                memchr::memchr2_iter(lower, upper, haystack)
                    .filter(move |&hit| group.occurs_at(haystack, hit))
                    .peekable()
            })
            .collect();
        let mut hits = std::iter::from_fn(move || {
            let first = streams
                .iter_mut()
                .filter_map(|stream| stream.peek().copied().map(|hit| (hit, stream)))
                .min_by_key(|(hit, _)| *hit)?;
            first.1.next()
        })
        .peekable();
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
        let rare = RareBytes::new(&["bluebird", "nightjar", "jay"]).unwrap();
        let needles: Vec<[u8; 2]> = rare.groups.iter().map(|g| g.needles).collect();
        assert_eq!(needles, [*b"bB", *b"jJ"]);
        assert_eq!(
            rare.groups[1].anchored,
            [(5, b"nightjar".to_vec()), (0, b"jay".to_vec())]
        );
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
            words in prop::collection::vec("[a-dA-D.1]{1,4}", 1..5),
            text in "[a-dA-D .é1]{0,80}",
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
