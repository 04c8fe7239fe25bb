//! The classroom server's API as the page calls it: what the machine is,
//! submitting and cancelling a native job, and following its progress
//! (an `EventSource` on its server-sent events). The tab's session token
//! lives in `sessionStorage`, so each tab is its own client and a reload
//! keeps it. The types and their checks are `piedge::api`'s.

use crate::dom;
use piedge::api::{ApiError, JobAccepted, JobRequest, JobUpdate, Machine, TOKEN_HEADER};
use piedge::lab::state::{Refused, TeacherAction};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const TOKEN_KEY: &str = "piedge-token";

/// Consecutive stream errors before a job is given up: `EventSource`
/// reconnects by itself after a hiccup, but not to a server that is gone.
const STREAM_RETRIES: u32 = 3;

/// `GET api/machine`: the server, and whether this page runs on it. Any
/// answer that is not the API's (a static host's 404, its index page) means
/// there is none.
pub async fn machine() -> Result<(Machine, bool), String> {
    let (status, body) = call("GET", "api/machine", None).await?;
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    let machine: Machine = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    if let (Some(token), Some(store)) = (&machine.token, session_storage()) {
        let _ = store.set_item(TOKEN_KEY, token);
    }
    let host = dom::window().location().hostname().unwrap_or_default();
    let same_machine = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1");
    Ok((machine, same_machine))
}

pub async fn submit(job: &JobRequest) -> Result<JobAccepted, Refused> {
    let body = serde_json::to_string(job).map_err(|e| Refused::Network(e.to_string()))?;
    let (status, answer) = call("POST", "api/jobs", Some(&body))
        .await
        .map_err(Refused::Network)?;
    if status == 202 {
        return serde_json::from_slice(&answer).map_err(|e| Refused::Network(e.to_string()));
    }
    Err(ApiError::from_json(&answer)
        .map(Refused::Api)
        .unwrap_or_else(|| Refused::Network(format!("HTTP {status}"))))
}

/// `DELETE api/jobs/{id}`; the outcome arrives on the job's stream.
pub async fn cancel(id: u64) -> Result<(), String> {
    let (status, answer) = call("DELETE", &format!("api/jobs/{id}"), None).await?;
    if status == 200 {
        return Ok(());
    }
    Err(ApiError::from_json(&answer).map_or(format!("HTTP {status}"), |e| e.to_string()))
}

/// Follows job `id`: `on_update` for each change, until the final one;
/// `on_lost` once if the stream cannot be kept.
pub fn follow(
    id: u64,
    on_update: impl Fn(JobUpdate) + 'static,
    on_lost: impl Fn(String) + 'static,
) {
    // An `EventSource` cannot send headers: the tab's token goes in the
    // query, so that only this tab can follow its job.
    let token = session_storage()
        .and_then(|s| s.get_item(TOKEN_KEY).ok().flatten())
        .unwrap_or_default();
    let url = format!("api/jobs/{id}/events?token={token}");
    let source = match web_sys::EventSource::new(&url) {
        Ok(s) => s,
        Err(e) => return on_lost(dom::js_text(e)),
    };
    let errors = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let (seen, watched) = (errors.clone(), source.clone());
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            seen.set(0);
            let Some(data) = ev.data().as_string() else {
                return;
            };
            if let Ok(update) = serde_json::from_str::<JobUpdate>(&data) {
                if update.status.is_final() {
                    watched.close();
                }
                on_update(update);
            }
        });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let failing = source.clone();
    let on_error = Closure::<dyn FnMut()>::new(move || {
        errors.set(errors.get() + 1);
        if failing.ready_state() == web_sys::EventSource::CLOSED || errors.get() >= STREAM_RETRIES {
            failing.close();
            on_lost(format!("api/jobs/{id}/events"));
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
}

/// One request with the tab's token: (status, body).
async fn call(method: &str, url: &str, body: Option<&str>) -> Result<(u16, Vec<u8>), String> {
    call_with(method, url, body, &[]).await
}

/// [`call`] with further headers.
async fn call_with(
    method: &str,
    url: &str,
    body: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), String> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(dom::js_text)?;
    for (k, v) in extra {
        headers.set(k, v).map_err(dom::js_text)?;
    }
    if let Some(token) = session_storage().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten()) {
        headers.set(TOKEN_HEADER, &token).map_err(dom::js_text)?;
    }
    if let Some(body) = body {
        headers
            .set("Content-Type", "application/json")
            .map_err(dom::js_text)?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(dom::js_text)?;
    let response = JsFuture::from(dom::window().fetch_with_request(&request))
        .await
        .map_err(dom::js_text)?;
    let response: web_sys::Response = response.dyn_into().map_err(dom::js_text)?;
    let buffer = JsFuture::from(response.array_buffer().map_err(dom::js_text)?)
        .await
        .map_err(dom::js_text)?;
    Ok((response.status(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

fn session_storage() -> Option<web_sys::Storage> {
    dom::window().session_storage().ok().flatten()
}

/// `GET api/board`, with the teacher code when there is one.
pub async fn board(teacher: &str) -> Result<piedge::board::Board, String> {
    let headers = [(TEACHER_HEADER, teacher)];
    let extra: &[(&str, &str)] = if teacher.is_empty() { &[] } else { &headers };
    let (status, body) = call_with("GET", "api/board", None, extra).await?;
    if status != 200 {
        return Err(ApiError::from_json(&body).map_or(format!("HTTP {status}"), |e| e.to_string()));
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// `POST api/shared`: the board id of the shared run.
pub async fn share(body: &[u8]) -> Result<u64, Refused> {
    let body = String::from_utf8_lossy(body).into_owned();
    let (status, answer) = call("POST", "api/shared", Some(&body))
        .await
        .map_err(Refused::Network)?;
    if status == 201 {
        let id = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["id"].as_u64());
        return id.ok_or_else(|| Refused::Network(format!("HTTP {status}")));
    }
    Err(refused(status, &answer))
}

/// A teacher call with the code.
pub async fn teacher(code: &str, action: &TeacherAction) -> Result<(), Refused> {
    let (method, path, body) = match action {
        TeacherAction::NewSession(name) => (
            "POST",
            "api/teacher/session".to_string(),
            serde_json::json!({ "name": name }).to_string(),
        ),
        TeacherAction::Lock(on) => ("POST", "api/teacher/lock".into(), switch(*on)),
        TeacherAction::Release(on) => ("POST", "api/teacher/release".into(), switch(*on)),
        TeacherAction::Hide(id, on) => ("POST", format!("api/teacher/runs/{id}/hide"), switch(*on)),
        TeacherAction::Remove(id) => ("DELETE", format!("api/teacher/runs/{id}"), String::new()),
    };
    let body = (!body.is_empty()).then_some(body.as_str());
    let (status, answer) = call_with(method, &path, body, &[(TEACHER_HEADER, code)])
        .await
        .map_err(Refused::Network)?;
    if status == 200 {
        Ok(())
    } else {
        Err(refused(status, &answer))
    }
}

/// The teacher's header, as `class_board.rs` reads it.
const TEACHER_HEADER: &str = "x-piedge-teacher";

fn switch(on: bool) -> String {
    serde_json::json!({ "on": on }).to_string()
}

fn refused(status: u16, answer: &[u8]) -> Refused {
    ApiError::from_json(answer)
        .map(Refused::Api)
        .unwrap_or_else(|| Refused::Network(format!("HTTP {status}")))
}
