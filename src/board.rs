//! The class board: runs students share with the class (and the server's
//! own native runs), checked, grouped by kind of device, compared, and
//! exported. Plain data and rules: the server stores the runs and the page
//! draws them; both use these types.
//!
//! Statistics are never trusted from the client: a shared run's report is
//! read with the lenient results reader, which recomputes them from the raw
//! latencies.

use crate::api::ApiError;
use crate::report::{self, BenchmarkReport};
use crate::sysinfo::SystemInfo;
use serde::{Deserialize, Serialize};

pub const MAX_NICKNAME_CHARS: usize = 24;
pub const MAX_LABEL_CHARS: usize = 40;
/// The most latencies one shared run may hold: a long run of the lab's.
pub const MAX_SHARED_LATENCIES: usize = 100_000;
/// The largest share request: 100 000 latencies as JSON, and the rest.
pub const MAX_SHARE_BYTES: usize = 4 << 20;
/// A latency above an hour is no measurement.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// Shares one tab may send a minute, and one address.
pub const SHARES_PER_TOKEN_PER_MINUTE: usize = 6;
pub const SHARES_PER_ADDRESS_PER_MINUTE: usize = 20;
/// Runs one class session holds.
pub const MAX_RUNS_PER_SESSION: usize = 1_000;
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

/// A run on the board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedRun {
    pub id: u64,
    pub nickname: String,
    pub label: String,
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

/// The kind a Raspberry Pi's runs are grouped under.
pub const PI_KIND: &str = "Raspberry Pi";

impl SharedRun {
    /// Made on a Raspberry Pi: the board highlights it.
    pub fn is_pi(&self) -> bool {
        self.kind == PI_KIND
    }

    /// For a browser run timed without isolation (a coarse timer): why,
    /// when its report says, and the timer's step. The teacher sees which
    /// devices measured coarsely.
    pub fn coarse_timer(&self) -> Option<(Option<crate::lab::browser::TimerContext>, Option<f64>)> {
        let extra = &self.report.system_info.extra;
        if self.native || extra.get("cross_origin_isolated").map(String::as_str) != Some("false") {
            return None;
        }
        let context = extra
            .get("timer_context")
            .and_then(|k| crate::lab::browser::TimerContext::from_key(k));
        let step = self.report.timer.as_ref().map(|t| t.median_step_ms);
        Some((context, step))
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
    pub runs: Vec<SharedRun>,
}

impl ShareRequest {
    /// Reads and checks a share request: the nickname and label as text of
    /// bounded length, the report's latencies finite, in range and not too
    /// many, its statistics recomputed. Returns the checked run without an
    /// id or time.
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
        let raw = request
            .report
            .get("raw_latencies")
            .and_then(|v| v.as_array());
        if raw.is_some_and(|r| r.len() > MAX_SHARED_LATENCIES) {
            return Err(ApiError::TooManyLatencies {
                max: MAX_SHARED_LATENCIES,
            });
        }
        let bytes = serde_json::to_vec(&request.report).map_err(|e| ApiError::BadJson {
            detail: e.to_string(),
        })?;
        let report = report::parse_results_json(&bytes).map_err(|e| ApiError::BadReport {
            detail: e.to_string(),
        })?;
        if let Some(index) = report
            .raw_latencies
            .iter()
            .chain(&report.warmup_latencies)
            .position(|x| !x.is_finite() || *x < 0.0 || *x > MAX_LATENCY_MS)
        {
            return Err(ApiError::LatencyOutOfRange {
                index,
                max_ms: MAX_LATENCY_MS,
            });
        }
        Ok(shared(nickname, label, report))
    }
}

/// A run the server made itself, for the board.
pub fn native_run(report: BenchmarkReport) -> SharedRun {
    let nickname = "server".to_string();
    shared(nickname, String::new(), report)
}

fn shared(nickname: String, label: String, report: BenchmarkReport) -> SharedRun {
    let (kind, device) = device_of(&report.system_info);
    SharedRun {
        id: 0,
        nickname,
        label,
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
    pub groups: Vec<(String, Vec<&'a SharedRun>)>,
    /// The run with the smallest P50 (or P95) of those shown.
    pub fastest: Option<u64>,
    /// The run with the widest spread (P95 − P50).
    pub widest: Option<u64>,
    /// Runs with different models or settings are shown together.
    pub mixed: bool,
}

pub fn arrange<'a>(runs: &'a [SharedRun], filter: &Filter, sort: SortBy) -> Arranged<'a> {
    let key = |r: &SharedRun| match sort {
        SortBy::P50 => r.report.statistics.p50,
        SortBy::P95 => r.report.statistics.p95,
    };
    let shown: Vec<&SharedRun> = runs
        .iter()
        .filter(|r| filter.hidden || !r.hidden)
        .filter(|r| {
            filter
                .model
                .as_deref()
                .is_none_or(|m| r.report.model_name() == m)
        })
        .filter(|r| filter.settings.is_none_or(|s| settings(r) == s))
        .collect();
    let mut groups: Vec<(String, Vec<&SharedRun>)> = vec![];
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
    let spread = |r: &SharedRun| r.report.statistics.p95 - r.report.statistics.p50;
    let widest = shown
        .iter()
        .max_by(|a, b| spread(a).total_cmp(&spread(b)))
        .map(|r| r.id);
    let first = shown.first();
    let mixed = shown.iter().any(|r| {
        first.is_some_and(|f| {
            f.report.model_name() != r.report.model_name()
                || settings(f) != settings(r)
                || f.report.benchmark_config.plan != r.report.benchmark_config.plan
        })
    });
    Arranged {
        groups,
        fastest,
        widest,
        mixed,
    }
}

