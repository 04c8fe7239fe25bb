//! Shared runs for the class board's tests: a report with every field a
//! report carries, its numeric fields by path, and the hostile-share corpus
//! (`tests/hostile/shares/`, rebuilt from the recipes here).

use piedge::report::{BenchmarkReport, ModelSummary, PipelineTimings};
use piedge::sysinfo::EnvSample;
use serde_json::{json, Value};

/// A browser run's `latency_results.json` with every field filled: the
/// statistics as the lab computed them, the timer, the model, the
/// pipeline's times, a temperature sample, warmup latencies.
pub fn report() -> Value {
    let mut r: BenchmarkReport = piedge::report::parse_results_json(
        br#"{"raw_latencies": [1.25, 2.5, 3.75, 0.5], "warmup_latencies": [9.5, 4.0]}"#,
    )
    .unwrap();
    let s = &mut r.system_info;
    s.platform = "Linux (browser)".into();
    s.device = "Browser: Firefox 153 (Gecko)".into();
    s.arch = "wasm32".into();
    s.os = "Linux".into();
    s.cpu_count = Some(4);
    s.memory_gb = Some(8.0);
    s.cpu_freq_mhz = Some(1800.0);
    s.cpu_freq_min_mhz = Some(600.0);
    s.cpu_freq_max_mhz = Some(2400.0);
    s.soc_temp_before_c = Some(45.0);
    s.soc_temp_after_c = Some(51.5);
    s.throttled_before = Some(0);
    s.throttled_after = Some(0);
    s.piedge_version = "0.1.0".into();
    s.runtime = "browser (Mozilla/5.0)".into();
    s.extra
        .insert("browser".into(), "Firefox 153 (Gecko)".into());
    s.extra
        .insert("cross_origin_isolated".into(), "true".into());
    let c = &mut r.benchmark_config;
    c.model_path = "tinycnn.onnx".into();
    c.warmup_runs = 2;
    c.benchmark_runs = 4;
    c.seed = Some(42);
    c.plan = "optimized".into();
    c.inferences_per_sample = 1;
    r.timer = Some(piedge::clock::TimerResolution {
        clock: "performance.now()".into(),
        min_step_ms: 0.02,
        median_step_ms: 0.02,
        samples: 25,
    });
    r.model = Some(ModelSummary {
        name: "tinycnn.onnx".into(),
        size_bytes: 20_000,
        parameters: 5_000,
        macs: 300_000,
        input_shape: vec![1, 3, 32, 32],
    });
    r.pipeline_ms = Some(PipelineTimings {
        load_ms: 3.0,
        optimise_ms: 4.0,
        make_runnable_ms: 1.0,
    });
    r.env_samples = vec![EnvSample {
        after_runs: 3,
        soc_temp_c: Some(48.0),
        cpu_freq_mhz: Some(1800.0),
    }];
    serde_json::to_value(&r).unwrap()
}

/// A share request of `report` under `nickname`.
pub fn body(nickname: &str, report: &Value) -> String {
    json!({"nickname": nickname, "label": "laptop", "report": report}).to_string()
}

