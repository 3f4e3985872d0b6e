//! Headers that depend on what a response is.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Rules for every response:
/// - the static browser files keep the `Cache-Control` their route set (a
///   year, `immutable`, under the content-hashed `/pkg/<hash>/`, see
///   [`super::assets`]); any other (`/pkg/findkin.js`, the favicon) says
///   `public, no-cache`: the name carries no version, so a browser keeps
///   the file but asks each time whether it changed (a 304 from its
///   Last-Modified date costs a phone nothing);
/// - everything else says `Cache-Control: no-store`:
///   a search URL holds the name a family looks for and a status page is
///   private, so no shared or back-button cache may keep them;
/// - an HTML page that set no Content-Security-Policy of its own (the
///   hydrated pages set one with their nonce) gets the strict, script-free one.
pub async fn page_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_static = path.starts_with("/pkg/") || path == "/favicon.svg";
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if is_static {
        headers.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("public, no-cache"));
    } else {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let is_html = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if is_html && !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(super::STRICT_CSP));
    }
    resp
}
