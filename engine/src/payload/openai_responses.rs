// SPDX-License-Identifier: Apache-2.0
//! OpenAI Responses (`POST /v1/responses`).
//!
//! Request, visited:
//! - `instructions`: a string (System), or a list of input items.
//! - `input`: a string (User), or a list of items:
//!   - messages (`type` `message` or absent): `content` string or parts
//!     (`input_text`/`output_text` `.text`, `refusal`, `input_file.filename`;
//!     images, audio and file data are left alone); role as in Chat.
//!   - `function_call.arguments`, `mcp_call.arguments`,
//!     `mcp_approval_request.arguments`: JSON inside a string (ToolArguments);
//!     `custom_tool_call.input`: plain text (ToolArguments).
//!   - `function_call_output.output`, `custom_tool_call_output.output`: string
//!     or parts (ToolResult); `mcp_call.output`/`.error`,
//!     `local_shell_call_output.output`, `apply_patch_call_output.output`,
//!     `shell_call_output.output`, `code_interpreter_call.outputs[].logs`,
//!     `file_search_call.results[].text` (ToolResult).
//!   - tool actions the model chose: `web_search_call.action`,
//!     `local_shell_call.action`, `shell_call.action`,
//!     `apply_patch_call.operation`, `code_interpreter_call.code`,
//!     `file_search_call.queries` (ToolArguments).
//!   - `reasoning`: `summary[].text` and `content[].text` (Assistant);
//!     `encrypted_content` is never touched.
//!   - `mcp_list_tools.tools[]`: `description` and `input_schema`
//!     (ToolDefinition); `mcp_approval_response.reason` (User).
//!   - `computer_call`, `computer_call_output`, `image_generation_call`,
//!     `item_reference`, `compaction`: binary, encrypted or references, left
//!     alone. Other types: string leaves minus opaque keys (role Other).
//! - `tools[]`: function and custom tools' `description`, function
//!   `parameters` schema, MCP `server_description` (ToolDefinition);
//!   web-search `user_location` (Metadata). MCP `headers`/`authorization` are
//!   credentials meant for the MCP server and are not visited.
//! - `text.format` (`json_schema`): `description` and `schema`.
//! - `prompt.variables` values: strings or input parts (User).
//! - `user`, `safety_identifier`, `metadata` values (Metadata).
//!
//! Response (`response` object): `output[]` items as above (messages are
//! assistant text), `output_text` (an SDK convenience, visited when present),
//! and the echoed `instructions`, `tools`, `text`, `prompt` and metadata.

use super::TextRole;
use super::openai_chat::{content, content_part, metadata, named_schema};
use super::walk::{Step, Walker, member, type_of};
use serde_json::{Map, Value};

pub(super) fn request<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "input", |w, v| match v {
        Value::String(s) => w.emit(s, TextRole::User),
        Value::Null => Ok(()),
        Value::Array(_) => w.each(v, |w, item| input_item(w, item, TextRole::User)),
        other => Err(w.unexpected("a string or an array of items", other)),
    })?;
    echoed(w, root)
}

pub(super) fn response<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "output", |w, v| {
        w.each(v, |w, item| input_item(w, item, TextRole::Assistant))
    })?;
    w.field(root, "output_text", |w, v| w.text(v, TextRole::Assistant))?;
    echoed(w, root)
}

/// Request fields a response object echoes back.
fn echoed<E>(w: &mut Walker<'_, '_, E>, root: &mut Map<String, Value>) -> Step<E> {
    w.field(root, "instructions", |w, v| match v {
        Value::String(s) => w.emit(s, TextRole::System),
        Value::Null => Ok(()),
        Value::Array(_) => w.each(v, |w, item| input_item(w, item, TextRole::System)),
        other => Err(w.unexpected("a string or an array of items", other)),
    })?;
    w.field(root, "tools", |w, v| w.each(v, tool))?;
    w.field(root, "text", |w, v| {
        let text = w.object(v)?;
        w.field(text, "format", |w, f| match type_of(f) {
            Some("json_schema") => named_schema(w, f),
            _ => Ok(()),
        })
    })?;
    w.field(root, "prompt", |w, v| {
        let prompt = w.object(v)?;
        w.field(prompt, "variables", |w, vars| {
            w.each_value(vars, |w, var| match var {
                Value::String(s) => w.emit(s, TextRole::User),
                _ => content_part(w, var, TextRole::User),
            })
        })
    })?;
    metadata(w, root)
}

