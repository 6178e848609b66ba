// SPDX-License-Identifier: Apache-2.0
//! The loaded NER model: an optimized tract plan, its tokenizer and labels.
//!
//! Loaded from bytes (never from a path or the network) so the proxy-wasm
//! filter can `include_bytes!` the files and the component can receive them
//! over WIT. Loading optimizes the graph once; inference only runs the plan.

use super::decode::Labels;
use crate::error::ConfigError;
use tokenizers::Tokenizer;
use tract_onnx::prelude::*;

/// The three files `scripts/fetch-model` writes to `models/`, as bytes.
#[derive(Debug, Clone, Copy)]
pub struct ModelBytes<'a> {
    /// `ner.onnx`: a BERT token classifier with inputs `input_ids`,
    /// `attention_mask`, `token_type_ids` (i64 `[batch, seq]`) and output
    /// `logits` (`[batch, seq, classes]`).
    pub onnx: &'a [u8],
    /// `tokenizer.json` (Hugging Face tokenizers format).
    pub tokenizer: &'a [u8],
    /// `labels.json`: a JSON list of BIO labels by class id, or a model
    /// `config.json` with `id2label`.
    pub labels: &'a [u8],
}

/// Why one inference failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceError(pub String);

impl std::fmt::Display for InferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NER inference failed: {}", self.0)
    }
}

impl std::error::Error for InferenceError {}

type Plan = std::sync::Arc<TypedSimplePlan>;

/// A token classifier ready to run; share it between configurations with `Arc`.
pub struct NerModel {
    plan: Plan,
    tokenizer: Tokenizer,
    pub(crate) labels: Labels,
    cls: u32,
    sep: u32,
    /// `[PAD]`, or `[SEP]` when the vocabulary has none (masked out either way).
    pad: u32,
}

impl std::fmt::Debug for NerModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NerModel")
            .field("labels", &self.labels.entities)
            .finish_non_exhaustive()
    }
}

/// The most tokens one window may hold, [CLS] and [SEP] included (BERT's
/// position table).
pub(crate) const MAX_POSITIONS: usize = 512;

/// Windows are padded (attention mask 0) to a multiple of this: tract's
/// row-wise softmax kernel only takes rows whose length is a multiple of 4,
/// and matrix kernels tile by 8 or 16 rows.
const PAD_TO: usize = 16;

impl NerModel {
    /// Parses, checks and optimizes the model. Errors name the file at fault
    /// as `models.onnx`, `models.tokenizer` or `models.labels`.
    pub fn from_bytes(bytes: ModelBytes<'_>) -> Result<NerModel, ConfigError> {
        let labels = parse_labels(bytes.labels)?;
        let tokenizer = Tokenizer::from_bytes(bytes.tokenizer)
            .map_err(|e| ConfigError::new("models.tokenizer", e.to_string()))?;
        let special = |name: &str| {
            tokenizer.token_to_id(name).ok_or_else(|| {
                ConfigError::new(
                    "models.tokenizer",
                    format!("no {name} token in the vocabulary"),
                )
            })
        };
        let cls = special("[CLS]")?;
        let sep = special("[SEP]")?;
        let pad = tokenizer.token_to_id("[PAD]").unwrap_or(sep);
        let plan = load_plan(bytes.onnx, labels.tags.len())
            .map_err(|e| ConfigError::new("models.onnx", format!("{e:#}")))?;
        Ok(NerModel {
            plan,
            tokenizer,
            labels,
            cls,
            sep,
            pad,
        })
    }

    /// Tokenizes `text` without special tokens: ids, byte offsets, word ids.
    pub(crate) fn tokenize(&self, text: &str) -> Result<tokenizers::Encoding, InferenceError> {
        self.tokenizer
            .encode(text, false)
            .map_err(|e| InferenceError(e.to_string()))
    }

