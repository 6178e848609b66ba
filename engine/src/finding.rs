// SPDX-License-Identifier: Apache-2.0
//! What a detector reports: a typed, scored span of the original text.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The broad class of a finding; profiles choose an action per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Credentials: API keys, tokens, private keys, passwords.
    Secret,
    /// Personal data: emails, phone numbers, cards, national ids.
    Pii,
    /// Organisation markers from config: internal domains, project codes, keywords.
    Corporate,
    /// Prompt-injection and jailbreak attempts.
    Injection,
    /// Entity types defined in config.
    Custom,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 5] = [
        Category::Secret,
        Category::Pii,
        Category::Corporate,
        Category::Injection,
        Category::Custom,
    ];

    /// The snake_case name used in config, metrics and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Pii => "pii",
            Category::Corporate => "corporate",
            Category::Injection => "injection",
            Category::Custom => "custom",
        }
    }

    /// Parses the config name of a category.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detected value.
///
/// `start..end` count Unicode scalar values (end exclusive) in the ORIGINAL
/// text, which is what non-Rust callers (JSON, JavaScript) can index by;
/// `byte_start..byte_end` is the same span in UTF-8 bytes for Rust callers
/// that rewrite the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Broad class, used for per-category policy.
    pub category: Category,
    /// Stable snake_case detector id, e.g. `openai_api_key`, `email`.
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// First character (Unicode scalar value) of the value in the original text.
    pub start: usize,
    /// One past the last character of the value in the original text.
    pub end: usize,
    /// Confidence in 0..=1.
    pub score: f64,
    /// Byte offset of the value's start in the original text.
    #[serde(skip)]
    pub byte_start: usize,
    /// Byte offset one past the value's end in the original text.
    #[serde(skip)]
    pub byte_end: usize,
}
