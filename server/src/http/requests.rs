//! The relative's side of a contact request: the form, the private status
//! page behind the secret link, and the JSON API for both.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::request::{request_form_page, status_page, KeptPhoto, RequestFormView, StatusView};
use findkin_app::site::SiteContext;
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;

use super::client_ip::{ClientIp, ClientKey};
use super::error::ApiError;
use super::search_guard::with_retry_after;
use super::AppState;
use crate::pending_photos::PendingPhoto;
use crate::photos::{clean, CleanPhoto, Limits, PhotoError};
use crate::requests::{
    validate, Admission, By, PhotoAdded, RequestInput, RequestRow, RequesterView, StepData, Submitted, MAX_PHOTOS,
};
use crate::submission_budget::SubmissionBudget;
use crate::workflow::Step;
use crate::Error;

fn lang_of(ctx: &Option<axum::Extension<SiteContext>>) -> (Lang, bool) {
    ctx.as_ref().map(|c| (c.0.lang, c.0.demo)).unwrap_or_default()
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

pub(super) fn html(status: StatusCode, body: String) -> Response {
    let mut r = no_store((status, Html(body)).into_response());
    r.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(super::STRICT_CSP));
    r
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("location", v);
    }
    no_store(r)
}

/// Charges `n` units of `budget` to the client, for every replica at once
/// (the buckets are in the database); no budget (turned off) or no known
/// client charges nothing. `Ok(Err)` says how long to wait.
pub(super) async fn charge(
    st: &AppState,
    budget: Option<&Arc<SubmissionBudget>>,
    client: Option<ClientIp>,
    n: u32,
) -> Result<Result<(), Duration>, Error> {
    match (budget, client) {
        (Some(b), Some(c)) => b.charge(&st.registry.store, c.key(), n).await,
        _ => Ok(Ok(())),
    }
}

/// What a submission is charged to: its budget and the client's key.
fn admission_charge(
    budget: Option<&Arc<SubmissionBudget>>,
    client: Option<ClientIp>,
) -> Option<(&SubmissionBudget, ClientKey)> {
    Some((budget?.as_ref(), client?.key()))
}

/// Whole minutes to wait, rounded up, for messages that speak in minutes.
pub(super) fn minutes(wait: Duration) -> String {
    wait.as_secs().div_ceil(60).max(1).to_string()
}

/// A 429 page for the status page's forms: what happened, when to retry,
/// and the way back to the request.
fn limited(lang: Lang, text: String, wait: Duration, back: &str) -> Response {
    use findkin_app::document::{escape_text, static_document, Referrer};
    let title = t(lang, "request.limited.title");
    let body = format!(
        "<main id=\"main\"><section class=\"limited\"><h1>{}</h1><p>{}</p><p><a class=\"button\" href=\"{}\">{}</a></p>\
         </section></main>",
        escape_text(&title),
        escape_text(&text),
        escape_text(back),
        escape_text(&t(lang, "status.limited.back")),
    );
    let page = static_document(lang, &title, Referrer::Never, &body);
    with_retry_after(html(StatusCode::TOO_MANY_REQUESTS, page), wait)
}

