// SPDX-License-Identifier: Apache-2.0
//! Where a value may start and end. Digits glued to more digits or letters
//! belong to a longer token (an order id, a hash, a version, a UUID), and a
//! number right after `#` or `$` is a ticket or an amount: the `regex` crate
//! has no lookaround, so these checks live here.

use crate::detect::context::has_context;
use regex::{Captures, Regex};

/// The character just before byte offset `i`.
pub(super) fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The character at byte offset `i`.
pub(super) fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Characters that join the parts of one token: `ab-12`, `1.2`, `x/12`.
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '.' | '/' | '\\' | '_')
}

/// Characters that make the number after them something else: a ticket
/// (`#`), an amount (`$`), a handle (`@`), a signed quantity (`+`).
fn is_marker(c: char) -> bool {
    matches!(c, '#' | '$' | '€' | '£' | '¥' | '₽' | '@' | '+')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True when `start..end` is a whole numeric token: not glued to letters or
/// digits (directly or through a joiner such as `-` or `.`), not after a
/// marker such as `#` or `$`, and not followed by `%` or `@`. Sentence
/// punctuation (`… 123.`) is fine.
pub(super) fn numeric_bounds_ok(text: &str, start: usize, end: usize) -> bool {
    let before_ok = match prev_char(text, start) {
        None => true,
        Some(c) if is_word(c) || is_marker(c) => false,
        Some(c) if is_joiner(c) => {
            let joiner_start = start - c.len_utf8();
            !prev_char(text, joiner_start).is_some_and(is_word)
        }
        Some(_) => true,
    };
    let after_ok = match next_char(text, end) {
        None => true,
        Some(c) if is_word(c) || c == '%' || c == '@' => false,
        Some(c) if is_joiner(c) => !next_char(text, end + c.len_utf8()).is_some_and(is_word),
        Some(_) => true,
    };
    before_ok && after_ok
}

/// A maximal run of ASCII digit groups joined by single separators.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DigitRun {
    pub start: usize,
    pub end: usize,
    /// Byte ranges of the digit groups, in order.
    pub groups: Groups,
}

/// How many groups a run holds without allocating: every number format we
/// validate has fewer; longer runs spill to the heap.
const INLINE_GROUPS: usize = 8;

/// The digit groups of a run: a slice (via `Deref`) kept inline for the
/// short runs that make up nearly all numbers in text, so finding the runs
/// of a large body does not allocate once per number.
#[derive(Debug, Clone)]
pub(super) struct Groups {
    inline: [(usize, usize); INLINE_GROUPS],
    len: usize,
    /// Every group, once there are more than `INLINE_GROUPS`.
    spilled: Vec<(usize, usize)>,
}

impl Groups {
    fn new() -> Self {
        Groups {
            inline: [(0, 0); INLINE_GROUPS],
            len: 0,
            spilled: Vec::new(),
        }
    }

    fn push(&mut self, group: (usize, usize)) {
        if !self.spilled.is_empty() {
            self.spilled.push(group);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = group;
            self.len += 1;
        } else {
            self.spilled = self.inline.to_vec();
            self.spilled.push(group);
        }
    }
}

impl std::ops::Deref for Groups {
    type Target = [(usize, usize)];

    fn deref(&self) -> &[(usize, usize)] {
        if self.spilled.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spilled
        }
    }
}

impl PartialEq for Groups {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl DigitRun {
    /// The digits of the first `n` groups, without separators.
    pub fn digits(&self, text: &str, n: usize) -> String {
        self.groups
            .iter()
            .take(n)
            .filter_map(|&(s, e)| text.get(s..e))
            .collect()
    }

    /// Number of digits in the first `n` groups.
    pub fn digit_count(&self, n: usize) -> usize {
        self.groups.iter().take(n).map(|(s, e)| e - s).sum()
    }
}

/// Every maximal run of digit groups in `text` where the groups are joined by
/// exactly one byte of `seps` (`b" -"` for cards, `b""` for bare numbers).
#[cfg(test)]
pub(super) fn digit_runs<'a>(text: &'a str, seps: &'a [u8]) -> impl Iterator<Item = DigitRun> + 'a {
    digit_runs_of(text, digit_sequences(text), seps, 0)
}

/// [`digit_runs`] built from the text's digit sequences (`sequences`, in
/// order), keeping only runs of at least `min_digits` digits: the groups of
/// a run are only gathered once its digits are counted.
pub(super) fn digit_runs_of<'a>(
    text: &'a str,
    sequences: impl Iterator<Item = (usize, usize)> + 'a,
    seps: &'a [u8],
    min_digits: usize,
) -> impl Iterator<Item = DigitRun> + 'a {
    let bytes = text.as_bytes();
    let mut sequences = sequences.peekable();
    // Whether the sequence ending at `end` and the one at `next` join.
    let joined = move |end: usize, next: usize| {
        next == end + 1 && bytes.get(end).is_some_and(|b| seps.contains(b))
    };
    std::iter::from_fn(move || {
        loop {
            let (start, first_end) = sequences.next()?;
            // Most numbers of logs and JSON stand alone and are short: a run
            // of them alone, glued or not, is skipped before it is built.
            let alone = !sequences.peek().is_some_and(|&(s, _)| joined(first_end, s));
            if alone && first_end - start < min_digits {
                continue;
            }
            // Digits glued to a word (`mc2 4539…`, `A1 4539…`) end that word;
            // they do not start a run of groups.
            let glued = prev_char(text, start).is_some_and(char::is_alphanumeric);
            let mut groups = Groups::new();
            groups.push((start, first_end));
            let mut end = first_end;
            if !glued {
                while let Some(&(s, e)) = sequences.peek() {
                    if !joined(end, s) {
                        break;
                    }
                    groups.push((s, e));
                    end = e;
                    sequences.next();
                }
            }
            let run = DigitRun { start, end, groups };
            if run.digit_count(run.groups.len()) >= min_digits {
                return Some(run);
            }
        }
    })
}

