// SPDX-License-Identifier: Apache-2.0
//! The text that stands in for a masked value (`[EMAIL_1]`), the text that
//! replaces a redacted one (`[REDACTED:email]`), and the one recognizer of
//! placeholder-shaped tokens that masking, whole-text rehydration and
//! streaming rehydration all share.
//!
//! # Format
//!
//! `[` TYPE `_` ID `]`:
//! - TYPE is UPPER_SNAKE (`[A-Z][A-Z0-9]*(_[A-Z0-9]+)*`), derived from the
//!   detector type id (`email` → `EMAIL`), at most [`MAX_TYPE_LEN`] bytes;
//! - ID is lower-case alphanumeric (`[0-9a-z]+`), at most [`MAX_ID_LEN`]
//!   bytes: a per-type counter (`[EMAIL_1]`), or in deterministic mode the
//!   first 10 hex digits of a keyed hash (`[EMAIL_3f9a2c1b7d]`).
//!
//! Why this shape:
//! - LLMs copy short, bracketed, upper-case tokens verbatim; they are not
//!   translated, re-cased or "corrected" the way natural words are.
//! - Tokenizers do not split them in odd ways across words, so they come back
//!   in one piece (and usually in one or two stream deltas).
//! - `[EMAIL_1]` reads as an obvious stand-in, to the model and to a human.
//! - The brackets delimit the token: the streaming matcher knows where a
//!   candidate starts (`[`) and ends (`]`), and the bounded length caps how
//!   much text it must hold back ([`MAX_PLACEHOLDER_LEN`]).
//!
//! Because TYPE is upper-case and ID is lower-case or digits, the last `_`
//! always separates them, so the grammar is unambiguous and a candidate can be
//! checked one byte at a time by [`Matcher`].
//!
//! Redaction writes `[REDACTED:<type>]`: the `:` and the lower-case type make
//! it not placeholder-shaped, so it can never be rehydrated.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::ops::Range;

/// Longest TYPE part of a placeholder, in bytes (all ASCII).
pub const MAX_TYPE_LEN: usize = 48;
/// Longest ID part of a placeholder: a 10-digit hash, a collision marker and
/// a `u64` counter fit.
pub const MAX_ID_LEN: usize = 32;
/// Longest placeholder, brackets included. The streaming rehydrator holds
/// back at most `MAX_PLACEHOLDER_LEN - 1` bytes.
pub const MAX_PLACEHOLDER_LEN: usize = 1 + MAX_TYPE_LEN + 1 + MAX_ID_LEN + 1;
/// Hex digits of the keyed hash used as ID in deterministic mode (40 bits).
pub const KEYED_ID_HEX_LEN: usize = 10;
/// TYPE used when a type id has no usable characters.
const FALLBACK_TYPE: &str = "VALUE";

/// The TYPE part for a detector type id: `email` → `EMAIL`,
/// `openai_api_key` → `OPENAI_API_KEY`. Characters other than ASCII letters
/// and digits become `_`, runs of `_` collapse, a leading digit gets an `X`
/// prefix, and the result is cut to [`MAX_TYPE_LEN`].
pub fn type_tag(kind: &str) -> String {
    let mut tag = String::with_capacity(kind.len().min(MAX_TYPE_LEN));
    for c in kind.chars() {
        if c.is_ascii_alphanumeric() {
            if tag.is_empty() && c.is_ascii_digit() {
                tag.push('X');
            }
            tag.push(c.to_ascii_uppercase());
        } else if !tag.is_empty() && !tag.ends_with('_') {
            tag.push('_');
        }
        if tag.len() >= MAX_TYPE_LEN {
            break;
        }
    }
    tag.truncate(MAX_TYPE_LEN);
    while tag.ends_with('_') {
        tag.pop();
    }
    if tag.is_empty() {
        tag.push_str(FALLBACK_TYPE);
    }
    tag
}

/// `[TAG_n]`: the counter form. `tag` must come from [`type_tag`].
pub fn counter_placeholder(tag: &str, n: u64) -> String {
    format!("[{tag}_{n}]")
}

/// The redaction text for a detector type id: `[REDACTED:email]`. Never
/// placeholder-shaped, so never rehydrated.
pub fn redaction(kind: &str) -> String {
    let mut name: String = kind
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(MAX_TYPE_LEN)
        .collect();
    if name.is_empty() {
        name.push_str("value");
    }
    format!("[REDACTED:{name}]")
}

