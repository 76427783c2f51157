//! Command-line flags and `CEP_*` environment variables (DESIGN §7). Parsed once in `main`;
//! nothing reads the environment later. Tests build it with `Config::try_parse_from`.

use crate::server::event_log::redis::DEFAULT_STREAM;
use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;

/// CloudEvent Player: accepts CloudEvents over HTTP and streams them to browser tabs.
#[derive(Debug, Clone, Parser)]
#[command(name = "cloudevent-player", version, about)]
pub struct Config {
    /// Address to listen on. Defaults to `site-addr` in Leptos.toml (127.0.0.1:8080).
    #[arg(long, env = "CEP_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Events kept in the history; the oldest go first.
    #[arg(long, env = "CEP_HISTORY", value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub history: u64,

    /// Interval between `ping` frames on /stream, e.g. `30s`, `500ms`, `2m`.
    #[arg(long, env = "CEP_PING_INTERVAL", value_name = "DURATION", default_value = "30s",
          value_parser = parse_duration)]
    pub ping_interval: Duration,

    /// Largest accepted request body, e.g. `1MiB`, `512KiB` or a byte count.
    #[arg(long, env = "CEP_MAX_BODY", value_name = "SIZE", default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,

    /// Most events accepted in one batch request.
    #[arg(long, env = "CEP_MAX_BATCH", value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_batch: u64,

    /// Redis holding the history (`redis://[:password@]host[:port][/db]`): kept across restarts
    /// and shared by every replica started with the same URL. Defaults to none: memory.
    #[arg(long, env = "CEP_REDIS_URL", value_name = "URL", value_parser = parse_redis_url)]
    pub redis_url: Option<String>,

    /// Key of the Redis stream holding the history; its other keys start with it. Replicas that
    /// share a stream share the history.
    #[arg(long, env = "CEP_REDIS_STREAM", value_name = "KEY", default_value = DEFAULT_STREAM)]
    pub redis_stream: String,
}

impl Default for Config {
    fn default() -> Self {
        Self::parse_from(["cloudevent-player"])
    }
}

/// `30s`, `500ms`, `2m` (humantime syntax); zero is refused, since it would mean a busy loop.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value.trim())
        .map_err(|e| format!("`{value}` is not a duration like 30s, 500ms or 2m ({e})"))?;
    if duration.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(duration)
}

/// `1MiB`, `512KiB`, `1MB` or a plain byte count.
fn parse_size(value: &str) -> Result<usize, String> {
    let size: bytesize::ByteSize = value
        .trim()
        .parse()
        .map_err(|e| format!("`{value}` is not a size like 1MiB, 512KiB or 1048576 ({e})"))?;
    match usize::try_from(size.as_u64()) {
        Ok(0) => Err("must be greater than zero".into()),
        Ok(bytes) => Ok(bytes),
        Err(_) => Err(format!("`{value}` is too large")),
    }
}

/// A URL the Redis client accepts (`redis://host[:port][/db]`, `unix:///path`; TLS is not built
/// in), checked so a typo stops start-up naming the flag. Not echoed: it may hold a password.
fn parse_redis_url(value: &str) -> Result<String, String> {
    redis::Client::open(value.trim())
        .map(|_| value.trim().to_owned())
        .map_err(|e| format!("not a Redis URL like redis://127.0.0.1:6379/ ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("cloudevent-player").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_follow_the_design() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.history, 10_000);
        assert_eq!(config.ping_interval, Duration::from_secs(30));
        assert_eq!(config.max_body, 1024 * 1024);
        assert_eq!(config.max_batch, 1000);
        assert_eq!(config.listen, None);
        assert_eq!(config.redis_url, None, "memory unless Redis is asked for");
        assert_eq!(config.redis_stream, "cloudevent-player:events");
    }

    #[test]
    fn reads_durations_and_sizes_in_human_units() {
        let config =
            parse(&["--ping-interval", "500ms", "--max-body", "512KiB", "--listen", "127.0.0.1:9999"])
                .unwrap();
        assert_eq!(config.ping_interval, Duration::from_millis(500));
        assert_eq!(config.max_body, 512 * 1024);
        assert_eq!(config.listen, Some("127.0.0.1:9999".parse().unwrap()));
        assert_eq!(parse(&["--ping-interval", "2m"]).unwrap().ping_interval, Duration::from_secs(120));
        assert_eq!(parse(&["--max-body", "2048"]).unwrap().max_body, 2048);
        let redis = parse(&["--redis-url", "redis://127.0.0.1:6391/2", "--redis-stream", "t:1"]).unwrap();
        assert_eq!(redis.redis_url.as_deref(), Some("redis://127.0.0.1:6391/2"));
        assert_eq!(redis.redis_stream, "t:1");
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (args, flag) in [
            (&["--ping-interval", "soon"][..], "--ping-interval"),
            (&["--ping-interval", "0s"], "--ping-interval"),
            (&["--max-body", "lots"], "--max-body"),
            (&["--history", "0"], "--history"),
            (&["--max-batch", "0"], "--max-batch"),
            (&["--listen", "nowhere"], "--listen"),
            (&["--redis-url", "localhost:6379"], "--redis-url"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
