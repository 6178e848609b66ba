// SPDX-License-Identifier: Apache-2.0
//! Deterministic-tier throughput: MB/s of `Engine::scan` and of sanitizing an
//! OpenAI chat request, on generated mixed text (prose, code, JSON, logs,
//! a little non-ASCII, a sprinkling of secrets and PII) of 1 KB … 8 MB.
//! Same code natively and on wasm32-wasip1, so BENCHMARKS.md compares like
//! with like.
//!
//! Usage: `throughput [SECONDS_PER_CASE] [SIZES] [MODES] [DENSITY]`
//! - `SECONDS_PER_CASE` (default 1.0): time budget per size and mode; every
//!   case runs at least twice (one warm-up, one timed). `0` = one timed run
//!   (the CI smoke run and callgrind use that).
//! - `SIZES`: comma-separated subset of `1k,64k,1m,8m` (default all).
//! - `MODES`: comma-separated subset of `scan,chat` (default both).
//! - `DENSITY`: `mixed` (default: about one value per 2 KB) or `dense` (one
//!   after every block, about one per 400 bytes: the per-value costs).
//!
//! Prints CSV: `mode,size,bytes,findings,digest,runs,best_mb_s,median_mb_s`.
//! `findings` and `digest` (FNV-1a over every finding's type and offsets)
//! must not change when the engine gets faster: the result is the contract.

mod common;

use common::fnv;
use shroud_engine::{Engine, Finding, RequestOutcome};
use std::time::Instant;

/// "Every detector on": the defaults plus corporate markers and one custom
/// entity, which are empty (so not built) in the default config. Secrets
/// are masked instead of blocked, so the chat request is sanitized whole.
/// The scan cache is off: every run sends the same texts.
const CONFIG: &str = r#"{
  "detectors": {
    "cache_entries": 0,
    "corporate": {
      "internal_domains": ["*.internal.corp", "git.example.com"],
      "project_codes": ["PRJ-[0-9]{4}"],
      "keywords": ["Bluebird", "Nightjar"]
    },
    "custom": [{"type": "employee_id", "pattern": "EMP-\\d{6}"}]
  },
  "profiles": {"default": {"actions": {"secret": "mask"}}},
  "limits": {
    "max_body_bytes": 33554432,
    "max_findings": 1000000,
    "max_vault_entries": 1000000
  }
}"#;

const SIZES: [(&str, usize); 4] = [
    ("1k", 1 << 10),
    ("64k", 64 << 10),
    ("1m", 1 << 20),
    ("8m", 8 << 20),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map_or(Ok(1.0), |s| s.parse())?;
    let sizes = args.next().unwrap_or_else(|| "1k,64k,1m,8m".into());
    let modes = args.next().unwrap_or_else(|| "scan,chat".into());
    let dense = match args.next().as_deref() {
        None | Some("mixed") => false,
        Some("dense") => true,
        Some(other) => return Err(format!("DENSITY is mixed or dense, not {other:?}").into()),
    };

    let engine = Engine::new(CONFIG.as_bytes())?;
    println!("mode,size,bytes,findings,digest,runs,best_mb_s,median_mb_s");
    for (label, bytes) in SIZES {
        if !sizes.split(',').any(|s| s == label) {
            continue;
        }
        let text = mixed_text(bytes, dense);
        if modes.split(',').any(|m| m == "scan") {
            let findings = engine.scan(&text);
            let digest = digest(&findings);
            let times = time(seconds, || {
                std::hint::black_box(engine.scan(std::hint::black_box(&text)));
            });
            report("scan", label, text.len(), findings.len(), digest, &times);
        }
        if modes.split(',').any(|m| m == "chat") {
            let body = chat_request(&text);
            let route = engine.route(&common::openai_chat());
            let sanitize = || engine.sanitize_request(&route, Some("application/json"), &body);
            let (count, digest) = match sanitize() {
                RequestOutcome::Forward {
                    body: out, report, ..
                } => {
                    let out = out.as_deref().unwrap_or(&body);
                    let count: u32 = report.counts.iter().map(|(_, _, n)| n).sum();
                    (count as usize, fnv(0xcbf2_9ce4_8422_2325, out))
                }
                RequestOutcome::Reject(r) => {
                    return Err(format!("chat {label} rejected: {}", r.status).into());
                }
            };
            let times = time(seconds, || {
                std::hint::black_box(sanitize());
            });
            report("chat", label, body.len(), count, digest, &times);
        }
    }
    Ok(())
}

