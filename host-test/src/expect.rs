// SPDX-License-Identifier: Apache-2.0
//! A small expectation DSL for Rust tests, in the spirit of the proxy-wasm
//! test framework: `call_*` → `expect_*` → `returning(..)` →
//! `execute_and_expect(..)`.
//!
//! Expectations are consumed in order: each names a host call the guest
//! must make during the callback; `returning(status)` makes that call fail
//! with `status` instead of reaching the host (fault injection), otherwise
//! the host answers as usual. Calls not expected pass through. Whatever was
//! expected and not made fails the step.

use crate::abi::{LocalReply, Status};
use crate::proxy::{Action, Pairs, ProxyHost};
use std::collections::VecDeque;
use wasmtime::{bail, format_err};

/// One expected host call.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub call: &'static str,
    /// `Some`: the call fails with this status.
    pub returning: Option<Status>,
}

/// The expectations of the running step; lives in `HostState`.
#[derive(Debug, Default)]
pub struct Script {
    pending: VecDeque<Expectation>,
    /// Every host call made while a script was armed, in order.
    pub calls: Vec<&'static str>,
    armed: bool,
}

impl Script {
    /// Called by every host call first; `Some` answers it.
    pub fn intercept(&mut self, call: &'static str) -> Option<Status> {
        if !self.armed {
            return None;
        }
        self.calls.push(call);
        if self.pending.front().is_some_and(|e| e.call == call) {
            return self.pending.pop_front().and_then(|e| e.returning);
        }
        None
    }

    fn arm(&mut self, expectations: Vec<Expectation>) {
        self.pending = expectations.into();
        self.calls.clear();
        self.armed = true;
    }

    fn disarm(&mut self) -> Vec<Expectation> {
        self.armed = false;
        std::mem::take(&mut self.pending).into()
    }
}

/// What a callback is expected to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnType {
    Action(Action),
    Bool(bool),
    /// Nothing to check.
    None,
}

/// A filter under test: a [`ProxyHost`] plus the DSL.
pub struct Tester {
    pub host: ProxyHost,
}

enum Callback {
    Configure(Vec<u8>),
    RequestHeaders(u32, Pairs, bool),
    RequestBody(u32, Vec<u8>, bool),
    ResponseHeaders(u32, Pairs, bool),
    ResponseBody(u32, Vec<u8>, bool),
}

/// One step being built.
#[must_use = "a step does nothing until execute_and_expect"]
pub struct Call<'a> {
    tester: &'a mut Tester,
    callback: Callback,
    expectations: Vec<Expectation>,
}

impl Tester {
    /// Compiles `wasm` and instantiates it.
    pub fn new(wasm: &[u8]) -> wasmtime::Result<Tester> {
        let engine = crate::proxy::engine()?;
        let module = crate::proxy::compile(&engine, wasm)?;
        Tester::instantiate(&engine, &module)
    }

    /// A fresh VM of an already compiled module (compiling is the slow part).
    pub fn instantiate(
        engine: &wasmtime::Engine,
        module: &wasmtime::Module,
    ) -> wasmtime::Result<Tester> {
        Ok(Tester {
            host: ProxyHost::new(engine, module)?,
        })
    }

