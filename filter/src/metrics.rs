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

use crate::api::{Engine, Report, ReportAction};
use crate::host::{self, MetricKind};
use shroud_engine::Category;
use shroud_engine::config::{Action, SurfaceKind};
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

/// A blocked request counts once per reason: each finding category the
/// profile blocks, and each policy rule it broke (`model_not_allowed`, …).
fn blocked_name(reason: &str) -> String {
    format!("shroud.requests.blocked_reason={reason}")
}

/// Rules a block can name besides finding categories (others are defined
/// on first use).
const BLOCK_RULES: [&str; 5] = [
    "model_not_allowed",
    "mcp_tool_denied",
    "mcp_arguments_too_large",
    "mcp_denied_field",
    "mcp_forbidden_pattern",
];

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
/// Bytes of texts answered from the scan cache (resent chat history).
const BYTES_CACHED: &str = "shroud.bytes.cached";
/// Values replaced with reversible placeholders in forwarded requests.
const PLACEHOLDERS_ISSUED: &str = "shroud.placeholders.issued";
/// Responses to requests with placeholders, run through the rehydrator.
const RESPONSES_REHYDRATED: &str = "shroud.responses.rehydrated";
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
        let mut counters = vec![
            BYTES_SCANNED.to_string(),
            BYTES_CACHED.to_string(),
            HOST_FAILURES.to_string(),
            PLACEHOLDERS_ISSUED.to_string(),
            RESPONSES_REHYDRATED.to_string(),
        ];
        for category in [
            Category::Secret,
            Category::Pii,
            Category::Corporate,
            Category::Injection,
            Category::Custom,
        ] {
            counters.push(blocked_name(category.as_str()));
        }
        counters.extend(BLOCK_RULES.iter().map(|rule| blocked_name(rule)));
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

    /// Adds `by` to a counter; nothing for zero (a host call saved).
    fn add(&self, name: &str, by: u64) {
        if by == 0 {
            return;
        }
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
        self.add(BYTES_CACHED, report.bytes_cached as u64);
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

    /// Why a request was blocked: the categories its profile blocks among
    /// the findings, and the policy rules it broke.
    pub fn blocked(&self, report: &Report, engine: &Engine) {
        if report.action != ReportAction::Block {
            return;
        }
        let profile = engine.config().profile(&report.profile);
        let mut reasons: Vec<&str> = Vec::new();
        for (category, kind, _) in &report.counts {
            let blocks = profile.is_some_and(|p| p.action_for(*category, kind) == Action::Block);
            if blocks && !reasons.contains(&category.as_str()) {
                reasons.push(category.as_str());
            }
        }
        for rule in &report.violations {
            if !reasons.contains(&rule.as_str()) {
                reasons.push(rule);
            }
        }
        for reason in reasons {
            self.add(&blocked_name(reason), 1);
        }
    }

    /// Values masked in one forwarded request.
    pub fn placeholders(&self, masked: usize) {
        if masked > 0 {
            self.add(PLACEHOLDERS_ISSUED, masked as u64);
        }
    }

    /// A response whose placeholders are being restored.
    pub fn rehydrating(&self) {
        self.add(RESPONSES_REHYDRATED, 1);
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
            blocked_name("model_not_allowed"),
            "shroud.requests.blocked_reason=model_not_allowed"
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
