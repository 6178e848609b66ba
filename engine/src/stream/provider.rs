// SPDX-License-Identifier: Apache-2.0
//! Rewrites the text inside each provider's SSE stream events, leaving every
//! other event byte-exact.
//!
//! For each surface, the text deltas of one logical stream (a chat choice, a
//! tool call's arguments, a Responses content part, an Anthropic content
//! block) go through one [`DeltaTransform`] made by the factory, so a
//! placeholder cut across events is still restored. Events that carry a
//! whole text (`response.output_text.done`, `response.completed`, MCP
//! results) go through a fresh transform in one piece.
//!
//! # Flushing held-back text
//!
//! A transform may hold back the start of a possible placeholder. When a
//! stream ends, the client must still get that text, in order:
//! - OpenAI chat: appended to the delta of the chunk that carries the
//!   choice's `finish_reason` (no extra event; `content` or
//!   `tool_calls[].function.arguments` is added if absent). Streams still
//!   open at `data: [DONE]` get a synthesized chunk just before it, built
//!   from the last chunk's top-level fields (`id`, `model`, …).
//! - OpenAI Responses: a synthesized `response.output_text.delta` (or
//!   `response.function_call_arguments.delta`) event just before the
//!   matching `.done` event, copying the last delta event of that stream and
//!   taking the `.done` event's `sequence_number`, so numbers never decrease.
//! - Anthropic: a synthesized `content_block_delta` just before the block's
//!   `content_block_stop`.
//! - Anything still open at a terminal event (`[DONE]`, `response.completed`
//!   / `.incomplete` / `.failed`, `message_stop`), before an oversized
//!   event, or at the end of the stream is flushed the same way.
//!
//! Synthesized events are only written when there is held-back text, which
//! needs the text to end in a `[`-prefix of a placeholder (e.g. output cut
//! by `max_tokens` mid-token). In the common case the output has exactly the
//! input's events.
//!
//! # What passes through untouched
//!
//! Events without data, comments, `[DONE]`, events whose data is not JSON
//! (counted in [`SseStats::unparsed_events`]), every event type not listed
//! above, `logprobs`, thinking/reasoning text (Anthropic signs thinking
//! blocks), and the whole `Generic` surface. An event larger than
//! `max_event_bytes` is passed through as it arrives without rehydration
//! (counted in [`SseStats::oversized_events`]): rehydration only ever
//! restores values, so skipping it leaves placeholders in place and never
//! exposes anything; open streams are flushed first so text stays in order.
//!
//! A modified event keeps its line layout (`event:` line, then one `data:`
//! line, same terminators) and its JSON key order (serde_json
//! `preserve_order`); number and escape spelling inside it may be
//! normalized.

use super::sse::{Item, SseEvent, SseParser};
use super::{DeltaTransform, Rehydrator, transform_whole};
use crate::config::SurfaceKind;
use crate::payload::to_json_string;
use crate::vault::{ValueEscape, Vault};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a stream of deltas contains; the factory picks a transform for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaKind {
    /// Prose shown to the user.
    Text,
    /// JSON source of tool-call arguments (values go inside JSON strings).
    ToolArguments,
}

/// Makes a fresh transform for a new stream of `DeltaKind`.
pub type TransformFactory<'a> = Box<dyn FnMut(DeltaKind) -> Box<dyn DeltaTransform + 'a> + 'a>;

/// Default bound on one buffered SSE event.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Options of an [`SseRewriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseOptions {
    /// Also transform tool-call arguments (profile
    /// `rehydrate_tool_arguments`). Off: the tool receives placeholders.
    pub rehydrate_tool_arguments: bool,
    /// Largest event buffered for rewriting; larger ones pass unmodified.
    pub max_event_bytes: usize,
}

