//! Cross-site form posts are refused: every state-changing request must come
//! from our own pages (`Sec-Fetch-Site`, else `Origin`). Clients that send
//! neither header — the JSON API's scripts, curl — are not browsers acting
//! for a visitor of another site, and pass.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use findkin_app::i18n::{t, Lang};
use findkin_app::site::SiteContext;

use super::error::ApiError;
use super::AppState;

/// Whether a request's own headers say it came from another site.
fn cross_site(req: &Request, st: &AppState) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header("origin") else { return false };
    if origin == st.public_url.origin() {
        return false;
    }
    // A development server answers to whatever name the browser used.
    let host = header(header::HOST.as_str()).unwrap_or_default();
    st.public_url.is_configured() || origin.split_once("://").map(|(_, h)| h) != Some(host)
}

pub async fn same_origin_writes(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !writes || !cross_site(&req, &st) {
        return next.run(req).await;
    }
    crate::metrics::refused("cross_site");
    if req.uri().path().starts_with("/api/") {
        return ApiError::CrossSite.into_response();
    }
    let lang = req.extensions().get::<SiteContext>().map(|s| s.lang).unwrap_or(Lang::Ru);
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], t(lang, "site.error.cross_site"))
        .into_response()
}
