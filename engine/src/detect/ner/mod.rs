// SPDX-License-Identifier: Apache-2.0
//! The NER tier: a BERT token classifier finds names, addresses and ID
//! numbers that no regex can (feature `ner`).
//!
//! Long texts are cut into overlapping token windows; each token keeps the
//! prediction of the window where it sits farthest from an edge. Predictions
//! become character spans of the scanned text ([`decode`]), map to detector
//! types through `detectors.ner.types`, and enter overlap resolution as
//! [`Candidate`]s at [`priority::NER`], below every deterministic detector: a
//! model's guess never renames a value a pattern recognised, it can only
//! widen the masked span or add spans the patterns missed.

#[cfg(any(feature = "ner", test))]
pub(crate) mod decode;
#[cfg(feature = "ner")]
mod model;

#[cfg(feature = "ner")]
pub use model::{InferenceError, ModelBytes, NerModel};

#[cfg(feature = "ner")]
pub(crate) use detector::NerDetector;

#[cfg(feature = "ner")]
mod detector {
    use super::decode::{self, TokenPred, TypedSpan};
    use super::model::{InferenceError, NerModel};
    use crate::config::{FailMode, NerConfig};
    use crate::detect::cache::TextCache;
    use crate::detect::text::Text;
    use crate::detect::{Candidate, DetectError, Detector, priority};
    use crate::error::ConfigError;
    use crate::finding::Category;
    use std::borrow::Cow;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Model labels that are not a finding alone, only merged with another
    /// part of the same type (a lone number is rarely a house number).
    const NEEDS_PARTNER: &[&str] = &["BUILDING_NUMBER"];
    /// A string without whitespace longer than this is an id, a hash or a
    /// blob, not prose that names someone.
    const MAX_WORD_BYTES: usize = 64;

    /// Runs one [`NerModel`] with one configuration's options.
    pub(crate) struct NerDetector {
        model: Arc<NerModel>,
        /// Model entity index → index into `kinds` (None: ignored).
        entity_kind: Vec<Option<usize>>,
        /// Model entity index → listed in [`NEEDS_PARTNER`].
        needs_partner: Vec<bool>,
        kinds: Vec<String>,
        thresholds: Vec<f32>,
        min_chars: usize,
        window: usize,
        overlap: usize,
        fail_open: bool,
        /// Failed inferences, shared with the [`crate::Scanner`] that reports them.
        failures: Arc<AtomicU64>,
        /// Spans of recently scanned texts (chat history comes back with
        /// every request).
        cache: TextCache<Vec<TypedSpan>>,
    }

    impl NerDetector {
        pub(crate) fn new(
            model: Arc<NerModel>,
            cfg: &NerConfig,
            fail_mode: FailMode,
        ) -> Result<NerDetector, ConfigError> {
            let mut kinds: Vec<String> = cfg.types.values().cloned().collect();
            kinds.sort();
            kinds.dedup();
            for label in cfg.types.keys() {
                if !model.labels.entities.iter().any(|e| e == label) {
                    return Err(ConfigError::new(
                        format!("detectors.ner.types.{label}"),
                        format!(
                            "the model has no label {label:?} (it has {})",
                            model.labels.entities.join(", ")
                        ),
                    ));
                }
            }
            let entity_kind = model
                .labels
                .entities
                .iter()
                .map(|e| {
                    cfg.types
                        .get(e)
                        .and_then(|k| kinds.iter().position(|x| x == k))
                })
                .collect();
            let needs_partner = model
                .labels
                .entities
                .iter()
                .map(|e| NEEDS_PARTNER.contains(&e.as_str()))
                .collect();
            let thresholds = kinds.iter().map(|k| cfg.threshold_for(k) as f32).collect();
            Ok(NerDetector {
                model,
                entity_kind,
                needs_partner,
                kinds,
                thresholds,
                min_chars: cfg.min_chars,
                window: cfg.window_tokens,
                overlap: cfg.window_overlap,
                fail_open: fail_mode == FailMode::Open,
                failures: Arc::default(),
                cache: TextCache::new(cfg.cache_entries),
            })
        }

        /// Counts failed inferences in `failures` instead of a private counter.
        pub(crate) fn counting_failures(mut self, failures: Arc<AtomicU64>) -> NerDetector {
            self.failures = failures;
            self
        }

