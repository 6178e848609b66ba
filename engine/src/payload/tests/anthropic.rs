// SPDX-License-Identifier: Apache-2.0
//! Anthropic Messages.

use super::common::{shape_error, walk_identity};
use crate::payload::TextRole::*;
use crate::payload::testutil::{Direction::*, assert_walk};
use crate::payload::{PayloadError, SurfaceKind};
use serde_json::json;

const ANTHROPIC: SurfaceKind = SurfaceKind::AnthropicMessages;

fn request() -> serde_json::Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "you are a support agent", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "my order is late"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "the user is upset", "signature": "sig-abc"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "let me check"},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup_order", "input": {
                    "email": "jane@example.com",
                    "filters": {"status": ["late", "lost"], "id": "ord-1"},
                    "limit": 5
                }}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "order 42 delayed"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "plain result", "is_error": false},
                {"type": "text", "text": "thanks"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "ivbor"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "contract text"},
                 "title": "contract", "context": "signed copy", "citations": {"enabled": true}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "jvber"}},
                {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "chunk one"}]}},
                {"type": "search_result", "source": "https://kb.example/a", "title": "kb article",
                 "content": [{"type": "text", "text": "reset the router"}]}
            ]}
        ],
        "tools": [
            {"name": "lookup_order", "description": "look up an order", "input_schema": {
                "type": "object",
                "properties": {"email": {"type": "string", "description": "customer email"}},
                "required": ["email"]
            }},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3,
             "user_location": {"type": "approximate", "city": "berlin"}}
        ],
        "metadata": {"user_id": "user-abc"},
        "stop_sequences": ["stop"]
    })
}

#[test]
fn request_fields() {
    assert_walk(
        Request,
        ANTHROPIC,
        &request(),
        &[
            ("/system/0/text", System),
            ("/messages/0/content", User),
            ("/messages/1/content/2/text", Assistant),
            ("/messages/1/content/3/input/email", ToolArguments),
            (
                "/messages/1/content/3/input/filters/status/0",
                ToolArguments,
            ),
            (
                "/messages/1/content/3/input/filters/status/1",
                ToolArguments,
            ),
            ("/messages/2/content/0/content/0/text", ToolResult),
            ("/messages/2/content/1/content", ToolResult),
            ("/messages/2/content/2/text", User),
            ("/messages/2/content/4/source/data", User),
            ("/messages/2/content/4/title", User),
            ("/messages/2/content/4/context", User),
            ("/messages/2/content/6/source/content/0/text", User),
            ("/messages/2/content/7/title", User),
            ("/messages/2/content/7/content/0/text", User),
            ("/tools/0/description", ToolDefinition),
            (
                "/tools/0/input_schema/properties/email/description",
                ToolDefinition,
            ),
            ("/tools/1/user_location/city", Metadata),
            ("/metadata/user_id", Metadata),
        ],
    );
    assert_eq!(walk_identity(Request, ANTHROPIC, &request()), request());
}

#[test]
fn string_system() {
    assert_walk(
        Request,
        ANTHROPIC,
        &json!({"system": "be nice", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}),
        &[("/system", System), ("/messages/0/content/0/text", User)],
    );
}

#[test]
fn response_fields() {
    let response = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "abc"},
            {"type": "text", "text": "i will email jane", "citations": [{
                "type": "char_location", "cited_text": "order 42 delayed", "document_index": 0,
                "document_title": "orders", "start_char_index": 0, "end_char_index": 5
            }]},
            {"type": "tool_use", "id": "toolu_9", "name": "send", "input": {"to": "jane@example.com", "cc": []}},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "order delays"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
                {"type": "web_search_result", "title": "delays", "url": "https://x", "encrypted_content": "enc"}
            ]}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 1, "output_tokens": 2}
    });
    assert_walk(
        Response,
        ANTHROPIC,
        &response,
        &[
            ("/content/1/text", Assistant),
            ("/content/1/citations/0/cited_text", Assistant),
            ("/content/1/citations/0/document_title", Assistant),
            ("/content/2/input/to", ToolArguments),
            ("/content/3/input/query", ToolArguments),
        ],
    );
}

#[test]
fn unknown_blocks_are_scanned_minus_opaque_keys() {
    let request = json!({"messages": [{"role": "user", "content": [
        {"type": "future_block", "note": "future note", "signature": "sig", "data": "b64", "cache_control": {"type": "ephemeral"}}
    ]}]});
    assert_walk(
        Request,
        ANTHROPIC,
        &request,
        &[("/messages/0/content/0/note", User)],
    );
}

#[test]
fn wrong_types_name_their_pointer() {
    let cases = [
        (json!("hello"), "", "an object", "a string"),
        (
            json!({"system": 1}),
            "/system",
            "a string or an array of content blocks",
            "a number",
        ),
        (
            json!({"messages": [{"role": "user", "content": {"type": "text"}}]}),
            "/messages/0/content",
            "a string or an array of content blocks",
            "an object",
        ),
        (
            json!({"messages": [{"role": "user", "content": [7]}]}),
            "/messages/0/content/0",
            "a content block object",
            "a number",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "content": 3}]}]}),
            "/messages/0/content/0/content",
            "a string or an array of content blocks",
            "a number",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "document", "source": "x"}]}]}),
            "/messages/0/content/0/source",
            "an object",
            "a string",
        ),
        (
            json!({"messages": [], "metadata": {"user_id": 5}}),
            "/metadata/user_id",
            "a string",
            "a number",
        ),
    ];
    for (doc, pointer, expected, found) in cases {
        assert_eq!(
            shape_error(Request, ANTHROPIC, &doc),
            PayloadError::UnexpectedType {
                pointer: pointer.into(),
                expected,
                found
            },
            "{doc}"
        );
    }
}
