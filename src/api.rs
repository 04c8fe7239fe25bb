//! The classroom server's API (`/api/…` on `piedge serve`), as types both
//! sides share: the lab builds a [`JobRequest`] and reads [`Machine`] and
//! [`JobUpdate`]; the server checks the request here, so the limits the lab
//! shows are the ones the server applies. Plain data and checks: no
//! network, no clock, no tract.
//!
//! Who a client is: the first call (`GET /api/machine`) without a token gets
//! one in its answer; the lab keeps it in `sessionStorage` (one per tab) and
//! sends it as [`TOKEN_HEADER`] (or `?token=` where a browser cannot set
//! headers, as on an `EventSource`). Queues and quotas count per token.

use crate::plan::{Kernels, Plan};
use crate::report::BenchmarkReport;
use crate::sysinfo::SystemInfo;
use serde::{Deserialize, Serialize};

/// The header that carries a tab's session token.
pub const TOKEN_HEADER: &str = "x-piedge-token";

/// The most timed runs one native job may ask for: enough for a p99 that
/// means something, few enough that one student's job cannot hold the queue
/// for long (10 000 MobileNetV2 runs take about 20 s on a PC, a minute on a Pi).
pub const MAX_JOB_RUNS: usize = 10_000;
pub const MAX_JOB_WARMUP: usize = 1_000;
/// Jobs waiting or running, over the whole class: thirty students and a
/// teacher, each with one job, and room for a second round.
pub const MAX_QUEUE: usize = 64;
/// A job still running after this long is stopped and reported as failed.
pub const MAX_JOB_SECONDS: u64 = 120;
/// The largest API request body; a job request is about 100 bytes.
pub const MAX_BODY_BYTES: usize = 4096;
/// The largest body a POST to `path` may carry.
pub fn body_limit(path: &str) -> usize {
    if path == "/api/shared" {
        crate::limits::MAX_SHARE_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Session tokens the server remembers; the oldest is forgotten first.
pub const MAX_TOKENS: usize = 4096;
/// Tokens one client address keeps: a script asking for more forgets its
/// own oldest, not the class's.
pub const MAX_TOKENS_PER_ADDRESS: usize = 32;
/// Unfinished jobs from one client address, whatever its tokens: a few
/// tabs on one laptop, not the whole queue.
pub const MAX_JOBS_PER_ADDRESS: usize = 4;

/// What `GET /api/machine` answers: the machine that runs native jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// A new session token, when the request came without a valid one.
    #[serde(default)]
    pub token: Option<String>,
    /// One line for labels: "Raspberry Pi 4 Model B, Cortex-A72, native, 1 thread".
    pub label: String,
    pub system: SystemInfo,
    /// The bundled models this server runs, by name.
    pub models: Vec<String>,
    pub max_runs: usize,
    pub max_warmup: usize,
    pub max_job_seconds: u64,
    /// Native jobs the server runs at once (`--concurrent-runs`); above 1
    /// they disturb each other, which a teacher may want the class to see.
    pub concurrent_runs: usize,
    /// Threads each job uses.
    pub threads: usize,
}

/// `POST /api/jobs`: run a bundled model natively.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    pub model: String,
    pub warmup: usize,
    pub runs: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub plan: Plan,
    #[serde(default)]
    pub kernels: Kernels,
}

fn default_seed() -> u64 {
    42
}

impl JobRequest {
    /// Reads a request body, refusing what the server would not run.
    pub fn parse(body: &[u8], models: &[String]) -> Result<JobRequest, ApiError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        let request: JobRequest = serde_json::from_slice(body).map_err(|e| ApiError::BadJson {
            detail: e.to_string(),
        })?;
        request.check(models)?;
        Ok(request)
    }

    pub fn check(&self, models: &[String]) -> Result<(), ApiError> {
        if !models.contains(&self.model) {
            return Err(ApiError::UnknownModel {
                model: self.model.chars().take(64).collect(),
                known: models.to_vec(),
            });
        }
        if self.runs == 0 || self.runs > MAX_JOB_RUNS {
            return Err(ApiError::RunsOutOfRange {
                runs: self.runs,
                max: MAX_JOB_RUNS,
            });
        }
        if self.warmup > MAX_JOB_WARMUP {
            return Err(ApiError::WarmupOutOfRange {
                warmup: self.warmup,
                max: MAX_JOB_WARMUP,
            });
        }
        Ok(())
    }
}

/// `POST /api/jobs` answers `202` with this; progress then comes from
/// `GET /api/jobs/{id}/events` (server-sent events, one [`JobUpdate`] each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobAccepted {
    pub id: u64,
    /// 1 = next to start (or running already).
    pub position: usize,
}

