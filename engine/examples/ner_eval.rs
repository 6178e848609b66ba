// SPDX-License-Identifier: Apache-2.0
//! Scans JSON lines for `scripts/ner-eval.py`: reads `{"text": …}` per line
//! on stdin, writes `[[start, end, "kind"], …]` (char offsets) per line.
//! Usage: `ner_eval MODELS_DIR CONFIG_JSON`.

use shroud_engine::{Engine, ModelBytes};
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "models".into());
    let config = std::fs::read(
        args.next()
            .unwrap_or_else(|| "models/ner-config.json".into()),
    )?;
    let read = |name: &str| std::fs::read(format!("{dir}/{name}"));
    let (onnx, tokenizer, labels) = (
        read("ner.onnx")?,
        read("tokenizer.json")?,
        read("labels.json")?,
    );
    let engine = Engine::with_models(
        &config,
        ModelBytes {
            onnx: &onnx,
            tokenizer: &tokenizer,
            labels: &labels,
        },
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let value: serde_json::Value = serde_json::from_str(&line?)?;
        let text = value.get("text").and_then(|t| t.as_str()).unwrap_or("");
        let spans: Vec<serde_json::Value> = engine
            .try_scan(text)?
            .iter()
            .map(|f| serde_json::json!([f.start, f.end, f.kind]))
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(spans))?;
    }
    Ok(())
}
