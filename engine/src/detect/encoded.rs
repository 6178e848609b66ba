// SPDX-License-Identifier: Apache-2.0
//! Values wrapped in base64 or hex.
//!
//! A key or an email encoded as base64 (`c2stcHJvai0…`) or hex
//! (`736b2d70…`) is one decode away from readable, and a model decodes it
//! happily. The scanner finds long runs of either alphabet, decodes those
//! that turn into printable text, runs the detectors over the decoded text
//! (one level: no recursion) and reports any hit as a finding covering the
//! WHOLE encoded run, so a mask or a block takes the blob as a unit.

use super::lookahead::next_window;
use crate::swar::byte_table;

/// Shortest run worth decoding: 24 base64 chars hold 18 bytes, about the
/// shortest secret the detectors recognise.
const MIN_RUN: usize = 24;
/// Longest run decoded; bigger blobs are documents or images, not values.
const MAX_RUN: usize = 64 * 1024;

/// A run of the encoded text and what it decodes to.
#[derive(Debug, PartialEq)]
pub(crate) struct Blob {
    /// Byte range of the run in the scanned text.
    pub start: usize,
    pub end: usize,
    pub decoded: String,
}

/// Every run of `text` that decodes (base64, base64url or hex) to printable
/// UTF-8 text.
pub(crate) fn blobs(text: &str) -> Vec<Blob> {
    candidate_runs(text.as_bytes())
        .into_iter()
        .filter_map(|(start, end)| {
            let decoded = decode(text.get(start..end)?)?;
            Some(Blob {
                start,
                end,
                decoded,
            })
        })
        .collect()
}

/// Byte ranges of the alphabet runs, with their `=` padding, of
/// `MIN_RUN..=MAX_RUN` bytes. Every request text goes through this and prose
/// has no such run, so it jumps between the places where `MIN_RUN` alphabet
/// or padding bytes follow ([`next_window`]: a few bytes read per word).
fn candidate_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = next_window(bytes, i, MIN_RUN, |b| ALPHABET_OR_PAD[usize::from(b)]) {
        i = at;
        // Stray padding (only `=` and alphabet bytes are ahead).
        if bytes.get(i) == Some(&b'=') {
            while bytes.get(i) == Some(&b'=') {
                i += 1;
            }
            continue;
        }
        let start = i;
        while bytes.get(i).copied().is_some_and(is_alphabet) {
            i += 1;
        }
        // Padding belongs to the run.
        while bytes.get(i) == Some(&b'=') && i - start < MAX_RUN {
            i += 1;
        }
        if (MIN_RUN..=MAX_RUN).contains(&(i - start)) {
            out.push((start, i));
        }
    }
    out
}

/// A byte of the base64 or base64url alphabet (the injection detector's
/// payload search shares it).
pub(crate) fn is_alphabet(b: u8) -> bool {
    ALPHABET[usize::from(b)]
}

/// The base64 and base64url alphabets: every byte of a text's long runs is
/// classified.
const ALPHABET: [bool; 256] =
    byte_table!(b => b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'));

/// [`ALPHABET`] and the `=` of padding: what a run's window may hold.
const ALPHABET_OR_PAD: [bool; 256] = byte_table!(b => ALPHABET[b as usize] || b == b'=');

/// The run decoded as hex (even length, hex digits only) or else base64
/// (standard or URL-safe, padding optional), if the result is printable text.
fn decode(run: &str) -> Option<String> {
    let bytes = if run.len().is_multiple_of(2) && run.bytes().all(|b| b.is_ascii_hexdigit()) {
        decode_hex(run)?
    } else {
        decode_base64(run)?
    };
    let text = String::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    printable.then_some(text)
}

fn decode_hex(run: &str) -> Option<Vec<u8>> {
    run.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hex = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(hex, 16).ok()
        })
        .collect()
}

fn decode_base64(run: &str) -> Option<Vec<u8>> {
    let body = run.trim_end_matches('=');
    let url_safe = body.contains(['-', '_']);
    if url_safe && body.contains(['+', '/']) {
        return None; // mixed alphabets: not base64
    }
    super::base64::decode(run, run.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs a byte at a time, without looking ahead: what
    /// [`candidate_runs`] must agree with.
    fn runs_by_the_rules(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if !is_alphabet(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_alphabet(bytes[i]) {
                i += 1;
            }
            while i < bytes.len() && bytes[i] == b'=' && i - start < MAX_RUN {
                i += 1;
            }
            if (MIN_RUN..=MAX_RUN).contains(&(i - start)) {
                out.push((start, i));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn looking_ahead_finds_the_runs_the_rules_find(
            pieces in proptest::collection::vec(
                proptest::prop_oneof!["[a-z0-9+/_-]{1,40}", "[ .=é\n]{1,3}", "={1,4}"],
                0..16,
            )
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(
                candidate_runs(text.as_bytes()),
                runs_by_the_rules(text.as_bytes())
            );
        }
    }

    #[test]
    fn base64_and_hex_runs_decode_to_their_text() {
        let text = "a c2stcHJvai1hYmNkZWZnaGlqa2xtbm9w b 736b2d70726f6a2d6162636465666768 c";
        let found = blobs(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].decoded, "sk-proj-abcdefghijklmnop");
        assert_eq!(
            text.get(found[0].start..found[0].end),
            Some("c2stcHJvai1hYmNkZWZnaGlqa2xtbm9w")
        );
        assert_eq!(found[1].decoded, "sk-proj-abcdefgh");
    }

    #[test]
    fn padding_and_url_safe_alphabet() {
        // "subjects?_>>~~ data" in base64url keeps '-' and '_'
        let found = blobs("x c3ViamVjdHM_Pj5-fiBkYXRhIGhlcmU= y");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].decoded, "subjects?>>~~ data here");
        assert_eq!(found[0].end, "x c3ViamVjdHM_Pj5-fiBkYXRhIGhlcmU=".len());
    }

    #[test]
    fn keys_words_and_binary_are_not_blobs() {
        for text in [
            // a key is in the base64url alphabet but decodes to bytes, not text
            "sk-proj-T7vQm2XpL9aR4sWn8YbE3cJf6HkD1uGz5NtV0iOqAb3Cd5Ef",
            "supercalifragilisticexpialidocious_and_more_words",
            "short c2stcHJvag== run",
            // binary (a PNG header) is not printable text
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB",
            "0123456789abcdef0123456789abcdef",
        ] {
            assert!(blobs(text).is_empty(), "{text}: {:?}", blobs(text));
        }
    }
}
