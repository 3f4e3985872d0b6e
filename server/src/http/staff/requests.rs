//! Moderation: the queue, a request with candidate records suggested by
//! the name engine from everything the requester gave, and the workflow
//! actions. Approval needs a second, different moderator.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, Lang};
use findkin_app::staff::{queue_page, request_page, Candidate, QueuePage, QueueRow, RequestDetail};
use findkin_search::normalize::fold;
use findkin_search::{NameField, Query as NameQuery, SearchOptions};

use super::{notice, page, query_string, redirect, Ctx, Guard, StaffError};
use crate::auth::Action;
use crate::http::requests::jpeg;
use crate::http::AppState;
use crate::requests::{By, QueueFilter, RequestRow, StepData, QUEUE_PAGE};
use crate::workflow::{next, Actor, State as RState, Step};

fn short_time(at: &str) -> String {
    crate::calendar::display_utc(at, false)
}

/// `GET /staff/requests?page=N`: the queue, oldest first, a page at a time.
pub async fn queue(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    let get = |k: &str| p.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let state = RState::parse(&get("state"));
    let lang = Lang::from_code(&get("language")).filter(|_| !get("language").is_empty());
    let min_age = get("min_age").parse::<i64>().ok().filter(|d| *d > 0);
    let page_no = get("page").parse::<i64>().ok().filter(|p| *p > 0).unwrap_or(1);
    let filter = QueueFilter { state, lang, min_age_days: min_age, view: None };
    let (rows, total) = st.registry.store.request_queue(&filter, page_no).await?;
    let (state_text, language_text, min_age_text) = (get("state"), get("language"), get("min_age"));
    let query_string = query_string(&[
        ("state", state_text.as_str()),
        ("language", language_text.as_str()),
        ("min_age", min_age_text.as_str()),
    ]);
    let view = QueuePage {
        state: get("state"),
        language: get("language"),
        min_age: get("min_age"),
        page: page_no,
        pages: (total + QUEUE_PAGE - 1) / QUEUE_PAGE,
        total,
        query_string,
        rows: rows
            .into_iter()
            .map(|r| QueueRow {
                id: r.id,
                reference: r.reference,
                state: r.state.as_str(),
                sought_name: r.sought_name,
                language: r.language,
                created_at: short_time(&r.created_at),
                claimed_by: r.claimed_by_name.unwrap_or_default(),
            })
            .collect(),
    };
    Ok(page(StatusCode::OK, queue_page(ctx.lang, &g.viewer, view)))
}

async fn load(st: &AppState, lang: Lang, id: i64) -> Result<RequestRow, StaffError> {
    st.registry.store.request(id).await?.ok_or(StaffError::NotFound { lang })
}

