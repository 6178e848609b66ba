// SPDX-License-Identifier: Apache-2.0
//! Strict JSON in, compact JSON out.
//!
//! Parsing is stricter than serde_json's `Value`: bodies over the size limit,
//! nesting over the depth limit (checked by a byte pre-scan before any
//! parsing), duplicate object keys, UTF-16/32 bodies and malformed JSON are
//! all errors, so Shroud never scans a different document than the one the
//! upstream server reads. Numbers keep their text (`arbitrary_precision`),
//! object keys keep their order (`preserve_order`).

use super::error::PayloadError;
use crate::config::Limits;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt::{self, Write as _};

/// serde_json refuses to nest deeper than this whatever the configured limit
/// (its recursion guard); the effective limit is the smaller of the two.
pub const PARSER_MAX_DEPTH: usize = 127;

/// The key serde_json's `arbitrary_precision` mode uses to smuggle a number
/// through `visit_map`. A real object may use the same key; see
/// [`NumberProbe`] for how the two are told apart.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses a request or response body.
///
/// Checks, in order: size, encoding (UTF-16/32 is refused; a UTF-8 byte-order
/// mark is skipped, as lenient servers do), nesting depth (byte pre-scan),
/// then the strict parse. A syntax error is [`PayloadError::NotJson`] when the
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
    let max_depth = effective_depth(limits.max_json_depth);
    check_depth(body, max_depth)?;
    parse_document(body, max_depth).map_err(|failure| match failure {
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
    let max_depth = effective_depth(max_json_depth);
    if let Err(err) = check_depth(text.as_bytes(), max_depth) {
        return Embedded::Rejected(err);
    }
    match parse_document(text.as_bytes(), max_depth) {
        Ok(value) => Embedded::Json(value),
        Err(Failure::Syntax { .. }) => Embedded::Text,
        Err(Failure::Rejected(err)) => Embedded::Rejected(err),
    }
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
    let mut copied = 0;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if let Some(word) = bytes.get(i..i + 8)
            && !needs_escape(word)
        {
            i += 8;
            continue;
        }
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0x00..=0x1F => "",
            _ => {
                i += 1;
                continue;
            }
        };
        // Every escaped byte is ASCII, so `i` is a char boundary.
        out.push_str(s.get(copied..i).unwrap_or(""));
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", byte);
        } else {
            out.push_str(escape);
        }
        i += 1;
        copied = i;
    }
    out.push_str(s.get(copied..).unwrap_or(""));
    out.push('"');
}

/// True when one of the eight bytes is `"`, `\` or a control character
/// (the classic "has a zero / has a byte below n" word tricks, exact for
/// whether any byte qualifies).
fn needs_escape(word: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut le = [0u8; 8];
    le.copy_from_slice(word.get(..8).unwrap_or(&[0; 8]));
    let w = u64::from_le_bytes(le);
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (below_space | zero(quote) | zero(backslash)) & HIGH != 0
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

/// Counts `[`/`{` nesting outside strings without parsing. Cheap, and it runs
/// before the recursive parser so deep input never reaches it. String
/// contents (most of a chat body) are skipped with `memchr2` to the next
/// quote or backslash: a byte-at-a-time walk cost ~10 % of a 64 KiB request
/// in V8.
fn check_depth(bytes: &[u8], limit: usize) -> Result<(), PayloadError> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => i = string_end(bytes, i + 1).unwrap_or(bytes.len()),
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(PayloadError::TooDeep { limit, offset: i });
                }
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
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
    let context = Context {
        max_depth,
        rejected: Cell::new(None),
        near: Cell::new(None),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let seed = ValueSeed {
        context: &context,
        path: &Path::Root,
        depth: 0,
    };
    let parsed = seed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|err| match context.rejected.take() {
        Some(rejected) => Failure::Rejected(rejected),
        None => Failure::Syntax {
            line: err.line(),
            column: err.column(),
            pointer: context.near.take(),
            message: message_without_position(&err),
        },
    })
}

/// serde_json appends " at line L column C"; the error carries both fields.
fn message_without_position(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => full,
    }
}

