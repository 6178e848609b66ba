// SPDX-License-Identifier: Apache-2.0
//! Model files passed over WIT (`create-with-models`): a component has no
//! filesystem, so the host hands the NER model's files in as bytes. Only the
//! `ner` build (`shroud_component_ner.wasm`) can load them; the plain build
//! refuses them rather than silently running without the model.

use crate::bindings::exports::shroud::sanitizer::types::{ConfigError, ModelFile};
use shroud_engine::Engine;

/// The names `create-with-models` accepts, as `scripts/fetch-model` writes them.
const FILE_NAMES: [&str; 3] = ["ner.onnx", "tokenizer.json", "labels.json"];

/// An error at `models` (the WIT argument), or at one file of it.
fn models_error(path: String, message: String) -> ConfigError {
    ConfigError { path, message }
}

/// The bytes of the file named `name`, given exactly once.
#[cfg(feature = "ner")]
fn find<'m>(models: &'m [ModelFile], name: &str) -> Result<&'m [u8], ConfigError> {
    let mut found = models.iter().filter(|m| m.name == name);
    match (found.next(), found.next()) {
        (Some(file), None) => Ok(&file.bytes),
        (None, _) => Err(models_error(
            "models".to_string(),
            format!("missing model file {name:?} (the NER tier needs {FILE_NAMES:?})"),
        )),
        (Some(_), Some(_)) => Err(models_error(
            format!("models.{name}"),
            "given more than once".to_string(),
        )),
    }
}

/// Every file must have a name the NER tier loads: a typo is an error, not
/// an ignored file.
fn check_names(models: &[ModelFile]) -> Result<(), ConfigError> {
    match models
        .iter()
        .find(|m| !FILE_NAMES.contains(&m.name.as_str()))
    {
        Some(unknown) => Err(models_error(
            "models".to_string(),
            format!(
                "unknown model file {:?} (expected {FILE_NAMES:?})",
                unknown.name
            ),
        )),
        None => Ok(()),
    }
}

/// An engine for `config` with the NER model in `models`.
#[cfg(feature = "ner")]
pub(crate) fn engine_with(config: &str, models: &[ModelFile]) -> Result<Engine, ConfigError> {
    check_names(models)?;
    let bytes = shroud_engine::ModelBytes {
        onnx: find(models, "ner.onnx")?,
        tokenizer: find(models, "tokenizer.json")?,
        labels: find(models, "labels.json")?,
    };
    Engine::with_models(config.as_bytes(), bytes).map_err(crate::convert::config_error)
}

/// Without the NER tier, model files are an error (see the module docs).
#[cfg(not(feature = "ner"))]
pub(crate) fn engine_with(_config: &str, models: &[ModelFile]) -> Result<Engine, ConfigError> {
    check_names(models)?;
    Err(models_error(
        "models".to_string(),
        "NER not built in: this is shroud_component.wasm; load shroud_component_ner.wasm \
         (scripts/build-component --ner) to use model files"
            .to_string(),
    ))
}
