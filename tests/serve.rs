#![cfg(not(target_arch = "wasm32"))]
//! `piedge serve` over real HTTP on a loopback port: headers, MIME types,
//! precompressed files, revalidation, a 404, attempts to read outside the
//! bundle, the deadlines on slow clients, the log, and a handler's panic.

mod common;

use common::piedge;
use common::server::{raw, raw_from, spawn, start, start_with, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(port: u16, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n"),
    )
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("models")).unwrap();
    std::fs::write(dist.join("index.html"), "<!DOCTYPE html><title>lab</title>").unwrap();
    std::fs::write(dist.join("index.html.br"), b"brotli-bytes").unwrap();
    std::fs::write(dist.join("index.html.gz"), b"gzip-bytes").unwrap();
    std::fs::write(
        dist.join("lab-0123456789abcdef_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    std::fs::write(dist.join("worker.js"), "importScripts()").unwrap();
    std::fs::write(dist.join("worker_bg.wasm"), vec![7u8; 100_000]).unwrap();
    std::fs::write(dist.join("models/tinycnn.onnx"), b"onnx").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside the bundle").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), dist.join("link.txt")).unwrap();
    dir
}

#[test]
fn serves_the_bundle_with_isolation_types_and_compression() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));

    let (status, h, body) = get(server.port, "/", "Accept-Encoding: gzip, deflate, br\r\n");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&h, "content-encoding"), Some("br"));
    assert_eq!(body, b"brotli-bytes");
    assert_eq!(
        header(&h, "cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(
        header(&h, "cross-origin-embedder-policy"),
        Some("require-corp")
    );
    assert_eq!(
        header(&h, "cross-origin-resource-policy"),
        Some("same-origin")
    );
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert!(header(&h, "content-security-policy")
        .unwrap()
        .contains("'wasm-unsafe-eval'"));

    let (_, h, body) = get(server.port, "/index.html", "Accept-Encoding: gzip\r\n");
    assert_eq!(
        (header(&h, "content-encoding"), body.as_slice()),
        (Some("gzip"), &b"gzip-bytes"[..])
    );
    let (_, h, body) = get(server.port, "/index.html", "");
    assert_eq!(
        (header(&h, "content-encoding"), body.as_slice()),
        (None, &b"<!DOCTYPE html><title>lab</title>"[..])
    );

    let (status, h, _) = get(server.port, "/lab-0123456789abcdef_bg.wasm", "");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("application/wasm"));
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        header(&get(server.port, "/worker.js", "").1, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get(server.port, "/models/tinycnn.onnx", "").2, b"onnx");

    let (status, h, body) = raw(
        server.port,
        "HEAD /models/tinycnn.onnx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        (status, header(&h, "content-length"), body.len()),
        (200, Some("4"), 0)
    );
}

#[test]
fn a_reload_revalidates_the_unhashed_files_with_304() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    // The worker's 8 MB are sent once; a reload asks whether they changed.
    let (status, h, body) = get(server.port, "/worker_bg.wasm", "");
    assert_eq!((status, body.len()), (200, 100_000));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    let tag = header(&h, "etag").expect("an ETag").to_string();
    let (status, h, body) = get(
        server.port,
        "/worker_bg.wasm",
        &format!("If-None-Match: {tag}\r\n"),
    );
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(header(&h, "etag"), Some(tag.as_str()));
    assert_eq!(
        header(&h, "cross-origin-embedder-policy"),
        Some("require-corp")
    );
    // A rebuilt file is a new one.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(dir.path().join("dist/worker_bg.wasm"), vec![8u8; 100_000]).unwrap();
    let (status, _, body) = get(
        server.port,
        "/worker_bg.wasm",
        &format!("If-None-Match: {tag}\r\n"),
    );
    assert_eq!((status, body[0]), (200, 8));
    // The page itself, compressed, revalidates too.
    let (_, h, _) = get(server.port, "/", "Accept-Encoding: br\r\n");
    let tag = header(&h, "etag").unwrap().to_string();
    let conditional = format!("Accept-Encoding: br\r\nIf-None-Match: {tag}\r\n");
    assert_eq!(get(server.port, "/", &conditional).0, 304);
    // Hashed files are never asked about again.
    let (_, h, _) = get(server.port, "/lab-0123456789abcdef_bg.wasm", "");
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[test]
fn refuses_what_is_not_a_file_of_the_bundle() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    assert_eq!(get(server.port, "/missing.js", "").0, 404);
    for attempt in [
        "/../secret.txt",
        "/models/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%5csecret.txt",
        "//etc/passwd",
    ] {
        let (status, _, body) = get(server.port, attempt, "");
        assert!(status == 400 || status == 404, "{attempt}: {status}");
        assert!(
            !String::from_utf8_lossy(&body).contains("outside the bundle"),
            "{attempt}"
        );
    }
    // A link inside the bundle that points outside it is not followed.
    assert_eq!(get(server.port, "/link.txt", "").0, 404);
    // Read-only: no uploads, no other methods.
    let (status, h, _) = raw(
        server.port,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, header(&h, "allow")), (405, Some("GET, HEAD")));
    let (status, _, _) = raw(
        server.port,
        "PUT /x.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert!(status == 405 || status == 413, "{status}");
    assert!(!dir.path().join("dist/x.txt").exists());
}

