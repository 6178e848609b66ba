// SPDX-License-Identifier: Apache-2.0
//! Logging (spec: "Logging"): `proxy_log` lines are kept in order so tests
//! can check what a filter logs (and what it must never log).

use super::{CallResult, HostState, LogEntry, Status, memory, status};
use wasmtime::{Caller, Linker};

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_log",
        |mut caller: Caller<'_, HostState>, level: i32, ptr: i32, len: i32| {
            status(log(&mut caller, level, ptr, len))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_log_level",
        |mut caller: Caller<'_, HostState>, out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_log_level") {
                    return Err(s.into());
                }
                let level = caller.data().log_level as u32;
                memory::write_u32(&mut caller, out, level)
            })())
        },
    )?;
    Ok(())
}

fn log(caller: &mut Caller<'_, HostState>, level: i32, ptr: i32, len: i32) -> CallResult {
    if let Some(s) = caller.data_mut().intercept("proxy_log") {
        return Err(s.into());
    }
    if !(0..=5).contains(&level) {
        return Err(Status::BadArgument.into());
    }
    let message = memory::read_string(caller, ptr, len)?;
    caller.data_mut().logs.push(LogEntry { level, message });
    Ok(())
}
