// SPDX-License-Identifier: Apache-2.0
//! Envoy stats: every name is built here and defined up front in
//! `on_configure`.
//!
//! Names follow `shroud.<noun>.<verb>` with labels encoded as `_key=value`
//! segments (coraza-proxy-wasm's convention); the `stats_tags` regexes in
//! `envoy-config/envoy.yaml` turn them into Prometheus labels, e.g.
//! `shroud.findings.detected_category=pii_type=email` →
//! `shroud_findings_detected{category="pii",type="email"}`.
//! Values are snake_case; the tag regexes find a value's end by the next
//! `_<key>=` or the end of the name.

use crate::api::{Engine, Report};
use crate::host::{self, MetricKind};
use shroud_engine::Category;
use shroud_engine::config::SurfaceKind;
use std::cell::RefCell;
use std::collections::HashMap;

/// What happened to a request Shroud looked at.
#[derive(Clone, Copy)]
pub enum Outcome {
    /// Sent upstream (unchanged or rewritten).
    Forwarded,
    /// Answered locally (block, malformed, too large, failure).
    Rejected,
    /// Not an LLM/MCP call: untouched.
    Passthrough,
}

const SURFACES: [Option<SurfaceKind>; 6] = [
    Some(SurfaceKind::OpenaiChat),
    Some(SurfaceKind::OpenaiResponses),
    Some(SurfaceKind::AnthropicMessages),
    Some(SurfaceKind::Mcp),
    Some(SurfaceKind::Generic),
    None,
];
const ACTIONS: [&str; 5] = ["allow", "mask", "redact", "block", "error"];

/// Metric-name snake_case of a surface (`none` for pass-through traffic).
pub fn surface_name(surface: Option<SurfaceKind>) -> &'static str {
    match surface {
        Some(SurfaceKind::OpenaiChat) => "openai_chat",
        Some(SurfaceKind::OpenaiResponses) => "openai_responses",
        Some(SurfaceKind::AnthropicMessages) => "anthropic_messages",
        Some(SurfaceKind::Mcp) => "mcp",
        Some(SurfaceKind::Generic) => "generic",
        None => "none",
    }
}

fn requests_name(surface: Option<SurfaceKind>, outcome: Outcome) -> String {
    let outcome = match outcome {
        Outcome::Forwarded => "forwarded",
        Outcome::Rejected => "rejected",
        Outcome::Passthrough => "passthrough",
    };
    format!(
        "shroud.requests.handled_surface={}_outcome={outcome}",
        surface_name(surface)
    )
}

fn findings_name(category: Category, kind: &str) -> String {
    format!("shroud.findings.detected_category={category}_type={kind}")
}

fn actions_name(action: &str, dry_run: bool) -> String {
    let mode = if dry_run { "dry_run" } else { "enforce" };
    format!("shroud.actions.taken_action={action}_mode={mode}")
}

/// Every `limits.*` field with a counted outcome.
const LIMITS: [&str; 5] = [
    "max_body_bytes",
    "max_json_depth",
    "max_findings",
    "max_vault_entries",
    "max_response_bytes",
];
/// Why an answer was forwarded without rewriting.
const UNREWRITTEN: [&str; 1] = ["content_encoding"];

fn limits_name(limit: &str) -> String {
    format!("shroud.limits.exceeded_limit={limit}")
}

fn unrewritten_name(reason: &str) -> String {
    format!("shroud.responses.unrewritten_reason={reason}")
}

const BYTES_SCANNED: &str = "shroud.bytes.scanned";
const PROCESSING_US: &str = "shroud.processing.duration_us";
const HOST_FAILURES: &str = "shroud.host_calls.failed";

/// Metric ids by name. A name not defined up front (a detector type the
/// catalog does not list) is defined on first use.
pub struct Metrics {
    ids: RefCell<HashMap<String, u32>>,
}

