// SPDX-License-Identifier: Apache-2.0
//! OpenAI Chat Completions (`POST /v1/chat/completions`, also Azure OpenAI).
//!
//! Request, visited:
//! - `messages[].content`: a string, or parts: `text.text`, `refusal.refusal`,
//!   `file.file.filename`; `image_url` and `input_audio` parts are binary or
//!   references and left alone. Role from the message: `system`/`developer`
//!   → System, `user` → User, `assistant` → Assistant, `tool`/`function` →
//!   ToolResult, anything else → Other.
//! - `messages[].name` (Name), except on legacy `function` messages, where it
//!   is the function's name; assistant `refusal` (Assistant).
//! - `messages[].tool_calls[].function.arguments` and legacy
//!   `function_call.arguments`: JSON inside a string (ToolArguments);
//!   `tool_calls[].custom.input` of custom tools: plain text (ToolArguments).
//! - `tools[].function` and legacy `functions[]`: `description` and the
//!   `parameters` schema; `tools[].custom.description` (ToolDefinition).
//! - `response_format.json_schema`: `description` and `schema` (ToolDefinition).
//! - `prediction.content` (User: text the caller expects back).
//! - `user`, `safety_identifier`, `metadata` values,
//!   `web_search_options.user_location` (Metadata).
//!
//! Not visited: ids, names of tools and functions, `stop`, `logit_bias`,
//! base64 audio/images/files, `audio.id`.
//!
//! Response (`chat.completion`): `choices[].message` as an assistant message:
//! `content`, `refusal`, `tool_calls`, `function_call`, `audio.transcript`.
//! Known gap: `choices[].logprobs` holds output tokens verbatim and is not
//! rewritten; `message.annotations` (URL citations) neither.

use super::TextRole;
use super::walk::{Step, Walker, member, type_of};
use serde_json::{Map, Value};

pub(super) fn request<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "messages", |w, v| w.each(v, message))?;
    w.field(root, "tools", |w, v| w.each(v, tool))?;
    w.field(root, "functions", |w, v| w.each(v, function_definition))?;
    w.field(root, "response_format", |w, v| {
        let format = w.object(v)?;
        w.field(format, "json_schema", named_schema)
    })?;
    w.field(root, "prediction", |w, v| {
        let prediction = w.object(v)?;
        w.field(prediction, "content", |w, c| content(w, c, TextRole::User))
    })?;
    w.field(root, "web_search_options", |w, v| {
        let options = w.object(v)?;
        w.field(options, "user_location", |w, l| {
            w.leaves_skipping(l, TextRole::Metadata, &["type"])
        })
    })?;
    metadata(w, root)
}

pub(super) fn response<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    let root = w.object(doc)?;
    w.field(root, "choices", |w, v| {
        w.each(v, |w, choice| {
            let choice = w.object(choice)?;
            w.field(choice, "message", |w, m| {
                let msg = w.object(m)?;
                assistant_fields(w, msg)
            })
        })
    })
}

/// The caller-identifying fields both OpenAI APIs share.
pub(super) fn metadata<E>(w: &mut Walker<'_, '_, E>, root: &mut Map<String, Value>) -> Step<E> {
    w.field(root, "user", |w, v| w.text(v, TextRole::Metadata))?;
    w.field(root, "safety_identifier", |w, v| {
        w.text(v, TextRole::Metadata)
    })?;
    w.field(root, "metadata", |w, v| match v {
        Value::Object(_) | Value::Null => w.leaves(v, TextRole::Metadata),
        other => Err(w.unexpected("an object", other)),
    })
}

/// Role of a chat message.
fn role_of(msg: &Map<String, Value>) -> (TextRole, bool) {
    let role = member(msg, "role").and_then(Value::as_str).unwrap_or("");
    let text_role = match role {
        "system" | "developer" => TextRole::System,
        "user" => TextRole::User,
        "assistant" => TextRole::Assistant,
        "tool" | "function" => TextRole::ToolResult,
        _ => TextRole::Other,
    };
    (text_role, role == "function")
}

fn message<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let msg = w.object(v)?;
    let (role, is_function) = role_of(msg);
    w.field(msg, "content", |w, c| content(w, c, role))?;
    if !is_function {
        w.field(msg, "name", |w, n| w.text(n, TextRole::Name))?;
    }
    // Tool calls and refusals only occur on assistant messages, but a
    // mislabelled message must not hide them.
    w.field(msg, "refusal", |w, r| w.text(r, TextRole::Assistant))?;
    tool_call_fields(w, msg)
}

