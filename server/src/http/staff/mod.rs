//! The staff console over HTTP: sign-in, records, import, audit, dashboard.
//!
//! Access control lives here in one place: every handler starts with
//! [`Guard::require`], which checks the session and the role's permission
//! (`auth::can`) and writes refusals to the audit log.

mod claims;
mod dashboard;
mod import;
mod notifications;
mod records;
mod requests;
mod signin;
pub(crate) mod words;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use findkin_app::i18n::{t, Lang};
use findkin_app::site::SiteContext;
use findkin_app::staff::{message_page, Notice, Viewer};

use super::AppState;
use crate::audit::Entry;
use crate::auth::sessions::{Session, Stage, COOKIE as SESSION_COOKIE};
use crate::auth::{can, truncate_address, Action, Role};
use crate::http::client_ip::ClientIp;
use crate::http::public_url::PublicUrl;
use crate::Error;

/// The largest body any route takes (the registry import), for the
/// server-wide limit.
pub const MAX_BODY_BYTES: usize = import::MAX_BYTES + 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(dashboard::show))
        .route("/staff/login", get(signin::login_form).post(signin::login))
        .route("/staff/verify", get(signin::code_form).post(signin::verify))
        .route("/staff/enrol", get(signin::enrol_form).post(signin::enrol))
        .route("/staff/password", get(signin::password_form).post(signin::change_password))
        .route("/staff/logout", post(signin::logout))
        .route("/staff/records", get(records::list).post(records::create))
        .route("/staff/records/export.csv", get(records::export))
        .route("/staff/records/new", get(records::new_form))
        .route("/staff/records/{id}", get(records::show).post(records::update))
        .route("/staff/records/{id}/edit", get(records::edit_form))
        .route("/staff/import", get(import::form).post(import::preview).layer(DefaultBodyLimit::max(import::MAX_BYTES)))
        .route("/staff/import/confirm", post(import::confirm))
        .route("/staff/requests", get(requests::queue))
        .route("/staff/requests/{id}", get(requests::show))
        .route("/staff/requests/{id}/claim", post(requests::claim))
        .route("/staff/requests/{id}/ask", post(requests::ask))
        .route("/staff/requests/{id}/propose", post(requests::propose))
        .route("/staff/requests/{id}/no-match", post(requests::no_match))
        .route("/staff/requests/{id}/called-back", post(requests::called_back))
        .route("/staff/requests/{id}/reject", post(requests::reject))
        .route("/staff/requests/{id}/approve", post(requests::approve))
        .route("/staff/requests/{id}/return", post(requests::return_to_review))
        .route("/staff/requests/{id}/message", post(requests::message))
        .route("/staff/requests/{id}/release", post(requests::release))
        .route("/staff/claims", get(claims::list))
        .route("/staff/claims/{id}", post(claims::reassign))
        .route("/staff/photos/{token}", get(requests::photo))
        .route("/staff/audit", get(dashboard::audit))
        .route("/staff/audit.csv", get(dashboard::audit_csv))
        .route("/staff/notifications", get(notifications::show).post(notifications::save))
        .route("/staff/notifications/telegram", post(notifications::telegram_code))
        .route("/staff/notifications/unlink", post(notifications::unlink))
}

/// What every staff handler knows about the request.
pub struct Ctx {
    pub lang: Lang,
    /// Truncated client address, for the audit log.
    pub address: Option<String>,
    /// The configured public address is https: the cookie is `__Host-` and `Secure`.
    pub secure: bool,
    pub token: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<SiteContext>().map(|s| s.lang).unwrap_or_default();
        let address = parts.extensions.get::<ClientIp>().map(|c| truncate_address(c.0));
        let secure = parts.extensions.get::<PublicUrl>().is_some_and(PublicUrl::is_https);
        Ok(Ctx { lang, address, secure, token: cookie(&parts.headers, &cookie_name(secure)) })
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
        .map(str::to_string)
}

