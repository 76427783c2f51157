//! Embeds the built site (`site-root` of `Leptos.toml`: WASM, JS, CSS, icons and the `.br`/`.gz`
//! variants `make site` writes beside them) into the server, so the release binary needs no
//! other file. A site not built yet embeds nothing: the server then reads it from disk at start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Leptos.toml");
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

/// `site-root` under `[package.metadata.leptos]`, the table leptos_config reads at run time too.
fn site_root(leptos_toml: &Path) -> String {
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
