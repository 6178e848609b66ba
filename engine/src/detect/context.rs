// SPDX-License-Identifier: Apache-2.0
//! Context words: some values (passport numbers, operator ids) only count
//! when a telling word stands near them.

/// True when one of `words` (already lower-case) occurs, case-insensitively,
/// within `window` characters before `start` or after `end` (byte offsets).
pub(crate) fn has_context(
    text: &str,
    start: usize,
    end: usize,
    window: usize,
    words: &[String],
) -> bool {
    if words.is_empty() {
        return true;
    }
    let before = text.get(..start).unwrap_or("");
    let after = text.get(end..).unwrap_or("");
    let before_from = before
        .char_indices()
        .rev()
        .nth(window.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let after_to = after
        .char_indices()
        .nth(window)
        .map_or(after.len(), |(i, _)| i);
    let near = [
        before.get(before_from..).unwrap_or(""),
        after.get(..after_to).unwrap_or(""),
    ];
    near.iter().any(|part| {
        // ASCII is compared ignoring case in place; only other text is
        // lower-cased into a copy (one allocation per window and candidate
        // was most of a date-of-birth scan over logs full of dates).
        if part.is_ascii() {
            words.iter().any(|w| contains_word(part, w, true))
        } else {
            let lower = part.to_lowercase();
            words.iter().any(|w| contains_word(&lower, w, false))
        }
    })
}

/// `haystack` contains `word` not glued to other letters or digits;
/// `ascii_case` also takes ASCII letters of either case for `word`'s.
fn contains_word(haystack: &str, word: &str, ascii_case: bool) -> bool {
    let Some(&first) = word.as_bytes().first() else {
        return false;
    };
    let upper = if ascii_case {
        first.to_ascii_uppercase()
    } else {
        first
    };
    // The windows are short and this runs per candidate: a plain scan for
    // the first byte beats building a substring searcher per word. Matches
    // are tried leftmost first without overlaps, as `match_indices` would.
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(offset) = bytes
        .get(from..)
        .and_then(|r| r.iter().position(|&b| b == first || b == upper))
    {
        let i = from + offset;
        let found = bytes.get(i..i + word.len()).is_some_and(|r| {
            if ascii_case {
                r.eq_ignore_ascii_case(word.as_bytes())
            } else {
                r == word.as_bytes()
            }
        });
        if !found {
            from = i + 1;
            continue;
        }
        let before_ok = haystack
            .get(..i)
            .and_then(|s| s.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = haystack
            .get(i + word.len()..)
            .and_then(|s| s.chars().next())
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = i + word.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The substring-searcher version `contains_word` replaced.
    fn contains_word_reference(haystack: &str, word: &str) -> bool {
        !word.is_empty()
            && haystack.match_indices(word).any(|(i, _)| {
                let before_ok = haystack[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                let after_ok = haystack[i + word.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                before_ok && after_ok
            })
    }

    proptest! {
        #[test]
        fn contains_word_matches_the_reference(
            haystack in "[ab .-д]{0,16}",
            word in "[ab .-д]{0,4}",
        ) {
            prop_assert_eq!(
                contains_word(&haystack, &word, false),
                contains_word_reference(&haystack, &word)
            );
        }

        /// In ASCII, ignoring case in place finds what lower-casing a copy
        /// finds.
        #[test]
        fn ascii_case_is_lower_casing(
            haystack in "[aAbB1 .-]{0,16}",
            word in "[ab1 .-]{1,4}",
        ) {
            prop_assert_eq!(
                contains_word(&haystack, &word, true),
                contains_word_reference(&haystack.to_lowercase(), &word)
            );
        }
    }

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn finds_words_in_window_only() {
        let text = "my passport number is 123456789 ok";
        let start = text.find("123").unwrap();
        let end = start + 9;
        assert!(has_context(text, start, end, 20, &words(&["passport"])));
        assert!(!has_context(text, start, end, 5, &words(&["passport"])));
        assert!(!has_context(text, start, end, 40, &words(&["visa"])));
    }

    #[test]
    fn needs_word_boundaries_and_ignores_case() {
        let text = "PASSPORTS 123";
        assert!(!has_context(text, 10, 13, 20, &words(&["passport"])));
        let ru = "Паспорт: 4510 123456";
        let start = ru.find("4510").unwrap();
        assert!(has_context(ru, start, ru.len(), 20, &words(&["паспорт"])));
    }
}
