//! The class board: runs students share with the class (and the server's
//! own native runs), checked, grouped by kind of device, compared, and
//! exported. Plain data and rules: the server stores the runs and the page
//! draws them; both use these types.
//!
//! The server never trusts a number it can compute: a shared run's
//! statistics are recomputed from its latencies with the server's own
//! options ([`share_stats_options`]), whatever the report says, and every
//! size and count the report carries is bounded by `crate::limits`, so
//! that no share can make the server allocate or loop beyond them. A
//! share is admitted ([`admit`]) before any of that work, and again in the
//! transaction that stores it.
//!
//! The board's poll carries a [`BoardRun`] per run, what the board draws
//! and its table shows, never the latencies: a [`SharedRun`] (the whole
//! report) is fetched for one run on demand.

use crate::api::ApiError;
use crate::report::{self, BenchmarkReport, Recompute};
use crate::stats::{LatencyStats, PercentileMethod, StatsOptions};
use crate::sysinfo::SystemInfo;
use serde::{Deserialize, Serialize};

use crate::limits::{
    BENCH_MAX_RUNS, BENCH_MAX_WARMUP, MAX_SHARED_COUNT, MAX_SHARED_ENTRIES, MAX_SHARED_ENV_SAMPLES,
    MAX_SHARED_TEXT_CHARS, MAX_SHARED_WARMUP_LATENCIES, MAX_THREADS, SHARE_BOOTSTRAP_RESAMPLES,
};
pub use crate::limits::{
    MAX_LABEL_CHARS, MAX_LATENCY_MS, MAX_NICKNAME_CHARS, MAX_RUNS_PER_SESSION,
    MAX_SHARED_LATENCIES, MAX_SHARE_BYTES, SHARES_PER_ADDRESS_PER_MINUTE,
    SHARES_PER_TOKEN_PER_MINUTE,
};

/// The latency targets the board draws, in ms.
pub const TARGETS_MS: [f64; 2] = [10.0, 100.0];

/// `POST /api/shared`: one kept run, as the lab holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    pub nickname: String,
    /// The student's own word for the device ("my phone"), may be empty.
    #[serde(default)]
    pub label: String,
    /// The run's `latency_results.json`.
    pub report: serde_json::Value,
}

/// Where a run on the board came from. Only the server's store says so: a
/// share is always a student's, whatever its report claims.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Shared by a student: its device fields are what the student's
    /// device (or the student) reported.
    #[default]
    Student,
    /// Measured by this server itself (the lab's "run on the server").
    Server,
}

/// A run on the board, whole: what `GET /api/board/runs/{id}` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedRun {
    pub id: u64,
    pub nickname: String,
    pub label: String,
    #[serde(default)]
    pub origin: Origin,
    /// The kind of device it is grouped under: the browser engine
    /// ("Blink", "Gecko", "WebKit"), "Raspberry Pi", or "native".
    pub kind: String,
    /// The device as its report names it ("Chrome 156 (Blink)", "Raspberry
    /// Pi 4 Model B Rev 1.4").
    pub device: String,
    pub os: String,
    pub cores: Option<usize>,
    pub native: bool,
    /// When the server received it ("YYYY-MM-DD HH:MM:SS UTC").
    pub shared_at: String,
    pub hidden: bool,
    pub report: BenchmarkReport,
}

/// A run as the board's poll carries it: who, which device, the settings
/// and the statistics; no latencies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardRun {
    pub id: u64,
    pub nickname: String,
    pub label: String,
    pub origin: Origin,
    pub kind: String,
    pub device: String,
    pub os: String,
    pub cores: Option<usize>,
    pub native: bool,
    pub shared_at: String,
    pub hidden: bool,
    /// The model's file name.
    pub model: String,
    pub plan: String,
    pub warmup_runs: usize,
    pub benchmark_runs: usize,
    pub inferences_per_sample: usize,
    pub statistics: LatencyStats,
    /// The timer's median step, when the report measured it.
    pub timer_step_ms: Option<f64>,
    /// The browser's `crossOriginIsolated` ("true"/"false"), when a browser
    /// ran it, and why its timer was coarse, when it was.
    pub cross_origin_isolated: Option<String>,
    pub timer_context: Option<String>,
}

/// The kind a Raspberry Pi's runs are grouped under.
pub const PI_KIND: &str = "Raspberry Pi";

