//! The axum shell around `core`: shared state, the router, and the serve loop.

pub mod access;
pub mod api;
pub mod assets;
pub mod config;
pub mod connections;
pub mod encoding;
pub mod error;
pub mod event_log;
pub mod expressions;
pub mod follow;
pub mod front;
pub mod hub;
pub mod ingest;
pub mod lab;
pub mod metrics;
pub mod openapi;
pub mod rejections;
pub mod send;
pub mod stream;
pub mod wait;

use crate::app::{App, shell};
use assets::Assets;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Router, extract::FromRef};
use config::Config;
use error::ApiError;
use event_log::{EventLog, MemoryLog, RedisLog};
use hub::Hub;
use leptos::config::{LeptosOptions, get_config_from_str};
use leptos_axum::{LeptosRoutes, generate_route_list};
use metrics::Metrics;
use rejections::Rejections;
use send::Sinks;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;
use tokio_util::task::{TaskTracker, task_tracker::TaskTrackerToken};

/// Messages buffered per stream subscriber before it counts as lagging and catches up from the log.
const HUB_CAPACITY: usize = 4096;

/// State shared by every handler: one `Arc`, so the clone axum makes for each handler and
/// middleware of each request is one atomic increment, not a copy of every field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    /// The site's static files; none until [`serve`] loads them (or a test sets some).
    pub assets: Arc<Assets>,
    pub config: Arc<Config>,
    pub log: Arc<dyn EventLog>,
    pub hub: Hub,
    pub rejections: Arc<Rejections>,
    pub metrics: Arc<Metrics>,
    /// Where `POST /api/send` may deliver, with its HTTP client.
    pub sinks: Arc<Sinks>,
    pub started: Instant,
    /// Identifies this server's stream in `connected` frames.
    pub stream_id: Arc<str>,
    /// Cancelled on shutdown, so open streams end and a graceful exit never waits on them.
    pub shutdown: CancellationToken,
    /// Ingest's side of the shutdown order: refuse new requests, finish those being stored.
    pub lifecycle: Arc<Lifecycle>,
    /// The delivery lab: response rules and attempt counts (DESIGN §11).
    pub lab: Arc<lab::Lab>,
    /// Token, `Host` and CORS rules: the guard around the router and the sign-in form read them.
    pub access: Arc<access::Access>,
}

/// The shutdown order (DESIGN §9): ingest stops accepting (503 with `Retry-After`), the appends
/// already under way finish, and only then do streams end, after sending every stored event. So
/// an event answered `202` always reaches the streams that were open.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    appends: TaskTracker,
}

