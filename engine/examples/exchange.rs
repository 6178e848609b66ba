// SPDX-License-Identifier: Apache-2.0
//! One chat exchange as `scripts/bench-envoy` sends it through the filter,
//! replayed without Envoy: sanitize the request, echo its last user turn
//! back as an OpenAI chat completion (what the mock upstream answers), and
//! run the answer through the response processor (output scan and
//! placeholder restoration). The same code runs natively and on
//! wasm32-wasip1 under node, whose V8 is the engine Envoy embeds, so a
//! profile of the filter's own work needs no gateway (`scripts/profile-v8`).
//!
//! Usage: `exchange BODY [EXCHANGES] [CONFIG]`
//! - `BODY`: a request body holding the 6-byte mark `qqqqqq` once
//!   (`scripts/bench-envoy --write-payloads DIR` writes them); every exchange
//!   replaces it with its own number in letters, so the scan cache answers
//!   the resent history but never the new turn, as in bench-envoy.
//! - `EXCHANGES` (default 1000); `CONFIG` (default
//!   `envoy-config/plugin-config.json`, what ships).
//!
//! Prints `exchanges,mean_us,digest`: the mean over all but the first
//! exchange (which compiles lazily built rules) and an FNV-1a digest of the
//! first restored answer, which must not change when the engine gets faster.

mod common;

use shroud_engine::{Engine, RequestOutcome};
use std::time::Instant;

const MARK: &[u8] = b"qqqqqq";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let body = std::fs::read(
        args.next()
            .ok_or("usage: exchange BODY [EXCHANGES] [CONFIG]")?,
    )?;
    // At least two: the first is not timed.
    let exchanges = args.next().map_or(Ok(1000), |n| n.parse::<u32>())?.max(2);
    let config = args
        .next()
        .unwrap_or_else(|| "envoy-config/plugin-config.json".into());
    let engine = Engine::new(&std::fs::read(config)?)?;
    let mark = body
        .windows(MARK.len())
        .position(|w| w == MARK)
        .ok_or("the body holds no `qqqqqq` mark")?;

    let mut digest = 0;
    let mut started = Instant::now();
    for n in 0..exchanges {
        if n == 1 {
            started = Instant::now();
        }
        let mut request = body.clone();
        request
            .get_mut(mark..mark + MARK.len())
            .ok_or("mark out of range")?
            .copy_from_slice(&spelled(n));
        let answer = exchange(&engine, &request)?;
        if n == 0 {
            digest = common::fnv(0xcbf2_9ce4_8422_2325, &answer);
        }
        std::hint::black_box(answer);
    }
    let mean_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(exchanges - 1);
    println!("exchanges,mean_us,digest");
    println!("{exchanges},{mean_us:.1},{digest:016x}");
    Ok(())
}

/// Request in, restored answer out.
fn exchange(engine: &Engine, request: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let route = engine.route(&common::openai_chat());
    let RequestOutcome::Forward { body, session, .. } =
        engine.sanitize_request(&route, Some("application/json"), request)
    else {
        return Err("the request was refused".into());
    };
    let forwarded: serde_json::Value = serde_json::from_slice(body.as_deref().unwrap_or(request))?;
    let echoed = forwarded["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .ok_or("no last user turn")?;
    let answer = serde_json::to_vec(&serde_json::json!({
        "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": echoed},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    }))?;
    let mut processor = engine.response_processor(&route, session, Some("application/json"));
    let mut restored = processor.push(&answer);
    restored.extend(processor.finish());
    Ok(restored)
}

/// `n` as six lower-case letters (no detector takes them).
fn spelled(mut n: u32) -> [u8; 6] {
    let mut out = [b'a'; 6];
    for byte in out.iter_mut().rev() {
        *byte = b'a' + (n % 26) as u8;
        n /= 26;
    }
    out
}
