//! The words of "run it on the server": the button, the queue and progress,
//! the refusals in the student's language, and the browser-vs-native
//! comparison.

use super::Lang;
use crate::api::ApiError;
use crate::lab::state::{NativeBlocked, NativeJob, Refused};

impl Lang {
    /// A number as this language writes it: a decimal comma in Swedish.
    pub fn decimal(self, text: String) -> String {
        match self {
            Lang::Sv => text.replace('.', ","),
            Lang::En => text,
        }
    }

    /// The numbers in `text` as this language writes them: in Swedish, a
    /// run of digits with one point inside ("2.5", "0.337") takes a comma;
    /// versions and addresses ("0.23.9", "192.168.1.20") and a sentence's
    /// full stop ("12.") stay as they are.
    pub fn numbers(self, text: &str) -> String {
        if self == Lang::En {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut String| {
            let one_inside =
                run.matches('.').count() == 1 && !run.starts_with('.') && !run.ends_with('.');
            out.push_str(&if one_inside {
                run.replace('.', ",")
            } else {
                run.clone()
            });
            run.clear();
        };
        for c in text.chars() {
            if c.is_ascii_digit() || c == '.' {
                run.push(c);
            } else {
                flush(&mut run, &mut out);
                out.push(c);
            }
        }
        flush(&mut run, &mut out);
        out
    }

    pub fn native_title(self) -> &'static str {
        match self {
            Lang::Sv => "Kör på servern",
            Lang::En => "Run on the server",
        }
    }

    pub fn native_button(self, machine: &str) -> String {
        match self {
            Lang::Sv => format!("Gör samma mätning på {machine}"),
            Lang::En => format!("Make the same measurement on {machine}"),
        }
    }