impl Lifecycle {
    /// Admits one ingest request; hold the token until its events are stored.
    pub fn admit(&self) -> Result<TaskTrackerToken, ApiError> {
        // Token first, then the flag: `drain` sets the flag before it waits, so a request that
        // slipped past the flag is one the wait covers.
        let token = self.appends.token();
        if self.draining.load(Ordering::SeqCst) { Err(ApiError::ShuttingDown) } else { Ok(token) }
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Stops ingest, waits for admitted requests, then ends the streams (`streams`).
    pub async fn drain(&self, streams: &CancellationToken) {
        self.draining.store(true, Ordering::SeqCst);
        self.appends.close();
        self.appends.wait().await;
        streams.cancel();
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The Leptos routes render with these options.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// State with the memory backend sized by `config` (whatever `--redis-url` says).
    pub fn new(config: Config, leptos_options: LeptosOptions) -> Self {
        let hub = Hub::new(HUB_CAPACITY);
        let log: Arc<dyn EventLog> =
            Arc::new(MemoryLog::new(history_capacity(&config), config.history_bytes, hub.clone()));
        let lab = Arc::new(lab::Lab::memory(history_capacity(&config)));
        Self::with_log(config, leptos_options, hub, log, lab)
    }

    /// State with the backend `config` asks for: Redis Streams with `--redis-url`, else memory.
    /// Only a malformed URL fails. An unreachable Redis does not stop start-up: the server answers
    /// 503 on `/healthz` and ingest until Redis is back, so replicas and Redis may start in any order.
    pub async fn connect(config: Config, leptos_options: LeptosOptions) -> Result<Self, StartError> {
        let Some(url) = config.redis_url.clone() else { return Ok(Self::new(config, leptos_options)) };
        let hub = Hub::new(HUB_CAPACITY);
        let log = RedisLog::connect(&url, &config.redis_stream, history_capacity(&config), hub.clone())
            .await
            .map_err(|e| StartError::Redis(e.to_string()))?;
        let lab =
            Arc::new(lab::Lab::redis(log.connection(), &config.redis_stream, history_capacity(&config)));
        Ok(Self::with_log(config, leptos_options, hub, Arc::new(log), lab))
    }

    fn with_log(
        config: Config,
        leptos_options: LeptosOptions,
        hub: Hub,
        log: Arc<dyn EventLog>,
        lab: Arc<lab::Lab>,
    ) -> Self {
        let sinks = Arc::new(Sinks::new(&config));
        let listen = config.listen_addr().unwrap_or(leptos_options.site_addr);
        let access = Arc::new(access::Access::from_config(&config, listen));
        Self(Arc::new(Shared {
            leptos_options,
            assets: Arc::new(Assets::default()),
            config: Arc::new(config),
            log,
            rejections: Arc::new(Rejections::new(hub.clone())),
            hub,
            metrics: Arc::new(Metrics::default()),
            sinks,
            started: Instant::now(),
            stream_id: new_stream_id().into(),
            shutdown: CancellationToken::new(),
            lifecycle: Arc::new(Lifecycle::default()),
            lab,
            access,
        }))
    }

    /// Serves the site from `assets`: the page then asks for the WASM, JS and CSS in their
    /// content-hashed directory (see `assets`). Only before the state is shared.
    pub fn with_assets(mut self, assets: Assets) -> Self {
        let shared = Arc::get_mut(&mut self.0).expect("assets are set before the state is shared");
        if let Some(version) = assets.version() {
            shared.leptos_options.site_pkg_dir =
                format!("{}/{version}", shared.leptos_options.site_pkg_dir).into();
        }
        shared.assets = Arc::new(assets);
        self
    }
}

fn history_capacity(config: &Config) -> usize {
    usize::try_from(config.history).unwrap_or(usize::MAX)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid site options (Leptos.toml or LEPTOS_* variables): {0}")]
    LeptosConfig(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("--redis-url: {0}")]
    Redis(String),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
}

/// What the accept loop serves: one request in, one response out, never an error.
pub trait HttpService:
    tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> HttpService for S where
    S: tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Every route: health checks and the Leptos pages, with static files as the fallback, behind
/// the access rules (token, `Host`, CORS) and the security headers of [`access`], and the body
/// deadline. Those wrap the router once ([`front::Front`]), not each route as `Router::layer`
/// would: a request clones its route's service, one allocation per wrap. The server serves this
/// directly.
pub fn service(state: AppState) -> impl HttpService {
    front::Front::new(state.clone(), routes(state))
}

/// [`service`] as a `Router`, for tests that drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    Router::new().fallback_service(service(state))
}

/// The routes of [`router`] without what wraps them: what the OpenAPI document describes.
pub fn routes(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    Router::new()
        .merge(
            access::HEALTH_PATHS
                .into_iter()
                .fold(Router::new(), |router, path| router.route(path, get(healthz))),
        )
        .merge(ingest::routes())
        .merge(api::routes())
        .merge(wait::routes())
        .merge(send::routes(state.config.max_body))
        .merge(expressions::routes(state.config.max_body))
        .merge(lab::routes(state.config.max_body))
        .merge(stream::routes())
        .merge(access::routes())
        .route("/api/openapi.json", get(openapi::get_openapi))
        .route("/api/{*rest}", any(api_not_found))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .route_layer(metrics::ObserveLayer(Arc::clone(&state.metrics)))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(static_file_or_not_found)
        .with_state(state)
}

/// A static file of the site, else the app's 404 page.
async fn static_file_or_not_found(State(state): State<AppState>, request: Request) -> Response {
    if let Some(response) = state.assets.respond(request.method(), request.uri().path(), request.headers()) {
        return response;
    }
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || leptos::context::provide_context(state.clone()),
        move || shell(options.clone()),
    );
    let mut response = render(request).await;
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Unknown API paths get JSON, not the app's HTML 404 page.
async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no API route {}", uri.path()))
}

