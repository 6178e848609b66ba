// SPDX-License-Identifier: Apache-2.0
//! Properties over arbitrary documents, on every surface and direction: an
//! identity visitor changes nothing (even when the walk fails), and a
//! rewriting visitor changes nothing it was not handed.

use crate::config::Limits;
use crate::payload::testutil::{
    Direction::{self, *},
    arb_value, changed_pointers, default_never_touch, walk,
};
use crate::payload::{SurfaceKind, parse_body, serialize};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::convert::Infallible;

const SURFACES: [SurfaceKind; 5] = [
    SurfaceKind::OpenaiChat,
    SurfaceKind::OpenaiResponses,
    SurfaceKind::AnthropicMessages,
    SurfaceKind::Mcp,
    SurfaceKind::Generic,
];

const KEYS: &[&str] = &[
    "messages",
    "content",
    "role",
    "type",
    "text",
    "tool_calls",
    "function",
    "arguments",
    "input",
    "output",
    "system",
    "params",
    "result",
    "method",
    "id",
    "tools",
    "description",
    "parameters",
    "properties",
    "items",
    "name",
    "choices",
    "message",
    "summary",
    "instructions",
    "source",
    "data",
    "refusal",
    "structuredContent",
    "contents",
    "file",
    "filename",
    "custom",
    "default",
    "enum",
    "anyOf",
    "input_schema",
    "inputSchema",
    "metadata",
    "user",
    "prompt",
    "variables",
    "format",
    "schema",
    "json_schema",
    "response_format",
    "citations",
    "cited_text",
    "output_text",
    "resource",
    "action",
    "queries",
    "results",
    "code",
    "outputs",
    "logs",
    "title",
    "context",
    "function_call",
];

const WORDS: &[&str] = &[
    "user",
    "assistant",
    "system",
    "tool",
    "developer",
    "function",
    "text",
    "input_text",
    "output_text",
    "message",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "tool_use",
    "tool_result",
    "document",
    "search_result",
    "tools/call",
    "prompts/get",
    "reasoning",
    "summary_text",
    "refusal",
    "image",
    "image_url",
    "resource",
    "file",
    "input_file",
    "mcp_call",
    "mcp_list_tools",
    "json_schema",
    "web_search_preview",
    "local_shell_call",
    "thinking",
    "content",
    "{\"a\":\"b\",\"n\":[1,\"c\"]}",
    "[\"x\",{\"y\":\"z\"}]",
    "\"quoted\"",
    "not json",
    "{\"a\":1,\"a\":2}",
    "{\"unterminated\":",
    "{ \"a\" : \"b\", \"n\": 1.50 }",
    "[1, 2e5, \"\\u0078\"]",
];

/// JSON built from the APIs' own vocabulary, so that walkers get deep.
fn api_like() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        3 => proptest::sample::select(WORDS).prop_map(|w| Value::String(w.to_string())),
        1 => "[a-z ]{0,8}".prop_map(Value::String),
    ];
    let leaf = prop_oneof![
        6 => word,
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i32>().prop_map(|n| Value::Number(n.into())),
    ];
    leaf.prop_recursive(7, 96, 5, |inner| {
        prop_oneof![
            1 => proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            3 => proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6)
                .prop_map(|entries| {
                    let mut map = Map::new();
                    for (key, value) in entries {
                        map.entry(key.to_string()).or_insert(value);
                    }
                    Value::Object(map)
                }),
        ]
    })
}

/// Realistic skeletons of each surface with random parts in the holes.
fn templated() -> impl Strategy<Value = Value> {
    let hole = || {
        prop_oneof![
            proptest::sample::select(WORDS).prop_map(|w| Value::String(w.to_string())),
            api_like(),
        ]
    };
    (0..6usize, hole(), hole()).prop_map(|(template, a, b)| match template {
        0 => json!({"messages": [{"role": "assistant", "content": a,
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": b}}]}]}),
        1 => json!({"input": [{"type": "function_call", "arguments": a},
            {"type": "message", "role": "user", "content": b}]}),
        2 => json!({"messages": [{"role": "user", "content": [
            {"type": "tool_result", "content": a}, {"type": "tool_use", "input": b}]}]}),
        3 => json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": a}},
            {"jsonrpc": "2.0", "id": 2, "result": b}]),
        4 => json!({
            "choices": [{"message": {"content": a, "tool_calls": [{"function": {"arguments": b}}]}}],
            "output": [{"type": "mcp_call", "arguments": a, "output": b}],
            "content": [{"type": "text", "text": a}]
        }),
        _ => json!({"tools": [{"type": "function", "function": {"description": a, "parameters": b}}]}),
    })
}

/// Walks with an identity visitor; the document must not change at all.
fn check_identity(doc: &Value) -> Result<(), TestCaseError> {
    for surface in SURFACES {
        for direction in [Request, Response] {
            let mut walked = doc.clone();
            let _ = walk::<Infallible>(
                direction,
                surface,
                &mut walked,
                &default_never_touch(),
                &mut |_, _| Ok(()),
            );
            prop_assert_eq!(&walked, doc);
            let limits = Limits {
                max_body_bytes: usize::MAX,
                ..Limits::default()
            };
            let reparsed = parse_body(&serialize(&walked), &limits);
            prop_assert_eq!(reparsed.as_ref(), Ok(doc));
        }
    }
    Ok(())
}

/// Walks with a visitor that rewrites every string; only visited fields may change.
fn check_only_visited_change(doc: &Value, direction: Direction) -> Result<(), TestCaseError> {
    for surface in SURFACES {
        let mut walked = doc.clone();
        let mut visited = BTreeSet::new();
        let _ = walk::<Infallible>(
            direction,
            surface,
            &mut walked,
            &default_never_touch(),
            &mut |text, field| {
                visited.insert(field.pointer.to_string());
                text.push_str("~x");
                Ok(())
            },
        );
        let changed = changed_pointers(doc, &walked);
        prop_assert!(
            changed.is_subset(&visited),
            "{:?}: changed {:?} but visited only {:?}",
            surface,
            changed,
            visited
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn identity_walk_changes_nothing(doc in arb_value()) {
        check_identity(&doc)?;
    }

    #[test]
    fn identity_walk_changes_nothing_on_api_like_documents(doc in api_like()) {
        check_identity(&doc)?;
    }

    #[test]
    fn identity_walk_changes_nothing_on_templates(doc in templated()) {
        check_identity(&doc)?;
    }

    #[test]
    fn only_visited_fields_change_on_templates(doc in templated()) {
        check_only_visited_change(&doc, Request)?;
        check_only_visited_change(&doc, Response)?;
    }

    #[test]
    fn only_visited_fields_change(doc in api_like()) {
        check_only_visited_change(&doc, Request)?;
        check_only_visited_change(&doc, Response)?;
    }

    #[test]
    fn only_visited_fields_change_in_wrapped_documents(inner in api_like()) {
        // Put the random part where walkers look first.
        for key in ["messages", "input", "content", "output", "choices", "params", "result"] {
            let doc = Value::Object(Map::from_iter([(key.to_string(), inner.clone())]));
            check_only_visited_change(&doc, Request)?;
            check_only_visited_change(&doc, Response)?;
        }
    }
}
