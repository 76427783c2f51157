//! `fanout`: K SSE subscribers, one poster at a fixed rate; per delivered event, the time from
//! send to receipt, and which events each subscriber missed or got twice.

use std::time::Duration;

use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::client::{self, Mode};
use crate::sse::{SseReader, find_u64};
use crate::{event, procfs, stats, target};

/// How long subscribers may take to receive the last events once posting has stopped.
const DRAIN: Duration = Duration::from_secs(5);
/// Between the last subscriber's answer head and the first post, so every one is listening.
const SETTLE: Duration = Duration::from_millis(300);

#[derive(Clone, Debug, clap::Args)]
pub struct FanoutArgs {
    #[arg(long)]
    pub post_url: String,
    #[arg(long)]
    pub stream_url: String,
    #[arg(long, default_value_t = 10)]
    pub subscribers: usize,
    /// Events per second.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long)]
    pub server_pid: Option<u32>,
}

struct Received {
    /// How many times each seq arrived.
    counts: Vec<u8>,
    latencies_us: Vec<u32>,
}

pub async fn run(a: &FanoutArgs) -> crate::Result<Value> {
    let post = target::parse(&a.post_url)?;
    let stream = target::parse(&a.stream_url)?;
    if !(0.5..=600.0).contains(&a.seconds)
        || !(1..=100_000).contains(&a.rate)
        || !(1..=10_000).contains(&a.subscribers)
    {
        return Err("--seconds must be 0.5..600, --rate 1..100000, --subscribers 1..10000".into());
    }
    let n = (f64::from(a.rate) * a.seconds).round() as usize;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (left_tx, left_rx) = watch::channel(a.subscribers);
    let left_tx = std::sync::Arc::new(left_tx);

    let mut readers = Vec::new();
    for _ in 0..a.subscribers {
        let res = client::open_stream(&stream).await?;
        let (mut stop, left) = (stop_rx.clone(), left_tx.clone());
        readers.push(tokio::spawn(async move {
            let mut got = Received { counts: vec![0; n], latencies_us: Vec::with_capacity(n) };
            let (mut sse, mut body, mut distinct) = (SseReader::default(), res.into_body(), 0);
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    frame = body.frame() => {
                        let Some(Ok(frame)) = frame else { break };
                        let Some(chunk) = frame.data_ref() else { continue };
                        let now = event::now_us();
                        sse.push(chunk, |data| {
                            let (Some(seq), Some(sent)) = (find_u64(data, "seq"), find_u64(data, "sent_us")) else { return };
                            let Some(count) = got.counts.get_mut(seq as usize) else { return };
                            if *count == 0 { distinct += 1; }
                            *count = count.saturating_add(1);
                            got.latencies_us.push(now.saturating_sub(sent).min(u64::from(u32::MAX)) as u32);
                        });
                        if distinct == n && n > 0 {
                            left.send_modify(|l| *l -= 1);
                            distinct += 1; // counted once
                        }
                    }
                }
            }
            got
        }));
    }
    sleep(SETTLE).await;

    let cpu0 = a.server_pid.map(procfs::cpu_ms).transpose()?;
    let prefix = event::run_prefix();
    let mut conn = client::connect(&post).await?;
    let (mut refused, mut errors) = (0u64, 0u64);
    let period = Duration::from_secs_f64(1.0 / f64::from(a.rate));
    let start = Instant::now();
    let posting = async {
        for seq in 0..n {
            sleep_until(start + period * seq as u32).await;
            match client::post_event(
                &mut conn,
                &post,
                Mode::Structured,
                &format!("{prefix}-{seq}"),
                seq as u64,
            )
            .await
            {
                Ok(s) if s.is_success() => {}
                Ok(_) => refused += 1,
                Err(_) => {
                    errors += 1;
                    conn = client::connect(&post).await?;
                }
            }
        }
        Ok::<_, String>(())
    };
    timeout(Duration::from_secs_f64(a.seconds) + Duration::from_secs(30), posting)
        .await
        .map_err(|_| "posting did not finish in time".to_owned())??;
    let mut left = left_rx;
    let _ = timeout(DRAIN, left.wait_for(|l| *l == 0)).await;
    let cpu1 = a.server_pid.map(procfs::cpu_ms).transpose()?;
    let _ = stop_tx.send(true);

    let (mut missing, mut duplicates, mut latencies) = (0u64, 0u64, Vec::new());
    for r in readers {
        let got = timeout(client::TIMEOUT, r)
            .await
            .map_err(|_| "a subscriber did not stop".to_owned())?
            .map_err(|e| e.to_string())?;
        missing += got.counts.iter().filter(|&&c| c == 0).count() as u64;
        duplicates += got.counts.iter().map(|&c| u64::from(c.saturating_sub(1))).sum::<u64>();
        latencies.extend(got.latencies_us);
    }
    latencies.sort_unstable();
    let p = |q| stats::ms(stats::percentile(&latencies, q));
    let (p50, p99, max) = (p(50.0), p(99.0), p(100.0));
    let cpu_ms = cpu0.zip(cpu1).map(|(c0, c1)| c1 - c0);
    eprintln!(
        "fanout {} subscribers at {}/s: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; missing {missing}, duplicates {duplicates} (of {n} x {}); post non-2xx {refused}, errors {errors}",
        a.subscribers, a.rate, a.subscribers
    );
    Ok(json!({
        "test": "fanout", "subscribers": a.subscribers, "rate": a.rate, "seconds": a.seconds, "events": n,
        "delivered": latencies.len(), "p50_ms": p50, "p99_ms": p99, "max_ms": max,
        "missing": missing, "duplicates": duplicates, "post_non_2xx": refused, "post_errors": errors,
        "server_cpu_ms": cpu_ms,
    }))
}
