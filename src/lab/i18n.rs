//! The lab's interface words in Swedish (the lesson's language) and English.
//! The lesson text itself lives in `lessons/*.md`, where a teacher can edit it.

mod board;
mod checklist;
mod guide;
mod native;
mod questions;
mod student;
mod timer;

pub use checklist::{ChecklistWords, PlanWords};
pub use guide::GuideWords;
pub use student::StudentWords;

use super::config::{Field, FieldError};
use crate::model_error::{example_shape, ModelError, ShapeTrouble};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's name in itself, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
        }
    }

    /// Files chosen as a model that together pass the lab's limit.
    pub fn model_too_large(self, names: &str, mb: f64, limit_mb: u64) -> String {
        match self {
            Lang::Sv => format!(
                "{names} är {mb:.0} MB, över labbets gräns på {limit_mb} MB för en modellfil"
            ),
            Lang::En => format!(
                "{names} is {mb:.0} MB, over the lab's {limit_mb} MB limit for a model file"
            ),
        }
    }

    pub fn ui(self) -> &'static Ui {
        match self {
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }
}

/// Every fixed string of the interface.
pub struct Ui {
    pub app_title: &'static str,
    pub loading: &'static str,
    pub step: &'static str,
    pub back: &'static str,
    pub next: &'static str,
    pub language: &'static str,
    pub model: &'static str,
    pub own_model: &'static str,
    pub drop_hint: &'static str,
    pub no_onnx_chosen: &'static str,
    pub one_onnx_at_a_time: &'static str,
    pub input_shape: &'static str,
    pub input_shape_hint: &'static str,
    pub use_shape: &'static str,
    pub choose_file_first: &'static str,
    pub tract_detail: &'static str,
    pub model_card: &'static str,
    pub inputs: &'static str,
    pub outputs: &'static str,
    pub operators: &'static str,
    pub parameters: &'static str,
    pub macs: &'static str,
    pub file_size: &'static str,
    pub warmup: &'static str,
    pub runs: &'static str,
    pub seed: &'static str,
    pub plan: &'static str,
    pub optimized: &'static str,
    pub unoptimized: &'static str,
    pub run: &'static str,
    pub cancel: &'static str,
    pub running: &'static str,
    pub warming_up: &'static str,
    pub export_worksheet: &'static str,
    pub worksheet_hint: &'static str,
    /// A series' calibration: a few inferences before its runs.
    pub calibrating: &'static str,
    pub loading_model: &'static str,
    pub cancelled_note: &'static str,
    pub environment: &'static str,
    pub timer_resolution: &'static str,
    pub cross_origin_isolated: &'static str,
    pub simd: &'static str,
    pub kernels: &'static str,
    pub self_check: &'static str,
    pub self_check_running: &'static str,
    pub self_check_matches: &'static str,
    pub self_check_failed: &'static str,
    pub cores: &'static str,
    pub cores_rounded: &'static str,
    pub browser: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub coarse_timer_note: &'static str,
    pub batched_note: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub statistic: &'static str,
    pub value: &'static str,
    pub outliers: &'static str,
    pub ci95: &'static str,
    pub summary_file: &'static str,
    pub saved_runs: &'static str,
    pub rename: &'static str,
    pub delete: &'static str,
    pub clear_all: &'static str,
    pub confirm_clear: &'static str,
    pub export: &'static str,
    pub import: &'static str,
    pub import_hint: &'static str,
    pub compare: &'static str,
    pub compare_hint: &'static str,
    pub run_series: &'static str,
    pub series_runs: &'static str,
    pub series_warmup: &'static str,
    pub prediction_placeholder: &'static str,
    pub measure: &'static str,
    pub show_answer: &'static str,
    pub cold_start: &'static str,
    pub read_results: &'static str,
    pub error: &'static str,
    pub dismiss: &'static str,
    pub worker_restarted: &'static str,
    pub storage_failed: &'static str,
    pub storage_unreadable: &'static str,
    pub storage_unavailable: &'static str,
    pub export_all: &'static str,
    pub stop_and_keep: &'static str,
    pub keep_going: &'static str,
    pub worker_hung: &'static str,
    pub model_crashed_worker: &'static str,
    pub host: &'static str,
    pub engine: &'static str,
    pub name: &'static str,
    pub projector: &'static str,
    pub load_ms: &'static str,
    pub nodes: &'static str,
    pub cached: &'static str,
    pub unknown_widget: &'static str,
}

