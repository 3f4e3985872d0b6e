//! Per-request site context (language, demo flag) for the pages, and the
//! headers every response carries.

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use findkin_app::i18n::Lang;
use findkin_app::site::SiteContext;

use super::AppState;

fn lang_from_query(query: Option<&str>) -> Option<Lang> {
    query?.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::from_code)
}

fn lang_from_cookie(req: &Request) -> Option<Lang> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lang="))
        .and_then(Lang::from_code)
}

/// Chooses the language: `?lang=` (remembered in a cookie), then the
/// cookie, then Russian. Accept-Language is ignored on purpose: Tor Browser
/// always sends en-US, and our readers are Russian-speaking first.
pub async fn site_context(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let chosen = lang_from_query(req.uri().query());
    let lang = chosen.or_else(|| lang_from_cookie(&req)).unwrap_or_default();
    req.extensions_mut().insert(SiteContext { lang, demo: st.demo });
    let mut resp = next.run(req).await;
    if let Some(l) = chosen {
        let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", l.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_query_parameter() {
        assert_eq!(lang_from_query(Some("q=x&lang=uk")), Some(Lang::Uk));
        assert_eq!(lang_from_query(Some("lang=zz")), None);
        assert_eq!(lang_from_query(None), None);
    }
}
