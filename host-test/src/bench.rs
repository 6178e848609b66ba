// SPDX-License-Identifier: Apache-2.0
//! `shroud bench`: what the filter costs, measured off-gateway through this
//! crate's proxy-wasm host, so the number needs no Envoy and can run in CI.
//!
//! - **Latency**: whole exchanges (request headers, body, a small JSON
//!   answer, done) for chat bodies of 1 KiB to 1 MiB, clean and PII-dense,
//!   through the filter and through a no-op module; filter − no-op is what
//!   the filter adds. Each module is compiled once and instantiated once
//!   (one VM, many streams, as Envoy runs a plugin per worker); the two
//!   VMs take turns request by request so machine noise hits both alike.
//! - **Throughput**: the engine's `scan` and `sanitize` in MB/s natively
//!   and inside the WASI component (wasm32-wasip2 under wasmtime: the
//!   engine in wasm with only the canonical ABI's copies around it).
//! - **Streaming**: `proxy_on_response_body` per SSE chunk while the
//!   filter restores placeholders split across many small chunks.
//!
//! No number is asserted anywhere; the outputs are for reading.

mod ner;
mod noop;
mod payload;
mod report;
mod text;

use crate::component::ComponentEngine;
use payload::Payload;
use report::{Row, Section, Stats};
use shroud_engine::{Engine, RequestInfo, RequestOutcome};
use shroud_host::conformance::ROUTE_NAME;
use shroud_host::proxy::{self, Action, Pairs, ProxyHost, Request, UpstreamResponse};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Request body sizes of the latency table.
pub const SIZES: [usize; 4] = [1 << 10, 4 << 10, 64 << 10, 1 << 20];
/// Body size of the throughput table.
pub const THROUGHPUT_BYTES: usize = 64 << 10;
/// Request bodies reach the filter in pieces of this size (Envoy hands a
/// body over as it reads it; the filter buffers until the end).
pub const CHUNK_BYTES: usize = 16 << 10;
/// Characters per streamed delta (a token or two, as models stream).
pub const DELTA_CHARS: usize = 7;

/// The plugin configuration of every measurement: the documented defaults
/// with limits raised so that a 1 MiB PII-dense body (~5000 values) is
/// inspected rather than refused, and the scan cache off: every iteration
/// sends the same body, which the cache would answer after the first.
pub const CONFIG: &str = r#"{"detectors":{"cache_entries":0},"limits":{"max_body_bytes":2097152,"max_findings":32768,"max_vault_entries":32768}}"#;

const PATH: &str = "/v1/chat/completions";

pub struct Options {
    pub filter: PathBuf,
    pub component: PathBuf,
    pub iterations: usize,
    pub quick: bool,
    pub csv: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    /// Run only the NER section with the model files in this directory.
    pub ner_models: Option<PathBuf>,
    /// `shroud_component_ner.wasm`, for the NER section.
    pub component_ner: PathBuf,
    /// Run only the text section: requests cut from this file.
    pub text: Option<PathBuf>,
}

