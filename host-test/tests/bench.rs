// SPDX-License-Identifier: Apache-2.0
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should stop the test loudly"
)]
//! `shroud bench --quick` runs every section and writes the promised shape:
//! the CSV columns and one row per size × payload × module, throughput
//! operation × engine, and streaming module. Times are never checked.
//! Needs the built filter (`scripts/build-filter`); the component rows stay
//! empty when the component is not built.

use std::process::Command;

#[test]
fn quick_bench_writes_every_row_and_column() {
    let dir = std::env::temp_dir().join(format!("shroud-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (csv, md) = (dir.join("bench.csv"), dir.join("bench.md"));
    let out = Command::new(env!("CARGO_BIN_EXE_shroud"))
        .arg("bench")
        .arg("--quick")
        .arg("--filter")
        .arg(shroud_host::paths::target_dir().join("wasm32-wasip1/release/shroud_filter.wasm"))
        .arg("--component")
        .arg(shroud_host::paths::target_dir().join("wasm32-wasip2/release/shroud_component.wasm"))
        .arg("--csv")
        .arg(&csv)
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shroud bench --quick failed (is the filter built? scripts/build-filter):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert_eq!(stdout, markdown, "stdout is the Markdown report");
    for heading in [
        "### Per request through the proxy-wasm host",
        "### Engine throughput",
        "### Streaming",
    ] {
        assert!(markdown.contains(heading), "{heading} missing:\n{markdown}");
    }

    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "section", "case", "bytes", "variant", "samples", "p50_us", "p90_us", "p99_us",
            "max_us", "mb_per_s", "note"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()), "{csv}");
    let count = |section: &str| rows.iter().filter(|r| r[0] == section).count();
    assert_eq!(
        count("latency"),
        4 * 2 * 3,
        "sizes × payloads × (no-op, filter, added)"
    );
    assert_eq!(
        count("throughput"),
        2 * 2 * 2,
        "payloads × (scan, sanitize) × engines"
    );
    assert_eq!(count("streaming"), 3);
    for size in ["1024", "4096", "65536", "1048576"] {
        for payload in ["clean", "pii-dense"] {
            for variant in ["no-op", "filter", "added"] {
                let row = rows
                    .iter()
                    .find(|r| {
                        r[0] == "latency" && r[1] == payload && r[2] == size && r[3] == variant
                    })
                    .unwrap_or_else(|| panic!("no latency row {size} {payload} {variant}"));
                assert_eq!(row[4], "3", "--quick times 3 runs per cell");
                assert!(row[5].parse::<f64>().is_ok(), "p50 of {row:?}");
            }
        }
    }
    let native = rows
        .iter()
        .filter(|r| r[0] == "throughput" && r[3] == "native")
        .count();
    assert_eq!(native, 4);
    assert!(
        rows.iter()
            .filter(|r| r[0] == "throughput" && r[3] == "native")
            .all(|r| r[9].parse::<f64>().is_ok_and(|v| v > 0.0))
    );
    std::fs::remove_dir_all(&dir).ok();
}
