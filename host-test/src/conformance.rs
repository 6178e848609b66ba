// SPDX-License-Identifier: Apache-2.0
//! The conformance corpus (`tests/conformance/<area>/*.json`, format in
//! `tests/conformance/README.md`) and its runners: `host` plays each case
//! through `shroud_filter.wasm` in [`ProxyHost`], `native` through the
//! engine API directly. `tests/e2e/test_conformance.py` replays the same
//! files through real Envoy.

use crate::proxy::{self, Exchange, Pairs, ProxyHost, Request, UpstreamRequest, UpstreamResponse};
use serde::Deserialize;
use serde_json::{Map, Value};
use shroud_engine::{Engine, RequestInfo, RequestOutcome};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The areas, in report order.
pub const AREAS: [&str; 8] = [
    "surfaces",
    "actions",
    "streaming",
    "errors",
    "limits",
    "metrics",
    "mcp",
    "adversarial",
];
/// The route name the host reports (`envoy-config/envoy.yaml` names it so).
pub const ROUTE_NAME: &str = "llm";

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    pub description: String,
    /// A name in `tests/conformance/configs/` or an inline configuration.
    #[serde(default = "default_config")]
    pub config: Value,
    /// Route metadata `filter_metadata.shroud.profile`; absent (or `""`) as
    /// in the shipped `envoy-config/envoy.yaml`, where `profile_rules` pick.
    #[serde(default)]
    pub route_profile: Option<String>,
    pub request: RequestSpec,
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    pub expect: ExpectSpec,
}

fn default_config() -> Value {
    Value::String("default".into())
}

fn default_method() -> String {
    "POST".into()
}

fn default_status() -> u16 {
    200
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    /// Defaults to `{"content-type": "application/json"}`.
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    /// One chunk: a string as is, anything else as compact JSON.
    #[serde(default)]
    pub body: Option<Value>,
    /// Explicit body chunks (sent chunked).
    #[serde(default)]
    pub chunks: Option<Vec<String>>,
    #[serde(default)]
    pub trailers: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    /// One chunk (string as is, else compact JSON); a template.
    #[serde(default)]
    pub body: Option<Value>,
    /// Explicit chunks; each a template.
    #[serde(default)]
    pub chunks: Option<Vec<String>>,
}

/// Checks on a message (what the upstream or the client received).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body_contains: Vec<String>,
    #[serde(default)]
    pub body_not_contains: Vec<String>,
    #[serde(default)]
    pub body_exact: Option<String>,
    /// The body parses as JSON equal to this.
    #[serde(default)]
    pub body_json: Option<Value>,
    /// Header values that must be present exactly.
    #[serde(default)]
    pub headers: Map<String, Value>,
    #[serde(default)]
    pub headers_absent: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// `"none"`: no complete request may reach the upstream; an object:
    /// checks on what it received (and it must receive it).
    #[serde(default)]
    pub upstream: Option<Value>,
    /// The filter answered locally (implies upstream `"none"`).
    #[serde(default)]
    pub local_reply: Option<Checks>,
    /// What the client receives (local reply or upstream answer).
    #[serde(default)]
    pub client: Option<Checks>,
    /// Counter deltas by metric name (without Envoy's `wasmcustom.`).
    #[serde(default)]
    pub metrics: BTreeMap<String, i64>,
    #[serde(default)]
    pub log_contains: Vec<String>,
    #[serde(default)]
    pub log_not_contains: Vec<String>,
}

/// A loaded case.
#[derive(Debug, Clone)]
pub struct Case {
    pub area: String,
    pub name: String,
    pub spec: CaseSpec,
    /// The plugin configuration bytes.
    pub config: Vec<u8>,
}

impl Case {
    pub fn id(&self) -> String {
        format!("{}/{}", self.area, self.name)
    }
}

/// Loads every case under `dir` (`<area>/<name>.json`), sorted.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut areas: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "configs"))
        .collect();
    areas.sort();
    for area_dir in areas {
        let area = file_stem(&area_dir);
        let mut files: Vec<PathBuf> = read_dir(&area_dir)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let spec: CaseSpec =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let config = match &spec.config {
                Value::String(name) => {
                    let path = dir.join("configs").join(format!("{name}.json"));
                    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?
                }
                inline => serde_json::to_vec(inline).map_err(|e| e.to_string())?,
            };
            cases.push(Case {
                area: area.clone(),
                name: file_stem(&file),
                spec,
                config,
            });
        }
    }
    Ok(cases)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `skip.toml`: runner → case id → reason.
pub type Skips = BTreeMap<String, BTreeMap<String, String>>;

