// SPDX-License-Identifier: Apache-2.0
//! THE configuration schema. The same JSON is given to Envoy
//! (`configuration.value`), Istio (`pluginConfig`), Kong (filter `config`),
//! the WIT `engine` constructor and `shroud --config`.
//!
//! Parsing is strict (`deny_unknown_fields`) and every error names the JSON
//! path at fault. `{}` is a complete, safe configuration: see the `Default`
//! impls for the documented defaults.

mod error_path;

use crate::error::ConfigError;
use crate::finding::Category;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the profile used when no rule matches; always present.
pub const DEFAULT_PROFILE: &str = "default";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Which detectors run, and their options.
    pub detectors: DetectorsConfig,
    /// Named policies. `default` exists even when not listed.
    pub profiles: BTreeMap<String, Profile>,
    /// Rules that pick a profile for a request; the first match wins,
    /// otherwise `default` applies.
    pub profile_rules: Vec<ProfileRule>,
    /// JSON object keys whose values are never inspected nor changed.
    pub never_touch: Vec<String>,
    /// How masked values are written.
    pub placeholders: PlaceholderConfig,
    /// Bounds on the work and memory spent per request.
    pub limits: Limits,
    /// What to do with request bodies that are not JSON.
    pub non_json: NonJsonAction,
    /// What to do when Shroud itself fails (a bug, a host error, a model error).
    pub fail_mode: FailMode,
    /// Extra path prefixes mapped to payload surfaces, checked before the
    /// built-in paths (`/v1/chat/completions`, `/v1/responses`, `/v1/messages`).
    pub routes: Vec<RouteConfig>,
    /// Tell the client which categories were found (`x-shroud-categories:
    /// pii,secret`) on answers and refusals. Off by default: it reveals
    /// what the request contained to whoever reads the response headers.
    pub expose_categories: bool,
    /// Tool policies for MCP servers; for a request, the first entry whose
    /// `match` and `profiles` fit applies (none: every tool allowed).
    pub mcp_servers: Vec<McpServerConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            detectors: DetectorsConfig::default(),
            profiles: BTreeMap::new(),
            profile_rules: Vec::new(),
            never_touch: [
                "id",
                "model",
                "role",
                "type",
                "object",
                "tool_call_id",
                "call_id",
                "tool_use_id",
                "jsonrpc",
                "method",
                "created",
                "index",
                "finish_reason",
                "stop_reason",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            placeholders: PlaceholderConfig::default(),
            limits: Limits::default(),
            non_json: NonJsonAction::Reject,
            fail_mode: FailMode::Closed,
            routes: Vec::new(),
            expose_categories: false,
            mcp_servers: Vec::new(),
        }
    }
}

/// Detector switches and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsConfig {
    /// Detector type ids to switch off, e.g. `["ipv4", "mac_address"]`.
    pub disabled: Vec<String>,
    /// Also report private, loopback and link-local IP addresses.
    pub report_private_ips: bool,
    /// Minimum Shannon entropy (bits per character) a value needs before a
    /// generic `password=`/`token:`/`Bearer` assignment counts as a secret.
    pub min_secret_entropy: f64,
    /// Organisation markers.
    pub corporate: CorporateConfig,
    /// Entity types defined by the operator.
    pub custom: Vec<CustomEntity>,
    /// The NER tier (names, addresses, ID numbers in free text). Needs an
    /// engine built with the `ner` feature and given the model's bytes.
    pub ner: NerConfig,
    /// Texts whose findings are remembered per VM (keyed by BLAKE3, no
    /// text kept), so history that chat clients resend with every request
    /// is scanned once; 0: off.
    pub cache_entries: usize,
}

impl Default for DetectorsConfig {
    fn default() -> Self {
        DetectorsConfig {
            disabled: Vec::new(),
            report_private_ips: false,
            min_secret_entropy: 3.0,
            corporate: CorporateConfig::default(),
            custom: Vec::new(),
            ner: NerConfig::default(),
            cache_entries: 1024,
        }
    }
}

/// Options of the NER tier; off by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct NerConfig {
    /// Run the model. Requires the model files (`scripts/fetch-model`).
    pub enabled: bool,
    /// Model entity label (without `B-`/`I-`) → reported detector type.
    /// Labels not listed are ignored; adjacent spans of one type merge
    /// (given name + surname → one `person`). Replaces the default map.
    pub types: BTreeMap<String, String>,
    /// Minimum mean probability of an entity's words.
    pub threshold: f64,
    /// Per detector type overrides of `threshold`, e.g. `{"person": 0.7}`.
    pub thresholds: BTreeMap<String, f64>,
    /// Strings with fewer characters are not given to the model.
    pub min_chars: usize,
    /// Tokens per inference window (at most 510).
    pub window_tokens: usize,
    /// Tokens shared by consecutive windows, so no entity is cut at an edge.
    pub window_overlap: usize,
    /// Texts whose spans are remembered (keyed by BLAKE3), so history that
    /// chat clients resend with every request is inferred once; 0: off.
    pub cache_entries: usize,
}

