// SPDX-License-Identifier: Apache-2.0
//! One HTTP stream: read from the host, ask the engine, write back.
//!
//! Request bodies are SWALLOWED, not paused: each chunk is copied into the
//! filter, replaced by nothing and the stream continues; at end of stream
//! the whole (possibly rewritten) body is written in place of the last
//! chunk. Pausing would leave the size bound to Envoy's buffer limit (whose
//! 413 is not API-shaped) and pausing the headers hangs the stream. The
//! cost: Envoy opens the upstream request (headers, no body) before the
//! verdict, and a rejected request is reset upstream before any body byte
//! was sent.
//!
//! Responses are never buffered by Envoy either (a buffered response over
//! its limit becomes 200 headers + reset): every chunk goes through the
//! engine's response processor, which returns what may be sent now (SSE:
//! event by event) and the rest at end of stream.

use crate::api::{
    Rejection, Report, RequestInfo, RequestOutcome, ResponseProcessor, Route, Session,
};
use crate::audit::{self, Sizes};
use crate::host::{self, Buffer, HostError, Map};
use crate::metrics::Outcome;
use crate::root::Shared;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;
use std::cell::OnceCell;
use std::rc::Rc;

/// Route metadata key that names the profile: `filter_metadata.shroud.profile`.
const PROFILE_PROPERTY: [&str; 5] = [
    "xds",
    "route_metadata",
    "filter_metadata",
    "shroud",
    "profile",
];
const ROUTE_NAME_PROPERTY: [&str; 2] = ["xds", "route_name"];
/// Longest `x-request-id` echoed back and logged.
const MAX_REQUEST_ID: usize = 128;

#[derive(PartialEq)]
enum State {
    /// Collecting the request body.
    Inspecting,
    /// Not an LLM/MCP call, or nothing more to do.
    Passthrough,
    /// Sent upstream; the response is processed.
    Forwarded,
    /// Answered with a local reply.
    Rejected,
}

pub struct ShroudHttp {
    context_id: u32,
    shared: Option<Rc<Shared>>,
    state: State,
    route: Option<Route>,
    /// `xds.route_name`, looked up when first needed: by a profile rule,
    /// or by the audit line (most requests need neither).
    route_name: OnceCell<Option<String>>,
    request_id: String,
    content_type: Option<String>,
    body: Vec<u8>,
    swallowed: bool,
    report: Option<Report>,
    session: Option<Session>,
    processor: Option<ResponseProcessor>,
    status: Option<u16>,
    sizes: Sizes,
    micros: u64,
    /// The oversized answer was counted once.
    oversized_counted: bool,
}

impl ShroudHttp {
    pub fn new(context_id: u32, shared: Option<Rc<Shared>>) -> ShroudHttp {
        ShroudHttp {
            context_id,
            shared,
            state: State::Inspecting,
            route: None,
            route_name: OnceCell::new(),
            request_id: String::new(),
            content_type: None,
            body: Vec::new(),
            swallowed: false,
            report: None,
            session: None,
            processor: None,
            status: None,
            sizes: Sizes::default(),
            micros: 0,
            oversized_counted: false,
        }
    }

    fn property(&self, path: &[&str]) -> Option<String> {
        match host::property(path) {
            Ok(value) => value.map(|v| String::from_utf8_lossy(&v).into_owned()),
            Err(err) => {
                // Optional information (e.g. Kong answers Unimplemented).
                log::debug!(
                    "shroud[{}]: property {} unavailable: {err}",
                    self.context_id,
                    path.join(".")
                );
                None
            }
        }
    }

    fn route_name(&self) -> Option<&str> {
        self.route_name
            .get_or_init(|| self.property(&ROUTE_NAME_PROPERTY))
            .as_deref()
    }

    /// A local reply; the filter's own response callbacks then leave it alone.
    fn reply(&mut self, status: u16, body: &[u8], action: &str) -> Action {
        self.state = State::Rejected;
        self.status = Some(status);
        self.body = Vec::new();
        let mut headers = vec![
            ("content-type", "application/json"),
            ("x-shroud-action", action),
            ("x-shroud-request-id", self.request_id.as_str()),
        ];
        let categories = self.categories_header();
        if let Some(categories) = categories.as_deref() {
            headers.push(("x-shroud-categories", categories));
        }
        if let Err(err) = host::send_response(status, &headers, body) {
            log::error!(
                "shroud[{}]: cannot send the local reply: {err}",
                self.context_id
            );
        }
        Action::Pause
    }

    /// `x-shroud-categories`, when the configuration exposes them.
    fn categories_header(&self) -> Option<String> {
        let shared = self.shared.as_ref()?;
        if !shared.engine.config().expose_categories {
            return None;
        }
        self.report.as_ref()?.categories_header()
    }

    fn reject(&mut self, rejection: Rejection, shared: &Shared) -> Action {
        shared
            .metrics
            .request(rejection.report.surface, Outcome::Rejected);
        shared.metrics.report(&rejection.report);
        shared.metrics.blocked(&rejection.report, &shared.engine);
        let action = rejection.report.action.as_str();
        self.report = Some(rejection.report);
        self.reply(rejection.status, &rejection.body, action)
    }

