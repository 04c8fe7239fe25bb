//! The HTTP side of `piedge serve`: hyper (HTTP/1.1, keep-alive, pipelining)
//! serving an axum router, with tower-http adding the headers every response
//! carries. The limits on what a client controls, so that a classroom of
//! curious teenagers cannot tie the server up:
//!
//! - at most `max_connections` at once; more get `503` with `Retry-After`;
//! - per client address (`clients.rs`), at most its share of connections
//!   and of API requests a second; more get `429` with `Retry-After`;
//! - at most `MAX_HEADERS` header lines and a head of `HEAD_BYTES` (`431`),
//!   a target of `TARGET_BYTES` (`414`), no request bodies (`413`) but the
//!   API's small JSON ones;
//! - a request head must arrive within `HEAD_DEADLINE` once it starts, and
//!   its body within `BODY_GRACE` more, longer for a large one (`408`;
//!   blank lines count), an idle keep-alive connection is closed after
//!   `IDLE`, and a client that stops reading a response for `WRITE_STALL`
//!   is dropped;
//! - a handler that panics answers `500` for its request alone.
//!
//! hyper enforces the header count and parses; the router's first layer
//! checks sizes and bodies. Three mechanisms are the project's own, because
//! hyper has none of them: the connection cap (tower limits requests in
//! flight, not open connections), and, in [`Guarded`], the head and body
//! deadlines with their `408` (hyper's `header_read_timeout` also runs while
//! a kept-alive connection waits, and closes without a word; tower-http's
//! body timeout restarts with every chunk, so a drip of blank lines never
//! trips it), the idle and write-stall timeouts, and `505` for an HTTP
//! version it does not speak (hyper says `400`).
//!
//! What to answer is decided in `serve.rs`; this module only carries it.

use crate::clients::{ClientAddr, Clients};
use crate::serve::Reply;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

pub const HEAD_BYTES: usize = 16 * 1024;
pub const TARGET_BYTES: usize = 2048;
pub const MAX_HEADERS: usize = 64;
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// A request body must be whole `BODY_GRACE` after its head, and a second
/// more for each `BODY_MIN_RATE` bytes it announces: a job request has
/// 10 s, a share of 100 000 latencies (2 MB) 42 s over a slow network.
pub const BODY_GRACE: Duration = Duration::from_secs(10);
pub const BODY_MIN_RATE: u64 = 64 * 1024;
/// A whole request's answer must begin within this long (the slowest
/// handler, a share, answers within `limits::SHARE_DEADLINE_S`).
pub const ANSWER_WAIT: Duration = Duration::from_secs(60);
pub const IDLE: Duration = Duration::from_secs(15);
pub const WRITE_STALL: Duration = Duration::from_secs(30);
/// hyper's read buffer: larger than `HEAD_BYTES`, so that an over-long target
/// or header block is parsed and refused with the precise status below
/// rather than hyper's own bare `431`.
const READ_BUFFER: usize = 64 * 1024;

/// Headers on every response, including the ones this module writes itself.
pub type CommonHeaders = &'static [(&'static str, &'static str)];

/// How a request reached the server: plain HTTP, or HTTPS when `piedge
/// serve --lan` offers it on the same port (the first byte of a connection
/// tells them apart: a TLS handshake starts with 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Plain,
    Tls,
}

/// Serves `app` on `listener` until the process ends; with `tls`, HTTPS as
/// well as HTTP on the same port.
pub fn serve(
    listener: std::net::TcpListener,
    max_connections: usize,
    clients: Clients,
    app: Router,
    common: CommonHeaders,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(SERVING_THREAD)
        .build()?;
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    runtime.block_on(accept(
        listener,
        max_connections,
        Arc::new(clients),
        with_layers(app, common),
        common,
        tls,
    ))
}

/// The router inside the limits, with the common headers on every answer,
/// a handler's panic turned into a `500` for its request alone, and
/// tower-http's trace of each request (printed by `piedge serve --log`,
/// credentials in the address redacted).
pub fn with_layers(app: Router, common: CommonHeaders) -> Router {
    let mut app = app
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(bug))
        .layer(axum::middleware::from_fn(limits))
        .layer(axum::middleware::from_fn(rate_limit));
    for (name, value) in common {
        app = app.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_static(value),
        ));
    }
    // One line per request, when it is answered: method, target, status, time.
    let trace = tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            tracing::debug_span!(
                target: "tower_http::trace",
                "request",
                method = %request.method(),
                uri = %redacted(request.uri()),
                version = ?request.version(),
            )
        })
        .on_request(())
        .on_body_chunk(())
        .on_eos(());
    app.layer(trace)
}

