//! Command-line flags and `CEP_*` environment variables (DESIGN §7). Parsed once in `main`;
//! nothing reads the environment later. Tests build it with `Config::try_from_args`.

use crate::server::access::{self, AllowedHost, Token};
use crate::server::event_log::redis::DEFAULT_STREAM;
use clap::Parser;
use reqwest::Url;
use std::net::SocketAddr;
use std::time::Duration;

/// Name under which `K_SINK` (the Knative sink injected by SinkBinding or ContainerSource) is offered.
pub const K_SINK_NAME: &str = "k-sink";
/// Target name of `POST /api/send` for the player itself; no sink may take it.
pub const SELF_TARGET: &str = "self";

/// CloudEvent Player: accepts CloudEvents over HTTP and streams them to browser tabs.
#[derive(Debug, Clone, Parser)]
#[command(name = "cloudevent-player", version, about)]
pub struct Config {
    /// Address to listen on. Defaults to `site-addr` in Leptos.toml (127.0.0.1:8080).
    #[arg(long, env = "CEP_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// The port platforms such as Knative and Cloud Run assign: without `--listen`, listen on all
    /// interfaces on it (`0.0.0.0:PORT`). Defaults to none.
    #[arg(long, env = "PORT", value_name = "PORT")]
    pub port: Option<u16>,

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

    /// Where `POST /api/send` may deliver: `name=url`, repeatable or comma-separated. Names are
    /// `[a-z0-9-]+`; URLs are http or https with a host. No other URL can be reached.
    #[arg(long = "sink", env = "CEP_SINK", value_name = "NAME=URL", value_delimiter = ',',
          value_parser = parse_sink)]
    pub sinks: Vec<Sink>,

    /// The Knative sink URL (set by SinkBinding and ContainerSource), offered as the sink `k-sink`.
    #[arg(long, env = "K_SINK", value_name = "URL", value_parser = parse_sink_url)]
    pub k_sink: Option<Url>,

    /// Knative SinkBinding's overrides for events sent to `k-sink`, e.g.
    /// `{"extensions":{"cluster":"dev"}}`: each extension is set on the event before it is sent.
    /// Defaults to none.
    #[arg(long = "ce-overrides", env = "K_CE_OVERRIDES", value_name = "JSON", value_parser = parse_ce_overrides)]
    pub ce_overrides: Option<CeOverrides>,

    /// How long `POST /api/send` waits for a sink's answer, e.g. `5s`, `200ms`.
    #[arg(long, env = "CEP_SEND_TIMEOUT", value_name = "DURATION", default_value = "5s",
          value_parser = parse_duration)]
    pub send_timeout: Duration,

    /// Access token every route but /healthz and /health requires: `Authorization: Bearer <token>`,
    /// `?access_token=<token>`, or the cookie the page's sign-in form sets. Prefer the environment
    /// variable: a flag shows in the process list. Defaults to none: open to whoever reaches it.
    #[arg(long, env = "CEP_TOKEN", value_name = "TOKEN", hide_env_values = true,
          value_parser = access::parse_token)]
    pub token: Option<Token>,

    /// Host names the server answers to, besides loopback names (`localhost`, `127.0.0.1`,
    /// `[::1]`); `*.example.com` allows subdomains; repeatable or comma-separated. Other `Host`s
    /// get 403, which stops DNS rebinding. Defaults to none: loopback names only when listening on
    /// loopback, any name when listening elsewhere.
    #[arg(long = "allowed-host", env = "CEP_ALLOWED_HOST", value_name = "NAME", value_delimiter = ',',
          value_parser = access::parse_allowed_host)]
    pub allowed_hosts: Vec<AllowedHost>,

    /// Browser origins (`https://app.example.com`) whose pages may POST events to `/`, `/events`
    /// and `/events/pub` (CORS); repeatable or comma-separated. Defaults to none: no CORS.
    #[arg(long = "cors-origin", env = "CEP_CORS_ORIGIN", value_name = "ORIGIN", value_delimiter = ',',
          value_parser = access::parse_origin)]
    pub cors_origins: Vec<String>,

    /// Redis holding the history (`redis://[:password@]host[:port][/db]`): kept across restarts
    /// and shared by every replica started with the same URL. Defaults to none: memory.
    #[arg(long, env = "CEP_REDIS_URL", value_name = "URL", value_parser = parse_redis_url)]
    pub redis_url: Option<String>,

    /// Key of the Redis stream holding the history; its other keys start with it. Replicas that
    /// share a stream share the history.
    #[arg(long, env = "CEP_REDIS_STREAM", value_name = "KEY", default_value = DEFAULT_STREAM)]
    pub redis_stream: String,

    /// Log lines as `text` for people or `json` (one object a line) for log collectors; the level
    /// comes from `RUST_LOG` (`info` by default).
    #[arg(long, env = "CEP_LOG_FORMAT", value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Bytes the history may hold in memory (events, their frames and their requests); the
    /// oldest go first when this or `--history` is reached. The Redis backend keeps its history
    /// in Redis, so there Redis's own `maxmemory` bounds it.
    #[arg(long, env = "CEP_HISTORY_BYTES", value_name = "SIZE", default_value = "256MiB",
          value_parser = parse_size)]
    pub history_bytes: usize,

    /// How long a client may take to send a request's head, counted from the connection's start
    /// or from its previous answer; an idle keep-alive connection closes after it too.
    #[arg(long, env = "CEP_HEADER_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// How long a client may take to send a request's body; a slower one is answered 408.
    #[arg(long, env = "CEP_BODY_TIMEOUT", value_name = "DURATION", default_value = "30s",
          value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// Most open connections served; past it, new ones get `503` (but `/healthz` answers) and
    /// close. The open-files limit is raised to its hard limit at start-up, and this is lowered
    /// to fit it.
    #[arg(long, env = "CEP_MAX_CONNECTIONS", value_name = "N", default_value_t = 16_384,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,

    /// On SIGTERM or Ctrl-C: ingest answers 503 at once, open streams get every stored event and
    /// close, and connections still open after this long are dropped.
    #[arg(long, env = "CEP_SHUTDOWN_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `K_CE_OVERRIDES`: extension attributes set on every event sent to `k-sink`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeOverrides {
    /// Extension name (`[a-z0-9]+`) and value (string, boolean or integer), in the order given.
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// A named place `POST /api/send` may deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sink {
    /// `[a-z0-9-]+`, never `self`.
    pub name: String,
    /// http or https, with a host.
    pub url: Url,
}

