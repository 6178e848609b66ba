// SPDX-License-Identifier: Apache-2.0
//! MCP tool policy: which server a request goes to, which tools it may call
//! (and see in `tools/list`), and what their arguments may contain.
//!
//! Only `tools/call` requests are checked; `initialize`, notifications,
//! `*/list` requests and every other method pass untouched. A batch with one
//! refused call is refused as a whole (each request id gets the error).

use super::select::{RequestInfo, authority_matches};
use crate::config::{ArgumentRule, Config, ForbiddenSet, McpServerConfig};
use crate::detect::pattern;
use crate::error::ConfigError;
use crate::glob;
use regex::Regex;
use serde_json::Value;

/// Destructive shell commands (`destructive_shell`). Written for this
/// project; whitespace and flag order vary, so the patterns are loose.
const DESTRUCTIVE_SHELL: &[&str] = &[
    r"(?i)\brm\s+(-[a-z-]+\s+)*-[a-z]*r[a-z]*\s+(-[a-z-]+\s+)*(/|~|\*|/\*|\$home)(\s|$|;|&|\|)",
    r"(?i)\brm\s+(-[a-z]*\s+)*--recursive\s+(--force\s+)?(/|~|\*)(\s|$)",
    r"(?i)\bmkfs(\.[a-z0-9]+)?\s+/dev/",
    r"(?i)\bdd\s+[^|;&]*\bof=/dev/(sd|hd|nvme|xvd|vd|disk)",
    r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:",
    r"(?i)>\s*/dev/(sd[a-z]|nvme\d|hd[a-z])\b",
    r"(?i)\bchmod\s+(-[a-z]+\s+)*-?r?\s*0?777\s+/(\s|$)",
    r"(?i)\b(shutdown|halt|poweroff)\s+(-[a-z]+\s+)*(now|-h)\b",
    r"(?i)\bgit\s+push\s+(\S+\s+)*(--force|-f)\b.*\b(main|master)\b",
];

/// Destructive SQL (`destructive_sql`).
const DESTRUCTIVE_SQL: &[&str] = &[
    r"(?i)\bdrop\s+(table|database|schema|index|view|user)\b",
    r"(?i)\btruncate\s+(table\s+)?[a-z_`\x22\[]",
    r"(?i)\bdelete\s+from\s+[a-z0-9_.`\x22\[\]]+\s*(;|$)",
    r"(?i)\bupdate\s+[a-z0-9_.`\x22\[\]]+\s+set\s+[^;]*?(;|$)",
    r"(?i)\balter\s+table\s+\S+\s+drop\b",
];

/// One server's compiled policy.
#[derive(Debug)]
pub(crate) struct McpServer {
    pub config: McpServerConfig,
    rules: Vec<CompiledRule>,
}

#[derive(Debug)]
struct CompiledRule {
    tools: Vec<String>,
    max_bytes: Option<usize>,
    /// (name for messages, regex).
    patterns: Vec<(String, Regex)>,
    deny_fields: Vec<String>,
}

/// Every server policy of a configuration, compiled once.
#[derive(Debug, Default)]
pub(crate) struct McpPolicies {
    servers: Vec<McpServer>,
}

/// Why a `tools/call` was refused. Names tools, fields and rules, never
/// argument values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Stable id for reports: `mcp_tool_denied`, `mcp_arguments_too_large`,
    /// `mcp_forbidden_pattern`, `mcp_denied_field`.
    pub rule: &'static str,
    /// For the client.
    pub message: String,
}

impl McpPolicies {
    pub(crate) fn build(config: &Config) -> Result<McpPolicies, ConfigError> {
        let mut servers = Vec::with_capacity(config.mcp_servers.len());
        for (i, server) in config.mcp_servers.iter().enumerate() {
            let mut rules = Vec::with_capacity(server.arguments.len());
            for (j, rule) in server.arguments.iter().enumerate() {
                rules.push(compile_rule(
                    rule,
                    &format!("mcp_servers[{i}].arguments[{j}]"),
                )?);
            }
            servers.push(McpServer {
                config: server.clone(),
                rules,
            });
        }
        Ok(McpPolicies { servers })
    }

