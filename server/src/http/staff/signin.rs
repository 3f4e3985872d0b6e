//! Signing in: password, then (first time) a new password and TOTP
//! enrolment, then a TOTP code. Failures slow down, then lock the account.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, tf};
use findkin_app::staff::{sign_in_page, Notice, SignInStep};
use serde::Deserialize;

use super::{check_csrf, clear_cookie, page, redirect, session_cookie, with_cookie, Ctx, StaffError};
use crate::audit::Entry;
use crate::auth::sessions::{Session, Stage};
use crate::auth::{password, totp};
use crate::http::AppState;
use crate::users::{now, Account, LOCK_AFTER};

fn error_page(ctx: &Ctx, step: SignInStep, csrf: Option<String>, text: String) -> Response {
    page(StatusCode::UNAUTHORIZED, sign_in_page(ctx.lang, step, csrf, Some(Notice { ok: false, text })))
}

/// The session between the password and the second factor.
async fn pending(st: &AppState, ctx: &Ctx) -> Result<Session, StaffError> {
    let Some(token) = &ctx.token else { return Err(StaffError::NotSignedIn) };
    st.registry.store.session(token).await?.ok_or(StaffError::NotSignedIn)
}

async fn account(st: &AppState, s: &Session) -> Result<Account, StaffError> {
    st.registry.store.account_by_id(s.user.id).await?.ok_or(StaffError::NotSignedIn)
}

fn next_step(a: &Account) -> &'static str {
    if a.must_change_password {
        "/staff/password"
    } else if !a.totp_enrolled {
        "/staff/enrol"
    } else {
        "/staff/verify"
    }
}

/// Slows repeated failures down: a quarter second per failure, at most two.
async fn slow_down(failures: i64) {
    tokio::time::sleep(Duration::from_millis((failures.clamp(1, 8) * 250) as u64)).await;
}

async fn audit(
    st: &AppState,
    ctx: &Ctx,
    a: Option<&Account>,
    name: &str,
    action: &str,
    details: Option<String>,
) -> Result<(), StaffError> {
    st.registry
        .store
        .audit(Entry {
            actor: a.map(|a| &a.user),
            actor_name: Some(name),
            action,
            details,
            address: ctx.address.clone(),
            ..Entry::default()
        })
        .await?;
    Ok(())
}

/// Counts a failure, locks at the limit, and says what happened.
async fn failed(st: &AppState, ctx: &Ctx, a: &Account, action: &str) -> Result<String, StaffError> {
    let failures = st.registry.store.record_failure(a.user.id).await?;
    audit(st, ctx, Some(a), &a.user.name, action, Some(format!("failure {failures}"))).await?;
    slow_down(failures).await;
    if failures >= LOCK_AFTER {
        audit(st, ctx, Some(a), &a.user.name, "account_locked", None).await?;
        return Ok(t(ctx.lang, "staff.login.locked"));
    }
    Ok(t(ctx.lang, if action == "login_failed" { "staff.login.wrong" } else { "staff.totp.wrong" }))
}

fn locked(a: &Account) -> bool {
    a.locked_until > now()
}

pub async fn login_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    if let Some(token) = &ctx.token {
        if st.registry.store.session(token).await?.is_some_and(|s| s.stage == Stage::Full) {
            return Ok(redirect("/staff"));
        }
    }
    Ok(page(StatusCode::OK, sign_in_page(ctx.lang, SignInStep::Password, None, None)))
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

/// The sign-in form has no session yet, so it is protected from
/// cross-site posting by the Origin check instead of a token.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get("host").and_then(|h| h.to_str().ok());
    match headers.get("origin").and_then(|o| o.to_str().ok()) {
        None => true,
        Some(origin) => host.is_some_and(|h| origin.split("://").nth(1) == Some(h)),
    }
}

pub async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, StaffError> {
    if !same_origin(&headers) {
        return Err(StaffError::StaleForm { lang: ctx.lang });
    }
    let name: String = f.name.trim().chars().take(40).collect();
    let account = st.registry.store.account_by_name(&name).await?;
    let Some(a) = account.filter(|a| !a.disabled) else {
        // Same work and wait as a wrong password: no hint which names exist.
        let _ = tokio::task::spawn_blocking(move || {
            password::verify(&f.password, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA")
        })
        .await;
        audit(&st, &ctx, None, &name, "login_failed", Some("unknown or disabled account".into())).await?;
        slow_down(1).await;
        return Ok(error_page(&ctx, SignInStep::Password, None, t(ctx.lang, "staff.login.wrong")));
    };
    if locked(&a) {
        audit(&st, &ctx, Some(&a), &name, "login_refused_locked", None).await?;
        let minutes = ((a.locked_until - now()) / 60 + 1).to_string();
        return Ok(error_page(
            &ctx,
            SignInStep::Password,
            None,
            tf(ctx.lang, "staff.login.locked_for", &[("minutes", &minutes)]),
        ));
    }
    let hash = a.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&f.password, &hash)).await.unwrap_or(false);
    if !ok {
        let text = failed(&st, &ctx, &a, "login_failed").await?;
        return Ok(error_page(&ctx, SignInStep::Password, None, text));
    }
    audit(&st, &ctx, Some(&a), &name, "password_accepted", None).await?;
    let token = st.registry.store.create_session(a.user.id, Stage::Password).await?;
    Ok(with_cookie(redirect(next_step(&a)), session_cookie(&token, ctx.secure)))
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: String,
}

