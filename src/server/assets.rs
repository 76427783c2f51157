//! The site's static files (WASM, JS, CSS, icons): embedded in the binary at build time, or read
//! from the site directory at start when the build had none, and served with the precompressed
//! variant the client accepts and cache headers. Pages are Leptos's, not this module's.

use crate::server::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// What the build embedded: `(path under the site root, bytes)`, `.br`/`.gz` variants included.
/// Empty when the site was not built before the server (`cargo test` before `make site`).
static EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/site.rs"));

/// A versioned URL's content never changes, so browsers keep it for a year without asking.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unversioned files (the favicon, a pkg file by its plain name) are revalidated by `ETag`.
const REVALIDATE: &str = "no-cache";

/// A content coding this server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The `Content-Encoding` value and the file suffix of its precompressed variant.
    fn token(self) -> Option<(&'static str, &'static str)> {
        match self {
            Coding::Brotli => Some(("br", ".br")),
            Coding::Gzip => Some(("gzip", ".gz")),
            Coding::Identity => None,
        }
    }
}

/// Picks the coding to send from `Accept-Encoding` (RFC 9110 §12.5.3) among those `available`
/// (identity is always available). The highest q-value wins; on a tie brotli, then gzip, then
/// identity. Without the header, or with nothing else acceptable, identity, unless the client
/// refused it (`identity;q=0`, or `*;q=0` without an `identity` entry): then `None` (406).
pub fn negotiate(accept_encoding: Option<&str>, available: &[Coding]) -> Option<Coding> {
    let Some(accept) = accept_encoding else { return Some(Coding::Identity) };
    let mut star = None;
    let (mut br, mut gzip, mut identity) = (None, None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = Some(1.0_f32);
        for param in parts {
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("q")
            {
                q = value.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q));
            }
        }
        // A malformed q-value makes its entry say nothing rather than guess.
        let Some(q) = q else { continue };
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "identity" => identity = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let offered = |q: Option<f32>| q.or(star).unwrap_or(0.0);
    // Identity is acceptable unless refused, but ranks below any coding the client named.
    let identity = identity.or(star).unwrap_or(f32::MIN_POSITIVE);
    let mut best: Option<(Coding, f32)> = None;
    for (coding, q) in
        [(Coding::Brotli, offered(br)), (Coding::Gzip, offered(gzip)), (Coding::Identity, identity)]
    {
        if q > 0.0 && available_or_identity(available, coding) && best.is_none_or(|(_, top)| q > top) {
            best = Some((coding, q));
        }
    }
    best.map(|(coding, _)| coding)
}

fn available_or_identity(available: &[Coding], coding: Coding) -> bool {
    coding == Coding::Identity || available.contains(&coding)
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2), or is `*`.
fn none_match(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// One encoding of a file.
#[derive(Debug)]
struct Variant {
    body: Bytes,
    etag: HeaderValue,
}

/// A file and its precompressed variants.
#[derive(Debug)]
struct Asset {
    content_type: HeaderValue,
    cache_control: &'static str,
    identity: Variant,
    brotli: Option<Variant>,
    gzip: Option<Variant>,
}

impl Asset {
    fn variant(&self, coding: Coding) -> &Variant {
        match coding {
            Coding::Brotli => self.brotli.as_ref().unwrap_or(&self.identity),
            Coding::Gzip => self.gzip.as_ref().unwrap_or(&self.identity),
            Coding::Identity => &self.identity,
        }
    }

    fn available(&self) -> Vec<Coding> {
        let mut codings = vec![Coding::Identity];
        codings.extend(self.brotli.is_some().then_some(Coding::Brotli));
        codings.extend(self.gzip.is_some().then_some(Coding::Gzip));
        codings
    }
}

/// The site's files by URL path, each under its plain name and, for the files of the pkg
/// directory (WASM and its chunks, JS glue and split loader, CSS), also under a directory named
/// by the bundle's content hash (`pkg/<hash>/cloudevent-player.js`).
#[derive(Debug, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
    version: Option<String>,
}

