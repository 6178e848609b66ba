// SPDX-License-Identifier: Apache-2.0
//! Where the build scripts put what the CLI and the tests load: one place,
//! so `shroud`, `shroud bench` and every test agree on the same files.

use std::path::{Path, PathBuf};

/// The repository root (host-test's parent).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `$CARGO_TARGET_DIR` (a relative one is taken from the repository root,
/// as cargo does), or the repository's `target/`.
pub fn target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    if target.is_absolute() {
        target
    } else {
        workspace_root().join(target)
    }
}

/// The filter `scripts/build-filter` builds, or `$SHROUD_FILTER_WASM`.
pub fn filter_wasm() -> PathBuf {
    if let Some(path) = std::env::var_os("SHROUD_FILTER_WASM") {
        return PathBuf::from(path);
    }
    target_dir().join("wasm32-wasip1/release/shroud_filter.wasm")
}

/// The component `scripts/build-component` builds (with `--ner`: the
/// variant that loads the NER model).
pub fn component_wasm(ner: bool) -> PathBuf {
    let name = if ner {
        "shroud_component_ner.wasm"
    } else {
        "shroud_component.wasm"
    };
    target_dir().join("wasm32-wasip2/release").join(name)
}
