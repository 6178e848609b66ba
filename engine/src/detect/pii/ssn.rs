// SPDX-License-Identifier: Apache-2.0
//! US Social Security Numbers: `AAA-GG-SSSS` or `AAA GG SSSS` with the
//! never-issued areas, groups and serials refused; nine bare digits only
//! next to "SSN" or "social security".

use super::bounds::{captures_at_runs, numeric_bounds_ok};
use super::{builtin_path, candidate, words};
use crate::detect::context::has_context;
use crate::detect::pattern::compile;
use crate::detect::text::Text;
use crate::detect::validate::ssn_valid;
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use regex::Regex;

pub(super) const ID: &str = "us_ssn";
const SCORE_DASHED: f64 = 0.85;
const SCORE_SPACED: f64 = 0.7;
const SCORE_CONTEXT: f64 = 0.9;
const CONTEXT_WINDOW: usize = 32;
/// `AAA-GG-SSSS`, `AAA GG SSSS` or nine digits, up to a word boundary; only
/// ever matched at the start of a run of three or nine digits.
pub(super) const PATTERN: &str = r"[0-9]{3}(?:(-)[0-9]{2}-|( )[0-9]{2} |[0-9]{2})[0-9]{4}(?-u:\b)";
pub(super) const RUN_LENGTHS: [usize; 2] = [3, 9];

pub(super) struct SsnDetector {
    regex: Regex,
    context: Vec<String>,
}

impl SsnDetector {
    pub(super) fn new() -> Result<Self, ConfigError> {
        let regex = compile(&format!("^{PATTERN}"), &builtin_path(ID))?;
        Ok(SsnDetector {
            regex,
            context: words(&["ssn", "social security", "soc sec", "ss#", "ssn#"]),
        })
    }
}

impl Detector for SsnDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !shared.has_digits(9) {
            return;
        }
        for (offset, caps) in
            captures_at_runs(text, shared.digit_sequences(), &self.regex, &RUN_LENGTHS)
        {
            let Some(m) = caps.get(0) else { continue };
            let (start, end) = (offset + m.start(), offset + m.end());
            let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
            if !numeric_bounds_ok(text, start, end) || !ssn_valid(&digits) {
                continue;
            }
            let in_context = || has_context(text, start, end, CONTEXT_WINDOW, &self.context);
            let score = if caps.get(1).is_some() {
                SCORE_DASHED
            } else if caps.get(2).is_some() {
                SCORE_SPACED
            } else if in_context() {
                SCORE_CONTEXT
            } else {
                continue;
            };
            out.push(candidate(start, end, ID, score, priority::VALIDATED_PII));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        SsnDetector::new().unwrap().detect(text, &mut out);
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn finds_ssns() {
        let cases: &[(&str, &[&str])] = &[
            ("SSN: 536-22-1847", &["536-22-1847"]),
            ("my number is 536 22 1847.", &["536 22 1847"]),
            ("ssn=536221847", &["536221847"]),
            ("Social Security number 536221847", &["536221847"]),
            ("\"ssn\": \"412-71-0093\"", &["412-71-0093"]),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_invalid_and_unrelated() {
        for text in [
            "000-22-1847",
            "666-22-1847",
            "901-22-1847",
            "536-00-1847",
            "536-22-0000",
            "078-05-1120",
            "219-09-9999",
            "order 536221847",
            "536-22 1847",
            "1536-22-1847",
            "536-22-18470",
            "ref-536-22-1847",
            "2024-01-15",
            "415-555-0132",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
