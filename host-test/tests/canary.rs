// SPDX-License-Identifier: Apache-2.0
//! The canary test (issue #9): across the WHOLE conformance corpus, played
//! through the built filter in the proxy-wasm host, no raw sensitive value
//! of a case appears in anything besides bodies: log lines (including the
//! audit line), metric names, headers sent upstream (placeholders only),
//! headers sent to the client, and local replies.
//!
//! A case's raw values are what it says must never reach the upstream or
//! the logs (`upstream.body_not_contains`, `local_reply.body_not_contains`,
//! `log_not_contains`). Answers forwarded from the upstream legitimately
//! carry restored values in their BODY, so only their headers are checked.
//! Needs the built filter (`scripts/build-filter`).

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use shroud_host::conformance::{self, Case, HostRunner, Observed};
use std::sync::{Arc, OnceLock};

/// Shorter needles are fragments ("ada", a digit group) that legitimately
/// occur in ids and counts.
const MIN_CANARY: usize = 8;

/// The case's raw sensitive values.
fn canaries(case: &Case) -> Vec<String> {
    let expect = &case.spec.expect;
    let mut out: Vec<String> = expect.log_not_contains.clone();
    if let Some(reply) = &expect.local_reply {
        out.extend(reply.body_not_contains.iter().cloned());
    }
    if let Some(Value::Object(upstream)) = &expect.upstream
        && let Some(Value::Array(values)) = upstream.get("body_not_contains")
    {
        out.extend(values.iter().filter_map(Value::as_str).map(str::to_string));
    }
    out.retain(|v| v.chars().count() >= MIN_CANARY && !is_placeholder(v));
    out.sort();
    out.dedup();
    out
}

/// `[EMAIL_1]`-style text is what Shroud sends instead of a value.
fn is_placeholder(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']')
}

/// Every place other than a forwarded body where a value must not appear.
fn leaks(seen: &Observed, values: &[String]) -> Vec<String> {
    let mut places: Vec<(String, String)> = Vec::new();
    for line in seen.logs.iter().flatten() {
        places.push(("log".into(), line.clone()));
    }
    for (name, value) in seen.metrics.iter().flatten() {
        places.push(("metric".into(), format!("{name}={value}")));
    }
    for (name, value) in seen.client_headers.iter().flatten() {
        places.push(("client header".into(), format!("{name}: {value}")));
    }
    if let Some(up) = &seen.upstream {
        for (name, value) in &up.headers {
            places.push(("upstream header".into(), format!("{name}: {value}")));
        }
    }
    if seen.local_reply {
        places.push((
            "local reply".into(),
            String::from_utf8_lossy(&seen.client_body).into_owned(),
        ));
    }
    let mut found = Vec::new();
    for value in values {
        for (place, text) in &places {
            if text.contains(value.as_str()) {
                let shown: String = text.chars().take(200).collect();
                found.push(format!("{value:?} in {place}: {shown}"));
            }
        }
    }
    found
}

fn check(runner: &HostRunner, case: &Case) -> Result<(), Failed> {
    let values = canaries(case);
    let seen = runner.observe(case).map_err(Failed::from)?;
    let found = leaks(&seen, &values);
    if found.is_empty() {
        Ok(())
    } else {
        Err(found.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = conformance::default_cases_dir();
    let (cases, skips) = match (conformance::load_cases(&dir), conformance::load_skips(&dir)) {
        (Ok(cases), Ok(skips)) => (cases, skips),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("canary: {e}");
            std::process::exit(1);
        }
    };
    let host: Arc<OnceLock<Result<HostRunner, String>>> = Arc::new(OnceLock::new());
    let mut trials = vec![Trial::test("self_check/leaks_are_reported", self_check)];
    for case in cases {
        let skipped = skips
            .get("host")
            .is_some_and(|m| m.contains_key(&case.id()));
        let name = format!("canary/{}", case.id());
        let host = Arc::clone(&host);
        let trial = Trial::test(name, move || {
            let runner = host.get_or_init(|| HostRunner::new(&conformance::default_filter_path()));
            match runner {
                Ok(runner) => check(runner, &case),
                Err(e) => Err(e.clone().into()),
            }
        });
        trials.push(trial.with_ignored_flag(skipped));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The detector itself can fail: a value in a log line and in a header is
/// reported, a clean exchange is not.
fn self_check() -> Result<(), Failed> {
    let values = vec!["sk-proj-canary-value-123".to_string()];
    let mut seen = Observed {
        logs: Some(vec!["shroud.audit {\"action\":\"mask\"}".into()]),
        client_headers: Some(vec![("x-shroud-action".into(), "mask".into())]),
        ..Observed::default()
    };
    if !leaks(&seen, &values).is_empty() {
        return Err("a clean exchange was reported".into());
    }
    seen.logs = Some(vec!["oops sk-proj-canary-value-123".into()]);
    seen.client_headers = Some(vec![("x-echo".into(), "sk-proj-canary-value-123".into())]);
    match leaks(&seen, &values).len() {
        2 => Ok(()),
        n => Err(format!("{n} leaks reported, expected 2").into()),
    }
}
