// SPDX-License-Identifier: Apache-2.0
//! Explaining a request for dry-run rollouts (`shroud explain`): which
//! detector fired in which string, which action applies and why, and what
//! the gateway would answer. Values never appear: a finding is its type,
//! position and length only.

use super::select::{matching_rule, select_profile};
use super::text::channel_of;
use super::{RequestInfo, RequestOutcome, Route};
use crate::Engine;
use crate::config::{
    Action, DEFAULT_PROFILE, InjectionChannel, Mode, NonJsonAction, Profile, SurfaceKind,
    default_action,
};
use crate::finding::Category;
use crate::payload::{self, Field, TextRole, WalkOptions};
use serde::Serialize;

/// What one profile would do to one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The profile explained.
    pub profile: String,
    /// Why this profile (for the one the request is routed to).
    pub profile_source: ProfileSource,
    /// Enforce or dry run (`None`: no such profile).
    pub mode: Option<Mode>,
    /// The payload surface of the path; `None`: not an LLM/MCP endpoint.
    pub surface: Option<SurfaceKind>,
    /// Every finding, in document order.
    pub findings: Vec<ExplainedFinding>,
    /// What the gateway would do.
    pub verdict: Verdict,
}

/// Why a profile applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ProfileSource {
    /// The route's metadata names it (`filter_metadata.shroud.profile`).
    Route,
    /// `profile_rules[index]` is the first rule that matches.
    Rule {
        /// Position in `profile_rules`.
        index: usize,
    },
    /// No rule matched: `default`.
    Default,
    /// Not the routed profile: explained because it was asked for.
    Requested,
}

/// One finding, without its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainedFinding {
    /// RFC 6901 pointer of the string in the body (`""`: a non-JSON body).
    pub pointer: String,
    /// For a leaf inside a JSON-encoded string (tool-call `arguments`): its
    /// pointer within the decoded document.
    pub embedded: Option<String>,
    /// What the string is (user input, tool result, …).
    pub role: InjectionChannel,
    /// Broad class.
    pub category: Category,
    /// Detector type.
    #[serde(rename = "type")]
    pub kind: String,
    /// First character of the value in the string; `None` for an injection
    /// (it is a judgement on the whole string).
    pub start: Option<usize>,
    /// One past the last character.
    pub end: Option<usize>,
    /// Length of the value in characters (of the string, for an injection).
    pub chars: usize,
    /// Confidence in 0..=1.
    pub score: f64,
    /// The action the profile takes.
    pub action: Action,
    /// Where that action comes from.
    pub action_source: ActionSource,
}

/// Where a finding's action comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum ActionSource {
    /// `profiles.<p>.actions.<type>`.
    Type {
        /// The config path.
        path: String,
    },
    /// `profiles.<p>.actions.<category>`.
    Category {
        /// The config path.
        path: String,
    },
    /// The built-in action of the category.
    Default,
}

/// The overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Not an LLM/MCP path: forwarded untouched, never inspected.
    PassThrough,
    /// Forwarded as sent (nothing to change, or dry run).
    ForwardUnchanged,
    /// Forwarded with values masked or redacted.
    ForwardRewritten,
    /// Answered locally with an error; nothing goes upstream.
    Refuse,
}

/// What the gateway would do with the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The decision.
    pub kind: VerdictKind,
    /// HTTP status of a refusal.
    pub status: Option<u16>,
    /// The most severe action (`allow`, `mask`, `redact`, `block`, `error`);
    /// in dry run, what enforcing would do.
    pub action: &'static str,
    /// The profile only reports.
    pub dry_run: bool,
    /// Values replaced by reversible placeholders.
    pub masked: usize,
    /// Values replaced irreversibly.
    pub redacted: usize,
    /// Policy rules broken besides findings (`model_not_allowed`, …).
    pub violations: Vec<String>,
    /// Why the request could not be inspected (no values).
    pub error: Option<String>,
}