pub static SV: Ui = Ui {
    app_title: "PiEdge Lab – latens på riktigt",
    loading: "Laddar labbet …",
    step: "Steg",
    back: "Tillbaka",
    next: "Nästa",
    language: "Språk",
    model: "Modell",
    own_model: "Egen .onnx-fil",
    drop_hint: "…eller släpp en .onnx-fil här. Om PyTorch sparade vikterna i en egen fil (model.onnx.data): välj eller släpp båda filerna samtidigt. Filerna läses bara i din webbläsare och skickas ingenstans.",
    no_onnx_chosen: "ingen av filerna är en .onnx-modell; välj modellens .onnx-fil (och dess .data-fil, om den har en)",
    one_onnx_at_a_time: "Välj en .onnx-modell i taget (tillsammans med dess .data-fil, om den har en).",
    input_shape: "Indataform",
    input_shape_hint: "Bara för modeller med fria dimensioner utöver batchen, t.ex. 1,3,224,224. Lämna tomt annars.",
    use_shape: "Ladda om med formen",
    choose_file_first: "Välj först en egen .onnx-fil; formen gäller den.",
    tract_detail: "Vad tract säger (detaljer)",
    model_card: "Modellkort",
    inputs: "Indata",
    outputs: "Utdata",
    operators: "Operatorer",
    parameters: "Parametrar",
    macs: "Multiplikationer och additioner (MAC) per inferens",
    file_size: "Filstorlek",
    warmup: "Uppvärmning (warmup)",
    runs: "Tidtagna körningar (runs)",
    seed: "Frö (seed)",
    plan: "Körplan",
    optimized: "optimerad (tract optimerar grafen)",
    unoptimized: "ooptimerad (grafen körs som den är)",
    run: "Kör benchmark",
    cancel: "Avbryt",
    running: "Mäter",
    warming_up: "Värmer upp",
    export_worksheet: "Ladda ner arbetsbladet",
    worksheet_hint: "En HTML-fil med dina gissningar, mätningar, förklaringar, ditt experiment och diagram. Öppna den för att läsa eller skriva ut den.",
    calibrating: "Kalibrerar först: väljer hur många inferenser varje körning i serien ska ta tid på",
    loading_model: "Laddar och optimerar modellen …",
    cancelled_note: "Avbruten – bara de körningar som hann klart visas.",
    environment: "Mätmiljö",
    timer_resolution: "Timerns steg",
    cross_origin_isolated: "Isolerad sida (cross-origin isolation: ger finare timer)",
    simd: "WebAssembly SIMD",
    kernels: "Labbets beräkningsrutiner (djupvis och direkt faltning, maxpoolning)",
    self_check: "Kontrollera mot tract",
    self_check_running: "Kontrollerar …",
    self_check_matches: "slumpmässiga former ger samma svar som tracts egna operatorer",
    self_check_failed: "Avvikelse:",
    cores: "Logiska processorkärnor",
    cores_rounded: "som WebKit alltid avrundar till 4 eller 8, så att talet inte avslöjar enheten: det verkliga antalet kan vara ett annat",
    browser: "Webbläsare",
    yes: "ja",
    no: "nej",
    coarse_timer_note: "Med en grov timer tar labbet tid på korta inferenser i grupper.",
    batched_note: "Timern är för grov för en enskild inferens: varje körning är medelvärdet av en grupp inferenser i följd.",
    results: "Resultat",
    no_results: "Inga resultat än – kör ett benchmark i steg 3.",
    statistic: "Mått",
    value: "Värde (ms)",
    outliers: "Extremvärden (Tukey)",
    ci95: "95 % konfidensintervall",
    summary_file: "Sammanfattning: latency_summary.txt, på engelska och med decimalpunkt som filen",
    saved_runs: "Sparade mätningar",
    rename: "Byt namn",
    delete: "Ta bort",
    clear_all: "Rensa alla",
    confirm_clear: "Ta bort alla sparade mätningar?",
    export: "Exportera",
    import: "Importera resultat",
    import_hint: "latency_results.json eller latency.csv från piedge bench, t.ex. från en Raspberry Pi",
    compare: "Jämförelse",
    compare_hint: "Markera mätningar för att jämföra dem.",
    run_series: "Kör den föreslagna serien",
    series_runs: "10, 50 och 100 körningar (uppvärmning 3)",
    series_warmup: "uppvärmning 0, 3 och 10 (50 körningar)",
    prediction_placeholder: "Skriv vad du tror händer innan du mäter …",
    measure: "Mät",
    show_answer: "Visa svaret",
    cold_start: "Kör utan uppvärmning",
    read_results: "Läs resultaten →",
    error: "Fel",
    dismiss: "Stäng",
    worker_restarted: "Beräkningstråden kraschade och har startats om. Dina tidigare resultat finns kvar.",
    storage_failed: "Mätningen kunde inte sparas i webbläsaren (lagringen är full eller avstängd). Den finns kvar i den här fliken tills du stänger den: exportera alla mätningar för att inte förlora dem.",
    storage_unreadable: "De sparade mätningarna kunde inte läsas från webbläsarens lagring. Nya mätningar finns kvar i den här fliken tills du stänger den: exportera dem för att behålla dem.",
    storage_unavailable: "Webbläsaren ger labbet ingen lagring (kanske ett privat fönster). Mätningarna finns kvar i den här fliken tills du stänger den: exportera dem för att behålla dem.",
    export_all: "Exportera alla mätningar",
    stop_and_keep: "Avbryt och behåll det som hann mätas",
    keep_going: "Fortsätt",
    worker_hung: "Beräkningstråden slutade svara (en modell som aldrig blir klar, eller en oändlig loop). Den har stoppats och startats om; dina tidigare resultat finns kvar.",
    model_crashed_worker: "tract kraschade när filen lästes in, så filen är troligen skadad. Beräkningstråden har startats om; din förra modell och dina resultat finns kvar.",
    host: "Maskin",
    engine: "Motor",
    name: "Namn",
    projector: "Projektorläge",
    load_ms: "Laddning / optimering",
    nodes: "noder",
    cached: "från cachen",
    unknown_widget: "Lektionen nämner en okänd widget",
};

