// SPDX-License-Identifier: Apache-2.0
//! Helpers shared by the payload tests: record what a walk visits, apply an
//! uppercasing visitor, diff two documents, generate arbitrary JSON.

use super::{Field, SurfaceKind, TextRole, WalkError, WalkOptions, walk_request, walk_response};
use crate::config::{Config, Limits};
use crate::payload::parse::push_pointer_key;
use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use std::collections::BTreeSet;
use std::convert::Infallible;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

pub(crate) fn default_never_touch() -> Vec<String> {
    Config::default().never_touch
}

/// Walks `doc` in `direction` with the default never-touch list.
pub(crate) fn walk<E>(
    direction: Direction,
    surface: SurfaceKind,
    doc: &mut Value,
    never_touch: &[String],
    visit: &mut dyn FnMut(&mut String, &Field<'_>) -> Result<(), E>,
) -> Result<(), WalkError<E>> {
    let options = WalkOptions::new(never_touch, &Limits::default());
    match direction {
        Direction::Request => walk_request(surface, doc, &options, visit),
        Direction::Response => walk_response(surface, doc, &options, visit),
    }
}

/// Every visited field as `pointer` (or `pointer#embedded`) and role, sorted.
pub(crate) fn visited(
    direction: Direction,
    surface: SurfaceKind,
    doc: &Value,
) -> Vec<(String, TextRole)> {
    visited_with(direction, surface, doc, &default_never_touch())
}

pub(crate) fn visited_with(
    direction: Direction,
    surface: SurfaceKind,
    doc: &Value,
    never_touch: &[String],
) -> Vec<(String, TextRole)> {
    let mut doc = doc.clone();
    let mut seen = Vec::new();
    walk::<Infallible>(
        direction,
        surface,
        &mut doc,
        never_touch,
        &mut |_, field| {
            assert_eq!(field.surface, surface);
            seen.push((field.to_string(), field.role));
            Ok(())
        },
    )
    .unwrap();
    seen.sort();
    seen
}

/// `doc` after a visitor that uppercases every visited string.
pub(crate) fn uppercased(direction: Direction, surface: SurfaceKind, doc: &Value) -> Value {
    let mut doc = doc.clone();
    walk::<Infallible>(
        direction,
        surface,
        &mut doc,
        &default_never_touch(),
        &mut |text, _| {
            *text = text.to_uppercase();
            Ok(())
        },
    )
    .unwrap();
    doc
}

/// Pointers of the values that differ between `a` and `b`, as deep as the
/// two still have the same structure.
pub(crate) fn changed_pointers(a: &Value, b: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    diff(a, b, &mut String::new(), &mut out);
    out
}

fn diff(a: &Value, b: &Value, pointer: &mut String, out: &mut BTreeSet<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y))
            if x.keys().collect::<Vec<_>>() == y.keys().collect::<Vec<_>>() =>
        {
            for (key, value) in x {
                let mark = pointer.len();
                push_pointer_key(pointer, key);
                diff(value, &y[key], pointer, out);
                pointer.truncate(mark);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (index, (p, q)) in x.iter().zip(y).enumerate() {
                let mark = pointer.len();
                pointer.push_str(&format!("/{index}"));
                diff(p, q, pointer, out);
                pointer.truncate(mark);
            }
        }
        _ if a == b => {}
        _ => {
            out.insert(pointer.clone());
        }
    }
}

/// Asserts that `expected` is exactly what gets visited, and that an
/// uppercasing visitor changes exactly those fields (all fixtures' visited
/// text has lower-case letters) and nothing else.
pub(crate) fn assert_walk(
    direction: Direction,
    surface: SurfaceKind,
    doc: &Value,
    expected: &[(&str, TextRole)],
) {
    let mut expected: Vec<(String, TextRole)> =
        expected.iter().map(|(p, r)| (p.to_string(), *r)).collect();
    expected.sort();
    let got = visited(direction, surface, doc);
    assert_eq!(got, expected, "visited fields");

    let after = uppercased(direction, surface, doc);
    let outer: BTreeSet<String> = expected
        .iter()
        .map(|(p, _)| p.split('#').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(changed_pointers(doc, &after), outer, "changed fields");
}

/// Arbitrary JSON: every type, big and fractional numbers, any characters.
pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        "-?[1-9][0-9]{19,30}(\\.[0-9]{1,20})?(e[+-][0-9]{1,3})?"
            .prop_map(|s| Value::Number(s.parse::<Number>().unwrap())),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap())),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        any::<String>().prop_map(Value::String),
        "[a-z \"\\\\/~\n]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_~/]{0,6}|\\PC{0,4}", inner), 0..6).prop_map(
                |entries| {
                    let mut map = Map::new();
                    for (key, value) in entries {
                        map.entry(key).or_insert(value);
                    }
                    Value::Object(map)
                }
            ),
        ]
    })
}
