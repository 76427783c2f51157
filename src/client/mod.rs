//! Browser hooks. Each one has its real body under `hydrate` and an inert stub on the server, so
//! components build for both targets. Policy lives in `core`; hooks only move bytes and events.

pub mod api;
pub mod batcher;
pub mod dom;
pub mod flight;
pub mod keyed;
pub mod session;
pub mod store;
pub mod stream;
pub mod tabs;
pub mod theme;
pub mod ui;