/// The secret behind deterministic placeholders: HMAC-SHA256 with the
/// configured `placeholders.deterministic_key`, keyed once per configuration.
#[derive(Clone)]
pub struct PlaceholderKey {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for PlaceholderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlaceholderKey(..)")
    }
}

impl PlaceholderKey {
    /// Keys HMAC-SHA256 with `key` (any length).
    pub fn new(key: &[u8]) -> PlaceholderKey {
        // RFC 2104 §2: a key longer than the block is hashed first, a shorter
        // one is zero-padded to the block. Doing that here lets us use the
        // infallible block-sized constructor instead of `new_from_slice`.
        let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
        if key.len() > block.len() {
            let hashed = Sha256::digest(key);
            for (dst, src) in block.iter_mut().zip(hashed.iter()) {
                *dst = *src;
            }
        } else {
            for (dst, src) in block.iter_mut().zip(key) {
                *dst = *src;
            }
        }
        PlaceholderKey {
            mac: <Hmac<Sha256> as KeyInit>::new(&block),
        }
    }

    /// HMAC-SHA256(key, parts[0] || parts[1] || …).
    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 32];
        for (dst, src) in out.iter_mut().zip(tag.iter()) {
            *dst = *src;
        }
        out
    }

    /// `[TAG_hhhhhhhhhh]`: the first [`KEYED_ID_HEX_LEN`] lower-case hex
    /// digits of HMAC-SHA256(key, TAG || 0x00 || value). TAG is the type as it
    /// appears in the token, so equal tokens imply equal types.
    pub fn placeholder(&self, tag: &str, value: &str) -> String {
        let digest = self.mac(&[tag.as_bytes(), &[0], value.as_bytes()]);
        let mut token = String::with_capacity(tag.len() + KEYED_ID_HEX_LEN + 3);
        token.push('[');
        token.push_str(tag);
        token.push('_');
        push_hex(&mut token, &digest, KEYED_ID_HEX_LEN);
        token.push(']');
        token
    }
}

/// Appends the first `digits` lower-case hex digits of `bytes`.
fn push_hex(out: &mut String, bytes: &[u8], digits: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let nibbles = bytes.iter().flat_map(|b| [b >> 4, b & 0x0f]);
    for nibble in nibbles.take(digits) {
        out.push(char::from(HEX[usize::from(nibble)]));
    }
}

/// Outcome of feeding one byte to a [`Matcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Still a prefix of some placeholder: keep going.
    Continue,
    /// The byte was the closing `]` of a complete placeholder.
    Complete,
    /// The bytes so far (including this one) start no placeholder.
    Reject,
}

/// Byte-at-a-time placeholder recognizer: fed the bytes after a `[`, it says
/// whether they can still become, have become, or can no longer become a
/// placeholder. O(1) per byte. Both [`find_placeholders`] and the streaming
/// rehydrator use it, so they agree on every input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matcher {
    /// Bytes after the `[`.
    len: usize,
    /// Length of the body before the last `_` (the TYPE if the current
    /// segment turns out to be the ID); `None` before the first `_`.
    before_last_underscore: Option<usize>,
    /// Bytes since the last `_` (or since `[`).
    segment_len: usize,
    /// The current segment has an upper-case letter, so it is not the ID.
    segment_has_upper: bool,
    /// The current segment has a lower-case letter, so it is the ID.
    segment_has_lower: bool,
}

impl Matcher {
    /// A matcher positioned just after a `[`.
    pub fn new() -> Matcher {
        Matcher::default()
    }

    /// Bytes consumed after the `[`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first byte after `[`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The current segment can be (a prefix of) the ID.
    fn segment_can_be_id(&self) -> bool {
        self.before_last_underscore
            .is_some_and(|t| t <= MAX_TYPE_LEN)
            && !self.segment_has_upper
            && self.segment_len <= MAX_ID_LEN
    }

    /// The current segment can be (a prefix of) part of the TYPE.
    fn segment_can_be_type(&self) -> bool {
        !self.segment_has_lower && self.len <= MAX_TYPE_LEN
    }

