// SPDX-License-Identifier: Apache-2.0
//! Remembers the NER spans of recently scanned texts.
//!
//! Chat APIs resend the whole conversation with every request, so the same
//! messages reach the model again and again; inference is the engine's
//! dominant cost (~2.7 GFLOP per 128-token window). Texts are keyed by their
//! SHA-256, so the cache keeps no text, only span offsets and types.

use super::decode::TypedSpan;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

type Key = [u8; 32];

/// A bounded map text hash → spans, evicting the oldest entry first.
pub(crate) struct SpanCache {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    spans: HashMap<Key, Vec<TypedSpan>>,
    order: VecDeque<Key>,
}

impl SpanCache {
    /// A cache of at most `capacity` texts (0: caching off).
    pub(crate) fn new(capacity: usize) -> SpanCache {
        SpanCache {
            capacity,
            inner: Mutex::new(Entries::default()),
        }
    }

    /// The cached spans of `text`, or `compute(text)` (remembered when it
    /// succeeds; errors are never cached).
    pub(crate) fn get_or_try<E>(
        &self,
        text: &str,
        compute: impl FnOnce() -> Result<Vec<TypedSpan>, E>,
    ) -> Result<Vec<TypedSpan>, E> {
        if self.capacity == 0 {
            return compute();
        }
        let key: Key = Sha256::digest(text.as_bytes()).into();
        if let Ok(entries) = self.inner.lock()
            && let Some(spans) = entries.spans.get(&key)
        {
            return Ok(spans.clone());
        }
        // The lock is not held during inference: two threads may compute
        // the same text once each, which is harmless.
        let spans = compute()?;
        if let Ok(mut entries) = self.inner.lock()
            && !entries.spans.contains_key(&key)
        {
            while entries.order.len() >= self.capacity {
                match entries.order.pop_front() {
                    Some(old) => {
                        entries.spans.remove(&old);
                    }
                    None => break,
                }
            }
            entries.order.push_back(key);
            entries.spans.insert(key, spans.clone());
        }
        Ok(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn span(start: usize) -> TypedSpan {
        TypedSpan {
            start,
            end: start + 1,
            kind: 0,
            score: 0.9,
            needs_partner: false,
        }
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
