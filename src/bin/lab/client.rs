//! The page's end of the benchmark worker: starts it, sends it messages,
//! turns its replies and its crashes into events, and replaces a crashed
//! worker with a fresh one.
//!
//! A worker can also die silently: a model that never finishes keeps it
//! busy forever, and a busy worker cannot say so. A watchdog therefore
//! checks, ten times a second, how long an expected worker has been quiet.
//! While a run streams progress (every 10 ms of computing, or after each
//! inference if one takes longer), silence beyond `max(0.7 s, 5 × the
//! longest gap seen so far in runs)` means it hangs: a small model's hang is
//! noticed within a second. Loading a model, a run's first
//! inference and the kernel self-check are single long computations of
//! unknown length: they get `SLOW_STEP_MS`.

use crate::dom::js_text;
use piedge::lab::protocol::{FromWorker, ToWorker};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What the worker did.
pub enum WorkerEvent {
    Message(FromWorker),
    /// The worker died (a panic traps the wasm instance, an out-of-memory
    /// aborts it) or could not start. It has been replaced by the time the
    /// handler sees this.
    Crashed(String),
    /// The worker went silent while work was expected (see the module
    /// comment), was terminated and replaced.
    Hung {
        silent_ms: f64,
    },
}

/// Silence that always counts as a hang while a run streams progress.
const HANG_MS: f64 = 700.0;
/// Silence allowed for a step of unknown length (a load, a first inference).
const SLOW_STEP_MS: f64 = 20_000.0;
/// How often the watchdog looks.
const WATCH_EVERY_MS: i32 = 100;

/// What the page waits for, by request id.
#[derive(Clone, Copy, PartialEq)]
enum Awaiting {
    /// A load, a self-check, or a run that has not reported yet.
    SlowStep,
    /// A run that is streaming progress.
    Streaming,
}

struct Client {
    worker: web_sys::Worker,
    /// A worker drops messages that arrive before its wasm has started and
    /// installed its handler; until it says Ready, messages wait here.
    ready: bool,
    waiting: Vec<JsValue>,
    awaiting: std::collections::HashMap<u64, Awaiting>,
    last_heard_ms: f64,
    /// The longest silence between two messages of a streaming run.
    longest_gap_ms: f64,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

type Handler = std::rc::Rc<dyn Fn(WorkerEvent)>;

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
    static LAST_WATCH: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// The loader trunk writes for the `worker` binary, relative to the page,
/// so the lab also works under a sub-path.
const WORKER_URL: &str = "./worker_loader.js";

/// Starts the worker; `handler` receives everything it says.
pub fn start(handler: impl Fn(WorkerEvent) + 'static) {
    HANDLER.with(|h| *h.borrow_mut() = Some(std::rc::Rc::new(handler)));
    spawn();
    let watchdog = Closure::<dyn FnMut()>::new(watch);
    let _ = crate::dom::window().set_interval_with_callback_and_timeout_and_arguments_0(
        watchdog.as_ref().unchecked_ref(),
        WATCH_EVERY_MS,
    );
    watchdog.forget();
}

fn watch() {
    let now = crate::dom::now_ms();
    // If the page itself was too busy to look (drawing a huge chart), the
    // worker's messages may still be queued behind this timer: start over.
    let page_was_busy = LAST_WATCH.with(|w| now - w.replace(now) > 3.0 * WATCH_EVERY_MS as f64);
    let hung = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let client = c.as_mut()?;
        if page_was_busy {
            client.last_heard_ms = now;
        }
        if client.awaiting.is_empty() || !client.ready {
            return None;
        }
        let limit = if client.awaiting.values().any(|a| *a == Awaiting::SlowStep) {
            SLOW_STEP_MS
        } else {
            HANG_MS.max(5.0 * client.longest_gap_ms)
        };
        let silent_ms = now - client.last_heard_ms;
        (silent_ms > limit).then_some(silent_ms)
    });
    if let Some(silent_ms) = hung {
        restart();
        dispatch(WorkerEvent::Hung { silent_ms });
    }
}

