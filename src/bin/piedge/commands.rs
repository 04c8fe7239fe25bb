//! What each subcommand does, start to finish. Engine calls in the middle,
//! file reads first and file writes last.

use crate::args::{
    BareLoopArgs, BenchArgs, Cli, Command, InfoArgs, ModelArgs, ModelsArgs, PercentileArg,
    PredictArgs, ProfileArgs, SelfCheckArgs, ServeArgs,
};
use crate::{files, host};
use anyhow::{bail, Context, Result};
use piedge::bench::{run_benchmark, BenchConfig, Control, Phase, Scripted};
use piedge::charts::{dashboard_png, ChartText};
use piedge::clock::{Clock, FakeClock, SystemClock};
use piedge::histogram::Histogram;
use piedge::model::{self, ExternalFiles, LoadOptions, ModelSource, Plan, Runnable};
use piedge::npy::NpyArray;
use piedge::report::{
    self, BenchmarkReport, EngineInfo, ModelSummary, ReportContext, Run, RunSettings,
};
use piedge::stats::{PercentileMethod, StatsOptions};
use piedge::sysinfo::EnvSample;
use std::path::{Path, PathBuf};

pub fn run(cli: Cli) -> Result<()> {
    let limits = Limits {
        model_bytes: cli.max_model_mb.saturating_mul(1 << 20),
        input_bytes: cli.max_input_mb.saturating_mul(1 << 20),
    };
    match cli.command {
        Command::Bench(a) => bench(a, &limits),
        Command::Info(a) => info(a, &limits),
        Command::Predict(a) => predict(a, &limits),
        Command::Models(a) => models(a),
        Command::Serve(a) => serve(a),
        Command::Profile(a) => profile(a, &limits),
        Command::SelfCheck(a) => self_check(a),
        Command::Compare(a) => crate::compare::run(a),
        Command::BareLoop(a) => bare_loop(a, &limits),
        Command::BundleStamp => {
            println!("sources {}", env!("PIEDGE_SOURCES_STAMP"));
            let embedded = crate::serve::Bundle::embedded().is_some();
            println!("web lab built in: {}", if embedded { "yes" } else { "no" });
            Ok(())
        }
    }
}