pub static EN: Ui = Ui {
    app_title: "PiEdge Lab – real latency",
    loading: "Loading the lab …",
    step: "Step",
    back: "Back",
    next: "Next",
    language: "Language",
    model: "Model",
    own_model: "Your own .onnx file",
    drop_hint: "…or drop an .onnx file here. If PyTorch saved the weights in a file of their own (model.onnx.data), choose or drop both files at once. Files are read in your browser only and sent nowhere.",
    no_onnx_chosen: "none of these is an .onnx model; choose the model's .onnx file (and its .data file, if it has one)",
    one_onnx_at_a_time: "Choose one .onnx model at a time (with its .data file, if it has one).",
    input_shape: "Input shape",
    input_shape_hint: "Only for models with free dimensions besides the batch, e.g. 1,3,224,224. Leave empty otherwise.",
    use_shape: "Reload with this shape",
    choose_file_first: "Choose your own .onnx file first; the shape applies to it.",
    tract_detail: "What tract says (details)",
    model_card: "Model card",
    inputs: "Inputs",
    outputs: "Outputs",
    operators: "Operators",
    parameters: "Parameters",
    macs: "Multiply–accumulates per inference",
    file_size: "File size",
    warmup: "Warmup",
    runs: "Timed runs",
    seed: "Seed",
    plan: "Execution plan",
    optimized: "optimised (tract optimises the graph)",
    unoptimized: "unoptimised (the graph runs as it is)",
    run: "Run benchmark",
    cancel: "Cancel",
    running: "Measuring",
    warming_up: "Warming up",
    export_worksheet: "Download the worksheet",
    worksheet_hint: "An HTML file with your predictions, measurements, explanations, your experiment and charts. Open it to read or print it.",
    calibrating: "Calibrating first: choosing how many inferences each run of the series times",
    loading_model: "Loading and optimising the model …",
    cancelled_note: "Cancelled – only the runs that finished are shown.",
    environment: "Measurement environment",
    timer_resolution: "Timer step",
    cross_origin_isolated: "Isolated page (cross-origin isolation: a finer timer)",
    simd: "WebAssembly SIMD",
    kernels: "The lab's kernels (depthwise and direct convolution, max pooling)",
    self_check: "Check against tract",
    self_check_running: "Checking …",
    self_check_matches: "random shapes give the same answers as tract's own operators",
    self_check_failed: "Mismatch:",
    cores: "Logical cores",
    cores_rounded: "which WebKit always rounds to 4 or 8, so that the number cannot identify the device: the real count may differ",
    browser: "Browser",
    yes: "yes",
    no: "no",
    coarse_timer_note: "With a coarse timer, the lab times short inferences in groups.",
    batched_note: "The timer is too coarse for a single inference: each run is the mean of a group of inferences in a row.",
    results: "Results",
    no_results: "No results yet – run a benchmark in step 3.",
    statistic: "Statistic",
    value: "Value (ms)",
    outliers: "Outliers (Tukey)",
    ci95: "95 % confidence interval",
    summary_file: "Summary: latency_summary.txt, exactly as the file",
    saved_runs: "Saved measurements",
    rename: "Rename",
    delete: "Delete",
    clear_all: "Clear all",
    confirm_clear: "Delete all saved measurements?",
    export: "Export",
    import: "Import results",
    import_hint: "latency_results.json or latency.csv from piedge bench, e.g. from a Raspberry Pi",
    compare: "Comparison",
    compare_hint: "Tick measurements to compare them.",
    run_series: "Run the suggested series",
    series_runs: "10, 50 and 100 runs (warmup 3)",
    series_warmup: "warmup 0, 3 and 10 (50 runs)",
    prediction_placeholder: "Write what you expect before you measure …",
    measure: "Measure",
    show_answer: "Show the answer",
    cold_start: "Run without warmup",
    read_results: "Read the results →",
    error: "Error",
    dismiss: "Close",
    worker_restarted: "The computation thread crashed and was restarted. Your earlier results are still here.",
    storage_failed: "The measurement could not be saved in the browser (storage is full or disabled). It stays in this tab until you close it: export all measurements so nothing is lost.",
    storage_unreadable: "The saved measurements could not be read from the browser's storage. New measurements stay in this tab until you close it: export them to keep them.",
    storage_unavailable: "This browser gives the lab no storage (a private window, perhaps). Measurements stay in this tab until you close it: export them to keep them.",
    export_all: "Export all measurements",
    stop_and_keep: "Stop and keep what was measured",
    keep_going: "Keep going",
    worker_hung: "The computation thread stopped answering (a model that never finishes, or an endless loop). It was stopped and restarted; your earlier results are still here.",
    model_crashed_worker: "tract crashed while reading the file, so it is probably damaged. The computation thread was restarted; your previous model and results are still here.",
    host: "Machine",
    engine: "Engine",
    name: "Name",
    projector: "Projector mode",
    load_ms: "Load / optimise",
    nodes: "nodes",
    cached: "cached",
    unknown_widget: "The lesson names an unknown widget",
};

