// SPDX-License-Identifier: Apache-2.0
#![cfg(feature = "ner")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]
//! The NER tier over WIT: `shroud_component_ner.wasm`, given the model's
//! files through `create-with-models`, finds the same names, addresses and
//! IDs at the same spans (scores equal to 1e-4) as the native engine (`shroud scan --config
//! models/ner-config.json`, native vs `--engine component`). Needs
//! `scripts/fetch-model` and `scripts/build-component --ner` (scripts/test-ner
//! runs both). Without the model the test says so and passes, except under
//! `SHROUD_REQUIRE_MODELS=1`, where that is a failure.

mod support;

use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    shroud_host::paths::workspace_root()
}

/// The model directory, or `None` (with a loud note) when it is absent and
/// not required.
fn models_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SHROUD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("models"));
    if dir.join("ner.onnx").is_file() {
        return Some(dir);
    }
    if std::env::var("SHROUD_REQUIRE_MODELS").is_ok_and(|v| v == "1") {
        panic!(
            "NER model missing in {} (SHROUD_REQUIRE_MODELS=1): run scripts/fetch-model",
            dir.display()
        );
    }
    eprintln!("\n*** COMPONENT NER PARITY SKIPPED: no model. Run scripts/fetch-model. ***\n");
    None
}

/// `shroud scan --config models/ner-config.json --models MODELS ARGS`.
fn scan(args: &[&str], models: &Path, input: &str) -> String {
    let config = root().join("models/ner-config.json");
    let mut all: Vec<&OsStr> = vec![
        "--config".as_ref(),
        config.as_os_str(),
        "--models".as_ref(),
        models.as_os_str(),
    ];
    all.extend(args.iter().map(OsStr::new));
    support::scan_lines(&all, input)
}

/// Realistic English: a support ticket, an email, a chat turn.
const TEXTS: &[&str] = &[
    "Hi team, this is Margaret Thompson. Please ship the replacement to 1427 Maple Avenue, Springfield, IL 62704.",
    "From: David Okafor <david.okafor@example.com>\nSubject: refund\nMy passport number is X31195624 and I moved to 88 Harbor Road, Portland.",
    "user: can you draft a reply to Priya Raman about the invoice? Her phone is (415) 555-0134.",
    "nothing personal in this sentence at all",
];

#[test]
fn ner_component_spans_equal_native() {
    let Some(models) = models_dir() else {
        return;
    };
    let wasm = support::component(true);
    let input: String = TEXTS
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": i, "text": t}).to_string() + "\n")
        .collect();
    let native = scan(&["--engine", "native"], &models, &input);
    let component = scan(
        &[
            "--engine",
            "component",
            "--component",
            wasm.to_str().unwrap(),
        ],
        &models,
        &input,
    );
    // The model must have found what only a model finds, or equality
    // proves nothing.
    let mut types: Vec<String> = Vec::new();
    for line in native.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for f in v["findings"].as_array().unwrap() {
            types.push(f["type"].as_str().unwrap().to_string());
        }
    }
    for want in ["person", "address", "email"] {
        assert!(
            types.iter().any(|t| t == want),
            "native found no {want}: {native}"
        );
    }
    assert_eq!(native.lines().count(), TEXTS.len());
    assert_eq!(component.lines().count(), TEXTS.len());
    for (n, c) in native.lines().zip(component.lines()) {
        let (n, c): (Value, Value) = (
            serde_json::from_str(n).unwrap(),
            serde_json::from_str(c).unwrap(),
        );
        assert_eq!(spans(&n), spans(&c), "native and component spans differ");
        // Scores come from float kernels that differ between x86_64 and
        // wasm SIMD in the last bits; spans must not.
        for (a, b) in scores(&n).iter().zip(scores(&c)) {
            assert!((a - b).abs() < 1e-4, "scores differ: {a} vs {b}");
        }
    }
}

/// Everything of each finding but its score.
fn spans(line: &Value) -> Vec<(String, String, u64, u64)> {
    line["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["type"].as_str().unwrap().to_string(),
                f["start"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn scores(line: &Value) -> Vec<f64> {
    line["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["score"].as_f64().unwrap())
        .collect()
}