/// Why a staff request was not served.
#[derive(Debug)]
pub enum StaffError {
    /// No valid session: go and sign in.
    NotSignedIn,
    Forbidden {
        lang: Lang,
        viewer: Box<Viewer>,
    },
    /// The form's CSRF token did not match the session.
    StaleForm {
        lang: Lang,
    },
    NotFound {
        lang: Lang,
    },
    Internal(Error),
}

impl From<Error> for StaffError {
    fn from(e: Error) -> Self {
        StaffError::Internal(e)
    }
}

impl From<crate::store::StoreError> for StaffError {
    fn from(e: crate::store::StoreError) -> Self {
        StaffError::Internal(e.into())
    }
}

/// A whole page, never cached (it may hold personal data).
pub fn page(status: StatusCode, html: String) -> Response {
    let mut resp = (status, Html(html)).into_response();
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(super::STRICT_CSP));
    resp
}

pub fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

impl IntoResponse for StaffError {
    fn into_response(self) -> Response {
        match self {
            StaffError::NotSignedIn => redirect("/staff/login"),
            StaffError::Forbidden { lang, viewer } => page(
                StatusCode::FORBIDDEN,
                message_page(lang, Some(&viewer), "staff.forbidden.title", t(lang, "staff.forbidden.text")),
            ),
            StaffError::StaleForm { lang } => {
                page(StatusCode::FORBIDDEN, message_page(lang, None, "staff.stale.title", t(lang, "staff.stale.text")))
            }
            StaffError::NotFound { lang } => {
                page(StatusCode::NOT_FOUND, message_page(lang, None, "notfound.title", t(lang, "staff.notfound.text")))
            }
            StaffError::Internal(e) => {
                tracing::error!(error = %e, "staff request failed");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    message_page(Lang::Ru, None, "staff.error.title", t(Lang::Ru, "staff.error.text")),
                )
            }
        }
    }
}

pub fn viewer(s: &Session, demo: bool) -> Viewer {
    let role = s.user.role;
    Viewer {
        name: s.user.name.clone(),
        role_key: match role {
            Role::Admin => "role.admin",
            Role::Moderator => "role.moderator",
            Role::Editor => "role.editor",
        },
        csrf: s.csrf.clone(),
        can_moderate: can(role, Action::ModerateRequests),
        can_list: can(role, Action::ListRecords),
        can_edit: can(role, Action::EditRecord),
        can_import: can(role, Action::ImportRecords),
        can_export: can(role, Action::ExportRecords),
        can_audit: can(role, Action::ViewAudit),
        can_manage_claims: can(role, Action::ManageClaims),
        demo,
    }
}

/// A signed-in staff member allowed to do what the handler does.
pub struct Guard {
    pub session: Session,
    pub viewer: Viewer,
}

impl Guard {
    /// The one gate: a full session (password and second factor) and the
    /// role's permission for `action`. A refusal is audited.
    pub async fn require(st: &AppState, ctx: &Ctx, action: Action) -> Result<Guard, StaffError> {
        let Some(token) = &ctx.token else { return Err(StaffError::NotSignedIn) };
        let Some(session) = st.registry.store.session(token).await? else { return Err(StaffError::NotSignedIn) };
        if session.stage != Stage::Full {
            return Err(StaffError::NotSignedIn);
        }
        let viewer = viewer(&session, st.demo);
        if !can(session.user.role, action) {
            st.registry
                .store
                .audit(Entry {
                    actor: Some(&session.user),
                    action: "access_denied",
                    details: Some(action.as_str().to_string()),
                    address: ctx.address.clone(),
                    ..Entry::default()
                })
                .await?;
            tracing::warn!(action = action.as_str(), role = session.user.role.as_str(), "staff action refused");
            return Err(StaffError::Forbidden { lang: ctx.lang, viewer: Box::new(viewer) });
        }
        Ok(Guard { session, viewer })
    }

    /// Checks the CSRF token a form carried.
    pub fn check_form(&self, lang: Lang, csrf: Option<&str>) -> Result<(), StaffError> {
        check_csrf(&self.session, lang, csrf)
    }

