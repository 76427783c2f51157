//! Pure logic shared by the server and the browser. No I/O, no leptos, axum, tokio or web-sys:
//! plain inputs in, values or typed errors out, unit-tested on the host.

pub mod batch;
pub mod cloudevent;
pub mod compose;
pub mod connection;
pub mod curl;
pub mod data_view;
pub mod envelope;
pub mod expression;
pub mod filter;
pub mod glob;
pub mod id;
pub mod lab;
pub mod marks;
pub mod protocol;
pub mod rejection;
pub mod shortcuts;
pub mod sse;
pub mod timeline;
pub mod trigger;
pub mod view;
pub mod viewport;
