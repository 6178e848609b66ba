// SPDX-License-Identifier: Apache-2.0
//! Turns per-token BIO predictions into character spans: pure, model-free.
//!
//! The model labels WordPiece tokens; a word's label is its first sub-word's,
//! and the word's span covers all its sub-words. BIO tags then group words into
//! entities, and entities that map to the same engine type and touch (only
//! spaces, commas or periods between them) merge: "Jane" + "Doe" is one
//! person, "12 Oak Street, Springfield" one address.

/// One model label, parsed from `B-X` / `I-X` / `O`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Outside,
    /// Starts an entity of the given entity index.
    Begin(usize),
    /// Continues an entity of the given entity index.
    Inside(usize),
}

/// The model's label set: class id → tag, entity index → entity name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Labels {
    pub tags: Vec<Tag>,
    pub entities: Vec<String>,
}

impl Labels {
    /// Parses `["O", "B-GIVEN_NAME", "I-GIVEN_NAME", …]`.
    pub fn parse(names: &[String]) -> Result<Labels, String> {
        let mut entities: Vec<String> = Vec::new();
        let mut tags = Vec::with_capacity(names.len());
        for name in names {
            let tag = if name == "O" {
                Tag::Outside
            } else if let Some((prefix, entity)) = name.split_once('-') {
                let index = match entities.iter().position(|e| e == entity) {
                    Some(i) => i,
                    None => {
                        entities.push(entity.to_string());
                        entities.len() - 1
                    }
                };
                match prefix {
                    "B" => Tag::Begin(index),
                    "I" => Tag::Inside(index),
                    _ => return Err(format!("label {name:?} is not O, B-X or I-X")),
                }
            } else {
                return Err(format!("label {name:?} is not O, B-X or I-X"));
            };
            tags.push(tag);
        }
        if tags.get(OUTSIDE_CLASS) != Some(&Tag::Outside) {
            return Err("the first label (class 0) must be O".into());
        }
        Ok(Labels { tags, entities })
    }
}

/// The prediction for one token, offsets in bytes of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TokenPred {
    pub start: usize,
    pub end: usize,
    /// Word index from the pre-tokenizer; sub-words of one word share it.
    pub word: Option<u32>,
    /// Class id (index into [`Labels::tags`]).
    pub class: usize,
    /// Softmax probability of `class`.
    pub score: f32,
}

/// A decoded entity of one model entity type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entity {
    pub start: usize,
    pub end: usize,
    /// Index into [`Labels::entities`].
    pub entity: usize,
    /// Mean probability of the entity's words.
    pub score: f32,
}

/// Groups sub-words into words: the span of all, the label of the first
/// sub-word, or of the first labelled one when the first is `O` ("3B" as
/// `3` `##b` with only `##b` tagged is still a tagged word).
pub(crate) fn words(tokens: &[TokenPred]) -> Vec<TokenPred> {
    let mut out: Vec<TokenPred> = Vec::with_capacity(tokens.len());
    for t in tokens {
        match out.last_mut() {
            Some(last) if t.word.is_some() && last.word == t.word => {
                last.end = last.end.max(t.end);
                if last.class == OUTSIDE_CLASS && t.class != OUTSIDE_CLASS {
                    last.class = t.class;
                    last.score = t.score;
                }
            }
            _ => out.push(*t),
        }
    }
    out
}

/// Class id of `O` in BIO label lists (always first in HF exports; checked
/// by [`Labels::parse`]).
pub(crate) const OUTSIDE_CLASS: usize = 0;

/// BIO over words. An `I-X` that does not continue an `X` starts one (the
/// model sometimes skips the `B-`).
pub(crate) fn entities(words: &[TokenPred], labels: &Labels) -> Vec<Entity> {
    let mut out = Vec::new();
    let mut open: Option<(Entity, usize)> = None; // entity, word count
    let close = |open: &mut Option<(Entity, usize)>, out: &mut Vec<Entity>| {
        if let Some((mut e, n)) = open.take() {
            e.score /= n.max(1) as f32;
            out.push(e);
        }
    };
    for w in words {
        match labels.tags.get(w.class).copied().unwrap_or(Tag::Outside) {
            Tag::Outside => close(&mut open, &mut out),
            Tag::Inside(kind) if open.as_ref().is_some_and(|(e, _)| e.entity == kind) => {
                if let Some((e, n)) = open.as_mut() {
                    e.end = e.end.max(w.end);
                    e.score += w.score;
                    *n += 1;
                }
            }
            Tag::Begin(kind) | Tag::Inside(kind) => {
                close(&mut open, &mut out);
                open = Some((
                    Entity {
                        start: w.start,
                        end: w.end,
                        entity: kind,
                        score: w.score,
                    },
                    1,
                ));
            }
        }
    }
    close(&mut open, &mut out);
    out
}

