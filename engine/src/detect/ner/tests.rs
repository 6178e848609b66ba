// SPDX-License-Identifier: Apache-2.0
//! NER tests against the real model (`scripts/fetch-model`).
//!
//! The same suite runs natively and on wasm32-wasip1 (scripts/test), and the
//! golden spans below are exact, so both targets produce the same spans. The
//! model directory is `$SHROUD_MODELS_DIR` or `../models`. Without the files
//! the tests say so loudly and pass, except under `CI=true`, where a missing
//! model is a failure.

use super::*;
use crate::Engine;
use crate::config::Config;
use crate::finding::Finding;
use once_cell::sync::Lazy;
use std::sync::Arc;

static MODEL: Lazy<Option<Arc<NerModel>>> = Lazy::new(|| {
    let dir = std::env::var("SHROUD_MODELS_DIR").unwrap_or_else(|_| "../models".into());
    let read = |name: &str| std::fs::read(format!("{dir}/{name}"));
    match (
        read("ner.onnx"),
        read("tokenizer.json"),
        read("labels.json"),
    ) {
        (Ok(onnx), Ok(tokenizer), Ok(labels)) => Some(Arc::new(
            NerModel::from_bytes(ModelBytes {
                onnx: &onnx,
                tokenizer: &tokenizer,
                labels: &labels,
            })
            .unwrap(),
        )),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("NER model files missing in {dir} under CI: run scripts/fetch-model")
        }
        _ => {
            eprintln!(
                "\n*** NER MODEL TESTS SKIPPED: no model in {dir}. Run scripts/fetch-model. ***\n"
            );
            None
        }
    }
});

fn engine(config: &str) -> Option<Engine> {
    let model = MODEL.as_ref()?;
    let config = Config::from_json(config.as_bytes()).unwrap();
    Some(Engine::from_config_and_model(config, Arc::clone(model)).unwrap())
}

const ENABLED: &str = r#"{"detectors":{"ner":{"enabled":true}}}"#;

fn found<'t>(text: &'t str, findings: &[Finding]) -> Vec<(&'t str, String)> {
    findings
        .iter()
        .map(|f| (&text[f.byte_start..f.byte_end], f.kind.to_string()))
        .collect()
}

fn assert_has(text: &str, findings: &[Finding], value: &str, kind: &str) {
    let got = found(text, findings);
    assert!(
        got.iter().any(|(v, k)| v.contains(value) && k == kind),
        "expected {kind} covering {value:?} in {text:?}, got {got:?}"
    );
}

#[test]
fn names_in_an_email_are_one_person_each() {
    let Some(e) = engine(ENABLED) else { return };
    let text = "Hi Priya,\n\nThanks for the update. I spoke with Marcus Delaney from \
                accounting and he will send the invoice tomorrow.\n\nBest,\nHelen Carter";
    let f = e.scan(text);
    assert_has(text, &f, "Marcus Delaney", "person");
    assert_has(text, &f, "Helen Carter", "person");
    assert_has(text, &f, "Priya", "person");
}

#[test]
fn street_address_in_a_support_ticket_is_one_address() {
    let Some(e) = engine(ENABLED) else { return };
    let text = "Ticket #4471: the package never arrived. Please resend it to \
                4821 Willow Creek Road, Portland, OR 97205.";
    let f = e.scan(text);
    assert_has(text, &f, "4821 Willow Creek Road", "address");
    let addresses = f.iter().filter(|f| f.kind == "address").count();
    assert_eq!(addresses, 1, "{:?}", found(text, &f));
}

#[test]
fn id_numbers_in_a_chat_turn_are_found() {
    let Some(e) = engine(ENABLED) else { return };
    let text = "Sure. Passport: K73920184. Driver license: WDL4RT8821QX. \
                National ID 8810125800087.";
    let f = e.scan(text);
    assert_has(text, &f, "K73920184", "passport_number");
    assert_has(text, &f, "WDL4RT8821QX", "drivers_license");
    assert_has(text, &f, "8810125800087", "government_id");
}