impl SharedRun {
    /// The run as the board's poll carries it.
    pub fn summary(&self) -> BoardRun {
        let r = &self.report;
        let extra = |k: &str| r.system_info.extra.get(k).cloned();
        BoardRun {
            id: self.id,
            nickname: self.nickname.clone(),
            label: self.label.clone(),
            origin: self.origin,
            kind: self.kind.clone(),
            device: self.device.clone(),
            os: self.os.clone(),
            cores: self.cores,
            native: self.native,
            shared_at: self.shared_at.clone(),
            hidden: self.hidden,
            model: r.model_name().to_string(),
            plan: r.benchmark_config.plan.clone(),
            warmup_runs: r.benchmark_config.warmup_runs,
            benchmark_runs: r.benchmark_config.benchmark_runs,
            inferences_per_sample: r.benchmark_config.inferences_per_sample,
            statistics: r.statistics.clone(),
            timer_step_ms: r.timer.as_ref().map(|t| t.median_step_ms),
            cross_origin_isolated: extra("cross_origin_isolated"),
            timer_context: extra("timer_context"),
        }
    }
}

impl BoardRun {
    /// Made on a Raspberry Pi: the board highlights it.
    pub fn is_pi(&self) -> bool {
        self.kind == PI_KIND
    }

    /// Measured by this server, not reported by a student's device.
    pub fn from_server(&self) -> bool {
        self.origin == Origin::Server
    }

    /// For a browser run timed without isolation (a coarse timer): why,
    /// when its report says, and the timer's step. The teacher sees which
    /// devices measured coarsely.
    pub fn coarse_timer(&self) -> Option<(Option<crate::lab::browser::TimerContext>, Option<f64>)> {
        if self.native || self.cross_origin_isolated.as_deref() != Some("false") {
            return None;
        }
        let context = self
            .timer_context
            .as_deref()
            .and_then(crate::lab::browser::TimerContext::from_key);
        Some((context, self.timer_step_ms))
    }

    /// (warmup, runs) of the run.
    pub fn settings(&self) -> (usize, usize) {
        (self.warmup_runs, self.benchmark_runs)
    }
}

/// What `GET /api/board` answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// The class session's name.
    pub session: String,
    /// Sharing is closed by the teacher.
    pub locked: bool,
    /// The teacher has released the reflection answers.
    pub released: bool,
    pub runs: Vec<BoardRun>,
}

/// What the store holds when a share arrives: the teacher's lock, and the
/// runs shared in the last minute by the tab and from its address, and in
/// the session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShareCounts {
    pub locked: bool,
    pub by_token: usize,
    pub by_address: usize,
    pub in_session: usize,
}

/// Whether one more share may be kept: sharing open, the tab and its
/// address under their quotas a minute, the session not full. The server
/// asks before it reads a share and again in the transaction that stores
/// it, so two shares at a limit cannot both pass.
pub fn admit(counts: &ShareCounts) -> Result<(), ApiError> {
    if counts.locked {
        return Err(ApiError::SharingLocked);
    }
    if counts.by_token >= SHARES_PER_TOKEN_PER_MINUTE {
        return Err(ApiError::TooManyShares {
            per_minute: SHARES_PER_TOKEN_PER_MINUTE,
        });
    }
    if counts.by_address >= SHARES_PER_ADDRESS_PER_MINUTE {
        return Err(ApiError::TooManyShares {
            per_minute: SHARES_PER_ADDRESS_PER_MINUTE,
        });
    }
    if counts.in_session >= MAX_RUNS_PER_SESSION {
        return Err(ApiError::SessionFull {
            limit: MAX_RUNS_PER_SESSION,
        });
    }
    Ok(())
}

/// The options the server recomputes a shared run's statistics with:
/// numpy's linear percentiles, seed 0 and [`SHARE_BOOTSTRAP_RESAMPLES`], so
/// that every run on the board is summarised alike and none costs more.
pub fn share_stats_options() -> StatsOptions {
    StatsOptions {
        method: PercentileMethod::Linear,
        bootstrap_resamples: Some(SHARE_BOOTSTRAP_RESAMPLES),
        bootstrap_seed: 0,
    }
}

