// SPDX-License-Identifier: Apache-2.0
//! Builds the engine from the plugin configuration. The `ner` build
//! (`shroud_filter_ner.wasm`) embeds the NER model's files in the module — a
//! proxy-wasm VM has no filesystem — and loads them once per VM, only when a
//! configuration enables `detectors.ner`: optimizing the graph takes seconds.

use crate::api::Engine;
use shroud_engine::ConfigError;

/// The engine for one plugin configuration (JSON bytes).
#[cfg(not(feature = "ner"))]
pub(crate) fn build(config_json: &[u8]) -> Result<Engine, ConfigError> {
    Engine::new(config_json)
}

/// The engine for one plugin configuration (JSON bytes), with the embedded
/// model when the configuration enables the NER tier.
#[cfg(feature = "ner")]
pub(crate) fn build(config_json: &[u8]) -> Result<Engine, ConfigError> {
    let config = shroud_engine::Config::from_json(config_json)?;
    if !config.detectors.ner.enabled {
        return Engine::from_config(config);
    }
    // Validate before the (slow) model load so a bad config fails fast.
    config.validate()?;
    Engine::from_config_and_model(config, embedded::model()?)
}

#[cfg(feature = "ner")]
mod embedded {
    use shroud_engine::{ConfigError, ModelBytes, NerModel};
    use std::sync::{Arc, OnceLock};

    // `scripts/build-filter --ner` runs `scripts/fetch-model` first.
    static ONNX: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/ner.onnx"));
    static TOKENIZER: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/tokenizer.json"
    ));
    static LABELS: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/labels.json"
    ));

    /// Loaded once per VM and shared by every configuration that enables NER.
    static MODEL: OnceLock<Arc<NerModel>> = OnceLock::new();

    pub(super) fn model() -> Result<Arc<NerModel>, ConfigError> {
        if let Some(model) = MODEL.get() {
            return Ok(Arc::clone(model));
        }
        let model = Arc::new(NerModel::from_bytes(ModelBytes {
            onnx: ONNX,
            tokenizer: TOKENIZER,
            labels: LABELS,
        })?);
        log::info!("shroud: NER model loaded ({} bytes of weights)", ONNX.len());
        Ok(Arc::clone(MODEL.get_or_init(|| model)))
    }
}
