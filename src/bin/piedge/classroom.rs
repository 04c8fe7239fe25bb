//! The classroom server's API (`/api/…`, JSON on the lab's own origin):
//!
//! - `GET /api/machine`: this machine, its models and limits, and a session
//!   token for a tab that has none;
//! - `POST /api/jobs` (token): queue a native benchmark, `202` with its id
//!   and place;
//! - `GET /api/jobs/{id}` (token, or the teacher code): its status now;
//!   `GET /api/jobs/{id}/events` (`?token=`, as an `EventSource` cannot set
//!   headers): the same as server-sent events until it ends. A job's id is
//!   random and only its own tab (or the teacher) may read it;
//! - `DELETE /api/jobs/{id}` (token): cancel your own job.
//!
//! Refusals are `piedge::api::ApiError` as JSON, with their status. What a
//! request may ask is checked in `piedge::api`; the queue's rules are in
//! `jobs.rs`; a job's run is in `native.rs`.

use crate::clients::ClientAddr;
use crate::jobs::Jobs;
use crate::store::Store;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use piedge::api::{
    ApiError, JobRequest, JobStatus, JobUpdate, Machine, MAX_BODY_BYTES, MAX_TOKENS,
    MAX_TOKENS_PER_ADDRESS, TOKEN_HEADER,
};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the API handlers share.
pub struct Classroom {
    pub jobs: Arc<Jobs>,
    machine: Machine,
    tokens: Mutex<Tokens>,
    /// Every answer the server gives (files and API), so a job can report
    /// how busy the server was while it ran.
    pub requests: Arc<AtomicU64>,
    /// The class board, or why it is off.
    pub board: Result<ClassBoard, String>,
    /// Turns to check a shared run (`limits::SHARES_AT_ONCE`).
    pub share_turns: Arc<tokio::sync::Semaphore>,
}

/// The class board's store and the code teacher calls need
/// (`X-PiEdge-Teacher`), kept in the store so that it survives restarts.
pub struct ClassBoard {
    pub store: Arc<Store>,
    pub teacher_code: String,
}

impl Classroom {
    /// The API of this machine, with `concurrent_runs` native jobs at once
    /// and the class board in `store` (or off, saying why); with
    /// `new_teacher_code`, the board's code is made anew.
    pub fn start(
        concurrent_runs: usize,
        store: Result<Store, String>,
        new_teacher_code: bool,
    ) -> anyhow::Result<Arc<Classroom>> {
        let board = match store {
            Ok(store) => {
                let store = Arc::new(store);
                let make = || random_hex(4).to_uppercase();
                let teacher_code = if new_teacher_code {
                    let code = make();
                    store.set_setting("teacher_code", &code)?;
                    code
                } else {
                    store.setting("teacher_code", make)?
                };
                Ok(ClassBoard {
                    store,
                    teacher_code,
                })
            }
            Err(why) => Err(why),
        };
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let run = Arc::new(
            move |request: &JobRequest, progress: &mut crate::jobs::OnProgress<'_>| {
                crate::native::run(request, &counter, concurrent_runs, progress)
            },
        );
        // A native run joins the class board, labelled as the machine and
        // marked as the server's own.
        let store = board.as_ref().ok().map(|b| b.store.clone());
        let annotate = Arc::new(
            move |report: &mut piedge::report::BenchmarkReport, others: usize| {
                report
                    .system_info
                    .extra
                    .insert("server_other_jobs_max".into(), others.to_string());
                let Some(store) = &store else {
                    return;
                };
                let run = piedge::board::native_run(report.clone());
                if let Err(e) = store.add_server_run(&run) {
                    eprintln!("piedge serve: a native run could not join the board: {e:#}");
                }
            },
        );
        let system = crate::host::system_info();
        Ok(Arc::new(Classroom {
            jobs: Jobs::start(concurrent_runs, run, annotate),
            machine: Machine {
                token: None,
                label: piedge::api::machine_label(&system, 1),
                system,
                models: piedge::zoo::MODEL_NAMES.map(String::from).to_vec(),
                max_runs: piedge::api::MAX_JOB_RUNS,
                max_warmup: piedge::api::MAX_JOB_WARMUP,
                max_job_seconds: piedge::api::MAX_JOB_SECONDS,
                concurrent_runs,
                threads: 1,
            },
            tokens: Mutex::new(Tokens::default()),
            requests,
            board,
            share_turns: Arc::new(tokio::sync::Semaphore::new(piedge::limits::SHARES_AT_ONCE)),
        }))
    }

    /// The class board, or the refusal that says why it is off.
    pub fn class_board(&self) -> Result<&ClassBoard, ApiError> {
        self.board.as_ref().map_err(|reason| ApiError::BoardOff {
            reason: reason.clone(),
        })
    }

    /// The request carries the teacher code (header, or `?teacher=` on an
    /// export link).
    pub fn is_teacher(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        let Ok(board) = &self.board else {
            return false;
        };
        let code = header_or_query(
            headers,
            crate::class_board::TEACHER_HEADER,
            query,
            "teacher",
        );
        code.is_some_and(|code| code.eq_ignore_ascii_case(&board.teacher_code))
    }

    pub fn label(&self) -> &str {
        &self.machine.label
    }

    /// The session token a request carries, if the server issued it.
    pub(crate) fn token(&self, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
        let token = header_or_query(headers, TOKEN_HEADER, query, "token")?;
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .known(&token)
            .then_some(token)
    }
}

