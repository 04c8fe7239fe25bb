#![cfg(not(target_arch = "wasm32"))]
//! The isolation headers are defined once (`piedge::lab::isolation`); the
//! three places outside Rust that send them must send exactly those.

use piedge::lab::isolation::HEADERS;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// Every `"Cross-Origin-…"` name in `text` with the quoted value that follows it.
fn cross_origin_headers(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("\"Cross-Origin-") {
        let rest = &text[at + 1..];
        let name_end = rest.find('"').unwrap();
        let name = &rest[..name_end];
        let after = &rest[name_end + 1..];
        let value_start = after.find('"').unwrap() + 1;
        let value_end = value_start + after[value_start..].find('"').unwrap();
        found.push((name.to_string(), after[value_start..value_end].to_string()));
    }
    found
}

#[test]
fn every_server_sends_exactly_the_isolation_headers() {
    let expected: Vec<(String, String)> = HEADERS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for file in [
        "Trunk.toml",
        "static/coi-serviceworker.js",
        "tests/e2e/server.mjs",
    ] {
        assert_eq!(cross_origin_headers(&read(file)), expected, "{file}");
    }
}

#[test]
fn the_reader_sees_a_wrong_value() {
    let text = r#"headers.set("Cross-Origin-Opener-Policy", "unsafe-none");"#;
    assert_eq!(
        cross_origin_headers(text),
        [(
            "Cross-Origin-Opener-Policy".to_string(),
            "unsafe-none".to_string()
        )]
    );
}
