//! The HTTP service: pages (Leptos, server-rendered), the JSON API, health,
//! static files, and the layers around them (request ids, logs, headers).

mod api;
pub mod assets;
pub mod client_ip;
mod error;
mod headers;
mod listen;
mod origin;
mod plain_dates;
pub mod public_url;
pub mod requests;
pub mod search_guard;
mod site;
pub(crate) mod staff;
mod status;

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
use crate::submission_budget::SubmissionBudget;
use crate::Error;

/// Content-Security-Policy of the pages that carry no script at all (the
/// staff console and the request pages): nothing but our own styles and
/// images, forms only to us, never framed.
pub const STRICT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Shared by every handler. Every middleware of every request clones it,
/// so it is one pointer: cloning the fields themselves (the Leptos options,
/// paths, budgets) was 3 % of a search page's CPU.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// leptos_axum renders with the options it finds in the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// What [`AppState`] points to.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub registry: Arc<Registry>,
    pub demo: bool,
    /// For uploads waiting for confirmation.
    pub data_dir: std::path::PathBuf,
    /// The one search budget of every door to the registry; `None`: no limit.
    pub search_budget: Option<Arc<search_guard::SearchBudget>>,
    /// The budgets of what relatives send in: requests, messages, photos.
    pub submissions: Submissions,
    /// Proxies allowed to name the client in `Forwarded` / `X-Forwarded-For`.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Where the public reaches us: HSTS, cookie flags and links come from it.
    pub public_url: public_url::PublicUrl,
    /// Connection limits and timeouts of the listener.
    pub limits: ConnectionLimits,
    /// How long requests closed "no match" are re-matched (days).
    pub rematch_window_days: i64,
    /// The Telegram bot's webhook, when it runs in webhook mode.
    pub telegram: Option<crate::telegram::webhook::Hook>,
}

/// Bounds on what relatives send in (issue 9): each budget is per client
/// and global (`None`: no limit), and photos share a storage budget.
#[derive(Clone, Default)]
pub struct Submissions {
    /// New contact requests, form and API together.
    pub requests: Option<Arc<SubmissionBudget>>,
    /// Requester messages on the status page.
    pub messages: Option<Arc<SubmissionBudget>>,
    /// Photos, with a request or added later, counted one by one.
    pub photos: Option<Arc<SubmissionBudget>>,
    /// Total bytes all stored photos may take; `None`: no budget.
    pub photo_storage_bytes: Option<i64>,
}

/// How long a client may take and how many may be connected at once, so
/// that slow or idle connections cannot hold the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// To send the request line and headers (and the idle time between
    /// requests on a kept-alive connection).
    pub header_timeout: Duration,
    /// For a whole request, body included (uploads from slow phones too).
    pub request_timeout: Duration,
    /// Most connections served at once; further ones wait in the backlog.
    pub max_connections: usize,
}

/// Builds the whole router.
pub fn router(state: AppState) -> Router {
    let backend: SharedBackend = Arc::new(SiteBackend { registry: Arc::clone(&state.registry) });
    let routes = generate_route_list(App);
    let request_id = HeaderName::from_static("x-request-id");
    let options = state.leptos_options.clone();
    // The script-free pages link the stylesheet under the same hashed URL.
    findkin_app::document::set_pkg_dir(&options.site_pkg_dir);
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/openapi.json", get(api::openapi))
        // axum's 2 MiB JSON limit, checked from the Content-Length before a byte is read.
        .route(
            "/api/v1/requests",
            post(requests::api_submit)
                .layer(tower_http::limit::RequestBodyLimitLayer::new(2 * 1024 * 1024))
                .layer(axum::middleware::map_response(error::json_too_large)),
        )
        .route("/api/v1/requests/{reference}", get(requests::api_status))
        .route(
            "/request",
            get(requests::form)
                .post(requests::submit)
                .layer(DefaultBodyLimit::max(4 * crate::photos::Limits::default().max_bytes)),
        )
        .route("/request/photos/{photo}", get(requests::kept_photo))
        .route("/status/recover", get(status::recover_form).post(status::recover))
        .route("/status/{reference}", get(requests::status))
        .route("/status/{reference}/message", post(requests::message))
        .route("/status/{reference}/withdraw", post(requests::withdraw))
        .route(
            "/status/{reference}/photo",
            post(requests::add_photo).layer(DefaultBodyLimit::max(2 * crate::photos::Limits::default().max_bytes)),
        )
        .route("/status/{reference}/photos/{photo}", get(requests::photo))
        .route("/confirm/{token}", get(requests::confirm))
        .route("/telegram/webhook", post(crate::telegram::webhook::receive).layer(DefaultBodyLimit::max(1024 * 1024)))
        .merge(staff::routes())
        // The browser bundle as built: `make site` writes .br and .gz beside
        // each file, so a crowd with JavaScript on costs no compression; its
        // hashed URL lets browsers keep it for a year.
        .merge(assets::routes(&options))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), search_guard::search_guard))
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin::same_origin_writes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), site::site_context))
        .layer(axum::middleware::from_fn_with_state(state.clone(), client_ip::client_ip))
        .layer(axum::middleware::from_fn_with_state(state.clone(), public_url::apply))
        .layer(axum::middleware::from_fn(headers::page_headers))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.limits.request_timeout,
        ))
        // No route takes more than the staff import; anything larger is
        // refused from its Content-Length before a byte is read.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(staff::MAX_BODY_BYTES))
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

/// Keeps the index following the database while serving, and runs each
/// change against the waiting requests once the index holds it.
/// On PostgreSQL a notification from any replica's commit wakes it at once;
/// the 2 s tick catches up whatever a lost notification missed.
fn spawn_index_follower(registry: Arc<Registry>, rematch_window_days: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut listener = registry.store.change_listener().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                woken = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.is_ok(),
                        None => std::future::pending().await,
                    }
                } => {
                    if !woken {
                        // The listener lost its connection and could not get
                        // it back: polling alone from now on.
                        listener = None;
                    }
                }
            }
            match registry.sync(&mut |_, _| {}).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(records = n, "search index updated"),
                // A command-line import indexes its records as it stores
                // them, holding the writer: its commit is read at the next turn.
                Err(crate::Error::Search(findkin_search::SearchError::IndexBusy)) => {
                    tracing::debug!("another findkin process is writing the search index; following it")
                }
                Err(e) => tracing::warn!(error = %e, "search index update failed; will retry"),
            }
            if let Err(e) = registry.rematch(rematch_window_days).await {
                tracing::warn!(error = %e, "re-matching failed; will retry");
            }
        }
    });
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState) -> Result<(), Error> {
    let addr = state.leptos_options.site_addr;
    spawn_index_follower(Arc::clone(&state.registry), state.rematch_window_days);
    let search_budget = state.search_budget.clone();
    let store = state.registry.store.clone();
    // Every minute (the first tick at once): forget idle clients so the
    // budget tables do not grow without bound, and finish an import whose
    // process stopped half-way (findkin_store::import).
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match store.resume_imports().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(imports = n, "finished imports a stopped process had left half-applied"),
                Err(e) => tracing::warn!(error = %e, "cannot finish an interrupted import; will retry"),
            }
            if let Some(b) = &search_budget {
                b.retain_recent();
            }
            if let Err(e) = store.purge_rate_limits(crate::store::clock::unix_now_ms()).await {
                tracing::warn!(error = %e, "cannot purge idle submission budgets");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {addr}: {e}")))?;
    tracing::info!("serving on http://{addr}");
    let limits = state.limits;
    listen::serve_connections(listener, router(state), limits, shutdown_signal()).await;
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
