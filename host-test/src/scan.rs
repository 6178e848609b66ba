// SPDX-License-Identifier: Apache-2.0
//! `shroud scan`: JSON lines in, findings out. A bad line gets an error
//! object on its own output line; it never stops the run.

use crate::component::{self, ComponentEngine};
use serde_json::{Value, json};
use shroud_engine::Engine;
use std::io::{BufRead, Write};
use std::path::Path;

/// Which build of the engine answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// The engine compiled into this binary.
    Native,
    /// The WASI component (`shroud_component.wasm`) under wasmtime.
    Component,
}

/// One text in, the findings as the JSON array `shroud scan` prints.
type ScanFn<'a> = dyn FnMut(&str) -> Result<Value, String> + 'a;

/// Loads the engine configuration at `path`, or the defaults. When it
/// enables `detectors.ner`, the model files are read from `models` (default:
/// the config file's directory); the engine itself only ever sees bytes.
pub fn load_engine(path: Option<&Path>, models: Option<&Path>) -> Result<Engine, String> {
    let bytes = match path {
        Some(p) => {
            std::fs::read(p).map_err(|e| format!("cannot read config {}: {e}", p.display()))?
        }
        None => Vec::new(),
    };
    let source = path.map_or_else(|| "defaults".to_string(), |p| p.display().to_string());
    let invalid = |e: shroud_engine::ConfigError| format!("invalid config {source}: {e}");
    let config = shroud_engine::Config::from_json(&bytes).map_err(invalid)?;
    if !config.detectors.ner.enabled {
        return Engine::from_config(config).map_err(invalid);
    }
    load_with_model(config, path, models).map_err(|e| format!("{source}: {e}"))
}

/// The NER model's files, read from `models` (default: the config file's
/// directory), as the engine and the component take them: name and bytes.
pub fn model_files(
    path: Option<&Path>,
    models: Option<&Path>,
) -> Result<Vec<component::ModelFile>, String> {
    let dir = models
        .map(Path::to_path_buf)
        .or_else(|| path.and_then(Path::parent).map(Path::to_path_buf))
        .unwrap_or_else(|| ".".into());
    ["ner.onnx", "tokenizer.json", "labels.json"]
        .into_iter()
        .map(|name| {
            let file = dir.join(name);
            let bytes = std::fs::read(&file).map_err(|e| {
                format!(
                    "cannot read NER model file {} ({e}); run scripts/fetch-model or pass --models DIR",
                    file.display()
                )
            })?;
            Ok((name.to_string(), bytes))
        })
        .collect()
}

/// The engine's view of [`model_files`]' output (a missing file is empty,
/// which the engine refuses with its own error).
#[cfg(feature = "ner")]
pub fn model_bytes(files: &[component::ModelFile]) -> shroud_engine::ModelBytes<'_> {
    let bytes = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, b)| b.as_slice())
    };
    shroud_engine::ModelBytes {
        onnx: bytes("ner.onnx"),
        tokenizer: bytes("tokenizer.json"),
        labels: bytes("labels.json"),
    }
}

/// Builds an engine whose config enables NER, reading the model files.
#[cfg(feature = "ner")]
fn load_with_model(
    config: shroud_engine::Config,
    path: Option<&Path>,
    models: Option<&Path>,
) -> Result<Engine, String> {
    let invalid = |e: shroud_engine::ConfigError| format!("invalid config: {e}");
    let files = model_files(path, models)?;
    let model = shroud_engine::NerModel::from_bytes(model_bytes(&files))
        .map_err(|e| format!("cannot load the NER model: {e}"))?;
    Engine::from_config_and_model(config, std::sync::Arc::new(model)).map_err(invalid)
}

/// Without the `ner` feature, a config that enables NER cannot be served.
#[cfg(not(feature = "ner"))]
fn load_with_model(
    _config: shroud_engine::Config,
    _path: Option<&Path>,
    _models: Option<&Path>,
) -> Result<Engine, String> {
    Err("detectors.ner.enabled: this shroud was built without the NER tier (cargo build -p shroud-host --features ner)".to_string())
}

