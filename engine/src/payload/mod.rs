// SPDX-License-Identifier: Apache-2.0
//! The payload surface: which parts of an LLM or MCP JSON body are text a
//! person or a model reads, so that the policy layer sanitizes exactly those
//! and nothing else.
//!
//! Flow: [`surface_for_path`] picks the API shape, [`parse_body`] turns the
//! bytes into a [`Value`] (strictly: size and depth limits, no duplicate
//! keys, numbers kept verbatim), [`walk_request`] / [`walk_response`] hand
//! every model-visible string to a visitor that may rewrite it in place, and
//! [`serialize`] writes the document back. Whatever the walker does not hand
//! out keeps its meaning exactly (key order and number text included).
//!
//! Each surface walker knows its API's documented fields (see the module
//! docs of [`openai_chat`], [`openai_responses`], [`anthropic`], [`mcp`] and
//! [`generic`]). Two rules hold everywhere:
//!
//! - **`never_touch`** keys are honoured inside free-form JSON, where the keys
//!   are chosen by the data rather than by the API: tool arguments, JSON-schema
//!   `default`/`enum`/`examples`/`const` values, MCP `arguments` and
//!   `structuredContent`, unknown parts, and the whole document on the
//!   generic surface. A value under such a key is never visited. Fixed API
//!   fields (`messages`, `content`, `input`, …) are governed by the walker, so
//!   listing `input` to protect a tool parameter cannot switch off scanning of
//!   a whole Responses request.
//! - **Unknown part, block or item types** are not a blind spot: their string
//!   leaves are visited (role of the enclosing message), except never-touch
//!   keys and [`OPAQUE_KEYS`] (signatures, encrypted or binary data, ids).
//!
//! JSON documents carried inside strings (OpenAI `function.arguments`,
//! Responses `function_call.arguments`, MCP-in-Responses `arguments`) are
//! decoded with the same strict parser, their string leaves visited, and the
//! string re-encoded compactly, but only when a leaf actually changed. A
//! string that is not JSON is visited as plain text.
//!
//! Visits come in a fixed order per surface (not necessarily document
//! order). Object keys are never visited or changed.

pub mod anthropic;
pub mod api_error;
pub mod error;
pub mod generic;
pub mod mcp;
pub mod openai_chat;
pub mod openai_responses;
pub mod parse;
pub mod route;
mod walk;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use crate::config::SurfaceKind;
pub use api_error::{ApiError, ApiErrorKind, error_body};
pub use error::{PayloadError, WalkError};
pub use parse::{parse_body, serialize};
pub(crate) use parse::{parse_value, to_json_string, utf8};
pub use route::surface_for_path;
pub use serde_json::Value;
pub use walk::OPAQUE_KEYS;

use crate::config::{Config, Limits};
use std::fmt;

/// Who wrote a piece of text, or what it is for. The policy layer picks
/// actions per role (e.g. restore placeholders in assistant text but not in
/// tool arguments).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextRole {
    /// System or developer instructions.
    System,
    /// End-user input, including user-supplied prompt variables.
    User,
    /// Model output (or model output replayed in a later request).
    Assistant,
    /// Arguments of a tool call, written by the model or sent to an MCP server.
    ToolArguments,
    /// Output of a tool, fed back to the model.
    ToolResult,
    /// Tool and schema descriptions, and other text that explains tools to
    /// the model (MCP server instructions).
    ToolDefinition,
    /// A participant name (`messages[].name`).
    Name,
    /// Identifiers and metadata the provider stores but does not show the
    /// model (`user`, `safety_identifier`, `metadata` values, user location).
    Metadata,
    /// Anything else: the generic surface and roles the walker does not know.
    Other,
}

impl TextRole {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TextRole::System => "system",
            TextRole::User => "user",
            TextRole::Assistant => "assistant",
            TextRole::ToolArguments => "tool_arguments",
            TextRole::ToolResult => "tool_result",
            TextRole::ToolDefinition => "tool_definition",
            TextRole::Name => "name",
            TextRole::Metadata => "metadata",
            TextRole::Other => "other",
        }
    }
}