    /// A host call failed while the request can still be refused. Host
    /// failures always fail closed: a half-swallowed body cannot be
    /// forwarded faithfully.
    fn host_failure(&mut self, what: &str, err: HostError) -> Action {
        log::error!("shroud[{}]: {what} failed: {err}", self.context_id);
        if let Some(shared) = &self.shared {
            shared.metrics.host_failure();
        }
        let body = br#"{"error":{"message":"Shroud could not inspect this request.","type":"server_error","code":"shroud_internal_error"}}"#;
        self.reply(500, body, "error")
    }

    /// The verdict on the whole body; `body_size` is the size of the last
    /// chunk in the host buffer (`None`: the request has no body at all).
    fn decide(&mut self, shared: &Shared, body_size: Option<usize>) -> Action {
        let Some(route) = &self.route else {
            return Action::Continue;
        };
        let started = host::now_micros();
        let outcome =
            shared
                .engine
                .sanitize_request(route, self.content_type.as_deref(), &self.body);
        self.micros += host::now_micros().saturating_sub(started);
        match outcome {
            RequestOutcome::Reject(rejection) => self.reject(rejection, shared),
            RequestOutcome::Forward {
                body,
                session,
                report,
            } => {
                let out = body.as_deref().unwrap_or(&self.body);
                if let Some(size) = body_size
                    && (body.is_some() || self.swallowed)
                    && let Err(err) = host::set_buffer(Buffer::RequestBody, 0, size, out)
                {
                    return self.host_failure("writing the request body", err);
                }
                self.sizes.request_out = out.len();
                shared.metrics.request(report.surface, Outcome::Forwarded);
                shared.metrics.report(&report);
                shared.metrics.placeholders(session.masked_values());
                self.report = Some(report);
                self.session = Some(session);
                self.body = Vec::new();
                self.state = State::Forwarded;
                Action::Continue
            }
        }
    }
}

impl Context for ShroudHttp {}

