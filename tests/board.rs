#![cfg(not(target_arch = "wasm32"))]
//! The class board over real HTTP on loopback: sharing and its limits, the
//! teacher code, hiding and removing, the exports, native runs joining the
//! board, a restart, and `kill -9` during a burst of shares; and what one
//! student's crafted shares must not do: take the server down, keep its
//! cores busy, swell every board poll, inject the teacher's spreadsheet,
//! pass as the server's own run.

mod common;

use common::server::{request_from, start_with, Server};
use serde_json::Value;
use std::process::Command;

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<title>lab</title>").unwrap();
    dir
}

fn serve(site: &std::path::Path, data: &std::path::Path) -> Server {
    start_with(site, &["--data-dir", data.to_str().unwrap()])
}

/// One call from `from`: (status, JSON or text body).
fn call(
    s: &Server,
    from: [u8; 4],
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value, String) {
    let (status, _, bytes) = request_from(from, s.port, method, path, headers, body);
    let text = String::from_utf8_lossy(&bytes).to_string();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

fn token(s: &Server, from: [u8; 4]) -> String {
    let (_, m, _) = call(s, from, "GET", "/api/machine", &[], "");
    m["token"].as_str().unwrap().to_string()
}

/// The teacher code `piedge serve` keeps in its database (and printed).
fn teacher_code(data: &std::path::Path) -> String {
    let db = rusqlite::Connection::open(data.join("classroom.sqlite")).unwrap();
    db.query_row(
        "SELECT value FROM settings WHERE key = 'teacher_code'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn share_body(nickname: &str, latencies: &[f64]) -> String {
    serde_json::json!({
        "nickname": nickname,
        "label": "laptop",
        "report": {
            "raw_latencies": latencies,
            "system_info": {"platform": "Linux (browser)", "device": "Browser: Firefox 153 (Gecko)",
                "cpu_model": null, "arch": "wasm32", "os": "Linux", "cpu_count": 4, "memory_gb": null,
                "cpu_governor": null, "piedge_version": "0.1.0", "runtime": "browser (x)",
                "extra": {"browser": "Firefox 153 (Gecko)", "cross_origin_isolated": "true"}},
            "benchmark_config": {"model_path": "tinycnn.onnx", "warmup_runs": 3,
                "benchmark_runs": latencies.len(), "batch_size": 1}
        }
    })
    .to_string()
}

/// The teacher's CSV export, as the export link fetches it.
fn export_csv(s: &Server, code: &str) -> String {
    let path = format!("/api/teacher/export.csv?teacher={code}");
    let (status, _, csv) = call(s, A, "GET", &path, &[], "");
    assert_eq!(status, 200, "{csv}");
    csv
}

fn share(s: &Server, from: [u8; 4], token: &str, body: &str) -> (u16, Value) {
    let (status, json, _) = call(
        s,
        from,
        "POST",
        "/api/shared",
        &[("X-PiEdge-Token", token)],
        body,
    );
    (status, json)
}

const A: [u8; 4] = [127, 0, 0, 1];

/// [`call`] that gives `None` instead of failing when the server is gone
/// (the kill test's clients).
fn try_call(
    port: u16,
    from: [u8; 4],
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let mut c = common::server::connect_from(from, port).ok()?;
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-PiEdge-Token: {token}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

#[test]
fn students_share_the_teacher_runs_the_board_and_exports_it() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let t = token(&s, A);
    let (status, ok) = share(&s, A, &t, &share_body("Ada", &[1.0, 2.0, 3.0, 4.0]));
    assert_eq!(status, 201, "{ok}");
    let id = ok["id"].as_u64().unwrap();

    // Refusals, each with its own message.
    let cases = [
        (
            share(&s, A, "forged", &share_body("Ada", &[1.0])),
            401,
            "no_token",
        ),
        (
            share(&s, A, &t, &share_body("", &[1.0])),
            400,
            "bad_nickname",
        ),
        (share(&s, A, &t, &share_body("Ada", &[])), 400, "bad_report"),
        (
            share(&s, A, &t, &share_body("Ada", &[1.0, 1e300])),
            400,
            "latency_out_of_range",
        ),
        (share(&s, A, &t, "{\"nickname\":"), 400, "bad_json"),
    ];
    for ((status, json), want_status, want) in cases {
        assert_eq!(
            (status, json["error"].as_str()),
            (want_status, Some(want)),
            "{json}"
        );
    }

    // The board recomputes nothing the client claimed and shows the run.
    let (_, board, _) = call(&s, A, "GET", "/api/board", &[], "");
    assert_eq!(
        board["session"].as_str().unwrap().len(),
        "2026-12-02".len(),
        "named by its day"
    );
    let run = &board["runs"][0];
    assert_eq!(
        (run["id"].as_u64(), run["kind"].as_str()),
        (Some(id), Some("Gecko"))
    );
    assert_eq!(run["statistics"]["p50"], 2.5);
    assert!(run.get("report").is_none(), "the poll carries no latencies");
    let (_, whole, _) = call(&s, A, "GET", &format!("/api/board/runs/{id}"), &[], "");
    assert_eq!(
        whole["report"]["raw_latencies"],
        serde_json::json!([1.0, 2.0, 3.0, 4.0])
    );

    // Teacher calls need the code.
    let code = teacher_code(data.path());
    let teacher = [("X-PiEdge-Teacher", code.as_str())];
    let hide = format!("/api/teacher/runs/{id}/hide");
    assert_eq!(
        call(&s, A, "POST", &hide, &[], "{\"on\":true}").1["error"],
        "bad_teacher_code"
    );
    assert_eq!(
        call(
            &s,
            A,
            "POST",
            &hide,
            &[("X-PiEdge-Teacher", "WRONG")],
            "{\"on\":true}"
        )
        .0,
        403
    );
    assert_eq!(call(&s, A, "POST", &hide, &teacher, "{\"on\":true}").0, 200);
    assert_eq!(
        call(&s, A, "GET", "/api/board", &[], "").1["runs"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let (_, all, _) = call(&s, A, "GET", "/api/board", &teacher, "");
    assert_eq!(all["runs"][0]["hidden"], true, "the teacher still sees it");
    call(&s, A, "POST", &hide, &teacher, "{\"on\":false}");

    // A second student; the CSV has a row per run, matching the board.
    let b = [127, 0, 0, 2];
    let tb = token(&s, b);
    assert_eq!(
        share(&s, b, &tb, &share_body("Bo, \"the fast\"", &[0.5, 0.7])).0,
        201
    );
    let csv = export_csv(&s, &code);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let p50 = header.iter().position(|h| *h == "p50_ms").unwrap();
    assert_eq!(rows[1].split(',').nth(p50), Some("2.500"));
    assert!(rows[2].contains("\"Bo, \"\"the fast\"\"\""), "{}", rows[2]);
    let (_, export, _) = call(&s, A, "GET", "/api/teacher/export.json", &teacher, "");
    assert_eq!(
        export["runs"].as_array().unwrap().len(),
        2,
        "in the lab's import format"
    );
    assert_eq!(
        export["runs"][1]["report"]["raw_latencies"],
        serde_json::json!([0.5, 0.7])
    );

    // Locked sharing, removal, and a new session.
    call(
        &s,
        A,
        "POST",
        "/api/teacher/lock",
        &teacher,
        "{\"on\":true}",
    );
    assert_eq!(
        share(&s, A, &t, &share_body("Ada", &[1.0])).1["error"],
        "sharing_locked"
    );
    call(
        &s,
        A,
        "POST",
        "/api/teacher/lock",
        &teacher,
        "{\"on\":false}",
    );
    assert_eq!(
        call(
            &s,
            A,
            "DELETE",
            &format!("/api/teacher/runs/{id}"),
            &teacher,
            ""
        )
        .0,
        200
    );
    assert_eq!(
        call(&s, A, "DELETE", "/api/teacher/runs/999", &teacher, "").1["error"],
        "unknown_run"
    );
    call(
        &s,
        A,
        "POST",
        "/api/teacher/release",
        &teacher,
        "{\"on\":true}",
    );
    assert_eq!(
        call(&s, A, "GET", "/api/board", &[], "").1["released"],
        true
    );
    call(
        &s,
        A,
        "POST",
        "/api/teacher/session",
        &teacher,
        "{\"name\":\"2B, Tuesday\"}",
    );
    let (_, fresh, _) = call(&s, A, "GET", "/api/board", &[], "");
    assert_eq!(
        (
            fresh["session"].as_str(),
            fresh["runs"].as_array().map(Vec::len)
        ),
        (Some("2B, Tuesday"), Some(0))
    );
}

#[test]
fn a_tab_shares_at_most_six_runs_a_minute() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let t = token(&s, A);
    for n in 0..6 {
        assert_eq!(
            share(&s, A, &t, &share_body(&format!("Ada {n}"), &[1.0])).0,
            201
        );
    }
    let (status, refused) = share(&s, A, &t, &share_body("Ada", &[1.0]));
    assert_eq!(
        (status, refused["error"].as_str()),
        (429, Some("too_many_shares"))
    );
}

#[test]
fn a_native_run_joins_the_board_and_everything_survives_a_restart() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let t = token(&s, A);
    share(&s, A, &t, &share_body("Ada", &[1.0, 2.0]));
    let job = r#"{"model":"tinycnn","warmup":1,"runs":10}"#;
    let (_, accepted, _) = call(&s, A, "POST", "/api/jobs", &[("X-PiEdge-Token", &t)], job);
    let id = accepted["id"].as_u64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let own = [("X-PiEdge-Token", t.as_str())];
    while call(&s, A, "GET", &format!("/api/jobs/{id}"), &own, "").1["status"] != "finished" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let (_, before, _) = call(&s, A, "GET", "/api/board", &[], "");
    let native = &before["runs"][1];
    assert_eq!(
        (
            native["nickname"].as_str(),
            native["native"].as_bool(),
            native["origin"].as_str()
        ),
        (Some("server"), Some(true), Some("server"))
    );
    assert_eq!(before["runs"][0]["origin"], "student");
    assert!(native["device"].as_str().unwrap().len() > 2);
    drop(s);
    let s = serve(site.path(), data.path());
    let (_, after, _) = call(&s, A, "GET", "/api/board", &[], "");
    assert_eq!(after, before, "the board is the same after a restart");
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed_mid_burst() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let mut s = serve(site.path(), data.path());
    let pid = s.child.id().to_string();
    // Twelve students (their own addresses and tabs) share as fast as the
    // server acknowledges; the process is killed (SIGKILL) meanwhile.
    let acked = std::sync::Mutex::new(Vec::<u64>::new());
    std::thread::scope(|scope| {
        for n in 0..12u8 {
            let acked = &acked;
            let s = &s;
            scope.spawn(move || {
                let from = [127, 0, 1, n + 1];
                let mut t = String::new();
                // 20 shares from each address (its limit a minute), a new
                // tab every 5 (a tab's limit is 6).
                for i in 0..20 {
                    if i % 5 == 0 {
                        let Some((_, m)) = try_call(s.port, from, "GET", "/api/machine", "", "")
                        else {
                            return;
                        };
                        t = m["token"].as_str().unwrap_or_default().to_string();
                    }
                    let body = share_body(&format!("s{n}-{i}"), &vec![1.5; 1000]);
                    let Some((status, json)) =
                        try_call(s.port, from, "POST", "/api/shared", &t, &body)
                    else {
                        return;
                    };
                    if status == 201 {
                        acked.lock().unwrap().push(json["id"].as_u64().unwrap());
                    }
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
        assert!(killed.success());
    });
    s.child.wait().unwrap();
    let acked = acked.into_inner().unwrap();
    assert!(
        !acked.is_empty(),
        "some shares were acknowledged before the kill"
    );
    let s = serve(site.path(), data.path());
    let (_, board, _) = call(&s, A, "GET", "/api/board", &[], "");
    let kept: Vec<u64> = board["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    for id in &acked {
        assert!(kept.contains(id), "acknowledged run {id} was lost");
    }
    drop(s);
    let db = rusqlite::Connection::open(data.path().join("classroom.sqlite")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    println!(
        "kill -9 mid-burst: {} acknowledged, {} kept, integrity {check}",
        acked.len(),
        kept.len()
    );
}

// --- What one student's shares must not do ----------------------------------

use common::shares;
use serde_json::json;
use std::time::{Duration, Instant};

/// Students enough for many shares within the quotas: a new tab every 5
/// shares (a tab may share 6 a minute), a new address every 20 (an address
/// may share 20), the addresses `127.<net>.x.y`.
struct Class<'a> {
    s: &'a Server,
    net: u8,
    sent: usize,
    from: [u8; 4],
    token: String,
}

impl<'a> Class<'a> {
    fn new(s: &'a Server, net: u8) -> Class<'a> {
        Class {
            s,
            net,
            sent: 0,
            from: A,
            token: String::new(),
        }
    }

    fn share(&mut self, body: &str) -> (u16, Value) {
        if self.sent.is_multiple_of(20) {
            let n = self.sent / 20;
            self.from = [127, self.net, (n / 250) as u8, (n % 250 + 1) as u8];
        }
        if self.sent.is_multiple_of(5) {
            self.token = token(self.s, self.from);
        }
        self.sent += 1;
        share(self.s, self.from, &self.token, body)
    }
}

/// The lab's page, as a device fetches it: the server is still serving,
/// the same process.
fn serves_the_lab(s: &Server) {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", s.child.id())).unwrap();
    let state = stat[stat.rfind(')').unwrap() + 2..].chars().next();
    assert_ne!(state, Some('Z'), "the server process has ended");
    let (status, _, body) = request_from(A, s.port, "GET", "/", &[], "");
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (200, "<title>lab</title>")
    );
}

#[test]
fn no_crafted_share_takes_the_class_down() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let report = shares::report();
    let mut class = Class::new(&s, 10);
    // The finding: 2^44 bootstrap resamples aborted the server (it asked
    // for 128 TiB), 2^60 overflowed a capacity and panicked.
    for resamples in [1u64 << 44, 1 << 60] {
        let crafted = shares::with(&report, "statistics.bootstrap_resamples", json!(resamples));
        let (status, answer) = class.share(&shares::body("Eve", &crafted));
        assert_eq!(status, 201, "{answer}");
        let id = answer["id"].as_u64().unwrap();
        let (_, run, _) = call(&s, A, "GET", &format!("/api/board/runs/{id}"), &[], "");
        assert_eq!(
            run["report"]["statistics"]["bootstrap_resamples"],
            piedge::limits::SHARE_BOOTSTRAP_RESAMPLES,
            "recomputed with the server's own count"
        );
    }
    serves_the_lab(&s);
    // Every number a report carries, set to numbers no report holds.
    let paths = shares::numeric_paths(&report);
    assert!(
        paths.len() >= 40,
        "{} numeric fields: {paths:?}",
        paths.len()
    );
    let values = [
        json!(1u64 << 44),
        json!(1u64 << 60),
        json!(u64::MAX),
        json!(1e300),
        json!(-1),
        json!(0.5),
    ];
    let mut outcomes = std::collections::BTreeMap::<u16, usize>::new();
    for path in &paths {
        for value in &values {
            let crafted = shares::with(&report, path, value.clone());
            let (status, answer) = class.share(&shares::body("Eve", &crafted));
            assert!(
                matches!(status, 201 | 400),
                "{path} = {value}: {status} {answer}"
            );
            *outcomes.entry(status).or_default() += 1;
        }
    }
    serves_the_lab(&s);
    // The hostile corpus: each its own answer.
    for h in shares::corpus() {
        let (status, answer) = class.share(&h.body);
        assert_eq!(
            (status, answer["error"].as_str().unwrap_or("")),
            (h.status, h.error),
            "{}: {answer}",
            h.file
        );
    }
    serves_the_lab(&s);
    println!(
        "{} numeric fields x {} values: {outcomes:?} (201 kept, 400 refused); the lab still served",
        paths.len(),
        values.len()
    );
}

/// CPU seconds process `pid` has used (user and system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (USER_HZ, 100).
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// `n` latencies of a long run, as the lab would share them.
fn long_run(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 1.0 + ((i * 7919) % 1000) as f64 / 1000.0)
        .collect()
}

#[test]
fn heavy_shares_are_answered_and_then_the_cores_go_idle() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let pid = s.child.id();
    // 100 000 latencies and 2^20 bootstrap resamples each: before, these
    // kept both cores busy long after their 408s, and stored the runs.
    let heavy = shares::with(
        &shares::with(&shares::report(), "raw_latencies", json!(long_run(100_000))),
        "statistics.bootstrap_resamples",
        json!(1u64 << 20),
    );
    let body = shares::body("Eve", &heavy);
    let before = cpu_seconds(pid);
    let t0 = Instant::now();
    let answers: Vec<(u16, Value, Duration)> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..4u8)
            .map(|n| {
                let (s, body) = (&s, &body);
                scope.spawn(move || {
                    let from = [127, 0, 5, n + 1];
                    let t = token(s, from);
                    let (status, answer) = share(s, from, &t, body);
                    (status, answer, t0.elapsed())
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let answered = t0.elapsed();
    let used = cpu_seconds(pid) - before;
    for (status, answer, _) in &answers {
        // Kept, or (on a machine too slow to check four in 10 s) refused
        // with a reason and not kept.
        assert!(matches!(status, 201 | 503), "{status} {answer}");
    }
    let kept = answers.iter().filter(|a| a.0 == 201).count();
    assert!(kept >= 1, "{answers:?}");
    let (_, board, _) = call(&s, A, "GET", "/api/board", &[], "");
    assert_eq!(
        board["runs"].as_array().unwrap().len(),
        kept,
        "a refused share is not kept"
    );
    // Once answered, nothing goes on: within 2 s the server is idle.
    std::thread::sleep(Duration::from_millis(500));
    let from = cpu_seconds(pid);
    std::thread::sleep(Duration::from_millis(1500));
    let idle = cpu_seconds(pid) - from;
    assert!(
        idle < 0.3,
        "{idle:.2} CPU-seconds in the 1.5 s after the answers"
    );
    println!(
        "four heavy shares: {kept} kept, all answered in {:.1} s using {used:.1} CPU-seconds; \
         then {idle:.2} CPU-seconds in 1.5 s",
        answered.as_secs_f64()
    );
}

#[test]
fn the_board_poll_for_thirty_long_runs_is_under_a_hundredth_of_the_runs() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let long = shares::with(&shares::report(), "raw_latencies", json!(long_run(100_000)));
    let mut class = Class::new(&s, 11);
    let t0 = Instant::now();
    let ids: Vec<u64> = (0..30)
        .map(|n| {
            let (status, answer) = class.share(&shares::body(&format!("s{n}"), &long));
            assert_eq!(status, 201, "{answer}");
            answer["id"].as_u64().unwrap()
        })
        .collect();
    let shared_in = t0.elapsed();
    let bytes = |path: &str| request_from(A, s.port, "GET", path, &[], "").2.len();
    let poll = bytes("/api/board");
    // What the poll carried before: every run whole.
    let whole: usize = ids
        .iter()
        .map(|id| bytes(&format!("/api/board/runs/{id}")))
        .sum();
    println!(
        "board poll for 30 runs of 100 000 latencies: {poll} bytes; the runs whole: {whole} bytes \
         ({:.3} %); 30 shares took {:.1} s",
        100.0 * poll as f64 / whole as f64,
        shared_in.as_secs_f64()
    );
    assert!(poll * 100 <= whole, "{poll} of {whole} bytes");
}

#[test]
fn the_class_csv_opens_safely_in_a_spreadsheet() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let cells: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("tests/hostile/csv-cells.json")).unwrap(),
    )
    .unwrap();
    let mut class = Class::new(&s, 12);
    // Each hostile cell where a report carries text the server keeps raw.
    let fields = [
        "system_info.os",
        "system_info.extra.browser",
        "system_info.extra.cross_origin_isolated",
        "system_info.extra.timer_context",
        "benchmark_config.model_path",
        "benchmark_config.plan",
    ];
    for (i, cell) in cells.iter().enumerate() {
        let mut report = shares::report();
        for field in fields {
            report = shares::with(&report, field, json!(cell));
        }
        let mut body: Value =
            serde_json::from_str(&shares::body(&format!("n{i}"), &report)).unwrap();
        body["label"] = json!(cell.chars().take(40).collect::<String>());
        let (status, answer) = class.share(&body.to_string());
        assert_eq!(status, 201, "{cell:?}: {answer}");
    }
    let code = teacher_code(data.path());
    let csv = export_csv(&s, &code);
    // Python's csv module, as a notebook (or a spreadsheet's importer) reads it.
    let script = r#"
import csv, io, json, sys
rows = list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")))
def number(c):
    try:
        float(c)
        return True
    except ValueError:
        return False
bad = [c for r in rows for c in r
       if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not (c[:1] in "+-" and number(c))]
print(json.dumps({"widths": sorted({len(r) for r in rows}), "bad": bad, "rows": rows}))
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success());
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), cells.len() + 1, "a row per run and the header");
    assert_eq!(
        read["widths"].as_array().unwrap().len(),
        1,
        "one width: {}",
        read["widths"]
    );
    assert_eq!(read["bad"], json!([]), "cells a spreadsheet would run");
    // Each cell reads back as the student sent it, behind a ' where it
    // would have been a formula.
    let header: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let os = header.iter().position(|h| *h == "os").unwrap();
    let nick = header.iter().position(|h| *h == "nickname").unwrap();
    for row in &rows[1..] {
        let i: usize = row[nick].as_str().unwrap()[1..].parse().unwrap();
        let got = row[os].as_str().unwrap();
        let sent = &cells[i];
        assert!(
            got == sent || got == format!("'{sent}"),
            "{sent:?} came back as {got:?}"
        );
    }
    println!(
        "{} hostile cells in {} columns: every row {} cells wide, none a formula",
        cells.len(),
        fields.len() + 1,
        header.len()
    );
}

