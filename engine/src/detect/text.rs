// SPDX-License-Identifier: Apache-2.0
//! The text a scan runs over, with what several detectors derive from it
//! computed once: five numeric detectors (SSN, SNILS, INN, IBAN, the date of
//! birth's year gate) each walked every digit run of every text.

use super::pii::digit_sequences;
use std::cell::OnceCell;

/// One text under scan. Detectors read it as a `str` (`Deref`) and ask it
/// for shared derivations, built at the first ask.
pub(crate) struct Text<'a> {
    text: &'a str,
    /// Byte ranges of the maximal runs of ASCII digits, as `u32` pairs (half
    /// the memory of `usize` ones); left unbuilt for a text too long for
    /// `u32` offsets, whose runs are then found on every ask.
    digit_sequences: OnceCell<Vec<(u32, u32)>>,
}

impl<'a> Text<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Text {
            text,
            digit_sequences: OnceCell::new(),
        }
    }

    pub(crate) fn as_str(&self) -> &'a str {
        self.text
    }

    /// Every maximal run of ASCII digits, as a byte range, in order: the
    /// same as [`digit_sequences`] of the text.
    pub(crate) fn digit_sequences(&self) -> Box<dyn Iterator<Item = (usize, usize)> + '_> {
        if u32::try_from(self.text.len()).is_err() {
            return Box::new(digit_sequences(self.text));
        }
        let runs = self.digit_sequences.get_or_init(|| {
            digit_sequences(self.text)
                .filter_map(|(s, e)| Some((u32::try_from(s).ok()?, u32::try_from(e).ok()?)))
                .collect()
        });
        Box::new(runs.iter().map(|&(s, e)| (s as usize, e as usize)))
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
            let want: Vec<(usize, usize)> = digit_sequences(&text).collect();
            prop_assert_eq!(shared.digit_sequences().collect::<Vec<_>>(), want.clone());
            prop_assert_eq!(shared.digit_sequences().collect::<Vec<_>>(), want);
        }
    }
}
