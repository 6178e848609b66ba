// SPDX-License-Identifier: Apache-2.0
//! The deterministic detection tier: finds sensitive values in text.
//!
//! `Scanner::scan` normalizes the text (zero-width characters, compatibility
//! forms, homoglyphs, `\uXXXX` and `%XX` escapes, wrapped lines), runs every
//! enabled detector over the normalized text and over base64/hex runs decoded
//! (see [`encoded`]), maps each hit back to the ORIGINAL text, and resolves
//! overlaps (see [`overlap`]).

pub(crate) mod base64;
pub(crate) mod cache;
pub mod catalog;
pub(crate) mod context;
pub(crate) mod corporate;
pub(crate) mod custom;
pub(crate) mod encoded;
pub(crate) mod entropy;
pub mod injection;
pub(crate) mod literals;
pub(crate) mod lookahead;
pub mod ner;
pub(crate) mod normalize;
pub(crate) mod overlap;
pub(crate) mod pattern;
pub(crate) mod pii;
pub(crate) mod prefilter;
pub(crate) mod rare;
pub(crate) mod runs;
pub(crate) mod secrets;
#[cfg(test)]
mod tests;
pub(crate) mod text;
pub(crate) mod validate;

use crate::config::{DetectorsConfig, ProfileNer};
use crate::error::ConfigError;
use crate::finding::{Category, Finding};
use std::borrow::Cow;
use text::Text;

/// A hit before overlap resolution, in byte offsets of the scanned text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub start: usize,
    pub end: usize,
    pub category: Category,
    pub kind: Cow<'static, str>,
    pub score: f64,
    /// Tie-breaker between overlapping hits; see [`priority`].
    pub priority: u8,
}

/// Overlap priorities: a more specific detector beats a generic one.
pub(crate) mod priority {
    /// Provider-specific secrets with a fixed, documented prefix.
    pub const PROVIDER_SECRET: u8 = 90;
    /// Structured secrets: PEM keys, JWTs, credentials in URLs.
    pub const STRUCTURED_SECRET: u8 = 80;
    /// PII that passed a checksum (cards, IBAN, SSN, INN, SNILS).
    pub const VALIDATED_PII: u8 = 70;
    /// Operator-defined entities.
    pub const CUSTOM: u8 = 60;
    /// Generic secrets (`password=…`, `Bearer …`) and unvalidated PII.
    pub const GENERIC: u8 = 50;
    /// Corporate markers.
    pub const CORPORATE: u8 = 40;
    /// The NER model: below every pattern, so a guess never renames what a
    /// pattern recognised (an email holding a name stays an email); overlap
    /// still widens the span to the union, so nothing is left unmasked.
    #[cfg(feature = "ner")]
    pub const NER: u8 = 35;
}

/// A detector could not run (a model inference failed under
/// `fail_mode: closed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectError(pub String);

impl std::fmt::Display for DetectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DetectError {}

/// One detector: appends its hits in `text` to `out`.
pub(crate) trait Detector: Send + Sync {
    /// Appends the hits in `text`, a text under scan whose shared
    /// derivations (its digit runs) a detector reads instead of finding
    /// them again.
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>);

    /// [`Detector::detect_text`] of a plain `str` (the tests' entry point).
    #[cfg(test)]
    fn detect(&self, text: &str, out: &mut Vec<Candidate>) {
        self.detect_text(&Text::new(text), out);
    }

    /// Like `detect_text`, for detectors that can fail (the NER model).
    fn try_detect(&self, text: &Text<'_>, out: &mut Vec<Candidate>) -> Result<(), DetectError> {
        self.detect_text(text, out);
        Ok(())
    }
}

/// All enabled detectors of one configuration, compiled once.
pub struct Scanner {
    detectors: Vec<Box<dyn Detector>>,
    /// Every detector's prefilter literals, walked once per text
    /// ([`prefilter`]).
    walk: Option<literals::Literals>,
    disabled: Vec<String>,
    /// Index in `detectors` of the NER tier, which profiles can narrow.
    ner_at: Option<usize>,
    /// NER inferences that failed and were skipped (`fail_mode: open`, or
    /// scans that cannot refuse, such as response redaction).
    ner_failures: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("detectors", &self.detectors.len())
            .field("disabled", &self.disabled)
            .finish()
    }
}

