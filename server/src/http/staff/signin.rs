//! Signing in: password, then (first time) a new password and TOTP
//! enrolment, then a TOTP code.
//!
//! Every step that checks a secret is throttled per client address
//! (`auth::throttle`): a stranger guessing slows down only their own
//! address and cannot lock a moderator out. Only wrong second-factor codes,
//! which need the password, also count per account.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{FromRequestParts, State};
use axum::http::header::RETRY_AFTER;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, tf};
use findkin_app::staff::{sign_in_page, Notice, SignInStep};
use serde::Deserialize;

use super::{check_csrf, clear_cookie, page, redirect, session_cookie, with_cookie, Ctx, StaffError};
use crate::audit::Entry;
use crate::auth::sessions::{Session, Stage};
use crate::auth::throttle::Admission;
use crate::auth::{password, totp};
use crate::http::client_ip::ClientIp;
use crate::http::AppState;
use crate::users::{now, Account};

/// The bucket the client's failures count in: the client's IPv4 address or
/// IPv6 /64, as the trusted-proxy rules resolve it.
pub struct Client {
    key: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        Ok(Client { key: ip.key().to_string() })
    }
}

fn error_page(ctx: &Ctx, step: SignInStep, csrf: Option<String>, text: String) -> Response {
    page(StatusCode::UNAUTHORIZED, sign_in_page(ctx.lang, step, csrf, Some(Notice { ok: false, text })))
}

