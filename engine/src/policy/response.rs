// SPDX-License-Identifier: Apache-2.0
//! Responses: restore this request's placeholders and redact values the
//! model produced, for whole JSON bodies and for SSE streams alike.

use super::mcp::McpPolicies;
use super::output::OutputSanitizer;
use super::text::{channel_of, redact_output};
use crate::config::{Action, Config, Profile, ResponseInjectionAction, SurfaceKind};
use crate::detect::Scanner;
use crate::detect::injection::{Assessment, InjectionDetector};
use crate::finding::Category;
use crate::payload::{self, TextRole, WalkOptions};
use crate::stream::sse::{Item, SseParser};
use crate::stream::{
    Chain, DeltaKind, DeltaTransform, Identity, Rehydrator, SseOptions, SseRewriter,
};
use crate::vault::{ValueEscape, Vault};
use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;

/// Engine-wide compiled state a response processor reads.
pub(crate) struct Shared {
    pub scanner: Arc<Scanner>,
    pub config: Arc<Config>,
    pub injection: Arc<InjectionDetector>,
    pub mcp: Arc<McpPolicies>,
}

/// The request-scoped state a response needs: the vault of masked values and
/// the profile's response options. Moved from the request to the response;
/// cloning is cheap (shared vault) for hosts that answer one request several
/// times (retries, the WASI component's session handle).
#[derive(Debug, Default, Clone)]
pub struct Session {
    pub(crate) inner: Option<SessionInner>,
}

#[derive(Debug, Clone)]
pub(crate) struct SessionInner {
    pub vault: Arc<Vault>,
    pub profile: Arc<Profile>,
    pub surface: SurfaceKind,
    /// The `mcp_servers` entry of the request, whose tool list applies.
    pub mcp_server: Option<usize>,
    /// Ids of the `tools/list` requests, whose results are filtered.
    pub tools_list_ids: Vec<serde_json::Value>,
}

impl Session {
    /// A session with nothing to restore or check.
    pub fn none() -> Session {
        Session { inner: None }
    }

    /// Number of values masked in the request.
    pub fn masked_values(&self) -> usize {
        self.inner.as_ref().map_or(0, |s| s.vault.len())
    }

    /// A streaming placeholder restorer for plain text deltas (restores
    /// only; output redaction runs in [`ResponseProcessor`]). `None` when
    /// the request masked nothing that could come back.
    pub fn text_rehydrator(&self) -> Option<Rehydrator<Arc<Vault>>> {
        self.inner
            .as_ref()
            .map(|s| Rehydrator::new(Arc::clone(&s.vault)))
    }
}

/// What the processor does with the response body.
enum Mode {
    /// Forward unchanged.
    PassThrough,
    /// Rewrite SSE events as they arrive.
    Sse(Box<SseRewriter<'static>>),
    /// Collect the body (up to a limit), rewrite it whole at the end.
    Whole {
        buf: Vec<u8>,
        json: bool,
        ctx: WholeContext,
    },
    /// MCP over SSE: every event is one whole JSON-RPC message, rewritten
    /// like a whole JSON body.
    McpSse {
        parser: SseParser,
        ctx: WholeContext,
    },
}

struct WholeContext {
    scanner: Arc<Scanner>,
    config: Arc<Config>,
    injection: Arc<InjectionDetector>,
    mcp: Arc<McpPolicies>,
    session: SessionInner,
}

/// What the MCP response path did, for metrics and audit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct McpResponseStats {
    /// Tools removed from `tools/list` results.
    pub tools_hidden: u64,
    /// Results (tool output, tool lists) with a likely prompt injection.
    pub injections: u64,
    /// Of those, results replaced with a JSON-RPC error.
    pub results_blocked: u64,
}

/// Rewrites one response body, chunk by chunk. The concatenation of every
/// `push` output and the `finish` output is the body the client receives.
pub struct ResponseProcessor {
    mode: Mode,
    limit: usize,
    redactions: Rc<Cell<u64>>,
    oversized: bool,
    mcp_stats: McpResponseStats,
}

impl std::fmt::Debug for ResponseProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.mode {
            Mode::PassThrough => "pass-through",
            Mode::Sse(_) => "sse",
            Mode::Whole { .. } => "whole",
            Mode::McpSse { .. } => "mcp-sse",
        };
        f.debug_struct("ResponseProcessor")
            .field("mode", &mode)
            .finish()
    }
}

