//! Leptos components. They render state and forward intent; decisions are calls into `core`.

pub mod connection_light;
pub mod copy_button;
pub mod deliveries;
pub mod detail;
pub mod empty_state;
pub mod event_list;
pub mod filter_bar;
pub mod header;
pub mod player;
pub mod rejected;
pub mod rules;
pub mod send_form;
pub mod shortcuts;
pub mod timeline;
pub mod trigger;
