// SPDX-License-Identifier: Apache-2.0
//! Regressions from the adversarial leak corpus (`tests/conformance/
//! adversarial/`, issue #9): encodings and spellings that once reached the
//! upstream unmasked, checked at the policy level.

use super::*;
use serde_json::json;

const KEY: &str = "sk-proj-Vb7Nq2Lx9Tr4Kc8Wm3Zp6Hd1Jf5Gs0Ya2Eu7Io4Qw9Rt3Yx6Bn";

fn engine() -> Engine {
    Engine::new(b"{}").unwrap()
}

fn chat_route(e: &Engine) -> Route {
    e.route(&RequestInfo {
        path: "/v1/chat/completions",
        ..Default::default()
    })
}

fn chat(text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"model": "m", "messages": [{"role": "user", "content": text}]}))
        .unwrap()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Base64 written out here so the test needs no encoder dependency.
fn base64(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn encoded_and_wrapped_keys_are_blocked() {
    let e = engine();
    let r = chat_route(&e);
    let wrapped = format!("{}\n{}\n{}", &KEY[..16], &KEY[16..36], &KEY[36..]);
    for text in [
        format!("key {}", base64(KEY)),
        format!("key {}", hex(KEY)),
        format!("key={}", percent(KEY)),
        format!("key:\n{wrapped}\nend"),
    ] {
        match e.sanitize_request(&r, Some("application/json"), &chat(&text)) {
            RequestOutcome::Reject(rejection) => {
                assert_eq!(rejection.status, 403, "{text}");
                let body = String::from_utf8_lossy(&rejection.body);
                assert!(!body.contains(&KEY[20..]), "{body}");
            }
            RequestOutcome::Forward { body, .. } => {
                panic!("{text:?} forwarded: {:?}", body.map(String::from_utf8))
            }
        }
    }
}

#[test]
fn percent_encoded_and_base64_emails_are_masked_whole() {
    let e = engine();
    let r = chat_route(&e);
    let email = "lise.meitner@example.org";
    for encoded in [percent(email), base64(&format!("write to {email}"))] {
        let body = chat(&format!("see {encoded} now"));
        let RequestOutcome::Forward {
            body: Some(out), ..
        } = e.sanitize_request(&r, Some("application/json"), &body)
        else {
            panic!("{encoded}: not rewritten");
        };
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("see [EMAIL_1] now"), "{out}");
        assert!(!out.contains(&encoded) && !out.contains("meitner"), "{out}");
    }
}

#[test]
fn a_card_sent_as_a_json_number_is_masked_as_a_string() {
    let e = Engine::new(br#"{"routes":[{"path_prefix":"/mcp","surface":"mcp"}]}"#).unwrap();
    let r = e.route(&RequestInfo {
        path: "/mcp",
        ..Default::default()
    });
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pay","arguments":{"card":4539148803436467,"qty":3,"price":1200.5}}}"#;
    let RequestOutcome::Forward {
        body: Some(out), ..
    } = e.sanitize_request(&r, Some("application/json"), body)
    else {
        panic!("not rewritten");
    };
    let out: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let args = &out["params"]["arguments"];
    assert_eq!(args["card"], "[CREDIT_CARD_1]");
    // short numbers are neither scanned nor retyped
    assert_eq!(args["qty"], 3);
    assert_eq!(args["price"].to_string(), "1200.5");
}
