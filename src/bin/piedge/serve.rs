//! `piedge serve`: the web lab for a classroom, from one machine.
//!
//! Serves the built bundle (embedded in release builds, or `--dir`) over
//! HTTP, read-only: GET and HEAD of the bundle's files and nothing else.
//! Every response carries the headers that make the page cross-origin
//! isolated (fine-grained timers) and a few safety headers; hashed assets are
//! cached for a year, everything else is revalidated; a precompressed
//! `.br`/`.gz` twin is sent when the browser accepts it.
//!
//! The request → response logic (`respond`) touches no socket, so it is
//! tested directly; `run` puts it in an axum router and hands that to
//! `http.rs` (hyper), which adds the common headers and holds the limits on
//! what clients may send and how slowly.

use crate::classroom::Classroom;
use anyhow::{bail, Context, Result};
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The bundle a release build carries: (path inside dist/, bytes). Empty
/// when `dist/` was not built before `cargo build --release`.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundle.rs"));
}

/// Where files come from.
pub enum Bundle {
    Embedded(&'static [(&'static str, &'static [u8])]),
    Dir(PathBuf),
}

impl Bundle {
    /// The embedded bundle, if this build has one.
    pub fn embedded() -> Option<Bundle> {
        (!embedded::BUNDLE.is_empty()).then_some(Bundle::Embedded(embedded::BUNDLE))
    }

    pub fn dir(dir: &Path) -> Result<Bundle> {
        let root = dir.canonicalize().with_context(|| {
            format!(
                "cannot open {}; build the lab first with scripts/build-web",
                dir.display()
            )
        })?;
        if !root.join("index.html").is_file() {
            bail!(
                "{} has no index.html; it is not a built web lab (run scripts/build-web)",
                dir.display()
            );
        }
        Ok(Bundle::Dir(root))
    }

    /// The bytes of `rel` (a checked relative path), if the bundle has it.
    fn get(&self, rel: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            Bundle::Embedded(files) => files
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, b)| Cow::Borrowed(*b)),
            Bundle::Dir(root) => {
                let path = root.join(rel);
                // A symbolic link inside the bundle must not lead out of it.
                let real = path.canonicalize().ok()?;
                if !real.starts_with(root) || !real.is_file() {
                    return None;
                }
                std::fs::read(real).ok().map(Cow::Owned)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Bundle::Embedded(files) => {
                format!("the bundle built into piedge ({} files)", files.len())
            }
            Bundle::Dir(root) => root.display().to_string(),
        }
    }
}

/// A response, before it meets a socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Cow<'static, [u8]>,
}

/// Every response's headers: the isolation headers, then the safety ones
/// (added by a tower-http layer in `http.rs`, so that no answer lacks them).
pub fn common_headers() -> crate::http::CommonHeaders {
    static COMMON: std::sync::OnceLock<Vec<(&str, &str)>> = std::sync::OnceLock::new();
    COMMON.get_or_init(|| {
        piedge::lab::isolation::HEADERS
            .iter()
            .chain(&SAFETY_HEADERS)
            .copied()
            .collect()
    })
}

/// Headers on every response: cross-origin isolation, no MIME sniffing, no
/// referrer leaving the classroom, no framing by other sites, and a content
/// security policy that allows only the bundle's own files. WebAssembly
/// needs 'wasm-unsafe-eval' (not 'unsafe-eval'); wasm-bindgen's loader needs
/// the inline module script trunk writes into index.html.
const SAFETY_HEADERS: [(&str, &str); 4] = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
         worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
    ),
];

