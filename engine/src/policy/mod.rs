// SPDX-License-Identifier: Apache-2.0
//! Policy: turns findings into decisions on real API payloads.
//!
//! [`Engine::route`] picks the payload surface and the profile from what the
//! gateway knows before the body; [`Engine::sanitize_request`] parses the
//! body, scans every model-visible string and applies the profile (mask,
//! redact, block, or only report in dry run); the returned [`Session`] goes
//! to [`Engine::response_processor`], which restores placeholders and
//! redacts model-generated values in the answer, streamed or not.

mod explain;
pub(crate) mod mcp;
mod output;
mod report;
mod response;
mod select;
mod text;
mod validate;

pub use explain::{
    ActionSource, ExplainedFinding, Explanation, ProfileSource, Verdict, VerdictKind,
};
pub use output::{HOLD_BACK, MAX_PENDING};
pub use report::{Report, ReportAction};
pub use response::{McpResponseStats, ResponseProcessor, Session};
pub use select::RequestInfo;
pub(crate) use text::ScanCache;

use crate::Engine;
use crate::config::{Mode, NonJsonAction, Profile, SurfaceKind};
use crate::payload::{self, ApiError, ApiErrorKind, PayloadError, WalkError, WalkOptions};
use crate::vault::Vault;
use response::SessionInner;
use serde_json::Value;
use std::sync::Arc;
use text::{RequestSanitizer, SanitizeError};

/// Where a request goes: its payload surface and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The API shape; `None` when the path is no LLM/MCP endpoint (the
    /// gateway passes such requests through untouched).
    pub surface: Option<SurfaceKind>,
    /// Profile name (may name a profile that does not exist when a route
    /// chose it; the request is then refused).
    pub profile: String,
    /// Index of the `mcp_servers` entry whose tool policy applies (MCP
    /// surface only).
    pub mcp_server: Option<usize>,
}

/// The decision on a request body.
#[derive(Debug)]
pub enum RequestOutcome {
    /// Send the request upstream.
    Forward {
        /// The rewritten body, or `None` to forward the original bytes
        /// (nothing to change, or dry run).
        body: Option<Vec<u8>>,
        /// What the response needs to restore placeholders.
        session: Session,
        /// What was found and done.
        report: Report,
    },
    /// Answer locally; nothing goes upstream.
    Reject(Rejection),
}

/// A local reply in the API's own error shape.
#[derive(Debug)]
pub struct Rejection {
    /// HTTP status (403 blocked, 400 malformed, 413 too large, 415 not
    /// JSON, 500 internal; MCP answers JSON-RPC errors with 200).
    pub status: u16,
    /// JSON error body: OpenAI `{"error":{…}}`, Anthropic
    /// `{"type":"error",…}`, or a JSON-RPC error with the request's id.
    pub body: Vec<u8>,
    /// What was found and done.
    pub report: Report,
}

impl Engine {
    /// The surface and profile of a request, from its headers alone.
    pub fn route(&self, req: &RequestInfo<'_>) -> Route {
        let surface = payload::surface_for_path(req.path, &self.config.routes);
        let profile = select::select_profile(&self.config, req);
        let mcp_server = (surface == Some(SurfaceKind::Mcp))
            .then(|| self.mcp.select(req, &profile))
            .flatten();
        Route {
            surface,
            profile,
            mcp_server,
        }
    }

    /// Largest request body Shroud inspects (`limits.max_body_bytes`).
    pub fn max_body_bytes(&self) -> usize {
        self.config.limits.max_body_bytes
    }

    /// The 413 reply for a body over `max_body_bytes`.
    pub fn too_large(&self, route: &Route) -> Rejection {
        let mut report = Report::new(&route.profile, route.surface);
        let limit = self.config.limits.max_body_bytes;
        report.error = Some(format!("body larger than {limit} bytes"));
        report.limit = Some("max_body_bytes");
        let err = ApiError::new(
            ApiErrorKind::TooLarge,
            format!("Request body is larger than the {limit}-byte limit Shroud inspects."),
        );
        reject(route, err, None, report)
    }

