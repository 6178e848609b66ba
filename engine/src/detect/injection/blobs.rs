// SPDX-License-Identifier: Apache-2.0
//! Where base64 and hex payloads may hide, found without a regex pass.
//!
//! Every request text is searched for both, prose has neither, and in wasm a
//! regex pass over the whole text costs a lazy-DFA step per byte. Both
//! searches jump between the places where a run's minimum length of its
//! bytes follows ([`next_window`]), so prose costs a few reads per word.
//! They find exactly what the regexes in the tests find, leftmost first.

use crate::detect::encoded::is_alphabet as is_base64;
use crate::detect::lookahead::next_window;
use std::ops::Range;

/// Shortest base64 run worth decoding.
const BASE64_MIN: usize = 20;
/// Shortest hex run worth decoding (12 bytes).
const HEX_MIN: usize = 24;

/// What `[A-Za-z0-9+/_-]{20,}={0,2}` finds: every maximal run of the
/// alphabet of at least 20 bytes, with up to two `=` of padding.
pub(super) fn base64_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        // A run starts here: the byte before it (if any) is not alphabet.
        let start = next_window(bytes, i, BASE64_MIN, is_base64)?;
        i = start + BASE64_MIN;
        while bytes.get(i).copied().is_some_and(is_base64) {
            i += 1;
        }
        let mut padding = 0;
        while padding < 2 && bytes.get(i) == Some(&b'=') {
            i += 1;
            padding += 1;
        }
        Some(start..i)
    })
}

/// What `(?-u:\b)(?:[0-9a-fA-F]{2}){12,}(?-u:\b)` finds: every maximal run
/// of ASCII word bytes that is all hex digits, of even length, 24 or more.
pub(super) fn hex_runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            i = next_window(bytes, i, HEX_MIN, |b| b.is_ascii_hexdigit())?;
            // A run starts only where a word starts.
            if bytes.get(i.wrapping_sub(1)).copied().is_some_and(is_word) {
                while bytes.get(i).copied().is_some_and(is_word) {
                    i += 1;
                }
                // Past the word's end, which is no hex digit.
                i += 1;
                continue;
            }
            let start = i;
            i += HEX_MIN;
            while bytes.get(i).is_some_and(u8::is_ascii_hexdigit) {
                i += 1;
            }
            let whole_word = !bytes.get(i).copied().is_some_and(is_word);
            if whole_word && (i - start).is_multiple_of(2) {
                return Some(start..i);
            }
        }
    })
}

/// An ASCII `\b` word byte.
pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    fn by_regex(pattern: &str, text: &str) -> Vec<Range<usize>> {
        let regex = Regex::new(pattern).unwrap();
        regex.find_iter(text).map(|m| m.range()).collect()
    }

    const BASE64: &str = r"[A-Za-z0-9+/_-]{20,}={0,2}";
    const HEX: &str = r"(?-u:\b)(?:[0-9a-fA-F]{2}){12,}(?-u:\b)";

    /// Texts made of the bytes the rules turn on, in runs long enough to
    /// cross both minimum lengths.
    fn texts() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[0-9a-f]{1,30}",
            "[0-9A-F]{20,30}",
            "[A-Za-z0-9+/_-]{1,30}",
            "[=]{1,3}",
            "[ .,:é\n_g]{1,2}",
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn base64_runs_are_the_regex_matches(text in texts()) {
            prop_assert_eq!(base64_runs(&text).collect::<Vec<_>>(), by_regex(BASE64, &text));
        }

        #[test]
        fn hex_runs_are_the_regex_matches(text in texts()) {
            prop_assert_eq!(hex_runs(&text).collect::<Vec<_>>(), by_regex(HEX, &text));
        }
    }

    #[test]
    fn runs_at_the_edges() {
        let hex = "0123456789abcdef01234567";
        for text in [
            hex.to_string(),
            format!("x {hex}"),
            format!("{hex}0"),
            format!("g{hex}"),
            format!("{hex}_"),
            format!("é{hex}é"),
            format!("{hex}{hex} {hex}"),
        ] {
            assert_eq!(
                hex_runs(&text).collect::<Vec<_>>(),
                by_regex(HEX, &text),
                "{text}"
            );
        }
        for text in [
            "QUJDREVGR0hJSktMTU5PUFFS",
            "QUJDREVGR0hJSktMTU5PUFFS===x",
            "=QUJDREVGR0hJSktMTU5PUFFS=",
            "short words only, nothing long here at all",
        ] {
            assert_eq!(
                base64_runs(text).collect::<Vec<_>>(),
                by_regex(BASE64, text),
                "{text}"
            );
        }
    }
}