        /// Cheap filter: texts that cannot name anyone are not inferred on.
        fn worth_scanning(&self, text: &str) -> bool {
            if text.chars().take(self.min_chars).count() < self.min_chars {
                return false;
            }
            if !text.chars().any(char::is_alphanumeric) {
                return false;
            }
            // One long "word": an id, a key, a hash or base64.
            text.len() <= MAX_WORD_BYTES || text.chars().any(char::is_whitespace)
        }

        fn spans(&self, text: &str) -> Result<Vec<TypedSpan>, InferenceError> {
            self.cache.get_or_try(text, || self.infer(text))
        }

        fn infer(&self, text: &str) -> Result<Vec<TypedSpan>, InferenceError> {
            let encoding = self.model.tokenize(text)?;
            let ids = encoding.get_ids();
            let offsets = encoding.get_offsets();
            let word_ids = encoding.get_word_ids();
            let n = ids.len();
            // Per token: (class, probability, distance to the nearest window edge).
            let mut best: Vec<Option<(usize, f32, usize)>> = vec![None; n];
            for (start, end) in windows(n, self.window, self.overlap) {
                let preds = self.model.classify(ids.get(start..end).unwrap_or(&[]))?;
                for (i, (class, p)) in preds.into_iter().enumerate() {
                    let token = start + i;
                    let margin = (token - start).min(end - 1 - token);
                    if let Some(slot) = best.get_mut(token)
                        && slot.is_none_or(|(_, _, m)| margin > m)
                    {
                        *slot = Some((class, p, margin));
                    }
                }
            }
            let tokens: Vec<TokenPred> = best
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    let (class, score, _) = (*b)?;
                    let (start, end) = *offsets.get(i)?;
                    Some(TokenPred {
                        start,
                        end,
                        word: word_ids.get(i).copied().flatten(),
                        class,
                        score,
                    })
                })
                .collect();
            let words = decode::words(&tokens);
            let typed: Vec<TypedSpan> = decode::entities(&words, &self.model.labels)
                .into_iter()
                .filter_map(|e| {
                    let kind = self.entity_kind.get(e.entity).copied().flatten()?;
                    let threshold = self.thresholds.get(kind).copied().unwrap_or(1.0);
                    (e.score >= threshold && e.start < e.end).then_some(TypedSpan {
                        start: e.start,
                        end: e.end,
                        kind,
                        score: e.score,
                        needs_partner: self.needs_partner.get(e.entity).copied().unwrap_or(false),
                    })
                })
                .collect();
            Ok(decode::merge_adjacent(text, typed))
        }
    }

    /// `[start, end)` token windows of at most `size` tokens covering `n`
    /// tokens, consecutive windows sharing `overlap` tokens.
    pub(crate) fn windows(n: usize, size: usize, overlap: usize) -> Vec<(usize, usize)> {
        let size = size.max(1);
        let stride = size.saturating_sub(overlap).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        while start < n {
            let end = (start + size).min(n);
            out.push((start, end));
            if end == n {
                break;
            }
            start += stride;
        }
        out
    }

    impl Detector for NerDetector {
        fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
            if let Err(err) = self.try_detect(text, out) {
                log::warn!("{err}; NER findings skipped");
            }
        }

        fn try_detect(&self, text: &Text<'_>, out: &mut Vec<Candidate>) -> Result<(), DetectError> {
            if !self.worth_scanning(text) {
                return Ok(());
            }
            match self.spans(text) {
                Ok(spans) => {
                    out.extend(spans.into_iter().filter_map(|s| {
                        let kind = self.kinds.get(s.kind)?;
                        Some(Candidate {
                            start: s.start,
                            end: s.end,
                            category: Category::Pii,
                            kind: Cow::Owned(kind.clone()),
                            score: f64::from(s.score),
                            priority: priority::NER,
                        })
                    }));
                    Ok(())
                }
                Err(err) => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    if self.fail_open {
                        log::warn!("{err}; fail_mode open: NER findings skipped");
                        Ok(())
                    } else {
                        Err(DetectError(err.to_string()))
                    }
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::windows;

        #[test]
        fn windows_cover_every_token_with_overlap() {
            assert_eq!(windows(0, 128, 32), []);
            assert_eq!(windows(10, 128, 32), [(0, 10)]);
            assert_eq!(windows(128, 128, 32), [(0, 128)]);
            assert_eq!(windows(300, 128, 32), [(0, 128), (96, 224), (192, 300)]);
            assert_eq!(windows(5, 2, 1), [(0, 2), (1, 3), (2, 4), (3, 5)]);
        }
    }
}

#[cfg(test)]
#[cfg(feature = "ner")]
mod tests;
