// SPDX-License-Identifier: Apache-2.0
//! `shroud bench --text FILE`: the filter on a text you supply (your
//! prompts, logs, documents), cut into 4 KiB chat requests, each sent once
//! through one filter VM, as a gateway meets new text.
//!
//! The other sections repeat one generated body, so after the warm-up the
//! engine's lazy automata have met every state they need and the VM has
//! all the memory it will take. New text keeps building states; this mode
//! shows what that costs per exchange and whether the VM's linear memory
//! levels off (wasm memory only grows, so a VM that kept growing would be
//! a leak in a long-lived Envoy worker).

use super::{CONFIG, chat_request, mib, small_answer};
use crate::bench::report::Stats;
use shroud_host::proxy::ProxyHost;
use std::path::Path;
use std::time::{Duration, Instant};

/// The size of one request's user turn.
const TURN_BYTES: usize = 4 << 10;
/// Memory readings in the report (evenly spaced over the run).
const READINGS: usize = 8;

/// Sends up to `requests` chat requests cut from `file`; returns the report.
pub fn run(filter: &mut ProxyHost, file: &Path, requests: usize) -> Result<String, String> {
    let raw = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&raw);
    let bodies = chat_bodies(&text, requests)?;
    if bodies.is_empty() {
        return Err(format!(
            "{} holds less than one request of {TURN_BYTES} bytes",
            file.display()
        ));
    }
    let configured = filter.memory_bytes();
    let every = bodies.len().div_ceil(READINGS).max(1);
    let mut readings = Vec::new();
    let mut took: Vec<Duration> = Vec::with_capacity(bodies.len());
    let mut refused = 0;
    let answer = small_answer();
    for (i, body) in bodies.iter().enumerate() {
        let request = chat_request(body);
        let mut upstream = |_: &_| answer.clone();
        let start = Instant::now();
        let exchange = filter.exchange(&request, &mut upstream);
        took.push(start.elapsed());
        filter.state_mut().logs.clear();
        let exchange = exchange.map_err(super::werr)?;
        if exchange.local_reply.is_some() {
            refused += 1;
        }
        if (i + 1) % every == 0 || i + 1 == bodies.len() {
            readings.push(format!("{} after {}", mib(filter.memory_bytes()), i + 1));
        }
    }
    let stats = Stats::of(&took).ok_or("no exchange was timed")?;
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let seconds: f64 = took.iter().map(Duration::as_secs_f64).sum();
    Ok(format!(
        "## shroud bench --text {}\n\n\
         - {} chat requests, each a user turn of up to {TURN_BYTES} bytes cut from the file, each sent once \
         through one filter VM (request, a small answer, done); {refused} refused by the filter\n\
         - plugin config: `{CONFIG}`\n\
         - µs per exchange: p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1}; {:.1} MB/s of request body\n\
         - filter VM linear memory: {} configured; {}\n",
        file.display(),
        bodies.len(),
        stats.p50,
        stats.p90,
        stats.p99,
        stats.max,
        bytes as f64 / 1e6 / seconds.max(f64::MIN_POSITIVE),
        mib(configured),
        readings.join(", "),
    ))
}

/// Up to `count` chat request bodies, each one user turn of ~4 KiB of
/// `text`.
fn chat_bodies(text: &str, count: usize) -> Result<Vec<Vec<u8>>, String> {
    turns(text)
        .take(count)
        .map(|turn| {
            let request = serde_json::json!({
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": turn}],
            });
            serde_json::to_vec(&request).map_err(|e| e.to_string())
        })
        .collect()
}

/// `text` cut into pieces of [`TURN_BYTES`] (less where a char would be
/// split); the rest shorter than that is left out.
fn turns(mut rest: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        (rest.len() >= TURN_BYTES).then(|| {
            let (turn, tail) = rest.split_at(rest.floor_char_boundary(TURN_BYTES));
            rest = tail;
            turn
        })
    })
}
