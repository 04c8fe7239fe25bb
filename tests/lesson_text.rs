#![cfg(not(target_arch = "wasm32"))]
//! The lesson's words checked against the engine: every worked example's
//! numbers are computed here with the statistics the lab shows, and the
//! Swedish pages keep clear of the calques a native reviewer found.

use piedge::stats::{LatencyStats, StatsOptions};

/// The text with every run of white space as one space, so that examples
/// can be found whatever the line breaks.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lesson(lang: &str) -> String {
    let path = format!("{}/lessons/{lang}.md", env!("CARGO_MANIFEST_DIR"));
    flat(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn the_p95_example_holds_at_every_count_of_runs() {
    // "One image in ten takes 100 ms and the rest 10 ms": the mean is 19 ms,
    // the median 10 ms, p95 100 ms, whether a student runs 20, 100 or 1000.
    for n in [20, 100, 1000] {
        let runs: Vec<f64> = (0..n)
            .map(|i| if i % 10 == 9 { 100.0 } else { 10.0 })
            .collect();
        let options = StatsOptions {
            bootstrap_resamples: Some(0),
            ..Default::default()
        };
        let s = LatencyStats::compute(&runs, &options).unwrap();
        assert!((s.mean - 19.0).abs() < 1e-9, "n = {n}: mean {}", s.mean);
        assert_eq!((s.p50, s.p95), (10.0, 100.0), "n = {n}");
    }
    assert!(lesson("sv").contains(
        "Om var tionde bild tar 100 ms och resten 10 ms är medelvärdet 19 ms och medianen 10 ms – men p95 är 100 ms"
    ));
    assert!(lesson("en").contains(
        "If one image in ten takes 100 ms and the rest 10 ms, the mean is 19 ms and the median 10 ms – but p95 is 100 ms"
    ));
}

#[test]
fn swedish_pages_use_swedish_words() {
    // What a native reader took for English in Swedish letters, and what
    // the lab says instead.
    let calques = [
        ("Mätta körningar", "Tidtagna körningar"),
        ("mätta körningar", "tidtagna körningar"),
        ("jämviktsläget", "det stabila läget"),
        ("Avvikare", "Extremvärden"),
        ("avvikare", "extremvärden"),
        ("delad med", "dividerad med"),
        ("Krav skrivs på percentiler", "Krav anges som percentiler"),
        ("Tjänsteavtal", "Servicenivåavtal"),
        (
            "Multiplikation–additioner",
            "Multiplikationer och additioner (MAC)",
        ),
        (
            "Korsursprungsisolerad",
            "Isolerad sida (cross-origin isolation)",
        ),
    ];
    let root = env!("CARGO_MANIFEST_DIR");
    for file in [
        "lessons/sv.md",
        "src/lab/i18n.rs",
        "src/lab/chart_alt.rs",
        "src/charts.rs",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        for (calque, instead) in calques {
            assert!(
                !text.contains(calque),
                "{file} says '{calque}'; write '{instead}'"
            );
        }
    }
    assert!(!lesson("en").contains("written on percentiles"));
}
