//! Headers that depend on what a response is.

use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Everything but the static browser files says `Cache-Control: no-store`:
/// a search URL holds the name a family looks for, and a status page is
/// private, so no shared cache or back-button cache may keep them.
pub async fn no_store(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_static = path.starts_with("/pkg/") || path == "/favicon.svg";
    let mut resp = next.run(req).await;
    if !is_static {
        resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