    /// Per-token (class, probability) for one window of token ids; the
    /// window is wrapped in [CLS] … [SEP] here.
    pub(crate) fn classify(&self, ids: &[u32]) -> Result<Vec<(usize, f32)>, InferenceError> {
        let len = ids.len() + 2;
        if len > MAX_POSITIONS {
            return Err(InferenceError(format!(
                "window of {len} tokens exceeds {MAX_POSITIONS}"
            )));
        }
        let padded = len.next_multiple_of(PAD_TO).min(MAX_POSITIONS);
        let mut input: Vec<i64> = Vec::with_capacity(padded);
        input.push(i64::from(self.cls));
        input.extend(ids.iter().map(|&i| i64::from(i)));
        input.push(i64::from(self.sep));
        input.resize(padded, i64::from(self.pad));
        let err = |e: TractError| InferenceError(format!("{e:#}"));
        let input_ids = tract_ndarray::Array2::from_shape_vec((1, padded), input)
            .map_err(|e| InferenceError(e.to_string()))?;
        let mask = tract_ndarray::Array2::from_shape_fn((1, padded), |(_, j)| i64::from(j < len));
        let types = tract_ndarray::Array2::<i64>::zeros((1, padded));
        let outputs = self
            .plan
            .run(tvec!(
                Tensor::from(input_ids).into(),
                Tensor::from(mask).into(),
                Tensor::from(types).into()
            ))
            .map_err(err)?;
        let logits = outputs
            .first()
            .ok_or_else(|| InferenceError("model returned no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(err)?;
        let classes = self.labels.tags.len();
        let shape = logits.shape();
        if shape != [1, padded, classes] {
            return Err(InferenceError(format!(
                "logits have shape {shape:?}, expected [1, {padded}, {classes}]"
            )));
        }
        let logits = logits
            .into_shape_with_order((padded, classes))
            .map_err(|e| InferenceError(e.to_string()))?;
        // Skip [CLS], [SEP] and padding: one prediction per input id.
        Ok(logits
            .outer_iter()
            .skip(1)
            .take(ids.len())
            .map(|row| softmax_argmax(row.as_slice().unwrap_or(&[])))
            .collect())
    }
}

fn load_plan(onnx: &[u8], classes: usize) -> TractResult<Plan> {
    let mut reader = onnx;
    // HF exports declare symbolic dims in value_info/outputs that tract's
    // analyser does not need and sometimes disagrees with: ignore them.
    let mut model = tract_onnx::onnx()
        .with_ignore_output_shapes(true)
        .with_ignore_value_info(true)
        .model_for_read(&mut reader)?;
    let seq = model.sym("S");
    for input in 0..3 {
        model.set_input_fact(input, i64::fact([1.to_dim(), seq.to_dim()]).into())?;
    }
    let plan = model.into_optimized()?.into_runnable()?;
    let out = plan.model().output_fact(0)?;
    if let Some(last) = out.shape.iter().last()
        && let Ok(n) = tract_onnx::tract_hir::internal::DimLike::to_usize(last)
        && n != classes
    {
        return Err(TractError::msg(format!(
            "model has {n} classes, labels.json lists {classes}"
        )));
    }
    Ok(plan)
}

fn parse_labels(bytes: &[u8]) -> Result<Labels, ConfigError> {
    let err = |m: String| ConfigError::new("models.labels", m);
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
    let names: Vec<String> = match &value {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| err("labels must be strings".into()))?,
        serde_json::Value::Object(obj) => {
            let map = obj
                .get("id2label")
                .and_then(serde_json::Value::as_object)
                .ok_or_else(|| err("expected a list or a config.json with id2label".into()))?;
            (0..map.len())
                .map(|i| {
                    map.get(&i.to_string())
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| err("id2label must map 0..n to strings".into()))?
        }
        _ => return Err(err("expected a list or a config.json with id2label".into())),
    };
    if names.is_empty() {
        return Err(err("no labels".into()));
    }
    Labels::parse(&names).map_err(err)
}

/// The most likely class and its softmax probability.
fn softmax_argmax(row: &[f32]) -> (usize, f32) {
    let (best, max) =
        row.iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
            );
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    let p = if sum > 0.0 && sum.is_finite() {
        1.0 / sum
    } else {
        0.0
    };
    (best, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_argmax_picks_the_largest() {
        let (i, p) = softmax_argmax(&[0.0, 2.0, 0.0]);
        assert_eq!(i, 1);
        assert!((p - 0.786_986).abs() < 1e-4, "{p}");
        assert_eq!(softmax_argmax(&[]).0, 0);
    }

    #[test]
    fn labels_accept_a_list_or_id2label() {
        let l = parse_labels(br#"["O","B-CITY","I-CITY"]"#).unwrap();
        assert_eq!(l.entities, ["CITY"]);
        let l = parse_labels(br#"{"id2label":{"1":"B-CITY","0":"O","2":"I-CITY"}}"#).unwrap();
        assert_eq!(l.tags.len(), 3);
        assert_eq!(parse_labels(b"[1]").unwrap_err().path, "models.labels");
        assert!(parse_labels(b"[]").is_err());
        assert!(parse_labels(br#"{"id2label":{"1":"O"}}"#).is_err());
    }
}
