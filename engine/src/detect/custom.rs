// SPDX-License-Identifier: Apache-2.0
//! Operator-defined entity types (`detectors.custom`): a regex for the
//! value, an optional checksum and optional context words.

use super::context::has_context;
use super::normalize::{Normalized, fold_all_homoglyphs};
use super::validate::{luhn, mod97};
use super::{Candidate, Detector, pattern, priority};
use crate::config::{CustomEntity, DetectorsConfig, Validator};
use crate::detect::text::Text;
use crate::error::ConfigError;
use crate::finding::Category;
use regex::Regex;
use std::borrow::Cow;

pub(crate) fn build(cfg: &DetectorsConfig) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    cfg.custom
        .iter()
        .enumerate()
        .map(|(i, entity)| CustomDetector::new(i, entity).map(|d| Box::new(d) as Box<dyn Detector>))
        .collect()
}

/// One compiled custom entity.
struct CustomDetector {
    kind: String,
    regex: Regex,
    validator: Validator,
    /// Lower-case, normalized context words; empty means none needed.
    context: Vec<String>,
    context_window: usize,
    category: Category,
    score: f64,
}

impl CustomDetector {
    fn new(index: usize, entity: &CustomEntity) -> Result<Self, ConfigError> {
        let path = format!("detectors.custom[{index}]");
        let regex = pattern::compile(&entity.pattern, &format!("{path}.pattern"))?;
        let mut context: Vec<String> = Vec::new();
        for (j, word) in entity.context.iter().enumerate() {
            // Context is searched in normalized text, so the words are
            // normalized the same way; the fully folded spelling also
            // matches a word that sits in a mixed-script run.
            let normalized = Normalized::new(word.trim()).text().to_string();
            if normalized.is_empty() {
                return Err(ConfigError::new(
                    format!("{path}.context[{j}]"),
                    "a context word must not be empty",
                ));
            }
            for spelling in [
                normalized.to_lowercase(),
                fold_all_homoglyphs(&normalized).to_lowercase(),
            ] {
                if !context.contains(&spelling) {
                    context.push(spelling);
                }
            }
        }
        Ok(CustomDetector {
            kind: entity.kind.clone(),
            regex,
            validator: entity.validator,
            context,
            context_window: entity.context_window,
            category: entity.category,
            score: entity.score,
        })
    }

    fn passes_validator(&self, value: &str) -> bool {
        match self.validator {
            Validator::None => true,
            Validator::Luhn => luhn(value),
            Validator::Mod97 => mod97(value),
        }
    }
}

impl Detector for CustomDetector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        for m in self.regex.find_iter(text) {
            if m.is_empty()
                || !self.passes_validator(m.as_str())
                || !has_context(text, m.start(), m.end(), self.context_window, &self.context)
            {
                continue;
            }
            out.push(Candidate {
                start: m.start(),
                end: m.end(),
                category: self.category,
                kind: Cow::Owned(self.kind.clone()),
                score: self.score,
                priority: priority::CUSTOM,
            });
        }
    }
}
