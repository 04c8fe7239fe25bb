use piedge::bench::{BenchConfig, Benchmark, Phase};
use piedge::clock::{Clock, SystemClock, TimerResolution};
use piedge::lab::protocol::{
    fastest_seen_ms, inferences_per_sample, CrashKind, FromWorker, ToWorker, WorkerEnv,
};
use piedge::model::{self, LoadOptions, Plan, Runnable};
use piedge::report::PipelineTimings;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// A planned model, kept between runs.
struct Cached {
    runnable: Runnable,
    pipeline: PipelineTimings,
    nodes_analysed: usize,
    nodes_planned: usize,
}

#[derive(Default)]
struct State {
    models: HashMap<(String, Plan), Cached>,
    /// The request being run and its cancel flag.
    running: Option<(u64, Rc<Cell<bool>>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
    static CLOCK: SystemClock = SystemClock::new();
    static TIMER: RefCell<Option<TimerResolution>> = const { RefCell::new(None) };
}

/// A tab has at most 4 GB of wasm memory, shared by the model's weights,
/// tract's buffers and the input: one input may take a sixteenth of it.
const BROWSER_LOAD_OPTIONS: LoadOptions = LoadOptions {
    batch_size: 1,
    input_shape: None,
    max_input_bytes: piedge::limits::BROWSER_MAX_INPUT_BYTES,
};

/// How long the worker computes before it yields to its event loop.
const SLICE_MS: f64 = 10.0;

pub fn start() {
    console_error_panic_hook_lite();
    let scope = scope();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<ToWorker>(event.data()) {
            Ok(msg) => handle(msg),
            Err(e) => post(&FromWorker::Failed {
                request: 0,
                message: format!("unreadable message: {e}"),
                detail: None,
                error: None,
            }),
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    // For the memory soak test and the curious: the wasm heap's size in MB
    // (it only grows; it is the high-water mark).
    let memory_mb = Closure::<dyn Fn() -> f64>::new(piedge::lab::browser::wasm_memory_mb);
    let _ = js_sys::Reflect::set(&scope, &"piedgeWorkerMemory".into(), memory_mb.as_ref());
    memory_mb.forget();
    let timer = CLOCK.with(|c| c.resolution());
    TIMER.with(|t| *t.borrow_mut() = Some(timer.clone()));
    let isolated = js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    post(&FromWorker::Ready {
        env: WorkerEnv {
            timer,
            cross_origin_isolated: isolated,
            simd: cfg!(target_feature = "simd128"),
            engine_version: piedge::TRACT_VERSION.into(),
        },
    });
}

fn handle(msg: ToWorker) {
    match msg {
        ToWorker::Load {
            request,
            model_key,
            name,
            bytes,
            files,
            input_shape,
            plan,
        } => {
            let files: model::ExternalFiles =
                files.into_iter().map(|f| (f.name, f.bytes)).collect();
            let source = model::ModelSource {
                name: &name,
                bytes: &bytes,
                files: &files,
            };
            let opts = LoadOptions {
                input_shape,
                ..BROWSER_LOAD_OPTIONS
            };
            post(&load(request, model_key, source, &opts, plan));
        }
        ToWorker::Run {
            request,
            model_key,
            plan,
            warmup,
            runs,
            seed,
            inferences_per_sample,
        } => {
            wasm_bindgen_futures::spawn_local(async move {
                let order = (warmup, runs, seed);
                let reply = run(request, model_key, plan, order, inferences_per_sample).await;
                post(&reply);
            });
        }
        ToWorker::Cancel { request } => STATE.with(|s| {
            if let Some((r, flag)) = &s.borrow().running {
                if *r == request {
                    flag.set(true);
                }
            }
        }),
        ToWorker::SelfCheck {
            request,
            cases,
            seed,
        } => post(&FromWorker::SelfChecked {
            request,
            result: piedge::kernels::check::self_check(cases, seed).map_err(|e| format!("{e:#}")),
        }),
        ToWorker::Crash { how } => crash(how),
    }
}

fn load(
    request: u64,
    model_key: String,
    source: model::ModelSource<'_>,
    opts: &LoadOptions,
    plan: Plan,
) -> FromWorker {
    let key = (model_key.clone(), plan);
    if let Some(reply) = STATE.with(|s| {
        s.borrow().models.get(&key).map(|c| FromWorker::Loaded {
            request,
            model_key: model_key.clone(),
            card: c.runnable.card.clone(),
            pipeline: c.pipeline,
            nodes_analysed: c.nodes_analysed,
            nodes_planned: c.nodes_planned,
            cached: true,
        })
    }) {
        return reply;
    }
    let prepared =
        CLOCK.with(|clock| model::prepare(source, opts, plan, model::Kernels::default(), 0, clock));
    match prepared {
        Ok(p) => {
            let c = Cached {
                runnable: p.runnable,
                pipeline: p.timings,
                nodes_analysed: p.nodes_analysed,
                nodes_planned: p.nodes_planned,
            };
            let reply = FromWorker::Loaded {
                request,
                model_key,
                card: c.runnable.card.clone(),
                pipeline: c.pipeline,
                nodes_analysed: c.nodes_analysed,
                nodes_planned: c.nodes_planned,
                cached: false,
            };
            STATE.with(|s| s.borrow_mut().models.insert(key, c));
            reply
        }
        Err(e) => FromWorker::Failed {
            request,
            message: e.to_string(),
            detail: e.detail().map(str::to_string),
            error: Some(e),
        },
    }
}

/// Runs the benchmark `order` = (warmup, runs, seed) on a loaded model.
async fn run(
    request: u64,
    model_key: String,
    plan: Plan,
    order: (usize, usize, u64),
    per_sample: Option<usize>,
) -> FromWorker {
    let failed = |message: String| FromWorker::Failed {
        request,
        message,
        detail: None,
        error: None,
    };
    let key = (model_key, plan);
    // The model leaves the cache while it runs, so no borrow spans an await.
    let Some(mut cached) = STATE.with(|s| s.borrow_mut().models.remove(&key)) else {
        return failed("the model is not loaded; load it before running".into());
    };
    let cancel = Rc::new(Cell::new(false));
    STATE.with(|s| s.borrow_mut().running = Some((request, cancel.clone())));
    let result = benchmark(request, &mut cached, order, per_sample, &cancel).await;
    let pipeline = cached.pipeline;
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.running = None;
        s.models.insert(key, cached);
    });
    match result {
        Ok((measurements, inferences_per_sample)) => FromWorker::Finished {
            request,
            measurements,
            timer: TIMER.with(|t| t.borrow().clone()).expect("probed at start"),
            inferences_per_sample,
            pipeline,
        },
        Err(message) => failed(message),
    }
}