/// (warmup, runs) of a run.
pub fn settings(r: &SharedRun) -> (usize, usize) {
    let c = &r.report.benchmark_config;
    (c.warmup_runs, c.benchmark_runs)
}

/// The class as CSV, one row per run (hidden ones too, marked).
pub fn csv(runs: &[SharedRun]) -> Vec<u8> {
    let mut out = String::from(
        "id,nickname,label,kind,device,os,cores,native,model,plan,warmup,runs,inferences_per_sample,\
         timer_step_ms,cross_origin_isolated,timer_context,n,mean_ms,std_ms,p50_ms,p95_ms,p99_ms,\
         p50_ci95_low_ms,p50_ci95_high_ms,p95_ci95_low_ms,p95_ci95_high_ms,shared_at,hidden\n",
    );
    for r in runs {
        let s = &r.report.statistics;
        let c = &r.report.benchmark_config;
        let timer = r
            .report
            .timer
            .as_ref()
            .map_or(String::new(), |t| t.median_step_ms.to_string());
        let isolated = r
            .report
            .system_info
            .extra
            .get("cross_origin_isolated")
            .cloned()
            .unwrap_or_default();
        let context = field(
            r.report
                .system_info
                .extra
                .get("timer_context")
                .map_or("", String::as_str),
        );
        let fields = [
            r.id.to_string(),
            field(&r.nickname),
            field(&r.label),
            field(&r.kind),
            field(&r.device),
            field(&r.os),
            r.cores.map_or(String::new(), |n| n.to_string()),
            r.native.to_string(),
            field(r.report.model_name()),
            field(&c.plan),
            c.warmup_runs.to_string(),
            c.benchmark_runs.to_string(),
            c.inferences_per_sample.to_string(),
            timer,
            isolated,
            context,
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
            field(&r.shared_at),
            r.hidden.to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// A CSV field: quoted when it holds a comma, quote or line break, and a
/// leading `=`, `+`, `-` or `@` defused, so that a spreadsheet shows a
/// nickname and never runs it as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
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
mod tests {
    use super::*;

    fn request(nickname: &str, latencies: &str) -> Vec<u8> {
        format!(
            r#"{{"nickname": {}, "label": "my phone", "report": {{
                "raw_latencies": [{latencies}], "statistics": {{"p50": 0.001}},
                "system_info": {{"platform": "Linux (browser)", "device": "Browser: Chrome 156 (Blink)",
                  "cpu_model": null, "arch": "wasm32", "os": "Linux", "cpu_count": 8, "memory_gb": null,
                  "cpu_governor": null, "piedge_version": "0.1.0", "runtime": "browser (x)",
                  "extra": {{"browser": "Chrome 156 (Blink)", "cross_origin_isolated": "true"}}}},
                "benchmark_config": {{"model_path": "tinycnn.onnx", "warmup_runs": 3, "benchmark_runs": 4, "batch_size": 1}}}}}}"#,
            serde_json::to_string(nickname).unwrap()
        )
        .into_bytes()
    }

    #[test]
    fn a_shared_run_is_checked_and_its_statistics_recomputed() {
        let run = ShareRequest::parse(&request("Ada", "1, 2, 3, 4")).unwrap();
        assert_eq!(
            run.report.statistics.p50, 2.5,
            "not the 0.001 the client sent"
        );
        assert_eq!(
            (run.kind.as_str(), run.device.as_str(), run.cores),
            ("Blink", "Chrome 156 (Blink)", Some(8))
        );
        assert_eq!(run.label, "my phone");
        let code = |body: &[u8]| {
            let e = ShareRequest::parse(body).unwrap_err();
            let json: serde_json::Value = serde_json::from_slice(&e.to_json()).unwrap();
            (e.status(), json["error"].as_str().unwrap().to_string())
        };
        assert_eq!(code(&request("", "1")), (400, "bad_nickname".into()));
        assert_eq!(
            code(&request(&"x".repeat(25), "1")),
            (400, "bad_nickname".into())
        );
        assert_eq!(code(&request("Ada", "")), (400, "bad_report".into()));
        assert_eq!(code(&request("Ada", "1, -2")), (400, "bad_report".into()));
        assert_eq!(
            code(&request("Ada", "1, 1e300")),
            (400, "latency_out_of_range".into())
        );
        assert_eq!(
            code(&request("Ada", "1, \"x\"")),
            (400, "bad_report".into())
        );
        assert_eq!(code(b"{\"nickname\": 1"), (400, "bad_json".into()));
        let many = vec!["1"; MAX_SHARED_LATENCIES + 1].join(",");
        assert_eq!(
            code(&request("Ada", &many)),
            (400, "too_many_latencies".into())
        );
    }

    #[test]
    fn a_run_timed_coarsely_says_why_on_the_board() {
        use crate::lab::browser::TimerContext;
        let isolated = ShareRequest::parse(&request("Ada", "1, 2")).unwrap();
        assert_eq!(isolated.coarse_timer(), None);
        let body = String::from_utf8(request("Bo", "1, 2")).unwrap().replace(
            r#""cross_origin_isolated": "true""#,
            r#""cross_origin_isolated": "false", "timer_context": "plain_http_from_another_machine""#,
        );
        let plain = ShareRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(
            plain.coarse_timer(),
            Some((Some(TimerContext::PlainHttp), None))
        );
        let row = String::from_utf8(csv(&[plain])).unwrap();
        assert!(
            row.contains(",false,plain_http_from_another_machine,"),
            "{row}"
        );
    }

    #[test]
    fn names_are_text_without_control_characters() {
        let run = ShareRequest::parse(&request("  Ada\u{7}  <b>L</b> ", "1")).unwrap();
        assert_eq!(
            run.nickname, "Ada <b>L</b>",
            "kept as text; the board escapes it"
        );
    }

    fn run(id: u64, kind: &str, p50: f64, p95: f64) -> SharedRun {
        let mut r = ShareRequest::parse(&request("x", "1")).unwrap();
        r.id = id;
        r.kind = kind.into();
        r.report.statistics.p50 = p50;
        r.report.statistics.p95 = p95;
        r
    }

    #[test]
    fn the_board_groups_by_device_with_the_pi_first_and_names_who_stands_out() {
        let runs = vec![
            run(1, "Blink", 5.0, 9.0),
            run(2, "Raspberry Pi", 20.0, 22.0),
            run(3, "Gecko", 3.0, 30.0),
            run(4, "Blink", 4.0, 5.0),
        ];
        let a = arrange(&runs, &Filter::default(), SortBy::P50);
        let order: Vec<(&str, Vec<u64>)> = a
            .groups
            .iter()
            .map(|(k, g)| (k.as_str(), g.iter().map(|r| r.id).collect()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("Raspberry Pi", vec![2]),
                ("Gecko", vec![3]),
                ("Blink", vec![4, 1])
            ]
        );
        assert_eq!((a.fastest, a.widest, a.mixed), (Some(3), Some(3), false));
        let by_p95 = arrange(&runs, &Filter::default(), SortBy::P95);
        assert_eq!(by_p95.fastest, Some(4));
    }

    #[test]
    fn mixed_settings_are_said_and_filters_keep_runs_comparable() {
        let mut runs = vec![run(1, "Blink", 5.0, 9.0), run(2, "Gecko", 3.0, 4.0)];
        runs[1].report.benchmark_config.warmup_runs = 0;
        let all = arrange(&runs, &Filter::default(), SortBy::P50);
        assert!(all.mixed);
        let filter = Filter {
            settings: Some((3, 4)),
            ..Filter::default()
        };
        let same = arrange(&runs, &filter, SortBy::P50);
        assert_eq!((same.groups.len(), same.mixed), (1, false));
        runs[0].hidden = true;
        assert_eq!(arrange(&runs, &filter, SortBy::P50).groups.len(), 0);
    }

    #[test]
    fn the_csv_has_a_row_per_run_and_defuses_formulas() {
        let mut r = run(7, "Blink", 1.0, 2.0);
        r.nickname = "=HYPERLINK(\"x\")".into();
        let text = String::from_utf8(csv(&[r])).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("7,\"'=HYPERLINK(\"\"x\"\")\",my phone,Blink,"));
        assert_eq!(lines[0].split(',').count(), lines[1].split(',').count());
    }

    #[test]
    fn the_json_export_is_what_the_labs_import_reads() {
        let runs = vec![run(1, "Blink", 1.0, 2.0), run(2, "Gecko", 1.0, 2.0)];
        let bytes = export_json(&runs);
        let back = crate::lab::session::import("class.json", &bytes, "x".into(), 0.0).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].name, "x · Chrome 156 (Blink) (my phone)");
        assert_eq!(back[0].report.raw_latencies, vec![1.0]);
    }
}
