//! The benchmark's report files, each produced as bytes by exactly one
//! function. The CLI writes these bytes to disk; the browser offers the same
//! bytes as downloads, so a file from a Raspberry Pi and one from a laptop's
//! browser can be read by the same notebook cell.
//!
//! - [`latency_csv`]: `latency.csv`, `run,latency_ms`.
//! - [`summary_txt`]: `latency_summary.txt`, the old lesson's layout plus a
//!   closing `median_ms:` line.
//! - [`results_json`]: `latency_results.json`, the old keys plus what a
//!   comparison across machines needs.

mod csv;
mod json;
mod lines;
mod summary;

pub use self::csv::{csv_cell, latency_csv, parse_latency_csv, CsvError, CsvWriter};
pub use self::json::{parse_results_json, read_results, results_json, JsonError, Recompute};
pub use self::lines::{cv_percent, ms, stat_lines, StatLine};
pub use self::summary::summary_txt;

use crate::clock::TimerResolution;
use crate::stats::LatencyStats;
use crate::sysinfo::SystemInfo;
use serde::{Deserialize, Serialize};

/// The three text reports, by the file names the old lesson used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFile {
    LatencyCsv,
    Summary,
    Results,
}

impl ReportFile {
    pub const ALL: [ReportFile; 3] = [
        ReportFile::LatencyCsv,
        ReportFile::Summary,
        ReportFile::Results,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            ReportFile::LatencyCsv => "latency.csv",
            ReportFile::Summary => "latency_summary.txt",
            ReportFile::Results => "latency_results.json",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ReportFile::LatencyCsv => "text/csv",
            ReportFile::Summary => "text/plain",
            ReportFile::Results => "application/json",
        }
    }

    /// The file's bytes: the same for the CLI and the browser.
    pub fn bytes(self, report: &BenchmarkReport) -> Vec<u8> {
        match self {
            ReportFile::LatencyCsv => latency_csv(&report.raw_latencies),
            ReportFile::Summary => summary_txt(report),
            ReportFile::Results => results_json(report),
        }
    }
}

/// The format version of `latency_results.json`, raised on incompatible change.
pub const RESULTS_FORMAT_VERSION: u32 = 1;

/// Everything a report says about one benchmark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkReport {
    pub system_info: SystemInfo,
    /// One line naming the machine and runtime, for comparison tables.
    #[serde(default)]
    pub host: String,
    pub benchmark_config: ReportConfig,
    pub statistics: LatencyStats,
    pub raw_latencies: Vec<f64>,
    #[serde(default)]
    pub warmup_latencies: Vec<f64>,
    pub engine: EngineInfo,
    pub timer: Option<TimerResolution>,
    /// Wall-clock time the report was made, as the shell formatted it.
    pub generated: String,
    #[serde(default)]
    pub model: Option<ModelSummary>,
    /// How long loading, optimising and planning the model took.
    #[serde(default)]
    pub pipeline_ms: Option<PipelineTimings>,
    /// True when the run was stopped before all runs finished.
    #[serde(default)]
    pub cancelled: bool,
    /// Temperature and clock sampled during the run, when asked for.
    #[serde(default)]
    pub env_samples: Vec<crate::sysinfo::EnvSample>,
    #[serde(default = "default_format_version")]
    pub format_version: u32,
}

fn default_format_version() -> u32 {
    RESULTS_FORMAT_VERSION
}

/// The benchmark's configuration. The first four fields are the old lesson's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportConfig {
    pub model_path: String,
    pub warmup_runs: usize,
    pub benchmark_runs: usize,
    pub batch_size: usize,
    #[serde(default)]
    pub input: String,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub providers: Vec<String>,
    #[serde(default = "one")]
    pub inferences_per_sample: usize,
    /// Threads tract's operators could use; 1 in reports from before
    /// `--threads` (and from the old lesson's onnxruntime, whose thread
    /// count it did not record).
    #[serde(default = "one")]
    pub threads: usize,
}

fn one() -> usize {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The inference engine, "tract".
    pub name: String,
    pub version: String,
    /// The program that ran it, "piedge" or "piedge-lab (browser)".
    pub tool: String,
    pub tool_version: String,
    /// Whose kernels ran the operators PiEdge Lab has its own for
    /// ("piedge" or "tract"); absent in older and imported reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<String>,
}

impl EngineInfo {
    pub fn tract(tool: &str) -> EngineInfo {
        EngineInfo {
            name: "tract".into(),
            version: crate::TRACT_VERSION.into(),
            tool: tool.into(),
            tool_version: crate::VERSION.into(),
            kernels: None,
        }
    }

    pub fn with_kernels(self, kernels: crate::plan::Kernels) -> EngineInfo {
        EngineInfo {
            kernels: Some(kernels.name().into()),
            ..self
        }
    }
}

/// The parts of the model card a report carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub name: String,
    pub size_bytes: u64,
    pub parameters: u64,
    pub macs: u64,
    pub input_shape: Vec<usize>,
}