/// A credential a request carries in the header `header` or, where a
/// header cannot be set (an `EventSource`, a link), as `key=` in its query.
pub(crate) fn header_or_query(
    headers: &HeaderMap,
    header: &str,
    query: Option<&str>,
    key: &str,
) -> Option<String> {
    let from_header = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    from_header.or_else(|| {
        query?
            .split('&')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    })
}

/// Session tokens issued, each with the address it went to. Beyond
/// `MAX_TOKENS_PER_ADDRESS` for one address its own oldest is forgotten,
/// beyond `MAX_TOKENS` in all the oldest of all: a script asking for tokens
/// in a loop cannot make the server forget the class's.
#[derive(Default)]
struct Tokens {
    known: HashMap<String, Option<IpAddr>>,
    order: VecDeque<String>,
}

impl Tokens {
    fn issue(&mut self, to: Option<IpAddr>) -> String {
        let token = random_hex(16);
        if to.is_some() {
            let mine = self
                .order
                .iter()
                .filter(|t| self.known.get(*t) == Some(&to));
            if mine.count() >= MAX_TOKENS_PER_ADDRESS {
                if let Some(i) = self
                    .order
                    .iter()
                    .position(|t| self.known.get(t) == Some(&to))
                {
                    if let Some(old) = self.order.remove(i) {
                        self.known.remove(&old);
                    }
                }
            }
        }
        self.known.insert(token.clone(), to);
        self.order.push_back(token.clone());
        while self.order.len() > MAX_TOKENS {
            if let Some(old) = self.order.pop_front() {
                self.known.remove(&old);
            }
        }
        token
    }

    fn known(&self, token: &str) -> bool {
        self.known.contains_key(token)
    }
}

/// `n` random bytes in hex, from the operating system's random source.
pub(crate) fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random number from the operating system's random source.
pub(crate) fn random_u64() -> u64 {
    let bytes = random_bytes(8);
    u64::from_le_bytes(bytes.try_into().unwrap_or_default())
}

/// `n` random bytes from the operating system; without a random source,
/// from the clock (still telling tabs apart).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> (8 * (i % 16))) as u8;
        }
    }
    bytes
}

/// The API's routes, for `serve::router` to merge.
pub fn routes(classroom: Arc<Classroom>) -> Router {
    Router::new()
        .route("/api/machine", get(machine))
        .route("/api/jobs", axum::routing::post(submit))
        .route("/api/jobs/{id}", get(status).delete(cancel))
        .route("/api/jobs/{id}/events", get(events))
        .merge(crate::class_board::routes())
        .route("/api/{*rest}", axum::routing::any(no_such_call))
        .with_state(classroom)
}