/// One step of a job's life, as the page sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobUpdate {
    pub id: u64,
    #[serde(flatten)]
    pub status: JobStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting; `position` 1 starts next.
    Queued {
        position: usize,
    },
    /// Measuring: `done` of `total` runs (warmup first, then timed).
    Running {
        warmup: bool,
        done: usize,
        total: usize,
    },
    /// Measured: the same report `piedge bench` writes as
    /// `latency_results.json`, with what else the server did meanwhile in
    /// `system_info.extra` (`server_*`).
    Finished {
        report: Box<BenchmarkReport>,
    },
    Failed {
        message: String,
    },
    Cancelled,
}

impl JobStatus {
    /// True once the job will not change again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobStatus::Finished { .. } | JobStatus::Failed { .. } | JobStatus::Cancelled
        )
    }
}

/// Every refusal the API gives, with its status; the body is this as JSON
/// (`{"error": "runs_out_of_range", "runs": 0, "max": 10000, "message": …}`)
/// so that the lab can word it in the student's language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ApiError {
    #[error("the request is not a job the server understands ({detail}); send JSON like {{\"model\":\"tinycnn\",\"warmup\":3,\"runs\":100}}")]
    BadJson { detail: String },
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("this server has no model '{model}'; it runs {}", known.join(", "))]
    UnknownModel { model: String, known: Vec<String> },
    #[error("runs must be between 1 and {max}, not {runs}")]
    RunsOutOfRange { runs: usize, max: usize },
    #[error("warmup must be between 0 and {max}, not {warmup}")]
    WarmupOutOfRange { warmup: usize, max: usize },
    #[error("you already have job {id} waiting or running; wait for it or cancel it first")]
    AlreadyQueued { id: u64 },
    #[error("the queue is full ({limit} jobs); try again when some have finished")]
    QueueFull { limit: usize },
    #[error("your device has {limit} jobs waiting or running already; wait for one to finish")]
    TooManyFromAddress { limit: usize },
    #[error("too many requests from your device; try again in {retry_after_s} s")]
    TooManyRequests { retry_after_s: u64 },
    #[error("this request has no valid session token; reload the lab to get one")]
    NoToken,
    #[error("there is no job {id} on this server")]
    UnknownJob { id: u64 },
    #[error("job {id} belongs to another tab; only its owner can follow or cancel it")]
    NotYourJob { id: u64 },
    #[error("no such API call: {method} {path}")]
    NoSuchCall { method: String, path: String },
    #[error("a nickname is 1 to {max} characters")]
    BadNickname { max: usize },
    #[error("a device label is at most {max} characters")]
    BadLabel { max: usize },
    #[error("a shared run holds at most {max} latencies")]
    TooManyLatencies { max: usize },
    #[error("the shared run is not a PiEdge report: {detail}")]
    BadReport { detail: String },
    #[error("latency {index} is not a time between 0 and {max_ms} ms")]
    LatencyOutOfRange { index: usize, max_ms: f64 },
    #[error("the teacher has closed sharing for now")]
    SharingLocked,
    #[error("you may share {per_minute} runs a minute; wait a moment")]
    TooManyShares { per_minute: usize },
    #[error("this class session holds {limit} runs already; the teacher can start a new one")]
    SessionFull { limit: usize },
    #[error("this needs the teacher code that piedge serve printed when it started")]
    BadTeacherCode,
    #[error("there is no shared run {id}")]
    UnknownRun { id: u64 },
    #[error("the server could not store the run: {detail}")]
    Storage { detail: String },
    #[error("the server is busy checking other shared runs; try again in {retry_after_s} s")]
    Busy { retry_after_s: u64 },
    #[error("the server could not check the run within {seconds} s, so it did not keep it; try again in a moment")]
    ShareTimedOut { seconds: u64 },
    #[error("the class board is off on this server: {reason}")]
    BoardOff { reason: String },
    #[error("the class board's database is in use by another program; try again in a moment")]
    BoardBusy,
    #[error("the server hit a bug answering this request and goes on serving; please report it")]
    ServerBug,
}

impl ApiError {
    /// The HTTP status the refusal goes out with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadJson { .. }
            | ApiError::UnknownModel { .. }
            | ApiError::RunsOutOfRange { .. }
            | ApiError::WarmupOutOfRange { .. }
            | ApiError::BadNickname { .. }
            | ApiError::BadLabel { .. }
            | ApiError::TooManyLatencies { .. }
            | ApiError::BadReport { .. }
            | ApiError::LatencyOutOfRange { .. } => 400,
            ApiError::SharingLocked | ApiError::BadTeacherCode => 403,
            ApiError::TooManyShares { .. } => 429,
            ApiError::SessionFull { .. } => 409,
            ApiError::UnknownRun { .. } => 404,
            ApiError::Storage { .. } | ApiError::ServerBug => 500,
            ApiError::Busy { .. }
            | ApiError::ShareTimedOut { .. }
            | ApiError::BoardOff { .. }
            | ApiError::BoardBusy => 503,
            ApiError::BodyTooLarge { .. } => 413,
            ApiError::AlreadyQueued { .. } => 409,
            ApiError::QueueFull { .. } => 503,
            ApiError::TooManyFromAddress { .. } | ApiError::TooManyRequests { .. } => 429,
            ApiError::NoToken => 401,
            ApiError::NotYourJob { .. } => 403,
            ApiError::UnknownJob { .. } | ApiError::NoSuchCall { .. } => 404,
        }
    }

    /// How long a client should wait before it asks again, for refusals
    /// that pass by themselves (the server's `Retry-After`).
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after_s } | ApiError::Busy { retry_after_s } => {
                Some(*retry_after_s)
            }
            ApiError::ShareTimedOut { .. } | ApiError::BoardBusy => Some(1),
            _ => None,
        }
    }

    /// The refusal as the body the server sends.
    pub fn to_json(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("errors serialise");
        if let Some(map) = value.as_object_mut() {
            map.insert("message".into(), self.to_string().into());
        }
        serde_json::to_vec(&value).expect("errors serialise")
    }

    /// Reads a refusal the server sent; `None` when the body is not one.
    pub fn from_json(body: &[u8]) -> Option<ApiError> {
        serde_json::from_slice(body).ok()
    }
}