fn profile(a: ProfileArgs, limits: &Limits) -> Result<()> {
    let file = limits.read_model(&a.model)?;
    let name = file.name.clone();
    let plan = if a.unoptimized {
        Plan::Unoptimized
    } else {
        Plan::Optimized
    };
    let clock = SystemClock::new();
    let mut runnable = model::prepare(
        file.source(),
        &limits.load_options(1, &a.model),
        plan,
        a.kernels.into(),
        0,
        &clock,
    )?
    .runnable;
    let threads = model::Threads::new(a.threads.threads)?;
    let nodes = threads.run(|| {
        for _ in 0..a.warmup {
            piedge::bench::Inference::run_once(&mut runnable)?;
        }
        runnable.profile(a.runs, &clock)
    })?;
    let total: f64 = nodes.iter().map(|n| n.ms).sum();
    let mut by_op: Vec<(String, usize, f64)> = Vec::new();
    for n in &nodes {
        match by_op.iter_mut().find(|(op, _, _)| *op == n.op) {
            Some(e) => {
                e.1 += 1;
                e.2 += n.ms;
            }
            None => by_op.push((n.op.clone(), 1, n.ms)),
        }
    }
    by_op.sort_by(|a, b| b.2.total_cmp(&a.2));
    if a.json {
        let ops: Vec<_> = by_op
            .iter()
            .map(|(op, count, ms)| serde_json::json!({"op": op, "nodes": count, "ms": ms, "share": ms / total}))
            .collect();
        let out = serde_json::json!({
            "model": name,
            "plan": plan.name(),
            "kernels": piedge::plan::Kernels::from(a.kernels).name(),
            "runs": a.runs,
            "threads": threads.count(),
            "total_ms": total,
            "ops": ops,
            "nodes": nodes,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{name}: {} plan, {} kernels, {}, {} runs, {total:.3} ms per inference in {} nodes",
        plan.name(),
        piedge::plan::Kernels::from(a.kernels).name(),
        piedge::sysinfo::threads_text(threads.count()),
        a.runs,
        nodes.len()
    );
    println!(
        "\n{:<28} {:>6} {:>10} {:>7}",
        "operator", "nodes", "ms", "share"
    );
    for (op, count, ms) in &by_op {
        println!(
            "{op:<28} {count:>6} {ms:>10.4} {:>6.1}%",
            100.0 * ms / total
        );
    }
    let mut slowest: Vec<_> = nodes.iter().collect();
    slowest.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    println!("\n{:<44} {:<28} {:>10}", "slowest nodes", "operator", "ms");
    for n in slowest.iter().take(a.top) {
        let name: String = n.name.chars().take(44).collect();
        println!("{name:<44} {:<28} {:>10.4}", n.op, n.ms);
    }
    println!("\n(Timing each node adds a little to each; read shares, not totals.)");
    Ok(())
}

fn self_check(a: SelfCheckArgs) -> Result<()> {
    let r = piedge::kernels::check::self_check(a.cases, a.seed)
        .map_err(|e| anyhow::anyhow!("the kernels disagree with tract: {e:#}"))?;
    println!(
        "ok: {} depthwise convolutions, {} dense convolutions, {} pointwise convolutions, {} fully \
         connected layers and {} max pools match tract's operators with {} ({} values, largest \
         difference {:.2e})",
        r.depthwise_cases,
        r.direct_cases,
        r.pointwise_cases,
        r.dense_cases,
        r.max_pool_cases,
        r.isas.join(" and "),
        r.values,
        r.max_abs_error
    );
    Ok(())
}

fn bare_loop(a: BareLoopArgs, limits: &Limits) -> Result<()> {
    let file = limits.read_model(&a.model)?;
    let clock = SystemClock::new();
    let mut runnable = model::prepare(
        file.source(),
        &limits.load_options(1, &a.model),
        Plan::Optimized,
        a.kernels.into(),
        0,
        &clock,
    )?
    .runnable;
    let threads = model::Threads::new(a.threads.threads)?;
    let mean_ms = threads.run(|| runnable.bare_loop_ms(a.warmup, a.runs, &clock))?;
    println!(
        "{}",
        serde_json::json!({ "mean_ms": mean_ms, "runs": a.runs })
    );
    Ok(())
}

fn serve(a: ServeArgs) -> Result<()> {
    use crate::serve::{self, Bundle};
    let bundle = match &a.dir {
        Some(dir) => Bundle::dir(dir)?,
        None => Bundle::embedded().context(
            "this piedge has no web lab built in; build one with scripts/build-web, then either \
             `cargo build --release` (which embeds dist/) or run `piedge serve --dir dist`",
        )?,
    };
    let ip = if a.lan {
        std::net::Ipv4Addr::UNSPECIFIED
    } else {
        std::net::Ipv4Addr::LOCALHOST
    };
    let listener = serve::bind(ip, a.port)?;
    serve::run(
        bundle,
        listener,
        serve::Options {
            lan: a.lan,
            names: a.names.clone(),
            max_connections: a.max_connections,
            max_connections_per_client: a.max_connections_per_client,
            open: a.open,
            log: a.log,
            concurrent_runs: a.concurrent_runs,
            data_dir: a.data_dir.clone().unwrap_or_else(crate::store::default_dir),
            new_teacher_code: a.new_teacher_code,
        },
    )
}

/// Execution providers `--providers` accepts. The old lesson passed
/// onnxruntime's names; on this tool every one of them means tract on the CPU.
const PROVIDERS: [&str; 1] = ["CPUExecutionProvider"];

/// Size of latency_plot.png in pixels.
const PLOT_SIZE: (u32, u32) = (1600, 1100);

fn bench(a: BenchArgs, limits: &Limits) -> Result<()> {
    for p in &a.providers {
        if !PROVIDERS.contains(&p.as_str()) {
            bail!(
                "execution provider '{p}' is not available; piedge runs models with tract on the CPU. \
                 Available: {}",
                PROVIDERS.join(", ")
            );
        }
    }
    let config = BenchConfig {
        warmup: a.warmup,
        runs: a.runs,
        inferences_per_sample: 1,
    };
    config.validate()?;
    let interrupted = interrupt_flag()?;
    if let Some(script) = &a.debug_fake_latencies {
        if script.is_empty() || script.iter().any(|x| !x.is_finite() || *x < 0.0) {
            bail!("--debug-fake-latencies needs finite, non-negative milliseconds");
        }
    }
    let threads = model::Threads::new(a.threads.threads)?;
    let file = limits.read_model(&a.model)?;
    let clock = SystemClock::new();
    let plan = if a.unoptimized {
        Plan::Unoptimized
    } else {
        Plan::Optimized
    };
    let opts = limits.load_options(a.batch_size, &a.model);
    let kernels: piedge::plan::Kernels = a.kernels.into();
    let prepared = model::prepare(file.source(), &opts, plan, kernels, a.seed, &clock)?;
    let (mut runnable, pipeline) = (prepared.runnable, prepared.timings);
    // The report's model summary, from the card `prepare` built.
    let card = ModelSummary::from(&runnable.card);
    let input_desc = match &a.data_path {
        Some(dir) => {
            let (inputs, n_images) = image_inputs(dir, &runnable)?;
            runnable.set_inputs(inputs)?;
            format!("images from {} ({n_images})", dir.display())
        }
        None => "fakedata".to_string(),
    };
    files::ensure_dir(&a.output_dir)?;
    if !a.quiet {
        println!(
            "Model: {} ({}), input {:?}, {} plan",
            a.model.model_path.display(),
            runnable.input_spec.name,
            runnable.input_spec.shape,
            plan.name()
        );
        let r = runnable.rewritten;
        if r.depthwise + r.direct + r.pointwise + r.max_pools + r.dense > 0 {
            println!(
                "PiEdge kernels: {} depthwise, {} direct and {} pointwise convolutions, {} max pools, \
                 {} fully connected ({} activations, {} residual additions and {} max pools fused)",
                r.depthwise,
                r.direct,
                r.pointwise,
                r.max_pools,
                r.dense,
                r.fused_clamps,
                r.fused_adds,
                r.fused_pools
            );
        }
        println!(
            "Loaded in {:.1} ms, optimised in {:.1} ms, planned in {:.1} ms",
            pipeline.load_ms, pipeline.optimise_ms, pipeline.make_runnable_ms
        );
        println!(
            "Running {} warmup and {} timed runs on {input_desc}, {}...",
            a.warmup,
            a.runs,
            piedge::sysinfo::threads_text(threads.count())
        );
        if let Some(warning) = oversubscribed(threads.count()) {
            println!("Warning: {warning}");
        }
    }

    let bar = progress_bar(a.warmup + a.runs, a.quiet);
    let mut system_info = host::system_info();
    system_info.soc_temp_before_c = host::soc_temp_c();
    system_info.throttled_before = host::throttled();
    let mut env_samples = Vec::new();
    let mut finished = 0usize;
    let on_progress = |p: &piedge::bench::Progress| {
        bar.inc(1);
        if p.phase == Phase::Timed && p.done == 1 {
            bar.set_message("timed");
        }
        finished += 1;
        // Outside the timed region: reading sysfs here cannot add to a latency.
        if let Some(every) = a.sample_env {
            if finished.is_multiple_of(every) {
                env_samples.push(EnvSample {
                    after_runs: finished,
                    soc_temp_c: host::soc_temp_c(),
                    cpu_freq_mhz: host::cpu_freq_mhz().0,
                });
            }
        }
        if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
            Control::Cancel
        } else {
            Control::Continue
        }
    };
    let (measurements, timer) = match &a.debug_fake_latencies {
        Some(script) => {
            let fake = FakeClock::new();
            let mut scripted = Scripted::new(Some(runnable), fake.clone(), script.clone());
            // The scripted clock is single-threaded, and so is this testing aid.
            if threads.count() > 1 {
                bail!("--debug-fake-latencies runs on one thread; leave out --threads");
            }
            let m = run_benchmark(&mut scripted, &fake, &config, on_progress)?;
            (m, fake.resolution())
        }
        None => {
            let timer = clock.resolution();
            (
                threads.run(|| {
                    run_benchmark(&mut runnable, &clock, &config, on_progress)
                        .map_err(anyhow::Error::from)
                })?,
                timer,
            )
        }
    };
    bar.finish_and_clear();
    if measurements.cancelled {
        eprintln!(
            "interrupted after {} of {} timed runs: no reports written ({} is as it was)",
            measurements.latencies_ms.len(),
            a.runs,
            a.output_dir.display()
        );
        std::process::exit(130);
    }
    system_info.soc_temp_after_c = host::soc_temp_c();
    system_info.throttled_after = host::throttled();

    let mut report = BenchmarkReport::assemble(
        Run {
            measurements,
            model_path: a.model.model_path.display().to_string(),
            model: card,
            pipeline_ms: pipeline,
            settings: RunSettings {
                warmup_runs: a.warmup,
                benchmark_runs: a.runs,
                input: if a.data_path.is_some() {
                    "images".into()
                } else {
                    "fakedata".into()
                },
                seed: a.data_path.is_none().then_some(a.seed),
                plan,
                providers: a.providers.clone(),
                inferences_per_sample: 1,
                threads: threads.count(),
            },
        },
        &StatsOptions {
            method: match a.percentiles {
                PercentileArg::Linear => PercentileMethod::Linear,
                PercentileArg::NearestRank => PercentileMethod::NearestRank,
            },
            bootstrap_resamples: None,
            bootstrap_seed: a.seed,
        },
        ReportContext {
            system_info,
            engine: EngineInfo::tract("piedge").with_kernels(kernels),
            timer: Some(timer),
            generated: host::timestamp(),
        },
    )?;

    report.env_samples = env_samples;
    let summary = report::summary_txt(&report);
    let hist = Histogram::new(&report.raw_latencies, a.bins);
    let png = dashboard_png(&report, &hist, &ChartText::english(), PLOT_SIZE)?;
    let mut outputs = vec![
        (
            a.output_dir.join("latency.csv"),
            report::latency_csv(&report.raw_latencies),
        ),
        (a.output_dir.join("latency_summary.txt"), summary.clone()),
        (
            a.output_dir.join("latency_results.json"),
            report::results_json(&report),
        ),
        (a.output_dir.join("latency_plot.png"), png),
    ];
    if let Some(path) = &a.save_summary_as {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            files::ensure_dir(parent)?;
        }
        outputs.push((path.clone(), summary));
    }
    files::write_all_atomically(&outputs)?;

    let s = &report.statistics;
    if a.quiet {
        println!("median_ms: {}", report::ms(s.p50));
    } else {
        let rule = "=".repeat(50);
        println!("{rule}\nBENCHMARK RESULTS\n{rule}");
        // The old lesson's four headline lines, with the numbers the summary
        // file and the lab show (one formatter, `report::stat_lines`).
        let lines = report::stat_lines(s);
        let value = |key: &str| {
            lines
                .iter()
                .find(|l| l.key == key)
                .map(|l| (l.value.clone(), l.ci95.clone().unwrap_or_default()))
                .unwrap_or_default()
        };
        let ((mean, _), (p50, p50_ci), (p95, p95_ci), (std, _)) =
            (value("mean"), value("p50"), value("p95"), value("std"));
        println!("Mean latency:  {mean} ms");
        println!(
            "P50 latency:   {p50} ms  (95% CI {})",
            p50_ci.replace("..", " .. ")
        );
        println!(
            "P95 latency:   {p95} ms  (95% CI {})",
            p95_ci.replace("..", " .. ")
        );
        println!(
            "Std deviation: {std} ms  (CV {}, {} outliers)",
            report::cv_percent(s),
            s.outliers
        );
        println!("{rule}");
        for warning in report.system_info.warnings() {
            println!("Warning: {warning}");
        }
        println!(
            "Reports written to {}: latency.csv, latency_summary.txt, latency_results.json, latency_plot.png",
            a.output_dir.display()
        );
    }
    Ok(())
}