impl Lang {
    /// What the statistics table must add when `n` runs leave too few above
    /// P95 or P99 for them to mean much (see `stats::TAIL_RUNS`).
    pub fn thin_tail(self, n: usize) -> Option<String> {
        use crate::stats::runs_to_trust;
        let (for_p95, for_p99) = (runs_to_trust(95.0), runs_to_trust(99.0));
        let q = if n < for_p95 {
            95
        } else if n < for_p99 {
            99
        } else {
            return None;
        };
        let above = format!("{:.1}", n as f64 * (1.0 - q as f64 / 100.0));
        Some(match self {
            Lang::Sv => format!(
                "Vid n = {n} ligger bara {} körningar över P{q}: värdet vilar på de långsammaste \
                 och flyttar sig från mätning till mätning, och konfidensintervallet vilar på samma \
                 få körningar. Labbet litar på en percentil när minst 5 körningar ligger över den: \
                 P95 från {for_p95} körningar, P99 från {for_p99}.",
                above.replace('.', ",")
            ),
            Lang::En => format!(
                "At n = {n} only {above} runs lie above P{q}: the value rests on the slowest few and \
                 moves from one measurement to the next, and so does its confidence interval. This \
                 lab trusts a percentile when at least 5 runs lie above it: P95 from {for_p95} runs, \
                 P99 from {for_p99}."
            ),
        })
    }

    /// A statistic's name in the page's tables: `label` is the one the report
    /// files use ("Mean", "Std"), which stay English byte for byte. The
    /// standard deviation says what it divides by (n, as numpy and the
    /// report files do), since Excel's STDEV.S, pandas and school divide by
    /// n − 1 and a student compares.
    pub fn stat_label(self, label: &str) -> &str {
        match (self, label) {
            (Lang::Sv, "Mean") => "Medelvärde",
            (Lang::Sv, "Std") => "Standardavvikelse (÷ n)",
            (Lang::En, "Std") => "Standard deviation (÷ n)",
            _ => label,
        }
    }

    /// A disturbed run's warning, from its report's `disturbed_*` readings.
    pub fn disturbed(self, tab_hidden: bool, silent_s: Option<&str>) -> Option<String> {
        let mut why = Vec::new();
        if tab_hidden {
            why.push(match self {
                Lang::Sv => {
                    "fliken var dold medan den pågick (webbläsare bromsar dolda flikar)".to_string()
                }
                Lang::En => {
                    "the tab was hidden while it ran (browsers slow hidden tabs down)".to_string()
                }
            });
        }
        if let Some(s) = silent_s {
            why.push(match self {
                Lang::Sv => format!("sidan hörde inget från den på {} s", s.replace('.', ",")),
                Lang::En => format!("the page heard nothing from it for {s} s"),
            });
        }
        if why.is_empty() {
            return None;
        }
        Some(match self {
            Lang::Sv => format!(
                "Störd mätning: {}. Jämför inte siffrorna med ostörda mätningar; mät igen med fliken synlig.",
                why.join(", och ")
            ),
            Lang::En => format!(
                "Disturbed measurement: {}. Do not compare its numbers with undisturbed measurements; measure again with the tab in view.",
                why.join(", and ")
            ),
        })
    }

