#![cfg(not(target_arch = "wasm32"))]
//! The lesson's words checked against the engine: every number the text
//! states is computed here with the statistics, rules and constants the lab
//! uses (coverage figures by a fixed-seed simulation of the lab's own
//! bootstrap), the text is counted as a student sees it and held to a word
//! budget. (The calques a native reviewer found are retired words now:
//! `tests/vocabulary.rs`.)

use piedge::lab::lesson::{Host, Lesson, Measure, Part, Predict, Quantity, Question, Step};
use piedge::rng::SplitMix64;
use piedge::stats::{percentile, LatencyStats, PercentileMethod, StatsOptions};

/// The text with every run of white space as one space, so that examples
/// can be found whatever the line breaks.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn source(lang: &str) -> String {
    let path = format!("{}/lessons/{lang}.md", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// Every question of the lesson, in order.
fn questions(lang: &str) -> Vec<Question> {
    Lesson::parse(&source(lang))
        .unwrap()
        .steps
        .into_iter()
        .flat_map(|s| s.parts)
        .filter_map(|p| match p {
            Part::Question(q) => Some(q),
            _ => None,
        })
        .collect()
}

/// The lesson as flat text, glossary marks read as their words.
fn lesson(lang: &str) -> String {
    flat(&piedge::lab::glossary::unmark(&source(lang)))
}

/// Asserts that the Swedish and the English lesson each say `sv` and `en`.
fn says(sv: &str, en: &str) {
    for (lang, phrase) in [("sv", sv), ("en", en)] {
        assert!(
            lesson(lang).contains(phrase),
            "lessons/{lang}.md no longer says \"{phrase}\"; keep the text and this check together"
        );
    }
}

// --- Words on screen ----------------------------------------------------------

/// The most words a student reads on screen in the whole lesson, and in one
/// step. This issue's text is at or below 800; later additions (written
/// reasoning, comparisons, layers) share the rest.
const MAX_WORDS: usize = 900;
const MAX_STEP_WORDS: usize = 180;

/// Words as a student sees them in some of the lesson's Markdown: every
/// whitespace-separated token with a letter or a digit in it (so numbers
/// count, and list marks, dashes, `×` and table rules do not), leaving out
/// HTML comments, code blocks and folded `<details>` (whose `<summary>` line
/// stays on screen and counts). Teacher notes, answers and widgets are not
/// Markdown the student reads; [`step_words`] leaves them out.
fn words_on_screen(markdown: &str) -> usize {
    let text = cut(markdown, "<!--", "-->", |_| String::new());
    let text = cut(&text, "<details", "</details>", |fold| {
        let summary = fold.split("<summary>").nth(1).unwrap_or("");
        format!(" {} ", summary.split("</summary>").next().unwrap_or(""))
    });
    let mut fenced = false;
    let text: String = text
        .lines()
        .filter(|l| {
            let fence = l.trim_start().starts_with("```");
            fenced ^= fence;
            !fence && !fenced
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let text = cut(&text, "<", ">", |tag| {
        // Only a tag is markup: "<" before a letter, "/" or "!".
        match tag.chars().nth(1) {
            Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' => " ".into(),
            _ => tag.into(),
        }
    });
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// `text` with each span from `open` to the next `close` (both included)
/// replaced by `with(span)`; an unclosed span runs to the end.
fn cut(text: &str, open: &str, close: &str, with: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        let from = &rest[start..];
        let end = from[open.len()..]
            .find(close)
            .map_or(from.len(), |i| open.len() + i + close.len());
        let span = &from[..end];
        let replaced = with(span);
        // A replacement that keeps the span (a "<" that is no tag) moves on
        // by one character, so the search does not stop there.
        if replaced == span {
            let c = span.chars().next().map_or(1, char::len_utf8);
            out.push_str(&span[..c]);
            rest = &from[c..];
        } else {
            out.push_str(&replaced);
            rest = &from[end..];
        }
    }
    out.push_str(rest);
    out
}

/// A step's words on screen: its title, its Markdown and its questions'
/// prompts and explanation prompts (not their answers, not the teacher's
/// notes). A question asked only under `piedge serve` and its twin for a
/// static host are never on one screen: the step counts as many words as
/// the longer host shows.
fn step_words(step: &Step) -> usize {
    [Host::Server, Host::Static]
        .map(|host| {
            words_on_screen(&step.title)
                + step
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Markdown(md) => words_on_screen(md),
                        Part::Question(q) if q.host == Host::Any || q.host == host => {
                            words_on_screen(&q.prompt) + words_on_screen(&q.explain)
                        }
                        Part::Question(_) | Part::Teacher(_) | Part::Widget(_) => 0,
                    })
                    .sum::<usize>()
        })
        .into_iter()
        .max()
        .unwrap_or(0)
}

#[test]
fn words_are_counted_as_a_student_sees_them() {
    let check = |md: &str, expected: usize| assert_eq!(words_on_screen(md), expected, "{md:?}");
    check("Latens är tiden för en inferens.", 6);
    check("**P95** – 95 % av 10 körningar, 1,5 · IQR × 2", 8);
    check("- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n", 6);
    check("text <!-- a hidden\ncomment --> more", 2);
    check(
        "before\n<details>\n<summary>Going deeper: more</summary>\n\nfolded words here\n</details>\nafter",
        5,
    );
    check(
        "run `piedge bench` now\n```\nPython: numpy.percentile(x, 95)\n```\n",
        4,
    );
    check("P95 < 100 ms <em>here</em>", 4);
    let l = Lesson::parse(
        "# Two words\nOne two three.\n::: teacher 5\nnot counted at all\n:::\n\
         ::: question q explain=\"Why so?\"\nAsk this?\n---\nThe answer is hidden.\n:::\n::: widget results\n\
         ::: question s host=server\nOn the server?\n---\na\n:::\n\
         ::: question t host=static\nOn a static host then?\n---\na\n:::\n",
    )
    .unwrap();
    assert_eq!(step_words(&l.steps[0]), 2 + 3 + 2 + 2 + 5);
}

/// About 60 minutes of class: at most [`MAX_WORDS`] on screen in each
/// language, at most [`MAX_STEP_WORDS`] in any step. The counts are printed
/// (`cargo test --test lesson_text -- --nocapture`).
#[test]
fn the_lesson_is_short_enough_for_one_class() {
    for lang in ["sv", "en"] {
        let l = Lesson::parse(&source(lang)).unwrap();
        let counts: Vec<usize> = l.steps.iter().map(step_words).collect();
        let total: usize = counts.iter().sum();
        println!("{lang}: {counts:?}, {total} words on screen");
        for (step, n) in l.steps.iter().zip(&counts) {
            assert!(
                *n <= MAX_STEP_WORDS,
                "{lang}: step \"{}\" has {n} words on screen; at most {MAX_STEP_WORDS} — fold what goes \
                 beyond into a <details> block or move it into an answer",
                step.title
            );
        }
        assert!(
            total <= MAX_WORDS,
            "{lang}: {total} words on screen; at most {MAX_WORDS}"
        );
    }
}

// --- The numbers the text states ----------------------------------------------

#[test]
fn the_p95_example_holds_at_every_count_of_runs() {
    // "One image in ten takes 100 ms and the rest 10 ms": the mean is 19 ms,
    // the median 10 ms, p95 100 ms, whether a student runs 20, 100 or 1000.
    for n in [20, 100, 1000] {
        let runs: Vec<f64> = (0..n)
            .map(|i| if i % 10 == 9 { 100.0 } else { 10.0 })
            .collect();
        let s = LatencyStats::compute(&runs, &no_bootstrap()).unwrap();
        assert!((s.mean - 19.0).abs() < 1e-9, "n = {n}: mean {}", s.mean);
        assert_eq!((s.p50, s.p95), (10.0, 100.0), "n = {n}");
    }
    says(
        "Om var tionde bild tar 100 ms och resten 10 ms är medelvärdet 19 ms och medianen 10 ms – men P95 är 100 ms",
        "If one image in ten takes 100 ms and the rest 10 ms, the mean is 19 ms and the median 10 ms – but P95 is 100 ms",
    );
}

/// A bootstrap interval for P95 cannot reach above the slowest run, and at
/// 10 runs the slowest lies below the true P95 six times in ten; even with
/// independent runs the lab's intervals then cover the true P95 about four
/// times in ten, and about nine in ten at 100 runs, while P50's cover it
/// about 95 times in 100. Simulated with the lab's own `LatencyStats` on
/// independent draws from two shapes of latency (a fixed seed: the figures
/// never change from run to run), and checked against the rounded figures
/// the text states.
#[test]
fn the_confidence_interval_covers_what_the_text_says() {
    // Exactly: P(slowest of 10 independent runs < true P95) = 0.95^10.
    let below = 0.95f64.powi(10);
    assert!(below > 0.5, "\"usually below\" needs more than half");
    assert_eq!((below * 10.0).round(), 6.0);
    says(
        "den långsammaste ligger under det sanna P95 ungefär 6 gånger av 10",
        "the slowest run lies below the true P95 about 6 times in 10",
    );

    let started = std::time::Instant::now();
    for shape in [Shape::LogNormal, Shape::Exponential] {
        // The lab's own options at 10 runs (2000 resamples, as a run of
        // up to 10 000 gets); at 100 runs 500 resamples keep the test to a
        // few seconds (the interval's end points move by less than the
        // simulation's own noise).
        let ten = simulate(shape, 10, 800, None);
        let hundred = simulate(shape, 100, 400, Some(500));
        println!("{shape:?}: 10 runs {ten:?}, 100 runs {hundred:?}");
        assert!((ten.slowest_below - below).abs() < 0.06, "{ten:?}");
        // "about 4 times in 10" and "about 9 in 10".
        assert!((0.35..=0.45).contains(&ten.p95_covered), "{ten:?}");
        assert!((0.85..=0.94).contains(&hundred.p95_covered), "{hundred:?}");
        // P50's intervals roughly keep their promise.
        for s in [&ten, &hundred] {
            assert!((0.90..=0.99).contains(&s.p50_covered), "{s:?}");
        }
    }
    println!(
        "coverage simulated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    says(
        "Ett 95 %-intervall ska täcka det sanna värdet 95 gånger av 100. För P50 gör labbets intervall ungefär det",
        "A 95 % interval should cover the true value 95 times in 100. The lab's interval for P50 roughly does",
    );
    says(
        "Då täcker intervallet bara ungefär 4 gånger av 10, och vid 100 körningar ungefär 9 av 10",
        "It then covers only about 4 times in 10, and 9 in 10 at 100 runs",
    );
    // The resamples the text names are the ones the lab draws at the
    // lesson's counts of runs.
    for n in [10, 20, 50, 100] {
        let runs: Vec<f64> = (1..=n).map(f64::from).collect();
        let s = LatencyStats::compute(&runs, &StatsOptions::default()).unwrap();
        assert_eq!(s.bootstrap_resamples, 2000, "n = {n}");
    }
    says(
        "2000 nya stickprov med återläggning",
        "2000 new samples with replacement",
    );
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    /// exp(0.2 · z): a skewed, steady device.
    LogNormal,
    /// 1 + Exp(0.1): a floor with a long tail of slow runs.
    Exponential,
}

impl Shape {
    fn draw(self, rng: &mut SplitMix64) -> f64 {
        match self {
            Shape::LogNormal => (0.2 * normal(rng)).exp(),
            Shape::Exponential => 1.0 - 0.1 * (1.0 - rng.next_f64()).ln(),
        }
    }

    fn true_percentile(self, q: f64) -> f64 {
        match self {
            // z at 0.50 and 0.95 of the standard normal.
            Shape::LogNormal if q == 50.0 => 1.0,
            Shape::LogNormal => (0.2 * 1.644_853_626_951_472_2_f64).exp(),
            Shape::Exponential => 1.0 - 0.1 * (1.0 - q / 100.0).ln(),
        }
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let (u, v) = (1.0 - rng.next_f64(), rng.next_f64());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[derive(Debug)]
struct Coverage {
    p50_covered: f64,
    p95_covered: f64,
    slowest_below: f64,
}

/// The share of `trials` measurements of `n` independent runs whose lab
/// intervals cover the true P50 and P95, and whose slowest run lies below
/// the true P95.
fn simulate(shape: Shape, n: usize, trials: usize, resamples: Option<usize>) -> Coverage {
    let mut rng = SplitMix64::new(0x1e55_0002 + n as u64);
    let (true_p50, true_p95) = (shape.true_percentile(50.0), shape.true_percentile(95.0));
    let (mut p50, mut p95, mut below) = (0, 0, 0);
    for trial in 0..trials {
        let runs: Vec<f64> = (0..n).map(|_| shape.draw(&mut rng)).collect();
        let options = StatsOptions {
            bootstrap_resamples: resamples,
            bootstrap_seed: trial as u64,
            ..Default::default()
        };
        let s = LatencyStats::compute(&runs, &options).unwrap();
        let covers = |c: piedge::stats::Interval, v: f64| c.low <= v && v <= c.high;
        p50 += covers(s.p50_ci95, true_p50) as usize;
        p95 += covers(s.p95_ci95, true_p95) as usize;
        below += (s.max < true_p95) as usize;
        assert!(
            s.p95_ci95.high <= s.max,
            "the interval never reaches above the slowest run"
        );
    }
    let share = |k: usize| k as f64 / trials as f64;
    Coverage {
        p50_covered: share(p50),
        p95_covered: share(p95),
        slowest_below: share(below),
    }
}

fn no_bootstrap() -> StatsOptions {
    StatsOptions {
        bootstrap_resamples: Some(0),
        ..Default::default()
    }
}

/// The lab's standard deviation divides by n (numpy's default); Excel's
/// STDEV.S, pandas and Ma2 divide by n − 1, which at 10 runs is 5 % more.
#[test]
fn the_standard_deviation_divides_by_n() {
    let mut rng = SplitMix64::new(7);
    let runs: Vec<f64> = (0..10).map(|_| 1.0 + rng.next_f64()).collect();
    let s = LatencyStats::compute(&runs, &no_bootstrap()).unwrap();
    let squares: f64 = runs.iter().map(|x| (x - s.mean).powi(2)).sum();
    let by_n = (squares / 10.0).sqrt();
    let by_n_1 = (squares / 9.0).sqrt();
    assert!((s.std - by_n).abs() < 1e-12, "STDEV.P is the lab's");
    assert_eq!(((by_n_1 / s.std - 1.0) * 100.0).round(), 5.0);
    says(
        "dividerar med n − 1, vilket ger 5 % mer vid 10 körningar",
        "divide by n − 1, giving 5 % more at 10 runs",
    );
    says(
        "Excels STDAV.P och numpys `std` ger labbets standardavvikelse",
        "Excel's STDEV.P and numpy's `std` give the lab's standard deviation",
    );
}

/// "If the device has rare slow runs, 10 runs may miss them while 100 catch
/// some: then the standard deviation grows before it settles." A device
/// whose runs are 5 times slower 2 % of the time: 10 runs miss them most of
/// the time, 100 runs mostly catch one, and the standard deviation of 100
/// runs is above that of their first 10 in most measurements, then settles.
#[test]
fn rare_slow_runs_make_the_standard_deviation_grow_before_it_settles() {
    let (rare, slower) = (0.02, 5.0);
    assert!((1.0f64 - rare).powi(10) > 0.5, "10 runs usually miss them");
    assert!(
        1.0 - (1.0f64 - rare).powi(100) > 0.5,
        "100 runs usually catch one"
    );
    let mut rng = SplitMix64::new(11);
    let std = |runs: &[f64]| LatencyStats::compute(runs, &no_bootstrap()).unwrap().std;
    let (trials, mut grew) = (500, 0);
    let mut at = [Vec::new(), Vec::new()];
    for _ in 0..trials {
        let runs: Vec<f64> = (0..1000)
            .map(|_| {
                let steady = (0.05 * normal(&mut rng)).exp();
                if rng.next_f64() < rare {
                    steady * slower
                } else {
                    steady
                }
            })
            .collect();
        grew += (std(&runs[..10]) < std(&runs[..100])) as usize;
        at[0].push(std(&runs[..100]));
        at[1].push(std(&runs));
    }
    assert!(
        grew as f64 / trials as f64 > 0.6,
        "grew in {grew} of {trials}"
    );
    // Settles: from one measurement to the next, 1000 runs' standard
    // deviation varies far less than 100 runs'.
    let spread = |v: &[f64]| LatencyStats::compute(v, &no_bootstrap()).unwrap().std;
    assert!(spread(&at[1]) < 0.5 * spread(&at[0]));
    says(
        "då *växer* standardavvikelsen innan den stabiliserar sig",
        "then the standard deviation *grows* before it settles",
    );
}

/// The percentiles at the lesson's counts of runs, and the spreadsheet and
/// Python lines that give the lab's P95 from `latency.csv`.
#[test]
fn percentiles_at_the_lessons_counts_of_runs() {
    let mut rng = SplitMix64::new(3);
    let mut runs: Vec<f64> = (0..10).map(|_| 1.0 + rng.next_f64()).collect();
    let s = LatencyStats::compute(&runs, &no_bootstrap()).unwrap();
    runs.sort_by(f64::total_cmp);
    // "at 10 runs P95 lies between the two slowest, and P99 almost on the slowest".
    assert!(runs[8] <= s.p95 && s.p95 <= runs[9]);
    assert!((s.p99 - runs[9]).abs() < 0.1 * (runs[9] - runs[8]));
    says(
        "P95** ligger vid 10 körningar mellan de två långsammaste körningarna",
        "P95** at 10 runs lies between the two slowest runs",
    );
    // "In 100 runs, 5 lie above P95".
    let hundred: Vec<f64> = (0..100).map(|_| rng.next_f64()).collect();
    let s = LatencyStats::compute(&hundred, &no_bootstrap()).unwrap();
    assert_eq!(hundred.iter().filter(|&&x| x > s.p95).count(), 5);
    says(
        "Vid 100 körningar ligger 5 körningar över P95",
        "In 100 runs, 5 lie above P95",
    );
    // The lab says so below 5 runs above a percentile.
    assert_eq!(piedge::stats::TAIL_RUNS, 5.0);
    says(
        "när färre än 5 körningar ligger över en percentil",
        "when fewer than 5 runs lie above a percentile",
    );
    // Excel's PERCENTILE.INC (PERCENTIL.INK), written out from its
    // definition, is the lab's P95 of a 100-run latency.csv, whose
    // latencies are column B, rows 2 to 101.
    let csv = String::from_utf8(piedge::report::latency_csv(&hundred)).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!((rows.len(), rows[0]), (101, "run,latency_ms"));
    assert_eq!(rows[0].split(',').position(|c| c == "latency_ms"), Some(1));
    let column: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let mut sorted = column.clone();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * 0.95;
    let k = h.floor() as usize;
    let excel = sorted[k] + (h - k as f64) * (sorted[k + 1] - sorted[k]);
    assert!((excel - s.p95).abs() < 1e-12);
    assert_eq!(percentile(&sorted, 95.0, PercentileMethod::Linear), s.p95);
    says(
        "=PERCENTIL.INK(B2:B101; 0,95)",
        "=PERCENTILE.INC(B2:B101, 0.95)",
    );
    says(
        "numpy.percentile(pandas.read_csv(\"latency.csv\")[\"latency_ms\"], 95)",
        "numpy.percentile(pandas.read_csv(\"latency.csv\")[\"latency_ms\"], 95)",
    );
}

/// The rules the text states are the rules the lab applies.
#[test]
fn the_rules_the_text_states() {
    use piedge::lab::protocol::{inferences_per_sample, MIN_TICKS_PER_SAMPLE};
    // "If an inference lasts under 20 timer steps, the lab times enough of
    // them in a row to last 20 steps and takes the mean."
    assert_eq!(MIN_TICKS_PER_SAMPLE, 20.0);
    for (inference_ms, step_ms) in [
        (3.2, 0.1),
        (0.42, 0.1),
        (0.42, 1.0),
        (0.1, 0.005),
        (7.0, 1.0),
    ] {
        let k = inferences_per_sample(inference_ms, step_ms) as f64;
        let ticks = inference_ms / step_ms;
        if ticks >= 20.0 {
            assert_eq!(k, 1.0, "{inference_ms} ms at a {step_ms} ms step");
        } else {
            assert!(k * ticks >= 20.0 - 1e-9 && (k - 1.0) * ticks < 20.0);
        }
    }
    says(
        "Är en inferens kortare än 20 av timerns steg",
        "If an inference lasts under 20 timer steps",
    );
    // Cold runs: above Q3 + 1.5 IQR of the later half, the box plot's
    // upper fence; outliers: beyond the fences.
    let series = [9.0, 4.0, 2.0, 1.0, 1.1, 0.9, 1.0, 1.2, 1.05, 0.95];
    let later = LatencyStats::compute(&series[5..], &no_bootstrap()).unwrap();
    assert_eq!(
        piedge::cold::steady_upper_ms(&series),
        Some(later.tukey_high)
    );
    assert_eq!(later.tukey_high, later.q3 + 1.5 * (later.q3 - later.q1));
    says(
        "Q3 + 1,5 · kvartilavståndet, räknat på den senare hälften",
        "Q3 + 1.5 × the interquartile range of the later half",
    );
    says(
        "mer än 1,5 kvartilavstånd utanför lådan",
        "more than 1.5 interquartile ranges beyond the box",
    );
    // The cold-start button and the series.
    assert_eq!(piedge::lab::state::COLD_RUNS, 20);
    says(
        "Knappen kör modellen 20 gånger utan uppvärmning",
        "The button runs the model 20 times without warmup",
    );
    use piedge::lab::session::Series;
    assert_eq!(Series::Runs.configs(), [(3, 10), (3, 50), (3, 100)]);
    assert_eq!(Series::Warmup.configs(), [(0, 50), (3, 50), (10, 50)]);
    says(
        "**10, 50 och 100 körningar** (uppvärmning 3)",
        "**10, 50 and 100 runs** (warmup 3)",
    );
    says(
        "**Uppvärmning 0, 3 och 10** (50 körningar)",
        "**Warmup 0, 3 and 10** (50 runs)",
    );
    // A Pi lowers its clock from about 80 °C.
    assert_eq!(piedge::sysinfo::THROTTLE_TEMP_C, 80.0);
    says("från ungefär 80 °C", "from about 80 °C");
}

/// A video frame at 30 frames a second has 33 ms in all, 16.7 ms at 60;
/// the bundled models take 64 × 64 images; the P95 question measures the
/// 100 runs its prompt names.
#[test]
fn the_latency_targets_and_the_lessons_settings() {
    assert_eq!(format!("{:.0}", 1000.0 / 30.0), "33");
    assert_eq!(format!("{:.1}", 1000.0 / 60.0), "16.7");
    says(
        "Video med 30 bilder per sekund | varje bild har 33 ms för allt som ska göras (16,7 ms vid 60 bilder per sekund)",
        "Video at 30 frames per second | each frame has 33 ms for everything that must happen (16.7 ms at 60 frames per second)",
    );
    for name in piedge::zoo::MODEL_NAMES {
        let bytes = piedge::zoo::model_bytes(name).unwrap();
        let m = piedge::model::load(name, &bytes, &Default::default()).unwrap();
        assert_eq!(m.card.fixed_input_shape[2..], [64, 64], "{name}");
    }
    says("64 × 64 bildpunkter", "64 × 64 pixels");
    for lang in ["sv", "en"] {
        let p95 = questions(lang)
            .into_iter()
            .find(|q| q.predict == Predict::Number(Quantity::P95Ms))
            .unwrap();
        assert_eq!(
            p95.measure,
            Measure::Fixed {
                warmup: 3,
                runs: 100
            }
        );
        assert!(flat(&p95.prompt).contains(if lang == "sv" {
            "P95 vid 100 körningar"
        } else {
            "P95 be in 100 runs"
        }));
    }
}

// --- The teacher notes' expected values --------------------------------------

/// `tests/data/lesson-measurements.json`, written by
/// `scripts/lesson-measurements.mjs`: MobileNetV2 in each browser engine the
/// suite runs and natively, on one named machine on one date.
fn measurements() -> serde_json::Value {
    let path = format!(
        "{}/tests/data/lesson-measurements.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A measured number as the notes write it: one decimal below 10, none
/// from 10, with the language's decimal mark.
fn number(x: f64, lang: &str) -> String {
    let text = if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    };
    if lang == "sv" {
        text.replace('.', ",")
    } else {
        text
    }
}

/// A measured [min, max] as the notes write it: "6.1–9.2", or one number
/// where both round alike.
fn range(v: &serde_json::Value, lang: &str) -> String {
    let (lo, hi) = (
        number(v[0].as_f64().unwrap(), lang),
        number(v[1].as_f64().unwrap(), lang),
    );
    if lo == hi {
        lo
    } else {
        format!("{lo}–{hi}")
    }
}

/// "Chromium 6.1–9.2, Firefox 2.4–2.5, WebKit 13–17": one measured value
/// in each engine, in the suite's order.
fn per_engine(m: &serde_json::Value, key: &str, unit: &str, lang: &str) -> String {
    [
        ("chromium", "Chromium"),
        ("firefox", "Firefox"),
        ("webkit", "WebKit"),
    ]
    .map(|(engine, name)| format!("{name} {}{unit}", range(&m["engines"][engine][key], lang)))
    .join(", ")
}

/// Each teacher note's "what the class will likely see" is the measurement
/// file's, per engine and against machine code on the same machine; the
/// notes name that machine and date and say that other devices differ; the
/// question a static host asks instead of the native one sets the browser
/// against the same machine's native P50, labelled as what it is.
#[test]
fn the_teacher_notes_expected_values_are_the_measured_ones() {
    let m = measurements();
    let (cpu, date) = (
        m["machine"]["cpu"].as_str().unwrap(),
        m["date"].as_str().unwrap(),
    );
    assert!(!cpu.is_empty() && date.len() == 10, "{m}");
    let is_pi = m["machine"]["is_raspberry_pi"].as_bool().unwrap();
    for lang in ["sv", "en"] {
        let text = lesson(lang);
        let expect = |phrase: String| {
            assert!(
                text.contains(&phrase),
                "lessons/{lang}.md should say \"{phrase}\" (tests/data/lesson-measurements.json); \
                 write the measured values into the teacher notes"
            );
        };
        for (key, unit) in [
            ("first_ratio", ""),
            ("p50_ms", " ms"),
            ("plan_ratio", ""),
            ("p95_100_ms", " ms"),
            ("over_native", ""),
        ] {
            expect(per_engine(&m, key, unit, lang));
        }
        expect(format!("({cpu}, {date})"));
        let native = m["native"]["p50_median_ms"].as_f64().unwrap();
        let native_text = number(native, lang);
        expect(format!("{native_text} ms"));
        // The static host's question: the same native P50, from the same
        // machine, never called a Pi unless it was one.
        let twin = questions(lang)
            .into_iter()
            .find(|q| q.host == Host::Static)
            .expect("a question for a static host");
        assert_eq!(twin.predict, Predict::Number(Quantity::NativeRatio));
        let stated: f64 = number(native, "en").parse().unwrap();
        assert_eq!(twin.native_p50_us, Some((stated * 1000.0).round() as u32));
        let prompt = flat(&twin.prompt);
        assert!(prompt.contains(&format!("{native_text} ms")), "{prompt}");
        if !is_pi {
            assert!(
                prompt.contains(if lang == "sv" { "ingen Pi" } else { "not a Pi" }),
                "{lang}: the reference machine is not a Raspberry Pi: say so"
            );
        }
    }
    says(
        "andra enheter ger andra värden, och klasstavlan visar hur",
        "other devices will differ, and the class board shows how",
    );
    // Each native question that needs the server has a static host's twin.
    for lang in ["sv", "en"] {
        let questions = questions(lang);
        let needs_server = |q: &&Question| q.measure == Measure::Native;
        assert!(questions
            .iter()
            .filter(needs_server)
            .all(|q| q.host == Host::Server));
        assert_eq!(
            questions.iter().filter(needs_server).count(),
            questions.iter().filter(|q| q.host == Host::Static).count()
        );
    }
}

/// The lesson marks its extensions on screen, in the order the time plan's
/// notes name them: the student's own model, the plans question, the native
/// question (and its twin) and working out P95 by hand.
#[test]
fn the_extensions_are_marked_where_the_student_meets_them() {
    says(
        "**Överkurs: din egen modell.**",
        "**Extension: your own model.**",
    );
    for lang in ["sv", "en"] {
        let mark = if lang == "sv" {
            "Överkurs"
        } else {
            "Extension"
        };
        for q in questions(lang) {
            let extension =
                matches!(q.measure, Measure::Plans | Measure::Native) || q.host == Host::Static;
            assert_eq!(
                flat(&q.prompt).starts_with(&format!("**{mark}.")),
                extension,
                "{lang}: question {}",
                q.id
            );
        }
    }
    says(
        "<summary>Överkurs: räkna P95 själv</summary>",
        "<summary>Extension: work out P95 yourself</summary>",
    );
}
