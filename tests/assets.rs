//! Static files: `Accept-Encoding` negotiation over the precompressed variants, `ETag` and 304,
//! cache headers, and the content-hashed names the page links. The site is a temporary directory
//! written here, so the tests need no `make site`.
#![cfg(feature = "ssr")]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use cloudevent_player::server::{assets::Assets, router};
use common::Reply;
use std::io::{Read, Write};
use std::path::PathBuf;

const WASM: &str = "/pkg/cloudevent-player.wasm";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A site like `make site` writes: pkg files with `.br`/`.gz` variants, and a favicon.
struct Site {
    root: PathBuf,
    wasm: Vec<u8>,
}

impl Site {
    fn new(test: &str, wasm_fill: u8) -> Self {
        let root = std::env::temp_dir().join(format!("cep-assets-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let wasm: Vec<u8> =
            b"\0asm\x01\0\0\0".iter().copied().chain(std::iter::repeat_n(wasm_fill, 4000)).collect();
        let js = b"export default function init() {}\n".repeat(50);
        let css = b"body { margin: 0 }\n".repeat(50);
        for (name, body) in [
            ("pkg/cloudevent-player.wasm", &wasm[..]),
            ("pkg/cloudevent-player.js", &js[..]),
            ("pkg/cloudevent-player.css", &css[..]),
        ] {
            std::fs::write(root.join(name), body).unwrap();
            std::fs::write(root.join(format!("{name}.br")), brotli(body)).unwrap();
            std::fs::write(root.join(format!("{name}.gz")), gzip(body)).unwrap();
        }
        std::fs::write(root.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
        Self { root, wasm }
    }

    fn app(&self) -> Router {
        router(common::state(&[]).with_assets(Assets::from_dir(&self.root, "pkg")))
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    writer.write_all(data).unwrap();
    drop(writer);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(data, 4096).read_to_end(&mut out).unwrap();
    out
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

async fn fetch(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    common::send(app, request.body(Body::empty()).unwrap()).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// The representation's headers every 200 carries.
fn assert_representation(reply: &Reply, encoding: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(header(reply, "content-encoding"), encoding);
    assert_eq!(header(reply, "vary"), "Accept-Encoding");
    assert_eq!(header(reply, "content-type"), "application/wasm");
    assert_eq!(header(reply, "content-length"), reply.body.len().to_string());
    assert!(header(reply, "etag").starts_with('"'), "{:?}", reply.headers);
}

#[tokio::test]
async fn sends_the_variant_accept_encoding_prefers() {
    let site = Site::new("prefers", b'a');
    let app = site.app();

    let br = fetch(&app, Method::GET, WASM, &[("accept-encoding", "gzip, deflate, br, zstd")]).await;
    assert_representation(&br, "br");
    assert_eq!(unbrotli(&br.body), site.wasm);

    let gz = fetch(&app, Method::GET, WASM, &[("accept-encoding", "gzip, deflate")]).await;
    assert_representation(&gz, "gzip");
    assert_eq!(gunzip(&gz.body), site.wasm);

    let plain = fetch(&app, Method::GET, WASM, &[]).await;
    assert_representation(&plain, "");
    assert_eq!(plain.body, site.wasm);

    let unknown = fetch(&app, Method::GET, WASM, &[("accept-encoding", "zstd")]).await;
    assert_representation(&unknown, "");
    assert_eq!(unknown.body, site.wasm);

    let etags = [header(&br, "etag"), header(&gz, "etag"), header(&plain, "etag")];
    assert!(
        etags[0] != etags[1] && etags[1] != etags[2] && etags[0] != etags[2],
        "one ETag per encoding: {etags:?}"
    );
}

#[tokio::test]
async fn follows_q_values_and_refusals() {
    let site = Site::new("q-values", b'b');
    let app = site.app();
    for (accept, encoding) in [
        ("br;q=0.2, gzip;q=0.8", "gzip"),
        ("br;q=1.0, gzip;q=0.8", "br"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("br;q=0.5, identity", ""),
        ("BR", "br"),
    ] {
        let reply = fetch(&app, Method::GET, WASM, &[("accept-encoding", accept)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert_eq!(header(&reply, "content-encoding"), encoding, "Accept-Encoding: {accept}");
    }
    let refused = fetch(&app, Method::GET, WASM, &[("accept-encoding", "identity;q=0, *;q=0")]).await;
    refused.error(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
    assert_eq!(header(&refused, "vary"), "Accept-Encoding");
}

#[tokio::test]
async fn if_none_match_answers_304_for_the_same_representation() {
    let site = Site::new("etag", b'c');
    let app = site.app();
    let first = fetch(&app, Method::GET, WASM, &[("accept-encoding", "br")]).await;
    let etag = header(&first, "etag").to_owned();

    let again = fetch(&app, Method::GET, WASM, &[("accept-encoding", "br"), ("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(header(&again, "vary"), "Accept-Encoding");
    assert_eq!(header(&again, "cache-control"), "no-cache");

    let weak = format!("\"stale\", W/{etag}");
    let listed = fetch(&app, Method::GET, WASM, &[("accept-encoding", "br"), ("if-none-match", &weak)]).await;
    assert_eq!(listed.status, StatusCode::NOT_MODIFIED, "a list, weak comparison");

    let other =
        fetch(&app, Method::GET, WASM, &[("accept-encoding", "gzip"), ("if-none-match", &etag)]).await;
    assert_eq!(other.status, StatusCode::OK, "the gzip variant is another representation");
    assert_eq!(header(&other, "content-encoding"), "gzip");

    let changed = Site::new("etag-changed", b'd');
    let stale =
        fetch(&changed.app(), Method::GET, WASM, &[("accept-encoding", "br"), ("if-none-match", &etag)])
            .await;
    assert_eq!(stale.status, StatusCode::OK, "new content, new ETag");
}

#[tokio::test]
async fn the_page_links_content_hashed_names_served_immutable() {
    let site = Site::new("versioned", b'e');
    let app = site.app();
    let page = fetch(&app, Method::GET, "/", &[("accept", "text/html")]).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let css =
        html.split("href=\"").map(|s| s.split('"').next().unwrap()).find(|h| h.ends_with(".css")).unwrap();
    let version = css.strip_prefix("/pkg/").and_then(|s| s.strip_suffix("/cloudevent-player.css")).unwrap();
    assert_eq!(version.len(), 16, "{css}");
    for ext in ["js", "wasm", "css"] {
        let path = format!("/pkg/{version}/cloudevent-player.{ext}");
        assert!(html.contains(&path) || ext == "css", "the page loads {path}: {html}");
        let reply = fetch(&app, Method::GET, &path, &[("accept-encoding", "br")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(header(&reply, "cache-control"), IMMUTABLE, "{path}");
        assert_eq!(header(&reply, "content-encoding"), "br", "{path}");
    }
    let plain = fetch(&app, Method::GET, WASM, &[]).await;
    assert_eq!(header(&plain, "cache-control"), "no-cache", "an unversioned name is revalidated");
    let favicon = fetch(&app, Method::GET, "/favicon.svg", &[]).await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(header(&favicon, "content-type"), "image/svg+xml");
    assert_eq!(header(&favicon, "cache-control"), "no-cache");
    assert!(header(&favicon, "etag").starts_with('"'));

    let other = Site::new("versioned-other", b'f');
    let other_version = Assets::from_dir(&other.root, "pkg").version().unwrap().to_owned();
    assert_ne!(other_version, version, "another build, other names");
    let wrong = fetch(&app, Method::GET, &format!("/pkg/{other_version}/cloudevent-player.wasm"), &[]).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND, "only this build's version is served");
}

#[tokio::test]
async fn head_has_the_headers_and_other_methods_are_405() {
    let site = Site::new("methods", b'g');
    let app = site.app();
    let head = fetch(&app, Method::HEAD, WASM, &[("accept-encoding", "gzip")]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(header(&head, "content-encoding"), "gzip");
    assert_eq!(header(&head, "content-length"), gzip(&site.wasm).len().to_string());

    let post = fetch(&app, Method::POST, WASM, &[]).await;
    post.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(header(&post, "allow"), "GET, HEAD");
}

#[tokio::test]
async fn variants_and_unknown_files_are_not_served_by_name() {
    let site = Site::new("unknown", b'h');
    let app = site.app();
    for path in
        ["/pkg/cloudevent-player.wasm.br", "/pkg/cloudevent-player.wasm.gz", "/pkg/nothing.js", "/pkg/"]
    {
        let reply = fetch(&app, Method::GET, path, &[("accept", "text/html")]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.text().contains("<html"), "{path}: the app's 404 page");
    }
}
