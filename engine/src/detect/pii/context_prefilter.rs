// SPDX-License-Identifier: Apache-2.0
//! Where a context word may be: the places the date-of-birth and passport
//! detectors search for a value next to one.
//!
//! A context word counts only as [`has_context`](crate::detect::context)
//! reads it: in the lower case of the text around a value. Every word holds
//! one of its detector's prefilter literals, so a value with a word near it
//! is near a literal. Without Cyrillic in the text, a word near a value can
//! only be an ASCII one (nothing but ASCII letters and the Kelvin sign,
//! which no word holds, lower-cases to ASCII letters), so the ASCII
//! literals' hits in the scanner's shared walk are enough: they are every
//! occurrence, overlapping, a superset of the regex's leftmost ones, and
//! more hits only mean more values read, each still judged by its context
//! words. A text with Cyrillic, or one without the shared walk (a detector
//! used alone), is searched with the regex of all the literals.

use crate::detect::pattern::compile;
use crate::detect::prefilter::LiteralRegistry;
use crate::detect::text::Text;
use crate::error::ConfigError;
use regex::Regex;

pub(super) struct ContextPrefilter {
    /// The ASCII literals' ids in the shared walk.
    ascii: Vec<u32>,
    /// Every literal, ASCII and Cyrillic, case-insensitive.
    regex: Regex,
}

impl ContextPrefilter {
    /// The prefilter of `literals` (ASCII and Cyrillic, in the regex's
    /// order: it decides the regex's own prefilter, whose speed varied 3x
    /// with it); the ASCII ones are registered in the shared walk.
    pub(super) fn new(
        literals: &[&str],
        registry: &mut LiteralRegistry,
        path: &str,
    ) -> Result<ContextPrefilter, ConfigError> {
        // The only metacharacter the literals hold is `.` (a test checks
        // each one matches itself alone): `regex::escape` cost the filter
        // 0.8 KB.
        let alternatives: Vec<String> = literals
            .iter()
            .map(|literal| literal.replace('.', "\\."))
            .collect();
        Ok(ContextPrefilter {
            ascii: literals
                .iter()
                .filter(|literal| literal.is_ascii())
                .map(|literal| registry.id(literal))
                .collect(),
            regex: compile(&format!("(?i){}", alternatives.join("|")), path)?,
        })
    }

    /// Byte ranges around which a context word may be, in order of start
    /// and of end. The walk reports hits by end; as no literal lies inside
    /// another (a test checks), that is also by start (a sort cost the
    /// filter 8 KB).
    pub(super) fn hits(&self, text: &Text<'_>) -> Vec<(usize, usize)> {
        // Cyrillic letters, either case, lead with 0xD0 or 0xD1.
        if !text.has_walk() || memchr::memchr2(0xD0, 0xD1, text.as_bytes()).is_some() {
            return self
                .regex
                .find_iter(text.as_str())
                .map(|m| (m.start(), m.end()))
                .collect();
        }
        text.literal_hits()
            .iter()
            .filter(|hit| self.ascii.contains(&hit.literal))
            .map(|hit| (hit.start, hit.end))
            .collect()
    }

    /// The regex of every literal (the reference the tests compare with).
    #[cfg(test)]
    pub(super) fn regex(&self) -> &Regex {
        &self.regex
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each detector's literals, as registered.
    const SETS: [&[&str]; 2] = [
        super::super::dob::LITERALS,
        super::super::passport::LITERALS,
    ];

    /// What [`ContextPrefilter::hits`] relies on to skip a sort.
    #[test]
    fn no_literal_lies_inside_another() {
        for literals in SETS {
            for a in literals {
                for b in literals {
                    let (a, b) = (a.to_lowercase(), b.to_lowercase());
                    assert!(a == b || !a.contains(&b), "{b:?} lies inside {a:?}");
                }
            }
        }
    }

    /// The hand-made escaping: each literal matches itself, whole.
    #[test]
    fn each_literal_matches_itself() {
        for literals in SETS {
            let mut registry = LiteralRegistry::default();
            let prefilter = ContextPrefilter::new(literals, &mut registry, "test").unwrap();
            for literal in literals {
                let text = format!("x{literal}x");
                let found = prefilter.regex().find(&text).map(|m| m.as_str());
                assert_eq!(found, Some(*literal));
                // `.` is not any byte.
                let dotted = literal.replace('.', "z");
                if dotted != *literal {
                    assert!(!prefilter.regex().is_match(&dotted), "{dotted}");
                }
            }
        }
    }

    /// Hits in order of start and of end, from the walk and from the regex.
    #[test]
    fn hits_are_in_order() {
        let mut registry = LiteralRegistry::default();
        let prefilter = ContextPrefilter::new(SETS[0], &mut registry, "test").unwrap();
        let walk = registry.build().unwrap();
        // Overlapping from the walk; leftmost and apart from the regex.
        for (text, count) in [
            ("dobirthdob born, d.o.b. BORNaissance nacimientob", 8),
            ("рожд dobirth родил d.o.b", 4),
        ] {
            let text = Text::with_walk(text, walk.as_ref());
            let hits = prefilter.hits(&text);
            assert_eq!(hits.len(), count, "{hits:?}");
            assert!(
                hits.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
                "{hits:?}"
            );
        }
    }
}