impl Assets {
    /// The embedded site, or, when the build embedded none, the one under `site_root` on disk
    /// (relative to the working directory), read once now.
    pub fn load(site_root: &str, pkg_dir: &str) -> Self {
        if EMBEDDED.is_empty() {
            let assets = Self::from_dir(site_root, pkg_dir);
            if assets.files.is_empty() {
                tracing::warn!(
                    "no site embedded and none under {site_root}: the page will load without its script \
                     (run `make site`, then build the server)"
                );
            } else {
                tracing::info!("serving the site from {site_root} (none embedded)");
            }
            assets
        } else {
            Self::from_files(
                EMBEDDED.iter().map(|(name, bytes)| ((*name).to_owned(), Bytes::from_static(bytes))),
                pkg_dir,
            )
        }
    }

    /// Every file under `root`; `.br` and `.gz` files beside another file are its variants.
    pub fn from_dir(root: impl AsRef<Path>, pkg_dir: &str) -> Self {
        let mut files = Vec::new();
        read_dir(root.as_ref(), "", &mut files);
        Self::from_files(files, pkg_dir)
    }

    fn from_files(files: impl IntoIterator<Item = (String, Bytes)>, pkg_dir: &str) -> Self {
        let mut all: HashMap<String, Bytes> = files.into_iter().collect();
        let variant_of = |name: &str, suffix: &str, all: &HashMap<String, Bytes>| {
            name.strip_suffix(suffix).is_some_and(|base| all.contains_key(base))
        };
        let names: Vec<String> = all
            .keys()
            .filter(|n| !variant_of(n, ".br", &all) && !variant_of(n, ".gz", &all))
            .cloned()
            .collect();
        let pkg_prefix = format!("{}/", pkg_dir.trim_matches('/'));
        let is_versioned =
            |name: &str| name.strip_prefix(&pkg_prefix).is_some_and(|rest| !rest.contains('/'));

        // One hash over the pkg files: the WASM, its JS glue and the CSS change together.
        let mut versioned: Vec<&String> = names.iter().filter(|n| is_versioned(n)).collect();
        versioned.sort();
        let version = (!versioned.is_empty()).then(|| {
            let mut hasher = Sha256::new();
            for name in &versioned {
                hasher.update(name.as_bytes());
                hasher.update([0]);
                hasher.update(&all[*name]);
            }
            hex16(&hasher.finalize())
        });

        let mut served = HashMap::new();
        for name in names {
            let body = all.remove(&name).expect("listed above");
            let hash = hex16(&Sha256::digest(&body));
            let variant = |suffix: &str, all: &mut HashMap<String, Bytes>| {
                all.remove(&format!("{name}{suffix}")).map(|body| Variant {
                    body,
                    etag: HeaderValue::from_str(&format!("\"{hash}{suffix}\"")).expect("hex and a dot"),
                })
            };
            let brotli = variant(".br", &mut all);
            let gzip = variant(".gz", &mut all);
            let content_type = mime_guess::from_path(&name).first_or_octet_stream();
            let asset = |cache_control| Asset {
                content_type: HeaderValue::from_str(content_type.as_ref())
                    .expect("a MIME type is a header value"),
                cache_control,
                identity: Variant {
                    body: body.clone(),
                    etag: HeaderValue::from_str(&format!("\"{hash}\"")).expect("hex"),
                },
                brotli: brotli.as_ref().map(|v| Variant { body: v.body.clone(), etag: v.etag.clone() }),
                gzip: gzip.as_ref().map(|v| Variant { body: v.body.clone(), etag: v.etag.clone() }),
            };
            // The version is a directory, not part of the file name: the glue, the split loader
            // and the lazily loaded chunks find each other by relative URLs, so they resolve
            // within one version, and the loader imports the very glue module the page loaded.
            if let Some(version) = version.as_ref().filter(|_| is_versioned(&name))
                && let Some(file) = name.strip_prefix(&pkg_prefix)
            {
                served.insert(format!("{pkg_prefix}{version}/{file}"), asset(IMMUTABLE));
            }
            served.insert(name, asset(REVALIDATE));
        }
        Self { files: served, version }
    }

