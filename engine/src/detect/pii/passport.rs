// SPDX-License-Identifier: Apache-2.0
//! Passport numbers. Their shapes (nine digits, a letter and eight digits,
//! a Russian `4510 123456`) are shared by countless ids, so a value only
//! counts with a passport word close to it.

use super::bounds::{has_digits, numeric_bounds_ok};
use super::{builtin_path, candidate, words};
use crate::detect::context::has_context;
use crate::detect::pattern::compile;
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use regex::Regex;

pub(super) const ID: &str = "passport_number";
const SCORE: f64 = 0.7;
const CONTEXT_WINDOW: usize = 32;

pub(super) struct PassportDetector {
    /// Any context word, to skip texts without one cheaply.
    prefilter: Regex,
    value: Regex,
    context: Vec<String>,
}

impl PassportDetector {
    pub(super) fn new() -> Result<Self, ConfigError> {
        let path = builtin_path(ID);
        let prefilter = compile(r"(?i)passport|паспорт|серия|серии", &path)?;
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
    fn detect(&self, text: &str, out: &mut Vec<Candidate>) {
        if !has_digits(text, 2) || !self.prefilter.is_match(text) {
            return;
        }
        for m in self.value.find_iter(text) {
            let value = m.as_str();
            // An id needs digits: `EXPIRED` or `RUSSIA` is a word.
            let digits = value.bytes().filter(u8::is_ascii_digit).count();
            if digits >= 2
                && numeric_bounds_ok(text, m.start(), m.end())
                && has_context(text, m.start(), m.end(), CONTEXT_WINDOW, &self.context)
            {
                out.push(candidate(m.start(), m.end(), ID, SCORE, priority::GENERIC));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        PassportDetector::new().unwrap().detect(text, &mut out);
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
}
