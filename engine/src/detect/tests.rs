// SPDX-License-Identifier: Apache-2.0
//! Scanner-level tests: custom and corporate detectors end to end, and the
//! evasion tricks normalization undoes, checked on ORIGINAL offsets.

use super::Scanner;
use crate::config::DetectorsConfig;
use crate::finding::{Category, Finding};

fn scanner(detectors_json: &str) -> Scanner {
    let cfg: DetectorsConfig = serde_json::from_str(detectors_json).unwrap();
    Scanner::new(&cfg).unwrap()
}

fn build_error(detectors_json: &str) -> crate::error::ConfigError {
    let cfg: DetectorsConfig = serde_json::from_str(detectors_json).unwrap();
    Scanner::new(&cfg).unwrap_err()
}

/// `(type, original slice)` of every finding, after checking that its byte
/// and char offsets describe the same span of `text`.
fn found<'t>(scanner: &Scanner, text: &'t str) -> Vec<(String, &'t str)> {
    scanner
        .scan(text)
        .iter()
        .map(|f| (f.kind.to_string(), checked_slice(text, f)))
        .collect()
}

fn checked_slice<'t>(text: &'t str, f: &Finding) -> &'t str {
    let slice = text
        .get(f.byte_start..f.byte_end)
        .unwrap_or_else(|| panic!("{f:?} is not on char boundaries of {text:?}"));
    assert_eq!(f.start, text[..f.byte_start].chars().count(), "{f:?}");
    assert_eq!(f.end, text[..f.byte_end].chars().count(), "{f:?}");
    slice
}

const EMPLOYEE: &str = r#"{"custom":[{"type":"employee_id","pattern":"EMP-\\d{6}"}]}"#;

#[test]
fn custom_entity_end_to_end() {
    let s = scanner(EMPLOYEE);
    assert_eq!(
        found(&s, "ask EMP-123456 or EMP-654321."),
        [
            ("employee_id".into(), "EMP-123456"),
            ("employee_id".into(), "EMP-654321")
        ]
    );
    let f = &s.scan("EMP-123456")[0];
    assert_eq!((f.category, f.score), (Category::Custom, 0.8));
    assert!(found(&s, "EMP-12345 and emp-123456").is_empty());
}

#[test]
fn custom_entity_category_and_score_come_from_config() {
    let s = scanner(
        r#"{"custom":[{"type":"badge","pattern":"B\\d{4}","category":"pii","score":0.4}]}"#,
    );
    let f = &s.scan("badge B1234")[0];
    assert_eq!(
        (f.category, f.kind.as_ref(), f.score),
        (Category::Pii, "badge", 0.4)
    );
}

#[test]
fn custom_context_words_are_required_when_given() {
    let s = scanner(
        r#"{"custom":[{"type":"tab_number","pattern":"\\b\\d{7}\\b",
            "context":["Табельный", "Staff ID"],"context_window":20}]}"#,
    );
    let table: &[(&str, &[&str])] = &[
        ("табельный номер 1234567", &["1234567"]),
        ("ТАБЕЛЬНЫЙ: 1234567", &["1234567"]),
        ("1234567 is my staff id", &["1234567"]),
        ("order 1234567 shipped", &[]),
        ("табельный номер уже давно изменился: 1234567", &[]),
        ("staff identifier 1234567", &[]),
    ];
    for (text, want) in table {
        let got: Vec<&str> = found(&s, text).into_iter().map(|(_, v)| v).collect();
        assert_eq!(&got, want, "{text}");
    }
}

#[test]
fn custom_validators_filter_matches() {
    let s = scanner(
        r#"{"custom":[
            {"type":"loyalty_card","pattern":"\\b\\d{16}\\b","validator":"luhn"},
            {"type":"account_iban","pattern":"\\bXQ\\d{20}\\b","validator":"mod97"}]}"#,
    );
    // 9999… is outside every card issuer range, so only the custom type sees it.
    assert_eq!(
        found(&s, "9999123456789019 9999123456789018"),
        [("loyalty_card".into(), "9999123456789019")]
    );
    assert_eq!(
        // XQ is no IBAN country, so the built-in iban detector stays quiet.
        found(&s, "XQ67370400440532013000 XQ67370400440532013001"),
        [("account_iban".into(), "XQ67370400440532013000")]
    );
}

