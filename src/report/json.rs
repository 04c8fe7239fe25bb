//! `latency_results.json`: the old lesson's keys (`system_info`,
//! `benchmark_config`, `statistics`, `raw_latencies`) plus what a comparison
//! across machines needs (engine, timer, warmup latencies, model, pipeline).
//!
//! Import is lenient about everything but the measurements: a file from the
//! old Python tool (onnxruntime) is accepted, and statistics are always
//! recomputed from `raw_latencies` rather than trusted.

use super::{BenchmarkReport, EngineInfo, ReportConfig, RESULTS_FORMAT_VERSION};
use crate::limits::MAX_BOOTSTRAP_RESAMPLES;
use crate::stats::{LatencyStats, StatsOptions};
use crate::sysinfo::SystemInfo;
use serde_json::Value;

/// Pretty-printed JSON bytes of the report (two-space indent, like the old
/// tool's `json.dump(..., indent=2)`).
pub fn results_json(report: &BenchmarkReport) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(report).expect("a report always serialises");
    bytes.push(b'\n');
    bytes
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonError {
    #[error("the file is not valid JSON ({0}); expected latency_results.json from `piedge bench` or the lab")]
    Syntax(String),
    #[error("the JSON has no `raw_latencies` list; expected latency_results.json from `piedge bench` or the lab")]
    NoLatencies,
    #[error("raw_latencies[{index}] is not a finite, non-negative number of milliseconds")]
    BadLatency { index: usize },
    #[error("`raw_latencies` is empty; the run measured nothing")]
    Empty,
    #[error("latency_results.json format {0} is newer than this lab understands ({RESULTS_FORMAT_VERSION}); update PiEdge Lab")]
    TooNew(u64),
}

/// How an imported report's statistics are recomputed from its latencies.
#[derive(Clone, Debug, PartialEq)]
pub enum Recompute {
    /// With the percentile method, seed and bootstrap resamples the file
    /// recorded, the resamples at most [`MAX_BOOTSTRAP_RESAMPLES`] (a file
    /// may ask for any number; the work is the reader's).
    AsRecorded,
    /// With these options, whatever the file says: the classroom server's.
    With(StatsOptions),
}

/// Reads a results file written by `piedge bench`, the lab, or the old
/// Python lesson.
pub fn parse_results_json(bytes: &[u8]) -> Result<BenchmarkReport, JsonError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))?;
    read_results(&v, &Recompute::AsRecorded)
}

/// [`parse_results_json`] of JSON already parsed, its statistics
/// recomputed as `recompute` says.
pub fn read_results(v: &Value, recompute: &Recompute) -> Result<BenchmarkReport, JsonError> {
    if let Some(ver) = v.get("format_version").and_then(Value::as_u64) {
        if ver > RESULTS_FORMAT_VERSION as u64 {
            return Err(JsonError::TooNew(ver));
        }
    }
    let raw_latencies =
        floats(v.get("raw_latencies").ok_or(JsonError::NoLatencies)?).map_err(|index| {
            index.map_or(JsonError::NoLatencies, |index| JsonError::BadLatency {
                index,
            })
        })?;
    if raw_latencies.is_empty() {
        return Err(JsonError::Empty);
    }
    let warmup_latencies = v
        .get("warmup_latencies")
        .and_then(|w| floats(w).ok())
        .unwrap_or_default();
    let sys = v.get("system_info").cloned().unwrap_or(Value::Null);
    let system_info = serde_json::from_value::<SystemInfo>(sys.clone())
        .unwrap_or_else(|_| legacy_system_info(&sys));
    let cfg = v.get("benchmark_config").cloned().unwrap_or(Value::Null);
    let benchmark_config =
        serde_json::from_value::<ReportConfig>(cfg.clone()).unwrap_or_else(|_| ReportConfig {
            model_path: str_field(&cfg, "model_path").unwrap_or_else(|| "unknown".into()),
            warmup_runs: usize_field(&cfg, "warmup_runs").unwrap_or(0),
            benchmark_runs: raw_latencies.len(),
            batch_size: usize_field(&cfg, "batch_size").unwrap_or(1),
            input: String::new(),
            seed: None,
            plan: String::new(),
            providers: vec![],
            inferences_per_sample: 1,
            threads: 1,
        });
    let engine = v
        .get("engine")
        .and_then(|e| serde_json::from_value::<EngineInfo>(e.clone()).ok())
        .unwrap_or_else(|| legacy_engine(&sys));
    let opts = match recompute {
        Recompute::With(opts) => opts.clone(),
        Recompute::AsRecorded => {
            let old_stats: Option<LatencyStats> = v
                .get("statistics")
                .and_then(|s| serde_json::from_value(s.clone()).ok());
            StatsOptions {
                method: old_stats
                    .as_ref()
                    .map(|s| s.percentile_method)
                    .unwrap_or_default(),
                bootstrap_seed: old_stats.as_ref().map(|s| s.bootstrap_seed).unwrap_or(0),
                bootstrap_resamples: old_stats
                    .as_ref()
                    .map(|s| s.bootstrap_resamples.min(MAX_BOOTSTRAP_RESAMPLES)),
            }
        }
    };
    let statistics = LatencyStats::compute(&raw_latencies, &opts).map_err(|_| JsonError::Empty)?;
    let host = v
        .get("host")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| system_info.host_description());
    Ok(BenchmarkReport {
        host,
        system_info,
        benchmark_config,
        statistics,
        raw_latencies,
        warmup_latencies,
        engine,
        timer: v
            .get("timer")
            .and_then(|t| serde_json::from_value(t.clone()).ok()),
        generated: v
            .get("generated")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        model: v
            .get("model")
            .and_then(|m| serde_json::from_value(m.clone()).ok()),
        pipeline_ms: v
            .get("pipeline_ms")
            .and_then(|m| serde_json::from_value(m.clone()).ok()),
        cancelled: v.get("cancelled").and_then(Value::as_bool).unwrap_or(false),
        env_samples: v
            .get("env_samples")
            .and_then(|e| serde_json::from_value(e.clone()).ok())
            .unwrap_or_default(),
        format_version: RESULTS_FORMAT_VERSION,
    })
}

