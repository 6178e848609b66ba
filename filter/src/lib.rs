// SPDX-License-Identifier: Apache-2.0
//! Shroud as a proxy-wasm HTTP filter: registers the root context; all the
//! work happens in the engine, `root.rs` and `http.rs` only adapt.

mod audit;
mod engine;
mod host;
mod http;
mod metrics;
mod root;

/// The engine API the adapter is written against.
mod api {
    pub(crate) use shroud_engine::Engine;
    pub(crate) use shroud_engine::policy::*;
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::ShroudRoot::default())
    });
}}
