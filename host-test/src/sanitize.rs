// SPDX-License-Identifier: Apache-2.0
//! `shroud sanitize`: one request body (stdin) through the built filter in
//! the proxy-wasm host; prints what the upstream would receive, or the
//! local reply the client would get.

use shroud_host::conformance::HostRunner;
use shroud_host::proxy::{Request, UpstreamResponse};
use std::io::{Read, Write};
use std::path::Path;

pub fn run(
    filter: &Path,
    config: Option<&Path>,
    path: &str,
    headers: &[String],
) -> Result<(), String> {
    let config = match config {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        None => Vec::new(),
    };
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let mut pairs = vec![
        (":method".to_string(), "POST".to_string()),
        (":path".to_string(), path.to_string()),
        (":authority".to_string(), "localhost".to_string()),
        (":scheme".to_string(), "http".to_string()),
    ];
    for h in headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: expected name:value"))?;
        pairs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    if !pairs.iter().any(|(k, _)| k == "content-type") {
        pairs.push(("content-type".into(), "application/json".into()));
    }
    pairs.push(("content-length".into(), body.len().to_string()));
    let runner = HostRunner::new(filter)?;
    let mut host = runner.host_for(&config, None)?;
    let configured = host.memory_bytes();
    let request = Request {
        headers: pairs,
        chunks: if body.is_empty() {
            Vec::new()
        } else {
            vec![body]
        },
        trailers: Vec::new(),
    };
    let mut answer = |_: &_| UpstreamResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        chunks: vec![b"{}".to_vec()],
        trailers: Vec::new(),
    };
    let exchange = host
        .exchange(&request, &mut answer)
        .map_err(|e| format!("{e:#}"))?;
    // Sizing aid: wasm memory only grows, so this is the VM's footprint.
    if let (Some(configured), Some(after)) = (configured, host.memory_bytes()) {
        eprintln!(
            "filter VM linear memory: {:.1} MiB configured, {:.1} MiB after the request",
            mib(configured),
            mib(after)
        );
    }
    let mut out = std::io::stdout().lock();
    let result = match (&exchange.local_reply, &exchange.upstream) {
        (Some(_), _) => {
            eprintln!("local reply: {}", exchange.client.status);
            out.write_all(&exchange.client.body)
        }
        (None, Some(up)) if up.complete => {
            eprintln!("forwarded upstream");
            out.write_all(&up.body)
        }
        _ => return Err(format!("the stream stalled at {:?}", exchange.stalled)),
    };
    result
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| format!("writing stdout: {e}"))
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}