/// The numbers of a JSON array; `Err(Some(i))` names the first bad element,
/// `Err(None)` means the value was not an array.
fn floats(v: &Value) -> Result<Vec<f64>, Option<usize>> {
    let arr = v.as_array().ok_or(None)?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .ok_or(Some(i))
        })
        .collect()
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn usize_field(v: &Value, key: &str) -> Option<usize> {
    v.get(key).and_then(Value::as_u64).map(|x| x as usize)
}

/// The old Python tool's `system_info` had platform, device, cpu_count,
/// memory_gb and cpu_governor ("N/A" when unknown).
fn legacy_system_info(sys: &Value) -> SystemInfo {
    let known = |s: Option<String>| s.filter(|s| s != "N/A" && s != "Unknown");
    SystemInfo {
        platform: str_field(sys, "platform").unwrap_or_else(|| "unknown".into()),
        device: str_field(sys, "device").unwrap_or_else(|| "unknown".into()),
        cpu_model: None,
        arch: String::from("unknown"),
        os: String::from("unknown"),
        cpu_count: usize_field(sys, "cpu_count"),
        memory_gb: sys.get("memory_gb").and_then(Value::as_f64),
        cpu_governor: known(str_field(sys, "cpu_governor")),
        piedge_version: str_field(sys, "piedge_edukit_version").unwrap_or_else(|| "unknown".into()),
        runtime: "native".into(),
        ..Default::default()
    }
}

fn legacy_engine(sys: &Value) -> EngineInfo {
    match str_field(sys, "onnxruntime_version") {
        Some(v) => EngineInfo {
            name: "onnxruntime".into(),
            version: v,
            tool: "piedge_edukit.benchmark (Python)".into(),
            tool_version: str_field(sys, "piedge_edukit_version")
                .unwrap_or_else(|| "unknown".into()),
            kernels: None,
        },
        None => EngineInfo {
            name: "unknown".into(),
            version: "unknown".into(),
            tool: "unknown".into(),
            tool_version: "unknown".into(),
            kernels: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn round_trips() {
        let r = fixtures::report();
        let back = parse_results_json(&results_json(&r)).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn has_the_old_keys() {
        let v: Value = serde_json::from_slice(&results_json(&fixtures::report())).unwrap();
        for k in [
            "system_info",
            "benchmark_config",
            "statistics",
            "raw_latencies",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        for k in ["model_path", "warmup_runs", "benchmark_runs", "batch_size"] {
            assert!(v["benchmark_config"].get(k).is_some(), "{k}");
        }
        for k in ["mean", "std", "min", "max", "p50", "p95", "p99"] {
            assert!(v["statistics"][k].is_f64(), "{k}");
        }
    }

    /// A results file as the old Python lesson wrote it.
    const LEGACY: &str = r#"{
  "system_info": {"platform": "Windows-11-10.0.26100-SP0", "python_version": "3.12.10",
    "cpu_count": 20, "memory_gb": 63.39, "onnxruntime_version": "1.18.0",
    "piedge_edukit_version": "0.1.0", "device": "PC/Laptop", "cpu_governor": "N/A"},
  "benchmark_config": {"model_path": "models\\model.onnx", "warmup_runs": 1, "benchmark_runs": 3, "batch_size": 1},
  "statistics": {"mean": 0.49, "std": 0.01, "min": 0.48, "max": 0.51, "p50": 0.49, "p95": 0.507, "p99": 0.509},
  "raw_latencies": [0.5089999995107064, 0.4895999991276767, 0.4810999998881016]
}"#;

    #[test]
    fn reads_the_old_python_results() {
        let r = parse_results_json(LEGACY.as_bytes()).unwrap();
        assert_eq!(r.engine.name, "onnxruntime");
        assert_eq!(r.engine.version, "1.18.0");
        assert_eq!(r.system_info.cpu_count, Some(20));
        assert_eq!(r.system_info.cpu_governor, None);
        assert_eq!(r.model_name(), "model.onnx");
        assert_eq!(r.statistics.n, 3);
        assert!((r.statistics.p95 - 0.5070599994724034).abs() < 1e-15);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let e = |s: &str| parse_results_json(s.as_bytes()).unwrap_err().to_string();
        assert!(e("{").contains("not valid JSON"));
        assert!(e("{}").contains("no `raw_latencies`"));
        assert!(e(r#"{"raw_latencies": "x"}"#).contains("no `raw_latencies`"));
        assert!(e(r#"{"raw_latencies": []}"#).contains("empty"));
        assert_eq!(
            e(r#"{"raw_latencies": [1, "a"]}"#),
            "raw_latencies[1] is not a finite, non-negative number of milliseconds"
        );
        assert!(e(r#"{"raw_latencies": [1], "format_version": 99}"#).contains("newer"));
    }
}
