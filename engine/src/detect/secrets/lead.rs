// SPDX-License-Identifier: Apache-2.0
//! What must follow a prefix rule's literal for its regex to match: read
//! from the regex once, checked in a few byte compares before the regex runs.
//!
//! Short literals hit prose all the time (`pat` of Airtable tokens in every
//! `path`, `patch` and `pattern`), and a regex call costs ~700 instructions
//! even where it fails on the next byte. Most rules read `literal`, then a
//! repeated class (`pat[A-Za-z0-9]{14}\.…`): a hit whose next bytes are not
//! of that class cannot match, and the regex is not asked.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The leads of a rule's regex, one per top-level alternative.
pub(super) struct Leads {
    /// `None` when some alternative starts in a way not read here (it may
    /// then match anywhere the prefilter hit, and the regex always runs).
    branches: Option<Vec<Lead>>,
}

/// One alternative: a literal, then at least `min` bytes of `class`.
struct Lead {
    literal: Vec<u8>,
    /// Bytes a char of the class may start or continue with.
    class: ByteSet,
    min: usize,
}

/// A set of byte values.
#[derive(Clone, Copy, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert_range(&mut self, from: u8, to: u8) {
        for byte in from..=to {
            self.0[usize::from(byte / 64)] |= 1 << (byte % 64);
        }
    }

    fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte / 64)] & (1 << (byte % 64)) != 0
    }
}

impl Leads {
    /// Reads `pattern` (a rule's regex as written, unanchored). A pattern
    /// that does not parse gets no leads: its regex reports the error. The
    /// parser is regex-automata's, the one every regex is built with (its
    /// own entry in regex-syntax cost the filter 1 KB more).
    pub(super) fn of(pattern: &str) -> Leads {
        let branches = regex_automata::util::syntax::parse(pattern)
            .ok()
            .and_then(|hir| {
                let alternatives = match hir.kind() {
                    HirKind::Alternation(alternatives) => alternatives.as_slice(),
                    _ => std::slice::from_ref(&hir),
                };
                alternatives.iter().map(lead).collect::<Option<Vec<_>>>()
            });
        Leads { branches }
    }

    /// False when no match of the regex can start at `at` in `bytes`.
    pub(super) fn may_match_at(&self, bytes: &[u8], at: usize) -> bool {
        let Some(branches) = &self.branches else {
            return true;
        };
        let rest = bytes.get(at..).unwrap_or_default();
        branches.iter().any(|lead| {
            rest.strip_prefix(lead.literal.as_slice())
                .and_then(|after| after.get(..lead.min))
                .is_some_and(|next| next.iter().all(|&b| lead.class.contains(b)))
        })
    }
}

