// SPDX-License-Identifier: Apache-2.0
//! Non-panicking host calls.
//!
//! `proxy_wasm::hostcalls` panics on any status it does not expect (e.g.
//! `Unimplemented` from `proxy_get_property` on Kong's wasmtime host) and
//! `unwrap`s header bytes as UTF-8, and a panic aborts the whole VM. So the
//! few ABI functions the filter needs are imported here directly and every
//! status is turned into a `Result` (proxy-wasm ABI 0.2.1, "Status codes").
//! Memory the host returns was allocated through the SDK's exported
//! `proxy_on_memory_allocate` (a boxed slice of exactly `size` bytes), which
//! is why it is taken back with `Vec::from_raw_parts(ptr, size, size)`, as
//! the SDK itself does.
#![allow(unsafe_code, reason = "FFI to the proxy-wasm host ABI")]

use std::ptr::{null, null_mut};

/// A proxy-wasm status code other than `Ok` (0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostError(pub u32);

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.0 {
            1 => "NotFound",
            2 => "BadArgument",
            3 => "SerializationFailure",
            4 => "ParseFailure",
            6 => "InvalidMemoryAccess",
            7 => "Empty",
            10 => "InternalFailure",
            12 => "Unimplemented",
            _ => "status",
        };
        write!(f, "{name} ({})", self.0)
    }
}

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;

/// `proxy_map_type_t`
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum Map {
    RequestHeaders = 0,
    ResponseHeaders = 2,
}

/// `proxy_buffer_type_t`
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum Buffer {
    RequestBody = 0,
    ResponseBody = 1,
    PluginConfiguration = 7,
}

/// `proxy_metric_type_t`
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum MetricKind {
    Counter = 0,
    Histogram = 2,
}

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_get_header_map_pairs(map: u32, data: *mut *mut u8, size: *mut usize) -> u32;
    fn proxy_replace_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> u32;
    fn proxy_get_log_level(level: *mut u32) -> u32;
    fn proxy_get_buffer_bytes(
        buffer: u32,
        start: usize,
        max_size: usize,
        data: *mut *mut u8,
        size: *mut usize,
    ) -> u32;
    fn proxy_set_buffer_bytes(
        buffer: u32,
        start: usize,
        size: usize,
        data: *const u8,
        data_size: usize,
    ) -> u32;
    fn proxy_send_local_response(
        status: u32,
        details: *const u8,
        details_size: usize,
        body: *const u8,
        body_size: usize,
        headers: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_get_property(
        path: *const u8,
        path_size: usize,
        data: *mut *mut u8,
        size: *mut usize,
    ) -> u32;
    fn proxy_define_metric(kind: u32, name: *const u8, name_size: usize, id: *mut u32) -> u32;
    fn proxy_increment_metric(id: u32, offset: i64) -> u32;
    fn proxy_record_metric(id: u32, value: u64) -> u32;
    fn proxy_get_current_time_nanoseconds(nanos: *mut u64) -> u32;
}

fn check(status: u32) -> Result<(), HostError> {
    if status == OK {
        Ok(())
    } else {
        Err(HostError(status))
    }
}

/// Takes ownership of a host-returned allocation (see the module docs).
fn take(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: the host allocated `size` bytes at `data` through
    // `proxy_on_memory_allocate` and handed ownership to us.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

/// Calls an ABI function that returns host-allocated bytes; `NotFound` is `None`.
fn fetch(call: impl FnOnce(*mut *mut u8, *mut usize) -> u32) -> Result<Option<Vec<u8>>, HostError> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    match call(&mut data, &mut size) {
        OK => Ok(Some(take(data, size))),
        NOT_FOUND => Ok(None),
        status => Err(HostError(status)),
    }
}

/// All pairs of a header map, names lower-case. Values that are not UTF-8
/// are converted lossily (Envoy accepts obs-text bytes in values).
pub fn headers(map: Map) -> Result<Vec<(String, String)>, HostError> {
    // SAFETY: pointers to our own locals, valid for the call.
    let bytes = fetch(|d, s| unsafe { proxy_get_header_map_pairs(map as u32, d, s) })?;
    Ok(bytes.map(|b| decode_pairs(&b)).unwrap_or_default())
}