/// The name of the server's threads (tokio's workers and its blocking
/// pool): a panic on one of them is a bug in answering one request, which
/// ends that request (`500`) and not the server (`main`'s panic hook).
pub const SERVING_THREAD: &str = "piedge-serve";

/// True on a thread that serves requests or runs a native job, where a
/// panic is caught and ends only what it was doing.
pub fn panic_is_contained() -> bool {
    std::thread::current()
        .name()
        .is_some_and(|n| n == SERVING_THREAD || n.starts_with(crate::jobs::RUNNER_THREAD))
}

/// The answer to a request whose handler panicked.
fn bug(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    crate::classroom::refuse(piedge::api::ApiError::ServerBug)
}

/// A request's address as the log shows it: the value of a `teacher=` or
/// `token=` in its query (the export links carry the teacher code, a
/// progress stream the tab's token) replaced by `REDACTED`.
pub fn redacted(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if matches!(k, "teacher" | "token") => format!("{k}=REDACTED"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

async fn accept(
    listener: std::net::TcpListener,
    max_connections: usize,
    clients: Arc<Clients>,
    app: Router,
    common: CommonHeaders,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    loop {
        let (stream, ip) = match listener.accept().await {
            Ok((stream, peer)) => (stream, peer.ip()),
            Err(e) => {
                // Out of file descriptors, or a connection reset before it
                // was accepted: wait a moment rather than spin.
                eprintln!("piedge serve: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match slots.clone().try_acquire_owned() {
            Ok(_) if !clients.open(ip) => {
                let message = "too many connections from your address; close some and try again\n";
                tokio::spawn(refuse(stream, 429, message, common));
            }
            Ok(slot) => {
                let (app, clients, tls) = (app.clone(), clients.clone(), tls.clone());
                tokio::spawn(async move {
                    connection(stream, ip, &clients, app, common, tls).await;
                    clients.close(ip);
                    drop(slot);
                });
            }
            Err(_) => {
                let message = "busy: too many connections, try again\n";
                tokio::spawn(refuse(stream, 503, message, common));
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    ip: std::net::IpAddr,
    clients: &Arc<Clients>,
    app: Router,
    common: CommonHeaders,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return http1(
            Guarded::new(stream, common),
            ip,
            clients,
            app,
            Transport::Plain,
        )
        .await;
    };
    // A browser may open a connection and send nothing for a while; one
    // that stays silent for `IDLE` is closed, as a kept-alive one would be.
    let mut first = [0u8; 1];
    match tokio::time::timeout(IDLE, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == 0x16 => {
            // The handshake is part of the head: it must be done within the
            // head's deadline. A browser that does not trust the certificate
            // ends it; there is nothing to answer then.
            let handshake = tokio::time::timeout(HEAD_DEADLINE, acceptor.accept(stream));
            if let Ok(Ok(stream)) = handshake.await {
                let io = Guarded::new(stream, common);
                http1(io, ip, clients, app, Transport::Tls).await
            }
        }
        Ok(Ok(1)) => {
            http1(
                Guarded::new(stream, common),
                ip,
                clients,
                app,
                Transport::Plain,
            )
            .await
        }
        _ => {}
    }
}

/// HTTP/1.1 on a connection (plain or decrypted).
async fn http1<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    io: Guarded<S>,
    ip: std::net::IpAddr,
    clients: &Arc<Clients>,
    app: Router,
    transport: Transport,
) {
    let io = TokioIo::new(io);
    // Every request learns who sent it, for the per-client limits, and how.
    let clients = clients.clone();
    let app = tower::ServiceBuilder::new()
        .map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ClientAddr(ip));
                request.extensions_mut().insert(clients.clone());
                request.extensions_mut().insert(transport);
                request
            },
        )
        .service(app);
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(READ_BUFFER)
        .max_headers(MAX_HEADERS)
        .title_case_headers(true)
        .serve_connection(io, TowerToHyperService::new(app))
        .await;
}

/// One connection too many: read what the client sent (closing on unread
/// data would reset the connection before it sees the answer), say `503`
/// (the server is full) or `429` (this client holds its share).
async fn refuse(mut stream: TcpStream, status: u16, message: &str, common: CommonHeaders) {
    let mut buf = [0; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(50), async {
        use tokio::io::AsyncReadExt;
        stream.read(&mut buf).await
    })
    .await;
    let reply = canned(status, message, common);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(&reply).await?;
        stream.shutdown().await
    })
    .await;
}

