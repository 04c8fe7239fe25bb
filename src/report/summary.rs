//! `latency_summary.txt`: the old lesson's human-readable layout (title,
//! versions, system, configuration, statistics with three decimals), then the
//! lab's additions, and last a machine-readable `median_ms:` line.

use super::BenchmarkReport;
use std::fmt::Write;

pub fn summary_txt(r: &BenchmarkReport) -> Vec<u8> {
    let mut s = String::new();
    // Writing to a String cannot fail; `w!` keeps the layout readable.
    macro_rules! w {
        ($($arg:tt)*) => {{ let _ = writeln!(s, $($arg)*); }};
    }
    let st = &r.statistics;
    let cfg = &r.benchmark_config;

    w!("PiEdge EduKit - Latency Benchmark Results");
    w!("{}", "=".repeat(50));
    w!();
    w!("Version: {}", r.engine.tool_version);
    w!("Generated: {}", r.generated);
    w!();
    w!("Version Information:");
    w!("  Tool: {} {}", r.engine.tool, r.engine.tool_version);
    w!("  Engine: {} {}", r.engine.name, r.engine.version);
    w!("  Platform: {}", r.system_info.platform);
    w!("  Device: {}", r.system_info.device);
    w!();
    w!("System Information:");
    for (k, v) in r.system_info.summary_lines() {
        w!("  {k}: {v}");
    }
    w!();
    w!("Benchmark Configuration:");
    w!("  Model: {}", r.model_name());
    w!("  Warmup runs: {}", cfg.warmup_runs);
    w!("  Benchmark runs: {}", cfg.benchmark_runs);
    w!("  Batch size: {}", cfg.batch_size);
    if !cfg.input.is_empty() {
        match cfg.seed {
            Some(seed) => w!("  Input: {} (seed {seed})", cfg.input),
            None => w!("  Input: {}", cfg.input),
        }
    }
    if !cfg.plan.is_empty() {
        w!("  Plan: {}", cfg.plan);
    }
    if !cfg.providers.is_empty() {
        w!("  Providers: {}", cfg.providers.join(", "));
    }
    w!("  Threads: {}", cfg.threads);
    if cfg.inferences_per_sample > 1 {
        w!(
            "  Inferences per sample: {} (timer too coarse for one)",
            cfg.inferences_per_sample
        );
    }
    w!();
    w!("Latency Statistics (ms):");
    for line in super::stat_lines(st) {
        w!("  {}", line.aligned());
    }
    w!();
    w!("Spread and Confidence:");
    w!("  Timed runs: {}", st.n);
    w!(
        "  Percentiles: {}",
        st.percentile_method.name().replace('_', " ")
    );
    w!("  CV: {}", super::cv_percent(st));
    w!(
        "  Outliers (Tukey 1.5 IQR): {} of {} (outside {:.3} .. {:.3} ms)",
        st.outliers,
        st.n,
        st.tukey_low,
        st.tukey_high
    );
    w!(
        "  P50 95% CI: {:.3} .. {:.3} ms (bootstrap, {} resamples)",
        st.p50_ci95.low,
        st.p50_ci95.high,
        st.bootstrap_resamples
    );
    w!(
        "  P95 95% CI: {:.3} .. {:.3} ms",
        st.p95_ci95.low,
        st.p95_ci95.high
    );
    if let Some(t) = &r.timer {
        w!("  Timer: {}, resolution {:.6} ms", t.clock, t.min_step_ms);
    }
    if let Some(m) = &r.model {
        w!();
        w!("Model:");
        w!("  Input shape: {:?}", m.input_shape);
        w!("  Parameters: {}", m.parameters);
        w!("  MACs per inference: {}", m.macs);
        w!("  File size: {} bytes", m.size_bytes);
    }
    if let Some(p) = &r.pipeline_ms {
        w!(
            "  Load: {:.3} ms, optimise: {:.3} ms, plan: {:.3} ms",
            p.load_ms,
            p.optimise_ms,
            p.make_runnable_ms
        );
    }
    if !r.env_samples.is_empty() {
        let temps: Vec<f64> = r.env_samples.iter().filter_map(|e| e.soc_temp_c).collect();
        let freqs: Vec<f64> = r
            .env_samples
            .iter()
            .filter_map(|e| e.cpu_freq_mhz)
            .collect();
        let range = |v: &[f64], unit: &str, digits: usize| match v.iter().copied().reduce(f64::min)
        {
            Some(lo) => format!(
                "{lo:.digits$} .. {:.digits$} {unit}",
                v.iter().copied().fold(f64::MIN, f64::max)
            ),
            None => "unknown".to_string(),
        };
        w!();
        w!("During the run ({} samples):", r.env_samples.len());
        w!("  SoC temperature: {}", range(&temps, "°C", 1));
        w!("  CPU clock: {}", range(&freqs, "MHz", 0));
    }
    let warnings = r.system_info.warnings();
    if !warnings.is_empty() {
        w!();
        w!("Warnings:");
        for warning in &warnings {
            w!("  ! {warning}");
        }
    }
    if r.cancelled {
        w!();
        w!(
            "Note: the run was cancelled after {} of {} timed runs.",
            st.n,
            cfg.benchmark_runs
        );
    }
    w!();
    w!("median_ms: {:.3}", st.p50);
    s.into_bytes()
}

// Snapshot tests use insta, a native-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn summary_layout() {
        let text = String::from_utf8(summary_txt(&fixtures::report())).unwrap();
        insta::assert_snapshot!(text);
    }

    /// The exact bytes notebooks and other tools read, for all three files.
    #[test]
    fn csv_and_json_bytes() {
        let r = fixtures::report();
        insta::assert_snapshot!(
            "latency_csv",
            String::from_utf8(crate::report::latency_csv(&r.raw_latencies)).unwrap()
        );
        insta::assert_snapshot!(
            "latency_results_json",
            String::from_utf8(crate::report::results_json(&r)).unwrap()
        );
    }

    #[test]
    fn last_line_is_the_median() {
        let r = fixtures::report();
        let text = String::from_utf8(summary_txt(&r)).unwrap();
        assert_eq!(
            text.lines().last().unwrap(),
            format!("median_ms: {:.3}", r.statistics.p50)
        );
        assert!(text.ends_with('\n'));
    }
}
