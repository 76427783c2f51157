//! Embeds the built site (`site-root` of `Leptos.toml`: WASM, JS, CSS, icons and the `.br`/`.gz`
//! variants `make site` writes beside them) into the server, so the release binary needs no
//! other file. A site not built yet embeds nothing: the server then reads it from disk at start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Leptos.toml");
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    if env::var_os("CARGO_FEATURE_SSR").is_none() {
        return;
    }
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let site_root = manifest_dir.join(site_root(&manifest_dir.join("Leptos.toml")));
    // Watching a missing path would rerun this script (and rebuild the crate) on every build, so
    // the directory is made if absent: building the site into it later reruns the script.
    if let Err(e) = fs::create_dir_all(&site_root) {
        println!("cargo:warning=cannot create {}: {e}; the site is not embedded", site_root.display());
    }
    println!("cargo:rerun-if-changed={}", site_root.display());

    let mut files = Vec::new();
    collect(&site_root, &mut files);
    files.retain(|file| !stale_variant(file));
    files.sort();
    let mut table = String::from("&[\n");
    for file in &files {
        let name = file.strip_prefix(&site_root).expect("under the site root");
        let name = name.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        writeln!(table, "    ({name:?}, include_bytes!({:?})),", file.display().to_string())
            .expect("to a String");
    }
    table.push(']');
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("site.rs");
    fs::write(out, table).expect("OUT_DIR is writable");
}

/// `site-root` under `[package.metadata.leptos]`, the table leptos_config reads at run time too;
/// `LEPTOS_SITE_ROOT` overrides it, as it does for leptos_config.
fn site_root(leptos_toml: &Path) -> String {
    if let Ok(root) = env::var("LEPTOS_SITE_ROOT") {
        return root;
    }
    let text = fs::read_to_string(leptos_toml).expect("Leptos.toml beside Cargo.toml");
    let table: toml::Table = text.parse().expect("Leptos.toml is TOML");
    table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("leptos"))
        .and_then(|l| l.get("site-root"))
        .and_then(|s| s.as_str())
        .unwrap_or("target/site")
        .to_owned()
}

/// A `.br`/`.gz` file older than the file beside it that it compresses: the site was rebuilt
/// without `make site`'s compression step, so the variant would serve old content.
fn stale_variant(file: &Path) -> bool {
    let name = file.to_string_lossy();
    let Some(base) = name.strip_suffix(".br").or_else(|| name.strip_suffix(".gz")) else { return false };
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let stale = matches!((modified(file), modified(Path::new(base))), (Some(variant), Some(source)) if variant < source);
    if stale {
        println!("cargo:warning={name} is older than {base}: not embedded (run `make site`)");
    }
    stale
}

/// Every regular file under `dir`, following no symlinks out of it.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            collect(&entry.path(), files);
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
}