/// Shared state of one parse: a refusal to report instead of serde's error,
/// and the innermost pointer an error passed through.
struct Context {
    max_depth: usize,
    rejected: Cell<Option<PayloadError>>,
    near: Cell<Option<String>>,
}

impl Context {
    fn reject<E: de::Error>(&self, err: PayloadError) -> E {
        let message = err.to_string();
        self.rejected.set(Some(err));
        E::custom(message)
    }

    /// Records where an error surfaced; the innermost call records first.
    fn note(&self, path: &Path<'_>) {
        let near = self.near.take();
        self.near.set(Some(near.unwrap_or_else(|| path.pointer())));
    }
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

/// Builds a [`Value`] like serde_json's own, but refuses duplicate keys and
/// nesting beyond the limit, and records where errors happen.
#[derive(Clone, Copy)]
struct ValueSeed<'c, 'p> {
    context: &'c Context,
    path: &'p Path<'p>,
    depth: usize,
}

impl<'c> ValueSeed<'c, '_> {
    fn child<'q>(&self, path: &'q Path<'q>) -> ValueSeed<'c, 'q> {
        ValueSeed {
            context: self.context,
            path,
            depth: self.depth + 1,
        }
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        if self.depth + 1 > self.context.max_depth {
            return Err(self.context.reject(PayloadError::TooDeep {
                limit: self.context.max_depth,
                offset: 0,
            }));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let path = Path::Index(self.path, items.len());
            match seq.next_element_seed(self.child(&path)) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(Value::Array(items)),
                Err(err) => {
                    self.context.note(&path);
                    return Err(err);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut entered = false;
        while let Some(key) = access.next_key::<String>()? {
            let first = map.is_empty();
            // One hash per key: the entry both refuses a duplicate and
            // takes the value.
            let slot = match map.entry(key) {
                Entry::Occupied(taken) => {
                    let path = Path::Key(self.path, taken.key());
                    return Err(self.context.reject(PayloadError::DuplicateKey {
                        pointer: path.pointer(),
                    }));
                }
                Entry::Vacant(slot) => slot,
            };
            let path = Path::Key(self.path, slot.key());
            let parsed = if first && slot.key() == NUMBER_TOKEN {
                // The number pseudo-map has this key first and alone; it is
                // not a container, so no depth is entered for it.
                match access.next_value_seed(NumberProbe(self.child(&path))) {
                    Ok(Probed::Number(number)) => return Ok(Value::Number(number)),
                    Ok(Probed::Value(value)) => Ok(value),
                    Err(err) => Err(err),
                }
            } else {
                if !entered {
                    self.enter()?;
                    entered = true;
                }
                access.next_value_seed(self.child(&path))
            };
            match parsed {
                Ok(value) => {
                    if !entered {
                        self.enter()?;
                        entered = true;
                    }
                    slot.insert(value);
                }
                Err(err) => {
                    self.context.note(&path);
                    return Err(err);
                }
            }
        }
        if !entered {
            self.enter()?;
        }
        Ok(Value::Object(map))
    }
}

/// Tells serde_json's number pseudo-map from a real object that has a key
/// equal to [`NUMBER_TOKEN`]: for a real object the value comes from the JSON
/// deserializer, which answers `deserialize_newtype_struct` with
/// `visit_newtype_struct`; for a number it comes from a plain string
/// deserializer, which answers with `visit_str`/`visit_string`.
struct NumberProbe<'c, 'p>(ValueSeed<'c, 'p>);

enum Probed {
    Number(Number),
    Value(Value),
}

impl<'de> DeserializeSeed<'de> for NumberProbe<'_, '_> {
    type Value = Probed;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Probed, D::Error> {
        deserializer.deserialize_newtype_struct("ShroudNumberProbe", self)
    }
}

impl<'de> Visitor<'de> for NumberProbe<'_, '_> {
    type Value = Probed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Probed, D::Error> {
        self.0.deserialize(deserializer).map(Probed::Value)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Probed, E> {
        v.parse::<Number>()
            .map(Probed::Number)
            .map_err(|err| E::custom(format!("invalid number: {err}")))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Probed, E> {
        self.visit_str(&v)
    }
}

#[cfg(test)]
mod tests;
