//! Embeds the built web lab (`dist/`, from `scripts/build-web`) into release
//! builds of `piedge`, so that one file on a teacher's laptop or a Raspberry
//! Pi can serve a whole classroom with `piedge serve`.
//!
//! It embeds when the profile is `release` and `dist/index.html` exists, or
//! when PIEDGE_EMBED_DIST=1 (PIEDGE_EMBED_DIST=0 turns it off). Everything
//! else gets an empty bundle, so debug builds never wait on dist/.
//!
//! A bundle is embedded only when it was built from these sources: the
//! stamp `scripts/build-web` writes to `dist/.piedge-stamp` (the hash
//! `scripts/bundle-stamp` computes) must equal the one computed here over
//! the same files. A stale bundle gets a warning and is left out, so
//! `piedge serve` says how to build one instead of serving an old lab.

use std::env;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PIEDGE_EMBED_DIST");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("dist");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it")).join("bundle.rs");
    let wasm = env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32"));
    let wanted = match env::var("PIEDGE_EMBED_DIST").as_deref() {
        Ok("0") => false,
        Ok(_) => true,
        Err(_) => env::var("PROFILE").as_deref() == Ok("release"),
    };
    for input in STAMP_FILES.iter().chain(STAMP_DIRS) {
        println!("cargo:rerun-if-changed={input}");
    }
    let sources = sources_stamp(&manifest);
    // `piedge bundle-stamp` prints it, so a test can hold the two
    // implementations of the stamp to each other.
    println!("cargo:rustc-env=PIEDGE_SOURCES_STAMP={sources}");
    let mut files = Vec::new();
    if wanted && !wasm {
        println!(
            "cargo:rerun-if-changed={}",
            dist.join("index.html").display()
        );
        println!("cargo:rerun-if-changed={}", dist.join(STAMP).display());
        if dist.join("index.html").is_file() {
            let built_from = std::fs::read_to_string(dist.join(STAMP)).unwrap_or_default();
            if built_from.trim() == sources {
                collect(&dist, &dist, &mut files);
                files.sort();
            } else {
                println!(
                    "cargo:warning=dist/ was built from other sources (stamp {:?}, sources {sources}); \
                     not embedding it: run scripts/build-web, then build again",
                    built_from.trim()
                );
            }
        }
    }
    let mut code = String::from(
        "/// The web lab's files, relative to dist/, built in by build.rs.\n\
         pub static BUNDLE: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    std::fs::write(&out, code).expect("OUT_DIR is writable");
}

/// Where scripts/build-web leaves the stamp of the sources it built from.
const STAMP: &str = ".piedge-stamp";
/// What the bundle is built from; scripts/bundle-stamp lists the same. The
/// guides are the ones `index.html` copies into the bundle (`lab::guide`).
const STAMP_FILES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "Trunk.toml",
    "index.html",
    "docs/teacher.md",
    "docs/teacher.sv.md",
];
const STAMP_DIRS: &[&str] = &["src", "static", "lessons"];

/// FNV-1a 64 over the bundle's inputs in sorted path order, each as path,
/// a 0 byte, its length (8 bytes, little endian) and its bytes; the same
/// as scripts/bundle-stamp. (Hand-rolled: a build script's dependencies
/// would be compiled before every build, and this needs twenty lines.)
fn sources_stamp(root: &Path) -> String {
    let mut inputs: Vec<(String, PathBuf)> = STAMP_FILES
        .iter()
        .map(|f| (f.to_string(), root.join(f)))
        .filter(|(_, p)| p.is_file())
        .collect();
    for dir in STAMP_DIRS {
        let mut found = Vec::new();
        collect(&root.join(dir), &root.join(dir), &mut found);
        inputs.extend(
            found
                .into_iter()
                .map(|(rel, path)| (format!("{dir}/{rel}"), path)),
        );
    }
    inputs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (rel, path) in &inputs {
        let data = std::fs::read(path).unwrap_or_default();
        feed(rel.as_bytes());
        feed(&[0]);
        feed(&(data.len() as u64).to_le_bytes());
        feed(&data);
    }
    format!("{h:016x}")
}

/// Every regular file under `dir`, skipping hidden ones (trunk's lock file).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.is_file() {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
}
