//! The engine's browser-only pieces, in headless Chromium
//! (`cargo test --target wasm32-unknown-unknown --no-default-features --test web`):
//! the clock seam on `performance.now()`, the benchmark loop on it, and the
//! page-worker protocol through real JavaScript values.

#![cfg(target_arch = "wasm32")]

use piedge::bench::{run_benchmark, BenchConfig, Control, NoOp};
use piedge::clock::{Clock, SystemClock};
use piedge::lab::protocol::{FromWorker, ToWorker};
use piedge::plan::Plan;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_clock_is_performance_now() {
    let clock = SystemClock::new();
    assert_eq!(clock.name(), "performance.now()");
    let performance: web_sys::Performance =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .unwrap()
            .unchecked_into();
    let before = performance.now();
    let reading = clock.now_ms();
    let after = performance.now();
    assert!(
        before <= reading && reading <= after,
        "{before} {reading} {after}"
    );
}

#[wasm_bindgen_test]
fn the_resolution_probe_measures_the_browsers_timer() {
    let r = SystemClock::new().resolution();
    assert_eq!(r.samples, 25);
    // Browsers round performance.now() to between 5 µs and 1 ms (more with
    // fingerprinting protection); anything outside that is a broken probe.
    assert!(r.min_step_ms > 0.0 && r.min_step_ms <= 2.0, "{r:?}");
    assert!(r.median_step_ms >= r.min_step_ms);
}

#[wasm_bindgen_test]
fn the_benchmark_loop_runs_on_the_browser_clock() {
    let clock = SystemClock::new();
    let cfg = BenchConfig {
        warmup: 5,
        runs: 200,
        inferences_per_sample: 1,
    };
    let m = run_benchmark(&mut NoOp, &clock, &cfg, |_| Control::Continue).unwrap();
    assert_eq!((m.warmup_ms.len(), m.latencies_ms.len()), (5, 200));
    assert!(m.latencies_ms.iter().all(|x| (0.0..50.0).contains(x)));
}

fn to_js<T: serde::Serialize>(v: &T) -> wasm_bindgen::JsValue {
    let s = serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    v.serialize(&s).unwrap()
}

#[wasm_bindgen_test]
fn model_bytes_cross_as_a_uint8array_and_seeds_as_bigints() {
    let msg = ToWorker::Load {
        request: 7,
        model_key: "k".into(),
        name: "m.onnx".into(),
        bytes: vec![0, 1, 255],
        files: vec![piedge::lab::protocol::ModelFile {
            name: "m.onnx.data".into(),
            bytes: vec![9; 16],
        }],
        input_shape: Some(vec![1, 3, 32, 32]),
        plan: Plan::Unoptimized,
    };
    let js = to_js(&msg);
    let bytes = js_sys::Reflect::get(&js, &"bytes".into()).unwrap();
    assert!(bytes.is_instance_of::<js_sys::Uint8Array>());
    // A weight file's bytes travel the same way.
    let files = js_sys::Reflect::get(&js, &"files".into()).unwrap();
    let first = js_sys::Reflect::get_u32(&files, 0).unwrap();
    assert!(js_sys::Reflect::get(&first, &"bytes".into())
        .unwrap()
        .is_instance_of::<js_sys::Uint8Array>());
    // Through structured clone, as postMessage does it.
    let structured_clone: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"structuredClone".into())
            .unwrap()
            .unchecked_into();
    let cloned = structured_clone
        .call1(&wasm_bindgen::JsValue::NULL, &js)
        .unwrap();
    assert_eq!(
        serde_wasm_bindgen::from_value::<ToWorker>(cloned).unwrap(),
        msg
    );

    let run = ToWorker::Run {
        request: 1,
        model_key: "k".into(),
        plan: Plan::Optimized,
        warmup: 3,
        runs: 10,
        seed: u64::MAX,
        inferences_per_sample: Some(4),
    };
    let js = to_js(&run);
    assert!(js_sys::Reflect::get(&js, &"seed".into())
        .unwrap()
        .is_bigint());
    assert_eq!(serde_wasm_bindgen::from_value::<ToWorker>(js).unwrap(), run);
}

#[wasm_bindgen_test]
fn results_with_every_latency_cross_exactly() {
    let m = piedge::bench::Measurements {
        warmup_ms: vec![9.5],
        latencies_ms: vec![0.1 + 0.2, 1.0 / 3.0, 12.345678901234567],
        cancelled: false,
    };
    let msg = FromWorker::Progress {
        request: 2,
        phase: piedge::bench::Phase::Timed,
        done: 3,
        total: 3,
        new_latencies: m.latencies_ms.clone(),
        inferences_per_sample: 4,
    };
    let back: FromWorker = serde_wasm_bindgen::from_value(to_js(&msg)).unwrap();
    assert_eq!(back, msg);
}
