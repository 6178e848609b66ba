// SPDX-License-Identifier: Apache-2.0
//! Timers and time (spec: "Timers", "Time"). The clock is virtual so runs
//! are reproducible: it starts at a fixed instant, advances 1 µs per read
//! and jumps by the tick period on each `ProxyHost::tick`.

use super::{HostState, memory, status};
use wasmtime::{Caller, Linker};

#[derive(Debug)]
pub struct Timers {
    /// `proxy_set_tick_period_milliseconds`; 0 = no ticks.
    pub tick_period_ms: u32,
    pub now_nanos: u64,
}

impl Default for Timers {
    fn default() -> Timers {
        // 2025-01-01T00:00:00Z
        Timers {
            tick_period_ms: 0,
            now_nanos: 1_735_689_600_000_000_000,
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        |mut caller: Caller<'_, HostState>, period: i32| {
            status((|| {
                let state = caller.data_mut();
                if let Some(s) = state.intercept("proxy_set_tick_period_milliseconds") {
                    return Err(s.into());
                }
                state.timers.tick_period_ms = period as u32;
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        |mut caller: Caller<'_, HostState>, out: i32| {
            status((|| {
                let state = caller.data_mut();
                if let Some(s) = state.intercept("proxy_get_current_time_nanoseconds") {
                    return Err(s.into());
                }
                state.timers.now_nanos += 1_000;
                let now = state.timers.now_nanos;
                memory::write_u64(&mut caller, out, now)
            })())
        },
    )?;
    Ok(())
}
