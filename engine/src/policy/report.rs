// SPDX-License-Identifier: Apache-2.0
//! What Shroud did to one request: metadata only, never a value. Feeds the
//! filter's metrics, headers and audit line.

use crate::config::{Action, SurfaceKind};
use crate::finding::Category;

/// The overall outcome of a request, most severe action first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportAction {
    /// Nothing found, or everything found is allowed.
    Allow,
    /// Values were replaced with reversible placeholders.
    Mask,
    /// Values were replaced irreversibly.
    Redact,
    /// The request was refused by policy.
    Block,
    /// The request was refused because it could not be inspected
    /// (malformed, too large, an internal error).
    Error,
}

impl ReportAction {
    /// The name used in headers, metrics and audit lines.
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

impl From<Action> for ReportAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Allow => ReportAction::Allow,
            Action::Mask => ReportAction::Mask,
            Action::Redact => ReportAction::Redact,
            Action::Block => ReportAction::Block,
        }
    }
}

/// Metadata about one inspected request.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The most severe action taken (or that would be taken, in dry run).
    pub action: ReportAction,
    /// The profile only reported; traffic was not changed.
    pub dry_run: bool,
    /// Profile applied.
    pub profile: String,
    /// Payload surface, when the path is an LLM/MCP endpoint.
    pub surface: Option<SurfaceKind>,
    /// Findings per (category, type), in order of first appearance.
    pub counts: Vec<(Category, String, u32)>,
    /// Size of the body inspected.
    pub bytes_scanned: usize,
    /// Bytes of its texts answered from the scan cache
    /// (`detectors.cache_entries`): resent history, not scanned again.
    pub bytes_cached: usize,
    /// Why the request could not be inspected (no values, only pointers
    /// and limits).
    pub error: Option<String>,
    /// Policy rules the request broke besides findings, e.g.
    /// `model_not_allowed`, `mcp_tool_denied`, `invalid_request`.
    pub violations: Vec<String>,
    /// The `limits.*` field the request exceeded (`max_body_bytes`,
    /// `max_json_depth`, `max_findings`, `max_vault_entries`), for the
    /// `shroud.limits.exceeded` metric.
    pub limit: Option<&'static str>,
}

impl Report {
    /// An empty report for `profile` on `surface`.
    pub fn new(profile: &str, surface: Option<SurfaceKind>) -> Report {
        Report {
            action: ReportAction::Allow,
            dry_run: false,
            profile: profile.to_string(),
            surface,
            counts: Vec::new(),
            bytes_scanned: 0,
            bytes_cached: 0,
            error: None,
            violations: Vec::new(),
            limit: None,
        }
    }

    /// Counts one finding and raises the overall action.
    pub(crate) fn record(&mut self, category: Category, kind: &str, action: Action) {
        match self
            .counts
            .iter_mut()
            .find(|(c, k, _)| *c == category && k == kind)
        {
            Some((_, _, n)) => *n = n.saturating_add(1),
            None => self.counts.push((category, kind.to_string(), 1)),
        }
        self.raise(action.into());
    }

    /// Notes a broken policy rule (once per rule).
    pub(crate) fn violation(&mut self, rule: &str) {
        if !self.violations.iter().any(|v| v == rule) {
            self.violations.push(rule.to_string());
        }
    }

    /// Raises the overall action to at least `action`.
    pub(crate) fn raise(&mut self, action: ReportAction) {
        self.action = self.action.max(action);
    }

    /// Distinct categories found, sorted.
    pub fn categories(&self) -> Vec<Category> {
        let mut out: Vec<Category> = self.counts.iter().map(|c| c.0).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `pii,secret`: the categories found, for the `x-shroud-categories`
    /// header; `None` when nothing was found.
    pub fn categories_header(&self) -> Option<String> {
        let names: Vec<&str> = self
            .categories()
            .into_iter()
            .map(Category::as_str)
            .collect();
        (!names.is_empty()).then(|| names.join(","))
    }

    /// Total number of findings.
    pub fn total_findings(&self) -> u64 {
        self.counts.iter().map(|c| u64::from(c.2)).sum()
    }

    /// `{"categories": {"secret": 1}, "types": {"openai_api_key": 1}}`:
    /// what a refusal tells the client (counts, never values).
    pub(crate) fn details(
        &self,
        only: Option<Action>,
        profile_actions: impl Fn(Category, &str) -> Action,
    ) -> serde_json::Value {
        let mut categories = serde_json::Map::new();
        let mut types = serde_json::Map::new();
        for (category, kind, n) in &self.counts {
            if only.is_some_and(|a| profile_actions(*category, kind) != a) {
                continue;
            }
            let add = |map: &mut serde_json::Map<String, serde_json::Value>, key: &str| {
                let prev = map
                    .get(key)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                map.insert(key.to_string(), (prev + u64::from(*n)).into());
            };
            add(&mut categories, category.as_str());
            add(&mut types, kind);
        }
        serde_json::json!({"categories": categories, "types": types})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_only_rises_and_counts_accumulate() {
        let mut r = Report::new("default", Some(SurfaceKind::OpenaiChat));
        r.record(Category::Pii, "email", Action::Mask);
        r.record(Category::Secret, "openai_api_key", Action::Block);
        r.record(Category::Pii, "email", Action::Allow);
        assert_eq!(r.action, ReportAction::Block);
        assert_eq!(r.counts[0], (Category::Pii, "email".to_string(), 2));
        assert_eq!(r.total_findings(), 3);
        assert_eq!(r.categories(), [Category::Secret, Category::Pii]);
        assert_eq!(r.categories_header().as_deref(), Some("secret,pii"));
        assert_eq!(Report::new("p", None).categories_header(), None);
    }
}
