// SPDX-License-Identifier: Apache-2.0
//! Cross-surface behaviour: the generic surface, never-touch keys, visitor
//! errors, JSON inside strings, and helpers for the other test modules.

use crate::config::Limits;
use crate::payload::TextRole::*;
use crate::payload::testutil::{
    Direction::{self, *},
    assert_walk, default_never_touch, visited_with, walk,
};
use crate::payload::{
    Field, PayloadError, SurfaceKind, WalkError, WalkOptions, parse_body, serialize, walk_request,
};
use serde_json::{Value, json};
use std::convert::Infallible;

/// The shape error a walk reports.
pub(super) fn shape_error(direction: Direction, surface: SurfaceKind, doc: &Value) -> PayloadError {
    let mut doc = doc.clone();
    match walk::<Infallible>(
        direction,
        surface,
        &mut doc,
        &default_never_touch(),
        &mut |_, _| Ok(()),
    ) {
        Err(WalkError::Payload(err)) => err,
        other => panic!("expected a shape error, got {other:?}"),
    }
}

/// `doc` after an identity walk, serialized and parsed back.
pub(super) fn walk_identity(direction: Direction, surface: SurfaceKind, doc: &Value) -> Value {
    let mut doc = doc.clone();
    walk::<Infallible>(
        direction,
        surface,
        &mut doc,
        &default_never_touch(),
        &mut |_, _| Ok(()),
    )
    .unwrap();
    parse_body(&serialize(&doc), &Limits::default()).unwrap()
}

#[test]
fn generic_visits_every_string_leaf_except_never_touch() {
    let doc = json!({
        "query": "find jane",
        "id": "abc-123",
        "nested": {"type": "x", "list": ["one", {"model": "m", "deep": "two"}], "n": 1, "b": true, "nul": null},
        "role": "user"
    });
    for direction in [Request, Response] {
        assert_walk(
            direction,
            SurfaceKind::Generic,
            &doc,
            &[
                ("/query", Other),
                ("/nested/list/0", Other),
                ("/nested/list/1/deep", Other),
            ],
        );
    }
    let custom = vec!["nested".to_string()];
    assert_eq!(
        visited_with(Request, SurfaceKind::Generic, &doc, &custom),
        vec![
            ("/id".to_string(), Other),
            ("/query".to_string(), Other),
            ("/role".to_string(), Other),
        ]
    );
    // Scalars and arrays at the root are fine for the generic surface.
    assert_walk(
        Request,
        SurfaceKind::Generic,
        &json!("just text"),
        &[("", Other)],
    );
    assert_walk(
        Request,
        SurfaceKind::Generic,
        &json!(["a", 1]),
        &[("/0", Other)],
    );
    assert_walk(Request, SurfaceKind::Generic, &json!(12), &[]);
}

#[test]
fn pointer_tokens_are_escaped() {
    let doc = json!({"a/b": {"c~d": "x"}, "": "empty key"});
    assert_walk(
        Request,
        SurfaceKind::Generic,
        &doc,
        &[("/a~1b/c~0d", Other), ("/", Other)],
    );
}

#[test]
fn never_touch_applies_inside_tool_arguments_but_not_to_api_fields() {
    let never_touch = vec![
        "password".to_string(),
        "content".to_string(),
        "input".to_string(),
    ];
    let chat = json!({"messages": [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "tool_calls": [{"function": {"name": "login",
            "arguments": "{\"username\":\"bob\",\"password\":\"hunter2\",\"input\":\"x\",\"nested\":{\"password\":\"y\"}}"}}]}
    ]});
    assert_eq!(
        visited_with(Request, SurfaceKind::OpenaiChat, &chat, &never_touch),
        vec![
            ("/messages/0/content".to_string(), User),
            (
                "/messages/1/tool_calls/0/function/arguments#/username".to_string(),
                ToolArguments
            ),
        ]
    );
    let responses = json!({"input": "whole request text"});
    assert_eq!(
        visited_with(
            Request,
            SurfaceKind::OpenaiResponses,
            &responses,
            &never_touch
        ),
        vec![("/input".to_string(), User)]
    );
}

#[test]
fn visitor_errors_stop_the_walk() {
    let mut doc = json!({"messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "user", "content": "three"}
    ]});
    let never_touch = default_never_touch();
    let options = WalkOptions::new(&never_touch, &Limits::default());
    let mut seen = Vec::new();
    let result = walk_request(
        SurfaceKind::OpenaiChat,
        &mut doc,
        &options,
        &mut |text: &mut String, field: &Field<'_>| {
            seen.push(field.pointer.to_string());
            if text == "two" {
                Err("too many findings")
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(result, Err(WalkError::Visitor("too many findings")));
    assert_eq!(seen, ["/messages/0/content", "/messages/1/content"]);
}

#[test]
fn field_reports_embedded_pointer() {
    let mut doc = json!({"messages": [{"role": "assistant", "tool_calls": [
        {"function": {"arguments": "{\"a\":{\"b\":[\"x\"]}}"}},
        {"function": {"arguments": "\"a json string\""}},
        {"function": {"arguments": "{\"inner\":\"{\\\"not\\\":\\\"decoded twice\\\"}\"}"}}
    ]}]});
    let never_touch = default_never_touch();
    let options = WalkOptions::new(&never_touch, &Limits::default());
    let mut seen = Vec::new();
    walk_request::<Infallible>(
        SurfaceKind::OpenaiChat,
        &mut doc,
        &options,
        &mut |text, field| {
            seen.push((
                field.pointer.to_string(),
                field.embedded.map(str::to_string),
                text.clone(),
            ));
            Ok(())
        },
    )
    .unwrap();
    let base = "/messages/0/tool_calls";
    assert_eq!(
        seen,
        [
            (
                format!("{base}/0/function/arguments"),
                Some("/a/b/0".to_string()),
                "x".to_string()
            ),
            (
                format!("{base}/1/function/arguments"),
                Some(String::new()),
                "a json string".to_string()
            ),
            (
                format!("{base}/2/function/arguments"),
                Some("/inner".to_string()),
                "{\"not\":\"decoded twice\"}".to_string()
            ),
        ]
    );
}

#[test]
fn json_string_arguments_are_re_encoded_as_strings() {
    let doc = json!({"messages": [{"role": "assistant", "tool_calls": [
        {"function": {"arguments": " \"quiet\" "}}
    ]}]});
    let after = crate::payload::testutil::uppercased(Request, SurfaceKind::OpenaiChat, &doc);
    assert_eq!(
        after["messages"][0]["tool_calls"][0]["function"]["arguments"],
        "\"QUIET\""
    );
}

#[test]
fn too_deep_arguments_are_refused() {
    let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
    let doc = json!({"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": deep}}]}]});
    assert!(matches!(
        shape_error(Request, SurfaceKind::OpenaiChat, &doc),
        PayloadError::Embedded { error, .. } if matches!(*error, PayloadError::TooDeep { limit: 64, .. })
    ));
}

#[test]
fn field_display_joins_pointers() {
    let plain = Field {
        surface: SurfaceKind::Generic,
        role: Other,
        pointer: "/a",
        embedded: None,
    };
    assert_eq!(plain.to_string(), "/a");
    let embedded = Field {
        embedded: Some("/b/0"),
        ..plain
    };
    assert_eq!(embedded.to_string(), "/a#/b/0");
    assert_eq!(ToolArguments.to_string(), "tool_arguments");
}