#[test]
fn custom_bad_pattern_and_empty_context_name_the_path() {
    let err =
        build_error(r#"{"custom":[{"type":"a","pattern":"ok"},{"type":"b","pattern":"(open"}]}"#);
    assert_eq!(err.path, "detectors.custom[1].pattern");
    let err = build_error(r#"{"custom":[{"type":"a","pattern":"x","context":["ok",""]}]}"#);
    assert_eq!(err.path, "detectors.custom[0].context[1]");
}

#[test]
fn disabled_custom_type_is_not_reported() {
    let s = scanner(
        r#"{"disabled":["employee_id"],
            "custom":[{"type":"employee_id","pattern":"EMP-\\d{6}"}]}"#,
    );
    assert!(s.scan("EMP-123456").is_empty());
}

const CORPORATE: &str = r#"{"corporate":{
    "internal_domains":["*.internal.corp","wiki.example.org"],
    "project_codes":["PRJ-\\d{4}"],
    "keywords":["Bluebird","Проект Заря"]}}"#;

#[test]
fn corporate_markers_end_to_end() {
    let s = scanner(CORPORATE);
    let text = "Open https://git.internal.corp/x, mail bob@hr.internal.corp, \
                see wiki.example.org for PRJ-1234 (Bluebird) и проект заря.";
    assert_eq!(
        found(&s, text),
        [
            ("internal_domain".into(), "git.internal.corp"),
            // The e-mail covers the internal host and outranks it.
            ("email".into(), "bob@hr.internal.corp"),
            ("internal_domain".into(), "wiki.example.org"),
            ("project_code".into(), "PRJ-1234"),
            ("keyword".into(), "Bluebird"),
            ("keyword".into(), "проект заря"),
        ]
    );
    assert!(
        s.scan("Bluebird")
            .iter()
            .all(|f| f.category == Category::Corporate)
    );
    let negatives = "internal.corp.evil.com xinternal.corp bluebirds PRJ-12345 \
                     wiki.example.org.evil.net";
    assert_eq!(found(&s, negatives), []);
}

