// SPDX-License-Identifier: Apache-2.0
//! Response streaming: placeholders restored in text that arrives in pieces.
//!
//! - [`rehydrator`]: an incremental text transform that restores placeholders
//!   however the text is split, holding back only a bounded tail.
//! - [`sse`]: an incremental Server-Sent Events parser over raw bytes.
//! - [`provider`]: [`SseRewriter`], which finds the text deltas inside each
//!   provider's stream events and runs them through a [`DeltaTransform`].
//!
//! Transforms are chained with [`Chain`], so an output sanitizer can run
//! after (or before) rehydration without the SSE layer knowing about it.

pub mod provider;
pub mod rehydrator;
pub mod sse;

pub use provider::{DeltaKind, SseOptions, SseRewriter, SseStats, TransformFactory};
pub use rehydrator::Rehydrator;

/// A stateful text transform fed a stream of deltas. The concatenation of
/// every `push` output and the final `finish` output is the transformed
/// text; how the input was split must not change it.
pub trait DeltaTransform {
    /// Consumes the next piece of text; returns the text that is ready.
    fn push(&mut self, delta: &str) -> String;
    /// Ends the stream: returns everything still held back and resets the
    /// transform to its initial state.
    fn finish(&mut self) -> String;
}

impl<T: DeltaTransform + ?Sized> DeltaTransform for Box<T> {
    fn push(&mut self, delta: &str) -> String {
        (**self).push(delta)
    }
    fn finish(&mut self) -> String {
        (**self).finish()
    }
}

/// Runs `first`, then `second` over its output.
#[derive(Debug, Clone, Default)]
pub struct Chain<A, B> {
    /// The first stage.
    pub first: A,
    /// The stage fed with the first one's output.
    pub second: B,
}

impl<A: DeltaTransform, B: DeltaTransform> DeltaTransform for Chain<A, B> {
    fn push(&mut self, delta: &str) -> String {
        let mid = self.first.push(delta);
        self.second.push(&mid)
    }

    fn finish(&mut self) -> String {
        let mid = self.first.finish();
        let mut out = self.second.push(&mid);
        out.push_str(&self.second.finish());
        out
    }
}

/// Leaves text unchanged (a stage that is switched off).
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity;

impl DeltaTransform for Identity {
    fn push(&mut self, delta: &str) -> String {
        delta.to_owned()
    }
    fn finish(&mut self) -> String {
        String::new()
    }
}

/// Runs a fresh transform over one whole text.
pub fn transform_whole(transform: &mut dyn DeltaTransform, text: &str) -> String {
    let mut out = transform.push(text);
    out.push_str(&transform.finish());
    out
}