impl ResponseProcessor {
    pub(crate) fn pass_through() -> Self {
        ResponseProcessor {
            mode: Mode::PassThrough,
            limit: 0,
            redactions: Rc::new(Cell::new(0)),
            oversized: false,
            mcp_stats: McpResponseStats::default(),
        }
    }

    pub(crate) fn new(shared: Shared, session: Session, content_type: Option<&str>) -> Self {
        let Shared {
            scanner,
            config,
            injection,
            mcp,
        } = shared;
        let Some(session) = session.inner else {
            return Self::pass_through();
        };
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let redactions = Rc::new(Cell::new(0));
        let limit = config.limits.max_response_bytes;
        let mode = if media == "text/event-stream" && session.surface == SurfaceKind::Mcp {
            Mode::McpSse {
                parser: SseParser::new(limit),
                ctx: WholeContext {
                    scanner,
                    config,
                    injection,
                    mcp,
                    session,
                },
            }
        } else if media == "text/event-stream" {
            Mode::Sse(Box::new(sse_rewriter(
                &scanner,
                &session,
                redactions.clone(),
            )))
        } else if media == "application/json"
            || media.ends_with("+json")
            || media.starts_with("text/")
            || media.is_empty()
        {
            Mode::Whole {
                buf: Vec::new(),
                json: !media.starts_with("text/"),
                ctx: WholeContext {
                    scanner,
                    config,
                    injection,
                    mcp,
                    session,
                },
            }
        } else {
            Mode::PassThrough
        };
        ResponseProcessor {
            mode,
            limit,
            redactions,
            oversized: false,
            mcp_stats: McpResponseStats::default(),
        }
    }

    /// What the MCP path did so far (tools hidden, injections handled).
    pub fn mcp_stats(&self) -> McpResponseStats {
        self.mcp_stats
    }

    /// True when the output length may differ from the input's (the
    /// gateway must then drop `content-length`).
    pub fn changes_length(&self) -> bool {
        !matches!(self.mode, Mode::PassThrough)
    }

    /// Values the model produced that were redacted so far.
    pub fn redactions(&self) -> u64 {
        self.redactions.get()
    }

    /// True when a whole body exceeded `limits.max_response_bytes` and was
    /// forwarded without rewriting (placeholders left in place).
    pub fn oversized(&self) -> bool {
        self.oversized
    }

    /// Consumes the next chunk; returns the bytes ready for the client.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        match &mut self.mode {
            Mode::PassThrough => chunk.to_vec(),
            Mode::Sse(rewriter) => rewriter.push(chunk),
            Mode::McpSse { parser, ctx } => {
                let mut out = Vec::with_capacity(chunk.len());
                for item in parser.feed(chunk) {
                    match item {
                        Item::Raw(bytes) | Item::Oversized(bytes) => out.extend_from_slice(&bytes),
                        Item::Event(event) => {
                            let rewritten = event.data().and_then(|data| {
                                let mut value =
                                    payload::parse_value(&data, ctx.config.limits.max_json_depth)?;
                                let mut redacted = 0;
                                let changed = rewrite_mcp(
                                    ctx,
                                    &mut value,
                                    &mut self.mcp_stats,
                                    &mut redacted,
                                );
                                self.redactions.set(self.redactions.get() + redacted);
                                changed.then(|| payload::to_json_string(&value, data.len()))
                            });
                            match rewritten {
                                Some(json) => out.extend_from_slice(&event.with_data(&json)),
                                None => out.extend_from_slice(&event.into_raw()),
                            }
                        }
                    }
                }
                out
            }
            Mode::Whole { buf, .. } => {
                if buf.len() + chunk.len() > self.limit {
                    // Too big to rewrite whole: forward as is. Safe for the
                    // vault (placeholders stay placeholders); counted.
                    let mut out = std::mem::take(buf);
                    out.extend_from_slice(chunk);
                    self.mode = Mode::PassThrough;
                    self.oversized = true;
                    return out;
                }
                buf.extend_from_slice(chunk);
                Vec::new()
            }
        }
    }

    /// Ends the body; returns everything still held.
    pub fn finish(&mut self) -> Vec<u8> {
        match std::mem::replace(&mut self.mode, Mode::PassThrough) {
            Mode::PassThrough => Vec::new(),
            Mode::Sse(mut rewriter) => rewriter.finish(),
            Mode::McpSse { mut parser, .. } => parser.finish().unwrap_or_default(),
            Mode::Whole { buf, json, ctx } => {
                let (out, n) = rewrite_whole(&ctx, buf, json, &mut self.mcp_stats);
                self.redactions.set(self.redactions.get() + n);
                out
            }
        }
    }
}