/// Candidate records for a request, strongest first: the name engine over
/// the sought name, ranked with the birth date and region the requester gave.
async fn candidates(st: &AppState, lang: Lang, r: &RequestRow) -> Result<Vec<Candidate>, StaffError> {
    let q = NameQuery::parse(&r.sought_name, None)
        .map(|q| q.with_birth_date(r.sought_birth.as_deref()).with_region(r.sought_region.as_deref()));
    let hits = match q {
        Ok(q) => st.registry.search_query(&q, SearchOptions { limit: 10, public_only: false }).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let mut out = Vec::new();
    let mut ids: Vec<i64> = hits.iter().map(|h| h.record.id as i64).collect();
    if let Some(c) = r.candidate_record_id.filter(|c| !ids.contains(c)) {
        ids.insert(0, c);
    }
    for id in ids {
        let Some(rec) = st.registry.store.record(id).await? else { continue };
        let hit = hits.iter().find(|h| h.record.id as i64 == id);
        let matched = |field: NameField| hit.is_some_and(|h| h.matches.iter().flatten().any(|m| m.field == field));
        let i = &rec.input;
        let parts = [
            (i.surname.clone(), NameField::Surname),
            (i.given_name.clone(), NameField::GivenName),
            (i.patronymic.clone(), NameField::Patronymic),
        ]
        .into_iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(s, f)| (crate::backend::display_name(&s), matched(f)))
        .collect();
        let why = hit
            .map(|h| {
                h.matches
                    .iter()
                    .flatten()
                    .map(|m| {
                        format!(
                            "{} → {} ({})",
                            m.query,
                            t(lang, &format!("field.{}", field_key(m.field))),
                            kind_name(m.kind)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let birth = i.birth_date.clone().unwrap_or_default();
        let want_birth = r.sought_birth.clone().unwrap_or_default();
        let common = birth.len().min(want_birth.len());
        let region = i.region.clone().unwrap_or_default();
        let unit = i.unit.clone().unwrap_or_default();
        let want_unit = r.sought_unit.clone().unwrap_or_default();
        out.push(Candidate {
            record_id: id,
            external_id: i.external_id.clone(),
            name_parts: parts,
            birth_matches: common >= 4 && birth.get(..common) == want_birth.get(..common),
            birth_date: birth,
            region_matches: !region.is_empty() && r.sought_region.as_deref().is_some_and(|w| fold(w) == fold(&region)),
            region,
            unit_matches: !unit.is_empty() && !want_unit.is_empty() && fold(&unit).contains(&fold(&want_unit)),
            unit,
            why,
            from_public_hit: r.candidate_record_id == Some(id),
        });
    }
    Ok(out)
}

fn field_key(f: NameField) -> &'static str {
    match f {
        NameField::Surname => "surname",
        NameField::GivenName => "given_name",
        NameField::Patronymic => "patronymic",
    }
}

fn kind_name(k: findkin_search::MatchKind) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    let lang = ctx.lang;
    let r = load(&st, lang, id).await?;
    g.audit(&st, &ctx, "view_request", Some(("request", r.reference.clone())), None).await?;
    let me = Actor::Moderator(g.session.user.id);
    let facts = r.facts();
    let possible = |s: Step| next(facts, &s, me).is_ok();
    let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
    let proposed = match r.proposed_record_id {
        Some(rid) => st
            .registry
            .store
            .record(rid)
            .await?
            .map(|rec| (rid, rec.input.external_id, r.proposed_by_name.clone().unwrap_or_default())),
        None => None,
    };
    let photos = st
        .registry
        .store
        .photo_tokens(id)
        .await?
        .into_iter()
        .map(|tok| (format!("/staff/photos/{tok}?thumb=1"), format!("/staff/photos/{tok}")))
        .collect();
    let detail = RequestDetail {
        id,
        reference: r.reference.clone(),
        state: r.state.as_str(),
        claimed_by: r
            .claimed_by_name
            .clone()
            .map(|n| format!("· {} {n}", t(lang, "staff.req.claimed_by")))
            .unwrap_or_default(),
        proposed,
        requester: vec![
            ("request.field.requester_name", r.requester_name.clone()),
            ("request.field.relationship", r.relationship.clone()),
            ("request.field.email", o(&r.email)),
            ("request.field.phone", o(&r.phone)),
            ("request.field.telegram", o(&r.telegram)),
            ("request.field.language", r.language.clone()),
            ("staff.queue.received", short_time(&r.created_at)),
        ],
        sought: vec![
            ("request.field.sought_name", r.sought_name.clone()),
            ("request.field.sought_birth", o(&r.sought_birth)),
            ("request.field.sought_birth_place", o(&r.sought_birth_place)),
            ("request.field.sought_region", o(&r.sought_region)),
            ("request.field.sought_unit", o(&r.sought_unit)),
            ("request.field.marks", o(&r.marks)),
            ("request.field.free_text", o(&r.free_text)),
        ],
        photos,
        candidates: candidates(&st, lang, &r).await?,
        messages: st
            .registry
            .store
            .request_messages(id)
            .await?
            .into_iter()
            .map(|(staff, author, at, body)| (staff, author, short_time(&at), body))
            .collect(),
        events: st
            .registry
            .store
            .request_events(id)
            .await?
            .into_iter()
            .map(|e| (short_time(&e.at), e.actor, e.to_state, e.note.unwrap_or_default()))
            .collect(),
        can_claim: possible(Step::Claim) && r.claimed_by != Some(g.session.user.id),
        can_review: r.claimed_by == Some(g.session.user.id) && possible(Step::ProposeMatch),
        can_decide_proposal: possible(Step::Approve),
    };
    let n = notice(lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, request_page(lang, &g.viewer, n, detail)))
}

/// Runs one workflow step from a console form; refusals come back as a
/// notice on the request page (and are in the audit log).
async fn step(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &HashMap<String, String>,
    step: Step,
    data: StepData,
) -> Result<Response, StaffError> {
    let g = Guard::require(st, ctx, Action::ModerateRequests).await?;
    g.check_form(ctx.lang, form.get("csrf").map(String::as_str))?;
    load(st, ctx.lang, id).await?;
    let outcome = st.registry.store.apply_step(id, &step, By::Staff(&g.session.user), data).await?;
    Ok(match outcome {
        Ok(_) => redirect(&format!("/staff/requests/{id}?ok=staff.notice.step_done")),
        Err(refusal) => {
            tracing::info!(step = step.as_str(), %refusal, "workflow step refused");
            page(
                StatusCode::CONFLICT,
                findkin_app::staff::message_page(
                    ctx.lang,
                    Some(&g.viewer),
                    "staff.req.refused",
                    refusal_text(ctx.lang, &refusal),
                ),
            )
        }
    })
}

fn refusal_text(lang: Lang, r: &crate::workflow::Refusal) -> String {
    use crate::workflow::Refusal::*;
    t(
        lang,
        match r {
            WrongState(_) => "staff.req.refused.state",
            RequesterOnly => "staff.req.refused.requester_only",
            ModeratorOnly => "staff.req.refused.moderator_only",
            ClaimedByOther => "staff.req.refused.claimed",
            SelfApproval => "staff.req.refused.self_approval",
            AdminOnly => "staff.req.refused.admin_only",
            MessageRequired => "staff.req.refused.message_required",
            NoteRequired => "staff.req.refused.note_required",
            NotAModerator => "staff.req.refused.not_a_moderator",
        },
    )
}

type F = Form<HashMap<String, String>>;

/// The words a console form carries: `message` to the relative, `note` to
/// the other moderator. The workflow refuses a step that needs one without it.
fn words(f: &HashMap<String, String>) -> StepData {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    StepData { message: field("message"), note: field("note"), ..StepData::default() }
}

pub async fn claim(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::Claim, StepData::default()).await
}

pub async fn ask(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let message = f.get("message").cloned().filter(|m| !m.trim().is_empty());
    if message.is_none() {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.message_needed")));
    }
    step(&st, &ctx, id, &f, Step::AskInfo, StepData { message, ..StepData::default() }).await
}

pub async fn propose(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let record = f.get("record_id").and_then(|r| r.parse::<i64>().ok());
    let exists = match record {
        Some(r) => st.registry.store.record(r).await?.is_some(),
        None => false,
    };
    if !exists {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.record_needed")));
    }
    step(&st, &ctx, id, &f, Step::ProposeMatch, StepData { proposed_record_id: record, ..words(&f) }).await
}

pub async fn no_match(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::NoMatch, words(&f)).await
}

