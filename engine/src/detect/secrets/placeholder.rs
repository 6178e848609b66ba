// SPDX-License-Identifier: Apache-2.0
//! Tells documentation stand-ins (`changeme`, `<your-token>`, `sk-xxxx…`,
//! `${TOKEN}`, `AKIA…EXAMPLE`) from real secrets, cheaply.

use crate::detect::entropy::shannon;
use aho_corasick::AhoCorasick;
use once_cell::sync::Lazy;

/// Substrings that mark a value as made up (ASCII case-insensitive).
const MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "your",
    "placeholder",
    "redacted",
    "dummy",
    "sample",
    "changeme",
    "change_me",
    "fake",
    "****",
    "...",
    "\u{2026}",
    "\u{2022}\u{2022}",
];

/// Whole values (lower-case) that are stand-ins, types or code words.
const STAND_INS: &[&str] = &[
    "changeme",
    "change-me",
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "secrets",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "key",
    "test",
    "testing",
    "hidden",
    "masked",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "empty",
    "default",
    "admin",
    "root",
    "guest",
    "user",
    "username",
    "login",
    "xxx",
    "todo",
    "tbd",
    "fixme",
    "foo",
    "bar",
    "baz",
    "foobar",
    "qwerty",
    "letmein",
    "hunter2",
    "mypassword",
    "mysecret",
    "mytoken",
    "secret123",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "s3cr3t",
    "abc123",
    "open sesame",
    "string",
    "str",
    "int",
    "integer",
    "bool",
    "boolean",
    "number",
    "any",
    "object",
    "bytes",
    "optional",
    "required",
    "text",
    "varchar",
    "secretstr",
    "sensitive",
    "omitted",
    "removed",
    "censored",
    "notset",
    "not_set",
    "unset",
    "n/a",
    "value",
    "bearer",
    "basic",
];

/// Below this many bits per char, a provider's random part is not random.
const MIN_RANDOM_ENTROPY: f64 = 2.5;

/// Runs (`aaaaaa`, `123456`, `abcdef`) at least this long mark a stand-in.
const MAX_RUN: usize = 6;

/// `needle` occurs in `hay`, ignoring ASCII case.
pub(super) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The markers in one automaton: every provider token and generic value is
/// checked, and a window-by-window compare per marker cost ~24 K
/// instructions for a long token.
static MARKER_AUTOMATON: Lazy<Option<AhoCorasick>> = Lazy::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(MARKERS)
        .ok()
});

fn has_marker(value: &str) -> bool {
    match MARKER_AUTOMATON.as_ref() {
        Some(automaton) => automaton.is_match(value),
        None => MARKERS.iter().any(|m| contains_ci(value, m)),
    }
}

/// Longest run of one repeated byte or of consecutive ascending or
/// descending alphanumerics.
fn longest_run(value: &str) -> usize {
    let bytes = value.as_bytes();
    let (mut same, mut up, mut down) = (1usize, 1usize, 1usize);
    let mut best = usize::from(!bytes.is_empty());
    for pair in bytes.windows(2) {
        let &[a, b] = pair else { continue };
        let alnum = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
        same = if a == b { same + 1 } else { 1 };
        up = if alnum && a.checked_add(1) == Some(b) {
            up + 1
        } else {
            1
        };
        down = if alnum && b.checked_add(1) == Some(a) {
            down + 1
        } else {
            1
        };
        best = best.max(same).max(up).max(down);
    }
    best
}

/// True when the random part of a provider token is visibly made up:
/// a marker word, a long run, or too little entropy.
pub(super) fn random_part_is_made_up(part: &str, check_runs: bool) -> bool {
    has_marker(part)
        || (check_runs && longest_run(part) >= MAX_RUN)
        || (part.len() >= 8 && shannon(part) < MIN_RANDOM_ENTROPY)
}

/// True for values that stand in for a secret instead of being one:
/// templating (`${X}`, `{{x}}`, `<x>`, `%X%`), masks (`***`), marker words,
/// well-known defaults (`changeme`, `hunter2`), type names, env-var names
/// (`API_KEY`), runs and near-constant strings.
pub(super) fn is_stand_in(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return true;
    };
    if matches!(first, '$' | '{' | '<' | '[' | '(' | '%' | '#' | '*')
        || value.starts_with("#{")
        || has_marker(value)
        || is_env_var_name(value)
        || longest_run(value) >= MAX_RUN
    {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if STAND_INS.contains(&lower.as_str()) {
        return true;
    }
    let mut distinct: Vec<char> = Vec::new();
    for ch in value.chars() {
        if !distinct.contains(&ch) {
            distinct.push(ch);
            if distinct.len() > 2 {
                return false;
            }
        }
    }
    true
}

/// `API_KEY`, `GITHUB_TOKEN`: an upper-case name with an underscore.
fn is_env_var_name(value: &str) -> bool {
    value.contains('_')
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The automaton finds a marker exactly where a case-insensitive
        /// compare at every offset does.
        #[test]
        fn markers_are_found_like_the_window_compare(
            value in "[a-zA-Z.*x]{0,12}(Example|XXXX|your|…|••|\\.\\.\\.)?[a-zA-Z.*x•]{0,12}",
        ) {
            proptest::prop_assert!(MARKER_AUTOMATON.is_some());
            proptest::prop_assert_eq!(
                has_marker(&value),
                MARKERS.iter().any(|m| contains_ci(&value, m))
            );
        }
    }

    #[test]
    fn stand_ins_are_recognized() {
        for v in [
            "",
            "changeme",
            "ChangeMe",
            "<your-token>",
            "${TOKEN}",
            "{{ .Values.token }}",
            "%API_KEY%",
            "***",
            "********",
            "YOUR_API_KEY",
            "API_KEY",
            "xxxxxxxx",
            "12345678",
            "abcdefgh",
            "aaaa",
            "abab",
            "hunter2",
            "sk-...",
            "\u{2022}\u{2022}\u{2022}\u{2022}",
        ] {
            assert!(is_stand_in(v), "{v:?} should be a stand-in");
        }
        for v in ["Xk9#pQ2zR7!mW4vL", "tR4v-9qLw", "hunter22x"] {
            assert!(!is_stand_in(v), "{v:?} should not be a stand-in");
        }
    }

    #[test]
    fn made_up_random_parts() {
        assert!(random_part_is_made_up("IOSFODNN7EXAMPLE", true));
        assert!(random_part_is_made_up("xxxxxxxxxxxxxxxxxxxx", true));
        assert!(random_part_is_made_up("abAB1234567890zz", true));
        assert!(random_part_is_made_up("ababababababab", true));
        assert!(!random_part_is_made_up("7ANBGLOOUUNZKL5B", true));
        assert!(!random_part_is_made_up("AAAAAAAAq3Lm9xZ2vT", false));
        assert!(random_part_is_made_up("AAAAAAAAq3Lm9xZ2vT", true));
    }

    #[test]
    fn runs_count_equal_and_consecutive_bytes() {
        assert_eq!(longest_run(""), 0);
        assert_eq!(longest_run("a"), 1);
        assert_eq!(longest_run("xaaaay"), 4);
        assert_eq!(longest_run("q123456z"), 6);
        assert_eq!(longest_run("zfedcbaq"), 6);
        // Consecutive punctuation is not a run of alphanumerics.
        assert_eq!(longest_run("9:;<"), 1);
    }
}
