//! Who may use the server (DESIGN §9): the `--token` and the session cookie of the sign-in page,
//! the `Host` check that closes DNS rebinding, CORS for the ingest routes, and the security
//! headers on every response. Decisions are plain functions; [`protect`] wires them around the router.

use crate::server::AppState;
use crate::server::error::{ApiError, ErrorBody};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Router, extract::State};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use subtle::ConstantTimeEq;

/// Name of the cookie the sign-in page sets.
pub const SESSION_COOKIE: &str = "cep_session";
/// Where the sign-in form posts (`POST`) and where a session ends (`DELETE`).
pub const SESSION_PATH: &str = "/api/session";
/// The `WWW-Authenticate` challenge of every 401 (RFC 6750 §3).
pub const CHALLENGE: &str = r#"Bearer realm="cloudevent-player""#;
/// Query parameter that carries the token where no header can (CloudEvents webhook spec §3.2.1).
pub const QUERY_PARAM: &str = "access_token";
/// What the session cookie's HMAC signs. Fixed, so every replica started with one token issues and
/// accepts the same cookie, across restarts; changing the token ends every session.
const SESSION_LABEL: &[u8] = b"cloudevent-player session v1";
/// Probes and load balancers reach these without a token and under any `Host` (they use pod IPs).
pub const HEALTH_PATHS: [&str; 2] = ["/healthz", "/health"];
/// The routes CORS applies to: where browsers of other origins may POST events.
pub const INGEST_PATHS: [&str; 3] = ["/", "/events", "/events/pub"];
/// Ingest under a name (`POST /r/<name>`), so delivery lab rules can match producers by path.
pub const NAMED_INGEST_PREFIX: &str = "/r/";
/// The route of [`NAMED_INGEST_PREFIX`].
pub const NAMED_INGEST_ROUTE: &str = "/r/{*name}";

/// The ingest route `path` belongs to: one of [`INGEST_PATHS`], or [`NAMED_INGEST_ROUTE`] for a
/// path under [`NAMED_INGEST_PREFIX`].
pub fn ingest_route(path: &str) -> Option<&'static str> {
    if let Some(&route) = INGEST_PATHS.iter().find(|&&route| route == path) {
        return Some(route);
    }
    let named = path.strip_prefix(NAMED_INGEST_PREFIX).is_some_and(|name| !name.is_empty());
    named.then_some(NAMED_INGEST_ROUTE)
}

/// Whether `path` is an ingest route.
pub fn is_ingest_path(path: &str) -> bool {
    ingest_route(path).is_some()
}
/// Largest sign-in form body; a token and a return path fit many times over.
const SIGN_IN_MAX_BODY: usize = 16 * 1024;
/// Longest `next` path the sign-in form returns to; longer ones return to `/`.
const MAX_NEXT_LEN: usize = 2048;

/// Content-Security-Policy of everything but rendered pages: no script runs from an API answer,
/// a static file or an error. Pages add the nonce of their inline scripts ([`content_security_policy`]).
pub const STATIC_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a page whose inline scripts carry `nonce`: only the app's own script and WASM
/// run. `style-src 'unsafe-inline'` stays because the UI sets `style` attributes (the virtual
/// list's spacers, the timeline's bars), which a nonce cannot cover.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    match nonce {
        Some(nonce) => {
            STATIC_CSP.replacen("script-src 'self'", &format!("script-src 'self' 'nonce-{nonce}'"), 1)
        }
        None => STATIC_CSP.to_owned(),
    }
}

/// Sets the page's Content-Security-Policy with the nonce Leptos put on this response's inline
/// scripts. Called from the shell while it renders (needs the `leptos_axum` response context).
pub fn send_page_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The `--token` secret. `Debug` never prints it, so logging the config is safe.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// `--token`: surrounding whitespace dropped (secret files often end in a newline); then printable
/// ASCII without spaces, since it travels in a header, a URL and a form.
pub fn parse_token(value: &str) -> Result<Token, String> {
    let token = value.trim();
    if token.is_empty() {
        return Err("the token must not be empty".into());
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the token must be printable ASCII without spaces".into());
    }
    Ok(Token(token.to_owned()))
}