/// The paths (keys joined by dots, an array's first element as `0`) of
/// every number in `v`.
pub fn numeric_paths(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: &str, out: &mut Vec<String>) {
        let join = |k: &str| {
            if at.is_empty() {
                k.to_string()
            } else {
                format!("{at}.{k}")
            }
        };
        match v {
            Value::Number(_) => out.push(at.to_string()),
            Value::Object(map) => map.iter().for_each(|(k, x)| walk(x, &join(k), out)),
            Value::Array(list) => {
                if let Some(first) = list.first() {
                    walk(first, &join("0"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = vec![];
    walk(v, "", &mut out);
    out
}

/// `v` with the value at `path` (as [`numeric_paths`] names it) replaced.
pub fn with(v: &Value, path: &str, value: Value) -> Value {
    let mut v = v.clone();
    let mut at = &mut v;
    for key in path.split('.') {
        at = match at {
            Value::Array(list) => &mut list[key.parse::<usize>().unwrap()],
            other => &mut other[key],
        };
    }
    *at = value;
    v
}

/// One hostile share: its file name, its body, and the status and error
/// code (`""` for none) the server must answer with.
pub struct Hostile {
    pub file: &'static str,
    pub body: String,
    pub status: u16,
    pub error: &'static str,
}

/// The hostile-share corpus, from its recipes: what a curious student (or
/// a script) might send as a "shared run".
pub fn corpus() -> Vec<Hostile> {
    let r = report();
    let ok = |file, report: Value| Hostile {
        file,
        body: body("Ada", &report),
        status: 201,
        error: "",
    };
    let refused = |file, report: Value, status, error| Hostile {
        file,
        body: body("Ada", &report),
        status,
        error,
    };
    let stats = |key: &str, value: Value| with(&r, &format!("statistics.{key}"), value);
    let mut all_huge = r["statistics"].clone();
    for (_, x) in all_huge.as_object_mut().unwrap().iter_mut() {
        if x.is_number() {
            *x = json!(1e308);
        }
    }
    let extra: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    let mut deep = String::new();
    for _ in 0..200 {
        deep.push('[');
    }
    for _ in 0..200 {
        deep.push(']');
    }
    let server_claim = with(
        &r,
        "system_info",
        json!({"platform": "Linux-6.1.0-rpi7-rpi-v8-aarch64", "device": "Raspberry Pi 4 Model B Rev 1.4",
            "cpu_model": "Cortex-A72", "arch": "aarch64", "os": "Linux", "cpu_count": 4,
            "memory_gb": 3.7, "cpu_governor": "ondemand", "piedge_version": "0.1.0", "runtime": "native",
            "extra": {"server_concurrent_runs": "1", "threads": "1"}}),
    );
    let mut origin_claim: Value = serde_json::from_str(&body("server", &server_claim)).unwrap();
    origin_claim["origin"] = json!("server");
    let mut injection = with(
        &r,
        "system_info.extra.cross_origin_isolated",
        json!("true\n999,=cmd|' /C calc'!A0"),
    );
    injection = with(&injection, "system_info.os", json!("\t=1+1"));
    injection = with(
        &injection,
        "benchmark_config.model_path",
        json!("@SUM(A1).onnx"),
    );
    vec![
        ok(
            "bootstrap-2e44.json",
            stats("bootstrap_resamples", json!(1u64 << 44)),
        ),
        ok(
            "bootstrap-2e60.json",
            stats("bootstrap_resamples", json!(1u64 << 60)),
        ),
        ok(
            "bootstrap-u64-max.json",
            stats("bootstrap_resamples", json!(u64::MAX)),
        ),
        ok("statistics-all-huge.json", with(&r, "statistics", all_huge)),
        ok(
            "numbers-beyond-a-u64.json",
            with(&r, "benchmark_config.warmup_runs", json!(1e30)),
        ),
        refused(
            "warmup-runs-2e60.json",
            with(&r, "benchmark_config.warmup_runs", json!(1u64 << 60)),
            400,
            "bad_report",
        ),
        refused(
            "threads-2e60.json",
            with(&r, "benchmark_config.threads", json!(1u64 << 60)),
            400,
            "bad_report",
        ),
        refused(
            "cpu-count-2e60.json",
            with(&r, "system_info.cpu_count", json!(1u64 << 60)),
            400,
            "bad_report",
        ),
        refused(
            "input-shape-2e40.json",
            with(&r, "model.input_shape.0", json!(1u64 << 40)),
            400,
            "bad_report",
        ),
        refused(
            "timer-samples-2e60.json",
            with(&r, "timer.samples", json!(1u64 << 60)),
            400,
            "bad_report",
        ),
        refused(
            "extra-65-entries.json",
            with(&r, "system_info.extra", extra.into()),
            400,
            "bad_report",
        ),
        refused(
            "device-600-chars.json",
            with(&r, "system_info.device", json!("x".repeat(600))),
            400,
            "bad_report",
        ),
        refused(
            "latency-out-of-range.json",
            with(&r, "raw_latencies.0", json!(1e300)),
            400,
            "latency_out_of_range",
        ),
        refused(
            "warmup-out-of-range.json",
            with(&r, "warmup_latencies.0", json!(1e300)),
            400,
            "latency_out_of_range",
        ),
        refused(
            "negative-latency.json",
            with(&r, "raw_latencies.0", json!(-1.0)),
            400,
            "bad_report",
        ),
        refused(
            "latency-as-text.json",
            with(&r, "raw_latencies.0", json!("1.5")),
            400,
            "bad_report",
        ),
        refused(
            "no-latencies.json",
            with(&r, "raw_latencies", json!([])),
            400,
            "bad_report",
        ),
        refused("report-is-a-list.json", json!([1, 2, 3]), 400, "bad_report"),
        refused(
            "format-version-99.json",
            with(&r, "format_version", json!(99)),
            400,
            "bad_report",
        ),
        Hostile {
            file: "deep-nesting.json",
            body: format!(r#"{{"nickname": "Ada", "report": {deep}}}"#),
            status: 400,
            error: "bad_json",
        },
        Hostile {
            file: "origin-claim.json",
            body: origin_claim.to_string(),
            status: 400,
            error: "bad_json",
        },
        Hostile {
            file: "server-claim.json",
            body: body("server", &server_claim),
            status: 201,
            error: "",
        },
        Hostile {
            file: "nickname-control-characters.json",
            body: body("\u{7}Ada\u{1b}[31m\r\n", &r),
            status: 201,
            error: "",
        },
        Hostile {
            file: "nickname-only-spaces.json",
            body: body(" \t\u{7} ", &r),
            status: 400,
            error: "bad_nickname",
        },
        ok("csv-injection.json", injection),
    ]
}