impl Engine {
    /// Every profile name: `default` and the configured ones, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.profiles.keys().cloned().collect();
        if !names.iter().any(|n| n == DEFAULT_PROFILE) {
            names.push(DEFAULT_PROFILE.to_string());
        }
        names.sort_unstable();
        names
    }

    /// What `profile` (default: the one the request is routed to) would do
    /// to this request. Runs the real request path for the verdict and a
    /// second, read-only walk for the per-finding detail.
    pub fn explain(
        &self,
        req: &RequestInfo<'_>,
        content_type: Option<&str>,
        body: &[u8],
        profile: Option<&str>,
    ) -> Explanation {
        let routed = self.route(req);
        let route = match profile {
            Some(name) if name != routed.profile => Route {
                surface: routed.surface,
                profile: name.to_string(),
                mcp_server: (routed.surface == Some(SurfaceKind::Mcp))
                    .then(|| self.mcp.select(req, name))
                    .flatten(),
            },
            _ => routed,
        };
        let profile_source = self.profile_source(req, &route.profile);
        let found = self.config.profile(&route.profile);
        let mut explanation = Explanation {
            profile: route.profile.clone(),
            profile_source,
            mode: found.map(|p| p.mode),
            surface: route.surface,
            findings: Vec::new(),
            verdict: Verdict {
                kind: VerdictKind::PassThrough,
                status: None,
                action: "allow",
                dry_run: found.is_some_and(|p| p.mode == Mode::DryRun),
                masked: 0,
                redacted: 0,
                violations: Vec::new(),
                error: None,
            },
        };
        if route.surface.is_none() {
            return explanation;
        }
        if let Some(profile) = found {
            explanation.findings =
                self.explain_findings(route.surface, &route.profile, profile, body);
        }
        let v = &mut explanation.verdict;
        for f in &explanation.findings {
            match f.action {
                Action::Mask if f.category != Category::Injection => v.masked += 1,
                Action::Redact if f.category != Category::Injection => v.redacted += 1,
                _ => {}
            }
        }
        match self.sanitize_request(&route, content_type, body) {
            RequestOutcome::Forward { body, report, .. } => {
                v.kind = if body.is_some() {
                    VerdictKind::ForwardRewritten
                } else {
                    VerdictKind::ForwardUnchanged
                };
                v.action = report.action.as_str();
                v.violations = report.violations;
                v.error = report.error;
            }
            RequestOutcome::Reject(rejection) => {
                v.kind = VerdictKind::Refuse;
                v.status = Some(rejection.status);
                v.action = rejection.report.action.as_str();
                v.violations = rejection.report.violations;
                v.error = rejection.report.error;
                // Nothing is rewritten when nothing is forwarded.
                v.masked = 0;
                v.redacted = 0;
            }
        }
        explanation
    }

    fn profile_source(&self, req: &RequestInfo<'_>, profile: &str) -> ProfileSource {
        if select_profile(&self.config, req) != profile {
            return ProfileSource::Requested;
        }
        if req.route_profile.is_some_and(|n| !n.is_empty()) {
            return ProfileSource::Route;
        }
        match matching_rule(&self.config, req) {
            Some(index) => ProfileSource::Rule { index },
            None => ProfileSource::Default,
        }
    }

    /// Every finding of `profile` in `body`, read-only.
    fn explain_findings(
        &self,
        surface: Option<SurfaceKind>,
        name: &str,
        profile: &Profile,
        body: &[u8],
    ) -> Vec<ExplainedFinding> {
        let surface = surface.unwrap_or(SurfaceKind::Generic);
        let mut out = Vec::new();
        if body.trim_ascii().is_empty() {
            return out;
        }
        let mut visit = |text: &str, pointer: &str, embedded: Option<&str>, role: TextRole| {
            self.explain_text((name, profile), text, (pointer, embedded), role, &mut out);
        };
        match payload::parse_body(body, &self.config.limits) {
            Ok(mut doc) => {
                let options = WalkOptions::from_config(&self.config);
                // Walk errors (depth, …) are the verdict's to report.
                let _ = payload::walk_request::<()>(
                    surface,
                    &mut doc,
                    &options,
                    &mut |text: &mut String, field: &Field<'_>| {
                        visit(text.as_str(), field.pointer, field.embedded, field.role);
                        Ok(())
                    },
                );
            }
            Err(_) if self.config.non_json == NonJsonAction::ScanText => {
                if let Ok(text) = std::str::from_utf8(body) {
                    visit(text, "", None, TextRole::Other);
                }
            }
            Err(_) => {}
        }
        out
    }

    fn explain_text(
        &self,
        (name, profile): (&str, &Profile),
        text: &str,
        (pointer, embedded): (&str, Option<&str>),
        role: TextRole,
        out: &mut Vec<ExplainedFinding>,
    ) {
        let channel = channel_of(role);
        let entry = |category: Category, kind: &str| {
            let (action, action_source) = action_and_source(name, profile, category, kind);
            ExplainedFinding {
                pointer: pointer.to_string(),
                embedded: embedded.map(str::to_string),
                role: channel,
                category,
                kind: kind.to_string(),
                start: None,
                end: None,
                chars: 0,
                score: 0.0,
                action,
                action_source,
            }
        };
        let injection = &profile.injection;
        if injection.enabled
            && injection.channels.contains(&channel)
            && let Some(found) = self
                .injection
                .assess(text)
                .filter(|a| a.score >= injection.threshold)
        {
            let mut f = entry(Category::Injection, found.kind);
            f.chars = text.chars().count();
            f.score = found.score;
            // Any action but allow refuses an injection.
            if matches!(f.action, Action::Mask | Action::Redact) {
                f.action = Action::Block;
            }
            out.push(f);
        }
        for finding in self.scanner.scan(text) {
            let mut f = entry(finding.category, finding.kind.as_ref());
            f.start = Some(finding.start);
            f.end = Some(finding.end);
            f.chars = finding.end.saturating_sub(finding.start);
            f.score = finding.score;
            out.push(f);
        }
    }
}

/// A finding's action under `profile`, and which config entry decides it
/// (the same precedence as [`Profile::action_for`]).
fn action_and_source(
    name: &str,
    profile: &Profile,
    category: Category,
    kind: &str,
) -> (Action, ActionSource) {
    let action = profile.action_for(category, kind);
    let source = if profile.actions.contains_key(kind) {
        ActionSource::Type {
            path: format!("profiles.{name}.actions.{kind}"),
        }
    } else if profile.actions.contains_key(category.as_str()) {
        ActionSource::Category {
            path: format!("profiles.{name}.actions.{category}"),
        }
    } else {
        debug_assert_eq!(action, default_action(category));
        ActionSource::Default
    };
    (action, source)
}

#[cfg(test)]
mod tests;