pub fn load_skips(dir: &Path) -> Result<Skips, String> {
    let path = dir.join("skip.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(_) => Ok(Skips::new()),
    }
}

/// The corpus directory of this repository.
pub fn default_cases_dir() -> PathBuf {
    crate::paths::workspace_root()
        .join("tests")
        .join("conformance")
}

/// Where `scripts/build-filter` puts the filter (see [`crate::paths`]).
pub fn default_filter_path() -> PathBuf {
    crate::paths::filter_wasm()
}

// ---- building the request and the scripted response -----------------------

fn pairs(map: &Map<String, Value>) -> Pairs {
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.to_ascii_lowercase(), v)
        })
        .collect()
}

fn body_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The request as the gateway receives it (HTTP/1.1 client semantics: one
/// chunk has `content-length`, several are chunked).
pub fn build_request(spec: &RequestSpec) -> Request {
    let mut headers: Pairs = vec![
        (":method".into(), spec.method.clone()),
        (":path".into(), spec.path.clone()),
        (":authority".into(), "localhost".into()),
        (":scheme".into(), "http".into()),
    ];
    let given = match &spec.headers {
        Some(map) => pairs(map),
        None => vec![("content-type".into(), "application/json".into())],
    };
    if let Some((_, host)) = given.iter().find(|(k, _)| k == "host")
        && let Some(authority) = headers.get_mut(2)
    {
        authority.1 = host.clone();
    }
    headers.extend(given.into_iter().filter(|(k, _)| k != "host"));
    let chunks: Vec<Vec<u8>> = match (&spec.chunks, &spec.body) {
        (Some(chunks), _) => chunks.iter().map(|c| c.as_bytes().to_vec()).collect(),
        (None, Some(body)) => vec![body_text(body).into_bytes()],
        (None, None) => Vec::new(),
    };
    if spec.chunks.is_none() && !chunks.is_empty() {
        let len: usize = chunks.iter().map(Vec::len).sum();
        headers.push(("content-length".into(), len.to_string()));
    }
    Request {
        headers,
        chunks,
        trailers: pairs(&spec.trailers),
    }
}

/// The upstream's answer to `received`, templates expanded. Like the mock
/// upstream: one non-SSE chunk has `content-length`, anything else is chunked.
pub fn build_response(
    spec: Option<&ResponseSpec>,
    received: &[u8],
) -> Result<UpstreamResponse, String> {
    let default = ResponseSpec {
        status: 200,
        headers: None,
        body: Some(Value::String("{}".into())),
        chunks: None,
    };
    let spec = spec.unwrap_or(&default);
    let templates: Vec<String> = match (&spec.chunks, &spec.body) {
        (Some(chunks), _) => chunks.clone(),
        (None, Some(body)) => vec![body_text(body)],
        (None, None) => Vec::new(),
    };
    let upstream: Value = serde_json::from_slice(received).unwrap_or(Value::Null);
    let chunks = templates
        .iter()
        .map(|t| render(t, &upstream).map(String::into_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = match &spec.headers {
        Some(map) => pairs(map),
        None => vec![("content-type".into(), "application/json".into())],
    };
    let sse = headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.starts_with("text/event-stream"));
    if chunks.len() <= 1 && !sse {
        let len: usize = chunks.iter().map(Vec::len).sum();
        headers.push(("content-length".into(), len.to_string()));
    }
    Ok(UpstreamResponse {
        status: spec.status,
        headers,
        chunks,
        trailers: Vec::new(),
    })
}

/// Expands `{{upstream.PATH}}` and `{{upstream.PATH|chars:A:B}}` against
/// the JSON the upstream received. PATH is dotted keys with `[i]` indices
/// (negative from the end). A string value is inserted JSON-escaped
/// without quotes (templates sit inside JSON strings); `chars:A:B` takes
/// characters A..B of it (B may be empty: to the end). Other values are
/// inserted as JSON.
pub fn render(template: &str, upstream: &Value) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 2..).unwrap_or_default();
        let close = after
            .find("}}")
            .ok_or_else(|| format!("unclosed {{{{ in template {template:?}"))?;
        let expr = after.get(..close).unwrap_or_default().trim();
        out.push_str(&expand(expr, upstream)?);
        rest = after.get(close + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(expr: &str, upstream: &Value) -> Result<String, String> {
    let (path, filter) = match expr.split_once('|') {
        Some((p, f)) => (p.trim(), Some(f.trim())),
        None => (expr, None),
    };
    let path = path
        .strip_prefix("upstream.")
        .ok_or_else(|| format!("template {expr:?}: paths start with `upstream.`"))?;
    let value =
        lookup(upstream, path).ok_or_else(|| format!("template {expr:?}: no such value"))?;
    let text = match (value, filter) {
        (Value::String(s), None) => s.clone(),
        (Value::String(s), Some(f)) => {
            let range = f
                .strip_prefix("chars:")
                .ok_or_else(|| format!("template {expr:?}: unknown filter {f:?}"))?;
            let (a, b) = range
                .split_once(':')
                .ok_or_else(|| format!("template {expr:?}: chars:A:B"))?;
            let count = s.chars().count();
            let a: usize = a
                .parse()
                .map_err(|_| format!("template {expr:?}: bad start"))?;
            let b: usize = if b.is_empty() {
                count
            } else {
                b.parse()
                    .map_err(|_| format!("template {expr:?}: bad end"))?
            };
            s.chars().skip(a).take(b.saturating_sub(a)).collect()
        }
        (other, _) => return Ok(other.to_string()),
    };
    let quoted = Value::String(text).to_string();
    Ok(quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string())
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = root;
    for segment in path.split('.') {
        let (key, mut indices) = match segment.find('[') {
            Some(at) => (segment.get(..at)?, segment.get(at..)?),
            None => (segment, ""),
        };
        if !key.is_empty() {
            value = value.get(key)?;
        }
        while let Some(rest) = indices.strip_prefix('[') {
            let end = rest.find(']')?;
            let index: i64 = rest.get(..end)?.parse().ok()?;
            let array = value.as_array()?;
            let at = if index < 0 {
                array.len().checked_sub(index.unsigned_abs() as usize)?
            } else {
                index as usize
            };
            value = array.get(at)?;
            indices = rest.get(end + 1..)?;
        }
    }
    Some(value)
}

// ---- outcomes ---------------------------------------------------------------

/// What one runner observed for one case, in runner-neutral terms.
#[derive(Debug, Default)]
pub struct Observed {
    /// `Some` only when a complete request reached the upstream.
    pub upstream: Option<UpstreamRequest>,
    pub local_reply: bool,
    pub client_status: u16,
    /// `None`: this runner does not see headers.
    pub client_headers: Option<Pairs>,
    /// Whether `upstream.headers` are what the upstream really received.
    pub upstream_headers_observed: bool,
    pub client_body: Vec<u8>,
    /// `None`: this runner cannot observe metrics.
    pub metrics: Option<BTreeMap<String, i64>>,
    pub logs: Option<Vec<String>>,
}

/// A case's verdict.
#[derive(Debug)]
pub enum Verdict {
    Pass,
    Fail(Vec<String>),
    Skip(String),
}

fn check_message(
    what: &str,
    checks: &Checks,
    status: Option<u16>,
    headers: Option<&Pairs>,
    body: &[u8],
    errors: &mut Vec<String>,
) {
    let text = String::from_utf8_lossy(body);
    if let (Some(want), Some(got)) = (checks.status, status)
        && want != got
    {
        errors.push(format!("{what}: status {got}, expected {want}"));
    }
    for needle in &checks.body_contains {
        if !text.contains(needle.as_str()) {
            errors.push(format!(
                "{what}: body lacks {needle:?}; body: {}",
                clip(&text)
            ));
        }
    }
    for needle in &checks.body_not_contains {
        if text.contains(needle.as_str()) {
            errors.push(format!(
                "{what}: body contains {needle:?}; body: {}",
                clip(&text)
            ));
        }
    }
    if let Some(exact) = &checks.body_exact
        && text != exact.as_str()
    {
        errors.push(format!("{what}: body is {text:?}, expected {exact:?}"));
    }
    if let Some(want) = &checks.body_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(got) if got == *want => {}
            Ok(got) => errors.push(format!("{what}: JSON body is {got}, expected {want}")),
            Err(e) => errors.push(format!("{what}: body is not JSON ({e}): {}", clip(&text))),
        }
    }
    if let Some(headers) = headers {
        for (name, want) in pairs(&checks.headers) {
            let got = headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
            if got != Some(&want) {
                errors.push(format!(
                    "{what}: header {name} is {got:?}, expected {want:?}"
                ));
            }
        }
        for name in &checks.headers_absent {
            let name = name.to_ascii_lowercase();
            if headers.iter().any(|(k, _)| *k == name) {
                errors.push(format!("{what}: header {name} must be absent"));
            }
        }
    }
}

fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(400).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// Compares what a runner observed with the case's expectations.
pub fn judge(case: &Case, seen: &Observed) -> Verdict {
    let expect = &case.spec.expect;
    let mut errors = Vec::new();
    let upstream_none =
        expect.local_reply.is_some() || expect.upstream.as_ref().is_some_and(|u| u == "none");
    match (&seen.upstream, upstream_none) {
        (Some(up), true) => errors.push(format!(
            "upstream received a complete request but must not: {}",
            clip(&String::from_utf8_lossy(&up.body))
        )),
        (None, false) if expect.upstream.is_some() => {
            errors.push("the upstream received no complete request".into());
        }
        _ => {}
    }
    if let (Some(Value::Object(_)), Some(up)) = (&expect.upstream, &seen.upstream) {
        match serde_json::from_value::<Checks>(expect.upstream.clone().unwrap_or_default()) {
            Ok(checks) => check_message(
                "upstream",
                &checks,
                None,
                seen.upstream_headers_observed.then_some(&up.headers),
                &up.body,
                &mut errors,
            ),
            Err(e) => errors.push(format!("expect.upstream: {e}")),
        }
    }
    if let Some(checks) = &expect.local_reply {
        if !seen.local_reply {
            errors.push(format!(
                "expected a local reply; the client got {} from upstream",
                seen.client_status
            ));
        }
        check_message(
            "local reply",
            checks,
            Some(seen.client_status),
            seen.client_headers.as_ref(),
            &seen.client_body,
            &mut errors,
        );
    }
    if let Some(checks) = &expect.client {
        check_message(
            "client",
            checks,
            Some(seen.client_status),
            seen.client_headers.as_ref(),
            &seen.client_body,
            &mut errors,
        );
    }
    if let Some(metrics) = &seen.metrics {
        for (name, want) in &expect.metrics {
            let got = metrics.get(name).copied().unwrap_or(0);
            if got != *want {
                errors.push(format!("metric {name}: delta {got}, expected {want}"));
            }
        }
    }
    if let Some(logs) = &seen.logs {
        for needle in &expect.log_not_contains {
            if let Some(line) = logs.iter().find(|l| l.contains(needle.as_str())) {
                errors.push(format!("log contains {needle:?}: {}", clip(line)));
            }
        }
        for needle in &expect.log_contains {
            if !logs.iter().any(|l| l.contains(needle.as_str())) {
                errors.push(format!("no log line contains {needle:?}"));
            }
        }
    }
    if errors.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(errors)
    }
}