impl ShareRequest {
    /// Reads and checks a share request: the nickname and label as text of
    /// bounded length, the report's latencies finite, in range and not too
    /// many, every other size and count it carries within the limits, its
    /// statistics recomputed with [`share_stats_options`]. Returns the
    /// checked run (a student's) without an id or time.
    pub fn parse(body: &[u8]) -> Result<SharedRun, ApiError> {
        if body.len() > MAX_SHARE_BYTES {
            return Err(ApiError::BodyTooLarge {
                limit: MAX_SHARE_BYTES,
            });
        }
        let request: ShareRequest =
            serde_json::from_slice(body).map_err(|e| ApiError::BadJson {
                detail: e.to_string(),
            })?;
        let nickname = clean(&request.nickname);
        if nickname.is_empty() || nickname.chars().count() > MAX_NICKNAME_CHARS {
            return Err(ApiError::BadNickname {
                max: MAX_NICKNAME_CHARS,
            });
        }
        let label = clean(&request.label);
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(ApiError::BadLabel {
                max: MAX_LABEL_CHARS,
            });
        }
        check_latencies(&request.report)?;
        // Read without the bootstrap first: the report's other fields are
        // checked before the one piece of work that costs.
        let no_bootstrap = StatsOptions {
            bootstrap_resamples: Some(0),
            ..share_stats_options()
        };
        let mut report = report::read_results(&request.report, &Recompute::With(no_bootstrap))
            .map_err(|e| ApiError::BadReport {
                detail: e.to_string(),
            })?;
        check_fields(&report).map_err(|detail| ApiError::BadReport { detail })?;
        report.statistics = LatencyStats::compute(&report.raw_latencies, &share_stats_options())
            .map_err(|e| ApiError::BadReport {
                detail: e.to_string(),
            })?;
        Ok(shared(nickname, label, Origin::Student, report))
    }
}

/// The latencies of a report as JSON: not too many, each a time between 0
/// and [`MAX_LATENCY_MS`].
fn check_latencies(report: &serde_json::Value) -> Result<(), ApiError> {
    for (key, max) in [
        ("raw_latencies", MAX_SHARED_LATENCIES),
        ("warmup_latencies", MAX_SHARED_WARMUP_LATENCIES),
    ] {
        let Some(list) = report.get(key).and_then(|v| v.as_array()) else {
            continue;
        };
        if list.len() > max {
            return Err(ApiError::TooManyLatencies { max });
        }
        // Negative and non-numbers are the results reader's to refuse.
        let out_of_range = |x: &serde_json::Value| x.as_f64().is_some_and(|x| x > MAX_LATENCY_MS);
        if let Some(index) = list.iter().position(out_of_range) {
            return Err(ApiError::LatencyOutOfRange {
                index,
                max_ms: MAX_LATENCY_MS,
            });
        }
    }
    Ok(())
}

/// Every size, count and text a shared report carries besides its
/// latencies, within `crate::limits`; the first that is not, named.
fn check_fields(r: &BenchmarkReport) -> Result<(), String> {
    let c = &r.benchmark_config;
    let s = &r.system_info;
    let counts: [(&str, u64, u64); 7] = [
        (
            "benchmark_config.warmup_runs",
            c.warmup_runs as u64,
            BENCH_MAX_WARMUP as u64,
        ),
        (
            "benchmark_config.benchmark_runs",
            c.benchmark_runs as u64,
            BENCH_MAX_RUNS as u64,
        ),
        (
            "benchmark_config.batch_size",
            c.batch_size as u64,
            MAX_SHARED_COUNT,
        ),
        (
            "benchmark_config.inferences_per_sample",
            c.inferences_per_sample as u64,
            MAX_SHARED_COUNT,
        ),
        (
            "benchmark_config.threads",
            c.threads as u64,
            MAX_THREADS as u64,
        ),
        (
            "system_info.cpu_count",
            s.cpu_count.unwrap_or(0) as u64,
            MAX_SHARED_COUNT,
        ),
        (
            "timer.samples",
            r.timer.as_ref().map_or(0, |t| t.samples) as u64,
            MAX_SHARED_COUNT,
        ),
    ];
    for (field, value, max) in counts {
        if value > max {
            return Err(format!("{field} is {value}, more than {max}"));
        }
    }
    let lists = [
        ("system_info.extra", s.extra.len(), MAX_SHARED_ENTRIES),
        (
            "benchmark_config.providers",
            c.providers.len(),
            MAX_SHARED_ENTRIES,
        ),
        (
            "model.input_shape",
            r.model.as_ref().map_or(0, |m| m.input_shape.len()),
            MAX_SHARED_ENTRIES,
        ),
        ("env_samples", r.env_samples.len(), MAX_SHARED_ENV_SAMPLES),
    ];
    for (field, len, max) in lists {
        if len > max {
            return Err(format!("{field} has {len} entries, more than {max}"));
        }
    }
    if let Some(dim) = r
        .model
        .as_ref()
        .and_then(|m| m.input_shape.iter().find(|&&d| d as u64 > MAX_SHARED_COUNT))
    {
        return Err(format!(
            "model.input_shape has a dimension of {dim}, more than {MAX_SHARED_COUNT}"
        ));
    }
    // The fields a student's device reports first, then `host`, which the
    // reader makes from them when a report has none.
    let texts = [
        ("generated", &r.generated),
        ("benchmark_config.model_path", &c.model_path),
        ("benchmark_config.input", &c.input),
        ("benchmark_config.plan", &c.plan),
        ("system_info.platform", &s.platform),
        ("system_info.device", &s.device),
        ("system_info.arch", &s.arch),
        ("system_info.os", &s.os),
        ("system_info.piedge_version", &s.piedge_version),
        ("system_info.runtime", &s.runtime),
        ("engine.name", &r.engine.name),
        ("engine.version", &r.engine.version),
        ("engine.tool", &r.engine.tool),
        ("engine.tool_version", &r.engine.tool_version),
        ("host", &r.host),
    ];
    let optional = [
        ("system_info.cpu_model", s.cpu_model.as_ref()),
        ("system_info.cpu_governor", s.cpu_governor.as_ref()),
        ("engine.kernels", r.engine.kernels.as_ref()),
        ("timer.clock", r.timer.as_ref().map(|t| &t.clock)),
        ("model.name", r.model.as_ref().map(|m| &m.name)),
    ];
    let extra = s
        .extra
        .iter()
        .flat_map(|(k, v)| [("system_info.extra", k), ("system_info.extra", v)]);
    let providers = c
        .providers
        .iter()
        .map(|p| ("benchmark_config.providers", p));
    let all = texts
        .into_iter()
        .chain(optional.into_iter().filter_map(|(f, t)| Some((f, t?))))
        .chain(extra)
        .chain(providers);
    for (field, text) in all {
        if text.chars().count() > MAX_SHARED_TEXT_CHARS {
            return Err(format!(
                "{field} is longer than {MAX_SHARED_TEXT_CHARS} characters"
            ));
        }
    }
    Ok(())
}

