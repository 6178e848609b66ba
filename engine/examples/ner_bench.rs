// SPDX-License-Identifier: Apache-2.0
//! NER latency: model load time and scan time for ~20, ~128 and ~500 tokens.
//! Same code natively and on wasm32-wasip1 (under wasmtime), so BENCHMARKS.md
//! compares like with like. Usage: `ner_bench [MODELS_DIR] [ITERATIONS]`.

use shroud_engine::{Engine, ModelBytes, NerModel};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "models".into());
    let iterations: u32 = args.next().map_or(Ok(10), |s| s.parse())?;
    let read = |name: &str| std::fs::read(format!("{dir}/{name}"));
    let (onnx, tokenizer, labels) = (
        read("ner.onnx")?,
        read("tokenizer.json")?,
        read("labels.json")?,
    );

    let started = Instant::now();
    let model = NerModel::from_bytes(ModelBytes {
        onnx: &onnx,
        tokenizer: &tokenizer,
        labels: &labels,
    })?;
    println!("load_ms,{:.1}", started.elapsed().as_secs_f64() * 1e3);

    // The span cache would answer every repeat of the same text: off, so
    // each run infers; one row shows a cached (resent) text.
    let config = shroud_engine::Config::from_json(
        br#"{"detectors":{"ner":{"enabled":true,"cache_entries":0}}}"#,
    )?;
    let model = Arc::new(model);
    let engine = Engine::from_config_and_model(config, Arc::clone(&model))?;
    let sentence =
        "Please ask Marcus Delaney to send the signed lease to 4821 Willow Creek Road, Portland. ";
    for (label, repeats) in [("~20 tokens", 1), ("~128 tokens", 6), ("~500 tokens", 24)] {
        let text = sentence.repeat(repeats);
        let _ = engine.scan(&text); // warm-up
        let mut times: Vec<f64> = (0..iterations)
            .map(|_| {
                let t = Instant::now();
                let _ = engine.scan(&text);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let p50 = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let max = times.last().copied().unwrap_or(0.0);
        println!(
            "{label},{} bytes,p50_ms,{p50:.1},max_ms,{max:.1}",
            text.len()
        );
    }
    let cached = Engine::from_config_and_model(
        shroud_engine::Config::from_json(br#"{"detectors":{"ner":{"enabled":true}}}"#)?,
        model,
    )?;
    let text = sentence.repeat(24);
    let _ = cached.scan(&text);
    let t = Instant::now();
    for _ in 0..iterations {
        let _ = cached.scan(&text);
    }
    let mean = t.elapsed().as_secs_f64() * 1e3 / f64::from(iterations.max(1));
    println!("~500 tokens resent (span cache hit),mean_ms,{mean:.2}");
    Ok(())
}
