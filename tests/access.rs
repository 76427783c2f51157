//! Access rules through the whole router (DESIGN §9): the token in its three forms, the sign-in
//! page and its cookie, the `Host` check, CORS on the ingest routes, and the security headers.
#![cfg(feature = "ssr")]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;

const TOKEN: &str = "s3cret-token";
const HTML: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

fn locked() -> axum::Router {
    app(&["--token", TOKEN])
}

async fn request(
    app: &axum::Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(app, request.body(Body::from(body.to_owned())).unwrap()).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// Asserts a 401 in the error shape with the Bearer challenge.
fn assert_unauthorized(reply: &Reply, what: &str) {
    let error = reply.error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(header(reply, "www-authenticate"), r#"Bearer realm="cloudevent-player""#, "{what}");
    assert!(!error["message"].as_str().unwrap().contains(TOKEN), "{what}: the token is never echoed");
}

/// Signs in through the form and returns the `Set-Cookie` header.
async fn sign_in(app: &axum::Router, extra: &[(&str, &str)]) -> Reply {
    let mut headers = vec![("content-type", "application/x-www-form-urlencoded"), HTML];
    headers.extend_from_slice(extra);
    request(app, Method::POST, "/api/session", &headers, &format!("token={TOKEN}&next=%2F%3Ftype%3Da.*"))
        .await
}

fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn the_token_passes_in_the_header_the_query_or_the_session_cookie() {
    let app = locked();
    let bearer = format!("Bearer {TOKEN}");
    let reply = request(&app, Method::GET, "/api/status", &[("authorization", &bearer)], "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    let reply = get(&app, &format!("/api/status?access_token={TOKEN}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    let signed_in = sign_in(&app, &[]).await;
    let cookie = cookie_pair(header(&signed_in, "set-cookie")).to_owned();
    let reply = request(&app, Method::GET, "/api/status", &[("cookie", &cookie)], "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());

    // Producers: the token in the header or in the URL (a Knative Trigger's subscriber URI).
    let body = event("1").to_string();
    let ce = ("content-type", "application/cloudevents+json");
    let reply = request(&app, Method::POST, "/events", &[ce, ("authorization", &bearer)], &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let reply = request(&app, Method::POST, &format!("/events/pub?access_token={TOKEN}"), &[ce], &body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_everywhere_but_health() {
    let app = locked();
    let ce = ("content-type", "application/cloudevents+json");
    let body = event("1").to_string();
    for (method, uri) in [
        (Method::GET, "/api/status"),
        (Method::GET, "/api/events"),
        (Method::DELETE, "/api/events"),
        (Method::POST, "/"),
        (Method::POST, "/events"),
        (Method::POST, "/events/pub"),
        (Method::GET, "/stream"),
        (Method::GET, "/metrics"),
        (Method::GET, "/api/nowhere"),
        (Method::GET, "/pkg/cloudevent-player.wasm"),
    ] {
        let reply = request(&app, method.clone(), uri, &[ce], &body).await;
        assert_unauthorized(&reply, &format!("{method} {uri} without a token"));
        let wrong = [ce, ("authorization", "Bearer not-the-token")];
        let reply = request(&app, method.clone(), uri, &wrong, &body).await;
        assert_unauthorized(&reply, &format!("{method} {uri} with a wrong token"));
    }
    let reply = get(&app, "/stream?access_token=s3cret").await;
    assert_unauthorized(&reply, "a prefix of the token");
    let reply =
        request(&app, Method::GET, "/api/status", &[("cookie", &format!("cep_session={TOKEN}"))], "").await;
    assert_unauthorized(&reply, "the token itself is not a session cookie");

    for path in ["/healthz", "/health"] {
        let reply = get(&app, path).await;
        assert_eq!((reply.status, reply.text().as_str()), (StatusCode::OK, "ok"), "{path}");
    }
}

#[tokio::test]
async fn nothing_is_stored_from_a_refused_producer() {
    let app = locked();
    let reply = post_structured(&app, &event("refused")).await;
    assert_unauthorized(&reply, "POST /events");
    let status = get(&app, &format!("/api/status?access_token={TOKEN}")).await.json();
    assert_eq!(status["total_events"], 0, "{status}");
}

#[tokio::test]
async fn without_a_token_everything_is_open() {
    let app = app(&[]);
    assert_eq!(get(&app, "/api/status").await.status, StatusCode::OK);
    assert_eq!(post_structured(&app, &event("1")).await.status, StatusCode::ACCEPTED);
    let page = request(&app, Method::GET, "/", &[HTML], "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("data-testid=\"app\""));
}

#[tokio::test]
async fn a_browser_without_a_credential_gets_the_sign_in_page() {
    let app = locked();
    let reply = request(&app, Method::GET, "/?type=com.example.*", &[HTML], "").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(header(&reply, "content-type").starts_with("text/html"));
    assert_eq!(header(&reply, "www-authenticate"), r#"Bearer realm="cloudevent-player""#);
    assert_eq!(header(&reply, "cache-control"), "no-store");
    let html = reply.text();
    assert!(html.contains(r#"<form method="post" action="/api/session""#), "{html}");
    assert!(html.contains(r#"<label for="token">"#) && html.contains(r#"id="token" name="token""#));
    assert!(html.contains(r#"name="next" value="/?type=com.example.*""#), "{html}");
    assert!(!html.contains("<script"), "the sign-in page runs no script");
    assert!(!html.contains("role=\"alert\""), "no error before a try");
    assert!(!html.contains("data-testid=\"app\""), "nothing of the app leaks");
    assert!(html.contains("prefers-color-scheme:dark") && html.contains("width=device-width"));
}

#[tokio::test]
async fn a_cross_site_arrival_reloads_once_so_the_strict_cookie_is_sent() {
    let app = locked();
    let reply = request(&app, Method::GET, "/", &[HTML, ("sec-fetch-site", "cross-site")], "").await;
    assert!(reply.text().contains(r#"<meta http-equiv="refresh" content="0">"#));
    let reply = request(&app, Method::GET, "/", &[HTML, ("sec-fetch-site", "same-origin")], "").await;
    assert!(!reply.text().contains("http-equiv"), "a same-origin request never reloads again");
}

#[tokio::test]
async fn the_right_token_sets_the_session_cookie_and_returns_to_next() {
    let app = locked();
    let reply = sign_in(&app, &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(header(&reply, "location"), "/?type=a.*");
    let cookie = header(&reply, "set-cookie");
    let (pair, attributes) = cookie.split_once("; ").unwrap();
    let value = pair.strip_prefix("cep_session=").expect(cookie);
    assert!(!value.is_empty() && !value.contains(TOKEN), "the cookie is not the token: {cookie}");
    assert_eq!(attributes, "HttpOnly; SameSite=Strict; Path=/");

    let again = sign_in(&app, &[]).await;
    assert_eq!(header(&again, "set-cookie"), cookie, "deterministic: replicas and restarts agree");
    let other = common::app(&["--token", "another-token"]);
    let theirs = request(&other, Method::GET, "/api/status", &[("cookie", pair)], "").await;
    assert_unauthorized(&theirs, "another token's server");

    let page = request(&app, Method::GET, "/", &[HTML, ("cookie", pair)], "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(r#"data-testid="app""#));
}

#[tokio::test]
async fn over_https_the_cookie_is_secure() {
    let app = locked();
    let reply = sign_in(&app, &[("x-forwarded-proto", "https")]).await;
    assert!(header(&reply, "set-cookie").ends_with("; Secure"), "{}", header(&reply, "set-cookie"));
    let reply = request(
        &app,
        Method::GET,
        &format!("/?access_token={TOKEN}"),
        &[HTML, ("x-forwarded-proto", "https")],
        "",
    )
    .await;
    assert!(header(&reply, "set-cookie").ends_with("; Secure"));
}

#[tokio::test]
async fn a_wrong_token_shows_the_form_again_with_an_error() {
    let app = locked();
    let form = ("content-type", "application/x-www-form-urlencoded");
    for body in ["token=nope&next=%2F", "token=&next=%2F", ""] {
        let reply = request(&app, Method::POST, "/api/session", &[form, HTML], body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(reply.headers.get("set-cookie").is_none(), "{body}");
        let html = reply.text();
        assert!(
            html.contains(r#"role="alert""#) && html.contains(r#"aria-invalid="true""#),
            "{body}: {html}"
        );
    }
    let reply = request(&app, Method::POST, "/api/session", &[form], "token=nope").await;
    assert_unauthorized(&reply, "a sign-in from a client that does not take HTML");
}

#[tokio::test]
async fn next_never_leaves_the_origin() {
    let app = locked();
    let form = ("content-type", "application/x-www-form-urlencoded");
    for next in ["https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example%2F", "%2F%5Cevil.example"] {
        let body = format!("token={TOKEN}&next={next}");
        let reply = request(&app, Method::POST, "/api/session", &[form, HTML], &body).await;
        assert_eq!(header(&reply, "location"), "/", "{next}");
    }
}

#[tokio::test]
async fn a_page_url_with_the_token_sets_the_cookie_and_drops_the_token() {
    let app = locked();
    let uri = format!("/?type=com.example.*&access_token={TOKEN}&q=refund");
    let reply = request(&app, Method::GET, &uri, &[HTML], "").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(header(&reply, "location"), "/?type=com.example.*&q=refund");
    let cookie = header(&reply, "set-cookie");
    assert!(
        cookie.starts_with("cep_session=") && cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/"),
        "{cookie}"
    );
    assert_eq!(cookie, header(&sign_in(&app, &[]).await, "set-cookie"), "the same session as the form's");

    let wrong = request(&app, Method::GET, "/?access_token=nope", &[HTML], "").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains(r#"role="alert""#));
    assert!(wrong.text().contains(r#"name="next" value="/""#), "the wrong token is not kept in next");
}

#[tokio::test]
async fn signing_out_clears_the_cookie() {
    let reply = request(&locked(), Method::DELETE, "/api/session", &[], "").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(header(&reply, "set-cookie"), "cep_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_loopback() {
    let app = app(&[]);
    for host in ["evil.example", "evil.example:3000", "10.0.0.7", "localhost.evil.example"] {
        let reply = request(&app, Method::GET, "/api/status", &[("host", host)], "").await;
        let error = reply.error(StatusCode::FORBIDDEN, "host_not_allowed");
        assert!(error["message"].as_str().unwrap().contains("--allowed-host"), "{error}");
        let page = request(&app, Method::GET, "/", &[("host", host), HTML], "").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{host}: the page too");
    }
    let reply = request(&app, Method::GET, "/healthz", &[("host", "10.0.0.7:8080")], "").await;
    assert_eq!(reply.status, StatusCode::OK, "probes use the pod IP");
}

#[tokio::test]
async fn loopback_names_pass_with_any_port_or_case() {
    let app = app(&["--allowed-host", "player.example.com"]);
    for host in [
        "localhost",
        "localhost:3000",
        "LOCALHOST:3000",
        "app.localhost:3000",
        "127.0.0.1:3000",
        "127.0.0.2",
        "[::1]:3000",
        "[::1]",
        "player.example.com",
        "Player.Example.COM:443",
    ] {
        let reply = request(&app, Method::GET, "/api/status", &[("host", host)], "").await;
        assert_eq!(reply.status, StatusCode::OK, "{host}: {}", reply.text());
    }
    let reply = get(&app, "/api/status").await;
    assert_eq!(reply.status, StatusCode::OK, "no Host (HTTP/1.0) on loopback");
}

#[tokio::test]
async fn on_all_interfaces_any_host_passes_until_names_are_given() {
    let open = app(&["--listen", "0.0.0.0:8080"]);
    let reply = request(&open, Method::GET, "/api/status", &[("host", "player.internal:8080")], "").await;
    assert_eq!(reply.status, StatusCode::OK);

    let named =
        app(&["--listen", "0.0.0.0:8080", "--allowed-host", "player.example.com,*.svc.cluster.local"]);
    for host in ["player.example.com", "cep.default.svc.cluster.local:8080", "localhost:8080", "[::1]:8080"] {
        let reply = request(&named, Method::GET, "/api/status", &[("host", host)], "").await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
    }
    let reply = request(&named, Method::GET, "/api/status", &[("host", "rebound.evil.example")], "").await;
    reply.error(StatusCode::FORBIDDEN, "host_not_allowed");
    let reply = get(&named, "/api/status").await;
    reply.error(StatusCode::FORBIDDEN, "host_not_allowed");
    let reply = request(&named, Method::GET, "/healthz", &[("host", "10.1.2.3")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn the_host_is_checked_before_the_token() {
    let reply = request(&locked(), Method::GET, "/api/status", &[("host", "evil.example")], "").await;
    reply.error(StatusCode::FORBIDDEN, "host_not_allowed");
}

const ORIGIN: &str = "https://app.example.com";

fn preflight_headers(origin: &str) -> Vec<(&str, &str)> {
    vec![
        ("origin", origin),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "ce-id,ce-source,ce-specversion,ce-type,content-type"),
    ]
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_succeeds_without_the_token() {
    let app = app(&["--token", TOKEN, "--cors-origin", ORIGIN]);
    for path in ["/", "/events", "/events/pub"] {
        let reply = request(&app, Method::OPTIONS, path, &preflight_headers(ORIGIN), "").await;
        assert!(reply.status.is_success(), "{path}: {}", reply.status);
        assert_eq!(header(&reply, "access-control-allow-origin"), ORIGIN);
        assert_eq!(header(&reply, "access-control-allow-methods"), "POST");
        assert_eq!(
            header(&reply, "access-control-allow-headers"),
            "ce-id,ce-source,ce-specversion,ce-type,content-type"
        );
        assert!(header(&reply, "vary").contains("Origin"));
        assert!(reply.headers.get("access-control-allow-credentials").is_none());
    }
    let bearer = format!("Bearer {TOKEN}");
    let headers = [
        ("origin", ORIGIN),
        ("content-type", "application/cloudevents+json"),
        ("authorization", bearer.as_str()),
    ];
    let reply = request(&app, Method::POST, "/events", &headers, &event("1").to_string()).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(header(&reply, "access-control-allow-origin"), ORIGIN);
    let reply = request(&app, Method::POST, "/events", &headers[..2], &event("2").to_string()).await;
    assert_unauthorized(&reply, "a cross-origin POST without the token");
    assert_eq!(header(&reply, "access-control-allow-origin"), ORIGIN, "the page can read why");
}

#[tokio::test]
async fn other_origins_and_other_routes_get_no_cors_headers() {
    let app = app(&["--cors-origin", ORIGIN]);
    let reply =
        request(&app, Method::OPTIONS, "/events", &preflight_headers("https://evil.example"), "").await;
    assert!(reply.headers.get("access-control-allow-origin").is_none(), "{:?}", reply.headers);
    let reply = request(&app, Method::OPTIONS, "/api/events", &preflight_headers(ORIGIN), "").await;
    assert!(reply.headers.get("access-control-allow-origin").is_none(), "only ingest routes");
    let headers = [("origin", "https://evil.example"), ("content-type", "application/cloudevents+json")];
    let reply = request(&app, Method::POST, "/events", &headers, &event("1").to_string()).await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());
    let reply = request(&common::app(&[]), Method::OPTIONS, "/events", &preflight_headers(ORIGIN), "").await;
    assert!(reply.headers.get("access-control-allow-origin").is_none(), "no CORS by default");
}

#[tokio::test]
async fn the_webhook_handshake_still_reaches_the_ingest_routes() {
    let handshake = [("webhook-request-origin", "eventgrid.azure.net")];
    for (app, uri) in [
        (app(&[]), "/events".to_owned()),
        (app(&["--cors-origin", ORIGIN]), "/events".to_owned()),
        (locked(), format!("/events?access_token={TOKEN}")),
    ] {
        let mut headers = handshake.to_vec();
        headers.push(("origin", ORIGIN));
        let reply = request(&app, Method::OPTIONS, &uri, &headers, "").await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text());
        assert_eq!(header(&reply, "webhook-allowed-origin"), "eventgrid.azure.net");
        assert_eq!(header(&reply, "webhook-allowed-rate"), "*");
    }
    let reply = request(&locked(), Method::OPTIONS, "/events", &handshake, "").await;
    assert_unauthorized(&reply, "a handshake without the token");
}

fn assert_security_headers(reply: &Reply, what: &str) {
    let csp = header(reply, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} missing from {csp:?}");
    }
    assert!(
        !csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{what}: {csp}"
    );
    assert_eq!(header(reply, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(reply, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(reply, "x-frame-options"), "DENY", "{what}");
}

/// The nonce the page's policy names, checked against every inline script of the page.
fn assert_page_nonce(reply: &Reply, what: &str) -> String {
    let csp = header(reply, "content-security-policy");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect(csp).to_owned();
    assert!(nonce.len() >= 16, "{what}: {nonce}");
    let html = reply.text();
    let scripts: Vec<&str> = html.split("<script").skip(1).map(|s| s.split('>').next().unwrap()).collect();
    assert!(scripts.len() >= 2, "{what}: the theme boot and the hydration loader: {scripts:?}");
    for script in scripts {
        assert!(script.contains(&format!(r#"nonce="{nonce}""#)), "{what}: <script{script}> has no nonce");
    }
    nonce
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = app_serving("public", &[]);
    let page = request(&app, Method::GET, "/", &[HTML], "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_security_headers(&page, "the page");
    let first = assert_page_nonce(&page, "the page");
    let again = request(&app, Method::GET, "/", &[HTML], "").await;
    assert_ne!(assert_page_nonce(&again, "the page again"), first, "a nonce per response");

    let api = get(&app, "/api/status").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_security_headers(&api, "an API answer");
    assert!(!header(&api, "content-security-policy").contains("nonce"));

    let file = get(&app, "/favicon.svg").await;
    assert_eq!(file.status, StatusCode::OK, "static file");
    assert_security_headers(&file, "a static file");

    let missing = request(&app, Method::GET, "/no/such/page", &[HTML], "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_security_headers(&missing, "the 404 page");
    assert_page_nonce(&missing, "the 404 page");

    let api_missing = get(&app, "/api/nowhere").await;
    assert_eq!(api_missing.status, StatusCode::NOT_FOUND);
    assert_security_headers(&api_missing, "an API 404");

    let ingest = post_structured(&app, &event("1")).await;
    assert_security_headers(&ingest, "an ingest answer");
    assert_security_headers(&get(&app, "/healthz").await, "the health check");
    let refused = request(&app, Method::GET, "/", &[("host", "evil.example")], "").await;
    assert_security_headers(&refused, "a 403");

    let locked = app_serving("public", &["--token", TOKEN]);
    assert_security_headers(&get(&locked, "/api/status").await, "a 401");
    assert_security_headers(&request(&locked, Method::GET, "/", &[HTML], "").await, "the sign-in page");
    let preflight = common::app(&["--cors-origin", ORIGIN]);
    let reply = request(&preflight, Method::OPTIONS, "/events", &preflight_headers(ORIGIN), "").await;
    assert_security_headers(&reply, "a preflight");
}

#[tokio::test]
async fn the_stream_answers_with_the_security_headers() {
    let server = Server::start(&["--token", TOKEN]).await;
    let response = server.http.get(server.url("/stream")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let response =
        server.http.get(server.url(&format!("/stream?access_token={TOKEN}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    drop(response);
    server.stop();
}