async fn benchmark(
    request: u64,
    cached: &mut Cached,
    (warmup, runs, seed): (usize, usize, u64),
    per_sample: Option<usize>,
    cancel: &Cell<bool>,
) -> Result<(piedge::bench::Measurements, usize), String> {
    let input = cached
        .runnable
        .input_spec
        .fake_tensor(seed)
        .map_err(|e| e.to_string())?;
    cached
        .runnable
        .set_inputs(vec![input])
        .map_err(|e| e.to_string())?;
    let mut bench = Benchmark::new(BenchConfig {
        warmup,
        runs,
        inferences_per_sample: 1,
    })
    .map_err(|e| e.to_string())?;
    let timer_step = TIMER.with(|t| t.borrow().as_ref().map_or(0.0, |t| t.median_step_ms));
    let clock = SystemClock::new();
    let mut sent_warmup = 0;
    let mut sent_timed = 0;
    let mut slice_start = clock.now_ms();
    // A series fixes the count for all its runs; otherwise it is decided
    // once the warmup shows the typical inference time.
    if let Some(k) = per_sample {
        bench.set_inferences_per_sample(k);
    }
    let mut batching_decided = warmup == 0 || per_sample.is_some();
    while !bench.is_done() {
        if !batching_decided && bench.phase() == Phase::Timed {
            // Warmup is over: now the steady inference time is known, and
            // with it whether the timer can resolve a single inference.
            let fastest = fastest_seen_ms(&bench.measurements().warmup_ms);
            bench.set_inferences_per_sample(inferences_per_sample(fastest, timer_step));
            batching_decided = true;
        }
        bench
            .step(&mut cached.runnable, &clock)
            .map_err(|e| e.to_string())?;
        if clock.now_ms() - slice_start >= SLICE_MS || bench.is_done() {
            let m = bench.measurements();
            if m.warmup_ms.len() > sent_warmup {
                post(&FromWorker::Progress {
                    request,
                    phase: Phase::Warmup,
                    done: m.warmup_ms.len(),
                    total: warmup,
                    new_latencies: m.warmup_ms[sent_warmup..].to_vec(),
                    inferences_per_sample: 1,
                });
                sent_warmup = m.warmup_ms.len();
            }
            if m.latencies_ms.len() > sent_timed {
                post(&FromWorker::Progress {
                    request,
                    phase: Phase::Timed,
                    done: m.latencies_ms.len(),
                    total: runs,
                    new_latencies: m.latencies_ms[sent_timed..].to_vec(),
                    inferences_per_sample: bench.config().inferences_per_sample,
                });
                sent_timed = m.latencies_ms.len();
            }
            yield_to_event_loop().await;
            if cancel.get() {
                let k = bench.config().inferences_per_sample;
                return Ok((bench.finish(true), k));
            }
            slice_start = clock.now_ms();
        }
    }
    let k = bench.config().inferences_per_sample;
    Ok((bench.finish(false), k))
}

fn crash(how: CrashKind) {
    match how {
        CrashKind::Panic => panic!("crash requested by the page (a test of worker recovery)"),
        CrashKind::OutOfMemory => {
            // 256 MB blocks until the allocator fails (and aborts).
            let mut hoard: Vec<Vec<u8>> = vec![];
            loop {
                hoard.push(std::hint::black_box(Vec::with_capacity(256 << 20)));
            }
        }
        CrashKind::Hang => {
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
    }
}

/// Lets queued messages (a cancel) run: a message to ourselves through a
/// `MessageChannel` is a macrotask, unlike a resolved promise, and is not
/// clamped to 4 ms the way nested `setTimeout` calls are.
async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let channel = web_sys::MessageChannel::new().expect("MessageChannel exists in workers");
        let port = channel.port1();
        let on = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        port.set_onmessage(Some(on.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    match serde::Serialize::serialize(msg, &serializer) {
        Ok(v) => {
            let _ = scope().post_message(&v);
        }
        Err(e) => web_sys::console::error_1(&format!("cannot send a message: {e}").into()),
    }
}

/// Prints panics to the console before the instance traps, so a crash is
/// explained in the developer tools as well as reported to the page.
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("piedge worker panicked: {info}").into());
    }));
}