/// Notes a message from the worker: when it was heard, and which request
/// it answers or advances.
fn heard(msg: &FromWorker) {
    let now = crate::dom::now_ms();
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(client) = c.as_mut() else { return };
        match msg {
            FromWorker::Progress { request, .. } => {
                // Every gap counts, the first too: it holds at least one
                // inference, which is what a later gap may have to wait for.
                if client.awaiting.contains_key(request) {
                    client.longest_gap_ms = client.longest_gap_ms.max(now - client.last_heard_ms);
                    client.awaiting.insert(*request, Awaiting::Streaming);
                }
            }
            FromWorker::Loaded { request, .. }
            | FromWorker::Finished { request, .. }
            | FromWorker::SelfChecked { request, .. }
            | FromWorker::Failed { request, .. } => {
                client.awaiting.remove(request);
            }
            FromWorker::Ready { .. } => {}
        }
        client.last_heard_ms = now;
    });
}

fn spawn() {
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(e) => {
            dispatch(WorkerEvent::Crashed(format!(
                "the benchmark worker could not start: {}",
                js_text(e)
            )));
            return;
        }
    };
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
            match serde_wasm_bindgen::from_value::<FromWorker>(e.data()) {
                Ok(msg) => {
                    heard(&msg);
                    if matches!(msg, FromWorker::Ready { .. }) {
                        flush_waiting();
                    }
                    dispatch(WorkerEvent::Message(msg))
                }
                Err(err) => {
                    web_sys::console::error_1(&format!("unreadable worker message: {err}").into())
                }
            }
        });
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        e.prevent_default();
        let message = e.message();
        restart();
        dispatch(WorkerEvent::Crashed(if message.is_empty() {
            "unknown error".into()
        } else {
            message
        }));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            worker,
            ready: false,
            waiting: vec![],
            awaiting: Default::default(),
            last_heard_ms: crate::dom::now_ms(),
            longest_gap_ms: 0.0,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

/// Terminates the worker and starts a new one (its model cache is lost).
pub fn restart() {
    CLIENT.with(|c| {
        if let Some(old) = c.borrow_mut().take() {
            old.worker.terminate();
        }
    });
    spawn();
}

pub fn send(msg: &ToWorker) {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    let value = match serde::Serialize::serialize(msg, &serializer) {
        Ok(v) => v,
        Err(e) => {
            dispatch(WorkerEvent::Crashed(format!(
                "cannot encode a message for the worker: {e}"
            )));
            return;
        }
    };
    let expects = match msg {
        ToWorker::Load { request, .. }
        | ToWorker::Run { request, .. }
        | ToWorker::SelfCheck { request, .. } => Some(*request),
        ToWorker::Cancel { .. } | ToWorker::Crash { .. } => None,
    };
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            if let Some(request) = expects {
                if client.awaiting.is_empty() {
                    // The clock starts now, not at the worker's last word.
                    client.last_heard_ms = crate::dom::now_ms();
                }
                client.awaiting.insert(request, Awaiting::SlowStep);
            }
            if client.ready {
                post(&client.worker, &value);
            } else {
                client.waiting.push(value);
            }
        }
    });
}

fn flush_waiting() {
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            client.ready = true;
            for value in std::mem::take(&mut client.waiting) {
                post(&client.worker, &value);
            }
        }
    });
}

fn post(worker: &web_sys::Worker, value: &JsValue) {
    if let Err(e) = worker.post_message(value) {
        web_sys::console::error_1(&format!("postMessage failed: {}", js_text(e)).into());
    }
}

fn dispatch(event: WorkerEvent) {
    // Clone the handler out first: it may restart the worker or send.
    let handler = HANDLER.with(|h| h.borrow().clone());
    if let Some(h) = handler {
        h(event);
    }
}
