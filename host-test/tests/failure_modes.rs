// SPDX-License-Identifier: Apache-2.0
//! Failure modes (issue #9): a bad configuration, a compressed body and
//! failing host calls each end fail-closed, and every shipped gateway
//! configuration is fail-closed. Driven through the expectation DSL against
//! the built filter (`scripts/build-filter`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test binary: helpers fail the test by panicking"
)]

mod support;

use shroud_host::abi::Status;
use shroud_host::expect::{ReturnType, Tester};
use shroud_host::proxy::Action;
use std::path::{Path, PathBuf};

const EMAIL: &str = "emmy.noether@example.org";

fn chat_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        (":method", "POST"),
        (":path", "/v1/chat/completions"),
        (":authority", "localhost"),
        ("content-type", "application/json"),
    ]
}

fn body() -> Vec<u8> {
    format!(r#"{{"model":"m","messages":[{{"role":"user","content":"mail {EMAIL}"}}]}}"#)
        .into_bytes()
}

fn tester(config: &[u8], accepted: bool) -> Tester {
    let mut t = support::filter_vm();
    t.call_configure(config)
        .execute_and_expect(ReturnType::Bool(accepted))
        .unwrap();
    t
}

#[test]
fn a_bad_configuration_refuses_every_request() {
    for config in [
        &b"{not json"[..],
        br#"{"limits":{"max_body":1}}"#,
        br#"{"fail_mode":"sometimes"}"#,
        br#"{"detectors":{"custom":[{"kind":"x","category":"custom","pattern":"("}]}}"#,
        b"\xff\xfe",
    ] {
        let mut t = tester(config, false);
        assert!(
            t.logged("invalid plugin configuration"),
            "{}",
            String::from_utf8_lossy(config)
        );
        let ctx = t.create_http_context().unwrap();
        let headers = chat_headers();
        t.call_request_headers(ctx, &headers, false)
            .expect_send_local_response()
            .execute_and_expect(ReturnType::Action(Action::Pause))
            .unwrap();
        let reply = t.local_reply(ctx).expect("a local reply");
        assert_eq!(reply.status, 503);
        assert!(String::from_utf8_lossy(&reply.body).contains("shroud_not_configured"));
        // Even a pass-through path is refused: nothing is known to be safe.
        let ctx = t.create_http_context().unwrap();
        t.call_request_headers(ctx, &[(":method", "GET"), (":path", "/health")], true)
            .execute_and_expect(ReturnType::Action(Action::Pause))
            .unwrap();
        assert_eq!(t.local_reply(ctx).map(|r| r.status), Some(503));
    }
}

/// The filter carries the Unicode tables custom patterns are documented to
/// use (general categories, scripts, case folding, Perl classes) and not the
/// boolean, Age and segmentation ones (kept out for size): those are a clear
/// configuration error naming the pattern, never a panic. Native test builds
/// cannot show this (a dev-dependency turns every table on), so it is
/// checked here, on the built filter.
#[test]
fn custom_patterns_get_the_documented_unicode_tables() {
    let custom = |pattern: &str| {
        serde_json::json!({"detectors": {"custom": [{"type": "x", "pattern": pattern}]}})
            .to_string()
    };
    for supported in [r"\p{L}+-\d+", r"\p{Cyrillic}{3}", r"(?i)straße", r"\w+@\w+"] {
        let t = tester(custom(supported).as_bytes(), true);
        assert!(!t.logged("invalid plugin configuration"), "{supported}");
    }
    for unsupported in [r"\p{Alphabetic}", r"\p{Age:6.0}", r"\p{WB=ALetter}"] {
        let t = tester(custom(unsupported).as_bytes(), false);
        assert!(
            t.logged("detectors.custom[0].pattern"),
            "{unsupported}: the error names the pattern"
        );
    }
}

#[test]
fn a_compressed_request_is_refused_before_its_body() {
    let mut t = tester(b"{}", true);
    for encoding in ["gzip", "br", "zstd", "deflate, gzip", "x-unknown"] {
        let ctx = t.create_http_context().unwrap();
        let mut headers = chat_headers();
        headers.push(("content-encoding", encoding));
        t.call_request_headers(ctx, &headers, false)
            .expect_send_local_response()
            .execute_and_expect(ReturnType::Action(Action::Pause))
            .unwrap();
        let reply = t.local_reply(ctx).expect("a local reply");
        assert_eq!(reply.status, 415, "{encoding}");
        // The body that follows is never read into the request stream.
        t.call_request_body(ctx, &body(), true)
            .execute_and_expect(ReturnType::Action(Action::Pause))
            .unwrap();
    }
    assert_eq!(
        t.metric("shroud.requests.handled_surface=openai_chat_outcome=rejected"),
        Some(5)
    );
}

#[test]
fn a_failing_local_reply_still_never_forwards() {
    // The reply cannot be sent: the stream stays paused (Envoy times it
    // out), it is not continued with the raw body.
    let mut t = tester(b"{}", true);
    let ctx = t.create_http_context().unwrap();
    let mut headers = chat_headers();
    headers.push(("content-encoding", "gzip"));
    t.call_request_headers(ctx, &headers, false)
        .expect_send_local_response()
        .returning(Status::InternalFailure)
        .execute_and_expect(ReturnType::Action(Action::Pause))
        .unwrap();
    assert!(t.logged("cannot send the local reply"));
}

#[test]
fn an_unwritable_answer_leaves_placeholders_never_values() {
    let mut t = tester(b"{}", true);
    let ctx = t.create_http_context().unwrap();
    let headers = chat_headers();
    t.call_request_headers(ctx, &headers, false)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    t.call_request_body(ctx, &body(), true)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    let upstream = String::from_utf8_lossy(t.request_body(ctx).unwrap()).into_owned();
    assert!(
        upstream.contains("[EMAIL_1]") && !upstream.contains(EMAIL),
        "{upstream}"
    );
    t.call_response_headers(
        ctx,
        &[(":status", "200"), ("content-type", "application/json")],
        false,
    )
    .execute_and_expect(ReturnType::Action(Action::Continue))
    .unwrap();
    let answer = br#"{"choices":[{"message":{"role":"assistant","content":"to [EMAIL_1]"}}]}"#;
    t.call_response_body(ctx, answer, true)
        .expect_get_buffer_bytes()
        .expect_set_buffer_bytes()
        .returning(Status::InternalFailure)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    let client = String::from_utf8_lossy(t.response_body(ctx).unwrap()).into_owned();
    assert!(!client.contains(EMAIL), "{client}");
    assert_eq!(t.metric("shroud.host_calls.failed"), Some(1));
    assert!(!t.logged(EMAIL));
}

// ---- shipped configurations -------------------------------------------------

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every gateway configuration shipped under `envoy-config/`.
fn shipped() -> Vec<PathBuf> {
    let dir = repo().join("envoy-config");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("istio"), dir.join("kong")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The text without `#` comments (YAML, kong.conf); JSON has none.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_shipped_configuration_is_fail_closed() {
    let files = shipped();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let text = without_comments(&std::fs::read_to_string(&path).unwrap());
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let name = path.display();
        for forbidden in [
            "FAIL_OPEN",
            "fail_open:true",
            "\"fail_open\":true",
            "\"fail_mode\":\"open\"",
            "\\\"fail_mode\\\":\\\"open\\\"",
            "fail_mode:open",
        ] {
            assert!(!compact.contains(forbidden), "{name}: {forbidden}");
        }
        let file = path.file_name().unwrap().to_string_lossy();
        if text.contains("envoy.filters.http.wasm") {
            assert!(compact.contains("failure_policy:FAIL_CLOSED"), "{name}");
        }
        if file == "wasmplugin.yaml" {
            assert!(compact.contains("failStrategy:FAIL_CLOSE"), "{name}");
        }
        if file == "plugin-config.json" {
            let engine = shroud_engine::Engine::new(text.as_bytes()).unwrap();
            assert_eq!(
                engine.config().fail_mode,
                shroud_engine::config::FailMode::Closed
            );
        }
    }
}

#[test]
fn the_fail_closed_check_catches_fail_open() {
    for bad in [
        "failure_policy: FAIL_OPEN",
        "fail_open: true",
        r#"{"fail_mode": "open"}"#,
    ] {
        let compact: String = without_comments(bad)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            compact.contains("FAIL_OPEN")
                || compact.contains("fail_open:true")
                || compact.contains("\"fail_mode\":\"open\""),
            "{bad}"
        );
    }
    assert_eq!(without_comments("a: 1 # FAIL_OPEN"), "a: 1 ");
}
