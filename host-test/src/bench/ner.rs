// SPDX-License-Identifier: Apache-2.0
//! `shroud bench --ner MODELS_DIR`: the NER tier in wasm under wasmtime
//! (`shroud_component_ner.wasm`, the model passed over WIT), and natively
//! when this binary has the `ner` feature: load time and `scan` latency for
//! ~20, ~128 and ~500 tokens. The texts are `engine/examples/ner_bench.rs`'s
//! and `scripts/bench-ner-envoy`'s, so the three faces compare like with like.
//! The span cache is off (every scan infers).

use super::report::Stats;
use crate::component::{self, ComponentEngine};
use std::path::Path;
use std::time::{Duration, Instant};

const SENTENCE: &str =
    "Please ask Marcus Delaney to send the signed lease to 4821 Willow Creek Road, Portland. ";
const SIZES: [(&str, usize); 3] = [("~20 tokens", 1), ("~128 tokens", 6), ("~500 tokens", 24)];
const CONFIG: &str = r#"{"detectors":{"ner":{"enabled":true,"cache_entries":0}}}"#;

/// One engine under test: a name and a scan that reports its findings count.
type Scan<'a> = Box<dyn FnMut(&str) -> Result<usize, String> + 'a>;

pub fn run(component_ner: &Path, models: &Path, iterations: usize) -> Result<String, String> {
    let files = crate::scan::model_files(None, Some(models))?;
    let mut out = format!(
        "## shroud bench --ner\n\n- model: `{}`; config `{CONFIG}`; {iterations} timed scans per size \
         after one warm-up; host build: {}\n\n\
         | engine | load ms | text | bytes | p50 ms | p90 ms | max ms |\n|---|---:|---|---:|---:|---:|---:|\n",
        models.display(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let started = Instant::now();
    let mut wasm = ComponentEngine::load(component_ner, CONFIG, &files)?;
    let load = started.elapsed();
    let scan: Scan<'_> = Box::new(move |text| wasm.scan(text).map(|f| f.len()));
    table(&mut out, "component (wasmtime)", load, scan, iterations)?;
    native(&mut out, &files, iterations)?;
    Ok(out)
}

#[cfg(feature = "ner")]
fn native(
    out: &mut String,
    files: &[component::ModelFile],
    iterations: usize,
) -> Result<(), String> {
    let started = Instant::now();
    let engine =
        shroud_engine::Engine::with_models(CONFIG.as_bytes(), crate::scan::model_bytes(files))
            .map_err(|e| e.to_string())?;
    let load = started.elapsed();
    let scan: Scan<'_> = Box::new(move |text| {
        engine
            .try_scan(text)
            .map(|f| f.len())
            .map_err(|e| e.to_string())
    });
    table(out, "native", load, scan, iterations)
}

#[cfg(not(feature = "ner"))]
fn native(out: &mut String, _: &[component::ModelFile], _: usize) -> Result<(), String> {
    out.push_str("| native | | (this shroud has no `ner` feature) | | | | |\n");
    Ok(())
}

fn table(
    out: &mut String,
    name: &str,
    load: Duration,
    mut scan: Scan<'_>,
    iterations: usize,
) -> Result<(), String> {
    for (label, repeats) in SIZES {
        let text = SENTENCE.repeat(repeats);
        if scan(&text)? == 0 {
            return Err(format!(
                "{name}: the model found nothing in the {label} text"
            ));
        }
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations.max(1) {
            let t = Instant::now();
            scan(&text)?;
            samples.push(t.elapsed());
        }
        let s = Stats::of(&samples).ok_or("no samples")?;
        out.push_str(&format!(
            "| {name} | {:.0} | {label} | {} | {:.1} | {:.1} | {:.1} |\n",
            load.as_secs_f64() * 1e3,
            text.len(),
            s.p50 / 1e3,
            s.p90 / 1e3,
            s.max / 1e3
        ));
    }
    Ok(())
}
