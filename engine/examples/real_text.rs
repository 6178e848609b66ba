// SPDX-License-Identifier: Apache-2.0
//! The engine on a text you supply: 4 KiB OpenAI chat requests cut from a
//! file (your prompts, logs, documents), sanitized with the shipped config,
//! first each one new, then all of them again.
//!
//! The other benches repeat one generated text, so every regex automaton
//! has met all of its states after the warm-up. Real traffic does not
//! repeat: the lazy DFAs keep meeting new states (the injection phrase set
//! most), and real text is denser in what the detectors stop at (URLs,
//! versions, e-mail addresses, punctuation) than the generated mix. The gap
//! between the two passes is what novelty costs; the first pass is what a
//! gateway sees.
//!
//! Usage: `real_text FILE [REQUESTS] [WARM] [CONFIG]`
//! - `FILE`: UTF-8 text (invalid bytes are replaced). On Debian:
//!   `cat /usr/share/common-licenses/* > /tmp/text.txt` and a few hundred
//!   changelogs from `/usr/share/doc` (see BENCHMARKS.md).
//! - `REQUESTS` (default 1000): requests per pass; `WARM` (default 1000):
//!   requests cut from the text before them, sent once first, so the pass
//!   measures an engine that has already seen traffic.
//! - `CONFIG` (default `envoy-config/plugin-config.json`), with the scan
//!   cache turned off: the second pass would be its hits, not the scan.
//!
//! Prints `pass,requests,bytes,us_per_request,mb_s,refused,digest`; the
//! digest (FNV-1a of every forwarded body) must not change when the engine
//! gets faster.

mod common;

use shroud_engine::{Engine, RequestOutcome};
use std::time::Instant;

/// The size of one request's user turn.
const TURN_BYTES: usize = 4 << 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: real_text FILE [REQUESTS] [WARM] [CONFIG]")?;
    let requests = args.next().map_or(Ok(1000), |n| n.parse::<usize>())?;
    let warm = args.next().map_or(Ok(1000), |n| n.parse::<usize>())?;
    let config = args
        .next()
        .unwrap_or_else(|| "envoy-config/plugin-config.json".into());
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(config)?)?;
    if let Some(detectors) = config.get_mut("detectors").and_then(|d| d.as_object_mut()) {
        detectors.insert("cache_entries".into(), 0.into());
    } else if let Some(root) = config.as_object_mut() {
        root.insert("detectors".into(), serde_json::json!({"cache_entries": 0}));
    }
    let engine = Engine::new(&serde_json::to_vec(&config)?)?;
    let text = String::from_utf8_lossy(&std::fs::read(file)?).into_owned();

    let bodies = chat_requests(&text, warm + requests)?;
    if bodies.len() < warm + requests {
        return Err(format!(
            "the text holds {} requests of {TURN_BYTES} bytes, not {}",
            bodies.len(),
            warm + requests
        )
        .into());
    }
    let (warm, measured) = bodies.split_at(warm);
    println!("pass,requests,bytes,us_per_request,mb_s,refused,digest");
    run(&engine, "warm", warm);
    run(&engine, "new", measured);
    run(&engine, "again", measured);
    Ok(())
}

/// Sanitizes every body once; prints the pass's row.
fn run(engine: &Engine, pass: &str, bodies: &[Vec<u8>]) {
    if bodies.is_empty() {
        return;
    }
    let route = engine.route(&common::openai_chat());
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(bodies.len());
    for body in bodies {
        outcomes.push(engine.sanitize_request(&route, Some("application/json"), body));
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut refused = 0;
    let mut digest = 0xcbf2_9ce4_8422_2325;
    for (outcome, body) in outcomes.iter().zip(bodies) {
        match outcome {
            RequestOutcome::Forward { body: out, .. } => {
                digest = common::fnv(digest, out.as_deref().unwrap_or(body));
            }
            RequestOutcome::Reject(reject) => {
                refused += 1;
                digest = common::fnv(digest, &reject.status.to_le_bytes());
            }
        }
    }
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let us = seconds * 1e6 / bodies.len() as f64;
    let mb_s = bytes as f64 / 1e6 / seconds;
    println!(
        "{pass},{},{bytes},{us:.1},{mb_s:.1},{refused},{digest:016x}",
        bodies.len()
    );
}

/// Up to `count` chat requests, each one user turn of ~4 KiB of `text`.
fn chat_requests(text: &str, count: usize) -> Result<Vec<Vec<u8>>, serde_json::Error> {
    let mut bodies = Vec::with_capacity(count);
    let mut rest = text;
    while rest.len() >= TURN_BYTES && bodies.len() < count {
        let (turn, tail) = rest.split_at(rest.floor_char_boundary(TURN_BYTES));
        let request = serde_json::json!({
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": turn}],
        });
        bodies.push(serde_json::to_vec(&request)?);
        rest = tail;
    }
    Ok(bodies)
}
