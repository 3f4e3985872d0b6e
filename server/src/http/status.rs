//! The relative's side after sending a request (issue 10): the status page
//! in words, the release written for a person, the language these pages
//! speak, the page for a link that opens nothing, and lost-link recovery.
//! The handlers that take the status link live in `requests.rs`; this
//! module builds what they show.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::request::{
    link_not_found_page, recover_page, recover_sent_page, recover_wait_page, ReleaseView, StatusMessage, StatusView,
};
use findkin_app::site::SiteContext;
use serde::Deserialize;

use super::client_ip::ClientIp;
use super::error::ApiError;
use super::plain_dates::{moment, record_date};
use super::requests::{charge, html, minutes};
use super::search_guard::with_retry_after;
use super::AppState;
use crate::requests::{Recovery, ReleasedDetails, RequestRow, RequestRowExt, RequesterView, RECOVERY_GAP};
use crate::workflow::{next, Actor, Step};
use crate::Error;

/// The language a visitor picked on this very page (`?lang=` in the query
/// or a `lang` field its form carried), if any.
pub fn picked(value: Option<&String>) -> Option<Lang> {
    value.and_then(|v| Lang::from_code(v))
}

/// The language of a request's pages: the visitor's explicit pick, else the
/// request's own — a Ukrainian request opens in Ukrainian on any browser,
/// whatever an old cookie says.
pub fn request_lang(picked: Option<Lang>, req: &RequestRow) -> Lang {
    picked.unwrap_or_else(|| req.lang())
}

/// Whether the relative may still write: the workflow's own answer (open or
/// decided, never withdrawn).
pub fn can_write(req: &RequestRow) -> bool {
    next(req.facts(), &Step::RequesterAddsInfo, Actor::Requester).is_ok()
}

/// What a status page is built from.
pub struct StatusParts<'a> {
    pub req: &'a RequestRow,
    pub view: RequesterView,
    pub token: &'a str,
    pub link: String,
    pub is_new: bool,
    pub notice: Option<String>,
    pub picked: Option<Lang>,
}

/// What the status page shows, in `lang`: messages and dates in words, the
/// frozen release said as a person reads it.
/// "Send /start REF to @bot": for a request that gave a Telegram name on the
/// web form, whose chat the bot does not know yet. The bot links the chat
/// when the sender's @username is the one given (see
/// `telegram::bot`, `/start REF`).
fn telegram_hint(lang: Lang, req: &RequestRow) -> Option<String> {
    let bot = crate::telegram::bot_name()?;
    let given = req.telegram.as_deref().is_some_and(|t| !t.trim().is_empty());
    (given && req.telegram_chat_id.is_none() && req.state.is_open())
        .then(|| tf(lang, "status.telegram.hint", &[("bot", bot), ("ref", &req.reference)]))
}

pub fn status_view(lang: Lang, p: StatusParts<'_>) -> StatusView {
    let reference = p.req.reference.clone();
    let photos = p
        .view
        .photos
        .iter()
        .map(|ptok| {
            let base = format!("/status/{reference}/photos/{ptok}?t={}", p.token);
            (format!("{base}&thumb=1"), base)
        })
        .collect();
    let messages = p
        .view
        .messages
        .iter()
        .map(|m| StatusMessage { from_moderator: m.from_moderator, at: moment(lang, &m.at), text: m.text.clone() })
        .collect();
    let confirmed_at = p.view.released_at.as_deref().map(|at| moment(lang, at));
    StatusView {
        reference,
        token: p.token.to_string(),
        state: p.view.state.as_str(),
        is_new: p.is_new,
        link: p.link,
        messages,
        photos,
        released: p.view.released.as_ref().map(|r| release_view(lang, r, confirmed_at)),
        open: p.view.state.is_open(),
        can_write: can_write(p.req),
        notice: p.notice,
        telegram_hint: telegram_hint(lang, p.req),
        picked: p.picked,
    }
}