pub fn set_header(map: Map, name: &str, value: &str) -> Result<(), HostError> {
    // SAFETY: both slices are valid for the duration of the call.
    check(unsafe {
        proxy_replace_header_map_value(
            map as u32,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

pub fn remove_header(map: Map, name: &str) -> Result<(), HostError> {
    // SAFETY: the slice is valid for the duration of the call.
    check(unsafe { proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()) })
}

/// Bytes `start..start + max` of a buffer; empty when the host has none.
pub fn buffer(buffer: Buffer, start: usize, max: usize) -> Result<Vec<u8>, HostError> {
    // SAFETY: pointers to our own locals, valid for the call.
    let bytes = fetch(|d, s| unsafe { proxy_get_buffer_bytes(buffer as u32, start, max, d, s) })?;
    Ok(bytes.unwrap_or_default())
}

/// Replaces `start..start + size` of a buffer with `data`.
pub fn set_buffer(buffer: Buffer, start: usize, size: usize, data: &[u8]) -> Result<(), HostError> {
    // SAFETY: the slice is valid for the duration of the call.
    check(unsafe { proxy_set_buffer_bytes(buffer as u32, start, size, data.as_ptr(), data.len()) })
}

/// A local reply; the host stops the filter chain and answers the client.
pub fn send_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Result<(), HostError> {
    let headers = encode_pairs(headers);
    // SAFETY: all slices are valid for the duration of the call.
    check(unsafe {
        proxy_send_local_response(
            u32::from(status),
            null(),
            0,
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}

/// A host property such as `["xds", "route_name"]`; `None` when unset.
pub fn property(path: &[&str]) -> Result<Option<Vec<u8>>, HostError> {
    let encoded = path.join("\0");
    // SAFETY: the path slice and our locals are valid for the call.
    fetch(|d, s| unsafe { proxy_get_property(encoded.as_ptr(), encoded.len(), d, s) })
}

pub fn define_metric(kind: MetricKind, name: &str) -> Result<u32, HostError> {
    let mut id = 0u32;
    // SAFETY: the name slice and `id` are valid for the call.
    check(unsafe { proxy_define_metric(kind as u32, name.as_ptr(), name.len(), &mut id) })?;
    Ok(id)
}

pub fn increment_metric(id: u32, by: i64) -> Result<(), HostError> {
    // SAFETY: no pointers.
    check(unsafe { proxy_increment_metric(id, by) })
}

pub fn record_metric(id: u32, value: u64) -> Result<(), HostError> {
    // SAFETY: no pointers.
    check(unsafe { proxy_record_metric(id, value) })
}

/// Host wall clock in microseconds; 0 if the host cannot tell.
/// `proxy_log_level_t` of info.
const LOG_INFO: u32 = 2;

/// Whether the host keeps info lines (Envoy: its `wasm` logger's level, which
/// an operator may change at run time). A host that cannot say is assumed to
/// keep them: a line built for nothing beats a lost audit record.
pub fn logs_info() -> bool {
    let mut level = 0u32;
    // SAFETY: `level` is valid for the call.
    match check(unsafe { proxy_get_log_level(&mut level) }) {
        Ok(()) => level <= LOG_INFO,
        Err(_) => true,
    }
}

pub fn now_micros() -> u64 {
    let mut nanos = 0u64;
    // SAFETY: `nanos` is valid for the call.
    match check(unsafe { proxy_get_current_time_nanoseconds(&mut nanos) }) {
        Ok(()) => nanos / 1_000,
        Err(_) => 0,
    }
}

/// Decodes the ABI's map encoding: `count:u32`, then `(name_len:u32,
/// value_len:u32)` per pair, then each `name\0value\0`. Stops at the first
/// inconsistency instead of trusting the host's lengths.
fn decode_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let u32_at = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(<[u8; 4]>::try_from(b).ok()?) as usize)
    };
    let Some(count) = u32_at(0) else {
        return Vec::new();
    };
    let mut pairs = Vec::with_capacity(count.min(256));
    let mut data = 4 + count.saturating_mul(8);
    for i in 0..count {
        let (Some(name_len), Some(value_len)) = (u32_at(4 + i * 8), u32_at(8 + i * 8)) else {
            break;
        };
        let name_end = data.saturating_add(name_len);
        let value_start = name_end.saturating_add(1);
        let value_end = value_start.saturating_add(value_len);
        let (Some(name), Some(value)) =
            (bytes.get(data..name_end), bytes.get(value_start..value_end))
        else {
            break;
        };
        pairs.push((
            String::from_utf8_lossy(name).to_ascii_lowercase(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        data = value_end.saturating_add(1);
    }
    pairs
}

fn encode_pairs(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (name, value) in pairs {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    }
    for (name, value) in pairs {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip() {
        let pairs = [
            (":path", "/v1/chat/completions"),
            ("x-empty", ""),
            ("X-Up", "é"),
        ];
        let decoded = decode_pairs(&encode_pairs(&pairs));
        assert_eq!(
            decoded,
            vec![
                (":path".to_string(), "/v1/chat/completions".to_string()),
                ("x-empty".to_string(), String::new()),
                ("x-up".to_string(), "é".to_string()),
            ]
        );
    }

    #[test]
    fn truncated_or_lying_maps_do_not_panic() {
        let good = encode_pairs(&[("a", "b"), ("c", "d")]);
        for cut in 0..good.len() {
            let _ = decode_pairs(&good[..cut]);
        }
        let mut liar = good.clone();
        liar[0] = 0xff; // claims 255 pairs
        assert!(decode_pairs(&liar).len() <= 2);
        let mut huge = good;
        huge[4] = 0xff;
        huge[7] = 0xff; // first name "length" ~4 GiB
        assert!(decode_pairs(&huge).is_empty());
    }

    #[test]
    fn invalid_utf8_values_are_lossy_not_fatal() {
        let mut bytes = encode_pairs(&[("x", "ab")]);
        let len = bytes.len();
        bytes[len - 2] = 0xe9;
        assert_eq!(
            decode_pairs(&bytes),
            vec![("x".to_string(), "a\u{fffd}".to_string())]
        );
    }
}