/// A whole response written without hyper, for the connections this module
/// refuses itself.
fn canned(status: u16, message: &str, common: CommonHeaders) -> Vec<u8> {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Cache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n",
        message.len()
    );
    if status == 503 || status == 429 {
        head.push_str("Retry-After: 1\r\n");
    }
    for (k, v) in common {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(message);
    head.into_bytes()
}

/// The router's first layer: the size limits hyper does not know, and no
/// request bodies.
async fn limits(request: Request, next: Next) -> Response {
    let target = request.uri().to_string().len();
    if target > TARGET_BYTES {
        return refusal(414, "the requested address is too long\n");
    }
    let head = request.method().as_str().len()
        + target
        + request
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > HEAD_BYTES {
        return refusal(431, "the request headers are too large\n");
    }
    let headers = request.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .map(|n| n.to_str().ok().and_then(|n| n.trim().parse::<usize>().ok()));
    let has_body =
        length.is_some_and(|n| n != Some(0)) || headers.contains_key(header::TRANSFER_ENCODING);
    // Only the API's POSTs carry a body, and a small one (its handler caps
    // a chunked body at the same size).
    let api_post =
        request.method() == axum::http::Method::POST && request.uri().path().starts_with("/api/");
    if has_body && !api_post {
        return refusal(413, "request bodies are not accepted\n");
    }
    let limit = piedge::api::body_limit(request.uri().path());
    if api_post && length.is_some_and(|n| n.is_none_or(|n| n > limit)) {
        return refusal(413, "the request body is too large\n");
    }
    next.run(request).await
}

/// The per-client API rate (`clients.rs`): a client over its allowance gets
/// `429` with `Retry-After` and the API's JSON refusal, and the connection
/// stays open.
async fn rate_limit(request: Request, next: Next) -> Response {
    let ext = request.extensions();
    let (Some(ClientAddr(ip)), Some(clients)) =
        (ext.get::<ClientAddr>().copied(), ext.get::<Arc<Clients>>())
    else {
        return next.run(request).await;
    };
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let Err(retry_after_s) = clients.allow_api(ip) else {
        return next.run(request).await;
    };
    crate::classroom::refuse(piedge::api::ApiError::TooManyRequests { retry_after_s })
}

