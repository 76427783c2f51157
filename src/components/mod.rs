//! Leptos components. They render state and forward intent; decisions are calls into `core`.

pub mod empty_state;
pub mod header;