impl Default for SseOptions {
    fn default() -> Self {
        SseOptions {
            rehydrate_tool_arguments: false,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SseStats {
    /// Events with data seen.
    pub events: u64,
    /// Events re-serialized because their text changed.
    pub events_rewritten: u64,
    /// Events added to flush held-back text.
    pub events_synthesized: u64,
    /// Events over `max_event_bytes`, passed through without rehydration.
    pub oversized_events: u64,
    /// Events whose data was not JSON (or not UTF-8), passed through.
    pub unparsed_events: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum StreamKey {
    Chat {
        choice: u64,
        tool: Option<u64>,
    },
    Responses {
        item: String,
        output: Option<u64>,
        content: Option<u64>,
        arguments: bool,
    },
    Anthropic {
        index: u64,
    },
}

/// How to write a flush event for a stream: `template` with the text at
/// `pointer` set to the held-back tail.
struct FlushTemplate {
    event_name: Option<String>,
    template: Value,
    pointer: &'static str,
}

struct OpenStream<'a> {
    transform: Box<dyn DeltaTransform + 'a>,
    flush: FlushTemplate,
}

/// Incremental rewriter of one response stream: raw SSE bytes in, raw SSE
/// bytes out, with text deltas run through per-stream transforms.
pub struct SseRewriter<'a> {
    surface: SurfaceKind,
    options: SseOptions,
    parser: SseParser,
    factory: TransformFactory<'a>,
    streams: BTreeMap<StreamKey, OpenStream<'a>>,
    /// Line terminator for synthesized events: the stream's own.
    eol: Vec<u8>,
    stats: SseStats,
}

impl std::fmt::Debug for SseRewriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseRewriter")
            .field("surface", &self.surface)
            .field("options", &self.options)
            .field("open_streams", &self.streams.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl SseRewriter<'static> {
    /// A rewriter that restores `vault`'s placeholders (tool arguments with
    /// JSON string escaping, when enabled).
    pub fn rehydrating(
        surface: SurfaceKind,
        options: SseOptions,
        vault: Arc<Vault>,
    ) -> SseRewriter<'static> {
        SseRewriter::new(
            surface,
            options,
            Box::new(move |kind| -> Box<dyn DeltaTransform> {
                let escape = match kind {
                    DeltaKind::Text => ValueEscape::None,
                    DeltaKind::ToolArguments => ValueEscape::JsonString,
                };
                Box::new(Rehydrator::with_escape(Arc::clone(&vault), escape))
            }),
        )
    }
}

impl<'a> SseRewriter<'a> {
    /// A rewriter for `surface` making one transform per stream with
    /// `factory`.
    pub fn new(surface: SurfaceKind, options: SseOptions, factory: TransformFactory<'a>) -> Self {
        SseRewriter {
            surface,
            options,
            parser: SseParser::new(options.max_event_bytes),
            factory,
            streams: BTreeMap::new(),
            eol: b"\n".to_vec(),
            stats: SseStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SseStats {
        self.stats
    }

    /// Consumes the next chunk of the response body; returns the bytes ready
    /// to send on.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.surface == SurfaceKind::Generic {
            return chunk.to_vec();
        }
        let mut out = Vec::with_capacity(chunk.len());
        for item in self.parser.feed(chunk) {
            match item {
                Item::Raw(bytes) => out.extend_from_slice(&bytes),
                Item::Oversized(bytes) => {
                    self.stats.oversized_events += 1;
                    self.flush_all(None, &mut out);
                    out.extend_from_slice(&bytes);
                }
                Item::Event(event) => self.on_event(event, &mut out),
            }
        }
        out
    }

