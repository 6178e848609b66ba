// SPDX-License-Identifier: Apache-2.0
//! The strict JSON parser behind [`super::parse_body`].
//!
//! Our own recursive descent instead of serde_json's deserializer: a
//! request body is mostly long strings, and serde's reader validates UTF-8
//! string by string and looks for the closing quote a byte at a time: in
//! wasm, where neither has a SIMD path, that cost more than the rest of the
//! parse.
//! Here the whole document is validated once (`simdutf8`: simd128 in wasm),
//! a string's raw runs end at the first quote, backslash or control (one
//! pass, eight bytes at a time) and are copied whole, and what
//! serde did through its visitor (refusing duplicate keys, bounding depth,
//! naming where an error happened) is part of the walk.
//!
//! It accepts exactly RFC 8259 JSON, like serde_json: a differential
//! proptest holds the two together on valid and broken documents.

use super::{Failure, Path};
use crate::payload::error::PayloadError;
use crate::swar;
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Parses one JSON document (surrounding white space allowed) nesting at
/// most `max_depth` containers.
pub(super) fn parse(bytes: &[u8], max_depth: usize) -> Result<Value, Failure> {
    let Some(text) = super::utf8(bytes) else {
        // Rare: core's check finds where the bytes went wrong.
        let at = std::str::from_utf8(bytes)
            .err()
            .map_or(0, |err| err.valid_up_to());
        return Err(syntax(bytes, at, "invalid UTF-8", None));
    };
    let mut parser = Parser {
        text,
        bytes,
        at: 0,
        max_depth,
    };
    let parsed = parser
        .value(&Path::Root, 0)
        .and_then(|value| match parser.skip_space() {
            None => Ok(value),
            Some(_) => Err(parser.fail("trailing characters")),
        });
    parsed.map_err(|error| match error {
        Error::Rejected(err) => Failure::Rejected(err),
        Error::Syntax {
            at,
            message,
            pointer,
        } => syntax(bytes, at, message, pointer),
    })
}

/// A syntax failure at byte `at`, with its 1-based line and column.
fn syntax(bytes: &[u8], at: usize, message: &str, pointer: Option<String>) -> Failure {
    let before = bytes.get(..at).unwrap_or(bytes);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    Failure::Syntax {
        line: 1 + before.iter().filter(|&&b| b == b'\n').count(),
        column: 1 + at - line_start.min(at),
        pointer,
        message: message.to_string(),
    }
}

enum Error {
    Syntax {
        at: usize,
        message: &'static str,
        /// The innermost member or element the error happened in.
        pointer: Option<String>,
    },
    Rejected(PayloadError),
}

impl Error {
    /// Names the member or element the error happened in, unless an inner
    /// one already did.
    fn within(mut self, path: &Path<'_>) -> Error {
        if let Error::Syntax { pointer, .. } = &mut self
            && pointer.is_none()
        {
            *pointer = Some(path.pointer());
        }
        self
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    max_depth: usize,
}

impl Parser<'_> {
    fn fail(&self, message: &'static str) -> Error {
        Error::Syntax {
            at: self.at,
            message,
            pointer: None,
        }
    }

