#![cfg(not(target_arch = "wasm32"))]
//! The classroom API of `piedge serve` over real HTTP on loopback: tokens,
//! refusals with their messages, the queue's order, one job per tab,
//! cancelling, jobs only their own tab (or the teacher) can read, and
//! native runs that come back as whole reports.

mod common;

use common::server::{raw, request_from, start_with, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn server(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<title>lab</title>").unwrap();
    let server = start_with(dir.path(), extra);
    (dir, server)
}

/// One API call: (status, JSON body).
fn call(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend(token.map(|t| ("X-PiEdge-Token", t)));
    let (status, _, bytes) = request_from([127, 0, 0, 1], port, method, path, &headers, body);
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "{method} {path}: not JSON: {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, json)
}

fn token(port: u16) -> String {
    let (status, machine) = call(port, "GET", "/api/machine", None, "");
    assert_eq!(status, 200);
    machine["token"]
        .as_str()
        .expect("a new tab gets a token")
        .to_string()
}

fn submit(port: u16, token: &str, job: &str) -> (u16, Value) {
    call(port, "POST", "/api/jobs", Some(token), job)
}

/// Job `id`'s status, as the tab with `token` reads it.
fn status(port: u16, token: &str, id: u64) -> Value {
    call(port, "GET", &format!("/api/jobs/{id}"), Some(token), "").1
}

/// Polls until job `id` (of the tab with `token`) is in `wanted` (or
/// ended), within 60 s.
fn wait_for(port: u16, token: &str, id: u64, wanted: &[&str]) -> Value {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let s = status(port, token, id);
        let now = s["status"].as_str().unwrap().to_string();
        if wanted.contains(&now.as_str()) {
            return s;
        }
        assert!(
            !matches!(now.as_str(), "finished" | "failed" | "cancelled"),
            "job {id} ended as {s} while waiting for {wanted:?}"
        );
        assert!(Instant::now() < until, "job {id} stuck at {s}");
        // Slower than the API's 10 calls a second for one client.
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn the_machine_gives_a_tab_its_token_and_names_what_it_runs() {
    let (_dir, s) = server(&[]);
    let (status, machine) = call(s.port, "GET", "/api/machine", None, "");
    assert_eq!(status, 200);
    let t = machine["token"].as_str().unwrap();
    assert_eq!(t.len(), 32, "128 random bits in hex");
    assert_eq!(
        machine["models"],
        serde_json::json!(["tinycnn", "mobilenetv2"])
    );
    assert_eq!(machine["max_runs"], 10_000);
    assert_eq!(machine["concurrent_runs"], 1);
    assert!(machine["label"]
        .as_str()
        .unwrap()
        .ends_with("native, 1 thread"));
    assert_eq!(machine["system"]["runtime"], "native");
    let (_, again) = call(s.port, "GET", "/api/machine", Some(t), "");
    assert!(
        again["token"].is_null(),
        "a known token is kept, not replaced"
    );
    assert_ne!(token(s.port), t, "each tab gets its own");
}

#[test]
fn bad_requests_are_refused_each_with_its_own_message() {
    let (_dir, s) = server(&[]);
    let t = token(s.port);
    let job = r#"{"model":"tinycnn","warmup":1,"runs":5}"#;
    // (method, path, token, body, status, error code)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, &'a str);
    let cases: [Case; 11] = [
        ("POST", "/api/jobs", None, job, 401, "no_token"),
        ("POST", "/api/jobs", Some("forged"), job, 401, "no_token"),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            "{\"model\":",
            400,
            "bad_json",
        ),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            r#"{"model":"tinycnn","runs":5}"#,
            400,
            "bad_json",
        ),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            r#"{"model":"resnet50","warmup":1,"runs":5}"#,
            400,
            "unknown_model",
        ),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            r#"{"model":"tinycnn","warmup":1,"runs":0}"#,
            400,
            "runs_out_of_range",
        ),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            r#"{"model":"tinycnn","warmup":1,"runs":10001}"#,
            400,
            "runs_out_of_range",
        ),
        (
            "POST",
            "/api/jobs",
            Some(&t),
            r#"{"model":"tinycnn","warmup":5000,"runs":5}"#,
            400,
            "warmup_out_of_range",
        ),
        ("GET", "/api/jobs/999", Some(&t), "", 404, "unknown_job"),
        ("GET", "/api/jobs/x/events", None, "", 404, "unknown_job"),
        ("GET", "/api/teacher", None, "", 404, "no_such_call"),
    ];
    for (method, path, token, body, code, error) in cases {
        let (status, json) = call(s.port, method, path, token, body);
        assert_eq!(
            (status, json["error"].as_str()),
            (code, Some(error)),
            "{method} {path} {body}"
        );
        assert!(json["message"].as_str().unwrap().len() > 20, "{json}");
    }
    // A body over the limit is refused before it is read.
    let big = format!(r#"{{"model":"{}"}}"#, "x".repeat(5000));
    let (status, _, _) = raw(
        s.port,
        &format!(
            "POST /api/jobs HTTP/1.1\r\nHost: x\r\nX-PiEdge-Token: {t}\r\nContent-Length: {}\r\n\r\n{big}",
            big.len()
        ),
    );
    assert_eq!(status, 413);
    // Bodies are still refused everywhere else.
    let (status, _, _) = raw(
        s.port,
        "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(status, 413);
}

#[test]
fn jobs_run_one_at_a_time_in_order_one_per_tab_and_can_be_cancelled() {
    let (_dir, s) = server(&[]);
    let (a, b, c) = (token(s.port), token(s.port), token(s.port));
    // A long job first, so that the others have to wait behind it.
    let (code, first) = submit(
        s.port,
        &a,
        r#"{"model":"mobilenetv2","warmup":2,"runs":1500}"#,
    );
    assert_eq!(code, 202);
    let first = first["id"].as_u64().unwrap();
    wait_for(s.port, &a, first, &["running"]);
    let (code, again) = submit(s.port, &a, r#"{"model":"tinycnn","warmup":0,"runs":5}"#);
    assert_eq!(
        (code, again["error"].as_str()),
        (409, Some("already_queued"))
    );
    let (_, second) = submit(s.port, &b, r#"{"model":"tinycnn","warmup":3,"runs":200}"#);
    let (_, third) = submit(s.port, &c, r#"{"model":"tinycnn","warmup":0,"runs":5}"#);
    assert_eq!(
        (second["position"].as_u64(), third["position"].as_u64()),
        (Some(1), Some(2))
    );
    let (second, third) = (
        second["id"].as_u64().unwrap(),
        third["id"].as_u64().unwrap(),
    );
    assert_eq!(status(s.port, &c, third)["position"], 2);

    // Only its owner can cancel a job; a waiting one leaves the queue.
    let (code, refused) = call(
        s.port,
        "DELETE",
        &format!("/api/jobs/{third}"),
        Some(&b),
        "",
    );
    assert_eq!(
        (code, refused["error"].as_str()),
        (403, Some("not_your_job"))
    );
    let (code, cancelled) = call(
        s.port,
        "DELETE",
        &format!("/api/jobs/{third}"),
        Some(&c),
        "",
    );
    assert_eq!(
        (code, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    assert_eq!(
        status(s.port, &a, first)["status"],
        "running",
        "the first job runs on"
    );
    assert_eq!(status(s.port, &b, second)["status"], "queued");

    // The second starts only after the first has finished.
    let events = follow(s.port, &b, second);
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&"queued"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"finished"), "{statuses:?}");
    let first_done = status(s.port, &a, first);
    assert_eq!(first_done["status"], "finished");
    for report in [&first_done["report"], &events.last().unwrap()["report"]] {
        let extra = &report["system_info"]["extra"];
        assert_eq!(extra["server_other_jobs_max"], "0", "one job at a time");
        assert_eq!(extra["server_concurrent_runs"], "1");
        assert!(extra["server_requests_during_job"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok());
        assert!(report["host"]
            .as_str()
            .unwrap()
            .ends_with("native, 1 thread"));
    }
    let report = &events.last().unwrap()["report"];
    assert_eq!(report["raw_latencies"].as_array().unwrap().len(), 200);
    assert_eq!(report["warmup_latencies"].as_array().unwrap().len(), 3);
    assert_eq!(report["benchmark_config"]["model_path"], "tinycnn.onnx");
    let p50 = report["statistics"]["p50"].as_f64().unwrap();
    let mut sorted: Vec<f64> = report["raw_latencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[99] + sorted[100]) / 2.0;
    assert!(
        (p50 - median).abs() < 1e-12,
        "statistics of the runs it sent: {p50} vs {median}"
    );

    // A running job stops when its owner cancels it, and the tab may queue again.
    let (_, long) = submit(
        s.port,
        &b,
        r#"{"model":"mobilenetv2","warmup":0,"runs":10000}"#,
    );
    let long = long["id"].as_u64().unwrap();
    wait_for(s.port, &b, long, &["running"]);
    call(s.port, "DELETE", &format!("/api/jobs/{long}"), Some(&b), "");
    let ended = wait_for(s.port, &b, long, &["cancelled"]);
    assert_eq!(ended["status"], "cancelled");
    assert_eq!(
        submit(s.port, &b, r#"{"model":"tinycnn","warmup":0,"runs":5}"#).0,
        202
    );
}

#[test]
fn a_job_is_read_only_by_its_own_tab_or_the_teacher_and_its_id_is_not_counted() {
    let (_dir, s) = server(&[]);
    let (a, b) = (token(s.port), token(s.port));
    let job = r#"{"model":"tinycnn","warmup":0,"runs":5}"#;
    let first = submit(s.port, &a, job).1["id"].as_u64().unwrap();
    let second = submit(s.port, &b, job).1["id"].as_u64().unwrap();
    assert!(
        first.abs_diff(second) > 1000 && first.max(second) < 1 << 53,
        "random ids a JavaScript number holds: {first}, {second}"
    );
    let read = |path: String, token: Option<&str>| {
        let (status, json) = call(s.port, "GET", &path, token, "");
        (status, json["error"].as_str().unwrap_or("").to_string())
    };
    let path = format!("/api/jobs/{first}");
    assert_eq!(read(path.clone(), None), (401, "no_token".into()));
    assert_eq!(read(path.clone(), Some(&b)), (403, "not_your_job".into()));
    assert_eq!(read(path.clone(), Some(&a)).0, 200);
    let events = format!("/api/jobs/{first}/events");
    assert_eq!(read(events.clone(), None), (401, "no_token".into()));
    assert_eq!(
        read(format!("{events}?token={b}"), None),
        (403, "not_your_job".into())
    );
    // The teacher (with the code piedge serve printed) sees every job.
    let code = teacher_code(s.data.path());
    let (status, seen) = call_with(s.port, &path, &[("X-PiEdge-Teacher", &code)]);
    assert_eq!((status, seen["id"].as_u64()), (200, Some(first)));
    assert_eq!(
        follow(s.port, &a, first).last().unwrap()["status"],
        "finished"
    );
}

/// A GET with `headers`: (status, JSON body).
fn call_with(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let (status, _, bytes) = request_from([127, 0, 0, 1], port, "GET", path, headers, "");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The teacher code `piedge serve` keeps under its data folder (the tests'
/// `XDG_DATA_HOME`).
fn teacher_code(data: &std::path::Path) -> String {
    let db = rusqlite::Connection::open(data.join("piedge/classroom.sqlite")).unwrap();
    db.query_row(
        "SELECT value FROM settings WHERE key = 'teacher_code'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn concurrent_runs_let_a_class_see_jobs_disturb_each_other() {
    let (_dir, s) = server(&["--concurrent-runs", "2"]);
    let (a, b) = (token(s.port), token(s.port));
    let job = r#"{"model":"mobilenetv2","warmup":0,"runs":400}"#;
    let first = submit(s.port, &a, job).1["id"].as_u64().unwrap();
    let second = submit(s.port, &b, job).1["id"].as_u64().unwrap();
    for (t, id) in [(&a, first), (&b, second)] {
        let done = wait_for(s.port, t, id, &["finished"]);
        let extra = &done["report"]["system_info"]["extra"];
        assert_eq!(
            extra["server_other_jobs_max"], "1",
            "the two ran side by side"
        );
        assert_eq!(extra["server_concurrent_runs"], "2");
    }
}

/// Reads a job's server-sent events until its last one, as the lab's
/// `EventSource` asks for them (the tab's token in the query).
fn follow(port: u16, token: &str, id: u64) -> Vec<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET /api/jobs/{id}/events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut events = Vec::new();
    for line in BufReader::new(stream).lines() {
        let line = line.unwrap();
        if let Some(data) = line.strip_prefix("data: ") {
            let event: Value = serde_json::from_str(data).unwrap();
            let done = matches!(
                event["status"].as_str(),
                Some("finished" | "failed" | "cancelled")
            );
            events.push(event);
            if done {
                break;
            }
        }
    }
    events
}