fn new_key() -> String {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

const TEXT_FIELDS: [&str; 14] = [
    "language",
    "requester_name",
    "relationship",
    "email",
    "phone",
    "telegram",
    "sought_name",
    "sought_birth",
    "sought_birth_place",
    "sought_region",
    "sought_unit",
    "marks",
    "free_text",
    "candidate",
];

fn values(i: &RequestInput) -> Vec<(&'static str, String)> {
    let get = |f: &str| match f {
        "language" => i.language.clone(),
        "requester_name" => i.requester_name.clone(),
        "relationship" => i.relationship.clone(),
        "email" => i.email.clone(),
        "phone" => i.phone.clone(),
        "telegram" => i.telegram.clone(),
        "sought_name" => i.sought_name.clone(),
        "sought_birth" => i.sought_birth.clone(),
        "sought_birth_place" => i.sought_birth_place.clone(),
        "sought_region" => i.sought_region.clone(),
        "sought_unit" => i.sought_unit.clone(),
        "marks" => i.marks.clone(),
        "free_text" => i.free_text.clone(),
        _ => i.candidate.clone(),
    };
    TEXT_FIELDS.iter().map(|f| (*f, get(f))).collect()
}

/// `GET /request?c=…&q=…`: the form, prefilled from a search hit.
pub async fn form(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (lang, demo) = lang_of(&site);
    let mut input = RequestInput { language: lang.code().into(), ..RequestInput::default() };
    input.sought_name = p.get("q").cloned().unwrap_or_default().chars().take(200).collect();
    let candidate = p.get("c").cloned().unwrap_or_default();
    let hit = candidate_hit(&st, &candidate).await?;
    if let Some((name, _)) = &hit {
        input.sought_name = name.clone();
        input.candidate = candidate;
    }
    let draft =
        Draft { lang, demo, input, key: new_key(), kept: Vec::new(), errors: Vec::new(), label: hit.map(|h| h.1) };
    Ok(draft.page(StatusCode::OK))
}

/// The search hit a form names ("this may be him"): its full name and its
/// "possible match" line; `None` for none or an unknown reference.
async fn candidate_hit(st: &AppState, candidate: &str) -> Result<Option<(String, String)>, Error> {
    if candidate.is_empty() {
        return Ok(None);
    }
    Ok(st.registry.store.record_by_public_ref(candidate).await?.map(|r| crate::backend::public_line(&r)))
}

/// A request form being filled in: what was typed, the photos kept for it
/// on the server, and what to tell the relative.
struct Draft {
    lang: Lang,
    demo: bool,
    input: RequestInput,
    /// The form's idempotency key; kept photos are filed under it.
    key: String,
    kept: Vec<PendingPhoto>,
    /// (field, message in words).
    errors: Vec<(String, String)>,
    /// The "possible match" line of the hit the form was opened from.
    label: Option<String>,
}

impl Draft {
    fn error(&mut self, field: &str, text: String) {
        self.errors.push((field.to_string(), text));
    }

    /// Keeps new photos for the form shown again; if they do not fit, says so.
    async fn keep(&mut self, st: &AppState, fresh: &[(String, CleanPhoto)]) -> Result<(), Error> {
        match st.registry.store.keep_photos(&self.key, fresh, st.submissions.photo_storage_bytes).await? {
            Some(kept) => self.kept.extend(kept),
            None => self.error("photos", t(self.lang, "request.error.photo_space")),
        }
        Ok(())
    }

    /// The form page, with everything typed and every kept photo.
    fn page(self, status: StatusCode) -> Response {
        let k = findkin_app::components::encode_component(&self.key);
        let kept_photos = self
            .kept
            .into_iter()
            .map(|p| KeptPhoto {
                thumb: format!("/request/photos/{}?k={k}", p.token),
                token: p.token,
                name: p.file_name,
            })
            .collect();
        let view = RequestFormView {
            values: values(&self.input),
            consent: self.input.consent,
            errors: self.errors,
            idempotency_key: self.key,
            candidate: self.input.candidate.clone(),
            candidate_label: self.label,
            kept_photos,
        };
        html(status, request_form_page(self.lang, self.demo, view))
    }
}

/// Photos decoded at once: each may take up to the decoder's memory limit,
/// so uploads queue here instead of exhausting a small machine.
static PHOTO_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Checks and re-encodes one upload, waiting for a decoding slot.
async fn clean_photo(bytes: Vec<u8>) -> Result<CleanPhoto, PhotoError> {
    let _slot = PHOTO_SLOTS.acquire().await.map_err(|_| PhotoError::Timeout)?;
    clean(bytes, Limits::default()).await
}

/// Cleans new uploads; each refused one is reported with its file name.
async fn clean_uploads(
    lang: Lang,
    uploads: Vec<(String, Vec<u8>)>,
    errors: &mut Vec<(String, String)>,
) -> Vec<(String, CleanPhoto)> {
    let mut fresh = Vec::new();
    for (name, bytes) in uploads {
        match clean_photo(bytes).await {
            Ok(p) => fresh.push((name, p)),
            Err(e) => errors.push(("photos".into(), format!("{name}: {}", e.in_words(lang)))),
        }
    }
    fresh
}

/// A posted request form, as read from its multipart body.
#[derive(Default)]
struct Posted {
    fields: HashMap<String, String>,
    /// New files: (file name, bytes), at most [`MAX_PHOTOS`].
    uploads: Vec<(String, Vec<u8>)>,
    /// More files came than a request takes.
    too_many: bool,
    /// Tokens of the photos kept for this form (hidden fields).
    kept: Vec<String>,
    /// Kept photos ticked for removal.
    removed: Vec<String>,
}

impl Posted {
    async fn read(multipart: &mut Multipart) -> Result<Posted, ApiError> {
        let mut p = Posted::default();
        while let Some(field) = multipart.next_field().await.map_err(ApiError::from_multipart)? {
            let name = field.name().unwrap_or("").to_string();
            if name == "photos" {
                let file_name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(ApiError::from_multipart)?;
                if bytes.is_empty() {
                    continue;
                }
                if p.uploads.len() == MAX_PHOTOS {
                    p.too_many = true;
                } else {
                    p.uploads.push((file_name, bytes.to_vec()));
                }
            } else if let Ok(text) = field.text().await {
                let text: String = text.chars().take(8000).collect();
                let list = match name.as_str() {
                    "kept_photo" => &mut p.kept,
                    "remove_photo" => &mut p.removed,
                    _ => {
                        p.fields.insert(name, text);
                        continue;
                    }
                };
                if list.len() < MAX_PHOTOS {
                    list.push(text);
                }
            }
        }
        Ok(p)
    }

    fn get(&self, k: &str) -> String {
        self.fields.get(k).cloned().unwrap_or_default()
    }

    /// A language button was pressed: the form is shown again in it.
    fn switch_lang(&self) -> Option<Lang> {
        Lang::from_code(&self.get("switch_lang"))
    }

    /// The form's idempotency key (a new one if it came without).
    fn key(&self) -> String {
        let key: String = self.get("idempotency_key").chars().take(100).collect();
        if key.trim().is_empty() {
            new_key()
        } else {
            key
        }
    }

    fn input(&self) -> RequestInput {
        let get = |k: &str| self.get(k);
        let mut input = RequestInput {
            language: get("language"),
            requester_name: get("requester_name"),
            relationship: get("relationship"),
            email: get("email"),
            phone: get("phone"),
            telegram: get("telegram"),
            sought_name: get("sought_name"),
            sought_birth: get("sought_birth"),
            sought_birth_place: get("sought_birth_place"),
            sought_region: get("sought_region"),
            sought_unit: get("sought_unit"),
            marks: get("marks"),
            free_text: get("free_text"),
            candidate: get("candidate"),
            consent: !get("consent").is_empty(),
        };
        // The answer's language follows a switch of the page's, unless the
        // relative chose another one.
        if let Some(to) = self.switch_lang() {
            if input.language == get("page_lang") {
                input.language = to.code().into();
            }
        }
        input
    }
}

/// `POST /request` (multipart): validate, clean photos, store, then go to
/// the status page (which shows the reference and the secret link once).
/// A form shown again — a field to fix, or a language button pressed
/// (which shows no field errors) — keeps its photos on the server
/// (`pending_photos`), so the relative never picks them again; kept photos
/// are not charged again. New photos are charged to the client's photo
/// budget before they are decoded (the costly part); the request itself
/// only when it is stored.
pub async fn submit(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    client: Option<axum::Extension<ClientIp>>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let (page_lang, demo) = lang_of(&site);
    let client = client.map(|c| c.0);
    let mut posted = Posted::read(&mut multipart).await?;
    let switch = posted.switch_lang();
    let lang = switch.unwrap_or(page_lang);
    let input = posted.input();
    let key = posted.key();
    let kept = st.registry.store.kept_photos(&key, &posted.kept, &posted.removed).await?;
    let label = candidate_hit(&st, &input.candidate).await?.map(|h| h.1);
    let mut draft = Draft { lang, demo, input, key, kept: kept.photos, errors: Vec::new(), label };
    if switch.is_none() {
        draft.errors = validate(&draft.input).into_iter().map(|(f, k)| (f.to_string(), t(lang, k))).collect();
    }
    if kept.lost {
        draft.error("photos", t(lang, "request.error.photo_lost"));
    }
    let room = MAX_PHOTOS.saturating_sub(draft.kept.len());
    if posted.too_many || posted.uploads.len() > room {
        posted.uploads.truncate(room);
        draft.error("photos", tf(lang, "request.error.photo_count", &[("n", &MAX_PHOTOS.to_string())]));
    }
    if !posted.uploads.is_empty() {
        if let Err(wait) = charge(&st, st.submissions.photos.as_ref(), client, posted.uploads.len() as u32).await? {
            crate::metrics::rate_limited("photo_form");
            draft.error("photos", tf(lang, "request.error.photo_rate", &[("minutes", &minutes(wait))]));
            return Ok(with_retry_after(draft.page(StatusCode::TOO_MANY_REQUESTS), wait));
        }
    }
    let fresh = clean_uploads(lang, posted.uploads, &mut draft.errors).await;
    if switch.is_some() || !draft.errors.is_empty() {
        draft.keep(&st, &fresh).await?;
        let status = if switch.is_some() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        return Ok(draft.page(status));
    }
    send(&st, client, draft, fresh).await
}

/// Stores a valid form with its kept and new photos and goes to the status
/// page; a refusal shows the form again, its new photos kept too.
async fn send(
    st: &AppState,
    client: Option<ClientIp>,
    mut draft: Draft,
    fresh: Vec<(String, CleanPhoto)>,
) -> Result<Response, ApiError> {
    let store = &st.registry.store;
    let mut photos = store.kept_clean_photos(&draft.key).await?;
    photos.extend(fresh.iter().map(|(_, p)| p.clone()));
    let origin = st.public_url.origin().to_string();
    let charge = admission_charge(st.submissions.requests.as_ref(), client);
    let admit = Admission { origin: &origin, charge, photo_budget: st.submissions.photo_storage_bytes };
    let lang = draft.lang;
    let (status, wait) = match store.submit_request(&draft.input, &photos, Some(&draft.key), &admit).await? {
        Submitted::Created { reference, token, .. } | Submitted::Repeated { reference, token, .. } => {
            return Ok(see_other(&format!("/status/{reference}?t={token}&new=1")));
        }
        Submitted::KeyReused => {
            let key = new_key();
            store.rekey_kept_photos(&draft.key, &key).await?;
            draft.key = key;
            draft.error("sought_name", t(lang, "request.error.key_reused"));
            (StatusCode::CONFLICT, None)
        }
        Submitted::Limited(wait) => {
            crate::metrics::rate_limited("submit_form");
            draft.error("sought_name", tf(lang, "request.error.rate_limited", &[("minutes", &minutes(wait))]));
            (StatusCode::TOO_MANY_REQUESTS, Some(wait))
        }
        Submitted::NoPhotoSpace => {
            // New photos would not fit as kept ones either.
            draft.error("photos", t(lang, "request.error.photo_space"));
            return Ok(draft.page(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    draft.keep(st, &fresh).await?;
    let page = draft.page(status);
    Ok(match wait {
        Some(wait) => with_retry_after(page, wait),
        None => page,
    })
}

/// `GET /request/photos/{token}?k=…`: the thumbnail of a photo kept for a
/// form, only with that form's key.
pub async fn kept_photo(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let key = p.get("k").map(String::as_str).unwrap_or_default();
    match st.registry.store.kept_thumb(key, &token).await? {
        Some(data) => Ok(jpeg(data)),
        // An image slot: a plain 404, no page.
        None => Ok(no_store(StatusCode::NOT_FOUND.into_response())),
    }
}

/// The request behind a status link, if reference and token belong
/// together; callers answer a wrong link with `not_found`.
async fn by_link(st: &AppState, reference: &str, token: &str) -> Result<Option<RequestRow>, Error> {
    if token.len() > 100 || reference.len() > 20 {
        return Ok(None);
    }
    Ok(st.registry.store.request_for_link(reference, token).await?)
}

/// A link that opens nothing: the helpful public 404 (see `super::status::link_not_found`).
async fn not_found(
    st: &AppState,
    site: &Option<axum::Extension<SiteContext>>,
    reference: &str,
    picked: Option<Lang>,
) -> Result<Response, ApiError> {
    let site = site.as_ref().map(|s| s.0).unwrap_or_default();
    Ok(super::status::link_not_found(st, &site, reference, picked).await?)
}

/// Where a status form goes back to, with a notice and the picked language.
fn back_to(reference: &str, token: &str, picked: Option<Lang>, done: Option<&str>) -> String {
    let path = findkin_app::request::status_path(reference, token, picked);
    match done {
        Some(d) => format!("{path}&done={d}"),
        None => path,
    }
}

/// `GET /status/{reference}?t=…[&lang=…]`: in the request's language unless
/// the visitor picks another here.
pub async fn status(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    Path(reference): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let demo = lang_of(&site).1;
    let picked = super::status::picked(p.get("lang"));
    let token = p.get("t").cloned().unwrap_or_default();
    let Some(req) = by_link(&st, &reference, &token).await? else {
        return not_found(&st, &site, &reference, picked).await;
    };
    let lang = super::status::request_lang(picked, &req);
    let view = st.registry.store.requester_view(&req).await?;
    let notice = p.get("done").and_then(|d| match d.as_str() {
        "message" => Some(t(lang, "status.done.message")),
        "photo" => Some(t(lang, "status.done.photo")),
        "withdrawn" => Some(t(lang, "status.done.withdrawn")),
        _ => None,
    });
    let parts = super::status::StatusParts {
        req: &req,
        view,
        token: &token,
        link: st.public_url.link(&format!("/status/{reference}?t={token}")),
        is_new: p.contains_key("new"),
        notice,
        picked,
    };
    let view: StatusView = super::status::status_view(lang, parts);
    Ok(html(StatusCode::OK, status_page(lang, demo, view)))
}

#[derive(Deserialize)]
pub struct MessageForm {
    t: String,
    body: String,
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /status/{reference}/message`: the requester writes — while the
/// request is open, and after a decision too (the state stays and the
/// queue shows a new reply); never once withdrawn.
/// Messages are charged to the client's message budget.
pub async fn message(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    client: Option<axum::Extension<ClientIp>>,
    Path(reference): Path<String>,
    Form(f): Form<MessageForm>,
) -> Result<Response, ApiError> {
    let picked = super::status::picked(f.lang.as_ref());
    let Some(req) = by_link(&st, &reference, &f.t).await? else {
        return not_found(&st, &site, &reference, picked).await;
    };
    let lang = super::status::request_lang(picked, &req);
    let back = back_to(&reference, &f.t, picked, None);
    if f.body.trim().is_empty() || !super::status::can_write(&req) {
        return Ok(see_other(&back));
    }
    if let Err(wait) = charge(&st, st.submissions.messages.as_ref(), client.map(|c| c.0), 1).await? {
        crate::metrics::rate_limited("message");
        let text = tf(lang, "status.error.message_rate", &[("minutes", &minutes(wait))]);
        return Ok(limited(lang, text, wait, &back));
    }
    let data = StepData { message: Some(f.body.clone()), ..StepData::default() };
    st.registry.store.apply_step(req.id, &Step::RequesterAddsInfo, By::Requester, data).await?.ok();
    Ok(see_other(&back_to(&reference, &f.t, picked, Some("message"))))
}

/// `POST /status/{reference}/withdraw`: without `confirm=yes`, the "are you
/// sure?" page; with it, the request is withdrawn. A closed request goes
/// back to its page.
pub async fn withdraw(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    Path(reference): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let demo = lang_of(&site).1;
    let picked = super::status::picked(f.get("lang"));
    let token = f.get("t").cloned().unwrap_or_default();
    let Some(req) = by_link(&st, &reference, &token).await? else {
        return not_found(&st, &site, &reference, picked).await;
    };
    if !req.state.is_open() {
        return Ok(see_other(&back_to(&reference, &token, picked, None)));
    }
    if f.get("confirm").map(String::as_str) != Some("yes") {
        let lang = super::status::request_lang(picked, &req);
        return Ok(html(
            StatusCode::OK,
            findkin_app::request::withdraw_confirm_page(lang, demo, &reference, &token, picked),
        ));
    }
    st.registry.store.apply_step(req.id, &Step::Withdraw, By::Requester, StepData::default()).await?.ok();
    Ok(see_other(&back_to(&reference, &token, picked, Some("withdrawn"))))
}

/// `POST /status/{reference}/photo` (multipart: t, photo). Charged to the
/// client's photo budget before decoding; stored only within the storage budget.
pub async fn add_photo(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    client: Option<axum::Extension<ClientIp>>,
    Path(reference): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let demo = lang_of(&site).1;
    let (mut token, mut picked) = (String::new(), None);
    let mut bytes = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(ApiError::from_multipart)? {
        match field.name() {
            Some("t") => token = field.text().await.map_err(ApiError::from_multipart)?,
            Some("lang") => {
                picked = super::status::picked(Some(&field.text().await.map_err(ApiError::from_multipart)?))
            }
            Some("photo") => bytes = field.bytes().await.map_err(ApiError::from_multipart)?.to_vec(),
            _ => {}
        }
    }
    let Some(req) = by_link(&st, &reference, &token).await? else {
        return not_found(&st, &site, &reference, picked).await;
    };
    let lang = super::status::request_lang(picked, &req);
    let back = back_to(&reference, &token, picked, None);
    if bytes.is_empty() || !req.state.is_open() {
        return Ok(see_other(&back));
    }
    if let Err(wait) = charge(&st, st.submissions.photos.as_ref(), client.map(|c| c.0), 1).await? {
        crate::metrics::rate_limited("photo_status");
        let text = tf(lang, "status.error.photo_rate", &[("minutes", &minutes(wait))]);
        return Ok(limited(lang, text, wait, &back));
    }
    let problem = match clean_photo(bytes).await {
        Ok(p) => match st.registry.store.add_photo(req.id, &p, st.submissions.photo_storage_bytes).await? {
            PhotoAdded::Added => {
                let data = StepData::default();
                st.registry.store.apply_step(req.id, &Step::RequesterAddsInfo, By::Requester, data).await?.ok();
                None
            }
            PhotoAdded::TooMany => Some(tf(lang, "request.error.photo_count", &[("n", &MAX_PHOTOS.to_string())])),
            PhotoAdded::NoSpace => Some(t(lang, "status.error.photo_space")),
        },
        Err(e) => Some(e.in_words(lang)),
    };
    match problem {
        None => Ok(see_other(&back_to(&reference, &token, picked, Some("photo")))),
        Some(text) => Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            findkin_app::request::notice_page(lang, demo, "request.error.photo_title", text, Some(&back)),
        )),
    }
}

/// `GET /confirm/{token}`: the link in the first notification to an
/// address; afterwards every notification goes to it (see
/// `requests::queue_notice`). An unknown or replaced link is a plain 404.
pub async fn confirm(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (lang, demo) = lang_of(&site);
    if token.len() <= 100 && st.registry.store.confirm_email(&token).await? {
        let text = t(lang, "confirm.done.text");
        return Ok(html(
            StatusCode::OK,
            findkin_app::request::notice_page(lang, demo, "confirm.done.title", text, None),
        ));
    }
    let text = t(lang, "confirm.unknown.text");
    Ok(html(StatusCode::NOT_FOUND, findkin_app::request::notice_page(lang, demo, "status.not_found.title", text, None)))
}

/// A photo for the requester who uploaded it: only with the status link.
pub async fn photo(
    State(st): State<AppState>,
    site: Option<axum::Extension<SiteContext>>,
    Path((reference, ptoken)): Path<(String, String)>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let token = p.get("t").cloned().unwrap_or_default();
    let Some(req) = by_link(&st, &reference, &token).await? else {
        return not_found(&st, &site, &reference, None).await;
    };
    match st.registry.store.photo(&ptoken, p.contains_key("thumb")).await? {
        Some((rid, data)) if rid == req.id => Ok(jpeg(data)),
        _ => not_found(&st, &site, &reference, None).await,
    }
}

/// A photo response: never cached, never sniffed.
pub fn jpeg(data: Vec<u8>) -> Response {
    let mut r = ([(CONTENT_TYPE, "image/jpeg")], data).into_response();
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// ------------------------------------------------------------------ JSON API

/// What a submission answers: the reference and the secret of the status link.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SubmitAnswer {
    pub reference: String,
    /// Shown once; only its hash is stored.
    pub token: String,
    pub status_url: String,
}

fn answer(status: StatusCode, reference: String, token: String) -> Response {
    let status_url = format!("/status/{reference}?t={token}");
    no_store((status, Json(SubmitAnswer { reference, token, status_url })).into_response())
}

/// Submit a contact request.
///
/// A retry with the same `Idempotency-Key` and body returns the same
/// request (200) with a fresh token; the same key with another body is refused.
#[utoipa::path(
    post,
    path = "/api/v1/requests",
    tag = "requests",
    request_body = RequestInput,
    params(("Idempotency-Key" = Option<String>, Header, max_length = 100,
        description = "makes retries safe; longer keys are cut to 100 characters")),
    responses(
        (status = 201, description = "created", body = SubmitAnswer),
        (status = 200, description = "a retry of an earlier submission", body = SubmitAnswer),
        (status = 400, description = "`bad_json`: not JSON, not an object of the documented types, or no \
            `Content-Type: application/json`", body = super::api::ErrorBody),
        (status = 403, description = "`cross_site`: a browser sent it from another site's page \
            (`Sec-Fetch-Site` or `Origin`)", body = super::api::ErrorBody),
        (status = 413, description = "`too_large`: a body over 2 MiB", body = super::api::ErrorBody),
        (status = 409, description = "`idempotency_key_reused`: the key was used for a different request",
            body = super::api::ErrorBody),
        (status = 422, description = "`invalid`: invalid fields, each named", body = super::api::InvalidBody),
        (status = 429, description = "`rate_limited`: too many requests from this client or from everyone; \
            `Retry-After` says when to retry (a retry with the same `Idempotency-Key` is not charged)",
            body = super::api::ErrorBody),
        (status = 500, description = "`internal`: the request could not be stored", body = super::api::ErrorBody),
    )
)]
pub async fn api_submit(
    State(st): State<AppState>,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    body: Result<Json<RequestInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(input) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        _ => ApiError::BadRequest { code: "bad_json", message: e.body_text() },
    })?;
    let errors = validate(&input);
    if !errors.is_empty() {
        let list: Vec<_> = errors.iter().map(|(f, k)| json!({ "field": f, "message": t(Lang::En, k) })).collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": { "code": "invalid", "fields": list } })))
            .into_response());
    }
    let key =
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(|k| k.chars().take(100).collect::<String>());
    let origin = st.public_url.origin().to_string();
    let client = client.map(|c| c.0);
    let charge = admission_charge(st.submissions.requests.as_ref(), client);
    let admit = Admission { origin: &origin, charge, photo_budget: st.submissions.photo_storage_bytes };
    match st.registry.store.submit_request(&input, &[], key.as_deref(), &admit).await? {
        Submitted::Created { reference, token, .. } => Ok(answer(StatusCode::CREATED, reference, token)),
        Submitted::Repeated { reference, token, .. } => Ok(answer(StatusCode::OK, reference, token)),
        Submitted::KeyReused => Err(ApiError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different request".into(),
        }),
        Submitted::Limited(wait) => {
            crate::metrics::rate_limited("submit_api");
            Ok(with_retry_after(ApiError::TooManyRequests.into_response(), wait))
        }
        // No photos come through the API, so the storage budget cannot refuse.
        Submitted::NoPhotoSpace => Err(ApiError::TooManyRequests),
    }
}

/// The requester's view of a request (`Authorization: Bearer TOKEN` or `?token=`).
#[utoipa::path(
    get,
    path = "/api/v1/requests/{reference}",
    tag = "requests",
    params(
        ("reference" = String, Path, description = "e.g. FK-7K3M-Q9XD"),
        ("token" = Option<String>, Query,
            description = "the secret of the status link; the `status_token` bearer header is preferred and wins"),
    ),
    security((), ("status_token" = [])),
    responses(
        (status = 200, description = "state, the conversation (a relative may write after a decision too) and, \
            once released, the details as two moderators approved them: frozen then, a later edit of the record \
            does not change them", body = RequesterView),
        (status = 404, description = "`not_found`: no such request, or the token does not match",
            body = super::api::ErrorBody),
        (status = 500, description = "`internal`: the request could not be read", body = super::api::ErrorBody),
    )
)]
pub async fn api_status(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = bearer.or_else(|| p.get("token").cloned()).unwrap_or_default();
    let Some(req) = by_link(&st, &reference, &token).await? else {
        return Err(ApiError::NotFound);
    };
    let view = st.registry.store.requester_view(&req).await?;
    Ok(no_store(Json(view).into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::requester_view;
    use crate::workflow::State as RState;

    #[test]
    fn requester_view_has_no_staff_fields() {
        // The serialised view names only what docs/ARCHITECTURE.md lets a requester see.
        let v = requester_view(
            &RequestRow {
                id: 1,
                reference: "FK-AAAA-BBBB".into(),
                state: RState::Submitted,
                language: "ru".into(),
                requester_name: "Анна".into(),
                relationship: "мать".into(),
                email: None,
                phone: None,
                telegram: None,
                sought_name: "x".into(),
                sought_birth: None,
                sought_birth_place: None,
                sought_region: None,
                sought_unit: None,
                marks: None,
                free_text: None,
                candidate_record_id: Some(5),
                claimed_by: Some(2),
                claimed_by_name: Some("moderator1".into()),
                proposed_record_id: Some(5),
                proposed_by: Some(2),
                proposed_by_name: Some("moderator1".into()),
                reason: None,
                created_at: "t".into(),
                updated_at: "t".into(),
                reply_pending: false,
                reply_at: None,
                state_since: None,
                proposed_version: None,
                released_details: None,
                released_at: None,
                telegram_chat_id: Some(42),
                callback_since: Some("t".into()),
                new_candidate_at: Some("t".into()),
            },
            vec![(true, "moderator1".into(), "t".into(), "hello".into())],
            vec![],
        );
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert!(!text.contains("moderator1"), "staff names stay inside");
        assert!(text.contains("\"released\":null"));
    }
}
