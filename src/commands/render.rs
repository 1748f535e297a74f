//! `chainproof render --template NAME [--param K=V]... [--values FILE] --out DIR [--force]`: a secure
//! pipeline template rendered into a directory. Every problem with the input (unknown template,
//! unknown key, a value its type rejects, a changed file in the way) is exit code 2.
//!
//! Overwriting: every rendered file starts with `# chainproof-render: sha256=<hex>`, the hash of
//! the rest of the file. A file whose rest still matches its recorded hash is an unedited older
//! rendering and is updated; any other existing file that differs (edited by hand, or not written
//! by chainproof) needs `--force`. Nothing is written through a symbolic link under `--out`.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Outcome;
use crate::cli::RenderArgs;

pub fn run(args: RenderArgs) -> Result<Outcome> {
    let template = args.template.as_str();
    let mut values = match &args.values {
        Some(file) => read_values(file)?,
        None => Value::Object(Default::default()),
    };
    for param in &args.params {
        let Some((key, raw)) = param.split_once('=') else {
            bail!("--param {param:?}: expected KEY=VALUE");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("--param {param:?}: the key is empty");
        }
        let value = chainproof_catalog::parse_param(template, key, raw)?;
        if let Some(map) = values.as_object_mut() {
            map.insert(key.to_owned(), value);
        }
    }
    let rendered = chainproof_catalog::render(template, &values)?;

    // Check every file before writing any, so a refusal leaves the directory as it was.
    let mut conflicts = Vec::new();
    let mut plan = Vec::new();
    for (rel, text) in &rendered.files {
        let path = args.out.join(rel);
        let what = match existing(&args.out, rel)? {
            None => "wrote",
            Some(current) if current == text.as_bytes() => "unchanged",
            // An older rendering nobody edited (its recorded hash still matches): replace it.
            Some(current)
                if std::str::from_utf8(&current)
                    .is_ok_and(chainproof_catalog::is_unedited_render) =>
            {
                "updated"
            }
            Some(_) if args.force => "overwrote",
            Some(_) => {
                conflicts.push(path);
                continue;
            }
        };
        plan.push((path, text, what));
    }
    if !conflicts.is_empty() {
        let list: Vec<String> = conflicts.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "{} edited since chainproof rendered them (or not rendered by chainproof); nothing was written. Use --force to overwrite",
            list.join(", ")
        );
    }
    for (path, text, what) in plan {
        if what != "unchanged" {
            write(&path, text)?;
        }
        println!("{what} {}", path.display());
    }
    Ok(Outcome::Clean)
}

fn read_values(file: &Path) -> Result<Value> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    let yaml = if name.ends_with(".yml") || name.ends_with(".yaml") {
        true
    } else if name.ends_with(".json") {
        false
    } else {
        bail!(
            "{}: --values takes a .json, .yml or .yaml file",
            file.display()
        );
    };
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    chainproof_catalog::parse_values(&text, yaml)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// The content of `out/rel` when it exists, `None` when it does not. Every component under `out`
/// is checked without following links: a symbolic link anywhere (`out/.github -> ../elsewhere`)
/// is refused, a component that is not a directory too, and only "not found" means absent (any
/// other error is an error).
fn existing(out: &Path, rel: &str) -> Result<Option<Vec<u8>>> {
    let components: Vec<&str> = rel.split('/').collect();
    let mut path = out.to_path_buf();
    for (i, component) in components.iter().enumerate() {
        path.push(component);
        let last = i + 1 == components.len();
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => bail!(
                "{}: is a symbolic link; refusing to write through it",
                path.display()
            ),
            Ok(meta) if last && !meta.is_file() => {
                bail!("{}: exists and is not a file", path.display())
            }
            Ok(meta) if !last && !meta.is_dir() => {
                bail!("{}: exists and is not a directory", path.display())
            }
            Ok(_) if last => {
                return fs::read(&path)
                    .map(Some)
                    .with_context(|| format!("reading {}", path.display()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("inspecting {}", path.display())),
        }
    }
    Ok(None)
}

/// Writes `text` to `path` through a new temporary file in the same directory (created with
/// `create_new`, so nothing planted there is followed) renamed over `path`: readers see the old
/// file or the new one, never a part.
fn write(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{}: no parent directory", path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{}: no file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.chainproof-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
