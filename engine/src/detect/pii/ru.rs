// SPDX-License-Identifier: Apache-2.0
//! Russian national identifiers: the taxpayer number (ИНН) and the
//! insurance number (СНИЛС), both confirmed by their official checksums.

use super::bounds::{captures_at_runs, numeric_bounds_ok};
use super::{builtin_path, candidate, words};
use crate::detect::context::has_context;
use crate::detect::pattern::compile;
use crate::detect::text::Text;
use crate::detect::validate::{inn_valid, snils_valid};
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use regex::Regex;

pub(super) const INN_ID: &str = "ru_inn";
pub(super) const SNILS_ID: &str = "ru_snils";
const CONTEXT_WINDOW: usize = 32;

const INN_SCORE_CONTEXT: f64 = 0.9;
/// A 12-digit number passes both INN check digits by chance about once in
/// a hundred: reported, with a lower score.
const INN_SCORE_BARE: f64 = 0.7;

const SNILS_SCORE_DASHED: f64 = 0.85;
const SNILS_SCORE_SPACED: f64 = 0.75;
const SNILS_SCORE_CONTEXT: f64 = 0.9;

pub(super) struct InnDetector {
    context: Vec<String>,
}

impl InnDetector {
    pub(super) fn new() -> Self {
        InnDetector {
            context: words(&[
                "инн",
                "inn",
                "taxpayer",
                "tax id",
                "налогоплательщик",
                "налогоплательщика",
            ]),
        }
    }
}

impl Detector for InnDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !shared.has_digits(10) {
            return;
        }
        for (start, end) in shared.digit_sequences() {
            let len = end - start;
            if !(len == 10 || len == 12) {
                continue;
            }
            let bounded =
                numeric_bounds_ok(text, start, end) || (len == 10 && kpp_follows(text, start, end));
            if !bounded || !text.get(start..end).is_some_and(inn_valid) {
                continue;
            }
            let score = if has_context(text, start, end, CONTEXT_WINDOW, &self.context) {
                INN_SCORE_CONTEXT
            } else if len == 12 {
                INN_SCORE_BARE
            } else {
                continue;
            };
            out.push(candidate(
                start,
                end,
                INN_ID,
                score,
                priority::VALIDATED_PII,
            ));
        }
    }
}

/// `ИНН/КПП 7707083893/770701001`: an organisation's INN written with its
/// 9-digit registration reason code (КПП) after a slash.
fn kpp_follows(text: &str, start: usize, end: usize) -> bool {
    let before_ok = text
        .get(..start)
        .and_then(|b| b.chars().next_back())
        .is_none_or(|c| !c.is_alphanumeric() && c != '_');
    let Some(after) = text.get(end..).and_then(|a| a.strip_prefix('/')) else {
        return false;
    };
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    let next = after.get(digits..).and_then(|r| r.chars().next());
    before_ok && digits == 9 && next.is_none_or(|c| !c.is_alphanumeric() && c != '_')
}

/// `XXX-XXX-XXX YY` (dashes or spaces) or eleven digits, up to a word
/// boundary; only ever matched at the start of a run of three or eleven
/// digits.
pub(super) const SNILS_PATTERN: &str =
    r"(?:[0-9]{3}[- ][0-9]{3}[- ][0-9]{3}[- ][0-9]{2}|[0-9]{11})(?-u:\b)";
pub(super) const SNILS_RUN_LENGTHS: [usize; 2] = [3, 11];

pub(super) struct SnilsDetector {
    regex: Regex,
    context: Vec<String>,
}

impl SnilsDetector {
    pub(super) fn new() -> Result<Self, ConfigError> {
        let regex = compile(&format!("^{SNILS_PATTERN}"), &builtin_path(SNILS_ID))?;
        Ok(SnilsDetector {
            regex,
            context: words(&[
                "снилс",
                "snils",
                "страховой номер",
                "страхового свидетельства",
            ]),
        })
    }
}

impl Detector for SnilsDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !shared.has_digits(11) {
            return;
        }
        for (offset, caps) in captures_at_runs(
            text,
            shared.digit_sequences(),
            &self.regex,
            &SNILS_RUN_LENGTHS,
        ) {
            let Some(m) = caps.get(0) else { continue };
            let (start, end) = (offset + m.start(), offset + m.end());
            let value = m.as_str();
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if !numeric_bounds_ok(text, start, end) || !snils_valid(&digits) {
                continue;
            }
            let bytes = value.as_bytes();
            let score = match (bytes.get(3), bytes.get(7)) {
                (Some(b'-'), Some(b'-')) => SNILS_SCORE_DASHED,
                (Some(b' '), Some(b' ')) => SNILS_SCORE_SPACED,
                (Some(a), Some(b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
                    if has_context(text, start, end, CONTEXT_WINDOW, &self.context) {
                        SNILS_SCORE_CONTEXT
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            out.push(candidate(
                start,
                end,
                SNILS_ID,
                score,
                priority::VALIDATED_PII,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(detector: &dyn Detector, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detector.detect(text, &mut out);
        out.iter()
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    // Check digits of these made-up numbers are verified in validate.rs:
    // 10-digit 5029384711; 12-digit 500938471020 and 774301826497.

    #[test]
    fn inn_needs_context_for_ten_digits() {
        let d = InnDetector::new();
        let cases: &[(&str, &[&str])] = &[
            ("ИНН 500938471020", &["500938471020"]),
            ("ИНН: 5029384711, КПП 502901001", &["5029384711"]),
            ("Taxpayer INN 5029384711.", &["5029384711"]),
            ("клиент 774301826497 оплатил", &["774301826497"]),
            ("inn,name\n500938471020,Ivanov", &["500938471020"]),
            ("ref 5029384711", &[]),
            ("ИНН/КПП 5029384711/502901001", &["5029384711"]),
            ("ИНН/КПП 5029384711/5029010011", &[]),
            ("ИНН 500938471021", &[]),
            ("ИНН 5029384712", &[]),
            ("ИНН 000000000000", &[]),
            ("id-500938471020", &[]),
            ("ИНН 5009384710201", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&d, text), *want, "{text}");
        }
        let mut out = Vec::new();
        d.detect("ИНН 500938471020 и 774301826497", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, INN_SCORE_CONTEXT);
        assert_eq!(out[1].score, INN_SCORE_CONTEXT, "within the window");
        let mut out = Vec::new();
        d.detect("номер 774301826497", &mut out);
        assert_eq!(out[0].score, INN_SCORE_BARE);
    }

    #[test]
    fn snils_forms() {
        let d = SnilsDetector::new().unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("СНИЛС 112-233-445 95", &["112-233-445 95"]),
            ("snils: 154-823-907-80", &["154-823-907-80"]),
            ("номер 154 823 907 80.", &["154 823 907 80"]),
            ("СНИЛС 15482390780", &["15482390780"]),
            ("id 15482390780", &[]),
            ("СНИЛС 112-233-445 96", &[]),
            ("001-001-998 00", &[]),
            ("112-233 445 95", &[]),
            ("x112-233-445 95", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&d, text), *want, "{text}");
        }
    }
}
