// SPDX-License-Identifier: Apache-2.0
//! MCP over JSON-RPC 2.0: one message or a batch array, in either direction
//! (the same walker serves request and response bodies, since a client also
//! POSTs responses to server requests and a server may answer with requests).
//!
//! Requests (`method` and `id`):
//! - `tools/call`: string leaves of `params.arguments` (ToolArguments,
//!   never-touch keys honoured); the tool `name` is left alone.
//! - `prompts/get`: string leaves of `params.arguments` (ToolArguments).
//! - Everything else (`initialize`, `*/list`, `resources/read`,
//!   `sampling/createMessage`, `elicitation/create`, …) is left alone, and so
//!   are notifications (no `id`) and `_meta`.
//!
//! Results (`result`), recognised by shape because the method is not known:
//! - `content`: an array of content blocks (tool results: ToolResult), a
//!   single block (a sampling result: Assistant), or an object of plain values
//!   (an elicitation answer: User). Blocks: `text.text`,
//!   `resource.resource.text`; `image`, `audio` and `resource_link` are left
//!   alone; other block types: string leaves minus opaque keys.
//! - `structuredContent`: string leaves (ToolResult).
//! - `contents[].text` (`resources/read`: ToolResult).
//! - `messages[].content` (`prompts/get`: by message role).
//! - `tools[]`: `title`, `description`, `inputSchema`, `outputSchema`;
//!   `prompts[]` and `resources[]`/`resourceTemplates[]`: `title`,
//!   `description`, prompt `arguments[].description`; `instructions` of an
//!   `initialize` result (all ToolDefinition: text that steers the model).
//!
//! `error` objects are left alone.

use super::TextRole;
use super::walk::{Step, Walker, member, type_of};
use serde_json::{Map, Value};

/// A message or a batch.
pub(super) fn messages<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    match doc {
        Value::Object(_) => message(w, doc),
        Value::Array(_) => w.each(doc, message),
        other => Err(w.unexpected("a JSON-RPC message object or a batch array", other)),
    }
}

fn message<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let msg = w.object(v)?;
    if msg.contains_key("method") {
        if !msg.contains_key("id") {
            return Ok(()); // a notification
        }
        let method = msg.get("method").and_then(Value::as_str);
        let walks_arguments = matches!(method, Some("tools/call" | "prompts/get"));
        if walks_arguments {
            w.field(msg, "params", |w, p| {
                let params = w.object(p)?;
                w.field(params, "arguments", |w, a| {
                    w.leaves(a, TextRole::ToolArguments)
                })
            })?;
        }
        return Ok(());
    }
    w.field(msg, "result", |w, r| match r {
        Value::Object(result) => result_fields(w, result),
        _ => Ok(()),
    })
}

fn result_fields<E>(w: &mut Walker<'_, '_, E>, result: &mut Map<String, Value>) -> Step<E> {
    let tool_result = TextRole::ToolResult;
    let definition = TextRole::ToolDefinition;
    w.field(result, "content", |w, c| match c {
        Value::Array(_) => w.each(c, |w, b| block(w, b, tool_result)),
        Value::Object(map) if map.contains_key("type") => block(w, c, TextRole::Assistant),
        Value::Object(_) => w.leaves(c, TextRole::User),
        _ => Ok(()),
    })?;
    w.field(result, "structuredContent", |w, s| w.leaves(s, tool_result))?;
    w.field(result, "contents", |w, c| {
        w.each(c, |w, item| {
            let item = w.object(item)?;
            w.field(item, "text", |w, t| w.text(t, tool_result))
        })
    })?;
    w.field(result, "messages", |w, m| {
        w.each(m, |w, message| {
            let message = w.object(message)?;
            let role = match member(message, "role").and_then(Value::as_str) {
                Some("user") => TextRole::User,
                Some("assistant") => TextRole::Assistant,
                _ => TextRole::Other,
            };
            w.field(message, "content", |w, c| match c {
                Value::Array(_) => w.each(c, |w, b| block(w, b, role)),
                _ => block(w, c, role),
            })
        })
    })?;
    w.field(result, "tools", |w, t| {
        w.each(t, |w, tool| {
            let tool = w.object(tool)?;
            described(w, tool)?;
            w.field(tool, "inputSchema", |w, s| w.schema(s))?;
            w.field(tool, "outputSchema", |w, s| w.schema(s))
        })
    })?;
    for key in ["prompts", "resources", "resourceTemplates"] {
        w.field(result, key, |w, list| {
            w.each(list, |w, entry| {
                let entry = w.object(entry)?;
                described(w, entry)?;
                w.field(entry, "arguments", |w, args| {
                    w.each(args, |w, arg| {
                        let arg = w.object(arg)?;
                        described(w, arg)
                    })
                })
            })
        })?;
    }
    w.field(result, "instructions", |w, i| w.text(i, definition))
}

fn described<E>(w: &mut Walker<'_, '_, E>, entry: &mut Map<String, Value>) -> Step<E> {
    let definition = TextRole::ToolDefinition;
    w.field(entry, "title", |w, t| w.text(t, definition))?;
    w.field(entry, "description", |w, d| w.text(d, definition))
}

enum BlockKind {
    Text,
    Resource,
    LeftAlone,
    Unknown,
}

/// One MCP content block.
fn block<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, role: TextRole) -> Step<E> {
    let kind = match type_of(v) {
        Some("text") => BlockKind::Text,
        Some("resource") => BlockKind::Resource,
        Some("image" | "audio" | "resource_link") => BlockKind::LeftAlone,
        _ => BlockKind::Unknown,
    };
    if let BlockKind::Unknown = kind {
        return match v {
            Value::Object(_) => w.unknown(v, role),
            other => Err(w.unexpected("a content block object", other)),
        };
    }
    let block = w.object(v)?;
    match kind {
        BlockKind::Text => w.field(block, "text", |w, t| w.text(t, role)),
        BlockKind::Resource => w.field(block, "resource", |w, r| {
            let resource = w.object(r)?;
            w.field(resource, "text", |w, t| w.text(t, role))
        }),
        BlockKind::LeftAlone | BlockKind::Unknown => Ok(()),
    }
}
