// SPDX-License-Identifier: Apache-2.0
//! Restores placeholders in text that arrives in deltas split anywhere.
//!
//! Text outside a candidate is emitted at once. From a `[` on, bytes are fed
//! to the shared [`Matcher`]; while they can still become a placeholder they
//! are held back (at most `MAX_PLACEHOLDER_LEN - 1` bytes). On `]` the token
//! is replaced by its value (or kept if unknown or poisoned); on any byte
//! that cannot continue it, the held bytes are emitted unchanged and that
//! byte is looked at again (it may open a new candidate). Only one candidate
//! can be open: a placeholder contains no `[` after its first byte.
//!
//! Each input byte is examined at most twice, so the work is O(total length)
//! whatever the split, and the output equals [`Vault::rehydrate_escaped`] of
//! the whole text.

use super::DeltaTransform;
use crate::placeholder::{Matcher, Step};
use crate::vault::{ValueEscape, Vault};
use std::borrow::Borrow;

/// Streaming placeholder restorer over a vault held as `V` (`&Vault`,
/// `Arc<Vault>`, `Rc<Vault>`, …).
pub struct Rehydrator<V: Borrow<Vault>> {
    vault: V,
    escape: ValueEscape,
    /// `[` and the bytes after it the matcher accepted; empty when no
    /// candidate is open. Always ASCII.
    held: String,
    matcher: Matcher,
}

impl<V: Borrow<Vault>> std::fmt::Debug for Rehydrator<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The held bytes are a placeholder prefix, not a value, but keep the
        // output to sizes like the vault does.
        f.debug_struct("Rehydrator")
            .field("escape", &self.escape)
            .field("held_bytes", &self.held.len())
            .finish()
    }
}

impl<V: Borrow<Vault>> Rehydrator<V> {
    /// Restores values as they are (prose).
    pub fn new(vault: V) -> Self {
        Rehydrator::with_escape(vault, ValueEscape::None)
    }

    /// Restores values written with `escape` (e.g. inside JSON source).
    pub fn with_escape(vault: V, escape: ValueEscape) -> Self {
        Rehydrator {
            vault,
            escape,
            held: String::new(),
            matcher: Matcher::new(),
        }
    }

    /// Bytes currently held back.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    fn emit_token(&mut self, out: &mut String) {
        match self.vault.borrow().lookup(&self.held) {
            Some(value) => self.escape.write(value, out),
            None => out.push_str(&self.held),
        }
        self.held.clear();
    }
}

