// SPDX-License-Identifier: Apache-2.0
//! IBANs: a country of the ISO 13616 registry, two check digits (02–98), a
//! BBAN that makes up that country's exact length, written compact or in
//! groups of four separated by single spaces, and the mod-97 check.

use super::bounds::{next_char, prev_char};
use super::candidate;
use crate::detect::text::Text;
use crate::detect::validate::{iban_length, mod97};
use crate::detect::{Candidate, Detector, priority};

pub(super) const ID: &str = "iban";
const SCORE: f64 = 0.95;

pub(super) struct IbanDetector;

impl Detector for IbanDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        // Only the check digits are sure to be digits (`QA`, `NL` BBANs
        // start with letters).
        if !shared.has_digits(2) {
            return;
        }
        // The check digits start a digit run right after the two letters of
        // the country, so only the byte two before each run can start one
        // (most texts have few runs; every byte was tried before).
        let mut next = 0;
        for (digits, _) in shared.digit_sequences() {
            let Some(start) = digits.checked_sub(2).filter(|s| *s >= next) else {
                continue;
            };
            if let Some(end) = iban_at(text, start) {
                out.push(candidate(start, end, ID, SCORE, priority::VALIDATED_PII));
                next = end;
            }
        }
    }
}

/// The end of an IBAN starting at byte `start`, if one does.
fn iban_at(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let head = bytes.get(start..start + 4)?;
    let is_upper = |b: &u8| b.is_ascii_uppercase();
    let is_digit = |b: &u8| b.is_ascii_digit();
    if !(head.iter().take(2).all(is_upper) && head.iter().skip(2).all(is_digit)) {
        return None;
    }
    if prev_char(text, start).is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let country = text.get(start..start + 2)?;
    let expected = iban_length(country)?;
    let check: u8 = text.get(start + 2..start + 4)?.parse().ok()?;
    if !(2..=98).contains(&check) {
        return None;
    }
    // Collect the BBAN: uppercase letters and digits; a single space may
    // only stand between groups of four.
    let mut compact = String::with_capacity(expected);
    compact.push_str(text.get(start..start + 4)?);
    let mut j = start + 4;
    while compact.len() < expected {
        match bytes.get(j) {
            Some(b) if b.is_ascii_uppercase() || b.is_ascii_digit() => {
                compact.push(char::from(*b));
                j += 1;
            }
            Some(b' ')
                if compact.len().is_multiple_of(4)
                    && bytes
                        .get(j + 1)
                        .is_some_and(|n| n.is_ascii_uppercase() || n.is_ascii_digit()) =>
            {
                j += 1;
            }
            _ => return None,
        }
    }
    if next_char(text, j).is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    mod97(&compact).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The detector before it read digit runs: every byte tried as a start.
    fn by_every_byte(text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let mut i = 0;
        while i + 4 <= text.len() {
            match text.as_bytes()[i]
                .is_ascii_uppercase()
                .then(|| iban_at(text, i))
                .flatten()
            {
                Some(end) => {
                    found.push((i, end));
                    i = end;
                }
                None => i += 1,
            }
        }
        found
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Starting only two bytes before digit runs finds the same IBANs.
        #[test]
        fn digit_runs_find_what_every_byte_found(parts in proptest::collection::vec(prop_oneof![
            Just("DE50526018159083016613".to_string()),
            Just("GB82 WEST 1234 5698 7654 32".to_string()),
            Just("NL91ABNA0417164300".to_string()),
            "[A-Z]{1,3}[0-9]{1,4}",
            "[ a_é0-9]{1,3}",
        ], 0..6)) {
            let text = parts.concat();
            let mut out = Vec::new();
            if text.bytes().filter(u8::is_ascii_digit).count() >= 2 {
                IbanDetector.detect(&text, &mut out);
                let found: Vec<(usize, usize)> = out.iter().map(|c| (c.start, c.end)).collect();
                prop_assert_eq!(found, by_every_byte(&text));
            }
        }
    }

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        IbanDetector.detect(text, &mut out);
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn finds_compact_and_grouped() {
        let cases: &[(&str, &[&str])] = &[
            ("IBAN DE50526018159083016613.", &["DE50526018159083016613"]),
            (
                "IBAN: DE50 5260 1815 9083 0166 13 (Sparkasse)",
                &["DE50 5260 1815 9083 0166 13"],
            ),
            ("GB55CRNB91390996030824", &["GB55CRNB91390996030824"]),
            ("pay to NL49 YKOS 7543 2319 48", &["NL49 YKOS 7543 2319 48"]),
            ("NO5417603137215", &["NO5417603137215"]),
            (
                "RU6612233079244026859952890786666",
                &["RU6612233079244026859952890786666"],
            ),
            (
                "LC379022279180588871803340187801",
                &["LC379022279180588871803340187801"],
            ),
            (
                "MT41043483954862057986828288072",
                &["MT41043483954862057986828288072"],
            ),
            (
                "iban,amount\nFR9762819482199351819093786,10.00",
                &["FR9762819482199351819093786"],
            ),
            (
                "UA16 5004 7439 5755 1313 7353 7990 7",
                &["UA16 5004 7439 5755 1313 7353 7990 7"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_bad_ibans() {
        for text in [
            "DE50526018159083016614",
            "DE51526018159083016613",
            "DE5052601815908301661",
            "DE505260181590830166133",
            "XDE50526018159083016613",
            "US12345678901234567890",
            "DE50 526 0181 5908 3016 613",
            "de50526018159083016613",
            "DE00526018159083016613",
            "AB12 CDEF",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