    /// Index of the first server whose match and profiles fit the request.
    pub(crate) fn select(&self, req: &RequestInfo<'_>, profile: &str) -> Option<usize> {
        let path = req.path.split('?').next().unwrap_or("");
        self.servers.iter().position(|s| {
            let m = &s.config.when;
            m.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                && m.authority
                    .as_deref()
                    .is_none_or(|glob| authority_matches(glob, req.authority))
                && (s.config.profiles.is_empty() || s.config.profiles.iter().any(|p| p == profile))
        })
    }

    pub(crate) fn get(&self, index: usize) -> Option<&McpServer> {
        self.servers.get(index)
    }
}

fn compile_rule(rule: &ArgumentRule, path: &str) -> Result<CompiledRule, ConfigError> {
    let mut patterns = Vec::new();
    for set in &rule.forbidden {
        let (name, sources) = match set {
            ForbiddenSet::DestructiveShell => ("destructive_shell", DESTRUCTIVE_SHELL),
            ForbiddenSet::DestructiveSql => ("destructive_sql", DESTRUCTIVE_SQL),
        };
        for source in sources {
            patterns.push((name.to_string(), pattern::compile(source, path)?));
        }
    }
    for (k, source) in rule.forbidden_patterns.iter().enumerate() {
        let p = format!("{path}.forbidden_patterns[{k}]");
        patterns.push((
            format!("forbidden_patterns[{k}]"),
            pattern::compile(source, &p)?,
        ));
    }
    Ok(CompiledRule {
        tools: rule.tools.clone(),
        max_bytes: rule.max_bytes,
        patterns,
        deny_fields: rule.deny_fields.clone(),
    })
}

impl McpServer {
    /// True when `tool` may be called (and listed).
    pub(crate) fn allows(&self, tool: &str) -> bool {
        let rules = &self.config.tools;
        (rules.allow.is_empty() || glob::any(&rules.allow, tool)) && !glob::any(&rules.deny, tool)
    }

    /// Every violation in a request body (one message or a batch).
    pub(crate) fn check_request(&self, doc: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        match doc {
            Value::Array(batch) => batch.iter().for_each(|m| self.check_message(m, &mut out)),
            message => self.check_message(message, &mut out),
        }
        out
    }

    fn check_message(&self, message: &Value, out: &mut Vec<Violation>) {
        if message.get("method").and_then(Value::as_str) != Some("tools/call") {
            return;
        }
        let params = message.get("params");
        let Some(tool) = params.and_then(|p| p.get("name")).and_then(Value::as_str) else {
            return; // shape errors are the validator's
        };
        let server = &self.config.name;
        if !self.allows(tool) {
            out.push(Violation {
                rule: "mcp_tool_denied",
                message: format!("tool {tool:?} is not allowed on MCP server {server:?}"),
            });
            return;
        }
        let Some(arguments) = params.and_then(|p| p.get("arguments")) else {
            return;
        };
        for rule in self.rules.iter().filter(|r| glob::any(&r.tools, tool)) {
            if let Some(max) = rule.max_bytes {
                let size = serde_json::to_vec(arguments).map_or(0, |v| v.len());
                if size > max {
                    out.push(Violation {
                        rule: "mcp_arguments_too_large",
                        message: format!(
                            "arguments of tool {tool:?} are {size} bytes, over the {max}-byte limit"
                        ),
                    });
                }
            }
            let mut fields = Vec::new();
            denied_fields(arguments, &rule.deny_fields, &mut fields);
            for field in fields {
                out.push(Violation {
                    rule: "mcp_denied_field",
                    message: format!("tool {tool:?} may not be called with field {field:?}"),
                });
            }
            let mut hit: Option<&str> = None;
            each_string(arguments, &mut |s| {
                if hit.is_none() {
                    hit = rule
                        .patterns
                        .iter()
                        .find(|(_, re)| re.is_match(s))
                        .map(|(name, _)| name.as_str());
                }
            });
            if let Some(name) = hit {
                out.push(Violation {
                    rule: "mcp_forbidden_pattern",
                    message: format!("arguments of tool {tool:?} match forbidden pattern {name}"),
                });
            }
        }
    }