impl<V: Borrow<Vault>> DeltaTransform for Rehydrator<V> {
    fn push(&mut self, delta: &str) -> String {
        let mut out = String::with_capacity(delta.len() + self.held.len());
        let bytes = delta.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.held.is_empty() {
                let rest = delta.get(i..).unwrap_or_default();
                match rest.find('[') {
                    None => {
                        out.push_str(rest);
                        break;
                    }
                    Some(offset) => {
                        out.push_str(rest.get(..offset).unwrap_or_default());
                        self.held.push('[');
                        self.matcher = Matcher::new();
                        i += offset + 1;
                    }
                }
                continue;
            }
            let Some(&byte) = bytes.get(i) else { break };
            match self.matcher.step(byte) {
                Step::Continue => {
                    // The matcher only continues on ASCII bytes.
                    self.held.push(char::from(byte));
                    i += 1;
                }
                Step::Complete => {
                    self.held.push(']');
                    self.emit_token(&mut out);
                    i += 1;
                }
                Step::Reject => {
                    // Not a placeholder. `i` is on a char boundary (only
                    // ASCII was accepted since the `[`); look at it again.
                    out.push_str(&self.held);
                    self.held.clear();
                }
            }
        }
        out
    }

    fn finish(&mut self) -> String {
        self.matcher = Matcher::new();
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placeholder::MAX_PLACEHOLDER_LEN;
    use proptest::prelude::*;

    fn vault() -> Vault {
        let mut v = Vault::new(None, 64);
        v.reserve_input("typed by the user: [EMAIL_1]");
        assert_eq!(v.mask("email", "alice@example.test").unwrap(), "[EMAIL_2]");
        assert_eq!(
            v.mask("phone_number", "+1 555 0100").unwrap(),
            "[PHONE_NUMBER_1]"
        );
        assert_eq!(v.mask("person", "Zoë \"Z\" O'Neil").unwrap(), "[PERSON_1]");
        v
    }

    fn stream(vault: &Vault, escape: ValueEscape, pieces: &[&str]) -> String {
        let mut r = Rehydrator::with_escape(vault, escape);
        let mut out = String::new();
        for p in pieces {
            out.push_str(&r.push(p));
            assert!(r.held_len() < MAX_PLACEHOLDER_LEN);
        }
        out.push_str(&r.finish());
        assert_eq!(r.held_len(), 0);
        out
    }

    const TEXTS: &[&str] = &[
        "Write to [EMAIL_2] or call [PHONE_NUMBER_1].",
        "[EMAIL_2][EMAIL_2][PHONE_NUMBER_1]",
        "user typed [EMAIL_1], unknown [EMAIL_9], real [EMAIL_2]",
        "[[EMAIL_2]] [EMAIL_[EMAIL_2] [EMAIL_2 ] [A [PERSON_1]",
        "ends mid token [PHONE_NUMB",
        "ends with bracket [",
        "ünïcödé — [PERSON_1] 日本語 [EMAIL_2]é",
        "[REDACTED:email] stays, [EMAIL_2] goes",
        "",
        "no brackets at all",
    ];

    #[test]
    fn every_single_split_matches_whole_text() {
        let vault = vault();
        for escape in [ValueEscape::None, ValueEscape::JsonString] {
            for text in TEXTS {
                let whole = vault.rehydrate_escaped(text, escape);
                for (cut, _) in text.char_indices().chain([(text.len(), ' ')]) {
                    let (a, b) = text.split_at(cut);
                    assert_eq!(stream(&vault, escape, &[a, b]), whole, "{text:?} at {cut}");
                    assert_eq!(stream(&vault, escape, &[a, "", b, ""]), whole);
                }
            }
        }
    }

    #[test]
    fn char_by_char_and_known_results() {
        let vault = vault();
        let text = TEXTS[0];
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(
            stream(&vault, ValueEscape::None, &pieces),
            "Write to alice@example.test or call +1 555 0100."
        );
        assert_eq!(
            stream(
                &vault,
                ValueEscape::None,
                &["typed [EMA", "IL_1] real [EMA", "IL_2]"]
            ),
            "typed [EMAIL_1] real alice@example.test"
        );
        assert_eq!(
            stream(
                &vault,
                ValueEscape::JsonString,
                &["{\"n\":\"[PERS", "ON_1]\"}"]
            ),
            r#"{"n":"Zoë \"Z\" O'Neil"}"#
        );
    }

    #[test]
    fn holds_back_only_a_possible_placeholder() {
        let vault = vault();
        let mut r = Rehydrator::new(&vault);
        assert_eq!(r.push("Hello [EMAIL"), "Hello ");
        assert_eq!(r.held_len(), "[EMAIL".len());
        assert_eq!(r.push("s] and [x"), "[EMAILs] and [x");
        assert_eq!(r.held_len(), 0);
        let long = format!("[{}", "A".repeat(200));
        assert_eq!(r.push(&long), long);
        assert_eq!(r.finish(), "");
    }

    fn texts_with_placeholders() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[EMAIL_2]".to_string()),
            Just("[EMAIL_1]".to_string()),
            Just("[PHONE_NUMBER_1]".to_string()),
            Just("[PERSON_1]".to_string()),
            Just("[EMAIL_".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            "[A-Z_0-9a-z]{0,6}",
            "[ a-zé日.,]{0,8}",
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn any_multi_split_matches_whole_text(
            text in texts_with_placeholders(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
            json in any::<bool>(),
        ) {
            let vault = vault();
            let escape = if json { ValueEscape::JsonString } else { ValueEscape::None };
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let mut at: Vec<usize> = cuts.iter().map(|c| boundaries[c.index(boundaries.len())]).collect();
            at.sort_unstable();
            let mut pieces = Vec::new();
            let mut prev = 0;
            for cut in at {
                pieces.push(&text[prev..cut]);
                prev = cut;
            }
            pieces.push(&text[prev..]);
            prop_assert_eq!(stream(&vault, escape, &pieces), vault.rehydrate_escaped(&text, escape));
        }

        #[test]
        fn every_split_of_random_text_matches_whole_text(text in texts_with_placeholders()) {
            let vault = vault();
            let whole = vault.rehydrate(&text);
            for (cut, _) in text.char_indices() {
                let (a, b) = text.split_at(cut);
                prop_assert_eq!(stream(&vault, ValueEscape::None, &[a, b]), whole.clone());
            }
        }
    }
}