async fn machine(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let mut answer = c.machine.clone();
    if c.token(request.headers(), request.uri().query()).is_none() {
        let to = client(&request);
        answer.token = Some(c.tokens.lock().unwrap_or_else(|p| p.into_inner()).issue(to));
    }
    json(StatusCode::OK, &answer)
}

async fn submit(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let Some(token) = c.token(request.headers(), None) else {
        return refuse(ApiError::NoToken);
    };
    let from = client(&request);
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await else {
        return refuse(ApiError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        });
    };
    let result = JobRequest::parse(&body, &c.machine.models)
        .and_then(|job| c.jobs.submit(&token, from, job));
    match result {
        Ok(accepted) => json(StatusCode::ACCEPTED, &accepted),
        Err(e) => refuse(e),
    }
}

async fn status(
    State(c): State<Arc<Classroom>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    match job_id(&id).and_then(|id| readable(&c, &request, id)) {
        Ok(update) => json(StatusCode::OK, &update),
        Err(e) => refuse(e),
    }
}

/// Job `id`'s status, if the request may read it: its own tab's token
/// (header, or `?token=` on a progress stream), or the teacher code.
fn readable(c: &Classroom, request: &Request, id: u64) -> Result<JobUpdate, ApiError> {
    let (headers, query) = (request.headers(), request.uri().query());
    let owner = if c.is_teacher(headers, query) {
        None
    } else {
        Some(c.token(headers, query).ok_or(ApiError::NoToken)?)
    };
    let status = c.jobs.status_for(id, owner.as_deref())?;
    Ok(JobUpdate { id, status })
}

async fn cancel(
    State(c): State<Arc<Classroom>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = c.token(&headers, None) else {
        return refuse(ApiError::NoToken);
    };
    match job_id(&id).and_then(|id| c.jobs.cancel(&token, id).and_then(|_| update(&c, id))) {
        Ok(update) => json(StatusCode::OK, &update),
        Err(e) => refuse(e),
    }
}

/// The job's status as server-sent events: one `JobUpdate` whenever it
/// changes, until it is final. A comment every 5 s keeps the connection
/// from counting as idle (`http::IDLE`) while a long job waits in line.
async fn events(
    State(c): State<Arc<Classroom>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let id = match job_id(&id).and_then(|id| readable(&c, &request, id).map(|_| id)) {
        Ok(id) => id,
        Err(e) => return refuse(e),
    };
    let changes = c.jobs.subscribe();
    let stream = futures_util::stream::unfold(
        (c, changes, None::<JobStatus>, false),
        move |(c, mut changes, last, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let now = c.jobs.status(id)?;
                if last.as_ref() != Some(&now) {
                    let ended = now.is_final();
                    let data = serde_json::to_string(&JobUpdate {
                        id,
                        status: now.clone(),
                    })
                    .ok()?;
                    let event = Event::default().data(data);
                    return Some((
                        Ok::<_, std::convert::Infallible>(event),
                        (c, changes, Some(now), ended),
                    ));
                }
                changes.changed().await.ok()?;
            }
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn no_such_call(method: Method, request: Request) -> Response {
    refuse(ApiError::NoSuchCall {
        method: method.to_string(),
        path: request.uri().path().chars().take(100).collect(),
    })
}

/// The client address the connection put on the request (none in tests
/// that call the router directly).
pub(crate) fn client(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<ClientAddr>().map(|a| a.0)
}

fn update(c: &Classroom, id: u64) -> Result<JobUpdate, ApiError> {
    let status = c.jobs.status(id).ok_or(ApiError::UnknownJob { id })?;
    Ok(JobUpdate { id, status })
}

fn job_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::UnknownJob { id: 0 })
}

/// A failure as the API's refusal: an `ApiError` passed on, any other a
/// storage error.
pub(crate) fn api_error(e: anyhow::Error) -> ApiError {
    match e.downcast::<ApiError>() {
        Ok(api) => api,
        Err(e) => ApiError::Storage {
            detail: format!("{e:#}"),
        },
    }
}

pub(crate) fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("API answers serialise");
    answer(status, body)
}

pub(crate) fn refuse(error: ApiError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = answer(status, error.to_json());
    if let Some(v) = error
        .retry_after_s()
        .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

pub(crate) fn answer(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