    /// Removes tools the policy does not allow from a `tools/list` result;
    /// returns how many were removed.
    pub(crate) fn filter_tools_list(&self, message: &mut Value) -> usize {
        let Some(Value::Array(tools)) = message.pointer_mut("/result/tools") else {
            return 0;
        };
        let before = tools.len();
        tools.retain(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| self.allows(name))
        });
        before - tools.len()
    }
}

/// Keys of `deny` that occur anywhere in `value`.
fn denied_fields(value: &Value, deny: &[String], out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if deny.iter().any(|d| d == key) && !out.contains(key) {
                    out.push(key.clone());
                }
                denied_fields(v, deny, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| denied_fields(v, deny, out)),
        _ => {}
    }
}

fn each_string(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Object(map) => map.values().for_each(|v| each_string(v, f)),
        Value::Array(items) => items.iter().for_each(|v| each_string(v, f)),
        _ => {}
    }
}

/// Ids of the `method` requests in a body, for matching their responses.
pub(crate) fn request_ids(doc: &Value, method: &str) -> Vec<Value> {
    let one = |m: &Value| {
        (m.get("method").and_then(Value::as_str) == Some(method))
            .then(|| m.get("id").cloned())
            .flatten()
    };
    match doc {
        Value::Array(batch) => batch.iter().filter_map(one).collect(),
        message => one(message).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server(json: &str) -> McpServer {
        let config = Config::from_json(json.as_bytes()).unwrap();
        let mut p = McpPolicies::build(&config).unwrap();
        p.servers.remove(0)
    }

    fn call(tool: &str, arguments: Value) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
    }

    const CFG: &str = r#"{"mcp_servers": [{"name": "fs", "match": {"path_prefix": "/mcp"},
        "tools": {"allow": ["read_*", "list_*", "run_*", "query"], "deny": ["read_secret*"]},
        "arguments": [
          {"tools": ["run_*"], "forbidden": ["destructive_shell"], "max_bytes": 200},
          {"tools": ["query"], "forbidden": ["destructive_sql"], "deny_fields": ["raw"]},
          {"forbidden_patterns": ["(?i)internal-only"]}
        ]}]}"#;

    #[test]
    fn allow_and_deny_globs() {
        let s = server(CFG);
        for (tool, ok) in [
            ("read_file", true),
            ("list_dir", true),
            ("read_secrets", false),
            ("write_file", false),
            ("query", true),
        ] {
            assert_eq!(s.allows(tool), ok, "{tool}");
            let v = s.check_request(&call(tool, json!({})));
            assert_eq!(v.is_empty(), ok, "{tool}: {v:?}");
        }
    }

    #[test]
    fn destructive_commands_are_refused_and_ordinary_ones_pass() {
        let s = server(CFG);
        let bad = [
            "rm -rf /",
            "sudo rm -rf / --no-preserve-root",
            "rm -fr ~",
            "rm -r -f /*",
            "mkfs.ext4 /dev/sda1",
            "dd if=/dev/zero of=/dev/sda bs=1M",
            ":(){ :|:& };:",
        ];
        for cmd in bad {
            let v = s.check_request(&call("run_shell", json!({"cmd": cmd})));
            assert_eq!(v.len(), 1, "{cmd}: {v:?}");
            assert_eq!(v[0].rule, "mcp_forbidden_pattern");
            assert!(!v[0].message.contains(cmd));
        }
        for cmd in [
            "rm -rf ./build",
            "ls -la /",
            "rm file.txt",
            "cargo test",
            "rm -rf target/",
        ] {
            assert!(
                s.check_request(&call("run_shell", json!({"cmd": cmd})))
                    .is_empty(),
                "{cmd}"
            );
        }
    }

    #[test]
    fn destructive_sql_is_refused() {
        let s = server(CFG);
        for sql in [
            "DROP TABLE users;",
            "truncate table audit",
            "DELETE FROM accounts;",
            "update users set admin = 1",
        ] {
            assert!(
                !s.check_request(&call("query", json!({"sql": sql})))
                    .is_empty(),
                "{sql}"
            );
        }
        for sql in [
            "SELECT * FROM users WHERE id = 1",
            "DELETE FROM sessions WHERE expires < now()",
            "select 'drop' as word",
        ] {
            assert!(
                s.check_request(&call("query", json!({"sql": sql})))
                    .is_empty(),
                "{sql}"
            );
        }
    }

    #[test]
    fn size_fields_and_custom_patterns() {
        let s = server(CFG);
        let big = "x".repeat(300);
        let v = s.check_request(&call("run_job", json!({"script": big})));
        assert_eq!(v[0].rule, "mcp_arguments_too_large");
        let v = s.check_request(&call(
            "query",
            json!({"opts": {"raw": true}, "sql": "select 1"}),
        ));
        assert_eq!(v[0].rule, "mcp_denied_field");
        let v = s.check_request(&call("read_file", json!({"path": "docs/INTERNAL-ONLY.md"})));
        assert_eq!(v[0].rule, "mcp_forbidden_pattern");
    }

    #[test]
    fn other_methods_and_notifications_pass() {
        let s = server(CFG);
        for msg in [
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
            json!({"jsonrpc": "2.0", "id": 3, "result": {}}),
        ] {
            assert!(s.check_request(&msg).is_empty());
        }
        let batch = json!([call("read_file", json!({})), call("delete_all", json!({}))]);
        assert_eq!(s.check_request(&batch).len(), 1);
    }

    #[test]
    fn tools_list_is_filtered() {
        let s = server(CFG);
        let mut msg = json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [
            {"name": "read_file"}, {"name": "delete_all"}, {"name": "read_secrets"}, {"noname": 1}
        ]}});
        assert_eq!(s.filter_tools_list(&mut msg), 3);
        assert_eq!(msg["result"]["tools"], json!([{"name": "read_file"}]));
    }

    #[test]
    fn selection_by_path_authority_and_profile() {
        let config = Config::from_json(
            br#"{"profiles": {"agents": {}},
                "mcp_servers": [
                  {"name": "a", "match": {"path_prefix": "/mcp/a"}, "profiles": ["agents"]},
                  {"name": "a-all", "match": {"path_prefix": "/mcp/a"}},
                  {"name": "b", "match": {"authority": "*.tools.example"}}]}"#,
        )
        .unwrap();
        let p = McpPolicies::build(&config).unwrap();
        let req = |path, authority| RequestInfo {
            path,
            authority,
            ..Default::default()
        };
        assert_eq!(p.select(&req("/mcp/a?x", ""), "agents"), Some(0));
        assert_eq!(p.select(&req("/mcp/a", ""), "default"), Some(1));
        assert_eq!(
            p.select(&req("/mcp", "x.tools.example:443"), "default"),
            Some(2)
        );
        assert_eq!(p.select(&req("/mcp", "other"), "default"), None);
    }

    #[test]
    fn bad_pattern_names_its_path() {
        let config = Config::from_json(
            br#"{"mcp_servers": [{"name": "a", "match": {"path_prefix": "/m"},
                 "arguments": [{"forbidden_patterns": ["("]}]}]}"#,
        )
        .unwrap();
        let err = McpPolicies::build(&config).unwrap_err();
        assert_eq!(
            err.path,
            "mcp_servers[0].arguments[0].forbidden_patterns[0]"
        );
    }
}
