#![cfg(not(target_arch = "wasm32"))]
//! The class board over real HTTP on loopback: sharing and its limits, the
//! teacher code, hiding and removing, the exports, native runs joining the
//! board, a restart, and `kill -9` during a burst of shares.

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
    assert_eq!(run["report"]["statistics"]["p50"], 2.5);

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
    let (status, _, csv) = call(
        &s,
        A,
        "GET",
        &format!("/api/teacher/export.csv?teacher={code}"),
        &[],
        "",
    );
    assert_eq!(status, 200);
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
    while call(&s, A, "GET", &format!("/api/jobs/{id}"), &[], "").1["status"] != "finished" {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let (_, before, _) = call(&s, A, "GET", "/api/board", &[], "");
    let native = &before["runs"][1];
    assert_eq!(
        (native["nickname"].as_str(), native["native"].as_bool()),
        (Some("server"), Some(true))
    );
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
