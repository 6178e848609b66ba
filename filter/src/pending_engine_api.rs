// SPDX-License-Identifier: Apache-2.0
//! TEMPORARY stand-in for the engine's request API (`engine/src/policy.rs`,
//! being written by the lead) so the filter builds and the e2e suite runs
//! today. The types and signatures follow the agreed contract exactly; the
//! behaviour is a deliberately small approximation (three regexes, a naive
//! JSON walk, one-event hold-back for SSE).
//!
//! DELETE this file and the `regex` dependency of `filter/Cargo.toml` when
//! the real API lands, and point `mod api` in `lib.rs` at the engine.

use regex::Regex;
use serde_json::{Value, json};
use shroud_engine::config::{Action, Mode, NonJsonAction, SurfaceKind};
use shroud_engine::{Category, ConfigError};

pub struct RequestInfo<'a> {
    pub path: &'a str,
    pub authority: &'a str,
    pub headers: &'a [(String, String)],
    pub route_name: Option<&'a str>,
    pub route_profile: Option<&'a str>,
}

pub struct Route {
    pub surface: Option<SurfaceKind>,
    pub profile: String,
}

pub enum RequestOutcome {
    Forward {
        body: Option<Vec<u8>>,
        session: Session,
        report: Report,
    },
    Reject(Rejection),
}

pub struct Rejection {
    pub status: u16,
    pub body: Vec<u8>,
    pub report: Report,
}

#[derive(Default)]
pub struct Session {
    /// (placeholder, original value)
    vault: Vec<(String, String)>,
}

#[derive(Clone, Copy, PartialEq)]
pub enum ReportAction {
    Allow,
    Mask,
    Redact,
    Block,
    Error,
}

impl ReportAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::Allow => "allow",
            ReportAction::Mask => "mask",
            ReportAction::Redact => "redact",
            ReportAction::Block => "block",
            ReportAction::Error => "error",
        }
    }
}

pub struct Report {
    pub action: ReportAction,
    pub dry_run: bool,
    pub profile: String,
    pub surface: Option<SurfaceKind>,
    pub counts: Vec<(Category, String, u32)>,
    pub bytes_scanned: usize,
    pub error: Option<String>,
}

impl Report {
    pub fn categories(&self) -> Vec<Category> {
        let mut out: Vec<Category> = self.counts.iter().map(|c| c.0).collect();
        out.sort();
        out.dedup();
        out
    }
}

pub struct Engine {
    inner: shroud_engine::Engine,
    shim_detectors: Vec<(Category, &'static str, Regex)>,
}

impl Engine {
    pub fn new(config_json: &[u8]) -> Result<Engine, ConfigError> {
        let inner = shroud_engine::Engine::new(config_json)?;
        let mut shim_detectors = Vec::new();
        for (category, kind, pattern) in [
            (
                Category::Pii,
                "email",
                r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
            ),
            (
                Category::Secret,
                "openai_api_key",
                r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}",
            ),
            (
                Category::Secret,
                "password_assignment",
                r"(?i)\b(?:password|passwd|pwd|secret)\s*[=:]\s*([^\s'\x22,;]{8,})",
            ),
        ] {
            let re = Regex::new(pattern).map_err(|e| ConfigError::new("shim", e.to_string()))?;
            shim_detectors.push((category, kind, re));
        }
        Ok(Engine {
            inner,
            shim_detectors,
        })
    }

    pub fn config(&self) -> &shroud_engine::Config {
        self.inner.config()
    }

