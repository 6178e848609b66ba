// SPDX-License-Identifier: Apache-2.0
//! `shroud config reference`: the README's configuration table, rendered
//! from the JSON Schema (so names, types, defaults and descriptions come
//! from `engine/src/config.rs` and cannot drift).

use serde_json::{Map, Value};
use shroud_engine::schema::config_schema;

/// Defaults longer than this are left to `shroud config defaults`.
const MAX_DEFAULT_CHARS: usize = 40;

/// The Markdown table: one row per field, nested fields dotted, map entries
/// as `<name>` and list items as `[]`.
pub fn markdown() -> String {
    let schema = config_schema();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut rows = Vec::new();
    fields(&schema, "", &defs, &mut rows);
    let mut out = String::from("| field | type | default | meaning |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out
}

/// The node `$ref` points to (or the node itself).
fn resolve<'a>(node: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
        .unwrap_or(node)
}

/// Rows for every property of the object schema `node`, under `prefix`.
fn fields(node: &Value, prefix: &str, defs: &Map<String, Value>, rows: &mut Vec<String>) {
    let node = resolve(node, defs);
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        let path = format!("{prefix}{name}");
        let target = resolve(prop, defs);
        let description = prop
            .get("description")
            .or_else(|| target.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let nested = target.get("properties").is_some();
        if !nested {
            rows.push(format!(
                "| `{path}` | {} | {} | {} |",
                type_of(prop, defs),
                default_of(prop),
                cell(description)
            ));
        }
        if nested {
            fields(target, &format!("{path}."), defs, rows);
        } else if let Some(values) = target.get("additionalProperties").filter(|v| v.is_object())
            && resolve(values, defs).get("properties").is_some()
        {
            fields(values, &format!("{path}.<name>."), defs, rows);
        } else if let Some(items) = target.get("items")
            && resolve(items, defs).get("properties").is_some()
        {
            fields(items, &format!("{path}[]."), defs, rows);
        }
    }
}

/// A short type: `string`, `integer`, `"a" \| "b"`, `[string]`, `{name: …}`.
fn type_of(node: &Value, defs: &Map<String, Value>) -> String {
    let node = resolve(node, defs);
    if let Some(values) = enum_values(node) {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    if let Some(variants) = node.get("anyOf").and_then(Value::as_array) {
        let parts: Vec<String> = variants
            .iter()
            .map(|v| type_of(v, defs))
            .filter(|t| t != "null")
            .collect();
        return format!("{} or null", parts.join(" or "));
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let base = match types.iter().find(|t| **t != "null").copied() {
        Some("array") => format!(
            "[{}]",
            node.get("items").map_or("any".into(), |i| type_of(i, defs))
        ),
        Some("object") if node.get("properties").is_some() => "object".to_string(),
        Some("object") => format!(
            "{{name: {}}}",
            node.get("additionalProperties")
                .filter(|v| v.is_object())
                .map_or("any".into(), |v| type_of(v, defs))
        ),
        Some(t) => t.to_string(),
        None => "any".to_string(),
    };
    if nullable {
        format!("{base} or null")
    } else {
        base
    }
}

/// The string values of an enum schema (`enum` or `oneOf` of `const`s).
fn enum_values(node: &Value) -> Option<Vec<String>> {
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        );
    }
    let variants = node.get("oneOf")?.as_array()?;
    variants
        .iter()
        .map(|v| v.get("const").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn default_of(node: &Value) -> String {
    match node.get("default") {
        None => "—".to_string(),
        Some(value) => {
            let text = value.to_string();
            if text.chars().count() > MAX_DEFAULT_CHARS {
                "see `shroud config defaults`".to_string()
            } else {
                format!("`{}`", text.replace('|', "\\|"))
            }
        }
    }
}

/// A description fit for one table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README table is generated: regenerate with scripts/gen-docs.
    #[test]
    fn readme_config_reference_is_current() {
        let readme = include_str!("../../README.md");
        let begin = "<!-- config-reference:begin -->\n";
        let end = "<!-- config-reference:end -->";
        let start = readme
            .find(begin)
            .expect("README lacks the config-reference:begin marker")
            + begin.len();
        let stop = readme
            .find(end)
            .expect("README lacks the config-reference:end marker");
        assert_eq!(
            &readme[start..stop],
            markdown(),
            "README config reference is stale: run scripts/gen-docs"
        );
    }

    #[test]
    fn rows_cover_nested_maps_lists_and_enums() {
        let table = markdown();
        for want in [
            "| `fail_mode` | `closed` \\| `open` | `\"closed\"` |",
            "| `limits.max_body_bytes` | integer | `1048576` | Largest request body",
            "| `profiles.<name>.mode` | `enforce` \\| `dry_run` |",
            "| `profiles.<name>.actions` | {name: `allow` \\| `mask` \\| `redact` \\| `block`} |",
            "| `detectors.custom[].type` | string | — |",
            "| `placeholders.deterministic_key` | string or null | `null` |",
        ] {
            assert!(table.contains(want), "missing {want:?} in\n{table}");
        }
        assert!(!table.contains("| `detectors` |"), "objects are sections");
    }
}
