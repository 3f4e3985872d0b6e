//! Who holds which open request, for admins (`Action::ManageClaims`): a
//! request held by someone on leave, or disabled, is handed to an active
//! moderator or back to the queue. Admins do not moderate, so the page
//! shows no request content: reference, state, holder and since when.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::staff::{claims_page, ClaimRow};

use super::requests::{load, refused, words as step_words};
use super::{notice, page, redirect, words, Ctx, Guard, StaffError};
use crate::auth::Action;
use crate::http::AppState;
use crate::requests::By;
use crate::users::now;
use crate::workflow::Step;

/// `GET /staff/claims`
pub async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ManageClaims).await?;
    let lang = ctx.lang;
    let now = now();
    let rows = st
        .registry
        .store
        .held_claims()
        .await?
        .into_iter()
        .map(|c| ClaimRow {
            id: c.id,
            reference: c.reference,
            state_text: words::state(lang, c.state),
            holder: c.holder,
            holder_id: c.holder_id,
            holder_disabled: c.holder_disabled,
            age: words::age_since(lang, &c.since, now).unwrap_or_default(),
            since: crate::calendar::display_utc(&c.since, false),
        })
        .collect();
    let moderators = st.registry.store.active_moderators().await?;
    let n = notice(lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, claims_page(lang, &g.viewer, n, rows, &moderators)))
}

/// `POST /staff/claims/{id}`: `to` = a moderator's id hands the request to
/// them; `to=queue` gives it back to the queue. The workflow refuses, in
/// words, a hand-over to anyone but an active moderator.
pub async fn reassign(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
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
    let outcome = st.registry.store.apply_step(id, &step, By::Staff(&g.session.user), step_words(&f)).await?;
    Ok(match outcome {
        Ok(_) => redirect("/staff/claims?ok=staff.notice.step_done"),
        Err(refusal) => refused(ctx.lang, &g, &refusal),
    })
}
