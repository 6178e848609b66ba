// SPDX-License-Identifier: Apache-2.0
//! The list of built-in detector types: what config may reference, and what
//! the README's detector table is generated from.

use crate::config::DetectorsConfig;
use crate::finding::Category;
use once_cell::sync::Lazy;

/// Describes one built-in detector type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeInfo {
    /// Stable snake_case id reported as a finding's `type`.
    pub id: &'static str,
    /// Category the findings are reported under.
    pub category: Category,
    /// How a match is confirmed beyond its shape (`luhn`, `mod97`,
    /// `entropy`, `context`, `prefix`, …).
    pub validator: &'static str,
    /// A made-up value that the detector reports (documentation and tests).
    pub example: &'static str,
}

static BUILTIN: Lazy<Vec<TypeInfo>> = Lazy::new(|| {
    let mut all = Vec::new();
    all.extend(super::secrets::types());
    all.extend(super::pii::types());
    all.extend(super::corporate::types());
    all
});

/// Every built-in detector type.
pub fn builtin_types() -> &'static [TypeInfo] {
    &BUILTIN
}

/// True for the id of a built-in type.
pub fn is_builtin(id: &str) -> bool {
    BUILTIN.iter().any(|t| t.id == id)
}

/// Built-in ids plus the custom ones of `cfg` and, when enabled, the NER ones.
pub fn known_type_ids(cfg: &DetectorsConfig) -> Vec<String> {
    BUILTIN
        .iter()
        .map(|t| t.id.to_string())
        .chain(cfg.custom.iter().map(|c| c.kind.clone()))
        .chain(super::injection::KINDS.iter().map(|k| k.to_string()))
        .chain(cfg.ner.type_ids())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Scanner;

    #[test]
    fn ids_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for t in builtin_types() {
            assert!(seen.insert(t.id), "duplicate type id {}", t.id);
            assert!(
                t.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} is not snake_case",
                t.id
            );
        }
    }

    /// Every documented example is found, as its own type, by the default
    /// scanner (corporate types need config and are checked in their module).
    #[test]
    fn every_example_is_detected_as_its_type() {
        let scanner = Scanner::new(&DetectorsConfig::default()).unwrap();
        for t in builtin_types()
            .iter()
            .filter(|t| t.category != Category::Corporate)
        {
            let findings = scanner.scan(t.example);
            assert!(
                findings.iter().any(|f| f.kind == t.id),
                "example of {} ({:?}) gave {:?}",
                t.id,
                t.example,
                findings
            );
        }
    }
}
