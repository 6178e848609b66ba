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

/// Loads the engine configuration at `path`, or the defaults.
pub fn load_engine(path: Option<&Path>) -> Result<Engine, String> {
    let bytes = match path {
        Some(p) => {
            std::fs::read(p).map_err(|e| format!("cannot read config {}: {e}", p.display()))?
        }
        None => Vec::new(),
    };
    let source = path.map_or_else(|| "defaults".to_string(), |p| p.display().to_string());
    Engine::new(&bytes).map_err(|e| format!("invalid config {source}: {e}"))
}

pub fn run(config: Option<&Path>, engine_kind: EngineKind) -> Result<(), String> {
    let EngineKind::Native = engine_kind;
    let engine = load_engine(config)?;
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
        let got = scan_line(&engine(), 1, input).to_string();
        assert_eq!(got, shown);
    }

    #[test]
    fn good_line_reports_findings_array() {
        let v = scan_line(&engine(), 1, r#"{"id":"x","text":"nothing here"}"#);
        assert_eq!(v["id"], "x");
        assert!(v["findings"].as_array().unwrap().is_empty());
    }
}
