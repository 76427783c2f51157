//! What the accept loop serves: the body deadline, the access rules and the security headers
//! around the router, with ingest dispatched ahead of it.

use crate::server::access::{self, ingest_route};
use crate::server::{AppState, connections, ingest};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::Response;
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The app as one tower service, with one boxed future per request. As `from_fn` and
/// `map_request` layers, the same wraps cost each request two more boxed futures, a boxed clone
/// of the router and a `Next`.
#[derive(Clone)]
pub struct Front {
    state: AppState,
    router: Router,
}

impl Front {
    /// `router` is every route; `state` carries the access rules and the body deadline.
    pub fn new(state: AppState, router: Router) -> Self {
        Self { state, router }
    }

    /// `POST` to an ingest path goes straight to its handler: the hot path, where the router's
    /// lookup, its `MatchedPath` extension and the route's boxed service clones were a tenth of
    /// the work. The router keeps the same routes for every other method and for the OpenAPI
    /// document; both come from [`ingest_route`].
    async fn dispatch(&self, request: Request) -> Response {
        if request.method() == Method::POST
            && let Some(route) = ingest_route(request.uri().path())
        {
            let started = Instant::now();
            let response = ingest::post_events(State(self.state.clone()), request).await;
            let seconds = started.elapsed().as_secs_f64();
            let status = response.status().as_u16();
            self.state.metrics.observe_request(&Method::POST, Cow::Borrowed(route), status, seconds);
            return response;
        }
        match tower::Service::call(&mut self.router.clone(), request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

impl tower::Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let request = connections::with_body_deadline(request, self.state.config.body_timeout);
        let front = self.clone();
        Box::pin(async move {
            let mut response = front.state.access.admit(request, |request| front.dispatch(request)).await;
            access::security_headers(response.headers_mut());
            Ok(response)
        })
    }
}