#[test]
fn bad_glob_names_the_path() {
    let err = build_error(r#"{"corporate":{"internal_domains":["ok.corp","*.*.corp"]}}"#);
    assert_eq!(err.path, "detectors.corporate.internal_domains[1]");
}

// ---- evasion: every finding must cover exactly the original characters ----

#[test]
fn zero_width_inside_a_value_is_covered() {
    let s = scanner(EMPLOYEE);
    let text = "id: EMP-12\u{200B}34\u{2060}56!";
    assert_eq!(
        found(&s, text),
        [("employee_id".into(), "EMP-12\u{200B}34\u{2060}56")]
    );
    let c = scanner(CORPORATE);
    let text = "go to git.inter\u{200D}nal.corp now; Blue\u{FEFF}bird";
    assert_eq!(
        found(&c, text),
        [
            ("internal_domain".into(), "git.inter\u{200D}nal.corp"),
            ("keyword".into(), "Blue\u{FEFF}bird"),
        ]
    );
}

#[test]
fn zero_width_at_the_edges_is_left_outside() {
    let s = scanner(EMPLOYEE);
    let text = "\u{200B}EMP-123456\u{200B}";
    assert_eq!(found(&s, text), [("employee_id".into(), "EMP-123456")]);
}

#[test]
fn full_width_forms_match_ascii_patterns() {
    let s = scanner(EMPLOYEE);
    let text = "сотрудник ＥＭＰ－１２３４５６.";
    assert_eq!(
        found(&s, text),
        [("employee_id".into(), "ＥＭＰ－１２３４５６")]
    );
    let f = &s.scan(text)[0];
    assert_eq!((f.start, f.end), (10, 20));
}

#[test]
fn typographic_dash_and_math_letters_match() {
    let s = scanner(EMPLOYEE);
    assert_eq!(
        found(&s, "EMP\u{2011}123456 𝐄𝐌𝐏-123456"),
        [
            ("employee_id".into(), "EMP\u{2011}123456"),
            ("employee_id".into(), "𝐄𝐌𝐏-123456")
        ]
    );
}

#[test]
fn homoglyphs_in_keywords_and_domains_are_caught() {
    let s = scanner(CORPORATE);
    // Cyrillic е and а inside an otherwise Latin word and host
    let text = "about Bluеbird at gіt.іnternаl.corp";
    assert_eq!(
        found(&s, text),
        [
            ("keyword".into(), "Bluеbird"),
            ("internal_domain".into(), "gіt.іnternаl.corp")
        ]
    );
    // a Cyrillic keyword spelled with a Latin o still matches
    assert_eq!(
        found(&s, "наш прoект заря"),
        [("keyword".into(), "прoект заря")]
    );
    // Cyrillic ЕМР is a homoglyph spelling of EMP
    let e = scanner(EMPLOYEE);
    assert_eq!(
        found(&e, "ЕМР-123456"),
        [("employee_id".into(), "ЕМР-123456")]
    );
}

#[test]
fn plain_russian_words_still_work_as_context() {
    let s = scanner(
        r#"{"custom":[{"type":"passport_ru","pattern":"\\b\\d{4} \\d{6}\\b","context":["паспорт"]}]}"#,
    );
    assert_eq!(
        found(&s, "Паспорт: 4510 123456"),
        [("passport_ru".into(), "4510 123456")]
    );
    assert!(found(&s, "заказ 4510 123456").is_empty());
}

#[test]
fn json_unicode_escapes_are_decoded() {
    let s = scanner(EMPLOYEE);
    let text =
        r"value \u0045MP-123456 and \u0045\u004D\u0050\u002D\u0031\u0032\u0033\u0034\u0035\u0036";
    assert_eq!(
        found(&s, text),
        [
            ("employee_id".into(), r"\u0045MP-123456"),
            (
                "employee_id".into(),
                r"\u0045\u004D\u0050\u002D\u0031\u0032\u0033\u0034\u0035\u0036"
            ),
        ]
    );
    let c = scanner(CORPORATE);
    assert_eq!(
        found(&c, r"\uD83D\uDE00 \u0042luebird"),
        [("keyword".into(), r"\u0042luebird")]
    );
}

#[test]
fn char_offsets_count_multibyte_prefixes() {
    let s = scanner(EMPLOYEE);
    for (prefix, chars) in [
        ("Привет, ", 8),
        ("😀👍🏽 ", 4),
        ("日本語：", 4),
        ("\u{200B}a\u{0301} ", 4),
    ] {
        let text = format!("{prefix}EMP-123456 ok");
        let findings = s.scan(&text);
        assert_eq!(findings.len(), 1, "{text}");
        let f = &findings[0];
        assert_eq!((f.start, f.end), (chars, chars + 10), "{text}");
        assert_eq!(&text[f.byte_start..f.byte_end], "EMP-123456");
    }
}

#[test]
fn masking_the_findings_removes_every_value_char() {
    let s = scanner(EMPLOYEE);
    let text = "a ＥＭＰ－１２\u{200B}３４５６ b \\u0045MP-123456 c ЕМР-123456 d";
    let findings = s.scan(text);
    assert_eq!(findings.len(), 3);
    let mut masked = String::new();
    let mut at = 0;
    for f in &findings {
        masked.push_str(&text[at..f.byte_start]);
        masked.push('#');
        at = f.byte_end;
    }
    masked.push_str(&text[at..]);
    assert_eq!(masked, "a # b # c # d");
    assert!(s.scan(&masked).is_empty());
}