    /// Ends the response: returns held-back text (as synthesized events) and
    /// any unterminated last event, unchanged.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.surface == SurfaceKind::Generic {
            return out;
        }
        let unterminated = self.parser.finish();
        self.flush_all(None, &mut out);
        if let Some(raw) = unterminated {
            out.extend_from_slice(&raw);
        }
        out
    }

    fn on_event(&mut self, event: SseEvent, out: &mut Vec<u8>) {
        let Some(data) = event.data() else {
            out.extend_from_slice(event.raw());
            return;
        };
        self.stats.events += 1;
        if event.line_ending() != self.eol.as_slice() {
            self.eol = event.line_ending().to_vec();
        }
        if self.surface == SurfaceKind::OpenaiChat && data.trim_ascii() == b"[DONE]" {
            self.flush_all(None, out);
            out.extend_from_slice(event.raw());
            return;
        }
        let Ok(mut value) = serde_json::from_slice::<Value>(&data) else {
            self.stats.unparsed_events += 1;
            out.extend_from_slice(event.raw());
            return;
        };
        let event_name = event.event_type().map(str::to_owned);
        let changed = match self.surface {
            SurfaceKind::OpenaiChat => self.chat(event_name, &mut value, out),
            SurfaceKind::OpenaiResponses => self.responses(event_name, &mut value, out),
            SurfaceKind::AnthropicMessages => self.anthropic(event_name, &mut value, out),
            SurfaceKind::Mcp => self.mcp(&mut value),
            SurfaceKind::Generic => false,
        };
        if changed {
            self.stats.events_rewritten += 1;
            out.extend_from_slice(&event.with_data(&to_json_string(&value, data.len())));
            return;
        }
        out.extend_from_slice(&event.into_raw());
    }

    // ---- shared machinery -------------------------------------------------

    fn open_stream(
        &mut self,
        key: &StreamKey,
        kind: DeltaKind,
        flush: impl FnOnce() -> FlushTemplate,
    ) {
        if !self.streams.contains_key(key) {
            let transform = (self.factory)(kind);
            let flush = flush();
            self.streams
                .insert(key.clone(), OpenStream { transform, flush });
        }
    }

    /// Feeds `slot` (a JSON string) to the stream `key`; true if it changed.
    fn push_slot(&mut self, key: &StreamKey, slot: &mut String) -> bool {
        let Some(stream) = self.streams.get_mut(key) else {
            return false;
        };
        let out = stream.transform.push(slot);
        replace(slot, out)
    }

    /// Runs a whole text through a fresh transform; true if it changed.
    fn whole_slot(&mut self, kind: DeltaKind, slot: Option<&mut Value>) -> bool {
        let Some(Value::String(text)) = slot else {
            return false;
        };
        let mut transform = (self.factory)(kind);
        let out = transform_whole(&mut *transform, text);
        replace(text, out)
    }

    /// Ends stream `key`; returns its held-back text, if any.
    fn take_tail(&mut self, key: &StreamKey) -> Option<(String, OpenStream<'a>)> {
        let mut stream = self.streams.remove(key)?;
        let tail = stream.transform.finish();
        (!tail.is_empty()).then_some((tail, stream))
    }

    /// Ends stream `key`, writing its held-back text as a synthesized event.
    fn flush_stream(
        &mut self,
        key: &StreamKey,
        sequence_number: Option<&Value>,
        out: &mut Vec<u8>,
    ) {
        let Some((tail, stream)) = self.take_tail(key) else {
            return;
        };
        let FlushTemplate {
            event_name,
            mut template,
            pointer,
        } = stream.flush;
        match template.pointer_mut(pointer) {
            Some(slot) => *slot = Value::String(tail),
            None => {
                // Templates are built with the pointer present; never reached.
                log::error!("shroud: flush template lacks {pointer}; held-back text dropped");
                return;
            }
        }
        if let (Some(seq), Some(obj)) = (sequence_number, template.as_object_mut())
            && obj.contains_key("sequence_number")
        {
            obj.insert("sequence_number".to_owned(), seq.clone());
        }
        let json = to_json_string(&template, 0);
        if let Some(name) = event_name {
            out.extend_from_slice(b"event: ");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&self.eol);
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(json.as_bytes());
        out.extend_from_slice(&self.eol);
        out.extend_from_slice(&self.eol);
        self.stats.events_synthesized += 1;
    }

    fn flush_where(
        &mut self,
        sequence_number: Option<&Value>,
        out: &mut Vec<u8>,
        which: impl Fn(&StreamKey) -> bool,
    ) {
        let keys: Vec<StreamKey> = self.streams.keys().filter(|k| which(k)).cloned().collect();
        for key in keys {
            self.flush_stream(&key, sequence_number, out);
        }
    }

    fn flush_all(&mut self, sequence_number: Option<&Value>, out: &mut Vec<u8>) {
        self.flush_where(sequence_number, out, |_| true);
    }

    // ---- OpenAI chat completions ---------------------------------------

    fn chat(&mut self, event_name: Option<String>, value: &mut Value, out: &mut Vec<u8>) -> bool {
        let Some(chunk) = value.as_object_mut() else {
            return false;
        };
        // The choices are taken out while they are rewritten, so that the
        // chunk's other fields can be read for a flush template: built only
        // when a stream opens, not copied for every chunk.
        let Some(slot) = chunk.get_mut("choices").filter(|c| c.is_array()) else {
            return false;
        };
        let mut choices = slot.take();
        let changed = self.chat_choices(&event_name, chunk, &mut choices, out);
        if let Some(slot) = chunk.get_mut("choices") {
            *slot = choices;
        }
        changed
    }

    /// [`SseRewriter::chat`] for the `choices` array taken out of `chunk`.
    fn chat_choices(
        &mut self,
        event_name: &Option<String>,
        chunk: &Map<String, Value>,
        choices: &mut Value,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(choices) = choices.as_array_mut() else {
            return false;
        };
        let top = || -> Map<String, Value> {
            chunk
                .iter()
                .filter(|(k, _)| k.as_str() != "choices" && k.as_str() != "usage")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let mut changed = false;
        for (position, choice) in choices.iter_mut().enumerate() {
            let index = choice
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            let finished = choice.get("finish_reason").is_some_and(|r| !r.is_null());
            if let Some(delta) = choice.get_mut("delta").and_then(Value::as_object_mut) {
                if let Some(Value::String(text)) = delta.get_mut("content") {
                    let key = StreamKey::Chat {
                        choice: index,
                        tool: None,
                    };
                    self.open_stream(&key, DeltaKind::Text, || {
                        chat_flush(event_name, &top(), index, None)
                    });
                    changed |= self.push_slot(&key, text);
                }
                if self.options.rehydrate_tool_arguments
                    && let Some(Value::Array(calls)) = delta.get_mut("tool_calls")
                {
                    for (tool_position, call) in calls.iter_mut().enumerate() {
                        let tool = call
                            .get("index")
                            .and_then(Value::as_u64)
                            .unwrap_or(tool_position as u64);
                        if let Some(Value::String(args)) = call.pointer_mut("/function/arguments") {
                            let key = StreamKey::Chat {
                                choice: index,
                                tool: Some(tool),
                            };
                            self.open_stream(&key, DeltaKind::ToolArguments, || {
                                chat_flush(event_name, &top(), index, Some(tool))
                            });
                            changed |= self.push_slot(&key, args);
                        }
                    }
                }
            }
            if finished {
                let is_this_choice =
                    |k: &StreamKey| matches!(k, StreamKey::Chat { choice, .. } if *choice == index);
                if !choice.is_object() {
                    self.flush_where(None, out, is_this_choice);
                    continue;
                }
                let keys: Vec<StreamKey> = self
                    .streams
                    .keys()
                    .filter(|k| is_this_choice(k))
                    .cloned()
                    .collect();
                for key in keys {
                    if let (StreamKey::Chat { tool, .. }, Some((tail, _))) =
                        (&key, self.take_tail(&key))
                    {
                        append_chat_tail(choice, *tool, tail);
                        changed = true;
                    }
                }
            }
        }
        changed
    }

    // ---- OpenAI Responses ----------------------------------------------

    fn responses(
        &mut self,
        event_name: Option<String>,
        value: &mut Value,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(kind) = value.get("type").and_then(Value::as_str).map(str::to_owned) else {
            return false;
        };
        let arguments = self.options.rehydrate_tool_arguments;
        let sequence_number = value.get("sequence_number").cloned();
        match kind.as_str() {
            "response.output_text.delta" | "response.function_call_arguments.delta" => {
                let is_args = kind == "response.function_call_arguments.delta";
                if is_args && !arguments {
                    return false;
                }
                let key = responses_key(value, is_args);
                let delta_kind = if is_args {
                    DeltaKind::ToolArguments
                } else {
                    DeltaKind::Text
                };
                self.open_stream(&key, delta_kind, || responses_flush(event_name, value));
                match value.get_mut("delta") {
                    Some(Value::String(text)) => self.push_slot(&key, text),
                    _ => false,
                }
            }
            "response.output_text.done" => {
                let key = responses_key(value, false);
                self.flush_stream(&key, sequence_number.as_ref(), out);
                self.whole_slot(DeltaKind::Text, value.get_mut("text"))
            }
            "response.function_call_arguments.done" => {
                if !arguments {
                    return false;
                }
                let key = responses_key(value, true);
                self.flush_stream(&key, sequence_number.as_ref(), out);
                self.whole_slot(DeltaKind::ToolArguments, value.get_mut("arguments"))
            }
            "response.content_part.added" | "response.content_part.done" => {
                self.rewrite_part(value.get_mut("part"))
            }
            "response.output_item.added" | "response.output_item.done" => {
                if kind == "response.output_item.done" {
                    let item_id = value
                        .pointer("/item/id")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    let output_index = value.get("output_index").and_then(Value::as_u64);
                    self.flush_where(sequence_number.as_ref(), out, |k| match k {
                        StreamKey::Responses { item, output, .. } => {
                            item_id.as_deref() == Some(item.as_str())
                                || (output.is_some() && *output == output_index)
                        }
                        _ => false,
                    });
                }
                self.rewrite_item(value.get_mut("item"))
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                self.flush_all(sequence_number.as_ref(), out);
                self.rewrite_response(value.get_mut("response"))
            }
            _ => self.rewrite_response(value.get_mut("response")),
        }
    }

    /// `response.output[]` of a whole Response object.
    fn rewrite_response(&mut self, response: Option<&mut Value>) -> bool {
        let Some(Value::Array(items)) = response.and_then(|r| r.get_mut("output")) else {
            return false;
        };
        let mut changed = false;
        for item in items {
            changed |= self.rewrite_item(Some(item));
        }
        changed
    }

    /// An output item: message text parts, function call arguments.
    fn rewrite_item(&mut self, item: Option<&mut Value>) -> bool {
        let Some(item) = item else {
            return false;
        };
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                let Some(Value::Array(parts)) = item.get_mut("content") else {
                    return false;
                };
                let mut changed = false;
                for part in parts {
                    changed |= self.rewrite_part(Some(part));
                }
                changed
            }
            Some("function_call") if self.options.rehydrate_tool_arguments => {
                self.whole_slot(DeltaKind::ToolArguments, item.get_mut("arguments"))
            }
            _ => false,
        }
    }

    /// An `output_text` content part.
    fn rewrite_part(&mut self, part: Option<&mut Value>) -> bool {
        let Some(part) = part else {
            return false;
        };
        if part.get("type").and_then(Value::as_str) != Some("output_text") {
            return false;
        }
        self.whole_slot(DeltaKind::Text, part.get_mut("text"))
    }

    // ---- Anthropic messages --------------------------------------------

    fn anthropic(
        &mut self,
        event_name: Option<String>,
        value: &mut Value,
        out: &mut Vec<u8>,
    ) -> bool {
        let index = value.get("index").and_then(Value::as_u64);
        match (value.get("type").and_then(Value::as_str), index) {
            (Some("content_block_start"), Some(index)) => {
                // A text block may start with text (normally "").
                let Some(block) = value.get_mut("content_block") else {
                    return false;
                };
                if block.get("type").and_then(Value::as_str) != Some("text") {
                    return false;
                }
                let Some(Value::String(text)) = block.get_mut("text") else {
                    return false;
                };
                if text.is_empty() {
                    return false;
                }
                let key = StreamKey::Anthropic { index };
                self.open_stream(&key, DeltaKind::Text, || {
                    anthropic_flush(Some("content_block_delta".to_owned()), index, "text_delta")
                });
                self.push_slot(&key, text)
            }
            (Some("content_block_delta"), Some(index)) => {
                let delta_type = value.pointer("/delta/type").and_then(Value::as_str);
                let (kind, field, delta_type) = match delta_type {
                    Some("text_delta") => (DeltaKind::Text, "text", "text_delta"),
                    Some("input_json_delta") if self.options.rehydrate_tool_arguments => {
                        (DeltaKind::ToolArguments, "partial_json", "input_json_delta")
                    }
                    _ => return false,
                };
                let key = StreamKey::Anthropic { index };
                self.open_stream(&key, kind, || {
                    anthropic_flush(event_name, index, delta_type)
                });
                match value.get_mut("delta").and_then(|d| d.get_mut(field)) {
                    Some(Value::String(text)) => self.push_slot(&key, text),
                    _ => false,
                }
            }
            (Some("content_block_stop"), Some(index)) => {
                self.flush_stream(&StreamKey::Anthropic { index }, None, out);
                false
            }
            (Some("message_stop"), _) => {
                self.flush_all(None, out);
                false
            }
            _ => false,
        }
    }

    // ---- MCP -----------------------------------------------------------

    fn mcp(&mut self, value: &mut Value) -> bool {
        match value {
            Value::Array(batch) => {
                let mut changed = false;
                for message in batch {
                    changed |= self.mcp_message(message);
                }
                changed
            }
            message => self.mcp_message(message),
        }
    }

    /// `result.content[]` text items of a JSON-RPC response.
    fn mcp_message(&mut self, message: &mut Value) -> bool {
        let Some(Value::Array(content)) = message.pointer_mut("/result/content") else {
            return false;
        };
        let mut changed = false;
        for item in content {
            if item.get("type").and_then(Value::as_str) == Some("text") {
                changed |= self.whole_slot(DeltaKind::Text, item.get_mut("text"));
            }
        }
        changed
    }
}

