// SPDX-License-Identifier: Apache-2.0
//! Payment card numbers: 13–19 digits, optionally grouped by single spaces
//! or dashes, in a known issuer range with that network's length, and with
//! a correct Luhn digit. Digits glued to more digits are part of another
//! number and never a card.

use super::bounds::{DigitRun, digit_runs_of, numeric_bounds_ok};
use super::candidate;
use crate::detect::text::Text;
use crate::detect::validate::card_valid;
use crate::detect::{Candidate, Detector, priority};

pub(super) const ID: &str = "credit_card";
const SCORE: f64 = 0.95;
const MIN_DIGITS: usize = 13;
const MAX_DIGITS: usize = 19;

pub(super) struct CardDetector;

impl Detector for CardDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !shared.has_digits(MIN_DIGITS) {
            return;
        }
        for run in digit_runs_of(text, shared.digit_sequences(), b" -", MIN_DIGITS) {
            if let Some(end) = card_end(text, &run) {
                out.push(candidate(
                    run.start,
                    end,
                    ID,
                    SCORE,
                    priority::VALIDATED_PII,
                ));
            }
        }
    }
}

/// The end of the card number that starts `run`, if there is one. The whole
/// run is tried first; a grouped run may also carry trailing space-separated
/// groups (`4539 1488 0343 6467 123` with a CVV), so shorter group prefixes
/// are tried next.
fn card_end(text: &str, run: &DigitRun) -> Option<usize> {
    let n = run.groups.len();
    (1..=n).rev().find_map(|k| {
        let digits = run.digit_count(k);
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return None;
        }
        let (_, end) = *run.groups.get(k - 1)?;
        // A shorter prefix only when a space (not a dash) follows it.
        if k < n && text.as_bytes().get(end) != Some(&b' ') {
            return None;
        }
        let ok = grouping_ok(text, run, k)
            && numeric_bounds_ok(text, run.start, end)
            && card_valid(&run.digits(text, k));
        ok.then_some(end)
    })
}

/// Ungrouped, or grouped the way cards are printed: one kind of separator,
/// a first group of four, inner groups of four to six, a last of one to six.
fn grouping_ok(text: &str, run: &DigitRun, k: usize) -> bool {
    let groups = run.groups.get(..k).unwrap_or_default();
    if groups.len() == 1 {
        return true;
    }
    let seps: Vec<u8> = groups
        .iter()
        .skip(1)
        .filter_map(|&(s, _)| text.as_bytes().get(s.wrapping_sub(1)).copied())
        .collect();
    let one_kind = seps.windows(2).all(|w| w.first() == w.last());
    let lens: Vec<usize> = groups.iter().map(|(s, e)| e - s).collect();
    let inner_ok = lens
        .iter()
        .skip(1)
        .take(lens.len().saturating_sub(2))
        .all(|l| (4..=6).contains(l));
    let last_ok = lens.last().is_some_and(|l| (1..=6).contains(l));
    one_kind && lens.first() == Some(&4) && inner_ok && last_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        CardDetector.detect(text, &mut out);
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn finds_cards_of_every_network() {
        let cases: &[(&str, &[&str])] = &[
            ("visa 4539148803436467 exp 12/27", &["4539148803436467"]),
            ("card: 4539 1488 0343 6467.", &["4539 1488 0343 6467"]),
            ("card: 4539-1488-0343-6467", &["4539-1488-0343-6467"]),
            // A CVV after the number (the 19 digits together fail Luhn).
            ("4539 1488 0343 6467 512", &["4539 1488 0343 6467"]),
            ("mc 5128 7340 9165 2834", &["5128 7340 9165 2834"]),
            ("mc2 2223847102639417", &["2223847102639417"]),
            ("amex 3742 816309 51725", &["3742 816309 51725"]),
            ("disc 6011738291045622", &["6011738291045622"]),
            ("jcb 3538174920637186", &["3538174920637186"]),
            ("diners 3051 938472 6157", &["3051 938472 6157"]),
            ("up 6204819372645196", &["6204819372645196"]),
            ("мир 2201 3847 2916 3502", &["2201 3847 2916 3502"]),
            ("{\"pan\":\"4539148803436467\"}", &["4539148803436467"]),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_non_cards() {
        for text in [
            "4539 1488 0343 6468",
            "1234 5678 1234 5670",
            "4444 4444 4444 4444",
            "45391488034364670",
            "id 14539148803436467",
            "ref-4539148803436467",
            "4539148803436467abc",
            "4539 1488-0343 6467",
            "45 3914 8803 4364 67",
            "4539148803436467.5",
            "short 4539 1488",
            "#4539148803436467",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