/// A run the server made itself, for the board.
pub fn native_run(report: BenchmarkReport) -> SharedRun {
    shared("server".to_string(), String::new(), Origin::Server, report)
}

fn shared(nickname: String, label: String, origin: Origin, report: BenchmarkReport) -> SharedRun {
    let (kind, device) = device_of(&report.system_info);
    SharedRun {
        id: 0,
        nickname,
        label,
        origin,
        kind,
        device,
        os: report.system_info.os.clone(),
        cores: report.system_info.cpu_count,
        native: report.system_info.runtime == "native",
        shared_at: String::new(),
        hidden: false,
        report,
    }
}

/// The kind of device and its name, from what the report records.
pub fn device_of(s: &SystemInfo) -> (String, String) {
    if s.runtime == "native" {
        let kind = if s.device.starts_with("Raspberry Pi") {
            PI_KIND
        } else {
            "native"
        };
        return (kind.into(), s.device.clone());
    }
    let browser = s
        .extra
        .get("browser")
        .cloned()
        .unwrap_or_else(|| s.device.trim_start_matches("Browser: ").to_string());
    let engine = ["Blink", "Gecko", "WebKit"]
        .into_iter()
        .find(|e| browser.contains(e))
        .unwrap_or("browser");
    (engine.into(), browser)
}

/// Text as the board shows it: control characters out, spaces collapsed.
fn clean(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Which runs the board compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// A model's file name, or all.
    pub model: Option<String>,
    /// (warmup, runs), or all.
    pub settings: Option<(usize, usize)>,
    /// Hidden runs too (the teacher's view).
    pub hidden: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    P50,
    P95,
}

/// The board arranged: groups of runs by kind of device (the Pi first,
/// then by their fastest run), each sorted, and what stands out.
#[derive(Clone, Debug, PartialEq)]
pub struct Arranged<'a> {
    pub groups: Vec<(String, Vec<&'a BoardRun>)>,
    /// The run with the smallest P50 (or P95) of those shown.
    pub fastest: Option<u64>,
    /// The run with the widest spread (P95 − P50).
    pub widest: Option<u64>,
    /// Runs with different models or settings are shown together.
    pub mixed: bool,
}

