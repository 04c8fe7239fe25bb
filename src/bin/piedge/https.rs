//! What `piedge serve --lan` answers because of HTTPS: the classroom CA for
//! download (`/piedge-ca.crt`), and, to a student who opened the lab over
//! plain HTTP from another device, a page that says why the timer would be
//! coarse and links to the same address over HTTPS.
//!
//! Whether a page is a secure context depends on its address, not on where
//! the bytes came from: `http://127.0.0.1/` and `http://localhost/` are
//! secure, `http://192.168.1.20/` is not. So the notice goes by the `Host`
//! the browser asked for. Only the lab's front page is diverted; its files
//! and the API answer over both, and the notice offers plain HTTP anyway
//! (`/?http`), for a Chromebook whose policy lists the address as secure.

use crate::http::Transport;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The path the classroom CA is offered at.
pub const CA_PATH: &str = "/piedge-ca.crt";

/// What the routes below need to know.
pub struct Https {
    pub ca_pem: String,
}

/// `/piedge-ca.crt` and the plain-HTTP notice, around `app`.
pub fn layer(app: axum::Router, https: Arc<Https>) -> axum::Router {
    let ca = axum::Router::new()
        .route(CA_PATH, axum::routing::get(ca))
        .with_state(https);
    ca.merge(app).layer(axum::middleware::from_fn(notice))
}

async fn ca(State(https): State<Arc<Https>>) -> Response {
    let mut r = https.ca_pem.clone().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-x509-ca-cert"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"piedge-classroom-ca.crt\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn notice(request: Request, next: Next) -> Response {
    let plain = request.extensions().get::<Transport>() == Some(&Transport::Plain);
    let front = matches!(request.uri().path(), "/" | "/index.html");
    let asked_plain = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "http" || p.starts_with("http=")));
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    if !plain
        || !front
        || asked_plain
        || request.method() != axum::http::Method::GET
        || is_loopback(&host)
    {
        return next.run(request).await;
    }
    let mut r = (StatusCode::OK, page(&host)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Whether `host` (a `Host` header: name or address, and maybe a port) is
/// one browsers count as secure over plain HTTP.
pub fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let name = name.to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The notice, in Swedish and English. `host` comes from the request and is
/// escaped; a script carries the page's `#…` (a board link) over to HTTPS.
fn page(host: &str) -> String {
    let host = escape(host);
    format!(
        r#"<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PiEdge Lab: öppna över https / open over https</title>
<style>
body {{ font: 17px/1.5 system-ui, sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; color: #1b1b1b; }}
a.go {{ display: inline-block; padding: .5em 1em; background: #0b57d0; color: #fff; border-radius: .4em; text-decoration: none; font-weight: 600; }}
section + section {{ border-top: 1px solid #ccc; margin-top: 2em; }}
code {{ background: #f1f1f1; padding: 0 .2em; }}
</style>
</head>
<body>
<main>
<section>
<h1>Öppna labbet över https</h1>
<p>Den här sidan kom över vanlig HTTP från en annan dator. Då räknar webbläsaren den inte som säker
och ger den bara en grov timer (steg om 0,1 ms i Chrome och Edge, 1 ms i Firefox och Safari).
Korta körningar kan då inte tidtas var för sig, och labbet måste ta tid på dem i grupper.</p>
<p><a class="go" data-https href="https://{host}/">Öppna https://{host}/</a></p>
<p>Första gången varnar webbläsaren för certifikatet: det är gjort av lärarens dator, inte av en
känd utfärdare. Välj <em>Avancerat</em> och fortsätt till adressen, eller be skolans IT installera
klassrummets certifikat (<a href="{ca}">piedge-classroom-ca.crt</a>) så försvinner varningen.</p>
<p>Vill du ändå fortsätta över vanlig HTTP? <a data-plain href="/?http">Öppna labbet med grov timer</a>.</p>
</section>
<section lang="en">
<h1>Open the lab over https</h1>
<p>This page came over plain HTTP from another machine, so the browser does not count it as secure
and gives it only a coarse timer (steps of 0.1 ms in Chrome and Edge, 1 ms in Firefox and Safari).
Short runs then cannot be timed one by one, and the lab has to time them in groups.</p>
<p><a class="go" data-https href="https://{host}/">Open https://{host}/</a></p>
<p>The first time, the browser warns about the certificate: it was made by the teacher's computer,
not by a known authority. Choose <em>Advanced</em> and go on to the address, or ask the school's IT
to install the classroom certificate (<a href="{ca}">piedge-classroom-ca.crt</a>) and the warning goes away.</p>
<p>Want to go on over plain HTTP anyway? <a data-plain href="/?http">Open the lab with a coarse timer</a>.</p>
</section>
</main>
<script>
for (const a of document.querySelectorAll("a[data-https], a[data-plain]")) a.href += location.hash;
</script>
</body>
</html>
"#,
        ca = CA_PATH
    )
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_the_ones_browsers_trust_over_http() {
        for host in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:80",
            "lab.localhost:1",
            "[::1]:8080",
            "127.2.3.4",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "192.168.1.20:8080",
            "classroom.lan",
            "pi.local:8080",
            "[fe80::1]:8080",
            "",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn the_notice_escapes_the_host_it_was_given() {
        let p = page("x\"><script>alert(1)</script>:8080");
        assert!(!p.contains("<script>alert"));
        assert!(p.contains("https://x&quot;&gt;&lt;script&gt;"));
    }
}
