// SPDX-License-Identifier: Apache-2.0
//! Passport numbers. Their shapes (nine digits, a letter and eight digits,
//! a Russian `4510 123456`) are shared by countless ids, so a value only
//! counts with a passport word close to it.

use super::bounds::numeric_bounds_ok;
use super::context_prefilter::ContextPrefilter;
use super::{builtin_path, candidate, words};
use crate::detect::context::has_context;
use crate::detect::lookahead::long_runs;
use crate::detect::pattern::compile;
use crate::detect::prefilter::LiteralRegistry;
use crate::detect::runs::find_near;
use crate::detect::text::Text;
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use regex::Regex;

pub(super) const ID: &str = "passport_number";
const SCORE: f64 = 0.7;
const CONTEXT_WINDOW: usize = 32;

/// What every context word holds (see [`ContextPrefilter`]).
pub(super) const LITERALS: &[&str] = &["passport", "паспорт", "серия", "серии"];

pub(super) struct PassportDetector {
    /// The stems of the context words: where values are looked for.
    prefilter: ContextPrefilter,
    value: Regex,
    context: Vec<String>,
}

impl PassportDetector {
    pub(super) fn new(registry: &mut LiteralRegistry) -> Result<Self, ConfigError> {
        let path = builtin_path(ID);
        let prefilter = ContextPrefilter::new(LITERALS, registry, &path)?;
        // In order: a Russian series and number split by a word (`4510
        // номер 123456`), a Russian series+number (`4510 123456`,
        // `45 10 123456`), then a generic 6–9 character id in upper case.
        let value = compile(
            r"(?-u:\b)(?:[0-9]{2} ?[0-9]{2},? (?:№|N|No\.?|номер|number) ?[0-9]{6}|[0-9]{2} ?[0-9]{2} ?[0-9]{6}|[A-Z0-9]{6,9})(?-u:\b)",
            &path,
        )?;
        Ok(PassportDetector {
            prefilter,
            value,
            context: words(&[
                "passport",
                "passports",
                "passport no",
                "паспорт",
                "паспорта",
                "паспортом",
                "паспорте",
                "паспортные",
                "серия",
                "серии",
            ]),
        })
    }
}

impl Detector for PassportDetector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        // An id run holds the two digits an id needs.
        if !has_id_run(text.as_bytes()) {
            return;
        }
        // A value counts only with a passport word within `CONTEXT_WINDOW`
        // chars, so only the runs of id bytes near one are searched.
        let windows = self
            .prefilter
            .hits(text)
            .into_iter()
            .map(|(start, end)| (start.saturating_sub(REACH), end + REACH));
        find_near(&self.value, text, is_id_byte, windows, |m| {
            self.judge(text, m, out);
        });
    }
}

impl PassportDetector {
    fn judge(&self, text: &str, m: regex::Match<'_>, out: &mut Vec<Candidate>) {
        // An id needs digits: `EXPIRED` or `RUSSIA` is a word.
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        if digits >= 2
            && numeric_bounds_ok(text, m.start(), m.end())
            && has_context(text, m.start(), m.end(), CONTEXT_WINDOW, &self.context)
        {
            out.push(candidate(m.start(), m.end(), ID, SCORE, priority::GENERIC));
        }
    }
}

/// How far from a passport word's stem a value that counts can start: the
/// context window in bytes (four per char at most), the longest value
/// (`45 10 номер 123456`, 24 bytes) and the longest context word's letters
/// beyond its stem, with room to spare.
const REACH: usize = 4 * CONTEXT_WINDOW + 64;

/// The bytes a value of the regex is written with (non-ASCII ones, of
/// `номер` and `№`, always count).
fn is_id_byte(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase() || b" ,.onumber".contains(&b)
}

/// Shortest id the value regex takes, and the digits an id needs.
const MIN_ID: usize = 6;
const MIN_ID_DIGITS: usize = 2;