    pub fn route(&self, req: &RequestInfo) -> Route {
        let path = req.path.split('?').next().unwrap_or_default();
        let cfg = self.inner.config();
        let surface = cfg
            .routes
            .iter()
            .find(|r| path.starts_with(&r.path_prefix))
            .map(|r| r.surface)
            .or(match path {
                "/v1/chat/completions" => Some(SurfaceKind::OpenaiChat),
                "/v1/responses" => Some(SurfaceKind::OpenaiResponses),
                "/v1/messages" => Some(SurfaceKind::AnthropicMessages),
                _ => None,
            });
        let by_rule = cfg.profile_rules.iter().find(|rule| {
            let m = &rule.when;
            m.path_prefix.as_ref().is_none_or(|p| path.starts_with(p))
                && m.authority.as_ref().is_none_or(|a| a == req.authority)
                && m.route_name
                    .as_ref()
                    .is_none_or(|n| req.route_name == Some(n.as_str()))
                && m.header.as_ref().is_none_or(|h| {
                    req.headers
                        .iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case(&h.name) && *v == h.value)
                })
        });
        let profile = match req.route_profile {
            Some(p) if cfg.profile(p).is_some() => p.to_string(),
            _ => by_rule.map_or("default".to_string(), |r| r.profile.clone()),
        };
        Route { surface, profile }
    }

    pub fn max_body_bytes(&self) -> usize {
        self.inner.config().limits.max_body_bytes
    }

    pub fn too_large(&self, route: &Route) -> Rejection {
        let mut report = self.report(route, ReportAction::Block, 0);
        report.error = Some("request body exceeds limits.max_body_bytes".into());
        let body = error_body(
            route.surface,
            None,
            "request_too_large",
            "Request body is too large for Shroud to inspect.",
        );
        Rejection {
            status: 413,
            body,
            report,
        }
    }

    pub fn sanitize_request(
        &self,
        route: &Route,
        content_type: Option<&str>,
        body: &[u8],
    ) -> RequestOutcome {
        let cfg = self.inner.config();
        let Some(profile) = cfg.profile(&route.profile) else {
            return self.reject(
                route,
                None,
                500,
                ReportAction::Error,
                "unknown_profile",
                "Shroud has no such profile.",
                body.len(),
            );
        };
        let is_json = content_type.is_none_or(|ct| ct.to_ascii_lowercase().contains("json"));
        if body.is_empty() || (!is_json && cfg.non_json == NonJsonAction::Pass) {
            let report = self.report(route, ReportAction::Allow, 0);
            return RequestOutcome::Forward {
                body: None,
                session: Session::default(),
                report,
            };
        }
        if !is_json {
            return self.reject(
                route,
                None,
                415,
                ReportAction::Error,
                "unsupported_media_type",
                "Shroud only accepts JSON request bodies.",
                body.len(),
            );
        }
        let Ok(mut doc) = serde_json::from_slice::<Value>(body) else {
            return self.reject(
                route,
                None,
                400,
                ReportAction::Error,
                "invalid_json",
                "Request body is not valid JSON.",
                body.len(),
            );
        };
        let mut counts: Vec<(Category, String, u32)> = Vec::new();
        let mut session = Session::default();
        let (mut blocked, mut masked, mut redacted) = (false, false, false);
        walk_strings(&mut doc, &cfg.never_touch, &mut |text| {
            let spans = self.find(text);
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for (start, end, category, kind) in spans {
                match counts.iter_mut().find(|c| c.0 == category && c.1 == kind) {
                    Some(c) => c.2 += 1,
                    None => counts.push((category, kind.clone(), 1)),
                }
                let value = text.get(start..end).unwrap_or_default();
                let replacement = match profile.action_for(category, &kind) {
                    Action::Allow => value.to_string(),
                    Action::Block => {
                        blocked = true;
                        value.to_string()
                    }
                    Action::Redact => {
                        redacted = true;
                        format!("[REDACTED:{kind}]")
                    }
                    Action::Mask => {
                        masked = true;
                        session.placeholder_for(&kind, value)
                    }
                };
                out.push_str(text.get(last..start).unwrap_or_default());
                out.push_str(&replacement);
                last = end;
            }
            out.push_str(text.get(last..).unwrap_or_default());
            *text = out;
        });
        let dry_run = profile.mode == Mode::DryRun;
        let action = if blocked {
            ReportAction::Block
        } else if redacted {
            ReportAction::Redact
        } else if masked {
            ReportAction::Mask
        } else {
            ReportAction::Allow
        };
        let mut report = self.report(route, action, body.len());
        report.counts = counts;
        report.dry_run = dry_run;
        if blocked && !dry_run {
            let names: Vec<&str> = report.categories().iter().map(|c| c.as_str()).collect();
            let message = format!(
                "Request blocked by Shroud: it contains sensitive data ({}).",
                names.join(", ")
            );
            let body = error_body(
                route.surface,
                Some(&doc),
                "sensitive_data_blocked",
                &message,
            );
            return RequestOutcome::Reject(Rejection {
                status: 403,
                body,
                report,
            });
        }
        let rewritten = (!dry_run && (masked || redacted))
            .then(|| serde_json::to_vec(&doc).unwrap_or_default());
        if dry_run {
            session = Session::default();
        }
        RequestOutcome::Forward {
            body: rewritten,
            session,
            report,
        }
    }

    pub fn response_processor(
        &self,
        _route: &Route,
        session: Session,
        content_type: Option<&str>,
    ) -> ResponseProcessor {
        let ct = content_type.unwrap_or_default().to_ascii_lowercase();
        let mode = if ct.contains("text/event-stream") {
            Mode_::Sse
        } else if ct.contains("json") {
            Mode_::Json
        } else {
            Mode_::Text
        };
        ResponseProcessor {
            vault: session.vault,
            mode,
            buf: Vec::new(),
            held: None,
        }
    }

    fn report(&self, route: &Route, action: ReportAction, bytes_scanned: usize) -> Report {
        Report {
            action,
            dry_run: false,
            profile: route.profile.clone(),
            surface: route.surface,
            counts: Vec::new(),
            bytes_scanned,
            error: None,
        }
    }

    #[allow(clippy::too_many_arguments, reason = "temporary shim")]
    fn reject(
        &self,
        route: &Route,
        doc: Option<&Value>,
        status: u16,
        action: ReportAction,
        code: &str,
        message: &str,
        size: usize,
    ) -> RequestOutcome {
        let mut report = self.report(route, action, size);
        report.error = Some(code.to_string());
        RequestOutcome::Reject(Rejection {
            status,
            body: error_body(route.surface, doc, code, message),
            report,
        })
    }

    /// Non-overlapping (byte start, byte end, category, type), sorted.
    fn find(&self, text: &str) -> Vec<(usize, usize, Category, String)> {
        let mut spans: Vec<(usize, usize, Category, String)> = self
            .inner
            .scan(text)
            .into_iter()
            .map(|f| (f.byte_start, f.byte_end, f.category, f.kind.into_owned()))
            .collect();
        let min_entropy = self.inner.config().detectors.min_secret_entropy;
        for (category, kind, re) in &self.shim_detectors {
            for caps in re.captures_iter(text) {
                let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                    continue;
                };
                if caps.get(1).is_some() && shannon(m.as_str()) < min_entropy {
                    continue;
                }
                spans.push((m.start(), m.end(), *category, kind.to_string()));
            }
        }
        spans.sort_by_key(|s| (s.0, usize::MAX - s.1));
        let mut out: Vec<(usize, usize, Category, String)> = Vec::new();
        for s in spans {
            if out.last().is_none_or(|l| s.0 >= l.1) {
                out.push(s);
            }
        }
        out
    }
}