/// A report's model summary is what the card says of the size of the work.
impl From<&crate::card::ModelCard> for ModelSummary {
    fn from(card: &crate::card::ModelCard) -> Self {
        ModelSummary {
            name: card.name.clone(),
            size_bytes: card.size_bytes,
            parameters: card.parameters,
            macs: card.macs,
            input_shape: card.fixed_input_shape.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineTimings {
    pub load_ms: f64,
    pub optimise_ms: f64,
    pub make_runnable_ms: f64,
}

/// How a run was set up, as the report records it (see [`ReportConfig`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RunSettings {
    pub warmup_runs: usize,
    pub benchmark_runs: usize,
    /// "fakedata" or "images".
    pub input: String,
    /// The fake input's seed (none for images).
    pub seed: Option<u64>,
    pub plan: crate::plan::Plan,
    pub providers: Vec<String>,
    pub inferences_per_sample: usize,
    /// Threads tract's operators could use (1 in a browser).
    pub threads: usize,
}

/// A finished benchmark as a shell hands it over: what was measured, on
/// which model, set up how.
pub struct Run {
    pub measurements: crate::bench::Measurements,
    /// The model's path (CLI) or file name (lab).
    pub model_path: String,
    pub model: ModelSummary,
    pub pipeline_ms: PipelineTimings,
    pub settings: RunSettings,
}

/// The parts of a report that the shell knows and the engine does not.
pub struct ReportContext {
    pub system_info: SystemInfo,
    pub engine: EngineInfo,
    pub timer: Option<TimerResolution>,
    pub generated: String,
}

impl BenchmarkReport {
    /// Builds the report of one run, for the CLI and the lab alike: the
    /// statistics are computed here, from the measurements, and the batch size
    /// is the model's, so every shell reports the same numbers.
    pub fn assemble(
        run: Run,
        stats_options: &crate::stats::StatsOptions,
        context: ReportContext,
    ) -> Result<BenchmarkReport, crate::stats::StatsError> {
        let Run {
            measurements,
            model_path,
            model,
            pipeline_ms,
            settings,
        } = run;
        let statistics = LatencyStats::compute(&measurements.latencies_ms, stats_options)?;
        let benchmark_config = ReportConfig {
            model_path,
            warmup_runs: settings.warmup_runs,
            benchmark_runs: settings.benchmark_runs,
            batch_size: model.input_shape.first().copied().unwrap_or(1),
            input: settings.input,
            seed: settings.seed,
            plan: settings.plan.name().into(),
            providers: settings.providers,
            inferences_per_sample: settings.inferences_per_sample,
            threads: settings.threads,
        };
        Ok(BenchmarkReport {
            host: context.system_info.host_with_threads(settings.threads),
            system_info: context.system_info,
            benchmark_config,
            statistics,
            raw_latencies: measurements.latencies_ms,
            warmup_latencies: measurements.warmup_ms,
            engine: context.engine,
            timer: context.timer,
            generated: context.generated,
            model: Some(model),
            pipeline_ms: Some(pipeline_ms),
            cancelled: measurements.cancelled,
            env_samples: vec![],
            format_version: RESULTS_FORMAT_VERSION,
        })
    }

    /// The model's file name as the summary shows it: the last component of
    /// `model_path`, for either kind of slash.
    pub fn model_name(&self) -> &str {
        let p = self.benchmark_config.model_path.as_str();
        p.rsplit(['/', '\\']).next().unwrap_or(p)
    }
}

/// A report with fixed numbers, for other modules' tests.
#[cfg(test)]
pub(crate) fn fixtures_for_tests() -> BenchmarkReport {
    fixtures::report()
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::stats::StatsOptions;

    /// A report with fixed numbers, for format tests.
    pub fn report() -> BenchmarkReport {
        let raw = vec![0.5089999995107064, 0.4895999991276767, 0.4810999998881016];
        let statistics = LatencyStats::compute(&raw, &StatsOptions::default()).unwrap();
        BenchmarkReport {
            host: "Raspberry Pi 4 Model B Rev 1.4 (Cortex-A72, aarch64, native)".into(),
            system_info: SystemInfo {
                platform: "Linux-6.1.0-rpi7-rpi-v8-aarch64".into(),
                device: "Raspberry Pi 4 Model B Rev 1.4".into(),
                cpu_model: Some("Cortex-A72".into()),
                arch: "aarch64".into(),
                os: "linux".into(),
                cpu_count: Some(4),
                memory_gb: Some(3.71),
                cpu_governor: Some("ondemand".into()),
                piedge_version: "0.1.0".into(),
                runtime: "native".into(),
                cpu_freq_mhz: Some(1500.0),
                cpu_freq_min_mhz: Some(600.0),
                cpu_freq_max_mhz: Some(1500.0),
                soc_temp_before_c: Some(48.7),
                soc_temp_after_c: Some(53.1),
                throttled_before: Some(0),
                throttled_after: Some(0),
                extra: Default::default(),
            },
            benchmark_config: ReportConfig {
                model_path: "static/models/tinycnn.onnx".into(),
                warmup_runs: 1,
                benchmark_runs: 3,
                batch_size: 1,
                input: "fakedata".into(),
                seed: Some(0),
                plan: "optimized".into(),
                providers: vec!["CPUExecutionProvider".into()],
                inferences_per_sample: 1,
                threads: 1,
            },
            statistics,
            raw_latencies: raw,
            warmup_latencies: vec![3.25],
            engine: EngineInfo {
                name: "tract".into(),
                version: "0.23.9".into(),
                tool: "piedge".into(),
                tool_version: "0.1.0".into(),
                kernels: None,
            },
            timer: Some(TimerResolution {
                clock: "std::time::Instant".into(),
                min_step_ms: 0.00002,
                median_step_ms: 0.00003,
                samples: 25,
            }),
            generated: "2026-11-27 10:00:00".into(),
            model: Some(ModelSummary {
                name: "tinycnn.onnx".into(),
                size_bytes: 45_000,
                parameters: 21_000,
                macs: 2_400_000,
                input_shape: vec![1, 3, 64, 64],
            }),
            pipeline_ms: Some(PipelineTimings {
                load_ms: 1.5,
                optimise_ms: 2.25,
                make_runnable_ms: 0.5,
            }),
            cancelled: false,
            env_samples: vec![],
            format_version: RESULTS_FORMAT_VERSION,
        }
    }
}