impl Scanner {
    /// Compiles every enabled detector. Fails with the JSON path of a bad
    /// pattern or glob.
    pub fn new(cfg: &DetectorsConfig) -> Result<Scanner, ConfigError> {
        if cfg.ner.enabled {
            return Err(ConfigError::new(
                "detectors.ner.enabled",
                "the NER tier needs the model: build with the `ner` feature and load it \
                 (Engine::with_models, `shroud scan --models DIR`)",
            ));
        }
        Scanner::build(cfg)
    }

    /// Compiles every enabled detector plus, when `detectors.ner.enabled`,
    /// the NER tier running `model`. Inference failures follow `fail_mode`.
    #[cfg(feature = "ner")]
    pub fn with_ner(
        cfg: &DetectorsConfig,
        model: std::sync::Arc<ner::NerModel>,
        fail_mode: crate::config::FailMode,
    ) -> Result<Scanner, ConfigError> {
        let mut scanner = Scanner::build(cfg)?;
        if cfg.ner.enabled {
            let detector = ner::NerDetector::new(model, &cfg.ner, fail_mode)?
                .counting_failures(std::sync::Arc::clone(&scanner.ner_failures));
            scanner.ner_at = Some(scanner.detectors.len());
            scanner.detectors.push(Box::new(detector));
        }
        Ok(scanner)
    }

    fn build(cfg: &DetectorsConfig) -> Result<Scanner, ConfigError> {
        let mut registry = prefilter::LiteralRegistry::default();
        let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
        detectors.extend(secrets::build(cfg, &mut registry)?);
        detectors.extend(pii::build(cfg, &mut registry)?);
        detectors.extend(corporate::build(cfg, &mut registry)?);
        detectors.extend(custom::build(cfg)?);
        Ok(Scanner {
            detectors,
            walk: registry.build()?,
            disabled: cfg.disabled.clone(),
            ner_at: None,
            ner_failures: Default::default(),
        })
    }