#[test]
fn a_locked_database_gives_a_quick_clear_answer_and_the_board_reads_on() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let s = serve(site.path(), data.path());
    let t = token(&s, A);
    assert_eq!(share(&s, A, &t, &share_body("Ada", &[1.0])).0, 201);
    // Another program (a teacher's sqlite3, a backup) holds the database
    // in a transaction.
    let other = rusqlite::Connection::open(data.path().join("classroom.sqlite")).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO settings VALUES ('other', 'x');")
        .unwrap();
    let (shared, polled) = std::thread::scope(|scope| {
        let sharing = scope.spawn(|| {
            let t0 = Instant::now();
            let answer = share(&s, A, &t, &share_body("Bo", &[1.0]));
            (answer, t0.elapsed())
        });
        // A board poll while the share waits for the lock.
        std::thread::sleep(Duration::from_millis(50));
        let t0 = Instant::now();
        let (status, _, _) = call(&s, A, "GET", "/api/board", &[], "");
        ((sharing.join().unwrap()), (status, t0.elapsed()))
    });
    let ((status, answer), share_took) = shared;
    assert_eq!(
        (status, answer["error"].as_str()),
        (503, Some("board_busy")),
        "{answer}"
    );
    assert!(
        share_took < Duration::from_secs(2),
        "refused after {share_took:?}"
    );
    assert_eq!(polled.0, 200);
    assert!(
        polled.1 < Duration::from_secs(1),
        "the poll took {:?}",
        polled.1
    );
    other.execute_batch("ROLLBACK;").unwrap();
    drop(other);
    assert_eq!(share(&s, A, &t, &share_body("Bo", &[1.0])).0, 201);
    println!(
        "with the database locked: a share refused (503) after {share_took:?}, a poll meanwhile \
         answered in {:?}",
        polled.1
    );
}