/// How an input or output item is walked, by its `type`.
enum ItemKind {
    Message,
    /// `arguments` holds JSON inside a string.
    Call,
    /// `input` is free text.
    CustomCall,
    /// `output` is a string or parts.
    CallOutput,
    McpCall,
    McpListTools,
    McpApprovalResponse,
    /// `output` is text or structured output of a shell/patch tool.
    ToolOutput,
    /// The tool action the model chose, under this key.
    Action(&'static str),
    CodeInterpreter,
    FileSearch,
    Reasoning,
    /// Binary, encrypted, or only references.
    Opaque,
    Unknown,
}

fn item_kind(item: &Value) -> ItemKind {
    match type_of(item) {
        None | Some("message") => ItemKind::Message,
        Some("function_call" | "mcp_approval_request") => ItemKind::Call,
        Some("custom_tool_call") => ItemKind::CustomCall,
        Some("function_call_output" | "custom_tool_call_output") => ItemKind::CallOutput,
        Some("mcp_call") => ItemKind::McpCall,
        Some("mcp_list_tools") => ItemKind::McpListTools,
        Some("mcp_approval_response") => ItemKind::McpApprovalResponse,
        Some("local_shell_call_output" | "shell_call_output" | "apply_patch_call_output") => {
            ItemKind::ToolOutput
        }
        Some("web_search_call" | "local_shell_call" | "shell_call") => ItemKind::Action("action"),
        Some("apply_patch_call") => ItemKind::Action("operation"),
        Some("code_interpreter_call") => ItemKind::CodeInterpreter,
        Some("file_search_call") => ItemKind::FileSearch,
        Some("reasoning") => ItemKind::Reasoning,
        Some(
            "computer_call"
            | "computer_call_output"
            | "image_generation_call"
            | "item_reference"
            | "compaction",
        ) => ItemKind::Opaque,
        Some(_) => ItemKind::Unknown,
    }
}

fn message_role(item: &Map<String, Value>, default: TextRole) -> TextRole {
    match member(item, "role").and_then(Value::as_str) {
        Some("system" | "developer") => TextRole::System,
        Some("user") => TextRole::User,
        Some("assistant") => TextRole::Assistant,
        Some(_) => TextRole::Other,
        None => default,
    }
}

/// One item of `input`, `output` or `instructions`. `default_role` applies
/// to messages without a `role`.
fn input_item<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, default_role: TextRole) -> Step<E> {
    if !v.is_object() {
        return Err(w.unexpected("an item object", v));
    }
    let kind = item_kind(v);
    if let ItemKind::Unknown = kind {
        return w.unknown(v, TextRole::Other);
    }
    let item = w.object(v)?;
    let args = TextRole::ToolArguments;
    let result = TextRole::ToolResult;
    match kind {
        ItemKind::Message => {
            let role = message_role(item, default_role);
            w.field(item, "content", |w, c| content(w, c, role))
        }
        ItemKind::Call => w.field(item, "arguments", |w, a| w.json_text(a, args)),
        ItemKind::CustomCall => w.field(item, "input", |w, i| w.text(i, args)),
        ItemKind::CallOutput => w.field(item, "output", |w, o| content(w, o, result)),
        ItemKind::McpCall => {
            w.field(item, "arguments", |w, a| w.json_text(a, args))?;
            w.field(item, "output", |w, o| w.text(o, result))?;
            w.field(item, "error", |w, e| w.text(e, result))
        }
        ItemKind::McpListTools => w.field(item, "tools", |w, tools| {
            w.each(tools, |w, t| {
                let tool = w.object(t)?;
                w.field(tool, "description", |w, d| {
                    w.text(d, TextRole::ToolDefinition)
                })?;
                w.field(tool, "input_schema", |w, s| w.schema(s))
            })
        }),
        ItemKind::McpApprovalResponse => w.field(item, "reason", |w, r| w.text(r, TextRole::User)),
        ItemKind::ToolOutput => w.field(item, "output", |w, o| w.unknown(o, result)),
        ItemKind::Action(key) => w.field(item, key, |w, a| w.unknown(a, args)),
        ItemKind::CodeInterpreter => {
            w.field(item, "code", |w, c| w.text(c, args))?;
            w.field(item, "outputs", |w, outputs| {
                w.each(outputs, |w, o| {
                    let output = w.object(o)?;
                    w.field(output, "logs", |w, l| w.text(l, result))
                })
            })
        }
        ItemKind::FileSearch => {
            w.field(item, "queries", |w, q| {
                w.each(q, |w, query| w.text(query, args))
            })?;
            w.field(item, "results", |w, r| {
                w.each(r, |w, hit| {
                    let hit = w.object(hit)?;
                    w.field(hit, "text", |w, t| w.text(t, result))
                })
            })
        }
        ItemKind::Reasoning => {
            for key in ["summary", "content"] {
                w.field(item, key, |w, parts| {
                    w.each(parts, |w, p| content_part(w, p, TextRole::Assistant))
                })?;
            }
            Ok(())
        }
        ItemKind::Opaque | ItemKind::Unknown => Ok(()),
    }
}

fn tool<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let is_web_search = type_of(v).is_some_and(|t| t.starts_with("web_search"));
    let tool = w.object(v)?;
    let definition = TextRole::ToolDefinition;
    w.field(tool, "description", |w, d| w.text(d, definition))?;
    w.field(tool, "parameters", |w, p| w.schema(p))?;
    w.field(tool, "server_description", |w, d| w.text(d, definition))?;
    if is_web_search {
        w.field(tool, "user_location", |w, l| {
            w.leaves_skipping(l, TextRole::Metadata, &["type"])
        })?;
    }
    Ok(())
}
