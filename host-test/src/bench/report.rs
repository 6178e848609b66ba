// SPDX-License-Identifier: Apache-2.0
//! Numbers of `shroud bench`: percentiles of timed samples, and the rows
//! written as CSV (one flat table) and Markdown (one table per section).

use std::fmt::Write as _;
use std::time::Duration;

/// Percentiles of one set of samples, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    /// Nearest-rank percentiles; `None` without samples.
    pub fn of(samples: &[Duration]) -> Option<Stats> {
        let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        us.sort_by(f64::total_cmp);
        let at = |p: f64| -> Option<f64> {
            let rank = ((p * us.len() as f64).ceil() as usize).max(1);
            us.get(rank - 1).copied()
        };
        Some(Stats {
            n: us.len(),
            p50: at(0.50)?,
            p90: at(0.90)?,
            p99: at(0.99)?,
            max: *us.last()?,
        })
    }

    /// Percentile by percentile `self − base` (a difference of
    /// percentiles, not a percentile of differences).
    pub fn minus(&self, base: &Stats) -> Stats {
        Stats {
            n: self.n.min(base.n),
            p50: self.p50 - base.p50,
            p90: self.p90 - base.p90,
            p99: self.p99 - base.p99,
            max: self.max - base.max,
        }
    }
}

/// The three sections of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Whole exchanges through the proxy-wasm host, per request.
    Latency,
    /// Engine MB/s, native against in wasm.
    Throughput,
    /// `proxy_on_response_body` per SSE chunk.
    Streaming,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Latency => "latency",
            Section::Throughput => "throughput",
            Section::Streaming => "streaming",
        }
    }
}

/// One measured line.
#[derive(Debug, Clone)]
pub struct Row {
    pub section: Section,
    /// Payload (`clean`, `pii-dense`), operation or stream name.
    pub case: String,
    /// Body bytes (latency, throughput) or response bytes (streaming).
    pub bytes: usize,
    /// `no-op`, `filter`, `added`, `native`, `component`, ...
    pub variant: String,
    pub stats: Option<Stats>,
    pub mb_per_s: Option<f64>,
    /// Why a cell is empty, or what else a reader needs.
    pub note: String,
}

pub const CSV_HEADER: &str =
    "section,case,bytes,variant,samples,p50_us,p90_us,p99_us,max_us,mb_per_s,note";

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        let s = r.stats;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            r.section.name(),
            r.case.replace(',', ";"),
            r.bytes,
            r.variant,
            s.map(|s| s.n.to_string()).unwrap_or_default(),
            num(s.map(|s| s.p50)),
            num(s.map(|s| s.p90)),
            num(s.map(|s| s.p99)),
            num(s.map(|s| s.max)),
            r.mb_per_s.map(|v| format!("{v:.2}")).unwrap_or_default(),
            r.note.replace(',', ";"),
        );
    }
    out
}

/// 1 KiB, 64 KiB, 1 MiB, or bytes.
pub fn size_name(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

fn cell(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn stat_cells(s: Option<Stats>) -> String {
    match s {
        Some(s) => format!(
            "{} | {} | {} | {}",
            cell(s.p50),
            cell(s.p90),
            cell(s.p99),
            cell(s.max)
        ),
        None => "– | – | – | –".into(),
    }
}

/// The Markdown report: one table per section, in `rows` order.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    let of = |section: Section| rows.iter().filter(move |r| r.section == section);

    out.push_str(
        "### Per request through the proxy-wasm host (µs)\n\n\
         | body | payload | module | p50 | p90 | p99 | max | samples |\n\
         |---|---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in of(Section::Latency) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            size_name(r.bytes),
            r.case,
            r.variant,
            stat_cells(r.stats),
            r.stats.map(|s| s.n.to_string()).unwrap_or_default()
        );
    }

    out.push_str(
        "\n### Engine throughput, native and in wasm (MB/s, 1 MB = 10^6 bytes)\n\n\
         | operation | payload | body | engine | MB/s | note |\n\
         |---|---|---|---|---:|---|\n",
    );
    for r in of(Section::Throughput) {
        let (op, payload) = r.case.split_once(' ').unwrap_or((r.case.as_str(), ""));
        let _ = writeln!(
            out,
            "| {op} | {payload} | {} | {} | {} | {} |",
            size_name(r.bytes),
            r.variant,
            r.mb_per_s
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "–".into()),
            r.note
        );
    }

    out.push_str(
        "\n### Streaming: `proxy_on_response_body` per SSE chunk (µs)\n\n\
         | stream | response | module | p50 | p90 | p99 | max | samples (chunks × streams) |\n\
         |---|---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in of(Section::Streaming) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.case,
            size_name(r.bytes),
            r.variant,
            stat_cells(r.stats),
            r.stats.map(|s| s.n.to_string()).unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let s = Stats::of(&samples).unwrap();
        assert_eq!(
            (s.n, s.p50, s.p90, s.p99, s.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        let one = Stats::of(&[Duration::from_micros(7)]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        assert_eq!(Stats::of(&[]), None);
        let d = s.minus(&one);
        assert_eq!((d.p50, d.max), (43.0, 93.0));
    }

    #[test]
    fn sizes_read_like_the_issue() {
        assert_eq!(size_name(1024), "1 KiB");
        assert_eq!(size_name(1 << 20), "1 MiB");
        assert_eq!(size_name(1000), "1000 B");
    }
}