/// The label a native run carries: device, CPU, "native", threads.
pub fn machine_label(system: &SystemInfo, threads: usize) -> String {
    let mut parts = vec![system.device.clone()];
    // A PC's device name is often its CPU's ("AMD EPYC"): say it once.
    if let Some(cpu) = system.cpu_model.as_ref().filter(|c| **c != system.device) {
        parts.push(cpu.clone());
    }
    parts.push("native".into());
    parts.push(crate::sysinfo::threads_text(threads));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Vec<String> {
        vec!["tinycnn".into(), "mobilenetv2".into()]
    }

    fn parse(body: &str) -> Result<JobRequest, ApiError> {
        JobRequest::parse(body.as_bytes(), &models())
    }

    #[test]
    fn a_job_request_is_checked_before_it_is_queued() {
        let ok = parse(r#"{"model":"tinycnn","warmup":3,"runs":100}"#).unwrap();
        assert_eq!(
            (ok.seed, ok.plan, ok.kernels),
            (42, Plan::Optimized, Kernels::Piedge)
        );
        let cases: [(&str, u16, &str); 8] = [
            ("{", 400, "bad_json"),
            (r#"{"model":"tinycnn","warmup":3}"#, 400, "bad_json"),
            (
                r#"{"model":"tinycnn","warmup":3,"runs":5,"extra":1}"#,
                400,
                "bad_json",
            ),
            (
                r#"{"model":"tinycnn","warmup":-1,"runs":5}"#,
                400,
                "bad_json",
            ),
            (
                r#"{"model":"resnet","warmup":3,"runs":5}"#,
                400,
                "unknown_model",
            ),
            (
                r#"{"model":"tinycnn","warmup":3,"runs":0}"#,
                400,
                "runs_out_of_range",
            ),
            (
                r#"{"model":"tinycnn","warmup":3,"runs":10001}"#,
                400,
                "runs_out_of_range",
            ),
            (
                r#"{"model":"tinycnn","warmup":1001,"runs":5}"#,
                400,
                "warmup_out_of_range",
            ),
        ];
        for (body, status, code) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!(e.status(), status, "{body}");
            let json: serde_json::Value = serde_json::from_slice(&e.to_json()).unwrap();
            assert_eq!(json["error"], code, "{body}");
            assert_eq!(json["message"], e.to_string());
        }
        let big = format!(r#"{{"model":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(parse(&big).unwrap_err().status(), 413);
    }

    #[test]
    fn refusals_round_trip_so_the_lab_can_word_them() {
        let e = ApiError::UnknownModel {
            model: "resnet".into(),
            known: models(),
        };
        assert_eq!(ApiError::from_json(&e.to_json()), Some(e));
        assert_eq!(ApiError::from_json(b"<html>"), None);
    }

    #[test]
    fn updates_are_flat_json() {
        let u = JobUpdate {
            id: 7,
            status: JobStatus::Queued { position: 2 },
        };
        let json = serde_json::to_string(&u).unwrap();
        assert_eq!(json, r#"{"id":7,"status":"queued","position":2}"#);
        assert_eq!(serde_json::from_str::<JobUpdate>(&json).unwrap(), u);
        assert!(!u.status.is_final());
        assert!(JobStatus::Cancelled.is_final());
    }

    #[test]
    fn the_label_names_device_cpu_and_threads() {
        let mut s = SystemInfo {
            device: "Raspberry Pi 4 Model B Rev 1.4".into(),
            cpu_model: Some("Cortex-A72".into()),
            ..Default::default()
        };
        assert_eq!(
            machine_label(&s, 1),
            "Raspberry Pi 4 Model B Rev 1.4, Cortex-A72, native, 1 thread"
        );
        s.device = "Cortex-A72".into();
        assert_eq!(machine_label(&s, 2), "Cortex-A72, native, 2 threads");
    }
}