/// A refusal to even check: 429 with `Retry-After`, and the wait in words
/// (message `key` with `{minutes}`).
fn too_many(ctx: &Ctx, step: SignInStep, csrf: Option<String>, key: &str, retry_after: i64) -> Response {
    let seconds = retry_after.max(1);
    let minutes = ((seconds + 59) / 60).to_string();
    let text = tf(ctx.lang, key, &[("minutes", &minutes)]);
    let mut resp =
        page(StatusCode::TOO_MANY_REQUESTS, sign_in_page(ctx.lang, step, csrf, Some(Notice { ok: false, text })));
    resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    resp
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

/// Counts an attempt against the client's address before anything is
/// checked (parallel guesses cannot slip past the limit).
async fn admission(st: &AppState, client: &Client) -> Result<Admission, StaffError> {
    Ok(st.registry.store.admit_attempt(&client.key, now()).await?)
}

/// The attempt was right: it does not count against the address.
async fn forgive(st: &AppState, client: &Client) -> Result<(), StaffError> {
    st.registry.store.forgive_attempt(&client.key).await?;
    Ok(())
}

/// Logs a failed attempt, and the wait it starts for the address, if any.
async fn failed(
    st: &AppState,
    ctx: &Ctx,
    a: Option<&Account>,
    name: &str,
    action: &str,
    details: &str,
    wait: i64,
) -> Result<(), StaffError> {
    audit(st, ctx, a, name, action, Some(details.to_string())).await?;
    if wait > 0 {
        audit(st, ctx, a, name, "address_throttled", Some(format!("wait {wait} s"))).await?;
    }
    Ok(())
}

/// A wrong second-factor code: counted for the address and the account;
/// says what happened.
async fn code_failed(st: &AppState, ctx: &Ctx, a: &Account, action: &str, wait: i64) -> Result<String, StaffError> {
    let t_now = now();
    let (failures, locked_until) = st.registry.store.record_failure(a.user.id, t_now).await?;
    failed(st, ctx, Some(a), &a.user.name, action, &format!("failure {failures}"), wait).await?;
    if locked_until > t_now {
        audit(st, ctx, Some(a), &a.user.name, "account_locked", None).await?;
        let minutes = ((locked_until - t_now + 59) / 60).to_string();
        return Ok(tf(ctx.lang, "staff.totp.locked_for", &[("minutes", &minutes)]));
    }
    Ok(t(ctx.lang, "staff.totp.wrong"))
}

/// Seconds left of the account's second-factor lock, if it is locked.
fn locked_for(a: &Account) -> Option<i64> {
    Some(a.locked_until - now()).filter(|&left| left > 0)
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

/// Checks a password off the async threads; a missing account is checked
/// against the dummy hash, so it takes as long.
async fn password_matches(given: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || password::verify_or_dummy(&given, stored.as_deref())).await.unwrap_or(false)
}

/// Sign-in housekeeping, done when someone signs in: sessions left at the
/// password stage and long-quiet addresses are deleted.
async fn purge(st: &AppState) -> Result<(), StaffError> {
    let t_now = now();
    st.registry.store.purge_expired_sessions(t_now).await?;
    st.registry.store.purge_throttle(t_now).await?;
    Ok(())
}

pub async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    client: Client,
    Form(f): Form<LoginForm>,
) -> Result<Response, StaffError> {
    let wait = match admission(&st, &client).await? {
        Admission::Admitted { wait_if_failed } => wait_if_failed,
        Admission::Refused { retry_after } => {
            return Ok(too_many(&ctx, SignInStep::Password, None, "staff.login.throttled", retry_after))
        }
    };
    purge(&st).await?;
    let name: String = f.name.trim().chars().take(40).collect();
    let account = st.registry.store.account_by_name(&name).await?.filter(|a| !a.disabled);
    let ok = password_matches(f.password, account.as_ref().map(|a| a.password_hash.clone())).await;
    let a = match (account, ok) {
        (Some(a), true) => a,
        // Same work, message, status and page whether or not the name exists.
        (a, _) => {
            let details = if a.is_some() { "wrong password" } else { "unknown or disabled account" };
            failed(&st, &ctx, a.as_ref(), &name, "login_failed", details, wait).await?;
            return Ok(error_page(&ctx, SignInStep::Password, None, t(ctx.lang, "staff.login.wrong")));
        }
    };
    forgive(&st, &client).await?;
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

pub async fn verify(
    State(st): State<AppState>,
    ctx: Ctx,
    client: Client,
    Form(f): Form<CodeForm>,
) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    let csrf = Some(s.csrf.clone());
    if let Some(left) = locked_for(&a) {
        st.registry.store.end_session(&s.token_hash).await?;
        audit(&st, &ctx, Some(&a), &a.user.name, "login_refused_locked", None).await?;
        let resp = too_many(&ctx, SignInStep::Password, None, "staff.totp.locked_for", left);
        return Ok(with_cookie(resp, clear_cookie(ctx.secure)));
    }
    let Some(secret) = a.totp_secret.clone().filter(|_| a.totp_enrolled) else {
        return Ok(redirect(next_step(&a)));
    };
    let wait = match admission(&st, &client).await? {
        Admission::Admitted { wait_if_failed } => wait_if_failed,
        Admission::Refused { retry_after } => {
            return Ok(too_many(&ctx, SignInStep::Code, csrf, "staff.login.throttled", retry_after))
        }
    };
    let t_now = now() as u64;
    match totp::verify(&secret, &f.code, t_now, a.totp_last_step) {
        Some(step) if st.registry.store.accept_totp_step(a.user.id, step).await? => {
            forgive(&st, &client).await?;
            complete(&st, &ctx, &s, &a).await
        }
        _ => {
            // A right code that was already used is a replay: say so in the log.
            let replay = totp::verify(&secret, &f.code, t_now, i64::MIN).is_some();
            let action = if replay { "totp_replay_refused" } else { "totp_failed" };
            let text = code_failed(&st, &ctx, &a, action, wait).await?;
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

pub async fn enrol(
    State(st): State<AppState>,
    ctx: Ctx,
    client: Client,
    Form(f): Form<CodeForm>,
) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    let Some(secret) = a.totp_secret.clone().filter(|_| !a.totp_enrolled && !a.must_change_password) else {
        return Ok(redirect(next_step(&a)));
    };
    let enrol_step = |secret: String| {
        let qr_svg = totp::qr_svg(&secret, &a.user.name).unwrap_or_default();
        SignInStep::Enrol { qr_svg, secret }
    };
    let wait = match admission(&st, &client).await? {
        Admission::Admitted { wait_if_failed } => wait_if_failed,
        Admission::Refused { retry_after } => {
            let step = enrol_step(secret);
            return Ok(too_many(&ctx, step, Some(s.csrf.clone()), "staff.login.throttled", retry_after));
        }
    };
    match totp::verify(&secret, &f.code, now() as u64, a.totp_last_step) {
        Some(step) if st.registry.store.accept_totp_step(a.user.id, step).await? => {
            forgive(&st, &client).await?;
            audit(&st, &ctx, Some(&a), &a.user.name, "totp_enrolled", None).await?;
            complete(&st, &ctx, &s, &a).await
        }
        _ => {
            let text = code_failed(&st, &ctx, &a, "totp_failed", wait).await?;
            Ok(error_page(&ctx, enrol_step(secret), Some(s.csrf), text))
        }
    }
}

/// Who may change a password: a fully signed-in member, or, at the
/// password stage, only an account whose one-time password must change.
/// A password alone must never be enough to replace the password.
fn may_change_password(s: &Session, a: &Account) -> bool {
    s.stage == Stage::Full || a.must_change_password
}

fn change_step(s: &Session) -> SignInStep {
    SignInStep::ChangePassword { first_login: s.stage == Stage::Password }
}

pub async fn password_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    let a = account(&st, &s).await?;
    if !may_change_password(&s, &a) {
        return Ok(redirect(next_step(&a)));
    }
    Ok(page(StatusCode::OK, sign_in_page(ctx.lang, change_step(&s), Some(s.csrf), None)))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    /// The current password (at first sign-in: the one-time password).
    #[serde(default)]
    current_password: String,
    new_password: String,
    repeat: String,
}

/// Why a new password is refused (translation key), if it is.
fn new_password_problem(f: &PasswordForm, name: &str) -> Option<&'static str> {
    if f.new_password != f.repeat {
        Some("staff.password.mismatch")
    } else if f.new_password == f.current_password {
        Some("staff.password.same")
    } else {
        password::weakness(&f.new_password, name)
    }
}

