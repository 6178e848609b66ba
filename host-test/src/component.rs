// SPDX-License-Identifier: Apache-2.0
//! The engine's WASI-component face, loaded with wasmtime: what
//! `shroud scan --engine component` runs, so the CLI can prove the built
//! `shroud_component.wasm` answers exactly like the native engine.

use std::path::{Path, PathBuf};
use wasmtime::component::{Component, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ world: "sanitizer", path: "../wit" });

use exports::shroud::sanitizer::engine::GuestEngine;
pub use exports::shroud::sanitizer::types::{Category, Finding};

/// Where `scripts/build-component` puts the component (see
/// [`shroud_host::paths`]).
pub fn default_path(ner: bool) -> PathBuf {
    shroud_host::paths::component_wasm(ner)
}

/// One model file handed to `create-with-models`: its name and bytes.
pub type ModelFile = (String, Vec<u8>);

/// Store data: WASI p2 state (the component's Rust std imports it; no
/// files, no environment, no network are granted).
struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// One instance of the component holding one configured `engine` resource.
pub struct ComponentEngine {
    store: Store<HostState>,
    bindings: Sanitizer,
    engine: ResourceAny,
}

impl ComponentEngine {
    /// Compiles and instantiates the component at `wasm`, then creates an
    /// engine from `config_json` (empty means defaults) and, when `models`
    /// is not empty, the NER model's files (`create-with-models`).
    pub fn load(
        wasm: &Path,
        config_json: &str,
        models: &[ModelFile],
    ) -> Result<ComponentEngine, String> {
        let engine = Engine::new(&Config::new()).map_err(|e| format!("wasmtime: {e:#}"))?;
        let component = Component::from_file(&engine, wasm).map_err(|e| {
            format!(
                "cannot load component {} (build it with scripts/build-component): {e:#}",
                wasm.display()
            )
        })?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| format!("linking WASI: {e:#}"))?;
        let mut store = Store::new(
            &engine,
            HostState {
                wasi: WasiCtxBuilder::new().build(),
                table: ResourceTable::new(),
            },
        );
        let bindings = Sanitizer::instantiate(&mut store, &component, &linker)
            .map_err(|e| format!("instantiating {}: {e:#}", wasm.display()))?;
        let guest = bindings.shroud_sanitizer_engine().engine();
        let created = if models.is_empty() {
            guest.call_create(&mut store, config_json)
        } else {
            let files: Vec<exports::shroud::sanitizer::types::ModelFile> = models
                .iter()
                .map(
                    |(name, bytes)| exports::shroud::sanitizer::types::ModelFile {
                        name: name.clone(),
                        bytes: bytes.clone(),
                    },
                )
                .collect();
            guest.call_create_with_models(&mut store, config_json, &files)
        }
        .map_err(|e| format!("component trapped: {e:#}"))?;
        let engine = created.map_err(|e| format!("{}: {}", e.path, e.message))?;
        Ok(ComponentEngine {
            store,
            bindings,
            engine,
        })
    }

    /// `engine.scan(text)` in the component.
    pub fn scan(&mut self, text: &str) -> Result<Vec<Finding>, String> {
        let guest: GuestEngine<'_> = self.bindings.shroud_sanitizer_engine().engine();
        guest
            .call_scan(&mut self.store, self.engine, text)
            .map_err(|e| format!("component trapped: {e:#}"))
    }
}

impl ComponentEngine {
    /// `engine.sanitize` on a request body sent to `path` (JSON); the
    /// number of bytes that would go upstream. Used by `shroud bench`.
    pub fn sanitize(&mut self, path: &str, body: &[u8]) -> Result<usize, String> {
        let request = exports::shroud::sanitizer::engine::Request {
            surface: None,
            path: Some(path.to_string()),
            headers: Vec::new(),
            profile: None,
            content_type: Some("application/json".into()),
            body: body.to_vec(),
        };
        let guest: GuestEngine<'_> = self.bindings.shroud_sanitizer_engine().engine();
        match guest
            .call_sanitize(&mut self.store, self.engine, &request)
            .map_err(|e| format!("component trapped: {e:#}"))?
        {
            Ok(outcome) => {
                // The session lives in the guest until the host drops it.
                outcome
                    .session
                    .resource_drop(&mut self.store)
                    .map_err(|e| format!("dropping the session: {e:#}"))?;
                Ok(outcome.body.map_or(body.len(), |b| b.len()))
            }
            Err(rejection) => Err(format!(
                "the component refused the body: {}",
                rejection.status
            )),
        }
    }
}

/// The snake_case name the native engine serializes.
pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Secret => "secret",
        Category::Pii => "pii",
        Category::Corporate => "corporate",
        Category::Injection => "injection",
        Category::Custom => "custom",
    }
}