/// Answers one request. `accept_encoding` is the request's header value.
pub fn respond(bundle: &Bundle, method: &str, raw_path: &str, accept_encoding: &str) -> Reply {
    let head = method == "HEAD";
    if method != "GET" && !head {
        let mut r = text(405, "method not allowed: this server only reads files\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return r;
    }
    let Some(rel) = checked_path(raw_path) else {
        return text(400, "bad path\n");
    };
    let (rel, body) = match bundle.get(&rel) {
        Some(body) => (rel, body),
        None => return text(404, "not found\n"),
    };
    let mut headers: Vec<(&'static str, String)> = vec![("Content-Type", mime(&rel).into())];
    let cache = if is_hashed(&rel) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.push(("Cache-Control", cache.into()));
    let mut body = body;
    if compressible(&rel) {
        headers.push(("Vary", "Accept-Encoding".into()));
        for (encoding, ext) in [("br", "br"), ("gzip", "gz")] {
            if accepts(accept_encoding, encoding) {
                if let Some(compressed) = bundle.get(&format!("{rel}.{ext}")) {
                    headers.push(("Content-Encoding", encoding.into()));
                    body = compressed;
                    break;
                }
            }
        }
    }
    if head {
        headers.push(("Content-Length", body.len().to_string()));
        body = Cow::Borrowed(&[]);
    }
    Reply {
        status: 200,
        headers,
        body,
    }
}

pub fn text(status: u16, message: &'static str) -> Reply {
    let headers = vec![
        ("Content-Type", "text/plain; charset=utf-8".to_string()),
        ("Cache-Control", "no-store".into()),
    ];
    Reply {
        status,
        headers,
        body: Cow::Borrowed(message.as_bytes()),
    }
}

/// The bundle-relative file a request path names, or `None` for anything
/// that could step outside the bundle: `..`, absolute or drive paths,
/// backslashes, NUL, encoded slashes, hidden files. `/` means index.html.
pub fn checked_path(raw: &str) -> Option<String> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let rel = decoded.strip_prefix('/')?;
    let rel = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if rel.contains(['\\', '\0', ':']) || rel.starts_with('/') || rel.contains("//") {
        return None;
    }
    let ok = Path::new(&rel).components().all(|c| match c {
        Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
        _ => false,
    });
    ok.then_some(rel)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            let b = u8::from_str_radix(hex, 16).ok()?;
            // An encoded slash or backslash is only ever an attempt to
            // smuggle a path separator past checks.
            if b == b'/' || b == b'\\' {
                return None;
            }
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn accepts(header: &str, encoding: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let zero_q = it.any(|p| matches!(p.trim().strip_prefix("q="), Some(q) if q.trim().parse::<f32>() == Ok(0.0)));
        name.eq_ignore_ascii_case(encoding) && !zero_q
    })
}

pub fn mime(path: &str) -> &'static str {
    match Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "md" => "text/markdown; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "onnx" => "application/octet-stream",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(path: &str) -> bool {
    matches!(
        Path::new(path).extension().and_then(|e| e.to_str()),
        Some("html" | "js" | "css" | "wasm" | "json" | "md" | "svg")
    )
}

