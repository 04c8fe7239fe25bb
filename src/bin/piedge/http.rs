//! The HTTP/1.1 connection handling behind `piedge serve`: enough of the
//! protocol for browsers fetching static files (GET and HEAD, keep-alive,
//! pipelined requests), with limits on everything a client controls, so a
//! classroom of curious teenagers cannot tie the server up:
//!
//! - at most `max_connections` at once (one thread each); more get `503`;
//! - a request head of at most `HEAD_BYTES` (else `431`), a target of at
//!   most `TARGET_BYTES` (else `414`), at most `MAX_HEADERS` header lines;
//! - no request bodies (`413`): the server only reads files;
//! - a request head must arrive within `HEAD_DEADLINE` once it starts (else
//!   `408`), an idle keep-alive connection is closed after `IDLE`, and a
//!   client that stops reading a response for `WRITE_STALL` is dropped.
//!
//! What to answer is not decided here: `serve.rs` passes a function from
//! (method, target, Accept-Encoding) to a [`Reply`].

use crate::serve::Reply;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const HEAD_BYTES: usize = 16 * 1024;
pub const TARGET_BYTES: usize = 2048;
pub const MAX_HEADERS: usize = 64;
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
pub const IDLE: Duration = Duration::from_secs(15);
pub const WRITE_STALL: Duration = Duration::from_secs(30);

pub type Handler = dyn Fn(&str, &str, &str) -> Reply + Send + Sync;

/// Accepts connections forever, each on its own thread.
pub fn serve(listener: TcpListener, max_connections: usize, handler: Arc<Handler>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= max_connections {
            open.fetch_sub(1, Ordering::SeqCst);
            // Answered here, briefly: read what the client sent (closing on
            // unread data would reset the connection before it sees the 503).
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = stream.read(&mut [0; 4096]);
            let reply = status_only(503, "busy: too many connections, try again\n");
            if write_reply(&mut stream, &reply, true).is_ok() {
                let _ = stream.shutdown(std::net::Shutdown::Write);
            }
            continue;
        }
        let (open, handler) = (open.clone(), handler.clone());
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let _ = connection(stream, &*handler);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // Out of threads: the stream was dropped with the closure.
            eprintln!("piedge serve: cannot start a thread for a connection");
        }
    }
}

/// Why a request head could not be read.
#[derive(Debug, PartialEq)]
enum HeadError {
    /// The client closed the connection (or went idle) between requests.
    Closed,
    Status(u16, &'static str),
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    http10: bool,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn connection(stream: TcpStream, handler: &Handler) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_STALL))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let head = match read_head(&mut reader) {
            Ok(head) => head,
            Err(HeadError::Closed) => return Ok(()),
            Err(HeadError::Status(code, message)) => {
                write_reply(&mut writer, &status_only(code, message), true)?;
                return close_after_refusal(reader.into_inner());
            }
        };
        let close = head.http10
            || head
                .header("Connection")
                .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
        let accept = head.header("Accept-Encoding").unwrap_or("");
        let reply = handler(&head.method, &head.target, accept);
        write_reply(&mut writer, &reply, close)?;
        if close {
            return Ok(());
        }
    }
}

/// After refusing a request whose rest was not read: stop sending, then
/// read and drop what is still coming (at most 1 MB, for at most a second),
/// so closing does not reset the connection before the client reads the
/// refusal.
fn close_after_refusal(mut stream: TcpStream) -> std::io::Result<()> {
    stream.shutdown(std::net::Shutdown::Write)?;
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = [0; 16 * 1024];
    for _ in 0..64 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Reads one request head: the request line and header lines up to the
/// blank line, within the size, count and time limits; a request that
/// announces a body is refused.
fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Head, HeadError> {
    let stream = reader.get_ref();
    // Waiting for the next request on a kept-alive connection.
    stream
        .set_read_timeout(Some(IDLE))
        .map_err(|_| HeadError::Closed)?;
    if reader.fill_buf().map_err(|_| HeadError::Closed)?.is_empty() {
        return Err(HeadError::Closed);
    }
    let started = Instant::now();
    let mut lines: Vec<String> = Vec::new();
    let mut total = 0;
    loop {
        let left = HEAD_DEADLINE
            .checked_sub(started.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or(HeadError::Status(
                408,
                "the request took too long to arrive\n",
            ))?;
        reader
            .get_ref()
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Closed)?;
        let mut line = Vec::new();
        let budget = (HEAD_BYTES - total) as u64 + 1;
        match reader.by_ref().take(budget).read_until(b'\n', &mut line) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => total += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::Status(
                    408,
                    "the request took too long to arrive\n",
                ));
            }
            Err(_) => return Err(HeadError::Closed),
        }
        if total > HEAD_BYTES || !line.ends_with(b"\n") {
            if lines.is_empty() && total > TARGET_BYTES {
                return Err(HeadError::Status(
                    414,
                    "the requested address is too long\n",
                ));
            }
            if total > HEAD_BYTES {
                return Err(HeadError::Status(
                    431,
                    "the request headers are too large\n",
                ));
            }
            return Err(HeadError::Closed);
        }
        let text = String::from_utf8(line)
            .map_err(|_| HeadError::Status(400, "the request is not text\n"))?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if text.is_empty() {
            if lines.is_empty() {
                continue; // a stray blank line between requests
            }
            break;
        }
        if lines.len() > MAX_HEADERS {
            return Err(HeadError::Status(431, "too many request headers\n"));
        }
        lines.push(text);
    }
    let request_line = &lines[0];
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Status(400, "malformed request line\n"));
    };
    if target.len() > TARGET_BYTES {
        return Err(HeadError::Status(
            414,
            "the requested address is too long\n",
        ));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => {
            return Err(HeadError::Status(
                505,
                "only HTTP/1.0 and 1.1 are spoken here\n",
            ))
        }
    };
    let mut headers = Vec::with_capacity(lines.len() - 1);
    for line in &lines[1..] {
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeadError::Status(400, "malformed header line\n"));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let head = Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        http10,
    };
    let has_body = head
        .header("Content-Length")
        .is_some_and(|n| n.trim() != "0")
        || head.header("Transfer-Encoding").is_some();
    if has_body {
        return Err(HeadError::Status(413, "request bodies are not accepted\n"));
    }
    Ok(head)
}

fn status_only(status: u16, message: &'static str) -> Reply {
    crate::serve::text(status, message)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Writes `reply`. A reply to HEAD carries its own Content-Length (that of
/// the GET it mirrors) and an empty body.
fn write_reply(w: &mut TcpStream, reply: &Reply, close: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let mut has_length = false;
    for (k, v) in &reply.headers {
        has_length |= k.eq_ignore_ascii_case("Content-Length");
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_length {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    if reply.status == 503 {
        head.push_str("Retry-After: 1\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(&reply.body)?;
    w.flush()
}
