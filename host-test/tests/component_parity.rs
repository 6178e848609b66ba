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

use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn component_path() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    target.join("wasm32-wasip2/release/shroud_component.wasm")
}

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

fn scan(args: &[&str], input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shroud"))
        .arg("scan")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "shroud scan {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn component_scan_output_equals_native() {
    let wasm = component_path();
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/build-component first",
        wasm.display()
    );
    let input = corpus();
    let native = scan(&["--engine", "native"], &input);
    let component = scan(
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

#[test]
fn component_reports_config_errors_with_their_path() {
    let wasm = component_path();
    if !wasm.is_file() {
        panic!(
            "{} is missing: run scripts/build-component first",
            wasm.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("shroud-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.json");
    std::fs::write(&config, r#"{"detectors":{"nope":1}}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shroud"))
        .args(["scan", "--engine", "component", "--component"])
        .arg(&wasm)
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("detectors"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The plain component has no NER tier: model files are refused with an
/// error at `models`, never silently ignored (the config would then run
/// without the names and addresses it asked for).
#[test]
fn plain_component_refuses_model_files() {
    let wasm = component_path();
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/build-component first",
        wasm.display()
    );
    let dir = std::env::temp_dir().join(format!("shroud-plain-ner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Not a real model: the plain build must refuse before reading it.
    for name in ["ner.onnx", "tokenizer.json", "labels.json"] {
        std::fs::write(dir.join(name), b"placeholder").unwrap();
    }
    let config = dir.join("ner.json");
    std::fs::write(&config, r#"{"detectors":{"ner":{"enabled":true}}}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shroud"))
        .args(["scan", "--engine", "component", "--component"])
        .arg(&wasm)
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("models: NER not built in"),
        "unexpected error: {err}"
    );
}
