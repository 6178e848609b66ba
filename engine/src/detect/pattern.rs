// SPDX-License-Identifier: Apache-2.0
//! Regex compilation with limits (a ReDoS and memory guard for operator
//! patterns); every regex is built once per config, never per call.

use crate::error::ConfigError;
use regex::{Regex, RegexBuilder};

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
