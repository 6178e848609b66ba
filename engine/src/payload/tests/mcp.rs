// SPDX-License-Identifier: Apache-2.0
//! MCP JSON-RPC.

use super::common::shape_error;
use crate::payload::TextRole::*;
use crate::payload::testutil::{Direction::*, assert_walk};
use crate::payload::{PayloadError, SurfaceKind};
use serde_json::json;

const MCP: SurfaceKind = SurfaceKind::Mcp;

#[test]
fn tools_call_arguments() {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "create_ticket",
        "arguments": {
            "title": "printer broken",
            "reporter": {"email": "jane@example.com", "id": "u-1"},
            "tags": ["hw", "urgent"],
            "priority": 2
        },
        "_meta": {"progressToken": "tok-1"}
    }});
    assert_walk(
        Request,
        MCP,
        &request,
        &[
            ("/params/arguments/title", ToolArguments),
            ("/params/arguments/reporter/email", ToolArguments),
            ("/params/arguments/tags/0", ToolArguments),
            ("/params/arguments/tags/1", ToolArguments),
        ],
    );
}

#[test]
fn batch_with_notifications_and_client_responses() {
    let batch = json!([
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "t", "progress": 1, "message": "half done"}},
        {"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {
            "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "my client", "version": "1"}}},
        {"jsonrpc": "2.0", "id": "b", "method": "prompts/get", "params": {"name": "summarize", "arguments": {"text": "quarterly numbers"}}},
        {"jsonrpc": "2.0", "id": "c", "method": "tools/call", "params": {"name": "search", "arguments": {"query": "acme merger"}}},
        {"jsonrpc": "2.0", "id": "d", "method": "tools/list", "params": {"cursor": "next page"}},
        {"jsonrpc": "2.0", "id": 7, "result": {"action": "accept", "content": {"name": "jane doe", "subscribe": true}}},
        {"jsonrpc": "2.0", "id": 8, "result": {"role": "assistant", "model": "m",
            "content": {"type": "text", "text": "sampled answer"}, "stopReason": "endTurn"}},
        {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "x", "arguments": {"q": "no id, so a notification"}}}
    ]);
    assert_walk(
        Request,
        MCP,
        &batch,
        &[
            ("/3/params/arguments/text", ToolArguments),
            ("/4/params/arguments/query", ToolArguments),
            ("/6/result/content/name", User),
            ("/7/result/content/text", Assistant),
        ],
    );
}

#[test]
fn tool_result() {
    let response = json!({"jsonrpc": "2.0", "id": 1, "result": {
        "content": [
            {"type": "text", "text": "ticket created for jane"},
            {"type": "image", "data": "ivbor", "mimeType": "image/png"},
            {"type": "resource", "resource": {"uri": "file:///t.txt", "mimeType": "text/plain", "text": "ticket body"}},
            {"type": "resource_link", "uri": "file:///x", "name": "x", "description": "a link"}
        ],
        "structuredContent": {"ticket": {"id": "T-1", "summary": "printer broken", "assignee": "bob"}},
        "isError": false
    }});
    assert_walk(
        Response,
        MCP,
        &response,
        &[
            ("/result/content/0/text", ToolResult),
            ("/result/content/2/resource/text", ToolResult),
            ("/result/structuredContent/ticket/summary", ToolResult),
            ("/result/structuredContent/ticket/assignee", ToolResult),
        ],
    );
}

#[test]
fn other_results_and_errors() {
    let batch = json!([
        {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{
            "name": "search", "title": "search docs", "description": "search internal docs",
            "inputSchema": {"type": "object", "properties": {"q": {"type": "string", "description": "query text"}}},
            "outputSchema": {"type": "object", "properties": {"hits": {"type": "array", "description": "matching docs"}}}
        }], "nextCursor": "abc"}},
        {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "unknown tool: secret"}},
        {"jsonrpc": "2.0", "id": 4, "result": {"contents": [
            {"uri": "file:///a", "mimeType": "text/plain", "text": "file text"},
            {"uri": "file:///b", "blob": "aaaa"}
        ]}},
        {"jsonrpc": "2.0", "id": 5, "result": {"description": "a prompt", "messages": [
            {"role": "user", "content": {"type": "text", "text": "summarize this"}},
            {"role": "assistant", "content": {"type": "text", "text": "sure"}}
        ]}},
        {"jsonrpc": "2.0", "id": 6, "result": {"protocolVersion": "2025-06-18", "capabilities": {},
            "serverInfo": {"name": "srv", "version": "1"}, "instructions": "use search first"}},
        {"jsonrpc": "2.0", "id": 9, "result": {"prompts": [{"name": "p", "description": "draft an email",
            "arguments": [{"name": "to", "description": "recipient", "required": true}]}]}},
        {"jsonrpc": "2.0", "id": 10, "result": {}}
    ]);
    assert_walk(
        Response,
        MCP,
        &batch,
        &[
            ("/0/result/tools/0/title", ToolDefinition),
            ("/0/result/tools/0/description", ToolDefinition),
            (
                "/0/result/tools/0/inputSchema/properties/q/description",
                ToolDefinition,
            ),
            (
                "/0/result/tools/0/outputSchema/properties/hits/description",
                ToolDefinition,
            ),
            ("/2/result/contents/0/text", ToolResult),
            ("/3/result/messages/0/content/text", User),
            ("/3/result/messages/1/content/text", Assistant),
            ("/4/result/instructions", ToolDefinition),
            ("/5/result/prompts/0/description", ToolDefinition),
            (
                "/5/result/prompts/0/arguments/0/description",
                ToolDefinition,
            ),
        ],
    );
}

#[test]
fn lifecycle_messages_are_untouched() {
    let request = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {"sampling": {}},
        "clientInfo": {"name": "desktop client", "version": "1.0"}}});
    assert_walk(Request, MCP, &request, &[]);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_walk(Request, MCP, &ping, &[]);
    let sampling = json!({"jsonrpc": "2.0", "id": 2, "method": "sampling/createMessage", "params": {
        "messages": [{"role": "user", "content": {"type": "text", "text": "left alone"}}], "maxTokens": 10}});
    assert_walk(Response, MCP, &sampling, &[]);
}

#[test]
fn wrong_types_name_their_pointer() {
    let cases = [
        (
            json!("x"),
            "",
            "a JSON-RPC message object or a batch array",
            "a string",
        ),
        (
            json!([{"jsonrpc": "2.0", "method": "ping", "id": 1}, 5]),
            "/1",
            "an object",
            "a number",
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["a"]}),
            "/params",
            "an object",
            "an array",
        ),
    ];
    for (doc, pointer, expected, found) in cases {
        assert_eq!(
            shape_error(Request, MCP, &doc),
            PayloadError::UnexpectedType {
                pointer: pointer.into(),
                expected,
                found
            },
            "{doc}"
        );
    }
    // String arguments (invalid per spec) are still visited, not skipped.
    let odd = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": "raw text"}});
    assert_walk(Request, MCP, &odd, &[("/params/arguments", ToolArguments)]);
}
