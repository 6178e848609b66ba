// SPDX-License-Identifier: Apache-2.0
//! The request-scoped map between placeholders and the values they stand
//! for: filled while the request is masked, read while the response is
//! rehydrated, dropped with the request.
//!
//! # Collision canary
//!
//! A placeholder-shaped token that is already in the request (a user typing
//! `[EMAIL_1]`, a pasted transcript, a tool result echoing an earlier
//! placeholder) must never come back as somebody's value. The rule is the
//! simplest safe one: every token [`Vault::reserve_input`] sees is *poisoned*:
//! it is never generated for a value and never rehydrated. Counters skip
//! poisoned tokens; in deterministic mode a generated token that collides with
//! a poisoned (or already used) one gets a suffix (`[EMAIL_3f9a2c1b7dx2]`).
//!
//! In deterministic mode an input token equal to the keyed token of a value
//! in the same request would be safe to restore (the caller sent that value),
//! but it stays poisoned anyway: the user may mean the literal text, and one
//! rule for both modes is easier to trust. The cost is that such a value is
//! masked under a suffixed token in that request.
//!
//! Values are never logged: `Debug` prints counts only.
//!
//! Maps are `BTreeMap`s: no hasher randomness needed on wasm, no hash
//! flooding, and the sizes are bounded by `max_entries`.

use crate::placeholder::{self, PlaceholderKey};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The vault already holds `max_entries` distinct values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultFull {
    /// The limit that was reached (`limits.max_vault_entries`).
    pub max_entries: usize,
}

impl fmt::Display for VaultFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "more than {} distinct masked values in one request",
            self.max_entries
        )
    }
}

impl std::error::Error for VaultFull {}

/// How a restored value is written into the text around its placeholder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValueEscape {
    /// As is: the text is prose.
    #[default]
    None,
    /// Escaped as the inside of a JSON string: the text is JSON source (tool
    /// call arguments), where a placeholder always sits inside a string
    /// literal, and a raw `"` or `\` in the value would break the document.
    JsonString,
}

impl ValueEscape {
    /// Appends `value` to `out`, escaped.
    pub fn write(self, value: &str, out: &mut String) {
        match self {
            ValueEscape::None => out.push_str(value),
            ValueEscape::JsonString => {
                let quoted = serde_json::Value::String(value.to_owned()).to_string();
                let inner = quoted
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(&quoted);
                out.push_str(inner);
            }
        }
    }
}

/// Placeholders of one request and the values behind them.
#[derive(Clone)]
pub struct Vault {
    key: Option<PlaceholderKey>,
    max_entries: usize,
    /// Placeholder → original value.
    by_token: BTreeMap<String, String>,
    /// (type tag, original value) → placeholder.
    by_value: BTreeMap<(String, String), String>,
    /// Tokens seen in the input: never generated, never restored.
    poisoned: BTreeSet<String>,
    /// Next counter to try, per type tag (counter mode).
    counters: BTreeMap<String, u64>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("deterministic", &self.key.is_some())
            .field("entries", &self.by_token.len())
            .field("poisoned", &self.poisoned.len())
            .field("max_entries", &self.max_entries)
            .finish()
    }
}

impl Vault {
    /// An empty vault. With `key` (`placeholders.deterministic_key`),
    /// placeholders are keyed hashes of the value; without, per-type counters.
    pub fn new(key: Option<&[u8]>, max_entries: usize) -> Vault {
        Vault::with_key(key.map(PlaceholderKey::new), max_entries)
    }

    /// Like [`Vault::new`] with a key prepared once per configuration.
    pub fn with_key(key: Option<PlaceholderKey>, max_entries: usize) -> Vault {
        Vault {
            key,
            max_entries,
            by_token: BTreeMap::new(),
            by_value: BTreeMap::new(),
            poisoned: BTreeSet::new(),
            counters: BTreeMap::new(),
        }
    }