fn sse_rewriter(
    scanner: &Arc<Scanner>,
    session: &SessionInner,
    redactions: Rc<Cell<u64>>,
) -> SseRewriter<'static> {
    let vault = Arc::clone(&session.vault);
    let profile = Arc::clone(&session.profile);
    let scanner = Arc::clone(scanner);
    let options = SseOptions {
        rehydrate_tool_arguments: true,
        ..SseOptions::default()
    };
    let rehydrate_tools = profile.rehydrate_tool_arguments;
    SseRewriter::new(
        session.surface,
        options,
        Box::new(move |kind| -> Box<dyn DeltaTransform> {
            let sanitize: Box<dyn DeltaTransform> = if profile.sanitize_responses {
                Box::new(OutputSanitizer::new(
                    Arc::clone(&scanner),
                    Arc::clone(&profile),
                    redactions.clone(),
                ))
            } else {
                Box::new(Identity)
            };
            let rehydrate: Box<dyn DeltaTransform> = match kind {
                DeltaKind::Text => Box::new(Rehydrator::new(Arc::clone(&vault))),
                DeltaKind::ToolArguments if rehydrate_tools => Box::new(Rehydrator::with_escape(
                    Arc::clone(&vault),
                    ValueEscape::JsonString,
                )),
                DeltaKind::ToolArguments => Box::new(Identity),
            };
            Box::new(Chain {
                first: sanitize,
                second: rehydrate,
            })
        }),
    )
}

/// Sanitizes then rehydrates a whole body. Returns the body to send and the
/// number of values redacted. Unchanged bodies are returned byte-exact.
fn rewrite_whole(
    ctx: &WholeContext,
    body: Vec<u8>,
    json: bool,
    mcp_stats: &mut McpResponseStats,
) -> (Vec<u8>, u64) {
    let profile = &ctx.session.profile;
    let vault = &ctx.session.vault;
    let mut redacted = 0u64;
    if json
        && ctx.session.surface == SurfaceKind::Mcp
        && let Some(mut doc) = payload::parse_value(&body, ctx.config.limits.max_json_depth)
    {
        let changed = rewrite_mcp(ctx, &mut doc, mcp_stats, &mut redacted);
        return if changed {
            (
                payload::to_json_string(&doc, body.len()).into_bytes(),
                redacted,
            )
        } else {
            (body, redacted)
        };
    }
    if json && let Some(mut doc) = payload::parse_value(&body, ctx.config.limits.max_json_depth) {
        let options = WalkOptions::from_config(&ctx.config);
        let mut changed = false;
        let mut visit = |text: &mut String, field: &payload::Field<'_>| -> Result<(), Infallible> {
            if profile.sanitize_responses {
                let (out, n) = redact_output(&ctx.scanner, profile, text);
                if let Some(out) = out {
                    *text = out;
                    redacted += u64::from(n);
                    changed = true;
                }
            }
            let tool_args = field.role == TextRole::ToolArguments;
            if (!tool_args || profile.rehydrate_tool_arguments)
                && let std::borrow::Cow::Owned(restored) = vault.rehydrate(text)
            {
                *text = restored;
                changed = true;
            }
            Ok(())
        };
        let walked = payload::walk_response(ctx.session.surface, &mut doc, &options, &mut visit);
        if walked.is_ok() {
            return if changed {
                (
                    payload::to_json_string(&doc, body.len()).into_bytes(),
                    redacted,
                )
            } else {
                (body, redacted)
            };
        }
    }
    // Not JSON of the expected shape: treat the bytes as text. In JSON-ish
    // bodies restored values are JSON-escaped so the document stays valid.
    let mut text = match String::from_utf8(body) {
        Ok(text) => text,
        // Binary: nothing we could have put in, nothing to read.
        Err(err) => return (err.into_bytes(), redacted),
    };
    if profile.sanitize_responses {
        let (out, n) = redact_output(&ctx.scanner, profile, &text);
        if let Some(out) = out {
            text = out;
            redacted += u64::from(n);
        }
    }
    let escape = if json {
        ValueEscape::JsonString
    } else {
        ValueEscape::None
    };
    let restored = vault.rehydrate_escaped(&text, escape).into_owned();
    (restored.into_bytes(), redacted)
}

