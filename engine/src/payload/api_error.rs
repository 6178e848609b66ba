// SPDX-License-Identifier: Apache-2.0
//! Refusals written the way each API writes its own errors, so that SDKs
//! raise their usual exception types and show Shroud's message.
//!
//! - OpenAI: `{"error":{"message","type","param":null,"code"}}`.
//! - Anthropic: `{"type":"error","error":{"type","message"}}`.
//! - MCP: a JSON-RPC 2.0 error response per request id.
//! - Generic: `{"error":{"message","code"}}`.
//!
//! `details` (categories, counts; never values) is added as `error.details`,
//! or as JSON-RPC `error.data`.

use super::error::PayloadError;
use super::parse::serialize;
use crate::config::SurfaceKind;
use serde_json::{Map, Value};

/// Why Shroud refuses a request.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiErrorKind {
    /// The policy blocks the content (a secret, an injection, …).
    Blocked,
    /// The body is malformed or has the wrong shape.
    InvalidRequest,
    /// The body exceeds a size limit.
    TooLarge,
    /// The body is not JSON and the configuration refuses non-JSON bodies.
    UnsupportedMediaType,
    /// Shroud failed (and fails closed).
    Internal,
}

impl ApiErrorKind {
    /// The HTTP status normally used for this kind.
    pub fn default_status(self) -> u16 {
        match self {
            ApiErrorKind::Blocked => 403,
            ApiErrorKind::InvalidRequest => 400,
            ApiErrorKind::TooLarge => 413,
            ApiErrorKind::UnsupportedMediaType => 415,
            ApiErrorKind::Internal => 500,
        }
    }

    /// Shroud's machine-readable code, e.g. `shroud_blocked`.
    pub fn code(self) -> &'static str {
        match self {
            ApiErrorKind::Blocked => "shroud_blocked",
            ApiErrorKind::InvalidRequest => "shroud_invalid_request",
            ApiErrorKind::TooLarge => "shroud_request_too_large",
            ApiErrorKind::UnsupportedMediaType => "shroud_unsupported_media_type",
            ApiErrorKind::Internal => "shroud_internal_error",
        }
    }

    /// OpenAI `error.type`.
    fn openai_type(self) -> &'static str {
        match self {
            ApiErrorKind::Internal => "server_error",
            _ => "invalid_request_error",
        }
    }

    /// Anthropic `error.type`.
    fn anthropic_type(self) -> &'static str {
        match self {
            ApiErrorKind::Blocked => "permission_error",
            ApiErrorKind::InvalidRequest | ApiErrorKind::UnsupportedMediaType => {
                "invalid_request_error"
            }
            ApiErrorKind::TooLarge => "request_too_large",
            ApiErrorKind::Internal => "api_error",
        }
    }

    /// JSON-RPC 2.0 error code; `parsed` is whether the body was JSON at all.
    fn jsonrpc_code(self, parsed: bool) -> i64 {
        match self {
            ApiErrorKind::Blocked => -32001,
            ApiErrorKind::InvalidRequest if !parsed => -32700,
            ApiErrorKind::InvalidRequest | ApiErrorKind::TooLarge => -32600,
            ApiErrorKind::UnsupportedMediaType => -32700,
            ApiErrorKind::Internal => -32603,
        }
    }
}

/// A refusal to send back instead of forwarding the request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status (see [`ApiErrorKind::default_status`]).
    pub status: u16,
    /// What went wrong.
    pub kind: ApiErrorKind,
    /// Human-readable; must never contain a detected value.
    pub message: String,
    /// Machine-readable context, e.g. `{"categories":{"secret":1}}`; `null` for
    /// none. Must never contain a detected value.
    pub details: Value,
}

impl ApiError {
    /// An error of `kind` with its default status and no details.
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            status: kind.default_status(),
            kind,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// The same error with `details`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The refusal for a body that could not be parsed or walked. The message
    /// names JSON pointers (which contain object keys) but no values.
    pub fn from_payload_error(err: &PayloadError) -> Self {
        let kind = match err {
            PayloadError::TooLarge { .. } => ApiErrorKind::TooLarge,
            PayloadError::NotJson { .. } | PayloadError::UnsupportedEncoding { .. } => {
                ApiErrorKind::UnsupportedMediaType
            }
            _ => ApiErrorKind::InvalidRequest,
        };
        ApiError::new(kind, err.to_string())
    }
}