impl Default for NerConfig {
    fn default() -> Self {
        NerConfig {
            enabled: false,
            types: [
                ("GIVEN_NAME", "person"),
                ("SURNAME", "person"),
                ("BUILDING_NUMBER", "address"),
                ("STREET_NAME", "address"),
                ("SECONDARY_ADDRESS", "address"),
                ("CITY", "address"),
                ("STATE", "address"),
                ("ZIP_CODE", "address"),
                ("GOVERNMENT_ID", "government_id"),
                ("PASSPORT", "passport_number"),
                ("DRIVERS_LICENSE", "drivers_license"),
                ("TAX_ID", "tax_id"),
                ("BANK_ACCOUNT", "bank_account"),
                ("ROUTING_NUMBER", "routing_number"),
            ]
            .into_iter()
            .map(|(label, kind)| (label.to_string(), kind.to_string()))
            .collect(),
            threshold: 0.5,
            thresholds: BTreeMap::new(),
            min_chars: 3,
            window_tokens: 128,
            window_overlap: 32,
            cache_entries: 1024,
        }
    }
}

impl NerConfig {
    /// The detector types the NER tier can report when enabled.
    pub fn type_ids(&self) -> Vec<String> {
        if !self.enabled {
            return Vec::new();
        }
        let mut ids: Vec<String> = self.types.values().cloned().collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The threshold for findings of `kind`.
    pub fn threshold_for(&self, kind: &str) -> f64 {
        self.thresholds.get(kind).copied().unwrap_or(self.threshold)
    }
}

/// Corporate markers: all empty by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct CorporateConfig {
    /// Internal host names as globs: `*.internal.corp`, `git.example.com`.
    pub internal_domains: Vec<String>,
    /// Regexes for project or ticket codes, e.g. `PRJ-[0-9]{4}`.
    pub project_codes: Vec<String>,
    /// Code names and other words, matched case-insensitively on word boundaries.
    pub keywords: Vec<String>,
}

/// An operator-defined entity type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomEntity {
    /// Stable snake_case id reported as the finding's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Regex for the value itself (Rust `regex` syntax). Unicode classes
    /// (`\p{L}`), scripts (`\p{Cyrillic}`), case-insensitive matching and
    /// `\w`/`\d`/`\s` work; boolean, Age and word/sentence-break properties
    /// (`\p{Alphabetic}`) are not built into the filter and are refused.
    pub pattern: String,
    /// Checksum the matched digits must pass.
    #[serde(default)]
    pub validator: Validator,
    /// When non-empty, one of these words (case-insensitive) must occur within
    /// `context_window` characters before or after the value.
    #[serde(default)]
    pub context: Vec<String>,
    /// Characters around the value searched for context words.
    #[serde(default = "default_context_window")]
    pub context_window: usize,
    /// Category the finding is reported under.
    #[serde(default = "default_custom_category")]
    pub category: Category,
    /// Confidence reported for a match.
    #[serde(default = "default_custom_score")]
    pub score: f64,
}

fn default_context_window() -> usize {
    48
}
fn default_custom_category() -> Category {
    Category::Custom
}
fn default_custom_score() -> f64 {
    0.8
}

/// Checksums a custom entity can require.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    /// No checksum.
    #[default]
    None,
    /// Luhn mod-10 over the digits (payment cards, IMEI).
    Luhn,
    /// ISO 7064 mod-97 (IBAN).
    Mod97,
}

/// What a profile does with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the value as it is.
    Allow,
    /// Replace with a reversible placeholder, restored in the response.
    Mask,
    /// Replace irreversibly with `[REDACTED:<type>]`.
    Redact,
    /// Refuse the whole request.
    Block,
}

impl Action {
    /// The snake_case name used in config, headers and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Mask => "mask",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

/// Whether a profile changes traffic or only reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Apply actions.
    #[default]
    Enforce,
    /// Compute and report everything, change nothing.
    DryRun,
}

/// A named policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    /// Enforce or only report.
    pub mode: Mode,
    /// Action per category (`secret`, `pii`, …) or per detector type
    /// (`email`, …); a type entry beats its category's. Categories not listed
    /// keep the defaults: secret → block, pii → mask, corporate → mask,
    /// injection → block, custom → mask.
    pub actions: BTreeMap<String, Action>,
    /// Redact sensitive values that appear in responses but were not masked
    /// from this request (the model leaking data).
    pub sanitize_responses: bool,
    /// Restore placeholders inside tool-call arguments of responses too.
    /// Off by default: the tool then receives placeholders, not values.
    pub rehydrate_tool_arguments: bool,
    /// Models this profile may call, as globs (`gpt-4o*`, `claude-*`).
    /// Empty: any model.
    pub models: Vec<String>,
    /// Prompt-injection and jailbreak detection.
    pub injection: InjectionConfig,
    /// Check the required fields of each API (`messages`, `model`, Anthropic
    /// `max_tokens`, JSON-RPC `jsonrpc`/`method`) before sanitizing.
    pub validate_requests: bool,
    /// Narrows the NER tier (`detectors.ner`) for this profile.
    pub ner: ProfileNer,
}