/// Rewrites an MCP response body (a message or a batch): filters
/// `tools/list` results, redacts and restores text, and handles injections
/// in results. True when anything changed.
fn rewrite_mcp(
    ctx: &WholeContext,
    doc: &mut serde_json::Value,
    stats: &mut McpResponseStats,
    redacted: &mut u64,
) -> bool {
    match doc {
        serde_json::Value::Array(batch) => {
            let mut changed = false;
            for message in batch {
                changed |= rewrite_mcp_message(ctx, message, stats, redacted);
            }
            changed
        }
        message => rewrite_mcp_message(ctx, message, stats, redacted),
    }
}

fn rewrite_mcp_message(
    ctx: &WholeContext,
    message: &mut serde_json::Value,
    stats: &mut McpResponseStats,
    redacted: &mut u64,
) -> bool {
    let session = &ctx.session;
    let profile = &session.profile;
    let mut changed = false;
    if let Some(server) = session.mcp_server.and_then(|i| ctx.mcp.get(i))
        && message
            .get("id")
            .is_some_and(|id| session.tools_list_ids.contains(id))
    {
        let hidden = server.filter_tools_list(message);
        if hidden > 0 {
            stats.tools_hidden += hidden as u64;
            changed = true;
        }
    }
    let injection = &profile.injection;
    let mut found: Option<Assessment> = None;
    let options = WalkOptions::from_config(&ctx.config);
    let mut visit = |text: &mut String, field: &payload::Field<'_>| -> Result<(), Infallible> {
        if injection.enabled
            && injection.channels.contains(&channel_of(field.role))
            && let Some(a) = ctx
                .injection
                .assess(text)
                .filter(|a| a.score >= injection.threshold)
            && found.is_none_or(|prev| prev.score < a.score)
        {
            found = Some(a);
        }
        let (text_changed, n) = sanitize_and_restore(ctx, text, field);
        changed |= text_changed;
        *redacted += n;
        Ok(())
    };
    // A message of an unexpected shape is left as the walk left it.
    let _ = payload::walk_response(SurfaceKind::Mcp, message, &options, &mut visit);
    let Some(found) = found else {
        return changed;
    };
    if profile.action_for(Category::Injection, found.kind) == Action::Allow {
        return changed;
    }
    stats.injections += 1;
    let is_result = message.get("result").is_some();
    if injection.responses == ResponseInjectionAction::Block
        && is_result
        && let Some(id) = message.get("id").cloned()
    {
        *message = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {
                "code": -32001,
                "message": format!(
                    "Result withheld by Shroud: it contains a likely prompt injection ({}, score {:.2}).",
                    found.kind, found.score
                ),
                "data": {"code": "shroud_blocked", "categories": {"injection": 1}, "types": {found.kind: 1}}
            }
        });
        stats.results_blocked += 1;
        return true;
    }
    changed
}

/// Output sanitization then placeholder restoration for one response
/// string; returns whether it changed and how many values were redacted.
fn sanitize_and_restore(
    ctx: &WholeContext,
    text: &mut String,
    field: &payload::Field<'_>,
) -> (bool, u64) {
    let profile = &ctx.session.profile;
    let mut changed = false;
    let mut redacted = 0u64;
    if profile.sanitize_responses {
        let (out, n) = redact_output(&ctx.scanner, profile, text);
        if let Some(out) = out {
            *text = out;
            redacted += u64::from(n);
            changed = true;
        }
    }
    let tool_args = field.role == TextRole::ToolArguments;
    if (!tool_args || profile.rehydrate_tool_arguments)
        && let std::borrow::Cow::Owned(restored) = ctx.session.vault.rehydrate(text)
    {
        *text = restored;
        changed = true;
    }
    (changed, redacted)
}
