// SPDX-License-Identifier: Apache-2.0
//! NER tests against the real model (`scripts/fetch-model`).
//!
//! The same suite runs natively and on wasm32-wasip1 (scripts/test), and the
//! golden spans below are exact, so both targets produce the same spans. The
//! model directory is `$SHROUD_MODELS_DIR` or `../models`. Without the files
//! the tests say so loudly and pass, except with `SHROUD_REQUIRE_MODELS=1`
//! (set by scripts/test-ner, which `.ci/run` runs with `--native`;
//! forwarded to wasm by tests/wasi_runner.py), where a
//! missing model is a failure.

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
        _ if std::env::var("SHROUD_REQUIRE_MODELS").is_ok_and(|v| v == "1") => {
            panic!(
                "NER model files missing in {dir} (SHROUD_REQUIRE_MODELS=1): run scripts/fetch-model"
            )
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
        crate::detect::Detector::try_detect(&d, &crate::detect::text::Text::new(text), &mut out)
            .unwrap();
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

fn chat(text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": text}]
    }))
    .unwrap()
}

fn route(e: &Engine, profile: &str) -> crate::Route {
    e.route(&crate::RequestInfo {
        path: "/v1/chat/completions",
        route_profile: Some(profile),
        ..Default::default()
    })
}

#[test]
fn profiles_turn_ner_off_or_narrow_its_types() {
    let Some(e) = engine(
        r#"{"detectors":{"ner":{"enabled":true}},
            "profiles":{"names":{"ner":{"types":["person"]}},"off":{"ner":{"enabled":false}}}}"#,
    ) else {
        return;
    };
    let text =
        "Ticket from Marcus Delaney: resend it to 4821 Willow Creek Road, Portland, OR 97205.";
    let kinds = |ner: &crate::config::ProfileNer| -> Vec<String> {
        e.scanner
            .scan_for(text, ner)
            .iter()
            .map(|f| f.kind.to_string())
            .collect()
    };
    let profiles = &e.config().profiles;
    assert_eq!(kinds(&Default::default()), ["person", "address"]);
    assert_eq!(kinds(&profiles["names"].ner), ["person"]);
    assert!(kinds(&profiles["off"].ner).is_empty());

    // Through a request: the profile picked by the route decides.
    for (profile, masked) in [("default", true), ("off", false)] {
        let outcome = e.sanitize_request(&route(&e, profile), None, &chat(text));
        let crate::RequestOutcome::Forward { body, .. } = outcome else {
            panic!("{profile}: rejected")
        };
        let body = String::from_utf8(body.unwrap_or_else(|| chat(text))).unwrap();
        assert_eq!(
            !body.contains("Marcus Delaney"),
            masked,
            "{profile}: {body}"
        );
    }
}

/// A scanner whose every inference over a long text fails: a window longer
/// than BERT's 512 positions (config validation refuses that, so the scanner
/// is built directly).
fn failing_engine(fail_mode: &str) -> Option<Engine> {
    let model = MODEL.as_ref()?;
    let json = format!(r#"{{"detectors":{{"ner":{{"enabled":true}}}},"fail_mode":"{fail_mode}"}}"#);
    let mut config = Config::from_json(json.as_bytes()).unwrap();
    config.detectors.ner.window_tokens = 1000;
    let scanner =
        crate::Scanner::with_ner(&config.detectors, Arc::clone(model), config.fail_mode).unwrap();
    Some(Engine::assemble(config, scanner).unwrap())
}

fn long_text_with_a_name_and_an_email() -> String {
    let mut text = "Notes from the planning call about budgets and timelines. ".repeat(60);
    text.push_str("Marcus Delaney asked to be copied at marcus.delaney@example.com.");
    text
}

#[test]
fn failed_inference_under_fail_closed_refuses_the_request() {
    let Some(e) = failing_engine("closed") else {
        return;
    };
    let text = long_text_with_a_name_and_an_email();
    assert!(e.try_scan(&text).is_err());
    let outcome = e.sanitize_request(&route(&e, "default"), None, &chat(&text));
    let crate::RequestOutcome::Reject(rejection) = outcome else {
        panic!("forwarded although NER failed under fail_mode closed")
    };
    assert_eq!(rejection.status, 500);
    let body = String::from_utf8_lossy(&rejection.body);
    assert!(body.contains("NER inference failed"), "{body}");
    assert!(
        !body.contains("Marcus"),
        "the refusal must not echo the text: {body}"
    );
    assert_eq!(e.ner_failures(), 2);
    // Short texts fit one window and still work.
    assert_has(
        "I spoke with Marcus Delaney.",
        &e.try_scan("I spoke with Marcus Delaney.").unwrap(),
        "Marcus Delaney",
        "person",
    );
}

#[test]
fn failed_inference_under_fail_open_skips_ner_and_counts_it() {
    let Some(e) = failing_engine("open") else {
        return;
    };
    let text = long_text_with_a_name_and_an_email();
    let f = e.try_scan(&text).unwrap();
    assert_eq!(
        found(&text, &f),
        [("marcus.delaney@example.com", "email".to_string())]
    );
    assert_eq!(e.ner_failures(), 1);
    let outcome = e.sanitize_request(&route(&e, "default"), None, &chat(&text));
    let crate::RequestOutcome::Forward { body, .. } = outcome else {
        panic!("rejected although fail_mode is open")
    };
    let body = String::from_utf8(body.unwrap()).unwrap();
    assert!(
        !body.contains("marcus.delaney@example.com"),
        "the pattern tier still masks"
    );
    assert!(
        body.contains("Marcus Delaney asked"),
        "NER was skipped: {body}"
    );
    assert_eq!(e.ner_failures(), 2);
    // A skipped inference is no answer to keep: the resent text is scanned
    // again, not served from the scan cache.
    let outcome = e.sanitize_request(&route(&e, "default"), None, &chat(&text));
    let crate::RequestOutcome::Forward { report, .. } = outcome else {
        panic!("rejected although fail_mode is open")
    };
    assert_eq!(report.bytes_cached, 0);
    assert_eq!(e.ner_failures(), 3);
}
