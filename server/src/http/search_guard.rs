//! One search budget for every door to the registry: the results page, the
//! server function behind live search, and the JSON API. Each client
//! ([`ClientKey`]) has its own bucket and all share a global one, so that
//! neither one client nor many addresses can list the registry quickly.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use findkin_app::backend::RATE_LIMITED_FN_ERROR;
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::site::SiteContext;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client_ip::{ClientIp, ClientKey};
use super::error::ApiError;
use super::AppState;

/// A per-client and a global token bucket charged together: one client
/// cannot take more than its share, many addresses cannot take more than
/// the whole. Used for searches (in memory, per replica); submissions,
/// messages and photos are charged in the database
/// ([`crate::submission_budget`]).
pub struct Budget {
    per_client: Option<DefaultKeyedRateLimiter<ClientKey>>,
    global: Option<DefaultDirectRateLimiter>,
}

/// The search budget: a [`Budget`] built by [`Budget::new`].
pub type SearchBudget = Budget;

impl Budget {
    /// The search budget: `per_minute` searches per client with a burst of
    /// a quarter of it (at most 30: a relative typing with live results),
    /// and `global_per_second` for everyone together with a burst of two
    /// seconds' worth. `None` when `per_minute` is 0 (no limit, for benchmarks).
    pub fn new(per_minute: u32, global_per_second: u32) -> Option<Arc<Budget>> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new((per_minute.get() / 4).clamp(1, 30))?;
        let period = Duration::from_millis(60_000 / u64::from(per_minute.get())).max(Duration::from_millis(1));
        let client = Quota::with_period(period)?.allow_burst(burst);
        let global_rate = NonZeroU32::new(global_per_second.max(1))?;
        let global_burst = NonZeroU32::new(global_rate.get().saturating_mul(2))?;
        let global = Quota::per_second(global_rate).allow_burst(global_burst);
        Some(Arc::new(Budget {
            per_client: Some(RateLimiter::keyed(client)),
            global: Some(RateLimiter::direct(global)),
        }))
    }

    /// Charges one unit to `key`; `Err` says how long to wait. (Governor's
    /// single-cell check: exactly what searches always used.)
    pub fn check(&self, key: ClientKey) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        if let Some(per_client) = &self.per_client {
            per_client.check_key(&key).map_err(|na| na.wait_time_from(now))?;
        }
        if let Some(global) = &self.global {
            global.check().map_err(|na| na.wait_time_from(now))?;
        }
        Ok(())
    }

    /// Forgets idle clients so the table stays small.
    pub fn retain_recent(&self) {
        if let Some(per_client) = &self.per_client {
            per_client.retain_recent();
        }
    }
}

/// Adds `Retry-After` (whole seconds, at least 1) and `no-store` to a refusal.
pub fn with_retry_after(mut resp: Response, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The doors a search comes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Page,
    ServerFn,
    Api,
}

impl Door {
    /// The metrics label.
    fn label(self) -> &'static str {
        match self {
            Door::Page => "search_page",
            Door::ServerFn => "search_fn",
            Door::Api => "search_api",
        }
    }
}

fn door(req: &Request) -> Option<Door> {
    // Decoded as the page decodes it (`%71=` is `q=` too); a query string
    // that cannot be decoded is charged rather than let through.
    let has_q = || {
        req.uri().query().is_some_and(|_| {
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri())
                .map_or(true, |axum::extract::Query(pairs)| pairs.iter().any(|(k, _)| k == "q"))
        })
    };
    match req.uri().path() {
        "/search" if has_q() => Some(Door::Page),
        "/_fn/search" => Some(Door::ServerFn),
        "/api/v1/search" => Some(Door::Api),
        _ => None,
    }
}

/// Charges every search to the client's budget before it runs; refusals
/// are 429 with `Retry-After`, worded for whoever is asking.
pub async fn search_guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let Some(door) = door(&req) else {
        return next.run(req).await;
    };
    let Some(budget) = st.search_budget.as_ref() else {
        crate::metrics::searched(door.label());
        return next.run(req).await;
    };
    let Some(client) = req.extensions().get::<ClientIp>().copied() else {
        return next.run(req).await;
    };
    match budget.check(client.key()) {
        Ok(()) => {
            crate::metrics::searched(door.label());
            next.run(req).await
        }
        Err(wait) => {
            let lang = req.extensions().get::<SiteContext>().map(|s| s.lang).unwrap_or_default();
            crate::metrics::rate_limited(door.label());
            refusal(door, lang, wait)
        }
    }
}

fn refusal(door: Door, lang: Lang, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let resp = match door {
        Door::Api => ApiError::TooManyRequests.into_response(),
        Door::ServerFn => {
            use leptos::server_fn::error::FromServerFnError;
            let err = leptos::prelude::ServerFnError::new(RATE_LIMITED_FN_ERROR);
            (StatusCode::TOO_MANY_REQUESTS, err.ser()).into_response()
        }
        Door::Page => {
            (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(limited_page(lang, seconds))).into_response()
        }
    };
    with_retry_after(resp, wait)
}

/// A calm page in the visitor's language: what happened, when to retry.
fn limited_page(lang: Lang, seconds: u64) -> String {
    use findkin_app::document::{escape_text, static_document, Referrer};
    let body = format!(
        "<main id=\"main\"><section class=\"limited\"><h1>{}</h1><p>{}</p><p>{}</p><p><a class=\"button\" \
         href=\"/search\">{}</a></p></section></main>",
        escape_text(&t(lang, "search.limited.title")),
        escape_text(&t(lang, "search.error.rate_limited")),
        escape_text(&tf(lang, "search.limited.retry", &[("seconds", &seconds.to_string())])),
        escape_text(&t(lang, "search.limited.back")),
    );
    static_document(lang, &t(lang, "search.limited.title"), Referrer::Never, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn key(s: &str) -> ClientKey {
        ClientIp(s.parse::<IpAddr>().expect("ip")).key()
    }

    #[test]
    fn a_client_gets_its_burst_then_waits() {
        let budget = SearchBudget::new(120, 1000).expect("budget");
        let passed = (0..100).filter(|_| budget.check(key("192.0.2.1")).is_ok()).count();
        assert_eq!(passed, 30, "burst of a quarter of the per-minute rate");
        let wait = budget.check(key("192.0.2.1")).expect_err("spent");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(budget.check(key("192.0.2.2")).is_ok(), "another client has its own bucket");
        assert!(budget.check(key("2001:db8::1")).is_ok());
    }

    #[test]
    fn many_addresses_share_the_global_cap() {
        let budget = SearchBudget::new(120, 10).expect("budget");
        let passed = (0..200u8).filter(|i| budget.check(key(&format!("198.51.100.{i}"))).is_ok()).count();
        assert_eq!(passed, 20, "two seconds' worth of the global rate");
        assert!(SearchBudget::new(0, 10).is_none(), "0 turns the budget off");
    }
}
