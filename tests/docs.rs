#![cfg(not(target_arch = "wasm32"))]
//! The docs hold to the code. Every `piedge` command and option the README
//! and the guides in `docs/` show exists in `piedge`'s own help; every
//! script, test, source file and `scripts/test-all` stage they name exists;
//! their links resolve, headings included. ARCHITECTURE.md's code map names
//! every source file, and the invariants it marks as tested hold here. The
//! guides the lab carries (`lab::guide::GUIDES`) are copied into its bundle
//! and stamped with it.

#[path = "common/source.rs"]
mod source;

use piedge::lab::guide::GUIDES;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options the guides may describe before `piedge --help` lists them: one an
/// open issue is adding, so that its branch merges without touching this test.
/// None today (issue 32's `serve --new-teacher-code` has landed).
const AWAITED: &[(&str, &str)] = &[];

/// The README stays a newcomer's first screens.
const MAX_README_LINES: usize = 200;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The README, ARCHITECTURE.md and every page of `docs/`, with their text.
fn docs() -> Vec<(String, String)> {
    let mut found = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            found.push(format!("docs/{name}"));
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|rel| {
            let text = read(&rel);
            (rel, text)
        })
        .collect()
}

/// What a page shows as code, where it links, and its headings' anchors.
#[derive(Default)]
struct Page {
    /// Each line of its code blocks.
    block_lines: Vec<String>,
    /// Each inline code span.
    spans: Vec<String>,
    links: Vec<String>,
    anchors: BTreeSet<String>,
    headings: usize,
}

impl Page {
    fn read(text: &str) -> Page {
        let mut page = Page::default();
        let mut heading: Option<String> = None;
        let mut block: Option<String> = None;
        for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
            match event {
                Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(h) = heading.take() {
                        page.anchors.insert(slug(&h));
                        page.headings += 1;
                    }
                }
                // A block marked `text` (a diagram) is no code.
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if &*info == "text" => {}
                Event::Start(Tag::CodeBlock(_)) => block = Some(String::new()),
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(b) = block.take() {
                        page.block_lines.extend(b.lines().map(String::from));
                    }
                }
                Event::Start(Tag::Link { dest_url, .. }) => page.links.push(dest_url.to_string()),
                Event::Code(code) => {
                    if let Some(h) = &mut heading {
                        h.push_str(&code);
                    }
                    page.spans.push(code.to_string());
                }
                Event::Text(text) => {
                    if let Some(b) = &mut block {
                        b.push_str(&text);
                    } else if let Some(h) = &mut heading {
                        h.push_str(&text);
                    }
                }
                _ => {}
            }
        }
        page
    }

    /// Every line of code: the blocks' lines and the inline spans.
    fn code(&self) -> impl Iterator<Item = &str> {
        self.block_lines
            .iter()
            .chain(&self.spans)
            .map(String::as_str)
    }
}

/// A heading's anchor as GitHub makes it: lower case, spaces as hyphens,
/// other punctuation than hyphens and underscores left out.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The arguments of a `piedge` command line (`piedge`, `./piedge`,
/// `target/release/piedge`, `piedge.exe`, or `cargo run … --bin piedge --`),
/// without a shell comment; `None` for any other line.
fn piedge_args(line: &str) -> Option<Vec<String>> {
    let line = line.trim().trim_start_matches("$ ");
    let line = line.find(" #").map_or(line, |at| &line[..at]);
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let name = first.rsplit('/').next().unwrap_or(first);
    if name == "piedge" || name == "piedge.exe" {
        return Some(words.map(String::from).collect());
    }
    if first == "cargo" && line.contains("--bin piedge") {
        let args = line.split_once(" -- ").map_or("", |(_, a)| a);
        return Some(args.split_whitespace().map(String::from).collect());
    }
    None
}