/// True when `bytes` holds a run of at least six upper-case letters and
/// digits with two digits or more. Every value the detector accepts lies in
/// one (a Russian number ends in six digits; a generic id is such a run), and
/// most texts have none, so the context-word search, a pass over the whole
/// text in wasm, is skipped. [`long_runs`] jumps between the places six
/// such bytes follow, so lower-case prose costs a read or two per word.
fn has_id_run(bytes: &[u8]) -> bool {
    /// Upper-case letters and digits: one load per byte read, not two
    /// range tests.
    const ID_RUN_BYTES: [bool; 256] =
        crate::swar::byte_table!(b => b.is_ascii_uppercase() || b.is_ascii_digit());
    let in_run = |b: u8| ID_RUN_BYTES[usize::from(b)];
    long_runs(bytes, MIN_ID, in_run).any(|(start, end)| {
        let run = bytes.get(start..end).unwrap_or_default();
        run.iter().filter(|b| b.is_ascii_digit()).count() >= MIN_ID_DIGITS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::prefilter::Walked;
    use std::sync::LazyLock;

    /// As the scanner runs it: the context words' hits from the shared walk.
    static WALKED: LazyLock<Walked<PassportDetector>> =
        LazyLock::new(|| Walked::new(PassportDetector::new).unwrap());

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        WALKED.detect(text, &mut out);
        let mut alone = Vec::new();
        WALKED.detector.detect(text, &mut alone);
        assert_eq!(out, alone, "{text}: the walk and the regex disagree");
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn passport_values_next_to_words() {
        let cases: &[(&str, &[&str])] = &[
            ("passport 4514 582931", &["4514 582931"]),
            ("Паспорт: 45 14 582931, выдан", &["45 14 582931"]),
            ("паспорт серия 4514 номер 582931", &["4514 номер 582931"]),
            ("Passport No. 548213907", &["548213907"]),
            ("US passport number: C03005988 exp 2031", &["C03005988"]),
            ("passport X4R7T92K1 (DE)", &["X4R7T92K1"]),
            ("данные паспорта 4514582931", &["4514582931"]),
            ("order 548213907 shipped", &[]),
            ("passport EXPIRED yesterday", &[]),
            ("passport photo 35x45", &[]),
            ("the passport office", &[]),
            (
                "4514 582931 and far far away, much later on, a passport",
                &[],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    /// The detector as it was, over the whole text: the reference.
    fn found_by_whole_text(detector: &PassportDetector, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if detector.prefilter.regex().is_match(text) {
            for m in detector.value.find_iter(text) {
                detector.judge(text, m, &mut out);
            }
        }
        out.iter().map(|c| (c.start, c.end)).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Searching near the passport words finds what the whole-text
        /// search finds (the words, ids, and filler of any length).
        #[test]
        fn values_are_found_as_over_the_whole_text(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    ids(),
                    "[0-9]{2} ?[0-9]{2} ?[0-9]{6}",
                    "(passport|PaSsPoRts|ПАСПОРТ|паспортные|серии|СеРиЯ|паспорᲄ|паспᲂрт|passport no|paſſport|passpoRT)",
                    "[a-z ]{0,40}",
                    "[a-z ]{0,40}",
                    "[а-я ]{0,40}",
                    "[\\n\"]",
                    "[x ]{60,140}",
                ],
                0..12,
            ),
        ) {
            let text = parts.join(" ");
            let detector = &WALKED.detector;
            let (mut walked, mut alone) = (Vec::new(), Vec::new());
            WALKED.detect(&text, &mut walked);
            detector.detect(&text, &mut alone);
            let near: Vec<(usize, usize)> = walked.iter().map(|c| (c.start, c.end)).collect();
            let near_alone: Vec<(usize, usize)> = alone.iter().map(|c| (c.start, c.end)).collect();
            proptest::prop_assert_eq!(&near, &near_alone, "{:?}", text);
            // What makes the runs exact: every value is made of id bytes.
            for m in detector.value.find_iter(&text) {
                proptest::prop_assert!(m.as_str().bytes().all(|b| b >= 0x80 || is_id_byte(b)), "{:?}", m);
            }
            proptest::prop_assert_eq!(near, found_by_whole_text(detector, &text), "{:?}", text);
        }

        /// The run gate never hides a value the regex takes with its digits.
        #[test]
        fn every_value_lies_in_an_id_run(text in ids()) {
            let detector = &WALKED.detector;
            for m in detector.value.find_iter(&text) {
                let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
                proptest::prop_assert!(digits < 2 || has_id_run(text.as_bytes()), "{text:?}: {}", m.as_str());
            }
        }
    }

    /// Id-shaped text: digit groups, upper-case runs, the number words.
    fn ids() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "[0-9]{1,6}",
            "[A-Z0-9]{1,9}",
            "[0-9]{2} ?[0-9]{2},? (№|N|No\\.?|номер|number) ?[0-9]{6}",
            "[ ,.a_é]",
            "(№|N|No|номер|number)",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|parts| parts.concat())
    }

    #[test]
    fn id_run_gate() {
        for text in ["4514 582931", "X4R7T92K1", "No.548213907", "number123456"] {
            assert!(has_id_run(text.as_bytes()), "{text}");
        }
        for text in ["4539 1488 0343", "ABCDEFG1", "EXPIRED", "536-22-1847", "x"] {
            assert!(!has_id_run(text.as_bytes()), "{text}");
        }
    }
}
