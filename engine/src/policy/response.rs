// SPDX-License-Identifier: Apache-2.0
//! Responses: restore this request's placeholders and redact values the
//! model produced, for whole JSON bodies and for SSE streams alike.

use super::output::OutputSanitizer;
use super::text::redact_output;
use crate::config::{Config, Profile, SurfaceKind};
use crate::detect::Scanner;
use crate::payload::{self, TextRole, WalkOptions};
use crate::stream::{
    Chain, DeltaKind, DeltaTransform, Identity, Rehydrator, SseOptions, SseRewriter,
};
use crate::vault::{ValueEscape, Vault};
use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;

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
}

struct WholeContext {
    scanner: Arc<Scanner>,
    config: Arc<Config>,
    session: SessionInner,
}

/// Rewrites one response body, chunk by chunk. The concatenation of every
/// `push` output and the `finish` output is the body the client receives.
pub struct ResponseProcessor {
    mode: Mode,
    limit: usize,
    redactions: Rc<Cell<u64>>,
    oversized: bool,
}

impl std::fmt::Debug for ResponseProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.mode {
            Mode::PassThrough => "pass-through",
            Mode::Sse(_) => "sse",
            Mode::Whole { .. } => "whole",
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
        }
    }

    pub(crate) fn new(
        scanner: Arc<Scanner>,
        config: Arc<Config>,
        session: Session,
        content_type: Option<&str>,
    ) -> Self {
        let Some(session) = session.inner else {
            return Self::pass_through();
        };
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let redactions = Rc::new(Cell::new(0));
        let limit = config.limits.max_response_bytes;
        let mode = if media == "text/event-stream" {
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
        }
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
            Mode::Whole { buf, json, ctx } => {
                let (out, n) = rewrite_whole(&ctx, buf, json);
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
fn rewrite_whole(ctx: &WholeContext, body: Vec<u8>, json: bool) -> (Vec<u8>, u64) {
    let profile = &ctx.session.profile;
    let vault = &ctx.session.vault;
    let mut redacted = 0u64;
    if json && let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(&body) {
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
                (payload::serialize(&doc), redacted)
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
