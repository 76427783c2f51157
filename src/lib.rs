//! CloudEvent Player: accepts CloudEvents over HTTP and shows them live in the browser.
//!
//! - [`core`]: pure logic (ids, validation, SSE framing, filters), compiled for host and wasm32.
//! - `server` (feature `ssr`): the axum shell: config, ingest, event log, stream, JSON API.
//! - [`client`]: browser hooks; real under `hydrate`, inert stubs on the server.
//! - [`app`] and [`components`]: the Leptos UI, rendered on the server and hydrated in the browser.

#![recursion_limit = "256"]

pub mod app;
pub mod client;
pub mod components;
pub mod core;
#[cfg(feature = "ssr")]
pub mod server;

/// WASM entry point: attaches the UI to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