/// `--max-model-mb` and `--max-input-mb`, in bytes.
struct Limits {
    model_bytes: u64,
    input_bytes: u64,
}

/// A model as read from disk: the `.onnx` and the weight files it names.
struct ModelFile {
    name: String,
    bytes: Vec<u8>,
    files: ExternalFiles,
}

impl ModelFile {
    fn source(&self) -> ModelSource<'_> {
        ModelSource {
            name: &self.name,
            bytes: &self.bytes,
            files: &self.files,
        }
    }
}

impl Limits {
    /// Reads the model and the weight files it names from beside it; all of
    /// them together stay within `--max-model-mb`.
    fn read_model(&self, a: &ModelArgs) -> Result<ModelFile> {
        let path = &a.model_path;
        let bytes = files::read_model(path, self.model_bytes)?;
        let name = file_name(path);
        let mut budget = self.model_bytes.saturating_sub(bytes.len() as u64);
        let mut external = ExternalFiles::new();
        for location in model::external_files(&name, &bytes)? {
            let data = files::read_weight_file(path, &location, budget, self.model_bytes)?;
            budget = budget.saturating_sub(data.len() as u64);
            external.insert(location, data);
        }
        Ok(ModelFile {
            name,
            bytes,
            files: external,
        })
    }

    fn load_options(&self, batch_size: usize, a: &ModelArgs) -> LoadOptions {
        LoadOptions {
            batch_size,
            input_shape: a.input_shape.as_ref().map(|s| s.0.clone()),
            max_input_bytes: self.input_bytes,
        }
    }
}

