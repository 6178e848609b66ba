// SPDX-License-Identifier: Apache-2.0
//! One metadata-only audit line per inspected request:
//! `shroud.audit {"request_id":…}` at info level (Envoy's `wasm` logger).
//!
//! It carries ids, names, counts, sizes and time — never a detected value,
//! a placeholder, a body or a header other than the request id.

use crate::api::Report;
use crate::metrics::surface_name;
use serde_json::{Map, Value, json};

/// Fixed prefix so log shippers can pick the lines out.
pub const PREFIX: &str = "shroud.audit";

/// Byte counts seen by the filter.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sizes {
    pub request_in: usize,
    pub request_out: usize,
    pub response_in: usize,
    pub response_out: usize,
}

/// Everything one audit line says.
pub struct Record<'a> {
    pub request_id: &'a str,
    pub route_name: Option<&'a str>,
    /// `None` when the request ended before Shroud decided (client reset).
    pub report: Option<&'a Report>,
    pub status: Option<u16>,
    pub sizes: Sizes,
    pub micros: u64,
}

/// The complete log line.
pub fn line(record: &Record) -> String {
    let mut fields = Map::new();
    fields.insert("request_id".into(), json!(record.request_id));
    fields.insert("route".into(), json!(record.route_name));
    match record.report {
        Some(report) => {
            let counts: Vec<Value> = report
                .counts
                .iter()
                .map(|(category, kind, count)| json!({"category": category.as_str(), "type": kind, "count": count}))
                .collect();
            fields.insert("profile".into(), json!(report.profile));
            fields.insert("surface".into(), json!(surface_name(report.surface)));
            fields.insert("action".into(), json!(report.action.as_str()));
            fields.insert("dry_run".into(), json!(report.dry_run));
            fields.insert("findings".into(), Value::Array(counts));
            fields.insert("bytes_scanned".into(), json!(report.bytes_scanned));
            fields.insert("bytes_cached".into(), json!(report.bytes_cached));
            fields.insert("error".into(), json!(report.error));
            fields.insert("violations".into(), json!(report.violations));
            fields.insert("limit".into(), json!(report.limit));
        }
        None => {
            fields.insert("action".into(), json!("incomplete"));
        }
    }
    fields.insert("status".into(), json!(record.status));
    let s = record.sizes;
    fields.insert(
        "bytes".into(),
        json!({"request_in": s.request_in, "request_out": s.request_out,
               "response_in": s.response_in, "response_out": s.response_out}),
    );
    fields.insert("micros".into(), json!(record.micros));
    format!("{PREFIX} {}", Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ReportAction;
    use shroud_engine::Category;
    use shroud_engine::config::SurfaceKind;

    #[test]
    fn line_is_prefixed_json_with_metadata_only() {
        let report = Report {
            action: ReportAction::Mask,
            dry_run: false,
            profile: "default".into(),
            surface: Some(SurfaceKind::OpenaiChat),
            counts: vec![(Category::Pii, "email".into(), 2)],
            bytes_scanned: 120,
            bytes_cached: 100,
            error: None,
            violations: vec!["model_not_allowed".into()],
            limit: None,
        };
        let line = line(&Record {
            request_id: "rid-1",
            route_name: Some("llm"),
            report: Some(&report),
            status: Some(200),
            sizes: Sizes {
                request_in: 120,
                request_out: 110,
                response_in: 50,
                response_out: 60,
            },
            micros: 42,
        });
        let json = line.strip_prefix("shroud.audit ").unwrap();
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["request_id"], "rid-1");
        assert_eq!(v["surface"], "openai_chat");
        assert_eq!(v["action"], "mask");
        assert_eq!(v["violations"], json!(["model_not_allowed"]));
        assert_eq!(
            v["findings"][0],
            json!({"category": "pii", "type": "email", "count": 2})
        );
        assert_eq!(v["bytes"]["request_out"], 110);
        assert_eq!(v["bytes_cached"], 100);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "request_id",
                "route",
                "profile",
                "surface",
                "action",
                "dry_run",
                "findings",
                "bytes_scanned",
                "bytes_cached",
                "error",
                "violations",
                "limit",
                "status",
                "bytes",
                "micros"
            ]
        );
    }

    #[test]
    fn incomplete_request_still_logs() {
        let line = line(&Record {
            request_id: "rid-2",
            route_name: None,
            report: None,
            status: None,
            sizes: Sizes::default(),
            micros: 0,
        });
        assert!(line.contains(r#""action":"incomplete""#), "{line}");
    }
}