    pub fn native_cancel(self) -> &'static str {
        match self {
            Lang::Sv => "Avbryt mätningen på servern",
            Lang::En => "Cancel the measurement on the server",
        }
    }

    /// Why the button is disabled (or absent), in a sentence.
    pub fn native_blocked(self, why: NativeBlocked) -> String {
        match (self, why) {
            (Lang::Sv, NativeBlocked::Asking) => "Frågar servern vad den kan …".into(),
            (Lang::En, NativeBlocked::Asking) => "Asking the server what it offers …".into(),
            (Lang::Sv, NativeBlocked::NoServer) => "Den här sidan kommer från en vanlig webbserver. För att mäta direkt på en dator eller en Raspberry Pi startar läraren labbet där med `piedge serve --lan`; knappen finns då här.".into(),
            (Lang::En, NativeBlocked::NoServer) => "This page comes from a plain web server. To measure directly on a computer or a Raspberry Pi, the teacher starts the lab there with `piedge serve --lan`; the button then appears here.".into(),
            (Lang::Sv, NativeBlocked::NotBundled) => "Servern kör bara labbets egna modeller (tinycnn, mobilenetv2); välj en av dem i steg 3.".into(),
            (Lang::En, NativeBlocked::NotBundled) => "The server runs only the lab's own models (tinycnn, mobilenetv2); choose one of them in step 3.".into(),
            (Lang::Sv, NativeBlocked::TooManyRuns { max }) => format!("Servern kör högst {max} körningar per mätning; sänk antalet tidtagna körningar."),
            (Lang::En, NativeBlocked::TooManyRuns { max }) => format!("The server times at most {max} runs per measurement; lower the number of timed runs."),
            (Lang::Sv, NativeBlocked::TooMuchWarmup { max }) => format!("Servern tillåter högst {max} uppvärmningskörningar per mätning."),
            (Lang::En, NativeBlocked::TooMuchWarmup { max }) => format!("The server allows at most {max} warmup runs per measurement."),
            (Lang::Sv, NativeBlocked::InvalidSettings) => "Rätta inställningarna i steg 3 först.".into(),
            (Lang::En, NativeBlocked::InvalidSettings) => "Correct the settings in step 3 first.".into(),
            (Lang::Sv, NativeBlocked::Busy) => "Din mätning på servern pågår.".into(),
            (Lang::En, NativeBlocked::Busy) => "Your measurement on the server is under way.".into(),
        }
    }

    /// Where the job is: sent, waiting in line, measuring.
    pub fn native_progress(self, job: &NativeJob) -> String {
        match (self, job) {
            (Lang::Sv, NativeJob::Submitting) => "Skickar till servern …".into(),
            (Lang::En, NativeJob::Submitting) => "Sending to the server …".into(),
            (Lang::Sv, NativeJob::Waiting { position: 0, .. }) => "I kön …".into(),
            (Lang::En, NativeJob::Waiting { position: 0, .. }) => "In the queue …".into(),
            (Lang::Sv, NativeJob::Waiting { position: 1, .. }) => "I kön: du står näst på tur (servern gör en mätning i taget, så att mätningarna inte stör varandra).".into(),
            (Lang::En, NativeJob::Waiting { position: 1, .. }) => "In the queue: you are next (the server makes one measurement at a time, so that measurements do not disturb each other).".into(),
            (Lang::Sv, NativeJob::Waiting { position, .. }) => format!("I kön: plats {position} (servern gör en mätning i taget, så att mätningarna inte stör varandra)."),
            (Lang::En, NativeJob::Waiting { position, .. }) => format!("In the queue: place {position} (the server makes one measurement at a time, so that measurements do not disturb each other)."),
            (Lang::Sv, NativeJob::Running { warmup: true, done, total, .. }) => format!("Servern värmer upp: {done} av {total}"),
            (Lang::En, NativeJob::Running { warmup: true, done, total, .. }) => format!("The server is warming up: {done} of {total}"),
            (Lang::Sv, NativeJob::Running { done, total, .. }) => format!("Servern tar tid: {done} av {total} körningar"),
            (Lang::En, NativeJob::Running { done, total, .. }) => format!("The server is timing: {done} of {total} runs"),
            (Lang::Sv, NativeJob::Cancelling { .. }) => "Avbryter …".into(),
            (Lang::En, NativeJob::Cancelling { .. }) => "Cancelling …".into(),
        }
    }

    /// A refused submission, in words the student can act on; the server's
    /// own English sentence goes in the notice's detail.
    pub fn native_refused(self, refused: &Refused) -> String {
        let api = match refused {
            Refused::Network(why) => {
                return match self {
                    Lang::Sv => format!("Servern svarade inte ({why}). Är den fortfarande igång?"),
                    Lang::En => format!("The server did not answer ({why}). Is it still running?"),
                }
            }
            Refused::Api(e) => e,
        };
        match (self, api) {
            (Lang::Sv, ApiError::AlreadyQueued { .. }) => "Du har redan en mätning i kön; vänta tills den är klar eller avbryt den.".into(),
            (Lang::En, ApiError::AlreadyQueued { .. }) => "You already have a measurement in the queue; wait for it or cancel it.".into(),
            (Lang::Sv, ApiError::QueueFull { limit }) => format!("Kön är full ({limit} mätningar); försök igen om en stund."),
            (Lang::En, ApiError::QueueFull { limit }) => format!("The queue is full ({limit} measurements); try again in a while."),
            (Lang::Sv, ApiError::TooManyFromAddress { limit }) => format!("Din enhet har redan {limit} mätningar i kön; vänta tills en är klar."),
            (Lang::En, ApiError::TooManyFromAddress { limit }) => format!("Your device already has {limit} measurements in the queue; wait for one to finish."),
            (Lang::Sv, ApiError::TooManyRequests { retry_after_s }) => format!("För många anrop från din enhet; försök igen om {retry_after_s} s."),
            (Lang::En, ApiError::TooManyRequests { retry_after_s }) => format!("Too many requests from your device; try again in {retry_after_s} s."),
            (Lang::Sv, ApiError::RunsOutOfRange { max, .. }) => format!("Servern kör 1 till {max} körningar per mätning."),
            (Lang::En, ApiError::RunsOutOfRange { max, .. }) => format!("The server times 1 to {max} runs per measurement."),
            (Lang::Sv, ApiError::WarmupOutOfRange { max, .. }) => format!("Servern tillåter högst {max} uppvärmningskörningar."),
            (Lang::En, ApiError::WarmupOutOfRange { max, .. }) => format!("The server allows at most {max} warmup runs."),
            (Lang::Sv, ApiError::UnknownModel { known, .. }) => format!("Servern har inte den modellen; den kör {}.", known.join(", ")),
            (Lang::En, ApiError::UnknownModel { known, .. }) => format!("The server does not have that model; it runs {}.", known.join(", ")),
            (Lang::Sv, ApiError::NoToken) => "Servern känner inte igen den här fliken (den har kanske startats om); ladda om sidan.".into(),
            (Lang::En, ApiError::NoToken) => "The server does not recognise this tab (it may have restarted); reload the page.".into(),
            (Lang::Sv, ApiError::SharingLocked) => "Läraren har stängt delningen just nu.".into(),
            (Lang::En, ApiError::SharingLocked) => "The teacher has closed sharing for now.".into(),
            (Lang::Sv, ApiError::TooManyShares { per_minute }) => format!("Du kan dela {per_minute} mätningar i minuten; vänta en stund."),
            (Lang::En, ApiError::TooManyShares { per_minute }) => format!("You can share {per_minute} measurements a minute; wait a moment."),
            (Lang::Sv, ApiError::BadNickname { max }) => format!("Ett smeknamn är 1 till {max} tecken."),
            (Lang::En, ApiError::BadNickname { max }) => format!("A nickname is 1 to {max} characters."),
            (Lang::Sv, ApiError::BadTeacherCode) => "Lärarkoden stämmer inte; använd adressen som piedge serve skrev ut.".into(),
            (Lang::En, ApiError::BadTeacherCode) => "The teacher code is wrong; use the address piedge serve printed.".into(),
            (Lang::Sv, ApiError::SessionFull { .. }) => "Klassomgången är full; läraren kan starta en ny.".into(),
            (Lang::En, ApiError::SessionFull { .. }) => "The class session is full; the teacher can start a new one.".into(),
            (Lang::Sv, _) => "Servern tog inte emot begäran.".into(),
            (Lang::En, _) => "The server did not accept the request.".into(),
        }
    }

    pub fn native_failed(self) -> &'static str {
        match self {
            Lang::Sv => "Mätningen på servern misslyckades.",
            Lang::En => "The measurement on the server failed.",
        }
    }

    pub fn native_cancelled(self) -> &'static str {
        match self {
            Lang::Sv => "Mätningen på servern avbröts.",
            Lang::En => "The measurement on the server was cancelled.",
        }
    }

    pub fn native_lost(self) -> &'static str {
        match self {
            Lang::Sv => {
                "Kontakten med servern bröts under mätningen; dina tidigare mätningar finns kvar."
            }
            Lang::En => {
                "The connection to the server broke during the measurement; your earlier measurements are kept."
            }
        }
    }

    /// The comparison table's columns.
    pub fn versus_columns(self) -> [&'static str; 6] {
        match self {
            Lang::Sv => [
                "Mätning",
                "Maskin",
                "Kod för",
                "Timerns steg",
                "P50 (ms)",
                "P95 (ms)",
            ],
            Lang::En => [
                "Measurement",
                "Machine",
                "Code for",
                "Timer step",
                "P50 (ms)",
                "P95 (ms)",
            ],
        }
    }

    /// A timer's step in microseconds, as this language writes numbers.
    pub fn timer_step(self, step_ms: f64) -> String {
        let us = step_ms * 1000.0;
        let digits = if us >= 1.0 { 0 } else { 2 };
        self.decimal(format!("{us:.digits$} µs"))
    }

    pub fn versus_title(self) -> &'static str {
        match self {
            Lang::Sv => "Webbläsaren mot servern",
            Lang::En => "The browser against the server",
        }
    }

    /// "Browser / server: P50 × 2.4, P95 × 3.1".
    pub fn versus_ratios(self, p50: f64, p95: f64) -> String {
        let (p50, p95) = (
            self.decimal(format!("{p50:.2}")),
            self.decimal(format!("{p95:.2}")),
        );
        match self {
            Lang::Sv => format!("Webbläsaren / servern: P50 × {p50}, P95 × {p95}"),
            Lang::En => format!("Browser / server: P50 × {p50}, P95 × {p95}"),
        }
    }

    /// Why the two differ, in one sentence, with the two clocks' steps
    /// (milliseconds) when the reports have them.
    pub fn versus_reason(
        self,
        same_machine: bool,
        browser_step_ms: Option<f64>,
        native_step_ms: Option<f64>,
    ) -> String {
        let step = |s: Option<f64>| s.map_or_else(|| "?".to_string(), |s| self.timer_step(s));
        let (browser, native) = (step(browser_step_ms), step(native_step_ms));
        match (self, same_machine) {
            (Lang::Sv, true) => format!("Samma maskin, samma motor (tract) och en tråd i båda: skillnaden är att webbläsaren kör WebAssembly, med 128-bitars SIMD och kontrollerade minnesåtkomster, medan servern kör maskinkod för just sin processor, och att webbläsarens timer är grövre (steget {browser} mot {native})."),
            (Lang::En, true) => format!("Same machine, same engine (tract) and one thread in both: the difference is that the browser runs WebAssembly, with 128-bit SIMD and checked memory accesses, while the server runs machine code for its own processor, and that the browser's timer is coarser (a step of {browser} against {native})."),
            (Lang::Sv, false) => format!("Samma motor (tract) och en tråd i båda, men två olika maskiner: skillnaden blandar hårdvaran med att webbläsaren kör WebAssembly medan servern kör maskinkod för sin egen processor, och webbläsarens timer är grövre (steget {browser} mot {native})."),
            (Lang::En, false) => format!("Same engine (tract) and one thread in both, but two different machines: the difference mixes the hardware with the browser running WebAssembly while the server runs machine code for its own processor, and the browser's coarser timer (a step of {browser} against {native})."),
        }
    }

    /// When the two runs were not set up alike.
    pub fn versus_unlike(self) -> &'static str {
        match self {
            Lang::Sv => "Obs: mätningarna har olika inställningar (modell, uppvärmning, antal körningar eller körplan) eller så tog webbläsaren tid på grupper av inferenser; jämför med försiktighet.",
            Lang::En => "Note: the measurements differ in their settings (model, warmup, number of runs or execution plan), or the browser timed groups of inferences; compare with care.",
        }
    }

    /// What the server did while the job ran, and the machine's state.
    pub fn native_conditions(
        self,
        requests: Option<&str>,
        other_jobs: Option<&str>,
        temps: (Option<f64>, Option<f64>),
        throttled: bool,
    ) -> String {
        let mut parts = Vec::new();
        if let Some(n) = requests {
            parts.push(match self {
                Lang::Sv => format!("servern besvarade {n} förfrågningar under mätningen"),
                Lang::En => format!("the server answered {n} requests during the measurement"),
            });
        }
        if let Some(n) = other_jobs {
            parts.push(match self {
                Lang::Sv => format!("högst {n} andra mätningar pågick samtidigt"),
                Lang::En => format!("at most {n} other measurements ran at the same time"),
            });
        }
        if let (Some(before), Some(after)) = temps {
            let (b, a) = (
                self.decimal(format!("{before:.1}")),
                self.decimal(format!("{after:.1}")),
            );
            parts.push(match self {
                Lang::Sv => format!("processorn höll {b} °C före och {a} °C efter"),
                Lang::En => format!("the processor was at {b} °C before and {a} °C after"),
            });
        }
        if throttled {
            parts.push(match self {
                Lang::Sv => "maskinen var strypt (för varm eller för låg spänning)".into(),
                Lang::En => "the machine was throttled (too hot, or too low a voltage)".into(),
            });
        }
        let joined = parts.join("; ");
        match self {
            Lang::Sv => format!("Under mätningen på servern: {joined}."),
            Lang::En => format!("During the measurement on the server: {joined}."),
        }
    }
}
