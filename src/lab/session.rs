//! The runs a student keeps: measured in this browser or imported from
//! `piedge bench` (on a Raspberry Pi, say), stored across reloads, and
//! compared side by side.

use super::config::MAX_RUNS;
use crate::report::{self, BenchmarkReport, EngineInfo, ReportConfig};
use crate::stats::{LatencyStats, StatsOptions};
use crate::sysinfo::SystemInfo;
use serde::{Deserialize, Serialize};

/// One kept run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique within the browser's store.
    pub id: String,
    /// Shown in lists and charts; the student may rename it.
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: f64,
    pub source: RunSource,
    pub report: BenchmarkReport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunSource {
    Browser,
    Imported {
        file_name: String,
    },
    /// Run natively by the `piedge serve` the lab came from, on request.
    Server {
        machine: String,
    },
}

pub use crate::limits::MAX_IMPORT_BYTES;

/// The file "export all runs" writes; the import reads it back.
pub const EXPORT_ALL_FILE: &str = "piedge-lab-runs.json";

/// Every run of a lab, in one file: what the student keeps when the
/// browser's storage is full or about to be cleared.
#[derive(Serialize, Deserialize)]
struct ExportBundle {
    /// Format version; its key also marks the file as a bundle.
    piedge_lab_runs: u32,
    runs: Vec<RunRecord>,
}

/// All `runs` as one JSON file.
pub fn export_all(runs: &[RunRecord]) -> Vec<u8> {
    serde_json::to_vec(&ExportBundle {
        piedge_lab_runs: 1,
        runs: runs.to_vec(),
    })
    .expect("runs serialise")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("{file} is empty")]
    Empty { file: String },
    #[error("{file} is {size} bytes, more than the {MAX_IMPORT_BYTES}-byte limit for an import")]
    TooLarge { file: String, size: usize },
    #[error("{file}: {source}")]
    Csv {
        file: String,
        source: report::CsvError,
    },
    #[error("{file}: {source}")]
    Json {
        file: String,
        source: report::JsonError,
    },
    #[error("{file} holds {found} latencies in one run; the lab keeps at most {MAX_RUNS} per run")]
    TooManyLatencies { file: String, found: usize },
    #[error("{file} is a PiEdge Lab export, but it is damaged: {detail}")]
    Bundle { file: String, detail: String },
}

/// Reads a `latency_results.json`, a `latency.csv` or an export of all
/// runs, deciding by content, and returns the runs it holds.
pub fn import(
    file: &str,
    bytes: &[u8],
    id: String,
    now_ms: f64,
) -> Result<Vec<RunRecord>, ImportError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty { file: file.into() });
    }
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            file: file.into(),
            size: bytes.len(),
        });
    }
    let head = &bytes[..bytes.len().min(64)];
    if head.windows(17).any(|w| w == b"\"piedge_lab_runs\"") {
        let bundle: ExportBundle =
            serde_json::from_slice(bytes).map_err(|e| ImportError::Bundle {
                file: file.into(),
                detail: e.to_string(),
            })?;
        for r in &bundle.runs {
            check_run_count(file, r.report.raw_latencies.len())?;
        }
        return Ok(bundle.runs);
    }
    import_one(file, bytes, id, now_ms).map(|r| vec![r])
}

/// Refuses a run holding more latencies than the lab keeps.
fn check_run_count(file: &str, found: usize) -> Result<(), ImportError> {
    if found > MAX_RUNS {
        return Err(ImportError::TooManyLatencies {
            file: file.into(),
            found,
        });
    }
    Ok(())
}

/// Reads a `latency_results.json` or a `latency.csv`, deciding by content
/// (a JSON file starts with `{`), and makes it a run named after the file.
fn import_one(file: &str, bytes: &[u8], id: String, now_ms: f64) -> Result<RunRecord, ImportError> {
    let starts_with_brace = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let report = if starts_with_brace {
        let report = report::parse_results_json(bytes).map_err(|source| ImportError::Json {
            file: file.into(),
            source,
        })?;
        check_run_count(file, report.raw_latencies.len())?;
        report
    } else {
        let latencies = report::parse_latency_csv(bytes).map_err(|source| ImportError::Csv {
            file: file.into(),
            source,
        })?;
        // Before the statistics: a million-row CSV is refused at once.
        check_run_count(file, latencies.len())?;
        csv_report(file, latencies)
    };
    let name = match report.system_info.device.as_str() {
        "" | "unknown" => file.to_string(),
        device => format!("{file} ({device})"),
    };
    Ok(RunRecord {
        id,
        name,
        created_ms: now_ms,
        source: RunSource::Imported {
            file_name: file.into(),
        },
        report,
    })
}

