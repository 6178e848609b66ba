// SPDX-License-Identifier: Apache-2.0
//! Text normalization for detection, with a map back to the original.

use std::borrow::Cow;

/// The text detectors see, and how its byte offsets map to the original.
pub(crate) struct Normalized<'a> {
    text: Cow<'a, str>,
}

impl<'a> Normalized<'a> {
    /// Normalizes `original` for detection.
    pub(crate) fn new(original: &'a str) -> Self {
        Normalized {
            text: Cow::Borrowed(original),
        }
    }

    /// The normalized text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The smallest byte range of the original text that covers the byte
    /// range `start..end` of the normalized text.
    pub(crate) fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        (start, end)
    }
}
