//! Reading the project's Rust sources as text, for the tests that check
//! their layout (`tests/page_shell.rs`) and the invariants ARCHITECTURE.md
//! states (`tests/docs.rs`). Included by path, without `common/mod.rs` and
//! the model-building crates it needs.

use std::path::Path;

/// Every `.rs` file under `dir`, with its path relative to `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut found = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// The text without `//` comments (doc comments included), so that prose in
/// comments and a module's documentation do not count as code.
pub fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal ("https://…") is rare in the
            // sources; a quote before it means the line is kept whole.
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