#[test]
fn open_starts_the_default_browser_at_the_lab() {
    let dir = fixture();
    // The default browser is whatever $BROWSER names (as on any Linux
    // desktop): here a script that writes down the address it was given.
    let seen = dir.path().join("browser-saw.txt");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", seen.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("piedge"));
    cmd.args(["serve", "--port", "0", "--open", "--dir"])
        .arg(dir.path().join("dist"))
        .env("BROWSER", &browser);
    let server = spawn(cmd);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = std::fs::read_to_string(&seen).expect("the browser was started");
    assert_eq!(url.trim(), format!("http://127.0.0.1:{}/", server.port));
    assert_eq!(
        get(server.port, "/", "").0,
        200,
        "and the lab is served there"
    );
}

#[test]
fn a_taken_default_port_gives_way_to_a_free_one() {
    let dir = fixture();
    // Whoever holds 8080 (this test, or another server), it is taken.
    let _holder = std::net::TcpListener::bind(("127.0.0.1", 8080));
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("piedge"));
    cmd.args(["serve", "--dir"]).arg(dir.path().join("dist"));
    let server = spawn(cmd);
    assert_ne!(server.port, 8080);
    assert_eq!(get(server.port, "/", "").0, 200);
}

#[test]
fn no_arguments_means_serve_the_built_in_lab_and_open_it() {
    // A debug build carries no bundle, so this is the error a release
    // build without one gives too: it proves the mapping, and that a
    // double-clicked binary without a lab says what to do.
    if cfg!(debug_assertions) {
        piedge()
            .assert()
            .code(2)
            .stderr(predicates::str::contains("no web lab built in"));
    }
}

#[test]
fn without_a_built_lab_it_says_how_to_build_one() {
    let empty = tempfile::tempdir().unwrap();
    piedge()
        .args(["serve", "--port", "0", "--dir"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("scripts/build-web"));
    // A debug build carries no bundle.
    if cfg!(debug_assertions) {
        piedge()
            .args(["serve", "--port", "0"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("no web lab built in"));
    }
}

/// build.rs and scripts/bundle-stamp compute the sources' stamp the same
/// way, so a bundle scripts/build-web made from these sources is embedded
/// and one made from others is not.
#[test]
fn build_rs_and_build_web_agree_on_the_sources_stamp() {
    let python = Command::new("python3")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bundle-stamp"))
        .output()
        .expect("python3 runs scripts/bundle-stamp");
    assert!(python.status.success());
    let script = String::from_utf8(python.stdout).unwrap();
    let out = piedge().arg("bundle-stamp").output().unwrap();
    let built = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        built.lines().next(),
        Some(format!("sources {}", script.trim()).as_str()),
        "build.rs and scripts/bundle-stamp disagree (or the tree changed since the build)"
    );
}

#[test]
fn lan_mode_listens_everywhere_and_prints_the_addresses() {
    let dir = fixture();
    let bin = assert_cmd::cargo::cargo_bin("piedge");
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--lan", "--port", "0", "--dir"])
        .arg(dir.path().join("dist"))
        .env("XDG_DATA_HOME", data.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let stop = line.starts_with("Stop with Ctrl-C");
        printed.push(line);
        if stop {
            break;
        }
    }
    let server = Server {
        child,
        port: 0,
        data,
        banner: vec![],
        later: Default::default(),
    };
    let urls: Vec<&String> = printed
        .iter()
        .filter(|l| l.trim().starts_with("http://") || l.trim().starts_with("https://"))
        .collect();
    let local = urls
        .iter()
        .find(|u| u.contains("127.0.0.1"))
        .expect("the loopback address is listed");
    let port: u16 = local
        .trim()
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    // Bound to every interface, so loopback reaches it too.
    assert_eq!(get(port, "/", "").0, 200);
    // Students get https addresses (the machine's numbers first), with a
    // QR code.
    if urls.len() > 1 {
        assert!(urls[0].trim().starts_with("https://"), "{urls:?}");
        assert!(
            printed
                .iter()
                .any(|l| l.starts_with("Scan to open https://")),
            "{printed:?}"
        );
        assert!(
            printed
                .iter()
                .any(|l| l.contains('█') || l.contains('▀') || l.contains('▄')),
            "a QR code is drawn"
        );
    }
    drop(server);
}

/// Thirty devices, each from its own loopback address, as a class is spread
/// over devices (one address would meet the per-client connection cap).
#[test]
fn thirty_clients_at_once_all_get_whole_files() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let files: [(&str, &[u8]); 3] = [
        ("/", b"<!DOCTYPE html><title>lab</title>"),
        ("/lab-0123456789abcdef_bg.wasm", b"\0asm\x01\0\0\0"),
        ("/models/tinycnn.onnx", b"onnx"),
    ];
    std::thread::scope(|s| {
        for client in 0..30 {
            s.spawn(move || {
                for round in 0..10 {
                    let (path, want) = files[(client + round) % files.len()];
                    let request =
                        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    let from = [127, 0, 0, client as u8 + 1];
                    let (status, _, body) = raw_from(from, server.port, &request);
                    assert_eq!(
                        (status, body.as_slice()),
                        (200, want),
                        "client {client}, {path}"
                    );
                }
            });
        }
    });
}