/// What the NER tier does for requests under one profile. It can only
/// narrow `detectors.ner`: a profile cannot run a model the config left off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ProfileNer {
    /// Run the model for this profile's requests (when `detectors.ner` is
    /// enabled). Off saves the inference on routes that need no names.
    pub enabled: bool,
    /// Report only these NER types (values of `detectors.ner.types`, e.g.
    /// `["person"]`); empty: all of them.
    pub types: Vec<String>,
}

impl Default for ProfileNer {
    fn default() -> Self {
        ProfileNer {
            enabled: true,
            types: Vec::new(),
        }
    }
}

impl ProfileNer {
    /// Whether a NER finding of `kind` is reported under this profile.
    pub fn reports(&self, kind: &str) -> bool {
        self.enabled && (self.types.is_empty() || self.types.iter().any(|t| t == kind))
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            mode: Mode::Enforce,
            actions: BTreeMap::new(),
            sanitize_responses: true,
            rehydrate_tool_arguments: false,
            models: Vec::new(),
            injection: InjectionConfig::default(),
            validate_requests: true,
            ner: ProfileNer::default(),
        }
    }
}

/// Prompt-injection detection for one profile. What happens to a request
/// with a finding is the profile's `injection` action (default `block`;
/// `allow` only reports; `mask`/`redact` act as `block`, since cutting a
/// span out of an instruction does not make it safe); dry run only reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct InjectionConfig {
    /// Run the detector at all.
    pub enabled: bool,
    /// Score (0..1) from which a text counts as an injection.
    pub threshold: f64,
    /// The text roles scanned: `user`, `system`, `assistant`,
    /// `tool_arguments`, `tool_result`, `tool_definition`, `name`,
    /// `metadata`, `other`. Indirect channels (`tool_result`,
    /// `tool_definition`) are where agents pick up planted instructions.
    pub channels: Vec<InjectionChannel>,
    /// What happens when a response (an MCP tool result, a tool list)
    /// carries an injection: the agent would read it next.
    pub responses: ResponseInjectionAction,
}

impl Default for InjectionConfig {
    fn default() -> Self {
        InjectionConfig {
            enabled: true,
            threshold: 0.7,
            channels: vec![
                InjectionChannel::User,
                InjectionChannel::ToolResult,
                InjectionChannel::ToolDefinition,
            ],
            responses: ResponseInjectionAction::Block,
        }
    }
}

/// A text role the injection detector may scan (see `payload::TextRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum InjectionChannel {
    /// End-user input.
    User,
    /// System or developer instructions.
    System,
    /// Model output replayed in a request.
    Assistant,
    /// Tool-call arguments.
    ToolArguments,
    /// Tool output fed back to the model (`role: tool`, `tool_result`,
    /// `function_call_output`, MCP results).
    ToolResult,
    /// Tool and schema descriptions, MCP server instructions.
    ToolDefinition,
    /// Participant names.
    Name,
    /// Metadata values.
    Metadata,
    /// Anything else (the generic surface).
    Other,
}

/// The response-side decision on an injection found in a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResponseInjectionAction {
    /// Replace the JSON-RPC result with an error carrying the same id (MCP);
    /// on other surfaces, count and log (the answer is already streaming).
    #[default]
    Block,
    /// Count and log only.
    Annotate,
}

/// Tool policy for one MCP server (Streamable HTTP: JSON-RPC over POST).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// Name used in errors, reports and config paths.
    pub name: String,
    /// Which requests go to this server.
    #[serde(rename = "match")]
    pub when: McpServerMatch,
    /// Profiles this entry applies to; empty: all.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Which tools may be called (and are listed).
    #[serde(default)]
    pub tools: ToolRules,
    /// Checks on `tools/call` arguments, each for the tools its `tools`
    /// globs name.
    #[serde(default)]
    pub arguments: Vec<ArgumentRule>,
    /// HTTP status of a refusal: 403 (default, like the other blocks) or 200
    /// (a plain JSON-RPC error, for clients that treat 4xx as transport
    /// failures).
    #[serde(default = "default_mcp_error_status")]
    pub error_status: u16,
}

fn default_mcp_error_status() -> u16 {
    403
}

/// Request properties that identify an MCP server. At least one must be set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct McpServerMatch {
    /// Request path starts with this.
    pub path_prefix: Option<String>,
    /// Host/authority equals this glob (`*.example.com`).
    pub authority: Option<String>,
}

/// Tool-name globs (`*` any run, `?` one character). A tool is allowed when
/// `allow` is empty or one of its globs matches, and no `deny` glob matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ToolRules {
    /// Tools that may be called; empty: all.
    pub allow: Vec<String>,
    /// Tools that may never be called; beats `allow`.
    pub deny: Vec<String>,
}

