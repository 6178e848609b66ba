// SPDX-License-Identifier: Apache-2.0
//! The text a scan runs over, with what several detectors derive from it
//! computed once: the numeric detectors (phone, card, SSN, SNILS, INN, IBAN,
//! the date of birth's year gate) each walked every digit run of every text.

use super::literals::Literals;
use super::prefilter::{self, LiteralHit};
use crate::swar;
use std::cell::OnceCell;

/// One text under scan. Detectors read it as a `str` (`Deref`) and ask it
/// for shared derivations, built at the first ask.
pub(crate) struct Text<'a> {
    text: &'a str,
    /// Byte ranges of the maximal runs of ASCII digits (`usize` is 32 bits
    /// in wasm, where memory counts; a plain slice keeps the per-run walk of
    /// each numeric detector short).
    digit_sequences: OnceCell<Vec<(usize, usize)>>,
    /// How many ASCII digits the text holds: six numeric detectors skip a
    /// text with too few, and each counting them was a pass of its own.
    digits: OnceCell<usize>,
    /// The scanner's shared prefilter walk ([`prefilter`]), and its hits in
    /// this text, found at the first ask.
    walk: Option<&'a Literals>,
    literal_hits: OnceCell<Vec<LiteralHit>>,
}

impl<'a> Text<'a> {
    /// A text without a shared prefilter walk: no literal hits.
    #[cfg(test)]
    pub(crate) fn new(text: &'a str) -> Self {
        Text::with_walk(text, None)
    }

    /// A text whose literal hits are `walk`'s.
    pub(crate) fn with_walk(text: &'a str, walk: Option<&'a Literals>) -> Self {
        Text {
            text,
            digit_sequences: OnceCell::new(),
            digits: OnceCell::new(),
            walk,
            literal_hits: OnceCell::new(),
        }
    }

    /// Whether the text has the scanner's shared walk (a detector used
    /// alone gets none, and searches by itself).
    pub(crate) fn has_walk(&self) -> bool {
        self.walk.is_some()
    }

    /// Every occurrence of the shared walk's literals, in order of end
    /// (see [`prefilter::hits`]); none without a walk.
    pub(crate) fn literal_hits(&self) -> &[LiteralHit] {
        self.literal_hits.get_or_init(|| {
            self.walk
                .map(|walk| prefilter::hits(walk, self.text.as_bytes()))
                .unwrap_or_default()
        })
    }

    pub(crate) fn as_str(&self) -> &'a str {
        self.text
    }

    /// Every maximal run of ASCII digits, as a byte range, in order.
    pub(crate) fn digit_sequences(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.digit_sequences
            .get_or_init(|| {
                let mut runs = Vec::new();
                swar::for_each_run(self.text.as_bytes(), swar::digits, |s, e| {
                    runs.push((s, e));
                });
                runs
            })
            .iter()
            .copied()
    }
}

impl Text<'_> {
    /// True when the text holds at least `n` ASCII digits: a cheap test that
    /// lets a numeric detector skip texts that cannot hold its value. The
    /// count is the digit runs' (which most of them walk anyway).
    pub(crate) fn has_digits(&self, n: usize) -> bool {
        let digits = self
            .digits
            .get_or_init(|| self.digit_sequences().map(|(s, e)| e - s).sum());
        *digits >= n
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cached runs are the runs, asked once or twice.
        #[test]
        fn cached_runs_are_the_runs(text in "[0-9a é-]{0,40}") {
            let shared = Text::new(&text);
            let want: Vec<(usize, usize)> = crate::detect::pii::digit_sequences(&text).collect();
            prop_assert_eq!(shared.digit_sequences().collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(shared.digit_sequences().collect::<Vec<_>>(), want);
        }

        /// The cached count answers as counting the text's digits does.
        #[test]
        fn has_digits_counts_the_texts_digits(text in "[0-9a é-]{0,40}", n in 0..12usize) {
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            let shared = Text::new(&text);
            prop_assert_eq!(shared.has_digits(n), digits >= n);
            prop_assert_eq!(shared.has_digits(n + 1), digits > n);
        }
    }
}