#[test]
fn requests_beyond_the_limits_are_refused() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let long = format!("/{}", "a".repeat(3000));
    assert_eq!(get(server.port, &long, "").0, 414);
    let huge = format!("/{}", "a".repeat(20_000));
    assert_eq!(get(server.port, &huge, "").0, 414);
    let many: String = (0..80).map(|i| format!("X-Header-{i}: {i}\r\n")).collect();
    assert_eq!(get(server.port, "/", &many).0, 431);
    let fat = format!("X-Big: {}\r\n", "b".repeat(20_000));
    assert_eq!(get(server.port, "/", &fat).0, 431);
    assert_eq!(raw(server.port, "GARBAGE\r\n\r\n").0, 400);
    assert_eq!(raw(server.port, "GET / HTTP/2.0\r\n\r\n").0, 505);
    // Still serving.
    assert_eq!(get(server.port, "/", "").0, 200);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // Pipelined: both requests sent before reading anything.
    s.write_all(
        b"GET /models/tinycnn.onnx HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.contains("\r\n\r\nonnxHTTP/1.1 200"), "{text}");
    assert!(
        text.contains("Content-Length: 33"),
        "HEAD gives the GET's length: {text}"
    );
    assert!(text.ends_with("\r\n\r\n"), "HEAD has no body: {text}");
}

#[test]
fn a_request_that_trickles_in_is_cut_off_and_others_are_served_meanwhile() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let t0 = std::time::Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let mut reply = String::new();
    let mut reader = slow.try_clone().unwrap();
    let waited = std::thread::scope(|s| {
        s.spawn(move || {
            // One header line every second: each read is quick, the whole is not.
            for i in 0..30 {
                std::thread::sleep(std::time::Duration::from_secs(1));
                if slow
                    .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                    .is_err()
                {
                    break;
                }
            }
        });
        assert_eq!(get(server.port, "/", "").0, 200);
        let _ = reader.read_to_string(&mut reply);
        t0.elapsed().as_secs_f64()
    });
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    // The 10 s deadline, plus up to a second spent draining the rest.
    assert!((9.5..12.0).contains(&waited), "cut off after {waited} s");
}

#[test]
fn a_body_of_blank_lines_is_cut_off_too() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let (_, _, machine) = get(server.port, "/api/machine", "");
    let machine: serde_json::Value = serde_json::from_slice(&machine).unwrap();
    let token = machine["token"].as_str().unwrap();
    // A job request whose handler waits for its body.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        slow,
        "POST /api/jobs HTTP/1.1\r\nHost: x\r\nX-PiEdge-Token: {token}\r\nContent-Length: 4000\r\n\r\n"
    )
    .unwrap();
    let t0 = std::time::Instant::now();
    let mut reader = slow.try_clone().unwrap();
    let mut reply = String::new();
    let waited = std::thread::scope(|s| {
        s.spawn(move || {
            // A blank line every half second: each one looked like the end
            // of a request head, and the old deadline never came.
            for _ in 0..60 {
                std::thread::sleep(std::time::Duration::from_millis(500));
                if slow.write_all(b"\r\n").is_err() {
                    break;
                }
            }
        });
        let _ = reader.read_to_string(&mut reply);
        t0.elapsed().as_secs_f64()
    });
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    // The body's 10 s, plus up to a second spent draining the rest.
    assert!((9.5..12.0).contains(&waited), "cut off after {waited} s");
}

