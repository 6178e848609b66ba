// SPDX-License-Identifier: Apache-2.0
//! Remembers what was found in recently scanned texts.
//!
//! Chat APIs resend the whole conversation with every request, so the same
//! messages are scanned again and again: each turn would cost the length of
//! the whole history. Texts are keyed by their BLAKE3 hash (with whatever
//! else the answer depends on; a cryptographic hash, so no one can craft a
//! text that answers for another, and about twice as fast as SHA-256 in
//! wasm), so a cache keeps no text, only offsets and types;
//! what is cached is a pure function of the configuration and the key, so a
//! hit answers exactly what a scan would.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// BLAKE3 of a text and of what else its answer depends on.
pub(crate) type Key = [u8; 32];

/// The key of `text` scanned under `context` (empty when nothing else
/// matters); the context's length is hashed first, so no split of the same
/// bytes between the two gives the same key.
pub(crate) fn key(context: &[u8], text: &str) -> Key {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(context.len() as u64).to_le_bytes());
    hasher.update(context);
    hasher.update(text.as_bytes());
    hasher.finalize().into()
}

/// A bounded map key → value, evicting the oldest entry first.
pub(crate) struct TextCache<V> {
    capacity: usize,
    inner: Mutex<Entries<V>>,
}

/// Shows the capacity and the fill, never the entries.
impl<V> std::fmt::Debug for TextCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.inner.lock().map_or(0, |e| e.order.len());
        f.debug_struct("TextCache")
            .field("capacity", &self.capacity)
            .field("len", &len)
            .finish()
    }
}

struct Entries<V> {
    values: HashMap<Key, V>,
    order: VecDeque<Key>,
}

impl<V: Clone> TextCache<V> {
    /// A cache of at most `capacity` texts (0: caching off).
    pub(crate) fn new(capacity: usize) -> TextCache<V> {
        TextCache {
            capacity,
            inner: Mutex::new(Entries {
                values: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// Caching is on.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// The cached value of `key`.
    pub(crate) fn get(&self, key: &Key) -> Option<V> {
        if !self.is_on() {
            return None;
        }
        self.inner.lock().ok()?.values.get(key).cloned()
    }

    /// Remembers `value` for `key`, evicting the oldest entries over
    /// capacity.
    pub(crate) fn insert(&self, key: Key, value: V) {
        if !self.is_on() {
            return;
        }
        let Ok(mut entries) = self.inner.lock() else {
            return;
        };
        if entries.values.contains_key(&key) {
            return;
        }
        while entries.order.len() >= self.capacity {
            match entries.order.pop_front() {
                Some(old) => {
                    entries.values.remove(&old);
                }
                None => break,
            }
        }
        entries.order.push_back(key);
        entries.values.insert(key, value);
    }

    /// The cached value of `text`, or `compute()` (remembered when it
    /// succeeds; errors are never cached). The lock is not held while
    /// computing: two threads may compute one text once each, harmlessly.
    #[cfg(any(feature = "ner", test))]
    pub(crate) fn get_or_try<E>(
        &self,
        text: &str,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if !self.is_on() {
            return compute();
        }
        let key = key(&[], text);
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let value = compute()?;
        self.insert(key, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    type SpanCache = TextCache<Vec<usize>>;

    fn span(start: usize) -> usize {
        start
    }

    #[test]
    fn hits_skip_the_computation_and_old_entries_are_evicted() {
        let cache = SpanCache::new(2);
        let calls = Cell::new(0);
        let get = |text: &str, at: usize| {
            cache
                .get_or_try::<()>(text, || {
                    calls.set(calls.get() + 1);
                    Ok(vec![span(at)])
                })
                .unwrap()
        };
        assert_eq!(get("a", 1), [span(1)]);
        assert_eq!(get("a", 9), [span(1)], "served from the cache");
        assert_eq!(calls.get(), 1);
        get("b", 2);
        get("c", 3); // evicts "a"
        assert_eq!(get("a", 4), [span(4)]);
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn errors_are_not_cached_and_capacity_zero_never_caches() {
        let cache = SpanCache::new(4);
        assert_eq!(cache.get_or_try("x", || Err("boom")), Err("boom"));
        assert_eq!(
            cache.get_or_try::<()>("x", || Ok(vec![span(1)])),
            Ok(vec![span(1)])
        );
        let off = SpanCache::new(0);
        assert_eq!(
            off.get_or_try::<()>("x", || Ok(vec![span(1)])),
            Ok(vec![span(1)])
        );
        assert_eq!(
            off.get_or_try::<()>("x", || Ok(vec![span(2)])),
            Ok(vec![span(2)])
        );
    }
}

#[cfg(test)]
mod key_tests {
    use super::key;

    #[test]
    fn the_context_is_part_of_the_key_and_cannot_slide_into_the_text() {
        assert_eq!(key(b"p", "text"), key(b"p", "text"));
        assert_ne!(key(b"p", "text"), key(b"q", "text"));
        assert_ne!(key(b"pt", "ext"), key(b"p", "text"));
        assert_ne!(key(b"", "text"), key(b"p", "text"));
    }

    fn hex(key: [u8; 32]) -> String {
        key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Known answers from an independent BLAKE3 (the Python `blake3`
    /// package) over the same framing. The wasm suite runs the crate's
    /// simd128 code (`wasm32_simd`), natively its x86 code: both must give
    /// BLAKE3 itself, for one block, one chunk and several chunks.
    #[test]
    fn keys_are_blake3_of_the_framed_input() {
        let long: String = (0..5000u32)
            .map(|i| char::from(32 + ((i * 7 + 3) % 95) as u8))
            .collect();
        let cases: [(&[u8], &str, &str); 3] = [
            (
                b"",
                "",
                "71e0a99173564931c0b8acc52d2685a8e39c64dc52e3d02390fdac2a12b155cb",
            ),
            (
                b"\x01\x00",
                "hello world",
                "e1f7eafa73b59bf2d10b3b83ba0f69db1bcb84ab838dee51bf3148cde83530f6",
            ),
            (
                b"\x01\x01",
                &long,
                "8598c77015f1052023dbb8b5a16f3f1f6e46549031387d4c244dbb9cf8ff29e4",
            ),
        ];
        for (context, text, want) in cases {
            assert_eq!(hex(key(context, text)), want, "{} bytes", text.len());
        }
    }
}
