// SPDX-License-Identifier: Apache-2.0
//! Output sanitization of streamed text: values the MODEL produced (not
//! restored from this request's vault) are redacted before the client sees
//! them, however the stream is split.
//!
//! The transform holds back the last [`HOLD_BACK`] bytes of text, and never
//! cuts inside a whitespace-delimited token or inside a finding, so a value
//! arriving over several deltas is seen whole. A token longer than
//! [`MAX_PENDING`] is cut anyway, but a finding that crosses the cut is
//! emitted (redacted) whole.

use super::text::redact_findings;
use crate::config::Profile;
use crate::detect::Scanner;
use crate::finding::Finding;
use crate::stream::DeltaTransform;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

/// Bytes of text held back to see values that continue in the next delta.
pub const HOLD_BACK: usize = 128;
/// Most text held back while waiting for a token to end.
pub const MAX_PENDING: usize = 64 * 1024;

/// A [`DeltaTransform`] that redacts model-generated sensitive values.
pub(crate) struct OutputSanitizer {
    scanner: Arc<Scanner>,
    profile: Arc<Profile>,
    pending: String,
    /// Shared with the response processor, for metrics.
    redactions: Rc<Cell<u64>>,
}

impl OutputSanitizer {
    pub(crate) fn new(
        scanner: Arc<Scanner>,
        profile: Arc<Profile>,
        redactions: Rc<Cell<u64>>,
    ) -> Self {
        OutputSanitizer {
            scanner,
            profile,
            pending: String::new(),
            redactions,
        }
    }

    /// Emits the longest safe prefix of the pending text (all of it at the end).
    ///
    /// One scan of the pending text serves both where to cut and what to
    /// redact before the cut (a second scan of the prefix doubled the cost
    /// of every streamed delta).
    fn emit(&mut self, all: bool) -> String {
        let findings = self.scanner.scan_for(&self.pending, &self.profile.ner);
        let cut = if all {
            self.pending.len()
        } else {
            self.safe_cut(&findings)
        };
        if cut == 0 {
            return String::new();
        }
        let rest = self.pending.split_off(cut);
        let ready = std::mem::replace(&mut self.pending, rest);
        // No finding crosses the cut, so the ones before it are the prefix's.
        let before_cut: Vec<Finding> = findings.into_iter().filter(|f| f.byte_end <= cut).collect();
        let (redacted, n) = redact_findings(&self.profile, &ready, &before_cut);
        self.redactions.set(self.redactions.get() + u64::from(n));
        redacted.unwrap_or(ready)
    }

    /// Where the pending text can be cut without splitting a value;
    /// `findings` are the pending text's.
    fn safe_cut(&self, findings: &[Finding]) -> usize {
        let text = &self.pending;
        if text.len() <= HOLD_BACK {
            return 0;
        }
        let mut cut = floor_char_boundary(text, text.len() - HOLD_BACK);
        // Back to the start of the token that contains the cut.
        let token_start = text
            .get(..cut)
            .and_then(|head| head.rfind(char::is_whitespace))
            .map_or(0, |ws| {
                ws + text[ws..].chars().next().map_or(1, char::len_utf8)
            });
        let forced = token_start == 0 && text.len() > MAX_PENDING;
        if !forced {
            cut = token_start;
        }
        // Never inside a finding: back to its start, or, when forced to cut,
        // forward past its end.
        for f in findings {
            if f.byte_start < cut && f.byte_end > cut {
                cut = if forced { f.byte_end } else { f.byte_start };
            }
        }
        cut
    }
}

impl DeltaTransform for OutputSanitizer {
    fn push(&mut self, delta: &str) -> String {
        self.pending.push_str(delta);
        if self.pending.len() <= HOLD_BACK {
            return String::new();
        }
        self.emit(false)
    }

    fn finish(&mut self) -> String {
        self.emit(true)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DetectorsConfig;
    use crate::stream::transform_whole;
    use proptest::prelude::*;

    fn sanitizer() -> (OutputSanitizer, Rc<Cell<u64>>) {
        let scanner = Arc::new(Scanner::new(&DetectorsConfig::default()).unwrap());
        let count = Rc::new(Cell::new(0));
        (
            OutputSanitizer::new(scanner, Arc::new(Profile::default()), count.clone()),
            count,
        )
    }

    const LEAKY: &str = "Sure! The admin can be reached at ops.lead@example.org or on \
        +1 415-555-0132. Use key sk-proj-C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CPVNPkNa1Hedcm for the \
        deploy, and nothing else. Thanks for asking, have a nice day — the team.";

    fn feed(parts: &[&str]) -> String {
        let (mut s, _) = sanitizer();
        let mut out: String = parts.iter().map(|p| s.push(p)).collect();
        out.push_str(&s.finish());
        out
    }

    #[test]
    fn model_generated_values_are_redacted() {
        let (mut s, count) = sanitizer();
        let out = transform_whole(&mut s, LEAKY);
        assert!(!out.contains("ops.lead@example.org"), "{out}");
        assert!(!out.contains("sk-proj-C3J27"), "{out}");
        assert!(!out.contains("555-0132"), "{out}");
        assert!(out.contains("[REDACTED:email]"), "{out}");
        assert!(out.starts_with("Sure! The admin"));
        assert_eq!(count.get(), 3);
    }

    #[test]
    fn every_two_way_split_gives_the_whole_text_result() {
        let whole = feed(&[LEAKY]);
        let mut i = 0;
        while i <= LEAKY.len() {
            if LEAKY.is_char_boundary(i) {
                assert_eq!(feed(&[&LEAKY[..i], &LEAKY[i..]]), whole, "split at {i}");
            }
            i += 1;
        }
    }

    #[test]
    fn clean_text_passes_unchanged_and_is_released_before_the_end() {
        let text = "word ".repeat(100);
        let (mut s, _) = sanitizer();
        let early = s.push(&text);
        assert!(!early.is_empty() && early.len() < text.len());
        let mut out = early;
        out.push_str(&s.finish());
        assert_eq!(out, text);
    }

    #[test]
    fn an_endless_token_is_cut_but_a_crossing_value_is_redacted_whole() {
        let key = "sk-proj-C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CPVNPkNa1Hedcm";
        // No whitespace anywhere: the sanitizer must cut inside this token.
        let blob = format!("{}{key},{}", "x,".repeat(MAX_PENDING / 2), "b".repeat(10));
        let (mut s, _) = sanitizer();
        let mut out = String::new();
        for chunk in blob.as_bytes().chunks(997) {
            out.push_str(&s.push(std::str::from_utf8(chunk).unwrap()));
        }
        out.push_str(&s.finish());
        assert!(!out.contains("C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcMz9CPVNPkNa1Hedcm"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn random_multi_splits_match_the_whole_text(cuts in proptest::collection::vec(0usize..LEAKY.len(), 0..8)) {
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| LEAKY.is_char_boundary(*c)).collect();
            cuts.sort();
            cuts.dedup();
            let mut parts = Vec::new();
            let mut last = 0;
            for c in cuts {
                parts.push(&LEAKY[last..c]);
                last = c;
            }
            parts.push(&LEAKY[last..]);
            prop_assert_eq!(feed(&parts), feed(&[LEAKY]));
        }
    }
}
