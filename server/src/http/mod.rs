//! The HTTP service: pages (Leptos, server-rendered), the JSON API, health,
//! static files, and the layers around them (request ids, logs, headers).

mod api;
mod error;
pub mod requests;
mod site;
mod staff;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::extract::FromRef;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use findkin_app::backend::SharedBackend;
use findkin_app::{shell, App};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

use crate::backend::SiteBackend;
use crate::registry::Registry;
use crate::Error;

/// Content-Security-Policy of the pages that carry no script at all (the
/// staff console and the request pages): nothing but our own styles and
/// images, forms only to us, never framed.
pub const STRICT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Shared by every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub registry: Arc<Registry>,
    pub demo: bool,
    /// For uploads waiting for confirmation.
    pub data_dir: std::path::PathBuf,
    /// Public search requests per minute per client address; 0: no limit.
    pub search_rate_per_minute: u32,
}

/// The public search route, rate-limited per client address (governor).
fn search_route(rate_per_minute: u32) -> axum::routing::MethodRouter<AppState> {
    let route = get(api::search);
    if rate_per_minute == 0 {
        return route;
    }
    let period = Duration::from_millis(60_000 / u64::from(rate_per_minute)).max(Duration::from_millis(1));
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .period(period)
        .burst_size((rate_per_minute / 4).clamp(1, 30))
        .finish();
    let Some(config) = config else { return route };
    let config = Arc::new(config);
    let limiter = config.limiter().clone();
    // Forget idle clients so the table does not grow without bound.
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    route.layer(
        tower_governor::GovernorLayer::new(config)
            .error_handler(|_| axum::response::IntoResponse::into_response(ApiError::TooManyRequests)),
    )
}

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    let backend: SharedBackend = Arc::new(SiteBackend { registry: Arc::clone(&state.registry) });
    let routes = generate_route_list(App);
    let request_id = HeaderName::from_static("x-request-id");
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/v1/search", search_route(state.search_rate_per_minute))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/requests", post(requests::api_submit))
        .route("/api/v1/requests/{reference}", get(requests::api_status))
        .route(
            "/request",
            get(requests::form)
                .post(requests::submit)
                .layer(DefaultBodyLimit::max(4 * crate::photos::Limits::default().max_bytes)),
        )
        .route("/status/{reference}", get(requests::status))
        .route("/status/{reference}/message", post(requests::message))
        .route("/status/{reference}/withdraw", post(requests::withdraw))
        .route(
            "/status/{reference}/photo",
            post(requests::add_photo).layer(DefaultBodyLimit::max(2 * crate::photos::Limits::default().max_bytes)),
        )
        .route("/status/{reference}/photos/{photo}", get(requests::photo))
        .merge(staff::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), site::site_context))
        // Slow phones behind Tor: the wasm bundle and pages shrink about threefold.
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        // same-origin, not no-referrer: browsers then send a real Origin on
        // our own form posts (the sign-in form relies on it) and nothing to others.
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // The span carries the path only: query strings hold names, and
            // names never go to the logs.
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|r| r.header_value().to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Keeps the index following the database while serving.
fn spawn_index_follower(registry: Arc<Registry>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            match registry.sync(&mut |_, _| {}).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(records = n, "search index updated"),
                Err(e) => tracing::warn!(error = %e, "search index update failed; will retry"),
            }
        }
    });
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState) -> Result<(), Error> {
    let addr = state.leptos_options.site_addr;
    spawn_index_follower(Arc::clone(&state.registry));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {addr}: {e}")))?;
    tracing::info!("serving on http://{addr}");
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
