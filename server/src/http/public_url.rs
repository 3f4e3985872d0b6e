//! The address the public reaches us at (`--public-url`). HSTS, the staff
//! cookie's `Secure` flag and every link sent to a relative come from it,
//! never from request headers a client or proxy could forge.

use axum::extract::{Request, State};
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// `https://findkin.example` (no trailing slash), or the listening address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    base: String,
    /// Whether it was configured; without it, a development server also
    /// accepts forms from whatever host name the browser used.
    configured: bool,
}

impl PublicUrl {
    /// Parses `--public-url`: `http(s)://host[:port]`, no path.
    pub fn parse(text: &str) -> Result<PublicUrl, String> {
        let base = text.trim().trim_end_matches('/').to_string();
        let rest = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => {
                Ok(PublicUrl { base, configured: true })
            }
            _ => Err(format!("{text:?} is not a site address like https://findkin.example (scheme and host, no path)")),
        }
    }

    /// The listening address, when no public URL is configured.
    pub fn local(addr: std::net::SocketAddr) -> PublicUrl {
        PublicUrl { base: format!("http://{addr}"), configured: false }
    }

    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    pub fn is_configured(&self) -> bool {
        self.configured
    }

    /// The origin browsers send for our own pages (`Origin` header).
    pub fn origin(&self) -> &str {
        &self.base
    }

    /// An absolute link to `path` (which starts with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Puts the public address into every request (for cookies and links) and,
/// when it is https, HSTS on every response: once a browser has seen us over
/// TLS it never falls back to plain http.
pub async fn apply(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(st.public_url.clone());
    let mut resp = next.run(req).await;
    if st.public_url.is_https() {
        resp.headers_mut()
            .insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scheme_and_host() {
        let u = PublicUrl::parse("https://findkin.example/").expect("url");
        assert!(u.is_https() && u.is_configured());
        assert_eq!(u.link("/status/FK-1?t=x"), "https://findkin.example/status/FK-1?t=x");
        assert!(PublicUrl::parse("findkin.example").is_err());
        assert!(PublicUrl::parse("https://findkin.example/app").is_err());
        assert!(!PublicUrl::local(([127, 0, 0, 1], 3000).into()).is_https());
    }
}
