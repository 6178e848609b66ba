// SPDX-License-Identifier: Apache-2.0
//! SSE rewriter tests over sample streams written after each provider's
//! documented stream format (all ids and values made up).
//!
//! The oracle, for any split of the input bytes:
//! - the output is byte-identical to the output for the unsplit input;
//! - every event that carries no text is byte-identical to the input's;
//! - per stream, the concatenated delta text equals the whole-text
//!   rehydration of the input's concatenated delta text;
//! - events carrying a whole text equal the input event with its strings
//!   rehydrated.

use super::*;
use crate::stream::sse::SseParser;
use proptest::prelude::*;

fn vault() -> Arc<Vault> {
    let mut v = Vault::new(None, 64);
    v.reserve_input("I typed [EMAIL_1] myself");
    assert_eq!(v.mask("email", "alice@example.test").unwrap(), "[EMAIL_2]");
    assert_eq!(
        v.mask("phone_number", "+1 555 0100").unwrap(),
        "[PHONE_NUMBER_1]"
    );
    assert_eq!(v.mask("person", "Alice Liddell").unwrap(), "[PERSON_1]");
    Arc::new(v)
}

fn options(args: bool) -> SseOptions {
    SseOptions {
        rehydrate_tool_arguments: args,
        ..SseOptions::default()
    }
}

fn run(surface: SurfaceKind, opts: SseOptions, chunks: &[&[u8]]) -> (Vec<u8>, SseStats) {
    let mut rewriter = SseRewriter::rehydrating(surface, opts, vault());
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(rewriter.push(chunk));
    }
    out.extend(rewriter.finish());
    (out, rewriter.stats())
}

