// SPDX-License-Identifier: Apache-2.0
//! Every occurrence of a set of literals, overlapping, ignoring ASCII
//! case: an Aho-Corasick automaton as a full DFA whose match states are
//! numbered last, so a step is one table read and one compare.
//!
//! It replaces the aho-corasick crate's searches where every occurrence
//! is wanted: the secrets prefilter (its overlapping search was the
//! costliest step of a scan, 16.7 instructions per byte by callgrind, ~10 %
//! of a 4 KiB exchange in V8) and the injection phrases' starts. A DFA walk is bound by the latency of each step's
//! load, not by instructions, so long texts are walked as four quarters
//! side by side. It reports the same matches in the same order as the
//! crate (a proptest holds the two together).

use std::collections::VecDeque;

/// Unreachable in practice: the built-in literals make ~1,900 states.
const MAX_STATES: usize = 1 << 20;
/// Texts shorter than four of these are walked in one piece.
const MIN_LANE_BYTES: usize = 64;
/// Set in a transition that enters a match state: the walk tests a sign
/// instead of comparing with a bound it would keep in a register (the
/// four-lane walk ran out of them). A masked index drops it.
const MATCH: u32 = 1 << 31;

pub(crate) struct Literals {
    /// Byte → class; ASCII upper case maps to the lower-case letter's class.
    classes: [u8; 256],
    /// `state + class` → next state; states are premultiplied by `stride`
    /// and carry [`MATCH`] when they end at least one literal.
    transitions: Vec<u32>,
    /// Match states are this one and those after it.
    first_match: u32,
    stride: usize,
    /// Per match state (`(state - first_match) / stride`), its range in
    /// `matches`.
    match_ranges: Vec<(u32, u32)>,
    /// Literal ids, longest first per state (the state's own literal, then
    /// those ending in its longest proper suffix, and so on).
    matches: Vec<u32>,
    lengths: Vec<usize>,
    /// The longest literal's length.
    longest: usize,
    /// `transitions.len() - 1`: the table is padded to a power of two so
    /// that a masked index needs no bounds check in the walk.
    mask: usize,
}

impl Literals {
    /// `None` past `MAX_STATES` states or when the literals use every byte
    /// value (never with the built-in literals). Literals are matched in
    /// lower case.
    pub(crate) fn new(literals: &[impl AsRef<[u8]>]) -> Option<Literals> {
        let lowered: Vec<Vec<u8>> = literals
            .iter()
            .map(|l| l.as_ref().to_ascii_lowercase())
            .collect();
        let (classes, class_count) = byte_classes(&lowered)?;
        let trie = Trie::build(&lowered, &classes, class_count)?;
        Some(trie.into_dfa(classes, class_count, &lowered))
    }

    /// Calls `found(literal, start, end)` for every occurrence, in order of
    /// `end`, then longest first.
    pub(crate) fn for_each(&self, haystack: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        self.walk_all(haystack, &mut found);
    }

    /// [`Literals::for_each`] behind one `dyn` call per occurrence: one
    /// copy of the walk serves every caller (a copy per caller cost the
    /// filter 5 KB).
    fn walk_all(&self, haystack: &[u8], found: &mut dyn FnMut(usize, usize, usize)) {
        let lane = haystack.len() / 4;
        let warm = self.longest.saturating_sub(1);
        if lane < MIN_LANE_BYTES.max(warm) {
            let mut state = 0;
            self.walk(haystack, 0, &mut state, |state, end| {
                self.report(state, end, found);
            });
            return;
        }
        // Four quarters walked side by side: a DFA step waits for the one
        // before it (a load of the next state), so one walk uses a fraction
        // of the CPU; four independent ones overlap. Each quarter but the
        // first starts `longest - 1` bytes early, from the start state: the
        // state is the longest suffix read that begins a literal, and one of
        // `longest` bytes (a whole longest literal) leads on exactly as its
        // longest proper one does. What a quarter finds in those bytes is
        // the previous quarter's.
        let starts = [0, lane - warm, 2 * lane - warm, 3 * lane - warm];
        let ends = [lane, 2 * lane, 3 * lane, haystack.len()];
        let mut states = [0u32; 4];
        let mut hits: [Vec<(u32, usize)>; 4] = Default::default();
        let table = self.table();
        let quarter = |k: usize| {
            haystack
                .get(starts[k]..starts[k] + lane)
                .unwrap_or_default()
        };
        // Indexed, not zipped: with `lane` at most every quarter's length
        // the compiler drops the bounds checks (the zipped walk cost 1.5 M
        // more instructions per 1 MB).
        let (q0, q1, q2, q3) = (quarter(0), quarter(1), quarter(2), quarter(3));
        let lane = lane.min(q0.len()).min(q1.len()).min(q2.len()).min(q3.len());
        let (q0, q1, q2, q3) = (&q0[..lane], &q1[..lane], &q2[..lane], &q3[..lane]);
        for at in 0..lane {
            for (k, byte) in [q0[at], q1[at], q2[at], q3[at]].into_iter().enumerate() {
                let state = &mut states[k];
                *state = self.step_in(table, *state, byte);
                if *state & MATCH != 0 {
                    note_hit(&mut hits[k], *state, starts[k] + at + 1);
                }
            }
        }
        for k in 0..4 {
            let rest = haystack.get(starts[k] + lane..ends[k]).unwrap_or_default();
            self.walk(rest, starts[k] + lane, &mut states[k], |state, end| {
                hits[k].push((state, end));
            });
            let first = k * lane;
            for &(state, end) in hits[k].iter().filter(|(_, end)| *end > first) {
                self.report(state, end, found);
            }
        }
    }