/// Ctrl-C (or SIGTERM) during a benchmark sets the returned flag: the run
/// stops after the inference in progress and writes nothing. A second
/// Ctrl-C ends the program at once (exit 130).
fn interrupt_flag() -> Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        flag::register_conditional_shutdown(signal, 130, interrupted.clone())
            .and_then(|_| flag::register(signal, interrupted.clone()))
            .context("cannot install the Ctrl-C handler")?;
    }
    Ok(interrupted)
}

fn progress_bar(total: usize, quiet: bool) -> indicatif::ProgressBar {
    // Short runs finish before a bar could be read; and a bar is drawn only
    // when stderr is a terminal, so notebooks and logs stay clean.
    if quiet || total < 100 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs ({msg}) eta {eta}")
            .expect("a valid template"),
    );
    bar.set_message("warmup");
    bar
}

/// Preprocessed images as input tensors, `batch` images each, cycling
/// through the folder.
fn image_inputs(
    dir: &Path,
    runnable: &Runnable,
) -> Result<(Vec<piedge::model::tract_tensor::Tensor>, usize)> {
    let spec = &runnable.input_spec;
    let &[batch, 3, height, width] = spec.shape.as_slice() else {
        bail!(
            "--data-path needs a model with an image input shaped [batch, 3, height, width]; \
             {} takes {:?}. Use --fakedata instead",
            spec.name,
            spec.shape
        );
    };
    let paths = files::find_images(dir)?;
    let mut images = Vec::with_capacity(paths.len());
    for p in &paths {
        let (w, h, rgb) = files::read_rgb(p)?;
        let img = piedge::preprocess::RgbImage {
            width: w,
            height: h,
            pixels: &rgb,
        };
        images.push(piedge::preprocess::to_normalised_chw(&img, width, height));
    }
    let n_tensors = images.len().div_ceil(batch);
    let mut tensors = Vec::with_capacity(n_tensors);
    for t in 0..n_tensors {
        let mut data = Vec::with_capacity(batch * 3 * height * width);
        for b in 0..batch {
            data.extend_from_slice(&images[(t * batch + b) % images.len()]);
        }
        tensors.push(spec.tensor_from_f32(&spec.shape, &data)?);
    }
    Ok((tensors, paths.len()))
}

