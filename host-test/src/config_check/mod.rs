// SPDX-License-Identifier: Apache-2.0
//! `shroud config check FILE`: validates a plugin configuration, either a
//! plain JSON file or the one embedded in a gateway file — an Envoy
//! bootstrap (the Shroud Wasm filter's `configuration` StringValue), an Istio
//! `WasmPlugin` (`spec.pluginConfig`) or a Kong declarative file
//! (`filter_chains[].filters[].config`). Every error names the file, where
//! in it the config sits and the JSON path inside the config.

use serde_json::Value;
use shroud_engine::{Config, Scanner};
use std::fmt;
use std::path::Path;

/// What kind of file was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The plugin configuration itself (JSON).
    PluginConfig,
    /// An Envoy bootstrap (YAML or JSON).
    Envoy,
    /// An Istio `WasmPlugin` resource.
    Istio,
    /// A Kong declarative configuration.
    Kong,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::PluginConfig => "plugin config",
            FileKind::Envoy => "Envoy config",
            FileKind::Istio => "Istio WasmPlugin",
            FileKind::Kong => "Kong declarative config",
        })
    }
}

/// The Envoy HTTP filter type that runs a Wasm module.
const ENVOY_WASM_FILTER: &str = "envoy.extensions.filters.http.wasm.v3.Wasm";
/// The Any type the filter needs its configuration in.
const STRING_VALUE: &str = "type.googleapis.com/google.protobuf.StringValue";
/// Kong names a Wasm filter after its module file (`shroud_filter.wasm`).
pub const KONG_FILTER_NAME: &str = "shroud_filter";

/// One plugin configuration found in a file.
#[derive(Debug)]
pub struct Embedded {
    /// Where it sits, e.g. `static_resources.listeners[0]…http_filters[0]`.
    pub location: String,
    /// The configuration's JSON text, or why it cannot be read.
    pub json: Result<String, String>,
}

/// What a file holds.
#[derive(Debug)]
pub struct Inspection {
    /// The detected kind.
    pub kind: FileKind,
    /// Every Shroud configuration in it.
    pub configs: Vec<Embedded>,
    /// Problems that do not make the file invalid but deserve a look.
    pub warnings: Vec<String>,
    /// Structural errors outside the plugin configs (Kong filter chains).
    pub errors: Vec<String>,
}

/// The outcome of `shroud config check` on one file: lines to print.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// `file: … ok` lines and warnings.
    pub notes: Vec<String>,
    /// One line per error; empty when the file is valid.
    pub errors: Vec<String>,
}

/// Checks the file at `path`; `Err` carries every error line.
pub fn run(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let report = check(&path.display().to_string(), &text);
    for note in &report.notes {
        println!("{note}");
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(report.errors.join("\nshroud: "))
    }
}

/// Checks `text`, read from the file called `name`.
pub fn check(name: &str, text: &str) -> CheckReport {
    let mut report = CheckReport::default();
    let inspection = match inspect(text) {
        Ok(i) => i,
        Err(e) => {
            report.errors.push(format!("{name}: {e}"));
            return report;
        }
    };
    for warning in &inspection.warnings {
        report.notes.push(format!("{name}: warning: {warning}"));
    }
    for error in &inspection.errors {
        report.errors.push(format!("{name}: {error}"));
    }
    if inspection.kind == FileKind::PluginConfig {
        if let Some(Embedded { json: Ok(json), .. }) = inspection.configs.first() {
            match validate(json) {
                Ok(()) => report.notes.push(format!("{name}: ok")),
                Err(e) => report.errors.push(format!("{name}: {e}")),
            }
        }
        return report;
    }
    if inspection.configs.is_empty() && inspection.errors.is_empty() {
        report.notes.push(format!(
            "{name}: {} without a Shroud filter (nothing to check)",
            inspection.kind
        ));
    }
    for embedded in &inspection.configs {
        let at = &embedded.location;
        match embedded
            .json
            .as_deref()
            .map_err(String::clone)
            .and_then(validate)
        {
            Ok(()) => report.notes.push(format!("{name}: {at} plugin config: ok")),
            Err(e) => report
                .errors
                .push(format!("{name}: {at} plugin config: {e}")),
        }
    }
    report
}