/// Sets `slot` to `new`; true if that changed it.
fn replace(slot: &mut String, new: String) -> bool {
    if *slot == new {
        false
    } else {
        *slot = new;
        true
    }
}

fn chat_flush(
    event_name: &Option<String>,
    top: &Map<String, Value>,
    index: u64,
    tool: Option<u64>,
) -> FlushTemplate {
    let (delta, pointer) = match tool {
        None => (json!({ "content": "" }), "/choices/0/delta/content"),
        Some(tool) => (
            json!({ "tool_calls": [{ "index": tool, "function": { "arguments": "" } }] }),
            "/choices/0/delta/tool_calls/0/function/arguments",
        ),
    };
    let mut chunk = top.clone();
    chunk.insert(
        "choices".to_owned(),
        json!([{ "index": index, "delta": delta, "finish_reason": null }]),
    );
    FlushTemplate {
        event_name: event_name.clone(),
        template: Value::Object(chunk),
        pointer,
    }
}

/// Puts a flushed tail into the delta of the choice that finishes.
fn append_chat_tail(choice: &mut Value, tool: Option<u64>, tail: String) {
    let Some(choice) = choice.as_object_mut() else {
        return;
    };
    let delta = choice
        .entry("delta")
        .or_insert_with(|| Value::Object(Map::new()));
    if !delta.is_object() {
        *delta = Value::Object(Map::new());
    }
    let Some(delta) = delta.as_object_mut() else {
        return;
    };
    match tool {
        None => match delta.get_mut("content") {
            Some(Value::String(text)) => text.push_str(&tail),
            _ => {
                delta.insert("content".to_owned(), Value::String(tail));
            }
        },
        Some(tool) => {
            let calls = delta
                .entry("tool_calls")
                .or_insert_with(|| Value::Array(Vec::new()));
            if !calls.is_array() {
                *calls = Value::Array(Vec::new());
            }
            let Some(calls) = calls.as_array_mut() else {
                return;
            };
            let existing = calls.iter_mut().find_map(|call| {
                if call.get("index").and_then(Value::as_u64) != Some(tool) {
                    return None;
                }
                match call.pointer_mut("/function/arguments") {
                    Some(Value::String(args)) => Some(args),
                    _ => None,
                }
            });
            match existing {
                Some(args) => args.push_str(&tail),
                None => calls.push(json!({ "index": tool, "function": { "arguments": tail } })),
            }
        }
    }
}

