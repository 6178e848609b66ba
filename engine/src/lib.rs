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
pub mod stream;
pub mod vault;

pub use config::Config;
pub use detect::Scanner;
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
        let injection = detect::injection::InjectionDetector::new()?;
        let mcp = policy::mcp::McpPolicies::build(&config)?;
        let profiles = config
            .profiles
            .iter()
            .map(|(name, p)| (name.clone(), std::sync::Arc::new(p.clone())))
            .collect();
        Ok(Engine {
            config: std::sync::Arc::new(config),
            scanner: std::sync::Arc::new(scanner),
            profiles,
            injection: std::sync::Arc::new(injection),
            mcp: std::sync::Arc::new(mcp),
        })
    }

    /// The configuration this engine runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every finding in `text`, sorted by position, without overlaps.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scanner.scan(text)
    }
}
