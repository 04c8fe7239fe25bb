//! The only module of `piedge` that touches the file system.
//!
//! Reports are written whole or not at all: each file goes to a temporary
//! name in the same directory and is renamed over the target only when
//! complete, so an interrupted run never leaves half a CSV behind.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// What a bounded read says after the file's name when the file is
/// missing, a folder, or over the limit (`{limit}` stands for it in MB).
struct Refusals {
    noun: &'static str,
    missing: &'static str,
    folder: &'static str,
    too_large: &'static str,
}

/// Reads a file of at most `limit` bytes, refusing a missing file, a folder
/// or a larger file in the caller's words before reading anything.
fn read_bounded(path: &Path, limit: u64, say: Refusals) -> Result<Vec<u8>> {
    let name = format!("{}{}", say.noun, path.display());
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("{name} does not exist; {}", say.missing),
        _ => anyhow::anyhow!("cannot read {name}: {e}"),
    })?;
    if meta.is_dir() {
        bail!("{} is a directory; {}", path.display(), say.folder);
    }
    if meta.len() > limit {
        let mb = meta.len() as f64 / (1024.0 * 1024.0);
        let too_large = say
            .too_large
            .replace("{limit}", &(limit / (1024 * 1024)).to_string());
        bail!("{} is {mb:.1} MB, {too_large}", path.display());
    }
    std::fs::read(path).with_context(|| format!("cannot read {name}"))
}

/// Reads a model file of at most `limit` bytes (`--max-model-mb`), with
/// messages for the ways that goes wrong.
pub fn read_model(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let say = Refusals {
        noun: "model file ",
        missing: "check the path (bundled models are in static/models/)",
        folder: "--model-path needs an .onnx file",
        too_large: "over the {limit} MB limit for a model file; raise it with --max-model-mb",
    };
    read_bounded(path, limit, say)
}

/// Reads the weight file `location` that the model at `model_path` names,
/// from the model's own folder: a location that leads out of it (through
/// `..` or a symbolic link) is refused. At most `budget` bytes: what is
/// left of `--max-model-mb` (`limit`) after the model itself.
pub fn read_weight_file(
    model_path: &Path,
    location: &str,
    budget: u64,
    limit: u64,
) -> Result<Vec<u8>> {
    let dir = model_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let model = model_path.display();
    let path = dir.join(location);
    let real = match path.canonicalize() {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{model} keeps its weights in a second file, {location}, which is not in {}; \
             copy both files of the export side by side",
            dir.display()
        ),
        Err(e) => bail!(
            "cannot read {}, the weights of {model}: {e}",
            path.display()
        ),
    };
    let real_dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read folder {}", dir.display()))?;
    if !real.starts_with(&real_dir) {
        bail!(
            "{model} names its weight file {location}, which leads out of the model's folder \
             (a symbolic link?); copy the real file beside the model"
        );
    }
    let meta = std::fs::metadata(&real)
        .with_context(|| format!("cannot read {}, the weights of {model}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{} is not a file; {model} needs its weights there",
            path.display()
        );
    }
    if meta.len() > budget {
        bail!(
            "{model} and its weights ({location}, {:.1} MB) are over the {} MB limit for a model; \
             raise it with --max-model-mb",
            meta.len() as f64 / (1024.0 * 1024.0),
            limit / (1024 * 1024)
        );
    }
    std::fs::read(&real).with_context(|| format!("cannot read {}", path.display()))
}

pub fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("{what} {} does not exist", path.display()),
        _ => anyhow::anyhow!("cannot read {what} {}: {e}", path.display()),
    })
}

/// Reads a run's report (`latency_results.json` or `latency.csv`) of at
/// most `limit` bytes, refusing a larger file before reading it.
pub fn read_report(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let say = Refusals {
        noun: "",
        missing: "give the path of a latency_results.json or latency.csv",
        folder: "give the latency_results.json or latency.csv in it",
        too_large: "larger than any run's report ({limit} MB at most); is it the right file?",
    };
    read_bounded(path, limit, say)
}

/// Creates `dir` (and its parents), or says why it cannot.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create output directory {}; choose another with --output-dir",
            dir.display()
        )
    })
}

/// Writes all `files` (path, bytes): every one to a temporary file first,
/// then all renamed into place, so a failure leaves the old reports intact.
pub fn write_all_atomically(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    let cleanup = |staged: &[(PathBuf, &PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (path, bytes) in files {
        let tmp = temp_path(path);
        if let Err(e) = std::fs::write(&tmp, bytes) {
            cleanup(&staged);
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
        staged.push((tmp, path));
    }
    for (i, (tmp, path)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            cleanup(&staged[i..]);
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Image files for `--data-path`: `DIR/val/<class>/*` when `DIR/val` exists,
/// else `DIR/<class>/*`; sorted, so runs are repeatable.
pub fn find_images(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!(
            "--data-path {} is not a directory of class folders",
            dir.display()
        );
    }
    let root = if dir.join("val").is_dir() {
        dir.join("val")
    } else {
        dir.to_path_buf()
    };
    let mut images = Vec::new();
    let classes =
        std::fs::read_dir(&root).with_context(|| format!("cannot list {}", root.display()))?;
    for class in classes.flatten() {
        if !class.path().is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(class.path())?.flatten() {
            let p = entry.path();
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg" | "bmp")) {
                images.push(p);
            }
        }
    }
    images.sort();
    if images.is_empty() {
        bail!(
            "no images found under {}; expected <class>/*.png|jpg|jpeg|bmp (or val/<class>/...)",
            dir.display()
        );
    }
    Ok(images)
}

/// Decodes an image file to 8-bit RGB.
pub fn read_rgb(path: &Path) -> Result<(usize, usize, Vec<u8>)> {
    let img =
        image::open(path).with_context(|| format!("cannot decode image {}", path.display()))?;
    let rgb = img.to_rgb8();
    Ok((rgb.width() as usize, rgb.height() as usize, rgb.into_raw()))
}