/// The fields of an assistant message in a response.
fn assistant_fields<E>(w: &mut Walker<'_, '_, E>, msg: &mut Map<String, Value>) -> Step<E> {
    w.field(msg, "content", |w, c| content(w, c, TextRole::Assistant))?;
    w.field(msg, "refusal", |w, r| w.text(r, TextRole::Assistant))?;
    w.field(msg, "audio", |w, a| {
        let audio = w.object(a)?;
        w.field(audio, "transcript", |w, t| w.text(t, TextRole::Assistant))
    })?;
    tool_call_fields(w, msg)
}

fn tool_call_fields<E>(w: &mut Walker<'_, '_, E>, msg: &mut Map<String, Value>) -> Step<E> {
    w.field(msg, "tool_calls", |w, v| w.each(v, tool_call))?;
    w.field(msg, "function_call", |w, v| {
        let call = w.object(v)?;
        w.field(call, "arguments", |w, a| {
            w.json_text(a, TextRole::ToolArguments)
        })
    })
}

fn tool_call<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let call = w.object(v)?;
    w.field(call, "function", |w, f| {
        let function = w.object(f)?;
        w.field(function, "arguments", |w, a| {
            w.json_text(a, TextRole::ToolArguments)
        })
    })?;
    w.field(call, "custom", |w, c| {
        let custom = w.object(c)?;
        w.field(custom, "input", |w, i| w.text(i, TextRole::ToolArguments))
    })
}

/// `content`: a string, `null`, or an array of parts.
pub(super) fn content<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, role: TextRole) -> Step<E> {
    match v {
        Value::String(s) => w.emit(s, role),
        Value::Null => Ok(()),
        Value::Array(_) => w.each(v, |w, part| content_part(w, part, role)),
        other => Err(w.unexpected("a string or an array of parts", other)),
    }
}

/// What a content part carries, by its `type`.
enum PartKind {
    /// Its `text` field is text.
    Text,
    /// Its `refusal` field is model text.
    Refusal,
    /// Chat `file` part: `file.filename` is text.
    NestedFile,
    /// Responses `input_file` part: `filename` is text.
    File,
    /// Image, audio: nothing to visit.
    Binary,
    Unknown,
}

fn part_kind(part: &Value) -> PartKind {
    match type_of(part) {
        Some("text" | "input_text" | "output_text" | "summary_text" | "reasoning_text") => {
            PartKind::Text
        }
        Some("refusal") => PartKind::Refusal,
        Some("file") => PartKind::NestedFile,
        Some("input_file") => PartKind::File,
        Some("image_url" | "input_image" | "input_audio" | "audio" | "image") => PartKind::Binary,
        _ => PartKind::Unknown,
    }
}

/// A content part of either OpenAI API (the type names do not collide).
pub(super) fn content_part<E>(w: &mut Walker<'_, '_, E>, v: &mut Value, role: TextRole) -> Step<E> {
    let kind = part_kind(v);
    if let PartKind::Unknown = kind {
        return match v {
            Value::Object(_) => w.unknown(v, role),
            other => Err(w.unexpected("a content part object", other)),
        };
    }
    let part = w.object(v)?;
    match kind {
        PartKind::Text => w.field(part, "text", |w, t| w.text(t, role)),
        PartKind::Refusal => w.field(part, "refusal", |w, t| w.text(t, TextRole::Assistant)),
        PartKind::NestedFile => w.field(part, "file", |w, f| {
            let file = w.object(f)?;
            w.field(file, "filename", |w, n| w.text(n, role))
        }),
        PartKind::File => w.field(part, "filename", |w, n| w.text(n, role)),
        PartKind::Binary | PartKind::Unknown => Ok(()),
    }
}

fn tool<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let tool = w.object(v)?;
    w.field(tool, "function", function_definition)?;
    w.field(tool, "custom", |w, c| {
        let custom = w.object(c)?;
        w.field(custom, "description", |w, d| {
            w.text(d, TextRole::ToolDefinition)
        })
    })
}

fn function_definition<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let function = w.object(v)?;
    w.field(function, "description", |w, d| {
        w.text(d, TextRole::ToolDefinition)
    })?;
    w.field(function, "parameters", |w, p| w.schema(p))
}

/// `{name, description, schema}` of a structured-output format.
pub(super) fn named_schema<E>(w: &mut Walker<'_, '_, E>, v: &mut Value) -> Step<E> {
    let format = w.object(v)?;
    w.field(format, "description", |w, d| {
        w.text(d, TextRole::ToolDefinition)
    })?;
    w.field(format, "schema", |w, s| w.schema(s))
}
