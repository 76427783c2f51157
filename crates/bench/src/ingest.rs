//! `ingest`: closed-loop POST throughput over N keep-alive connections.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until, timeout};

use crate::client::{self, Mode};
use crate::{event, procfs, stats, target};

/// Requests in the first second are not counted: connections open and caches warm.
const WARMUP: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, clap::Args)]
pub struct IngestArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, value_enum, default_value = "binary")]
    pub mode: Mode,
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long)]
    pub server_pid: Option<u32>,
}

#[derive(Default)]
struct Tally {
    accepted: u64,
    refused: BTreeMap<u16, u64>,
    errors: u64,
    latencies_us: Vec<u32>,
}

pub async fn run(a: &IngestArgs) -> crate::Result<Value> {
    let t = target::parse(&a.url)?;
    if !(0.5..=600.0).contains(&a.seconds) || !(1..=4096).contains(&a.connections) {
        return Err("--seconds must be 0.5..600 and --connections 1..4096".into());
    }
    let prefix = event::run_prefix();
    let mut pre = client::connect(&t).await?;
    let status = client::post_event(&mut pre, &t, a.mode, &format!("{prefix}-pre"), 0).await?;
    if !status.is_success() {
        eprintln!("warning: the preflight POST to {} answered {status}", a.url);
    }
    drop(pre);

    let start = Instant::now() + WARMUP;
    let end = start + Duration::from_secs_f64(a.seconds);
    let mut tasks = Vec::new();
    for c in 0..a.connections {
        let (t, prefix, mode) = (t.clone(), prefix.clone(), a.mode);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut conn = None;
            let mut seq = 0u64;
            while Instant::now() < end {
                if conn.is_none() {
                    match client::connect(&t).await {
                        Ok(c) => conn = Some(c),
                        Err(_) => {
                            tally.errors += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    }
                }
                seq += 1;
                let id = format!("{prefix}-{c}-{seq}");
                let sent = Instant::now();
                let result = client::post_event(conn.as_mut().expect("connected"), &t, mode, &id, seq).await;
                let done = Instant::now();
                let counted = sent >= start && done <= end;
                match result {
                    Ok(s) if counted && s.is_success() => {
                        tally.accepted += 1;
                        tally.latencies_us.push((done - sent).as_micros().min(u32::MAX as u128) as u32);
                    }
                    Ok(s) if counted => *tally.refused.entry(s.as_u16()).or_default() += 1,
                    Ok(_) => {}
                    Err(_) => {
                        tally.errors += u64::from(counted);
                        conn = None;
                    }
                }
            }
            tally
        }));
    }
    sleep_until(start).await;
    let cpu0 = a.server_pid.map(procfs::cpu_ms).transpose()?;
    sleep_until(end).await;
    let cpu1 = a.server_pid.map(procfs::cpu_ms).transpose()?;

    let mut all = Tally::default();
    for task in tasks {
        let tally = timeout(client::TIMEOUT * 2, task)
            .await
            .map_err(|_| "a connection did not finish in time".to_owned())?
            .map_err(|e| e.to_string())?;
        all.accepted += tally.accepted;
        all.errors += tally.errors;
        all.latencies_us.extend(tally.latencies_us);
        for (s, n) in tally.refused {
            *all.refused.entry(s).or_default() += n;
        }
    }
    all.latencies_us.sort_unstable();
    let per_s = all.accepted as f64 / a.seconds;
    let cpu_ms = cpu0.zip(cpu1).map(|(c0, c1)| c1 - c0);
    let cpu_per_1k = cpu_ms.filter(|_| all.accepted > 0).map(|c| c * 1000.0 / all.accepted as f64);
    let (p50, p99) = (
        stats::ms(stats::percentile(&all.latencies_us, 50.0)),
        stats::ms(stats::percentile(&all.latencies_us, 99.0)),
    );
    eprintln!(
        "ingest {}: {per_s:.0} events/s accepted over {} connections, non-2xx {:?}, errors {}, p50 {p50:.2} ms, p99 {p99:.2} ms, server CPU {}",
        a.mode.name(),
        a.connections,
        all.refused,
        all.errors,
        cpu_per_1k.map_or("not measured".into(), |c| format!("{c:.1} ms per 1,000 events")),
    );
    let refused: serde_json::Map<String, Value> =
        all.refused.iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
    Ok(json!({
        "test": "ingest", "mode": a.mode.name(), "connections": a.connections, "seconds": a.seconds,
        "accepted": all.accepted, "events_per_s": per_s, "non_2xx": refused, "errors": all.errors,
        "p50_ms": p50, "p99_ms": p99, "server_cpu_ms": cpu_ms, "cpu_ms_per_1k": cpu_per_1k,
    }))
}