/// A fresh id per server start: unique enough to tell two runs apart, no randomness needed.
fn new_stream_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}", nanos, std::process::id())
}

/// `GET /healthz`: `200 ok` while the history can be stored and read; `503` while its backend is
/// unreachable (the cause is logged, not answered), so load balancers and readiness probes skip
/// this replica meanwhile.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    description = "Readiness: open to any `Host` and without a token. `/health` is the same route.",
    responses(
        (status = 200, description = "`ok`: the history can be stored and read", content_type = "text/plain", body = String),
        (status = 503, description = "`unavailable: ...`: the history backend is unreachable (plain text, with `Retry-After`)",
            content_type = "text/plain", body = String),
    )
)]
async fn healthz(State(state): State<AppState>) -> Response {
    match state.log.health().await {
        Ok(()) => "ok".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            format!("unavailable: {}", error::backend_unavailable(&e)),
        )
            .into_response(),
    }
}

/// Site options of `Leptos.toml`, read at compile time so the binary runs from any directory;
/// `LEPTOS_*` variables override them and `--listen` (or `PORT`) wins over both.
pub fn leptos_options(config: &Config) -> Result<LeptosOptions, StartError> {
    const LEPTOS_TOML: &str = include_str!("../../Leptos.toml");
    let mut options =
        get_config_from_str(LEPTOS_TOML).map_err(|e| StartError::LeptosConfig(e.to_string()))?;
    if let Some(listen) = config.listen_addr() {
        options.site_addr = listen;
    }
    Ok(options)
}

/// Binds, serves, and returns after Ctrl-C or SIGTERM once streams have drained and open
/// requests have finished (or `--shutdown-timeout` has passed).
pub async fn serve(config: Config) -> Result<(), StartError> {
    let options = leptos_options(&config)?;
    let addr = options.site_addr;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
    if !addr.ip().is_loopback() && config.token.is_none() {
        tracing::warn!(
            "listening on {addr} without --token: anyone who reaches it can read, clear and send events; \
             set CEP_TOKEN (see the README, Leaving it running)"
        );
    }
    let assets = Assets::load(&options.site_root, &options.site_pkg_dir);
    let state = AppState::connect(config, options).await?.with_assets(assets);
    tracing::info!("listening on http://{addr}");
    serve_on(listener, state, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `state`'s router on `listener` through [`connections::serve`] until `signal`, then
/// shuts down in order: ingest first, then streams, then connections.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    signal: impl std::future::Future<Output = ()>,
) {
    let config = Arc::clone(&state.config);
    let limits = connections::Limits {
        header_timeout: config.header_timeout,
        max_connections: connections::fit_connection_cap(
            usize::try_from(config.max_connections).unwrap_or(usize::MAX),
        ),
        shutdown_timeout: config.shutdown_timeout,
    };
    let lifecycle = Arc::clone(&state.lifecycle);
    let streams = state.shutdown.clone();
    let app = service(state);
    let signal = async move {
        signal.await;
        tracing::info!("shutting down: refusing new events, draining streams");
    };
    connections::serve(listener, app, limits, signal, async move { lifecycle.drain(&streams).await }).await;
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