    /// The transitions as a slice whose length is `mask + 1`, so that an
    /// index masked by `mask` needs no bounds check.
    #[inline(always)]
    fn table(&self) -> &[u32] {
        self.transitions.get(..=self.mask).unwrap_or_default()
    }

    /// One DFA step.
    #[inline(always)]
    fn step_in(&self, table: &[u32], state: u32, byte: u8) -> u32 {
        let next = state + u32::from(self.classes[usize::from(byte)]);
        table.get(next as usize & self.mask).copied().unwrap_or(0)
    }

    /// Walks `bytes` (at `offset` in the haystack) from `state`, calling
    /// `hit(state, end)` at each match state.
    #[inline(always)]
    fn walk(&self, bytes: &[u8], offset: usize, state: &mut u32, mut hit: impl FnMut(u32, usize)) {
        let table = self.table();
        for (at, &byte) in bytes.iter().enumerate() {
            *state = self.step_in(table, *state, byte);
            if *state & MATCH != 0 {
                hit(*state, offset + at + 1);
            }
        }
    }

    #[cold]
    fn report(&self, state: u32, end: usize, found: &mut dyn FnMut(usize, usize, usize)) {
        let index = ((state & !MATCH).saturating_sub(self.first_match) as usize) / self.stride;
        let Some(&(from, to)) = self.match_ranges.get(index) else {
            return;
        };
        for &literal in self
            .matches
            .get(from as usize..to as usize)
            .unwrap_or_default()
        {
            let literal = literal as usize;
            let length = self.lengths.get(literal).copied().unwrap_or(0);
            found(literal, end.saturating_sub(length), end);
        }
    }
}

/// Out of line: the four-lane walk's registers stay its own.
#[cold]
#[inline(never)]
fn note_hit(hits: &mut Vec<(u32, usize)>, state: u32, end: usize) {
    // One allocation for most texts' hits instead of growing from four
    // (a tenth of the walk's cost on prose went to reallocations).
    if hits.capacity() == 0 {
        hits.reserve(32);
    }
    hits.push((state, end));
}

/// One class per byte that occurs in a literal, and class 0 for the rest;
/// upper-case ASCII reads as its lower case. `None` when every byte value
/// occurs (no room for class 0).
fn byte_classes(literals: &[Vec<u8>]) -> Option<([u8; 256], usize)> {
    let mut classes = [0u8; 256];
    let mut count = 1usize;
    for literal in literals {
        for &byte in literal {
            if classes[usize::from(byte)] == 0 {
                classes[usize::from(byte)] = u8::try_from(count).ok()?;
                count += 1;
            }
        }
    }
    for upper in b'A'..=b'Z' {
        classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
    }
    Some((classes, count))
}

/// The literal trie with failure links, states in breadth-first order.
struct Trie {
    /// `state * class_count + class` → child, 0 for none (0 is the root,
    /// never a child).
    children: Vec<u32>,
    fail: Vec<u32>,
    /// The literal ending at each state.
    terminal: Vec<Option<u32>>,
    /// States in breadth-first order (parents before children).
    order: Vec<u32>,
}

impl Trie {
    fn build(literals: &[Vec<u8>], classes: &[u8; 256], class_count: usize) -> Option<Trie> {
        let mut children = vec![0u32; class_count];
        let mut terminal = vec![None];
        for (id, literal) in literals.iter().enumerate() {
            let mut state = 0usize;
            for &byte in literal {
                let slot = state * class_count + usize::from(classes[usize::from(byte)]);
                let child = *children.get(slot)?;
                state = if child != 0 {
                    child as usize
                } else {
                    let new = terminal.len();
                    if new >= MAX_STATES {
                        return None;
                    }
                    terminal.push(None);
                    children.resize(children.len() + class_count, 0);
                    *children.get_mut(slot)? = u32::try_from(new).ok()?;
                    new
                };
            }
            // A literal listed twice reports its first id only (the
            // trigger table holds no duplicates).
            if let Some(slot @ None) = terminal.get_mut(state) {
                *slot = u32::try_from(id).ok();
            }
        }
        let states = terminal.len();
        let mut fail = vec![0u32; states];
        let mut order = Vec::with_capacity(states);
        let mut queue = VecDeque::from([0u32]);
        while let Some(state) = queue.pop_front() {
            order.push(state);
            for class in 0..class_count {
                let child = children[state as usize * class_count + class];
                if child == 0 {
                    continue;
                }
                // The longest proper suffix of the child's string in the trie.
                let mut link = fail[state as usize];
                let target = loop {
                    if state == 0 {
                        break 0;
                    }
                    let next = children[link as usize * class_count + class];
                    if next != 0 {
                        break next;
                    }
                    if link == 0 {
                        break 0;
                    }
                    link = fail[link as usize];
                };
                fail[child as usize] = target;
                queue.push_back(child);
            }
        }
        Some(Trie {
            children,
            fail,
            terminal,
            order,
        })
    }