/// Every maximal run of ASCII digits in `text`, as a byte range: the bare
/// numbers, without [`digit_runs`]' grouping. Detectors share one list per
/// text ([`Text::digit_sequences`](crate::detect::text::Text)).
#[cfg(test)]
pub(crate) fn digit_sequences(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut runs = Vec::new();
    crate::swar::for_each_run(text.as_bytes(), crate::swar::digits, |s, e| {
        runs.push((s, e))
    });
    runs.into_iter()
}

/// The matches of `anchored` (a `^`-anchored pattern that starts with ASCII
/// digits) at the starts of digit runs of one of the lengths `lens`, left to
/// right and without overlap, each with the offset of its start: the same
/// matches as `captures_iter` of the pattern with `(?-u:\b)` in place of
/// `^`, which can only match at such a run start (a digit not preceded by a
/// word byte), without running a regex over the whole text. The captures are
/// relative to that offset.
///
/// A run shorter than the longest of `lens` can only start a grouped
/// spelling, whose groups both patterns (SSN, SNILS) separate with `-` or a
/// space: it is tried only when one and a digit follow. Most short runs in
/// text (`123 people`, `v2.123`) fail that, and a regex call costs ~160
/// instructions before it looks at a byte.
pub(super) fn captures_at_runs<'t>(
    text: &'t str,
    digit_sequences: impl Iterator<Item = (usize, usize)> + 't,
    anchored: &'t Regex,
    lens: &'t [usize],
) -> impl Iterator<Item = (usize, Captures<'t>)> + 't {
    let bytes = text.as_bytes();
    let mut resume = 0;
    // The lengths as bits: one shift per number instead of a slice search.
    let len_bits = lens
        .iter()
        .filter_map(|&len| {
            u32::try_from(len)
                .ok()
                .and_then(|len| 1u64.checked_shl(len))
        })
        .fold(0u64, |bits, bit| bits | bit);
    let wanted = move |len: usize| len < 64 && len_bits >> len & 1 == 1;
    digit_sequences.filter_map(move |(start, end)| {
        // The length first: nearly every number fails it.
        if !wanted(end - start) || start < resume {
            return None;
        }
        let after_word = start
            .checked_sub(1)
            .and_then(|i| bytes.get(i))
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if after_word {
            return None;
        }
        let grouped = lens.iter().any(|&len| len > end - start);
        if grouped
            && !(matches!(bytes.get(end), Some(b'-' | b' '))
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            return None;
        }
        let caps = anchored.captures(text.get(start..)?)?;
        resume = start + caps.get(0)?.end();
        Some((start, caps))
    })
}

/// True when one of `words` ends within `window` characters before `start`
/// (the text after the value is not looked at).
pub(super) fn word_before(text: &str, start: usize, window: usize, words: &[String]) -> bool {
    let before = text.get(..start).unwrap_or("");
    has_context(before, before.len(), before.len(), window, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(text: &str, value: &str) -> bool {
        let start = text.find(value).unwrap();
        numeric_bounds_ok(text, start, start + value.len())
    }

    #[test]
    fn numeric_tokens_must_stand_alone() {
        let cases = [
            ("INN 500938471020.", true),
            ("ИНН:500938471020", true),
            ("\"inn\":\"500938471020\"", true),
            ("(500938471020)", true),
            ("id 500938471020, next", true),
            ("x500938471020", false),
            ("ИНН500938471020", false),
            ("500938471020x", false),
            ("a716-500938471020", false),
            ("v2.500938471020", false),
            ("#500938471020", false),
            ("$500938471020", false),
            ("500938471020%", false),
            ("500938471020.pdf", false),
            ("500938471020-01", false),
            ("- 500938471020 -", true),
        ];
        for (text, want) in cases {
            assert_eq!(bounded(text, "500938471020"), want, "{text}");
        }
    }

    #[test]
    fn long_runs_keep_every_group() {
        let text = "1 22 3 44 5 66 7 88 9 100 11";
        let runs: Vec<_> = digit_runs(text, b" ").collect();
        assert_eq!(runs.len(), 1);
        let groups: Vec<&str> = runs[0].groups.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            groups,
            ["1", "22", "3", "44", "5", "66", "7", "88", "9", "100", "11"]
        );
        assert_eq!(runs[0].digits(text, 9), "1223445667889");
        assert_eq!(runs[0], runs[0].clone());
    }

    #[test]
    fn digit_runs_join_single_separators() {
        let text = "card 4539 1488-0343 6467, id 12  34 5.6";
        let runs: Vec<_> = digit_runs(text, b" -").collect();
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[0].digits(text, 4), "4539148803436467");
        assert_eq!(runs[0].groups.len(), 4);
        assert_eq!(&text[runs[0].start..runs[0].end], "4539 1488-0343 6467");
        assert_eq!(&text[runs[1].start..runs[1].end], "12");
        // A double space ends a run; a single one joins `34 5`.
        assert_eq!(&text[runs[2].start..runs[2].end], "34 5");
        assert_eq!(runs[2].digit_count(2), 3);
        assert_eq!(&text[runs[3].start..runs[3].end], "6");
        let bare: Vec<_> = digit_runs("a1b22", b"").map(|r| (r.start, r.end)).collect();
        assert_eq!(bare, [(1, 2), (3, 5)]);
        let glued: Vec<_> = digit_runs("mc2 2223 8471", b" ")
            .map(|r| (r.start, r.end))
            .collect();
        assert_eq!(glued, [(2, 3), (4, 13)]);
    }

    /// The byte walk `digit_runs_of` replaced.
    fn digit_runs_by_bytes(text: &str, seps: &[u8]) -> Vec<DigitRun> {
        let bytes = text.as_bytes();
        let mut runs = Vec::new();
        let mut i = 0;
        while let Some(start) = (i..bytes.len()).find(|&k| bytes[k].is_ascii_digit()) {
            i = start;
            let glued = prev_char(text, start).is_some_and(char::is_alphanumeric);
            let mut groups = Groups::new();
            loop {
                let group_start = i;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                groups.push((group_start, i));
                if glued {
                    break;
                }
                match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(sep), Some(d)) if seps.contains(sep) && d.is_ascii_digit() => i += 1,
                    _ => break,
                }
            }
            runs.push(DigitRun {
                start,
                end: i,
                groups,
            });
        }
        runs
    }

    proptest::proptest! {
        /// Runs built from the sequences are the runs of a byte walk, and
        /// `min_digits` only drops the shorter ones.
        #[test]
        fn runs_of_sequences_are_the_byte_walk_runs(
            text in "[0-9a -.]{0,48}",
            min_digits in 0usize..6,
        ) {
            let want: Vec<DigitRun> = digit_runs_by_bytes(&text, b" -")
                .into_iter()
                .filter(|r| r.digit_count(r.groups.len()) >= min_digits)
                .collect();
            let ours: Vec<DigitRun> =
                digit_runs_of(&text, digit_sequences(&text), b" -", min_digits).collect();
            proptest::prop_assert_eq!(ours, want);
        }
    }

    proptest::proptest! {
        /// The bare sequences are the runs of [`digit_runs`] without
        /// separators.
        #[test]
        fn digit_sequences_are_the_runs_without_separators(text in "[0-9a é-]{0,40}") {
            let runs: Vec<(usize, usize)> =
                digit_runs(&text, b"").map(|r| (r.start, r.end)).collect();
            proptest::prop_assert_eq!(digit_sequences(&text).collect::<Vec<_>>(), runs);
        }
    }

    #[test]
    fn run_matches_do_not_overlap() {
        // "456" starts a run of three digits too, but lies inside the
        // first match, as it does for the unanchored search.
        let anchored = Regex::new(r"^[0-9]{3}(?:-[0-9]{3})*(?-u:\b)").unwrap();
        let text = "id 123-456 and 789";
        let found: Vec<&str> = captures_at_runs(text, digit_sequences(text), &anchored, &[3])
            .map(|(offset, caps)| &text[offset..offset + caps.get(0).unwrap().end()])
            .collect();
        assert_eq!(found, ["123-456", "789"]);
    }

    #[test]
    fn word_before_ignores_text_after() {
        let w = vec!["version".to_string()];
        let text = "version 84.17.52.193";
        assert!(word_before(text, 8, 16, &w));
        let text = "84.17.52.193 version";
        assert!(!word_before(text, 0, 16, &w));
    }
}
