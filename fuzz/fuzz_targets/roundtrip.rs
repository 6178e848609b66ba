// SPDX-License-Identifier: Apache-2.0
//! Sanitize → rehydrate round trip through the engine's public API, with
//! every category set to `mask`:
//!
//! - a request carrying the input text as a chat message is forwarded
//!   (refused only over the findings limit);
//! - no value a detector finds in the text is left in the sanitized text;
//! - rehydrating the sanitized text gives back the input exactly
//!   (`rehydrate(mask(x)) == x`), placeholder-shaped input included;
//! - so does the response path: a whole JSON answer carrying the sanitized
//!   text, and an SSE answer streaming it in deltas cut at arbitrary
//!   points and delivered in arbitrary chunks.
//!
//! Input: split plan (see the crate docs); the payload is the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use shroud_engine::stream::sse::{Item, SseParser};
use shroud_engine::stream::transform_whole;
use shroud_engine::{RequestInfo, RequestOutcome, Session};
use shroud_fuzz::{Split, byte_chunks, mask_all_engine, str_chunks};

const PATH: &str = "/v1/chat/completions";

/// Runs `body` through a response processor of `session`.
fn respond(session: &Session, content_type: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let engine = mask_all_engine();
    let route = engine.route(&request());
    let mut processor = engine.response_processor(&route, session.clone(), Some(content_type));
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(processor.push(chunk));
    }
    out.extend(processor.finish());
    out
}

fn request() -> RequestInfo<'static> {
    RequestInfo {
        path: PATH,
        authority: "api.openai.com",
        headers: &[],
        route_name: None,
        route_profile: None,
    }
}

/// The text the client sees in an OpenAI chat SSE answer.
fn streamed_text(body: &[u8]) -> String {
    let mut parser = SseParser::new(usize::MAX);
    let mut text = String::new();
    for item in parser.feed(body) {
        let Item::Event(event) = item else { continue };
        let Some(data) = event.data() else { continue };
        let Ok(value) = serde_json::from_slice::<Value>(&data) else {
            continue;
        };
        if let Some(delta) = value
            .pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
        {
            text.push_str(delta);
        }
    }
    text
}

fuzz_target!(|data: &[u8]| {
    let split = Split::parse(data);
    let Ok(text) = std::str::from_utf8(split.payload) else {
        return;
    };
    let engine = mask_all_engine();
    let route = engine.route(&request());
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]});
    let body = serde_json::to_vec(&body).expect("serializable");
    let findings = engine.scan(text);

    let (sanitized_body, session) =
        match engine.sanitize_request(&route, Some("application/json"), &body) {
            RequestOutcome::Forward {
                body: out, session, ..
            } => (out.unwrap_or_else(|| body.clone()), session),
            RequestOutcome::Reject(rejection) => {
                assert!(
                    findings.len() > engine.config().limits.max_findings,
                    "refused ({}) with {} findings: {}",
                    rejection.status,
                    findings.len(),
                    String::from_utf8_lossy(&rejection.body)
                );
                return;
            }
        };
    let doc: Value = serde_json::from_slice(&sanitized_body).expect("sanitized body is JSON");
    let sanitized = doc
        .pointer("/messages/0/content")
        .and_then(Value::as_str)
        .expect("the message content is still a string");

    for f in &findings {
        let value = &text[f.byte_start..f.byte_end];
        assert!(
            !sanitized.contains(value),
            "{} value {value:?} left in the sanitized text {sanitized:?}",
            f.kind
        );
    }

    let mut rehydrator = session.text_rehydrator().expect("an enforcing session");
    assert_eq!(
        transform_whole(&mut rehydrator, sanitized),
        text,
        "rehydrate(mask(x)) != x"
    );

    // Whole JSON answer.
    let answer = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": sanitized},
                     "finish_reason": "stop"}]
    });
    let answer = serde_json::to_vec(&answer).expect("serializable");
    let out = respond(
        &session,
        "application/json",
        &byte_chunks(&answer, split.control),
    );
    let out: Value = serde_json::from_slice(&out).expect("the rewritten answer is JSON");
    assert_eq!(
        out.pointer("/choices/0/message/content")
            .and_then(Value::as_str),
        Some(text),
        "whole answer: not restored"
    );

    // Streamed answer: deltas cut by the plan, bytes delivered by the plan.
    let mut stream = Vec::new();
    for delta in str_chunks(sanitized, split.control) {
        let event = json!({
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": null}]
        });
        stream.extend_from_slice(format!("data: {event}\n\n").as_bytes());
    }
    stream.extend_from_slice(b"data: [DONE]\n\n");
    let out = respond(
        &session,
        "text/event-stream",
        &byte_chunks(&stream, split.control),
    );
    assert_eq!(streamed_text(&out), text, "streamed answer: not restored");
});