fn responses_key(value: &Value, arguments: bool) -> StreamKey {
    StreamKey::Responses {
        item: value
            .get("item_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        output: value.get("output_index").and_then(Value::as_u64),
        content: if arguments {
            None
        } else {
            value.get("content_index").and_then(Value::as_u64)
        },
        arguments,
    }
}

/// A copy of the delta event itself, with empty text and no logprobs.
fn responses_flush(event_name: Option<String>, value: &Value) -> FlushTemplate {
    let mut template = value.clone();
    if let Some(obj) = template.as_object_mut() {
        obj.insert("delta".to_owned(), Value::String(String::new()));
        if let Some(logprobs) = obj.get_mut("logprobs") {
            *logprobs = Value::Array(Vec::new());
        }
    }
    FlushTemplate {
        event_name,
        template,
        pointer: "/delta",
    }
}

fn anthropic_flush(event_name: Option<String>, index: u64, delta_type: &str) -> FlushTemplate {
    let (field, pointer) = if delta_type == "input_json_delta" {
        ("partial_json", "/delta/partial_json")
    } else {
        ("text", "/delta/text")
    };
    let mut delta = Map::new();
    delta.insert("type".to_owned(), Value::String(delta_type.to_owned()));
    delta.insert(field.to_owned(), Value::String(String::new()));
    FlushTemplate {
        event_name,
        template: json!({ "type": "content_block_delta", "index": index, "delta": delta }),
        pointer,
    }
}

#[cfg(test)]
mod tests;