    /// The content hash the pkg files' versioned names carry; `None` without pkg files.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The answer for `path` if it names a file: the variant `Accept-Encoding` prefers, `304`
    /// when `If-None-Match` names it, `405` for methods other than GET and HEAD, and `406` when the
    /// client refuses every coding there is. `None` for paths that are not files.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        let asset = self.files.get(path.strip_prefix('/')?)?;
        if method != Method::GET && method != Method::HEAD {
            let mut response = ApiError::MethodNotAllowed.into_response();
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Some(response);
        }
        let accept = headers.get(header::ACCEPT_ENCODING).map(|v| v.to_str().unwrap_or(""));
        let Some(coding) = negotiate(accept, &asset.available()) else {
            let error = ApiError::NotAcceptable(format!(
                "no acceptable Content-Encoding; this file is available as {}",
                asset
                    .available()
                    .iter()
                    .map(|c| c.token().map_or("identity", |t| t.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let mut response = error.into_response();
            response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            return Some(response);
        };
        let variant = asset.variant(coding);
        let mut response_headers = HeaderMap::new();
        response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        response_headers.insert(header::ETAG, variant.etag.clone());
        response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(asset.cache_control));
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| none_match(tags, variant.etag.to_str().unwrap_or("")));
        if not_modified {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            response.headers_mut().extend(response_headers);
            return Some(response);
        }
        response_headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
        if let Some((token, _)) = coding.token() {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(variant.body.len()));
        let body = if method == Method::HEAD { Body::empty() } else { Body::from(variant.body.clone()) };
        let mut response = Response::new(body);
        *response.headers_mut() = response_headers;
        Some(response)
    }
}

/// Lower-case hex of the first 8 bytes: enough to tell builds apart in a URL or an `ETag`.
fn hex16(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn read_dir(dir: &Path, prefix: &str, files: &mut Vec<(String, Bytes)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            read_dir(&entry.path(), &format!("{name}/"), files);
        } else if !stale_variant(&entry.path())
            && let Ok(bytes) = std::fs::read(entry.path())
        {
            files.push((name, Bytes::from(bytes)));
        }
    }
}

/// A `.br`/`.gz` file older than the file it compresses (the site was rebuilt without `make
/// site`'s compression step): skipped, so no encoding serves old content.
fn stale_variant(path: &Path) -> bool {
    let name = path.to_string_lossy();
    let Some(base) = name.strip_suffix(".br").or_else(|| name.strip_suffix(".gz")) else { return false };
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let stale = matches!((modified(path), modified(Path::new(base))), (Some(variant), Some(source)) if variant < source);
    if stale {
        tracing::warn!("{name} is older than {base}: not served");
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use Coding::{Brotli, Gzip, Identity};

    const ALL: &[Coding] = &[Identity, Brotli, Gzip];

    #[test]
    fn prefers_brotli_then_gzip_at_equal_q() {
        assert_eq!(negotiate(Some("gzip, deflate, br, zstd"), ALL), Some(Brotli));
        assert_eq!(negotiate(Some("gzip, deflate"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("x-gzip"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("BR"), ALL), Some(Brotli));
        assert_eq!(negotiate(Some("br"), &[Identity, Gzip]), Some(Identity));
    }

    #[test]
    fn follows_q_values() {
        assert_eq!(negotiate(Some("br;q=0.5, gzip;q=0.8"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("br;q=0, gzip"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("br ; q=0.9 , gzip ; q=0.1"), ALL), Some(Brotli));
        assert_eq!(negotiate(Some("*;q=0.5, gzip;q=0.9"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("*"), ALL), Some(Brotli));
        assert_eq!(negotiate(Some("br;q=0.4, identity;q=0.6"), ALL), Some(Identity));
    }

    #[test]
    fn falls_back_to_identity_unless_refused() {
        assert_eq!(negotiate(None, ALL), Some(Identity));
        assert_eq!(negotiate(Some(""), ALL), Some(Identity));
        assert_eq!(negotiate(Some("deflate, zstd"), ALL), Some(Identity));
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0"), ALL), Some(Identity));
        assert_eq!(negotiate(Some("br;q=abc"), ALL), Some(Identity), "a malformed q says nothing");
        assert_eq!(negotiate(Some("identity;q=0, gzip"), ALL), Some(Gzip));
        assert_eq!(negotiate(Some("identity;q=0"), ALL), None);
        assert_eq!(negotiate(Some("*;q=0"), ALL), None);
        assert_eq!(negotiate(Some("*;q=0, identity"), ALL), Some(Identity));
        assert_eq!(negotiate(Some("identity;q=0, br"), &[Identity]), None);
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abc.br\"", "\"abc\""));
    }
}
