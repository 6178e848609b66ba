// SPDX-License-Identifier: Apache-2.0
//! Buffers (spec: "Buffers"): request/response body, HTTP call response
//! body and the configuration buffers.
//!
//! Bodies follow Envoy: the buffer is the current chunk plus whatever the
//! host kept while the filter paused, readable only inside the matching
//! body callback. `proxy_set_buffer_bytes(start = 0, size)` drops the first
//! `size` bytes and prepends the data (so `size >= len` replaces it all);
//! `start >= len` appends; anything else is `BadArgument`.

use super::{CallResult, HostState, Phase, Status, config, memory, status};
use wasmtime::{Caller, Linker};

/// `proxy_buffer_type_t`.
pub const HTTP_REQUEST_BODY: i32 = 0;
pub const HTTP_RESPONSE_BODY: i32 = 1;
pub const HTTP_CALL_RESPONSE_BODY: i32 = 4;

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut caller: Caller<'_, HostState>,
         kind: i32,
         start: i32,
         max: i32,
         ptr_out: i32,
         size_out: i32| {
            status(get(
                &mut caller,
                kind,
                start as u32 as usize,
                max as u32 as usize,
                ptr_out,
                size_out,
            ))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        |mut caller: Caller<'_, HostState>,
         kind: i32,
         start: i32,
         size: i32,
         ptr: i32,
         len: i32| {
            status(set(
                &mut caller,
                kind,
                start as u32 as usize,
                size as u32 as usize,
                ptr,
                len,
            ))
        },
    )?;
    Ok(())
}

/// The bytes of buffer `kind` as the guest may see them now.
fn current(state: &HostState, kind: i32) -> Result<&[u8], Status> {
    if let Some(bytes) = config::buffer(state, kind) {
        return Ok(bytes);
    }
    match kind {
        HTTP_REQUEST_BODY => {
            let stream = state.stream().ok_or(Status::NotFound)?;
            match stream.phase {
                Phase::RequestBody => Ok(&stream.request_body),
                _ => Err(Status::NotFound),
            }
        }
        HTTP_RESPONSE_BODY => {
            let stream = state.stream().ok_or(Status::NotFound)?;
            match stream.phase {
                Phase::ResponseBody => Ok(&stream.response_body),
                _ => Err(Status::NotFound),
            }
        }
        HTTP_CALL_RESPONSE_BODY => state
            .callouts
            .delivering
            .as_ref()
            .map(|r| r.body.as_slice())
            .ok_or(Status::NotFound),
        2 | 3 | 5 => Err(Status::NotFound),
        _ => Err(Status::BadArgument),
    }
}

fn get(
    caller: &mut Caller<'_, HostState>,
    kind: i32,
    start: usize,
    max: usize,
    ptr_out: i32,
    size_out: i32,
) -> CallResult {
    if let Some(s) = caller.data_mut().intercept("proxy_get_buffer_bytes") {
        return Err(s.into());
    }
    let bytes = current(caller.data(), kind)?;
    let from = start.min(bytes.len());
    let to = from.saturating_add(max).min(bytes.len());
    let slice = bytes.get(from..to).unwrap_or_default().to_vec();
    memory::give(caller, &slice, ptr_out, size_out)
}

fn set(
    caller: &mut Caller<'_, HostState>,
    kind: i32,
    start: usize,
    size: usize,
    ptr: i32,
    len: i32,
) -> CallResult {
    if let Some(s) = caller.data_mut().intercept("proxy_set_buffer_bytes") {
        return Err(s.into());
    }
    let data = memory::read(caller, ptr, len)?;
    let state = caller.data_mut();
    let stream = state.stream_mut().ok_or(Status::NotFound)?;
    let buffer = match (kind, stream.phase) {
        (HTTP_REQUEST_BODY, Phase::RequestBody) => &mut stream.request_body,
        (HTTP_RESPONSE_BODY, Phase::ResponseBody) => &mut stream.response_body,
        (HTTP_REQUEST_BODY | HTTP_RESPONSE_BODY, _) => return Err(Status::NotFound.into()),
        _ => return Err(Status::BadArgument.into()),
    };
    splice(buffer, start, size, &data)
}

/// Envoy's `copyFrom` on a body buffer.
pub fn splice(buffer: &mut Vec<u8>, start: usize, size: usize, data: &[u8]) -> CallResult {
    if start == 0 {
        let drop = size.min(buffer.len());
        buffer.splice(..drop, data.iter().copied());
        Ok(())
    } else if start >= buffer.len() {
        buffer.extend_from_slice(data);
        Ok(())
    } else {
        Err(Status::BadArgument.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_follows_envoy() {
        let mut b = b"hello world".to_vec();
        splice(&mut b, 0, 5, b"HEY").unwrap();
        assert_eq!(b, b"HEY world");
        splice(&mut b, 0, 100, b"all").unwrap();
        assert_eq!(b, b"all");
        splice(&mut b, 3, 0, b"!").unwrap();
        assert_eq!(b, b"all!");
        splice(&mut b, 0, 0, b">").unwrap();
        assert_eq!(b, b">all!");
        assert!(splice(&mut b, 2, 1, b"x").is_err());
        assert_eq!(b, b">all!");
    }
}