impl Default for Config {
    fn default() -> Self {
        Self::parse_from(["cloudevent-player"])
    }
}

impl Config {
    /// Parses `args` (the program name first) and checks what no single value parser can: that sink
    /// names are unique across `--sink` and `--k-sink`.
    pub fn try_from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let config = Self::try_parse_from(args)?;
        config.check()?;
        Ok(config)
    }

    /// The process's flags and environment; prints the error and exits on a bad value.
    pub fn load() -> Self {
        Self::try_from_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// The address `--listen` or `PORT` asks for, if any (`--listen` wins).
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listen.or_else(|| self.port.map(|port| SocketAddr::from(([0, 0, 0, 0], port))))
    }

    /// Every configured sink, `k-sink` first, then `--sink` in the order given.
    pub fn all_sinks(&self) -> Vec<Sink> {
        let k_sink = self.k_sink.iter().map(|url| Sink { name: K_SINK_NAME.into(), url: url.clone() });
        k_sink.chain(self.sinks.iter().cloned()).collect()
    }

    fn check(&self) -> Result<(), clap::Error> {
        let sinks = self.all_sinks();
        for (i, sink) in sinks.iter().enumerate() {
            if sinks[..i].iter().any(|earlier| earlier.name == sink.name) {
                let also = if sink.name == K_SINK_NAME { " (K_SINK / --k-sink uses that name)" } else { "" };
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!(
                        "invalid value for '--sink': the sink name `{}` is given twice{also}\n",
                        sink.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `name=url`: a lowercase name (`[a-z0-9-]+`, not `self`) and a sink URL (see [`parse_sink_url`]).
fn parse_sink(value: &str) -> Result<Sink, String> {
    let (name, url) = value
        .trim()
        .split_once('=')
        .ok_or_else(|| format!("`{value}` is not name=url, e.g. orders=http://localhost:9000/"))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(format!("sink name `{name}` must be lowercase letters, digits and `-`"));
    }
    if name == SELF_TARGET {
        return Err(format!("sink name `{SELF_TARGET}` is reserved for the player itself"));
    }
    Ok(Sink { name: name.to_owned(), url: parse_sink_url(url)? })
}

/// An absolute http or https URL with a host, so a sink is always a network address.
fn parse_sink_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim()).map_err(|e| format!("`{value}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{value}` must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{value}` has no host"));
    }
    Ok(url)
}

