// SPDX-License-Identifier: Apache-2.0
//! The conformance corpus as libtest trials named `runner/area/case`:
//! `host` (the built filter in the proxy-wasm host) and `native` (the
//! engine API). Skips from `tests/conformance/skip.toml` are ignored trials.
//! The filter must be built first (`scripts/build-filter`; `scripts/test`
//! does it): a missing `.wasm` fails every host trial with that advice.

use libtest_mimic::{Arguments, Failed, Trial};
use shroud_host::conformance::{self, Case, HostRunner, Verdict};
use std::sync::{Arc, OnceLock};

fn verdict(v: Verdict) -> Result<(), Failed> {
    match v {
        Verdict::Pass | Verdict::Skip(_) => Ok(()),
        Verdict::Fail(errors) => Err(errors.join("\n").into()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = conformance::default_cases_dir();
    let cases = match conformance::load_cases(&dir) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("conformance: {e}");
            std::process::exit(1);
        }
    };
    let skips = match conformance::load_skips(&dir) {
        Ok(skips) => skips,
        Err(e) => {
            eprintln!("conformance: {e}");
            std::process::exit(1);
        }
    };
    let host: Arc<OnceLock<Result<HostRunner, String>>> = Arc::new(OnceLock::new());
    let mut trials = Vec::new();
    for case in cases {
        let case = Arc::new(case);
        for runner in ["host", "native"] {
            let skipped = skips
                .get(runner)
                .is_some_and(|m| m.contains_key(&case.id()));
            let name = format!("{runner}/{}", case.id());
            let case: Arc<Case> = Arc::clone(&case);
            let trial = if runner == "host" {
                let host = Arc::clone(&host);
                Trial::test(name, move || {
                    let runner =
                        host.get_or_init(|| HostRunner::new(&conformance::default_filter_path()));
                    match runner {
                        Ok(runner) => verdict(runner.run(&case)),
                        Err(e) => Err(e.clone().into()),
                    }
                })
            } else {
                Trial::test(name, move || verdict(conformance::run_native(&case)))
            };
            trials.push(trial.with_ignored_flag(skipped));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
