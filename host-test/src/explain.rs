// SPDX-License-Identifier: Apache-2.0
//! `shroud explain`: a dry-run report of what each profile would do to one
//! request body (stdin) — which detector fired where, which action and why,
//! and the verdict. Values are shown only as type and length, never raw.

use serde_json::{Value, json};
use shroud_engine::policy::{ActionSource, Explanation, ProfileSource, VerdictKind};
use shroud_engine::{Engine, RequestInfo};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

/// What `shroud explain` was asked.
pub struct Options<'a> {
    /// Plugin configuration (JSON); the defaults when absent.
    pub config: Option<&'a Path>,
    /// Request path.
    pub path: &'a str,
    /// `name:value` request headers.
    pub headers: &'a [String],
    /// Explain only this profile (default: every profile, routed one first).
    pub profile: Option<&'a str>,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Reads the body from stdin and prints the report.
pub fn run(options: &Options<'_>) -> Result<(), String> {
    let engine = crate::scan::load_engine(options.config, None)?;
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let headers = parse_headers(options.headers)?;
    let explanations = explain_all(&engine, options.path, &headers, &body, options.profile)?;
    if options.json {
        let value = to_json(options.path, body.len(), &explanations);
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render(options.path, body.len(), &explanations));
    }
    Ok(())
}

/// `name:value` pairs with lower-case names.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| {
            // `:authority: x` keeps its leading colon.
            let split_at = h.get(1..).and_then(|rest| rest.find(':')).map(|i| i + 1);
            let (name, value) = split_at
                .and_then(|i| Some((h.get(..i)?, h.get(i + 1..)?)))
                .ok_or_else(|| format!("--header {h:?}: expected name:value"))?;
            Ok((name.trim().to_ascii_lowercase(), value.trim().to_string()))
        })
        .collect()
}

/// The routed profile first, then every other one (or only `only`).
pub fn explain_all(
    engine: &Engine,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    only: Option<&str>,
) -> Result<Vec<Explanation>, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let req = RequestInfo {
        path,
        authority: header(":authority")
            .or_else(|| header("host"))
            .unwrap_or(""),
        headers,
        ..RequestInfo::default()
    };
    let content_type = header("content-type").or(Some("application/json"));
    let names = engine.profile_names();
    if let Some(name) = only
        && !names.iter().any(|n| n == name)
    {
        return Err(format!(
            "--profile {name:?}: no such profile (have: {})",
            names.join(", ")
        ));
    }
    let routed = engine.route(&req).profile;
    let mut order = vec![routed.clone()];
    order.extend(names.into_iter().filter(|n| *n != routed));
    Ok(order
        .iter()
        .filter(|n| only.is_none_or(|o| o == n.as_str()))
        .map(|name| engine.explain(&req, content_type, body, Some(name)))
        .collect())
}

fn to_json(path: &str, bytes: usize, explanations: &[Explanation]) -> Value {
    json!({
        "path": path,
        "body_bytes": bytes,
        "profiles": explanations,
    })
}

/// The human-readable report.
pub fn render(path: &str, bytes: usize, explanations: &[Explanation]) -> String {
    let mut out = String::new();
    let surface = explanations
        .first()
        .and_then(|e| e.surface)
        .map_or_else(|| "not an LLM/MCP endpoint".to_string(), |s| name_of(&s));
    let _ = writeln!(out, "request: {path} ({surface}), body {bytes} bytes");
    for e in explanations {
        let why = match &e.profile_source {
            ProfileSource::Route => "routed here by the route's metadata".to_string(),
            ProfileSource::Rule { index } => format!("routed here by profile_rules[{index}]"),
            ProfileSource::Default => "routed here: no profile rule matched".to_string(),
            ProfileSource::Requested => "not the routed profile".to_string(),
        };
        let mode = e
            .mode
            .map_or_else(|| "unknown profile".to_string(), |m| name_of(&m));
        let _ = writeln!(out, "\nprofile {:?} ({why}), mode {mode}", e.profile);
        if e.surface.is_some() {
            if e.findings.is_empty() {
                let _ = writeln!(out, "  no findings");
            } else {
                let _ = writeln!(out, "  findings:");
            }
        }
        for f in &e.findings {
            let place = match (&f.embedded, f.start, f.end) {
                (Some(inner), _, _) => format!("{} (JSON inside, at {inner})", pointer(&f.pointer)),
                _ => pointer(&f.pointer),
            };
            let span = match (f.start, f.end) {
                (Some(s), Some(end)) => format!("chars {s}..{end}"),
                _ => "whole string".to_string(),
            };
            let reason = match &f.action_source {
                ActionSource::Type { path } | ActionSource::Category { path } => path.clone(),
                ActionSource::Default => format!("default for {}", f.category),
            };
            let _ = writeln!(
                out,
                "    {place} [{}] {span}: {} {} ({} chars), score {:.2} -> {} ({reason})",
                name_of(&f.role),
                f.category,
                f.kind,
                f.chars,
                f.score,
                f.action.as_str(),
            );
        }
        let _ = writeln!(out, "  verdict: {}", verdict(e));
    }
    out
}

