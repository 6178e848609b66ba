// SPDX-License-Identifier: Apache-2.0
//! Strict JSON in, compact JSON out.
//!
//! Parsing is stricter than serde_json's `Value`: bodies over the size limit,
//! nesting over the depth limit, duplicate object keys, UTF-16/32 bodies and
//! malformed JSON are all errors, so Shroud never scans a different document than the one the
//! upstream server reads. Numbers keep their text (`arbitrary_precision`),
//! object keys keep their order (`preserve_order`).

use super::error::PayloadError;
use crate::config::Limits;
use crate::swar;
use serde_json::Value;
use std::fmt::Write as _;

/// serde_json refuses to nest deeper than this whatever the configured limit
/// (its recursion guard); the effective limit is the smaller of the two.
pub const PARSER_MAX_DEPTH: usize = 127;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses a request or response body.
///
/// Checks, in order: size, encoding (UTF-16/32 is refused; a UTF-8 byte-order
/// mark is skipped, as lenient servers do), then the strict parse, which
/// refuses nesting past the depth limit as it enters it. A syntax error is [`PayloadError::NotJson`] when the
/// body does not start with `{` or `[`, and [`PayloadError::InvalidJson`] when
/// it does.
pub fn parse_body(body: &[u8], limits: &Limits) -> Result<Value, PayloadError> {
    if body.len() > limits.max_body_bytes {
        return Err(PayloadError::TooLarge {
            size: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    if let Some(encoding) = wide_encoding(body) {
        return Err(PayloadError::UnsupportedEncoding { encoding });
    }
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    parse_document(body, effective_depth(limits.max_json_depth)).map_err(|failure| match failure {
        Failure::Rejected(err) => err,
        Failure::Syntax {
            line,
            column,
            pointer,
            message,
        } => {
            let looks_like_json = matches!(
                body.iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'{' | b'[')
            );
            if looks_like_json {
                PayloadError::InvalidJson {
                    line,
                    column,
                    pointer,
                    message,
                }
            } else {
                PayloadError::NotJson {
                    line,
                    column,
                    message,
                }
            }
        }
    })
}

/// Outcome of decoding a JSON document carried inside a string.
#[derive(Debug)]
pub(crate) enum Embedded {
    /// The string is a JSON document.
    Json(Value),
    /// The string is not JSON; treat it as plain text.
    Text,
    /// The string is JSON Shroud refuses (duplicate key, too deep).
    Rejected(PayloadError),
}

/// Decodes a JSON document carried inside a string (tool-call arguments).
pub(crate) fn parse_embedded(text: &str, max_json_depth: usize) -> Embedded {
    match parse_document(text.as_bytes(), effective_depth(max_json_depth)) {
        Ok(value) => Embedded::Json(value),
        Err(Failure::Syntax { .. }) => Embedded::Text,
        Err(Failure::Rejected(err)) => Embedded::Rejected(err),
    }
}

/// `bytes` as text when they are UTF-8. Bodies are checked whole with
/// `simdutf8`, whose simd128 path in wasm is several times faster than
/// core's word-at-a-time check (which V8 spent ~3 % of a 64 KiB exchange
/// on).
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// A JSON document read without being refused (an answer, a token's
/// header): `None` when it is not JSON, nests deeper than `max_json_depth`
/// or repeats a key. Stricter than serde_json's own reading, where a
/// repeated key hides the first value and the `arbitrary_precision` marker
/// key turns an object into a number.
pub(crate) fn parse_value(bytes: &[u8], max_json_depth: usize) -> Option<Value> {
    parse_document(bytes, effective_depth(max_json_depth)).ok()
}

/// Writes `value` as compact JSON, keeping key order and number text.
/// Byte-identical to `serde_json::to_vec`, but cannot fail.
pub fn serialize(value: &Value) -> Vec<u8> {
    to_json_string(value, 0).into_bytes()
}

/// [`serialize`] into a `String` made for `size_hint` bytes: the length of
/// the document a rewrite was parsed from, so that the buffer is not grown
/// again and again (for a streamed event, half the cost of writing it).
pub(crate) fn to_json_string(value: &Value, size_hint: usize) -> String {
    let mut out = String::with_capacity(size_hint);
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // With `arbitrary_precision`, a number keeps its original text
        // (what Display writes too, through the formatting machinery).
        Value::Number(n) => out.push_str(n.as_str()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// JSON string escaping as serde_json does it: `"`, `\` and control
/// characters only; everything else, including non-ASCII, as UTF-8. Every
/// rewritten body goes through here, so runs without an escape are found
/// eight bytes at a time and copied whole.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    // Each byte to escape found eight at a time, exactly where it is, so
    // the run before it is copied as one.
    let mut copied = 0;
    while let Some(at) = swar::find(bytes, copied, raw_string_breaks) {
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        // Every escaped byte is ASCII, so `at` is a char boundary.
        out.push_str(s.get(copied..at).unwrap_or(""));
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{:04x}", byte);
            }
        }
        copied = at + 1;
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out.push('"');
}

/// The bytes a JSON string cannot hold as they are (`"`, `\` and the
/// controls), flagged in a word: where a raw run ends, in and out. Exact
/// for the lowest flagged byte only ([`swar::lowest_below`]), which is all
/// [`swar::find`] reads: four operations fewer per word than exact classes,
/// on every byte of every string read and written (the two searches were
/// ~6 % of a new real-text request, callgrind).
fn raw_string_breaks(w: u64) -> u64 {
    let byte = |b: u8| swar::ONES * u64::from(b);
    swar::lowest_below(w, 0x20)
        | swar::lowest_below(w ^ byte(b'"'), 1)
        | swar::lowest_below(w ^ byte(b'\\'), 1)
}

fn effective_depth(configured: usize) -> usize {
    configured.min(PARSER_MAX_DEPTH)
}

/// Detects UTF-16/UTF-32 JSON by byte-order mark or by the NUL bytes ASCII
/// characters get in those encodings (RFC 4627 §3). UTF-8 JSON never has a
/// NUL in its first two bytes.
fn wide_encoding(body: &[u8]) -> Option<&'static str> {
    match body {
        [0, 0, 0xFE, 0xFF, ..] | [0, 0, 0, _, ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, 0, 0, ..] | [_, 0, 0, 0, ..] => Some("UTF-32LE"),
        [0xFE, 0xFF, ..] | [0, _, ..] => Some("UTF-16BE"),
        [0xFF, 0xFE, ..] | [_, 0, ..] => Some("UTF-16LE"),
        _ => None,
    }
}

/// The offset just past the quote that closes the JSON string whose
/// contents start at `from`; `None` when it never closes.
pub(crate) fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        match memchr::memchr2(b'"', b'\\', bytes.get(from..)?) {
            None => return None,
            // An escape: the byte after the backslash is never a delimiter.
            Some(at) if bytes.get(from + at) == Some(&b'\\') => from += at + 2,
            Some(at) => return Some(from + at + 1),
        }
    }
}

/// Why [`parse_document`] failed.
enum Failure {
    /// Not well-formed JSON.
    Syntax {
        line: usize,
        column: usize,
        pointer: Option<String>,
        message: String,
    },
    /// Well-formed but refused.
    Rejected(PayloadError),
}

fn parse_document(bytes: &[u8], max_depth: usize) -> Result<Value, Failure> {
    document::parse(bytes, max_depth)
}

/// The position being parsed, as a stack-allocated linked list: cheap to
/// extend, turned into a pointer string only when an error needs it.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.write(out);
                push_pointer_key(out, key);
            }
            Path::Index(parent, index) => {
                parent.write(out);
                let _ = write!(out, "/{index}");
            }
        }
    }
}

/// Appends `/key` to an RFC 6901 pointer, escaping `~` and `/`.
pub(crate) fn push_pointer_key(out: &mut String, key: &str) {
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

mod document;

#[cfg(test)]
mod tests;