pub fn arrange<'a>(runs: &'a [BoardRun], filter: &Filter, sort: SortBy) -> Arranged<'a> {
    let key = |r: &BoardRun| match sort {
        SortBy::P50 => r.statistics.p50,
        SortBy::P95 => r.statistics.p95,
    };
    let shown: Vec<&BoardRun> = runs
        .iter()
        .filter(|r| filter.hidden || !r.hidden)
        .filter(|r| filter.model.as_deref().is_none_or(|m| r.model == m))
        .filter(|r| filter.settings.is_none_or(|s| r.settings() == s))
        .collect();
    let mut groups: Vec<(String, Vec<&BoardRun>)> = vec![];
    for r in &shown {
        match groups.iter_mut().find(|(k, _)| *k == r.kind) {
            Some((_, g)) => g.push(r),
            None => groups.push((r.kind.clone(), vec![r])),
        }
    }
    for (_, g) in &mut groups {
        g.sort_by(|a, b| key(a).total_cmp(&key(b)));
    }
    groups.sort_by(|(ka, a), (kb, b)| {
        let pi = |k: &str| k != PI_KIND;
        pi(ka).cmp(&pi(kb)).then(key(a[0]).total_cmp(&key(b[0])))
    });
    let fastest = shown
        .iter()
        .min_by(|a, b| key(a).total_cmp(&key(b)))
        .map(|r| r.id);
    let spread = |r: &BoardRun| r.statistics.p95 - r.statistics.p50;
    let widest = shown
        .iter()
        .max_by(|a, b| spread(a).total_cmp(&spread(b)))
        .map(|r| r.id);
    let first = shown.first();
    let mixed = shown.iter().any(|r| {
        first
            .is_some_and(|f| f.model != r.model || f.settings() != r.settings() || f.plan != r.plan)
    });
    Arranged {
        groups,
        fastest,
        widest,
        mixed,
    }
}

/// The CSV export's columns, in order.
const CSV_COLUMNS: [&str; 29] = [
    "id",
    "nickname",
    "label",
    "kind",
    "device",
    "os",
    "cores",
    "native",
    "model",
    "plan",
    "warmup",
    "runs",
    "inferences_per_sample",
    "timer_step_ms",
    "cross_origin_isolated",
    "timer_context",
    "n",
    "mean_ms",
    "std_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "p50_ci95_low_ms",
    "p50_ci95_high_ms",
    "p95_ci95_low_ms",
    "p95_ci95_high_ms",
    "shared_at",
    "hidden",
    "origin",
];

/// The class as CSV, one row per run (hidden ones too, marked), every cell
/// through the project's one CSV writer, so that nothing a student typed
/// or their device reported becomes a formula or a column of its own.
pub fn csv(runs: &[BoardRun]) -> Vec<u8> {
    let mut out = report::CsvWriter::new(&CSV_COLUMNS);
    for r in runs {
        let s = &r.statistics;
        let origin = match r.origin {
            Origin::Student => "student",
            Origin::Server => "server",
        };
        out.row([
            r.id.to_string(),
            r.nickname.clone(),
            r.label.clone(),
            r.kind.clone(),
            r.device.clone(),
            r.os.clone(),
            r.cores.map_or(String::new(), |n| n.to_string()),
            r.native.to_string(),
            r.model.clone(),
            r.plan.clone(),
            r.warmup_runs.to_string(),
            r.benchmark_runs.to_string(),
            r.inferences_per_sample.to_string(),
            r.timer_step_ms.map_or(String::new(), |t| t.to_string()),
            r.cross_origin_isolated.clone().unwrap_or_default(),
            r.timer_context.clone().unwrap_or_default(),
            s.n.to_string(),
            report::ms(s.mean),
            report::ms(s.std),
            report::ms(s.p50),
            report::ms(s.p95),
            report::ms(s.p99),
            report::ms(s.p50_ci95.low),
            report::ms(s.p50_ci95.high),
            report::ms(s.p95_ci95.low),
            report::ms(s.p95_ci95.high),
            r.shared_at.clone(),
            r.hidden.to_string(),
            origin.to_string(),
        ]);
    }
    out.into_bytes()
}

/// The class as the lab's own "export all" file, which its import reads:
/// every visible run with its raw latencies.
pub fn export_json(runs: &[SharedRun]) -> Vec<u8> {
    use crate::lab::session::{self, RunRecord, RunSource};
    let records: Vec<RunRecord> = runs
        .iter()
        .filter(|r| !r.hidden)
        .map(|r| RunRecord {
            id: format!("class-{}", r.id),
            name: if r.label.is_empty() {
                format!("{} · {}", r.nickname, r.device)
            } else {
                format!("{} · {} ({})", r.nickname, r.device, r.label)
            },
            created_ms: 0.0,
            source: RunSource::Imported {
                file_name: "class board".into(),
            },
            report: r.report.clone(),
        })
        .collect();
    session::export_all(&records)
}

#[cfg(test)]
mod tests;
