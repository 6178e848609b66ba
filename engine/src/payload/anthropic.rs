// SPDX-License-Identifier: Apache-2.0
//! Anthropic Messages (`POST /v1/messages`, also `/v1/messages/count_tokens`).
//!
//! Request, visited:
//! - `system`: a string or `text` blocks (System).
//! - `messages[].content`: a string or blocks; role `user` → User,
//!   `assistant` → Assistant:
//!   - `text.text`, and its `citations[].cited_text`/`document_title`;
//!   - `document`: `source.data` of a `text` source, `source.content` of a
//!     `content` source (string or blocks), `title`, `context`; base64, URL
//!     and file sources are left alone;
//!   - `search_result`: `title` and `content` blocks;
//!   - `tool_use`/`server_tool_use`/`mcp_tool_use`: string leaves of `input`
//!     (ToolArguments, never-touch keys honoured);
//!   - `tool_result`/`mcp_tool_result`: `content` string or blocks (ToolResult).
//!   - Not visited: `image` and `container_upload` (binary or references),
//!     `thinking`/`redacted_thinking` (signed: any change makes the API
//!     reject the conversation), and server-tool results such as
//!     `web_search_tool_result` (encrypted or produced by Anthropic itself).
//!   - Other block types: string leaves minus opaque keys.
//! - `tools[]`: `description` and the `input_schema` schema (ToolDefinition).
//!   Server tools: web-search `user_location` (Metadata).
//! - `metadata.user_id` (Metadata).
//!
//! Not visited: `mcp_servers` (its `authorization_token` is a credential meant
//! for the MCP server), `stop_sequences`, `tool_choice`, `container`.
//!
//! Response (`message` object): `content[]` blocks as above with role
//! Assistant (`text`, `tool_use.input`; `thinking` left alone).

use super::TextRole;
use super::walk::{Step, Walker, member, type_of};
use serde_json::{Map, Value};

pub(super) fn request<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "system", |w, v| content(w, v, TextRole::System))?;
    w.field(root, "messages", |w, v| {
        w.each(v, |w, m| {
            let msg = w.object(m)?;
            let role = match member(msg, "role").and_then(Value::as_str) {
                Some("user") => TextRole::User,
                Some("assistant") => TextRole::Assistant,
                _ => TextRole::Other,
            };
            w.field(msg, "content", |w, c| content(w, c, role))
        })
    })?;
    w.field(root, "tools", |w, v| w.each(v, tool))?;
    w.field(root, "metadata", |w, v| {
        let metadata = w.object(v)?;
        w.field(metadata, "user_id", |w, u| w.text(u, TextRole::Metadata))
    })
}

pub(super) fn response<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "content", |w, v| content(w, v, TextRole::Assistant))
}

/// `content`: a string, or an array of blocks.
fn content<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, role: TextRole) -> Step<E> {
    match v {
        Value::String(s) => w.emit(s, role),
        Value::Null => Ok(()),
        Value::Array(_) => w.each(v, |w, b| block(w, b, role)),
        other => Err(w.unexpected("a string or an array of content blocks", other)),
    }
}

enum BlockKind {
    Text,
    Document,
    SearchResult,
    ToolUse,
    ToolResult,
    /// Binary, signed, encrypted or produced server-side.
    LeftAlone,
    Unknown,
}

fn block_kind(block: &Value) -> BlockKind {
    match type_of(block) {
        Some("text") => BlockKind::Text,
        Some("document") => BlockKind::Document,
        Some("search_result") => BlockKind::SearchResult,
        Some("tool_use" | "server_tool_use" | "mcp_tool_use") => BlockKind::ToolUse,
        Some("tool_result" | "mcp_tool_result") => BlockKind::ToolResult,
        Some("image" | "container_upload" | "thinking" | "redacted_thinking") => {
            BlockKind::LeftAlone
        }
        Some(t) if t.ends_with("_tool_result") => BlockKind::LeftAlone,
        _ => BlockKind::Unknown,
    }
}

fn block<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, role: TextRole) -> Step<E> {
    let kind = block_kind(v);
    if let BlockKind::Unknown = kind {
        return match v {
            Value::Object(_) => w.unknown(v, role),
            other => Err(w.unexpected("a content block object", other)),
        };
    }
    let block = w.object(v)?;
    match kind {
        BlockKind::Text => {
            w.field(block, "text", |w, t| w.text(t, role))?;
            w.field(block, "citations", |w, c| {
                w.each(c, |w, citation| {
                    let citation = w.object(citation)?;
                    w.field(citation, "cited_text", |w, t| w.text(t, role))?;
                    w.field(citation, "document_title", |w, t| w.text(t, role))
                })
            })
        }
        BlockKind::Document => document(w, block, role),
        BlockKind::SearchResult => {
            w.field(block, "title", |w, t| w.text(t, role))?;
            w.field(block, "content", |w, c| content(w, c, role))
        }
        BlockKind::ToolUse => w.field(block, "input", |w, i| w.leaves(i, TextRole::ToolArguments)),
        BlockKind::ToolResult => {
            w.field(block, "content", |w, c| content(w, c, TextRole::ToolResult))
        }
        BlockKind::LeftAlone | BlockKind::Unknown => Ok(()),
    }
}

fn document<E>(
    w: &mut Walker<'_, '_, E>,
    block: &mut Map<String, Value>,
    role: TextRole,
) -> Step<E> {
    w.field(block, "source", |w, s| {
        let source_type = type_of(s).map(|t| t == "text" || t == "content");
        let source = w.object(s)?;
        match source_type {
            Some(true) => {
                w.field(source, "data", |w, d| w.text(d, role))?;
                w.field(source, "content", |w, c| content(w, c, role))
            }
            _ => Ok(()),
        }
    })?;
    w.field(block, "title", |w, t| w.text(t, role))?;
    w.field(block, "context", |w, c| w.text(c, role))
}

fn tool<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let tool = w.object(v)?;
    w.field(tool, "description", |w, d| {
        w.text(d, TextRole::ToolDefinition)
    })?;
    w.field(tool, "input_schema", |w, s| w.schema(s))?;
    w.field(tool, "user_location", |w, l| {
        w.leaves_skipping(l, TextRole::Metadata, &["type"])
    })
}
