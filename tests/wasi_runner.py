#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Cargo runner for wasm32-wasip1 test binaries: runs them under wasmtime.

Used as CARGO_TARGET_WASM32_WASIP1_RUNNER by scripts/test, so that the very
same engine test-suite runs natively and compiled to wasm (native == wasm).
The current directory is preopened as "." so tests that read fixtures work.
"""
import os
import sys

import wasmtime


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: wasi_runner.py MODULE.wasm [ARGS...]", file=sys.stderr)
        return 2
    module_path = sys.argv[1]
    config = wasmtime.Config()
    config.wasm_simd = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(module_path)] + sys.argv[2:]
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.env = [(k, v) for k, v in os.environ.items() if k.startswith(("RUST_", "PROPTEST_", "SHROUD_"))]
    wasi.preopen_dir(".", ".")
    # NER tests read the model from $SHROUD_MODELS_DIR (outside the crate
    # directory): make it visible at the same path.
    models = os.environ.get("SHROUD_MODELS_DIR")
    if models and os.path.isdir(models):
        wasi.preopen_dir(models, models)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, module_path)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    except wasmtime.Trap as trap:
        # panic=abort: a failing test aborts the module with `unreachable`.
        print(f"wasi_runner: {module_path} trapped: {trap.message}", file=sys.stderr)
        return 101
    return 0


if __name__ == "__main__":
    sys.exit(main())
