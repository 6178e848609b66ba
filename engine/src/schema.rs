// SPDX-License-Identifier: Apache-2.0
//! The JSON Schema of the configuration, generated from the types in
//! `config.rs` (doc comments become descriptions, `Default` impls become
//! `default`s, `deny_unknown_fields` becomes `additionalProperties: false`).
//! Behind the `schema` feature: only the CLI needs it, not the filter.

use crate::config::Config;
use serde_json::Value;

/// The configuration's JSON Schema (draft 2020-12) as a JSON value.
pub fn config_schema() -> Value {
    let mut schema = schemars::schema_for!(Config).to_value();
    if let Value::Object(map) = &mut schema {
        map.insert(
            "title".to_string(),
            Value::String("Shroud plugin configuration".to_string()),
        );
    }
    schema
}

/// The schema as the indented text shipped in `config.schema.json`.
pub fn config_schema_pretty() -> String {
    let mut out = serde_json::to_string_pretty(&config_schema()).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_closed_and_enums_listed() {
        let schema = config_schema();
        assert_eq!(schema["additionalProperties"], false);
        let text = schema.to_string();
        for needle in [
            r#""dry_run""#,
            r#""scan_text""#,
            r#""destructive_sql""#,
            r#""mask""#,
        ] {
            assert!(text.contains(needle), "schema lacks {needle}");
        }
        assert_eq!(
            schema["properties"]["fail_mode"]["default"], "closed",
            "defaults come from the Default impls"
        );
    }
}