/// Runs `f` once untimed, then for `seconds` (at least once); seconds each.
fn time(seconds: f64, mut f: impl FnMut()) -> Vec<f64> {
    f();
    let started = Instant::now();
    let mut times = Vec::new();
    loop {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
        if started.elapsed().as_secs_f64() >= seconds || times.len() >= 1000 {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

fn report(mode: &str, label: &str, bytes: usize, findings: usize, digest: u64, times: &[f64]) {
    let mb = bytes as f64 / 1e6;
    let best = times.first().copied().unwrap_or(f64::NAN);
    let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "{mode},{label},{bytes},{findings},{digest:016x},{},{:.1},{:.1}",
        times.len(),
        mb / best,
        mb / median
    );
}

/// FNV-1a over every finding: type, category and both offset pairs.
fn digest(findings: &[Finding]) -> u64 {
    findings.iter().fold(0xcbf2_9ce4_8422_2325, |h, f| {
        let h = fnv(h, f.kind.as_bytes());
        let h = fnv(h, format!("{:?}", f.category).as_bytes());
        [f.start, f.end, f.byte_start, f.byte_end]
            .iter()
            .fold(h, |h, n| fnv(h, &n.to_le_bytes()))
    })
}

/// An OpenAI chat request whose messages hold `text` in turns of ≤16 KB.
fn chat_request(text: &str) -> Vec<u8> {
    let mut messages = Vec::new();
    let mut rest = text;
    let mut user = true;
    while !rest.is_empty() {
        let mut cut = rest.len().min(16 << 10);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (turn, tail) = rest.split_at(cut);
        messages.push(serde_json::json!({
            "role": if user { "user" } else { "assistant" },
            "content": turn,
        }));
        user = !user;
        rest = tail;
    }
    let request = serde_json::json!({"model": "gpt-4o", "messages": messages});
    serde_json::to_vec(&request).unwrap_or_default()
}

/// `bytes` of mixed text (cut on a char boundary), the same on every run.
fn mixed_text(bytes: usize, dense: bool) -> String {
    let mut rng = Lcg(0x5eed_cafe_f00d_d00d);
    let mut out = String::with_capacity(bytes + 4096);
    while out.len() < bytes {
        let block = match rng.below(100) {
            0..=34 => prose(&mut rng),
            35..=54 => code(&mut rng),
            55..=74 => json(&mut rng),
            75..=94 => logs(&mut rng),
            _ => unicode(&mut rng),
        };
        out.push_str(&block);
        out.push('\n');
        // About one sensitive value per 2 KB (dense: after every block).
        if dense || rng.below(4) == 0 {
            out.push_str(&sensitive(&mut rng));
            out.push('\n');
        }
    }
    let mut cut = bytes;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

/// A deterministic linear congruential generator (no `rand` dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = self.below(items.len() as u64) as usize;
        items.get(i).copied().unwrap_or("")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn alnum(&mut self, n: usize) -> String {
        const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(SET[self.below(SET.len() as u64) as usize]))
            .collect()
    }
}

const WORDS: &[&str] = &[
    "the",
    "model",
    "request",
    "should",
    "summarize",
    "quarterly",
    "report",
    "and",
    "explain",
    "why",
    "latency",
    "increased",
    "after",
    "deploy",
    "please",
    "review",
    "this",
    "function",
    "customer",
    "asked",
    "about",
    "invoice",
    "pipeline",
    "failed",
    "retry",
    "with",
    "backoff",
    "token",
    "password",
    "secret",
    "user",
    "account",
    "migration",
    "database",
    "schema",
    "index",
    "version",
    "build",
    "release",
    "meeting",
    "notes",
    "action",
    "items",
    "owner",
    "deadline",
];

fn prose(rng: &mut Lcg) -> String {
    let mut s = String::new();
    for _ in 0..(3 + rng.below(5)) {
        let n = 8 + rng.below(12);
        for i in 0..n {
            let w = rng.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    s.extend(f.to_uppercase());
                    s.push_str(c.as_str());
                }
            } else {
                s.push(' ');
                s.push_str(w);
            }
        }
        s.push_str(if rng.below(5) == 0 { "? " } else { ". " });
    }
    s
}

