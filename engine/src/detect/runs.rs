// SPDX-License-Identifier: Apache-2.0
//! A regex searched only near a few places of a text, with the matches a
//! whole-text search reports there.
//!
//! Some detectors know cheaply where a value can be (a MAC address's full
//! shape, a passport or birth word) but confirm it with a regex, which ran
//! over the whole text once any such place existed: a lazy-DFA step per
//! byte of a 1 MB text for one MAC address in it. When every match is made
//! of a known set of bytes, a search that starts just after a byte outside
//! the set is in step with the whole-text search: no match it missed can
//! reach past that byte. So only the runs of member bytes around those
//! places are searched, each from its start.

use regex::{Match, Regex};

/// Calls `each` with the matches of `regex` in `text` that start in a run
/// of `member` bytes meeting one of `windows` (byte ranges, in order of
/// start), exactly as `regex.find_iter(text)` reports them there.
///
/// The caller's regex must only match non-empty runs of `member` bytes
/// (bytes from 0x80 always count as members, so runs start on char
/// boundaries), and look at most one byte past a match (`\b`).
pub(crate) fn find_near<'t>(
    regex: &Regex,
    text: &'t str,
    member: impl Fn(u8) -> bool,
    windows: impl IntoIterator<Item = (usize, usize)>,
    mut each: impl FnMut(Match<'t>),
) {
    let bytes = text.as_bytes();
    let is_member = |b: &u8| *b >= 0x80 || member(*b);
    // Everything before `done` has been searched; `bytes[done]` (when it
    // exists) is not a member, so a search from it is in step.
    let mut done = 0;
    for (from, to) in windows {
        let from = from.max(done);
        if from >= bytes.len() || from >= to {
            continue;
        }
        let start = bytes
            .get(done..from)
            .and_then(|before| before.iter().rposition(|b| !is_member(b)))
            .map_or(done, |at| done + at + 1);
        let end = bytes
            .get(to..)
            .and_then(|after| after.iter().position(|b| !is_member(b)))
            .map_or(bytes.len(), |at| to + at);
        // The byte after the last run is read too: `\b` looks at it.
        let Some(haystack) = text.get(..(end + 1).min(text.len())) else {
            return;
        };
        let mut at = start;
        while let Some(found) = regex.find_at(haystack, at) {
            at = found.end().max(found.start() + 1);
            each(found);
            if at > haystack.len() {
                break;
            }
        }
        done = end;
    }
}

#[cfg(test)]
mod tests {
    use super::find_near;
    use proptest::prelude::*;
    use regex::Regex;

    fn hex_or_colon(b: u8) -> bool {
        b.is_ascii_hexdigit() || b == b':'
    }

    /// Matches near every window, by the whole-text search.
    fn whole(regex: &Regex, text: &str, windows: &[(usize, usize)]) -> Vec<(usize, usize)> {
        regex
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .filter(|&(s, e)| windows.iter().any(|&(from, to)| s < to && e > from))
            .collect()
    }

    fn near(regex: &Regex, text: &str, windows: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        find_near(regex, text, hex_or_colon, windows.iter().copied(), |m| {
            found.push((m.start(), m.end()));
        });
        found
    }

    #[test]
    fn a_run_is_searched_from_its_start() {
        let regex = Regex::new(r"(?-u:\b)[0-9a-f]{2}(?::[0-9a-f]{2}){2}(?-u:\b)").unwrap();
        let text = "x 11:22:33:44:55:66 y aa:bb:cc z";
        // A window inside the run finds the run's first match, as the
        // whole-text search does (not one starting at the window).
        assert_eq!(near(&regex, text, &[(9, 10)]), vec![(2, 10), (11, 19)]);
        assert_eq!(near(&regex, text, &[(25, 26)]), vec![(22, 30)]);
        // Two windows in one run, or overlapping: the run is searched once.
        let both = vec![(2, 10), (11, 19), (22, 30)];
        assert_eq!(near(&regex, text, &[(3, 4), (12, 13), (23, 24)]), both);
        assert_eq!(near(&regex, text, &[(3, 14), (5, 26)]), both);
        assert_eq!(
            near(&regex, text, &[(3, 14), (5, 8)]),
            vec![(2, 10), (11, 19)]
        );
        assert_eq!(near(&regex, text, &[(0, 1)]), vec![]);
        // `\b` sees the byte after the run.
        assert_eq!(near(&regex, "aa:bb:ccg", &[(0, 1)]), vec![]);
    }

    proptest! {
        /// Whatever the windows, every match found is the whole-text
        /// search's, once, and every whole-text match in a window is found.
        #[test]
        fn finds_what_the_whole_text_search_finds_there(
            pieces in proptest::collection::vec(
                prop_oneof!["[0-9a-f]{1,3}", Just(":".to_string()), Just(" ".to_string()),
                    Just("g".to_string()), Just("é".to_string()), Just("\n".to_string())],
                0..60,
            ),
            mut windows in proptest::collection::vec((0usize..120, 0usize..8), 0..5),
        ) {
            let text: String = pieces.concat();
            let regex = Regex::new(r"(?-u:\b)[0-9a-f]{2}(?::[0-9a-f]{2}){1,3}(?-u:\b)").unwrap();
            windows.sort();
            let windows: Vec<(usize, usize)> =
                windows.into_iter().map(|(from, len)| (from, from + len + 1)).collect();
            let found = near(&regex, &text, &windows);
            let all: Vec<(usize, usize)> =
                regex.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            // In order, none twice (overlapping windows search a run once).
            prop_assert!(found.windows(2).all(|w| w[0].1 <= w[1].0), "{:?}", found);
            for m in &found {
                prop_assert!(all.contains(m), "{:?} not a whole-text match in {:?}", m, text);
            }
            for m in whole(&regex, &text, &windows) {
                prop_assert!(found.contains(&m), "{:?} missed in {:?}", m, text);
            }
        }
    }
}
