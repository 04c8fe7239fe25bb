//! The class board's API: students share kept runs, the board shows them,
//! the teacher (with the code `piedge serve` printed) runs the session.
//!
//! - `POST /api/shared` (token): `{"nickname", "label", "report"}` → `201 {"id"}`;
//! - `GET /api/board`: the session's runs, a summary each (hidden ones too
//!   for the teacher); `GET /api/board/runs/{id}`: one run whole, with its
//!   latencies;
//! - teacher calls (`X-PiEdge-Teacher: CODE`, or `?teacher=CODE` for the
//!   export links): `POST /api/teacher/session {"name"}`, `POST
//!   /api/teacher/lock {"on"}`, `POST /api/teacher/release {"on"}`, `POST
//!   /api/teacher/runs/{id}/hide {"on"}`, `DELETE /api/teacher/runs/{id}`,
//!   `GET /api/teacher/export.csv`, `GET /api/teacher/export.json`.
//!
//! A share is admitted before any work (the lock and the quotas, from the
//! store), read and checked on one of `limits::SHARES_AT_ONCE` turns within
//! `limits::SHARE_DEADLINE_S`, and stored only if its answer is still
//! awaited, the admission asked again in the storing transaction. What a
//! shared run may hold is checked in `piedge::board`; the runs are kept in
//! `store.rs`. With the board off (a data folder the server cannot write),
//! every call here answers `board_off`.

use crate::classroom::{answer, client, json, refuse, Classroom};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use piedge::api::ApiError;
use piedge::board::{self, ShareRequest, MAX_SHARE_BYTES};
use piedge::limits::SHARE_DEADLINE_S;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const TEACHER_HEADER: &str = "x-piedge-teacher";

pub fn routes() -> Router<Arc<Classroom>> {
    Router::new()
        .route("/api/shared", post(share))
        .route("/api/board", get(show))
        .route("/api/board/runs/{id}", get(one_run))
        .route("/api/teacher/session", post(new_session))
        .route("/api/teacher/lock", post(lock))
        .route("/api/teacher/release", post(release))
        .route("/api/teacher/runs/{id}/hide", post(hide))
        .route("/api/teacher/runs/{id}", axum::routing::delete(remove))
        .route("/api/teacher/export.csv", get(export_csv))
        .route("/api/teacher/export.json", get(export_json))
}

async fn share(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let store = match c.class_board() {
        Ok(b) => b.store.clone(),
        Err(e) => return refuse(e),
    };
    let Some(token) = c.token(request.headers(), None) else {
        return refuse(ApiError::NoToken);
    };
    let from = client(&request).map(|a| a.to_string());
    let due = tokio::time::Instant::now() + Duration::from_secs(SHARE_DEADLINE_S);
    // Admission first: a locked board or a spent quota costs the server a
    // query, not a read of 4 MB and a recomputation.
    let (early, t, f) = (store.clone(), token.clone(), from.clone());
    if let Err(e) =
        blocking(move || Ok(board::admit(&early.share_counts(&t, f.as_deref())?)?)).await
    {
        return refuse(e);
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_SHARE_BYTES).await else {
        return refuse(ApiError::BodyTooLarge {
            limit: MAX_SHARE_BYTES,
        });
    };
    // A turn to check it; the turn goes with the work, so a share that
    // outlives its answer still holds it until it stops.
    let Ok(Ok(turn)) = tokio::time::timeout_at(due, c.share_turns.clone().acquire_owned()).await
    else {
        return refuse(ApiError::Busy { retry_after_s: 2 });
    };
    let fate = Arc::new(AtomicU8::new(WORKING));
    let _abandon_if_dropped = Abandon(fate.clone());
    let work_fate = fate.clone();
    let mut work = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let run = ShareRequest::parse(&body)?;
        // Stored only if the answer still waits for it; once storing, the
        // answer waits for the store.
        if work_fate
            .compare_exchange(WORKING, STORING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ApiError::ShareTimedOut {
                seconds: SHARE_DEADLINE_S,
            });
        }
        store
            .add_share(&run, &token, from)
            .map_err(crate::classroom::api_error)
    });
    let outcome = match tokio::time::timeout_at(due, &mut work).await {
        Ok(done) => done,
        Err(_) => {
            let given_up =
                fate.compare_exchange(WORKING, ABANDONED, Ordering::AcqRel, Ordering::Acquire);
            if given_up.is_ok() {
                return refuse(ApiError::ShareTimedOut {
                    seconds: SHARE_DEADLINE_S,
                });
            }
            // Being stored already: the answer says how that ended.
            work.await
        }
    };
    match outcome {
        Ok(Ok(id)) => json(StatusCode::CREATED, &serde_json::json!({ "id": id })),
        Ok(Err(e)) => refuse(e),
        Err(_) => refuse(ApiError::ServerBug),
    }
}

/// What became of a share being checked: still being checked, being
/// stored (its answer will say so), or given up by its request (timed out,
/// or the client left), so not to be stored.
const WORKING: u8 = 0;
const STORING: u8 = 1;
const ABANDONED: u8 = 2;

/// Gives a share's work up when its request goes away unanswered (the
/// client closed the connection).
struct Abandon(Arc<AtomicU8>);

