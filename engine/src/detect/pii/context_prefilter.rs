// SPDX-License-Identifier: Apache-2.0
//! Where a context word may be: the places the date-of-birth and passport
//! detectors search for a value next to one.
//!
//! A context word counts only as [`has_context`](crate::detect::context)
//! reads it: in the lower case of the text around a value. Every word holds
//! one of its detector's prefilter literals, so a value with a word near it
//! is near a literal. A word's ASCII literal can only be read from ASCII
//! letters (nothing else but the Kelvin sign, which no word holds,
//! lower-cases to one), so the ASCII literals' hits in the scanner's shared
//! walk are enough for them: they are every occurrence, overlapping, a
//! superset of the regex's leftmost ones, and more hits only mean more
//! values read, each still judged by its context words. A Cyrillic literal
//! can only be read from Cyrillic letters of either case, whose UTF-8 leads
//! with 0xD0 or 0xD1 (a test checks every char), so the regex runs only
//! over the stretches of the text around such bytes, and only its matches
//! holding such a letter are kept: a text in English with one Russian word
//! no longer sends every byte through a regex. A detector used alone (no
//! shared walk) searches the whole text with the regex.

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

/// Cyrillic letters, either case, lead with one of these bytes.
const CYRILLIC_LEADS: (u8, u8) = (0xD0, 0xD1);
/// Cyrillic bytes this close (after a letter's end) share one regex search:
/// a literal's letters are at most a `.` apart, and a search per word of a
/// Russian text would cost more than the bytes between them.
const STRETCH_GAP: usize = 16;

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
    /// filter 8 KB). An ASCII literal's hit and a Cyrillic one never
    /// overlap: one is ASCII letters and dots, the other Cyrillic letters
    /// and dots, and no literal begins with a dot or ends with one.
    pub(super) fn hits(&self, text: &Text<'_>) -> Vec<(usize, usize)> {
        if !text.has_walk() {
            return self
                .regex
                .find_iter(text.as_str())
                .map(|m| (m.start(), m.end()))
                .collect();
        }
        // In a stretch the regex finds ASCII literals too (the walk has
        // them all) and ASCII ones spelled with `ſ` (which no word is read
        // from): only the Cyrillic letters' matches are kept.
        let mut cyrillic = Vec::new();
        for (start, end) in cyrillic_stretches(text.as_bytes()) {
            let Some(stretch) = text.as_str().get(start..end) else {
                continue;
            };
            for m in self.regex.find_iter(stretch) {
                if memchr::memchr2(CYRILLIC_LEADS.0, CYRILLIC_LEADS.1, m.as_str().as_bytes())
                    .is_some()
                {
                    cyrillic.push((start + m.start(), start + m.end()));
                }
            }
        }
        let ascii = text
            .literal_hits()
            .iter()
            .filter(|hit| self.ascii.contains(&hit.literal))
            .map(|hit| (hit.start, hit.end));
        merge_by_start(ascii, cyrillic)
    }

    /// The regex of every literal (the reference the tests compare with).
    #[cfg(test)]
    pub(super) fn regex(&self) -> &Regex {
        &self.regex
    }
}

/// The stretches of `bytes` from a Cyrillic letter's lead byte to the end
/// of a letter, each holding every letter less than [`STRETCH_GAP`] bytes
/// after the one before it: every run of Cyrillic letters and dots lies
/// whole in one.
fn cyrillic_stretches(bytes: &[u8]) -> Vec<(usize, usize)> {
    let (a, b) = CYRILLIC_LEADS;
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(lead) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr2(a, b, rest))
    {
        let lead = from + lead;
        from = lead + 2;
        match stretches.last_mut() {
            Some(last) if lead < last.1 + STRETCH_GAP => last.1 = from,
            _ => stretches.push((lead, from)),
        }
    }
    stretches
}