impl Metrics {
    /// Defines every metric this configuration can produce.
    pub fn define(engine: &Engine) -> Metrics {
        let metrics = Metrics {
            ids: RefCell::new(HashMap::new()),
        };
        let mut counters = vec![BYTES_SCANNED.to_string(), HOST_FAILURES.to_string()];
        for surface in SURFACES {
            let outcomes: &[Outcome] = match surface {
                Some(_) => &[Outcome::Forwarded, Outcome::Rejected],
                None => &[Outcome::Passthrough],
            };
            counters.extend(outcomes.iter().map(|o| requests_name(surface, *o)));
        }
        for action in ACTIONS {
            counters.push(actions_name(action, false));
            counters.push(actions_name(action, true));
        }
        counters.extend(LIMITS.iter().map(|l| limits_name(l)));
        counters.extend(UNREWRITTEN.iter().map(|r| unrewritten_name(r)));
        let catalog = shroud_engine::detect::catalog::builtin_types();
        for t in catalog {
            counters.push(findings_name(t.category, t.id));
        }
        for custom in &engine.config().detectors.custom {
            counters.push(findings_name(custom.category, &custom.kind));
        }
        for name in &counters {
            metrics.id(MetricKind::Counter, name);
        }
        metrics.id(MetricKind::Histogram, PROCESSING_US);
        metrics
    }

    fn id(&self, kind: MetricKind, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.borrow().get(name) {
            return Some(*id);
        }
        match host::define_metric(kind, name) {
            Ok(id) => {
                self.ids.borrow_mut().insert(name.to_string(), id);
                Some(id)
            }
            Err(err) => {
                log::warn!("shroud: cannot define metric {name}: {err}");
                None
            }
        }
    }

    fn add(&self, name: &str, by: u64) {
        if let Some(id) = self.id(MetricKind::Counter, name) {
            let by = i64::try_from(by).unwrap_or(i64::MAX);
            if let Err(err) = host::increment_metric(id, by) {
                log::warn!("shroud: cannot increment {name}: {err}");
            }
        }
    }

    pub fn request(&self, surface: Option<SurfaceKind>, outcome: Outcome) {
        self.add(&requests_name(surface, outcome), 1);
    }

    /// Findings, action and bytes of one inspected request.
    pub fn report(&self, report: &Report) {
        for (category, kind, count) in &report.counts {
            self.add(&findings_name(*category, kind), u64::from(*count));
        }
        self.add(&actions_name(report.action.as_str(), report.dry_run), 1);
        self.add(BYTES_SCANNED, report.bytes_scanned as u64);
        if let Some(limit) = report.limit {
            self.limit_exceeded(limit);
        }
    }

    /// A request or answer went over `limits.<limit>`.
    pub fn limit_exceeded(&self, limit: &str) {
        self.add(&limits_name(limit), 1);
    }

    /// An answer was forwarded as is, without restoring or redacting.
    pub fn response_unrewritten(&self, reason: &str) {
        self.add(&unrewritten_name(reason), 1);
    }

    /// Time Shroud spent on one request, in microseconds.
    pub fn duration(&self, micros: u64) {
        if let Some(id) = self.id(MetricKind::Histogram, PROCESSING_US)
            && let Err(err) = host::record_metric(id, micros)
        {
            log::warn!("shroud: cannot record {PROCESSING_US}: {err}");
        }
    }

    pub fn host_failure(&self) {
        self.add(HOST_FAILURES, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_label_convention() {
        assert_eq!(
            requests_name(Some(SurfaceKind::OpenaiChat), Outcome::Forwarded),
            "shroud.requests.handled_surface=openai_chat_outcome=forwarded"
        );
        assert_eq!(
            findings_name(Category::Secret, "openai_api_key"),
            "shroud.findings.detected_category=secret_type=openai_api_key"
        );
        assert_eq!(
            actions_name("mask", true),
            "shroud.actions.taken_action=mask_mode=dry_run"
        );
        assert_eq!(
            limits_name("max_body_bytes"),
            "shroud.limits.exceeded_limit=max_body_bytes"
        );
        assert_eq!(
            unrewritten_name("content_encoding"),
            "shroud.responses.unrewritten_reason=content_encoding"
        );
    }
}
