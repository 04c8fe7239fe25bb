#![cfg(not(target_arch = "wasm32"))]
//! `piedge serve --lan` over HTTPS and plain HTTP on one port, as a student's
//! device meets it: the certificate chains to the classroom CA and covers the
//! names given, plain HTTP from another machine's address gets the page
//! pointing to HTTPS, the CA downloads, and restarts keep the certificates.

mod common;

use common::server::{raw, spawn, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!DOCTYPE html><title>the lab</title>",
    )
    .unwrap();
    dir
}

fn serve_lan(site: &Path, data: &Path) -> Server {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("piedge"));
    cmd.args([
        "serve",
        "--lan",
        "--port",
        "0",
        "--name",
        "classroom.lan",
        "--dir",
    ])
    .arg(site)
    .arg("--data-dir")
    .arg(data);
    spawn(cmd)
}

fn ca_pem(data: &Path) -> String {
    std::fs::read_to_string(data.join("tls/piedge-classroom-ca.crt")).unwrap()
}

/// A TLS client that trusts only `ca` (PEM), as a device with the classroom
/// CA installed.
fn client(ca: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let (_, pem) = x509_parser::pem::parse_x509_pem(ca.as_bytes()).unwrap();
    roots
        .add(rustls::pki_types::CertificateDer::from(pem.contents))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// GET `path` over HTTPS, asking for `name`: the response's head and body,
/// or the TLS error.
fn https_get(port: u16, ca: &str, name: &str, path: &str) -> Result<(String, String), String> {
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let conn = rustls::ClientConnection::new(client(ca), server_name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    match tls.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    Ok((head.to_ascii_lowercase(), body.to_string()))
}

fn plain_get(port: u16, host: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    let (status, headers, body) = raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    );
    (status, headers, String::from_utf8_lossy(&body).to_string())
}

#[test]
fn https_serves_the_isolated_lab_under_every_name_the_certificate_was_made_for() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let server = serve_lan(site.path(), data.path());
    let ca = ca_pem(data.path());
    for name in ["classroom.lan", "localhost", "127.0.0.1"] {
        let (head, body) = https_get(server.port, &ca, name, "/").unwrap();
        assert!(head.starts_with("http/1.1 200"), "{name}: {head}");
        assert!(
            head.contains("cross-origin-opener-policy: same-origin"),
            "{head}"
        );
        assert!(
            head.contains("cross-origin-embedder-policy: require-corp"),
            "{head}"
        );
        assert!(body.contains("the lab"), "{body}");
    }
    // A name it was not made for: the client refuses the certificate.
    let wrong = https_get(server.port, &ca, "elsewhere.lan", "/").unwrap_err();
    assert!(
        wrong.contains("certificate") || wrong.contains("NotValidForName"),
        "{wrong}"
    );
    // A CA the device does not have: refused too.
    let other = tempfile::tempdir().unwrap();
    let stranger = serve_lan(site.path(), other.path());
    let untrusted = https_get(stranger.port, &ca, "classroom.lan", "/").unwrap_err();
    assert!(
        untrusted.contains("UnknownIssuer") || untrusted.contains("certificate"),
        "{untrusted}"
    );
    // The CA is offered for download, the same bytes as the file.
    let (head, body) = https_get(server.port, &ca, "classroom.lan", "/piedge-ca.crt").unwrap();
    assert!(
        head.contains("content-type: application/x-x509-ca-cert"),
        "{head}"
    );
    assert_eq!(body, ca);
    // The console said where the CA is, and gave https addresses.
    let banner = server.banner.join("\n");
    assert!(
        banner.contains("made a classroom certificate authority"),
        "{banner}"
    );
    assert!(banner.contains("https://classroom.lan:"), "{banner}");
}

#[test]
fn plain_http_from_another_machine_is_told_why_and_sent_to_https() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let server = serve_lan(site.path(), data.path());
    let port = server.port;
    let host = format!("classroom.lan:{port}");
    let (status, headers, body) = plain_get(port, &host, "/");
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.starts_with("text/html")));
    assert!(
        body.contains(&format!("href=\"https://{host}/\"")),
        "{body}"
    );
    assert!(
        body.contains("This page came over plain HTTP from another machine"),
        "{body}"
    );
    assert!(
        body.contains("Den här sidan kom över vanlig HTTP från en annan dator"),
        "{body}"
    );
    assert!(body.contains("href=\"/piedge-ca.crt\""), "{body}");
    assert!(!body.contains("the lab</title>"));
    // From this computer's own address plain HTTP is secure: the lab itself.
    for own in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert!(plain_get(port, &own, "/").2.contains("the lab"), "{own}");
    }
    // Going on over plain HTTP anyway, and the lab's other files and the
    // API, answer as before.
    assert!(plain_get(port, &host, "/?http").2.contains("the lab"));
    assert_eq!(plain_get(port, &host, "/api/machine").0, 200);
    assert_eq!(
        plain_get(port, &host, "/piedge-ca.crt").2,
        ca_pem(data.path())
    );
}

#[test]
fn the_certificates_are_kept_across_restarts_and_a_corrupt_key_is_replaced() {
    let (site, data) = (site(), tempfile::tempdir().unwrap());
    let read = |f: &str| std::fs::read(data.path().join("tls").join(f)).unwrap();
    let first = serve_lan(site.path(), data.path());
    drop(first);
    let (ca, cert) = (read("piedge-classroom-ca.crt"), read("server.crt"));
    let second = serve_lan(site.path(), data.path());
    assert_eq!(
        (read("piedge-classroom-ca.crt"), read("server.crt")),
        (ca.clone(), cert.clone())
    );
    assert!(
        !second.banner.iter().any(|l| l.starts_with("HTTPS: made")),
        "nothing new on a restart: {:?}",
        second.banner
    );
    drop(second);
    std::fs::write(data.path().join("tls/server-key.pem"), "not a key").unwrap();
    let third = serve_lan(site.path(), data.path());
    let said = third.banner.join("\n");
    assert!(
        said.contains("server-key.pem is not a private key"),
        "{said}"
    );
    assert_eq!(
        read("piedge-classroom-ca.crt"),
        ca,
        "the CA devices trust stays"
    );
    assert_ne!(read("server.crt"), cert);
    let (head, _) = https_get(
        third.port,
        &String::from_utf8(ca).unwrap(),
        "classroom.lan",
        "/",
    )
    .unwrap();
    assert!(head.starts_with("http/1.1 200"), "{head}");
}

#[test]
fn a_name_that_is_not_a_host_name_is_refused_before_anything_starts() {
    let site = site();
    let out = Command::new(assert_cmd::cargo::cargo_bin("piedge"))
        .args([
            "serve",
            "--lan",
            "--port",
            "0",
            "--name",
            "bad name!",
            "--dir",
        ])
        .arg(site.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'bad name!' is not a host name"), "{err}");
}
