// SPDX-License-Identifier: Apache-2.0
//! Which profile applies to a request: the route's own choice, then the
//! first matching `profile_rules` entry, then `default`.

use crate::config::{Config, DEFAULT_PROFILE, RuleMatch};
use std::cell::OnceCell;

/// What the gateway knows about a request before its body arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestInfo<'a> {
    /// `:path`, query string included.
    pub path: &'a str,
    /// `:authority` / `host`.
    pub authority: &'a str,
    /// Request headers with lower-case names.
    pub headers: &'a [(String, String)],
    /// Envoy route name (`xds.route_name`), when the host has one; only
    /// read when [`Config::matches_route_names`].
    pub route_name: Option<&'a str>,
    /// Profile named by the route's metadata (`filter_metadata.shroud.profile`).
    pub route_profile: Option<&'a str>,
}

impl RequestInfo<'_> {
    /// First value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The caller's API key: `authorization: Bearer …` or `x-api-key`.
    fn api_key(&self) -> Option<&str> {
        if let Some(value) = self.header("authorization") {
            let value = value.trim();
            if let Some(key) = value
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .and_then(|_| value.get(7..))
            {
                return Some(key.trim());
            }
        }
        self.header("x-api-key").map(str::trim)
    }
}

/// The profile name for `req`. A route-chosen name is returned even when it
/// does not exist, so that the request fails closed instead of silently
/// falling back to a weaker profile.
pub(crate) fn select_profile(config: &Config, req: &RequestInfo<'_>) -> String {
    if let Some(name) = req.route_profile.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let key_hash = OnceCell::new();
    config
        .profile_rules
        .iter()
        .find(|rule| matches(&rule.when, req, &key_hash))
        .map_or_else(|| DEFAULT_PROFILE.to_string(), |rule| rule.profile.clone())
}

/// Index of the first `profile_rules` entry that matches `req` (why
/// [`select_profile`] chose its profile, for `shroud explain`).
pub(crate) fn matching_rule(config: &Config, req: &RequestInfo<'_>) -> Option<usize> {
    let key_hash = OnceCell::new();
    config
        .profile_rules
        .iter()
        .position(|rule| matches(&rule.when, req, &key_hash))
}

/// `key_hash` is the SHA-256 of the caller's API key, computed by the first
/// rule that asks for it: most configurations never do, and every LLM
/// request carries a key.
fn matches(m: &RuleMatch, req: &RequestInfo<'_>, key_hash: &OnceCell<Option<String>>) -> bool {
    let path = req.path.split('?').next().unwrap_or("");
    m.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        && m.authority
            .as_deref()
            .is_none_or(|glob| authority_matches(glob, req.authority))
        && m.header
            .as_ref()
            .is_none_or(|h| req.header(&h.name.to_ascii_lowercase()) == Some(h.value.as_str()))
        && (m.api_key_sha256.is_empty()
            || key_hash
                .get_or_init(|| req.api_key().map(crate::hash::sha256_hex))
                .as_deref()
                .is_some_and(|k| m.api_key_sha256.iter().any(|h| h == k)))
        && m.route_name
            .as_deref()
            .is_none_or(|r| req.route_name == Some(r))
}

/// `*.example.com` matches any subdomain (and not `example.com` itself);
/// anything else must equal the host, case-insensitively. A port is ignored.
pub(crate) fn authority_matches(glob: &str, authority: &str) -> bool {
    let host = strip_port(authority).to_ascii_lowercase();
    let glob = glob.to_ascii_lowercase();
    match glob.strip_prefix("*.") {
        Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
        None => host == glob,
    }
}

fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        // [v6]:port
        return authority
            .split(']')
            .next()
            .map_or(authority, |h| h.trim_start_matches('['));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Config {
        Config::from_json(json.as_bytes()).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const RULES: &str = r#"{
        "profiles": {"strict": {}, "finance": {}, "ci": {}, "edge": {}},
        "profile_rules": [
            {"profile": "finance", "match": {"header": {"name": "X-Team", "value": "finance"}}},
            {"profile": "ci", "match": {"api_key_sha256": ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]}},
            {"profile": "edge", "match": {"authority": "*.edge.example.com", "path_prefix": "/v1/"}},
            {"profile": "strict", "match": {"path_prefix": "/v1/messages"}}
        ]
    }"#;

    #[test]
    fn rules_apply_in_order_and_default_is_the_fallback() {
        let cfg = config(RULES);
        let h = headers(&[("x-team", "finance")]);
        let req = RequestInfo {
            path: "/v1/messages",
            headers: &h,
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "finance");
        let req = RequestInfo {
            path: "/v1/messages?beta=1",
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "strict");
        let req = RequestInfo {
            path: "/v1/chat/completions",
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "default");
    }

    #[test]
    fn api_key_is_matched_by_hash_only() {
        let cfg = config(RULES);
        // sha256("test")
        for h in [
            headers(&[("authorization", "Bearer test")]),
            headers(&[("x-api-key", "test")]),
        ] {
            let req = RequestInfo {
                path: "/v1/chat/completions",
                headers: &h,
                ..Default::default()
            };
            assert_eq!(select_profile(&cfg, &req), "ci");
        }
        let h = headers(&[("authorization", "Bearer other")]);
        let req = RequestInfo {
            path: "/x",
            headers: &h,
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "default");
    }

    #[test]
    fn authority_glob_needs_a_subdomain_and_ignores_the_port() {
        let cfg = config(RULES);
        let req = RequestInfo {
            path: "/v1/x",
            authority: "a.edge.example.com:8443",
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "edge");
        let req = RequestInfo {
            path: "/v1/x",
            authority: "edge.example.com",
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "default");
        let req = RequestInfo {
            path: "/v1/x",
            authority: "evil-edge.example.com.attacker",
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "default");
    }

    #[test]
    fn route_metadata_wins_even_when_unknown() {
        let cfg = config(RULES);
        let req = RequestInfo {
            path: "/v1/messages",
            route_profile: Some("nope"),
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "nope");
    }

    #[test]
    fn route_names_are_asked_for_only_when_a_rule_matches_on_them() {
        assert!(!config(RULES).matches_route_names());
        let cfg = config(
            r#"{"profiles": {"strict": {}},
                "profile_rules": [
                    {"profile": "strict", "match": {"path_prefix": "/v1/"}},
                    {"profile": "strict", "match": {"route_name": "llm"}}]}"#,
        );
        assert!(cfg.matches_route_names());
        let req = RequestInfo {
            path: "/mcp",
            route_name: Some("llm"),
            ..Default::default()
        };
        assert_eq!(select_profile(&cfg, &req), "strict");
    }
}