pub async fn code_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    Ok(page(StatusCode::OK, sign_in_page(ctx.lang, SignInStep::Code, Some(s.csrf), None)))
}

/// Replaces the pending session with a full one (a new token: no fixation).
async fn complete(st: &AppState, ctx: &Ctx, s: &Session, a: &Account) -> Result<Response, StaffError> {
    st.registry.store.clear_failures(a.user.id).await?;
    st.registry.store.end_session(&s.token_hash).await?;
    let token = st.registry.store.create_session(a.user.id, Stage::Full).await?;
    audit(st, ctx, Some(a), &a.user.name, "login", None).await?;
    Ok(with_cookie(redirect("/staff"), session_cookie(&token, ctx.secure)))
}

pub async fn verify(State(st): State<AppState>, ctx: Ctx, Form(f): Form<CodeForm>) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    let csrf = Some(s.csrf.clone());
    if locked(&a) {
        st.registry.store.end_session(&s.token_hash).await?;
        return Ok(with_cookie(
            error_page(&ctx, SignInStep::Password, None, t(ctx.lang, "staff.login.locked")),
            clear_cookie(),
        ));
    }
    let Some(secret) = a.totp_secret.clone().filter(|_| a.totp_enrolled) else {
        return Ok(redirect(next_step(&a)));
    };
    let t_now = now() as u64;
    match totp::verify(&secret, &f.code, t_now, a.totp_last_step) {
        Some(step) if st.registry.store.accept_totp_step(a.user.id, step).await? => complete(&st, &ctx, &s, &a).await,
        _ => {
            // A right code that was already used is a replay: say so in the log.
            let replay = totp::verify(&secret, &f.code, t_now, i64::MIN).is_some();
            let text = failed(&st, &ctx, &a, if replay { "totp_replay_refused" } else { "totp_failed" }).await?;
            Ok(error_page(&ctx, SignInStep::Code, csrf, text))
        }
    }
}

pub async fn enrol_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    let a = account(&st, &s).await?;
    if a.must_change_password || a.totp_enrolled {
        return Ok(redirect(next_step(&a)));
    }
    let secret = match &a.totp_secret {
        Some(sec) => sec.clone(),
        None => {
            let sec = totp::new_secret();
            st.registry.store.set_pending_totp(a.user.id, &sec).await?;
            sec
        }
    };
    let qr_svg = totp::qr_svg(&secret, &a.user.name).unwrap_or_default();
    Ok(page(StatusCode::OK, sign_in_page(ctx.lang, SignInStep::Enrol { qr_svg, secret }, Some(s.csrf), None)))
}

pub async fn enrol(State(st): State<AppState>, ctx: Ctx, Form(f): Form<CodeForm>) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    let Some(secret) = a.totp_secret.clone().filter(|_| !a.totp_enrolled) else {
        return Ok(redirect(next_step(&a)));
    };
    match totp::verify(&secret, &f.code, now() as u64, a.totp_last_step) {
        Some(step) if st.registry.store.accept_totp_step(a.user.id, step).await? => {
            audit(&st, &ctx, Some(&a), &a.user.name, "totp_enrolled", None).await?;
            complete(&st, &ctx, &s, &a).await
        }
        _ => {
            let text = failed(&st, &ctx, &a, "totp_failed").await?;
            let qr_svg = totp::qr_svg(&secret, &a.user.name).unwrap_or_default();
            Ok(error_page(&ctx, SignInStep::Enrol { qr_svg, secret }, Some(s.csrf), text))
        }
    }
}

pub async fn password_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    Ok(page(StatusCode::OK, sign_in_page(ctx.lang, SignInStep::ChangePassword, Some(s.csrf), None)))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    new_password: String,
    repeat: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(f): Form<PasswordForm>,
) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    let csrf = Some(s.csrf.clone());
    let problem = if f.new_password != f.repeat {
        Some("staff.password.mismatch")
    } else if password::verify(&f.new_password, &a.password_hash) {
        Some("staff.password.same")
    } else {
        password::weakness(&f.new_password, &a.user.name)
    };
    if let Some(key) = problem {
        return Ok(error_page(&ctx, SignInStep::ChangePassword, csrf, t(ctx.lang, key)));
    }
    st.registry.store.set_password(a.user.id, &f.new_password).await?;
    audit(&st, &ctx, Some(&a), &a.user.name, "password_changed", None).await?;
    Ok(redirect(if s.stage == Stage::Full {
        "/staff?ok=staff.notice.password_changed"
    } else if a.totp_enrolled {
        "/staff/verify"
    } else {
        "/staff/enrol"
    }))
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

pub async fn logout(State(st): State<AppState>, ctx: Ctx, Form(f): Form<LogoutForm>) -> Result<Response, StaffError> {
    if let Some(token) = &ctx.token {
        if let Some(s) = st.registry.store.session(token).await? {
            check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
            st.registry.store.end_session(&s.token_hash).await?;
            audit(&st, &ctx, None, &s.user.name, "logout", None).await?;
        }
    }
    Ok(with_cookie(redirect("/staff/login"), clear_cookie()))
}