fn sse(event: Option<&str>, data: &str) -> String {
    match event {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

// ---- sample streams ------------------------------------------------------

fn chat_chunk(choices: &str) -> String {
    sse(
        None,
        &format!(
            r#"{{"id":"chatcmpl-shroud01","object":"chat.completion.chunk","created":1731000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_5f2a9c1d","choices":{choices}}}"#
        ),
    )
}

fn chat_text(index: u32, text: &str) -> String {
    let text = serde_json::to_string(text).unwrap();
    chat_chunk(&format!(
        r#"[{{"index":{index},"delta":{{"content":{text}}},"logprobs":null,"finish_reason":null}}]"#
    ))
}

fn chat_args(index: u32, args: &str) -> String {
    let args = serde_json::to_string(args).unwrap();
    chat_chunk(&format!(
        r#"[{{"index":{index},"delta":{{"tool_calls":[{{"index":0,"function":{{"arguments":{args}}}}}]}},"logprobs":null,"finish_reason":null}}]"#
    ))
}

fn chat_sample() -> String {
    [
        chat_chunk(
            r#"[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]"#,
        ),
        chat_text(0, "Sure, I will write to [EMA"),
        ": keep-alive\n\n".to_string(),
        chat_text(0, "IL_2] and call [PHONE_"),
        chat_chunk(
            r#"[{"index":1,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_7Hq2xv","type":"function","function":{"name":"send_email","arguments":""}}]},"logprobs":null,"finish_reason":null}]"#,
        ),
        chat_chunk(
            r#"[{"index":0,"delta":{"content":"NUMBER_1]. You wrote [EMAIL_1] yourself, "},"logprobs":null,"finish_reason":null},{"index":1,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"to\":\"[EMAIL_"}}]},"logprobs":null,"finish_reason":null}]"#,
        ),
        chat_args(1, "2]\",\"name\":\"[PERS"),
        chat_args(1, "ON_1]\"}"),
        chat_text(0, "[PERSON_1]. Unknown [EMAIL_9] stays. Bye [PERSON"),
        chat_chunk(r#"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"#),
        chat_chunk(r#"[{"index":1,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]"#),
        chat_chunk(r#"[],"usage":{"prompt_tokens":42,"completion_tokens":37,"total_tokens":79}"#),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat()
}

fn responses_sample() -> String {
    let full =
        "Hello [EMAIL_2], your number [PHONE_NUMBER_1] is noted; you typed [EMAIL_1]. End [EMA";
    let message_done = format!(
        r#"{{"id":"msg_shroud01","type":"message","status":"completed","content":[{{"type":"output_text","annotations":[],"text":{}}}],"role":"assistant"}}"#,
        serde_json::to_string(full).unwrap()
    );
    let call_done = r#"{"id":"fc_shroud01","type":"function_call","status":"completed","arguments":"{\"to\":\"[EMAIL_2]\"}","call_id":"call_shroud01","name":"send_email"}"#;
    let delta = |seq: u32, text: &str| {
        sse(
            Some("response.output_text.delta"),
            &format!(
                r#"{{"type":"response.output_text.delta","sequence_number":{seq},"item_id":"msg_shroud01","output_index":0,"content_index":0,"delta":{},"logprobs":[]}}"#,
                serde_json::to_string(text).unwrap()
            ),
        )
    };
    let args_delta = |seq: u32, text: &str| {
        sse(
            Some("response.function_call_arguments.delta"),
            &format!(
                r#"{{"type":"response.function_call_arguments.delta","sequence_number":{seq},"item_id":"fc_shroud01","output_index":1,"delta":{}}}"#,
                serde_json::to_string(text).unwrap()
            ),
        )
    };
    let response = |status: &str, output: &str| {
        format!(
            r#"{{"id":"resp_shroud01","object":"response","created_at":1731000000,"status":"{status}","model":"gpt-4.1-mini-2025-04-14","output":[{output}],"parallel_tool_calls":true,"usage":null}}"#
        )
    };
    [
        sse(
            Some("response.created"),
            &format!(
                r#"{{"type":"response.created","sequence_number":0,"response":{}}}"#,
                response("in_progress", "")
            ),
        ),
        sse(
            Some("response.in_progress"),
            &format!(
                r#"{{"type":"response.in_progress","sequence_number":1,"response":{}}}"#,
                response("in_progress", "")
            ),
        ),
        sse(
            Some("response.output_item.added"),
            r#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_shroud01","type":"message","status":"in_progress","content":[],"role":"assistant"}}"#,
        ),
        sse(
            Some("response.content_part.added"),
            r#"{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_shroud01","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}"#,
        ),
        delta(4, "Hello [EM"),
        delta(5, "AIL_2], your number [PHONE_NUMB"),
        delta(6, "ER_1] is"),
        delta(7, " noted; you typed [EMAIL_1]. End [EMA"),
        sse(
            Some("response.output_text.done"),
            &format!(
                r#"{{"type":"response.output_text.done","sequence_number":8,"item_id":"msg_shroud01","output_index":0,"content_index":0,"text":{},"logprobs":[]}}"#,
                serde_json::to_string(full).unwrap()
            ),
        ),
        sse(
            Some("response.content_part.done"),
            &format!(
                r#"{{"type":"response.content_part.done","sequence_number":9,"item_id":"msg_shroud01","output_index":0,"content_index":0,"part":{{"type":"output_text","annotations":[],"text":{}}}}}"#,
                serde_json::to_string(full).unwrap()
            ),
        ),
        sse(
            Some("response.output_item.done"),
            &format!(
                r#"{{"type":"response.output_item.done","sequence_number":10,"output_index":0,"item":{message_done}}}"#
            ),
        ),
        sse(
            Some("response.output_item.added"),
            r#"{"type":"response.output_item.added","sequence_number":11,"output_index":1,"item":{"id":"fc_shroud01","type":"function_call","status":"in_progress","arguments":"","call_id":"call_shroud01","name":"send_email"}}"#,
        ),
        args_delta(12, "{\"to\":\"[EMAIL_"),
        args_delta(13, "2]\"}"),
        sse(
            Some("response.function_call_arguments.done"),
            r#"{"type":"response.function_call_arguments.done","sequence_number":14,"item_id":"fc_shroud01","output_index":1,"arguments":"{\"to\":\"[EMAIL_2]\"}"}"#,
        ),
        sse(
            Some("response.output_item.done"),
            &format!(
                r#"{{"type":"response.output_item.done","sequence_number":15,"output_index":1,"item":{call_done}}}"#
            ),
        ),
        sse(
            Some("response.completed"),
            &format!(
                r#"{{"type":"response.completed","sequence_number":16,"response":{}}}"#,
                response("completed", &format!("{message_done},{call_done}"))
            ),
        ),
    ]
    .concat()
}

fn anthropic_sample() -> String {
    let text = |t: &str| {
        sse(
            Some("content_block_delta"),
            &format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#,
                serde_json::to_string(t).unwrap()
            ),
        )
    };
    let json = |t: &str| {
        sse(
            Some("content_block_delta"),
            &format!(
                r#"{{"type":"content_block_delta","index":1,"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#,
                serde_json::to_string(t).unwrap()
            ),
        )
    };
    [
        sse(
            Some("message_start"),
            r#"{"type":"message_start","message":{"id":"msg_01Shroud","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":31,"output_tokens":1}}}"#,
        ),
        sse(
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        sse(Some("ping"), r#"{"type": "ping"}"#),
        text("Dear [PER"),
        text("SON_1], I will mail [EMAIL_2][EMAIL"),
        text("_1] and call "),
        text("you at [PHONE_NUMBER"),
        sse(
            Some("content_block_stop"),
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        sse(
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01Shroud","name":"send_email","input":{}}}"#,
        ),
        json(""),
        json("{\"to\": \"[EMAIL_2"),
        json("]\", \"body\": \"Hi [PERSON_"),
        json("1]\"}"),
        sse(
            Some("content_block_stop"),
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        sse(
            Some("message_delta"),
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":48}}"#,
        ),
        sse(Some("message_stop"), r#"{"type":"message_stop"}"#),
    ]
    .concat()
    .replace('\n', "\r\n")
}

fn mcp_sample() -> String {
    [
        "event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t1\",\"progress\":1,\"message\":\"looking up [EMAIL_2]\"}}\n\n",
        "event: message\nid: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"Owner: [PERSON_1] <[EMAIL_2]>, typed [EMAIL_1]\"},{\"type\":\"image\",\"data\":\"iVBORw0KGgo=\",\"mimeType\":\"image/png\"}],\"isError\":false}}\n\n",
        ": comment\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":8,\ndata: \"result\":{\"content\":[{\"type\":\"text\",\"text\":\"multi-line [PHONE_NUMBER_1]\"}]}}\n\n",
        "data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"nothing to restore\"}]}}\n\n",
    ]
    .concat()
}

// ---- oracle --------------------------------------------------------------

enum Class {
    /// Text deltas: (stream key, is tool arguments, text).
    Deltas(Vec<(String, bool, String)>),
    /// Carries whole texts: strings are rehydrated.
    Whole(serde_json::Value),
    /// Must pass byte-exact.
    Other,
}

fn parse_events(bytes: &[u8]) -> Vec<SseEvent> {
    let mut parser = SseParser::new(usize::MAX);
    parser
        .feed(bytes)
        .into_iter()
        .filter_map(|item| match item {
            Item::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn classify(surface: SurfaceKind, event: &SseEvent) -> Class {
    let Some(data) = event.data() else {
        return Class::Other;
    };
    let Ok(value) = serde_json::from_slice::<Value>(&data) else {
        return Class::Other;
    };
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    match surface {
        SurfaceKind::OpenaiChat => {
            let Some(choices) = value
                .get("choices")
                .and_then(Value::as_array)
                .filter(|c| !c.is_empty())
            else {
                return Class::Other;
            };
            let mut deltas = Vec::new();
            for choice in choices {
                let i = choice["index"].as_u64().unwrap();
                if let Some(text) = choice.pointer("/delta/content").and_then(Value::as_str) {
                    deltas.push((format!("c{i}"), false, text.to_owned()));
                }
                for call in choice
                    .pointer("/delta/tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let t = call["index"].as_u64().unwrap();
                    deltas.push((
                        format!("c{i}t{t}"),
                        true,
                        s(call.pointer("/function/arguments")),
                    ));
                }
            }
            Class::Deltas(deltas)
        }
        SurfaceKind::OpenaiResponses => match kind {
            "response.output_text.delta" => Class::Deltas(vec![(
                format!("{}:{}", s(value.get("item_id")), value["content_index"]),
                false,
                s(value.get("delta")),
            )]),
            "response.function_call_arguments.delta" => {
                Class::Deltas(vec![(s(value.get("item_id")), true, s(value.get("delta")))])
            }
            _ if kind.ends_with(".done")
                || kind.ends_with(".added")
                || value.get("response").is_some() =>
            {
                Class::Whole(value)
            }
            _ => Class::Other,
        },
        SurfaceKind::AnthropicMessages => {
            match (kind, value.pointer("/delta/type").and_then(Value::as_str)) {
                ("content_block_delta", Some("text_delta")) => Class::Deltas(vec![(
                    value["index"].to_string(),
                    false,
                    s(value.pointer("/delta/text")),
                )]),
                ("content_block_delta", Some("input_json_delta")) => Class::Deltas(vec![(
                    value["index"].to_string(),
                    true,
                    s(value.pointer("/delta/partial_json")),
                )]),
                _ => Class::Other,
            }
        }
        SurfaceKind::Mcp if value.pointer("/result/content").is_some() => Class::Whole(value),
        _ => Class::Other,
    }
}

/// `value` with every string rehydrated (tool arguments only when `args`).
fn rehydrate_strings(vault: &Vault, value: &Value, args: bool, key: &str) -> Value {
    match value {
        Value::String(s) if key == "arguments" && !args => Value::String(s.clone()),
        Value::String(s) if key == "arguments" => Value::String(
            vault
                .rehydrate_escaped(s, ValueEscape::JsonString)
                .into_owned(),
        ),
        Value::String(s) => Value::String(vault.rehydrate(s).into_owned()),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| rehydrate_strings(vault, v, args, key))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), rehydrate_strings(vault, v, args, k)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn check_semantics(surface: SurfaceKind, args: bool, input: &[u8], output: &[u8]) {
    let vault = vault();
    let mut other_in = Vec::new();
    let mut other_out = Vec::new();
    let mut whole_in = Vec::new();
    let mut whole_out = Vec::new();
    let mut text_in: BTreeMap<String, (bool, String)> = BTreeMap::new();
    let mut text_out: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for (bytes, other, whole, text) in [
        (input, &mut other_in, &mut whole_in, &mut text_in),
        (output, &mut other_out, &mut whole_out, &mut text_out),
    ] {
        for event in parse_events(bytes) {
            match classify(surface, &event) {
                Class::Other => other.push(event.raw().to_vec()),
                Class::Whole(v) => whole.push(v),
                Class::Deltas(deltas) => {
                    for (key, is_args, delta) in deltas {
                        let entry = text.entry(key).or_insert((is_args, String::new()));
                        entry.1.push_str(&delta);
                    }
                }
            }
        }
    }
    assert_eq!(other_out, other_in, "untouched events must be byte-exact");
    assert_eq!(whole_out.len(), whole_in.len());
    for (got, sent) in whole_out.iter().zip(&whole_in) {
        assert_eq!(got, &rehydrate_strings(&vault, sent, args, ""));
    }
    assert_eq!(
        text_out.keys().collect::<Vec<_>>(),
        text_in.keys().collect::<Vec<_>>()
    );
    for (key, (is_args, sent)) in &text_in {
        let expected = match (is_args, args) {
            (false, _) => vault.rehydrate(sent).into_owned(),
            (true, true) => vault
                .rehydrate_escaped(sent, ValueEscape::JsonString)
                .into_owned(),
            (true, false) => sent.clone(),
        };
        assert_eq!(text_out[key].1, expected, "stream {key}");
    }
}

fn samples() -> Vec<(SurfaceKind, String)> {
    vec![
        (SurfaceKind::OpenaiChat, chat_sample()),
        (SurfaceKind::OpenaiResponses, responses_sample()),
        (SurfaceKind::AnthropicMessages, anthropic_sample()),
        (SurfaceKind::Mcp, mcp_sample()),
    ]
}

// ---- tests ---------------------------------------------------------------

#[test]
fn samples_are_rewritten_correctly() {
    for (surface, input) in samples() {
        for args in [true, false] {
            let (output, stats) = run(surface, options(args), &[input.as_bytes()]);
            check_semantics(surface, args, input.as_bytes(), &output);
            let text = String::from_utf8(output).unwrap();
            assert!(text.contains("alice@example.test"), "{surface:?}");
            if args && surface != SurfaceKind::Mcp {
                assert!(!text.contains("[EMAIL_2]"), "{text}");
            }
            // Poisoned by the input: never restored.
            assert!(text.contains("[EMAIL_1]"), "{surface:?}");
            assert_eq!(stats.unparsed_events, 0);
            assert_eq!(stats.oversized_events, 0);
        }
    }
}

#[test]
fn placeholders_split_across_events_are_restored() {
    let (out, stats) = run(
        SurfaceKind::OpenaiChat,
        options(true),
        &[chat_sample().as_bytes()],
    );
    let out = String::from_utf8(out).unwrap();
    assert!(
        !out.contains("[EMAIL_2]")
            && !out.contains("[PHONE_NUMBER_1]")
            && !out.contains("[PERSON_1]")
    );
    assert!(out.contains("[EMAIL_1]"), "poisoned token stays");
    assert!(out.contains("[EMAIL_9]"), "unknown token stays");
    // The held-back "[PERSON" rides in the finish_reason chunk: no new event.
    assert_eq!(stats.events_synthesized, 0);
    assert!(
        out.contains(r#""delta":{"content":"[PERSON"},"logprobs":null,"finish_reason":"stop""#),
        "{out}"
    );
    let args = r#"{\"to\":\"alice@example.test\",\"name\":\"Alice Liddell\"}"#;
    let joined: String = parse_events(out.as_bytes())
        .iter()
        .filter_map(|e| {
            let v: Value = serde_json::from_slice(&e.data()?).ok()?;
            let choice = v["choices"].as_array()?.iter().find(|c| c["index"] == 1)?;
            choice
                .pointer("/delta/tool_calls/0/function/arguments")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        serde_json::to_string(&joined).unwrap().trim_matches('"'),
        args
    );
}

#[test]
fn responses_flush_is_a_delta_before_done_with_its_sequence_number() {
    let (out, stats) = run(
        SurfaceKind::OpenaiResponses,
        options(true),
        &[responses_sample().as_bytes()],
    );
    assert_eq!(stats.events_synthesized, 1);
    let out = String::from_utf8(out).unwrap();
    let synthetic = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":8,\"item_id\":\"msg_shroud01\",\"output_index\":0,\"content_index\":0,\"delta\":\"[EMA\",\"logprobs\":[]}\n\nevent: response.output_text.done\n";
    assert!(out.contains(synthetic), "{out}");
}

#[test]
fn anthropic_flush_is_a_delta_before_block_stop() {
    let (out, stats) = run(
        SurfaceKind::AnthropicMessages,
        options(true),
        &[anthropic_sample().as_bytes()],
    );
    assert_eq!(stats.events_synthesized, 1);
    let out = String::from_utf8(out).unwrap();
    let synthetic = "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"[PHONE_NUMBER\"}}\r\n\r\nevent: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":0}";
    assert!(out.contains(synthetic), "{out}");
    assert!(out.contains("\"text\":\"Dear \""), "{out}");
}

#[test]
fn every_byte_split_gives_the_same_output() {
    for (surface, input) in samples() {
        let (reference, _) = run(surface, options(true), &[input.as_bytes()]);
        let bytes = input.as_bytes();
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let (split, _) = run(surface, options(true), &[a, b]);
            assert!(split == reference, "{surface:?}: split at {cut} differs");
        }
    }
}

#[test]
fn chat_streams_open_at_done_get_a_synthesized_chunk() {
    let input = [
        chat_text(0, "Reach me at [EMAIL_2] or [PHO"),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    let (out, stats) = run(SurfaceKind::OpenaiChat, options(false), &[input.as_bytes()]);
    assert_eq!(stats.events_synthesized, 1);
    let out = String::from_utf8(out).unwrap();
    assert!(out.ends_with(
        "data: {\"id\":\"chatcmpl-shroud01\",\"object\":\"chat.completion.chunk\",\"created\":1731000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_5f2a9c1d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[PHO\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n"
    ), "{out}");
    assert!(out.contains("Reach me at alice@example.test or "));
}

#[test]
fn truncated_stream_still_delivers_held_text() {
    let input = chat_text(0, "cut off at [PERSON_");
    let (out, stats) = run(SurfaceKind::OpenaiChat, options(false), &[input.as_bytes()]);
    assert_eq!(stats.events_synthesized, 1);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("\"content\":\"[PERSON_\"")
    );
}

#[test]
fn invalid_json_and_unknown_events_pass_unchanged() {
    for surface in [
        SurfaceKind::OpenaiChat,
        SurfaceKind::OpenaiResponses,
        SurfaceKind::AnthropicMessages,
        SurfaceKind::Mcp,
        SurfaceKind::Generic,
    ] {
        let input: &[u8] = b"data: {not json [EMAIL_2]\n\nevent: mystery\ndata: {\"type\":\"mystery\",\"text\":\"[EMAIL_2]\"}\n\ndata: \xff\n\n";
        let (out, stats) = run(surface, options(true), &[input]);
        assert_eq!(out, input, "{surface:?}");
        if surface != SurfaceKind::Generic {
            assert_eq!(stats.unparsed_events, 2, "{surface:?}");
        }
    }
}

#[test]
fn generic_surface_passes_everything() {
    let input = chat_sample();
    let (out, stats) = run(SurfaceKind::Generic, options(true), &[input.as_bytes()]);
    assert_eq!(out, input.as_bytes());
    assert_eq!(stats, SseStats::default());
}

#[test]
fn oversized_event_passes_unmodified_after_flushing_open_streams() {
    let big = format!("{} [EMAIL_2]", "x".repeat(400));
    let input = [
        chat_text(0, "first [EMAIL_2] then [EMAIL"),
        chat_text(0, &big),
        chat_text(0, " and [EMAIL_2]"),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    let opts = SseOptions {
        rehydrate_tool_arguments: false,
        max_event_bytes: 400,
    };
    let (reference, stats) = run(SurfaceKind::OpenaiChat, opts, &[input.as_bytes()]);
    assert_eq!(stats.oversized_events, 1);
    assert_eq!(stats.events_synthesized, 1);
    let text: String = parse_events(&reference)
        .iter()
        .filter_map(|e| {
            let v: Value = serde_json::from_slice(&e.data()?).ok()?;
            v.pointer("/choices/0/delta/content")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        text,
        format!("first alice@example.test then [EMAIL{big} and alice@example.test")
    );
    for cut in 0..=input.len() {
        let (a, b) = input.as_bytes().split_at(cut);
        assert!(
            run(SurfaceKind::OpenaiChat, opts, &[a, b]).0 == reference,
            "cut {cut}"
        );
    }
}

#[test]
fn tool_arguments_are_json_escaped() {
    let mut v = Vault::new(None, 8);
    let t = v.mask("person", "Zoë \"Z\" \\o/").unwrap();
    let input = [
        sse(
            Some("content_block_delta"),
            &format!(
                r#"{{"type":"content_block_delta","index":1,"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#,
                serde_json::to_string(&format!("{{\"name\": \"{}", &t[..4])).unwrap()
            ),
        ),
        sse(
            Some("content_block_delta"),
            &format!(
                r#"{{"type":"content_block_delta","index":1,"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#,
                serde_json::to_string(&format!("{}\"}}", &t[4..])).unwrap()
            ),
        ),
    ]
    .concat();
    let mut rewriter =
        SseRewriter::rehydrating(SurfaceKind::AnthropicMessages, options(true), Arc::new(v));
    let mut out = rewriter.push(input.as_bytes());
    out.extend(rewriter.finish());
    let args: String = parse_events(&out)
        .iter()
        .map(|e| {
            let v: Value = serde_json::from_slice(&e.data().unwrap()).unwrap();
            v["delta"]["partial_json"].as_str().unwrap().to_owned()
        })
        .collect();
    let parsed: Value = serde_json::from_str(&args).unwrap();
    assert_eq!(parsed["name"], "Zoë \"Z\" \\o/");
}

#[test]
fn transforms_chain_through_the_factory() {
    struct Upper;
    impl DeltaTransform for Upper {
        fn push(&mut self, delta: &str) -> String {
            delta.to_uppercase()
        }
        fn finish(&mut self) -> String {
            String::new()
        }
    }
    let vault = vault();
    let factory: TransformFactory<'_> = Box::new(|_| {
        Box::new(super::super::Chain {
            first: Rehydrator::new(&*vault),
            second: Upper,
        })
    });
    let mut rewriter = SseRewriter::new(SurfaceKind::AnthropicMessages, options(false), factory);
    let input = anthropic_sample();
    let mut out = rewriter.push(input.as_bytes());
    out.extend(rewriter.finish());
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\"text\":\"DEAR \""), "{out}");
    assert!(
        out.contains("ALICE LIDDELL, I WILL MAIL ALICE@EXAMPLE.TEST"),
        "{out}"
    );
    // Tool arguments are off here: the factory never saw them.
    assert!(out.contains("[EMAIL_2"), "{out}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_multi_splits_give_the_same_output(
        which in 0usize..4,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..12),
        args in any::<bool>(),
    ) {
        let (surface, input) = samples().swap_remove(which);
        let bytes = input.as_bytes();
        let (reference, _) = run(surface, options(args), &[bytes]);
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut prev = 0;
        for cut in at {
            chunks.push(&bytes[prev..cut]);
            prev = cut;
        }
        chunks.push(&bytes[prev..]);
        let (split, _) = run(surface, options(args), &chunks);
        prop_assert!(split == reference);
        check_semantics(surface, args, bytes, &split);
    }
}