    fn step(&mut self, callback: Callback) -> Call<'_> {
        Call {
            tester: self,
            callback,
            expectations: Vec::new(),
        }
    }

    /// VM start and `proxy_on_configure` with `config`.
    pub fn call_configure(&mut self, config: &[u8]) -> Call<'_> {
        self.step(Callback::Configure(config.to_vec()))
    }

    pub fn create_http_context(&mut self) -> wasmtime::Result<u32> {
        self.host.create_http_context()
    }

    pub fn call_request_headers(
        &mut self,
        ctx: u32,
        headers: &[(&str, &str)],
        eos: bool,
    ) -> Call<'_> {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.step(Callback::RequestHeaders(ctx, headers, eos))
    }

    pub fn call_request_body(&mut self, ctx: u32, chunk: &[u8], eos: bool) -> Call<'_> {
        self.step(Callback::RequestBody(ctx, chunk.to_vec(), eos))
    }

    pub fn call_response_headers(
        &mut self,
        ctx: u32,
        headers: &[(&str, &str)],
        eos: bool,
    ) -> Call<'_> {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.step(Callback::ResponseHeaders(ctx, headers, eos))
    }

    pub fn call_response_body(&mut self, ctx: u32, chunk: &[u8], eos: bool) -> Call<'_> {
        self.step(Callback::ResponseBody(ctx, chunk.to_vec(), eos))
    }

    /// The local reply the filter sent on `ctx`, if any.
    pub fn local_reply(&self, ctx: u32) -> Option<&LocalReply> {
        self.host.state().streams.get(&ctx)?.local_reply.as_ref()
    }

    /// The request body the host holds for `ctx` after the last callback.
    pub fn request_body(&self, ctx: u32) -> Option<&[u8]> {
        Some(&self.host.state().streams.get(&ctx)?.request_body)
    }

    pub fn response_body(&self, ctx: u32) -> Option<&[u8]> {
        Some(&self.host.state().streams.get(&ctx)?.response_body)
    }

    /// Value of a metric by name.
    pub fn metric(&self, name: &str) -> Option<i64> {
        self.host.state().metrics.get(name).map(|m| m.value)
    }

    /// Whether any log line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.host
            .state()
            .logs
            .iter()
            .any(|l| l.message.contains(needle))
    }
}

impl Call<'_> {
    /// The guest must make host call `call` (ABI name) during this step.
    pub fn expect(mut self, call: &'static str) -> Self {
        self.expectations.push(Expectation {
            call,
            returning: None,
        });
        self
    }

    /// The last expected call fails with `status`.
    pub fn returning(mut self, status: Status) -> Self {
        if let Some(last) = self.expectations.last_mut() {
            last.returning = Some(status);
        }
        self
    }

    pub fn expect_get_header_map_pairs(self) -> Self {
        self.expect("proxy_get_header_map_pairs")
    }

    pub fn expect_get_buffer_bytes(self) -> Self {
        self.expect("proxy_get_buffer_bytes")
    }

    pub fn expect_set_buffer_bytes(self) -> Self {
        self.expect("proxy_set_buffer_bytes")
    }

    pub fn expect_send_local_response(self) -> Self {
        self.expect("proxy_send_local_response")
    }

    pub fn expect_get_property(self) -> Self {
        self.expect("proxy_get_property")
    }

    /// Runs the callback and checks its return value and the expectations.
    pub fn execute_and_expect(self, expected: ReturnType) -> wasmtime::Result<()> {
        let Call {
            tester,
            callback,
            expectations,
        } = self;
        tester.host.state_mut().script.arm(expectations);
        let host = &mut tester.host;
        let result = match callback {
            Callback::Configure(config) => host.start(b"", &config).map(ReturnType::Bool),
            Callback::RequestHeaders(ctx, h, eos) => {
                host.on_request_headers(ctx, h, eos).map(ReturnType::Action)
            }
            Callback::RequestBody(ctx, b, eos) => {
                host.on_request_body(ctx, &b, eos).map(ReturnType::Action)
            }
            Callback::ResponseHeaders(ctx, h, eos) => host
                .on_response_headers(ctx, h, eos)
                .map(ReturnType::Action),
            Callback::ResponseBody(ctx, b, eos) => {
                host.on_response_body(ctx, &b, eos).map(ReturnType::Action)
            }
        };
        let unmet = host.state_mut().script.disarm();
        let got = result?;
        if let Some(first) = unmet.first() {
            let calls = &host.state().script.calls;
            bail!(
                "expected host call {} was not made (calls made: {calls:?})",
                first.call
            );
        }
        if expected != ReturnType::None && got != expected {
            return Err(format_err!(
                "callback returned {got:?}, expected {expected:?}"
            ));
        }
        Ok(())
    }
}
