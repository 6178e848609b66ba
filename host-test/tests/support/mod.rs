// SPDX-License-Identifier: Apache-2.0
//! Helpers shared by host-test's integration tests: the built filter
//! compiled once per test binary, and `shroud scan` run as a subprocess.
//! Each test binary uses a subset.
#![allow(
    dead_code,
    reason = "every test binary compiles this module and uses a part of it"
)]

use shroud_host::expect::Tester;
use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The filter (`scripts/build-filter`), compiled once for all tests of
/// this binary.
pub fn compiled_filter() -> &'static (wasmtime::Engine, wasmtime::Module) {
    static COMPILED: OnceLock<(wasmtime::Engine, wasmtime::Module)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let path = shroud_host::paths::filter_wasm();
        let wasm = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/build-filter first", path.display()));
        let engine = shroud_host::proxy::engine().unwrap();
        let module = shroud_host::proxy::compile(&engine, &wasm).unwrap();
        (engine, module)
    })
}

/// A fresh VM of the filter, not yet configured.
pub fn filter_vm() -> Tester {
    let (engine, module) = compiled_filter();
    Tester::instantiate(engine, module).unwrap()
}

/// The built component (`scripts/build-component [--ner]`); a missing one
/// fails the test with the command that builds it.
pub fn component(ner: bool) -> PathBuf {
    let wasm = shroud_host::paths::component_wasm(ner);
    let build = if ner {
        "scripts/build-component --ner"
    } else {
        "scripts/build-component"
    };
    assert!(wasm.is_file(), "{} is missing: run {build}", wasm.display());
    wasm
}

/// `shroud scan ARGS` with `input` on stdin.
pub fn shroud_scan<S: AsRef<OsStr>>(args: &[S], input: &str) -> Output {
    shroud("scan", args, input)
}

/// `shroud COMMAND ARGS` with `input` on stdin.
pub fn shroud<S: AsRef<OsStr>>(command: &str, args: &[S], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shroud"))
        .arg(command)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The JSON lines `shroud scan ARGS` prints for `input`; it must succeed.
pub fn scan_lines<S: AsRef<OsStr>>(args: &[S], input: &str) -> String {
    let out = shroud_scan(args, input);
    assert!(
        out.status.success(),
        "shroud scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What `shroud scan ARGS` says on stderr when it must fail.
pub fn scan_error<S: AsRef<OsStr>>(args: &[S]) -> String {
    let out = shroud_scan(args, "");
    assert!(!out.status.success(), "shroud scan should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
