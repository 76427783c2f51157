//! Server binary: parse the configuration, build the state, serve until Ctrl-C or SIGTERM.

use cloudevent_player::server::{self, config::Config};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::load();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    match server::serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("cloudevent-player: {err}");
            ExitCode::FAILURE
        }
    }
}