#[test]
fn a_handlers_panic_ends_its_request_not_the_server() {
    let dir = fixture();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("piedge"));
    cmd.args(["serve", "--port", "0", "--dir"])
        .arg(dir.path().join("dist"))
        .env("PIEDGE_TEST_PANIC_AT", "/api/test/bug");
    let mut server = spawn(cmd);
    for path in ["/api/test/bug", "/api/test/bug/blocking"] {
        let (status, _, body) = get(server.port, path, "");
        assert_eq!(status, 500, "{path}");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if path == "/api/test/bug" {
            assert_eq!(json["error"], "server_bug", "{path}");
        }
        assert_eq!(
            get(server.port, "/", "").0,
            200,
            "still serving after {path}"
        );
    }
    assert!(server.child.try_wait().unwrap().is_none(), "still running");
    server.child.kill().unwrap();
    let mut err = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(
        err.matches("piedge serve: a bug").count(),
        2,
        "each panic said once: {err}"
    );
}

#[test]
fn connections_beyond_the_maximum_are_told_to_retry() {
    let dir = fixture();
    let server = start_with(&dir.path().join("dist"), &["--max-connections", "2"]);
    let _a = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let _b = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, h, _) = get(server.port, "/", "");
    assert_eq!((status, header(&h, "retry-after")), (503, Some("1")));
    drop((_a, _b));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(get(server.port, "/", "").0, 200);
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_15_s() {
    let dir = fixture();
    let server = start(&dir.path().join("dist"));
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.write_all(b"GET /models/tinycnn.onnx HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0; 4096];
    while !seen.ends_with(b"\r\n\r\nonnx") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the answer came whole before the end");
        seen.extend_from_slice(&buf[..n]);
    }
    let answered = std::time::Instant::now();
    // Nothing more is asked: the server ends the connection on its own.
    s.set_read_timeout(Some(std::time::Duration::from_secs(25)))
        .unwrap();
    let end = s.read(&mut buf);
    let idle = answered.elapsed().as_secs_f64();
    assert!(
        matches!(end, Ok(0)),
        "closed without another answer: {end:?}"
    );
    assert!((14.5..17.0).contains(&idle), "closed after {idle} s");
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_others_are_served() {
    let dir = fixture();
    let dist = dir.path().join("dist");
    // Far more than the kernel's socket buffers hold, so the server's
    // writes must wait for a reader that never comes.
    let size = 96 << 20;
    std::fs::write(dist.join("big.bin"), vec![7u8; size]).unwrap();
    let server = start(&dist);
    let mut stuck = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stuck
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(
        get(server.port, "/", "").0,
        200,
        "others are served meanwhile"
    );
    std::thread::sleep(std::time::Duration::from_secs(30));
    // Reading now gets what the buffers held, then the end: the server gave up.
    stuck
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut received = 0;
    let mut buf = vec![0; 1 << 20];
    loop {
        match stuck.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => received += n,
        }
    }
    assert!(
        received < size,
        "the response was cut off ({received} of {size} bytes)"
    );
}

#[test]
fn log_prints_a_line_per_answered_request() {
    let dir = fixture();
    let mut server = start_with(&dir.path().join("dist"), &["--log"]);
    let stderr = BufReader::new(server.child.stderr.take().unwrap());
    assert_eq!(get(server.port, "/models/tinycnn.onnx", "").0, 200);
    assert_eq!(get(server.port, "/missing.js", "").0, 404);
    // The export links carry the teacher code, a progress stream the tab's
    // token: neither reaches the log.
    let secret = "/api/teacher/export.csv?teacher=C0FFEE42&x=1";
    assert_eq!(get(server.port, secret, "").0, 403);
    assert_eq!(
        get(server.port, "/api/jobs/1/events?token=abcdef0123", "").0,
        401
    );
    let lines: Vec<String> = stderr.lines().take(4).map(Result::unwrap).collect();
    assert!(
        lines[0].contains("uri=/models/tinycnn.onnx") && lines[0].contains("status=200"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("uri=/missing.js") && lines[1].contains("status=404"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("uri=/api/teacher/export.csv?teacher=REDACTED&x=1"),
        "{lines:?}"
    );
    assert!(lines[3].contains("token=REDACTED"), "{lines:?}");
    let all = lines.join("\n");
    assert!(
        !all.contains("C0FFEE42") && !all.contains("abcdef0123"),
        "{all}"
    );
}
