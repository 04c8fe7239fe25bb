//! The page's end of the benchmark worker: starts it, sends it messages,
//! turns its replies and its crashes into events, and replaces a crashed
//! worker with a fresh one.
//!
//! A worker can also die silently: a model that never finishes keeps it
//! busy forever. The rule for when silence is a hang is the engine's
//! (`lab::watchdog`); this module looks ten times a second.

use crate::dom::js_text;
use piedge::lab::protocol::{FromWorker, ToWorker};
use piedge::lab::watchdog::{Watchdog, WATCH_EVERY_MS};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What the worker did.
pub enum WorkerEvent {
    Message(FromWorker),
    /// The worker died (a panic traps the wasm instance, an out-of-memory
    /// aborts it) or could not start, with the browser's words for why (they
    /// may be empty). It has been replaced by the time the handler sees this.
    Crashed(String),
    /// The worker went silent while work was expected (see the module
    /// comment), was terminated and replaced.
    Hung {
        silent_ms: f64,
    },
}

struct Client {
    worker: web_sys::Worker,
    /// A worker drops messages that arrive before its wasm has started and
    /// installed its handler; until it says Ready, messages wait here.
    ready: bool,
    waiting: Vec<JsValue>,
    watchdog: Watchdog,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

type Handler = std::rc::Rc<dyn Fn(WorkerEvent)>;

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
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
        WATCH_EVERY_MS as i32,
    );
    watchdog.forget();
}

fn watch() {
    let now = crate::dom::now_ms();
    let hung = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let client = c.as_mut()?;
        client.watchdog.look(now, client.ready)
    });
    if let Some(silent_ms) = hung {
        restart();
        dispatch(WorkerEvent::Hung { silent_ms });
    }
}

/// Notes a message from the worker for the watchdog.
fn heard(msg: &FromWorker) {
    let now = crate::dom::now_ms();
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            client.watchdog.heard(msg, now);
        }
    });
}

fn spawn() {
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(e) => {
            dispatch(WorkerEvent::Crashed(js_text(e)));
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
        dispatch(WorkerEvent::Crashed(message));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            worker,
            ready: false,
            waiting: vec![],
            watchdog: Watchdog::new(crate::dom::now_ms()),
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
            dispatch(WorkerEvent::Crashed(e.to_string()));
            return;
        }
    };
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            client.watchdog.sent(msg, crate::dom::now_ms());
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
