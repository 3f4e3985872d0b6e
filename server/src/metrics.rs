//! Prometheus metrics, served on their own address (`--metrics-addr`) so
//! that the public never sees them. Labels carry route templates and
//! status codes only: never a name, a query string or an address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::registry::Registry;
use crate::Error;

/// Seconds; public searches answer in milliseconds, photo uploads in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Installs the recorder and serves `/metrics` on `addr` until the process ends.
pub async fn serve(addr: SocketAddr, registry: Arc<Registry>) -> Result<(), Error> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &LATENCY_BUCKETS)
        .and_then(|b| b.install_recorder())
        .map_err(|e| Error::Config(format!("cannot start metrics: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {addr} for metrics: {e}")))?;
    tracing::info!("metrics on http://{addr}/metrics");
    spawn_backlog_gauges(registry).await;
    let app = Router::new().route("/metrics", get(move || render(handle.clone())));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(())
}

async fn render(handle: PrometheusHandle) -> String {
    handle.render()
}

/// Outbox and queue sizes, read from the database every 15 s. The first
/// reading is taken before `/metrics` answers, so the first scrape after a
/// start already holds them instead of racing the first tick.
async fn spawn_backlog_gauges(registry: Arc<Registry>) {
    read_backlog(&registry).await;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        tick.tick().await;
        loop {
            tick.tick().await;
            read_backlog(&registry).await;
        }
    });
}

async fn read_backlog(registry: &Registry) {
    match registry.store.backlog().await {
        Ok((outbox, open)) => {
            metrics::gauge!("findkin_outbox_pending").set(outbox as f64);
            metrics::gauge!("findkin_requests_open").set(open as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the backlog for metrics"),
    }
}

/// Counts every request by route template and status, with its latency.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "other".into());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route).record(started.elapsed().as_secs_f64());
    resp
}

/// A search was let through `door` (search_page, search_fn, search_api).
pub fn searched(door: &'static str) {
    metrics::counter!("findkin_searches_total", "door" => door).increment(1);
}

/// A request was refused by a budget at `door`.
pub fn rate_limited(door: &'static str) {
    metrics::counter!("findkin_rate_limited_total", "door" => door).increment(1);
}

/// A request was refused for what it is (`cross_site`), not for its rate.
pub fn refused(reason: &'static str) {
    metrics::counter!("findkin_refused_total", "reason" => reason).increment(1);
}