impl Session {
    fn placeholder_for(&mut self, kind: &str, value: &str) -> String {
        if let Some((p, _)) = self.vault.iter().find(|(_, v)| v == value) {
            return p.clone();
        }
        let p = format!("[[{}_{}]]", kind.to_ascii_uppercase(), self.vault.len() + 1);
        self.vault.push((p.clone(), value.to_string()));
        p
    }
}

fn shannon(s: &str) -> f64 {
    let mut freq = std::collections::HashMap::new();
    let n = s.chars().count() as f64;
    for c in s.chars() {
        *freq.entry(c).or_insert(0u32) += 1;
    }
    freq.values()
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

fn walk_strings(v: &mut Value, never_touch: &[String], f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| walk_strings(i, never_touch, f)),
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if !never_touch.iter().any(|n| n == k) {
                    walk_strings(item, never_touch, f);
                }
            }
        }
        _ => {}
    }
}

fn error_body(
    surface: Option<SurfaceKind>,
    doc: Option<&Value>,
    code: &str,
    message: &str,
) -> Vec<u8> {
    let v = match surface {
        Some(SurfaceKind::AnthropicMessages) => {
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}})
        }
        Some(SurfaceKind::Mcp) => {
            let id = doc
                .and_then(|d| d.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600, "message": message, "data": {"code": code}}})
        }
        _ => {
            json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})
        }
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

#[allow(non_camel_case_types, reason = "temporary shim")]
enum Mode_ {
    Sse,
    Json,
    Text,
}

pub struct ResponseProcessor {
    vault: Vec<(String, String)>,
    mode: Mode_,
    buf: Vec<u8>,
    /// SSE: an event whose text ends with what may be the start of a
    /// placeholder, kept back until the next event: (event, tail).
    held: Option<(SseEvent, String)>,
}

struct SseEvent {
    before: String,
    data: Value,
    after: String,
}

