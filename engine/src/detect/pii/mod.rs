// SPDX-License-Identifier: Apache-2.0
//! TODO(issue 2): pii detectors.

use super::Detector;
use super::catalog::TypeInfo;
use crate::config::DetectorsConfig;
use crate::error::ConfigError;

pub(crate) fn types() -> Vec<TypeInfo> {
    Vec::new()
}

pub(crate) fn build(_cfg: &DetectorsConfig) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    Ok(Vec::new())
}
