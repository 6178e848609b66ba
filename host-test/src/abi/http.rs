// SPDX-License-Identifier: Apache-2.0
//! HTTP (spec: "HTTP" and "HTTP calls"): local replies and outgoing HTTP
//! calls. A call is recorded with a token; the test decides the answer
//! ([`Callouts::answers`], or `ProxyHost::answer_http_call`), which the
//! host delivers through `proxy_on_http_call_response`.

use super::{CallResult, HostState, LocalReply, Status, memory, status};
use std::collections::VecDeque;
use wasmtime::{Caller, Linker};

/// An outgoing `proxy_http_call`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub token: u32,
    /// The context that made the call (it gets the answer).
    pub context_id: u32,
    pub upstream: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
    pub timeout_ms: u32,
}

/// The answer to an HTTP call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallResponse {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Callouts {
    /// The root context id (`proxy_set_effective_context` accepts it).
    pub root_id: u32,
    pub next_token: u32,
    /// Calls made and not answered yet, oldest first.
    pub pending: VecDeque<HttpCall>,
    /// Every call ever made.
    pub made: Vec<HttpCall>,
    /// Scripted answers for the next calls, in order.
    pub answers: VecDeque<CallResponse>,
    /// The answer being delivered (map types 6/7, buffer type 4).
    pub delivering: Option<CallResponse>,
    /// `proxy_get_status`: (code, message) of the last call.
    pub last_status: (u32, String),
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_send_local_response",
        |mut caller: Caller<'_, HostState>,
         code: i32,
         details: i32,
         details_len: i32,
         body: i32,
         body_len: i32,
         headers: i32,
         headers_len: i32,
         grpc_status: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_send_local_response") {
                    return Err(s.into());
                }
                let details = memory::read_string(&mut caller, details, details_len)?;
                let body = memory::read(&mut caller, body, body_len)?;
                let headers = memory::read(&mut caller, headers, headers_len)?;
                let headers = memory::decode_pairs(&headers).ok_or(Status::ParseFailure)?;
                let stream = caller.data_mut().stream_mut().ok_or(Status::NotFound)?;
                if stream.local_reply.is_some() {
                    // Envoy sends one local reply per stream.
                    return Err(Status::BadArgument.into());
                }
                stream.local_reply = Some(LocalReply {
                    status: code as u32,
                    details,
                    body,
                    headers: headers
                        .into_iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v))
                        .collect(),
                    grpc_status,
                });
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_http_call",
        |mut caller: Caller<'_, HostState>,
         upstream: i32,
         upstream_len: i32,
         headers: i32,
         headers_len: i32,
         body: i32,
         body_len: i32,
         trailers: i32,
         trailers_len: i32,
         timeout_ms: i32,
         token_out: i32| {
            status(http_call(
                &mut caller,
                [
                    (upstream, upstream_len),
                    (headers, headers_len),
                    (body, body_len),
                    (trailers, trailers_len),
                ],
                timeout_ms as u32,
                token_out,
            ))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_status",
        |mut caller: Caller<'_, HostState>, code_out: i32, ptr_out: i32, size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_status") {
                    return Err(s.into());
                }
                let (code, message) = caller.data().callouts.last_status.clone();
                memory::write_u32(&mut caller, code_out, code)?;
                memory::give(&mut caller, message.as_bytes(), ptr_out, size_out)
            })())
        },
    )?;
    Ok(())
}

fn http_call(
    caller: &mut Caller<'_, HostState>,
    [upstream, headers, body, trailers]: [(i32, i32); 4],
    timeout_ms: u32,
    token_out: i32,
) -> CallResult {
    if let Some(s) = caller.data_mut().intercept("proxy_http_call") {
        return Err(s.into());
    }
    let upstream = memory::read_string(caller, upstream.0, upstream.1)?;
    let headers = memory::read(caller, headers.0, headers.1)?;
    let headers = memory::decode_pairs(&headers).ok_or(Status::ParseFailure)?;
    let body = memory::read(caller, body.0, body.1)?;
    let trailers = memory::read(caller, trailers.0, trailers.1)?;
    let trailers = memory::decode_pairs(&trailers).ok_or(Status::ParseFailure)?;
    // Envoy refuses a call without the required pseudo-headers.
    let has = |name: &str| headers.iter().any(|(k, _)| k == name);
    if upstream.is_empty() || !has(":path") || !has(":method") || !has(":authority") {
        return Err(Status::BadArgument.into());
    }
    let state = caller.data_mut();
    state.callouts.next_token += 1;
    let call = HttpCall {
        token: state.callouts.next_token,
        context_id: state.active,
        upstream,
        headers,
        body,
        trailers,
        timeout_ms,
    };
    let token = call.token;
    state.callouts.made.push(call.clone());
    state.callouts.pending.push_back(call);
    memory::write_u32(caller, token_out, token)
}
