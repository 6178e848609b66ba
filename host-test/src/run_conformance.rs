// SPDX-License-Identifier: Apache-2.0
//! `shroud conformance`: runs the corpus through one runner and prints a
//! per-area summary table plus every failure.

use shroud_host::conformance::{self, AREAS, HostRunner, Verdict};
use std::collections::BTreeMap;
use std::path::Path;

/// Which implementation plays the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Runner {
    /// The built filter in the proxy-wasm host.
    Host,
    /// The engine API directly.
    Native,
}

pub fn run(runner: Runner, filter: &Path, cases_dir: &Path) -> Result<bool, String> {
    let cases = conformance::load_cases(cases_dir)?;
    let skips = conformance::load_skips(cases_dir)?;
    let name = match runner {
        Runner::Host => "host",
        Runner::Native => "native",
    };
    let host = match runner {
        Runner::Host => Some(HostRunner::new(filter)?),
        Runner::Native => None,
    };
    // area → (pass, fail, skip)
    let mut table: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let row = table.entry(case.area.clone()).or_default();
        let skip = skips.get(name).and_then(|m| m.get(&case.id()));
        let verdict = match (skip, &host) {
            (Some(reason), _) => Verdict::Skip(reason.clone()),
            (None, Some(host)) => host.run(case),
            (None, None) => conformance::run_native(case),
        };
        match verdict {
            Verdict::Pass => row.0 += 1,
            Verdict::Fail(errors) => {
                row.1 += 1;
                failures.push((case.id(), errors));
            }
            Verdict::Skip(_) => row.2 += 1,
        }
    }
    println!("runner: {name}\n");
    println!("| area | pass | fail | skip |");
    println!("|---|---:|---:|---:|");
    let mut total = (0, 0, 0);
    let order = |a: &String| AREAS.iter().position(|x| x == a).unwrap_or(AREAS.len());
    let mut areas: Vec<_> = table.into_iter().collect();
    areas.sort_by_key(|(a, _)| (order(a), a.clone()));
    for (area, (p, f, s)) in areas {
        println!("| {area} | {p} | {f} | {s} |");
        total = (total.0 + p, total.1 + f, total.2 + s);
    }
    println!("| **total** | {} | {} | {} |", total.0, total.1, total.2);
    for (id, errors) in &failures {
        println!("\nFAIL {name}/{id}");
        for e in errors {
            println!("  - {e}");
        }
    }
    Ok(failures.is_empty())
}
