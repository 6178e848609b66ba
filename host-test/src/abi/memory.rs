// SPDX-License-Identifier: Apache-2.0
//! Guest memory (spec: "Memory management"): reading what the guest passes
//! by pointer, and handing bytes back in memory the guest allocated through
//! its exported `proxy_on_memory_allocate` (the guest then owns it).

use super::{Fail, HostState, Status, guest_memory};
use wasmtime::Caller;
use wasmtime::format_err;

/// `len` bytes at `ptr`; `InvalidMemoryAccess` when out of bounds.
pub fn read(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>, Fail> {
    let memory = guest_memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    let end = start.checked_add(len).ok_or(Status::InvalidMemoryAccess)?;
    memory
        .data(&caller)
        .get(start..end)
        .map(<[u8]>::to_vec)
        .ok_or(Fail::Status(Status::InvalidMemoryAccess))
}

/// UTF-8 text at `ptr` (lossy: names and log lines are for humans).
pub fn read_string(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<String, Fail> {
    Ok(String::from_utf8_lossy(&read(caller, ptr, len)?).into_owned())
}

/// Writes `bytes` at `ptr`.
pub fn write(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> Result<(), Fail> {
    let memory = guest_memory(caller)?;
    memory
        .write(caller, ptr as u32 as usize, bytes)
        .map_err(|_| Fail::Status(Status::InvalidMemoryAccess))
}

pub fn write_u32(caller: &mut Caller<'_, HostState>, ptr: i32, value: u32) -> Result<(), Fail> {
    write(caller, ptr, &value.to_le_bytes())
}

pub fn write_u64(caller: &mut Caller<'_, HostState>, ptr: i32, value: u64) -> Result<(), Fail> {
    write(caller, ptr, &value.to_le_bytes())
}

/// Copies `bytes` into a fresh guest allocation and stores its address and
/// size at `ptr_out` / `size_out` (the spec's `return_data`/`return_size`).
pub fn give(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ptr_out: i32,
    size_out: i32,
) -> Result<(), Fail> {
    let ptr = if bytes.is_empty() {
        0
    } else {
        let allocate = caller
            .get_export("proxy_on_memory_allocate")
            .or_else(|| caller.get_export("malloc"))
            .and_then(wasmtime::Extern::into_func)
            .ok_or_else(|| {
                format_err!("the guest exports neither proxy_on_memory_allocate nor malloc")
            })?
            .typed::<i32, i32>(&caller)
            .map_err(|e| format_err!("proxy_on_memory_allocate has the wrong type: {e}"))?;
        let size = i32::try_from(bytes.len()).map_err(|_| Status::BadArgument)?;
        let ptr = allocate.call(&mut *caller, size)?;
        if ptr == 0 {
            return Err(Fail::Trap(format_err!(
                "proxy_on_memory_allocate({size}) returned null"
            )));
        }
        write(caller, ptr, bytes)?;
        ptr
    };
    write_u32(caller, ptr_out, ptr as u32)?;
    write_u32(caller, size_out, bytes.len() as u32)
}

/// The map serialization of the spec ("HTTP fields"): `count:u32`, then
/// `(name_len:u32, value_len:u32)` per pair, then `name\0value\0` each.
pub fn encode_pairs(pairs: &[(String, String)]) -> Vec<u8> {
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

/// Inverse of [`encode_pairs`]; `None` when the lengths do not add up.
pub fn decode_pairs(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let u32_at = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(<[u8; 4]>::try_from(b).ok()?) as usize)
    };
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let count = u32_at(0)?;
    let mut pairs = Vec::new();
    let mut data = count.checked_mul(8)?.checked_add(4)?;
    for i in 0..count {
        let name_len = u32_at(4 + i * 8)?;
        let value_len = u32_at(8 + i * 8)?;
        let name_end = data.checked_add(name_len)?;
        let value_start = name_end.checked_add(1)?;
        let value_end = value_start.checked_add(value_len)?;
        let name = bytes.get(data..name_end)?;
        let value = bytes.get(value_start..value_end)?;
        // Each name and value is NUL-terminated.
        if bytes.get(name_end) != Some(&0) || bytes.get(value_end) != Some(&0) {
            return None;
        }
        pairs.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        data = value_end.checked_add(1)?;
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_reject_lies() {
        let pairs = vec![
            (":path".to_string(), "/x".to_string()),
            ("e".to_string(), String::new()),
        ];
        let bytes = encode_pairs(&pairs);
        assert_eq!(decode_pairs(&bytes), Some(pairs));
        assert_eq!(decode_pairs(&bytes[..bytes.len() - 1]), None);
        let mut liar = bytes.clone();
        liar[0] = 9;
        assert_eq!(decode_pairs(&liar), None);
    }
}
