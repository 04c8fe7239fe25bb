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

    /// The file `rel` (a checked relative path), if the bundle has it: its
    /// tag and where its bytes are, not yet read.
    fn find(&self, rel: &str) -> Option<Found> {
        match self {
            Bundle::Embedded(files) => {
                let i = files.iter().position(|(p, _)| *p == rel)?;
                Some(Found {
                    tag: embedded_tag(files, i),
                    len: files[i].1.len() as u64,
                    source: Source::Embedded(files[i].1),
                })
            }
            Bundle::Dir(root) => {
                let path = root.join(rel);
                // A symbolic link inside the bundle must not lead out of it.
                let real = path.canonicalize().ok()?;
                if !real.starts_with(root) {
                    return None;
                }
                let meta = std::fs::metadata(&real).ok().filter(|m| m.is_file())?;
                // Its size and time: a file rebuilt while the server runs
                // gets a new tag, and a revalidation reads nothing.
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                Some(Found {
                    tag: format!("\"{:x}-{modified:x}\"", meta.len()),
                    len: meta.len(),
                    source: Source::File(real),
                })
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

/// A file of the bundle, found: its entity tag (`ETag`), its size, and
/// where its bytes are.
struct Found {
    tag: String,
    len: u64,
    source: Source,
}

enum Source {
    Embedded(&'static [u8]),
    File(PathBuf),
}

impl Found {
    fn read(self) -> Option<Cow<'static, [u8]>> {
        match self.source {
            Source::Embedded(bytes) => Some(Cow::Borrowed(bytes)),
            Source::File(path) => std::fs::read(path).ok().map(Cow::Owned),
        }
    }
}

/// The tag of embedded file `i`: a hash of its bytes, computed once for
/// the whole bundle on the first request. (std's SipHash with its fixed
/// keys: a tag need only be the same for the same bytes within one build
/// of piedge, and a new build ships a new bundle anyway.)
fn embedded_tag(files: &'static [(&'static str, &'static [u8])], i: usize) -> String {
    use std::hash::{Hash, Hasher};
    static TAGS: std::sync::OnceLock<(usize, Vec<String>)> = std::sync::OnceLock::new();
    let (at, tags) = TAGS.get_or_init(|| {
        let tags = files
            .iter()
            .map(|(_, bytes)| {
                let mut h = std::hash::DefaultHasher::new();
                bytes.hash(&mut h);
                format!("\"{:016x}\"", h.finish())
            })
            .collect();
        (files.as_ptr() as usize, tags)
    });
    // A process serves one embedded bundle; any other is hashed on each
    // request.
    if *at == files.as_ptr() as usize {
        return tags[i].clone();
    }
    let mut h = std::hash::DefaultHasher::new();
    files[i].1.hash(&mut h);
    format!("\"{:016x}\"", h.finish())
}

/// True when an `If-None-Match` header names `tag` (or `*`): the client's
/// copy is current. Weak tags (`W/"…"`) compare by their value, as RFC
/// 9110 says this header does.
fn none_match(header: &str, tag: &str) -> bool {
    header.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t == tag
    })
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

/// Answers one request. `accept_encoding` and `if_none_match` are the
/// request's header values (empty when absent).
///
/// Every file carries an `ETag`; a request whose `If-None-Match` names it
/// gets `304` and no body, so that thirty devices reloading the lab
/// revalidate the unhashed files (the 8 MB worker among them) instead of
/// downloading them again. Files with a hash in their name are cached for a
/// year and never asked about.
pub fn respond(
    bundle: &Bundle,
    method: &str,
    raw_path: &str,
    accept_encoding: &str,
    if_none_match: &str,
) -> Reply {
    let head = method == "HEAD";
    if method != "GET" && !head {
        let mut r = text(405, "method not allowed: this server only reads files\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return r;
    }
    let Some(rel) = checked_path(raw_path) else {
        return text(400, "bad path\n");
    };
    let Some(mut found) = bundle.find(&rel) else {
        return text(404, "not found\n");
    };
    let mut headers: Vec<(&'static str, String)> = vec![("Content-Type", mime(&rel).into())];
    let cache = if is_hashed(&rel) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.push(("Cache-Control", cache.into()));
    if compressible(&rel) {
        headers.push(("Vary", "Accept-Encoding".into()));
        for (encoding, ext) in [("br", "br"), ("gzip", "gz")] {
            if accepts(accept_encoding, encoding) {
                if let Some(compressed) = bundle.find(&format!("{rel}.{ext}")) {
                    headers.push(("Content-Encoding", encoding.into()));
                    found = compressed;
                    break;
                }
            }
        }
    }
    headers.push(("ETag", found.tag.clone()));
    if none_match(if_none_match, &found.tag) {
        headers.retain(|(k, _)| *k != "Content-Type" && *k != "Content-Encoding");
        return Reply {
            status: 304,
            headers,
            body: Cow::Borrowed(&[]),
        };
    }
    if head {
        headers.push(("Content-Length", found.len.to_string()));
        return Reply {
            status: 200,
            headers,
            body: Cow::Borrowed(&[]),
        };
    }
    match found.read() {
        Some(body) => Reply {
            status: 200,
            headers,
            body,
        },
        None => text(404, "not found\n"),
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
    /// Make a new teacher code (the old one stops working).
    pub new_teacher_code: bool,
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
        new_teacher_code,
    } = o;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(DEFAULT_PORT);
    println!("PiEdge Lab: serving {}", bundle.describe());
    // Only a LAN server needs its names and a certificate for them. One it
    // cannot make (a data folder it cannot write) leaves plain HTTP.
    let (certs, urls) = if lan {
        let names = crate::certs::machine_names(&names);
        let made =
            crate::certs::load_or_make(&data_dir.join("tls"), &names, std::time::SystemTime::now());
        let certs = match made {
            Ok(certs) => {
                for note in &certs.notes {
                    println!("HTTPS: {note}");
                }
                let covered: Vec<String> = certs.names.iter().map(|n| n.to_string()).collect();
                println!("HTTPS: the certificate covers {}", covered.join(", "));
                Some(certs)
            }
            Err(e) => {
                println!(
                    "HTTPS: OFF. {e:#}. Students' devices get the lab over plain http:// (with a \
                     coarse timer); give a folder this user can write with --data-dir for HTTPS."
                );
                None
            }
        };
        let scheme = if certs.is_some() { "https" } else { "http" };
        (certs, lan_urls(port, &names, scheme))
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
    }
    if lan {
        println!(
            "Android does not resolve .local names: give those devices a numeric address. \
             Devices that cannot reach this one at all may be on a network that isolates clients; \
             see the teacher's guide."
        );
        println!("\nScan to open {}:\n{}", urls[0], qr(&urls[0]));
    } else {
        println!("(only this computer can connect; to let students' devices in, run `piedge serve --lan`)");
    }
    // A data folder the server cannot write (a read-only card, another
    // user's folder) turns the class board off, not the lab.
    let store = crate::store::Store::open(&data_dir).map_err(|e| format!("{e:#}"));
    let classroom = Classroom::start(concurrent_runs, store, new_teacher_code)?;
    println!(
        "Native runs on request: {} ({} at a time)",
        classroom.label(),
        concurrent_runs
    );
    match &classroom.board {
        Ok(board) => {
            let code = &board.teacher_code;
            let new = if new_teacher_code {
                " (new: the old one no longer works)"
            } else {
                ""
            };
            println!(
                "Class board: shared runs are kept in {}; teacher code {code}{new}",
                board.store.path.display()
            );
            let board_url = format!("{}#board=1&teacher={code}", urls[0]);
            println!("  the teacher's board: {board_url}");
            if lan {
                println!(
                    "\nScan on the teacher's device for the board:\n{}",
                    qr(&board_url)
                );
            }
        }
        Err(why) => println!(
            "Class board: OFF. {why}. The lab and native runs work; sharing runs to the \
             board is disabled. Give a folder this user can write with --data-dir to turn it on."
        ),
    }
    println!(
        "  the teacher's guide: {}#guide={}",
        urls[0],
        piedge::lab::guide::TEACHER
    );
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
    planted_bug(crate::classroom::routes(classroom))
        .merge(files)
        .layer(axum::middleware::from_fn_with_state(counter, count))
}

/// A test's planted bug: in a debug build, `PIEDGE_TEST_PANIC_AT=/path`
/// makes that path's handler panic (and `/path/blocking` panic on the
/// blocking pool), so that `tests/serve.rs` can show that a handler's
/// panic ends its request, not the server. Release builds have no such
/// path.
fn planted_bug(app: axum::Router) -> axum::Router {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var("PIEDGE_TEST_PANIC_AT")
        .ok()
        .filter(|p| p.starts_with("/api/test/"))
    {
        fn bug() -> &'static str {
            panic!("a bug planted by a test")
        }
        let blocking = format!("{path}/blocking");
        return axum::Router::new()
            .route(&path, axum::routing::get(|| async { bug() }))
            .route(
                &blocking,
                axum::routing::get(|| async {
                    tokio::task::spawn_blocking(bug)
                        .await
                        .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)
                }),
            )
            .merge(app);
    }
    app
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
    // Read in a block of its own: nothing borrowing the request (whose body
    // is not `Sync`) may live across the wait below.
    let (accept, tags) = {
        let header = |name: axum::http::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        (
            header(axum::http::header::ACCEPT_ENCODING),
            header(axum::http::header::IF_NONE_MATCH),
        )
    };
    let reply =
        tokio::task::spawn_blocking(move || respond(&bundle, &method, &target, &accept, &tags))
            .await
            .unwrap_or_else(|_| text(500, "the server failed to read the file\n"));
    crate::http::into_response(reply)
}

/// The addresses to give students: every IPv4 address of this machine
/// first (a number works on every device), then its names that are not
/// loopback ones (`.local` and the school's), and this computer's own.
fn lan_urls(port: u16, names: &[crate::certs::Name], scheme: &str) -> Vec<String> {
    use crate::certs::Name;
    let mut ips: Vec<String> = names
        .iter()
        .filter_map(|n| match n {
            Name::Ip(std::net::IpAddr::V4(ip)) if !ip.is_loopback() => {
                Some(format!("{scheme}://{ip}:{port}/"))
            }
            _ => None,
        })
        .collect();
    ips.sort();
    let hosts = names.iter().filter_map(|n| match n {
        Name::Dns(d) if d != "localhost" => Some(format!("{scheme}://{d}:{port}/")),
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
        let r = respond(&b, "GET", "/lab-0123456789abcdef_bg.wasm", "", "");
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
        let w = respond(&b, "GET", "/worker_bg.wasm", "", "");
        assert_eq!(
            header(&w, "Cache-Control"),
            Some("no-cache"),
            "unhashed names are revalidated"
        );
        assert_eq!(
            header(
                &respond(&b, "GET", "/models/tinycnn.onnx", "", ""),
                "Content-Type"
            ),
            Some("application/octet-stream")
        );
    }

    #[test]
    fn precompressed_twins_are_chosen_by_accept_encoding() {
        let b = bundle();
        let br = respond(&b, "GET", "/", "gzip, deflate, br", "");
        assert_eq!(
            (header(&br, "Content-Encoding"), &*br.body),
            (Some("br"), &b"BR"[..])
        );
        let gz = respond(&b, "GET", "/", "gzip", "");
        assert_eq!(
            (header(&gz, "Content-Encoding"), &*gz.body),
            (Some("gzip"), &b"GZ"[..])
        );
        let plain = respond(&b, "GET", "/", "br;q=0, identity", "");
        assert_eq!(
            (header(&plain, "Content-Encoding"), &*plain.body),
            (None, &b"<html>lab</html>"[..])
        );
        assert_eq!(header(&plain, "Vary"), Some("Accept-Encoding"));
    }

    #[test]
    fn unhashed_files_revalidate_with_their_tag() {
        let b = bundle();
        let first = respond(&b, "GET", "/worker_bg.wasm", "", "");
        let tag = header(&first, "ETag").unwrap().to_string();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let again = respond(&b, "GET", "/worker_bg.wasm", "", &tag);
        assert_eq!((again.status, again.body.len()), (304, 0));
        assert_eq!(header(&again, "ETag"), Some(tag.as_str()));
        assert_eq!(header(&again, "Cache-Control"), Some("no-cache"));
        for listed in [format!("\"x\", W/{tag}"), "*".to_string()] {
            assert_eq!(
                respond(&b, "GET", "/worker_bg.wasm", "", &listed).status,
                304
            );
        }
        assert_eq!(
            respond(&b, "GET", "/worker_bg.wasm", "", "\"other\"").status,
            200
        );
        // Each encoding is its own representation, with its own tag.
        let br = respond(&b, "GET", "/", "br", "");
        let plain = respond(&b, "GET", "/", "", "");
        assert_ne!(header(&br, "ETag"), header(&plain, "ETag"));
        let br_tag = header(&br, "ETag").unwrap();
        assert_eq!(respond(&b, "GET", "/", "br", br_tag).status, 304);
        assert_eq!(respond(&b, "GET", "/", "", br_tag).status, 200);
    }

    #[test]
    fn only_reading_is_allowed() {
        let b = bundle();
        assert_eq!(respond(&b, "POST", "/", "", "").status, 405);
        assert_eq!(respond(&b, "PUT", "/x", "", "").status, 405);
        assert_eq!(respond(&b, "GET", "/missing.js", "", "").status, 404);
        assert_eq!(respond(&b, "GET", "/../etc/passwd", "", "").status, 400);
        let head = respond(&b, "HEAD", "/", "", "");
        assert_eq!((head.status, head.body.len()), (200, 0));
        assert_eq!(header(&head, "Content-Length"), Some("16"));
    }
}
