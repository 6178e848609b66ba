// SPDX-License-Identifier: Apache-2.0
//! Properties (spec: "Properties"): a path of `\0`-separated segments.
//! Request attributes are derived from the active stream's headers like
//! Envoy's (`request.path`, `request.method`, `request.headers.<name>`,
//! `response.code`); the rest (`xds.route_name`,
//! `xds.route_metadata.filter_metadata.shroud.profile`, …) come from
//! [`HostState::properties`] keyed by the dotted path. Values are raw bytes
//! (Envoy serializes string values as their bytes).

use super::{HostState, Status, memory, status};
use wasmtime::{Caller, Linker};

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_property",
        |mut caller: Caller<'_, HostState>,
         path: i32,
         path_len: i32,
         ptr_out: i32,
         size_out: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_get_property") {
                    return Err(s.into());
                }
                let path = memory::read(&mut caller, path, path_len)?;
                let value = lookup(caller.data(), &split(&path)).ok_or(Status::NotFound)?;
                memory::give(&mut caller, &value, ptr_out, size_out)
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_property",
        |mut caller: Caller<'_, HostState>,
         path: i32,
         path_len: i32,
         value: i32,
         value_len: i32| {
            status((|| {
                if let Some(s) = caller.data_mut().intercept("proxy_set_property") {
                    return Err(s.into());
                }
                let path = memory::read(&mut caller, path, path_len)?;
                let value = memory::read(&mut caller, value, value_len)?;
                let key = split(&path).join(".");
                caller.data_mut().properties.insert(key, value);
                Ok(())
            })())
        },
    )?;
    Ok(())
}

fn split(path: &[u8]) -> Vec<String> {
    path.split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The value of a property path, if the host knows it.
pub fn lookup(state: &HostState, path: &[String]) -> Option<Vec<u8>> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let header = |pairs: &[(String, String)], name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_bytes().to_vec())
    };
    if let Some(stream) = state.stream() {
        let request = &stream.request_headers;
        match segments.as_slice() {
            ["request", "path"] => return header(request, ":path"),
            ["request", "url_path"] => {
                let path = header(request, ":path")?;
                let end = path.iter().position(|b| *b == b'?').unwrap_or(path.len());
                return Some(path.get(..end)?.to_vec());
            }
            ["request", "method"] => return header(request, ":method"),
            ["request", "host"] => return header(request, ":authority"),
            ["request", "scheme"] => return header(request, ":scheme"),
            ["request", "id"] => return header(request, "x-request-id"),
            ["request", "headers", name] => {
                return header(request, &name.to_ascii_lowercase());
            }
            ["response", "code"] => {
                let code: u64 = String::from_utf8(header(&stream.response_headers, ":status")?)
                    .ok()?
                    .parse()
                    .ok()?;
                return Some(code.to_le_bytes().to_vec());
            }
            ["response", "headers", name] => {
                return header(&stream.response_headers, &name.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    state.properties.get(&path.join(".")).cloned()
}
