//! One native job of the classroom server: a bundled model benchmarked on
//! this machine as `piedge bench --fakedata` would, reported in the same
//! `latency_results.json` format, with the machine's temperature and
//! throttling before and after and what else the server did meanwhile.

use crate::host;
use crate::jobs::OnProgress;
use piedge::api::{JobRequest, MAX_JOB_SECONDS};
use piedge::bench::{run_benchmark, BenchConfig, Control, Phase};
use piedge::clock::{Clock, SystemClock};
use piedge::model::{self, ExternalFiles, LoadOptions, ModelSource};
use piedge::report::{BenchmarkReport, EngineInfo, ModelSummary, ReportContext, Run, RunSettings};
use piedge::stats::{PercentileMethod, StatsOptions};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs `request`; `requests` counts the server's answers, so the report
/// can say how many it gave while the job ran.
pub fn run(
    request: &JobRequest,
    requests: &AtomicU64,
    concurrent_runs: usize,
    progress: &mut OnProgress<'_>,
) -> Result<BenchmarkReport, String> {
    let bytes = piedge::zoo::model_bytes(&request.model)
        .ok_or_else(|| format!("this server has no model '{}'", request.model))?;
    let file_name = format!("{}.onnx", request.model);
    let clock = SystemClock::new();
    let prepared = model::prepare(
        ModelSource {
            name: &file_name,
            bytes: &bytes,
            files: &ExternalFiles::new(),
        },
        &LoadOptions::default(),
        request.plan,
        request.kernels,
        request.seed,
        &clock,
    )
    .map_err(|e| e.to_string())?;
    let mut runnable = prepared.runnable;
    let card = ModelSummary::from(&runnable.card);
    let config = BenchConfig {
        warmup: request.warmup,
        runs: request.runs,
        inferences_per_sample: 1,
    };
    let mut system_info = host::system_info();
    system_info.soc_temp_before_c = host::soc_temp_c();
    system_info.throttled_before = host::throttled();
    let requests_before = requests.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut timed_out = false;
    let measurements = run_benchmark(&mut runnable, &clock, &config, |p| {
        if started.elapsed() > Duration::from_secs(MAX_JOB_SECONDS) {
            timed_out = true;
            return Control::Cancel;
        }
        if progress(p.phase == Phase::Warmup, p.done, p.total) {
            Control::Continue
        } else {
            Control::Cancel
        }
    })
    .map_err(|e| e.to_string())?;
    if timed_out {
        return Err(format!(
            "stopped at the {MAX_JOB_SECONDS} s limit for one job, after {} of {} timed runs; ask for fewer runs",
            measurements.latencies_ms.len(),
            request.runs
        ));
    }
    if measurements.cancelled {
        return Err("cancelled".into());
    }
    system_info.soc_temp_after_c = host::soc_temp_c();
    system_info.throttled_after = host::throttled();
    let extra = &mut system_info.extra;
    extra.insert(
        "server_requests_during_job".into(),
        (requests.load(Ordering::Relaxed) - requests_before).to_string(),
    );
    extra.insert("server_concurrent_runs".into(), concurrent_runs.to_string());
    extra.insert("threads".into(), "1".into());
    let mut report = BenchmarkReport::assemble(
        Run {
            measurements,
            model_path: file_name,
            model: card,
            pipeline_ms: prepared.timings,
            settings: RunSettings {
                warmup_runs: request.warmup,
                benchmark_runs: request.runs,
                input: "fakedata".into(),
                seed: Some(request.seed),
                plan: request.plan,
                providers: vec!["CPUExecutionProvider".into()],
                inferences_per_sample: 1,
                threads: 1,
            },
        },
        &StatsOptions {
            method: PercentileMethod::Linear,
            bootstrap_resamples: None,
            bootstrap_seed: request.seed,
        },
        ReportContext {
            system_info,
            engine: EngineInfo::tract("piedge serve").with_kernels(request.kernels),
            timer: Some(clock.resolution()),
            generated: host::timestamp(),
        },
    )
    .map_err(|e| e.to_string())?;
    report.host = piedge::api::machine_label(&report.system_info, 1);
    Ok(report)
}