/// The lead of one alternative: a non-empty literal, then a class or a
/// repeated class (or nothing). `None` for any other start.
fn lead(hir: &Hir) -> Option<Lead> {
    let parts = match hir.kind() {
        HirKind::Concat(parts) => parts.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let HirKind::Literal(literal) = parts.first()?.kind() else {
        return None;
    };
    let (class, min) = match parts.get(1).map(Hir::kind) {
        None => (ByteSet::default(), 0),
        Some(HirKind::Class(class)) => (bytes_of(class), 1),
        Some(HirKind::Repetition(repetition)) => match repetition.sub.kind() {
            HirKind::Class(class) => (bytes_of(class), repetition.min as usize),
            _ => (ByteSet::default(), 0),
        },
        Some(_) => (ByteSet::default(), 0),
    };
    Some(Lead {
        literal: literal.0.to_vec(),
        class,
        min,
    })
}

/// The bytes a member of `class` may be made of: its ASCII members, and
/// every byte from 0x80 when it has a non-ASCII member (each byte of such a
/// char is one).
fn bytes_of(class: &Class) -> ByteSet {
    let mut set = ByteSet::default();
    let mut add = |from: u32, to: u32| {
        let ascii_to = to.min(0x7F);
        if from <= ascii_to {
            set.insert_range(from as u8, ascii_to as u8);
        }
        if to > 0x7F {
            set.insert_range(0x80, 0xFF);
        }
    };
    match class {
        Class::Unicode(ranges) => {
            for range in ranges.iter() {
                add(u32::from(range.start()), u32::from(range.end()));
            }
        }
        // Byte classes (`(?-u)`): no rule has one; every byte may follow.
        Class::Bytes(_) => add(0, 0xFF),
    }
    set
}

#[cfg(test)]
mod tests {
    use super::Leads;
    use crate::detect::secrets::rules::PREFIX_RULES;
    use proptest::prelude::*;

    #[test]
    fn a_literal_then_a_repeated_class_is_read() {
        let leads = Leads::of(r"pat[A-Za-z0-9]{14}\.[0-9a-f]{64}");
        assert!(leads.branches.is_some());
        assert!(leads.may_match_at(b"a patbM56b6Rc6H1Fz7.a6", 2));
        assert!(!leads.may_match_at(b"a pattern", 2));
        assert!(!leads.may_match_at(b"the path/to", 4));
        assert!(!leads.may_match_at(b"pat", 0));
        // Alternatives each keep their literal.
        let leads = Leads::of(r"(?:ntn_[A-Za-z0-9]{4}|secret_[A-Za-z0-9]{3})");
        assert!(leads.may_match_at(b"ntn_abcd", 0));
        assert!(leads.may_match_at(b"secret_abc", 0));
        assert!(!leads.may_match_at(b"secret_ab", 0));
        assert!(!leads.may_match_at(b"ntn_ab-d", 0));
        // A start not read here always lets the regex run.
        let leads = Leads::of(r"(?i)pat[a-z]{9}");
        assert!(leads.branches.is_none());
        assert!(leads.may_match_at(b"pat", 0));
        // Non-ASCII members let every byte from 0x80 through.
        let leads = Leads::of(r"k\w{3}");
        assert!(leads.may_match_at("kéa".as_bytes(), 0));
        assert!(!leads.may_match_at(b"k-aa", 0));
    }

    #[test]
    fn every_rule_example_passes_its_lead() {
        let mut read = 0;
        for rule in PREFIX_RULES.iter().filter(|r| r.lookbehind == 0) {
            let leads = Leads::of(rule.pattern);
            read += usize::from(leads.branches.is_some());
            let regex = anchored(rule.pattern);
            let example = rule.example.as_bytes();
            let starts: Vec<usize> = (0..example.len())
                .filter(|&at| regex.is_match(&example[at..]))
                .collect();
            assert!(
                !starts.is_empty(),
                "{}: its example does not match",
                rule.id
            );
            for at in starts {
                assert!(
                    leads.may_match_at(example, at),
                    "{}: its example fails its lead at {at}",
                    rule.id
                );
            }
        }
        // Most rules have a lead (the gate is worth having); the count
        // only guards against the reader silently reading none.
        assert!(read * 2 > PREFIX_RULES.len(), "{read} rules read");
    }

    fn anchored(pattern: &str) -> regex::bytes::Regex {
        regex::bytes::Regex::new(&format!("^(?:{pattern})")).unwrap()
    }

    proptest! {
        /// Wherever a rule's anchored regex matches, its lead lets it run:
        /// examples cut short, extended, and with bytes changed.
        #[test]
        fn the_lead_never_hides_a_match(
            rule in 0..PREFIX_RULES.len(),
            cut in 0usize..120,
            at in 0usize..120,
            byte in prop_oneof![Just(b'-'), Just(b'.'), Just(b'_'), Just(b'a'), Just(b'Z'),
                Just(b'7'), Just(0xC3), any::<u8>()],
            tail in "[a-zA-Z0-9_./+=-]{0,80}",
        ) {
            let rule = &PREFIX_RULES[rule];
            prop_assume!(rule.lookbehind == 0);
            // The example from where its match starts.
            let regex = anchored(rule.pattern);
            let example = rule.example.as_bytes();
            let from = (0..example.len()).find(|&at| regex.is_match(&example[at..])).unwrap_or(0);
            let mut text: Vec<u8> = example[from..].to_vec();
            text.truncate(cut.max(1));
            if let Some(slot) = text.get_mut(at) {
                *slot = byte;
            }
            text.extend(tail.bytes());
            if regex.is_match(&text) {
                prop_assert!(Leads::of(rule.pattern).may_match_at(&text, 0), "{}", rule.id);
            }
        }
    }
}
