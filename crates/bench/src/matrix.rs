//! `matrix`: the whole comparison in one run. Each measurement gets a fresh server on a free
//! loopback port, bare and player take turns, and each figure is the median over the repetitions,
//! so a noisy neighbour on a shared machine hits both servers alike.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep};

use crate::client::Mode;
use crate::fanout::{self, FanoutArgs};
use crate::idle::{self, IdleArgs};
use crate::ingest::{self, IngestArgs};
use crate::report::{self, Row};
use crate::{procfs, stats};

#[derive(Clone, Debug, clap::Args)]
pub struct MatrixArgs {
    #[arg(long)]
    pub player: PathBuf,
    #[arg(long)]
    pub bare: PathBuf,
    /// Repetitions per measurement (default 3, 1 with --quick).
    #[arg(long)]
    pub reps: Option<usize>,
    /// Short phases and 1,000 idle streams: a smoke run, not figures.
    #[arg(long)]
    pub quick: bool,
    /// Also appends the table's rows to this file, for `report`'s table of the whole run.
    #[arg(long)]
    pub rows: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bare,
    Player,
}

/// A server started for one measurement; killed when dropped, and by the kernel if this process
/// dies first (`PR_SET_PDEATHSIG`).
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    async fn start(kind: Kind, bin: &PathBuf) -> crate::Result<Server> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut cmd = Command::new(bin);
        cmd.arg("--listen").arg(addr.to_string());
        if kind == Kind::Player {
            cmd.args(["--history", "100000"]);
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe and touches only the child being started.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?;
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(addr).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("{} did not listen on {addr} in 15 s", bin.display()));
            }
            sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy)]
enum Test {
    Ingest(Mode),
    Fanout(usize),
    Idle(usize),
}

impl Test {
    fn name(self) -> String {
        match self {
            Test::Ingest(m) => format!("ingest {}, 32 conn", m.name()),
            Test::Fanout(k) => format!("fan-out {k} sub, 1,000/s"),
            Test::Idle(k) => format!("idle {k} streams"),
        }
    }
}

struct Durations {
    ingest: f64,
    fanout: f64,
}

async fn measure(test: Test, s: &Server, d: &Durations) -> crate::Result<Value> {
    let pid = Some(s.pid());
    match test {
        Test::Ingest(mode) => {
            let a = IngestArgs {
                url: s.url("/events"),
                mode,
                connections: 32,
                seconds: d.ingest,
                server_pid: pid,
            };
            ingest::run(&a).await
        }
        Test::Fanout(k) => {
            let a = FanoutArgs {
                post_url: s.url("/events"),
                stream_url: s.url("/stream"),
                subscribers: k,
                rate: 1000,
                seconds: d.fanout,
                server_pid: pid,
            };
            fanout::run(&a).await
        }
        Test::Idle(k) => {
            let a = IdleArgs { stream_url: s.url("/stream"), connections: k, hold: 2.0, server_pid: s.pid() };
            idle::run(&a).await
        }
    }
}