fn verdict(e: &Explanation) -> String {
    let v = &e.verdict;
    let mut text = match v.kind {
        VerdictKind::PassThrough => "pass through untouched (not an LLM/MCP path)".to_string(),
        VerdictKind::ForwardRewritten => {
            format!(
                "forward rewritten: {} masked, {} redacted",
                v.masked, v.redacted
            )
        }
        VerdictKind::ForwardUnchanged if v.dry_run && v.action != "allow" => format!(
            "forward unchanged (dry run); enforcing would {}{}",
            v.action,
            rewrites(v.masked, v.redacted)
        ),
        VerdictKind::ForwardUnchanged => "forward unchanged".to_string(),
        VerdictKind::Refuse => format!(
            "refuse with {} ({})",
            v.status.unwrap_or_default(),
            v.action
        ),
    };
    if !v.violations.is_empty() {
        let _ = write!(text, "; rules broken: {}", v.violations.join(", "));
    }
    if let Some(error) = &v.error {
        let _ = write!(text, "; {error}");
    }
    text
}

fn rewrites(masked: usize, redacted: usize) -> String {
    if masked + redacted == 0 {
        String::new()
    } else {
        format!(" ({masked} masked, {redacted} redacted)")
    }
}

/// `/messages/0/content` is shown as is; the body itself as `(body)`.
fn pointer(p: &str) -> String {
    if p.is_empty() {
        "(body)".to_string()
    } else {
        p.to_string()
    }
}

/// The snake_case serde name of a config enum value.
fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "ren.takahashi@example.net";
    const KEY: &str = "sk-proj-Hj4kL9mN2bV5cX8zQ1wE7rT3yU6iO0pAsD4fG7hJ2kL5zX8cV1bN";

    fn body() -> Vec<u8> {
        json!({"model": "gpt-4o", "messages": [
            {"role": "user", "content": format!("reach me at {EMAIL}, key {KEY}")}
        ]})
        .to_string()
        .into_bytes()
    }

    fn engine() -> Engine {
        Engine::new(
            br#"{"profiles": {"observe": {"mode": "dry_run"}, "lenient": {"actions": {"secret": "redact"}}},
                 "profile_rules": [{"profile": "lenient", "match": {"header": {"name": "x-team", "value": "ml"}}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn every_profile_routed_first() {
        let headers = parse_headers(&["X-Team: ml".to_string()]).unwrap();
        let all = explain_all(&engine(), "/v1/chat/completions", &headers, &body(), None).unwrap();
        let names: Vec<&str> = all.iter().map(|e| e.profile.as_str()).collect();
        assert_eq!(names, ["lenient", "default", "observe"]);
        let text = render("/v1/chat/completions", 10, &all);
        for want in [
            "profile \"lenient\" (routed here by profile_rules[0]), mode enforce",
            "/messages/0/content [user] chars 12..37: pii email (25 chars)",
            "-> redact (profiles.lenient.actions.secret)",
            "-> mask (default for pii)",
            "verdict: forward rewritten: 1 masked, 1 redacted",
            "verdict: refuse with 403 (block)",
            "verdict: forward unchanged (dry run); enforcing would block (1 masked, 0 redacted)",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    /// Values appear only as type and length, in text and JSON.
    #[test]
    fn raw_values_never_appear() {
        let all = explain_all(&engine(), "/v1/chat/completions", &[], &body(), None).unwrap();
        let text = render("/v1/chat/completions", 10, &all);
        let json = to_json("/v1/chat/completions", 10, &all).to_string();
        for out in [&text, &json] {
            for secret in [EMAIL, KEY, "ren.takahashi", "sk-proj", "Hj4kL9"] {
                assert!(!out.contains(secret), "{secret} leaked:\n{out}");
            }
        }
        assert!(json.contains("\"type\":\"email\""), "{json}");
    }

    #[test]
    fn one_profile_and_bad_input() {
        let only = explain_all(
            &engine(),
            "/v1/chat/completions",
            &[],
            &body(),
            Some("observe"),
        );
        assert_eq!(only.unwrap().len(), 1);
        let err = explain_all(
            &engine(),
            "/v1/chat/completions",
            &[],
            &body(),
            Some("nope"),
        );
        assert!(err.unwrap_err().contains("no such profile"));
        assert!(parse_headers(&["novalue".to_string()]).is_err());
        assert_eq!(
            parse_headers(&[":authority:api.example.com".to_string()]).unwrap(),
            [(":authority".to_string(), "api.example.com".to_string())]
        );
    }

    #[test]
    fn other_paths_pass_through() {
        let all = explain_all(&engine(), "/healthz", &[], &body(), Some("default")).unwrap();
        let text = render("/healthz", 10, &all);
        assert!(text.contains("(not an LLM/MCP endpoint)"), "{text}");
        assert!(text.contains("pass through untouched"), "{text}");
    }
}