#[cfg(unix)]
#[test]
fn the_data_folder_is_private_and_the_teacher_code_can_be_changed() {
    use std::os::unix::fs::PermissionsExt;
    let (site, parent) = (site(), tempfile::tempdir().unwrap());
    let data = parent.path().join("data");
    let s = serve(site.path(), &data);
    // The address is printed before the database is opened.
    s.printed("teacher code").expect("the board is on");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("classroom.sqlite")), 0o600);
    let old = teacher_code(&data);
    drop(s);
    let s = start_with(
        site.path(),
        &["--data-dir", data.to_str().unwrap(), "--new-teacher-code"],
    );
    let line = s.printed("teacher code").unwrap();
    let new = teacher_code(&data);
    assert_ne!(new, old);
    assert!(line.contains(&new) && !line.contains(&old), "{line}");
    let lock = |code: &str| {
        call(
            &s,
            A,
            "POST",
            "/api/teacher/lock",
            &[("X-PiEdge-Teacher", code)],
            "{\"on\":false}",
        )
        .0
    };
    assert_eq!((lock(&old), lock(&new)), (403, 200));
}

#[test]
fn a_data_folder_the_server_cannot_write_leaves_the_lab_served_and_the_board_off() {
    let (site, parent) = (site(), tempfile::tempdir().unwrap());
    // A path under a file: no folder can be made there, by anyone.
    let blocked = parent.path().join("a-file");
    std::fs::write(&blocked, "").unwrap();
    let mut cases = vec![("a path under a file", blocked.join("data"), None)];
    // A read-only file system (a card mounted read-only), with a board
    // made earlier on it: where this test may mount one.
    let earlier = parent.path().join("earlier");
    drop(serve(site.path(), &earlier));
    if let Some(unshare) = read_only_mount(&earlier) {
        cases.push(("a read-only file system", earlier.clone(), Some(unshare)));
    }
    for (what, data, wrapper) in cases {
        let mut cmd = match &wrapper {
            Some(args) => {
                let mut c = Command::new(&args[0]);
                c.args(&args[1..]);
                c.arg(assert_cmd::cargo::cargo_bin("piedge"));
                c
            }
            None => Command::new(assert_cmd::cargo::cargo_bin("piedge")),
        };
        cmd.args(["serve", "--port", "0", "--dir"])
            .arg(site.path())
            .arg("--data-dir")
            .arg(&data);
        let s = common::server::spawn(cmd);
        let line = s.printed("Class board:").unwrap();
        assert!(line.contains("Class board: OFF"), "{what}: {line}");
        serves_the_lab(&s);
        let (status, answer, _) = call(&s, A, "GET", "/api/board", &[], "");
        assert_eq!(
            (status, answer["error"].as_str()),
            (503, Some("board_off")),
            "{what}: {answer}"
        );
        assert_eq!(call(&s, A, "GET", "/api/machine", &[], "").0, 200, "{what}");
        println!("{what}: {line}");
    }
}

/// A command prefix that runs a program with `dir` mounted read-only in a
/// mount namespace of its own (`unshare`, where this process may: root with
/// the capability), or `None`.
fn read_only_mount(dir: &std::path::Path) -> Option<Vec<String>> {
    let args = vec![
        "unshare".to_string(),
        "--mount".to_string(),
        "--propagation".to_string(),
        "private".to_string(),
        "sh".to_string(),
        "-c".to_string(),
        "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"".to_string(),
        dir.display().to_string(),
    ];
    let works = Command::new(&args[0])
        .args(&args[1..])
        .args(["true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        println!("(no read-only mount here: only the path under a file is tried)");
    }
    works.then_some(args)
}