/// A CSV holds only latencies; everything else is unknown.
fn csv_report(file: &str, latencies: Vec<f64>) -> BenchmarkReport {
    let statistics = LatencyStats::compute(&latencies, &StatsOptions::default())
        .expect("the CSV parser returns at least one finite latency");
    let unknown = || "unknown".to_string();
    BenchmarkReport {
        host: "unknown (from latency.csv)".into(),
        system_info: SystemInfo {
            platform: unknown(),
            device: unknown(),
            arch: unknown(),
            os: unknown(),
            piedge_version: unknown(),
            runtime: unknown(),
            ..Default::default()
        },
        benchmark_config: ReportConfig {
            model_path: file.into(),
            warmup_runs: 0,
            benchmark_runs: latencies.len(),
            batch_size: 1,
            input: String::new(),
            seed: None,
            plan: String::new(),
            providers: vec![],
            inferences_per_sample: 1,
            threads: 1,
        },
        statistics,
        raw_latencies: latencies,
        warmup_latencies: vec![],
        engine: EngineInfo {
            name: unknown(),
            version: unknown(),
            tool: "latency.csv".into(),
            tool_version: unknown(),
            kernels: None,
        },
        timer: None,
        generated: String::new(),
        model: None,
        pipeline_ms: None,
        cancelled: false,
        env_samples: vec![],
        format_version: report::RESULTS_FORMAT_VERSION,
    }
}

/// A row of the comparison table.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparisonRow {
    pub name: String,
    pub host: String,
    pub engine: String,
    pub warmup: usize,
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub p50: f64,
    pub p95: f64,
    pub p50_ci_width: f64,
    pub p95_ci_width: f64,
}

impl RunRecord {
    pub fn comparison_row(&self) -> ComparisonRow {
        let r = &self.report;
        let s = &r.statistics;
        ComparisonRow {
            name: self.name.clone(),
            host: r.system_info.device.clone(),
            engine: format!("{} {}", r.engine.name, r.engine.version),
            warmup: r.benchmark_config.warmup_runs,
            n: s.n,
            mean: s.mean,
            std: s.std,
            p50: s.p50,
            p95: s.p95,
            p50_ci_width: s.p50_ci95.width(),
            p95_ci_width: s.p95_ci95.width(),
        }
    }
}

/// A browser run against a native one of the same model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Versus {
    /// Browser over native: 2.0 means the browser took twice as long.
    pub p50_ratio: f64,
    pub p95_ratio: f64,
    /// Same model, warmup, runs and plan, and the browser timed each run
    /// by itself: the ratio compares like with like.
    pub alike: bool,
}

pub fn versus(browser: &RunRecord, native: &RunRecord) -> Versus {
    let (b, n) = (&browser.report, &native.report);
    let (bc, nc) = (&b.benchmark_config, &n.benchmark_config);
    Versus {
        p50_ratio: b.statistics.p50 / n.statistics.p50,
        p95_ratio: b.statistics.p95 / n.statistics.p95,
        alike: b.model_name() == n.model_name()
            && bc.warmup_runs == nc.warmup_runs
            && bc.benchmark_runs == nc.benchmark_runs
            && bc.plan == nc.plan
            && bc.inferences_per_sample == 1,
    }
}

/// The lesson's suggested experiments: (warmup, runs) for each run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// runs 10, 50, 100 with warmup 3: how the spread and the percentiles
    /// settle with more runs.
    Runs,
    /// warmup 0, 3, 10 with runs 50: what warmup removes.
    Warmup,
}

impl Series {
    pub fn configs(self) -> [(usize, usize); 3] {
        match self {
            Series::Runs => [(3, 10), (3, 50), (3, 100)],
            Series::Warmup => [(0, 50), (3, 50), (10, 50)],
        }
    }
}

