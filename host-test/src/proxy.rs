// SPDX-License-Identifier: Apache-2.0
//! [`ProxyHost`] drives a proxy-wasm module through the context lifecycle
//! the way Envoy does: VM start, configure, then per stream request
//! headers → body chunks → trailers, response headers → body chunks →
//! trailers, done, log, delete.
//!
//! [`ProxyHost::exchange`] plays a whole HTTP exchange against a scripted
//! upstream and reproduces Envoy's filter-manager rules: a paused body
//! chunk stays in the buffer and the next chunk is appended to it; a
//! continued chunk (as the filter left it after `proxy_set_buffer_bytes`)
//! goes on; a local reply stops the request (resetting an upstream request
//! already started) and is itself encoded through the response callbacks.

use crate::abi::{self, HostState, LocalReply, Phase, Stream};
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Instance, Module, Store, WasmParams, WasmResults};
use wasmtime::{bail, format_err};

/// `proxy_action_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue,
    Pause,
}

impl Action {
    fn from_raw(raw: i32) -> wasmtime::Result<Action> {
        match raw {
            0 => Ok(Action::Continue),
            1 => Ok(Action::Pause),
            other => bail!("the guest returned the unknown action {other}"),
        }
    }
}

/// Header pairs, names lower-case.
pub type Pairs = Vec<(String, String)>;

/// What the client sends.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Including `:method`, `:path`, `:authority`, `:scheme`.
    pub headers: Pairs,
    /// Body chunks as the host receives them (empty: no body).
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Pairs,
}

/// What reached the upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub headers: Pairs,
    pub body: Vec<u8>,
    /// Body as forwarded, chunk by chunk (empty chunks are not sent).
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Pairs,
    /// The request ended normally (not reset by a local reply or a stall).
    pub complete: bool,
}

/// The upstream's answer.
#[derive(Debug, Clone, Default)]
pub struct UpstreamResponse {
    pub status: u16,
    pub headers: Pairs,
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Pairs,
}

/// What the client got.
#[derive(Debug, Clone, Default)]
pub struct ClientResponse {
    pub status: u16,
    pub headers: Pairs,
    pub body: Vec<u8>,
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Pairs,
}

impl ClientResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The outcome of [`ProxyHost::exchange`].
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// `None`: nothing (not even headers) went upstream.
    pub upstream: Option<UpstreamRequest>,
    pub local_reply: Option<LocalReply>,
    pub client: ClientResponse,
    /// Where the stream stopped for good: a callback paused and nothing
    /// resumed it (Envoy would wait for its stream timeout).
    pub stalled: Option<String>,
}

/// A wasmtime engine set up for proxy-wasm filters.
pub fn engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_simd(true);
    Engine::new(&config)
}

/// Compiles a filter (binary `.wasm` or text).
pub fn compile(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
    Module::new(engine, bytes).context("compiling the proxy-wasm module")
}

/// One proxy-wasm VM with one root context.
pub struct ProxyHost {
    store: Store<HostState>,
    instance: Instance,
    root_id: u32,
    next_context: u32,
    next_request_id: u64,
}

impl ProxyHost {
    /// Instantiates `module` and runs its WASI start function.
    pub fn new(engine: &Engine, module: &Module) -> wasmtime::Result<ProxyHost> {
        let linker = abi::linker(engine, module)?;
        let mut store = Store::new(engine, HostState::default());
        let instance = linker
            .instantiate(&mut store, module)
            .context("instantiating the proxy-wasm module")?;
        if instance
            .get_func(&mut store, "proxy_abi_version_0_2_1")
            .is_none()
            && instance
                .get_func(&mut store, "proxy_abi_version_0_2_0")
                .is_none()
        {
            bail!("the module exports no proxy_abi_version_0_2_x marker");
        }
        let mut host = ProxyHost {
            store,
            instance,
            root_id: 1,
            next_context: 2,
            next_request_id: 1,
        };
        host.store.data_mut().callouts.root_id = host.root_id;
        // Reactors export _initialize, commands _start (spec: "Integration").
        for start in ["_initialize", "_start"] {
            if host.instance.get_func(&mut host.store, start).is_some() {
                host.call::<(), ()>(start, ())?;
                break;
            }
        }
        Ok(host)
    }

