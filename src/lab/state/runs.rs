//! Runs: the queue, the worker's answers, a finished run's report and
//! record, the reflection questions it answers, and imports.

use super::*;
use crate::bench::{Measurements, Phase};
use crate::clock::TimerResolution;
use crate::lab::protocol::{FromWorker, ToWorker};
use crate::lab::session::{self, RunRecord, RunSource, Series};
use crate::plan::Kernels;
use crate::report::{
    BenchmarkReport, EngineInfo, ModelSummary, PipelineTimings, ReportContext, Run, RunSettings,
};
use crate::stats::StatsOptions;

impl LabState {
    // --- Runs --------------------------------------------------------------

    /// A series starts with a short calibration in the current worker: the
    /// fastest inference of its warmup decides how many inferences one timed
    /// sample holds, and every run of the series then uses that count
    /// (warmup 0 included), so the series compares like with like.
    pub(super) fn run_series(&mut self, series: Series, question: Option<String>) {
        self.enqueue(vec![job(
            CALIBRATION_WARMUP,
            1,
            Purpose::Calibration { series, question },
        )]);
    }

    /// The calibration is done: the series' runs go first in the queue.
    fn calibrated(&mut self, series: Series, question: Option<String>, per_sample: usize) {
        let jobs = series.configs().map(|(warmup, runs)| Job {
            // What warmup removes shows only from a cold start.
            fresh: series == Series::Warmup,
            per_sample: Some(per_sample),
            ..job(warmup, runs, Purpose::Normal)
        });
        self.queue.splice(0..0, as_series(jobs.into(), question));
    }

    pub(super) fn enqueue(&mut self, jobs: Vec<Job>) {
        self.queue.extend(jobs);
        if !self.is_busy() {
            self.next_job();
        }
    }

    pub(super) fn next_job(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        let job = self.queue.remove(0);
        if job.purpose == Purpose::Normal {
            self.finished = None;
        }
        let Some(model) = self.model.clone() else {
            self.queue.clear();
            let text = self.ui().loading_model.to_string();
            return self.notify(text, true);
        };
        let seed = self.url.config.validate().map(|c| c.seed).unwrap_or(0);
        let plan = job.plan.unwrap_or(self.url.config.plan);
        if job.fresh {
            // A new worker: what the old one held is gone. Messages wait
            // for the new one to be ready, in order.
            self.effects.push(Effect::RestartWorker);
            if let Some(m) = &mut self.model {
                m.loaded_plans.clear();
            }
        }
        if job.fresh || !model.loaded_plans.contains(&plan) {
            // The worker keeps a plan per (model, plan); send the bytes only
            // when it does not hold this one yet (messages run in order).
            let request = self.id();
            self.send(
                model
                    .data
                    .load_message(request, &model.key, &model.name, plan),
            );
        }
        let request = self.id();
        let per_sample = job.per_sample.unwrap_or(1);
        let (phase, total) = if job.warmup > 0 {
            (Phase::Warmup, job.warmup)
        } else {
            (Phase::Timed, job.runs)
        };
        self.send(ToWorker::Run {
            request,
            model_key: model.key.clone(),
            plan,
            warmup: job.warmup,
            runs: job.runs,
            seed,
            inferences_per_sample: job.per_sample,
        });
        self.live = Some(LiveRun {
            request,
            seed,
            plan,
            model_name: model.name,
            phase,
            done: 0,
            total,
            warmup_ms: Vec::with_capacity(job.warmup),
            latencies_ms: Vec::with_capacity(job.runs),
            job,
            cancelling: false,
            started_ms: self.now.ms,
            budget_ms: self.run_budget_ms,
            inferences_per_sample: per_sample,
            replanned: false,
            disturbed: Disturbed {
                hidden: self.hidden,
                silent_ms: None,
            },
            last_heard_ms: self.now.ms,
            slowest_ms: 0.0,
        });
    }

    pub(super) fn cancel(&mut self) {
        self.queue.clear();
        if let Some(l) = &mut self.live {
            l.cancelling = true;
            let request = l.request;
            self.send(ToWorker::Cancel { request });
        }
    }

    /// The worker was replaced: what it held is gone, a run it interrupted
    /// keeps what it measured.
    pub(super) fn worker_lost(&mut self, text: String) {
        self.keep_interrupted_run();
        self.live = None;
        self.queue.clear();
        self.pending = None;
        if let Some(m) = &mut self.model {
            m.loaded_plans.clear();
        } else {
            // Nothing loaded yet: the restarted worker loads the default.
            self.latest_choice = 0;
        }
        if self.self_check == SelfCheckState::Running {
            self.self_check = SelfCheckState::Done(Err(text.clone()));
        }
        self.notify(text, true);
    }

