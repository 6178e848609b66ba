// SPDX-License-Identifier: Apache-2.0
//! Shroud's off-gateway harness: a proxy-wasm ABI 0.2.1 host on wasmtime
//! that runs `shroud_filter.wasm` the way Envoy does, the conformance
//! corpus runners, and the expectation DSL for Rust tests.

pub mod abi;
pub mod conformance;
pub mod expect;
pub mod paths;
pub mod proxy;
