// SPDX-License-Identifier: Apache-2.0
//! The fallback surface for JSON Shroud has no schema for: every string leaf
//! is visited (role Other) except values under never-touch keys. Object keys
//! themselves are never visited or changed.

use super::TextRole;
use super::walk::{Step, Walker};
use serde_json::Value;

pub(super) fn document<E>(w: &mut Walker<'_, '_, E>, doc: &mut Value) -> Step<E> {
    w.leaves(doc, TextRole::Other)
}
