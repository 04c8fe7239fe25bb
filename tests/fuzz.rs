//! Fuzzing of every parser that reads bytes a student (or a stranger) hands
//! the project: ONNX models (through tract, up to the model card, the
//! optimised plan and one inference), `.npy` inputs, `latency.csv` and
//! `latency_results.json` imports, the lab's URL state, and the classroom
//! server's share and job requests (a share through everything the server
//! does with it: its statistics, the board's summary, the exports).
//!
//! A mutation fuzzer on stable Rust (cargo-fuzz needs a nightly compiler and
//! rebuilding tract with coverage instrumentation, minutes CI cannot spare):
//! each target starts from a kept corpus (`tests/fuzz/corpus/<target>/`,
//! plus the bundled models and hand-built edge-case models), mutates it with
//! bit flips, truncations, splices and interesting tokens, and keeps every
//! mutant that produced an outcome not seen before (a new error, or success)
//! as a parent for further mutants. Every input must end in `Ok` or an
//! `Err`: a panic is a finding, saved under `target/fuzz-findings/` for a
//! regression file in `tests/fuzz/regressions/<target>/`, which runs first,
//! every time. Where a parser succeeds, its output must also survive a
//! round trip through the matching writer.
//!
//! `PIEDGE_FUZZ_SECS` sets the time per target (default 2; `scripts/test-all`
//! gives each 10), `PIEDGE_FUZZ_SEED` the seed (default: the clock, printed
//! so a finding can be replayed).

mod common;

use common::*;
use piedge::lab::session;
use piedge::lab::UrlState;
use piedge::model::{self, LoadOptions};
use piedge::npy::NpyArray;
use piedge::plan::Plan;
use piedge::report::{latency_csv, parse_latency_csv, parse_results_json, results_json};
use piedge::rng::SplitMix64;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One parser under test: it returns the outcome's kind (an error message
/// with its numbers and quotes blurred, or a success tag), and panics only
/// on a bug.
type Target = fn(&[u8]) -> String;

/// Strings that parsers of text treat specially.
const TOKENS: &[&[u8]] = &[
    b"NaN",
    b"inf",
    b"-inf",
    b"-1",
    b"1e309",
    b"0",
    b",",
    b"\n",
    b"\r\n",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"%",
    b"%2",
    b"&",
    b"=",
    b"#",
    b"\xef\xbb\xbf",
    b"\xff",
    b"18446744073709551616",
    b"latency_ms",
    b"run",
    b"'descr': '<f4'",
    b"'shape': (",
    b"True",
    b"\0",
];

/// Inputs kept per target: enough to hold every distinct outcome a parser
/// has, bounded for parsers whose messages quote the input.
const MAX_CORPUS: usize = 2000;

/// An input slower than this is saved for a look (not a failure: a large
/// model may be slow honestly).
const SLOW: Duration = Duration::from_secs(2);

struct Stats {
    execs: u64,
    outcomes: usize,
    corpus: usize,
    slowest: Duration,
}

fn secs() -> u64 {
    std::env::var("PIEDGE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

fn seed() -> u64 {
    std::env::var("PIEDGE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

/// The files of `tests/fuzz/<kind>/<target>/`, sorted.
fn kept(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = repo().join("tests/fuzz").join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn mutate(rng: &mut SplitMix64, corpus: &[Vec<u8>], parent: &[u8]) -> Vec<u8> {
    let mut x = parent.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = x.len();
        match rng.below(9) {
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                x[i] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                x[i] = [0, 0xff, 0x7f, 0x80, 1][rng.below(5)];
            }
            3 if len > 0 => x.truncate(rng.below(len)),
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                x.drain(i..i + n);
            }
            5 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len + 1);
                x.splice(i..i, token.iter().copied());
            }
            6 if len > 0 => {
                // Repeat a piece (long lines, many rows, deep nesting).
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let piece = x[i..i + n].to_vec();
                for _ in 0..1 + rng.below(8) {
                    x.splice(i..i, piece.iter().copied());
                }
            }
            7 if !corpus.is_empty() => {
                // Splice: our head, another input's tail.
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                x.truncate(cut);
                x.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = rng.below(len + 1);
                x.insert(i, rng.next_u64() as u8);
            }
        }
    }
    x
}

/// Runs `target` on `input`; a panic becomes `Err` with its message.
fn exec(target: Target, input: &[u8]) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| target(input)))
        .map_err(|p| model::panic_text(&*p).unwrap_or("a panic").to_string())
}