/// One `--allowed-host` entry: a name or address (port ignored), or `*.domain` for its subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHost {
    Exact(String),
    /// `*.example.com`, kept as `.example.com`.
    Subdomains(String),
}

impl AllowedHost {
    fn matches(&self, name: &str) -> bool {
        match self {
            AllowedHost::Exact(exact) => exact == name,
            AllowedHost::Subdomains(suffix) => name.len() > suffix.len() && name.ends_with(suffix.as_str()),
        }
    }
}

/// `--allowed-host`: `player.example.com`, `10.0.0.7`, `[fd00::7]`, `*.example.com`; a port is
/// ignored, a URL is refused.
pub fn parse_allowed_host(value: &str) -> Result<AllowedHost, String> {
    let value = value.trim();
    if value.contains('/') || value.contains('@') {
        return Err(format!("`{value}` is not a host name; give the name only, like player.example.com"));
    }
    let (wildcard, rest) = match value.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let name = host_name(rest)
        .filter(|name| !name.contains('*'))
        .ok_or_else(|| format!("`{value}` is not a host name like player.example.com or *.example.com"))?;
    Ok(if wildcard {
        AllowedHost::Subdomains(format!(".{name}"))
    } else {
        AllowedHost::Exact(name.into_owned())
    })
}

/// `--cors-origin`: an exact origin, `http(s)://host[:port]` with no path, as browsers send it in
/// `Origin`; kept in that serialization (lowercase host, default port dropped).
pub fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim();
    let invalid =
        || format!("`{value}` is not an origin like https://app.example.com (scheme, host, optional port)");
    let url = reqwest::Url::parse(value).map_err(|_| invalid())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(invalid());
    }
    Ok(url.origin().ascii_serialization())
}

/// The name in a `Host` value, as compared with allowed names: port dropped, lowercase, one
/// trailing dot dropped, IPv6 without brackets in its canonical form. `None` when malformed.
/// Borrowed when already lowercase, as nearly every request's `Host` is.
pub fn host_name(value: &str) -> Option<Cow<'_, str>> {
    let value = value.trim();
    let is_port = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inside.parse::<Ipv6Addr>().ok().map(|ip| ip.to_string().into());
    }
    let name = match value.split_once(':') {
        Some((name, port)) if is_port(port) => name,
        Some(_) => return None,
        None => value,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    let bad = |b: u8| b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'/' | b'@' | b'\\');
    if name.is_empty() || name.bytes().any(bad) {
        return None;
    }
    Some(if name.bytes().any(|b| b.is_ascii_uppercase()) {
        name.to_ascii_lowercase().into()
    } else {
        name.into()
    })
}

/// `localhost`, `*.localhost` (RFC 6761 keeps them on this machine), 127.0.0.0/8 and `::1`.
pub fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || name.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Which `Host` values the server answers. A page that DNS rebinding points at this server
/// arrives with the attacker's name in `Host`, so refusing unknown names refuses the page.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// The server listens on a loopback address: only this machine can connect.
    loopback: bool,
    allowed: Vec<AllowedHost>,
}

impl HostPolicy {
    /// Listening on loopback: loopback names and `allowed`. Elsewhere (0.0.0.0, a LAN address):
    /// any name, or, once `allowed` is given, those plus loopback names.
    pub fn new(listen: IpAddr, allowed: &[AllowedHost]) -> Self {
        Self { loopback: listen.is_loopback(), allowed: allowed.to_vec() }
    }

    /// `host`: the request's `Host` (or HTTP/2 `:authority`); `None` when it has none, which
    /// only HTTP/1.0 clients on this machine send.
    pub fn allows(&self, host: Option<&str>) -> bool {
        if !self.loopback && self.allowed.is_empty() {
            return true;
        }
        let Some(host) = host else { return self.loopback };
        let Some(name) = host_name(host) else { return false };
        is_loopback_name(&name) || self.allowed.iter().any(|allowed| allowed.matches(&name))
    }
}

/// The secret side of `--token`: a digest to compare presented tokens against in constant time
/// (no length leak), and the cookie value, HMAC-SHA256 of a fixed label keyed by the token.
#[derive(Clone)]
struct Secret {
    digest: [u8; 32],
    session: String,
}