    /// The one-line result beside "Run", once a run has finished.
    pub fn run_done(self, n: usize, p50_ms: f64, p95_ms: f64) -> String {
        let (p50, p95) = (
            self.decimal(crate::report::ms(p50_ms)),
            self.decimal(crate::report::ms(p95_ms)),
        );
        match self {
            Lang::Sv => format!("Klart: {n} tidtagna körningar, P50 {p50} ms, P95 {p95} ms."),
            Lang::En => format!("Done: {n} timed runs, P50 {p50} ms, P95 {p95} ms."),
        }
    }

    /// The cold-start result: the first run against the median.
    pub fn cold_start_result(self, first_ms: f64, median_ms: f64) -> String {
        let (first, median) = (
            self.decimal(crate::report::ms(first_ms)),
            self.decimal(crate::report::ms(median_ms)),
        );
        let times = first_ms / median_ms;
        match self {
            Lang::Sv => format!(
                "Första körningen: {first} ms. Medianen: {median} ms. Den första tog {} gånger så lång tid.",
                self.decimal(format!("{times:.1}"))
            ),
            Lang::En => {
                format!("First run: {first} ms. Median: {median} ms. The first took {times:.1} times as long.")
            }
        }
    }

    /// The warning under Runs above `WARN_RUNS`: what so many runs cost.
    pub fn many_runs_warning(self, runs: usize) -> String {
        // Eight bytes per latency in the tab, about 20 as JSON in storage.
        let memory_mb = (runs * 8) as f64 / 1e6;
        let stored_mb = (runs * 20) as f64 / 1e6;
        match self {
            Lang::Sv => format!(
                "{runs} körningar är många: fliken håller {memory_mb:.0} MB latenser i minnet och sparar cirka {stored_mb:.0} MB. Labbet frågar om du vill avbryta om mätningen drar ut på tiden."
            ),
            Lang::En => format!(
                "{runs} runs is a lot: the tab keeps {memory_mb:.0} MB of latencies in memory and stores about {stored_mb:.0} MB. The lab asks whether to stop if the measurement takes long."
            ),
        }
    }

    /// Shown when a run has outlasted its time budget.
    pub fn long_run(self, seconds: f64, percent: usize) -> String {
        let minutes = seconds / 60.0;
        match self {
            Lang::Sv => format!(
                "Mätningen har pågått i {} minuter och är {percent} % klar. Vill du avbryta den?",
                self.decimal(format!("{minutes:.1}"))
            ),
            Lang::En => format!(
                "This measurement has been going for {minutes:.1} minutes and is {percent} % done. Stop it?"
            ),
        }
    }

    /// An input error, worded for this language.
    pub fn field_error(self, e: &FieldError) -> String {
        let field = |f: Field| match (self, f) {
            (Lang::Sv, Field::Warmup) => "Uppvärmning",
            (Lang::Sv, Field::Runs) => "Antal körningar",
            (Lang::Sv, Field::Seed) => "Fröet",
            (Lang::En, Field::Warmup) => "Warmup",
            (Lang::En, Field::Runs) => "Runs",
            (Lang::En, Field::Seed) => "The seed",
        };
        match (self, e) {
            (Lang::Sv, FieldError::NotANumber { field: f, .. }) => {
                format!("{} måste vara ett heltal, t.ex. 10.", field(*f))
            }
            (Lang::En, FieldError::NotANumber { field: f, .. }) => {
                format!("{} must be a whole number, e.g. 10.", field(*f))
            }
            (Lang::Sv, FieldError::TooSmall { field: f, min }) => {
                format!("{} måste vara minst {min}.", field(*f))
            }
            (Lang::En, FieldError::TooSmall { field: f, min }) => {
                format!("{} must be at least {min}.", field(*f))
            }
            (Lang::Sv, FieldError::TooLarge { field: f, max }) => {
                format!("{} får vara högst {max}.", field(*f))
            }
            (Lang::En, FieldError::TooLarge { field: f, max }) => {
                format!("{} may be at most {max}.", field(*f))
            }
        }
    }
}

#[cfg(test)]
mod number_tests {
    use super::Lang;