    pub async fn audit(
        &self,
        st: &AppState,
        ctx: &Ctx,
        action: &str,
        target: Option<(&str, String)>,
        details: Option<String>,
    ) -> Result<(), Error> {
        st.registry
            .store
            .audit(Entry {
                action,
                target_type: target.as_ref().map(|t| t.0),
                target_id: target.map(|t| t.1),
                details,
                ..self.who(ctx)
            })
            .await?;
        Ok(())
    }

    /// Who acts and from where, for an audit entry written inside a
    /// store transaction (the store fills in what happened).
    pub fn who<'a>(&'a self, ctx: &Ctx) -> Entry<'a> {
        Entry { actor: Some(&self.session.user), address: ctx.address.clone(), ..Entry::default() }
    }
}

/// A form must carry its session's CSRF token (also during sign-in, before
/// a [`Guard`] exists).
pub fn check_csrf(session: &Session, lang: Lang, csrf: Option<&str>) -> Result<(), StaffError> {
    if csrf == Some(session.csrf.as_str()) {
        Ok(())
    } else {
        Err(StaffError::StaleForm { lang })
    }
}

/// A notice named in the query string (`?ok=…` / `?err=…`) after a redirect;
/// only known message keys are shown.
pub fn notice(lang: Lang, ok: Option<&str>, err: Option<&str>) -> Option<Notice> {
    let known = |k: &&str| k.starts_with("staff.notice.");
    ok.filter(known)
        .map(|k| Notice { ok: true, text: t(lang, k) })
        .or_else(|| err.filter(known).map(|k| Notice { ok: false, text: t(lang, k) }))
}

/// Over https the cookie is `__Host-`: the browser then keeps it only if it
/// is `Secure`, for this exact host and for the whole site, so no
/// subdomain or plain-http page can set or read it.
fn cookie_name(secure: bool) -> String {
    if secure {
        format!("__Host-{SESSION_COOKIE}")
    } else {
        SESSION_COOKIE.to_string()
    }
}

fn cookie_attributes(secure: bool) -> &'static str {
    if secure {
        "Path=/; Secure; HttpOnly; SameSite=Strict"
    } else {
        "Path=/staff; HttpOnly; SameSite=Strict"
    }
}

/// The session cookie: HttpOnly, SameSite=Strict; `__Host-` and Secure over https.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let value = format!("{}={token}; {}", cookie_name(secure), cookie_attributes(secure));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(secure: bool) -> HeaderValue {
    let value = format!("{}=; {}; Max-Age=0", cookie_name(secure), cookie_attributes(secure));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn with_cookie(mut resp: Response, cookie: HeaderValue) -> Response {
    resp.headers_mut().append(SET_COOKIE, cookie);
    resp
}

/// Builds a query string from non-empty pairs (for paging and export links).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", findkin_app::components::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use findkin_app::i18n::{has_key, keys_in_source};

    #[test]
    fn every_key_the_console_names_is_translated() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("signin.rs"),
            include_str!("records.rs"),
            include_str!("import.rs"),
            include_str!("dashboard.rs"),
            include_str!("requests.rs"),
            include_str!("claims.rs"),
            include_str!("notifications.rs"),
            include_str!("../../staff_alerts.rs"),
            include_str!("words.rs"),
            include_str!("../requests.rs"),
            include_str!("../../requests.rs"),
            include_str!("../../auth/password.rs"),
        ];
        let keys: Vec<String> = sources.iter().flat_map(|s| keys_in_source(s)).collect();
        assert!(keys.len() > 20, "the scan finds the keys ({})", keys.len());
        for k in keys {
            assert!(has_key(&k), "missing translation {k}");
        }
        for dynamic in
            ["status.captured", "status.remains_repatriated", "level.staff", "role.editor", "sex.f", "field.notes"]
        {
            assert!(has_key(dynamic), "{dynamic}");
        }
    }
}