    /// The 415 reply for a request body in a `content-encoding` Shroud does
    /// not decode (gzip, br, …): it cannot be inspected, so it is never
    /// forwarded.
    pub fn unsupported_encoding(&self, route: &Route, encoding: &str) -> Rejection {
        let mut report = Report::new(&route.profile, route.surface);
        // The header value is client-controlled: only a short, plain token
        // goes into the report and the reply.
        let name: String = encoding
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ',' | ' '))
            .take(32)
            .collect();
        report.error = Some(format!("content-encoding {name:?} is not inspected"));
        report.violation("content_encoding");
        let err = ApiError::new(
            ApiErrorKind::UnsupportedMediaType,
            format!(
                "Shroud cannot inspect a request body with content-encoding {name:?}; send it uncompressed."
            ),
        );
        reject(route, err, None, report)
    }

    /// Inspects a whole request body and applies the route's profile.
    pub fn sanitize_request(
        &self,
        route: &Route,
        content_type: Option<&str>,
        body: &[u8],
    ) -> RequestOutcome {
        let surface = route.surface.unwrap_or(SurfaceKind::Generic);
        let mut report = Report::new(&route.profile, route.surface);
        report.bytes_scanned = body.len();
        let Some(profile) = self.profiles.get(&route.profile).cloned().or_else(|| {
            (route.profile == crate::config::DEFAULT_PROFILE).then(|| Arc::new(Profile::default()))
        }) else {
            report.error = Some(format!("unknown profile {:?}", route.profile));
            let err = ApiError::new(
                ApiErrorKind::Internal,
                format!(
                    "Shroud has no profile named {:?} for this route.",
                    route.profile
                ),
            );
            return RequestOutcome::Reject(reject(route, err, None, report));
        };
        report.dry_run = profile.mode == Mode::DryRun;
        let limits = &self.config.limits;
        if body.len() > limits.max_body_bytes {
            return RequestOutcome::Reject(self.too_large(route));
        }
        let mut vault = Vault::new(
            self.config
                .placeholders
                .deterministic_key
                .as_deref()
                .map(str::as_bytes),
            limits.max_vault_entries,
        );
        // Placeholder-shaped text the client sent can never be restored.
        // (A UTF-8 check first: it beats the lossy decoder.)
        match payload::utf8(body) {
            Some(text) => vault.reserve_input(text),
            None => vault.reserve_input(&String::from_utf8_lossy(body)),
        }
        // No body (a GET, a probe): nothing to inspect, nothing to leak;
        // the answer is still checked.
        let empty = body.trim_ascii().is_empty();
        let mut not_json = None;
        let mut doc = if empty {
            None
        } else {
            match payload::parse_body(body, limits) {
                Ok(doc) => Some(doc),
                Err(err @ PayloadError::NotJson { .. }) if !declares_json(content_type) => {
                    not_json = Some(err);
                    None
                }
                Err(err) => {
                    report.error = Some(err.to_string());
                    report.limit = exceeded_limit(&err);
                    let api = match err {
                        // It says JSON and is not: malformed, not "some other type".
                        PayloadError::NotJson { .. } => ApiError::new(
                            ApiErrorKind::InvalidRequest,
                            format!("The body is declared as JSON but is not: {err}."),
                        ),
                        _ => ApiError::from_payload_error(&err),
                    };
                    return RequestOutcome::Reject(reject(route, api, None, report));
                }
            }
        };
        let enforce = profile.mode == Mode::Enforce;
        if let (Some(doc), Some(_)) = (doc.as_ref(), route.surface)
            && let Some(err) = self.check_policy(route, surface, doc, &profile, &mut report)
        {
            if enforce {
                return RequestOutcome::Reject(reject(route, err, Some(doc), report));
            }
            report.raise(ReportAction::Block);
        }
        let mut sanitizer = RequestSanitizer::new(
            &self.scanner,
            &self.scan_cache,
            &profile,
            &mut vault,
            &mut report,
            limits.max_findings,
            enforce,
        )
        .with_injection(&self.injection);
        let mut text_body = None;
        let walked: Result<(), WalkError<SanitizeError>> = match doc.as_mut() {
            Some(doc) => {
                let options = WalkOptions::from_config(&self.config);
                payload::walk_request(surface, doc, &options, &mut |text, field| {
                    sanitizer.visit(text, field.role)
                })
            }
            None if empty => Ok(()),
            None => match self.config.non_json {
                NonJsonAction::Pass => Ok(()),
                NonJsonAction::Reject => Err(WalkError::Payload(not_json.unwrap_or(
                    PayloadError::NotJson {
                        line: 1,
                        column: 1,
                        message: "not a JSON document".into(),
                    },
                ))),
                NonJsonAction::ScanText => match payload::utf8(body) {
                    Some(text) => {
                        let mut text = text.to_string();
                        let result = sanitizer
                            .visit(&mut text, payload::TextRole::Other)
                            .map_err(WalkError::Visitor);
                        text_body = Some(text);
                        result
                    }
                    None => Err(WalkError::Payload(PayloadError::UnsupportedEncoding {
                        encoding: "non-UTF-8 text",
                    })),
                },
            },
        };
        let (changed, blocked, injection) =
            (sanitizer.changed, sanitizer.blocked, sanitizer.injection);
        if let Err(err) = walked {
            let api = match &err {
                WalkError::Payload(p) => ApiError::from_payload_error(p),
                // fail_mode closed: Shroud could not inspect the text.
                WalkError::Visitor(SanitizeError::Detector(e)) => ApiError::new(
                    ApiErrorKind::Internal,
                    format!("Shroud could not inspect the request: {e}."),
                ),
                WalkError::Visitor(v) => ApiError::new(
                    ApiErrorKind::Blocked,
                    format!("Request blocked by Shroud: {v}."),
                ),
            };
            report.error = Some(err.to_string());
            report.limit = match &err {
                WalkError::Payload(p) => exceeded_limit(p),
                WalkError::Visitor(SanitizeError::TooManyFindings { .. }) => Some("max_findings"),
                WalkError::Visitor(SanitizeError::VaultFull(_)) => Some("max_vault_entries"),
                WalkError::Visitor(SanitizeError::Detector(_)) => None,
            };
            report.raise(ReportAction::Error);
            return RequestOutcome::Reject(reject(route, api, doc.as_ref(), report));
        }
        if blocked && enforce {
            let details = report.details(Some(crate::config::Action::Block), |c, k| {
                profile.action_for(c, k)
            });
            let mut reasons = Vec::new();
            if let Some(found) = injection
                && profile.action_for(crate::Category::Injection, found.kind)
                    != crate::config::Action::Allow
            {
                reasons.push(format!(
                    "a likely prompt injection ({}, score {:.2})",
                    found.kind, found.score
                ));
            }
            if details
                .get("categories")
                .and_then(Value::as_object)
                .is_some_and(|c| c.keys().any(|k| k != "injection"))
            {
                reasons.push(summarize(&details));
            }
            let mut err = ApiError::new(
                ApiErrorKind::Blocked,
                format!(
                    "Request blocked by Shroud: it contains {}. Remove them and retry.",
                    reasons.join(" and ")
                ),
            )
            .with_details(details);
            // An MCP server's refusals all use its configured status.
            if let Some(server) = route.mcp_server.and_then(|i| self.mcp.get(i)) {
                err.status = server.config.error_status;
            }
            return RequestOutcome::Reject(reject(route, err, doc.as_ref(), report));
        }
        let tools_list_ids = match (&doc, route.mcp_server) {
            (Some(doc), Some(_)) => mcp::request_ids(doc, "tools/list"),
            _ => Vec::new(),
        };
        let body = match (enforce && changed, doc, text_body) {
            (false, _, _) => None,
            (true, Some(doc), _) => Some(payload::to_json_string(&doc, body.len()).into_bytes()),
            (true, None, Some(text)) => Some(text.into_bytes()),
            (true, None, None) => None,
        };
        let session = if enforce && route.surface.is_some() {
            Session {
                inner: Some(SessionInner {
                    vault: Arc::new(vault),
                    profile,
                    surface,
                    mcp_server: route.mcp_server,
                    tools_list_ids,
                }),
            }
        } else {
            Session::none()
        };
        RequestOutcome::Forward {
            body,
            session,
            report,
        }
    }

    /// A processor for the response to a request forwarded with `session`.
    pub fn response_processor(
        &self,
        _route: &Route,
        session: Session,
        content_type: Option<&str>,
    ) -> ResponseProcessor {
        ResponseProcessor::new(
            response::Shared {
                scanner: Arc::clone(&self.scanner),
                config: Arc::clone(&self.config),
                injection: Arc::clone(&self.injection),
                mcp: Arc::clone(&self.mcp),
            },
            session,
            content_type,
        )
    }

    /// Validation, model allowlist and MCP tool policy on a parsed request.
    /// Violations are always reported; the error is returned for the
    /// caller to enforce (dry run only reports).
    fn check_policy(
        &self,
        route: &Route,
        surface: SurfaceKind,
        doc: &Value,
        profile: &Profile,
        report: &mut Report,
    ) -> Option<ApiError> {
        if profile.validate_requests {
            let problems = validate::problems(surface, doc);
            if !problems.is_empty() {
                report.violation("invalid_request");
                return Some(
                    ApiError::new(
                        ApiErrorKind::InvalidRequest,
                        format!("Invalid request: {}.", problems.join("; ")),
                    )
                    .with_details(serde_json::json!({ "problems": problems })),
                );
            }
        }
        if let Some(model) = validate::disallowed_model(profile, doc) {
            report.violation("model_not_allowed");
            return Some(
                ApiError::new(
                    ApiErrorKind::Blocked,
                    format!(
                        "Request blocked by Shroud: model {model:?} is not allowed for profile {:?}.",
                        route.profile
                    ),
                )
                .with_details(serde_json::json!({ "model": model })),
            );
        }
        let server = route.mcp_server.and_then(|i| self.mcp.get(i))?;
        let violations = server.check_request(doc);
        if violations.is_empty() {
            return None;
        }
        for v in &violations {
            report.violation(v.rule);
        }
        let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
        let details: Vec<Value> = violations
            .iter()
            .map(|v| serde_json::json!({"rule": v.rule, "message": v.message}))
            .collect();
        let mut err = ApiError::new(
            ApiErrorKind::Blocked,
            format!("Request blocked by Shroud: {}.", messages.join("; ")),
        )
        .with_details(serde_json::json!({ "violations": details }));
        err.status = server.config.error_status;
        Some(err)
    }
}