fn info(a: InfoArgs, limits: &Limits) -> Result<()> {
    let file = limits.read_model(&a.model)?;
    let loaded = model::load_with_files(file.source(), &limits.load_options(1, &a.model))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&loaded.card)?);
        return Ok(());
    }
    let typed_nodes = loaded.typed_node_count();
    let text = loaded.card.to_text();
    let optimised = loaded.optimise(Plan::Optimized)?;
    print!("{text}");
    println!(
        "tract: {typed_nodes} nodes analysed, {} after optimisation",
        optimised.node_count()
    );
    Ok(())
}

fn predict(a: PredictArgs, limits: &Limits) -> Result<()> {
    let file = limits.read_model(&a.model)?;
    let opts = limits.load_options(a.batch_size, &a.model);
    let plan = if a.unoptimized {
        Plan::Unoptimized
    } else {
        Plan::Optimized
    };
    let optimised =
        model::load_with_files(file.source(), &opts)?.optimise_with(plan, a.kernels.into())?;
    let spec = optimised.input.clone();
    let (input, fed) = if let Some(path) = &a.input {
        let arr = NpyArray::from_bytes(&files::read_file(path, "input array")?)
            .with_context(|| format!("cannot read {}", path.display()))?;
        // Accept an array without the batch axis when the model's batch is 1.
        let shape = if arr.shape.len() + 1 == spec.shape.len() && spec.shape[0] == 1 {
            std::iter::once(1)
                .chain(arr.shape.iter().copied())
                .collect()
        } else {
            arr.shape.clone()
        };
        (
            spec.tensor_from_f32(&shape, &arr.data)?,
            NpyArray::new(shape, arr.data),
        )
    } else if let Some(path) = &a.image {
        let &[1, 3, height, width] = spec.shape.as_slice() else {
            bail!(
                "--image needs a model with an input shaped [1, 3, height, width]; {} takes {:?}",
                spec.name,
                spec.shape
            );
        };
        let (w, h, rgb) = files::read_rgb(path)?;
        let data = piedge::preprocess::to_normalised_chw(
            &piedge::preprocess::RgbImage {
                width: w,
                height: h,
                pixels: &rgb,
            },
            width,
            height,
        );
        (
            spec.tensor_from_f32(&spec.shape, &data)?,
            NpyArray::new(spec.shape.clone(), data),
        )
    } else if a.fakedata {
        let t = spec.fake_tensor(a.seed)?;
        let data = t
            .cast_to::<f32>()?
            .to_plain_array_view::<f32>()?
            .iter()
            .copied()
            .collect();
        (t, NpyArray::new(spec.shape.clone(), data))
    } else {
        bail!("choose an input: --fakedata, --input FILE.npy or --image FILE");
    };
    let mut runnable = optimised.into_runnable(input)?;
    let outputs = model::Threads::new(a.threads.threads)?.run(|| runnable.predict())?;
    let first = outputs.first().context("the model produced no output")?;
    let mut writes: Vec<(PathBuf, Vec<u8>)> = vec![];
    if let Some(path) = &a.save_output {
        writes.push((
            path.clone(),
            NpyArray::new(first.shape.clone(), first.data.clone()).to_bytes(),
        ));
    }
    if let Some(path) = &a.save_input {
        writes.push((path.clone(), fed.to_bytes()));
    }
    files::write_all_atomically(&writes)?;

    let top = top_class(first);
    if a.json {
        let json = serde_json::json!({
            "outputs": outputs.iter().map(|o| serde_json::json!({"name": o.name, "shape": o.shape, "data": o.data})).collect::<Vec<_>>(),
            "top_class": top.map(|(c, p)| serde_json::json!({"index": c, "probability": p})),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    for o in &outputs {
        let shown: Vec<String> = o.data.iter().take(10).map(|v| format!("{v:.6}")).collect();
        let more = if o.data.len() > 10 {
            format!(", ... ({} values)", o.data.len())
        } else {
            String::new()
        };
        println!(
            "output '{}' {:?}: [{}{more}]",
            o.name,
            o.shape,
            shown.join(", ")
        );
    }
    if let Some((class, p)) = top {
        println!("top class: {class} (softmax probability {p:.4})");
    }
    Ok(())
}

/// The arg-max of a classifier's `[1, classes]` output and its softmax
/// probability; `None` for other shapes.
fn top_class(o: &piedge::model::Output) -> Option<(usize, f32)> {
    if o.shape.len() != 2 || o.shape[0] != 1 || o.data.is_empty() {
        return None;
    }
    let max = o.data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = o.data.iter().map(|v| (v - max).exp()).sum();
    let (i, v) = o
        .data
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    Some((i, (v - max).exp() / sum))
}

fn models(a: ModelsArgs) -> Result<()> {
    files::ensure_dir(&a.out_dir)?;
    let mut writes = vec![];
    for name in piedge::zoo::MODEL_NAMES {
        let bytes = piedge::zoo::model_bytes(name).expect("a bundled name");
        writes.push((a.out_dir.join(format!("{name}.onnx")), bytes));
    }
    files::write_all_atomically(&writes)?;
    for (path, bytes) in &writes {
        println!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

/// Why `n` threads on this machine will measure the queue, if they will.
fn oversubscribed(n: usize) -> Option<String> {
    let cores = std::thread::available_parallelism().ok()?.get();
    (n > cores).then(|| {
        format!(
            "{n} threads on {cores} cores: the threads take turns, so the latencies include waiting; use at most {cores}"
        )
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
