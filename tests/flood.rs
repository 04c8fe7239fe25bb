#![cfg(not(target_arch = "wasm32"))]
//! One device's script against the rest of the class: a hostile client on
//! 127.0.0.2 floods `piedge serve` while a good one on 127.0.0.1 fetches
//! the lab and uses the API, and must see no error. Each flood is bounded
//! in count and time and stops by itself. The good client's latencies,
//! quiet and under each attack, are printed (`--nocapture`) for the README.

mod common;

use common::server::{connect_from, request_from, start_with, Server};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const GOOD: [u8; 4] = [127, 0, 0, 1];
const HOSTILE: [u8; 4] = [127, 0, 0, 2];
const FILES: [&str; 3] = ["/", "/lab-0123456789abcdef_bg.wasm", "/models/tinycnn.onnx"];

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::write(dir.path().join("index.html"), "<title>lab</title>").unwrap();
    std::fs::write(
        dir.path().join("lab-0123456789abcdef_bg.wasm"),
        vec![7u8; 200_000],
    )
    .unwrap();
    std::fs::write(dir.path().join("models/tinycnn.onnx"), b"onnx").unwrap();
    let s = start_with(dir.path(), &[]);
    (dir, s)
}

/// One request from `from` on a new connection: (status, headers, body).
fn request(
    from: [u8; 4],
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers: Vec<(&str, &str)> = token.map(|t| ("X-PiEdge-Token", t)).into_iter().collect();
    request_from(from, port, method, path, &headers, body)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The good client's work for `duration`: every file of the lab, and one
/// native job through the API to its end. Returns the file latencies (ms)
/// and the errors seen.
fn good_client(port: u16, duration: Duration) -> (Vec<f64>, Vec<String>) {
    let (mut latencies, mut errors) = (vec![], vec![]);
    let until = Instant::now() + duration;
    let (mut job, mut token, mut done) = (None, None, false);
    while Instant::now() < until {
        for path in FILES {
            let t0 = Instant::now();
            let (status, _, _) = request(GOOD, port, "GET", path, None, "");
            latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
            if status != 200 {
                errors.push(format!("GET {path}: {status}"));
            }
        }
        if token.is_none() {
            let (status, _, body) = request(GOOD, port, "GET", "/api/machine", None, "");
            token = json(&body)["token"].as_str().map(str::to_string);
            if status != 200 || token.is_none() {
                errors.push(format!("GET /api/machine: {status}"));
            }
        }
        match job {
            _ if done => {}
            None => {
                let body = r#"{"model":"tinycnn","warmup":1,"runs":20}"#;
                let (status, _, answer) =
                    request(GOOD, port, "POST", "/api/jobs", token.as_deref(), body);
                match json(&answer)["id"].as_u64() {
                    Some(id) if status == 202 => job = Some(id),
                    _ => errors.push(format!(
                        "POST /api/jobs: {status} {}",
                        String::from_utf8_lossy(&answer)
                    )),
                }
            }
            Some(id) => {
                let path = format!("/api/jobs/{id}");
                let (status, _, answer) = request(GOOD, port, "GET", &path, token.as_deref(), "");
                let answer = json(&answer);
                match answer["status"].as_str() {
                    Some("finished") => done = true,
                    Some("queued" | "running") => {}
                    _ => errors.push(format!("GET /api/jobs/{id}: {status} {answer}")),
                }
            }
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    if !done {
        errors.push(format!("the native job did not finish: {job:?}"));
    }
    (latencies, errors)
}

fn percentile(xs: &[f64], q: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q / 100.0).round() as usize]
}

fn report(what: &str, latencies: &[f64]) {
    println!(
        "good client, {what}: {} requests, p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        percentile(latencies, 50.0),
        percentile(latencies, 99.0)
    );
}

/// What the server wrote on standard error, once it has stopped.
fn log_of(mut s: Server) -> String {
    let _ = s.child.kill();
    let mut text = String::new();
    if let Some(mut err) = s.child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

#[test]
fn a_slow_header_flood_from_one_device_leaves_another_served() {
    let (_dir, s) = server();
    let (quiet, errors) = good_client(s.port, Duration::from_secs(3));
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(5)]);
    report("quiet", &quiet);

    // 300 connections that each send the first line of a request and no
    // more, renewed as the server closes them, for 6 s.
    let stop = AtomicBool::new(false);
    let port = s.port;
    let (under, errors, refused) = std::thread::scope(|scope| {
        let flood = scope.spawn(|| {
            let mut open = Vec::new();
            let mut refused = 0;
            while !stop.load(Ordering::Relaxed) {
                open.retain_mut(|c: &mut std::net::TcpStream| {
                    let mut b = [0u8; 64];
                    match c.read(&mut b) {
                        Ok(0) => false,
                        Ok(n) => {
                            refused += usize::from(b[..n].starts_with(b"HTTP/1.1 429"));
                            false
                        }
                        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                    }
                });
                while open.len() < 300 {
                    let Ok(mut c) = connect_from(HOSTILE, port) else {
                        break;
                    };
                    let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
                    let _ = c.set_nonblocking(true);
                    open.push(c);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            refused
        });
        std::thread::sleep(Duration::from_millis(500));
        let (under, errors) = good_client(port, Duration::from_secs(5));
        stop.store(true, Ordering::Relaxed);
        (under, errors, flood.join().unwrap())
    });
    assert!(
        errors.is_empty(),
        "the good client saw {} errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        refused > 100,
        "the flood met the per-client cap ({refused} refusals)"
    );
    report("under a slow-header flood of 300 connections", &under);
    let log = log_of(s);
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("127.0.0.2 holds 16 connections"))
        .collect();
    assert_eq!(lines.len(), 1, "the client is named once:\n{log}");
}

#[test]
fn an_api_flood_from_one_device_gets_429_and_another_device_is_served() {
    let (_dir, s) = server();
    let port = s.port;
    let (under, errors, statuses) = std::thread::scope(|scope| {
        let flood = scope.spawn(|| {
            // Thousands of keep-alive API requests on one connection, as
            // fast as the server answers, for 4 s.
            let mut c = connect_from(HOSTILE, port).unwrap();
            let mut reader = BufReader::new(c.try_clone().unwrap());
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            let mut retry_after = None;
            let until = Instant::now() + Duration::from_secs(4);
            while Instant::now() < until {
                if c.write_all(b"GET /api/machine HTTP/1.1\r\nHost: x\r\n\r\n")
                    .is_err()
                {
                    break;
                }
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                let mut length = 0;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end().to_ascii_lowercase();
                    if h.is_empty() {
                        break;
                    }
                    if let Some(v) = h.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if let Some(v) = h.strip_prefix("retry-after:") {
                        retry_after = Some(v.trim().to_string());
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if status == 429 {
                    assert_eq!(json(&body)["error"], "too_many_requests");
                }
                *statuses.entry(status).or_default() += 1;
            }
            assert_eq!(
                retry_after.as_deref(),
                Some("1"),
                "429 says when to come back"
            );
            statuses
        });
        std::thread::sleep(Duration::from_millis(300));
        let (under, errors) = good_client(port, Duration::from_secs(3));
        (under, errors, flood.join().unwrap())
    });
    assert!(
        errors.is_empty(),
        "the good client saw {} errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        statuses.get(&429).copied().unwrap_or(0) > 100,
        "{statuses:?}"
    );
    assert!(
        statuses.get(&200).copied().unwrap_or(0) >= 30,
        "its burst was answered: {statuses:?}"
    );
    println!("hostile client's answers: {statuses:?}");
    report("under an API flood on one keep-alive connection", &under);
    let log = log_of(s);
    let named = log
        .lines()
        .filter(|l| l.contains("127.0.0.2 sends more than"))
        .count();
    assert_eq!(
        named, 1,
        "the client is named once, not per request:\n{log}"
    );
}

#[test]
fn one_device_cannot_fill_the_queue_or_make_the_server_forget_the_class() {
    let (_dir, s) = server();
    let port = s.port;
    let token = |from| {
        let (status, _, body) = request(from, port, "GET", "/api/machine", None, "");
        assert_eq!(status, 200);
        json(&body)["token"].as_str().unwrap().to_string()
    };
    let classmate = token(GOOD);
    // More tokens than one address keeps: its own oldest are forgotten.
    let mut hostile = vec![];
    for n in 0..40 {
        if n >= 25 {
            std::thread::sleep(Duration::from_millis(110));
        }
        hostile.push(token(HOSTILE));
    }
    let submit = |from, token: &str| {
        // Within the API's rate for one client.
        std::thread::sleep(Duration::from_millis(150));
        let body = r#"{"model":"mobilenetv2","warmup":0,"runs":10000}"#;
        let (status, _, answer) = request(from, port, "POST", "/api/jobs", Some(token), body);
        (
            status,
            json(&answer)["error"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        submit(HOSTILE, &hostile[0]),
        (401, "no_token".into()),
        "its oldest token is gone"
    );
    for t in &hostile[36..40] {
        assert_eq!(submit(HOSTILE, t).0, 202);
    }
    assert_eq!(
        submit(HOSTILE, &hostile[35]),
        (429, "too_many_from_address".into()),
        "one device holds at most 4 jobs"
    );
    assert_eq!(
        submit(GOOD, &classmate).0,
        202,
        "the class's tokens and queue are intact"
    );
}