impl Drop for Abandon {
    fn drop(&mut self) {
        let _ = self
            .0
            .compare_exchange(WORKING, ABANDONED, Ordering::AcqRel, Ordering::Acquire);
    }
}

async fn show(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let teacher = c.is_teacher(request.headers(), request.uri().query());
    let store = match c.class_board() {
        Ok(b) => b.store.clone(),
        Err(e) => return refuse(e),
    };
    match blocking(move || store.board(teacher)).await {
        Ok(board) => json(StatusCode::OK, &board),
        Err(e) => refuse(e),
    }
}

/// One run whole, its latencies too (a hidden one for the teacher only).
async fn one_run(
    State(c): State<Arc<Classroom>>,
    Path(id): Path<u64>,
    request: Request,
) -> Response {
    let teacher = c.is_teacher(request.headers(), request.uri().query());
    let store = match c.class_board() {
        Ok(b) => b.store.clone(),
        Err(e) => return refuse(e),
    };
    match blocking(move || store.run(id, teacher)).await {
        Ok(Some(run)) => json(StatusCode::OK, &run),
        Ok(None) => refuse(ApiError::UnknownRun { id }),
        Err(e) => refuse(e),
    }
}

/// The body of a teacher's switch: `{"on": true}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Switch {
    on: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSession {
    name: String,
}

async fn new_session(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    teacher_call(c, request, |store, body: NewSession| {
        let name: String = body.name.trim().chars().take(60).collect();
        store.new_session(if name.is_empty() { "class" } else { &name })
    })
    .await
}

async fn lock(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    teacher_call(c, request, |store, body: Switch| store.set_locked(body.on)).await
}

async fn release(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    teacher_call(c, request, |store, body: Switch| {
        store.set_released(body.on)
    })
    .await
}

async fn hide(State(c): State<Arc<Classroom>>, Path(id): Path<u64>, request: Request) -> Response {
    teacher_call(c, request, move |store, body: Switch| {
        if store.set_hidden(id, body.on)? {
            Ok(())
        } else {
            Err(anyhow::Error::new(ApiError::UnknownRun { id }))
        }
    })
    .await
}

async fn remove(
    State(c): State<Arc<Classroom>>,
    Path(id): Path<u64>,
    request: Request,
) -> Response {
    let store = match teacher_store(&c, &request) {
        Ok(store) => store,
        Err(e) => return refuse(e),
    };
    match blocking(move || store.remove(id)).await {
        Ok(true) => json(StatusCode::OK, &serde_json::json!({})),
        Ok(false) => refuse(ApiError::UnknownRun { id }),
        Err(e) => refuse(e),
    }
}

async fn export_csv(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    export(
        c,
        request,
        "piedge-class.csv",
        "text/csv; charset=utf-8",
        |store| Ok(board::csv(&store.board(true)?.runs)),
    )
    .await
}

async fn export_json(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    export(
        c,
        request,
        "piedge-class.json",
        "application/json",
        |store| Ok(board::export_json(&store.all_runs(true)?)),
    )
    .await
}

/// A download of the whole class (hidden runs marked in the CSV, left out
/// of the JSON the lab imports).
async fn export(
    c: Arc<Classroom>,
    request: Request,
    file: &'static str,
    mime: &'static str,
    bytes: fn(&crate::store::Store) -> anyhow::Result<Vec<u8>>,
) -> Response {
    let store = match teacher_store(&c, &request) {
        Ok(store) => store,
        Err(e) => return refuse(e),
    };
    match blocking(move || bytes(&store)).await {
        Ok(b) => {
            let mut r = answer(StatusCode::OK, b);
            let headers = r.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => refuse(e),
    }
}

/// A teacher call with a small JSON body: the code checked, the body read,
/// `act` run on the store, `{}` or the refusal answered.
async fn teacher_call<B, F>(c: Arc<Classroom>, request: Request, act: F) -> Response
where
    B: serde::de::DeserializeOwned + Send + 'static,
    F: FnOnce(&crate::store::Store, B) -> anyhow::Result<()> + Send + 'static,
{
    let store = match teacher_store(&c, &request) {
        Ok(store) => store,
        Err(e) => return refuse(e),
    };
    let limit = piedge::api::MAX_BODY_BYTES;
    let Ok(body) = axum::body::to_bytes(request.into_body(), limit).await else {
        return refuse(ApiError::BodyTooLarge { limit });
    };
    let body: B = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return refuse(ApiError::BadJson {
                detail: e.to_string(),
            })
        }
    };
    match blocking(move || act(&store, body)).await {
        Ok(()) => json(StatusCode::OK, &serde_json::json!({})),
        Err(e) => refuse(e),
    }
}

/// The store, for a request that carries the teacher code.
fn teacher_store(c: &Classroom, request: &Request) -> Result<Arc<crate::store::Store>, ApiError> {
    let board = c.class_board()?;
    if !c.is_teacher(request.headers(), request.uri().query()) {
        return Err(ApiError::BadTeacherCode);
    }
    Ok(board.store.clone())
}

/// Runs a store call off the async threads (SQLite waits for the disk); an
/// `ApiError` it returns is passed on, any other failure is a storage error.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(crate::classroom::api_error),
        Err(_) => Err(ApiError::ServerBug),
    }
}