    fn into_dfa(self, classes: [u8; 256], class_count: usize, literals: &[Vec<u8>]) -> Literals {
        let states = self.terminal.len();
        // Each state's literals: its own, then its failure state's (already
        // known: the failure state is shallower, hence earlier).
        let mut outputs: Vec<Vec<u32>> = vec![Vec::new(); states];
        for &state in &self.order {
            let state = state as usize;
            let mut own: Vec<u32> = self.terminal[state].into_iter().collect();
            if state != 0 {
                own.extend_from_slice(&outputs[self.fail[state] as usize]);
            }
            outputs[state] = own;
        }
        // Non-match states first (the root stays 0), then match states.
        let mut renumbered = vec![0u32; states];
        let (plain, matching): (Vec<u32>, Vec<u32>) = self
            .order
            .iter()
            .partition(|&&s| outputs[s as usize].is_empty());
        for (new, &old) in plain.iter().chain(&matching).enumerate() {
            renumbered[old as usize] = (new * class_count) as u32;
        }
        // Full DFA transitions, in breadth-first order so that a failure
        // state's row is complete before its children's.
        let mut delta = vec![0u32; states * class_count];
        for &state in &self.order {
            let state = state as usize;
            for class in 0..class_count {
                let child = self.children[state * class_count + class];
                delta[state * class_count + class] = if child != 0 {
                    child
                } else if state == 0 {
                    0
                } else {
                    delta[self.fail[state] as usize * class_count + class]
                };
            }
        }
        let first_match = (plain.len() * class_count) as u32;
        let mut transitions = vec![0u32; (states * class_count).next_power_of_two()];
        for old in 0..states {
            let row = renumbered[old] as usize;
            for class in 0..class_count {
                let target = renumbered[delta[old * class_count + class] as usize];
                let flag = if target >= first_match { MATCH } else { 0 };
                transitions[row + class] = target | flag;
            }
        }
        let mut match_ranges = Vec::with_capacity(matching.len());
        let mut matches = Vec::new();
        for &old in &matching {
            let from = matches.len() as u32;
            matches.extend_from_slice(&outputs[old as usize]);
            match_ranges.push((from, matches.len() as u32));
        }
        Literals {
            classes,
            mask: transitions.len() - 1,
            transitions,
            first_match,
            stride: class_count,
            match_ranges,
            matches,
            lengths: literals.iter().map(Vec::len).collect(),
            longest: literals.iter().map(Vec::len).max().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind};
    use proptest::prelude::*;

    fn crate_matches(literals: &[String], haystack: &[u8]) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(literals)
            .unwrap();
        automaton
            .try_find_overlapping_iter(haystack)
            .unwrap()
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect()
    }

    fn ours(literals: &[String], haystack: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut found = Vec::new();
        Literals::new(literals)
            .unwrap()
            .for_each(haystack, |l, s, e| found.push((l, s, e)));
        found
    }

    #[test]
    fn overlapping_matches_ignore_ascii_case() {
        let literals: Vec<String> = ["pass", "password", "sword", "as", "sk-"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            ours(&literals, b"My PassWord, sk-x"),
            vec![(3, 4, 6), (0, 3, 7), (1, 3, 11), (2, 6, 11), (4, 13, 16)]
        );
        assert_eq!(ours(&literals, b"nothing here"), vec![]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(160))]
        #[test]
        fn matches_what_the_aho_corasick_crate_finds(
            literals in proptest::collection::vec("[a-dA-D_\u{e9}-]{1,12}", 1..12),
            // Literals (upper-cased at random) and stray bytes; past 256
            // bytes the text is walked in four quarters.
            pieces in proptest::collection::vec(
                (any::<usize>(), any::<bool>(), prop_oneof![Just(b'a'), Just(b'B'),
                    Just(b'-'), Just(0xc3), Just(0xa9), any::<u8>()]),
                0..300,
            ),
        ) {
            let mut literals: Vec<String> =
                literals.iter().map(|l| l.to_ascii_lowercase()).collect();
            literals.sort();
            literals.dedup();
            let mut haystack = Vec::new();
            for (pick, upper, byte) in pieces {
                match literals.get(pick % (2 * literals.len())) {
                    Some(literal) if upper => haystack.extend(literal.to_ascii_uppercase().bytes()),
                    Some(literal) => haystack.extend(literal.bytes()),
                    None => haystack.push(byte),
                }
            }
            prop_assert_eq!(ours(&literals, &haystack), crate_matches(&literals, &haystack));
        }
    }
}