    /// Every finding in `text`, in order of position, without overlaps. A
    /// detector that fails contributes nothing (logged): use
    /// [`Scanner::try_scan`] where a failure must stop the request.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scan_for(text, &ProfileNer::default())
    }

    /// Like [`Scanner::scan`], with the NER tier narrowed by a profile.
    pub fn scan_for(&self, text: &str, ner: &ProfileNer) -> Vec<Finding> {
        self.run(text, ner, |d, t, out| {
            d.detect_text(t, out);
            Ok(())
        })
        .unwrap_or_default()
    }

    /// Like [`Scanner::scan`], but a detector failure (NER inference under
    /// `fail_mode: closed`) is an error.
    pub fn try_scan(&self, text: &str) -> Result<Vec<Finding>, DetectError> {
        self.try_scan_for(text, &ProfileNer::default())
    }

    /// Like [`Scanner::try_scan`], with the NER tier narrowed by a profile.
    pub fn try_scan_for(&self, text: &str, ner: &ProfileNer) -> Result<Vec<Finding>, DetectError> {
        self.run(text, ner, |d, t, out| d.try_detect(t, out))
    }

    /// [`Scanner::try_scan_for`] of `view`'s original text, reusing a view
    /// the caller already normalized (the request path shares one with the
    /// injection check instead of normalizing every string twice).
    pub(crate) fn try_scan_view(
        &self,
        view: &normalize::Normalized<'_>,
        ner: &ProfileNer,
    ) -> Result<Vec<Finding>, DetectError> {
        self.run_view(view, ner, |d, t, out| d.try_detect(t, out))
    }

    /// NER inferences that failed and were skipped since this scanner was
    /// built (see `fail_mode`); 0 without the NER tier.
    pub fn ner_failures(&self) -> u64 {
        self.ner_failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn run(
        &self,
        text: &str,
        ner: &ProfileNer,
        detect: impl Fn(&dyn Detector, &Text<'_>, &mut Vec<Candidate>) -> Result<(), DetectError>,
    ) -> Result<Vec<Finding>, DetectError> {
        self.run_view(&normalize::Normalized::new(text), ner, detect)
    }

    fn run_view(
        &self,
        normalized: &normalize::Normalized<'_>,
        ner: &ProfileNer,
        detect: impl Fn(&dyn Detector, &Text<'_>, &mut Vec<Candidate>) -> Result<(), DetectError>,
    ) -> Result<Vec<Finding>, DetectError> {
        let text = normalized.original();
        let mut candidates = Vec::new();
        self.detect_view(normalized, Some(ner), &detect, &mut candidates)?;
        // A key wrapped over several lines: also read with the lines joined
        // (the patterns only: names and addresses do not wrap like keys).
        if let Some(joined) = normalize::Normalized::joining_wrapped_lines(text) {
            self.detect_view(&joined, None, &detect, &mut candidates)?;
        }
        let resolved = overlap::resolve(candidates);
        Ok(to_findings(text, resolved))
    }

    /// Candidates of one normalized view, in ORIGINAL byte offsets. `ner`
    /// narrows the NER tier; `None` leaves it out for this view.
    fn detect_view(
        &self,
        view: &normalize::Normalized<'_>,
        ner: Option<&ProfileNer>,
        detect: &impl Fn(&dyn Detector, &Text<'_>, &mut Vec<Candidate>) -> Result<(), DetectError>,
        out: &mut Vec<Candidate>,
    ) -> Result<(), DetectError> {
        let scanned = Text::with_walk(view.text(), self.walk.as_ref());
        let mut candidates = Vec::new();
        for (i, detector) in self.detectors.iter().enumerate() {
            let is_ner = self.ner_at == Some(i);
            // The NER tier runs only where the view and the profile want it.
            let ner = match (is_ner, ner) {
                (false, _) => None,
                (true, Some(ner)) if ner.enabled => Some(ner),
                (true, _) => continue,
            };
            let before = candidates.len();
            detect(detector.as_ref(), &scanned, &mut candidates)?;
            if let Some(ner) = ner
                && !ner.types.is_empty()
            {
                let mut own = candidates.split_off(before);
                own.retain(|c| ner.reports(&c.kind));
                candidates.append(&mut own);
            }
        }
        // A value wrapped in base64/hex: a hit in the decoded text covers
        // the whole encoded run.
        for blob in encoded::blobs(&scanned) {
            let decoded = normalize::Normalized::new(&blob.decoded);
            let decoded_text = Text::with_walk(decoded.text(), self.walk.as_ref());
            let mut inner = Vec::new();
            // The patterns only: NER on decoded blobs would cost an
            // inference for what is almost always a key or an address.
            for (i, detector) in self.detectors.iter().enumerate() {
                if self.ner_at == Some(i) {
                    continue;
                }
                detect(detector.as_ref(), &decoded_text, &mut inner)?;
            }
            let best = inner
                .into_iter()
                .filter(|c| {
                    c.start < c.end && !self.disabled.iter().any(|d| d.as_str() == c.kind.as_ref())
                })
                .max_by_key(|c| c.priority);
            if let Some(best) = best {
                candidates.push(Candidate {
                    start: blob.start,
                    end: blob.end,
                    ..best
                });
            }
        }
        candidates.retain(|c| {
            c.start < c.end && !self.disabled.iter().any(|d| d.as_str() == c.kind.as_ref())
        });
        for mut c in candidates {
            let (start, end) = view.original_range(c.start, c.end);
            c.start = start;
            c.end = end;
            out.push(c);
        }
        Ok(())
    }
}

/// Converts byte spans of `text` to findings with char offsets.
fn to_findings(text: &str, resolved: Vec<Candidate>) -> Vec<Finding> {
    // `resolved` is sorted by start and non-overlapping, so one forward walk
    // over the text converts every offset.
    let mut cursor = CharCursor {
        text,
        byte: 0,
        chars: 0,
    };
    resolved
        .into_iter()
        .map(|c| {
            let start = cursor.advance_to(c.start);
            let end = cursor.advance_to(c.end);
            Finding {
                category: c.category,
                kind: c.kind,
                start,
                end,
                score: c.score,
                byte_start: c.start,
                byte_end: c.end,
            }
        })
        .collect()
}

/// Counts chars up to increasing byte offsets in one pass.
struct CharCursor<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl CharCursor<'_> {
    fn advance_to(&mut self, byte: usize) -> usize {
        if byte > self.byte {
            let upto = byte.min(self.text.len());
            if let Some(slice) = self.text.get(self.byte..upto) {
                self.chars += slice.chars().count();
                self.byte = upto;
            }
        }
        self.chars
    }
}