/// Checks on the arguments of the tools named by `tools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ArgumentRule {
    /// Tool-name globs this rule applies to.
    #[serde(default = "all_tools")]
    pub tools: Vec<String>,
    /// Largest serialized `arguments` object, in bytes.
    #[serde(default)]
    pub max_bytes: Option<usize>,
    /// Built-in pattern sets no argument string may match:
    /// `destructive_shell` (`rm -rf /`, `mkfs`, fork bombs, …) and
    /// `destructive_sql` (`DROP TABLE`, `TRUNCATE`, `DELETE` without
    /// `WHERE`, …).
    #[serde(default)]
    pub forbidden: Vec<ForbiddenSet>,
    /// Regexes no argument string may match.
    #[serde(default)]
    pub forbidden_patterns: Vec<String>,
    /// Object keys that must not occur anywhere in the arguments.
    #[serde(default)]
    pub deny_fields: Vec<String>,
}

fn all_tools() -> Vec<String> {
    vec!["*".to_string()]
}

/// Built-in sets of forbidden argument patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForbiddenSet {
    /// Shell commands that destroy data or systems.
    DestructiveShell,
    /// SQL that drops or wipes data.
    DestructiveSql,
}

impl Profile {
    /// The action for a finding of `kind` in `category`.
    pub fn action_for(&self, category: Category, kind: &str) -> Action {
        if let Some(action) = self.actions.get(kind) {
            return *action;
        }
        if let Some(action) = self.actions.get(category.as_str()) {
            return *action;
        }
        default_action(category)
    }
}

/// The built-in action of a category.
pub fn default_action(category: Category) -> Action {
    match category {
        Category::Secret | Category::Injection => Action::Block,
        Category::Pii | Category::Corporate | Category::Custom => Action::Mask,
    }
}

/// Picks a profile when every condition given matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileRule {
    /// Profile to apply.
    pub profile: String,
    /// Conditions, all of which must hold.
    #[serde(rename = "match")]
    pub when: RuleMatch,
}

/// Request properties a rule can test. At least one must be set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RuleMatch {
    /// Request path starts with this.
    pub path_prefix: Option<String>,
    /// Host/authority equals this glob (`*.example.com`).
    pub authority: Option<String>,
    /// A request header has this value.
    pub header: Option<HeaderMatch>,
    /// Lower-case hex SHA-256 of the caller's API key (`authorization:
    /// Bearer …` or `x-api-key`). The key itself never appears in config.
    pub api_key_sha256: Vec<String>,
    /// Envoy route name (`xds.route_name`).
    pub route_name: Option<String>,
}

/// A header name and the exact value it must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HeaderMatch {
    /// Header name, case-insensitive.
    pub name: String,
    /// Exact value.
    pub value: String,
}

/// How placeholders look.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PlaceholderConfig {
    /// When set, placeholders are keyed HMAC-SHA256 tokens of the value, so
    /// the same value maps to the same token across requests and replicas.
    /// At least 16 characters.
    pub deterministic_key: Option<String>,
}

/// Per-request bounds; exceeding one has a defined, fail-closed outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body inspected; larger ones are refused with 413.
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted.
    pub max_json_depth: usize,
    /// Largest non-streamed response rewritten whole; a larger one is
    /// forwarded as it is (placeholders left in place, counted).
    pub max_response_bytes: usize,
    /// Most findings handled in one request before it is refused.
    pub max_findings: usize,
    /// Most distinct masked values in one request.
    pub max_vault_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_json_depth: 64,
            max_response_bytes: 8 * 1024 * 1024,
            max_findings: 4096,
            max_vault_entries: 4096,
        }
    }
}

/// Decision for request bodies that are not JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NonJsonAction {
    /// Refuse with 415.
    #[default]
    Reject,
    /// Scan as plain text and apply the profile.
    ScanText,
    /// Forward unchanged.
    Pass,
}

/// Behaviour when Shroud cannot do its job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Refuse the request (the safe default).
    #[default]
    Closed,
    /// Forward unchanged and count the failure.
    Open,
}

/// Maps a path prefix to a payload surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Path prefix, e.g. `/mcp`.
    pub path_prefix: String,
    /// Payload surface to apply.
    pub surface: SurfaceKind,
}

/// The API shapes Shroud understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurfaceKind {
    /// OpenAI `/v1/chat/completions`.
    OpenaiChat,
    /// OpenAI `/v1/responses`.
    OpenaiResponses,
    /// Anthropic `/v1/messages`.
    AnthropicMessages,
    /// MCP JSON-RPC 2.0.
    Mcp,
    /// Any JSON: every string leaf.
    Generic,
}

impl Config {
    /// Parses and validates a configuration. Empty input (or only
    /// whitespace) means `{}`.
    pub fn from_json(bytes: &[u8]) -> Result<Config, ConfigError> {
        let trimmed = trim_ascii(bytes);
        let config: Config = if trimmed.is_empty() {
            Config::default()
        } else {
            serde_json::from_slice(trimmed)
                .map_err(|err| ConfigError::new(error_path::of(trimmed, &err), err.to_string()))?
        };
        config.validate()?;
        Ok(config)
    }

