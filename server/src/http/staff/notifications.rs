//! `/staff/notifications`: how a staff member hears of new work — not at
//! all, by email or in a Telegram chat linked with a one-time code sent to
//! the bot. Every change is audited (the channel, never the address).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::staff::{notifications_page, NotifyPage};

use super::{notice, page, redirect, Ctx, Guard, StaffError};
use crate::auth::{can, Action};
use crate::http::AppState;
use crate::staff_alerts::{email_problem, Setting, Settings};
use crate::users::now;

/// The page as stored, with what the form sends back over it.
fn view(lang: Lang, g: &Guard, s: &Settings) -> NotifyPage {
    let role = g.session.user.role;
    let current = match s.channel.as_str() {
        "email" => tf(lang, "staff.notify.now.email", &[("email", s.email.as_deref().unwrap_or("—"))]),
        "telegram" => t(lang, "staff.notify.now.telegram"),
        _ => t(lang, "staff.notify.now.none"),
    };
    NotifyPage {
        channel: s.channel.clone(),
        email: s.email.clone().unwrap_or_default(),
        email_error: None,
        current,
        telegram_linked: s.chat_id.is_some(),
        code: None,
        code_pending: s.code_pending,
        receives: can(role, Action::ModerateRequests) || can(role, Action::ManageClaims),
    }
}

async fn guard(st: &AppState, ctx: &Ctx) -> Result<Guard, StaffError> {
    // Every staff role may open the console, so every one may set this.
    Guard::require(st, ctx, Action::ViewDashboard).await
}

/// `GET /staff/notifications`
pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = guard(&st, &ctx).await?;
    let s = st.registry.store.notify_settings(g.session.user.id, now()).await?;
    let n = notice(ctx.lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, notifications_page(ctx.lang, &g.viewer, n, view(ctx.lang, &g, &s))))
}

/// `POST /staff/notifications`: `channel` = none | email (with `email`) |
/// telegram (once a chat is linked). A bad address comes back with the
/// form, the error next to the field.
pub async fn save(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = guard(&st, &ctx).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    let store = &st.registry.store;
    let user = g.session.user.id;
    let s = store.notify_settings(user, now()).await?;
    let email = f.get("email").map(|e| e.trim().to_string()).unwrap_or_default();
    let setting = match f.get("channel").map(String::as_str) {
        Some("none") => Setting::Off,
        Some("email") => {
            if let Some(problem) = email_problem(&email) {
                let mut p = view(ctx.lang, &g, &s);
                p.channel = "email".into();
                p.email = email;
                p.email_error = Some(t(ctx.lang, problem));
                return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, notifications_page(ctx.lang, &g.viewer, None, p)));
            }
            Setting::Email(email)
        }
        Some("telegram") => match s.chat_id {
            Some(chat) => Setting::Telegram(chat),
            None => return Ok(redirect("/staff/notifications?err=staff.notice.telegram_not_linked")),
        },
        _ => return Ok(redirect("/staff/notifications?err=staff.notice.notify_choose")),
    };
    store.set_notify(user, &setting).await?;
    g.audit(
        &st,
        &ctx,
        "notify_settings_changed",
        Some(("user", g.session.user.name.clone())),
        Some(setting.channel().into()),
    )
    .await?;
    Ok(redirect("/staff/notifications?ok=staff.notice.notify_saved"))
}

/// `POST /staff/notifications/telegram`: a new one-time code, shown once
/// on the page this answers with (never in a URL).
pub async fn telegram_code(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = guard(&st, &ctx).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    let store = &st.registry.store;
    let user = g.session.user.id;
    let code = store.issue_telegram_code(user, now()).await?;
    g.audit(&st, &ctx, "telegram_code_issued", Some(("user", g.session.user.name.clone())), None).await?;
    let s = store.notify_settings(user, now()).await?;
    let mut p = view(ctx.lang, &g, &s);
    p.code = Some(code);
    Ok(page(StatusCode::OK, notifications_page(ctx.lang, &g.viewer, None, p)))
}

/// `POST /staff/notifications/unlink`: forgets the Telegram chat.
pub async fn unlink(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = guard(&st, &ctx).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    st.registry.store.unlink_telegram(g.session.user.id).await?;
    g.audit(&st, &ctx, "telegram_unlinked", Some(("user", g.session.user.name.clone())), None).await?;
    Ok(redirect("/staff/notifications?ok=staff.notice.telegram_unlinked"))
}
