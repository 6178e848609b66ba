// SPDX-License-Identifier: Apache-2.0
//! Shroud as a proxy-wasm HTTP filter: registers the root context; all the
//! work happens in the engine, `root.rs` and `http.rs` only adapt.

mod audit;
mod host;
mod http;
mod metrics;
mod pending_engine_api;
mod root;

/// The engine API the adapter is written against.
// TEMPORARY: until engine/src/policy.rs lands; then this becomes
// `pub(crate) use shroud_engine::{Engine, policy::*};` (or wherever the
// contract types are exported) and pending_engine_api.rs goes.
mod api {
    pub(crate) use crate::pending_engine_api::*;
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::ShroudRoot::default())
    });
}}