    /// This configuration as indented JSON with every field written out.
    pub fn to_pretty_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The profile called `name`; `default` always resolves.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        match self.profiles.get(name) {
            Some(p) => Some(p),
            None if name == DEFAULT_PROFILE => Some(&DEFAULT_PROFILE_VALUE),
            None => None,
        }
    }

    /// True when a profile rule matches on the Envoy route name: only then
    /// does choosing a profile need it (a host property lookup per request).
    pub fn matches_route_names(&self) -> bool {
        self.profile_rules
            .iter()
            .any(|rule| rule.when.route_name.is_some())
    }

    /// Checks references between fields and value ranges. Regexes are
    /// checked when the detectors are built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let known_types = crate::detect::catalog::known_type_ids(&self.detectors);
        for (i, kind) in self.detectors.disabled.iter().enumerate() {
            if !known_types.iter().any(|k| k == kind) {
                return Err(ConfigError::new(
                    format!("detectors.disabled[{i}]"),
                    format!("unknown detector type {kind:?}"),
                ));
            }
        }
        if !(0.0..=8.0).contains(&self.detectors.min_secret_entropy) {
            return Err(ConfigError::new(
                "detectors.min_secret_entropy",
                "must be between 0 and 8 bits per character",
            ));
        }
        self.validate_ner()?;
        for (i, custom) in self.detectors.custom.iter().enumerate() {
            let path = format!("detectors.custom[{i}]");
            if !is_snake_case(&custom.kind) {
                return Err(ConfigError::new(
                    format!("{path}.type"),
                    format!("{:?} must be snake_case (a-z, 0-9, _)", custom.kind),
                ));
            }
            if crate::detect::catalog::is_builtin(&custom.kind)
                || self.detectors.custom[..i]
                    .iter()
                    .any(|c| c.kind == custom.kind)
            {
                return Err(ConfigError::new(
                    format!("{path}.type"),
                    format!("type {:?} is already defined", custom.kind),
                ));
            }
            if !(0.0..=1.0).contains(&custom.score) {
                return Err(ConfigError::new(
                    format!("{path}.score"),
                    "must be between 0 and 1",
                ));
            }
        }
        for (name, profile) in &self.profiles {
            if name.is_empty() {
                return Err(ConfigError::new(
                    "profiles",
                    "profile names must not be empty",
                ));
            }
            for key in profile.actions.keys() {
                if Category::from_name(key).is_none() && !known_types.iter().any(|k| k == key) {
                    return Err(ConfigError::new(
                        format!("profiles.{name}.actions.{key}"),
                        format!("{key:?} is neither a category nor a detector type"),
                    ));
                }
            }
        }
        for (i, rule) in self.profile_rules.iter().enumerate() {
            if self.profile(&rule.profile).is_none() {
                return Err(ConfigError::new(
                    format!("profile_rules[{i}].profile"),
                    format!("no profile named {:?}", rule.profile),
                ));
            }
            let m = &rule.when;
            if m.path_prefix.is_none()
                && m.authority.is_none()
                && m.header.is_none()
                && m.api_key_sha256.is_empty()
                && m.route_name.is_none()
            {
                return Err(ConfigError::new(
                    format!("profile_rules[{i}].match"),
                    "set at least one condition",
                ));
            }
            for (j, hash) in m.api_key_sha256.iter().enumerate() {
                if hash.len() != 64
                    || !hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(ConfigError::new(
                        format!("profile_rules[{i}].match.api_key_sha256[{j}]"),
                        "must be 64 lower-case hex digits (sha256 of the key)",
                    ));
                }
            }
        }
        if let Some(key) = &self.placeholders.deterministic_key
            && key.chars().count() < 16
        {
            return Err(ConfigError::new(
                "placeholders.deterministic_key",
                "must be at least 16 characters",
            ));
        }
        let limits = &self.limits;
        for (field, value) in [
            ("max_body_bytes", limits.max_body_bytes),
            ("max_json_depth", limits.max_json_depth),
            ("max_response_bytes", limits.max_response_bytes),
            ("max_findings", limits.max_findings),
            ("max_vault_entries", limits.max_vault_entries),
        ] {
            if value == 0 {
                return Err(ConfigError::new(
                    format!("limits.{field}"),
                    "must be greater than 0",
                ));
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            if !route.path_prefix.starts_with('/') {
                return Err(ConfigError::new(
                    format!("routes[{i}].path_prefix"),
                    "must start with '/'",
                ));
            }
        }
        for (name, profile) in &self.profiles {
            validate_profile_extras(name, profile)?;
        }
        for (i, server) in self.mcp_servers.iter().enumerate() {
            self.validate_mcp_server(i, server)?;
        }
        Ok(())
    }

    fn validate_mcp_server(&self, i: usize, server: &McpServerConfig) -> Result<(), ConfigError> {
        let path = format!("mcp_servers[{i}]");
        if server.name.trim().is_empty() {
            return Err(ConfigError::new(
                format!("{path}.name"),
                "must not be empty",
            ));
        }
        let m = &server.when;
        if m.path_prefix.is_none() && m.authority.is_none() {
            return Err(ConfigError::new(
                format!("{path}.match"),
                "set path_prefix or authority",
            ));
        }
        if let Some(prefix) = &m.path_prefix
            && !prefix.starts_with('/')
        {
            return Err(ConfigError::new(
                format!("{path}.match.path_prefix"),
                "must start with '/'",
            ));
        }
        for (j, profile) in server.profiles.iter().enumerate() {
            if self.profile(profile).is_none() {
                return Err(ConfigError::new(
                    format!("{path}.profiles[{j}]"),
                    format!("no profile named {profile:?}"),
                ));
            }
        }
        for (key, globs) in [("allow", &server.tools.allow), ("deny", &server.tools.deny)] {
            check_globs(&format!("{path}.tools.{key}"), globs)?;
        }
        if server.error_status != 403 && server.error_status != 200 {
            return Err(ConfigError::new(
                format!("{path}.error_status"),
                "must be 403 or 200",
            ));
        }
        for (j, rule) in server.arguments.iter().enumerate() {
            let rule_path = format!("{path}.arguments[{j}]");
            check_globs(&format!("{rule_path}.tools"), &rule.tools)?;
            if rule.tools.is_empty() {
                return Err(ConfigError::new(
                    format!("{rule_path}.tools"),
                    "must name at least one tool glob",
                ));
            }
            if rule.max_bytes == Some(0) {
                return Err(ConfigError::new(
                    format!("{rule_path}.max_bytes"),
                    "must be greater than 0",
                ));
            }
            for (k, field) in rule.deny_fields.iter().enumerate() {
                if field.is_empty() {
                    return Err(ConfigError::new(
                        format!("{rule_path}.deny_fields[{k}]"),
                        "must not be empty",
                    ));
                }
            }
            // forbidden_patterns are compiled (and checked) with the engine.
        }
        Ok(())
    }
}

