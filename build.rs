//! Embeds the built web lab (`dist/`, from `scripts/build-web`) into release
//! builds of `piedge`, so that one file on a teacher's laptop or a Raspberry
//! Pi can serve a whole classroom with `piedge serve`.
//!
//! It embeds when the profile is `release` and `dist/index.html` exists, or
//! when PIEDGE_EMBED_DIST=1 (PIEDGE_EMBED_DIST=0 turns it off). Everything
//! else gets an empty bundle, so debug builds never wait on dist/.

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
    let mut files = Vec::new();
    if wanted && !wasm {
        println!(
            "cargo:rerun-if-changed={}",
            dist.join("index.html").display()
        );
        if dist.join("index.html").is_file() {
            collect(&dist, &dist, &mut files);
            files.sort();
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
