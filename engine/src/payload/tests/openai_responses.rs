// SPDX-License-Identifier: Apache-2.0
//! OpenAI Responses.

use super::common::{shape_error, walk_identity};
use crate::payload::TextRole::*;
use crate::payload::testutil::{Direction::*, assert_walk, uppercased};
use crate::payload::{PayloadError, SurfaceKind};
use serde_json::json;

const RESPONSES: SurfaceKind = SurfaceKind::OpenaiResponses;

fn request() -> serde_json::Value {
    json!({
        "model": "gpt-5",
        "instructions": "you are terse",
        "input": [
            {"role": "user", "content": "what is the weather in oslo"},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "and tomorrow?"},
                {"type": "input_image", "image_url": "https://img.example/x.png", "detail": "auto"},
                {"type": "input_file", "filename": "forecast.csv", "file_data": "data:text/csv;base64,YQ=="}
            ]},
            {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed", "content": [
                {"type": "output_text", "text": "checking", "annotations": []}
            ]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "user wants weather"}],
             "encrypted_content": "gaaaab-opaque"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
             "arguments": "{\"location\":\"oslo\",\"units\":\"celsius\",\"days\":[1,2]}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny in oslo"},
            {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "rain later"}]},
            {"type": "custom_tool_call", "call_id": "call_3", "name": "sql", "input": "select name from users"},
            {"type": "custom_tool_call_output", "call_id": "call_3", "output": "bob"},
            {"type": "item_reference", "id": "msg_0"},
            {"type": "computer_call_output", "call_id": "c", "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,aa"}},
            {"type": "new_future_item", "id": "x_1", "note": "future text", "payload": {"data": "b64", "label": "future label"}}
        ],
        "tools": [
            {"type": "function", "name": "get_weather", "description": "get weather for a city",
             "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "city"}}},
             "strict": true},
            {"type": "web_search_preview", "user_location": {"type": "approximate", "city": "oslo", "country": "no"}},
            {"type": "mcp", "server_label": "crm", "server_url": "https://mcp.example/",
             "server_description": "customer records", "headers": {"Authorization": "Bearer abc"}}
        ],
        "text": {"format": {"type": "json_schema", "name": "w", "description": "weather report",
                            "schema": {"type": "object", "properties": {}}}},
        "prompt": {"id": "pmpt_1", "variables": {"customer": "jane", "doc": {"type": "input_text", "text": "variable text"}}},
        "metadata": {"k": "some value"},
        "safety_identifier": "user-hash-abc",
        "store": false
    })
}

#[test]
fn request_fields() {
    assert_walk(
        Request,
        RESPONSES,
        &request(),
        &[
            ("/instructions", System),
            ("/input/0/content", User),
            ("/input/1/content/0/text", User),
            ("/input/1/content/2/filename", User),
            ("/input/2/content/0/text", Assistant),
            ("/input/3/summary/0/text", Assistant),
            ("/input/4/arguments#/location", ToolArguments),
            ("/input/4/arguments#/units", ToolArguments),
            ("/input/5/output", ToolResult),
            ("/input/6/output/0/text", ToolResult),
            ("/input/7/input", ToolArguments),
            ("/input/8/output", ToolResult),
            ("/input/11/note", Other),
            ("/input/11/payload/label", Other),
            ("/tools/0/description", ToolDefinition),
            (
                "/tools/0/parameters/properties/location/description",
                ToolDefinition,
            ),
            ("/tools/1/user_location/city", Metadata),
            ("/tools/1/user_location/country", Metadata),
            ("/tools/2/server_description", ToolDefinition),
            ("/text/format/description", ToolDefinition),
            ("/prompt/variables/customer", User),
            ("/prompt/variables/doc/text", User),
            ("/metadata/k", Metadata),
            ("/safety_identifier", Metadata),
        ],
    );
    let after = uppercased(Request, RESPONSES, &request());
    assert_eq!(
        after["input"][4]["arguments"],
        "{\"location\":\"OSLO\",\"units\":\"CELSIUS\",\"days\":[1,2]}"
    );
    assert_eq!(walk_identity(Request, RESPONSES, &request()), request());
}

#[test]
fn string_input() {
    assert_walk(
        Request,
        RESPONSES,
        &json!({"model": "gpt-5", "input": "hello there", "instructions": null}),
        &[("/input", User)],
    );
}