/// A refused request's answer; the connection closes after it.
fn refusal(status: u16, message: &'static str) -> Response {
    let mut r = into_response(crate::serve::text(status, message));
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A [`Reply`] as an axum response.
pub fn into_response(reply: Reply) -> Response {
    // The embedded bundle's files are served from the binary without a copy.
    let body = match reply.body {
        std::borrow::Cow::Borrowed(bytes) => Body::from(bytes),
        std::borrow::Cow::Owned(bytes) => Body::from(bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

/// A connection's socket with the timeouts hyper lacks. It follows the
/// requests in the bytes themselves: a head starts with the first byte
/// read after the previous request ended, and ends at its blank line; a
/// body is as long as its head's `Content-Length` says.
///
/// - While a head is arriving, it must be whole within `HEAD_DEADLINE`, and
///   a body within `BODY_GRACE` after its head and a second more per
///   `BODY_MIN_RATE` bytes; if not, `408` is written here and the
///   connection ends. Blank lines count: before a request line
///   they are part of its head's time, inside a body part of the body's.
/// - Waiting with nothing to do (no request arriving, none being answered,
///   nothing left to write) ends after `IDLE`; a request hyper has whole is
///   given `ANSWER_WAIT` for its answer to start.
/// - A write that cannot proceed for `WRITE_STALL` fails the connection.
/// - A request line naming another HTTP version gets `505`, a chunked
///   request body `411` (the lab and the API send their length).
pub struct Guarded<S = TcpStream> {
    inner: S,
    common: CommonHeaders,
    reading: Reading,
    last_activity: Instant,
    write_blocked_since: Option<Instant>,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    /// A refusal being written, then the connection drained and ended.
    refusal: Option<Refusal>,
}

/// Where the bytes read so far leave the request they belong to.
enum Reading {
    /// Between requests, an answer written: the next byte starts a head.
    Idle,
    /// A head arriving since `started`: what of it was seen (up to
    /// `READ_BUFFER` bytes, for its first line and its body's length),
    /// whether anything but blank lines came yet, whether its request line
    /// is whole, and its last three bytes (to find the blank line that ends
    /// it across reads).
    Head {
        started: Instant,
        text: Vec<u8>,
        content: bool,
        line_seen: bool,
        tail: [u8; 3],
    },
    /// A body with `left` bytes still to come, due by `due`.
    Body { left: u64, due: Instant },
    /// A whole request is with hyper since `since`, its answer not begun.
    Answering { since: Instant },
}

struct Refusal {
    bytes: Vec<u8>,
    written: usize,
    shut: bool,
    drain_until: Instant,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Guarded<S> {
    pub fn new(inner: S, common: CommonHeaders) -> Guarded<S> {
        let now = Instant::now();
        Guarded {
            inner,
            common,
            reading: Reading::Idle,
            last_activity: now,
            write_blocked_since: None,
            read_timer: Box::pin(tokio::time::sleep_until(now + IDLE)),
            write_timer: Box::pin(tokio::time::sleep_until(now + WRITE_STALL)),
            refusal: None,
        }
    }

    fn refuse(&mut self, status: u16, message: &str) {
        self.refusal = Some(Refusal {
            bytes: canned(status, message, self.common),
            written: 0,
            shut: false,
            drain_until: Instant::now() + Duration::from_secs(1),
        });
    }

    /// Follows the bytes just read: where heads and bodies start and end,
    /// the version a request line names and how its body is sent.
    fn saw(&mut self, bytes: &[u8]) {
        let now = Instant::now();
        self.last_activity = now;
        let mut rest = bytes;
        while !rest.is_empty() {
            match &mut self.reading {
                Reading::Idle | Reading::Answering { .. } => {
                    // Pipelined bytes, or the next request: a head starts now.
                    self.reading = Reading::Head {
                        started: now,
                        text: Vec::new(),
                        content: false,
                        line_seen: false,
                        tail: [0; 3],
                    };
                }
                Reading::Body { left, .. } => {
                    let n = (*left).min(rest.len() as u64);
                    *left -= n;
                    rest = &rest[n as usize..];
                    if *left == 0 {
                        self.reading = Reading::Answering { since: now };
                    }
                }
                Reading::Head {
                    text,
                    content,
                    line_seen,
                    tail,
                    ..
                } => {
                    let (mut end, mut refusal) = (None, None);
                    for (i, &b) in rest.iter().enumerate() {
                        if text.len() < READ_BUFFER {
                            text.push(b);
                        }
                        *content |= b != b'\r' && b != b'\n';
                        if b == b'\n' && *content && !*line_seen {
                            // The request line is whole: its version is
                            // looked at once, as soon as it is.
                            *line_seen = true;
                            refusal = refusal_of_line(text);
                            if refusal.is_some() {
                                break;
                            }
                        }
                        let window = [tail[1], tail[2], b];
                        *tail = window;
                        // Blank lines before any content are not a head's end.
                        if *content && (window == *b"\n\r\n" || window[1..] == *b"\n\n") {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    if let Some((status, message)) = refusal {
                        self.refuse(status, message);
                        return;
                    }
                    let Some(n) = end else {
                        break;
                    };
                    rest = &rest[n..];
                    let head = std::mem::take(text);
                    self.reading = match body_of(&head) {
                        Announced::Chunked => {
                            self.refuse(411, "send the request body with a Content-Length\n");
                            return;
                        }
                        Announced::Length(0) => Reading::Answering { since: now },
                        // The length is the client's number: the time it buys
                        // is capped (a body beyond the API's limit is refused
                        // before it is read anyway).
                        Announced::Length(left) => Reading::Body {
                            left,
                            due: now
                                + BODY_GRACE
                                + Duration::from_secs((left / BODY_MIN_RATE).min(600)),
                        },
                    };
                }
            }
        }
    }

    /// Writes the refusal, shuts the writing side, reads and drops what the
    /// client still sends for a moment (closing on unread data would reset
    /// the connection before the client reads the answer), then ends.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(r) = &mut self.refusal else {
            return Poll::Ready(Ok(()));
        };
        while r.written < r.bytes.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &r.bytes[r.written..]))?;
            if n == 0 {
                return Poll::Ready(Ok(()));
            }
            r.written += n;
        }
        if !r.shut {
            let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
            r.shut = true;
            self.read_timer.as_mut().reset(r.drain_until);
        }
        loop {
            if self.read_timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut scratch = [0u8; 4096];
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf)) {
                Ok(()) if !buf.filled().is_empty() => continue,
                _ => return Poll::Ready(Ok(())),
            }
        }
    }

    /// When reading must have made progress by, and what to do if not:
    /// `Some(true)` refuses with `408`, `Some(false)` ends quietly.
    fn read_deadline(&self) -> Option<(Instant, bool)> {
        match &self.reading {
            Reading::Head { started, .. } => Some((*started + HEAD_DEADLINE, true)),
            Reading::Body { due, .. } => Some((*due, true)),
            Reading::Answering { since } => Some((*since + ANSWER_WAIT, false)),
            // A response is stuck: the write side decides.
            Reading::Idle if self.write_blocked_since.is_some() => None,
            Reading::Idle => Some((self.last_activity + IDLE, false)),
        }
    }
}