/// A span already mapped to an engine type (index into the caller's list).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TypedSpan {
    pub start: usize,
    pub end: usize,
    pub kind: usize,
    pub score: f32,
    /// Not a finding on its own, only as part of a merged span (a lone house
    /// number is usually any other number).
    pub needs_partner: bool,
}

/// Merges consecutive spans of the same type separated only by spaces,
/// commas, periods and at most one short upper-case word the model left
/// untagged ("Bangor, ME 04401", "John F. Kennedy"). Input sorted by start;
/// the merged score is the lowest of its parts. Spans that need a partner
/// and found none are dropped.
pub(crate) fn merge_adjacent(text: &str, spans: Vec<TypedSpan>) -> Vec<TypedSpan> {
    let mut out: Vec<TypedSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        if let Some(last) = out.last_mut()
            && last.kind == s.kind
            && s.start >= last.end
            && text.get(last.end..s.start).is_some_and(joins)
        {
            last.end = s.end;
            last.score = last.score.min(s.score);
            last.needs_partner = last.needs_partner && s.needs_partner;
            continue;
        }
        out.push(s);
    }
    out.retain(|s| !s.needs_partner);
    out
}

/// Most bytes between two parts of one entity.
const MAX_GAP_BYTES: usize = 8;

fn joins(gap: &str) -> bool {
    if gap.len() > MAX_GAP_BYTES {
        return false;
    }
    let is_separator = |c: char| c.is_whitespace() || c == ',' || c == '.';
    let mut words = gap.split(is_separator).filter(|w| !w.is_empty());
    match (words.next(), words.next()) {
        (None, _) => true,
        (Some(word), None) => {
            (1..=3).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_uppercase())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        let names: Vec<String> = [
            "O",
            "B-GIVEN_NAME",
            "I-GIVEN_NAME",
            "B-SURNAME",
            "I-SURNAME",
            "B-CITY",
            "I-CITY",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        Labels::parse(&names).unwrap()
    }

    const O: usize = 0;
    const B_GIVEN: usize = 1;
    const I_GIVEN: usize = 2;
    const B_SUR: usize = 3;
    const I_SUR: usize = 4;
    const B_CITY: usize = 5;
    const I_CITY: usize = 6;

    /// Tokens over `text` from `(piece, word, class)`; pieces are found in order.
    fn tokens(text: &str, pieces: &[(&str, Option<u32>, usize)]) -> Vec<TokenPred> {
        let mut at = 0;
        pieces
            .iter()
            .map(|(piece, word, class)| {
                let start = at + text[at..].find(piece).unwrap();
                at = start + piece.len();
                TokenPred {
                    start,
                    end: at,
                    word: *word,
                    class: *class,
                    score: 0.9,
                }
            })
            .collect()
    }

    fn spans<'t>(text: &'t str, entities: &[Entity], labels: &Labels) -> Vec<(&'t str, String)> {
        entities
            .iter()
            .map(|e| (&text[e.start..e.end], labels.entities[e.entity].clone()))
            .collect()
    }

    #[test]
    fn labels_parse_bio_and_reject_others() {
        let l = labels();
        assert_eq!(l.entities, ["GIVEN_NAME", "SURNAME", "CITY"]);
        assert_eq!(l.tags[0], Tag::Outside);
        assert_eq!(l.tags[4], Tag::Inside(1));
        assert!(Labels::parse(&["X-FOO".to_string()]).is_err());
        assert!(Labels::parse(&["PERSON".to_string()]).is_err());
        assert!(Labels::parse(&["B-X".to_string(), "O".to_string()]).is_err());
    }

    #[test]
    fn sub_words_take_the_first_piece_label_and_cover_the_word() {
        // "Okonkwo" split as "oko" "##nk" "##wo": only the first piece is tagged.
        let text = "Call Okonkwo today";
        let t = tokens(
            text,
            &[
                ("Call", Some(0), O),
                ("Oko", Some(1), B_SUR),
                ("nk", Some(1), O),
                ("wo", Some(1), I_GIVEN),
                ("today", Some(2), O),
            ],
        );
        let w = words(&t);
        assert_eq!(w.len(), 3);
        let e = entities(&w, &labels());
        assert_eq!(spans(text, &e, &labels()), [("Okonkwo", "SURNAME".into())]);
    }

    #[test]
    fn bio_groups_words_and_splits_on_new_begin() {
        let text = "Mary Ann Smith met New York";
        let t = tokens(
            text,
            &[
                ("Mary", Some(0), B_GIVEN),
                ("Ann", Some(1), I_GIVEN),
                ("Smith", Some(2), B_SUR),
                ("met", Some(3), O),
                ("New", Some(4), B_CITY),
                ("York", Some(5), I_CITY),
            ],
        );
        let e = entities(&words(&t), &labels());
        assert_eq!(
            spans(text, &e, &labels()),
            [
                ("Mary Ann", "GIVEN_NAME".into()),
                ("Smith", "SURNAME".into()),
                ("New York", "CITY".into())
            ]
        );
    }

    #[test]
    fn stray_inside_starts_an_entity_and_wrong_inside_splits() {
        let text = "hello Smith Paris";
        let t = tokens(
            text,
            &[
                ("hello", Some(0), O),
                ("Smith", Some(1), I_SUR),
                ("Paris", Some(2), I_CITY),
            ],
        );
        let e = entities(&words(&t), &labels());
        assert_eq!(
            spans(text, &e, &labels()),
            [("Smith", "SURNAME".into()), ("Paris", "CITY".into())]
        );
    }

    #[test]
    fn outside_and_unknown_classes_emit_nothing() {
        let text = "nothing here";
        let t = tokens(text, &[("nothing", Some(0), O), ("here", Some(1), 99)]);
        assert!(entities(&words(&t), &labels()).is_empty());
    }

    #[test]
    fn entity_score_is_the_mean_of_its_words() {
        let text = "Jo Ann";
        let mut t = tokens(text, &[("Jo", Some(0), B_GIVEN), ("Ann", Some(1), I_GIVEN)]);
        t[0].score = 1.0;
        t[1].score = 0.5;
        let e = entities(&words(&t), &labels());
        assert!((e[0].score - 0.75).abs() < 1e-6);
    }

    #[test]
    fn special_tokens_without_word_id_stay_separate() {
        let t = vec![
            TokenPred {
                start: 0,
                end: 0,
                word: None,
                class: O,
                score: 1.0,
            };
            2
        ];
        assert_eq!(words(&t).len(), 2);
    }

    fn typed(start: usize, end: usize, kind: usize, score: f32) -> TypedSpan {
        TypedSpan {
            start,
            end,
            kind,
            score,
            needs_partner: false,
        }
    }

    #[test]
    fn adjacent_spans_of_one_type_merge_across_spaces_and_commas() {
        let text = "Jane Doe, 12 Oak Street, Springfield and Bob";
        let person = 0;
        let address = 1;
        let spans = vec![
            typed(0, 4, person, 0.9),    // Jane
            typed(5, 8, person, 0.7),    // Doe
            typed(10, 12, address, 0.8), // 12
            typed(13, 23, address, 0.9), // Oak Street
            typed(25, 36, address, 0.6), // Springfield
            typed(41, 44, person, 0.9),  // Bob: " and " is not a separator
        ];
        let merged = merge_adjacent(text, spans);
        let got: Vec<(&str, usize)> = merged
            .iter()
            .map(|s| (&text[s.start..s.end], s.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("Jane Doe", person),
                ("12 Oak Street, Springfield", address),
                ("Bob", person)
            ]
        );
        assert!((merged[0].score - 0.7).abs() < 1e-6);
    }

    #[test]
    fn different_types_and_wide_gaps_do_not_merge() {
        let text = "Jane          Doe Paris";
        let merged = merge_adjacent(
            text,
            vec![
                typed(0, 4, 0, 0.9),
                typed(14, 17, 0, 0.9),
                typed(18, 23, 1, 0.9),
            ],
        );
        assert_eq!(merged.len(), 3);
    }

    #[test]
    fn one_short_upper_case_word_may_sit_between_parts() {
        // "Bangor, ME 04401": the state was not tagged; "John F. Kennedy".
        for (text, a, b) in [
            ("Bangor, ME 04401", (0, 6), (11, 16)),
            ("John F. Kennedy", (0, 4), (8, 15)),
        ] {
            let merged =
                merge_adjacent(text, vec![typed(a.0, a.1, 0, 0.9), typed(b.0, b.1, 0, 0.8)]);
            assert_eq!(merged.len(), 1, "{text}");
            assert_eq!((merged[0].start, merged[0].end), (0, text.len()));
        }
        for text in [
            "Jane and Bob",
            "Jane met Bob",
            "Jane ABCD Bob",
            "Jane A B Bob",
        ] {
            let b_start = text.rfind("Bob").unwrap();
            let merged = merge_adjacent(
                text,
                vec![typed(0, 4, 0, 0.9), typed(b_start, b_start + 3, 0, 0.9)],
            );
            assert_eq!(merged.len(), 2, "{text}");
        }
    }

    #[test]
    fn a_part_that_needs_a_partner_is_kept_only_when_merged() {
        let text = "exit code 137 and 77 Harbor Lane";
        let lone = TypedSpan {
            needs_partner: true,
            ..typed(10, 13, 0, 0.9)
        };
        let number = TypedSpan {
            needs_partner: true,
            ..typed(18, 20, 0, 0.9)
        };
        let merged = merge_adjacent(text, vec![lone, number, typed(21, 32, 0, 0.9)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(&text[merged[0].start..merged[0].end], "77 Harbor Lane");
    }

    #[test]
    fn a_word_takes_the_first_tagged_sub_word_label() {
        let text = "Apt 3B";
        let t = tokens(text, &[("3", Some(0), O), ("B", Some(0), I_CITY)]);
        let w = words(&t);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].class, I_CITY);
        assert_eq!((w[0].start, w[0].end), (4, 6));
    }
}
