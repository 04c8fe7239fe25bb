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

/// A refusal's (status, code).
fn code(body: &[u8]) -> (u16, String) {
    let e = ShareRequest::parse(body).unwrap_err();
    let json: serde_json::Value = serde_json::from_slice(&e.to_json()).unwrap();
    (e.status(), json["error"].as_str().unwrap().to_string())
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
    assert_eq!(run.origin, Origin::Student);
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

/// `request("Ada", "1, 2, 3, 4")` with `path` (dots between keys) set to
/// the JSON `value`.
fn with_field(path: &str, value: serde_json::Value) -> Vec<u8> {
    let mut body: serde_json::Value =
        serde_json::from_slice(&request("Ada", "1, 2, 3, 4")).unwrap();
    let mut at = &mut body["report"];
    for key in path.split('.') {
        at = &mut at[key];
    }
    *at = value;
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn the_server_recomputes_with_its_own_options_whatever_the_report_asks() {
    // 2^44 resamples made the server ask for 128 TiB and abort; 2^60
    // overflowed a capacity and panicked.
    for resamples in [1u64 << 44, 1 << 60, u64::MAX] {
        let body = with_field(
            "statistics",
            serde_json::json!({"bootstrap_resamples": resamples, "bootstrap_seed": 7,
                "percentile_method": "nearest_rank"}),
        );
        let run = ShareRequest::parse(&body).unwrap();
        let s = &run.report.statistics;
        assert_eq!(
            (s.bootstrap_resamples, s.bootstrap_seed, s.percentile_method),
            (SHARE_BOOTSTRAP_RESAMPLES, 0, PercentileMethod::Linear)
        );
    }
    // A whole LatencyStats, as a report carries it: the same.
    let mut stats =
        serde_json::to_value(LatencyStats::compute(&[1.0, 2.0], &StatsOptions::default()).unwrap())
            .unwrap();
    stats["bootstrap_resamples"] = serde_json::json!(1u64 << 60);
    let run = ShareRequest::parse(&with_field("statistics", stats)).unwrap();
    assert_eq!(
        run.report.statistics.bootstrap_resamples,
        SHARE_BOOTSTRAP_RESAMPLES
    );
}

#[test]
fn every_count_a_report_carries_is_bounded() {
    let refused = |path: &str, value: serde_json::Value| {
        let e = ShareRequest::parse(&with_field(path, value.clone())).unwrap_err();
        let ApiError::BadReport { detail } = &e else {
            panic!("{path} = {value}: {e:?}")
        };
        assert!(
            detail.contains(path.split('.').next_back().unwrap()),
            "{path}: {detail}"
        );
    };
    let huge = serde_json::json!(1u64 << 60);
    for path in [
        "benchmark_config.warmup_runs",
        "benchmark_config.benchmark_runs",
        "benchmark_config.batch_size",
        "benchmark_config.inferences_per_sample",
        "benchmark_config.threads",
        "system_info.cpu_count",
    ] {
        refused(path, huge.clone());
    }
    refused(
        "system_info.device",
        serde_json::json!("x".repeat(MAX_SHARED_TEXT_CHARS + 1)),
    );
    let extra: serde_json::Map<String, serde_json::Value> = (0..=MAX_SHARED_ENTRIES)
        .map(|i| (i.to_string(), serde_json::json!("x")))
        .collect();
    refused("system_info.extra", extra.into());
    let warmup = vec![1.0; MAX_SHARED_WARMUP_LATENCIES + 1];
    let e = ShareRequest::parse(&with_field("warmup_latencies", warmup.into())).unwrap_err();
    assert_eq!(
        e,
        ApiError::TooManyLatencies {
            max: MAX_SHARED_WARMUP_LATENCIES
        }
    );
    // Numbers beyond what a field can hold are the lenient reader's to
    // drop; whatever it keeps is within the limits.
    for path in [
        "benchmark_config.warmup_runs",
        "system_info.cpu_count",
        "format_version",
        "timer",
    ] {
        for value in [serde_json::json!(1e300), serde_json::json!(-1)] {
            let _ = ShareRequest::parse(&with_field(path, value));
        }
    }
}

#[test]
fn a_share_is_admitted_within_the_lock_and_the_quotas() {
    let ok = ShareCounts::default();
    assert_eq!(admit(&ok), Ok(()));
    let check = |counts: ShareCounts, code: &str| {
        let e = admit(&counts).unwrap_err();
        assert_eq!(
            serde_json::to_value(&e).unwrap()["error"],
            code,
            "{counts:?}"
        );
    };
    check(ShareCounts { locked: true, ..ok }, "sharing_locked");
    check(
        ShareCounts {
            by_token: SHARES_PER_TOKEN_PER_MINUTE,
            ..ok
        },
        "too_many_shares",
    );
    check(
        ShareCounts {
            by_address: SHARES_PER_ADDRESS_PER_MINUTE,
            ..ok
        },
        "too_many_shares",
    );
    check(
        ShareCounts {
            in_session: MAX_RUNS_PER_SESSION,
            ..ok
        },
        "session_full",
    );
}

#[test]
fn a_run_timed_coarsely_says_why_on_the_board() {
    use crate::lab::browser::TimerContext;
    let isolated = ShareRequest::parse(&request("Ada", "1, 2")).unwrap();
    assert_eq!(isolated.summary().coarse_timer(), None);
    let body = String::from_utf8(request("Bo", "1, 2")).unwrap().replace(
        r#""cross_origin_isolated": "true""#,
        r#""cross_origin_isolated": "false", "timer_context": "plain_http_from_another_machine""#,
    );
    let plain = ShareRequest::parse(body.as_bytes()).unwrap().summary();
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

#[test]
fn a_share_claiming_to_be_the_servers_run_is_a_students() {
    let body = with_field(
        "system_info",
        serde_json::json!({"platform": "Linux", "device": "Raspberry Pi 4 Model B Rev 1.4",
            "cpu_model": "Cortex-A72", "arch": "aarch64", "os": "Linux", "cpu_count": 4,
            "memory_gb": null, "cpu_governor": null, "piedge_version": "0.1.0", "runtime": "native"}),
    );
    let body = String::from_utf8(body)
        .unwrap()
        .replace("\"Ada\"", "\"server\"");
    let claimed = ShareRequest::parse(body.as_bytes()).unwrap().summary();
    assert_eq!(
        (
            claimed.nickname.as_str(),
            claimed.kind.as_str(),
            claimed.native
        ),
        ("server", PI_KIND, true),
        "the claim is kept as the student's claim"
    );
    assert_eq!(claimed.origin, Origin::Student);
    assert!(!claimed.from_server());
    let mut with_origin: serde_json::Value = serde_json::from_str(&body).unwrap();
    with_origin["origin"] = "server".into();
    let refused = ShareRequest::parse(&serde_json::to_vec(&with_origin).unwrap()).unwrap_err();
    assert_eq!(
        refused.status(),
        400,
        "a share cannot say where it came from"
    );
    let ours = native_run(claimed_report(&body));
    assert!(ours.summary().from_server());
    let csv = String::from_utf8(csv(&[claimed, ours.summary()])).unwrap();
    let origins: Vec<&str> = csv.lines().map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(origins, ["origin", "student", "server"]);
}

fn claimed_report(body: &str) -> BenchmarkReport {
    ShareRequest::parse(body.as_bytes()).unwrap().report
}

fn run(id: u64, kind: &str, p50: f64, p95: f64) -> BoardRun {
    let mut r = ShareRequest::parse(&request("x", "1")).unwrap().summary();
    r.id = id;
    r.kind = kind.into();
    r.statistics.p50 = p50;
    r.statistics.p95 = p95;
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
    runs[1].warmup_runs = 0;
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
fn the_csv_has_a_row_per_run_and_defuses_every_cell() {
    let mut r = run(7, "Blink", 1.0, 2.0);
    r.nickname = "=HYPERLINK(\"x\")".into();
    // What a report may carry raw: a newline that would start a row of its
    // own, a tab before a formula.
    r.cross_origin_isolated = Some("true\n999,=cmd|' /C calc'!A0".into());
    r.device = "\t=1+1".into();
    let text = String::from_utf8(csv(&[r])).unwrap();
    assert!(text.starts_with("id,nickname,"), "{text}");
    assert!(
        text.contains("\n7,\"'=HYPERLINK(\"\"x\"\")\",my phone,Blink,'\t=1+1,"),
        "{text}"
    );
    assert!(
        text.contains(",\"true\n999,=cmd|' /C calc'!A0\","),
        "{text}"
    );
    assert_eq!(text.matches("\n7,").count(), 1);
}

#[test]
fn the_poll_carries_no_latencies() {
    let latencies = vec!["1.25"; 10_000].join(",");
    let run = ShareRequest::parse(&request("Ada", &latencies)).unwrap();
    let whole = serde_json::to_vec(&run).unwrap().len();
    let summary = serde_json::to_vec(&run.summary()).unwrap().len();
    assert!(
        summary * 10 < whole,
        "{summary} bytes for the poll, {whole} for the run"
    );
    assert_eq!(run.summary().statistics, run.report.statistics);
}

#[test]
fn the_json_export_is_what_the_labs_import_reads() {
    let runs: Vec<SharedRun> = (1..=2)
        .map(|id| {
            let mut r = ShareRequest::parse(&request("x", "1")).unwrap();
            r.id = id;
            r
        })
        .collect();
    let bytes = export_json(&runs);
    let back = crate::lab::session::import("class.json", &bytes, "x".into(), 0.0).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].name, "x · Chrome 156 (Blink) (my phone)");
    assert_eq!(back[0].report.raw_latencies, vec![1.0]);
}
