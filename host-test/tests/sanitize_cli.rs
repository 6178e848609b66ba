// SPDX-License-Identifier: Apache-2.0
//! `shroud sanitize`: one body through the built filter, as an operator
//! runs it to see what the upstream would receive and what a VM costs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test binary: helpers fail the test by panicking"
)]

mod support;

#[test]
fn sanitize_prints_the_upstream_body_and_the_vm_memory() {
    let filter = shroud_host::paths::filter_wasm();
    let body =
        r#"{"model":"m","messages":[{"role":"user","content":"mail jane.roe@example.org"}]}"#;
    let out = support::shroud(
        "sanitize",
        &[std::ffi::OsStr::new("--filter"), filter.as_os_str()],
        body,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let upstream = String::from_utf8(out.stdout).unwrap();
    assert!(!upstream.contains("jane.roe"), "{upstream}");
    assert!(upstream.contains("[EMAIL_1]"), "{upstream}");
    assert!(stderr.contains("forwarded upstream"), "{stderr}");
    let memory: Vec<f64> = stderr
        .lines()
        .find_map(|l| l.strip_prefix("filter VM linear memory: "))
        .unwrap_or_else(|| panic!("no memory line in {stderr}"))
        .split(" MiB")
        .filter_map(|part| part.rsplit(' ').next()?.parse().ok())
        .collect();
    // A configured filter holds its compiled rules: more than the 1 MiB
    // the module starts with, and memory never shrinks.
    assert_eq!(memory.len(), 2, "{stderr}");
    assert!(memory[0] > 1.0 && memory[1] >= memory[0], "{memory:?}");
}