/// The frozen details as the page says them: one name, plain dates, and
/// only the fields that hold something.
fn release_view(lang: Lang, r: &ReleasedDetails, confirmed_at: Option<String>) -> ReleaseView {
    let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let name = [crate::backend::display_name(&r.surname), r.given_name.clone(), r.patronymic.clone()]
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let facts = [
        ("birth_date", present(&r.birth_date).map(|d| record_date(lang, &d))),
        ("birth_place", present(&r.birth_place)),
        ("region", present(&r.region)),
        ("unit", present(&r.unit)),
        ("rank", present(&r.rank)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    ReleaseView {
        name,
        status: r.status.clone(),
        status_date: present(&r.status_date).map(|d| record_date(lang, &d)),
        status_place: present(&r.status_place),
        facts,
        confirmed_at,
    }
}

/// A status link that opens nothing: a helpful public page, 404. It speaks
/// the visitor's pick, else the language of the request the reference names
/// (an old link after a recovery), else the site's. The text is the same
/// either way.
pub async fn link_not_found(
    st: &AppState,
    site: &SiteContext,
    reference: &str,
    picked: Option<Lang>,
) -> Result<Response, Error> {
    let own = match (picked, reference.len() <= 20) {
        (None, true) => st.registry.store.request_language(reference).await?,
        _ => None,
    };
    let lang = picked.or(own).unwrap_or(site.lang);
    Ok(html(StatusCode::NOT_FOUND, link_not_found_page(lang, site.demo, &path_safe(reference))))
}

/// A reference as a path segment: only the characters references use pass.
fn path_safe(reference: &str) -> String {
    reference.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(20).collect()
}

fn site_of(site: &Option<axum::Extension<SiteContext>>) -> SiteContext {
    site.as_ref().map(|s| s.0).unwrap_or_default()
}

/// `GET /status/recover`: the lost-link form.
pub async fn recover_form(
    site: Option<axum::Extension<SiteContext>>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let site = site_of(&site);
    let reference = p.get("ref").map(|r| path_safe(r)).unwrap_or_default();
    html(StatusCode::OK, recover_page(site.lang, site.demo, &reference, "", None))
}

#[derive(Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    contact: String,
}

/// `POST /status/recover`: a new link to the request's email address.
/// Every attempt is charged to the client's message budget before any
/// lookup, so the form cannot be used to try references; the answer is the
/// same whether or not the pair matched (only "sent moments ago" differs,
/// and that needs both the reference and the contact).
pub async fn recover(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    client: Option<axum::Extension<ClientIp>>,
    Form(f): Form<RecoverForm>,
) -> Result<Response, ApiError> {
    let SiteContext { lang, demo } = site_of(&site);
    let (reference, contact) = (f.reference.trim(), f.contact.trim());
    if reference.is_empty() || contact.is_empty() {
        let page = recover_page(lang, demo, reference, contact, Some(t(lang, "status.recover.missing")));
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
    }
    if let Err(wait) = charge(&st, st.submissions.messages.as_ref(), client.map(|c| c.0), 1).await? {
        crate::metrics::rate_limited("recover");
        let text = tf(lang, "status.recover.rate", &[("minutes", &minutes(wait))]);
        return Ok(wait_page(lang, demo, "request.limited.title", text, wait));
    }
    let outcome = if reference.chars().count() > 40 || contact.chars().count() > 200 {
        Recovery::NoMatch
    } else {
        st.registry.store.recover_link(reference, contact, st.public_url.origin()).await?
    };
    match outcome {
        Recovery::Sent | Recovery::NoMatch | Recovery::NoChannel => {
            Ok(html(StatusCode::OK, recover_sent_page(lang, demo)))
        }
        Recovery::TooSoon => {
            let wait = Duration::from_secs(RECOVERY_GAP.unsigned_abs());
            let text = tf(lang, "status.recover.too_soon", &[("minutes", &minutes(wait))]);
            Ok(wait_page(lang, demo, "status.recover.too_soon_title", text, wait))
        }
    }
}

fn wait_page(lang: Lang, demo: bool, title_key: &str, text: String, wait: Duration) -> Response {
    with_retry_after(html(StatusCode::TOO_MANY_REQUESTS, recover_wait_page(lang, demo, title_key, text)), wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(status: &str) -> ReleasedDetails {
        ReleasedDetails {
            surname: "ЛАВРЕНТЬЕВ".into(),
            given_name: "Остап".into(),
            patronymic: "Ильич".into(),
            birth_date: Some("1990-01-02".into()),
            birth_place: Some(" ".into()),
            region: Some("Тульская область".into()),
            unit: None,
            rank: None,
            status: status.into(),
            status_date: Some("2024-05".into()),
            status_place: None,
        }
    }

    #[test]
    fn release_is_said_with_plain_dates_and_only_what_is_known() {
        let r = release_view(Lang::Ru, &details("deceased"), None);
        assert_eq!(r.name, "Лаврентьев Остап Ильич");
        assert_eq!(r.facts, vec![("birth_date", "2 января 1990 г.".into()), ("region", "Тульская область".into())]);
        assert_eq!(r.status_date.as_deref(), Some("май 2024"));
        assert_eq!(r.status_place, None, "empty fields are left out");
    }

    #[test]
    fn reference_in_a_path_keeps_only_its_own_characters() {
        assert_eq!(path_safe("FK-AB2C-DE3F"), "FK-AB2C-DE3F");
        assert_eq!(path_safe("FK-<x>\"/../"), "FK-x");
    }
}
