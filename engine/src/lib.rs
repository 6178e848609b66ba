// SPDX-License-Identifier: Apache-2.0
//! Shroud's engine: finds secrets, personal data and corporate markers in
//! LLM and MCP traffic and decides what to do with them.
//!
//! Pure: bytes in, data out. It knows nothing of proxy-wasm or WIT; the
//! filter, the component and the CLI are thin adapters over it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod detect;
pub mod error;
pub mod finding;
pub mod glob;
mod hash;
pub mod payload;
pub mod placeholder;
pub mod policy;
#[cfg(feature = "schema")]
pub mod schema;
pub mod stream;
mod swar;
pub mod vault;

pub use config::Config;
pub use detect::Scanner;
#[cfg(feature = "ner")]
pub use detect::ner::{ModelBytes, NerModel};
pub use error::ConfigError;
pub use finding::{Category, Finding};
pub use policy::{
    Rejection, Report, ReportAction, RequestInfo, RequestOutcome, ResponseProcessor, Route, Session,
};

/// A configured engine: the validated config and its compiled detectors.
#[derive(Debug)]
pub struct Engine {
    config: std::sync::Arc<Config>,
    scanner: std::sync::Arc<Scanner>,
    /// Profiles by name, shared with the sessions that use them.
    profiles: std::collections::BTreeMap<String, std::sync::Arc<config::Profile>>,
    /// The prompt-injection library, compiled once.
    injection: std::sync::Arc<detect::injection::InjectionDetector>,
    /// MCP server tool policies, compiled once.
    mcp: std::sync::Arc<policy::mcp::McpPolicies>,
    /// What recently seen texts hold (`detectors.cache_entries`).
    scan_cache: std::sync::Arc<policy::ScanCache>,
}

impl Engine {
    /// Parses, validates and compiles a JSON configuration (`{}` or empty
    /// means the documented defaults).
    pub fn new(config_json: &[u8]) -> Result<Engine, ConfigError> {
        Engine::from_config(Config::from_json(config_json)?)
    }

    /// Compiles an already parsed configuration.
    pub fn from_config(config: Config) -> Result<Engine, ConfigError> {
        config.validate()?;
        let scanner = Scanner::new(&config.detectors)?;
        Engine::assemble(config, scanner)
    }

    fn assemble(config: Config, scanner: Scanner) -> Result<Engine, ConfigError> {
        let injection = detect::injection::InjectionDetector::new()?;
        let mcp = policy::mcp::McpPolicies::build(&config)?;
        let profiles = config
            .profiles
            .iter()
            .map(|(name, p)| (name.clone(), std::sync::Arc::new(p.clone())))
            .collect();
        let scan_cache =
            std::sync::Arc::new(policy::ScanCache::new(config.detectors.cache_entries));
        Ok(Engine {
            config: std::sync::Arc::new(config),
            scanner: std::sync::Arc::new(scanner),
            profiles,
            injection: std::sync::Arc::new(injection),
            mcp: std::sync::Arc::new(mcp),
            scan_cache,
        })
    }

    /// Parses a configuration and compiles it with the NER model given as
    /// bytes (loaded and optimized here; prefer
    /// [`Engine::from_config_and_model`] to share one loaded model between
    /// configurations).
    #[cfg(feature = "ner")]
    pub fn with_models(config_json: &[u8], models: ModelBytes<'_>) -> Result<Engine, ConfigError> {
        let model = std::sync::Arc::new(NerModel::from_bytes(models)?);
        Engine::from_config_and_model(Config::from_json(config_json)?, model)
    }

    /// Compiles a configuration with an already loaded NER model; the model
    /// runs only when `detectors.ner.enabled`.
    #[cfg(feature = "ner")]
    pub fn from_config_and_model(
        config: Config,
        model: std::sync::Arc<NerModel>,
    ) -> Result<Engine, ConfigError> {
        config.validate()?;
        let scanner = Scanner::with_ner(&config.detectors, model, config.fail_mode)?;
        Engine::assemble(config, scanner)
    }

    /// The configuration this engine runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every finding in `text`, sorted by position, without overlaps.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scanner.scan(text)
    }

    /// Like [`Engine::scan`], but a failing detector (NER inference under
    /// `fail_mode: closed`) is an error instead of a silent gap.
    pub fn try_scan(&self, text: &str) -> Result<Vec<Finding>, detect::DetectError> {
        self.scanner.try_scan(text)
    }

    /// NER inferences that failed and were skipped (`fail_mode: open`, or
    /// response redaction, which cannot refuse) since this engine was built.
    /// Adapters export it as a counter.
    pub fn ner_failures(&self) -> u64 {
        self.scanner.ner_failures()
    }
}