#[test]
fn ner_and_regex_findings_merge_without_duplicates() {
    let Some(e) = engine(ENABLED) else { return };
    let text = "Please contact Daniel Reyes at daniel.reyes@example.com or +1 415 555 0134.";
    let f = e.scan(text);
    assert_has(text, &f, "Daniel Reyes", "person");
    assert_has(text, &f, "daniel.reyes@example.com", "email");
    // The email is one finding, typed by the pattern, even if the model
    // sees a name inside it.
    let emails: Vec<_> = f.iter().filter(|f| f.kind == "email").collect();
    assert_eq!(emails.len(), 1);
    for pair in f.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "overlap in {:?}",
            found(text, &f)
        );
    }
}

#[test]
fn texts_without_personal_data_give_no_ner_findings() {
    let Some(e) = engine(ENABLED) else { return };
    for text in [
        "The build failed on step 3 with exit code 137 after 12 minutes.",
        "Refactor the parser so that it returns a Result instead of panicking.",
        "SELECT count(*) FROM orders WHERE status = 'shipped' GROUP BY region;",
        "a3f9c2e1b7d84f60a3f9c2e1b7d84f60a3f9c2e1b7d84f60a3f9c2e1b7d84f60a3f9",
    ] {
        let f = e.scan(text);
        let ner: Vec<_> = found(text, &f)
            .into_iter()
            .filter(|(_, k)| k == "person" || k == "address")
            .collect();
        assert!(ner.is_empty(), "{text:?}: {ner:?}");
    }
}

#[test]
fn disabled_ner_and_unmapped_types_report_nothing() {
    let Some(model) = MODEL.as_ref() else { return };
    let text = "I spoke with Marcus Delaney yesterday.";
    let off = Engine::from_config_and_model(Config::default(), Arc::clone(model)).unwrap();
    assert!(off.scan(text).is_empty());
    let only_cities =
        engine(r#"{"detectors":{"ner":{"enabled":true,"types":{"CITY":"city"}}}}"#).unwrap();
    assert!(only_cities.scan(text).is_empty());
}

#[test]
fn unknown_model_label_is_a_config_error() {
    let Some(model) = MODEL.as_ref() else { return };
    let config =
        Config::from_json(br#"{"detectors":{"ner":{"enabled":true,"types":{"ORG":"org"}}}}"#)
            .unwrap();
    let err = Engine::from_config_and_model(config, Arc::clone(model)).unwrap_err();
    assert_eq!(err.path, "detectors.ner.types.ORG");
}

#[test]
fn long_texts_are_windowed_and_keep_offsets() {
    let Some(e) = engine(ENABLED) else { return };
    let filler = "The quarterly report covers revenue, costs and the hiring plan for next year. ";
    let mut text = filler.repeat(12);
    let at = text.len();
    text.push_str("Send the draft to Olivia Brennan before Monday. ");
    text.push_str(&filler.repeat(12));
    text.push_str("Héloïse Martin will review it.");
    let f = e.scan(&text);
    assert_has(&text, &f, "Olivia Brennan", "person");
    assert_has(&text, &f, "Martin", "person");
    assert!(f.iter().any(|f| f.byte_start >= at && f.kind == "person"));
}

#[test]
fn short_and_code_like_strings_are_skipped() {
    let Some(model) = MODEL.as_ref() else { return };
    let cfg = Config::default().detectors.ner;
    let d = NerDetector::new(Arc::clone(model), &cfg, crate::config::FailMode::Closed).unwrap();
    let mut out = Vec::new();
    for text in ["", "ab", "12", "....", &"x".repeat(100)] {
        crate::detect::Detector::try_detect(&d, text, &mut out).unwrap();
    }
    assert!(out.is_empty());
}

/// Exact spans: the same on every target (native == wasm32).
#[test]
fn golden_spans_are_identical_on_every_target() {
    let Some(e) = engine(ENABLED) else { return };
    let text = "Hello, this is Samuel Whitfield. I moved to 77 Harbor Lane, Apt 3B, \
                Bangor, ME 04401 last month; my SSN on file is wrong.";
    let got: Vec<(usize, usize, String)> = e
        .scan(text)
        .iter()
        .map(|f| (f.start, f.end, f.kind.to_string()))
        .collect();
    let want: Vec<(usize, usize, String)> = GOLDEN
        .iter()
        .map(|(s, e, k)| (*s, *e, k.to_string()))
        .collect();
    assert_eq!(got, want, "{:?}", found(text, &e.scan(text)));
}

const GOLDEN: &[(usize, usize, &str)] = &[(15, 31, "person"), (44, 84, "address")];
