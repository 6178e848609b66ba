// SPDX-License-Identifier: Apache-2.0
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]
//! The WASI component answers exactly like the native engine: the same
//! JSON lines from `shroud scan --engine component` and `--engine native`
//! over a detector corpus. Needs the built component
//! (`scripts/build-component`; `scripts/test` builds it first).

mod support;

use serde_json::json;

/// Every catalog example, alone and inside prose, plus realistic texts with
/// several findings, non-ASCII around them, and hard negatives.
fn corpus() -> String {
    let mut texts: Vec<String> = Vec::new();
    for t in shroud_engine::detect::catalog::builtin_types() {
        texts.push(t.example.to_string());
        texts.push(format!(
            "Prière de garder {} — 秘密です 🙂 merci",
            t.example
        ));
    }
    texts.extend(
        [
            "",
            "nothing sensitive here, just a plain sentence about llamas",
            "Mail jürgen.müller@example.com or call +49 30 1234567 about ticket 42",
            "Ключ sk-proj-Zq3vK9mX2bT7wR4pL8nY1cF6hJ0dS5aG и почта анна@пример.рф",
            "🙂🙂 card 4111 1111 1111 1111 exp 12/29, IBAN DE89 3704 0044 0532 0130 00 🙂",
            "export AWS_ACCESS_KEY_ID=AKIAZ7Q3M5X2V8N4K6PB\npassword = \"hunter2-but-longer!\"",
            "{\"role\":\"user\",\"content\":\"my email is a.b@corp.example and ssn 123-45-6789\"}",
            "version 1.2.3.4 is not an IP? 10.0.0.1 might be; 999.1.1.1 is not",
            "the word password alone is fine",
        ]
        .map(String::from),
    );
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"id": i, "text": text}).to_string() + "\n")
        .chain([
            "not json\n".to_string(),
            "{\"id\":\"x\",\"text\":5}\n".to_string(),
        ])
        .collect()
}

#[test]
fn component_scan_output_equals_native() {
    let wasm = support::component(false);
    let input = corpus();
    let native = support::scan_lines(&["--engine", "native"], &input);
    let component = support::scan_lines(
        &[
            "--engine",
            "component",
            "--component",
            wasm.to_str().unwrap(),
        ],
        &input,
    );
    // The corpus must exercise the scanner, or equality proves nothing.
    let with_findings = native
        .lines()
        .filter(|l| l.contains("\"findings\":[{"))
        .count();
    let examples = shroud_engine::detect::catalog::builtin_types().len();
    // (Every example is detected alone; most are in prose too.)
    assert!(
        with_findings > examples,
        "only {with_findings} lines had findings"
    );
    assert_eq!(native.lines().count(), input.lines().count());
    for (n, c) in native.lines().zip(component.lines()) {
        assert_eq!(n, c, "native and component differ");
    }
    assert_eq!(native, component);
}

/// The error `shroud scan --engine component --config CONFIG` must fail
/// with (model files, if any, are read from the config's directory).
fn component_config_error(config: &std::path::Path) -> String {
    let wasm = support::component(false);
    support::scan_error(&[
        "--engine".as_ref(),
        "component".as_ref(),
        "--component".as_ref(),
        wasm.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
    ])
}

#[test]
fn component_reports_config_errors_with_their_path() {
    let dir = std::env::temp_dir().join(format!("shroud-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.json");
    std::fs::write(&config, r#"{"detectors":{"nope":1}}"#).unwrap();
    let err = component_config_error(&config);
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("detectors"), "{err}");
}

/// The plain component has no NER tier: model files are refused with an
/// error at `models`, never silently ignored (the config would then run
/// without the names and addresses it asked for).
#[test]
fn plain_component_refuses_model_files() {
    let dir = std::env::temp_dir().join(format!("shroud-plain-ner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Not a real model: the plain build must refuse before reading it.
    for name in ["ner.onnx", "tokenizer.json", "labels.json"] {
        std::fs::write(dir.join(name), b"placeholder").unwrap();
    }
    let config = dir.join("ner.json");
    std::fs::write(&config, r#"{"detectors":{"ner":{"enabled":true}}}"#).unwrap();
    let err = component_config_error(&config);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        err.contains("models: NER not built in"),
        "unexpected error: {err}"
    );
}
