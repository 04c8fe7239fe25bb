//! The class board's API: students share kept runs, the board shows them,
//! the teacher (with the code `piedge serve` printed) runs the session.
//!
//! - `POST /api/shared` (token): `{"nickname", "label", "report"}` → `201 {"id"}`;
//! - `GET /api/board`: the session's runs (hidden ones too for the teacher);
//! - teacher calls (`X-PiEdge-Teacher: CODE`, or `?teacher=CODE` for the
//!   export links): `POST /api/teacher/session {"name"}`, `POST
//!   /api/teacher/lock {"on"}`, `POST /api/teacher/release {"on"}`, `POST
//!   /api/teacher/runs/{id}/hide {"on"}`, `DELETE /api/teacher/runs/{id}`,
//!   `GET /api/teacher/export.csv`, `GET /api/teacher/export.json`.
//!
//! What a shared run may hold is checked in `piedge::board`; the runs are
//! kept in `store.rs`.

use crate::classroom::{answer, client, json, refuse, Classroom};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use piedge::api::ApiError;
use piedge::board::{
    self, ShareRequest, MAX_RUNS_PER_SESSION, MAX_SHARE_BYTES, SHARES_PER_ADDRESS_PER_MINUTE,
    SHARES_PER_TOKEN_PER_MINUTE,
};
use std::sync::Arc;

pub const TEACHER_HEADER: &str = "x-piedge-teacher";

pub fn routes() -> Router<Arc<Classroom>> {
    Router::new()
        .route("/api/shared", post(share))
        .route("/api/board", get(show))
        .route("/api/teacher/session", post(new_session))
        .route("/api/teacher/lock", post(lock))
        .route("/api/teacher/release", post(release))
        .route("/api/teacher/runs/{id}/hide", post(hide))
        .route("/api/teacher/runs/{id}", axum::routing::delete(remove))
        .route("/api/teacher/export.csv", get(export_csv))
        .route("/api/teacher/export.json", get(export_json))
}

async fn share(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let Some(token) = c.token(request.headers(), None) else {
        return refuse(ApiError::NoToken);
    };
    let from = client(&request).map(|a| a.to_string());
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_SHARE_BYTES).await else {
        return refuse(ApiError::BodyTooLarge {
            limit: MAX_SHARE_BYTES,
        });
    };
    let store = c.store.clone();
    // Reading the run recomputes its statistics (bootstrap intervals over
    // up to 100 000 latencies): off the threads that serve the class's files.
    let stored = blocking(move || {
        let run = match ShareRequest::parse(&body) {
            Ok(run) => run,
            Err(e) => return Ok(Err(e)),
        };
        let session = store.current()?;
        if session.locked {
            return Ok(Err(ApiError::SharingLocked));
        }
        let (by_token, by_address, in_session) = store.counts(&token, from.as_deref())?;
        if by_token >= SHARES_PER_TOKEN_PER_MINUTE {
            return Ok(Err(ApiError::TooManyShares {
                per_minute: SHARES_PER_TOKEN_PER_MINUTE,
            }));
        }
        if by_address >= SHARES_PER_ADDRESS_PER_MINUTE {
            return Ok(Err(ApiError::TooManyShares {
                per_minute: SHARES_PER_ADDRESS_PER_MINUTE,
            }));
        }
        if in_session >= MAX_RUNS_PER_SESSION {
            return Ok(Err(ApiError::SessionFull {
                limit: MAX_RUNS_PER_SESSION,
            }));
        }
        Ok(Ok(store.add(&run, Some(&token), from)?))
    })
    .await;
    match stored {
        Ok(Ok(id)) => json(StatusCode::CREATED, &serde_json::json!({ "id": id })),
        Ok(Err(e)) | Err(e) => refuse(e),
    }
}

async fn show(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    let teacher = is_teacher(&c, &request);
    let store = c.store.clone();
    match blocking(move || store.board(teacher)).await {
        Ok(board) => json(StatusCode::OK, &board),
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
    if !is_teacher(&c, &request) {
        return refuse(ApiError::BadTeacherCode);
    }
    let store = c.store.clone();
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
        |b| board::csv(&b.runs),
    )
    .await
}

async fn export_json(State(c): State<Arc<Classroom>>, request: Request) -> Response {
    export(c, request, "piedge-class.json", "application/json", |b| {
        board::export_json(&b.runs)
    })
    .await
}

/// A download of the whole class (hidden runs marked in the CSV, left out
/// of the JSON the lab imports).
async fn export(
    c: Arc<Classroom>,
    request: Request,
    file: &'static str,
    mime: &'static str,
    bytes: fn(&piedge::board::Board) -> Vec<u8>,
) -> Response {
    if !is_teacher(&c, &request) {
        return refuse(ApiError::BadTeacherCode);
    }
    let store = c.store.clone();
    match blocking(move || store.board(true)).await {
        Ok(b) => {
            let mut r = answer(StatusCode::OK, bytes(&b));
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
    if !is_teacher(&c, &request) {
        return refuse(ApiError::BadTeacherCode);
    }
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
    let store = c.store.clone();
    match blocking(move || act(&store, body)).await {
        Ok(()) => json(StatusCode::OK, &serde_json::json!({})),
        Err(e) => refuse(e),
    }
}

fn is_teacher(c: &Classroom, request: &Request) -> bool {
    let code = crate::classroom::header_or_query(
        request.headers(),
        TEACHER_HEADER,
        request.uri().query(),
        "teacher",
    );
    code.is_some_and(|code| code.eq_ignore_ascii_case(&c.teacher_code))
}

/// Runs a store call off the async threads (SQLite waits for the disk); an
/// `ApiError` it returns is passed on, any other failure is a storage error.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let to_api = |e: anyhow::Error| match e.downcast::<ApiError>() {
        Ok(api) => api,
        Err(e) => ApiError::Storage {
            detail: format!("{e:#}"),
        },
    };
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(to_api),
        Err(_) => Err(ApiError::Storage {
            detail: "the database call failed".into(),
        }),
    }
}
