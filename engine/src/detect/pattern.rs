// SPDX-License-Identifier: Apache-2.0
//! Regex compilation with limits (a ReDoS and memory guard for operator
//! patterns); every regex is built at most once per config, never per call
//! (built-ins behind a rare literal at their first use: [`LazyRegex`]).

use crate::error::ConfigError;
use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// Upper bound on one compiled program.
const SIZE_LIMIT: usize = 2 * 1024 * 1024;
/// Upper bound on the lazy DFA cache of one regex.
const DFA_SIZE_LIMIT: usize = 4 * 1024 * 1024;
/// Deepest nesting of groups and repetitions accepted.
const NEST_LIMIT: u32 = 64;

/// Compiles `pattern`; on failure the error names `path`.
pub(crate) fn compile(pattern: &str, path: &str) -> Result<Regex, ConfigError> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|err| ConfigError::new(path, format!("invalid pattern: {err}")))
}

/// How a [`LazyRegex`] is compiled: its pattern and its config path.
pub(crate) type Compile<R = Regex> = fn(&str, &str) -> Result<R, ConfigError>;

/// A BUILT-IN regex compiled on its first use. A config carries ~170
/// built-in regexes that only run after a rare literal hit (a provider key
/// prefix, an injection phrase's words); compiling them up front was over
/// half of loading a config and most of a VM's memory after it (callgrind,
/// massif), for regexes most traffic never needs. Operator patterns are
/// never lazy: their errors belong to config validation. Every built-in is
/// compiled by the tests, so a broken one cannot reach a release.
pub(crate) struct LazyRegex<R = Regex> {
    pattern: String,
    path: String,
    compile: Compile<R>,
    compiled: OnceLock<Option<R>>,
}

impl<R> LazyRegex<R> {
    pub(crate) fn new(pattern: String, path: String, compile: Compile<R>) -> LazyRegex<R> {
        LazyRegex {
            pattern,
            path,
            compile,
            compiled: OnceLock::new(),
        }
    }

    /// The regex, compiled now if this is its first use. `None` only for a
    /// broken built-in (logged once; the rule then finds nothing).
    pub(crate) fn get(&self) -> Option<&R> {
        self.compiled
            .get_or_init(|| match (self.compile)(&self.pattern, &self.path) {
                Ok(regex) => Some(regex),
                Err(err) => {
                    log::error!("built-in pattern does not compile: {err}");
                    None
                }
            })
            .as_ref()
    }

    /// Compiles now and reports a failure (tests: every built-in compiles).
    #[cfg(test)]
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        (self.compile)(&self.pattern, &self.path).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pattern_names_the_path() {
        let err = compile("(unclosed", "detectors.custom[0].pattern").unwrap_err();
        assert_eq!(err.path, "detectors.custom[0].pattern");
        assert!(err.message.contains("invalid pattern"));
    }

    #[test]
    fn huge_pattern_is_refused() {
        assert!(compile(r"\w{1000}{1000}", "p").is_err());
    }
}