/// Picks a name no kept run has: "base", else "base (2)", "base (3)", ...
pub fn unique_name(base: &str, existing: &[RunRecord]) -> String {
    let taken = |n: &str| existing.iter().any(|r| r.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base} ({i})"))
        .find(|n| !taken(n))
        .expect("an unused name exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(file: &str, bytes: &[u8], id: &str, now_ms: f64) -> RunRecord {
        let mut runs = import(file, bytes, id.into(), now_ms).unwrap();
        assert_eq!(runs.len(), 1);
        runs.remove(0)
    }

    #[test]
    fn an_export_of_all_runs_imports_back_whole() {
        let a = one("a.csv", &report::latency_csv(&[1.0, 2.5]), "a", 1.0);
        let mut b = one("b.csv", &report::latency_csv(&[0.1 + 0.2]), "b", 2.0);
        b.name = "renamed".into();
        let bytes = export_all(&[a.clone(), b.clone()]);
        let back = import(EXPORT_ALL_FILE, &bytes, "unused".into(), 9.0).unwrap();
        assert_eq!(back, vec![a, b]);
        let damaged = &bytes[..bytes.len() - 3];
        assert!(import("all.json", damaged, "x".into(), 0.0)
            .unwrap_err()
            .to_string()
            .starts_with("all.json is a PiEdge Lab export, but it is damaged"));
    }

    #[test]
    fn more_latencies_than_the_lab_keeps_are_refused() {
        let csv = report::latency_csv(&vec![0.5; MAX_RUNS + 1]);
        assert_eq!(
            import("huge.csv", &csv, "x".into(), 0.0).unwrap_err(),
            ImportError::TooManyLatencies {
                file: "huge.csv".into(),
                found: MAX_RUNS + 1
            }
        );
        assert_eq!(
            import(
                "max.csv",
                &report::latency_csv(&vec![0.5; MAX_RUNS]),
                "x".into(),
                0.0
            )
            .unwrap()[0]
                .report
                .raw_latencies
                .len(),
            MAX_RUNS
        );
    }

    #[test]
    fn imports_a_csv_from_piedge_bench() {
        let csv = report::latency_csv(&[1.0, 2.0, 3.0]);
        let r = one("latency.csv", &csv, "a", 5.0);
        assert_eq!(r.name, "latency.csv");
        assert_eq!(r.report.statistics.p50, 2.0);
        assert_eq!(r.report.benchmark_config.benchmark_runs, 3);
        assert_eq!(
            r.source,
            RunSource::Imported {
                file_name: "latency.csv".into()
            }
        );
    }

    #[test]
    fn imports_json_and_names_the_device() {
        let mut report = crate::report::fixtures_for_tests();
        report.system_info.device = "Raspberry Pi 4 Model B Rev 1.4".into();
        let bytes = report::results_json(&report);
        let r = one("pi.json", &bytes, "b", 0.0);
        assert_eq!(r.name, "pi.json (Raspberry Pi 4 Model B Rev 1.4)");
        assert_eq!(r.report.raw_latencies, report.raw_latencies);
    }

    #[test]
    fn bad_imports_say_why() {
        let e = |bytes: &[u8]| import("f", bytes, "x".into(), 0.0).unwrap_err().to_string();
        assert_eq!(e(b"  \n"), "f is empty");
        assert!(e(b"{ not json").starts_with("f: the file is not valid JSON"));
        assert_eq!(
            e(b"run,latency_ms\n0,NaN\n"),
            "f: line 2: latency NaN is not a finite, non-negative number of milliseconds"
        );
        assert!(e(b"\x89PNG\r\n").starts_with("f: "));
    }

    #[test]
    fn names_stay_unique() {
        let csv = report::latency_csv(&[1.0]);
        let a = one("x", &csv, "1", 0.0);
        let mut b = a.clone();
        b.name = "x (2)".into();
        assert_eq!(unique_name("y", std::slice::from_ref(&a)), "y");
        assert_eq!(unique_name("x", std::slice::from_ref(&a)), "x (2)");
        assert_eq!(unique_name("x", &[a, b]), "x (3)");
    }

    #[test]
    fn comparison_rows_carry_ci_widths() {
        let r = one("x", &report::latency_csv(&[1.0, 2.0, 3.0, 4.0]), "1", 0.0);
        let row = r.comparison_row();
        assert_eq!(row.n, 4);
        assert_eq!(row.p50_ci_width, r.report.statistics.p50_ci95.width());
    }
}
