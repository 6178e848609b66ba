// SPDX-License-Identifier: Apache-2.0
//! Tests of the strict parser and the serializer.

use super::*;
use crate::payload::testutil::arb_value;
use proptest::prelude::*;
use serde_json::json;

fn limits() -> Limits {
    Limits::default()
}

fn parse(text: &str) -> Result<Value, PayloadError> {
    parse_body(text.as_bytes(), &limits())
}

fn roundtrip(text: &str) -> String {
    String::from_utf8(serialize(&parse(text).unwrap())).unwrap()
}

#[test]
fn big_and_precise_numbers_keep_their_value() {
    let body =
        r#"{"a":12345678901234567890123,"b":0.1000000000000000055511151231257827,"c":1e400}"#;
    // serde_json writes exponents with an explicit sign: same number, so the
    // only rewrite is `1e400` -> `1e+400`.
    assert_eq!(
        roundtrip(body),
        r#"{"a":12345678901234567890123,"b":0.1000000000000000055511151231257827,"c":1e+400}"#
    );
    let value = parse(body).unwrap();
    assert_eq!(value["a"].to_string(), "12345678901234567890123");
    assert_eq!(
        value["b"].to_string(),
        "0.1000000000000000055511151231257827"
    );
}

#[test]
fn number_spellings_survive() {
    let cases = [
        (
            "[0,-0,-1,18446744073709551615,18446744073709551616]",
            "[0,-0,-1,18446744073709551615,18446744073709551616]",
        ),
        (
            "[-9223372036854775808,-9223372036854775809]",
            "[-9223372036854775808,-9223372036854775809]",
        ),
        (
            "[1.0,1.50,-0.0,2.5e-7,1E5,3e+2,-1.5E-10]",
            "[1.0,1.50,-0.0,2.5e-7,1e+5,3e+2,-1.5e-10]",
        ),
        (
            "[1e-400,123456789012345678901234567890.123456789]",
            "[1e-400,123456789012345678901234567890.123456789]",
        ),
    ];
    for (input, output) in cases {
        assert_eq!(roundtrip(input), output, "{input}");
        // Idempotent from then on.
        assert_eq!(roundtrip(output), output);
    }
}

#[test]
fn key_order_is_kept() {
    let body = r#"{"z":1,"a":{"y":2,"b":3},"m":[{"q":1,"c":2}]}"#;
    assert_eq!(roundtrip(body), body);
}

