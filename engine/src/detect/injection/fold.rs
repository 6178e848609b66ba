// SPDX-License-Identifier: Apache-2.0
//! The text the phrase rules read: lower case, leetspeak folded in mixed
//! tokens, quotes kept as `"`, every other separator run one space.

use crate::swar;

/// Lower case, leetspeak folded in mixed tokens, `"` kept, everything else
/// collapsed to single spaces. Every request text goes through this, so it
/// is one pass that copies as it reads: a token's letters eight at a time,
/// its other ASCII bytes one by one, its folding flags gathered on the way;
/// only tokens with non-ASCII letters, `@`/`$` or leetspeak are rewritten by
/// the char-by-char rules, and ASCII is lower-cased once at the end.
pub(crate) fn fold(text: &str) -> String {
    let bytes = text.as_bytes();
    // Every input byte outside a rewritten token yields at most one output
    // byte, so `out` keeps the rest of the input's length plus a word of
    // slack past `len`: words are stored whole and no byte needs a capacity
    // test (copying runs lazily, flushed at each separator, cost twice as
    // much on punctuated text such as changelogs, callgrind).
    let mut out: Vec<u8> = vec![0; bytes.len() + 8];
    let mut len = 0;
    let mut rewritten = Vec::new();
    // Four one-letter tokens with only separators between them: the only
    // way to four one-letter words, which are joined (`i g n o r e`).
    // Counted here, the words need no pass of their own (that pass was a
    // seventh of the fold).
    let (mut letters_in_a_row, mut may_spell_out) = (0u32, false);
    let mut i = 0;
    while i < bytes.len() {
        let (start, token_out) = (i, len);
        let mut seen = 0u8;
        loop {
            while let Some(w) = bytes
                .get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
            {
                if let Some(slot) = out.get_mut(len..len + 8) {
                    slot.copy_from_slice(&w);
                }
                let others = swar::non_letters(u64::from_le_bytes(w));
                let letters = (others.trailing_zeros() / 8) as usize;
                if letters > 0 {
                    seen |= LETTER;
                    i += letters;
                    len += letters;
                }
                if others != 0 {
                    break;
                }
            }
            // The token's other ASCII bytes (and letters near the end).
            while let Some(&byte) = bytes.get(i) {
                let class = FOLD_CLASS[usize::from(byte)];
                if class & IN_TOKEN == 0 {
                    break;
                }
                seen |= class;
                if let Some(slot) = out.get_mut(len) {
                    *slot = byte;
                }
                i += 1;
                len += 1;
            }
            // A non-ASCII letter or digit continues the token, which the
            // char-by-char rules then rewrite: nothing to copy.
            if let Some(&byte) = bytes.get(i)
                && FOLD_CLASS[usize::from(byte)] & NON_ASCII != 0
                && let Some(c) = text.get(i..).and_then(|rest| rest.chars().next())
                && c.is_alphanumeric()
            {
                seen |= NON_ASCII;
                i += c.len_utf8();
                continue;
            }
            break;
        }
        if i > start {
            // Only a token of one letter folds to a one-letter word.
            let one_letter = match i - start {
                1 => seen == LETTER,
                _ => seen == NON_ASCII && is_one_letter(bytes.get(start..i).unwrap_or_default()),
            };
            letters_in_a_row = if one_letter { letters_in_a_row + 1 } else { 0 };
            may_spell_out |= letters_in_a_row >= 4;
        }
        let plain = seen & (SIGN | NON_ASCII) == 0 && seen & LEET_MIX != LEET_MIX;
        if !plain {
            rewritten.clear();
            fold_token_by_char(text.get(start..i).unwrap_or(""), &mut rewritten);
            len = token_out + rewritten.len();
            // Lower case may take more bytes than the token had (`İ`).
            let needed = len + (bytes.len() - i) + 8;
            if out.len() < needed {
                out.resize(needed, 0);
            }
            if let Some(slot) = out.get_mut(token_out..len) {
                slot.copy_from_slice(&rewritten);
            }
        }
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        let (quote, char_len) = if byte.is_ascii() {
            (FOLD_CLASS[usize::from(byte)] & QUOTE != 0, 1)
        } else {
            match text.get(i..).and_then(|rest| rest.chars().next()) {
                Some(c) => (
                    matches!(
                        c,
                        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}'
                    ),
                    c.len_utf8(),
                ),
                None => break,
            }
        };
        i += char_len;
        if quote {
            if let Some(slot) = out.get_mut(len) {
                *slot = b'"';
            }
            len += 1;
            letters_in_a_row = 0;
            continue;
        }
        // A separator, and the ASCII ones after it (indentation, padding):
        // one space, unless the output already ends with one.
        while bytes
            .get(i)
            .is_some_and(|&b| FOLD_CLASS[usize::from(b)] == 0)
        {
            i += 1;
        }
        let last = len.checked_sub(1).and_then(|at| out.get(at));
        if last != Some(&b' ') {
            if let Some(slot) = out.get_mut(len) {
                *slot = b' ';
            }
            len += 1;
        }
    }
    out.truncate(len);
    // One pass over the whole output (vectorized), not one per word: the
    // char-by-char rules wrote lower case already, and non-ASCII bytes
    // are left as they are.
    out.make_ascii_lowercase();
    // Only whole chars were copied, so this never fails; lossy just in case.
    let folded = String::from_utf8(out)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
    if may_spell_out {
        join_spelled_out(folded)
    } else {
        folded
    }
}

