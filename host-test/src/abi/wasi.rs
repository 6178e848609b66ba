// SPDX-License-Identifier: Apache-2.0
//! The WASI preview 1 calls a wasm32-wasip1 filter's std makes: an empty
//! environment, stdout/stderr captured as log lines, deterministic random
//! bytes (reproducible runs; placeholders are keyed per request anyway),
//! and `proc_exit` as a trap. Anything else traps by name (see `abi::linker`).

use super::{Fail, HostState, LogEntry, Status, memory};
use wasmtime::format_err;
use wasmtime::{Caller, Linker};

const MODULE: &str = "wasi_snapshot_preview1";
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_FAULT: i32 = 21;

fn errno(result: Result<(), Fail>) -> wasmtime::Result<i32> {
    match result {
        Ok(()) => Ok(ERRNO_SUCCESS),
        Err(Fail::Status(Status::BadArgument)) => Ok(ERRNO_BADF),
        Err(Fail::Status(_)) => Ok(ERRNO_FAULT),
        Err(Fail::Trap(err)) => Err(err),
    }
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut caller: Caller<'_, HostState>, count_out: i32, size_out: i32| {
            errno((|| {
                memory::write_u32(&mut caller, count_out, 0)?;
                memory::write_u32(&mut caller, size_out, 0)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        |_: Caller<'_, HostState>, _environ: i32, _buf: i32| Ok(ERRNO_SUCCESS),
    )?;
    linker.func_wrap(
        MODULE,
        "args_sizes_get",
        |mut caller: Caller<'_, HostState>, count_out: i32, size_out: i32| {
            errno((|| {
                memory::write_u32(&mut caller, count_out, 0)?;
                memory::write_u32(&mut caller, size_out, 0)
            })())
        },
    )?;
    linker.func_wrap(
        MODULE,
        "args_get",
        |_: Caller<'_, HostState>, _argv: i32, _buf: i32| Ok(ERRNO_SUCCESS),
    )?;
    linker.func_wrap(
        MODULE,
        "random_get",
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| {
            let mut bytes = vec![0u8; len as u32 as usize];
            let state = caller.data_mut();
            for b in &mut bytes {
                // xorshift64*: reproducible, not secret.
                let mut x = state.random_state;
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                state.random_state = x;
                *b = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
            }
            errno(memory::write(&mut caller, ptr, &bytes))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut caller: Caller<'_, HostState>, fd: i32, iovs: i32, iovs_len: i32, written_out: i32| {
            errno(fd_write(&mut caller, fd, iovs, iovs_len, written_out))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |mut caller: Caller<'_, HostState>, code: i32| -> wasmtime::Result<()> {
            caller.data_mut().exit_code = Some(code);
            Err(format_err!("the guest called proc_exit({code})"))
        },
    )?;
    Ok(())
}

fn fd_write(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    written_out: i32,
) -> Result<(), Fail> {
    if fd != 1 && fd != 2 {
        return Err(Status::BadArgument.into());
    }
    let table = memory::read(caller, iovs, iovs_len.saturating_mul(8))?;
    let mut text = Vec::new();
    for iov in table.chunks_exact(8) {
        let word = |at: usize| -> i32 {
            let mut b = [0u8; 4];
            b.copy_from_slice(iov.get(at..at + 4).unwrap_or(&[0; 4]));
            i32::from_le_bytes(b)
        };
        text.extend(memory::read(caller, word(0), word(4))?);
    }
    let written = text.len() as u32;
    // stdout = info, stderr = error, as Envoy's wasm runtime logs them.
    let level = if fd == 1 { 2 } else { 4 };
    caller.data_mut().logs.push(LogEntry {
        level,
        message: String::from_utf8_lossy(&text).trim_end().to_string(),
    });
    memory::write_u32(caller, written_out, written)
}