#[test]
fn duplicate_keys_are_refused_with_their_pointer() {
    let cases = [
        (r#"{"a":1,"a":2}"#, "/a"),
        (
            r#"{"messages":[{"role":"user","content":"x","content":"y"}]}"#,
            "/messages/0/content",
        ),
        (r#"{"a":1,"\u0061":2}"#, "/a"),
        (r#"{"x":{"a/b":1,"a/b":2}}"#, "/x/a~1b"),
        (r#"{"x":{"t~":1,"t~":{}}}"#, "/x/t~0"),
        (r#"[{}, {"k":[1,{"k":1,"k":1}]}]"#, "/1/k/1/k"),
    ];
    for (body, pointer) in cases {
        assert_eq!(
            parse(body),
            Err(PayloadError::DuplicateKey {
                pointer: pointer.to_string()
            }),
            "{body}"
        );
    }
    let err = parse(r#"{"messages":[{"content":"x","content":"y"}]}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate object key at /messages/0/content"
    );
    // Hard negatives: same key in different objects, keys differing in case.
    assert!(parse(r#"{"a":{"a":1},"b":{"a":2},"A":3}"#).is_ok());
}

#[test]
fn depth_limit_is_exact() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let limits = Limits {
        max_json_depth: 5,
        ..Limits::default()
    };
    assert!(parse_body(nested(5).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse_body(nested(6).as_bytes(), &limits),
        Err(PayloadError::TooDeep {
            limit: 5,
            offset: 5
        })
    );
    let objects = r#"{"a":{"b":{"c":{"d":{"e":1}}}}}"#;
    assert!(parse_body(objects.as_bytes(), &limits).is_ok());
    let objects = r#"{"a":{"b":{"c":{"d":{"e":{}}}}}}"#;
    assert!(matches!(
        parse_body(objects.as_bytes(), &limits),
        Err(PayloadError::TooDeep { limit: 5, .. })
    ));
}

#[test]
fn depth_prescan_ignores_brackets_in_strings() {
    let limits = Limits {
        max_json_depth: 2,
        ..Limits::default()
    };
    let body = r#"{"a":["[[[[{{{{", "\"[[[[", "\\", "{"]}"#;
    assert!(parse_body(body.as_bytes(), &limits).is_ok());
    let body = r#"{"a":["\\", [[]]]}"#;
    assert!(matches!(
        parse_body(body.as_bytes(), &limits),
        Err(PayloadError::TooDeep { .. })
    ));
}

#[test]
fn depth_is_capped_by_the_parser_ceiling() {
    let limits = Limits {
        max_json_depth: 10_000,
        ..Limits::default()
    };
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_body(nested(PARSER_MAX_DEPTH).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse_body(nested(PARSER_MAX_DEPTH + 1).as_bytes(), &limits),
        Err(PayloadError::TooDeep {
            limit: PARSER_MAX_DEPTH,
            offset: PARSER_MAX_DEPTH
        })
    );
}

#[test]
fn seed_depth_guard_agrees_with_the_prescan() {
    // The pre-scan normally fires first; check the seed's own guard directly.
    let failure = parse_document(b"[[[]]]", 2).err().unwrap();
    assert!(matches!(
        failure,
        Failure::Rejected(PayloadError::TooDeep { limit: 2, .. })
    ));
    assert!(parse_document(b"[[]]", 2).is_ok());
    assert!(matches!(
        parse_document(br#"{"a":{"b":{}}}"#, 2),
        Err(Failure::Rejected(PayloadError::TooDeep { .. }))
    ));
    // A number at the deepest level is not a container.
    assert!(parse_document(b"[[1.5, 12345678901234567890123]]", 2).is_ok());
}

#[test]
fn size_limit_is_exact() {
    let limits = Limits {
        max_body_bytes: 8,
        ..Limits::default()
    };
    assert!(parse_body(br#"{"a":12}"#, &limits).is_ok());
    assert_eq!(
        parse_body(br#"{"a":123}"#, &limits),
        Err(PayloadError::TooLarge { size: 9, limit: 8 })
    );
}

#[test]
fn not_json_and_invalid_json_are_told_apart() {
    for body in [
        "",
        "   ",
        "hello",
        "a=1&b=2",
        "<xml/>",
        "'x'",
        "NaN",
        "\"unterminated",
    ] {
        assert!(
            matches!(parse(body), Err(PayloadError::NotJson { .. })),
            "{body:?}: {:?}",
            parse(body)
        );
    }
    for body in [
        r#"{"a":"#,
        r#"{"a": NaN}"#,
        r#"{"a":1,}"#,
        r#"[1,2"#,
        r#"{} {}"#,
        r#"{"a":1} x"#,
        "  {'a':1}",
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\x"}"#,
    ] {
        assert!(
            matches!(parse(body), Err(PayloadError::InvalidJson { .. })),
            "{body:?}: {:?}",
            parse(body)
        );
    }
    // Scalars are JSON.
    assert_eq!(parse(" \"text\" ").unwrap(), json!("text"));
    assert_eq!(parse("42").unwrap(), json!(42));
}

#[test]
fn invalid_json_names_where_it_failed() {
    let body = "{\"messages\":[{\"role\":\"user\",\n\"content\":\"bad \\q escape\"}]}";
    let err = parse(body).unwrap_err();
    let PayloadError::InvalidJson {
        line,
        pointer,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*line, 2);
    assert_eq!(pointer.as_deref(), Some("/messages/0/content"));
    assert!(!message.contains("at line"), "{message}");
    assert!(err.to_string().contains("/messages/0/content"), "{err}");
}

#[test]
fn invalid_utf8_is_invalid_json() {
    assert!(matches!(
        parse_body(b"{\"a\":\"\xff\"}", &limits()),
        Err(PayloadError::InvalidJson { .. })
    ));
}

#[test]
fn utf8_bom_is_skipped_and_wide_encodings_refused() {
    assert_eq!(
        parse_body(b"\xEF\xBB\xBF{\"a\":1}", &limits()).unwrap(),
        json!({"a": 1})
    );
    let utf16le: Vec<u8> = "{\"a\":1}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let utf16be: Vec<u8> = "{\"a\":1}"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let utf32le: Vec<u8> = "{\"a\":1}"
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let utf32be: Vec<u8> = "{\"a\":1}"
        .chars()
        .flat_map(|c| (c as u32).to_be_bytes())
        .collect();
    let mut bom16 = vec![0xFF, 0xFE];
    bom16.extend(&utf16le);
    for (body, encoding) in [
        (utf16le, "UTF-16LE"),
        (utf16be, "UTF-16BE"),
        (utf32le, "UTF-32LE"),
        (utf32be, "UTF-32BE"),
        (bom16, "UTF-16LE"),
    ] {
        assert_eq!(
            parse_body(&body, &limits()),
            Err(PayloadError::UnsupportedEncoding { encoding }),
            "{encoding}"
        );
    }
}

#[test]
fn the_number_marker_key_is_an_ordinary_key() {
    // serde_json's own Value would turn this object into the number
    // 4111111111111111, hiding the string from the scanner.
    let body = r#"{"$serde_json::private::Number":"4111111111111111"}"#;
    let value = parse(body).unwrap();
    assert_eq!(
        value,
        json!({"$serde_json::private::Number": "4111111111111111"})
    );
    assert_eq!(roundtrip(body), body);
    for body in [
        r#"{"$serde_json::private::Number":"not a number"}"#,
        r#"{"$serde_json::private::Number":{"x":[1,2]}}"#,
        r#"{"a":1,"$serde_json::private::Number":"12"}"#,
        r#"[{"$serde_json::private::Number":1.5}]"#,
    ] {
        assert_eq!(roundtrip(body), body);
    }
    assert!(matches!(
        parse(r#"{"$serde_json::private::Number":1,"$serde_json::private::Number":2}"#),
        Err(PayloadError::DuplicateKey { .. })
    ));
}

#[test]
fn strings_escape_like_serde_json() {
    let value = json!({"s": "quote\" back\\ nl\n tab\t cr\r bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} é 🙂 \u{2028}"});
    assert_eq!(serialize(&value), serde_json::to_vec(&value).unwrap());
}

#[test]
fn embedded_documents() {
    assert!(matches!(
        parse_embedded(r#"{"city":"Paris"}"#, 8),
        Embedded::Json(_)
    ));
    assert!(matches!(
        parse_embedded("\"just a string\"", 8),
        Embedded::Json(_)
    ));
    assert!(matches!(parse_embedded("city=Paris", 8), Embedded::Text));
    assert!(matches!(
        parse_embedded(r#"{"city":"Par"#, 8),
        Embedded::Text
    ));
    assert!(matches!(parse_embedded("", 8), Embedded::Text));
    assert!(matches!(
        parse_embedded(r#"{"a":1,"a":2}"#, 8),
        Embedded::Rejected(PayloadError::DuplicateKey { .. })
    ));
    assert!(matches!(
        parse_embedded("[[[]]]", 2),
        Embedded::Rejected(PayloadError::TooDeep { .. })
    ));
}

#[test]
fn error_messages_name_the_place() {
    let cases = [
        (
            PayloadError::TooLarge {
                size: 2_000_000,
                limit: 1_048_576,
            },
            "body is 2000000 bytes, more than the limit of 1048576",
        ),
        (
            PayloadError::UnexpectedType {
                pointer: "/messages".into(),
                expected: "an array",
                found: "an object",
            },
            "/messages: expected an array, found an object",
        ),
        (
            PayloadError::UnexpectedType {
                pointer: String::new(),
                expected: "an object",
                found: "an array",
            },
            "the document root: expected an object, found an array",
        ),
        (
            PayloadError::Embedded {
                pointer: "/messages/1/tool_calls/0/function/arguments".into(),
                error: Box::new(PayloadError::DuplicateKey {
                    pointer: "/city".into(),
                }),
            },
            "in the JSON-encoded string at /messages/1/tool_calls/0/function/arguments: \
             duplicate object key at /city",
        ),
        (
            PayloadError::TooDeep {
                limit: 64,
                offset: 70,
            },
            "JSON nests deeper than 64 levels (at byte 70)",
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message);
    }
}

proptest! {
    /// Escapes anywhere in and across the eight-byte words.
    #[test]
    fn strings_escape_like_serde_json_anywhere(text in "[a-z \"\\\\\u{0}-\u{1f}\u{7f}é🙂]{0,40}") {
        let value = Value::String(text);
        prop_assert_eq!(serialize(&value), serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn serialize_then_parse_is_identity(value in arb_value()) {
        let bytes = serialize(&value);
        prop_assert_eq!(&bytes, &serde_json::to_vec(&value).unwrap());
        let parsed = parse_body(&bytes, &Limits { max_body_bytes: usize::MAX, ..Limits::default() });
        prop_assert_eq!(parsed.as_ref(), Ok(&value));
    }

    #[test]
    fn parser_agrees_with_serde_json_on_pretty_text(value in arb_value()) {
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let ours = parse(&pretty).unwrap();
        let theirs: Value = serde_json::from_str(&pretty).unwrap();
        prop_assert_eq!(ours, theirs);
    }

    /// The parser refuses nesting exactly where a byte walk of the
    /// brackets outside strings goes past the limit, and at the same byte;
    /// on broken text it may report the syntax error instead, never accept.
    #[test]
    fn depth_limit_matches_a_byte_walk(
        text in prop_oneof![
            "[\\[\\]{}\"\\\\ a:,0]{0,48}",
            arb_value().prop_map(|v| serde_json::to_string(&v).unwrap()),
        ],
        limit in 0usize..5,
    ) {
        let walk = depth_by_bytes(text.as_bytes(), limit);
        match parse_document(text.as_bytes(), limit) {
            Ok(_) => prop_assert_eq!(walk, Ok(())),
            Err(Failure::Rejected(err @ PayloadError::TooDeep { .. })) => prop_assert_eq!(walk, Err(err)),
            Err(Failure::Rejected(_)) => {}
            Err(Failure::Syntax { .. }) => {
                let valid = serde_json::from_str::<Value>(&text).is_ok();
                prop_assert!(!valid, "{:?} is JSON", text);
            }
        }
    }

    /// Our parser accepts exactly what serde_json accepts, and reads the
    /// same value, on documents broken at random: bytes deleted, inserted
    /// or replaced from JSON's own alphabet, or the text cut short.
    #[test]
    fn parser_agrees_with_serde_json_on_broken_text(
        value in arb_value(),
        pretty in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(EDIT_BYTES)), 0..3),
    ) {
        let mut bytes = if pretty {
            serde_json::to_vec_pretty(&value).unwrap()
        } else {
            serde_json::to_vec(&value).unwrap()
        };
        for (at, kind, byte) in edits {
            let at = at.index(bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => { bytes.remove(at); }
                1 => bytes.insert(at, byte),
                2 if at < bytes.len() => bytes[at] = byte,
                _ => bytes.truncate(at),
            }
        }
        assert_agrees_with_serde_json(&bytes)?;
    }

    /// Any char written as a `\u` escape (a surrogate pair beyond the
    /// BMP, hex digits in either case) or as a short escape reads back as
    /// itself.
    #[test]
    fn escapes_read_back(chars in proptest::collection::vec((any::<char>(), 0u8..3), 0..24)) {
        let mut json = String::from("\"");
        let mut expected = String::new();
        for (c, style) in chars {
            expected.push(c);
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                _ => None,
            };
            match (style, short) {
                (0, Some(short)) => json.push_str(short),
                (0, None) if c >= ' ' => json.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        if style == 2 {
                            json.push_str(&format!("\\u{unit:04X}"));
                        } else {
                            json.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
            }
        }
        json.push('"');
        prop_assert_eq!(parse(&json), Ok(Value::String(expected)), "{}", json);
    }

    /// The same on short texts over JSON's alphabet (mostly broken).
    #[test]
    fn parser_agrees_with_serde_json_on_json_like_text(text in "[\\[\\]{}\",:\\\\ a0-9.eE+\\-tfnul/bu\n\u{1}é]{0,40}") {
        assert_agrees_with_serde_json(text.as_bytes())?;
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_body(&bytes, &limits());
    }

    #[test]
    fn parser_never_panics_on_json_like_text(text in "[\\[\\]{}\",:\\\\ a0-9.eE+\\-tfnul]{0,48}") {
        let _ = parse(&text);
        let _ = parse_embedded(&text, 4);
    }
}

/// Bytes the differential test inserts: JSON's structure, escapes, digits,
/// white space, a control character, a stray continuation byte and the
/// first byte of a two-byte sequence.
const EDIT_BYTES: &[u8] = b"{}[]\",:\\/ubnrtfeE+-.0123456789afAF \n\x01\x80\xC3";

fn assert_agrees_with_serde_json(bytes: &[u8]) -> Result<(), TestCaseError> {
    let ours = parse_document(bytes, PARSER_MAX_DEPTH);
    let theirs = serde_json::from_slice::<Value>(bytes);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs),
        // A repeated key is refused as soon as it is read: serde_json keeps
        // the last of two equal keys, or finds a syntax error after it.
        (Err(Failure::Rejected(PayloadError::DuplicateKey { .. })), _) => {}
        (Err(Failure::Syntax { .. }), Err(_)) => {}
        (ours, theirs) => prop_assert!(
            false,
            "{:?}: ours {:?}, serde_json {:?}",
            String::from_utf8_lossy(bytes),
            ours.map_err(|f| match f {
                Failure::Syntax { message, .. } => message,
                Failure::Rejected(err) => err.to_string(),
            }),
            theirs
        ),
    }
    Ok(())
}

#[test]
fn config_floats_still_parse_with_arbitrary_precision() {
    // The workspace enables `arbitrary_precision` for bodies; typed config
    // fields must still read plain floats and integers.
    let config = crate::config::Config::from_json(
        br#"{"detectors":{"min_secret_entropy":2.5},"limits":{"max_json_depth":12}}"#,
    )
    .unwrap();
    assert_eq!(config.detectors.min_secret_entropy, 2.5);
    assert_eq!(config.limits.max_json_depth, 12);
}

/// Nesting depth by a walk over the bytes: the oracle for the parser's
/// depth limit.
fn depth_by_bytes(bytes: &[u8], limit: usize) -> Result<(), PayloadError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, &byte) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(PayloadError::TooDeep { limit, offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    /// The lowest byte the word test flags is the first byte a JSON
    /// string cannot hold raw, whatever surrounds it (a borrow may flag
    /// bytes above it, never one below).
    #[test]
    fn the_first_raw_string_break_is_exact(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), Just(0x1F), Just(0x20), Just(0x21),
                Just(0x5B), Just(0x5D), Just(0x00), Just(0x80), Just(0xA2), any::<u8>()],
            8,
        ),
    ) {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(bytes.as_slice()).unwrap());
        let flags = raw_string_breaks(word) & 0x8080_8080_8080_8080;
        let first = bytes.iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\');
        let flagged = (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize);
        prop_assert_eq!(flagged, first, "{:?}", bytes);
    }
}