fn save_finding(name: &str, input: &[u8]) -> PathBuf {
    let dir = repo().join("target/fuzz-findings");
    std::fs::create_dir_all(&dir).unwrap();
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{name}-{hash:016x}"));
    std::fs::write(&path, input).unwrap();
    path
}

fn fuzz(name: &str, target: Target, extra_seeds: Vec<Vec<u8>>) -> Stats {
    let seed = seed();
    println!("fuzz {name}: seed {seed} (PIEDGE_FUZZ_SEED={seed} replays it)");
    // Quiet panics: a finding is reported once, below, not with a trace per run.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut findings = vec![];
    for (path, bytes) in kept("regressions", name) {
        if let Err(panic) = exec(target, &bytes) {
            findings.push(format!(
                "regression {} panics again: {panic}",
                path.display()
            ));
        }
    }
    let mut corpus: Vec<Vec<u8>> = kept("corpus", name).into_iter().map(|(_, b)| b).collect();
    corpus.extend(extra_seeds);
    assert!(!corpus.is_empty(), "{name}: empty corpus");
    let seeds = corpus.len();
    let mut outcomes = HashSet::new();
    let mut slowest = Duration::ZERO;
    for input in corpus.clone() {
        match exec(target, &input) {
            Ok(kind) => {
                outcomes.insert(kind);
            }
            Err(panic) => findings.push(format!(
                "seed input panics: {panic} (saved as {})",
                save_finding(name, &input).display()
            )),
        }
    }
    let mut rng = SplitMix64::new(seed);
    let budget = Duration::from_secs(secs());
    let start = Instant::now();
    let mut execs = 0u64;
    while start.elapsed() < budget && findings.len() < 5 {
        // Half the parents are seeds: real files are where deep bugs hide,
        // and mutants of mutants drift towards junk that fails at once.
        let pool = if rng.below(2) == 0 {
            seeds
        } else {
            corpus.len()
        };
        let parent = corpus[rng.below(pool)].clone();
        let input = mutate(&mut rng, &corpus, &parent);
        let t = Instant::now();
        let result = exec(target, &input);
        if t.elapsed() > SLOW && t.elapsed() > slowest {
            println!(
                "fuzz {name}: a slow input ({:.1} s) saved as {}",
                t.elapsed().as_secs_f64(),
                save_finding(&format!("{name}-slow"), &input).display()
            );
        }
        slowest = slowest.max(t.elapsed());
        execs += 1;
        match result {
            Ok(kind) => {
                if outcomes.insert(kind) && input.len() <= 1 << 20 && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Err(panic) => findings.push(format!(
                "panic: {panic} (input saved as {})",
                save_finding(name, &input).display()
            )),
        }
    }
    std::panic::set_hook(previous_hook);
    let stats = Stats {
        execs,
        outcomes: outcomes.len(),
        corpus: corpus.len(),
        slowest,
    };
    println!(
        "fuzz {name}: {} executions in {:.1} s, {} distinct outcomes, corpus {} inputs, slowest {:.0} ms",
        stats.execs,
        start.elapsed().as_secs_f64(),
        stats.outcomes,
        stats.corpus,
        stats.slowest.as_secs_f64() * 1e3
    );
    assert!(findings.is_empty(), "{name}: {}", findings.join("\n"));
    assert!(execs > 0, "{name}: no executions");
    stats
}

/// An error's kind: its variant and fields as `Debug` prints them, without
/// numbers or quoted strings, so "line 3: `x`" and "line 9: `y`" are one
/// outcome and an error that quotes the input does not flood the corpus.
fn kind(e: &impl std::fmt::Debug) -> String {
    let message = format!("{e:?}");
    let mut out = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in message.chars() {
        match (quoted, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') | (false, '"') => quoted = !quoted,
            (true, _) => {}
            (false, c) if c.is_ascii_digit() || c.is_whitespace() => {}
            (false, c) => out.push(c),
        }
    }
    out.chars().take(64).collect()
}

/// A model error's kind. tract panics that the engine turned into errors
/// are counted apart (see `fuzz_onnx_models`).
fn outcome(e: &model::ModelError) -> String {
    if let model::ModelError::TractPanic { stage, .. } = e {
        TRACT_PANICS.with(|n| n.set(n.get() + 1));
        return format!("tract panic while {stage}");
    }
    kind(e)
}

thread_local! {
    static TRACT_PANICS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn onnx_target(bytes: &[u8]) -> String {
    let opts = LoadOptions {
        batch_size: 1,
        input_shape: None,
        // Fuzzed shapes can ask for anything; keep one input small.
        max_input_bytes: 16 << 20,
    };
    let loaded = match model::load("fuzz.onnx", bytes, &opts) {
        Ok(m) => m,
        Err(e) => return format!("load: {}", outcome(&e)),
    };
    let card = loaded.card.to_text();
    assert!(!card.is_empty());
    let optimised = match loaded.optimise(Plan::Optimized) {
        Ok(m) => m,
        Err(e) => return format!("optimise: {}", outcome(&e)),
    };
    let input = match optimised.input.fake_tensor(1) {
        Ok(t) => t,
        Err(e) => return format!("input: {}", outcome(&e)),
    };
    let mut runnable = match optimised.into_runnable(input) {
        Ok(r) => r,
        Err(e) => return format!("plan: {}", outcome(&e)),
    };
    match runnable.predict() {
        Ok(outputs) => format!("ran: {} outputs", outputs.len()),
        Err(e) => format!("run: {}", outcome(&e)),
    }
}

fn npy_target(bytes: &[u8]) -> String {
    match NpyArray::from_bytes(bytes) {
        Ok(a) => {
            let again = NpyArray::from_bytes(&a.to_bytes()).expect("our own .npy reads back");
            assert_eq!(again.shape, a.shape);
            assert_eq!(
                again.to_bytes(),
                a.to_bytes(),
                "values survive a round trip"
            );
            format!("ok rank {}", a.shape.len())
        }
        Err(e) => kind(&e),
    }
}

fn csv_target(bytes: &[u8]) -> String {
    match parse_latency_csv(bytes) {
        Ok(xs) => {
            assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
            assert_eq!(parse_latency_csv(&latency_csv(&xs)).unwrap(), xs);
            "ok".into()
        }
        Err(e) => kind(&e),
    }
}

fn json_target(bytes: &[u8]) -> String {
    match parse_results_json(bytes) {
        Ok(r) => {
            let again = parse_results_json(&results_json(&r)).expect("our own JSON reads back");
            assert_eq!(again, r, "a report survives a round trip");
            "ok".into()
        }
        Err(e) => kind(&e),
    }
}

/// What the lab does with a dropped file: either import kind, by content.
fn import_target(bytes: &[u8]) -> String {
    match session::import("dropped.csv", bytes, "id".into(), 0.0) {
        Ok(runs) => {
            assert!(runs.iter().all(|r| !r.report.raw_latencies.is_empty()));
            format!("ok {}", runs.len().min(2))
        }
        Err(e) => kind(&e),
    }
}

/// A share request from a student's tab (`POST /api/shared`), and what the
/// server then does with it: refused with a reason, or a student's run,
/// its statistics the server's own, whose report reads back the same, whose
/// board summary, CSV row and JSON export the board and the lab read, all
/// within a bound of time whatever the request's numbers.
fn share_target(bytes: &[u8]) -> String {
    use piedge::board::{self, Origin, ShareRequest};
    let started = Instant::now();
    let outcome = match ShareRequest::parse(bytes) {
        Ok(mut run) => {
            assert!(!run.nickname.is_empty() && !run.report.raw_latencies.is_empty());
            assert_eq!(run.origin, Origin::Student);
            assert_eq!(
                run.report.statistics.bootstrap_resamples,
                piedge::limits::SHARE_BOOTSTRAP_RESAMPLES
            );
            let again =
                parse_results_json(&results_json(&run.report)).expect("a shared report reads back");
            assert_eq!(again, run.report, "a shared run survives a round trip");
            run.id = 7;
            // The board's poll: a summary that serialises and reads back.
            let summary = run.summary();
            let poll = serde_json::to_vec(&board::Board {
                runs: vec![summary.clone()],
                ..Default::default()
            })
            .unwrap();
            let back: board::Board = serde_json::from_slice(&poll).unwrap();
            assert_eq!(back.runs, vec![summary.clone()]);
            let arranged =
                board::arrange(&back.runs, &board::Filter::default(), board::SortBy::P95);
            assert_eq!(arranged.fastest, Some(7));
            // The teacher's exports: two CSV records of equal width, and
            // the lab's import of the JSON.
            let csv = String::from_utf8(board::csv(&[summary])).unwrap();
            let records = csv_records(&csv);
            assert_eq!(records.len(), 2, "{csv:?}");
            assert_eq!(records[0].len(), records[1].len(), "{csv:?}");
            assert!(records[1]
                .iter()
                .all(|c| !c.starts_with(['=', '@', '\t', '\r'])));
            let json = board::export_json(&[run]);
            piedge::lab::session::import("class.json", &json, "x".into(), 0.0)
                .expect("the lab imports the class");
            "ok".into()
        }
        Err(e) => error_code(&e),
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a share took {:?} to check",
        started.elapsed()
    );
    outcome
}

/// The records of an RFC 4180 CSV text (quoted cells may hold commas,
/// quotes doubled, and line breaks), as a spreadsheet splits it.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut cell) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    records
}

/// An API refusal's code ("bad_json", "latency_out_of_range", …): each is
/// its own kind of outcome.
fn error_code(e: &piedge::api::ApiError) -> String {
    serde_json::to_value(e).unwrap()["error"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A native job request (`POST /api/jobs`).
fn job_target(bytes: &[u8]) -> String {
    let models = vec!["tinycnn".to_string(), "mobilenetv2".to_string()];
    match piedge::api::JobRequest::parse(bytes, &models) {
        Ok(job) => {
            let again = serde_json::to_vec(&job).unwrap();
            assert_eq!(
                piedge::api::JobRequest::parse(&again, &models).ok(),
                Some(job)
            );
            "ok".into()
        }
        Err(e) => serde_json::to_value(&e).unwrap()["error"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    }
}

fn url_target(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let state = UrlState::parse(&text);
    // The hash the lab writes back must be a fixed point.
    let hash = state.to_hash();
    assert_eq!(UrlState::parse(&hash).to_hash(), hash, "from {text:?}");
    match state.config.validate() {
        Ok(_) => "valid".into(),
        Err(errors) => format!("{} errors", errors.len()),
    }
}

/// Small hand-built models that reach the loader's other checks.
fn edge_case_models() -> Vec<Vec<u8>> {
    vec![
        relu_model(FLOAT, &["1", "4"]),
        relu_model(INT64, &["1", "4"]),
        relu_model(FLOAT, &["1", "0"]),
        relu_model(FLOAT, &["batch", "3", "height", "8"]),
        relu_model(STRING, &["1", "4"]),
        two_input_model(),
        unsupported_op_model(),
    ]
}

fn bundled_bytes(name: &str) -> Vec<u8> {
    std::fs::read(bundled(name)).unwrap()
}

fn small(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.len() < 1 << 20)
}

#[test]
fn fuzz_onnx_models() {
    let mut seeds = edge_case_models();
    seeds.push(bundled_bytes("tinycnn"));
    // MobileNetV2 (8.9 MB) takes ~0.1 s per run: its truncations are seeds,
    // but it is too slow to be a parent for thousands of mutants.
    let mobilenet = bundled_bytes("mobilenetv2");
    assert!(!small(&bundled("mobilenetv2")));
    for cut in [16, 1000, mobilenet.len() / 3, mobilenet.len() - 7] {
        assert!(onnx_target(&mobilenet[..cut]).starts_with("load:"));
    }
    let stats = fuzz("onnx", onnx_target, seeds);
    println!(
        "fuzz onnx: {} of {} inputs made tract panic; each became a readable error",
        TRACT_PANICS.with(|n| n.get()),
        stats.execs
    );
}

#[test]
fn fuzz_npy_inputs() {
    let seeds = vec![
        NpyArray::new(vec![1, 3, 2, 2], (0..12).map(|i| i as f32 * 0.5).collect()).to_bytes(),
        NpyArray::new(vec![4], vec![f32::NAN, f32::INFINITY, -0.0, 1e-40]).to_bytes(),
    ];
    fuzz("npy", npy_target, seeds);
}

#[test]
fn fuzz_csv_imports() {
    let seeds = vec![latency_csv(&[0.25, 1.5, 1e-7, 1234.5])];
    fuzz("csv", csv_target, seeds);
}

#[test]
fn fuzz_json_imports() {
    fuzz("json", json_target, vec![]);
}

#[test]
fn fuzz_lab_imports() {
    let mut seeds: Vec<Vec<u8>> = kept("corpus", "csv").into_iter().map(|(_, b)| b).collect();
    seeds.extend(kept("corpus", "json").into_iter().map(|(_, b)| b));
    fuzz("import", import_target, seeds);
}

#[test]
fn fuzz_shared_runs() {
    // The hostile-share corpus (tests/hostile/shares/) seeds it too.
    let dir = repo().join("tests/hostile/shares");
    let mut hostile: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    hostile.sort();
    let seeds = hostile.iter().map(|p| std::fs::read(p).unwrap()).collect();
    fuzz("share", share_target, seeds);
}

#[test]
fn fuzz_job_requests() {
    fuzz("job", job_target, vec![]);
}

#[test]
fn fuzz_url_state() {
    fuzz("url", url_target, vec![]);
}
