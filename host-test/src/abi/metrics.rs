// SPDX-License-Identifier: Apache-2.0
//! Metrics (spec: "Metrics"): counters, gauges and histograms by id.
//! Defining an existing name returns its id, as Envoy does; a counter only
//! grows; a histogram keeps every recorded value.

use super::{CallResult, HostState, Status, memory, status};
use std::collections::BTreeMap;
use wasmtime::{Caller, Linker};

/// `proxy_metric_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

#[derive(Debug, Clone)]
pub struct Metric {
    pub kind: MetricKind,
    pub name: String,
    /// Counter or gauge value; for a histogram, the number of samples.
    pub value: i64,
    pub samples: Vec<u64>,
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// Index = id − 1.
    pub all: Vec<Metric>,
    pub by_name: BTreeMap<String, u32>,
}

impl Metrics {
    /// Counter/gauge values (histograms: sample count) by name.
    pub fn snapshot(&self) -> BTreeMap<String, i64> {
        self.all.iter().map(|m| (m.name.clone(), m.value)).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Metric> {
        let id = *self.by_name.get(name)?;
        self.all.get(id.checked_sub(1)? as usize)
    }

    fn by_id(&mut self, id: u32) -> Result<&mut Metric, Status> {
        let index = id.checked_sub(1).ok_or(Status::NotFound)? as usize;
        self.all.get_mut(index).ok_or(Status::NotFound)
    }
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "proxy_define_metric",
        |mut caller: Caller<'_, HostState>, kind: i32, name: i32, name_len: i32, id_out: i32| {
            status(define(&mut caller, kind, (name, name_len), id_out))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut caller: Caller<'_, HostState>, id: i32, offset: i64| {
            status((|| {
                let state = caller.data_mut();
                if let Some(s) = state.intercept("proxy_increment_metric") {
                    return Err(s.into());
                }
                let metric = state.metrics.by_id(id as u32)?;
                match metric.kind {
                    MetricKind::Counter if offset < 0 => Err(Status::BadArgument.into()),
                    MetricKind::Counter | MetricKind::Gauge => {
                        metric.value = metric.value.saturating_add(offset);
                        Ok(())
                    }
                    MetricKind::Histogram => Err(Status::BadArgument.into()),
                }
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_record_metric",
        |mut caller: Caller<'_, HostState>, id: i32, value: i64| {
            status((|| {
                let state = caller.data_mut();
                if let Some(s) = state.intercept("proxy_record_metric") {
                    return Err(s.into());
                }
                let metric = state.metrics.by_id(id as u32)?;
                let value = value as u64;
                match metric.kind {
                    MetricKind::Counter => metric.value = metric.value.saturating_add(value as i64),
                    MetricKind::Gauge => metric.value = value as i64,
                    MetricKind::Histogram => {
                        metric.samples.push(value);
                        metric.value = metric.samples.len() as i64;
                    }
                }
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_metric",
        |mut caller: Caller<'_, HostState>, id: i32, value_out: i32| {
            status((|| {
                let state = caller.data_mut();
                if let Some(s) = state.intercept("proxy_get_metric") {
                    return Err(s.into());
                }
                let metric = state.metrics.by_id(id as u32)?;
                if metric.kind == MetricKind::Histogram {
                    return Err(Status::BadArgument.into());
                }
                let value = metric.value as u64;
                memory::write_u64(&mut caller, value_out, value)
            })())
        },
    )?;
    Ok(())
}

fn define(
    caller: &mut Caller<'_, HostState>,
    kind: i32,
    name: (i32, i32),
    id_out: i32,
) -> CallResult {
    if let Some(s) = caller.data_mut().intercept("proxy_define_metric") {
        return Err(s.into());
    }
    let kind = match kind {
        0 => MetricKind::Counter,
        1 => MetricKind::Gauge,
        2 => MetricKind::Histogram,
        _ => return Err(Status::BadArgument.into()),
    };
    let name = memory::read_string(caller, name.0, name.1)?;
    let metrics = &mut caller.data_mut().metrics;
    let id = match metrics.by_name.get(&name) {
        Some(id) => *id,
        None => {
            metrics.all.push(Metric {
                kind,
                name: name.clone(),
                value: 0,
                samples: Vec::new(),
            });
            let id = metrics.all.len() as u32;
            metrics.by_name.insert(name, id);
            id
        }
    };
    memory::write_u32(caller, id_out, id)
}
