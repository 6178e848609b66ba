// SPDX-License-Identifier: Apache-2.0
//! The text a scan runs over, with what several detectors derive from it
//! computed once: the numeric detectors (phone, card, SSN, SNILS, INN, IBAN,
//! the date of birth's year gate) each walked every digit run of every text.

use crate::swar;
use std::cell::OnceCell;

/// One text under scan. Detectors read it as a `str` (`Deref`) and ask it
/// for shared derivations, built at the first ask.
pub(crate) struct Text<'a> {
    text: &'a str,
    digit_sequences: OnceCell<Runs>,
}

/// Byte ranges of the maximal runs of ASCII digits: `u32` pairs (half the
/// memory of `usize` ones) unless the text is too long for them.
enum Runs {
    Narrow(Vec<(u32, u32)>),
    Wide(Vec<(usize, usize)>),
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

    /// Every maximal run of ASCII digits, as a byte range, in order.
    pub(crate) fn digit_sequences(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let runs = self.digit_sequences.get_or_init(|| {
            let bytes = self.text.as_bytes();
            if u32::try_from(bytes.len()).is_ok() {
                let mut runs = Vec::new();
                swar::for_each_run(bytes, swar::digits, |s, e| {
                    if let (Ok(s), Ok(e)) = (u32::try_from(s), u32::try_from(e)) {
                        runs.push((s, e));
                    }
                });
                Runs::Narrow(runs)
            } else {
                let mut runs = Vec::new();
                swar::for_each_run(bytes, swar::digits, |s, e| runs.push((s, e)));
                Runs::Wide(runs)
            }
        });
        let (narrow, wide) = match runs {
            Runs::Narrow(runs) => (runs.as_slice(), [].as_slice()),
            Runs::Wide(runs) => ([].as_slice(), runs.as_slice()),
        };
        narrow
            .iter()
            .map(|&(s, e)| (s as usize, e as usize))
            .chain(wide.iter().copied())
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
    }
}