/// Timed and warm-up repetitions.
#[derive(Debug, Clone, Copy)]
struct Counts {
    iterations: usize,
    warmup: usize,
    /// SSE streams in the streaming section (each ~250 chunks).
    streams: usize,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn werr(e: wasmtime::Error) -> String {
    format!("{e:#}")
}

pub fn run(opts: &Options) -> Result<(), String> {
    if let Some(models) = &opts.ner_models {
        let iterations = if opts.quick { 2 } else { opts.iterations };
        let markdown = ner::run(&opts.component_ner, models, iterations)?;
        return write_and_print(opts, &markdown);
    }
    let counts = if opts.quick {
        Counts {
            iterations: 3,
            warmup: 1,
            streams: 1,
        }
    } else {
        let n = opts.iterations.max(1);
        Counts {
            iterations: n,
            warmup: (n / 10).clamp(3, 50),
            streams: (n / 20).max(2),
        }
    };
    let engine = proxy::engine().map_err(werr)?;
    let filter_bytes = std::fs::read(&opts.filter).map_err(|e| {
        format!(
            "cannot read the filter {}: {e}; build it with scripts/build-filter",
            opts.filter.display()
        )
    })?;
    let compiled = Instant::now();
    let filter = proxy::compile(&engine, &filter_bytes).map_err(werr)?;
    eprintln!(
        "bench: compiled {} ({} bytes) in {:.1} s",
        opts.filter.display(),
        filter_bytes.len(),
        compiled.elapsed().as_secs_f64()
    );
    if let Some(file) = &opts.text {
        let requests = if opts.quick { 3 } else { opts.iterations };
        let markdown = text::run(&mut vm(&engine, &filter)?, file, requests)?;
        return write_and_print(opts, &markdown);
    }
    let noop = proxy::compile(&engine, &noop::module()).map_err(werr)?;
    let mut vms = Vms {
        noop: vm(&engine, &noop)?,
        filter: vm(&engine, &filter)?,
    };

    let configured = vms.filter.memory_bytes();
    let mut rows = Vec::new();
    latency(&mut vms, counts, &mut rows)?;
    throughput(&opts.component, counts, &mut rows)?;
    streaming(&mut vms, counts, &mut rows)?;
    let memory = Memory {
        configured,
        peak: vms.filter.memory_bytes(),
    };

    let markdown = format!(
        "{}\n{}",
        header(opts, counts, filter_bytes.len(), memory),
        report::markdown(&rows)
    );
    if let Some(path) = &opts.csv {
        std::fs::write(path, report::csv(&rows))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    write_and_print(opts, &markdown)
}

/// Prints the report and writes it where `--markdown` asks.
fn write_and_print(opts: &Options, markdown: &str) -> Result<(), String> {
    if let Some(path) = &opts.markdown {
        std::fs::write(path, markdown).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    print!("{markdown}");
    Ok(())
}

/// The filter VM's linear memory, configured and at the end of the run.
#[derive(Clone, Copy)]
struct Memory {
    configured: Option<usize>,
    peak: Option<usize>,
}

fn mib(bytes: Option<usize>) -> String {
    bytes.map_or_else(
        || "?".into(),
        |b| format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
    )
}

fn header(opts: &Options, counts: Counts, filter_len: usize, memory: Memory) -> String {
    format!(
        "## shroud bench\n\n\
         - filter: `{}` ({filter_len} bytes); baseline: a no-op proxy-wasm module (host + ABI cost only)\n\
         - filter VM linear memory: {} once configured, {} at the end of the run (its peak: \
         wasm memory only grows; the largest body was 1 MiB, PII-dense)\n\
         - plugin config: `{CONFIG}`\n\
         - {} timed runs per cell after {} warm-up runs{}; request bodies in {} chunks; \
         one VM per module, alternating request by request\n\
         - host build: {}\n",
        opts.filter.display(),
        mib(memory.configured),
        mib(memory.peak),
        counts.iterations,
        counts.warmup,
        if opts.quick { " (--quick)" } else { "" },
        report::size_name(CHUNK_BYTES),
        if cfg!(debug_assertions) {
            "debug (numbers are for smoke only)"
        } else {
            "release"
        }
    )
}

/// The two VMs the latency and streaming sections share.
struct Vms {
    noop: ProxyHost,
    filter: ProxyHost,
}

/// One configured VM, as `envoy-config/envoy.yaml` runs the plugin.
fn vm(engine: &wasmtime::Engine, module: &wasmtime::Module) -> Result<ProxyHost, String> {
    let mut host = ProxyHost::new(engine, module).map_err(werr)?;
    host.state_mut()
        .properties
        .insert("xds.route_name".into(), ROUTE_NAME.as_bytes().to_vec());
    match host.start(b"", CONFIG.as_bytes()) {
        Ok(true) => Ok(host),
        Ok(false) => Err("the filter refused the bench configuration".into()),
        Err(e) => Err(werr(e)),
    }
}

fn request_headers(len: usize) -> Pairs {
    vec![
        (":method".into(), "POST".into()),
        (":path".into(), PATH.into()),
        (":authority".into(), "localhost".into()),
        (":scheme".into(), "http".into()),
        ("content-type".into(), "application/json".into()),
        ("content-length".into(), len.to_string()),
    ]
}

fn chat_request(body: &[u8]) -> Request {
    Request {
        headers: request_headers(body.len()),
        chunks: body.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect(),
        trailers: Vec::new(),
    }
}

fn small_answer() -> UpstreamResponse {
    let body = br#"{"id":"chatcmpl-bench","object":"chat.completion","created":0,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Noted, I will follow up."},"finish_reason":"stop"}]}"#;
    UpstreamResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("content-length".into(), body.len().to_string()),
        ],
        chunks: vec![body.to_vec()],
        trailers: Vec::new(),
    }
}

/// One exchange, timed; the upstream body when it went through.
fn timed_exchange(
    host: &mut ProxyHost,
    request: &Request,
) -> Result<(Duration, Option<Vec<u8>>), String> {
    let answer = small_answer();
    let mut upstream = |_: &_| answer.clone();
    let start = Instant::now();
    let exchange = host.exchange(request, &mut upstream);
    let took = start.elapsed();
    host.state_mut().logs.clear();
    let exchange = exchange.map_err(werr)?;
    if let Some(reply) = exchange.local_reply {
        return Err(format!(
            "the filter answered locally with {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        ));
    }
    Ok((took, exchange.upstream.map(|u| u.body)))
}

fn latency(vms: &mut Vms, counts: Counts, rows: &mut Vec<Row>) -> Result<(), String> {
    for size in SIZES {
        for payload in [Payload::Clean, Payload::PiiDense] {
            let body = payload::chat_body(size, payload);
            let request = chat_request(&body);
            // What the filter did must be what the payload calls for.
            let (_, sent) = timed_exchange(&mut vms.filter, &request)?;
            let changed = sent.as_deref() != Some(body.as_slice());
            if changed != (payload == Payload::PiiDense) {
                return Err(format!(
                    "the filter {} the {} {} body",
                    if changed { "changed" } else { "did not change" },
                    report::size_name(size),
                    payload.name()
                ));
            }
            let (mut base, mut with) = (Vec::new(), Vec::new());
            for i in 0..counts.warmup + counts.iterations {
                let (b, _) = timed_exchange(&mut vms.noop, &request)?;
                let (f, _) = timed_exchange(&mut vms.filter, &request)?;
                if i >= counts.warmup {
                    base.push(b);
                    with.push(f);
                }
            }
            push_compared(rows, Section::Latency, payload.name(), size, &base, &with);
        }
    }
    Ok(())
}

/// `no-op`, `filter` and `added` rows.
fn push_compared(
    rows: &mut Vec<Row>,
    section: Section,
    case: &str,
    bytes: usize,
    base: &[Duration],
    with: &[Duration],
) {
    let (b, f) = (Stats::of(base), Stats::of(with));
    let added = b.zip(f).map(|(b, f)| f.minus(&b));
    for (variant, stats, note) in [
        ("no-op", b, ""),
        ("filter", f, ""),
        ("added", added, "filter − no-op, per percentile"),
    ] {
        rows.push(Row {
            section,
            case: case.into(),
            bytes,
            variant: variant.into(),
            stats,
            mb_per_s: None,
            note: note.into(),
        });
    }
}

/// MB/s of `op` over `bytes`, after warm-up.
fn mb_per_s(
    bytes: usize,
    counts: Counts,
    mut op: impl FnMut() -> Result<(), String>,
) -> Result<f64, String> {
    for _ in 0..counts.warmup {
        op()?;
    }
    let start = Instant::now();
    for _ in 0..counts.iterations {
        op()?;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok((bytes * counts.iterations) as f64 / secs / 1e6)
}

fn native_sanitize(engine: &Engine, body: &[u8]) -> Result<(), String> {
    let route = engine.route(&RequestInfo {
        path: PATH,
        ..RequestInfo::default()
    });
    match engine.sanitize_request(&route, Some("application/json"), body) {
        RequestOutcome::Forward { .. } => Ok(()),
        RequestOutcome::Reject(r) => Err(format!("native sanitize refused: {}", r.status)),
    }
}

fn throughput(component: &Path, counts: Counts, rows: &mut Vec<Row>) -> Result<(), String> {
    let native = Engine::new(CONFIG.as_bytes()).map_err(err)?;
    let mut wasm = ComponentEngine::load(component, CONFIG, &[]);
    if let Err(e) = &wasm {
        eprintln!("bench: no component numbers: {e}");
    }
    let bytes = THROUGHPUT_BYTES;
    for payload in [Payload::Clean, Payload::PiiDense] {
        let body = payload::chat_body(bytes, payload);
        let text = String::from_utf8(body.clone()).map_err(err)?;
        for op in ["scan", "sanitize"] {
            let case = format!("{op} {}", payload.name());
            let native_rate = mb_per_s(bytes, counts, || {
                if op == "scan" {
                    std::hint::black_box(native.scan(&text));
                    Ok(())
                } else {
                    native_sanitize(&native, &body)
                }
            })?;
            let (wasm_rate, note) = match &mut wasm {
                Ok(c) => {
                    let rate = mb_per_s(bytes, counts, || {
                        if op == "scan" {
                            c.scan(&text).map(|f| {
                                std::hint::black_box(f);
                            })
                        } else {
                            c.sanitize(PATH, &body).map(|n| {
                                std::hint::black_box(n);
                            })
                        }
                    })?;
                    (Some(rate), format!("{:.2}× native", rate / native_rate))
                }
                Err(_) => (None, "component not built (scripts/build-component)".into()),
            };
            for (variant, rate, note) in [
                ("native", Some(native_rate), String::new()),
                ("component (wasm32-wasip2)", wasm_rate, note),
            ] {
                rows.push(Row {
                    section: Section::Throughput,
                    case: case.clone(),
                    bytes,
                    variant: variant.into(),
                    stats: None,
                    mb_per_s: rate,
                    note,
                });
            }
        }
    }
    Ok(())
}

/// Chat completion SSE events echoing `text` in small deltas, one chunk each.
fn sse_events(text: &str) -> Vec<Vec<u8>> {
    let event = |delta: &serde_json::Value, finish: serde_json::Value| {
        let chunk = serde_json::json!({
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        format!("data: {chunk}\n\n").into_bytes()
    };
    let null = serde_json::Value::Null;
    let mut out = vec![event(
        &serde_json::json!({"role": "assistant", "content": ""}),
        null.clone(),
    )];
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(DELTA_CHARS) {
        let piece: String = piece.iter().collect();
        out.push(event(
            &serde_json::json!({ "content": piece }),
            null.clone(),
        ));
    }
    out.push(event(&serde_json::json!({}), "stop".into()));
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

/// The text the client reads from chat completion SSE.
fn streamed_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<serde_json::Value>(data).ok())
        .filter_map(|v| {
            v.pointer("/choices/0/delta/content")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// One streamed exchange driven callback by callback (as
/// [`ProxyHost::exchange`] does) so each response chunk can be timed.
/// Returns what the client received.
fn stream_once(
    host: &mut ProxyHost,
    body: &[u8],
    samples: &mut Vec<Duration>,
) -> Result<Vec<u8>, String> {
    let ctx = host.create_http_context().map_err(werr)?;
    let result = drive_stream(host, ctx, body, samples);
    let finished = host.finish_stream(ctx).map_err(werr);
    host.state_mut().logs.clear();
    let client = result?;
    finished?;
    Ok(client)
}

fn drive_stream(
    host: &mut ProxyHost,
    ctx: u32,
    body: &[u8],
    samples: &mut Vec<Duration>,
) -> Result<Vec<u8>, String> {
    let mut headers = request_headers(body.len());
    headers.push(("x-request-id".into(), format!("bench-{ctx}")));
    host.on_request_headers(ctx, headers, false).map_err(werr)?;
    let action = host.on_request_body(ctx, body, true).map_err(werr)?;
    let stream = host
        .state_mut()
        .streams
        .get_mut(&ctx)
        .ok_or("the stream vanished")?;
    if action != Action::Continue || stream.local_reply.is_some() {
        return Err("the filter did not forward the streaming request".into());
    }
    let upstream = std::mem::take(&mut stream.request_body);
    let echoed = payload::last_content(&upstream).ok_or("the upstream body is no chat request")?;
    let response_headers = vec![
        (":status".into(), "200".into()),
        ("content-type".into(), "text/event-stream".into()),
    ];
    host.on_response_headers(ctx, response_headers, false)
        .map_err(werr)?;
    let events = sse_events(&echoed);
    let last = events.len().saturating_sub(1);
    let mut client = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let start = Instant::now();
        let action = host.on_response_body(ctx, event, i == last).map_err(werr)?;
        samples.push(start.elapsed());
        // Continue: what the host holds goes on; Pause: it stays buffered.
        if action == Action::Continue {
            let stream = host
                .state_mut()
                .streams
                .get_mut(&ctx)
                .ok_or("the stream vanished")?;
            client.append(&mut stream.response_body);
        }
    }
    Ok(client)
}

fn streaming(vms: &mut Vms, counts: Counts, rows: &mut Vec<Row>) -> Result<(), String> {
    let body = payload::chat_body_with(4 << 10, Payload::PiiDense, true);
    let original = payload::last_content(&body).ok_or("bench body without a last message")?;
    let mut scratch = Vec::new();
    let restored = streamed_text(&stream_once(&mut vms.filter, &body, &mut scratch)?);
    if restored != original {
        return Err("streaming: the client did not get the original text back".into());
    }
    let response_bytes: usize = sse_events(&original).iter().map(Vec::len).sum();
    let chunks = scratch.len();
    let (mut base, mut with) = (Vec::new(), Vec::new());
    for i in 0..counts.warmup.min(3) + counts.streams {
        let keep = i >= counts.warmup.min(3);
        let mut b = Vec::new();
        let mut f = Vec::new();
        stream_once(&mut vms.noop, &body, &mut b)?;
        stream_once(&mut vms.filter, &body, &mut f)?;
        if keep {
            base.extend(b);
            with.extend(f);
        }
    }
    let case = format!(
        "chat SSE: {chunks} chunks per stream, {DELTA_CHARS}-char deltas; {} values restored",
        original.matches(", ").count()
    );
    push_compared(
        rows,
        Section::Streaming,
        &case,
        response_bytes,
        &base,
        &with,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_round_trips_through_the_reader() {
        let text = "Write to ada.lovelace@example.org — ünïcode too.";
        let events = sse_events(text);
        assert!(events.len() > text.chars().count() / DELTA_CHARS);
        assert_eq!(streamed_text(&events.concat()), text);
        assert_eq!(streamed_text(b"data: [DONE]\n\n"), "");
    }
}
