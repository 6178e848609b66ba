// SPDX-License-Identifier: Apache-2.0
//! The shipped `config.schema.json` is the schema generated from the engine's
//! config types, and every example config in the repository validates
//! against it with an independent JSON Schema validator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]

use serde_json::Value;
use shroud_engine::schema::{config_schema, config_schema_pretty};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Regenerate with `cargo run -q -p shroud-host -- config schema > config.schema.json`
/// (or scripts/gen-docs).
#[test]
fn shipped_schema_is_generated() {
    let shipped = std::fs::read_to_string(root().join("config.schema.json")).unwrap();
    assert!(
        shipped == config_schema_pretty(),
        "config.schema.json is stale: run scripts/gen-docs"
    );
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&config_schema()).unwrap()
}

fn example_configs() -> Vec<PathBuf> {
    let mut files = vec![
        root().join("envoy-config/plugin-config.json"),
        root().join("models/ner-config.json"),
    ];
    for dir in ["tests/e2e", "tests/conformance/configs"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let is_config = dir.ends_with("configs") || name.starts_with("plugin-config");
            if is_config && name.ends_with(".json") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn example_configs_validate_against_the_schema() {
    let validator = validator();
    let files = example_configs();
    assert!(files.len() >= 7, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let config: Value = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        // The engine agrees.
        shroud_engine::Config::from_json(text.as_bytes()).unwrap();
    }
}

/// The schema is strict where the engine is: hard negatives.
#[test]
fn schema_rejects_what_the_engine_rejects() {
    let validator = validator();
    for bad in [
        r#"{"profiles": {"default": {"actions": {"email": "mask2"}}}}"#,
        r#"{"limits": {"max_body": 1}}"#,
        r#"{"fail_mode": "sometimes"}"#,
        r#"{"profiles": {"p": {"mode": "dryrun"}}}"#,
        r#"{"non_json": true}"#,
        r#"{"detectors": {"custom": [{"pattern": "x"}]}}"#,
        r#"{"bogus": 1}"#,
    ] {
        let value: Value = serde_json::from_str(bad).unwrap();
        assert!(!validator.is_valid(&value), "schema accepts {bad}");
        assert!(
            shroud_engine::Config::from_json(bad.as_bytes()).is_err(),
            "engine accepts {bad}"
        );
    }
    for good in [
        "{}",
        r#"{"profiles": {"p": {"mode": "dry_run", "actions": {"pii": "redact"}}}}"#,
        r#"{"fail_mode": "open", "non_json": "scan_text"}"#,
    ] {
        let value: Value = serde_json::from_str(good).unwrap();
        assert!(validator.is_valid(&value), "schema rejects {good}");
    }
}

#[test]
fn schema_carries_descriptions_and_defaults() {
    let schema = config_schema();
    let limits = &schema["$defs"]["Limits"]["properties"]["max_body_bytes"];
    assert_eq!(limits["default"], 1048576);
    assert!(
        limits["description"]
            .as_str()
            .unwrap()
            .contains("Largest request body")
    );
    assert_eq!(schema["$defs"]["Profile"]["additionalProperties"], false);
}