impl Secret {
    fn new(token: &Token) -> Self {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(token.as_str().as_bytes()).expect("HMAC takes any key length");
        mac.update(SESSION_LABEL);
        let session = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        Self { digest: Sha256::digest(token.as_str().as_bytes()).into(), session }
    }

    fn token_matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(presented.ct_eq(&self.digest))
    }

    fn session_matches(&self, presented: &str) -> bool {
        bool::from(presented.as_bytes().ct_eq(self.session.as_bytes()))
    }
}

/// What [`Access::authorize`] decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// On to the route.
    Pass,
    /// A page URL carried the right `?access_token=`: set the session cookie and send the browser
    /// to `location`, the same URL without the token, so it leaves the address bar and history.
    SetSession { location: String },
    /// A browser asked for a page without a right credential: the sign-in form, returning to `next`.
    SignIn { next: String, error: Option<&'static str> },
    /// 401 in the error shape.
    Refuse(&'static str),
}

/// Every access rule of one server, built once from its flags and listen address.
#[derive(Clone)]
pub struct Access {
    secret: Option<Secret>,
    hosts: HostPolicy,
    cors_origins: Vec<HeaderValue>,
}

impl Access {
    pub fn new(
        token: Option<&Token>,
        allowed_hosts: &[AllowedHost],
        cors_origins: &[String],
        listen: SocketAddr,
    ) -> Self {
        Self {
            secret: token.map(Secret::new),
            hosts: HostPolicy::new(listen.ip(), allowed_hosts),
            cors_origins: cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect(),
        }
    }

    /// The access rules of `config` for a server listening on `listen`.
    pub fn from_config(config: &crate::server::config::Config, listen: SocketAddr) -> Self {
        Self::new(config.token.as_ref(), &config.allowed_hosts, &config.cors_origins, listen)
    }

    /// The cookie value a right sign-in sets, when a token is configured.
    pub fn session_value(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.session.as_str())
    }

    /// Whether `token` is the configured one; true when none is configured.
    pub fn token_matches(&self, token: &str) -> bool {
        self.secret.as_ref().is_none_or(|secret| secret.token_matches(token))
    }

    /// The token rule. Health checks and the session routes are open; otherwise any one right
    /// credential passes: `Authorization: Bearer`, `?access_token=`, or the session cookie.
    pub fn authorize(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Verdict {
        let Some(secret) = &self.secret else { return Verdict::Pass };
        let path = uri.path();
        if HEALTH_PATHS.contains(&path) || path == SESSION_PATH {
            return Verdict::Pass;
        }
        let bearer = bearer_token(headers);
        let query = query_token(uri.query());
        let query_ok = query.as_deref().is_some_and(|t| secret.token_matches(t));
        let page = is_page_request(method, headers);
        if page && query_ok {
            return Verdict::SetSession { location: without_query_token(uri) };
        }
        if query_ok
            || bearer.is_some_and(|t| secret.token_matches(t))
            || session_cookies(headers).any(|c| secret.session_matches(c))
        {
            return Verdict::Pass;
        }
        let presented = bearer.is_some() || query.is_some();
        if page {
            let error = presented.then_some("That token is not right. Check it and try again.");
            return Verdict::SignIn { next: without_query_token(uri), error };
        }
        Verdict::Refuse(if presented {
            "the access token is not right"
        } else {
            "this server needs its access token: send `Authorization: Bearer <token>` or `?access_token=<token>`"
        })
    }

    /// The request's `Origin` when CORS applies: an ingest route and an allowed origin.
    fn cors_origin(&self, request: &Request) -> Option<HeaderValue> {
        if self.cors_origins.is_empty() || !is_ingest_path(request.uri().path()) {
            return None;
        }
        let origin = request.headers().get(header::ORIGIN)?;
        self.cors_origins.iter().any(|allowed| allowed == origin).then(|| origin.clone())
    }

    /// The rules in order: health checks pass, then the `Host`, then CORS preflights (answered
    /// here, so they never need the token), then the token. A request that passes is `next`'s to
    /// answer, with the CORS headers added. Health checks keep answering probes with any `Host`
    /// and no token.
    pub async fn admit<F>(&self, request: Request, next: impl FnOnce(Request) -> F) -> Response
    where
        F: Future<Output = Response>,
    {
        if HEALTH_PATHS.contains(&request.uri().path()) {
            return next(request).await;
        }
        let host = request_host(&request);
        if !self.hosts.allows(host.as_deref()) {
            let shown = host.as_deref().unwrap_or("(none)");
            let message = format!(
                "this server does not answer to the Host `{shown}`; start it with --allowed-host <name> to allow a name"
            );
            return ApiError::HostNotAllowed(message).into_response();
        }
        let cors_origin = self.cors_origin(&request);
        if let Some(origin) = &cors_origin
            && is_preflight(request.method(), request.headers())
        {
            return preflight(origin.clone(), request.headers());
        }
        let verdict = self.authorize(request.method(), request.uri(), request.headers());
        let mut response = match verdict {
            Verdict::Pass => next(request).await,
            Verdict::SetSession { location } => {
                let https = is_https(request.uri(), request.headers());
                let cookie = session_cookie(self.session_value().unwrap_or_default(), https);
                see_other(&location, Some(cookie))
            }
            Verdict::SignIn { next, error } => sign_in_response(&next, error, request.headers()),
            Verdict::Refuse(message) => unauthorized(message),
        };
        if let Some(origin) = cors_origin {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        response
    }
}

/// The headers every response carries. A page's own policy (with its nonce) is kept.
pub fn security_headers(headers: &mut HeaderMap) {
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(STATIC_CSP));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// `POST /api/session` (the sign-in form) and `DELETE /api/session` (sign out). Open routes: the
/// form is how a browser gets its credential.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(SESSION_PATH, post(post_session).delete(delete_session))
        .layer(DefaultBodyLimit::max(SIGN_IN_MAX_BODY))
}

/// The sign-in form's fields (`application/x-www-form-urlencoded`).
#[derive(Debug, Default, PartialEq, Eq, utoipa::ToSchema)]
pub struct SignIn {
    pub token: String,
    pub next: Option<String>,
}

impl SignIn {
    pub fn parse(body: &[u8]) -> Self {
        let mut form = SignIn::default();
        for (name, value) in form_urlencoded::parse(body) {
            match &*name {
                "token" => form.token = value.trim().to_owned(),
                "next" => form.next = Some(value.into_owned()),
                _ => {}
            }
        }
        form
    }
}

/// A right token: 303 to `next` with the session cookie. A wrong one: the form again, 401.
/// Without `--token` there is nothing to sign in to: straight to `next`.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "access",
    description = "The sign-in form: a right token sets the session cookie and returns to `next`.",
    request_body(content = SignIn, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in (or no token to sign in to): to `next`, with the session cookie", headers(
            ("location" = String, description = "`next`, or `/`"),
            ("set-cookie" = String, description = "The session cookie"),
        )),
        (status = 401, description = "`unauthorized`: no token or another one (a browser gets the form again, as HTML)", body = ErrorBody),
    )
)]
async fn post_session(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let access = &state.access;
    let form = SignIn::parse(&body);
    let next = safe_next(form.next.as_deref());
    let Some(session) = access.session_value() else { return see_other(next, None) };
    if !form.token.is_empty() && access.token_matches(&form.token) {
        return see_other(next, Some(session_cookie(session, is_https(&uri, &headers))));
    }
    let error = if form.token.is_empty() {
        "Enter the access token."
    } else {
        "That token is not right. Check it and try again."
    };
    if accepts_html(&headers) {
        sign_in_response(next, Some(error), &headers)
    } else {
        unauthorized(if form.token.is_empty() {
            "no token in the form"
        } else {
            "the access token is not right"
        })
    }
}