    pub(super) fn on_message(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Ready { env } => {
                self.env = Some(env);
                // The default model, unless the student already chose one
                // (a file picked while the worker was starting).
                if self.model.is_none() && self.pending.is_none() && self.latest_choice == 0 {
                    self.load_bundled();
                }
            }
            FromWorker::Loaded {
                request,
                model_key,
                card,
                pipeline,
                nodes_analysed,
                nodes_planned,
                cached,
            } => {
                if let Some(p) = self.pending.take_if(|p| p.request == request) {
                    self.model = Some(ActiveModel {
                        key: p.key,
                        name: p.name,
                        source: p.source,
                        data: p.data,
                        card,
                        pipeline,
                        nodes_analysed,
                        nodes_planned,
                        cached,
                        loaded_plans: vec![self.url.config.plan],
                    });
                    if self.live.is_none() {
                        self.next_job();
                    }
                } else if let Some(m) = self.model.as_mut().filter(|m| m.key == model_key) {
                    // A plan loaded ahead of a run.
                    m.pipeline = pipeline;
                    m.nodes_planned = nodes_planned;
                    m.cached = cached;
                    if let Some(live) = &mut self.live {
                        if !m.loaded_plans.contains(&live.plan) {
                            m.loaded_plans.push(live.plan);
                        }
                        // The new worker says it planned the model itself.
                        live.replanned |= live.job.fresh && !cached;
                    }
                }
            }
            FromWorker::Progress {
                request,
                phase,
                done,
                total,
                new_latencies,
                inferences_per_sample,
            } => {
                if let Some(l) = self.live.as_mut().filter(|l| l.request == request) {
                    // A silence far beyond the run's own latencies, after
                    // its first report (before it, the model may be loading).
                    let silent = self.now.ms - l.last_heard_ms;
                    if l.done > 0 && silent > FROZEN_MS.max(10.0 * l.slowest_ms) {
                        let longest = l.disturbed.silent_ms.unwrap_or(0.0).max(silent);
                        l.disturbed.silent_ms = Some(longest);
                    }
                    l.last_heard_ms = self.now.ms;
                    l.slowest_ms = new_latencies.iter().fold(l.slowest_ms, |a, &b| a.max(b));
                    l.inferences_per_sample = inferences_per_sample;
                    l.phase = phase;
                    l.done = done;
                    l.total = total;
                    match phase {
                        Phase::Warmup => l.warmup_ms.extend_from_slice(&new_latencies),
                        Phase::Timed => l.latencies_ms.extend_from_slice(&new_latencies),
                    }
                }
            }
            FromWorker::Finished {
                request,
                measurements,
                timer,
                inferences_per_sample,
                pipeline,
            } => {
                let Some(live) = self.live.take_if(|l| l.request == request) else {
                    return;
                };
                self.finish_run(live, measurements, timer, inferences_per_sample, pipeline);
                self.next_job();
            }
            FromWorker::SelfChecked { result, .. } => {
                self.self_check = SelfCheckState::Done(result);
            }
            FromWorker::Failed {
                request,
                message,
                detail,
                error,
            } => {
                let message = error.map_or(message, |e| self.lang().model_error(&e));
                if self.pending.as_ref().is_some_and(|p| p.request == request) {
                    self.pending = None;
                }
                if self.live.as_ref().is_some_and(|l| l.request == request) {
                    self.live = None;
                    self.queue.clear();
                }
                self.push_notice(message, detail, true, None);
            }
        }
    }

    /// A run the worker's death interrupted keeps what it measured, like a
    /// cancelled one.
    pub(super) fn keep_interrupted_run(&mut self) {
        let Some(live) = self.live.take() else {
            return;
        };
        let (Some(env), Some(model)) = (&self.env, &self.model) else {
            return;
        };
        if live.latencies_ms.is_empty() {
            return;
        }
        let measurements = Measurements {
            warmup_ms: live.warmup_ms.clone(),
            latencies_ms: live.latencies_ms.clone(),
            cancelled: true,
        };
        let (timer, pipeline) = (env.timer.clone(), model.pipeline);
        let k = live.inferences_per_sample;
        self.finish_run(live, measurements, timer, k, pipeline);
    }

    pub(super) fn finish_run(
        &mut self,
        live: LiveRun,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    ) {
        if measurements.latencies_ms.is_empty() {
            let text = self.ui().cancelled_note.to_string();
            return self.notify(text, false);
        }
        if let Purpose::Calibration { series, question } = live.job.purpose {
            // An interrupted calibration starts nothing.
            if !measurements.cancelled {
                self.calibrated(series, question, inferences_per_sample);
            }
            return;
        }
        let Some(model) = &self.model else {
            return;
        };
        let report = match self.report_of(
            &live,
            model,
            measurements,
            timer,
            inferences_per_sample,
            pipeline,
        ) {
            Ok(r) => r,
            Err(e) => return self.notify(e.to_string(), true),
        };
        let base = format!(
            "{} · warmup {} · runs {}{}",
            model.name.trim_end_matches(".onnx"),
            live.job.warmup,
            live.job.runs,
            if report.cancelled { " (cancelled)" } else { "" }
        );
        let record = RunRecord {
            id: format!("run-{:.0}-{}", self.now.ms, live.request),
            name: session::unique_name(&base, self.runs.all()),
            created_ms: self.now.ms,
            source: RunSource::Browser,
            report,
        };
        let id = record.id.clone();
        self.save(record);
        self.current = Some(id.clone());
        match live.job.purpose {
            Purpose::Normal => self.finished = Some(id),
            Purpose::ColdStart => self.cold_run = Some(id),
            Purpose::Question(q) => self.question_measured(q, id, true),
            Purpose::Experiment => self.experiment_measured(id),
            Purpose::Series { last, question } => {
                if !self.compare.contains(&id) {
                    self.compare.push(id.clone());
                }
                match question {
                    Some(q) => self.question_measured(q, id, last),
                    None => self.experiment_measured(id),
                }
            }
            // Handled above: a calibration is kept as no run.
            Purpose::Calibration { .. } => {}
        }
    }

    /// The report of a run in this browser, assembled as the CLI's is.
    pub(super) fn report_of(
        &self,
        live: &LiveRun,
        model: &ActiveModel,
        measurements: Measurements,
        timer: TimerResolution,
        inferences_per_sample: usize,
        pipeline: PipelineTimings,
    ) -> Result<BenchmarkReport, crate::stats::StatsError> {
        let run = Run {
            measurements,
            model_path: model.name.clone(),
            model: ModelSummary::from(&model.card),
            pipeline_ms: pipeline,
            settings: RunSettings {
                warmup_runs: live.job.warmup,
                benchmark_runs: live.job.runs,
                input: "fakedata".into(),
                seed: Some(live.seed),
                plan: live.plan,
                providers: vec!["tract (WebAssembly)".into()],
                inferences_per_sample,
                threads: 1,
            },
        };
        let mut system_info = self.browser.system_info(self.env.as_ref());
        if live.disturbed.hidden {
            system_info
                .extra
                .insert(DISTURBED_HIDDEN_KEY.into(), "true".into());
        }
        if let Some(ms) = live.disturbed.silent_ms {
            system_info
                .extra
                .insert(DISTURBED_SILENT_KEY.into(), format!("{:.1}", ms / 1000.0));
        }
        if live.job.fresh {
            // A cold-start measurement says whether it really began cold:
            // in a new worker that planned the model itself.
            system_info
                .extra
                .insert("fresh_worker".into(), live.replanned.to_string());
        }
        let context = ReportContext {
            system_info,
            engine: EngineInfo::tract("piedge-lab (browser)").with_kernels(Kernels::Piedge),
            timer: Some(timer),
            generated: self.now.local.clone(),
        };
        let options = StatsOptions {
            bootstrap_seed: live.seed,
            ..Default::default()
        };
        BenchmarkReport::assemble(run, &options, context)
    }

    pub(super) fn question_measured(&mut self, question: String, run: String, done: bool) {
        let q = self.questions.entry(question).or_default();
        q.runs.push(run);
        q.measured |= done;
        self.store_answers();
    }

    /// Keeps a run in the tab and in the browser's storage.
    pub(super) fn save(&mut self, record: RunRecord) {
        self.runs.put(record.clone());
        self.effects.push(Effect::PutRun(record));
    }

    /// Imports one result file; a bad one is reported and skipped.
    pub(super) fn import(&mut self, name: String, result: Result<Vec<u8>, String>) {
        let bytes = match result {
            Ok(b) => b,
            Err(e) => return self.notify(format!("{name}: {e}"), true),
        };
        let n = self.id();
        let id = format!("import-{:.0}-{n}", self.now.ms);
        match session::import(&name, &bytes, id, self.now.ms) {
            Ok(records) => {
                for mut record in records {
                    // A run restored from an export replaces its own older
                    // copy, and keeps its name.
                    if !self.runs.contains(&record.id) {
                        record.name = session::unique_name(&record.name, self.runs.all());
                    }
                    let id = record.id.clone();
                    self.save(record);
                    if !self.compare.contains(&id) {
                        self.compare.push(id);
                    }
                }
            }
            Err(e) => self.notify(e.to_string(), true),
        }
    }
}
