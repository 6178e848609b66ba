// SPDX-License-Identifier: Apache-2.0
//! Request validation before sanitization: the fields each API requires
//! (the walkers already check the TYPE of every field they read, so this
//! only checks presence, emptiness and the scalar fields they skip), and
//! the profile's model allowlist.

use crate::config::{Profile, SurfaceKind};
use crate::glob;
use serde_json::Value;

/// Problems with a request's required fields, as `pointer: problem` lines;
/// empty when the request is well formed.
pub(crate) fn problems(surface: SurfaceKind, doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match surface {
        SurfaceKind::OpenaiChat => {
            model(doc, &mut out);
            non_empty_array(doc, "messages", &mut out);
        }
        SurfaceKind::OpenaiResponses => {
            model(doc, &mut out);
            match doc.get("input") {
                None | Some(Value::String(_)) | Some(Value::Array(_)) => {}
                Some(_) => out.push("/input: must be a string or an array".into()),
            }
        }
        SurfaceKind::AnthropicMessages => {
            model(doc, &mut out);
            non_empty_array(doc, "messages", &mut out);
            match doc.get("max_tokens") {
                Some(v) if v.as_u64().is_some_and(|n| n > 0) => {}
                Some(_) => out.push("/max_tokens: must be a positive integer".into()),
                None => out.push("/max_tokens: required".into()),
            }
        }
        SurfaceKind::Mcp => match doc {
            Value::Array(batch) if batch.is_empty() => {
                out.push("/: a batch must not be empty".into())
            }
            Value::Array(batch) => {
                for (i, message) in batch.iter().enumerate() {
                    jsonrpc(message, &format!("/{i}"), &mut out);
                }
            }
            message => jsonrpc(message, "", &mut out),
        },
        SurfaceKind::Generic => {}
    }
    out
}

/// The request's model when the profile does not allow it.
pub(crate) fn disallowed_model<'d>(profile: &Profile, doc: &'d Value) -> Option<&'d str> {
    if profile.models.is_empty() {
        return None;
    }
    let model = doc.get("model").and_then(Value::as_str)?;
    (!glob::any(&profile.models, model)).then_some(model)
}

fn model(doc: &Value, out: &mut Vec<String>) {
    match doc.get("model") {
        Some(Value::String(m)) if !m.is_empty() => {}
        Some(Value::String(_)) => out.push("/model: must not be empty".into()),
        Some(_) => out.push("/model: must be a string".into()),
        None => out.push("/model: required".into()),
    }
}

fn non_empty_array(doc: &Value, key: &str, out: &mut Vec<String>) {
    match doc.get(key) {
        Some(Value::Array(items)) if !items.is_empty() => {}
        Some(Value::Array(_)) => out.push(format!("/{key}: must not be empty")),
        Some(_) => out.push(format!("/{key}: must be an array")),
        None => out.push(format!("/{key}: required")),
    }
}

/// JSON-RPC 2.0: `jsonrpc: "2.0"`; a request or notification has a string
/// `method`; a response has `result` or `error`; ids are strings, numbers
/// or null.
fn jsonrpc(message: &Value, at: &str, out: &mut Vec<String>) {
    let Some(map) = message.as_object() else {
        out.push(format!("{at}/: must be a JSON-RPC message object"));
        return;
    };
    if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        out.push(format!("{at}/jsonrpc: must be \"2.0\""));
    }
    match map.get("method") {
        Some(Value::String(m)) if !m.is_empty() => {}
        Some(_) => out.push(format!("{at}/method: must be a non-empty string")),
        None if map.contains_key("result") || map.contains_key("error") => {}
        None => out.push(format!("{at}/method: required")),
    }
    if let Some(id) = map.get("id")
        && !matches!(id, Value::String(_) | Value::Number(_) | Value::Null)
    {
        out.push(format!("{at}/id: must be a string or a number"));
    }
    if map.get("method").and_then(Value::as_str) == Some("tools/call") {
        let name = map.get("params").and_then(|p| p.get("name"));
        if !name.is_some_and(Value::is_string) {
            out.push(format!("{at}/params/name: tools/call needs the tool name"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_formed_requests_have_no_problems() {
        let cases = [
            (
                SurfaceKind::OpenaiChat,
                json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
            ),
            (
                SurfaceKind::OpenaiResponses,
                json!({"model": "m", "input": "hi"}),
            ),
            (
                SurfaceKind::AnthropicMessages,
                json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}),
            ),
            (
                SurfaceKind::Mcp,
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            ),
            (
                SurfaceKind::Mcp,
                json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "id": "x", "result": {}}]),
            ),
            (SurfaceKind::Generic, json!(42)),
        ];
        for (surface, doc) in cases {
            assert_eq!(
                problems(surface, &doc),
                Vec::<String>::new(),
                "{surface:?} {doc}"
            );
        }
    }

    #[test]
    fn problems_are_listed_by_pointer() {
        let cases = [
            (
                SurfaceKind::OpenaiChat,
                json!({"messages": []}),
                vec!["/model: required", "/messages: must not be empty"],
            ),
            (
                SurfaceKind::OpenaiChat,
                json!({"model": 3, "messages": "hi"}),
                vec!["/model: must be a string", "/messages: must be an array"],
            ),
            (
                SurfaceKind::AnthropicMessages,
                json!({"model": "m", "messages": [{}]}),
                vec!["/max_tokens: required"],
            ),
            (
                SurfaceKind::AnthropicMessages,
                json!({"model": "m", "messages": [{}], "max_tokens": 0}),
                vec!["/max_tokens: must be a positive integer"],
            ),
            (
                SurfaceKind::OpenaiResponses,
                json!({"model": "", "input": 1}),
                vec![
                    "/model: must not be empty",
                    "/input: must be a string or an array",
                ],
            ),
            (
                SurfaceKind::Mcp,
                json!({"jsonrpc": "1.0", "id": {}, "method": 5}),
                vec![
                    "/jsonrpc: must be \"2.0\"",
                    "/method: must be a non-empty string",
                    "/id: must be a string or a number",
                ],
            ),
            (
                SurfaceKind::Mcp,
                json!({"jsonrpc": "2.0", "id": 1}),
                vec!["/method: required"],
            ),
            (
                SurfaceKind::Mcp,
                json!([]),
                vec!["/: a batch must not be empty"],
            ),
            (
                SurfaceKind::Mcp,
                json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}]),
                vec!["/0/params/name: tools/call needs the tool name"],
            ),
        ];
        for (surface, doc, want) in cases {
            assert_eq!(problems(surface, &doc), want, "{doc}");
        }
    }

    #[test]
    fn model_allowlist_uses_globs() {
        let profile = Profile {
            models: vec!["gpt-4o*".into(), "claude-*-haiku*".into()],
            ..Profile::default()
        };
        assert_eq!(
            disallowed_model(&profile, &json!({"model": "gpt-4o-mini"})),
            None
        );
        assert_eq!(
            disallowed_model(&profile, &json!({"model": "claude-3-5-haiku-latest"})),
            None
        );
        assert_eq!(
            disallowed_model(&profile, &json!({"model": "o1-pro"})),
            Some("o1-pro")
        );
        assert_eq!(
            disallowed_model(&Profile::default(), &json!({"model": "o1-pro"})),
            None
        );
        assert_eq!(disallowed_model(&profile, &json!({"messages": []})), None);
    }
}
