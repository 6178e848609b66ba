// SPDX-License-Identifier: Apache-2.0
//! The baseline of `shroud bench`: a proxy-wasm module that exports every
//! entry point the host calls and does nothing (`Continue`, never a host
//! call). Running it costs what the host and the ABI cost, so
//! filter − no-op is what the filter adds.
//!
//! The module is encoded here by hand (a few dozen bytes; the text form is
//! in [`WAT`]) so the bench needs no extra build step and wasmtime needs no
//! `wat` feature.

/// What [`module`] encodes, for the reader.
#[allow(dead_code, reason = "documentation: the text form of module()")]
pub const WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
  (func (export "proxy_on_configure") (param i32 i32) (result i32) i32.const 1)
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0)
  ;; ... request_body, response_headers, response_body: the same, Continue
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) i32.const 0)
  ;; ... response_trailers: the same
  (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_delete") (param i32)))"#;

const I32: u8 = 0x7f;

/// Function signatures by index.
const TYPES: [(&[u8], &[u8]); 5] = [
    (&[], &[]),                 // 0: () -> ()
    (&[I32], &[I32]),           // 1: (i32) -> i32
    (&[I32, I32], &[]),         // 2: (i32, i32) -> ()
    (&[I32, I32], &[I32]),      // 3: (i32, i32) -> i32
    (&[I32, I32, I32], &[I32]), // 4: (i32, i32, i32) -> i32
];
const T_VOID_I32: u32 = 5; // (i32) -> (), appended below

/// (export name, type index, constant returned: `None` for no result).
const FUNCS: [(&str, u32, Option<i32>); 15] = [
    ("proxy_abi_version_0_2_1", 0, None),
    // A fixed, in-bounds address: the host never hands this module bytes.
    ("proxy_on_memory_allocate", 1, Some(1024)),
    ("proxy_on_context_create", 2, None),
    ("proxy_on_vm_start", 3, Some(1)),
    ("proxy_on_configure", 3, Some(1)),
    ("proxy_on_request_headers", 4, Some(0)),
    ("proxy_on_request_body", 4, Some(0)),
    ("proxy_on_request_trailers", 3, Some(0)),
    ("proxy_on_response_headers", 4, Some(0)),
    ("proxy_on_response_body", 4, Some(0)),
    ("proxy_on_response_trailers", 3, Some(0)),
    ("proxy_on_done", 1, Some(1)),
    ("proxy_on_log", T_VOID_I32, None),
    ("proxy_on_delete", T_VOID_I32, None),
    ("proxy_on_tick", T_VOID_I32, None),
];

fn leb(mut n: u32, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(content.len() as u32, out);
    out.extend_from_slice(content);
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u32, out);
    out.extend_from_slice(s.as_bytes());
}

/// Signed LEB128 (the immediate of `i32.const`).
fn sleb(mut n: i32, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A function body: no locals, an optional `i32.const`, `end`.
fn body(result: Option<i32>) -> Vec<u8> {
    let mut code = vec![0x00]; // no local declarations
    if let Some(k) = result {
        code.push(0x41);
        sleb(k, &mut code);
    }
    code.push(0x0b);
    let mut out = Vec::new();
    leb(code.len() as u32, &mut out);
    out.extend(code);
    out
}

/// The binary module.
pub fn module() -> Vec<u8> {
    let mut out = b"\0asm".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());

    let mut types = Vec::new();
    leb(TYPES.len() as u32 + 1, &mut types);
    for (params, results) in TYPES.iter().chain([(&[I32][..], &[][..])].iter()) {
        types.push(0x60);
        leb(params.len() as u32, &mut types);
        types.extend_from_slice(params);
        leb(results.len() as u32, &mut types);
        types.extend_from_slice(results);
    }
    section(1, &types, &mut out);

    let mut funcs = Vec::new();
    leb(FUNCS.len() as u32, &mut funcs);
    for (_, ty, _) in FUNCS {
        leb(ty, &mut funcs);
    }
    section(3, &funcs, &mut out);

    // One page, no maximum.
    section(5, &[0x01, 0x00, 0x01], &mut out);

    let mut exports = Vec::new();
    leb(FUNCS.len() as u32 + 1, &mut exports);
    name("memory", &mut exports);
    exports.extend_from_slice(&[0x02, 0x00]);
    for (i, (export, _, _)) in FUNCS.iter().enumerate() {
        name(export, &mut exports);
        exports.push(0x00);
        leb(i as u32, &mut exports);
    }
    section(7, &exports, &mut out);

    let mut code = Vec::new();
    leb(FUNCS.len() as u32, &mut code);
    for (_, _, result) in FUNCS {
        code.extend(body(result));
    }
    section(10, &code, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shroud_host::proxy::{self, ProxyHost, Request, UpstreamResponse};

    #[test]
    fn sleb_encodes_like_the_spec() {
        let enc = |n| {
            let mut v = Vec::new();
            sleb(n, &mut v);
            v
        };
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(1), [0x01]);
        assert_eq!(enc(63), [0x3f]);
        assert_eq!(enc(64), [0xc0, 0x00]);
        assert_eq!(enc(1024), [0x80, 0x08]);
        assert_eq!(enc(-1), [0x7f]);
    }

    #[test]
    fn the_noop_module_passes_everything_through_untouched() {
        let engine = proxy::engine().unwrap();
        let module = proxy::compile(&engine, &module()).unwrap();
        let mut host = ProxyHost::new(&engine, &module).unwrap();
        assert!(host.start(b"", b"{}").unwrap());
        let body =
            br#"{"model":"m","messages":[{"role":"user","content":"mail ada@example.org"}]}"#;
        let request = Request {
            headers: vec![
                (":method".into(), "POST".into()),
                (":path".into(), "/v1/chat/completions".into()),
                ("content-type".into(), "application/json".into()),
            ],
            chunks: vec![body[..10].to_vec(), body[10..].to_vec()],
            trailers: Vec::new(),
        };
        let exchange = host
            .exchange(&request, &mut |_| UpstreamResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                chunks: vec![b"{\"ok\":".to_vec(), b"true}".to_vec()],
                trailers: Vec::new(),
            })
            .unwrap();
        let upstream = exchange.upstream.unwrap();
        assert!(upstream.complete);
        assert_eq!(upstream.body, body.to_vec());
        assert_eq!(upstream.chunks.len(), 2, "no buffering");
        assert_eq!(exchange.client.body, b"{\"ok\":true}".to_vec());
        assert!(host.state().logs.is_empty());
    }
}