/// Ends the browser's session: the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "access",
    responses((status = 204, description = "Signed out: the session cookie is cleared", headers(("set-cookie" = String))))
)]
async fn delete_session(uri: Uri, headers: HeaderMap) -> Response {
    let clear = session_cookie_with("", is_https(&uri, &headers), "; Max-Age=0");
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear), (header::CACHE_CONTROL, no_store())])
        .into_response()
}

/// 401 in the error shape, with the challenge RFC 7235 requires.
fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::Unauthorized(message.to_owned()).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
    response
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    let mut response =
        (StatusCode::SEE_OTHER, [(header::LOCATION, location), (header::CACHE_CONTROL, no_store())])
            .into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn no_store() -> HeaderValue {
    HeaderValue::from_static("no-store")
}

/// `cep_session=<value>; HttpOnly; SameSite=Strict; Path=/`, plus `Secure` over https.
pub fn session_cookie(value: &str, https: bool) -> HeaderValue {
    session_cookie_with(value, https, "")
}

fn session_cookie_with(value: &str, https: bool, extra: &str) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/{secure}{extra}");
    HeaderValue::from_str(&cookie).expect("cookie values are base64url")
}

/// The sign-in page as a 401 response.
fn sign_in_response(next: &str, error: Option<&str>, headers: &HeaderMap) -> Response {
    // A SameSite=Strict cookie is not sent on a navigation from another site (a link in a chat),
    // so such a visit gets the form even when signed in. One same-origin reload sends the cookie.
    let cross_site = headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site");
    let html = sign_in_page(next, error, cross_site && error.is_none());
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE)),
        (header::CACHE_CONTROL, no_store()),
    ];
    (StatusCode::UNAUTHORIZED, headers, html).into_response()
}