#[test]
fn tool_items() {
    let request = json!({"input": [
        {"type": "mcp_call", "id": "mcp_1", "server_label": "crm", "name": "lookup",
         "arguments": "{\"q\":\"jane\"}", "output": "jane is a vip", "error": null},
        {"type": "mcp_approval_request", "id": "a1", "server_label": "crm", "name": "delete", "arguments": "{\"who\":\"bob\"}"},
        {"type": "mcp_approval_response", "approval_request_id": "a1", "approve": false, "reason": "not allowed"},
        {"type": "mcp_list_tools", "id": "l1", "server_label": "crm", "tools": [
            {"name": "lookup", "description": "look up a customer", "input_schema": {"type": "object", "properties": {"q": {"description": "query"}}}}
        ]},
        {"type": "local_shell_call", "id": "s1", "call_id": "c1", "action": {"type": "exec", "command": ["cat", "notes.txt"], "env": {"home": "/home/jane"}}},
        {"type": "local_shell_call_output", "id": "s1", "output": "meeting notes"},
        {"type": "web_search_call", "id": "w1", "status": "completed", "action": {"type": "search", "query": "acme merger"}},
        {"type": "file_search_call", "id": "f1", "queries": ["q3 revenue"], "results": [{"file_id": "file-1", "filename": "r.pdf", "score": 0.5, "text": "revenue rose"}]},
        {"type": "code_interpreter_call", "id": "ci1", "container_id": "cnt", "code": "print(1)", "outputs": [{"type": "logs", "logs": "one"}, {"type": "image", "url": "https://x"}]},
        {"type": "image_generation_call", "id": "ig1", "result": "ivbor"},
        {"type": "reasoning", "id": "rs", "summary": [], "content": [{"type": "reasoning_text", "text": "think"}]}
    ]});
    assert_walk(
        Request,
        RESPONSES,
        &request,
        &[
            ("/input/0/arguments#/q", ToolArguments),
            ("/input/0/output", ToolResult),
            ("/input/1/arguments#/who", ToolArguments),
            ("/input/2/reason", User),
            ("/input/3/tools/0/description", ToolDefinition),
            (
                "/input/3/tools/0/input_schema/properties/q/description",
                ToolDefinition,
            ),
            ("/input/4/action/command/0", ToolArguments),
            ("/input/4/action/command/1", ToolArguments),
            ("/input/4/action/env/home", ToolArguments),
            ("/input/5/output", ToolResult),
            ("/input/6/action/query", ToolArguments),
            ("/input/7/queries/0", ToolArguments),
            ("/input/7/results/0/text", ToolResult),
            ("/input/8/code", ToolArguments),
            ("/input/8/outputs/0/logs", ToolResult),
            ("/input/10/content/0/text", Assistant),
        ],
    );
}

#[test]
fn response_fields() {
    let response = json!({
        "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-5",
        "instructions": "you are terse",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gaaa"},
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [
                {"type": "output_text", "text": "it is sunny", "annotations": [], "logprobs": []},
                {"type": "refusal", "refusal": "cannot share that"}
            ]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "send_email",
             "arguments": "{\"to\":\"bob@example.com\",\"body\":\"hi bob\"}", "status": "completed"},
            {"type": "mcp_call", "id": "mcp_1", "server_label": "crm", "name": "lookup",
             "arguments": "{\"q\":\"jane\"}", "output": "jane: vip", "error": null},
            {"type": "image_generation_call", "id": "ig_1", "result": "ivbor", "status": "completed"}
        ],
        "output_text": "it is sunny",
        "tools": [],
        "text": {"format": {"type": "text"}},
        "metadata": {},
        "usage": {"input_tokens": 1, "output_tokens": 2}
    });
    assert_walk(
        Response,
        RESPONSES,
        &response,
        &[
            ("/instructions", System),
            ("/output/1/content/0/text", Assistant),
            ("/output/1/content/1/refusal", Assistant),
            ("/output/2/arguments#/to", ToolArguments),
            ("/output/2/arguments#/body", ToolArguments),
            ("/output/3/arguments#/q", ToolArguments),
            ("/output/3/output", ToolResult),
            ("/output_text", Assistant),
        ],
    );
}

#[test]
fn instructions_as_items() {
    let response = json!({"object": "response", "instructions": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be kind"}]},
        {"type": "message", "content": "no role given"}
    ], "output": []});
    assert_walk(
        Response,
        RESPONSES,
        &response,
        &[
            ("/instructions/0/content/0/text", System),
            ("/instructions/1/content", System),
        ],
    );
}

#[test]
fn wrong_types_name_their_pointer() {
    let cases = [
        (
            json!({"input": 5}),
            "/input",
            "a string or an array of items",
            "a number",
        ),
        (
            json!({"input": ["hi"]}),
            "/input/0",
            "an item object",
            "a string",
        ),
        (
            json!({"input": [{"type": "message", "role": "user", "content": true}]}),
            "/input/0/content",
            "a string or an array of parts",
            "a boolean",
        ),
        (
            json!({"input": [{"type": "function_call", "arguments": 1}]}),
            "/input/0/arguments",
            "a string",
            "a number",
        ),
        (
            json!({"input": [{"type": "function_call_output", "output": {"a": 1}}]}),
            "/input/0/output",
            "a string or an array of parts",
            "an object",
        ),
        (
            json!({"input": [], "tools": {}}),
            "/tools",
            "an array",
            "an object",
        ),
        (
            json!({"instructions": 1}),
            "/instructions",
            "a string or an array of items",
            "a number",
        ),
        (
            json!({"input": [], "prompt": {"variables": []}}),
            "/prompt/variables",
            "an object",
            "an array",
        ),
    ];
    for (doc, pointer, expected, found) in cases {
        assert_eq!(
            shape_error(Request, RESPONSES, &doc),
            PayloadError::UnexpectedType {
                pointer: pointer.into(),
                expected,
                found
            },
            "{doc}"
        );
    }
    assert_eq!(
        shape_error(Response, RESPONSES, &json!({"output": "text"})),
        PayloadError::UnexpectedType {
            pointer: "/output".into(),
            expected: "an array",
            found: "a string"
        }
    );
}
