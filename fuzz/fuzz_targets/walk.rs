// SPDX-License-Identifier: Apache-2.0
//! The payload surface walkers (OpenAI chat, Responses, Anthropic messages,
//! MCP JSON-RPC, generic) on arbitrary bodies, requests and responses:
//!
//! - parsing never panics, and `serialize` is a fixed point: the serialized
//!   document parses back and serializes to the same bytes;
//! - a walk either succeeds or fails with an error, never panics;
//! - every visited string is where its pointer says (for a leaf inside a
//!   JSON-encoded string: at its inner pointer of the decoded document);
//! - a walk that changes nothing leaves the serialized document unchanged
//!   (embedded JSON is re-encoded only when a leaf changed);
//! - after every visited string is replaced by a unique marker, the
//!   document still serializes, and a second walk visits exactly the
//!   markers, in the same order and at the same places (rewriting text
//!   never changes what the walker considers text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shroud_engine::config::{Config, Limits, SurfaceKind};
use shroud_engine::payload::{self, Field, TextRole, Value, WalkError, WalkOptions};

const SURFACES: [SurfaceKind; 5] = [
    SurfaceKind::OpenaiChat,
    SurfaceKind::OpenaiResponses,
    SurfaceKind::AnthropicMessages,
    SurfaceKind::Mcp,
    SurfaceKind::Generic,
];

#[derive(Debug, Clone, PartialEq)]
struct Visit {
    pointer: String,
    embedded: Option<String>,
    role: TextRole,
    text: String,
}

type Walk = fn(
    SurfaceKind,
    &mut Value,
    &WalkOptions<'_>,
    &mut payload::Visitor<'_, ()>,
) -> Result<(), WalkError<()>>;

/// Walks `doc`, recording each visit and replacing its text with
/// `rewrite(index, text)` when given.
fn record(
    walk: Walk,
    surface: SurfaceKind,
    doc: &mut Value,
    options: &WalkOptions<'_>,
    rewrite: Option<&dyn Fn(usize) -> String>,
) -> Result<Vec<Visit>, WalkError<()>> {
    let mut visits = Vec::new();
    walk(
        surface,
        doc,
        options,
        &mut |text: &mut String, field: &Field<'_>| {
            assert_eq!(field.surface, surface);
            visits.push(Visit {
                pointer: field.pointer.to_owned(),
                embedded: field.embedded.map(str::to_owned),
                role: field.role,
                text: text.clone(),
            });
            if let Some(rewrite) = rewrite {
                *text = rewrite(visits.len() - 1);
            }
            Ok(())
        },
    )?;
    Ok(visits)
}

/// The string a visit says it saw, looked up in `doc` by its pointers.
/// The text the walker hands out for a leaf: a string, or a long number's
/// digits (numbers are scanned as text, see payload/walk.rs).
fn leaf_text(leaf: &Value) -> Option<String> {
    match leaf {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn located(doc: &Value, visit: &Visit) -> Option<String> {
    let leaf = doc.pointer(&visit.pointer)?;
    let Some(inner) = &visit.embedded else {
        return leaf_text(leaf);
    };
    let decoded: Value = serde_json::from_str(leaf.as_str()?).ok()?;
    leaf_text(decoded.pointer(inner)?)
}

fn marker(index: usize) -> String {
    // Not JSON, not placeholder-shaped, unique per visit.
    format!("\u{1}m{index}\u{2}")
}

fn check(
    walk: Walk,
    surface: SurfaceKind,
    doc: &Value,
    serialized: &[u8],
    options: &WalkOptions<'_>,
) {
    let mut same = doc.clone();
    let Ok(visits) = record(walk, surface, &mut same, options, None) else {
        return;
    };
    assert_eq!(
        payload::serialize(&same),
        serialized,
        "{surface:?}: a walk that changed nothing changed the document"
    );
    for visit in &visits {
        assert_eq!(
            located(doc, visit).as_deref(),
            Some(visit.text.as_str()),
            "{surface:?}: visited text is not at {}#{:?}",
            visit.pointer,
            visit.embedded
        );
    }

    let mut marked = doc.clone();
    let again = record(walk, surface, &mut marked, options, Some(&marker))
        .unwrap_or_else(|e| panic!("{surface:?}: the second identical walk failed: {e:?}"));
    assert_eq!(
        again, visits,
        "{surface:?}: two walks of one document differ"
    );
    let bytes = payload::serialize(&marked);
    let limits = Limits {
        max_body_bytes: usize::MAX,
        ..Limits::default()
    };
    let mut reparsed = payload::parse_body(&bytes, &limits)
        .unwrap_or_else(|e| panic!("{surface:?}: the rewritten document does not parse: {e}"));
    let rewalk = record(walk, surface, &mut reparsed, options, None)
        .unwrap_or_else(|e| panic!("{surface:?}: the rewritten document does not walk: {e:?}"));
    assert_eq!(
        rewalk.len(),
        visits.len(),
        "{surface:?}: rewriting text changed what is visited"
    );
    for (index, (after, before)) in rewalk.iter().zip(&visits).enumerate() {
        assert_eq!(
            after.text,
            marker(index),
            "{surface:?}: visit {index} moved"
        );
        assert_eq!(
            (&after.pointer, &after.embedded, after.role),
            (&before.pointer, &before.embedded, before.role),
            "{surface:?}: visit {index} changed place or role"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let config = Config::default();
    let Ok(doc) = payload::parse_body(data, &config.limits) else {
        return;
    };
    let serialized = payload::serialize(&doc);
    let limits = Limits {
        max_body_bytes: usize::MAX,
        ..Limits::default()
    };
    let again = payload::parse_body(&serialized, &limits)
        .unwrap_or_else(|e| panic!("serialized document does not parse: {e}"));
    assert_eq!(
        payload::serialize(&again),
        serialized,
        "serialize is not a fixed point"
    );

    let options = WalkOptions::from_config(&config);
    for surface in SURFACES {
        check(payload::walk_request, surface, &doc, &serialized, &options);
        check(payload::walk_response, surface, &doc, &serialized, &options);
    }
});