impl HttpContext for ShroudHttp {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(shared) = self.shared.clone() else {
            let body = br#"{"error":{"message":"Shroud is not configured.","type":"server_error","code":"shroud_not_configured"}}"#;
            return self.reply(503, body, "error");
        };
        let headers = match host::headers(Map::RequestHeaders) {
            Ok(headers) => headers,
            Err(err) => return self.host_failure("reading the request headers", err),
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        self.request_id = match header("x-request-id") {
            Some(id) if !id.is_empty() => id.chars().take(MAX_REQUEST_ID).collect(),
            _ => format!("shroud-{:x}-{:x}", host::now_micros(), self.context_id),
        };
        let route_profile = self.property(&PROFILE_PROPERTY);
        let route_name = if shared.engine.config().matches_route_names() {
            self.route_name()
        } else {
            None
        };
        let route = shared.engine.route(&RequestInfo {
            path: header(":path").unwrap_or("/"),
            authority: header(":authority").unwrap_or_default(),
            headers: &headers,
            route_name,
            route_profile: route_profile.as_deref(),
        });
        if route.surface.is_none() {
            shared.metrics.request(None, Outcome::Passthrough);
            self.state = State::Passthrough;
            return Action::Continue;
        }
        self.content_type = header("content-type").map(str::to_string);
        // A compressed body cannot be inspected: refused, never forwarded.
        if let Some(encoding) = header("content-encoding")
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        {
            let rejection = shared.engine.unsupported_encoding(&route, encoding);
            self.route = Some(route);
            return self.reject(rejection, &shared);
        }
        self.route = Some(route);
        // The body length changes when rewritten; the response must be
        // readable to be rehydrated.
        if let Err(err) = host::remove_header(Map::RequestHeaders, "content-length")
            .and_then(|()| host::set_header(Map::RequestHeaders, "accept-encoding", "identity"))
        {
            return self.host_failure("rewriting the request headers", err);
        }
        if end_of_stream {
            return self.decide(&shared, None);
        }
        Action::Continue
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        match self.state {
            State::Inspecting => {}
            State::Rejected => return Action::Pause,
            State::Passthrough | State::Forwarded => return Action::Continue,
        }
        let Some(shared) = self.shared.clone() else {
            return Action::Pause;
        };
        let chunk = match host::buffer(Buffer::RequestBody, 0, body_size) {
            Ok(chunk) => chunk,
            Err(err) => return self.host_failure("reading the request body", err),
        };
        self.sizes.request_in += chunk.len();
        if self.body.len().saturating_add(chunk.len()) > shared.engine.max_body_bytes() {
            let Some(route) = &self.route else {
                return Action::Continue;
            };
            let rejection = shared.engine.too_large(route);
            return self.reject(rejection, &shared);
        }
        self.body.extend_from_slice(&chunk);
        if !end_of_stream {
            if body_size > 0 {
                if let Err(err) = host::set_buffer(Buffer::RequestBody, 0, body_size, &[]) {
                    return self.host_failure("holding the request body", err);
                }
                self.swallowed = true;
            }
            return Action::Continue;
        }
        self.decide(&shared, Some(body_size))
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.state != State::Inspecting {
            return Action::Continue;
        }
        // The body ended without end_of_stream and can no longer be written
        // from here: refuse rather than forward it uninspected.
        log::warn!(
            "shroud[{}]: request trailers are not supported on inspected routes",
            self.context_id
        );
        let body = br#"{"error":{"message":"Request trailers are not supported by Shroud.","type":"invalid_request_error","code":"trailers_unsupported"}}"#;
        self.reply(400, body, "error")
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.state != State::Forwarded {
            // Pass-through traffic, or our own local reply coming back
            // through this filter: already complete.
            return Action::Continue;
        }
        let (Some(shared), Some(route), Some(report)) =
            (self.shared.clone(), &self.route, &self.report)
        else {
            return Action::Continue;
        };
        let headers = match host::headers(Map::ResponseHeaders) {
            Ok(headers) => headers,
            Err(err) => {
                // Without a processor the client gets placeholders, never values.
                log::error!(
                    "shroud[{}]: reading the response headers failed: {err}",
                    self.context_id
                );
                shared.metrics.host_failure();
                return Action::Continue;
            }
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        self.status = header(":status").and_then(|s| s.parse().ok());
        let mut writes = vec![
            host::set_header(
                Map::ResponseHeaders,
                "x-shroud-action",
                report.action.as_str(),
            ),
            host::set_header(
                Map::ResponseHeaders,
                "x-shroud-request-id",
                &self.request_id,
            ),
        ];
        if let Some(categories) = self.categories_header() {
            writes.push(host::set_header(
                Map::ResponseHeaders,
                "x-shroud-categories",
                &categories,
            ));
        }
        if report.dry_run {
            writes.push(host::set_header(
                Map::ResponseHeaders,
                "x-shroud-mode",
                "dry_run",
            ));
        }
        match header("content-encoding") {
            Some(encoding) if !encoding.eq_ignore_ascii_case("identity") => {
                // Unreadable: forwarded as is, so placeholders stay
                // placeholders (never a value); counted.
                log::warn!(
                    "shroud[{}]: response is content-encoded despite accept-encoding: identity; not rehydrated",
                    self.context_id
                );
                shared.metrics.response_unrewritten("content_encoding");
            }
            _ => {
                if let Some(session) = self.session.take() {
                    if session.masked_values() > 0 {
                        shared.metrics.rehydrating();
                    }
                    let processor =
                        shared
                            .engine
                            .response_processor(route, session, header("content-type"));
                    if processor.changes_length() {
                        writes.push(host::remove_header(Map::ResponseHeaders, "content-length"));
                    }
                    self.processor = Some(processor);
                }
            }
        }
        if let Some(Err(err)) = writes.into_iter().find(Result::is_err) {
            log::error!(
                "shroud[{}]: writing the response headers failed: {err}",
                self.context_id
            );
            shared.metrics.host_failure();
        }
        Action::Continue
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let Some(processor) = self.processor.as_mut() else {
            return Action::Continue;
        };
        let chunk = match host::buffer(Buffer::ResponseBody, 0, body_size) {
            Ok(chunk) => chunk,
            Err(err) => {
                log::error!(
                    "shroud[{}]: reading the response body failed: {err}",
                    self.context_id
                );
                return Action::Continue;
            }
        };
        let started = host::now_micros();
        let mut out = processor.push(&chunk);
        if end_of_stream {
            out.extend(processor.finish());
        }
        if processor.oversized() && !self.oversized_counted {
            self.oversized_counted = true;
            if let Some(shared) = &self.shared {
                shared.metrics.limit_exceeded("max_response_bytes");
            }
        }
        self.micros += host::now_micros().saturating_sub(started);
        self.sizes.response_in += chunk.len();
        self.sizes.response_out += out.len();
        if out != chunk
            && let Err(err) = host::set_buffer(Buffer::ResponseBody, 0, body_size, &out)
        {
            log::error!(
                "shroud[{}]: writing the response body failed: {err}",
                self.context_id
            );
            if let Some(shared) = &self.shared {
                shared.metrics.host_failure();
            }
        }
        Action::Continue
    }

    fn on_log(&mut self) {
        let Some(shared) = &self.shared else { return };
        if self.state == State::Passthrough {
            return;
        }
        shared.metrics.duration(self.micros);
        // Building the line costs more than the rest of this callback; a
        // host that drops info lines (Envoy at `--log-level warning`) would
        // throw it away.
        if !host::logs_info() {
            return;
        }
        log::info!(
            "{}",
            audit::line(&audit::Record {
                request_id: &self.request_id,
                route_name: self.route_name(),
                report: self.report.as_ref(),
                status: self.status,
                sizes: self.sizes,
                micros: self.micros,
            })
        );
    }
}