    /// Feeds the next byte. After `Complete` or `Reject` start a new matcher.
    pub fn step(&mut self, byte: u8) -> Step {
        match byte {
            b'A'..=b'Z' => {
                self.len += 1;
                self.segment_len += 1;
                self.segment_has_upper = true;
                if self.segment_can_be_type() {
                    Step::Continue
                } else {
                    Step::Reject
                }
            }
            b'a'..=b'z' | b'0'..=b'9' => {
                if self.len == 0 {
                    // TYPE starts with a letter.
                    return Step::Reject;
                }
                self.len += 1;
                self.segment_len += 1;
                if byte.is_ascii_lowercase() {
                    self.segment_has_lower = true;
                }
                if self.segment_can_be_id() || self.segment_can_be_type() {
                    Step::Continue
                } else {
                    Step::Reject
                }
            }
            b'_' => {
                // No empty segment, no `_` inside the ID, TYPE stays bounded.
                if self.segment_len == 0 || self.segment_has_lower || self.len > MAX_TYPE_LEN {
                    return Step::Reject;
                }
                self.before_last_underscore = Some(self.len);
                self.len += 1;
                self.segment_len = 0;
                self.segment_has_upper = false;
                self.segment_has_lower = false;
                Step::Continue
            }
            b']' => {
                if self.segment_len > 0 && self.segment_can_be_id() {
                    Step::Complete
                } else {
                    Step::Reject
                }
            }
            _ => Step::Reject,
        }
    }
}

/// True when the whole of `s` is one placeholder-shaped token.
pub fn is_placeholder(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some((&b'[', rest)) = bytes.split_first() else {
        return false;
    };
    let mut matcher = Matcher::new();
    for (i, &b) in rest.iter().enumerate() {
        match matcher.step(b) {
            Step::Continue => {}
            Step::Complete => return i + 1 == rest.len(),
            Step::Reject => return false,
        }
    }
    false
}

/// Every placeholder-shaped token in `text`, left to right, as (byte range,
/// token). Tokens never overlap: a token contains no `[` after its first
/// byte, so at most one candidate is open at a time. O(len).
pub fn find_placeholders(text: &str) -> Placeholders<'_> {
    Placeholders { text, pos: 0 }
}

