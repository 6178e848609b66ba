// SPDX-License-Identifier: Apache-2.0
//! Why a body cannot be parsed or walked. Every error that concerns a place
//! in the document names it as an RFC 6901 JSON pointer.

use std::fmt;

/// A body Shroud cannot inspect safely. None of these is forwarded as is:
/// the policy layer refuses the request (or, for [`PayloadError::NotJson`]
/// only, applies the configured `non_json` action).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// The body is larger than `limits.max_body_bytes`.
    TooLarge {
        /// Body size in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body is not JSON at all: empty, or its first character cannot start
    /// a JSON object or array (plain text, form data, a bare scalar that does
    /// not parse). This is the only error the `non_json` setting applies to.
    NotJson {
        /// 1-based line of the parse failure.
        line: usize,
        /// 1-based column of the parse failure.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The body is JSON in UTF-16 or UTF-32. Some servers accept that, so it
    /// must not be mistaken for "not JSON" and forwarded unscanned.
    UnsupportedEncoding {
        /// The detected encoding, e.g. `UTF-16LE`.
        encoding: &'static str,
    },
    /// The body starts like a JSON object or array but is malformed (syntax
    /// error, invalid UTF-8, lone surrogate escape, trailing data). Lenient
    /// upstream parsers may still accept it, so it is always refused.
    InvalidJson {
        /// 1-based line of the parse failure.
        line: usize,
        /// 1-based column of the parse failure.
        column: usize,
        /// Pointer of the innermost value being parsed when it failed, when known.
        pointer: Option<String>,
        /// The parser's message.
        message: String,
    },
    /// Containers nest deeper than `limits.max_json_depth` (or the parser's
    /// own ceiling of [`crate::payload::parse::PARSER_MAX_DEPTH`]).
    TooDeep {
        /// The depth limit that applied.
        limit: usize,
        /// Byte offset of the `[` or `{` that went past it.
        offset: usize,
    },
    /// An object has the same key twice. Parsers disagree on which duplicate
    /// wins, so a proxy that scanned one could forward the other unscanned.
    DuplicateKey {
        /// Pointer of the second occurrence, e.g. `/messages/0/content`.
        pointer: String,
    },
    /// A field the surface knows has the wrong JSON type, e.g. `messages` is
    /// not an array or `content` is neither a string nor an array.
    UnexpectedType {
        /// Pointer of the offending value (`""` is the document itself).
        pointer: String,
        /// What the surface requires there.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A JSON document carried inside a string (tool-call `arguments`) has a
    /// duplicate key or nests too deep.
    Embedded {
        /// Pointer of the carrying string in the body.
        pointer: String,
        /// What is wrong inside; its pointers are relative to the decoded document.
        error: Box<PayloadError>,
    },
}

/// Formats a pointer for messages; the root pointer is empty, so name it.
pub(crate) struct At<'a>(pub &'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the document root")
        } else {
            f.write_str(self.0)
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::TooLarge { size, limit } => {
                write!(f, "body is {size} bytes, more than the limit of {limit}")
            }
            PayloadError::NotJson {
                line,
                column,
                message,
            } => write!(
                f,
                "body is not JSON: {message} at line {line} column {column}"
            ),
            PayloadError::UnsupportedEncoding { encoding } => write!(
                f,
                "body looks like {encoding}-encoded JSON; only UTF-8 is accepted"
            ),
            PayloadError::InvalidJson {
                line,
                column,
                pointer,
                message,
            } => {
                write!(f, "invalid JSON at line {line} column {column}: {message}")?;
                if let Some(pointer) = pointer {
                    write!(f, " (in {})", At(pointer))?;
                }
                Ok(())
            }
            PayloadError::TooDeep { limit, offset } => write!(
                f,
                "JSON nests deeper than {limit} levels (at byte {offset})"
            ),
            PayloadError::DuplicateKey { pointer } => {
                write!(f, "duplicate object key at {}", At(pointer))
            }
            PayloadError::UnexpectedType {
                pointer,
                expected,
                found,
            } => write!(f, "{}: expected {expected}, found {found}", At(pointer)),
            PayloadError::Embedded { pointer, error } => {
                write!(f, "in the JSON-encoded string at {}: {error}", At(pointer))
            }
        }
    }
}

impl std::error::Error for PayloadError {}

/// Why a walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError<E> {
    /// The document does not have the shape the surface requires.
    Payload(PayloadError),
    /// The visitor returned an error.
    Visitor(E),
}

impl<E> From<PayloadError> for WalkError<E> {
    fn from(err: PayloadError) -> Self {
        WalkError::Payload(err)
    }
}

impl<E: fmt::Display> fmt::Display for WalkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::Payload(err) => err.fmt(f),
            WalkError::Visitor(err) => err.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for WalkError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WalkError::Payload(err) => Some(err),
            WalkError::Visitor(err) => Some(err),
        }
    }
}

/// The JSON type name of a value, for messages.
pub(crate) fn type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