// ---- the host runner ----------------------------------------------------------

/// Runs cases through a compiled filter in [`ProxyHost`], one fresh VM
/// per case (metrics and logs are per case).
pub struct HostRunner {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
}

impl HostRunner {
    pub fn new(wasm: &Path) -> Result<HostRunner, String> {
        let bytes = std::fs::read(wasm).map_err(|e| {
            format!(
                "cannot read the filter {}: {e}; build it with scripts/build-filter",
                wasm.display()
            )
        })?;
        let engine = proxy::engine().map_err(|e| format!("{e:#}"))?;
        let module = proxy::compile(&engine, &bytes).map_err(|e| format!("{e:#}"))?;
        Ok(HostRunner { engine, module })
    }

    /// A configured VM for `case` (properties as `envoy-config/envoy.yaml`
    /// sets them).
    pub fn host_for(
        &self,
        config: &[u8],
        route_profile: Option<&str>,
    ) -> Result<ProxyHost, String> {
        let mut host = ProxyHost::new(&self.engine, &self.module).map_err(|e| format!("{e:#}"))?;
        let props = &mut host.state_mut().properties;
        props.insert("xds.route_name".into(), ROUTE_NAME.as_bytes().to_vec());
        if let Some(profile) = route_profile.filter(|p| !p.is_empty()) {
            props.insert(
                "xds.route_metadata.filter_metadata.shroud.profile".into(),
                profile.as_bytes().to_vec(),
            );
        }
        match host.start(b"", config) {
            Ok(true) => Ok(host),
            Ok(false) => Err(format!(
                "the filter refused its configuration: {}",
                logs(&host).join(" | ")
            )),
            Err(e) => Err(format!("{e:#}")),
        }
    }

    pub fn run(&self, case: &Case) -> Verdict {
        match self.observe(case) {
            Ok(seen) => judge(case, &seen),
            Err(e) => Verdict::Fail(vec![e]),
        }
    }

