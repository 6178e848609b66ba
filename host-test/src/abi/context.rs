// SPDX-License-Identifier: Apache-2.0
//! Context lifecycle (spec: "Contexts"): which context host calls act on,
//! resuming or closing a paused stream, and `proxy_done`. The exports the
//! host calls (`proxy_on_*`) are driven by `proxy.rs`.

use super::{CallResult, HostState, Status, status};
use wasmtime::{Caller, Linker};

/// `proxy_stream_type_t`.
pub const STREAM_REQUEST: i32 = 0;
pub const STREAM_RESPONSE: i32 = 1;

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_set_effective_context",
        |mut caller: Caller<'_, HostState>, context_id: i32| {
            status(set_effective_context(&mut caller, context_id as u32))
        },
    )?;
    linker.func_wrap("env", "proxy_done", |mut caller: Caller<'_, HostState>| {
        status((|| {
            if let Some(s) = caller.data_mut().intercept("proxy_done") {
                return Err(s.into());
            }
            caller.data_mut().done_calls += 1;
            Ok(())
        })())
    })?;
    linker.func_wrap(
        "env",
        "proxy_continue_stream",
        |mut caller: Caller<'_, HostState>, stream_type: i32| {
            status(resume(&mut caller, stream_type, "proxy_continue_stream"))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_close_stream",
        |mut caller: Caller<'_, HostState>, stream_type: i32| {
            status(resume(&mut caller, stream_type, "proxy_close_stream"))
        },
    )?;
    Ok(())
}

fn set_effective_context(caller: &mut Caller<'_, HostState>, context_id: u32) -> CallResult {
    let state = caller.data_mut();
    if let Some(s) = state.intercept("proxy_set_effective_context") {
        return Err(s.into());
    }
    if context_id != state.callouts.root_id && !state.streams.contains_key(&context_id) {
        return Err(Status::BadArgument.into());
    }
    state.active = context_id;
    Ok(())
}

fn resume(caller: &mut Caller<'_, HostState>, stream_type: i32, call: &'static str) -> CallResult {
    let state = caller.data_mut();
    if let Some(s) = state.intercept(call) {
        return Err(s.into());
    }
    let stream = state.stream_mut().ok_or(Status::NotFound)?;
    if call == "proxy_close_stream" {
        stream.closed = true;
        return Ok(());
    }
    match stream_type {
        STREAM_REQUEST => stream.resumed.0 = true,
        STREAM_RESPONSE => stream.resumed.1 = true,
        _ => return Err(Status::BadArgument.into()),
    }
    Ok(())
}