    #[test]
    fn swedish_numbers_take_a_decimal_comma_and_nothing_else_changes() {
        let text = "Mean latency: 2.500 ms (tract 0.23.9, 192.168.1.20), took 12. n 30";
        assert_eq!(
            Lang::Sv.numbers(text),
            "Mean latency: 2,500 ms (tract 0.23.9, 192.168.1.20), took 12. n 30"
        );
        assert_eq!(Lang::En.numbers(text), text);
        assert_eq!(
            Lang::Sv.run_done(3, 1.5, 2.25),
            "Klart: 3 tidtagna körningar, P50 1,500 ms, P95 2,250 ms."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("de"), None);
    }

    #[test]
    fn field_errors_are_worded_in_both_languages() {
        let e = FieldError::TooSmall {
            field: Field::Runs,
            min: 1,
        };
        assert_eq!(
            Lang::Sv.field_error(&e),
            "Antal körningar måste vara minst 1."
        );
        assert_eq!(Lang::En.field_error(&e), "Runs must be at least 1.");
    }

    #[test]
    fn swedish_tables_name_their_statistics_in_swedish() {
        assert_eq!(Lang::Sv.stat_label("Mean"), "Medelvärde");
        assert_eq!(Lang::Sv.stat_label("Std"), "Standardavvikelse (÷ n)");
        assert_eq!(Lang::Sv.stat_label("P95"), "P95");
        assert_eq!(Lang::En.stat_label("Std"), "Standard deviation (÷ n)");
    }

    #[test]
    fn a_disturbed_run_says_why_in_both_languages() {
        assert_eq!(Lang::En.disturbed(false, None), None);
        assert_eq!(
            Lang::En.disturbed(true, Some("2.5")).unwrap(),
            "Disturbed measurement: the tab was hidden while it ran (browsers slow hidden tabs down), and the page \
             heard nothing from it for 2.5 s. Do not compare its numbers with undisturbed measurements; measure \
             again with the tab in view."
        );
        assert!(Lang::Sv
            .disturbed(false, Some("2.5"))
            .unwrap()
            .starts_with("Störd mätning: sidan hörde inget från den på 2,5 s."));
    }