/// Loads the component for `config` (a file, or the defaults): a config
/// that enables NER gets the model files and, by default, the NER build.
pub fn load_component(
    config: Option<&Path>,
    models: Option<&Path>,
    component_path: Option<&Path>,
) -> Result<ComponentEngine, String> {
    let config_json = match config {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| format!("cannot read config {}: {e}", p.display()))?,
        None => String::new(),
    };
    // Parsed here only to know whether the model is needed; the component
    // validates the config itself.
    let ner = shroud_engine::Config::from_json(config_json.as_bytes())
        .is_ok_and(|c| c.detectors.ner.enabled);
    let files = if ner {
        model_files(config, models)?
    } else {
        Vec::new()
    };
    let wasm = component_path.map_or_else(|| component::default_path(ner), Path::to_path_buf);
    ComponentEngine::load(&wasm, &config_json, &files)
}

pub fn run(
    config: Option<&Path>,
    models: Option<&Path>,
    engine_kind: EngineKind,
    component_path: Option<&Path>,
) -> Result<(), String> {
    let mut scan: Box<ScanFn<'_>> = match engine_kind {
        EngineKind::Native => {
            let engine = load_engine(config, models)?;
            Box::new(move |text| {
                let findings = engine.try_scan(text).map_err(|e| e.to_string())?;
                serde_json::to_value(findings).map_err(|e| format!("encoding: {e}"))
            })
        }
        EngineKind::Component => {
            let mut engine = load_component(config, models, component_path)?;
            Box::new(move |text| engine.scan(text).map(component_findings))
        }
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = scan_line(&mut *scan, index + 1, &line);
        writeln!(out, "{answer}").map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))
}

/// Component findings in the native engine's JSON shape (same fields, same
/// order: `category`, `type`, `start`, `end`, `score`).
fn component_findings(findings: Vec<component::Finding>) -> Value {
    findings
        .into_iter()
        .map(|f| {
            json!({
                "category": component::category_name(f.category),
                "type": f.kind,
                "start": f.start,
                "end": f.end,
                "score": f.score,
            })
        })
        .collect()
}

/// The output object for one input line.
pub fn scan_line(scan: &mut ScanFn<'_>, line_no: usize, line: &str) -> Value {
    let input: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": null, "error": format!("line {line_no}: invalid JSON: {e}")}),
    };
    let id = input.get("id").cloned().unwrap_or(Value::Null);
    match input.get("text") {
        Some(Value::String(text)) => match scan(text) {
            Ok(findings) => json!({"id": id, "findings": findings}),
            Err(e) => json!({"id": id, "error": format!("line {line_no}: {e}")}),
        },
        Some(_) => json!({"id": id, "error": format!("line {line_no}: \"text\" must be a string")}),
        None => json!({"id": id, "error": format!("line {line_no}: missing \"text\"")}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native() -> impl FnMut(&str) -> Result<Value, String> {
        let engine = Engine::new(b"{}").unwrap();
        move |text| Ok(serde_json::to_value(engine.scan(text)).unwrap())
    }

    #[test]
    fn bad_lines_get_error_objects() {
        let mut e = native();
        let v = scan_line(&mut e, 1, "not json");
        assert!(v["error"].as_str().unwrap().contains("invalid JSON"));
        assert!(v["id"].is_null());
        let v = scan_line(&mut e, 2, r#"{"id":"a"}"#);
        assert_eq!(v["id"], "a");
        assert!(v["error"].as_str().unwrap().contains("missing"));
        let v = scan_line(&mut e, 3, r#"{"id":7,"text":5}"#);
        assert_eq!(v["id"], 7);
        assert!(v["error"].as_str().unwrap().contains("must be a string"));
    }

    /// The README's `shroud scan` example prints exactly what it shows.
    #[test]
    fn readme_scan_example_is_current() {
        let readme = include_str!("../../README.md");
        let input = readme
            .split("echo '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("README has no `echo '…'` scan example");
        let shown = readme
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .expect("README has no ```json output block after the example");
        let got = scan_line(&mut native(), 1, input).to_string();
        assert_eq!(got, shown);
    }

    #[test]
    fn good_line_reports_findings_array() {
        let v = scan_line(&mut native(), 1, r#"{"id":"x","text":"nothing here"}"#);
        assert_eq!(v["id"], "x");
        assert!(v["findings"].as_array().unwrap().is_empty());
    }
}
