// SPDX-License-Identifier: Apache-2.0
//! OpenAI Chat Completions.

use super::common::{shape_error, walk_identity};
use crate::payload::TextRole::*;
use crate::payload::testutil::{Direction::*, assert_walk, uppercased};
use crate::payload::{PayloadError, SurfaceKind};
use serde_json::json;

const CHAT: SurfaceKind = SurfaceKind::OpenaiChat;

fn request() -> serde_json::Value {
    json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "developer", "content": "you are a helpful travel agent"},
            {"role": "system", "content": [{"type": "text", "text": "answer briefly"}]},
            {"role": "user", "name": "alice", "content": "book me a flight to paris"},
            {"role": "user", "content": [
                {"type": "text", "text": "here is my passport scan"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"filename": "itinerary.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc", "type": "function", "function": {
                    "name": "search_flights",
                    "arguments": "{\"destination\": \"paris\", \"passengers\": [{\"name\": \"alice smith\", \"age\": 34}], \"prefs\": {\"seat\": \"window\", \"id\": \"pref-1\"}, \"budget\": 1200.50, \"flexible\": true}"
                }},
                {"id": "call_def", "type": "custom", "custom": {"name": "notes", "input": "remember window seat"}}
            ]},
            {"role": "tool", "tool_call_id": "call_abc", "content": "found 3 flights for alice smith"},
            {"role": "tool", "tool_call_id": "call_def", "content": [{"type": "text", "text": "noted"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "i found flights"},
                {"type": "refusal", "refusal": "i cannot book without consent"}
            ]},
            {"role": "assistant", "function_call": {"name": "legacy_lookup", "arguments": "not json at all"}},
            {"role": "function", "name": "legacy_lookup", "content": "legacy result"}
        ],
        "tools": [
            {"type": "function", "function": {
                "name": "search_flights",
                "description": "search flights for a passenger",
                "parameters": {
                    "type": "object",
                    "title": "search params",
                    "properties": {
                        "destination": {"type": "string", "description": "city name", "enum": ["paris", "rome"]},
                        "passengers": {"type": "array", "items": {"type": "object", "properties": {
                            "name": {"type": "string", "description": "full name", "examples": ["jane doe"]}
                        }}},
                        "type": {"type": "string", "description": "cabin type", "default": "economy"}
                    },
                    "required": ["destination"],
                    "additionalProperties": false
                },
                "strict": true
            }},
            {"type": "custom", "custom": {"name": "notes", "description": "free-form notes", "format": {"type": "text"}}}
        ],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "answer",
            "description": "the answer",
            "schema": {"type": "object", "properties": {"summary": {"type": "string", "description": "short summary"}}},
            "strict": true
        }},
        "temperature": 0.2,
        "stop": ["end"],
        "user": "alice@example.com",
        "metadata": {"team": "travel", "id": "x-1"},
        "n": 1
    })
}

#[test]
fn request_fields() {
    let args = "/messages/4/tool_calls/0/function/arguments";
    let params = "/tools/0/function/parameters";
    assert_walk(
        Request,
        CHAT,
        &request(),
        &[
            ("/messages/0/content", System),
            ("/messages/1/content/0/text", System),
            ("/messages/2/content", User),
            ("/messages/2/name", Name),
            ("/messages/3/content/0/text", User),
            ("/messages/3/content/3/file/filename", User),
            (&format!("{args}#/destination"), ToolArguments),
            (&format!("{args}#/passengers/0/name"), ToolArguments),
            (&format!("{args}#/prefs/seat"), ToolArguments),
            ("/messages/4/tool_calls/1/custom/input", ToolArguments),
            ("/messages/5/content", ToolResult),
            ("/messages/6/content/0/text", ToolResult),
            ("/messages/7/content/0/text", Assistant),
            ("/messages/7/content/1/refusal", Assistant),
            ("/messages/8/function_call/arguments", ToolArguments),
            ("/messages/9/content", ToolResult),
            ("/tools/0/function/description", ToolDefinition),
            (&format!("{params}/title"), ToolDefinition),
            (
                &format!("{params}/properties/destination/description"),
                ToolDefinition,
            ),
            (
                &format!("{params}/properties/destination/enum/0"),
                ToolDefinition,
            ),
            (
                &format!("{params}/properties/destination/enum/1"),
                ToolDefinition,
            ),
            (
                &format!("{params}/properties/passengers/items/properties/name/description"),
                ToolDefinition,
            ),
            (
                &format!("{params}/properties/passengers/items/properties/name/examples/0"),
                ToolDefinition,
            ),
            (
                &format!("{params}/properties/type/description"),
                ToolDefinition,
            ),
            (&format!("{params}/properties/type/default"), ToolDefinition),
            ("/tools/1/custom/description", ToolDefinition),
            ("/response_format/json_schema/description", ToolDefinition),
            (
                "/response_format/json_schema/schema/properties/summary/description",
                ToolDefinition,
            ),
            ("/user", Metadata),
            ("/metadata/team", Metadata),
        ],
    );
}

#[test]
fn changed_arguments_are_re_encoded_compactly_with_numbers_intact() {
    let after = uppercased(Request, CHAT, &request());
    assert_eq!(
        after["messages"][4]["tool_calls"][0]["function"]["arguments"],
        "{\"destination\":\"PARIS\",\"passengers\":[{\"name\":\"ALICE SMITH\",\"age\":34}],\
         \"prefs\":{\"seat\":\"WINDOW\",\"id\":\"pref-1\"},\"budget\":1200.50,\"flexible\":true}"
    );
    // Plain-text arguments are visited as a whole.
    assert_eq!(
        after["messages"][8]["function_call"]["arguments"],
        "NOT JSON AT ALL"
    );
}