/// The HTTP status and body of `err` for a client of `surface`. `request` is
/// the parsed request body when there is one; MCP needs it for the ids.
///
/// MCP: the HTTP status is `err.status` (403 for a block, as for the other
/// APIs); the body holds one JSON-RPC error response per request id (an
/// array for a batch), so the client's pending calls fail with Shroud's
/// message; with no request id (unparsable body, only notifications) it is a
/// single error whose id is `null`.
pub fn error_body(surface: SurfaceKind, err: &ApiError, request: Option<&Value>) -> (u16, Vec<u8>) {
    match surface {
        SurfaceKind::OpenaiChat | SurfaceKind::OpenaiResponses => {
            let mut error = Map::new();
            error.insert("message".into(), err.message.clone().into());
            error.insert("type".into(), err.kind.openai_type().into());
            error.insert("param".into(), Value::Null);
            error.insert("code".into(), err.kind.code().into());
            add_details(&mut error, "details", err);
            (
                err.status,
                serialize(&object([("error", Value::Object(error))])),
            )
        }
        SurfaceKind::AnthropicMessages => {
            let mut error = Map::new();
            error.insert("type".into(), err.kind.anthropic_type().into());
            error.insert("message".into(), err.message.clone().into());
            add_details(&mut error, "details", err);
            let body = object([
                ("type", Value::from("error")),
                ("error", Value::Object(error)),
            ]);
            (err.status, serialize(&body))
        }
        SurfaceKind::Mcp => jsonrpc_error(err, request),
        SurfaceKind::Generic => {
            let mut error = Map::new();
            error.insert("message".into(), err.message.clone().into());
            error.insert("code".into(), err.kind.code().into());
            add_details(&mut error, "details", err);
            (
                err.status,
                serialize(&object([("error", Value::Object(error))])),
            )
        }
    }
}

fn jsonrpc_error(err: &ApiError, request: Option<&Value>) -> (u16, Vec<u8>) {
    let mut error = Map::new();
    error.insert(
        "code".into(),
        err.kind.jsonrpc_code(request.is_some()).into(),
    );
    error.insert("message".into(), err.message.clone().into());
    add_details(&mut error, "data", err);
    let response = |id: Value| {
        object([
            ("jsonrpc", Value::from("2.0")),
            ("id", id),
            ("error", Value::Object(error.clone())),
        ])
    };
    match request {
        Some(Value::Array(batch)) => {
            let answers: Vec<Value> = batch.iter().filter_map(request_id).map(response).collect();
            if answers.is_empty() {
                (err.status, serialize(&response(Value::Null)))
            } else {
                (err.status, serialize(&Value::Array(answers)))
            }
        }
        Some(message) => match request_id(message) {
            Some(id) => (err.status, serialize(&response(id))),
            None => (err.status, serialize(&response(Value::Null))),
        },
        None => (err.status, serialize(&response(Value::Null))),
    }
}

/// The id of a JSON-RPC request (not of a notification or a response).
fn request_id(message: &Value) -> Option<Value> {
    let message = message.as_object()?;
    if !message.contains_key("method") {
        return None;
    }
    match message.get("id")? {
        id @ (Value::String(_) | Value::Number(_)) => Some(id.clone()),
        _ => None,
    }
}