/// [`fold`]'s byte classes. An ASCII letter, digit, `@` or `$` continues a
/// token; a non-ASCII byte may (an alphanumeric char); the rest separate.
const LETTER: u8 = 1;
const LEET_DIGIT: u8 = 2;
const DIGIT: u8 = 4;
const SIGN: u8 = 8;
const QUOTE: u8 = 16;
const NON_ASCII: u8 = 32;
const IN_TOKEN: u8 = LETTER | LEET_DIGIT | DIGIT | SIGN;
/// A token with both is leetspeak, read a char at a time.
const LEET_MIX: u8 = LETTER | LEET_DIGIT;

static FOLD_CLASS: [u8; 256] = fold_classes();

const fn fold_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = match byte {
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'0' | b'1' | b'3' | b'4' | b'5' | b'7' => LEET_DIGIT,
            b'0'..=b'9' => DIGIT,
            b'@' | b'$' => SIGN,
            b'"' | b'`' => QUOTE,
            0x80.. => NON_ASCII,
            _ => 0,
        };
        b += 1;
    }
    table
}

/// Appends one token (letters, digits, `@`, `$`) folded: leetspeak read as
/// letters when the token mixes both, a lone `@`/`$` as a space, the rest
/// lower-cased.
fn fold_token_by_char(token: &str, out: &mut Vec<u8>) {
    if token.is_ascii() {
        // Most such tokens: versions, package and host names (`x86`,
        // `v1`, `user@host`), many per page of real text; no char decoding.
        let bytes = token.as_bytes();
        let mix = bytes.iter().any(u8::is_ascii_alphabetic)
            && bytes.iter().any(|&b| leet_byte(b).is_some());
        out.extend(bytes.iter().map(|&b| match leet_byte(b) {
            Some(letter) if mix => letter,
            _ if b == b'@' || b == b'$' => b' ',
            _ => b.to_ascii_lowercase(),
        }));
        return;
    }
    let has_letter = token.chars().any(char::is_alphabetic);
    let has_leet = token.chars().any(|c| leet(c).is_some());
    let mut buf = [0u8; 4];
    for c in token.chars() {
        match leet(c) {
            Some(l) if has_letter && has_leet => {
                out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
            }
            _ if c == '@' || c == '$' => out.push(b' '),
            _ => {
                for lower in c.to_lowercase() {
                    out.extend_from_slice(lower.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
}

/// `i g n o r e` → `ignore`: runs of at least four one-letter words are
/// joined (real text rarely has them; evasions do).
fn join_spelled_out(folded: String) -> String {
    let single = |w: &&str| is_one_letter(w.as_bytes());
    if !has_spelled_out_run(&folded) {
        return folded;
    }
    let words: Vec<&str> = folded.split(' ').collect();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < words.len() {
        let run = words[i..].iter().take_while(|w| single(w)).count();
        let piece = if run >= 4 {
            let joined: String = words[i..i + run].concat();
            i += run;
            joined
        } else {
            i += 1;
            words[i - 1].to_string()
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&piece);
    }
    out
}

/// True when `folded` has four one-letter words in a row. One pass over
/// the bytes, nothing collected: every request text goes through this and
/// almost none has such a run.
fn has_spelled_out_run(folded: &str) -> bool {
    let mut run = 0u32;
    for word in folded.as_bytes().split(|&b| b == b' ') {
        run = if is_one_letter(word) { run + 1 } else { 0 };
        if run >= 4 {
            return true;
        }
    }
    false
}

/// `word` is one alphabetic char (ASCII or not).
fn is_one_letter(word: &[u8]) -> bool {
    match word {
        [b] => b.is_ascii_alphabetic(),
        [first, ..] if *first >= 0x80 && word.len() <= 4 => std::str::from_utf8(word)
            .ok()
            .and_then(|w| {
                let mut chars = w.chars();
                let c = chars.next()?;
                chars.next().is_none().then(|| c.is_alphabetic())
            })
            .unwrap_or(false),
        _ => false,
    }
}

fn leet(c: char) -> Option<char> {
    u8::try_from(c).ok().and_then(leet_byte).map(char::from)
}

/// [`leet`] of an ASCII byte.
fn leet_byte(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'@' => b'a',
        b'$' => b's',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn folding_handles_case_spacing_and_leetspeak() {
        assert_eq!(fold("IGNORE   all\nPrevious"), "ignore all previous");
        assert_eq!(fold("1gn0r3 pr3v10us"), "ignore previous");
        assert_eq!(fold("version 2024, v1.2"), "version 2024 vi 2");
        assert_eq!(fold("say “hi” «там»"), "say \"hi\" \"там\"");
    }

    /// The folding rules written plainly, a char at a time: what the one-pass
    /// [`fold`] must agree with.
    fn fold_by_the_rules(text: &str) -> String {
        let mut out = Vec::new();
        let mut token = String::new();
        for c in text.chars().chain(std::iter::once('\0')) {
            if c.is_alphanumeric() || c == '@' || c == '$' {
                token.push(c);
                continue;
            }
            fold_token_by_char(&token, &mut out);
            token.clear();
            if c == '\0' {
                break;
            }
            let sep = if "\"\u{201C}\u{201D}\u{201E}\u{00AB}\u{00BB}`".contains(c) {
                '"'
            } else {
                ' '
            };
            if !(sep == ' ' && out.ends_with(b" ")) {
                out.extend_from_slice(sep.encode_utf8(&mut [0; 4]).as_bytes());
            }
        }
        join_spelled_out(String::from_utf8(out).unwrap())
    }

    /// Each word followed by a separator, the separators taken in turn.
    fn interleaved(words: &[String], separators: &[String]) -> String {
        let mut text = String::new();
        for (word, separator) in words.iter().zip(separators.iter().cycle()) {
            text.push_str(word);
            text.push_str(separator);
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Prose: long runs of words and separators, one-letter words, and
        /// the bytes that need the char-by-char rules (digits, signs,
        /// quotes, non-ASCII) between them.
        #[test]
        fn the_fold_agrees_with_the_rules_on_prose(
            words in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => "[a-zA-Z]{2,9}",
                    1 => "[a-zA-Z]",
                    1 => "(x1|4ll|é|ab@c|\"|`|[0-9]{1,3}|İ|\\$)",
                ],
                0..48,
            ),
            separators in proptest::collection::vec("( |, |\n  |\\. |-|  \\* |\t|\\(|\\)|')", 1..5),
        ) {
            let text = interleaved(&words, &separators);
            proptest::prop_assert_eq!(fold(&text), fold_by_the_rules(&text));
        }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_fold_agrees_with_the_rules(text in "[a-zA-Z0-9@$_ \"“«éЖ٣.,\n\t`—İ-]{0,40}") {
            proptest::prop_assert_eq!(fold(&text), fold_by_the_rules(&text));
        }

        /// One-letter words among separators, quotes and other tokens: the
        /// fold joins a run of four however the rules would.
        #[test]
        fn the_fold_joins_spelled_out_words_as_the_rules_do(
            words in proptest::collection::vec("a|B|é|Ж|İ|ab|4|@|a@|\"|x1", 0..14),
            separators in proptest::collection::vec(" |, |  |\n|\"|-", 1..6),
        ) {
            let text = interleaved(&words, &separators);
            proptest::prop_assert_eq!(fold(&text), fold_by_the_rules(&text));
        }

        /// Long words (copied eight bytes at a time) and tokens whose lower
        /// case is longer than they are (`İ` is 2 bytes, `i̇` 3): the output
        /// outgrows the input.
        #[test]
        fn the_fold_agrees_with_the_rules_on_long_and_growing_tokens(
            text in "(İ{1,12}|[a-zA-Z]{1,20}|[a-z1]{1,12}|[ .,\"])*",
        ) {
            proptest::prop_assert_eq!(fold(&text), fold_by_the_rules(&text));
        }

        #[test]
        fn spelled_out_runs_are_four_one_letter_words(text in proptest::prop_oneof![
            "[ab1éЖ中🙂 ]{0,24}",
            proptest::collection::vec("a|b|é|Ж|中|🙂|ab|1|éé", 0..10).prop_map(|w| w.join(" ")),
        ]) {
            let words: Vec<&str> = text.split(' ').collect();
            let single = |w: &&str| w.chars().count() == 1 && w.chars().all(char::is_alphabetic);
            let expected = words.windows(4).any(|w| w.iter().all(single));
            proptest::prop_assert_eq!(has_spelled_out_run(&text), expected);
        }
    }
}
