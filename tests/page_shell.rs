#![cfg(not(target_arch = "wasm32"))]
//! The page shell's layout, checked from its source: small files, no two
//! modules that import each other, no browser or Leptos in the engine's lab
//! logic, and no sentence for the student outside `lab::i18n` and the lesson
//! files. (The shell compiles only for wasm32, so these are read as text.)

#[path = "common/source.rs"]
mod source;

use source::{code_only, rust_files};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A view or runtime file longer than this should be split.
const MAX_SHELL_LINES: usize = 400;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The shell module a file is: `views/model.rs` is `views::model`.
fn module_of(rel: &str) -> String {
    let m = rel.trim_end_matches(".rs").replace('/', "::");
    m.trim_end_matches("::mod").to_string()
}

/// The shell modules `text` (the file of module `me`) refers to.
fn imports(me: &str, text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code_only(text);
    let parent = me.rsplit_once("::").map_or("", |(p, _)| p);
    let mut found = BTreeSet::new();
    for m in modules {
        if m == me || me.starts_with(&format!("{m}::")) || m.starts_with(&format!("{me}::")) {
            // A module and its own folder (`views` and `views::frame`) are
            // one unit: `mod.rs` only declares its children.
            continue;
        }
        let from_crate = format!("crate::{m}");
        let local = m
            .strip_prefix(&format!("{parent}::"))
            .filter(|_| !parent.is_empty());
        let via_super = local.map(|l| format!("super::{l}"));
        // `use crate::{dom, storage}` names several at once.
        let in_group = code.contains("use crate::{")
            && code.split("use crate::{").skip(1).any(|g| {
                g[..g.find('}').unwrap_or(0)]
                    .split(',')
                    .any(|n| n.trim() == m)
            });
        let refers = |p: &str| {
            code.match_indices(p).any(|(at, _)| {
                let next = code[at + p.len()..].chars().next().unwrap_or(' ');
                !(next.is_alphanumeric() || next == '_')
            })
        };
        if refers(&from_crate) || via_super.as_deref().is_some_and(refers) || in_group {
            found.insert(m.clone());
        }
    }
    found
}

#[test]
fn shell_files_are_small() {
    let dir = root().join("src/bin/lab");
    for (rel, text) in rust_files(&dir) {
        let n = text.lines().count();
        assert!(
            n <= MAX_SHELL_LINES,
            "src/bin/lab/{rel} has {n} lines; split it (at most {MAX_SHELL_LINES})"
        );
    }
}

#[test]
fn no_two_shell_modules_import_each_other() {
    let dir = root().join("src/bin/lab");
    let files = rust_files(&dir);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(rel, _)| module_of(rel))
        .filter(|m| m != "main")
        .collect();
    let graph: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .filter(|(rel, _)| module_of(rel) != "main")
        .map(|(rel, text)| {
            let me = module_of(rel);
            let uses = imports(&me, text, &modules);
            (me, uses)
        })
        .collect();
    assert!(
        graph["views::frame"].contains("views::model"),
        "the scan sees imports: {graph:?}"
    );
    assert!(
        graph["runtime"].contains("client"),
        "the scan sees imports: {graph:?}"
    );
    // Depth-first search for a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!(
                "the page shell imports in a circle: {} -> {m}",
                path[at..].join(" -> ")
            );
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut vec![], &mut done);
    }
}

#[test]
fn the_engines_lab_logic_touches_no_browser() {
    for (rel, text) in rust_files(&root().join("src/lab")) {
        let code = code_only(&text);
        // (`lab::browser` reads the wasm instance's own memory size with
        // js_sys, for the page and the worker alike: no browser API.)
        for banned in ["web_sys", "leptos", "RwSignal", "document", "window()"] {
            assert!(!code.contains(banned), "src/lab/{rel} uses {banned}");
        }
    }
}

/// Words of two or more letters followed by a space and another word: a
/// sentence, or the start of one.
fn looks_like_words(s: &str) -> bool {
    let words: Vec<&str> = s
        .split(' ')
        .map(|w| w.trim_end_matches([',', '.', ':', ';', '!', '?']))
        .collect();
    words.windows(2).any(|w| {
        let is_word = |x: &str| x.chars().count() >= 2 && x.chars().all(char::is_alphabetic);
        is_word(w[0]) && is_word(w[1])
    })
}

#[test]
fn views_and_runtime_write_no_sentence_of_their_own() {
    let dir = root().join("src/bin/lab");
    let mut found = vec![];
    for (rel, text) in rust_files(&dir) {
        if rel == "storage.rs" {
            // Its wasm tests' assertion messages are for developers.
            continue;
        }
        let code = code_only(&text);
        let mut rest = code.as_str();
        while let Some(start) = rest.find('"') {
            let before = &rest[..start];
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            let literal = &after[..end];
            rest = &after[end + 1..];
            // Class lists are CSS names; `expect` texts and the console are
            // for developers.
            let attribute = before.trim_end().ends_with("class=");
            let expect = before.trim_end().ends_with(".expect(");
            let line = before.rsplit('\n').next().unwrap_or("");
            let console = line.contains("console::");
            if !attribute && !expect && !console && looks_like_words(literal) {
                found.push(format!("src/bin/lab/{rel}: \"{literal}\""));
            }
        }
    }
    assert!(
        found.is_empty(),
        "words for the student belong in lab::i18n:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_sentence_scan_sees_a_sentence() {
    assert!(looks_like_words("First run: 3 ms"));
    assert!(looks_like_words("the canvas has no 2D context"));
    assert!(looks_like_words("Första körningen"));
    assert!(!looks_like_words("{} {} / {}"));
    assert!(!looks_like_words("p50 {} · p95 {} ms"));
}
