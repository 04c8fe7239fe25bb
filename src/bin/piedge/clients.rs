//! What each client of `piedge serve` may take, so that one student's
//! script cannot deny the lab to the rest of the class. A client is an
//! address (one device on the classroom's network): it may hold
//! `per_client` connections at once and send `API_PER_S` API requests a
//! second, with a burst allowance. Beyond that it is refused with `429` and
//! `Retry-After`, and the server's log names it once, when it starts being
//! refused, not once per refusal. Files are not rate-limited: a flood of
//! them on its 16 connections is answered in turn with everyone else's
//! (hyper serves one request at a time per connection), and a browser
//! opening the lab asks for many at once.
//!
//! Hand-rolled, because tower's rate and concurrency limits count all
//! requests of a service together, not per client address, and
//! `tower_governor` would bring a second rate-limiting stack for the few
//! lines below.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// API requests a second one address may send, and the burst above that:
/// the lab makes a handful of calls per native run.
pub const API_PER_S: f64 = 10.0;
pub const API_BURST: f64 = 30.0;
/// The default of `--max-connections-per-client`: a browser opens six per
/// site, and a student may have two tabs and a script.
pub const PER_CLIENT_CONNECTIONS: usize = 16;

/// The client address a request came from, put in its extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

pub struct Clients {
    per_client: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    open: HashMap<IpAddr, usize>,
    buckets: HashMap<IpAddr, Bucket>,
    /// When each client was last refused, and for what: it is logged again
    /// only after a minute without refusals.
    refused: HashMap<(IpAddr, &'static str), Instant>,
    last_prune: Option<Instant>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Clients {
    pub fn new(per_client: usize) -> Clients {
        Clients {
            per_client,
            state: Mutex::new(State::default()),
        }
    }

    /// Counts a new connection from `ip`, or refuses it when the address
    /// holds its share already.
    pub fn open(&self, ip: IpAddr) -> bool {
        let mut s = self.lock();
        let n = s.open.entry(ip).or_default();
        if *n >= self.per_client {
            let line = format!(
                "{ip} holds {} connections, the most one client may (--max-connections-per-client); refusing more until it closes some",
                self.per_client
            );
            s.log_once(ip, "connections", line);
            return false;
        }
        *n += 1;
        true
    }

    pub fn close(&self, ip: IpAddr) {
        let mut s = self.lock();
        if let Some(n) = s.open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                s.open.remove(&ip);
            }
        }
    }

    /// Takes one API request from `ip`'s allowance, or says after how many
    /// seconds to try again.
    pub fn allow_api(&self, ip: IpAddr) -> Result<(), u64> {
        let (rate, burst, what) = (API_PER_S, API_BURST, "API requests");
        let now = Instant::now();
        let mut s = self.lock();
        s.prune(now);
        let bucket = s.buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64;
        let line = format!(
            "{ip} sends more than {rate} {what} a second (bursts of {burst}); answering 429 until it slows down"
        );
        s.log_once(ip, what, line);
        Err(wait)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn log_once(&mut self, ip: IpAddr, what: &'static str, line: String) {
        let now = Instant::now();
        let last = self.refused.insert((ip, what), now);
        if last.is_none_or(|t| now.duration_since(t).as_secs() >= 60) {
            eprintln!("piedge serve: {line}");
        }
    }

    /// Forgets the allowances of clients quiet for a minute (they are full
    /// again by then), so the table does not grow with every address seen.
    fn prune(&mut self, now: Instant) {
        if self
            .last_prune
            .is_some_and(|t| now.duration_since(t).as_secs() < 60)
        {
            return;
        }
        self.last_prune = Some(now);
        self.buckets
            .retain(|_, b| now.duration_since(b.at).as_secs() < 60);
        self.refused
            .retain(|_, t| now.duration_since(*t).as_secs() < 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3));

    #[test]
    fn each_address_has_its_own_share_of_connections() {
        let c = Clients::new(2);
        assert!(c.open(A) && c.open(A));
        assert!(!c.open(A), "the third from one address is refused");
        assert!(c.open(B), "another address is not affected");
        c.close(A);
        assert!(c.open(A), "a closed connection frees its place");
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate() {
        let c = Clients::new(16);
        for _ in 0..API_BURST as usize {
            assert_eq!(c.allow_api(A), Ok(()));
        }
        assert_eq!(c.allow_api(A), Err(1));
        assert_eq!(c.allow_api(B), Ok(()), "counted per address");
    }
}
