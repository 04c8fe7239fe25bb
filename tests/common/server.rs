//! A `piedge serve` child process on a loopback port, and a raw HTTP/1.1
//! request to it, for the server's and the API's tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Its data folder (`XDG_DATA_HOME`), unless the test gave `--data-dir`.
    pub data: tempfile::TempDir,
    /// What it printed before its own address.
    pub banner: Vec<String>,
    /// What it printed after its address, as it comes.
    pub later: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// The line it printed after its address that contains `needle`,
    /// waiting up to 5 s for it.
    pub fn printed(&self, needle: &str) -> Option<String> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let found = self
                .later
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
                .cloned();
            if found.is_some() || std::time::Instant::now() > until {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(dir: &std::path::Path) -> Server {
    start_with(dir, &[])
}

pub fn start_with(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("piedge"));
    cmd.args(["serve", "--port", "0", "--dir"])
        .arg(dir)
        .args(extra);
    spawn(cmd)
}

/// Starts a prepared `piedge serve` command and waits for its address.
pub fn spawn(mut cmd: Command) -> Server {
    let data = tempfile::tempdir().unwrap();
    cmd.env("XDG_DATA_HOME", data.path());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = vec![];
    let port = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(rest) = line.trim().strip_prefix("http://127.0.0.1:") {
            break rest.trim_end_matches('/').parse().unwrap();
        }
        banner.push(line);
    };
    let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = later.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    Server {
        child,
        port,
        data,
        banner,
        later,
    }
}

/// Sends `request` verbatim (so paths reach the server exactly as written)
/// and returns (status, headers in lower case, body).
pub fn raw(port: u16, request: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    raw_from([127, 0, 0, 1], port, request)
}

/// A connection to the server from the loopback address `from`: another
/// device of the class, as the per-client limits see it (Linux routes all
/// of 127.0.0.0/8 to the loopback interface).
pub fn connect_from(from: [u8; 4], port: u16) -> std::io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&std::net::SocketAddr::from((from, 0)).into())?;
    socket.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    Ok(socket.into())
}

/// [`raw`], from the loopback address `from`.
pub fn raw_from(from: [u8; 4], port: u16, request: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = connect_from(from, port).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let body = buf[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body)
}

/// One HTTP request from the loopback address `from`, with `headers` and a
/// body (the API's calls in the tests): (status, headers, body).
pub fn request_from(
    from: [u8; 4],
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    raw_from(
        from,
        port,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}