/// Parses, validates and compiles a plugin configuration (regexes included).
/// The NER model is not loaded: its options are validated, the model not.
pub fn validate(json: &str) -> Result<(), String> {
    let config = Config::from_json(json.as_bytes()).map_err(|e| e.to_string())?;
    let mut detectors = config.detectors.clone();
    detectors.ner.enabled = false;
    Scanner::new(&detectors).map_err(|e| e.to_string())?;
    if !config.detectors.ner.enabled {
        shroud_engine::Engine::from_config(config).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Detects the file's kind and finds its plugin configurations.
pub fn inspect(text: &str) -> Result<Inspection, String> {
    // A plain config is JSON; keep the engine's own error positions for it.
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(plain(text));
    }
    let documents = match parse_yaml(text) {
        Ok(docs) => docs,
        // Broken JSON: let the engine's parser say where.
        Err(_) if trimmed.starts_with('{') => return Ok(plain(text)),
        Err(e) => return Err(e),
    };
    let kind = documents.iter().find_map(kind_of);
    let Some(kind) = kind else {
        return Ok(plain(text));
    };
    let mut inspection = Inspection {
        kind,
        configs: Vec::new(),
        warnings: Vec::new(),
        errors: Vec::new(),
    };
    let several = documents.len() > 1;
    for (i, doc) in documents.iter().enumerate() {
        let prefix = if several {
            format!("document {}: ", i + 1)
        } else {
            String::new()
        };
        match kind_of(doc) {
            Some(FileKind::Envoy) => envoy(doc, &prefix, &mut inspection),
            Some(FileKind::Istio) => istio(doc, &prefix, &mut inspection),
            Some(FileKind::Kong) => kong(doc, &prefix, &mut inspection),
            _ => {}
        }
    }
    Ok(inspection)
}

fn plain(text: &str) -> Inspection {
    Inspection {
        kind: FileKind::PluginConfig,
        configs: vec![Embedded {
            location: String::new(),
            json: Ok(text.to_string()),
        }],
        warnings: Vec::new(),
        errors: Vec::new(),
    }
}

/// Every YAML document of `text` as JSON values (YAML is a superset of JSON).
fn parse_yaml(text: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(doc).map_err(|e| format!("not YAML or JSON: {e}"))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

fn kind_of(doc: &Value) -> Option<FileKind> {
    let obj = doc.as_object()?;
    let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if obj.get("kind").and_then(Value::as_str) == Some("WasmPlugin")
        && api.starts_with("extensions.istio.io/")
    {
        return Some(FileKind::Istio);
    }
    if ["static_resources", "dynamic_resources", "admin", "node"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        return Some(FileKind::Envoy);
    }
    if obj.contains_key("_format_version")
        || (obj.contains_key("services") && !obj.contains_key("profiles"))
        || obj.contains_key("filter_chains")
    {
        return Some(FileKind::Kong);
    }
    None
}

/// Every Wasm HTTP filter that runs Shroud, wherever it sits in the bootstrap.
fn envoy(doc: &Value, prefix: &str, out: &mut Inspection) {
    let mut found = Vec::new();
    walk(doc, String::new(), &mut |path, value| {
        let Some(typed) = value.get("typed_config") else {
            return;
        };
        let is_wasm = typed
            .get("@type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with(ENVOY_WASM_FILTER));
        if is_wasm && is_shroud_plugin(typed.get("config")) {
            found.push((path.to_string(), typed.get("config").cloned()));
        }
    });
    for (path, plugin) in found {
        let location = format!("{prefix}{path}");
        let plugin = plugin.unwrap_or(Value::Null);
        if plugin.get("failure_policy").and_then(Value::as_str) == Some("FAIL_OPEN") {
            out.warnings.push(format!(
                "{location}: failure_policy FAIL_OPEN forwards uninspected traffic when the VM fails"
            ));
        }
        let json = match plugin.get("configuration") {
            None | Some(Value::Null) => Ok(String::new()),
            Some(any) => match any.get("@type").and_then(Value::as_str) {
                Some(STRING_VALUE) => match any.get("value") {
                    Some(Value::String(s)) => Ok(s.clone()),
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(_) => Err("configuration.value must be a string".to_string()),
                },
                other => Err(format!(
                    "configuration must be a {STRING_VALUE} holding the JSON text (got {}); \
                     a Struct would reach the filter as binary protobuf",
                    other.unwrap_or("no @type")
                )),
            },
        };
        out.configs.push(Embedded { location, json });
    }
}

/// Whether an Envoy Wasm `config` runs Shroud: named so, or loading our module.
fn is_shroud_plugin(config: Option<&Value>) -> bool {
    let Some(config) = config else {
        return false;
    };
    let named = |key: &str| {
        config
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|v| v.contains("shroud"))
    };
    let code = config.pointer("/vm_config/code");
    let module = code
        .and_then(|c| {
            c.pointer("/local/filename")
                .or_else(|| c.pointer("/remote/http_uri/uri"))
        })
        .and_then(Value::as_str)
        .is_some_and(|f| f.contains("shroud"));
    named("name") || named("root_id") || module
}

fn istio(doc: &Value, prefix: &str, out: &mut Inspection) {
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let namespace = doc.pointer("/metadata/namespace").and_then(Value::as_str);
    let id = namespace.map_or_else(|| name.to_string(), |ns| format!("{ns}/{name}"));
    let location = format!("{prefix}WasmPlugin {id} spec.pluginConfig");
    if doc.pointer("/spec/failStrategy").and_then(Value::as_str) == Some("FAIL_OPEN") {
        out.warnings.push(format!(
            "{prefix}WasmPlugin {id}: failStrategy FAIL_OPEN forwards uninspected traffic when the VM fails"
        ));
    }
    let json = match doc.pointer("/spec/pluginConfig") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(obj @ Value::Object(_)) => Ok(obj.to_string()),
        Some(_) => Err("pluginConfig must be an object".to_string()),
    };
    out.configs.push(Embedded { location, json });
}

/// Kong filter chains: structure per Kong's `filter_chains` entity (name,
/// enabled, filters[] of {name, config, enabled}), and the Shroud filter's
/// config.
fn kong(doc: &Value, prefix: &str, out: &mut Inspection) {
    let mut chains = Vec::new();
    walk(doc, String::new(), &mut |path, value| {
        if let Some(list) = value.get("filter_chains") {
            let at = if path.is_empty() {
                "filter_chains".to_string()
            } else {
                format!("{path}.filter_chains")
            };
            chains.push((at, list.clone()));
        }
    });
    for (at, list) in chains {
        let Some(list) = list.as_array() else {
            out.errors.push(format!("{prefix}{at}: must be a list"));
            continue;
        };
        for (i, chain) in list.iter().enumerate() {
            kong_chain(chain, &format!("{prefix}{at}[{i}]"), out);
        }
    }
}

fn kong_chain(chain: &Value, at: &str, out: &mut Inspection) {
    const CHAIN_KEYS: [&str; 9] = [
        "id",
        "name",
        "enabled",
        "filters",
        "service",
        "route",
        "tags",
        "created_at",
        "updated_at",
    ];
    const FILTER_KEYS: [&str; 3] = ["name", "config", "enabled"];
    let Some(obj) = chain.as_object() else {
        out.errors
            .push(format!("{at}: a filter chain is an object"));
        return;
    };
    for key in obj.keys().filter(|k| !CHAIN_KEYS.contains(&k.as_str())) {
        out.errors
            .push(format!("{at}.{key}: unknown filter chain field"));
    }
    check_kind(
        obj.get("name"),
        Value::is_string,
        "a string",
        &format!("{at}.name"),
        out,
    );
    check_kind(
        obj.get("enabled"),
        Value::is_boolean,
        "a boolean",
        &format!("{at}.enabled"),
        out,
    );
    let filters = match obj.get("filters") {
        Some(Value::Array(f)) if !f.is_empty() => f,
        _ => {
            out.errors
                .push(format!("{at}.filters: required, a non-empty list"));
            return;
        }
    };
    for (j, filter) in filters.iter().enumerate() {
        let fat = format!("{at}.filters[{j}]");
        let Some(f) = filter.as_object() else {
            out.errors.push(format!("{fat}: a filter is an object"));
            continue;
        };
        for key in f.keys().filter(|k| !FILTER_KEYS.contains(&k.as_str())) {
            out.errors
                .push(format!("{fat}.{key}: unknown filter field"));
        }
        check_kind(
            f.get("enabled"),
            Value::is_boolean,
            "a boolean",
            &format!("{fat}.enabled"),
            out,
        );
        let Some(name) = f.get("name").and_then(Value::as_str) else {
            out.errors.push(format!(
                "{fat}.name: required, the Wasm module's file name without .wasm"
            ));
            continue;
        };
        if name != KONG_FILTER_NAME {
            if name.contains("shroud") {
                out.errors.push(format!(
                    "{fat}.name: {name:?} is no module: Kong names a filter after its file, \
                     shroud_filter.wasm is {KONG_FILTER_NAME:?}"
                ));
            }
            continue;
        }
        let json = match f.get("config") {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(obj @ Value::Object(_)) => Ok(obj.to_string()),
            Some(_) => Err("config must be a JSON string or an object".to_string()),
        };
        out.configs.push(Embedded {
            location: format!("{fat}.config"),
            json,
        });
    }
}

fn check_kind(
    value: Option<&Value>,
    ok: fn(&Value) -> bool,
    what: &str,
    at: &str,
    out: &mut Inspection,
) {
    if let Some(v) = value
        && !ok(v)
    {
        out.errors.push(format!("{at}: must be {what}"));
    }
}

/// Calls `visit` on every object in `value` with its JSON path
/// (`a.b[0].c`), parents before children.
fn walk(value: &Value, path: String, visit: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            visit(&path, value);
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, child_path, visit);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), visit);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
