// SPDX-License-Identifier: Apache-2.0
//! The JSON path of a config parse error, read back from where serde_json
//! stopped.
//!
//! serde_json reports a line and a column, never a path. Tracking the path
//! while deserializing (a wrapping deserializer) doubles the code of every
//! config type: ~47 KB of the filter's 2 MB budget. The path is instead
//! recovered from the text: walk the JSON up to the error's byte and
//! keep the open containers with their current key or index. serde_json
//! stops right after what it rejected (a key, a value, the `}` of an object
//! that lacks a field), so the walk ends where the error belongs; the few
//! errors found one byte further or between two members are told apart by
//! serde_json's message. Paths are named as serde_path_to_error (which did
//! this before) names them; the tests hold the two to each other on broken
//! configs, so a serde_json that words its errors differently fails them.

use crate::payload::parse::string_end;

/// One open container on the way to the error.
enum Frame {
    Object {
        slot: Slot,
        /// The next string is a key (after `{` or `,`).
        awaiting_key: bool,
    },
    /// The element being read; `None` between elements.
    Array { index: Option<usize> },
}

/// Where in an object the walk stopped, as serde_path_to_error names it.
enum Slot {
    /// Reading a key, or between members: `?`.
    Unknown,
    /// After a key, before its value began: the object's own path.
    Hidden,
    /// A key or its value: the key.
    Key(String),
}

/// What the walk read last.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    Key,
    /// `{` or `[`, as the very last byte.
    Opener,
    Other,
}

/// The path serde_json's `err` in parsing `text` belongs to:
/// `detectors.custom[2].pattern`, or `.` for the top level.
pub(super) fn of(text: &[u8], err: &serde_json::Error) -> String {
    let end = offset_of(text, err.line(), err.column());
    let (mut stack, last) = walk(text, end);
    let message = err.to_string();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| message.starts_with(p));
    // serde_json reports a byte it only peeked at just past that byte: a
    // `[` or `{` so reported opened no container.
    let peeked_opener = usize::from(last == Last::Opener);
    if starts(&["trailing c"]) {
        // A sequence or map with more than its type takes: the error is
        // the container's, found at the byte after its last element.
        pop(&mut stack, 1 + peeked_opener);
    } else if starts(&["expected value"]) {
        pop(&mut stack, peeked_opener);
    } else if starts(&["unknown variant"]) && last == Last::Key {
        // `{"bogus": …}` where a string enum belongs is read as an enum
        // variant named by the key (no config map has enum keys): the path
        // is the value's.
        pop(&mut stack, 1);
    } else if starts(&["EOF while parsing a value"]) && after_comma(text, end) {
        // Before an element began: the error is the sequence's (in an
        // object the key is unknown yet, as the walk has it).
        if let Some(Frame::Array { index }) = stack.last_mut() {
            *index = None;
        }
    } else if starts(&["expected `:`"]) {
        // A key without its colon: the object's.
        if let Some(Frame::Object { slot, .. }) = stack.last_mut() {
            *slot = Slot::Hidden;
        }
    } else if starts(&[
        "EOF while parsing a list",
        "EOF while parsing an object",
        "expected `,` or",
    ]) {
        // Broken JSON between two members or elements, or after a key.
        match stack.last_mut() {
            Some(Frame::Array { index }) => *index = None,
            Some(Frame::Object { slot, .. }) if last == Last::Key => *slot = Slot::Hidden,
            Some(Frame::Object { slot, .. }) => *slot = Slot::Unknown,
            None => {}
        }
    }
    render(&stack)
}

/// The last byte before `end` that is not white space is a comma.
fn after_comma(text: &[u8], end: usize) -> bool {
    let before = text.get(..end).unwrap_or(text);
    before.trim_ascii_end().last() == Some(&b',')
}

fn pop(stack: &mut Vec<Frame>, frames: usize) {
    stack.truncate(stack.len().saturating_sub(frames));
}

/// `text`'s 1-based `line` and `column` (serde_json's, counted in bytes) as
/// the offset just after the byte they point at.
fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', text.get(line_start..).unwrap_or_default()) {
            Some(at) => line_start += at + 1,
            None => return text.len(),
        }
    }
    (line_start + column).min(text.len())
}

