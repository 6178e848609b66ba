// SPDX-License-Identifier: Apache-2.0
//! What the JSON corpus cannot say: host calls that fail. Driven through
//! the expectation DSL against the built filter (`scripts/build-filter`).
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

const CHAT: &[(&str, &str)] = &[
    (":method", "POST"),
    (":path", "/v1/chat/completions"),
    (":authority", "localhost"),
    ("content-type", "application/json"),
    ("x-request-id", "rid-abi"),
];
const BODY: &[u8] =
    br#"{"model":"m","messages":[{"role":"user","content":"mail ada@example.org"}]}"#;

fn tester() -> Tester {
    let mut t = support::filter_vm();
    t.call_configure(b"{}")
        .expect("proxy_define_metric")
        .execute_and_expect(ReturnType::Bool(true))
        .unwrap();
    t
}

#[test]
fn unreadable_request_headers_fail_closed_with_500() {
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    t.call_request_headers(ctx, CHAT, false)
        .expect_get_header_map_pairs()
        .returning(Status::InternalFailure)
        .expect_send_local_response()
        .execute_and_expect(ReturnType::Action(Action::Pause))
        .unwrap();
    let reply = t.local_reply(ctx).expect("a local reply");
    assert_eq!(reply.status, 500);
    assert!(String::from_utf8_lossy(&reply.body).contains("shroud_internal_error"));
    assert_eq!(t.metric("shroud.host_calls.failed"), Some(1));
}

#[test]
fn unreadable_request_body_fails_closed_and_never_forwards() {
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    t.call_request_headers(ctx, CHAT, false)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    t.call_request_body(ctx, BODY, true)
        .expect_get_buffer_bytes()
        .returning(Status::InternalFailure)
        .expect_send_local_response()
        .execute_and_expect(ReturnType::Action(Action::Pause))
        .unwrap();
    assert_eq!(t.local_reply(ctx).map(|r| r.status), Some(500));
    assert!(!t.logged("ada@example.org"));
}

#[test]
fn failing_body_write_is_500_not_the_original_body() {
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    t.call_request_headers(ctx, CHAT, false)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    t.call_request_body(ctx, BODY, true)
        .expect_get_buffer_bytes()
        .expect_set_buffer_bytes()
        .returning(Status::BadArgument)
        .expect_send_local_response()
        .execute_and_expect(ReturnType::Action(Action::Pause))
        .unwrap();
    assert_eq!(t.local_reply(ctx).map(|r| r.status), Some(500));
}

#[test]
fn unavailable_route_properties_are_optional() {
    // Kong's host answers Unimplemented for properties: not fatal. The
    // request asks for the route's profile only; the route name is asked
    // for by a profile rule that matches on it, or by the audit line.
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    t.call_request_headers(ctx, CHAT, false)
        .expect_get_property()
        .returning(Status::Unimplemented)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    assert_eq!(property_lookups(&t), 1);
    t.call_request_body(ctx, BODY, true)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    assert!(t.local_reply(ctx).is_none());
    let forwarded = String::from_utf8_lossy(t.request_body(ctx).unwrap()).into_owned();
    assert!(!forwarded.contains("ada@example.org"), "{forwarded}");
}

/// `proxy_get_property` calls in the last step.
fn property_lookups(t: &Tester) -> usize {
    let calls = &t.host.state().script.calls;
    calls.iter().filter(|c| **c == "proxy_get_property").count()
}

#[test]
fn the_route_name_is_asked_for_when_a_rule_matches_on_it_or_the_audit_line_needs_it() {
    let config = br#"{"profiles": {"strict": {}},
        "profile_rules": [{"profile": "strict", "match": {"route_name": "llm"}}]}"#;
    for (config, lookups, profile) in [(&config[..], 2, "strict"), (b"{}", 1, "default")] {
        let mut t = support::filter_vm();
        t.call_configure(config)
            .execute_and_expect(ReturnType::Bool(true))
            .unwrap();
        t.host.state_mut().log_level = 2;
        t.host
            .state_mut()
            .properties
            .insert("xds.route_name".into(), b"llm".to_vec());
        let ctx = t.create_http_context().unwrap();
        t.call_request_headers(ctx, CHAT, false)
            .execute_and_expect(ReturnType::Action(Action::Continue))
            .unwrap();
        assert_eq!(property_lookups(&t), lookups);
        t.call_request_body(ctx, BODY, true)
            .execute_and_expect(ReturnType::Action(Action::Continue))
            .unwrap();
        t.host.finish_stream(ctx).unwrap();
        // The audit line names the route either way.
        assert!(t.logged(r#""route":"llm""#), "{profile}");
        assert!(t.logged(&format!(r#""profile":"{profile}""#)), "{profile}");
    }
}

#[test]
fn a_missing_expected_call_fails_the_step() {
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    let err = t
        .call_request_headers(ctx, CHAT, false)
        .expect("proxy_http_call")
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap_err();
    assert!(err.to_string().contains("proxy_http_call"), "{err}");
}

#[test]
fn swallowed_chunks_are_held_then_written_whole() {
    let mut t = tester();
    let ctx = t.create_http_context().unwrap();
    t.call_request_headers(ctx, CHAT, false)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    let (a, b) = BODY.split_at(30);
    t.call_request_body(ctx, a, false)
        .expect_set_buffer_bytes()
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    assert_eq!(t.request_body(ctx), Some(&b""[..]));
    t.host
        .state_mut()
        .streams
        .get_mut(&ctx)
        .unwrap()
        .request_body
        .clear();
    t.call_request_body(ctx, b, true)
        .execute_and_expect(ReturnType::Action(Action::Continue))
        .unwrap();
    let body = String::from_utf8_lossy(t.request_body(ctx).unwrap()).into_owned();
    assert!(body.starts_with(r#"{"model":"m""#), "{body}");
    assert!(!body.contains("ada@example.org"), "{body}");
}

/// The audit line is built only when the host keeps info lines; the
/// processing-time metric is recorded either way.
#[test]
fn the_audit_line_follows_the_host_log_level() {
    for (level, audited) in [(2, true), (3, false)] {
        let mut t = tester();
        t.host.state_mut().log_level = level;
        let ctx = t.create_http_context().unwrap();
        t.call_request_headers(ctx, CHAT, false)
            .execute_and_expect(ReturnType::Action(Action::Continue))
            .unwrap();
        t.call_request_body(ctx, BODY, true)
            .execute_and_expect(ReturnType::Action(Action::Continue))
            .unwrap();
        t.host.finish_stream(ctx).unwrap();
        assert_eq!(t.logged("shroud.audit"), audited, "log level {level}");
        assert_eq!(
            t.metric("shroud.processing.duration_us"),
            Some(1),
            "one sample at log level {level}"
        );
    }
}