fn add_details(error: &mut Map<String, Value>, key: &str, err: &ApiError) {
    if !err.details.is_null() {
        error.insert(key.into(), err.details.clone());
    }
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(surface: SurfaceKind, err: &ApiError, request: Option<&Value>) -> (u16, Value) {
        let (status, bytes) = error_body(surface, err, request);
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn blocked() -> ApiError {
        ApiError::new(ApiErrorKind::Blocked, "request blocked: 1 secret")
            .with_details(json!({"categories": {"secret": 1}}))
    }

    #[test]
    fn openai_shape() {
        let (status, value) = body(SurfaceKind::OpenaiChat, &blocked(), None);
        assert_eq!(status, 403);
        assert_eq!(
            value,
            json!({"error": {
                "message": "request blocked: 1 secret",
                "type": "invalid_request_error",
                "param": null,
                "code": "shroud_blocked",
                "details": {"categories": {"secret": 1}}
            }})
        );
        let internal = ApiError::new(ApiErrorKind::Internal, "internal error");
        let (status, value) = body(SurfaceKind::OpenaiResponses, &internal, None);
        assert_eq!(status, 500);
        assert_eq!(value["error"]["type"], "server_error");
        assert_eq!(value["error"]["code"], "shroud_internal_error");
        assert!(value["error"].get("details").is_none());
    }

    #[test]
    fn anthropic_shape() {
        let cases = [
            (ApiErrorKind::Blocked, 403, "permission_error"),
            (ApiErrorKind::InvalidRequest, 400, "invalid_request_error"),
            (ApiErrorKind::TooLarge, 413, "request_too_large"),
            (
                ApiErrorKind::UnsupportedMediaType,
                415,
                "invalid_request_error",
            ),
            (ApiErrorKind::Internal, 500, "api_error"),
        ];
        for (kind, status, anthropic_type) in cases {
            let err = ApiError::new(kind, "no");
            let (got_status, value) = body(SurfaceKind::AnthropicMessages, &err, None);
            assert_eq!(got_status, status);
            assert_eq!(
                value,
                json!({"type": "error", "error": {"type": anthropic_type, "message": "no"}})
            );
        }
    }

    #[test]
    fn generic_shape() {
        let (status, value) = body(SurfaceKind::Generic, &blocked(), None);
        assert_eq!(status, 403);
        assert_eq!(
            value,
            json!({"error": {
                "message": "request blocked: 1 secret",
                "code": "shroud_blocked",
                "details": {"categories": {"secret": 1}}
            }})
        );
    }

    #[test]
    fn mcp_single_request_gets_its_id_back() {
        let request = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {}});
        let (status, value) = body(SurfaceKind::Mcp, &blocked(), Some(&request));
        assert_eq!(status, 403);
        assert_eq!(
            value,
            json!({"jsonrpc": "2.0", "id": 7, "error": {
                "code": -32001,
                "message": "request blocked: 1 secret",
                "data": {"categories": {"secret": 1}}
            }})
        );
    }

    #[test]
    fn mcp_batch_answers_each_request_id_only() {
        let request = json!([
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": "a-1", "method": "tools/call", "params": {}},
            {"jsonrpc": "2.0", "id": 3, "result": {}},
            {"jsonrpc": "2.0", "id": 4, "method": "tools/list"}
        ]);
        let err = ApiError::new(ApiErrorKind::InvalidRequest, "bad");
        let (status, value) = body(SurfaceKind::Mcp, &err, Some(&request));
        assert_eq!(status, 400);
        let ids: Vec<&Value> = value.as_array().unwrap().iter().map(|r| &r["id"]).collect();
        assert_eq!(ids, [&json!("a-1"), &json!(4)]);
        assert_eq!(value[0]["error"]["code"], -32600);
        assert!(value[0]["error"].get("data").is_none());
    }

    #[test]
    fn mcp_without_ids_uses_null_id_and_http_status() {
        let parse = ApiError::new(ApiErrorKind::InvalidRequest, "invalid JSON");
        let (status, value) = body(SurfaceKind::Mcp, &parse, None);
        assert_eq!(status, 400);
        assert_eq!(value["id"], Value::Null);
        assert_eq!(value["error"]["code"], -32700);

        let notification = json!({"jsonrpc": "2.0", "method": "notifications/cancelled"});
        let (status, value) = body(SurfaceKind::Mcp, &blocked(), Some(&notification));
        assert_eq!(status, 403);
        assert_eq!(value["id"], Value::Null);
        assert_eq!(value["error"]["code"], -32001);

        let batch = json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]);
        let (status, value) = body(SurfaceKind::Mcp, &blocked(), Some(&batch));
        assert_eq!(status, 403);
        assert!(value.is_object());

        let too_large = ApiError::new(ApiErrorKind::TooLarge, "too large");
        let (status, value) = body(SurfaceKind::Mcp, &too_large, None);
        assert_eq!(status, 413);
        assert_eq!(value["error"]["code"], -32600);

        let internal = ApiError::new(ApiErrorKind::Internal, "oops");
        let (_, value) = body(SurfaceKind::Mcp, &internal, None);
        assert_eq!(value["error"]["code"], -32603);
    }

    #[test]
    fn payload_errors_map_to_kinds() {
        let cases = [
            (
                PayloadError::TooLarge { size: 10, limit: 5 },
                ApiErrorKind::TooLarge,
                413,
            ),
            (
                PayloadError::NotJson {
                    line: 1,
                    column: 1,
                    message: "expected value".into(),
                },
                ApiErrorKind::UnsupportedMediaType,
                415,
            ),
            (
                PayloadError::UnsupportedEncoding {
                    encoding: "UTF-16LE",
                },
                ApiErrorKind::UnsupportedMediaType,
                415,
            ),
            (
                PayloadError::DuplicateKey {
                    pointer: "/messages/0/content".into(),
                },
                ApiErrorKind::InvalidRequest,
                400,
            ),
        ];
        for (payload, kind, status) in cases {
            let err = ApiError::from_payload_error(&payload);
            assert_eq!(err.kind, kind);
            assert_eq!(err.status, status);
            assert_eq!(err.message, payload.to_string());
        }
    }

    #[test]
    fn messages_are_escaped() {
        let err = ApiError::new(ApiErrorKind::InvalidRequest, "quote \" and \\ and \n");
        let (_, value) = body(SurfaceKind::Generic, &err, None);
        assert_eq!(value["error"]["message"], "quote \" and \\ and \n");
    }
}