/// Per test and server, each figure's values over the repetitions.
type Samples = BTreeMap<(usize, &'static str), BTreeMap<&'static str, Vec<f64>>>;

pub async fn run(a: &MatrixArgs) -> crate::Result<String> {
    let reps = a.reps.unwrap_or(if a.quick { 1 } else { 3 }).clamp(1, 20);
    let d = if a.quick {
        Durations { ingest: 2.0, fanout: 2.0 }
    } else {
        Durations { ingest: 10.0, fanout: 10.0 }
    };
    let idle_streams = if a.quick { 1_000 } else { 10_000 };
    let limit = procfs::raise_nofile();
    let mut notes = Vec::new();
    let mut tests = vec![
        Test::Ingest(Mode::Binary),
        Test::Ingest(Mode::Structured),
        Test::Fanout(1),
        Test::Fanout(10),
        Test::Fanout(100),
    ];
    // Both ends of every stream are on this machine: this process holds one file per stream.
    if limit as usize >= idle_streams + 256 {
        tests.push(Test::Idle(idle_streams));
    } else {
        notes.push(format!(
            "idle skipped: {idle_streams} streams need more than the open-files limit of {limit}"
        ));
    }

    let mut samples = Samples::new();
    for rep in 0..reps {
        for (i, &test) in tests.iter().enumerate() {
            let order =
                if (rep + i) % 2 == 0 { [Kind::Bare, Kind::Player] } else { [Kind::Player, Kind::Bare] };
            for kind in order {
                let (label, bin) = match kind {
                    Kind::Bare => ("bare", &a.bare),
                    Kind::Player => ("player", &a.player),
                };
                eprint!("[{}/{reps}] {label}: ", rep + 1);
                let server = Server::start(kind, bin).await?;
                let v = measure(test, &server, &d)
                    .await
                    .map_err(|e| format!("{} against {label}: {e}", test.name()))?;
                drop(server);
                let figures = samples.entry((i, label)).or_default();
                for key in [
                    "events_per_s",
                    "cpu_ms_per_1k",
                    "p99_ms",
                    "missing",
                    "duplicates",
                    "bytes_per_stream",
                    "given_back_pct",
                ] {
                    if let Some(x) = v.get(key).and_then(Value::as_f64) {
                        figures.entry(key).or_default().push(x);
                    }
                }
                for key in ["non_2xx", "post_non_2xx"] {
                    if v.get(key).is_some_and(|n| {
                        n.as_u64().is_some_and(|n| n > 0) || n.as_object().is_some_and(|o| !o.is_empty())
                    }) {
                        notes.push(format!("{} against {label}: {key} {}", test.name(), v[key]));
                    }
                }
            }
        }
    }
    let rows = rows(&tests, &samples);
    if let Some(path) = &a.rows {
        report::append_rows(path, &rows)?;
    }
    let mut out = format!(
        "Medians over {reps} run(s), fresh server per measurement; the baseline is the bare server.\n\n"
    );
    out.push_str(&report::table(&rows));
    for n in &notes {
        out.push_str(&format!("\nnote: {n}"));
    }
    Ok(out)
}

fn figure(
    samples: &Samples,
    i: usize,
    label: &'static str,
    key: &str,
    pick: fn(&[f64]) -> Option<f64>,
) -> f64 {
    samples.get(&(i, label)).and_then(|f| f.get(key)).and_then(|v| pick(v)).unwrap_or(f64::NAN)
}

fn worst(v: &[f64]) -> Option<f64> {
    v.iter().copied().reduce(f64::max)
}

fn rows(tests: &[Test], samples: &Samples) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, &test) in tests.iter().enumerate() {
        let name = test.name();
        let mut row =
            |what: &str, unit: &str, (bare, player): (f64, f64), bar: &str, met: fn(f64, f64) -> bool| {
                rows.push(Row {
                    part: "server".into(),
                    test: format!("{name}: {what}"),
                    unit: unit.into(),
                    baseline: Some(bare),
                    value: player,
                    bar: bar.into(),
                    met: Some(met(bare, player)),
                });
            };
        let med = |key| {
            let m = |label| figure(samples, i, label, key, stats::median);
            (m("bare"), m("player"))
        };
        match test {
            Test::Ingest(_) => {
                row("events/s", "events/s", med("events_per_s"), ">= 0.5x", |b, p| p / b >= 0.5);
                row("CPU per 1k events", "ms", med("cpu_ms_per_1k"), "<= 2x", |b, p| p / b <= 2.0);
            }
            Test::Fanout(_) => {
                let p99 = |b, p| p <= 50.0 && p / b <= 1.5;
                row("p99 POST to receipt", "ms", med("p99_ms"), "<= 50 ms, <= 1.5x", p99);
                let lost = |label| {
                    figure(samples, i, label, "missing", worst)
                        + figure(samples, i, label, "duplicates", worst)
                };
                let none = |_, p| p == 0.0;
                row("missing + duplicate (worst)", "events", (lost("bare"), lost("player")), "0", none);
            }
            Test::Idle(_) => {
                row("memory per stream", "bytes", med("bytes_per_stream"), "<= 1.0x", |b, p| p / b <= 1.0);
                row("given back on close", "%", med("given_back_pct"), ">= 50%", |_, p| p >= 50.0);
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(pairs: &[(usize, &'static str, &'static str, &[f64])]) -> Samples {
        let mut s = Samples::new();
        for &(i, label, key, v) in pairs {
            s.entry((i, label)).or_default().insert(key, v.to_vec());
        }
        s
    }

    #[test]
    fn verdicts_follow_the_bars() {
        let tests = [Test::Ingest(Mode::Binary), Test::Fanout(100), Test::Idle(10)];
        let s = samples(&[
            (0, "bare", "events_per_s", &[1000.0, 900.0, 1100.0]),
            (0, "player", "events_per_s", &[400.0, 600.0, 500.0]),
            (0, "bare", "cpu_ms_per_1k", &[10.0]),
            (0, "player", "cpu_ms_per_1k", &[21.0]),
            (1, "bare", "p99_ms", &[2.0]),
            (1, "player", "p99_ms", &[3.0]),
            (1, "bare", "missing", &[0.0]),
            (1, "player", "missing", &[0.0, 2.0, 0.0]),
            (2, "bare", "bytes_per_stream", &[1000.0]),
            (2, "player", "bytes_per_stream", &[900.0]),
            (2, "player", "given_back_pct", &[40.0]),
        ]);
        let met: Vec<bool> = rows(&tests, &s).iter().map(|r| r.met == Some(true)).collect();
        // 0.5x events/s holds, 2.1x CPU does not; p99 1.5x holds, one lossy run fails the row;
        // less memory per stream holds, 40% given back does not.
        assert_eq!(met, [true, false, true, false, true, false]);
    }
}