/// Two lists of ranges sorted by start, as one.
fn merge_by_start(
    a: impl Iterator<Item = (usize, usize)>,
    mut b: Vec<(usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut merged = Vec::new();
    let mut next = 0;
    for range in a {
        while let Some(&earlier) = b.get(next).filter(|other| other.0 < range.0) {
            merged.push(earlier);
            next += 1;
        }
        merged.push(range);
    }
    merged.extend(b.drain(next.min(b.len())..));
    merged
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
                assert!(!a.starts_with('.') && !a.ends_with('.'), "{a:?}");
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
        // Overlapping from the walk (ASCII), leftmost and apart from the
        // regex (Cyrillic), merged.
        for (text, count) in [
            ("dobirthdob born, d.o.b. BORNaissance nacimientob", 8),
            ("рожд dobirth родил d.o.b", 5),
            ("рождborn д.рожд.рдобdob", 5),
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

    /// What the Cyrillic stretches rely on: a Cyrillic literal can only be
    /// read (in the lower case of the text) from chars whose UTF-8 leads
    /// with 0xD0 or 0xD1, and every other char of a literal is a `.`.
    #[test]
    fn cyrillic_literals_are_read_only_from_cyrillic_letters() {
        let letters: Vec<char> = SETS
            .iter()
            .flat_map(|literals| literals.iter())
            .filter(|literal| !literal.is_ascii())
            .flat_map(|literal| literal.chars())
            .filter(|&c| c != '.')
            .collect();
        assert!(letters.len() > 10, "{letters:?}");
        let leads = |c: char| {
            let mut utf8 = [0u8; 4];
            let first = c.encode_utf8(&mut utf8).as_bytes()[0];
            first == CYRILLIC_LEADS.0 || first == CYRILLIC_LEADS.1
        };
        assert!(letters.iter().all(|&c| leads(c)), "{letters:?}");
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            if c.to_lowercase().any(|lower| letters.contains(&lower)) {
                assert!(leads(c), "{c:?} lower-cases to a literal's letter");
            }
        }
    }

    #[test]
    fn stretches_hold_runs_of_cyrillic_letters_and_dots() {
        let text = "ok д.р, x рожд and then a long way further on: Паспорт";
        let stretches: Vec<&str> = cyrillic_stretches(text.as_bytes())
            .into_iter()
            .map(|(start, end)| &text[start..end])
            .collect();
        assert_eq!(stretches, ["д.р, x рожд", "Паспорт"]);
        assert!(cyrillic_stretches(b"plain ascii").is_empty());
    }

    /// The letters of a literal in upper case, lower case, mixed, or as
    /// the Unicode variant forms that case-fold to them (which the regex
    /// matches but [`has_context`](crate::detect::context) never reads).
    fn context_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "(рожд|РОЖД|РоЖд|родил|РОДИЛ|д\\.р|Д\\.Р|д\\.Р|паспорт|ПАСПОРТ|СеРиЯ|серии)",
            "(ᲁ\\.р|рᲂжд|паспорᲄ|ᲃерия|Ꙋ)",
            "(dob|born|d\\.o\\.b|passport|paſſport|BIRTH)",
            "[а-яА-Я .]{0,12}",
            "[a-z .,]{0,20}",
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Every readable occurrence of a literal (its lower case in the
        /// lower case of the text) overlaps a hit, and the hits are in order
        /// of start and of end.
        #[test]
        fn every_readable_literal_meets_a_hit(text in context_text()) {
            for literals in SETS {
                let mut registry = LiteralRegistry::default();
                let prefilter = ContextPrefilter::new(literals, &mut registry, "test").unwrap();
                let walk = registry.build().unwrap();
                let hits = prefilter.hits(&Text::with_walk(&text, walk.as_ref()));
                proptest::prop_assert!(
                    hits.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
                    "{:?}: {:?}", text, hits
                );
                for (start, _) in text.char_indices() {
                    for literal in literals.iter() {
                        let chars = literal.chars().count();
                        let Some(end) = text[start..]
                            .char_indices()
                            .nth(chars)
                            .map(|(at, _)| start + at)
                            .or((text[start..].chars().count() == chars).then_some(text.len()))
                        else {
                            continue;
                        };
                        if text[start..end].to_lowercase() == literal.to_lowercase() {
                            proptest::prop_assert!(
                                hits.iter().any(|&(s, e)| s < end && start < e),
                                "{:?}: {:?} at {} unhit in {:?}", text, literal, start, hits
                            );
                        }
                    }
                }
            }
        }
    }
}
