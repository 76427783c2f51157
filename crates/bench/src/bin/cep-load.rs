//! Load generator for CloudEvent servers on loopback: `ingest`, `fanout`, `idle` print one JSON
//! line on stdout and a summary on stderr; `matrix` compares the player with the bare server;
//! `report` prints the table of a whole `make bench` run.

use std::process::ExitCode;

use cep_bench::{fanout, idle, ingest, matrix, report};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Load generator for CloudEvent servers (loopback URLs only)")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Closed-loop POST throughput over keep-alive connections.
    Ingest(ingest::IngestArgs),
    /// SSE subscribers and one poster at a fixed rate: latency, loss, duplicates.
    Fanout(fanout::FanoutArgs),
    /// Server memory with many idle streams open, and after they close.
    Idle(idle::IdleArgs),
    /// Starts the player and the bare server itself and prints the comparison table.
    Matrix(matrix::MatrixArgs),
    /// One table of a whole `make bench` run: rows the parts wrote, criterion's figures, the page.
    Report(report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    // The future runs on this thread, so servers `matrix` starts die with it (PR_SET_PDEATHSIG).
    let result = rt.block_on(async {
        tokio::select! {
            r = async {
                match &cli.command {
                    Cmd::Ingest(a) => ingest::run(a).await.map(|v| v.to_string()),
                    Cmd::Fanout(a) => fanout::run(a).await.map(|v| v.to_string()),
                    Cmd::Idle(a) => idle::run(a).await.map(|v| v.to_string()),
                    Cmd::Matrix(a) => matrix::run(a).await,
                    Cmd::Report(a) => report::run(a),
                }
            } => r,
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        }
    });
    rt.shutdown_background();
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cep-load: {e}");
            ExitCode::FAILURE
        }
    }
}