/// trunk names assets `name-<16 hex digits>.ext`; their content never
/// changes under the same name, so browsers may keep them.
fn is_hashed(path: &str) -> bool {
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The port `piedge serve` uses unless told otherwise.
pub const DEFAULT_PORT: u16 = 8080;

/// Listens on `port` of `ip`; with no port given, on 8080, or on a free port
/// when 8080 is taken (a second lab on the same computer, another server).
pub fn bind(ip: std::net::Ipv4Addr, port: Option<u16>) -> Result<std::net::TcpListener> {
    let listen = |port: u16| {
        std::net::TcpListener::bind((ip, port))
            .with_context(|| format!("cannot listen on {ip}:{port}"))
    };
    match port {
        Some(port) => listen(port),
        None => listen(DEFAULT_PORT).or_else(|taken| {
            let listener = listen(0)?;
            eprintln!("({taken:#}; using a free port instead)");
            Ok(listener)
        }),
    }
}

/// How `piedge serve` was asked to serve (its options, parsed).
pub struct Options {
    /// Every interface, HTTPS besides HTTP, with the addresses and a QR
    /// code printed.
    pub lan: bool,
    /// Names for the HTTPS certificate besides the machine's own.
    pub names: Vec<String>,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// Open the lab in the default browser first.
    pub open: bool,
    /// Print a line per request.
    pub log: bool,
    pub concurrent_runs: usize,
    /// Where the class board's database lives.
    pub data_dir: PathBuf,
}

/// Serves `bundle` until interrupted, printing where.
pub fn run(bundle: Bundle, listener: std::net::TcpListener, o: Options) -> Result<()> {
    let Options {
        lan,
        names,
        max_connections,
        max_connections_per_client: per_client,
        open,
        log,
        concurrent_runs,
        data_dir,
    } = o;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(DEFAULT_PORT);
    println!("PiEdge Lab: serving {}", bundle.describe());
    // Only a LAN server needs its names and a certificate for them.
    let (certs, urls) = if lan {
        let names = crate::certs::machine_names(&names);
        let certs =
            crate::certs::load_or_make(&data_dir.join("tls"), &names, std::time::SystemTime::now())
                .context(
                    "HTTPS for the classroom needs a certificate; give a writable --data-dir",
                )?;
        for note in &certs.notes {
            println!("HTTPS: {note}");
        }
        let covered: Vec<String> = certs.names.iter().map(|n| n.to_string()).collect();
        println!("HTTPS: the certificate covers {}", covered.join(", "));
        (Some(certs), lan_urls(port, &names))
    } else {
        (None, vec![format!("http://127.0.0.1:{port}/")])
    };
    for url in &urls {
        println!("  {url}");
    }
    if let Some(certs) = &certs {
        println!(
            "Students open an https:// address (over plain http:// another device gets a coarse \
             timer; that address answers with a page pointing to https). The first time, their \
             browser warns about the certificate; to skip the warning, install the classroom CA \
             {} (also at {}{}) on managed devices.",
            certs.ca_path.display(),
            urls[0].trim_end_matches('/'),
            crate::https::CA_PATH
        );
        println!(
            "Android does not resolve .local names: give those devices a numeric address. \
             Devices that cannot reach this one at all may be on a network that isolates clients; \
             see the teacher's guide."
        );
        println!("\nScan to open {}:\n{}", urls[0], qr(&urls[0]));
    } else {
        println!("(only this computer can connect; to let students' devices in, run `piedge serve --lan`)");
    }
    let store = crate::store::Store::open(&data_dir).context(
        "the class board needs a folder to keep shared runs in; give one with --data-dir",
    )?;
    let classroom = Classroom::start(concurrent_runs, store)?;
    println!(
        "Native runs on request: {} ({} at a time)",
        classroom.label(),
        concurrent_runs
    );
    let code = &classroom.teacher_code;
    println!(
        "Class board: shared runs are kept in {}; teacher code {code}",
        classroom.store.path.display()
    );
    let board_url = format!("{}#board=1&teacher={code}", urls[0]);
    println!("  the teacher's board: {board_url}");
    println!(
        "  the teacher's guide: {}#guide={}",
        urls[0],
        piedge::lab::guide::TEACHER
    );
    if lan {
        println!(
            "\nScan on the teacher's device for the board:\n{}",
            qr(&board_url)
        );
    }
    println!("Stop with Ctrl-C, or close this window.");
    if log {
        // tower-http traces each request at DEBUG: its start and its end
        // with status and time taken.
        let only_requests = tracing_subscriber::filter::Targets::new()
            .with_target("tower_http", tracing_subscriber::filter::LevelFilter::DEBUG);
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .with(only_requests)
            .init();
    }
    if open {
        // The listener is bound already: the browser's first request waits
        // in its queue until the server below accepts it.
        let local = format!("http://127.0.0.1:{port}/");
        if let Err(e) = webbrowser::open(&local) {
            println!("(could not open a browser: {e}; open {local} yourself)");
        }
    }
    let mut app = router(bundle, Some(classroom));
    let mut tls = None;
    if let Some(certs) = certs {
        let https = crate::https::Https {
            ca_pem: certs.ca_pem,
        };
        app = crate::https::layer(app, Arc::new(https));
        tls = Some(certs.config);
    }
    crate::http::serve(
        listener,
        max_connections,
        crate::clients::Clients::new(per_client),
        app,
        common_headers(),
        tls,
    )
    .context("the server stopped")
}

/// The lab's routes: the classroom API under `/api/` when given, and every
/// other path a file of the bundle. Every answer is counted, so that a
/// native job can report how busy the server was while it ran.
pub fn router(bundle: Bundle, classroom: Option<Arc<Classroom>>) -> axum::Router {
    let files = axum::Router::new()
        .fallback(files)
        .with_state(Arc::new(bundle));
    let Some(classroom) = classroom else {
        return files;
    };
    let counter = classroom.requests.clone();
    crate::classroom::routes(classroom)
        .merge(files)
        .layer(axum::middleware::from_fn_with_state(counter, count))
}

async fn count(
    axum::extract::State(counter): axum::extract::State<Arc<std::sync::atomic::AtomicU64>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    next.run(request).await
}

/// A file of the bundle, read off the async threads (`--dir` reads disk).
async fn files(
    axum::extract::State(bundle): axum::extract::State<Arc<Bundle>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let method = request.method().as_str().to_string();
    // The connectivity check a teacher opens on each device: /check.
    let target = match request.uri().path() {
        "/check" => "/check.html".to_string(),
        _ => request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
    };
    let accept = request
        .headers()
        .get(axum::http::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let reply = tokio::task::spawn_blocking(move || respond(&bundle, &method, &target, &accept))
        .await
        .unwrap_or_else(|_| text(500, "the server failed to read the file\n"));
    crate::http::into_response(reply)
}

/// The addresses to give students: every IPv4 address of this machine
/// first (a number works on every device), then its names that are not
/// loopback ones (`.local` and the school's), and this computer's own.
fn lan_urls(port: u16, names: &[crate::certs::Name]) -> Vec<String> {
    use crate::certs::Name;
    let mut ips: Vec<String> = names
        .iter()
        .filter_map(|n| match n {
            Name::Ip(std::net::IpAddr::V4(ip)) if !ip.is_loopback() => {
                Some(format!("https://{ip}:{port}/"))
            }
            _ => None,
        })
        .collect();
    ips.sort();
    let hosts = names.iter().filter_map(|n| match n {
        Name::Dns(d) if d != "localhost" => Some(format!("https://{d}:{port}/")),
        _ => None,
    });
    ips.extend(hosts);
    ips.push(format!("http://127.0.0.1:{port}/"));
    ips
}

fn qr(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        static FILES: &[(&str, &[u8])] = &[
            ("index.html", b"<html>lab</html>"),
            ("index.html.br", b"BR"),
            ("index.html.gz", b"GZ"),
            ("lab-0123456789abcdef_bg.wasm", b"\0asm"),
            ("worker_bg.wasm", b"\0asm2"),
            ("models/tinycnn.onnx", b"onnx"),
        ];
        Bundle::Embedded(FILES)
    }

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn paths_that_leave_the_bundle_are_refused() {
        for bad in [
            "/../Cargo.toml",
            "/models/../../x",
            "/%2e%2e/x",
            "/a%2f..%2f..%2fx",
            "/.git/config",
            "//etc/passwd",
            "/C:/Windows",
            "/a\\b",
            "/%00",
            "/%zz",
            "relative",
        ] {
            assert_eq!(checked_path(bad), None, "{bad}");
        }
        assert_eq!(checked_path("/").as_deref(), Some("index.html"));
        assert_eq!(
            checked_path("/models/tinycnn.onnx?x=1").as_deref(),
            Some("models/tinycnn.onnx")
        );
        assert_eq!(
            checked_path("/lessons/sv.md#top").as_deref(),
            Some("lessons/sv.md")
        );
    }

    /// A GET of `path` through the router and its layers, without a socket.
    fn through_router(path: &str) -> axum::response::Response {
        use tower::ServiceExt;
        let app = crate::http::with_layers(router(bundle(), None), common_headers());
        let request = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(app.oneshot(request))
            .unwrap()
    }

    #[test]
    fn files_come_with_their_type_cache_policy_and_isolation() {
        let b = bundle();
        let r = respond(&b, "GET", "/lab-0123456789abcdef_bg.wasm", "");
        assert_eq!(r.status, 200);
        assert_eq!(header(&r, "Content-Type"), Some("application/wasm"));
        assert_eq!(
            header(&r, "Cache-Control"),
            Some("public, max-age=31536000, immutable")
        );
        // The isolation headers come from the router's layers, on every
        // answer, a refusal too.
        for path in ["/lab-0123456789abcdef_bg.wasm", "/missing", "/../x"] {
            let r = through_router(path);
            let h = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok());
            assert_eq!(
                h("Cross-Origin-Opener-Policy"),
                Some("same-origin"),
                "{path}"
            );
            assert_eq!(
                h("Cross-Origin-Embedder-Policy"),
                Some("require-corp"),
                "{path}"
            );
            assert_eq!(h("X-Content-Type-Options"), Some("nosniff"), "{path}");
        }
        let w = respond(&b, "GET", "/worker_bg.wasm", "");
        assert_eq!(
            header(&w, "Cache-Control"),
            Some("no-cache"),
            "unhashed names are revalidated"
        );
        assert_eq!(
            header(
                &respond(&b, "GET", "/models/tinycnn.onnx", ""),
                "Content-Type"
            ),
            Some("application/octet-stream")
        );
    }

    #[test]
    fn precompressed_twins_are_chosen_by_accept_encoding() {
        let b = bundle();
        let br = respond(&b, "GET", "/", "gzip, deflate, br");
        assert_eq!(
            (header(&br, "Content-Encoding"), &*br.body),
            (Some("br"), &b"BR"[..])
        );
        let gz = respond(&b, "GET", "/", "gzip");
        assert_eq!(
            (header(&gz, "Content-Encoding"), &*gz.body),
            (Some("gzip"), &b"GZ"[..])
        );
        let plain = respond(&b, "GET", "/", "br;q=0, identity");
        assert_eq!(
            (header(&plain, "Content-Encoding"), &*plain.body),
            (None, &b"<html>lab</html>"[..])
        );
        assert_eq!(header(&plain, "Vary"), Some("Accept-Encoding"));
    }

    #[test]
    fn only_reading_is_allowed() {
        let b = bundle();
        assert_eq!(respond(&b, "POST", "/", "").status, 405);
        assert_eq!(respond(&b, "PUT", "/x", "").status, 405);
        assert_eq!(respond(&b, "GET", "/missing.js", "").status, 404);
        assert_eq!(respond(&b, "GET", "/../etc/passwd", "").status, 400);
        let head = respond(&b, "HEAD", "/", "");
        assert_eq!((head.status, head.body.len()), (200, 0));
        assert_eq!(header(&head, "Content-Length"), Some("16"));
    }
}
