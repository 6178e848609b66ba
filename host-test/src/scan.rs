// SPDX-License-Identifier: Apache-2.0
//! `shroud scan`: JSON lines in, findings out. A bad line gets an error
//! object on its own output line; it never stops the run.

use serde_json::{Value, json};
use shroud_engine::Engine;
use std::io::{BufRead, Write};
use std::path::Path;

/// Which build of the engine answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// The engine compiled into this binary.
    Native,
}

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
    let dir = models
        .map(Path::to_path_buf)
        .or_else(|| path.and_then(Path::parent).map(Path::to_path_buf))
        .unwrap_or_else(|| ".".into());
    let read = |name: &str| {
        let file = dir.join(name);
        std::fs::read(&file).map_err(|e| {
            format!(
                "cannot read NER model file {} ({e}); run scripts/fetch-model or pass --models DIR",
                file.display()
            )
        })
    };
    let (onnx, tokenizer, labels) = (
        read("ner.onnx")?,
        read("tokenizer.json")?,
        read("labels.json")?,
    );
    let model = shroud_engine::NerModel::from_bytes(shroud_engine::ModelBytes {
        onnx: &onnx,
        tokenizer: &tokenizer,
        labels: &labels,
    })
    .map_err(|e| format!("cannot load NER model from {}: {e}", dir.display()))?;
    Engine::from_config_and_model(config, std::sync::Arc::new(model)).map_err(invalid)
}

pub fn run(
    config: Option<&Path>,
    models: Option<&Path>,
    engine_kind: EngineKind,
) -> Result<(), String> {
    let EngineKind::Native = engine_kind;
    let engine = load_engine(config, models)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = scan_line(&engine, index + 1, &line);
        writeln!(out, "{answer}").map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))
}

/// The output object for one input line.
pub fn scan_line(engine: &Engine, line_no: usize, line: &str) -> Value {
    let input: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": null, "error": format!("line {line_no}: invalid JSON: {e}")}),
    };
    let id = input.get("id").cloned().unwrap_or(Value::Null);
    match input.get("text") {
        Some(Value::String(text)) => json!({"id": id, "findings": engine.scan(text)}),
        Some(_) => json!({"id": id, "error": format!("line {line_no}: \"text\" must be a string")}),
        None => json!({"id": id, "error": format!("line {line_no}: missing \"text\"")}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(b"{}").unwrap()
    }

    #[test]
    fn bad_lines_get_error_objects() {
        let e = engine();
        let v = scan_line(&e, 1, "not json");
        assert!(v["error"].as_str().unwrap().contains("invalid JSON"));
        assert!(v["id"].is_null());
        let v = scan_line(&e, 2, r#"{"id":"a"}"#);
        assert_eq!(v["id"], "a");
        assert!(v["error"].as_str().unwrap().contains("missing"));
        let v = scan_line(&e, 3, r#"{"id":7,"text":5}"#);
        assert_eq!(v["id"], 7);
        assert!(v["error"].as_str().unwrap().contains("must be a string"));
    }

    #[test]
    fn good_line_reports_findings_array() {
        let v = scan_line(&engine(), 1, r#"{"id":"x","text":"nothing here"}"#);
        assert_eq!(v["id"], "x");
        assert!(v["findings"].as_array().unwrap().is_empty());
    }
}
