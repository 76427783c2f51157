//! `idle`: the server's memory with K open, quiet streams, and what it gives back when they close.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::time::{sleep, timeout};

use crate::{client, procfs, target};

/// Between a change (all open, all closed) and the memory reading, so the server has settled.
const SETTLE: Duration = Duration::from_secs(2);
/// Connections being opened at once: more overflows the listen backlog and times out.
const OPENING: usize = 256;

#[derive(Clone, Debug, clap::Args)]
pub struct IdleArgs {
    #[arg(long)]
    pub stream_url: String,
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Seconds the streams stay open (at least the 2 s before the reading).
    #[arg(long, default_value_t = 2.0)]
    pub hold: f64,
    #[arg(long)]
    pub server_pid: u32,
}

pub async fn run(a: &IdleArgs) -> crate::Result<Value> {
    let t = target::parse(&a.stream_url)?;
    if !(0.0..=3600.0).contains(&a.hold) || !(1..=100_000).contains(&a.connections) {
        return Err("--hold must be 0..3600 and --connections 1..100000".into());
    }
    let limit = procfs::raise_nofile();
    if (limit as usize) < a.connections + 64 {
        return Err(format!("{} streams need more open files than the limit of {limit}", a.connections));
    }
    let pid = a.server_pid;
    let before = procfs::rss(pid)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(OPENING));
    let mut opening = Vec::with_capacity(a.connections);
    for _ in 0..a.connections {
        let (t, gate, mut stop) = (t.clone(), gate.clone(), stop_rx.clone());
        opening.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            let res = client::open_stream(&t).await?;
            drop(permit);
            // Held open, reading whatever comes (pings), until told to close.
            Ok::<_, String>(tokio::spawn(async move {
                let mut body = res.into_body();
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        f = body.frame() => if !matches!(f, Some(Ok(_))) { break },
                    }
                }
            }))
        }));
    }
    let mut held = Vec::with_capacity(a.connections);
    let mut failed = 0usize;
    let all_open = async {
        for o in opening {
            match o.await {
                Ok(Ok(h)) => held.push(h),
                _ => failed += 1,
            }
        }
    };
    timeout(Duration::from_secs(120), all_open)
        .await
        .map_err(|_| "the streams did not open in 120 s".to_owned())?;
    if held.is_empty() {
        return Err("no stream opened".into());
    }
    sleep(SETTLE).await;
    let with = procfs::rss(pid)?;
    sleep(Duration::from_secs_f64((a.hold - SETTLE.as_secs_f64()).max(0.0))).await;
    let _ = stop_tx.send(true);
    let closing = async {
        for h in held.iter_mut() {
            let _ = h.await;
        }
    };
    timeout(Duration::from_secs(30), closing)
        .await
        .map_err(|_| "the streams did not close in 30 s".to_owned())?;
    sleep(SETTLE).await;
    let after = procfs::rss(pid)?;

    let open = held.len();
    let grew = with.saturating_sub(before);
    let per_stream = grew as f64 / open as f64;
    let given_back = with.saturating_sub(after);
    let given_back_pct = if grew > 0 { 100.0 * given_back as f64 / grew as f64 } else { 100.0 };
    eprintln!(
        "idle {open} streams ({failed} failed): RSS {:.1} MiB -> {:.1} MiB open ({per_stream:.0} B per stream) -> {:.1} MiB closed ({given_back_pct:.0}% given back)",
        before as f64 / 1048576.0,
        with as f64 / 1048576.0,
        after as f64 / 1048576.0
    );
    Ok(json!({
        "test": "idle", "connections": a.connections, "opened": open, "failed": failed,
        "rss_before": before, "rss_open": with, "rss_closed": after,
        "bytes_per_stream": per_stream, "given_back": given_back, "given_back_pct": given_back_pct,
    }))
}