    /// Skips white space; the next byte, if any.
    fn skip_space(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.at) {
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    fn value(&mut self, path: &Path<'_>, depth: usize) -> Result<Value, Error> {
        match self.skip_space() {
            None => Err(self.fail("EOF while parsing a value")),
            Some(b'{') => self.object(path, depth),
            Some(b'[') => self.array(path, depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.fail("expected value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        for expected in word.bytes() {
            match self.bytes.get(self.at) {
                Some(&byte) if byte == expected => self.at += 1,
                Some(_) => return Err(self.fail("expected ident")),
                None => return Err(self.fail("EOF while parsing a value")),
            }
        }
        Ok(value)
    }

    /// Entering a container one level below `depth`.
    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth + 1 > self.max_depth {
            return Err(Error::Rejected(PayloadError::TooDeep {
                limit: self.max_depth,
                offset: self.at,
            }));
        }
        Ok(())
    }

    fn array(&mut self, path: &Path<'_>, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.at += 1;
        let mut items = Vec::new();
        if self.skip_space() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            let item_path = Path::Index(path, items.len());
            let item = self
                .value(&item_path, depth + 1)
                .map_err(|err| err.within(&item_path))?;
            items.push(item);
            match self.skip_space() {
                Some(b',') => {
                    self.at += 1;
                    if self.skip_space() == Some(b']') {
                        return Err(self.fail("trailing comma"));
                    }
                }
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                Some(_) => return Err(self.fail("expected `,` or `]`")),
                None => return Err(self.fail("EOF while parsing a list")),
            }
        }
    }

    fn object(&mut self, path: &Path<'_>, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.at += 1;
        let mut map = Map::new();
        match self.skip_space() {
            Some(b'}') => {
                self.at += 1;
                return Ok(Value::Object(map));
            }
            Some(b'"') => {}
            Some(_) => return Err(self.fail("key must be a string")),
            None => return Err(self.fail("EOF while parsing an object")),
        }
        loop {
            let key = self.string()?;
            // One hash per key: the entry both refuses a duplicate and takes
            // the value.
            let slot = match map.entry(key) {
                Entry::Occupied(taken) => {
                    let path = Path::Key(path, taken.key());
                    return Err(Error::Rejected(PayloadError::DuplicateKey {
                        pointer: path.pointer(),
                    }));
                }
                Entry::Vacant(slot) => slot,
            };
            match self.skip_space() {
                Some(b':') => self.at += 1,
                Some(_) => return Err(self.fail("expected `:`")),
                None => return Err(self.fail("EOF while parsing an object")),
            }
            let member_path = Path::Key(path, slot.key());
            let member = self
                .value(&member_path, depth + 1)
                .map_err(|err| err.within(&member_path))?;
            slot.insert(member);
            match self.skip_space() {
                Some(b',') => {
                    self.at += 1;
                    match self.skip_space() {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.fail("trailing comma")),
                        Some(_) => return Err(self.fail("key must be a string")),
                        None => return Err(self.fail("EOF while parsing an object")),
                    }
                }
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(map));
                }
                Some(_) => return Err(self.fail("expected `,` or `}`")),
                None => return Err(self.fail("EOF while parsing an object")),
            }
        }
    }

    /// A string whose opening quote is at `self.at`. Its raw runs end at a
    /// quote, a backslash or a control character (an error), all found in
    /// one pass eight bytes at a time: a search for the first two and a
    /// second pass for controls cost more where escapes are dense (a `\n`
    /// per line of text); each run is a
    /// `str` (the document is valid UTF-8, every delimiter is ASCII) copied
    /// whole, and a string without escapes is allocated once.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut escaped: Option<String> = None;
        let mut run = self.at;
        loop {
            // `"`, `\` or a control (an error) ends the run: one pass.
            let end = swar::find(self.bytes, self.at, super::raw_string_breaks)
                .unwrap_or(self.bytes.len());
            self.at = end;
            let piece = self.text.get(run..end).unwrap_or_default();
            match self.bytes.get(end) {
                None => return Err(self.fail("EOF while parsing a string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(match escaped {
                        None => piece.to_owned(),
                        Some(mut out) => {
                            out.push_str(piece);
                            out
                        }
                    });
                }
                Some(b'\\') => {
                    // Sized once, up to the next `"` (the string's end
                    // unless it holds an escaped quote): prose escapes a
                    // line break every few dozen bytes, and growing the
                    // copy by doubling cost more than the search.
                    let out = escaped.get_or_insert_with(|| {
                        let rest = self.bytes.get(end..).unwrap_or_default();
                        String::with_capacity(
                            piece.len() + memchr::memchr(b'"', rest).unwrap_or(rest.len()),
                        )
                    });
                    out.push_str(piece);
                    self.at += 1;
                    self.escape(out)?;
                    run = self.at;
                }
                Some(_) => {
                    return Err(self
                        .fail("control character (\\u0000-\\u001F) found while parsing a string"));
                }
            }
        }
    }

    /// The escape after a backslash (`self.at` is past the backslash).
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let Some(&byte) = self.bytes.get(self.at) else {
            return Err(self.fail("EOF while parsing a string"));
        };
        self.at += 1;
        let c = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => {
                self.at -= 1;
                return Err(self.fail("invalid escape"));
            }
        };
        out.push(c);
        Ok(())
    }

    /// `\uXXXX` (`self.at` is past the `u`), a surrogate pair as one char.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(self.fail("lone leading surrogate in hex escape"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail("lone leading surrogate in hex escape"));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                char::from_u32(code).ok_or_else(|| self.fail("invalid unicode code point"))
            }
            0xDC00..=0xDFFF => Err(self.fail("lone trailing surrogate in hex escape")),
            code => char::from_u32(code).ok_or_else(|| self.fail("invalid unicode code point")),
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut code = 0;
        for _ in 0..4 {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.fail("EOF while parsing a string"));
            };
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'a'..=b'f' => byte - b'a' + 10,
                b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(self.fail("invalid escape")),
            };
            code = code * 16 + u32::from(digit);
            self.at += 1;
        }
        Ok(code)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text
    /// (serde_json's `arbitrary_precision` number).
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail("invalid number")),
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        let text = self.text.get(start..self.at).unwrap_or_default();
        text.parse::<Number>()
            .map(Value::Number)
            .map_err(|_| self.fail("invalid number"))
    }

    fn digits(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }
}