/// The command a line's arguments run ("" for `piedge --help` itself;
/// `bench` for the old lesson's form; `serve` for none) and the options it
/// gives, long and short.
fn command_and_options(args: &[String]) -> (String, Vec<String>) {
    let (command, rest) = match args.first().map(String::as_str) {
        None => ("serve", args),
        Some("--help" | "-h" | "--version" | "-V") => ("", args),
        Some(a) if a.starts_with('-') => ("bench", args),
        Some(a) => (a, &args[1..]),
    };
    let options = rest
        .iter()
        .map(|w| {
            w.trim_start_matches(['[', '('])
                .trim_end_matches([']', ')', ',', '|'])
        })
        .filter_map(|w| {
            let w = w.split('=').next().unwrap_or(w);
            let long = w.starts_with("--") && w[2..].starts_with(char::is_alphabetic);
            let short = w.len() == 2 && w.starts_with('-') && w.as_bytes()[1].is_ascii_alphabetic();
            (long || short).then(|| w.to_string())
        })
        .collect();
    (command.to_string(), options)
}

/// `piedge COMMAND --help` (or `piedge --help` for ""), or `None` when
/// there is no such command.
fn help(command: &str, cache: &mut BTreeMap<String, Option<String>>) -> Option<String> {
    cache
        .entry(command.to_string())
        .or_insert_with(|| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_piedge"));
            if !command.is_empty() {
                cmd.arg(command);
            }
            let out = cmd.arg("--help").output().expect("piedge runs");
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .clone()
}

/// Whether `help` lists `option` (followed by anything but more of a name).
fn lists(help: &str, option: &str) -> bool {
    help.match_indices(option).any(|(at, _)| {
        let next = help[at + option.len()..].chars().next().unwrap_or(' ');
        !(next.is_ascii_alphanumeric() || next == '-' || next == '_')
    })
}

/// The commands `piedge --help` lists.
fn commands(cache: &mut BTreeMap<String, Option<String>>) -> Vec<String> {
    let top = help("", cache).expect("piedge --help");
    top.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_piedge_command_and_option_the_docs_show_exists() {
    let mut cache = BTreeMap::new();
    let mut missing = vec![];
    let mut checked = 0;
    for (rel, text) in docs() {
        let page = Page::read(&text);
        for line in page.code() {
            let Some(args) = piedge_args(line) else {
                continue;
            };
            checked += 1;
            let (command, options) = command_and_options(&args);
            let Some(help_text) = help(&command, &mut cache) else {
                missing.push(format!(
                    "{rel}: `{line}`: piedge has no command '{command}'"
                ));
                continue;
            };
            for option in options {
                let awaited = AWAITED.contains(&(command.as_str(), option.as_str()));
                if !awaited && !lists(&help_text, &option) {
                    missing.push(format!(
                        "{rel}: `{line}`: `piedge {command} --help` has no {option}"
                    ));
                }
            }
        }
    }
    assert!(
        checked > 40,
        "the scan finds the docs' commands ({checked})"
    );
    // An option written alone (`--threads N`) belongs to some command.
    let all_help: String = commands(&mut cache)
        .iter()
        .map(|c| help(c, &mut cache).unwrap_or_default())
        .collect();
    for (rel, text) in docs() {
        for span in Page::read(&text).spans {
            let Some(option) = span
                .split_whitespace()
                .next()
                .filter(|w| w.starts_with("--") && w[2..].starts_with(char::is_alphabetic))
            else {
                continue;
            };
            let awaited = AWAITED.iter().any(|(_, o)| *o == option);
            if !awaited && !lists(&all_help, option) {
                missing.push(format!("{rel}: `{span}`: no piedge command has {option}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs show what piedge does not have:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_script_test_file_source_path_and_stage_the_docs_name_exists() {
    let test_all = read("scripts/test-all");
    let stages: Vec<&str> = test_all
        .lines()
        .find_map(|l| l.strip_prefix("STAGES=("))
        .expect("scripts/test-all lists its stages")
        .trim_end_matches(')')
        .split_whitespace()
        .collect();
    let mut missing = vec![];
    for (rel, text) in docs() {
        let page = Page::read(&text);
        for line in page.code() {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || "()[]`'\",".contains(c))
                .filter(|w| !w.is_empty())
                .collect();
            for (i, word) in words.iter().enumerate() {
                let path = word.trim_end_matches(['.', ':', ';']);
                let in_repo = ["scripts/", "tests/", "src/", "docs/", "lessons/", "static/"]
                    .iter()
                    .any(|p| path.starts_with(p));
                let pattern = path.contains(['*', '<', '>', '{', '…']);
                if in_repo && !pattern && !root().join(path).exists() {
                    missing.push(format!("{rel}: `{line}`: no {path}"));
                }
                // `cargo test --test NAME` runs tests/NAME.rs.
                if *word == "--test" && words.contains(&"cargo") {
                    if let Some(name) = words.get(i + 1).filter(|n| !n.starts_with('-')) {
                        if !root().join(format!("tests/{name}.rs")).exists() {
                            missing.push(format!("{rel}: `{line}`: no tests/{name}.rs"));
                        }
                    }
                }
            }
            if words.first() == Some(&"scripts/test-all") {
                for stage in words[1..].iter().filter(|w| !w.starts_with('-')) {
                    if !stages.contains(stage) {
                        missing.push(format!("{rel}: `{line}`: no stage '{stage}'"));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_links_between_the_docs_resolve() {
    let pages: BTreeMap<String, Page> = docs()
        .into_iter()
        .map(|(rel, text)| (rel, Page::read(&text)))
        .collect();
    let mut broken = vec![];
    for (rel, page) in &pages {
        for link in &page.links {
            let lower = link.to_ascii_lowercase();
            if ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| lower.starts_with(s))
            {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target = if file.is_empty() {
                root().join(rel)
            } else {
                root().join(rel).parent().unwrap().join(file)
            };
            let Ok(target) = target.canonicalize() else {
                broken.push(format!("{rel}: ({link}): no such file"));
                continue;
            };
            let Ok(target_rel) = target.strip_prefix(root().canonicalize().unwrap()) else {
                broken.push(format!("{rel}: ({link}): outside the repository"));
                continue;
            };
            let target_rel = target_rel.to_string_lossy().replace('\\', "/");
            if anchor.is_empty() {
                continue;
            }
            let anchors = match pages.get(&target_rel) {
                Some(p) => p.anchors.clone(),
                None => Page::read(&read(&target_rel)).anchors,
            };
            if !anchors.contains(anchor) {
                broken.push(format!(
                    "{rel}: ({link}): {target_rel} has no heading #{anchor}"
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    assert_eq!(
        slug("The `piedge` command: reports"),
        "the-piedge-command-reports"
    );
}

#[test]
fn the_readme_is_short_starts_with_its_two_commands_and_leads_to_every_guide() {
    let readme = read("README.md");
    let n = readme.lines().count();
    assert!(
        n <= MAX_README_LINES,
        "README.md has {n} lines (at most {MAX_README_LINES})"
    );
    // `.ci/run` reads the line two below the marker; the lab's command is
    // the first code on the page.
    for (marker, command) in [
        ("<!-- lab-command -->", "scripts/lab"),
        ("<!-- test-command -->", "scripts/test-all"),
    ] {
        let after: Vec<&str> = readme
            .lines()
            .skip_while(|l| *l != marker)
            .skip(1)
            .take(3)
            .collect();
        assert_eq!(after, ["```sh", command, "```"], "{marker} in README.md");
    }
    let first_code = readme.find("```").unwrap();
    assert!(readme.find("<!-- lab-command -->").unwrap() < first_code);
    let links = Page::read(&readme).links;
    for (rel, _) in docs().iter().filter(|(rel, _)| rel.starts_with("docs/")) {
        assert!(links.contains(rel), "README.md does not lead to {rel}");
    }
}

#[test]
fn the_teachers_guide_says_the_same_in_both_languages() {
    for guide in GUIDES {
        let pages: Vec<(&str, Page)> = guide.paths().map(|p| (p, Page::read(&read(p)))).collect();
        let commands = |page: &Page| -> BTreeSet<Vec<String>> {
            page.code().filter_map(piedge_args).collect()
        };
        let (first, first_page) = &pages[0];
        for (other, page) in &pages[1..] {
            assert_eq!(
                first_page.headings, page.headings,
                "{first} and {other} have as many sections"
            );
            assert_eq!(
                commands(first_page),
                commands(page),
                "{first} and {other} show the same piedge commands"
            );
        }
    }
}

#[test]
fn the_guides_the_lab_carries_are_copied_into_its_bundle_and_stamped() {
    let index = read("index.html");
    let build = read("build.rs");
    let stamp = read("scripts/bundle-stamp");
    for guide in GUIDES {
        for path in guide.paths() {
            assert!(root().join(path).is_file(), "{path} exists");
            let dir = Path::new(path).parent().unwrap().to_string_lossy();
            let copied = index.lines().any(|l| {
                l.contains(r#"rel="copy-file""#)
                    && l.contains(&format!(r#"href="{path}""#))
                    && l.contains(&format!(r#"data-target-path="{dir}""#))
            });
            assert!(copied, "index.html copies {path} to the bundle's {dir}/");
            let quoted = format!("\"{path}\"");
            assert!(build.contains(&quoted), "build.rs stamps {path}");
            assert!(
                stamp.contains(&quoted),
                "scripts/bundle-stamp stamps {path}"
            );
        }
    }
}

// --- ARCHITECTURE.md ---------------------------------------------------------

/// Every `.rs` file under `dir` (a folder of the repository), with its path
/// in the repository.
fn rust_files(dir: &str) -> Vec<(String, String)> {
    source::rust_files(&root().join(dir))
        .into_iter()
        .map(|(rel, text)| (format!("{dir}/{rel}"), text))
        .collect()
}

/// A source file's code before its unit tests, without `//` comments. A
/// module's unit tests kept in their own file (`store.rs` with `mod tests;`
/// in `store/tests.rs`) are tests too, and have no code here.
fn code_before_tests(rel: &str, text: &str) -> String {
    if unit_tests_of(rel).is_some() {
        return String::new();
    }
    let end = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
    source::code_only(&text[..end])
}

/// For a module's unit-test file (`src/board/tests.rs`), the module's file
/// (`src/board.rs`) if it exists.
fn unit_tests_of(rel: &str) -> Option<String> {
    let module = rel.strip_suffix("/tests.rs")?;
    let file = format!("{module}.rs");
    root().join(&file).exists().then_some(file)
}

#[test]
fn the_code_map_names_every_source_file_and_nothing_that_is_gone() {
    let arch = read("ARCHITECTURE.md");
    let map = &arch[arch.find("## Code map").expect("a code map")..];
    let named: Vec<&str> = map
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| l.split('|').nth(1).unwrap().split('`').skip(1).step_by(2))
        .collect();
    for path in &named {
        assert!(
            root().join(path).exists(),
            "ARCHITECTURE.md names {path}, which is gone"
        );
    }
    let unnamed: Vec<String> = rust_files("src")
        .into_iter()
        .map(|(rel, _)| rel)
        .filter(|rel| {
            // A module's unit-test file goes with its module.
            let rel = unit_tests_of(rel).unwrap_or(rel.clone());
            !named
                .iter()
                .any(|n| *n == rel || (n.ends_with('/') && rel.starts_with(*n)))
        })
        .collect();
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md's code map does not name {unnamed:?} (a line each, or their folder)"
    );
}

#[test]
fn the_engine_never_touches_the_outside_world_and_reads_time_only_through_its_clock() {
    let banned = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "Instant::now",
        "SystemTime",
        "clap::",
        "leptos",
        "web_sys",
        "tokio",
        "axum",
        "hyper",
        "rusqlite",
    ];
    // The clock seam itself reads the clocks: `Instant` natively,
    // `performance.now()` through web-sys in a page or a worker.
    let seam = ["Instant::now", "web_sys"];
    let mut found = vec![];
    for (rel, text) in rust_files("src") {
        if rel.starts_with("src/bin/") {
            continue;
        }
        let code = code_before_tests(&rel, &text);
        for word in banned {
            let allowed = rel == "src/clock.rs" && seam.contains(&word);
            if !allowed && code.contains(word) {
                found.push(format!("{rel} uses {word}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn in_the_cli_only_files_rs_writes_and_the_server_only_its_data_folder() {
    let writes = [
        "fs::write",
        "File::create",
        "fs::rename",
        "OpenOptions",
        "create_dir",
        "fs::remove",
    ];
    let writers = [
        "src/bin/piedge/files.rs",
        "src/bin/piedge/store.rs",
        "src/bin/piedge/certs.rs",
    ];
    let mut found = vec![];
    for (rel, text) in rust_files("src/bin/piedge") {
        if writers.contains(&rel.as_str()) {
            continue;
        }
        let code = code_before_tests(&rel, &text);
        for word in writes {
            if code.contains(word) {
                found.push(format!("{rel} uses {word}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn unsafe_code_is_allowed_only_in_the_kernels() {
    assert!(read("Cargo.toml").contains("unsafe_code = \"deny\""));
    let outside: Vec<String> = rust_files("src")
        .into_iter()
        .filter(|(rel, text)| {
            text.contains("allow(unsafe_code)") && !rel.starts_with("src/kernels/")
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        outside.is_empty(),
        "unsafe allowed outside the kernels: {outside:?}"
    );
}

#[test]
fn only_the_worker_links_tract() {
    let cargo = read("Cargo.toml");
    let ui = cargo
        .lines()
        .find(|l| l.starts_with("ui = "))
        .expect("a ui feature");
    assert!(
        !ui.contains("tract"),
        "the page's feature pulls in tract: {ui}"
    );
    let index = read("index.html");
    let page = index
        .lines()
        .find(|l| l.contains(r#"data-bin="lab""#))
        .expect("index.html builds the page");
    assert!(page.contains("data-cargo-no-default-features"), "{page}");
    for (rel, text) in rust_files("src/bin/lab") {
        let code = code_before_tests(&rel, &text);
        for word in ["tract_onnx", "piedge::model", "piedge::zoo"] {
            assert!(!code.contains(word), "{rel} uses {word}");
        }
    }
}

#[test]
fn the_command_scan_reads_commands_as_a_shell_would() {
    let args = |l: &str| piedge_args(l).map(|a| command_and_options(&a));
    let owned = |c: &str, o: &[&str]| {
        Some((
            c.to_string(),
            o.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ))
    };
    assert_eq!(
        args("piedge serve --lan   # every interface"),
        owned("serve", &["--lan"])
    );
    assert_eq!(
        args("./piedge --fakedata --runs 10"),
        owned("bench", &["--fakedata", "--runs"])
    );
    assert_eq!(args("piedge"), owned("serve", &[]));
    assert_eq!(args("piedge.exe serve --lan"), owned("serve", &["--lan"]));
    assert_eq!(
        args("piedge info --model-path M [--json] -v"),
        owned("info", &["--model-path", "--json", "-v"])
    );
    assert_eq!(
        args("cargo run --release --bin piedge -- --fakedata --warmup=3"),
        owned("bench", &["--fakedata", "--warmup"])
    );
    assert_eq!(args("target/release/piedge --help"), owned("", &["--help"]));
    assert_eq!(
        args("scp target/pi/piedge-aarch64 pi@raspberrypi.local:piedge"),
        None
    );
    assert!(lists("  --runs <N>\n", "--runs"));
    assert!(!lists("  --runs-total <N>\n", "--runs"));
}
