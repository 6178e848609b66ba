// SPDX-License-Identifier: Apache-2.0
//! The root context: turns the plugin configuration into an engine (once per
//! configuration, shared by every request of this plugin) and defines the
//! metrics.

use crate::api::Engine;
use crate::engine;
use crate::host::{self, Buffer};
use crate::http::ShroudHttp;
use crate::metrics::Metrics;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;
use std::rc::Rc;

/// What every HTTP context of one plugin configuration shares.
pub struct Shared {
    pub engine: Engine,
    pub metrics: Metrics,
}

#[derive(Default)]
pub struct ShroudRoot {
    shared: Option<Rc<Shared>>,
}

impl Context for ShroudRoot {}

impl RootContext for ShroudRoot {
    /// The configuration is the plugin's `configuration` string (JSON, see
    /// `envoy-config/plugin-config.json`). Returning `false` tells the host
    /// this plugin instance must not be used (ABI: `proxy_on_configure`);
    /// Envoy then rejects the listener/filter config.
    fn on_configure(&mut self, plugin_configuration_size: usize) -> bool {
        let config = match host::buffer(Buffer::PluginConfiguration, 0, plugin_configuration_size) {
            Ok(config) => config,
            Err(err) => {
                log::error!("shroud: cannot read the plugin configuration: {err}");
                return false;
            }
        };
        match engine::build(&config) {
            Ok(engine) => {
                let metrics = Metrics::define(&engine);
                self.shared = Some(Rc::new(Shared { engine, metrics }));
                log::info!(
                    "shroud: configured ({} bytes of configuration)",
                    config.len()
                );
                true
            }
            Err(err) => {
                log::error!("shroud: invalid plugin configuration: {err}");
                false
            }
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        // Always a context: the SDK panics on `None`. Without an engine the
        // context fails closed.
        Some(Box::new(ShroudHttp::new(context_id, self.shared.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
