//! The health endpoints answer without a socket (router `oneshot`).
#![cfg(feature = "ssr")]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cloudevent_player::server::{AppState, config::Config, router};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use tower::ServiceExt;

fn app() -> axum::Router {
    let options = LeptosOptions::builder().output_name("cloudevent-player").build();
    router(AppState::new(Config::default(), options))
}

#[tokio::test]
async fn healthz_and_health_answer_ok() {
    for path in ["/healthz", "/health"] {
        let response = app().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok", "{path}");
    }
}

#[tokio::test]
async fn home_page_is_rendered_on_the_server() {
    let response = app().oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(html.contains("<title>CloudEvent Player</title>"), "{html}");
    assert!(html.contains("No events yet"));
    assert!(html.contains("/pkg/cloudevent-player.js"), "hydration script missing: {html}");
}

#[test]
fn listen_flag_overrides_the_site_address() {
    use clap::Parser;
    let config = Config::try_parse_from(["cloudevent-player", "--listen", "127.0.0.1:9999"]).unwrap();
    assert_eq!(config.listen, Some("127.0.0.1:9999".parse().unwrap()));
    assert!(Config::try_parse_from(["cloudevent-player", "--listen", "nowhere"]).is_err());
}