    #[test]
    fn too_few_runs_above_a_percentile_are_pointed_out() {
        assert_eq!(crate::stats::runs_to_trust(95.0), 100);
        assert_eq!(crate::stats::runs_to_trust(99.0), 500);
        let ten = Lang::En.thin_tail(10).unwrap();
        assert!(
            ten.starts_with("At n = 10 only 0.5 runs lie above P95:"),
            "{ten}"
        );
        assert!(Lang::Sv
            .thin_tail(10)
            .unwrap()
            .starts_with("Vid n = 10 ligger bara 0,5 körningar över P95:"));
        let hundred = Lang::En.thin_tail(100).unwrap();
        assert!(
            hundred.starts_with("At n = 100 only 1.0 runs lie above P99:"),
            "{hundred}"
        );
        assert!(Lang::En.thin_tail(499).is_some());
        assert_eq!(Lang::En.thin_tail(500), None);
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn the_size_limit_reads_in_both_languages() {
        assert_eq!(
            Lang::En.model_too_large("huge.onnx", 300.0, 256),
            "huge.onnx is 300 MB, over the lab's 256 MB limit for a model file"
        );
        assert!(Lang::Sv
            .model_too_large("m.onnx + m.onnx.data", 300.4, 256)
            .starts_with("m.onnx + m.onnx.data är 300 MB, över labbets gräns på 256 MB"));
    }
}

impl Lang {
    /// A model error as the student reads it: the engine's English text, or
    /// the same facts and advice in Swedish. Command-line flags and code
    /// (`--input-shape`, `torch.onnx.export`) stay as they are typed.
    pub fn model_error(self, e: &ModelError) -> String {
        match self {
            Lang::En => e.to_string(),
            Lang::Sv => model_error_sv(e),
        }
    }
}

fn model_error_sv(e: &ModelError) -> String {
    use ModelError as E;
    match e {
        E::Empty { name } => format!(
            "{name} är tom (0 byte); välj en .onnx-fil som ditt träningsskript har exporterat"
        ),
        E::NotOnnx { name, detail } => format!(
            "{name} är ingen ONNX-modell ({detail}); exportera en med torch.onnx.export eller välj en inbyggd modell"
        ),
        E::ExternalDataMissing { name, location } => format!(
            "{name} har sina vikter i en andra fil, '{location}'; ge båda filerna samtidigt (välj eller släpp dem på en gång i labbet; lägg dem bredvid varandra för piedge)"
        ),
        E::ExternalDataLocation {
            name,
            tensor,
            location,
        } => format!(
            "{name} säger att tensorn '{tensor}' ligger i '{location}', utanför modellens mapp; bara en viktfil bredvid modellen läses: spara om den med onnx.save_model(model, path, save_as_external_data=True, location=\"{name}.data\")"
        ),
        E::ExternalDataRange {
            name,
            tensor,
            location,
            detail,
        } => format!(
            "viktfilen '{location}' passar inte tensorn '{tensor}' i {name} ({detail}); filerna hör inte ihop: kopiera båda från samma export"
        ),
        E::UnsupportedOperators { name, ops } => format!(
            "{name} använder {} {} som tract inte stöder; labbet kan inte köra den",
            if ops.len() > 1 { "operatorerna" } else { "operatorn" },
            ops.join(", ")
        ),
        E::InputCount { name, inputs } => format!(
            "{name} har {} indata ({}); labbet mäter modeller med en enda indata",
            inputs.len(),
            inputs.join(", ")
        ),
        E::NonNumericInput {
            name,
            input,
            element_type,
        } => format!(
            "indatan '{input}' i {name} har elementtypen {element_type}; labbet kan bara mata in tal (flyttal eller heltal)"
        ),
        E::UnknownShape { name, input } => format!(
            "indatan '{input}' i {name} har ingen angiven form; ange en (fältet Indataform i labbet, --input-shape i piedge, t.ex. 1,3,224,224) eller exportera om modellen med fast form"
        ),
        E::InputShapeMismatch {
            name,
            input,
            declared,
            given,
        } => format!(
            "indatan '{input}' i {name} är angiven som [{}], och formen {given:?} passar inte; ge en storlek per dimension och behåll de angivna talen",
            declared.join(", ")
        ),
        E::FixedBatch {
            name,
            fixed,
            requested,
        } => format!(
            "{name} har fast batchstorlek {fixed}; den kan inte mätas med batchstorlek {requested}"
        ),
        E::FreeDimension {
            name,
            input,
            dim,
            axis,
            declared,
        } => format!(
            "indatan '{input}' [{}] i {name} har en fri dimension '{dim}' på plats {axis}; bara batchen (plats 0) bestäms åt dig: ange alla storlekar, t.ex. {} i fältet Indataform (--input-shape i piedge)",
            declared.join(", "),
            example_shape(declared)
        ),
        E::ZeroSized { name, input, shape } => format!(
            "indatan '{input}' i {name} har formen {shape:?} med en dimension av storlek 0; det finns inget att räkna"
        ),
        E::InputTooLarge {
            name,
            input,
            bytes,
            limit,
        } => format!(
            "indatan '{input}' i {name} skulle behöva {bytes} byte, mer än gränsen på {limit} byte för en indata"
        ),
        E::BadAttribute {
            name,
            node,
            op,
            attribute,
            values,
        } => format!(
            "{name}: noden '{node}' ({op}) har {attribute} = {values:?}, vilket ingen faltning eller poolning kan använda; filen är skadad eller skriven av en felaktig exportör"
        ),
        E::HugeConstant {
            name,
            node,
            op,
            shape,
            limit,
        } => format!(
            "{name}: noden '{node}' ({op}) begär en tensor med formen {shape:?}, mer än gränsen på {limit} byte för en tensor; filen är skadad eller inte gjord för en liten enhet"
        ),
        E::Analyse {
            name,
            layer,
            trouble,
            ..
        } => format!(
            "{name}: tract kan inte räkna ut tensorernas former{}: {}",
            layer.as_ref().map(|l| format!(" i lagret {l}")).unwrap_or_default(),
            shape_trouble_sv(trouble)
        ),
        E::Optimise { name, layer, .. } => format!(
            "{name}: tract kan inte optimera grafen{}: optimeraren kunde inte skriva om lagret; kör utan optimering (den ooptimerade planen i labbet, --unoptimized i piedge) eller exportera om med en annan opset",
            layer.as_ref().map(|l| format!(" i lagret {l}")).unwrap_or_default()
        ),
        E::Plan { name, detail } => {
            format!("tract kunde inte planera hur {name} ska köras: {detail}")
        }
        E::InputShape {
            name,
            expected,
            found,
        } => format!("indatan har formen {found:?} men {name} väntar sig {expected:?}"),
        E::Run(detail) => format!("inferensen misslyckades: {detail}"),
        E::TractPanic {
            name,
            stage,
            detail,
        } => format!(
            "tract stannade medan den {} {name} ({detail}); filen är troligen skadad eller använder en operator på ett sätt tract inte klarar: exportera om den, eller prova en inbyggd modell",
            match stage.as_str() {
                "reading" => "läste",
                "optimising" => "optimerade",
                "planning" => "planerade",
                "running" => "körde",
                other => other,
            }
        ),
    }
}

fn shape_trouble_sv(t: &ShapeTrouble) -> String {
    match t {
        ShapeTrouble::RecordedSymbol(symbol) => format!(
            "filen anger en form med den fria dimensionen '{symbol}' där lagret behöver ett tal; ange indatans hela form (fältet Indataform, --input-shape i piedge) eller exportera om med fast form (torch.onnx.export utan dynamic_shapes)"
        ),
        ShapeTrouble::ElementTypes => "två tensorer som möts här har olika elementtyper; exportera om modellen med en annan opset (torch.onnx.export(..., opset_version=17)) och kontrollera att den går i onnxruntime".into(),
        ShapeTrouble::Ranks => "tensorer med olika antal dimensioner möts här; exportera om med fast indataform, eller förenkla modellen med onnxsim".into(),
        ShapeTrouble::Other => "tracts formanalys kom inte fram; exportera om med en annan opset (torch.onnx.export(..., opset_version=17, dynamo=False)), förenkla modellen med onnxsim eller byt lagret mot ett vanligare".into(),
    }
}

#[cfg(test)]
mod model_error_tests {
    use super::*;