impl fmt::Display for TextRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a visited string sits, handed to the visitor with the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The API shape being walked.
    pub surface: SurfaceKind,
    /// What the text is.
    pub role: TextRole,
    /// RFC 6901 JSON pointer of the string in the body, e.g.
    /// `/messages/2/content/0/text`. For a leaf of a JSON document carried
    /// inside a string, this is the pointer of that carrying string.
    pub pointer: &'a str,
    /// For a leaf inside a JSON-encoded string (tool-call `arguments`): its
    /// pointer within the decoded document (`""` when the document is the
    /// string itself). `None` for ordinary fields.
    pub embedded: Option<&'a str>,
}

impl fmt::Display for Field<'_> {
    /// `pointer`, or `pointer#embedded` for a leaf inside a JSON-encoded string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.embedded {
            Some(inner) => write!(f, "{}#{}", self.pointer, inner),
            None => f.write_str(self.pointer),
        }
    }
}

/// The visitor: may rewrite the string in place (mask, redact); an error stops
/// the walk and is returned as [`WalkError::Visitor`].
pub type Visitor<'v, E> = dyn FnMut(&mut String, &Field<'_>) -> Result<(), E> + 'v;

/// What a walk needs besides the document.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions<'a> {
    /// Object keys whose values are never visited (see the module docs for
    /// where they apply).
    pub never_touch: &'a [String],
    /// Deepest nesting accepted in JSON documents decoded from strings
    /// (tool-call arguments); the body itself is checked by [`parse_body`].
    pub max_json_depth: usize,
}

impl<'a> WalkOptions<'a> {
    /// Options from an explicit never-touch list and the limits.
    pub fn new(never_touch: &'a [String], limits: &Limits) -> Self {
        WalkOptions {
            never_touch,
            max_json_depth: limits.max_json_depth,
        }
    }

    /// Options from a configuration.
    pub fn from_config(config: &'a Config) -> Self {
        WalkOptions::new(&config.never_touch, &config.limits)
    }
}

/// Visits every model-visible string of a request body of `surface`.
///
/// Fails with [`WalkError::Payload`] when the document does not have the
/// shape the surface requires (the error names the JSON pointer), and with
/// [`WalkError::Visitor`] when the visitor fails. Strings visited before an
/// error keep the visitor's changes; callers discard the document on error.
pub fn walk_request<E>(
    surface: SurfaceKind,
    doc: &mut Value,
    options: &WalkOptions<'_>,
    visit: &mut Visitor<'_, E>,
) -> Result<(), WalkError<E>> {
    let mut walker = walk::Walker::new(surface, options, visit);
    match surface {
        SurfaceKind::OpenaiChat => openai_chat::request(&mut walker, doc),
        SurfaceKind::OpenaiResponses => openai_responses::request(&mut walker, doc),
        SurfaceKind::AnthropicMessages => anthropic::request(&mut walker, doc),
        SurfaceKind::Mcp => mcp::messages(&mut walker, doc),
        SurfaceKind::Generic => generic::document(&mut walker, doc),
    }
}

/// Visits every model-visible string of a whole (non-streaming) response
/// body of `surface`. Same contract as [`walk_request`].
pub fn walk_response<E>(
    surface: SurfaceKind,
    doc: &mut Value,
    options: &WalkOptions<'_>,
    visit: &mut Visitor<'_, E>,
) -> Result<(), WalkError<E>> {
    let mut walker = walk::Walker::new(surface, options, visit);
    match surface {
        SurfaceKind::OpenaiChat => openai_chat::response(&mut walker, doc),
        SurfaceKind::OpenaiResponses => openai_responses::response(&mut walker, doc),
        SurfaceKind::AnthropicMessages => anthropic::response(&mut walker, doc),
        SurfaceKind::Mcp => mcp::messages(&mut walker, doc),
        SurfaceKind::Generic => generic::document(&mut walker, doc),
    }
}