    pub fn observe(&self, case: &Case) -> Result<Observed, String> {
        let mut host = self.host_for(&case.config, case.spec.route_profile.as_deref())?;
        let before = host.state().metrics.snapshot();
        let request = build_request(&case.spec.request);
        let mut template_error = None;
        let response_spec = case.spec.response.clone();
        let mut upstream = |received: &UpstreamRequest| {
            build_response(response_spec.as_ref(), &received.body).unwrap_or_else(|e| {
                template_error = Some(e);
                UpstreamResponse {
                    status: 599,
                    ..UpstreamResponse::default()
                }
            })
        };
        let exchange: Exchange = host
            .exchange(&request, &mut upstream)
            .map_err(|e| format!("{e:#}; logs: {}", logs(&host).join(" | ")))?;
        if let Some(e) = template_error {
            return Err(e);
        }
        if let Some(at) = &exchange.stalled {
            return Err(format!(
                "the stream stalled at the {at} (paused, never resumed)"
            ));
        }
        let after = host.state().metrics.snapshot();
        let deltas = after
            .iter()
            .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
            .filter(|(_, d)| *d != 0)
            .collect();
        Ok(Observed {
            upstream: exchange.upstream.filter(|u| u.complete),
            local_reply: exchange.local_reply.is_some(),
            client_status: exchange.client.status,
            client_headers: Some(exchange.client.headers.clone()),
            upstream_headers_observed: true,
            client_body: exchange.client.body,
            metrics: Some(deltas),
            logs: Some(logs(&host)),
        })
    }
}

fn logs(host: &ProxyHost) -> Vec<String> {
    host.state()
        .logs
        .iter()
        .map(|l| l.message.clone())
        .collect()
}

// ---- the native runner ---------------------------------------------------------

/// Runs cases through the engine API directly: route, sanitize_request,
/// response_processor. It sees bodies and statuses, not headers, metrics
/// or logs (those are the adapter's).
pub fn run_native(case: &Case) -> Verdict {
    match observe_native(case) {
        Ok(seen) => judge(case, &seen),
        Err(NativeError::Skip(reason)) => Verdict::Skip(reason),
        Err(NativeError::Fail(e)) => Verdict::Fail(vec![e]),
    }
}

pub enum NativeError {
    Skip(String),
    Fail(String),
}

pub fn observe_native(case: &Case) -> Result<Observed, NativeError> {
    if !case.spec.request.trailers.is_empty() {
        return Err(NativeError::Skip(
            "request trailers are the adapter's concern".into(),
        ));
    }
    let engine =
        Engine::new(&case.config).map_err(|e| NativeError::Fail(format!("config: {e}")))?;
    let request = build_request(&case.spec.request);
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let plain: Pairs = request
        .headers
        .iter()
        .filter(|(k, _)| !k.starts_with(':'))
        .cloned()
        .collect();
    let route = engine.route(&RequestInfo {
        path: header(":path").unwrap_or("/"),
        authority: header(":authority").unwrap_or_default(),
        headers: &plain,
        route_name: Some(ROUTE_NAME),
        route_profile: case.spec.route_profile.as_deref().filter(|p| !p.is_empty()),
    });
    let body: Vec<u8> = request.chunks.concat();
    let mut seen = Observed::default();
    let forward = |body: Vec<u8>, seen: &mut Observed| {
        seen.upstream = Some(UpstreamRequest {
            headers: plain.clone(),
            chunks: vec![body.clone()],
            body,
            trailers: Vec::new(),
            complete: true,
        });
    };
    if route.surface.is_none() {
        forward(body.clone(), &mut seen);
        let response =
            build_response(case.spec.response.as_ref(), &body).map_err(NativeError::Fail)?;
        seen.client_status = response.status;
        seen.client_body = response.chunks.concat();
        return Ok(seen);
    }
    let content_type = header("content-type");
    let encoding = header("content-encoding")
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"));
    let outcome = if let Some(encoding) = encoding {
        // As the filter does: a compressed body is never inspected.
        RequestOutcome::Reject(engine.unsupported_encoding(&route, encoding))
    } else if body.len() > engine.max_body_bytes() {
        RequestOutcome::Reject(engine.too_large(&route))
    } else {
        engine.sanitize_request(&route, content_type, &body)
    };
    match outcome {
        RequestOutcome::Reject(rejection) => {
            seen.local_reply = true;
            seen.client_status = rejection.status;
            seen.client_body = rejection.body;
        }
        RequestOutcome::Forward {
            body: rewritten,
            session,
            ..
        } => {
            let sent = rewritten.unwrap_or(body);
            forward(sent.clone(), &mut seen);
            let response =
                build_response(case.spec.response.as_ref(), &sent).map_err(NativeError::Fail)?;
            let response_type = response
                .headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.as_str());
            let mut processor = engine.response_processor(&route, session, response_type);
            let mut out = Vec::new();
            for chunk in &response.chunks {
                out.extend(processor.push(chunk));
            }
            out.extend(processor.finish());
            seen.client_status = response.status;
            seen.client_body = out;
        }
    }
    Ok(seen)
}