/// Iterator returned by [`find_placeholders`].
#[derive(Debug, Clone)]
pub struct Placeholders<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Placeholders<'a> {
    type Item = (Range<usize>, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        while let Some(offset) = memchr::memchr(b'[', bytes.get(self.pos..)?) {
            let start = self.pos + offset;
            let mut matcher = Matcher::new();
            let mut i = start + 1;
            let end = loop {
                let Some(&b) = bytes.get(i) else {
                    break None;
                };
                match matcher.step(b) {
                    Step::Continue => i += 1,
                    Step::Complete => break Some(i + 1),
                    Step::Reject => break None,
                }
            };
            match end {
                Some(end) => {
                    self.pos = end;
                    // Placeholders are ASCII, so these are char boundaries.
                    let token = self.text.get(start..end)?;
                    return Some((start..end, token));
                }
                // The rejected byte may itself be a `[`: resume at it. The
                // bytes before it were accepted, so none of them is a `[`.
                None => self.pos = i,
            }
        }
        self.pos = bytes.len();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<&str> {
        find_placeholders(text).map(|(_, t)| t).collect()
    }

    #[test]
    fn shapes() {
        for ok in [
            "[EMAIL_1]",
            "[PHONE_NUMBER_2]",
            "[OPENAI_API_KEY_1]",
            "[EMAIL_3f9a2c1b7d]",
            "[EMAIL_3f9a2c1b7dx2]",
            "[IPV4_12]",
            "[X_12_1]",
            "[A_b]",
        ] {
            assert!(is_placeholder(ok), "{ok}");
            assert_eq!(tokens(ok), [ok], "{ok}");
        }
        for bad in [
            "[]",
            "[EMAIL]",
            "[EMAIL_]",
            "[email_1]",
            "[1_1]",
            "[_EMAIL_1]",
            "[EMAIL__1]",
            "[EMAIL_1_]",
            "[EMAIL_A1b]",
            "[EMAIL_ab_1]",
            "[EMAIL_1 ]",
            "[ EMAIL_1]",
            "[REDACTED:email]",
            "[Email_1]",
            "EMAIL_1]",
            "[EMAIL_1",
            "[EMAIL-1]",
            "[ÉMAIL_1]",
        ] {
            assert!(!is_placeholder(bad), "{bad}");
            assert!(tokens(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn length_bounds_are_exact() {
        let max_type = "A".repeat(MAX_TYPE_LEN);
        let max_id = "9".repeat(MAX_ID_LEN);
        let longest = format!("[{max_type}_{max_id}]");
        assert_eq!(longest.len(), MAX_PLACEHOLDER_LEN);
        assert!(is_placeholder(&longest));
        assert!(!is_placeholder(&format!("[A{max_type}_1]")));
        assert!(!is_placeholder(&format!("[{max_type}_{max_id}0]")));
        // A digit segment longer than an ID can still be part of the TYPE...
        assert!(is_placeholder(&format!("[A_{}_1]", "1".repeat(40))));
        // ...but not once the TYPE would exceed its bound.
        assert!(!is_placeholder(&format!("[A_{}_1]", "1".repeat(47))));
        assert!(!is_placeholder(&format!(
            "[A_{}]",
            "b".repeat(MAX_ID_LEN + 1)
        )));
    }

    #[test]
    fn matcher_rejects_as_soon_as_no_placeholder_can_follow() {
        // The streaming hold-back relies on this: a run of upper-case letters
        // is released at the first byte that makes the TYPE too long.
        let mut m = Matcher::new();
        for _ in 0..MAX_TYPE_LEN {
            assert_eq!(m.step(b'A'), Step::Continue);
        }
        assert_eq!(m.step(b'A'), Step::Reject);
        let mut m = Matcher::new();
        for &b in b"EMAIL_3f" {
            assert_eq!(m.step(b), Step::Continue);
        }
        assert_eq!(m.step(b'_'), Step::Reject);
        let mut m = Matcher::new();
        for &b in b"EMAIL_1" {
            assert_eq!(m.step(b), Step::Continue);
        }
        assert_eq!(m.step(b']'), Step::Complete);
    }

    #[test]
    fn finds_tokens_in_text_and_resumes_after_rejects() {
        let text = "mail [EMAIL_1], [[PHONE_2]] and [NOTE [A_1][B_2]x [EMAIL_ tail";
        let found: Vec<_> = find_placeholders(text).collect();
        let expected: Vec<&str> = vec!["[EMAIL_1]", "[PHONE_2]", "[A_1]", "[B_2]"];
        assert_eq!(found.iter().map(|(_, t)| *t).collect::<Vec<_>>(), expected);
        for (range, token) in found {
            assert_eq!(&text[range], token);
        }
        assert_eq!(tokens("é[EMAIL_1]é"), ["[EMAIL_1]"]);
    }

    #[test]
    fn type_tags() {
        for (kind, tag) in [
            ("email", "EMAIL"),
            ("phone_number", "PHONE_NUMBER"),
            ("openai_api_key", "OPENAI_API_KEY"),
            ("ipv4", "IPV4"),
            ("foo-bar..baz_", "FOO_BAR_BAZ"),
            ("_x", "X"),
            ("9lives", "X9LIVES"),
            ("", "VALUE"),
            ("ééé", "VALUE"),
        ] {
            assert_eq!(type_tag(kind), tag, "{kind}");
            assert!(is_placeholder(&counter_placeholder(&type_tag(kind), 7)));
        }
        let long = type_tag(&"ab_".repeat(40));
        assert!(long.len() <= MAX_TYPE_LEN && !long.ends_with('_'), "{long}");
        assert!(is_placeholder(&counter_placeholder(&long, u64::MAX)));
    }

    #[test]
    fn redaction_is_never_placeholder_shaped() {
        assert_eq!(redaction("email"), "[REDACTED:email]");
        assert_eq!(redaction("Foo-Bar"), "[REDACTED:foo_bar]");
        assert_eq!(redaction(""), "[REDACTED:value]");
        assert!(tokens(&redaction("email")).is_empty());
    }

    fn hex(bytes: &[u8]) -> String {
        let mut s = String::new();
        for b in bytes {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    #[test]
    fn hmac_matches_rfc4231() {
        // RFC 4231 test case 2 (short key) and 6 (key longer than a block).
        let key = PlaceholderKey::new(b"Jefe");
        assert_eq!(
            hex(&key.mac(&[b"what do ya want ", b"for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let key = PlaceholderKey::new(&[0xaa; 131]);
        assert_eq!(
            hex(&key.mac(&[b"Test Using Larger Than Block-Size Key - Hash Key First"])),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn keyed_placeholder_is_hmac_prefix() {
        let key = PlaceholderKey::new(b"0123456789abcdef-test-key");
        let token = key.placeholder("EMAIL", "alice@example.test");
        let full = hex(&key.mac(&[b"EMAIL", &[0], b"alice@example.test"]));
        assert_eq!(token, format!("[EMAIL_{}]", &full[..KEYED_ID_HEX_LEN]));
        assert!(is_placeholder(&token));
        // The 0x00 separator keeps (type, value) pairs apart.
        let ab_c = key.placeholder("AB", "C");
        let a_bc = key.placeholder("A", "BC");
        assert_ne!(
            ab_c.trim_start_matches("[AB_"),
            a_bc.trim_start_matches("[A_")
        );
    }
}