impl ResponseProcessor {
    pub fn changes_length(&self) -> bool {
        !self.vault.is_empty()
    }

    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.vault.is_empty() {
            return chunk.to_vec();
        }
        self.buf.extend_from_slice(chunk);
        if !matches!(self.mode, Mode_::Sse) {
            return Vec::new();
        }
        let mut out = Vec::new();
        while let Some(end) = event_end(&self.buf) {
            let event: Vec<u8> = self.buf.drain(..end).collect();
            self.sse_event(&event, &mut out);
        }
        out
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.buf);
        match self.mode {
            Mode_::Sse => {
                let mut out = Vec::new();
                self.flush_held(&mut out);
                out.extend_from_slice(&rest);
                out
            }
            Mode_::Json => match serde_json::from_slice::<Value>(&rest) {
                Ok(mut doc) => {
                    walk_strings(&mut doc, &[], &mut |s| *s = rehydrate(&self.vault, s));
                    serde_json::to_vec(&doc).unwrap_or_default()
                }
                Err(_) => rehydrate(&self.vault, &String::from_utf8_lossy(&rest)).into_bytes(),
            },
            Mode_::Text => rehydrate(&self.vault, &String::from_utf8_lossy(&rest)).into_bytes(),
        }
    }

    fn flush_held(&mut self, out: &mut Vec<u8>) {
        if let Some((mut ev, tail)) = self.held.take() {
            with_text(&mut ev.data, |t| t.push_str(&tail));
            ev.write(out);
        }
    }

    fn sse_event(&mut self, raw: &[u8], out: &mut Vec<u8>) {
        let Some(mut ev) = SseEvent::parse(raw) else {
            self.flush_held(out);
            out.extend_from_slice(raw);
            return;
        };
        let mut text = None;
        with_text(&mut ev.data, |t| text = Some(std::mem::take(t)));
        let Some(text) = text else {
            self.flush_held(out);
            ev.write(out);
            return;
        };
        let mut full = String::new();
        if let Some((prev, tail)) = self.held.take() {
            prev.write(out);
            full.push_str(&tail);
        }
        full.push_str(&text);
        let keep = (1..=full.len())
            .filter(|&i| full.is_char_boundary(full.len() - i))
            .filter(|&i| {
                let suffix = full.get(full.len() - i..).unwrap_or_default();
                self.vault
                    .iter()
                    .any(|(p, _)| p.len() > i && p.starts_with(suffix))
            })
            .max()
            .unwrap_or(0);
        let split = full.len() - keep;
        let head = rehydrate(&self.vault, full.get(..split).unwrap_or_default());
        let tail = full.get(split..).unwrap_or_default().to_string();
        with_text(&mut ev.data, |t| *t = head.clone());
        if tail.is_empty() {
            ev.write(out);
        } else {
            self.held = Some((ev, tail));
        }
    }
}

impl SseEvent {
    fn parse(raw: &[u8]) -> Option<SseEvent> {
        let text = std::str::from_utf8(raw).ok()?;
        let start = if text.starts_with("data:") {
            0
        } else {
            text.find("\ndata:")? + 1
        };
        let line_end = text
            .get(start..)?
            .find('\n')
            .map_or(text.len(), |i| start + i);
        let payload = text.get(start + 5..line_end)?.trim_start();
        let data = serde_json::from_str(payload).ok()?;
        Some(SseEvent {
            before: text.get(..start)?.to_string(),
            data,
            after: text.get(line_end..)?.to_string(),
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.before.as_bytes());
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&serde_json::to_vec(&self.data).unwrap_or_default());
        out.extend_from_slice(self.after.as_bytes());
    }
}

/// Calls `f` on the first streamed text field of an SSE payload
/// (chat `delta.content`, Responses `delta`, Anthropic `delta.text`).
fn with_text(v: &mut Value, mut f: impl FnMut(&mut String)) {
    fn find(v: &mut Value) -> Option<&mut String> {
        match v {
            Value::Object(map) => {
                let direct = map
                    .iter()
                    .find(|(k, item)| {
                        item.is_string() && matches!(k.as_str(), "content" | "text" | "delta")
                    })
                    .map(|(k, _)| k.clone());
                if let Some(key) = direct {
                    return match map.get_mut(&key) {
                        Some(Value::String(s)) => Some(s),
                        _ => None,
                    };
                }
                map.values_mut().find_map(find)
            }
            Value::Array(items) => items.iter_mut().find_map(find),
            _ => None,
        }
    }
    if let Some(s) = find(v) {
        f(s);
    }
}

fn event_end(buf: &[u8]) -> Option<usize> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn rehydrate(vault: &[(String, String)], text: &str) -> String {
    let mut out = text.to_string();
    for (placeholder, value) in vault {
        if out.contains(placeholder.as_str()) {
            out = out.replace(placeholder.as_str(), value);
        }
    }
    out
}