#[test]
fn unchanged_arguments_keep_their_exact_text() {
    let original = request();
    let walked = walk_identity(Request, CHAT, &original);
    assert_eq!(walked, original);
}

#[test]
fn response_fields() {
    let response = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "your flight is booked",
                "refusal": null,
                "annotations": [],
                "tool_calls": [{"id": "call_1", "type": "function", "function": {
                    "name": "pay",
                    "arguments": "{\"card_holder\":\"alice smith\",\"amount\":12.50}"
                }}],
                "audio": {"id": "audio_1", "data": "UklGRg==", "expires_at": 1, "transcript": "your flight is booked"}
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }, {
            "index": 1,
            "message": {"role": "assistant", "content": null, "refusal": "i cannot help with that"},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    assert_walk(
        Response,
        CHAT,
        &response,
        &[
            ("/choices/0/message/content", Assistant),
            (
                "/choices/0/message/tool_calls/0/function/arguments#/card_holder",
                ToolArguments,
            ),
            ("/choices/0/message/audio/transcript", Assistant),
            ("/choices/1/message/refusal", Assistant),
        ],
    );
    let after = uppercased(Response, CHAT, &response);
    assert_eq!(
        after["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{\"card_holder\":\"ALICE SMITH\",\"amount\":12.50}"
    );
}

#[test]
fn part_without_or_with_unknown_type_is_still_scanned() {
    let request = json!({"messages": [{"role": "user", "content": [
        {"text": "no type here"},
        {"type": "future_part", "id": "p1", "body": "future text", "data": "b64", "url": "https://x"}
    ]}]});
    assert_walk(
        Request,
        CHAT,
        &request,
        &[
            ("/messages/0/content/0/text", User),
            ("/messages/0/content/1/body", User),
        ],
    );
}

#[test]
fn prediction_and_location_are_visited() {
    let request = json!({
        "messages": [],
        "prediction": {"type": "content", "content": [{"type": "text", "text": "fn main() {}"}]},
        "web_search_options": {"user_location": {"type": "approximate", "approximate": {"city": "lyon", "country": "fr"}}},
        "safety_identifier": "hash-abc"
    });
    assert_walk(
        Request,
        CHAT,
        &request,
        &[
            ("/prediction/content/0/text", User),
            (
                "/web_search_options/user_location/approximate/city",
                Metadata,
            ),
            (
                "/web_search_options/user_location/approximate/country",
                Metadata,
            ),
            ("/safety_identifier", Metadata),
        ],
    );
}

#[test]
fn wrong_types_name_their_pointer() {
    let cases = [
        (json!([]), "", "an object", "an array"),
        (
            json!({"messages": {"role": "user"}}),
            "/messages",
            "an array",
            "an object",
        ),
        (
            json!({"messages": ["hello"]}),
            "/messages/0",
            "an object",
            "a string",
        ),
        (
            json!({"messages": [{"role": "user", "content": 42}]}),
            "/messages/0/content",
            "a string or an array of parts",
            "a number",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, "b"]}]}),
            "/messages/0/content/1",
            "a content part object",
            "a string",
        ),
        (
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": ["a"]}]}]}),
            "/messages/0/content/0/text",
            "a string",
            "an array",
        ),
        (
            json!({"messages": [{"role": "assistant", "tool_calls": {"id": "x"}}]}),
            "/messages/0/tool_calls",
            "an array",
            "an object",
        ),
        (
            json!({"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": {"a": 1}}}]}]}),
            "/messages/0/tool_calls/0/function/arguments",
            "a string",
            "an object",
        ),
        (
            json!({"messages": [], "tools": "none"}),
            "/tools",
            "an array",
            "a string",
        ),
        (
            json!({"messages": [], "metadata": "x"}),
            "/metadata",
            "an object",
            "a string",
        ),
    ];
    for (doc, pointer, expected, found) in cases {
        assert_eq!(
            shape_error(Request, CHAT, &doc),
            PayloadError::UnexpectedType {
                pointer: pointer.to_string(),
                expected,
                found
            },
            "{doc}"
        );
    }
    assert_eq!(
        shape_error(Request, CHAT, &json!({"messages": {"a": 1}})).to_string(),
        "/messages: expected an array, found an object"
    );
    assert_eq!(
        shape_error(Response, CHAT, &json!({"choices": [{"message": "hi"}]})).to_string(),
        "/choices/0/message: expected an object, found a string"
    );
}

#[test]
fn null_and_missing_optional_fields_are_fine() {
    let request = json!({
        "model": "gpt-4o",
        "messages": [{"role": "assistant", "content": null, "tool_calls": null, "name": null}],
        "tools": null,
        "metadata": null,
        "user": null
    });
    assert_walk(Request, CHAT, &request, &[]);
    assert_walk(Request, CHAT, &json!({}), &[]);
}

#[test]
fn duplicate_key_inside_arguments_is_refused() {
    let request = json!({"messages": [{"role": "assistant", "tool_calls": [{"function": {
        "name": "f", "arguments": "{\"to\":\"a@example.com\",\"to\":\"b@example.com\"}"
    }}]}]});
    let err = shape_error(Request, CHAT, &request);
    assert_eq!(
        err,
        PayloadError::Embedded {
            pointer: "/messages/0/tool_calls/0/function/arguments".into(),
            error: Box::new(PayloadError::DuplicateKey {
                pointer: "/to".into()
            }),
        }
    );
}