/// The sign-in form: plain HTML, no script, so it works under the strictest policy and without
/// the WASM. `next` and `error` are escaped; `reload` adds one same-origin refresh.
pub fn sign_in_page(next: &str, error: Option<&str>, reload: bool) -> String {
    let refresh = if reload { r#"<meta http-equiv="refresh" content="0">"# } else { "" };
    let (invalid, message) = match error {
        Some(error) => (
            r#" aria-invalid="true" aria-describedby="token-error""#,
            format!(
                r#"<p class="error" id="token-error" role="alert" data-testid="signin-error">{}</p>"#,
                escape(error)
            ),
        ),
        None => ("", String::new()),
    };
    let next = escape(next);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
{refresh}<link rel="icon" href="data:,">
<title>Sign in · CloudEvent Player</title>
<style>
:root{{--bg:#f7f7f9;--panel:#fff;--text:#1c1e24;--muted:#5d6270;--border:#8a8f9c;--accent:#4f46e5;--accent-text:#fff;--red:#b91c1c}}
@media (prefers-color-scheme:dark){{:root{{--bg:#0f1115;--panel:#171a21;--text:#e6e8ee;--muted:#9aa1b1;--border:#5b6272;--accent:#818cf8;--accent-text:#0f1115;--red:#fca5a5}}}}
*{{box-sizing:border-box}}
body{{margin:0;min-height:100vh;display:grid;place-items:center;padding:16px;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}}
main{{width:100%;max-width:360px;padding:24px;background:var(--panel);border:1px solid var(--border);border-radius:12px}}
h1{{margin:0 0 4px;font-size:20px}}
p{{margin:0 0 16px;color:var(--muted)}}
label{{display:block;margin-bottom:4px;font-weight:600}}
input{{width:100%;padding:10px 12px;font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--border);border-radius:8px}}
input:focus-visible,button:focus-visible{{outline:3px solid var(--accent);outline-offset:2px}}
.error{{margin:8px 0 0;color:var(--red);font-weight:600}}
button{{width:100%;margin-top:16px;padding:10px;font:inherit;font-weight:600;color:var(--accent-text);background:var(--accent);border:0;border-radius:8px;cursor:pointer}}
</style>
</head>
<body>
<main>
<h1>CloudEvent Player</h1>
<p>This player is protected. Enter the access token it was started with.</p>
<form method="post" action="{SESSION_PATH}" data-testid="signin-form">
<input type="hidden" name="next" value="{next}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus data-testid="signin-token"{invalid}>
{message}
<button type="submit" data-testid="signin-submit">Sign in</button>
</form>
</main>
</body>
</html>
"#
    )
}

/// Text for HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path to return to after sign-in: same-origin and absolute (`/…`, never `//host` or `/\host`,
/// which browsers read as another host), without control characters; otherwise `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && next.len() <= MAX_NEXT_LEN
                && !next.chars().any(char::is_control) =>
        {
            next
        }
        _ => "/",
    }
}

/// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The `access_token` query parameter, percent-decoded.
pub fn query_token(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == QUERY_PARAM)
        .map(|(_, value)| value.into_owned())
}

/// Every `cep_session` value in the request's `Cookie` headers.
fn session_cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
}

/// `uri`'s path and query with every `access_token` parameter removed; the others stay as sent.
pub fn without_query_token(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else { return path.to_owned() };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
            !pair.is_empty()
                && form_urlencoded::parse(name.as_bytes()).next().is_none_or(|(n, _)| n != QUERY_PARAM)
        })
        .collect();
    if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) }
}

