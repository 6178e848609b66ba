// SPDX-License-Identifier: Apache-2.0
//! HTTP fields (spec: "HTTP fields"): request/response headers and
//! trailers of the active stream, and the headers/trailers of the HTTP
//! call response being delivered. Names are lower-cased on write, as Envoy
//! stores them; a map is readable once its phase has begun.

use super::{CallResult, HostState, Phase, Status, memory, status};
use wasmtime::{Caller, Linker};

/// `proxy_map_type_t`.
pub const REQUEST_HEADERS: i32 = 0;
pub const REQUEST_TRAILERS: i32 = 1;
pub const RESPONSE_HEADERS: i32 = 2;
pub const RESPONSE_TRAILERS: i32 = 3;
pub const HTTP_CALL_RESPONSE_HEADERS: i32 = 6;
pub const HTTP_CALL_RESPONSE_TRAILERS: i32 = 7;

type Pairs = Vec<(String, String)>;

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut caller: Caller<'_, HostState>, kind: i32, ptr_out: i32, size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_header_map_pairs") {
                    return Err(s.into());
                }
                let bytes = memory::encode_pairs(map(caller.data(), kind)?);
                memory::give(&mut caller, &bytes, ptr_out, size_out)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut caller: Caller<'_, HostState>, kind: i32, ptr: i32, len: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_set_header_map_pairs") {
                    return Err(s.into());
                }
                let bytes = memory::read(&mut caller, ptr, len)?;
                let pairs = memory::decode_pairs(&bytes).ok_or(Status::ParseFailure)?;
                *map_mut(caller.data_mut(), kind)? = pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect();
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_size",
        |mut caller: Caller<'_, HostState>, kind: i32, size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_header_map_size") {
                    return Err(s.into());
                }
                let size = memory::encode_pairs(map(caller.data(), kind)?).len() as u32;
                memory::write_u32(&mut caller, size_out, size)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut caller: Caller<'_, HostState>,
         kind: i32,
         key: i32,
         key_len: i32,
         ptr_out: i32,
         size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_header_map_value") {
                    return Err(s.into());
                }
                let name = memory::read_string(&mut caller, key, key_len)?.to_ascii_lowercase();
                let value = map(caller.data(), kind)?
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
                    .ok_or(Status::NotFound)?;
                memory::give(&mut caller, value.as_bytes(), ptr_out, size_out)
            })())
        },
    )?;
    for (call, replace) in [
        ("proxy_replace_header_map_value", true),
        ("proxy_add_header_map_value", false),
    ] {
        linker.func_wrap(
            "env",
            call,
            move |mut caller: Caller<'_, HostState>,
                  kind: i32,
                  key: i32,
                  key_len: i32,
                  value: i32,
                  value_len: i32| {
                status(write(
                    &mut caller,
                    call,
                    replace,
                    kind,
                    (key, key_len),
                    (value, value_len),
                ))
            },
        )?;
    }
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut caller: Caller<'_, HostState>, kind: i32, key: i32, key_len: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_remove_header_map_value") {
                    return Err(s.into());
                }
                let name = memory::read_string(&mut caller, key, key_len)?.to_ascii_lowercase();
                map_mut(caller.data_mut(), kind)?.retain(|(k, _)| *k != name);
                Ok(())
            })())
        },
    )?;
    Ok(())
}

fn write(
    caller: &mut Caller<'_, HostState>,
    call: &'static str,
    replace: bool,
    kind: i32,
    key: (i32, i32),
    value: (i32, i32),
) -> CallResult {
    if let Some(s) = caller.data_mut().intercept(call) {
        return Err(s.into());
    }
    let name = memory::read_string(caller, key.0, key.1)?.to_ascii_lowercase();
    let value = memory::read_string(caller, value.0, value.1)?;
    let pairs = map_mut(caller.data_mut(), kind)?;
    if replace && let Some(at) = pairs.iter().position(|(k, _)| *k == name) {
        // Replace the first, drop the others (Envoy's setCopy).
        let mut index = 0;
        pairs.retain(|(k, _)| {
            let keep = *k != name || index == at;
            index += 1;
            keep
        });
        if let Some(pair) = pairs.get_mut(at) {
            pair.1 = value;
        }
        return Ok(());
    }
    pairs.push((name, value));
    Ok(())
}

/// Whether the phase of map `kind` has begun on `phase`.
fn available(kind: i32, phase: Phase) -> bool {
    let reached = |p: Phase| phase as u8 >= p as u8;
    match kind {
        REQUEST_HEADERS => reached(Phase::RequestHeaders),
        REQUEST_TRAILERS => reached(Phase::RequestTrailers),
        RESPONSE_HEADERS => reached(Phase::ResponseHeaders),
        RESPONSE_TRAILERS => reached(Phase::ResponseTrailers),
        _ => false,
    }
}

fn map(state: &HostState, kind: i32) -> Result<&Pairs, Status> {
    match kind {
        HTTP_CALL_RESPONSE_HEADERS | HTTP_CALL_RESPONSE_TRAILERS => {
            let response = state.callouts.delivering.as_ref().ok_or(Status::NotFound)?;
            Ok(if kind == HTTP_CALL_RESPONSE_HEADERS {
                &response.headers
            } else {
                &response.trailers
            })
        }
        REQUEST_HEADERS..=RESPONSE_TRAILERS => {
            let stream = state.stream().ok_or(Status::NotFound)?;
            if !available(kind, stream.phase) {
                return Err(Status::NotFound);
            }
            Ok(match kind {
                REQUEST_HEADERS => &stream.request_headers,
                REQUEST_TRAILERS => &stream.request_trailers,
                RESPONSE_HEADERS => &stream.response_headers,
                _ => &stream.response_trailers,
            })
        }
        4 | 5 => Err(Status::NotFound),
        _ => Err(Status::BadArgument),
    }
}

fn map_mut(state: &mut HostState, kind: i32) -> Result<&mut Pairs, Status> {
    match kind {
        REQUEST_HEADERS..=RESPONSE_TRAILERS => {
            let stream = state.stream_mut().ok_or(Status::NotFound)?;
            if !available(kind, stream.phase) {
                return Err(Status::NotFound);
            }
            Ok(match kind {
                REQUEST_HEADERS => &mut stream.request_headers,
                REQUEST_TRAILERS => &mut stream.request_trailers,
                RESPONSE_HEADERS => &mut stream.response_headers,
                _ => &mut stream.response_trailers,
            })
        }
        // The HTTP call response is read-only.
        4..=7 => Err(Status::BadArgument),
        _ => Err(Status::BadArgument),
    }
}
