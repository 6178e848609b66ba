// SPDX-License-Identifier: Apache-2.0
//! WIT types ↔ engine types. Plain field mapping, nothing else.

use crate::bindings::exports::shroud::sanitizer::engine::Request;
use crate::bindings::exports::shroud::sanitizer::types as wit;
use shroud_engine::config::SurfaceKind;
use shroud_engine::{Category, ConfigError, Finding, Report, ReportAction};

/// Offsets and sizes fit in `u32` on wasm32 (a string longer than 4 GiB
/// cannot cross the boundary); saturate rather than wrap all the same.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub fn category(c: Category) -> wit::Category {
    match c {
        Category::Secret => wit::Category::Secret,
        Category::Pii => wit::Category::Pii,
        Category::Corporate => wit::Category::Corporate,
        Category::Injection => wit::Category::Injection,
        Category::Custom => wit::Category::Custom,
    }
}

pub fn finding(f: Finding) -> wit::Finding {
    wit::Finding {
        category: category(f.category),
        kind: f.kind.into_owned(),
        start: to_u32(f.start),
        end: to_u32(f.end),
        byte_start: to_u32(f.byte_start),
        byte_end: to_u32(f.byte_end),
        score: f.score,
    }
}

pub fn surface_in(s: wit::Surface) -> SurfaceKind {
    match s {
        wit::Surface::OpenaiChat => SurfaceKind::OpenaiChat,
        wit::Surface::OpenaiResponses => SurfaceKind::OpenaiResponses,
        wit::Surface::AnthropicMessages => SurfaceKind::AnthropicMessages,
        wit::Surface::Mcp => SurfaceKind::Mcp,
        wit::Surface::Generic => SurfaceKind::Generic,
    }
}

pub fn surface_out(s: SurfaceKind) -> wit::Surface {
    match s {
        SurfaceKind::OpenaiChat => wit::Surface::OpenaiChat,
        SurfaceKind::OpenaiResponses => wit::Surface::OpenaiResponses,
        SurfaceKind::AnthropicMessages => wit::Surface::AnthropicMessages,
        SurfaceKind::Mcp => wit::Surface::Mcp,
        SurfaceKind::Generic => wit::Surface::Generic,
    }
}

fn action(a: ReportAction) -> wit::Action {
    match a {
        ReportAction::Allow => wit::Action::Allow,
        ReportAction::Mask => wit::Action::Mask,
        ReportAction::Redact => wit::Action::Redact,
        ReportAction::Block => wit::Action::Block,
        ReportAction::Error => wit::Action::Error,
    }
}

pub fn report(r: Report) -> wit::Report {
    wit::Report {
        action: action(r.action),
        dry_run: r.dry_run,
        profile: r.profile,
        surface: r.surface.map(surface_out),
        counts: r
            .counts
            .into_iter()
            .map(|(c, kind, count)| wit::TypeCount {
                category: category(c),
                kind,
                count,
            })
            .collect(),
        bytes_scanned: u64::try_from(r.bytes_scanned).unwrap_or(u64::MAX),
        error: r.error,
    }
}

pub fn config_error(e: ConfigError) -> wit::ConfigError {
    wit::ConfigError {
        path: e.path,
        message: e.message,
    }
}

/// Header names lower-cased, as the engine's profile rules expect.
pub fn headers(req: &Request) -> Vec<(String, String)> {
    req.headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}
