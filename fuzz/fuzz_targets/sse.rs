// SPDX-License-Identifier: Apache-2.0
//! The SSE parser and the rehydrating SSE rewriter on arbitrary streams cut
//! at arbitrary points:
//!
//! - the parser gives back exactly the bytes fed (events' raw bytes,
//!   oversized and raw items, and `finish`), whatever the split;
//! - it finds the same events whole and split;
//! - an event rebuilt with `with_data(d)` parses as one event carrying `d`;
//! - the rewriter's output (every `push` plus `finish`) is the same whole
//!   and split, on every surface.
//!
//! Input: split plan (see the crate docs); control byte 0 picks the event
//! size limit, the surface, tool-argument rehydration and keyed
//! placeholders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shroud_engine::config::SurfaceKind;
use shroud_engine::stream::sse::{Item, SseParser};
use shroud_engine::stream::{SseOptions, SseRewriter};
use shroud_fuzz::{Split, byte_chunks, fixed_vault};
use std::sync::Arc;

const SURFACES: [SurfaceKind; 5] = [
    SurfaceKind::OpenaiChat,
    SurfaceKind::OpenaiResponses,
    SurfaceKind::AnthropicMessages,
    SurfaceKind::Mcp,
    SurfaceKind::Generic,
];

/// Feeds `chunks`; returns every item and the `finish` bytes.
fn parse(chunks: &[&[u8]], limit: usize) -> (Vec<Item>, Option<Vec<u8>>) {
    let mut parser = SseParser::new(limit);
    let mut items = Vec::new();
    for chunk in chunks {
        items.extend(parser.feed(chunk));
    }
    let rest = parser.finish();
    (items, rest)
}

fn raw_bytes(items: &[Item], rest: &Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Event(event) => out.extend_from_slice(event.raw()),
            Item::Oversized(bytes) | Item::Raw(bytes) => out.extend_from_slice(bytes),
        }
    }
    if let Some(rest) = rest {
        out.extend_from_slice(rest);
    }
    out
}

fn events(items: &[Item]) -> Vec<&[u8]> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Event(event) => Some(event.raw()),
            _ => None,
        })
        .collect()
}

fn rewrite(surface: SurfaceKind, options: SseOptions, keyed: bool, chunks: &[&[u8]]) -> Vec<u8> {
    let vault = Arc::new(fixed_vault(keyed));
    let mut rewriter = SseRewriter::rehydrating(surface, options, vault);
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(rewriter.push(chunk));
    }
    out.extend(rewriter.finish());
    out
}

fuzz_target!(|data: &[u8]| {
    let split = Split::parse(data);
    let payload = split.payload;
    let options = split.option(0);
    let limit = [16, 200, 4096, 1 << 20][usize::from(options & 3)];
    let chunks = byte_chunks(payload, split.control);

    let (whole_items, whole_rest) = parse(&[payload], limit);
    let (split_items, split_rest) = parse(&chunks, limit);
    assert_eq!(
        raw_bytes(&whole_items, &whole_rest),
        payload,
        "whole: bytes lost or added"
    );
    assert_eq!(
        raw_bytes(&split_items, &split_rest),
        payload,
        "split: bytes lost or added"
    );
    assert_eq!(
        events(&whole_items),
        events(&split_items),
        "events depend on the split"
    );

    for (index, item) in whole_items.iter().enumerate() {
        let Item::Event(event) = item else { continue };
        let _ = event.event_type();
        let _ = event.line_ending();
        let Some(data) = event.data() else { continue };
        let Ok(text) = String::from_utf8(data) else {
            continue;
        };
        let rebuilt = event.with_data(&text);
        let mut parser = SseParser::new(usize::MAX);
        // A BOM is only special at the start of the stream: an event that was
        // not first is re-read by a parser past that point (found by fuzzing).
        if index > 0 {
            let _ = parser.feed(b":\n\n");
        }
        let mut items = parser.feed(&rebuilt);
        if let Some(rest) = parser.finish() {
            items.push(Item::Raw(rest));
        }
        let [Item::Event(again)] = items.as_slice() else {
            panic!("with_data({text:?}) gave {items:?}");
        };
        assert_eq!(
            again.data().as_deref(),
            Some(text.as_bytes()),
            "with_data lost the data"
        );
        assert_eq!(
            again.event_type(),
            event.event_type(),
            "with_data lost the event type"
        );
    }

    let surface = SURFACES[usize::from(options >> 2) % SURFACES.len()];
    let rewriter_options = SseOptions {
        rehydrate_tool_arguments: options & 0x20 != 0,
        max_event_bytes: limit,
    };
    let keyed = options & 0x40 != 0;
    let whole = rewrite(surface, rewriter_options, keyed, &[payload]);
    let split_out = rewrite(surface, rewriter_options, keyed, &chunks);
    assert!(
        whole == split_out,
        "{surface:?}: rewritten stream depends on the split:\nwhole: {:?}\nsplit: {:?}",
        String::from_utf8_lossy(&whole),
        String::from_utf8_lossy(&split_out)
    );
});