impl Config {
    fn validate_ner(&self) -> Result<(), ConfigError> {
        let ner = &self.detectors.ner;
        for (label, kind) in &ner.types {
            if !is_snake_case(kind) {
                return Err(ConfigError::new(
                    format!("detectors.ner.types.{label}"),
                    format!("{kind:?} must be snake_case (a-z, 0-9, _)"),
                ));
            }
            if self.detectors.custom.iter().any(|c| &c.kind == kind) {
                return Err(ConfigError::new(
                    format!("detectors.ner.types.{label}"),
                    format!("type {kind:?} is already a custom entity"),
                ));
            }
        }
        if !(0.0..=1.0).contains(&ner.threshold) {
            return Err(ConfigError::new(
                "detectors.ner.threshold",
                "must be between 0 and 1",
            ));
        }
        for (kind, value) in &ner.thresholds {
            let path = format!("detectors.ner.thresholds.{kind}");
            if !ner.types.values().any(|k| k == kind) {
                return Err(ConfigError::new(
                    path,
                    format!("{kind:?} is not a type in detectors.ner.types"),
                ));
            }
            if !(0.0..=1.0).contains(value) {
                return Err(ConfigError::new(path, "must be between 0 and 1"));
            }
        }
        if ner.window_tokens == 0 || ner.window_tokens > 510 {
            return Err(ConfigError::new(
                "detectors.ner.window_tokens",
                "must be between 1 and 510",
            ));
        }
        if ner.window_overlap * 2 >= ner.window_tokens {
            return Err(ConfigError::new(
                "detectors.ner.window_overlap",
                "must be less than half of window_tokens",
            ));
        }
        for (name, profile) in &self.profiles {
            for (i, kind) in profile.ner.types.iter().enumerate() {
                let path = format!("profiles.{name}.ner.types[{i}]");
                if !ner.enabled {
                    return Err(ConfigError::new(
                        path,
                        "detectors.ner.enabled is false: no NER type can be reported",
                    ));
                }
                if !ner.types.values().any(|k| k == kind) {
                    return Err(ConfigError::new(
                        path,
                        format!("{kind:?} is not a type in detectors.ner.types"),
                    ));
                }
                if profile.ner.types[..i].contains(kind) {
                    return Err(ConfigError::new(path, "listed twice"));
                }
            }
        }
        Ok(())
    }
}

static DEFAULT_PROFILE_VALUE: once_cell::sync::Lazy<Profile> =
    once_cell::sync::Lazy::new(Profile::default);

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn validate_profile_extras(name: &str, profile: &Profile) -> Result<(), ConfigError> {
    check_globs(&format!("profiles.{name}.models"), &profile.models)?;
    let injection = &profile.injection;
    if !(0.0..=1.0).contains(&injection.threshold) || injection.threshold == 0.0 {
        return Err(ConfigError::new(
            format!("profiles.{name}.injection.threshold"),
            "must be greater than 0 and at most 1",
        ));
    }
    for (i, channel) in injection.channels.iter().enumerate() {
        if injection.channels[..i].contains(channel) {
            return Err(ConfigError::new(
                format!("profiles.{name}.injection.channels[{i}]"),
                "listed twice",
            ));
        }
    }
    Ok(())
}