    pub fn state(&self) -> &HostState {
        self.store.data()
    }

    pub fn state_mut(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    /// Size of the guest's linear memory in bytes. Wasm memory only grows,
    /// so after a run this is its peak.
    pub fn memory_bytes(&mut self) -> Option<usize> {
        let memory = self.instance.get_memory(&mut self.store, "memory")?;
        Some(memory.data_size(&self.store))
    }

    pub fn root_id(&self) -> u32 {
        self.root_id
    }

    /// Calls an export; a missing one is an error naming it.
    pub fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        name: &str,
        params: P,
    ) -> wasmtime::Result<R> {
        let func = self
            .instance
            .get_typed_func::<P, R>(&mut self.store, name)
            .with_context(|| format!("the module has no usable export {name}"))?;
        func.call(&mut self.store, params)
            .with_context(|| format!("{name} trapped"))
    }

    fn has_export(&mut self, name: &str) -> bool {
        self.instance.get_func(&mut self.store, name).is_some()
    }

    /// Root context, VM start and configuration; `Ok(false)` when the
    /// plugin refused its configuration.
    pub fn start(&mut self, vm_config: &[u8], plugin_config: &[u8]) -> wasmtime::Result<bool> {
        let root = self.root_id as i32;
        self.state_mut().vm_config = vm_config.to_vec();
        self.state_mut().plugin_config = plugin_config.to_vec();
        self.state_mut().active = self.root_id;
        self.call::<(i32, i32), ()>("proxy_on_context_create", (root, 0))?;
        let vm_ok: i32 = self.call("proxy_on_vm_start", (root, vm_config.len() as i32))?;
        if vm_ok == 0 {
            return Ok(false);
        }
        let ok: i32 = self.call("proxy_on_configure", (root, plugin_config.len() as i32))?;
        self.pump()?;
        Ok(ok != 0)
    }

    /// A new HTTP context under the root.
    pub fn create_http_context(&mut self) -> wasmtime::Result<u32> {
        let id = self.next_context;
        self.next_context += 1;
        self.state_mut().streams.insert(id, Stream::default());
        self.state_mut().active = id;
        self.call::<(i32, i32), ()>("proxy_on_context_create", (id as i32, self.root_id as i32))?;
        Ok(id)
    }

    fn enter(&mut self, context_id: u32, phase: Phase) -> wasmtime::Result<&mut Stream> {
        let state = self.store.data_mut();
        state.active = context_id;
        let stream = state
            .streams
            .get_mut(&context_id)
            .ok_or_else(|| format_err!("no HTTP context {context_id}"))?;
        stream.phase = phase;
        Ok(stream)
    }

    fn callback(&mut self, name: &str, params: (i32, i32, i32)) -> wasmtime::Result<Action> {
        let raw: i32 = self.call(name, params)?;
        self.pump()?;
        Action::from_raw(raw)
    }

