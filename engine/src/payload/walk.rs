// SPDX-License-Identifier: Apache-2.0
//! The machinery every surface walker shares: the current JSON pointer, type
//! checks that name it, free-form leaf walking with `never_touch`,
//! JSON-in-string decoding and JSON-schema descriptions.

use super::error::{PayloadError, WalkError, type_name};
use super::parse::{self, Embedded};
use super::{Field, SurfaceKind, TextRole, Visitor, WalkOptions};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Keys skipped when walking a part, block or item of an unknown type: signed
/// or encrypted content that must stay byte-identical, binary data, and
/// identifiers. (Never-touch keys are skipped too.)
pub const OPAQUE_KEYS: &[&str] = &[
    "type",
    "id",
    "signature",
    "encrypted_content",
    "data",
    "file_data",
    "file_id",
    "image_url",
    "url",
    "uri",
    "mime_type",
    "mimeType",
    "media_type",
    "cache_control",
    "_meta",
];

/// Fewest digits in a number worth scanning: shorter numbers (counts,
/// limits, prices, small ids) hold no value any detector recognises.
const MIN_SCANNED_DIGITS: usize = 7;

pub(super) type Step<E> = Result<(), WalkError<E>>;

/// Walks one document, tracking where it is.
pub(super) struct Walker<'a, 'v, E> {
    surface: SurfaceKind,
    options: &'a WalkOptions<'a>,
    visit: &'a mut Visitor<'v, E>,
    /// Pointer of the current value, in the body or (while `outer` is set)
    /// in the decoded JSON-in-string document.
    pointer: String,
    /// Pointer of the string whose decoded document is being walked.
    outer: Option<String>,
    /// Whether the visitor changed a leaf of the decoded document.
    embedded_changed: bool,
}

impl<'a, 'v, E> Walker<'a, 'v, E> {
    pub(super) fn new(
        surface: SurfaceKind,
        options: &'a WalkOptions<'a>,
        visit: &'a mut Visitor<'v, E>,
    ) -> Self {
        Walker {
            surface,
            options,
            visit,
            pointer: String::new(),
            outer: None,
            embedded_changed: false,
        }
    }