pub async fn change_password(
    State(st): State<AppState>,
    ctx: Ctx,
    client: Client,
    Form(f): Form<PasswordForm>,
) -> Result<Response, StaffError> {
    let s = pending(&st, &ctx).await?;
    check_csrf(&s, ctx.lang, f.csrf.as_deref())?;
    let a = account(&st, &s).await?;
    if !may_change_password(&s, &a) {
        audit(&st, &ctx, Some(&a), &a.user.name, "password_change_refused", Some("second factor pending".into()))
            .await?;
        return Ok(redirect(next_step(&a)));
    }
    let csrf = Some(s.csrf.clone());
    let wait = match admission(&st, &client).await? {
        Admission::Admitted { wait_if_failed } => wait_if_failed,
        Admission::Refused { retry_after } => {
            return Ok(too_many(&ctx, change_step(&s), csrf, "staff.login.throttled", retry_after))
        }
    };
    if !password_matches(f.current_password.clone(), Some(a.password_hash.clone())).await {
        failed(&st, &ctx, Some(&a), &a.user.name, "password_change_failed", "wrong current password", wait).await?;
        return Ok(error_page(&ctx, change_step(&s), csrf, t(ctx.lang, "staff.password.current_wrong")));
    }
    forgive(&st, &client).await?;
    if let Some(key) = new_password_problem(&f, &a.user.name) {
        return Ok(error_page(&ctx, change_step(&s), csrf, t(ctx.lang, key)));
    }
    st.registry.store.set_password(a.user.id, &f.new_password).await?;
    let ended = st.registry.store.end_other_sessions(a.user.id, &s.token_hash).await?;
    audit(&st, &ctx, Some(&a), &a.user.name, "password_changed", Some(format!("{ended} other sessions ended"))).await?;
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
    Ok(with_cookie(redirect("/staff/login"), clear_cookie(ctx.secure)))
}