    pub fn on_request_headers(
        &mut self,
        ctx: u32,
        headers: Pairs,
        eos: bool,
    ) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::RequestHeaders)?;
        stream.request_headers = headers;
        let n = stream.request_headers.len() as i32;
        self.callback("proxy_on_request_headers", (ctx as i32, n, i32::from(eos)))
    }

    /// Appends `chunk` to what the host holds and calls the filter.
    pub fn on_request_body(
        &mut self,
        ctx: u32,
        chunk: &[u8],
        eos: bool,
    ) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::RequestBody)?;
        stream.request_body.extend_from_slice(chunk);
        let n = stream.request_body.len() as i32;
        self.callback("proxy_on_request_body", (ctx as i32, n, i32::from(eos)))
    }

    pub fn on_request_trailers(&mut self, ctx: u32, trailers: Pairs) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::RequestTrailers)?;
        stream.request_trailers = trailers;
        let n = stream.request_trailers.len() as i32;
        let raw: i32 = self.call("proxy_on_request_trailers", (ctx as i32, n))?;
        self.pump()?;
        Action::from_raw(raw)
    }

    pub fn on_response_headers(
        &mut self,
        ctx: u32,
        headers: Pairs,
        eos: bool,
    ) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::ResponseHeaders)?;
        stream.response_headers = headers;
        let n = stream.response_headers.len() as i32;
        self.callback("proxy_on_response_headers", (ctx as i32, n, i32::from(eos)))
    }

    pub fn on_response_body(
        &mut self,
        ctx: u32,
        chunk: &[u8],
        eos: bool,
    ) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::ResponseBody)?;
        stream.response_body.extend_from_slice(chunk);
        let n = stream.response_body.len() as i32;
        self.callback("proxy_on_response_body", (ctx as i32, n, i32::from(eos)))
    }

    pub fn on_response_trailers(&mut self, ctx: u32, trailers: Pairs) -> wasmtime::Result<Action> {
        let stream = self.enter(ctx, Phase::ResponseTrailers)?;
        stream.response_trailers = trailers;
        let n = stream.response_trailers.len() as i32;
        let raw: i32 = self.call("proxy_on_response_trailers", (ctx as i32, n))?;
        self.pump()?;
        Action::from_raw(raw)
    }

    /// End of stream: `proxy_on_done`, `proxy_on_log`, `proxy_on_delete`.
    pub fn finish_stream(&mut self, ctx: u32) -> wasmtime::Result<()> {
        self.enter(ctx, Phase::Done)?;
        let _done: i32 = self.call("proxy_on_done", (ctx as i32,))?;
        self.call::<(i32,), ()>("proxy_on_log", (ctx as i32,))?;
        self.call::<(i32,), ()>("proxy_on_delete", (ctx as i32,))?;
        self.state_mut().streams.remove(&ctx);
        self.state_mut().active = self.root_id;
        Ok(())
    }

    /// Advances the virtual clock by one tick period and calls `proxy_on_tick`.
    pub fn tick(&mut self) -> wasmtime::Result<()> {
        let period = u64::from(self.state().timers.tick_period_ms);
        self.state_mut().timers.now_nanos += period * 1_000_000;
        self.state_mut().active = self.root_id;
        self.call::<(i32,), ()>("proxy_on_tick", (self.root_id as i32,))?;
        self.pump()
    }

    /// Delivers scripted HTTP call answers and ready queues.
    fn pump(&mut self) -> wasmtime::Result<()> {
        loop {
            let state = self.store.data_mut();
            if let Some(queue) = state.queues.ready.pop_front() {
                if self.has_export("proxy_on_queue_ready") {
                    let saved = self.state().active;
                    self.state_mut().active = self.root_id;
                    self.call::<(i32, i32), ()>(
                        "proxy_on_queue_ready",
                        (self.root_id as i32, queue as i32),
                    )?;
                    self.state_mut().active = saved;
                }
                continue;
            }
            if state.callouts.pending.is_empty() || state.callouts.answers.is_empty() {
                return Ok(());
            }
            let (Some(call), Some(answer)) = (
                state.callouts.pending.pop_front(),
                state.callouts.answers.pop_front(),
            ) else {
                return Ok(());
            };
            self.answer_http_call(call.token, answer)?;
        }
    }

    /// Answers HTTP call `token` through `proxy_on_http_call_response`.
    pub fn answer_http_call(
        &mut self,
        token: u32,
        answer: abi::http::CallResponse,
    ) -> wasmtime::Result<()> {
        let state = self.store.data_mut();
        state.callouts.pending.retain(|c| c.token != token);
        let context_id = state
            .callouts
            .made
            .iter()
            .find(|c| c.token == token)
            .map(|c| c.context_id)
            .ok_or_else(|| format_err!("no HTTP call with token {token}"))?;
        let (h, b, t) = (
            answer.headers.len(),
            answer.body.len(),
            answer.trailers.len(),
        );
        let saved = state.active;
        state.active = context_id;
        state.callouts.last_status = (0, String::new());
        state.callouts.delivering = Some(answer);
        let result = self.call::<(i32, i32, i32, i32, i32), ()>(
            "proxy_on_http_call_response",
            (
                context_id as i32,
                token as i32,
                h as i32,
                b as i32,
                t as i32,
            ),
        );
        let state = self.store.data_mut();
        state.callouts.delivering = None;
        state.active = saved;
        result
    }

    fn stream(&self, ctx: u32) -> wasmtime::Result<&Stream> {
        self.state()
            .streams
            .get(&ctx)
            .ok_or_else(|| format_err!("HTTP context {ctx} vanished"))
    }

    fn local_reply(&self, ctx: u32) -> wasmtime::Result<Option<LocalReply>> {
        Ok(self.stream(ctx)?.local_reply.clone())
    }

    /// Takes the request body the host holds after a continued callback.
    fn drain_request(&mut self, ctx: u32, upstream: &mut UpstreamRequest) -> wasmtime::Result<()> {
        let body = std::mem::take(&mut self.enter(ctx, Phase::RequestBody)?.request_body);
        if !body.is_empty() {
            upstream.body.extend_from_slice(&body);
            upstream.chunks.push(body);
        }
        Ok(())
    }

    fn drain_response(&mut self, ctx: u32, client: &mut ClientResponse) -> wasmtime::Result<()> {
        let body = std::mem::take(&mut self.enter(ctx, Phase::ResponseBody)?.response_body);
        if !body.is_empty() {
            client.body.extend_from_slice(&body);
            client.chunks.push(body);
        }
        Ok(())
    }

    /// Whether the filter resumed the request (`true`) or response half.
    fn resumed(&mut self, ctx: u32, request: bool) -> wasmtime::Result<bool> {
        let state = self.store.data_mut();
        let stream = state
            .streams
            .get_mut(&ctx)
            .ok_or_else(|| format_err!("HTTP context {ctx} vanished"))?;
        let flag = if request {
            &mut stream.resumed.0
        } else {
            &mut stream.resumed.1
        };
        Ok(std::mem::take(flag))
    }

    /// Adds what Envoy's connection manager adds before the filter chain
    /// runs: `x-request-id` when absent.
    fn prepare(&mut self, request: &Request) -> Pairs {
        let mut headers: Pairs = request
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        if !headers.iter().any(|(k, _)| k == "x-request-id") {
            let n = self.next_request_id;
            self.next_request_id += 1;
            headers.push((
                "x-request-id".into(),
                format!("00000000-0000-4000-8000-{n:012x}"),
            ));
        }
        headers
    }

    /// Plays one exchange: the client's `request`, the upstream's answer
    /// from `upstream` (called with what the upstream received).
    pub fn exchange(
        &mut self,
        request: &Request,
        upstream: &mut dyn FnMut(&UpstreamRequest) -> UpstreamResponse,
    ) -> wasmtime::Result<Exchange> {
        let ctx = self.create_http_context()?;
        let mut out = Exchange::default();
        let result = self.run_exchange(ctx, request, upstream, &mut out);
        let finished = self.finish_stream(ctx);
        result?;
        finished?;
        Ok(out)
    }

    fn run_exchange(
        &mut self,
        ctx: u32,
        request: &Request,
        upstream: &mut dyn FnMut(&UpstreamRequest) -> UpstreamResponse,
        out: &mut Exchange,
    ) -> wasmtime::Result<()> {
        let headers = self.prepare(request);
        let has_trailers = !request.trailers.is_empty();
        let mut sent = UpstreamRequest::default();
        let eos = request.chunks.is_empty() && !has_trailers;
        let action = self.on_request_headers(ctx, headers, eos)?;
        if let Some(reply) = self.local_reply(ctx)? {
            return self.reply_locally(ctx, reply, None, out);
        }
        if action == Action::Pause && !self.resumed(ctx, true)? {
            out.stalled = Some("request headers".into());
            return Ok(());
        }
        sent.headers = self.stream(ctx)?.request_headers.clone();
        let last = request.chunks.len().saturating_sub(1);
        for (i, chunk) in request.chunks.iter().enumerate() {
            let eos = i == last && !has_trailers;
            let action = self.on_request_body(ctx, chunk, eos)?;
            if let Some(reply) = self.local_reply(ctx)? {
                return self.reply_locally(ctx, reply, Some(sent), out);
            }
            // Pause = StopIterationAndBuffer: the host keeps the bytes.
            if action == Action::Continue || self.resumed(ctx, true)? {
                self.drain_request(ctx, &mut sent)?;
            } else if eos {
                out.upstream = Some(sent);
                out.stalled = Some("request body".into());
                return Ok(());
            }
        }
        if has_trailers {
            let action = self.on_request_trailers(ctx, request.trailers.clone())?;
            if let Some(reply) = self.local_reply(ctx)? {
                return self.reply_locally(ctx, reply, Some(sent), out);
            }
            if action == Action::Pause && !self.resumed(ctx, true)? {
                out.upstream = Some(sent);
                out.stalled = Some("request trailers".into());
                return Ok(());
            }
            // Whatever the filter still held goes with the trailers.
            self.drain_request(ctx, &mut sent)?;
            sent.trailers = self.stream(ctx)?.request_trailers.clone();
        }
        sent.complete = true;
        let response = upstream(&sent);
        out.upstream = Some(sent);
        self.respond(ctx, response, out)
    }

    /// The upstream's (or a local reply's) response through the filter.
    fn respond(
        &mut self,
        ctx: u32,
        response: UpstreamResponse,
        out: &mut Exchange,
    ) -> wasmtime::Result<()> {
        let mut headers = vec![(":status".to_string(), response.status.to_string())];
        headers.extend(
            response
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
        );
        let has_trailers = !response.trailers.is_empty();
        let eos = response.chunks.is_empty() && !has_trailers;
        let action = self.on_response_headers(ctx, headers, eos)?;
        if action == Action::Pause && !self.resumed(ctx, false)? {
            out.stalled = Some("response headers".into());
            return Ok(());
        }
        out.client.headers = self.stream(ctx)?.response_headers.clone();
        out.client.status = out
            .client
            .header(":status")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let last = response.chunks.len().saturating_sub(1);
        for (i, chunk) in response.chunks.iter().enumerate() {
            let eos = i == last && !has_trailers;
            let action = self.on_response_body(ctx, chunk, eos)?;
            if action == Action::Continue || self.resumed(ctx, false)? {
                self.drain_response(ctx, &mut out.client)?;
            } else if eos {
                out.stalled = Some("response body".into());
                return Ok(());
            }
        }
        if has_trailers {
            let action = self.on_response_trailers(ctx, response.trailers.clone())?;
            if action == Action::Pause && !self.resumed(ctx, false)? {
                out.stalled = Some("response trailers".into());
                return Ok(());
            }
            self.drain_response(ctx, &mut out.client)?;
            out.client.trailers = self.stream(ctx)?.response_trailers.clone();
        }
        Ok(())
    }

    /// Envoy's `sendLocalReply`: the request stops (an upstream request
    /// already started is reset) and the reply is encoded through the
    /// filter's response callbacks, with `content-length` set.
    fn reply_locally(
        &mut self,
        ctx: u32,
        reply: LocalReply,
        started: Option<UpstreamRequest>,
        out: &mut Exchange,
    ) -> wasmtime::Result<()> {
        out.upstream = started;
        let mut headers: Pairs = reply
            .headers
            .iter()
            .filter(|(k, _)| k != "content-length")
            .cloned()
            .collect();
        if !reply.body.is_empty() && !headers.iter().any(|(k, _)| k == "content-type") {
            headers.push(("content-type".into(), "text/plain".into()));
        }
        headers.push(("content-length".into(), reply.body.len().to_string()));
        let status = u16::try_from(reply.status).unwrap_or(500);
        let chunks = if reply.body.is_empty() {
            Vec::new()
        } else {
            vec![reply.body.clone()]
        };
        out.local_reply = Some(reply);
        self.respond(
            ctx,
            UpstreamResponse {
                status,
                headers,
                chunks,
                trailers: Vec::new(),
            },
            out,
        )
    }
}