    fn cases() -> Vec<ModelError> {
        let n = || "m.onnx".to_string();
        let s = |x: &str| x.to_string();
        vec![
            ModelError::Empty { name: n() },
            ModelError::NotOnnx {
                name: n(),
                detail: s("protobuf"),
            },
            ModelError::ExternalDataMissing {
                name: n(),
                location: s("m.onnx.data"),
            },
            ModelError::ExternalDataLocation {
                name: n(),
                tensor: s("w"),
                location: s("../w"),
            },
            ModelError::ExternalDataRange {
                name: n(),
                tensor: s("w"),
                location: s("d"),
                detail: s("short"),
            },
            ModelError::UnsupportedOperators {
                name: n(),
                ops: vec![s("FancyOp")],
            },
            ModelError::InputCount {
                name: n(),
                inputs: vec![s("'a'"), s("'b'")],
            },
            ModelError::NonNumericInput {
                name: n(),
                input: s("x"),
                element_type: s("string"),
            },
            ModelError::UnknownShape {
                name: n(),
                input: s("x"),
            },
            ModelError::InputShapeMismatch {
                name: n(),
                input: s("x"),
                declared: vec![s("N"), s("3")],
                given: vec![1, 4],
            },
            ModelError::FixedBatch {
                name: n(),
                fixed: 1,
                requested: 2,
            },
            ModelError::FreeDimension {
                name: n(),
                input: s("x"),
                dim: s("height"),
                axis: 2,
                declared: vec![s("N"), s("3"), s("height"), s("width")],
            },
            ModelError::ZeroSized {
                name: n(),
                input: s("x"),
                shape: vec![1, 0],
            },
            ModelError::InputTooLarge {
                name: n(),
                input: s("x"),
                bytes: 10,
                limit: 5,
            },
            ModelError::BadAttribute {
                name: n(),
                node: s("p"),
                op: s("MaxPool"),
                attribute: s("strides"),
                values: vec![0],
            },
            ModelError::HugeConstant {
                name: n(),
                node: s("c"),
                op: s("ConstantOfShape"),
                shape: vec![9],
                limit: 4,
            },
            ModelError::Analyse {
                name: n(),
                layer: Some(s("Conv 'c'")),
                trouble: ShapeTrouble::RecordedSymbol(s("batch_size")),
                detail: s("t"),
            },
            ModelError::Analyse {
                name: n(),
                layer: None,
                trouble: ShapeTrouble::Other,
                detail: s("t"),
            },
            ModelError::Optimise {
                name: n(),
                layer: Some(s("Conv 'c'")),
                detail: s("t"),
            },
            ModelError::Plan {
                name: n(),
                detail: s("t"),
            },
            ModelError::InputShape {
                name: n(),
                expected: vec![1],
                found: vec![2],
            },
            ModelError::Run(s("t")),
            ModelError::TractPanic {
                name: n(),
                stage: s("reading"),
                detail: s("t"),
            },
        ]
    }

    #[test]
    fn every_model_error_has_swedish_words_with_the_same_facts() {
        for e in cases() {
            let en = Lang::En.model_error(&e);
            let sv = Lang::Sv.model_error(&e);
            assert_eq!(en, e.to_string());
            assert_ne!(sv, en, "{en}");
            // The file, the layer and the numbers a student acts on appear in both.
            for fact in [
                "m.onnx",
                "m.onnx.data",
                "Conv 'c'",
                "height",
                "1,3,224,224",
                "FancyOp",
            ] {
                assert_eq!(en.contains(fact), sv.contains(fact), "{fact}: {en} / {sv}");
            }
        }
    }
}