    /// Records every placeholder-shaped token in request input `text` as
    /// poisoned. Call it on every input string before masking any of them.
    /// A token the vault already assigned is withdrawn (fail safe: it stays a
    /// placeholder in the response); a later `mask` of its value gets a new
    /// token.
    pub fn reserve_input(&mut self, text: &str) {
        for (_, token) in placeholder::find_placeholders(text) {
            if self.poisoned.contains(token) {
                continue;
            }
            if let Some(value) = self.by_token.remove(token) {
                self.by_value
                    .retain(|(_, v), t| !(v == &value && t == token));
            }
            self.poisoned.insert(token.to_owned());
        }
    }

    /// The placeholder for `original`, a value of detector type `kind`. The
    /// same (type, value) always gets the same placeholder within the vault;
    /// distinct values never share one.
    pub fn mask(&mut self, kind: &str, original: &str) -> Result<String, VaultFull> {
        let tag = placeholder::type_tag(kind);
        let lookup_key = (tag, original.to_owned());
        if let Some(token) = self.by_value.get(&lookup_key) {
            return Ok(token.clone());
        }
        if self.by_token.len() >= self.max_entries {
            return Err(VaultFull {
                max_entries: self.max_entries,
            });
        }
        let token = self.fresh_token(&lookup_key.0, original);
        self.by_token.insert(token.clone(), original.to_owned());
        self.by_value.insert(lookup_key, token.clone());
        Ok(token)
    }

    fn is_taken(&self, token: &str) -> bool {
        self.by_token.contains_key(token) || self.poisoned.contains(token)
    }

    /// A token for `tag` that is neither assigned nor poisoned.
    fn fresh_token(&mut self, tag: &str, original: &str) -> String {
        if let Some(key) = &self.key {
            let base = key.placeholder(tag, original);
            if !self.is_taken(&base) {
                return base;
            }
            // `[TAG_hhhhhhhhhh]` → `[TAG_hhhhhhhhhhxN]`. Terminates: only
            // finitely many tokens are taken.
            let stem = base.strip_suffix(']').unwrap_or(&base);
            let mut n: u64 = 2;
            loop {
                let candidate = format!("{stem}x{n}]");
                if !self.is_taken(&candidate) {
                    return candidate;
                }
                n = n.saturating_add(1);
            }
        }
        let mut n = self.counters.get(tag).copied().unwrap_or(1);
        loop {
            let candidate = placeholder::counter_placeholder(tag, n);
            n = n.saturating_add(1);
            if !self.is_taken(&candidate) {
                self.counters.insert(tag.to_owned(), n);
                return candidate;
            }
        }
    }

    /// The value behind `placeholder`; `None` for unknown and poisoned tokens.
    pub fn lookup(&self, placeholder: &str) -> Option<&str> {
        self.by_token.get(placeholder).map(String::as_str)
    }

    /// `text` with every known placeholder replaced by its value; unknown and
    /// poisoned ones are left as they are. Borrows when nothing changes.
    pub fn rehydrate<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.rehydrate_escaped(text, ValueEscape::None)
    }

    /// [`Vault::rehydrate`] writing each value with `escape`.
    pub fn rehydrate_escaped<'t>(&self, text: &'t str, escape: ValueEscape) -> Cow<'t, str> {
        if self.by_token.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out: Option<String> = None;
        let mut copied = 0;
        for (range, token) in placeholder::find_placeholders(text) {
            let Some(value) = self.lookup(token) else {
                continue;
            };
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(text.get(copied..range.start).unwrap_or_default());
            escape.write(value, buf);
            copied = range.end;
        }
        match out {
            Some(mut buf) => {
                buf.push_str(text.get(copied..).unwrap_or_default());
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(text),
        }
    }

    /// Distinct masked values.
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    /// True when nothing was masked.
    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }

    /// Poisoned tokens seen in the input.
    pub fn poisoned_len(&self) -> usize {
        self.poisoned.len()
    }
}

#[cfg(test)]
mod tests;
