//! `make bench`'s server-level figures: a load generator (`cep-load`) and a bare reference server
//! (`cep-bare`). DESIGN §8 states its bars as ratios to a server that only does POST -> broadcast ->
//! SSE, measured in the same run on the same machine, so the machine's speed cancels out.
//!
//! `sse`, `stats`, `procfs`, `target` and `event` are pure and unit-tested; `client`, `ingest`,
//! `fanout`, `idle` and `matrix` do the I/O; `report` puts the whole run's figures in one table.

pub mod client;
pub mod event;
pub mod fanout;
pub mod idle;
pub mod ingest;
pub mod matrix;
pub mod procfs;
pub mod report;
pub mod sse;
pub mod stats;
pub mod target;

/// How a phase that has overrun its bound is reported.
pub type Result<T> = std::result::Result<T, String>;
