// SPDX-License-Identifier: Apache-2.0
//! The literals every detector's prefilter needs, in one automaton that
//! walks each text once.
//!
//! The secrets detector's literals were always one [`Literals`] walk; the
//! date-of-birth and passport context words were each a regex search of
//! their own over every text with a year or an id-like run. Natively those
//! searches ran as SIMD Teddy and cost little; in wasm, where regex has no
//! Teddy, each was an Aho-Corasick automaton reading every byte, ~8 % of
//! the filter's work on real text (wasmtime, `shroud bench --text`). Their
//! literals now ride along in the secrets walk: a few more states in the
//! same automaton, no pass of their own.
//!
//! Detectors ask the [`LiteralRegistry`] for an id per literal while the
//! scanner is built; a text's hits ([`crate::detect::text::Text::literal_hits`])
//! carry those ids.

use super::literals::Literals;
use crate::error::ConfigError;
use std::collections::HashMap;

/// The shared walk's literals, collected while the detectors are built.
#[derive(Default)]
pub(crate) struct LiteralRegistry {
    literals: Vec<String>,
    ids: HashMap<String, u32>,
}

impl LiteralRegistry {
    /// The id of `literal` in the shared walk, matched ignoring ASCII case:
    /// a literal asked for twice (by one detector or two) has one id.
    pub(crate) fn id(&mut self, literal: &str) -> u32 {
        let key = literal.to_ascii_lowercase();
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = u32::try_from(self.literals.len()).unwrap_or(u32::MAX);
        self.literals.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    /// The automaton of every literal asked for; `None` when none was.
    pub(crate) fn build(self) -> Result<Option<Literals>, ConfigError> {
        if self.literals.is_empty() {
            return Ok(None);
        }
        Literals::new(&self.literals)
            .map(Some)
            .ok_or_else(|| ConfigError::new("detectors", "prefilter: too many literals"))
    }
}

/// One occurrence of a registered literal: its id and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiteralHit {
    pub literal: u32,
    pub start: usize,
    pub end: usize,
}

/// Every occurrence of `literals` in `bytes`, overlapping, in order of end
/// (longest first at one end), as [`Literals::for_each`] reports them.
pub(crate) fn hits(literals: &Literals, bytes: &[u8]) -> Vec<LiteralHit> {
    let mut hits = Vec::new();
    literals.for_each(bytes, |literal, start, end| {
        hits.push(LiteralHit {
            literal: u32::try_from(literal).unwrap_or(u32::MAX),
            start,
            end,
        });
    });
    hits
}

/// A detector as the scanner runs it, for tests: with the shared walk of
/// the literals it registered.
#[cfg(test)]
pub(crate) struct Walked<D> {
    pub detector: D,
    walk: Option<Literals>,
}

#[cfg(test)]
impl<D: super::Detector> Walked<D> {
    pub(crate) fn new(
        build: impl FnOnce(&mut LiteralRegistry) -> Result<D, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let mut registry = LiteralRegistry::default();
        let detector = build(&mut registry)?;
        Ok(Walked {
            detector,
            walk: registry.build()?,
        })
    }

    pub(crate) fn detect(&self, text: &str, out: &mut Vec<super::Candidate>) {
        let text = super::text::Text::with_walk(text, self.walk.as_ref());
        self.detector.detect_text(&text, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_asked_for_twice_has_one_id() {
        let mut registry = LiteralRegistry::default();
        let pass = registry.id("pass");
        let born = registry.id("Born");
        assert_eq!(registry.id("PASS"), pass);
        assert_eq!(registry.id("born"), born);
        assert_ne!(pass, born);
        let walk = registry.build().unwrap().unwrap();
        let found = hits(&walk, b"Passport: born BORN");
        let ids: Vec<(u32, usize, usize)> =
            found.iter().map(|h| (h.literal, h.start, h.end)).collect();
        assert_eq!(ids, vec![(pass, 0, 4), (born, 10, 14), (born, 15, 19)]);
    }

    #[test]
    fn no_literals_no_walk() {
        assert!(LiteralRegistry::default().build().unwrap().is_none());
    }
}