/// A browser loading a page: `GET` or `HEAD` that accepts `text/html`.
pub fn is_page_request(method: &Method, headers: &HeaderMap) -> bool {
    (method == Method::GET || method == Method::HEAD) && accepts_html(headers)
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.to_ascii_lowercase().contains("text/html")))
}

/// Came over https: the URI says so, or a proxy's first `X-Forwarded-Proto` does.
pub fn is_https(uri: &Uri, headers: &HeaderMap) -> bool {
    uri.scheme_str().is_some_and(|s| s.eq_ignore_ascii_case("https"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// `Host`, else the HTTP/2 `:authority` (in the URI). A `Host` that is not text is kept as `""`,
/// which no policy but an open one allows.
fn request_host(request: &Request) -> Option<Cow<'_, str>> {
    match request.headers().get(header::HOST) {
        Some(host) => Some(Cow::Borrowed(host.to_str().unwrap_or(""))),
        None => request.uri().authority().map(|a| Cow::Borrowed(a.as_str())),
    }
}

/// A CORS preflight (Fetch §3.2.2): `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
/// A webhook handshake (`OPTIONS` with `WebHook-Request-Origin`) is not one and reaches its route.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from an allowed origin: POST, with whatever headers the page asks
/// to send (`ce-*`, `content-type`, `authorization`).
fn preflight(origin: HeaderValue, request: &HeaderMap) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    let vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    headers.insert(header::VARY, HeaderValue::from_static(vary));
    (StatusCode::NO_CONTENT, headers, Body::empty()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderName;

    fn token(value: &str) -> Token {
        parse_token(value).unwrap()
    }

    fn access(token_value: Option<&str>) -> Access {
        let token = token_value.map(token);
        Access::new(token.as_ref(), &[], &[], "127.0.0.1:8080".parse().unwrap())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn verdict(access: &Access, method: Method, uri: &str, pairs: &[(&str, &str)]) -> Verdict {
        access.authorize(&method, &uri.parse().unwrap(), &headers(pairs))
    }

    #[test]
    fn host_names_drop_port_case_brackets_and_trailing_dot() {
        assert_eq!(host_name("LocalHost:8080").as_deref(), Some("localhost"));
        assert_eq!(host_name("player.example.com.").as_deref(), Some("player.example.com"));
        assert_eq!(host_name("[::1]:3000").as_deref(), Some("::1"));
        assert_eq!(host_name("[0:0:0:0:0:0:0:1]").as_deref(), Some("::1"));
        assert_eq!(host_name("127.0.0.1").as_deref(), Some("127.0.0.1"));
        for bad in ["", "::1", "[::1", "[nothost]", "a b", "x:port", "user@host", "a/b"] {
            assert_eq!(host_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn loopback_names_are_localhost_127_slash_8_and_ipv6_one() {
        for name in ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback_name(name), "{name}");
        }
        for name in ["localhost.example.com", "128.0.0.1", "10.0.0.1", "::2", "mylocalhost"] {
            assert!(!is_loopback_name(name), "{name}");
        }
    }

    #[test]
    fn on_loopback_only_loopback_names_and_allowed_hosts_pass() {
        let allowed =
            [parse_allowed_host("player.example.com").unwrap(), parse_allowed_host("*.dev.test").unwrap()];
        let policy = HostPolicy::new("127.0.0.1".parse().unwrap(), &allowed);
        for host in [
            "localhost:8080",
            "LOCALHOST",
            "a.localhost",
            "127.0.0.1:8080",
            "[::1]:8080",
            "player.example.com:443",
            "x.dev.test",
        ] {
            assert!(policy.allows(Some(host)), "{host}");
        }
        for host in ["evil.example", "dev.test", "10.0.0.1", "", "[::1"] {
            assert!(!policy.allows(Some(host)), "{host}");
        }
        assert!(policy.allows(None), "HTTP/1.0 without Host from this machine");
    }

    #[test]
    fn on_all_interfaces_any_host_passes_until_names_are_given() {
        let open = HostPolicy::new("0.0.0.0".parse().unwrap(), &[]);
        assert!(open.allows(Some("anything.example")) && open.allows(None) && open.allows(Some("")));
        let named =
            HostPolicy::new("::".parse().unwrap(), &[parse_allowed_host("player.example.com").unwrap()]);
        assert!(named.allows(Some("player.example.com")) && named.allows(Some("localhost:8080")));
        assert!(!named.allows(Some("evil.example")));
        assert!(!named.allows(None), "no Host is allowed only on loopback");
    }

    #[test]
    fn allowed_hosts_and_origins_are_checked_at_start_up() {
        assert_eq!(
            parse_allowed_host(" Player.Example.com:8080 "),
            Ok(AllowedHost::Exact("player.example.com".into()))
        );
        assert_eq!(parse_allowed_host("[::1]"), Ok(AllowedHost::Exact("::1".into())));
        assert_eq!(parse_allowed_host("*.example.com"), Ok(AllowedHost::Subdomains(".example.com".into())));
        for bad in ["", "https://x.example", "a*.b", "x y", "*."] {
            assert!(parse_allowed_host(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_origin("https://app.example.com").as_deref(), Ok("https://app.example.com"));
        assert_eq!(parse_origin("http://LOCALHOST:5173/").as_deref(), Ok("http://localhost:5173"));
        assert_eq!(parse_origin("https://a.example:443").as_deref(), Ok("https://a.example"));
        for bad in [
            "*",
            "app.example.com",
            "https://a.example/path",
            "ftp://a.example",
            "https://u@a.example",
            "https://a.example?x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_trimmed_printable_and_never_printed() {
        assert_eq!(token(" s3cret\n").as_str(), "s3cret");
        assert!(parse_token("  ").is_err());
        assert!(parse_token("two words").is_err());
        assert_eq!(format!("{:?}", token("s3cret")), "Token(***)");
    }

    #[test]
    fn the_session_value_is_a_keyed_hash_not_the_token() {
        let a = access(Some("s3cret"));
        let session = a.session_value().unwrap();
        assert_ne!(session, "s3cret");
        assert!(!session.contains("s3cret"));
        assert_eq!(
            Some(session),
            access(Some("s3cret")).session_value(),
            "same on every replica and restart"
        );
        assert_ne!(Some(session), access(Some("other")).session_value());
        assert_eq!(session.len(), 43, "32 bytes, base64url");
    }

    #[test]
    fn without_a_token_everything_passes() {
        assert_eq!(verdict(&access(None), Method::GET, "/api/status", &[]), Verdict::Pass);
    }

    #[test]
    fn any_one_right_credential_passes() {
        let a = access(Some("s3cret"));
        let cookie = format!("theme=dark; {SESSION_COOKIE}={}", a.session_value().unwrap());
        for pairs in [
            vec![("authorization", "Bearer s3cret")],
            vec![("authorization", "bearer  s3cret ")],
            vec![("cookie", cookie.as_str())],
        ] {
            assert_eq!(verdict(&a, Method::POST, "/events", &pairs), Verdict::Pass, "{pairs:?}");
        }
        assert_eq!(verdict(&a, Method::GET, "/stream?access_token=s3cret", &[]), Verdict::Pass);
        assert_eq!(
            verdict(&a, Method::GET, "/metrics?access_token=s3cr%65t", &[]),
            Verdict::Pass,
            "percent-decoded"
        );
    }

    #[test]
    fn missing_or_wrong_credentials_are_refused_except_on_open_routes() {
        let a = access(Some("s3cret"));
        assert!(
            matches!(verdict(&a, Method::POST, "/events", &[]), Verdict::Refuse(m) if m.contains("Bearer"))
        );
        for pairs in [
            vec![("authorization", "Bearer wrong")],
            vec![("authorization", "Basic czNjcmV0")],
            vec![("cookie", "cep_session=s3cret")],
        ] {
            assert!(
                matches!(verdict(&a, Method::GET, "/api/status", &pairs), Verdict::Refuse(_)),
                "{pairs:?}"
            );
        }
        assert!(matches!(
            verdict(&a, Method::GET, "/api/status?access_token=s3cre", &[]),
            Verdict::Refuse(_)
        ));
        for path in ["/healthz", "/health", SESSION_PATH] {
            assert_eq!(verdict(&a, Method::GET, path, &[]), Verdict::Pass, "{path}");
        }
    }

    #[test]
    fn pages_get_the_sign_in_form_or_a_redirect_that_drops_the_token() {
        let a = access(Some("s3cret"));
        let html = [("accept", "text/html,application/xhtml+xml")];
        assert_eq!(
            verdict(&a, Method::GET, "/?type=a.*", &html),
            Verdict::SignIn { next: "/?type=a.*".into(), error: None }
        );
        assert!(matches!(
            verdict(&a, Method::GET, "/?access_token=nope", &html),
            Verdict::SignIn { next, error: Some(_) } if next == "/"
        ));
        assert_eq!(
            verdict(&a, Method::GET, "/?type=a&access_token=s3cret&q=x", &html),
            Verdict::SetSession { location: "/?type=a&q=x".into() }
        );
        assert_eq!(
            verdict(&a, Method::GET, "/stream?access_token=s3cret", &[("accept", "text/event-stream")]),
            Verdict::Pass
        );
    }

    #[test]
    fn next_stays_on_this_origin() {
        assert_eq!(safe_next(Some("/?type=x")), "/?type=x");
        for bad in ["//evil.example/", "/\\evil.example", "https://evil.example/", "", "x", "/a\nb"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_query_token_is_removed_and_the_rest_kept() {
        let strip = |uri: &str| without_query_token(&uri.parse().unwrap());
        assert_eq!(strip("/?access_token=a"), "/");
        assert_eq!(strip("/x?a=1&access_token=b&c=%20"), "/x?a=1&c=%20");
        assert_eq!(strip("/x?access%5Ftoken=b&a"), "/x?a");
        assert_eq!(strip("/x"), "/x");
    }

    #[test]
    fn sign_in_form_fields_are_read_and_escaped() {
        let form = SignIn::parse(b"token=s3cr%65t+&next=%2F%3Ftype%3Da");
        assert_eq!(form, SignIn { token: "s3cret".into(), next: Some("/?type=a".into()) });
        let page = sign_in_page("/?q=\"><script>", Some("That <token>"), false);
        assert!(!page.contains("<script>") && page.contains("&quot;&gt;&lt;script&gt;"));
        assert!(page.contains(r#"role="alert""#) && page.contains("That &lt;token&gt;"));
        assert!(page.contains(r#"<label for="token">"#) && !page.contains("http-equiv"));
        assert!(sign_in_page("/", None, true).contains(r#"http-equiv="refresh""#));
    }

    #[test]
    fn https_comes_from_the_uri_or_the_first_forwarded_proto() {
        let plain: Uri = "/".parse().unwrap();
        assert!(is_https(&plain, &headers(&[("x-forwarded-proto", "HTTPS, http")])));
        assert!(!is_https(&plain, &headers(&[("x-forwarded-proto", "http, https")])));
        assert!(is_https(&"https://player.example/".parse().unwrap(), &HeaderMap::new()));
        assert!(!is_https(&plain, &HeaderMap::new()));
        let cookie = session_cookie("v", true);
        assert_eq!(cookie, "cep_session=v; HttpOnly; SameSite=Strict; Path=/; Secure");
    }

    #[test]
    fn preflights_are_options_with_origin_and_a_requested_method() {
        let preflight =
            headers(&[("origin", "https://a.example"), ("access-control-request-method", "POST")]);
        assert!(is_preflight(&Method::OPTIONS, &preflight));
        assert!(!is_preflight(&Method::POST, &preflight));
        let handshake =
            headers(&[("origin", "https://a.example"), ("webhook-request-origin", "eventgrid.azure.net")]);
        assert!(!is_preflight(&Method::OPTIONS, &handshake));
    }

    #[test]
    fn pages_name_their_nonce_in_the_policy() {
        let csp = content_security_policy(Some("abc"));
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{csp}");
        assert_eq!(content_security_policy(None), STATIC_CSP);
        assert!(STATIC_CSP.contains("frame-ancestors 'none'") && STATIC_CSP.contains("object-src 'none'"));
    }
}