/// The containers open after `text[..end]`, and what was read last.
fn walk(text: &[u8], end: usize) -> (Vec<Frame>, Last) {
    let text = text.get(..end).unwrap_or(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut last = Last::Other;
    let mut i = 0;
    while let Some(&byte) = text.get(i) {
        last = if matches!(byte, b'{' | b'[') {
            Last::Opener
        } else {
            Last::Other
        };
        match byte {
            b'"' => {
                let Some(close) = string_end(text, i + 1) else {
                    // The error is inside this string; a key cut short is
                    // not known yet.
                    break;
                };
                if let Some(Frame::Object {
                    slot,
                    awaiting_key: awaiting_key @ true,
                }) = stack.last_mut()
                {
                    *slot = Slot::Key(unescape(text.get(i..close).unwrap_or_default()));
                    *awaiting_key = false;
                    last = Last::Key;
                }
                i = close;
                continue;
            }
            b'{' => stack.push(Frame::Object {
                slot: Slot::Unknown,
                awaiting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: Some(0) }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index = index.map(|i| i + 1),
                Some(Frame::Object { slot, awaiting_key }) => {
                    *slot = Slot::Unknown;
                    *awaiting_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    (stack, last)
}

/// A key as serde reads it (serde_json accepted it before the error).
fn unescape(quoted: &[u8]) -> String {
    serde_json::from_slice::<String>(quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(quoted).into_owned())
}

fn render(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        let segment = match frame {
            Frame::Object {
                slot: Slot::Key(key),
                ..
            } => key.as_str(),
            Frame::Object {
                slot: Slot::Unknown,
                ..
            } => "?",
            Frame::Object {
                slot: Slot::Hidden, ..
            }
            | Frame::Array { index: None } => continue,
            Frame::Array { index: Some(index) } => {
                path.push_str(&format!("[{index}]"));
                continue;
            }
        };
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(segment);
    }
    if path.is_empty() {
        path.push('.');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_at(text: &[u8], end: usize) -> String {
        render(&walk(text, end).0)
    }

    fn at(json: &str, marker: &str) -> String {
        let end = json.find(marker).map(|at| at + marker.len()).unwrap();
        path_at(json.as_bytes(), end)
    }

    #[test]
    fn the_path_follows_keys_and_indices() {
        let json = r#"{"a":{"b":[1,{"c":"x"},[true,null]]},"d":{}}"#;
        assert_eq!(at(json, r#"{"a""#), "a");
        assert_eq!(at(json, r#"[1"#), "a.b[0]");
        assert_eq!(at(json, r#""c""#), "a.b[1].c");
        assert_eq!(at(json, r#""x""#), "a.b[1].c");
        assert_eq!(at(json, r#""x"}"#), "a.b[1]");
        assert_eq!(at(json, "[true,"), "a.b[2][1]");
        assert_eq!(at(json, "]]"), "a.b");
        assert_eq!(at(json, r#"]},"d""#), "d");
        assert_eq!(path_at(json.as_bytes(), json.len()), ".");
        assert_eq!(path_at(b"", 0), ".");
    }

    #[test]
    fn strings_are_skipped_whole_and_keys_unescaped() {
        let json = r#"{"k\"{[,":"v,}]\\","x\u0041":1}"#;
        assert_eq!(at(json, r#"\\""#), r#"k"{[,"#);
        assert_eq!(at(json, r#"\u0041""#), "xA");
        // An error inside a key: not known yet.
        assert_eq!(path_at(br#"{"a":{"abc":1}}"#, 9), "a.?");
    }

    #[test]
    fn lines_and_columns_become_offsets() {
        let text = b"{\n  \"a\": 1,\n  \"b\": 2\n}";
        assert_eq!(offset_of(text, 1, 1), 1);
        assert_eq!(offset_of(text, 2, 5), 7);
        assert_eq!(&text[..offset_of(text, 3, 5)], b"{\n  \"a\": 1,\n  \"b\"");
        assert_eq!(offset_of(text, 9, 1), text.len());
        assert_eq!(offset_of(text, 4, 99), text.len());
    }
}

/// Every parse error names the path serde_path_to_error (which tracks it
/// while deserializing) names, on configs broken at a random place.
#[cfg(test)]
mod oracle {
    use crate::config::Config;
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    /// Every field written out, with a profile, a rule and a custom
    /// detector, so that a mutation can reach any part of the schema.
    fn base() -> Value {
        let rich = json!({
            "profiles": {"strict": {"actions": {"email": "block"}, "models": ["gpt-*"]}},
            "profile_rules": [{"profile": "strict", "match": {"path_prefix": "/v1", "header": {"name": "x", "value": "y"}}}],
            "detectors": {"custom": [{"type": "ticket", "pattern": "T-[0-9]+", "context": ["ticket"]}]},
        });
        let config = Config::from_json(rich.to_string().as_bytes()).unwrap();
        serde_json::from_str(&config.to_pretty_json()).unwrap()
    }

    /// serde_path_to_error's verdict: the path and serde_json's message
    /// (trailing bytes are the document's, `.`).
    fn oracle(text: &[u8]) -> Option<(String, String)> {
        let mut de = serde_json::Deserializer::from_slice(text);
        match serde_path_to_error::deserialize::<_, Config>(&mut de) {
            Err(err) => Some((err.path().to_string(), err.inner().to_string())),
            Ok(_) => de.end().err().map(|err| (".".to_string(), err.to_string())),
        }
    }

    fn replacement() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z_]{0,8}".prop_map(Value::String),
            Just(json!("mask")),
            Just(json!(u64::MAX)),
            Just(json!(-1)),
            Just(json!("q\"\\\n\u{e9}")),
            Just(json!([])),
            Just(json!(["x", 1])),
            Just(json!([[1], {"a": []}])),
            Just(json!({})),
            Just(json!({"bogus": 1})),
            Just(json!({"mask": null})),
            Just(json!({"a": {"b": [true]}, "c": 1})),
        ]
    }

    /// The `pick`-th node of `value` (pre-order, wrapping) replaced, or
    /// given an unknown key or stripped of a key when it is an object.
    fn mutate(value: &mut Value, pick: &mut usize, edit: u8, with: &Value) -> bool {
        if *pick == 0 {
            match (edit % 3, value.as_object_mut()) {
                (1, Some(map)) => {
                    map.insert("unknown_knob".into(), with.clone());
                }
                (2, Some(map)) if !map.is_empty() => {
                    let key = map.keys().nth(usize::from(edit) % map.len()).cloned();
                    map.remove(&key.unwrap());
                }
                _ => *value = with.clone(),
            }
            return true;
        }
        *pick -= 1;
        match value {
            Value::Object(map) => map.values_mut().any(|v| mutate(v, pick, edit, with)),
            Value::Array(items) => items.iter_mut().any(|v| mutate(v, pick, edit, with)),
            _ => false,
        }
    }

    fn nodes(value: &Value) -> usize {
        1 + match value {
            Value::Object(map) => map.values().map(nodes).sum(),
            Value::Array(items) => items.iter().map(nodes).sum(),
            _ => 0,
        }
    }

    /// The value at a path of the generated keys (no `.` or `[` in them).
    fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
        if path == "." {
            return Some(value);
        }
        path.split('.').try_fold(value, |value, segment| {
            let (key, indices) = segment.split_once('[').unwrap_or((segment, ""));
            let mut value = if key.is_empty() {
                value
            } else {
                value.get(key)?
            };
            for index in indices.split('[').filter(|i| !i.is_empty()) {
                value = value.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
            }
            Some(value)
        })
    }

    /// One broken config per rule of `of`, against the oracle.
    #[test]
    fn each_rule_matches_the_oracle() {
        for text in [
            r#"{"placeholders": ["x", 1]}"#,
            r#"{"placeholders": ["x", []]}"#,
            r#"{"profiles": {"p": {"mode": []}}}"#,
            r#"{"profiles": {"p": {"mode": {"bogus": 1}}}}"#,
            r#"{"never_touch": ["id","#,
            r#"{"never_touch": ["id""#,
            r#"{"never_touch": ["a"b]", 5]}"#,
            r#"{"limits": {"#,
            r#"{"limits": {"max_body_bytes""#,
            r#"{"limits": {"max_body_bytes" 1}}"#,
            r#"{"limits": {"max_body_bytes": 1 "x"}}"#,
            r#"{"limits": {"max_body_bytes": 1,"#,
            r#"{"limits": {"max_body_bytes": -1}}"#,
            r#"{"profiles": {"a"b\": {"mode": 5}}}"#,
            r#"{"detectors": {"custom": [{"type": "t"}]}}"#,
            r#"{"detectors": {"custom": [{"type": "t", "pattern": "x"}, {"type": 1}]}}"#,
            "{\n  \"limits\": {\n    \"max_findings\": \"many\"\n  }\n}",
            r#"[1]"#,
            r#"{"limits": 1} x"#,
        ] {
            let (path, message) = oracle(text.as_bytes()).expect(text);
            let err = Config::from_json(text.as_bytes()).unwrap_err();
            assert_eq!(err.message, message, "{text}");
            let path = if path.is_empty() {
                ".".to_string()
            } else {
                path
            };
            assert_eq!(err.path, path, "{text}: {message}");
        }
    }

    fn unknown_trimmed(path: &str) -> &str {
        path.strip_suffix(".?")
            .or(path.strip_suffix('?'))
            .unwrap_or(path)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn error_paths_match_a_tracking_deserializer(
            pick in any::<usize>(),
            edit in any::<u8>(),
            with in replacement(),
            pretty in any::<bool>(),
            wrap_key in proptest::option::of("[a-z\"\\\\ ]{1,4}"),
            again in proptest::option::of((any::<usize>(), any::<u8>(), replacement())),
            cut in proptest::option::of(any::<usize>()),
        ) {
            let mut value = base();
            let mut at = pick % nodes(&value);
            mutate(&mut value, &mut at, edit, &with);
            if let Some((pick, edit, with)) = again {
                let mut at = pick % nodes(&value);
                mutate(&mut value, &mut at, edit, &with);
            }
            if let Some(key) = wrap_key {
                // Keys that need escaping, one level down.
                let mut map = Map::new();
                map.insert(key, value);
                value = json!({"profiles": Value::Object(map)});
            }
            let mut text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            if let Some(cut) = cut {
                // Broken JSON: cut short, on a char boundary.
                let mut cut = 1 + cut % (text.len() - 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                // As `Config::from_json` reads it.
                text.truncate(text.trim_end().len());
            }
            if let Some((path, message)) = oracle(text.as_bytes()) {
                let err = Config::from_json(text.as_bytes()).unwrap_err();
                prop_assert_eq!(&err.message, &message, "{}", text);
                let path = if path.is_empty() { ".".to_string() } else { path };
                let (ours, theirs) = if cut.is_some() {
                    // Cut short inside `{`, an enum is named by its value's
                    // path and a struct by `?` after it: types the text
                    // cannot tell apart. Only that last segment may differ.
                    (unknown_trimmed(&err.path), unknown_trimmed(&path))
                } else {
                    (err.path.as_str(), path.as_str())
                };
                let tail = &text[text.char_indices().rev().nth(120).map_or(0, |(i, _)| i)..];
                if ours != theirs {
                    // An object where a string enum belongs is read as
                    // `{"variant": …}`; an error inside it is the enum's
                    // (serde_path_to_error), the member's here.
                    let member = match at_path(&value, theirs).and_then(Value::as_object) {
                        Some(map) if map.len() == 1 => map.keys().next().cloned(),
                        _ => None,
                    };
                    let prefix = if theirs == "." { String::new() } else { format!("{theirs}.") };
                    let expected = member.map(|key| format!("{prefix}{key}"));
                    prop_assert!(
                        expected.as_deref().is_some_and(|e| ours.starts_with(e)),
                        "{} is not {}: {} {:?}", ours, theirs, err.message, tail
                    );
                }
            }
        }
    }
}