/// `{"extensions": {"name": value, ...}}` as Knative's SinkBinding writes it. Names must be
/// CloudEvents extension names and values strings, booleans or integers, so a bad override stops
/// start-up rather than every send.
fn parse_ce_overrides(value: &str) -> Result<CeOverrides, String> {
    let json: serde_json::Value =
        serde_json::from_str(value).map_err(|e| format!("`{value}` is not JSON ({e})"))?;
    let extensions = match json.get("extensions") {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(map)) => map.clone(),
        Some(_) => return Err("`extensions` must be an object of name: value".into()),
    };
    if !json.is_object() {
        return Err(format!("`{value}` is not an object like {{\"extensions\":{{\"name\":\"value\"}}}}"));
    }
    for (name, value) in &extensions {
        let valid_name = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && name != "data";
        if !valid_name {
            return Err(format!("extension name `{name}` must be lowercase letters and digits"));
        }
        if !(value.is_string() || value.is_boolean() || value.is_i64()) {
            return Err(format!("extension `{name}` must be a string, a boolean or an integer"));
        }
    }
    Ok(CeOverrides { extensions })
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
        assert_eq!(config.send_timeout, Duration::from_secs(5));
        assert!(config.all_sinks().is_empty());
        assert_eq!(config.redis_url, None, "memory unless Redis is asked for");
        assert_eq!(config.redis_stream, "cloudevent-player:events");
        assert_eq!(config.history_bytes, 256 * 1024 * 1024);
        assert_eq!(config.header_timeout, Duration::from_secs(10));
        assert_eq!(config.body_timeout, Duration::from_secs(30));
        assert_eq!(config.max_connections, 16_384);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(parse(&["--log-format", "json"]).unwrap().log_format, LogFormat::Json);
        assert_eq!(config.token, None, "open unless a token is given");
        assert!(config.allowed_hosts.is_empty() && config.cors_origins.is_empty());
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
    fn ce_overrides_take_knative_extensions_and_refuse_what_no_event_could_carry() {
        let config =
            parse(&["--ce-overrides", r#"{"extensions":{"cluster":"dev","tier":2,"on":true}}"#]).unwrap();
        let extensions = config.ce_overrides.unwrap().extensions;
        assert_eq!(
            serde_json::Value::Object(extensions),
            serde_json::json!({"cluster":"dev","tier":2,"on":true})
        );
        assert_eq!(parse(&["--ce-overrides", "{}"]).unwrap().ce_overrides.unwrap().extensions.len(), 0);
        assert_eq!(parse(&[]).unwrap().ce_overrides, None);
        for bad in [
            "nope",
            "[]",
            r#"{"extensions":[1]}"#,
            r#"{"extensions":{"Bad":"x"}}"#,
            r#"{"extensions":{"x":1.5}}"#,
        ] {
            let err = parse(&["--ce-overrides", bad]).unwrap_err().to_string();
            assert!(err.contains("--ce-overrides"), "{bad}: {err}");
        }
    }

    #[test]
    fn port_means_every_interface_unless_listen_is_given() {
        assert_eq!(parse(&[]).unwrap().listen_addr(), None);
        assert_eq!(parse(&["--port", "8081"]).unwrap().listen_addr(), Some("0.0.0.0:8081".parse().unwrap()));
        let both = parse(&["--port", "8081", "--listen", "127.0.0.1:9000"]).unwrap();
        assert_eq!(both.listen_addr(), Some("127.0.0.1:9000".parse().unwrap()));
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
            (&["--send-timeout", "0ms"], "--send-timeout"),
            (&["--sink", "orders"], "--sink"),
            (&["--sink", "Orders=http://localhost/"], "--sink"),
            (&["--sink", "a_b=http://localhost/"], "--sink"),
            (&["--sink", "=http://localhost/"], "--sink"),
            (&["--sink", "self=http://localhost/"], "--sink"),
            (&["--sink", "a=ftp://localhost/"], "--sink"),
            (&["--sink", "a=localhost:9000"], "--sink"),
            (&["--sink", "a=http://"], "--sink"),
            (&["--sink", "a=/relative"], "--sink"),
            (&["--k-sink", "file:///tmp/x"], "--k-sink"),
            (&["--redis-url", "localhost:6379"], "--redis-url"),
            (&["--history-bytes", "0"], "--history-bytes"),
            (&["--header-timeout", "0s"], "--header-timeout"),
            (&["--body-timeout", "later"], "--body-timeout"),
            (&["--max-connections", "0"], "--max-connections"),
            (&["--shutdown-timeout", "x"], "--shutdown-timeout"),
            (&["--log-format", "xml"], "--log-format"),
            (&["--token", " "], "--token"),
            (&["--allowed-host", "https://player.example.com/"], "--allowed-host"),
            (&["--cors-origin", "app.example.com"], "--cors-origin"),
            (&["--cors-origin", "https://app.example.com/path"], "--cors-origin"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }

    #[test]
    fn access_flags_repeat_or_take_comma_separated_lists() {
        let config = parse(&[
            "--token",
            "s3cret",
            "--allowed-host",
            "player.example.com,*.dev.example.com",
            "--allowed-host",
            "10.0.0.7",
            "--cors-origin",
            "https://app.example.com,http://localhost:5173",
        ])
        .unwrap();
        assert_eq!(config.token.as_ref().map(Token::as_str), Some("s3cret"));
        assert_eq!(
            config.allowed_hosts,
            [
                AllowedHost::Exact("player.example.com".into()),
                AllowedHost::Subdomains(".dev.example.com".into()),
                AllowedHost::Exact("10.0.0.7".into()),
            ]
        );
        assert_eq!(config.cors_origins, ["https://app.example.com", "http://localhost:5173"]);
        assert!(!format!("{config:?}").contains("s3cret"), "the token never shows in Debug");
    }

    fn sink(name: &str, url: &str) -> Sink {
        Sink { name: name.into(), url: url.parse().unwrap() }
    }

    #[test]
    fn sinks_are_repeatable_or_comma_separated_in_order() {
        let config = parse(&[
            "--sink",
            "orders=http://localhost:9000/events",
            "--sink",
            "audit-2=https://audit.example.com/ce,b=http://10.0.0.7:8080",
            "--send-timeout",
            "200ms",
        ])
        .unwrap();
        assert_eq!(
            config.all_sinks(),
            [
                sink("orders", "http://localhost:9000/events"),
                sink("audit-2", "https://audit.example.com/ce"),
                sink("b", "http://10.0.0.7:8080/"),
            ]
        );
        assert_eq!(config.send_timeout, Duration::from_millis(200));
    }

    #[test]
    fn k_sink_is_offered_first_as_k_sink() {
        let config =
            parse(&["--sink", "a=http://a.local/", "--k-sink", "http://broker-ingress.knative/ns/default"])
                .unwrap();
        assert_eq!(
            config.all_sinks(),
            [sink("k-sink", "http://broker-ingress.knative/ns/default"), sink("a", "http://a.local/")]
        );
    }

    #[test]
    fn a_sink_name_given_twice_stops_start_up() {
        let from = |args: &[&str]| {
            Config::try_from_args(std::iter::once("cloudevent-player").chain(args.iter().copied()))
        };
        let twice = from(&["--sink", "a=http://x/", "--sink", "a=http://y/"]).unwrap_err().to_string();
        assert!(twice.contains("--sink") && twice.contains("`a`"), "{twice}");
        let clash = from(&["--k-sink", "http://x/", "--sink", "k-sink=http://y/"]).unwrap_err().to_string();
        assert!(clash.contains("K_SINK"), "{clash}");
        assert!(from(&["--sink", "a=http://x/", "--sink", "b=http://x/"]).is_ok());
    }
}