fn code(rng: &mut Lcg) -> String {
    let name = rng.pick(&["load_config", "parse_body", "retry_send", "hash_user"]);
    let n = rng.below(1000);
    format!(
        "fn {name}(input: &str) -> Result<Vec<u8>, Error> {{\n    let limit = {n};\n    \
         let token = std::env::var(\"API_TOKEN\")?;\n    for (i, line) in input.lines().enumerate() {{\n        \
         if i > limit {{ break; }}\n        out.extend_from_slice(line.as_bytes());\n    }}\n    \
         // TODO: handle version 1.{}.{} and the v2 schema\n    Ok(out)\n}}\n",
        rng.below(20),
        rng.below(50)
    )
}

fn json(rng: &mut Lcg) -> String {
    format!(
        "{{\"id\": {}, \"status\": \"{}\", \"items\": [{}, {}, {}], \"created_at\": \
         \"2024-0{}-1{}T10:2{}:00Z\", \"tags\": [\"{}\", \"{}\"], \"ratio\": 0.{}}}",
        rng.below(1_000_000),
        rng.pick(&["ok", "pending", "failed"]),
        rng.below(100),
        rng.below(1000),
        rng.below(10000),
        1 + rng.below(9),
        rng.below(10),
        rng.below(10),
        rng.pick(WORDS),
        rng.pick(WORDS),
        rng.digits(4)
    )
}

fn logs(rng: &mut Lcg) -> String {
    let mut s = String::new();
    for _ in 0..(2 + rng.below(4)) {
        s.push_str(&format!(
            "2024-05-{:02} 12:{:02}:{:02}.{} {} [{}] request_id={} duration_ms={} path=/api/v1/{} \
             status={}\n",
            1 + rng.below(28),
            rng.below(60),
            rng.below(60),
            rng.digits(3),
            rng.pick(&["INFO", "WARN", "ERROR", "DEBUG"]),
            rng.pick(&["worker-1", "http", "db-pool", "scheduler"]),
            rng.alnum(16),
            rng.below(5000),
            rng.pick(WORDS),
            rng.pick(&["200", "201", "404", "500"])
        ));
    }
    s
}

fn unicode(rng: &mut Lcg) -> String {
    rng.pick(&[
        "Пожалуйста, проверьте отчёт — он готов к отправке.",
        "Café menu: crème brûlée, naïve “quoted” text… and an emoji 🚀 or two 🎉.",
        "日本語のテキストも少し含まれています。",
        "Straße, Ärger, Öl — ünïcödé everywhere.",
    ])
    .to_string()
}

/// One made-up secret or personal value in a short sentence.
fn sensitive(rng: &mut Lcg) -> String {
    match rng.below(14) {
        0 => format!(
            "Contact {}.{}@example.com for access.",
            rng.pick(WORDS),
            rng.pick(WORDS)
        ),
        1 => format!("Call me at +1 415 555 {}.", rng.digits(4)),
        2 => "Card on file: 4539 1488 0343 6467.".into(),
        3 => format!("export OPENAI_API_KEY=sk-proj-{}", rng.alnum(48)),
        4 => format!("aws_access_key_id = AKIA{}", rng.alnum(16).to_uppercase()),
        5 => format!("GITHUB_TOKEN=ghp_{}", rng.alnum(36)),
        6 => format!("password = \"{}\"", rng.alnum(20)),
        7 => format!(
            "Server 84.17.{}.{} refused the connection.",
            rng.below(200),
            rng.below(250)
        ),
        8 => "IBAN DE50 5260 1815 9083 0166 13 for the transfer.".into(),
        9 => "SSN 536-22-1847 on the form.".into(),
        10 => format!(
            "See https://git.internal.corp/team/{} for PRJ-{}.",
            rng.pick(WORDS),
            rng.digits(4)
        ),
        11 => format!("Authorization: Bearer {}", rng.alnum(40)),
        12 => format!("employee EMP-{} on project Bluebird", rng.digits(6)),
        _ => format!(
            "slack: xoxb-{}-{}-{}",
            rng.digits(12),
            rng.digits(13),
            rng.alnum(24)
        ),
    }
}