/// How a request's body comes, by its head.
enum Announced {
    Length(u64),
    Chunked,
}

/// The body a request head announces: its `Content-Length` (none, or one
/// hyper will refuse, counts as 0), or chunks.
fn body_of(head: &[u8]) -> Announced {
    let text = String::from_utf8_lossy(head);
    let mut length = 0;
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Announced::Chunked;
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    Announced::Length(length)
}

/// A refusal for a head whose request line (once whole) names an HTTP
/// version other than 1.0 and 1.1.
fn refusal_of_line(head: &[u8]) -> Option<(u16, &'static str)> {
    let start = head.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let head = &head[start..];
    let end = head.iter().position(|&b| b == b'\n')?;
    let version = request_version(&head[..end])?;
    let other = version.starts_with(b"HTTP/") && version != b"HTTP/1.1" && version != b"HTTP/1.0";
    other.then_some((505, "only HTTP/1.0 and 1.1 are spoken here\n"))
}

/// The last word of a request line, if it has three.
fn request_version(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line.split(|&b| b == b' ');
    let (_, _, version) = (words.next()?, words.next()?, words.next()?);
    Some(version)
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            // Ends the connection for hyper: an end of stream, nothing read.
            return this.poll_refusal(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let fresh = buf.filled()[before..].to_vec();
                this.saw(&fresh);
                if this.refusal.is_some() {
                    // hyper must not parse what is being refused.
                    buf.set_filled(before);
                    return this.poll_refusal(cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some((deadline, late)) = this.read_deadline() else {
                    return Poll::Pending;
                };
                if this.read_timer.deadline() != deadline {
                    this.read_timer.as_mut().reset(deadline);
                }
                if this.read_timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if late {
                    this.refuse(408, "the request took too long to arrive\n");
                    return this.poll_refusal(cx);
                }
                // Idle: end quietly.
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.answering();
        let written = Pin::new(&mut this.inner).poll_write(cx, data);
        this.after_write(cx, written)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => this.write_stalled(cx).map_ok(|_| ()),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.answering();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Guarded<S> {
    /// hyper writes once it has a whole request head: the answer has begun.
    /// A body still arriving (the answer did not wait for it, or hyper asked
    /// for it with `100 Continue`) and a pipelined head keep their deadline.
    fn answering(&mut self) {
        if let Reading::Answering { .. } = self.reading {
            self.reading = Reading::Idle;
            // The read side sleeps until the answer's longer deadline: its
            // timer (which keeps the read's waker) is brought forward to
            // the idle one, or a finished connection would stay open for
            // `ANSWER_WAIT` instead of `IDLE`. A later deadline needs no
            // care: the earlier timer fires and the read re-arms it.
            self.read_timer.as_mut().reset(Instant::now() + IDLE);
        }
    }

    /// Follows a write to the socket: progress resets the stall and idle
    /// clocks, a write that cannot proceed starts the stall clock.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(result) => {
                self.write_blocked_since = None;
                self.last_activity = Instant::now();
                Poll::Ready(result)
            }
            Poll::Pending => self.write_stalled(cx),
        }
    }

    /// A write that could not proceed: pending until `WRITE_STALL` has passed
    /// since it first could not, then an error that ends the connection.
    fn write_stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let since = *self.write_blocked_since.get_or_insert_with(Instant::now);
        let deadline = since + WRITE_STALL;
        if self.write_timer.deadline() != deadline {
            self.write_timer.as_mut().reset(deadline);
        }
        ready!(self.write_timer.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped reading",
        )))
    }
}