/// A content type that says the body is JSON, so a non-JSON body is an
/// error rather than a non-JSON request.
fn declares_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// The `limits.*` field a payload error reports exceeding.
fn exceeded_limit(err: &PayloadError) -> Option<&'static str> {
    match err {
        PayloadError::TooDeep { .. } => Some("max_json_depth"),
        PayloadError::Embedded { error, .. } => exceeded_limit(error),
        _ => None,
    }
}

fn reject(route: &Route, err: ApiError, request: Option<&Value>, mut report: Report) -> Rejection {
    if err.kind != ApiErrorKind::Blocked {
        report.raise(ReportAction::Error);
    } else {
        report.raise(ReportAction::Block);
    }
    let (status, body) =
        payload::error_body(route.surface.unwrap_or(SurfaceKind::Generic), &err, request);
    Rejection {
        status,
        body,
        report,
    }
}

/// `secret (openai_api_key ×1)`-style text for the client; counts only.
fn summarize(details: &Value) -> String {
    let types = details.get("types").and_then(Value::as_object);
    let categories = details.get("categories").and_then(Value::as_object);
    let list = |m: Option<&serde_json::Map<String, Value>>| {
        m.map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} ×{}", v.as_u64().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    format!("sensitive data: {} ({})", list(categories), list(types))
}

#[cfg(test)]
mod adversarial_tests;
#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod tests;
