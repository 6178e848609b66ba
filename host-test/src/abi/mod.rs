// SPDX-License-Identifier: Apache-2.0
//! The proxy-wasm ABI 0.2.1 host, one module per spec area. All host state
//! lives in [`HostState`] inside the wasmtime `Store`; nothing is global.
//!
//! Every host call first gives the expectation script (`expect.rs`) a chance
//! to answer it, then does what Envoy does. An import this host does not
//! implement traps with its name the moment the guest calls it.

pub mod buffers;
pub mod config;
pub mod context;
pub mod headers;
pub mod http;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod properties;
pub mod shared;
pub mod timers;
pub mod wasi;

use crate::expect::Script;
use std::collections::BTreeMap;
use wasmtime::format_err;
use wasmtime::{Extern, Linker, Module};

/// `proxy_status_t` (spec: "Status codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    NotFound = 1,
    BadArgument = 2,
    SerializationFailure = 3,
    ParseFailure = 4,
    InvalidMemoryAccess = 6,
    Empty = 7,
    CasMismatch = 8,
    InternalFailure = 10,
    Unimplemented = 12,
}

/// Why a host call did not succeed: a status for the guest, or a trap.
#[derive(Debug)]
pub enum Fail {
    Status(Status),
    Trap(wasmtime::Error),
}

impl From<Status> for Fail {
    fn from(status: Status) -> Fail {
        Fail::Status(status)
    }
}

impl From<wasmtime::Error> for Fail {
    fn from(err: wasmtime::Error) -> Fail {
        Fail::Trap(err)
    }
}

/// What a host-call body returns.
pub type CallResult = Result<(), Fail>;

/// The `i32` a host call returns to the guest, or the trap.
pub fn status(result: CallResult) -> wasmtime::Result<i32> {
    match result {
        Ok(()) => Ok(Status::Ok as i32),
        Err(Fail::Status(s)) => Ok(s as i32),
        Err(Fail::Trap(err)) => Err(err),
    }
}

/// One `proxy_log` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// `proxy_log_level_t`: 0 trace … 5 critical.
    pub level: i32,
    pub message: String,
}

/// A `proxy_send_local_response` call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalReply {
    pub status: u32,
    pub details: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub grpc_status: i32,
}

/// Which half of a stream a callback belongs to; `proxy_continue_stream`
/// and `proxy_close_stream` name one (`proxy_stream_type_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    #[default]
    Created,
    RequestHeaders,
    RequestBody,
    RequestTrailers,
    ResponseHeaders,
    ResponseBody,
    ResponseTrailers,
    Done,
}

/// One HTTP stream as the host holds it (Envoy's filter-manager view).
#[derive(Debug, Default)]
pub struct Stream {
    pub phase: Phase,
    pub request_headers: Vec<(String, String)>,
    pub request_trailers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub response_trailers: Vec<(String, String)>,
    /// What `proxy_get_buffer_bytes(HttpRequestBody)` sees: the current
    /// chunk plus everything buffered while the filter paused.
    pub request_body: Vec<u8>,
    pub response_body: Vec<u8>,
    pub local_reply: Option<LocalReply>,
    /// `proxy_continue_stream` calls: (request, response).
    pub resumed: (bool, bool),
    /// `proxy_close_stream` was called.
    pub closed: bool,
}

/// Everything the host knows; the data of the wasmtime `Store`.
pub struct HostState {
    pub vm_config: Vec<u8>,
    pub plugin_config: Vec<u8>,
    pub logs: Vec<LogEntry>,
    /// Lowest level `proxy_get_log_level` reports.
    pub log_level: i32,
    /// Host properties by dotted path (`xds.route_name`); request
    /// properties (`request.path`, …) are derived from the stream.
    pub properties: BTreeMap<String, Vec<u8>>,
    pub streams: BTreeMap<u32, Stream>,
    /// The context host calls act on (`proxy_set_effective_context`).
    pub active: u32,
    pub metrics: metrics::Metrics,
    pub shared: shared::SharedData,
    pub queues: shared::Queues,
    pub timers: timers::Timers,
    pub callouts: http::Callouts,
    /// `proxy_done` calls.
    pub done_calls: u32,
    pub script: Script,
    /// State of the deterministic `random_get` stream.
    pub random_state: u64,
    /// `proc_exit` code, when the guest exited.
    pub exit_code: Option<i32>,
}

impl Default for HostState {
    fn default() -> HostState {
        HostState {
            vm_config: Vec::new(),
            plugin_config: Vec::new(),
            logs: Vec::new(),
            log_level: 0,
            properties: BTreeMap::new(),
            streams: BTreeMap::new(),
            active: 0,
            metrics: metrics::Metrics::default(),
            shared: shared::SharedData::default(),
            queues: shared::Queues::default(),
            timers: timers::Timers::default(),
            callouts: http::Callouts::default(),
            done_calls: 0,
            script: Script::default(),
            random_state: 0x5eed_5eed_5eed_5eed,
            exit_code: None,
        }
    }
}

impl HostState {
    /// The stream of the active context.
    pub fn stream(&self) -> Option<&Stream> {
        self.streams.get(&self.active)
    }

    pub fn stream_mut(&mut self) -> Option<&mut Stream> {
        self.streams.get_mut(&self.active)
    }

    /// Lets the expectation script answer `call` instead of the host.
    pub fn intercept(&mut self, call: &'static str) -> Option<Status> {
        self.script.intercept(call)
    }
}

/// A linker with every host call this crate implements; any other import
/// of `module` traps with its name when called.
pub fn linker(engine: &wasmtime::Engine, module: &Module) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    logging::add_to_linker(&mut linker)?;
    config::add_to_linker(&mut linker)?;
    context::add_to_linker(&mut linker)?;
    buffers::add_to_linker(&mut linker)?;
    headers::add_to_linker(&mut linker)?;
    http::add_to_linker(&mut linker)?;
    metrics::add_to_linker(&mut linker)?;
    properties::add_to_linker(&mut linker)?;
    shared::add_to_linker(&mut linker)?;
    timers::add_to_linker(&mut linker)?;
    wasi::add_to_linker(&mut linker)?;
    let mut probe = wasmtime::Store::new(engine, HostState::default());
    let defined: std::collections::HashSet<(String, String)> = linker
        .iter(&mut probe)
        .map(|(m, n, _)| (m.to_string(), n.to_string()))
        .collect();
    for import in module.imports() {
        let (module_name, name) = (import.module().to_string(), import.name().to_string());
        if defined.contains(&(module_name.clone(), name.clone())) {
            continue;
        }
        if let wasmtime::ExternType::Func(ty) = import.ty() {
            let what = format!("{module_name}::{name}");
            linker.func_new(&module_name, &name, ty, move |_, _, _| {
                Err(format_err!(
                    "unimplemented host call {what}: this host does not provide it"
                ))
            })?;
        }
    }
    Ok(linker)
}

/// The guest's exported memory.
pub(crate) fn guest_memory(
    caller: &mut wasmtime::Caller<'_, HostState>,
) -> wasmtime::Result<wasmtime::Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| format_err!("the guest exports no memory"))
}