    /// Runs `f` with `key` appended to the pointer.
    pub(super) fn at_key<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let mark = self.pointer.len();
        parse::push_pointer_key(&mut self.pointer, key);
        let result = f(self);
        self.pointer.truncate(mark);
        result
    }

    /// Runs `f` with `index` appended to the pointer.
    pub(super) fn at_index<R>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let mark = self.pointer.len();
        let _ = write!(self.pointer, "/{index}");
        let result = f(self);
        self.pointer.truncate(mark);
        result
    }

    /// Runs `f` on `obj[key]` when present.
    pub(super) fn field(
        &mut self,
        obj: &mut Map<String, Value>,
        key: &str,
        f: impl FnOnce(&mut Self, &mut Value) -> Step<E>,
    ) -> Step<E> {
        match member_mut(obj, key) {
            Some(value) => self.at_key(key, |w| f(w, value)),
            None => Ok(()),
        }
    }

    /// `value` as an object, or an error naming the current pointer.
    pub(super) fn object<'d>(
        &self,
        value: &'d mut Value,
    ) -> Result<&'d mut Map<String, Value>, WalkError<E>> {
        match value {
            Value::Object(map) => Ok(map),
            other => Err(self.unexpected("an object", other)),
        }
    }

    /// Runs `f` on every element of an array; `null` counts as absent.
    pub(super) fn each(
        &mut self,
        value: &mut Value,
        mut f: impl FnMut(&mut Self, &mut Value) -> Step<E>,
    ) -> Step<E> {
        match value {
            Value::Null => Ok(()),
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.at_index(index, |w| f(w, item))?;
                }
                Ok(())
            }
            other => Err(self.unexpected("an array", other)),
        }
    }

    /// Runs `f` on every value of an object; `null` counts as absent.
    pub(super) fn each_value(
        &mut self,
        value: &mut Value,
        mut f: impl FnMut(&mut Self, &mut Value) -> Step<E>,
    ) -> Step<E> {
        match value {
            Value::Null => Ok(()),
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    self.at_key(key, |w| f(w, item))?;
                }
                Ok(())
            }
            other => Err(self.unexpected("an object", other)),
        }
    }

    /// Visits a string field; `null` counts as absent, other types are errors.
    pub(super) fn text(&mut self, value: &mut Value, role: TextRole) -> Step<E> {
        match value {
            Value::String(s) => self.emit(s, role),
            Value::Null => Ok(()),
            other => Err(self.unexpected("a string", other)),
        }
    }

    /// Visits a string field if it is a string, ignoring any other type
    /// (for schema keywords, where a wrong type is the schema's problem).
    pub(super) fn text_if_string(&mut self, value: &mut Value, role: TextRole) -> Step<E> {
        match value {
            Value::String(s) => self.emit(s, role),
            _ => Ok(()),
        }
    }

    /// Visits every string and number leaf of free-form JSON, except under
    /// never-touch keys.
    pub(super) fn leaves(&mut self, value: &mut Value, role: TextRole) -> Step<E> {
        self.leaves_skipping(value, role, &[])
    }

    /// [`Walker::leaves`] that also skips `skip` keys at every level.
    pub(super) fn leaves_skipping(
        &mut self,
        value: &mut Value,
        role: TextRole,
        skip: &[&str],
    ) -> Step<E> {
        match value {
            Value::String(s) => self.emit(s, role),
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.at_index(index, |w| w.leaves_skipping(item, role, skip))?;
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if self.is_never_touch(key) || skip.contains(&key.as_str()) {
                        continue;
                    }
                    self.at_key(key, |w| w.leaves_skipping(item, role, skip))?;
                }
                Ok(())
            }
            // A card or account number sent unquoted is still a value the
            // model reads: scanned as its text, and replaced by a string
            // when masked (a placeholder is not a number).
            Value::Number(n) if digits(n) >= MIN_SCANNED_DIGITS => {
                let original = n.to_string();
                let mut text = original.clone();
                self.emit(&mut text, role)?;
                if text != original {
                    *value = Value::String(text);
                    if self.outer.is_some() {
                        self.embedded_changed = true;
                    }
                }
                Ok(())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }

    /// A part, block or item of a type the surface does not know: its string
    /// leaves, minus never-touch keys and [`OPAQUE_KEYS`].
    pub(super) fn unknown(&mut self, value: &mut Value, role: TextRole) -> Step<E> {
        self.leaves_skipping(value, role, OPAQUE_KEYS)
    }

    /// A string that usually holds a JSON document (tool-call arguments):
    /// visits the decoded document's string leaves and re-encodes it
    /// compactly if one changed; visits a non-JSON string as plain text.
    pub(super) fn json_text(&mut self, value: &mut Value, role: TextRole) -> Step<E> {
        let text = match value {
            Value::String(s) => s,
            Value::Null => return Ok(()),
            other => return Err(self.unexpected("a string", other)),
        };
        if self.outer.is_some() {
            // One level of decoding only; deeper strings are plain text.
            return self.emit(text, role);
        }
        match parse::parse_embedded(text, self.options.max_json_depth) {
            Embedded::Text => self.emit(text, role),
            Embedded::Rejected(error) => Err(WalkError::Payload(PayloadError::Embedded {
                pointer: self.pointer.clone(),
                error: Box::new(error),
            })),
            Embedded::Json(mut doc) => {
                self.outer = Some(std::mem::take(&mut self.pointer));
                self.embedded_changed = false;
                let walked = self.leaves(&mut doc, role);
                if let Some(outer) = self.outer.take() {
                    self.pointer = outer;
                }
                walked?;
                if self.embedded_changed {
                    *text = parse::to_json_string(&doc, text.len());
                }
                Ok(())
            }
        }
    }

    /// Visits the descriptions, titles and example values of a JSON schema
    /// (tool parameters, structured-output schemas), recursing through its
    /// subschemas. Property names and keywords are never visited.
    pub(super) fn schema(&mut self, value: &mut Value) -> Step<E> {
        let Value::Object(map) = value else {
            return Ok(()); // `true`/`false` schemas, or not a schema at all
        };
        for (keyword, item) in map.iter_mut() {
            self.at_key(keyword, |w| match keyword.as_str() {
                "description" | "title" | "$comment" => {
                    w.text_if_string(item, TextRole::ToolDefinition)
                }
                "default" | "const" | "enum" | "examples" => {
                    w.leaves(item, TextRole::ToolDefinition)
                }
                "properties" | "patternProperties" | "$defs" | "definitions"
                | "dependentSchemas" => match item {
                    Value::Object(schemas) => {
                        for (name, schema) in schemas.iter_mut() {
                            w.at_key(name, |w| w.schema(schema))?;
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                },
                "items"
                | "prefixItems"
                | "additionalItems"
                | "additionalProperties"
                | "unevaluatedItems"
                | "unevaluatedProperties"
                | "contains"
                | "propertyNames"
                | "not"
                | "if"
                | "then"
                | "else"
                | "anyOf"
                | "oneOf"
                | "allOf"
                | "contentSchema" => w.schema_or_list(item),
                _ => Ok(()),
            })?;
        }
        Ok(())
    }

    fn schema_or_list(&mut self, value: &mut Value) -> Step<E> {
        match value {
            Value::Array(schemas) => {
                for (index, schema) in schemas.iter_mut().enumerate() {
                    self.at_index(index, |w| w.schema(schema))?;
                }
                Ok(())
            }
            other => self.schema(other),
        }
    }

    /// Hands one string to the visitor.
    pub(super) fn emit(&mut self, text: &mut String, role: TextRole) -> Step<E> {
        let (pointer, embedded) = match &self.outer {
            Some(outer) => (outer.as_str(), Some(self.pointer.as_str())),
            None => (self.pointer.as_str(), None),
        };
        let field = Field {
            surface: self.surface,
            role,
            pointer,
            embedded,
        };
        if embedded.is_some() {
            let before = text.clone();
            (self.visit)(text, &field).map_err(WalkError::Visitor)?;
            if *text != before {
                self.embedded_changed = true;
            }
            Ok(())
        } else {
            (self.visit)(text, &field).map_err(WalkError::Visitor)
        }
    }

    /// A wrong-type error at the current pointer.
    pub(super) fn unexpected(&self, expected: &'static str, found: &Value) -> WalkError<E> {
        WalkError::Payload(PayloadError::UnexpectedType {
            pointer: self.pointer.clone(),
            expected,
            found: type_name(found),
        })
    }

    fn is_never_touch(&self, key: &str) -> bool {
        self.options.never_touch.iter().any(|k| k == key)
    }
}

fn digits(n: &serde_json::Number) -> usize {
    n.to_string().bytes().filter(u8::is_ascii_digit).count()
}

/// The `type` of a part, block or item, if it is a string.
pub(super) fn type_of(value: &Value) -> Option<&str> {
    match value {
        Value::Object(obj) => member(obj, "type").and_then(Value::as_str),
        _ => None,
    }
}

/// Objects up to this many keys are searched by comparing keys.
const LINEAR_LOOKUP_MAX: usize = 8;

/// `obj[key]`. The objects the walkers read are small (a chat message has
/// two or three keys, and each is asked for five or six), where comparing
/// keys beats serde_json's map, which hashes the key with SipHash on every
/// lookup (~3 % of a 64 KiB request in V8). Keys are unique: the parser
/// refuses duplicates.
// Not inlined: `Walker::field` is instantiated once per closure, and a copy
// of both lookups in each cost the filter ~20 KB.
#[inline(never)]
pub(super) fn member<'m>(obj: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if obj.len() <= LINEAR_LOOKUP_MAX {
        obj.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        obj.get(key)
    }
}

/// [`member`], mutable.
#[inline(never)]
pub(super) fn member_mut<'m>(obj: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Value> {
    if obj.len() <= LINEAR_LOOKUP_MAX {
        obj.iter_mut().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        obj.get_mut(key)
    }
}

#[cfg(test)]
mod member_tests {
    use super::{LINEAR_LOOKUP_MAX, member, member_mut};
    use serde_json::{Map, Value};

    /// Small objects (compared keys) and large ones (hashed) answer alike.
    #[test]
    fn member_is_get_at_every_size() {
        for size in 0..LINEAR_LOOKUP_MAX + 3 {
            let mut obj: Map<String, Value> = (0..size)
                .map(|i| (format!("k{i}"), Value::from(i)))
                .collect();
            for i in 0..size + 1 {
                let key = format!("k{i}");
                let want = obj.get(&key).cloned();
                assert_eq!(member(&obj, &key).cloned(), want, "{size} keys, {key}");
                assert_eq!(
                    member_mut(&mut obj, &key).cloned(),
                    want,
                    "{size} keys, {key}"
                );
            }
        }
    }
}
