// SPDX-License-Identifier: Apache-2.0
//! Which payload surface a request path speaks.
//!
//! Paths are compared after normalization, so that a spelling the upstream
//! server resolves to an LLM endpoint cannot slip past as "not an LLM call":
//! the query and fragment are dropped, `%XX` escapes decoded, `\` read as `/`,
//! empty and `.` segments dropped, `..` applied, and ASCII case folded.

use crate::config::{RouteConfig, SurfaceKind};

/// The surface for `path` (which may carry a query string): the first
/// configured route whose `path_prefix` is a prefix of the path, segment by
/// segment (`/mcp` matches `/mcp` and `/mcp/x`, not `/mcpx`), else a built-in
/// endpoint, else `None` (not an LLM call).
///
/// Built-in, exact:
/// - OpenAI Chat: `/v1/chat/completions`, `/chat/completions`,
///   `/openai/v1/chat/completions`, `/openai/deployments/<name>/chat/completions`;
/// - OpenAI Responses: `/v1/responses`, `/v1/responses/input_tokens`,
///   `/openai/v1/responses`, `/openai/responses`;
/// - Anthropic Messages: `/v1/messages`, `/v1/messages/count_tokens`, and both
///   under `/anthropic`.
pub fn surface_for_path(path: &str, routes: &[RouteConfig]) -> Option<SurfaceKind> {
    let segments = normalize(path);
    for route in routes {
        let prefix = normalize(&route.path_prefix);
        if segments.starts_with(&prefix) {
            return Some(route.surface);
        }
    }
    builtin(&segments)
}

const BUILTIN: &[(&[&str], SurfaceKind)] = &[
    (&["v1", "chat", "completions"], SurfaceKind::OpenaiChat),
    (&["chat", "completions"], SurfaceKind::OpenaiChat),
    (
        &["openai", "v1", "chat", "completions"],
        SurfaceKind::OpenaiChat,
    ),
    (&["v1", "responses"], SurfaceKind::OpenaiResponses),
    (
        &["v1", "responses", "input_tokens"],
        SurfaceKind::OpenaiResponses,
    ),
    (&["openai", "v1", "responses"], SurfaceKind::OpenaiResponses),
    (&["openai", "responses"], SurfaceKind::OpenaiResponses),
    (&["v1", "messages"], SurfaceKind::AnthropicMessages),
    (
        &["v1", "messages", "count_tokens"],
        SurfaceKind::AnthropicMessages,
    ),
    (
        &["anthropic", "v1", "messages"],
        SurfaceKind::AnthropicMessages,
    ),
    (
        &["anthropic", "v1", "messages", "count_tokens"],
        SurfaceKind::AnthropicMessages,
    ),
];

fn builtin(segments: &[String]) -> Option<SurfaceKind> {
    let exact = BUILTIN.iter().find(|(pattern, _)| {
        pattern.len() == segments.len() && pattern.iter().zip(segments).all(|(p, s)| p == s)
    });
    if let Some((_, surface)) = exact {
        return Some(*surface);
    }
    // Azure OpenAI: /openai/deployments/<deployment>/chat/completions
    match segments {
        [a, b, _, c, d]
            if a == "openai" && b == "deployments" && c == "chat" && d == "completions" =>
        {
            Some(SurfaceKind::OpenaiChat)
        }
        _ => None,
    }
}

fn normalize(path: &str) -> Vec<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(path);
    let mut segments: Vec<String> = Vec::new();
    for segment in decoded.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s.to_ascii_lowercase()),
        }
    }
    segments
}

/// Decodes `%XX` escapes; invalid escapes stay as they are, invalid UTF-8
/// becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let high = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16));
            let low = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16));
            if let (Some(high), Some(low)) = (high, low) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str, surface: SurfaceKind) -> RouteConfig {
        RouteConfig {
            path_prefix: prefix.to_string(),
            surface,
        }
    }

    #[test]
    fn builtin_paths() {
        let cases: &[(&str, Option<SurfaceKind>)] = &[
            ("/v1/chat/completions", Some(SurfaceKind::OpenaiChat)),
            ("/chat/completions", Some(SurfaceKind::OpenaiChat)),
            (
                "/v1/chat/completions?stream=true",
                Some(SurfaceKind::OpenaiChat),
            ),
            (
                "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
                Some(SurfaceKind::OpenaiChat),
            ),
            ("/openai/v1/chat/completions", Some(SurfaceKind::OpenaiChat)),
            ("/v1/responses", Some(SurfaceKind::OpenaiResponses)),
            (
                "/v1/responses/input_tokens",
                Some(SurfaceKind::OpenaiResponses),
            ),
            (
                "/openai/responses?api-version=preview",
                Some(SurfaceKind::OpenaiResponses),
            ),
            ("/v1/messages", Some(SurfaceKind::AnthropicMessages)),
            (
                "/v1/messages/count_tokens",
                Some(SurfaceKind::AnthropicMessages),
            ),
            (
                "/anthropic/v1/messages",
                Some(SurfaceKind::AnthropicMessages),
            ),
            // Hard negatives: near misses are not LLM calls.
            ("/v1/models", None),
            ("/v1/chat", None),
            ("/v1/chat/completions/extra", None),
            ("/v1/responses/resp_123", None),
            ("/v1/messages/batches", None),
            ("/openai/deployments/chat/completions", None),
            ("/v2/chat/completions", None),
            ("/", None),
            ("", None),
        ];
        for (path, expected) in cases {
            assert_eq!(surface_for_path(path, &[]), *expected, "{path}");
        }
    }

    #[test]
    fn equivalent_spellings_still_match() {
        for path in [
            "/v1/chat/completions/",
            "//v1//chat/completions",
            "/v1/./chat/completions",
            "/v1/x/../chat/completions",
            "/V1/Chat/Completions",
            "/v1/chat%2Fcompletions",
            "/v1/%63hat/completions",
            "\\v1\\chat\\completions",
            "/v1/chat/completions#frag",
        ] {
            assert_eq!(
                surface_for_path(path, &[]),
                Some(SurfaceKind::OpenaiChat),
                "{path}"
            );
        }
    }

    #[test]
    fn configured_routes_come_first_and_match_whole_segments() {
        let routes = [
            route("/mcp", SurfaceKind::Mcp),
            route("/v1/chat/completions", SurfaceKind::Generic),
            route("/tools/", SurfaceKind::Mcp),
        ];
        assert_eq!(surface_for_path("/mcp", &routes), Some(SurfaceKind::Mcp));
        assert_eq!(surface_for_path("/mcp/", &routes), Some(SurfaceKind::Mcp));
        assert_eq!(
            surface_for_path("/mcp/session?x=1", &routes),
            Some(SurfaceKind::Mcp)
        );
        assert_eq!(surface_for_path("/mcpx", &routes), None);
        assert_eq!(
            surface_for_path("/v1/chat/completions", &routes),
            Some(SurfaceKind::Generic)
        );
        assert_eq!(surface_for_path("/tools", &routes), Some(SurfaceKind::Mcp));
        assert_eq!(
            surface_for_path("/v1/messages", &routes),
            Some(SurfaceKind::AnthropicMessages)
        );
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz%41"), "a%zzA");
        assert_eq!(percent_decode("%ff"), "\u{FFFD}");
    }
}