/// Globs are `*`/`?` patterns; only an empty one is wrong.
fn check_globs(path: &str, globs: &[String]) -> Result<(), ConfigError> {
    for (i, glob) in globs.iter().enumerate() {
        if glob.is_empty() {
            return Err(ConfigError::new(format!("{path}[{i}]"), "empty glob"));
        }
    }
    Ok(())
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `envoy-config/plugin-config.json` documents every default: it is
    /// exactly `{}` written out (regenerate with `shroud config defaults`).
    #[test]
    fn shipped_plugin_config_is_the_defaults_written_out() {
        let shipped = include_str!("../../envoy-config/plugin-config.json");
        assert_eq!(
            Config::from_json(shipped.as_bytes()).unwrap(),
            Config::default()
        );
        assert_eq!(shipped, Config::default().to_pretty_json());
    }

    #[test]
    fn empty_config_is_defaults() {
        assert_eq!(Config::from_json(b"").unwrap(), Config::default());
        assert_eq!(Config::from_json(b" {} ").unwrap(), Config::default());
    }

    #[test]
    fn unknown_action_names_the_path() {
        let err = Config::from_json(br#"{"profiles":{"strict":{"actions":{"email":"mask2"}}}}"#)
            .unwrap_err();
        assert_eq!(err.path, "profiles.strict.actions.email");
        assert!(err.message.contains("mask2"), "{err}");
    }

    #[test]
    fn unknown_field_is_rejected() {
        let err = Config::from_json(br#"{"limits":{"max_body":1}}"#).unwrap_err();
        assert_eq!(err.path, "limits.max_body");
        assert!(err.message.contains("unknown field"), "{err}");
    }

    #[test]
    fn unknown_action_key_is_rejected() {
        let err =
            Config::from_json(br#"{"profiles":{"p":{"actions":{"emali":"mask"}}}}"#).unwrap_err();
        assert_eq!(err.path, "profiles.p.actions.emali");
    }

    #[test]
    fn rule_must_reference_a_profile() {
        let err = Config::from_json(
            br#"{"profile_rules":[{"profile":"nope","match":{"path_prefix":"/x"}}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "profile_rules[0].profile");
        let ok = Config::from_json(
            br#"{"profile_rules":[{"profile":"default","match":{"path_prefix":"/x"}}]}"#,
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn type_action_beats_category_action() {
        let cfg = Config::from_json(
            br#"{"profiles":{"p":{"actions":{"pii":"redact","email":"allow"}}}}"#,
        )
        .unwrap();
        let p = cfg.profile("p").unwrap();
        assert_eq!(p.action_for(Category::Pii, "email"), Action::Allow);
        assert_eq!(p.action_for(Category::Pii, "phone_number"), Action::Redact);
        assert_eq!(
            p.action_for(Category::Secret, "github_token"),
            Action::Block
        );
    }

    #[test]
    fn ner_is_off_by_default_and_maps_names_and_addresses() {
        let ner = Config::default().detectors.ner;
        assert!(!ner.enabled);
        assert!(ner.type_ids().is_empty());
        assert_eq!(ner.types["GIVEN_NAME"], "person");
        assert_eq!(ner.types["ZIP_CODE"], "address");
        assert!(!ner.types.contains_key("EMAIL"), "regexes own emails");
    }

    #[test]
    fn ner_types_become_known_when_enabled() {
        let cfg = br#"{"detectors":{"ner":{"enabled":true}},"profiles":{"p":{"actions":{"person":"redact"}}}}"#;
        assert!(Config::from_json(cfg).is_ok());
        let off = br#"{"profiles":{"p":{"actions":{"person":"redact"}}}}"#;
        assert_eq!(
            Config::from_json(off).unwrap_err().path,
            "profiles.p.actions.person"
        );
    }

    #[test]
    fn profiles_narrow_ner_with_checked_types() {
        let cfg = Config::from_json(
            br#"{"detectors":{"ner":{"enabled":true}},
                "profiles":{"names":{"ner":{"types":["person"]}},"none":{"ner":{"enabled":false}}}}"#,
        )
        .unwrap();
        let names = &cfg.profiles["names"].ner;
        assert!(names.reports("person"));
        assert!(!names.reports("address"));
        assert!(!cfg.profiles["none"].ner.reports("person"));
        assert!(Profile::default().ner.reports("address"));
        for (json, path) in [
            (
                r#"{"detectors":{"ner":{"enabled":true}},"profiles":{"p":{"ner":{"types":["person","persons"]}}}}"#,
                "profiles.p.ner.types[1]",
            ),
            (
                r#"{"detectors":{"ner":{"enabled":true}},"profiles":{"p":{"ner":{"types":["person","person"]}}}}"#,
                "profiles.p.ner.types[1]",
            ),
            (
                r#"{"profiles":{"p":{"ner":{"types":["person"]}}}}"#,
                "profiles.p.ner.types[0]",
            ),
            (
                r#"{"profiles":{"p":{"ner":{"enable":false}}}}"#,
                "profiles.p.ner.enable",
            ),
        ] {
            let err = Config::from_json(json.as_bytes()).unwrap_err();
            assert_eq!(err.path, path, "{json}: {err}");
        }
    }

    #[test]
    fn ner_config_errors_name_the_path() {
        for (json, path) in [
            (
                r#"{"ner":{"enabled":true,"bogus":1}}"#,
                "detectors.ner.bogus",
            ),
            (r#"{"ner":{"threshold":1.5}}"#, "detectors.ner.threshold"),
            (
                r#"{"ner":{"thresholds":{"person":-1}}}"#,
                "detectors.ner.thresholds.person",
            ),
            (
                r#"{"ner":{"thresholds":{"nobody":0.5}}}"#,
                "detectors.ner.thresholds.nobody",
            ),
            (
                r#"{"ner":{"types":{"CITY":"City"}}}"#,
                "detectors.ner.types.CITY",
            ),
            (
                r#"{"ner":{"window_tokens":600}}"#,
                "detectors.ner.window_tokens",
            ),
            (
                r#"{"ner":{"window_tokens":64,"window_overlap":32}}"#,
                "detectors.ner.window_overlap",
            ),
            (
                r#"{"ner":{"types":{"CITY":"town"}},"custom":[{"type":"town","pattern":"x"}]}"#,
                "detectors.ner.types.CITY",
            ),
        ] {
            let json = format!(r#"{{"detectors":{json}}}"#);
            let err = Config::from_json(json.as_bytes()).unwrap_err();
            assert_eq!(err.path, path, "{json}: {err}");
        }
        let ok = br#"{"detectors":{"ner":{"types":{"CITY":"town"},"thresholds":{"town":0.9}}}}"#;
        assert!(Config::from_json(ok).is_ok());
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        assert!(Config::from_json(b"{} x").is_err());
        assert!(Config::from_json(b"[").is_err());
    }

    #[test]
    fn guard_config_errors_name_their_path() {
        let cases: [(&str, &str); 9] = [
            (
                r#"{"profiles":{"p":{"injection":{"threshold":1.5}}}}"#,
                "profiles.p.injection.threshold",
            ),
            (
                r#"{"profiles":{"p":{"injection":{"channels":["user","user"]}}}}"#,
                "profiles.p.injection.channels[1]",
            ),
            (
                r#"{"profiles":{"p":{"injection":{"channels":["users"]}}}}"#,
                "profiles.p.injection.channels[0]",
            ),
            (
                r#"{"profiles":{"p":{"models":["gpt-*",""]}}}"#,
                "profiles.p.models[1]",
            ),
            (
                r#"{"mcp_servers":[{"name":"a","match":{}}]}"#,
                "mcp_servers[0].match",
            ),
            (
                r#"{"mcp_servers":[{"name":"a","match":{"path_prefix":"mcp"}}]}"#,
                "mcp_servers[0].match.path_prefix",
            ),
            (
                r#"{"mcp_servers":[{"name":"a","match":{"path_prefix":"/m"},"error_status":500}]}"#,
                "mcp_servers[0].error_status",
            ),
            (
                r#"{"mcp_servers":[{"name":"a","match":{"path_prefix":"/m"},"profiles":["nope"]}]}"#,
                "mcp_servers[0].profiles[0]",
            ),
            (
                r#"{"mcp_servers":[{"name":"a","match":{"path_prefix":"/m"},"arguments":[{"forbidden":["rm_rf"]}]}]}"#,
                "mcp_servers[0].arguments[0].forbidden[0]",
            ),
        ];
        for (json, path) in cases {
            let err = Config::from_json(json.as_bytes()).unwrap_err();
            assert_eq!(err.path, path, "{json}: {err}");
        }
    }

    #[test]
    fn guard_config_example_parses() {
        let cfg = Config::from_json(
            br#"{
              "profiles": {"agents": {
                "models": ["gpt-4o*", "claude-*"],
                "actions": {"injection": "block", "jailbreak": "allow"},
                "injection": {"enabled": true, "threshold": 0.8,
                              "channels": ["user", "tool_result"], "responses": "annotate"}}},
              "mcp_servers": [{"name": "github", "match": {"path_prefix": "/mcp/github"},
                "profiles": ["agents"], "tools": {"allow": ["get_*"], "deny": ["delete_*"]},
                "arguments": [{"tools": ["*"], "max_bytes": 65536, "forbidden": ["destructive_shell"],
                               "forbidden_patterns": ["(?i)internal-only"], "deny_fields": ["token"]}],
                "error_status": 200}]
            }"#,
        )
        .unwrap();
        let p = cfg.profile("agents").unwrap();
        assert_eq!(p.injection.responses, ResponseInjectionAction::Annotate);
        assert_eq!(cfg.mcp_servers[0].error_status, 200);
        assert_eq!(Profile::default().injection.threshold, 0.7);
    }
}