pub async fn reject(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let reason = f.get("reason").map(|r| r.trim().chars().take(1000).collect::<String>()).filter(|r| !r.is_empty());
    if reason.is_none() {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.reason_needed")));
    }
    step(&st, &ctx, id, &f, Step::Reject, StepData { message: reason, ..StepData::default() }).await
}

pub async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::Approve, words(&f)).await
}

pub async fn return_to_review(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::ReturnToReview, words(&f)).await
}

/// `POST /staff/requests/{id}/release`: the claimer gives the request back
/// to the queue for any moderator.
pub async fn release(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::ReleaseClaim, words(&f)).await
}

/// `POST /staff/claims/{id}` (admin): `to` = a moderator's id hands the
/// request to them; `to=queue` gives it back to the queue.
pub async fn reassign(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ManageClaims).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    load(&st, ctx.lang, id).await?;
    let to = f.get("to").map(String::as_str).unwrap_or_default();
    let step = match to.parse::<i64>() {
        Ok(user) => Step::Reassign(user),
        Err(_) if to == "queue" => Step::ReleaseClaim,
        Err(_) => return Ok(redirect("/staff/claims?err=staff.notice.moderator_needed")),
    };
    let outcome = st.registry.store.apply_step(id, &step, By::Staff(&g.session.user), words(&f)).await?;
    Ok(match outcome {
        Ok(_) => redirect("/staff/claims?ok=staff.notice.step_done"),
        Err(refusal) => page(
            StatusCode::CONFLICT,
            findkin_app::staff::message_page(
                ctx.lang,
                Some(&g.viewer),
                "staff.req.refused",
                refusal_text(ctx.lang, &refusal),
            ),
        ),
    })
}

/// A message to the requester without a state change.
pub async fn message(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    let r = load(&st, ctx.lang, id).await?;
    if let Some(body) = f.get("message").filter(|m| !m.trim().is_empty()) {
        st.registry.store.add_message(id, By::Staff(&g.session.user), body).await?;
        g.audit(&st, &ctx, "request_message", Some(("request", r.reference)), None).await?;
    }
    Ok(redirect(&format!("/staff/requests/{id}?ok=staff.notice.step_done")))
}

/// A request photo for staff (moderators), never cached.
pub async fn photo(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    match st.registry.store.photo(&token, p.contains_key("thumb")).await? {
        Some((rid, data)) => {
            if !p.contains_key("thumb") {
                g.audit(&st, &ctx, "view_photo", Some(("request", rid.to_string())), None).await?;
            }
            Ok(jpeg(data))
        }
        None => Err(StaffError::NotFound { lang: ctx.lang }),
    }
}
