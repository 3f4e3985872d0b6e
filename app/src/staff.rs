//! The staff console: server-rendered pages with no script at all (they
//! work the same with JavaScript off, and allow the strictest CSP). Every
//! form posts to the server, which answers with a redirect or a page.
//!
//! The server builds the view models below from its own types and calls
//! the `*_page` functions, which return a whole HTML document.

use leptos::prelude::*;

use crate::document::{static_document, Referrer};
use crate::i18n::{t, tf, Lang};

/// The signed-in staff member, as the pages need them.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub name: String,
    /// Translation key of the role.
    pub role_key: &'static str,
    pub csrf: String,
    pub can_moderate: bool,
    pub can_list: bool,
    pub can_edit: bool,
    pub can_import: bool,
    pub can_export: bool,
    pub can_audit: bool,
    /// Admins hand requests between moderators (`/staff/claims`).
    pub can_manage_claims: bool,
    /// The registry holds demo data: say so here too.
    pub demo: bool,
}

/// A message shown at the top of a page (after a redirect).
#[derive(Debug, Clone)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

fn document(lang: Lang, title: String, viewer: Option<&Viewer>, notice: Option<Notice>, body: AnyView) -> String {
    let nav = viewer.map(|v| {
        let v = v.clone();
        view! {
            <nav class="staff-nav" aria-label=t(lang, "staff.nav.label")>
                <a href="/staff">{t(lang, "staff.nav.dashboard")}</a>
                {v.can_moderate.then(|| view! { <a href="/staff/requests">{t(lang, "staff.nav.requests")}</a> })}
                {v.can_list.then(|| view! { <a href="/staff/records">{t(lang, "staff.nav.records")}</a> })}
                {v.can_import.then(|| view! { <a href="/staff/import">{t(lang, "staff.nav.import")}</a> })}
                {v.can_audit.then(|| view! { <a href="/staff/audit">{t(lang, "staff.nav.audit")}</a> })}
                {v.can_manage_claims.then(|| view! { <a href="/staff/claims">{t(lang, "staff.nav.claims")}</a> })}
                <span class="who">{format!("{} · {}", v.name, t(lang, v.role_key))}</span>
                <a href="/staff/notifications">{t(lang, "staff.nav.notifications")}</a>
                <a href="/staff/password">{t(lang, "staff.nav.password")}</a>
                <form method="post" action="/staff/logout" class="inline">
                    <input type="hidden" name="csrf" value=v.csrf.clone()/>
                    <button type="submit" class="link">{t(lang, "staff.nav.logout")}</button>
                </form>
            </nav>
        }
    });
    let notice = notice.map(|n| {
        let class = if n.ok { "notice ok" } else { "notice error" };
        view! { <p class=class role=if n.ok { "status" } else { "alert" }>{n.text}</p> }
    });
    let demo = viewer.is_some_and(|v| v.demo);
    let html = view! {
        {demo.then(|| view! { <div class="demo-banner" role="note">{t(lang, "demo.banner")}</div> })}
        <header class="site-header staff-header">
            <a class="brand" href="/staff">
                <span class="brand-mark" aria-hidden="true">"◈"</span>
                <span>{t(lang, "staff.brand")}</span>
            </a>
            {nav}
        </header>
        <main id="main" class="staff">
            {notice}
            {body}
        </main>
    }
    .to_html();
    static_document(lang, &title, Referrer::SameOrigin, &html)
}

fn csrf_field(v: &Viewer) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=v.csrf.clone()/> }
}

/// A table with translated column headers, or a quiet line when it is empty.
fn data_table(lang: Lang, class: &'static str, headers: &[&str], empty_key: &str, rows: Vec<AnyView>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted">{t(lang, empty_key)}</p> }.into_any();
    }
    let heads = headers.iter().map(|h| view! { <th scope="col">{t(lang, h)}</th> }).collect_view();
    view! {
        <div class="table-wrap">
            <table class=class>
                <thead><tr>{heads}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

// ---------------------------------------------------------------- sign-in

/// The sign-in steps share one small form page.
pub enum SignInStep {
    Password,
    Code,
    /// Enrolment: QR code as SVG, the secret in text.
    Enrol {
        qr_svg: String,
        secret: String,
    },
    /// A new password. At first sign-in the one-time password stands in for
    /// the current one (and there is no console to go back to yet).
    ChangePassword {
        first_login: bool,
    },
}

pub fn sign_in_page(lang: Lang, step: SignInStep, csrf: Option<String>, notice: Option<Notice>) -> String {
    let csrf = csrf.map(|c| view! { <input type="hidden" name="csrf" value=c/> });
    let (title, body) = match step {
        SignInStep::Password => (
            t(lang, "staff.login.title"),
            view! {
                <form method="post" action="/staff/login" class="panel narrow">
                    <h1>{t(lang, "staff.login.title")}</h1>
                    <label for="name">{t(lang, "staff.login.name")}</label>
                    <input id="name" name="name" type="text" autocomplete="username" required/>
                    <label for="password">{t(lang, "staff.login.password")}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="primary">{t(lang, "staff.login.submit")}</button>
                </form>
            }
            .into_any(),
        ),
        SignInStep::Code => (
            t(lang, "staff.totp.title"),
            view! {
                <form method="post" action="/staff/verify" class="panel narrow">
                    <h1>{t(lang, "staff.totp.title")}</h1>
                    <p>{t(lang, "staff.totp.hint")}</p>
                    {csrf}
                    <label for="code">{t(lang, "staff.totp.code")}</label>
                    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required/>
                    <button type="submit" class="primary">{t(lang, "staff.totp.submit")}</button>
                </form>
            }
            .into_any(),
        ),
        SignInStep::Enrol { qr_svg, secret } => (
            t(lang, "staff.enrol.title"),
            view! {
                <form method="post" action="/staff/enrol" class="panel narrow">
                    <h1>{t(lang, "staff.enrol.title")}</h1>
                    <p>{t(lang, "staff.enrol.hint")}</p>
                    <div class="qr" inner_html=qr_svg></div>
                    <p>{t(lang, "staff.enrol.secret")} " " <code id="totp-secret">{secret}</code></p>
                    {csrf}
                    <label for="code">{t(lang, "staff.totp.code")}</label>
                    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required/>
                    <button type="submit" class="primary">{t(lang, "staff.enrol.submit")}</button>
                </form>
            }
            .into_any(),
        ),
        SignInStep::ChangePassword { first_login } => (
            t(lang, "staff.password.title"),
            view! {
                <form method="post" action="/staff/password" class="panel narrow">
                    <h1>{t(lang, "staff.password.title")}</h1>
                    <p>{t(lang, if first_login { "staff.password.hint" } else { "staff.password.hint_change" })}</p>
                    {csrf}
                    <label for="current_password">
                        {t(lang, if first_login { "staff.password.one_time" } else { "staff.password.current" })}
                    </label>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                    <label for="new_password">{t(lang, "staff.password.new")}</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required/>
                    <label for="repeat">{t(lang, "staff.password.repeat")}</label>
                    <input id="repeat" name="repeat" type="password" autocomplete="new-password" required/>
                    <button type="submit" class="primary">{t(lang, "staff.password.submit")}</button>
                    {(!first_login).then(|| view! { <p><a href="/staff">{t(lang, "staff.back")}</a></p> })}
                </form>
            }
            .into_any(),
        ),
    };
    document(lang, title, None, notice, body)
}

/// 403 and other refusals, in words.
pub fn message_page(lang: Lang, viewer: Option<&Viewer>, title_key: &str, text: String) -> String {
    let body = view! {
        <section class="panel">
            <h1>{t(lang, title_key)}</h1>
            <p>{text}</p>
            <p><a href="/staff">{t(lang, "staff.back")}</a></p>
        </section>
    };
    document(lang, t(lang, title_key), viewer, None, body.into_any())
}

// --------------------------------------------------------------- dashboard

pub struct Dashboard {
    pub records_total: i64,
    pub status_chart: String,
    pub requests_chart: String,
    pub changes_chart: String,
    pub median_first_response: Option<String>,
    /// Open requests by state and what waits; `None` for roles that see no requests.
    pub requests: Option<RequestsPanel>,
}

/// A count in words, linked to the list it counts (no link: `href` empty).
#[derive(Debug, Clone, Default)]
pub struct CountLink {
    pub text: String,
    pub href: String,
    /// The list shown now (the queue's current view).
    pub current: bool,
    /// Something waits here (a count above zero): drawn stronger.
    pub hot: bool,
}

/// The dashboard's panel on open requests.
pub struct RequestsPanel {
    /// Each open state in words, with its count (drawn as a bar).
    pub by_state: Vec<(CountLink, i64)>,
    pub replies: CountLink,
    pub oldest: CountLink,
    /// What waits for the viewer (moderators only; empty otherwise).
    pub mine: Vec<CountLink>,
}

fn count_link(l: CountLink) -> AnyView {
    let class = match (l.current, l.hot) {
        (true, _) => "count current",
        (false, true) => "count hot",
        _ => "count",
    };
    if l.href.is_empty() {
        view! { <span class=class>{l.text}</span> }.into_any()
    } else {
        let current = l.current.then_some("page");
        view! { <a class=class href=l.href aria-current=current>{l.text}</a> }.into_any()
    }
}

fn count_list(class: &'static str, links: Vec<CountLink>) -> impl IntoView {
    let items = links.into_iter().map(|l| view! { <li>{count_link(l)}</li> }).collect_view();
    view! { <ul class=class>{items}</ul> }
}

fn requests_panel(lang: Lang, p: RequestsPanel) -> impl IntoView {
    let mine = (!p.mine.is_empty()).then(|| {
        view! {
            <section class="card waiting-me">
                <h2>{t(lang, "staff.dash.mine_title")}</h2>
                {count_list("counts", p.mine)}
            </section>
        }
    });
    // Bars without script or inline style: a <meter> per state.
    let max = p.by_state.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1).to_string();
    let bars = p
        .by_state
        .into_iter()
        .map(|(l, n)| {
            view! {
                <tr>
                    <td>{count_link(l)}</td>
                    <td><meter min="0" max=max.clone() value=n.to_string() aria-hidden="true">{n.to_string()}</meter></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="requests-panel">
            {mine}
            <section class="card">
                <h2>{t(lang, "staff.dash.open_title")}</h2>
                <table class="state-bars"><tbody>{bars}</tbody></table>
                <p>{count_link(p.replies)}</p>
                <p class="oldest">{count_link(p.oldest)}</p>
            </section>
        </section>
    }
}

pub fn dashboard_page(lang: Lang, v: &Viewer, notice: Option<Notice>, d: Dashboard) -> String {
    let median = d
        .median_first_response
        .map(|m| tf(lang, "staff.dash.median", &[("hours", &m)]))
        .unwrap_or_else(|| t(lang, "staff.dash.median_none"));
    let requests = d.requests.map(|p| requests_panel(lang, p));
    let body = view! {
        <h1>{t(lang, "staff.dash.title")}</h1>
        {requests}
        <p class="lead">{tf(lang, "staff.dash.total", &[("n", &d.records_total.to_string())])}</p>
        <section class="charts">
            <figure class="card"><div inner_html=d.status_chart></div></figure>
            <figure class="card">
                <div inner_html=d.requests_chart></div>
                <figcaption>{median}</figcaption>
            </figure>
            <figure class="card"><div inner_html=d.changes_chart></div></figure>
        </section>
    };
    document(lang, t(lang, "staff.dash.title"), Some(v), notice, body.into_any())
}

// ----------------------------------------------------------------- records

pub struct RecordRow {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub birth_year: String,
    pub region: String,
}

#[derive(Default)]
pub struct RecordsQuery {
    pub q: String,
    pub status: String,
    pub region: String,
    pub from: String,
    pub to: String,
}

pub struct RecordsPage {
    pub query: RecordsQuery,
    pub regions: Vec<String>,
    pub rows: Vec<RecordRow>,
    pub page: i64,
    pub has_next: bool,
    /// The query string without `page`, for paging and export links.
    pub query_string: String,
}

const STATUSES: [&str; 4] = ["captured", "released", "deceased", "remains_repatriated"];

pub fn records_page(lang: Lang, v: &Viewer, notice: Option<Notice>, p: RecordsPage) -> String {
    let RecordsQuery { q, status, region, from, to } = p.query;
    let status_options = STATUSES
        .iter()
        .map(|s| {
            let selected = status == *s;
            view! { <option value=*s selected=selected>{t(lang, &format!("status.{s}"))}</option> }
        })
        .collect_view();
    let region_options = p
        .regions
        .into_iter()
        .map(|r| {
            let selected = region == r;
            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
        })
        .collect_view();
    let rows: Vec<AnyView> = p
        .rows
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <td><a href=format!("/staff/records/{}", r.id)>{r.external_id}</a></td>
                    <td>{r.name}</td>
                    <td>{r.birth_year}</td>
                    <td>{r.region}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let qs = p.query_string;
    let prev = (p.page > 1).then(|| {
        view! { <a rel="prev" href=format!("/staff/records?{qs}&page={}", p.page - 1)>{t(lang, "staff.prev")}</a> }
    });
    let next = p.has_next.then(|| {
        view! { <a rel="next" href=format!("/staff/records?{qs}&page={}", p.page + 1)>{t(lang, "staff.next")}</a> }
    });
    let export = v.can_export.then(|| {
        view! { <a class="button" href=format!("/staff/records/export.csv?{qs}")>{t(lang, "staff.records.export")}</a> }
    });
    let create =
        v.can_edit.then(|| view! { <a class="button" href="/staff/records/new">{t(lang, "staff.records.new")}</a> });
    let body = view! {
        <h1>{t(lang, "staff.records.title")}</h1>
        <form method="get" action="/staff/records" class="filters" role="search">
            <div class="field grow">
                <label for="q">{t(lang, "staff.records.q")}</label>
                <input id="q" name="q" type="search" value=q maxlength="200"/>
            </div>
            <div class="field">
                <label for="status">{t(lang, "field.status")}</label>
                <select id="status" name="status">
                    <option value="">{t(lang, "staff.any")}</option>
                    {status_options}
                </select>
            </div>
            <div class="field">
                <label for="region">{t(lang, "field.region")}</label>
                <select id="region" name="region">
                    <option value="">{t(lang, "staff.any")}</option>
                    {region_options}
                </select>
            </div>
            <div class="field">
                <label for="from">{t(lang, "staff.records.from")}</label>
                <input id="from" name="from" type="date" value=from/>
            </div>
            <div class="field">
                <label for="to">{t(lang, "staff.records.to")}</label>
                <input id="to" name="to" type="date" value=to/>
            </div>
            <button type="submit" class="primary">{t(lang, "staff.records.filter")}</button>
        </form>
        <p class="actions">{create} {export}</p>
        {data_table(
            lang,
            "records",
            &["field.external_id", "staff.records.name", "staff.records.born", "field.region"],
            "staff.records.none",
            rows,
        )}
        <p class="pager">{prev} " " {next}</p>
    };
    document(lang, t(lang, "staff.records.title"), Some(v), notice, body.into_any())
}

/// One field of a record with its disclosure level.
pub struct FieldView {
    pub name: &'static str,
    pub value: String,
    /// `public`, `released` or `staff`.
    pub level: &'static str,
}

pub struct HistoryRow {
    pub at: String,
    pub user: String,
    pub version: i64,
    pub field: String,
    pub old: String,
    pub new: String,
}

pub struct RecordView {
    pub id: i64,
    pub title: String,
    pub version: i64,
    pub updated_at: String,
    pub fields: Vec<FieldView>,
    pub history: Vec<HistoryRow>,
}

pub fn record_page(lang: Lang, v: &Viewer, notice: Option<Notice>, r: RecordView) -> String {
    let fields = r
        .fields
        .into_iter()
        .map(|f| {
            view! {
                <tr>
                    <th scope="row">{t(lang, &format!("field.{}", f.name))}</th>
                    <td>{f.value}</td>
                    <td><span class=format!("level {}", f.level)>{t(lang, &format!("level.{}", f.level))}</span></td>
                </tr>
            }
        })
        .collect_view();
    let history: Vec<AnyView> = r
        .history
        .into_iter()
        .map(|h| {
            let field = if h.field == "created" {
                t(lang, "staff.history.created")
            } else {
                t(lang, &format!("field.{}", h.field))
            };
            view! {
                <tr>
                    <td>{h.at}</td>
                    <td>{h.user}</td>
                    <td>{h.version}</td>
                    <td>{field}</td>
                    <td class="old">{h.old}</td>
                    <td class="new">{h.new}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let edit = v.can_edit.then(
        || view! { <a class="button" href=format!("/staff/records/{}/edit", r.id)>{t(lang, "staff.record.edit")}</a> },
    );
    let title = r.title.clone();
    let body = view! {
        <h1>{r.title}</h1>
        <p class="muted">{tf(lang, "staff.record.version", &[("v", &r.version.to_string()), ("at", &r.updated_at)])}</p>
        <p class="actions">{edit}</p>
        <div class="table-wrap">
            <table class="fields"><tbody>{fields}</tbody></table>
        </div>
        <h2 id="history">{t(lang, "staff.history.title")}</h2>
        {data_table(
            lang,
            "history",
            &[
                "staff.history.at",
                "staff.history.who",
                "staff.history.version",
                "staff.history.field",
                "staff.history.old",
                "staff.history.new",
            ],
            "staff.history.none",
            history,
        )}
    };
    document(lang, title, Some(v), notice, body.into_any())
}

/// The edit / create form. Field errors and a conflict are shown inline.
pub struct RecordForm {
    /// `None` when creating.
    pub id: Option<i64>,
    pub version: i64,
    /// (field name, value as typed).
    pub values: Vec<(&'static str, String)>,
    /// (field name, value) the form was opened with, sent back as hidden
    /// `base_<field>` inputs so the save knows what this editor changed.
    /// Empty when creating.
    pub base: Vec<(&'static str, String)>,
    /// (field name, message) — messages are already in words.
    pub errors: Vec<(String, String)>,
    /// When a save was refused because someone else changed the record.
    pub conflict: Option<ConflictView>,
}

/// A save refused because another editor changed the same field: what
/// each side has, so the editor decides consciously.
pub struct ConflictView {
    /// Who saved the record meanwhile (names, comma-separated).
    pub by: String,
    /// The version the form below is now based on.
    pub version: i64,
    /// The fields that differ, in form order.
    pub rows: Vec<ConflictRow>,
}

/// One field on the conflict page. Values are display text ("—" empty).
pub struct ConflictRow {
    pub field: &'static str,
    /// `conflict` (both changed it), `theirs` (only they did: their value
    /// is in the form) or `mine` (only you did: your value is in the form).
    pub kind: &'static str,
    /// What the form was opened with.
    pub base: String,
    pub yours: String,
    pub theirs: String,
    /// Who stored `theirs`, and when.
    pub theirs_by: String,
}

fn conflict_table(lang: Lang, c: &ConflictView) -> impl IntoView {
    let rows = c
        .rows
        .iter()
        .map(|r| {
            let outcome = match r.kind {
                "conflict" => "staff.conflict.outcome_conflict",
                "theirs" => "staff.conflict.outcome_theirs",
                _ => "staff.conflict.outcome_mine",
            };
            view! {
                <tr class=format!("conflict-row {}", r.kind)>
                    <th scope="row"><a href=format!("#{}", r.field)>{t(lang, &format!("field.{}", r.field))}</a></th>
                    <td class="base">{r.base.clone()}</td>
                    <td class="yours">{r.yours.clone()}</td>
                    <td class="theirs">
                        {r.theirs.clone()}
                        {(!r.theirs_by.is_empty()).then(|| view! { <small class="muted by">{r.theirs_by.clone()}</small> })}
                    </td>
                    <td class="outcome">{t(lang, outcome)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="conflict-table">
                <thead>
                    <tr>
                        <th scope="col">{t(lang, "staff.conflict.col_field")}</th>
                        <th scope="col">{t(lang, "staff.conflict.col_base")}</th>
                        <th scope="col">{t(lang, "staff.conflict.col_yours")}</th>
                        <th scope="col">{t(lang, "staff.conflict.col_theirs")}</th>
                        <th scope="col">{t(lang, "staff.conflict.col_form")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

pub fn record_form_page(lang: Lang, v: &Viewer, f: RecordForm) -> String {
    let action = f.id.map_or("/staff/records".to_string(), |id| format!("/staff/records/{id}"));
    let title = if f.id.is_some() { t(lang, "staff.form.edit_title") } else { t(lang, "staff.form.new_title") };
    let errors = f.errors.clone();
    let summary = (!errors.is_empty()).then(|| {
        view! {
            <div class="notice error" role="alert">
                <p>{t(lang, "staff.form.errors")}</p>
                <ul>
                    {errors
                        .iter()
                        .map(|(field, msg)| {
                            view! { <li><a href=format!("#{field}")>{t(lang, &format!("field.{field}"))}</a> ": " {msg.clone()}</li> }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    });
    let conflict = f.conflict.as_ref().map(|c| {
        let collisions = c.rows.iter().filter(|r| r.kind == "conflict").count();
        view! {
            <section class="conflict" aria-labelledby="conflict-title">
                <div class="notice error" role="alert">
                    <p id="conflict-title"><strong>{tf(lang, "staff.conflict.lead", &[("who", &c.by), ("v", &c.version.to_string())])}</strong></p>
                    <p>{tf(lang, "staff.conflict.decide", &[("n", &collisions.to_string())])}</p>
                </div>
                {conflict_table(lang, c)}
            </section>
        }
    });
    let rows = f.conflict.map(|c| c.rows).unwrap_or_default();
    let base = f
        .base
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=format!("base_{name}") value=value/> })
        .collect_view();
    let inputs = f
        .values
        .into_iter()
        .map(|(name, value)| {
            let err = f.errors.iter().find(|(n, _)| n == name).map(|(_, m)| m.clone());
            let invalid = err.is_some();
            let described = format!("{name}-err");
            // A field that differs from what is stored now carries a class
            // and a note with this editor's value beside it.
            let mark = rows.iter().find(|r| r.field == name);
            let note_id = format!("{name}-note");
            let described_by = match (invalid, mark.is_some()) {
                (true, true) => format!("{described} {note_id}"),
                (false, true) => note_id.clone(),
                _ => described.clone(),
            };
            let note = mark.map(|r| {
                let text = match r.kind {
                    "conflict" => tf(lang, "staff.conflict.note_conflict", &[("yours", &r.yours)]),
                    "theirs" => tf(lang, "staff.conflict.note_theirs", &[("yours", &r.yours), ("by", &r.theirs_by)]),
                    _ => tf(lang, "staff.conflict.note_mine", &[("yours", &r.yours), ("theirs", &r.theirs)]),
                };
                view! { <small id=note_id.clone() class="conflict-note">{text}</small> }
            });
            let class = mark.map_or("field".to_string(), |r| format!("field marked {}", r.kind));
            let control = match name {
                "status" => view! {
                    <select id=name name=name aria-invalid=invalid.to_string() aria-describedby=described_by.clone()>
                        {STATUSES
                            .iter()
                            .map(|s| view! { <option value=*s selected=value == *s>{t(lang, &format!("status.{s}"))}</option> })
                            .collect_view()}
                    </select>
                }
                .into_any(),
                "sex" => view! {
                    <select id=name name=name aria-describedby=described_by.clone()>
                        <option value="" selected=value.is_empty()>"—"</option>
                        <option value="m" selected=value == "m">{t(lang, "sex.m")}</option>
                        <option value="f" selected=value == "f">{t(lang, "sex.f")}</option>
                    </select>
                }
                .into_any(),
                "notes" => view! { <textarea id=name name=name rows="4" aria-invalid=invalid.to_string() aria-describedby=described_by.clone()>{value}</textarea> }.into_any(),
                _ => view! {
                    <input id=name name=name type="text" value=value aria-invalid=invalid.to_string() aria-describedby=described_by.clone()/>
                }
                .into_any(),
            };
            view! {
                <div class=class>
                    <label for=name>{t(lang, &format!("field.{name}"))}</label>
                    {control}
                    {note}
                    {err.map(|m| view! { <small id=described class="error">{m}</small> })}
                </div>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{title.clone()}</h1>
        {conflict}
        {summary}
        <form method="post" action=action class="record-form">
            {csrf_field(v)}
            <input type="hidden" name="version" value=f.version.to_string()/>
            {base}
            <div class="form-grid">{inputs}</div>
            <button type="submit" class="primary">{t(lang, "staff.form.save")}</button>
        </form>
    };
    document(lang, title, Some(v), None, body.into_any())
}

// ------------------------------------------------------------------ import

pub struct ImportRowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

pub enum ImportStage {
    Upload,
    /// The file has problems: all of them, nothing stored.
    Rejected {
        file_name: String,
        errors: Vec<ImportRowError>,
        total: usize,
    },
    /// The file is clean: what a confirm would do.
    Ready {
        file_name: String,
        rows: usize,
        new: usize,
        updated: usize,
        token: String,
    },
}

pub fn import_page(lang: Lang, v: &Viewer, notice: Option<Notice>, stage: ImportStage) -> String {
    let upload = view! {
        <form method="post" action="/staff/import" enctype="multipart/form-data" class="panel">
            {csrf_field(v)}
            <label for="file">{t(lang, "staff.import.file")}</label>
            <input id="file" name="file" type="file" accept=".csv,text/csv" required/>
            <p class="hint">{t(lang, "staff.import.hint")}</p>
            <button type="submit" class="primary">{t(lang, "staff.import.check")}</button>
        </form>
    };
    let result = match stage {
        ImportStage::Upload => None,
        ImportStage::Rejected { file_name, errors, total } => Some(
            view! {
                <section class="panel" id="preview">
                    <h2>{tf(lang, "staff.import.rejected", &[("file", &file_name), ("n", &total.to_string())])}</h2>
                    <div class="table-wrap">
                        <table class="errors">
                            <thead>
                                <tr>
                                    <th scope="col">{t(lang, "staff.import.line")}</th>
                                    <th scope="col">{t(lang, "staff.import.column")}</th>
                                    <th scope="col">{t(lang, "staff.import.problem")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {errors
                                    .into_iter()
                                    .map(|e| view! { <tr><td>{e.line}</td><td>{e.column}</td><td>{e.message}</td></tr> })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            }
            .into_any(),
        ),
        ImportStage::Ready { file_name, rows, new, updated, token } => Some(
            view! {
                <section class="panel" id="preview">
                    <h2>{tf(lang, "staff.import.ready", &[("file", &file_name), ("n", &rows.to_string())])}</h2>
                    <p>{tf(lang, "staff.import.counts", &[("new", &new.to_string()), ("updated", &updated.to_string())])}</p>
                    <form method="post" action="/staff/import/confirm">
                        {csrf_field(v)}
                        <input type="hidden" name="token" value=token/>
                        <button type="submit" class="primary">{t(lang, "staff.import.confirm")}</button>
                    </form>
                </section>
            }
            .into_any(),
        ),
    };
    let body = view! {
        <h1>{t(lang, "staff.import.title")}</h1>
        {result}
        {upload}
    };
    document(lang, t(lang, "staff.import.title"), Some(v), notice, body.into_any())
}

// ------------------------------------------------------------------- audit

pub struct AuditRowView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub address: String,
}

pub struct AuditPage {
    pub actor: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub rows: Vec<AuditRowView>,
    pub page: i64,
    pub has_next: bool,
    pub query_string: String,
}

pub fn audit_page(lang: Lang, v: &Viewer, p: AuditPage) -> String {
    let qs = p.query_string;
    let prev = (p.page > 1).then(
        || view! { <a rel="prev" href=format!("/staff/audit?{qs}&page={}", p.page - 1)>{t(lang, "staff.prev")}</a> },
    );
    let next = p.has_next.then(
        || view! { <a rel="next" href=format!("/staff/audit?{qs}&page={}", p.page + 1)>{t(lang, "staff.next")}</a> },
    );
    let body = view! {
        <h1>{t(lang, "staff.audit.title")}</h1>
        <form method="get" action="/staff/audit" class="filters">
            <div class="field"><label for="actor">{t(lang, "staff.audit.actor")}</label><input id="actor" name="actor" value=p.actor/></div>
            <div class="field"><label for="action">{t(lang, "staff.audit.action")}</label><input id="action" name="action" value=p.action/></div>
            <div class="field"><label for="from">{t(lang, "staff.records.from")}</label><input id="from" name="from" type="date" value=p.from/></div>
            <div class="field"><label for="to">{t(lang, "staff.records.to")}</label><input id="to" name="to" type="date" value=p.to/></div>
            <button type="submit" class="primary">{t(lang, "staff.records.filter")}</button>
        </form>
        <p class="actions"><a class="button" href=format!("/staff/audit.csv?{qs}")>{t(lang, "staff.audit.export")}</a></p>
        {data_table(
            lang,
            "audit",
            &[
                "staff.history.at",
                "staff.audit.actor",
                "staff.audit.action",
                "staff.audit.target",
                "staff.audit.details",
                "staff.audit.address",
            ],
            "staff.records.none",
            p.rows
                .into_iter()
                .map(|r| {
                    view! {
                        <tr><td>{r.at}</td><td>{r.actor}</td><td>{r.action}</td><td>{r.target}</td><td>{r.details}</td><td>{r.address}</td></tr>
                    }
                    .into_any()
                })
                .collect(),
        )}
        <p class="pager">{prev} " " {next}</p>
    };
    document(lang, t(lang, "staff.audit.title"), Some(v), None, body.into_any())
}

// ---------------------------------------------------------------- requests

pub struct QueueRow {
    pub id: i64,
    pub reference: String,
    /// State code, for the badge's class.
    pub state: &'static str,
    /// State in words, as staff say it.
    pub state_text: String,
    /// The relative wrote since staff last acted.
    pub new_reply: bool,
    /// "new candidate since …", when re-matching raised one.
    pub new_candidate: Option<String>,
    /// The relative has news but no channel: call back.
    pub callback: bool,
    pub sought_name: String,
    pub language: String,
    pub created_at: String,
    /// Who holds it ("—" if nobody).
    pub holder: String,
    /// Whose turn it is, in words.
    pub turn: String,
    /// How long it has been in its state.
    pub age: String,
}

pub struct QueuePage {
    pub state: String,
    pub language: String,
    pub min_age: String,
    /// Counts per open state, new replies, my approvals, my claims; each a
    /// link that filters the queue.
    pub header: Vec<CountLink>,
    /// What a ready-made view shows, when one is chosen.
    pub view_note: Option<String>,
    pub rows: Vec<QueueRow>,
    /// 1-based page shown, of `pages` (oldest requests on page 1).
    pub page: i64,
    pub pages: i64,
    /// Requests matching the filters, on all pages.
    pub total: i64,
    /// The filters, URL-encoded, for the page links.
    pub query_string: String,
}

const REQUEST_STATES: [&str; 8] =
    ["submitted", "in_review", "needs_info", "match_proposed", "released", "closed_no_match", "rejected", "withdrawn"];

fn new_reply_badge(lang: Lang, on: bool) -> impl IntoView {
    on.then(|| view! { " " <span class="badge new-reply">{t(lang, "staff.queue.new_reply")}</span> })
}

/// "new candidate since …" and "call back" marks.
fn work_badges(lang: Lang, new_candidate: Option<String>, callback: bool) -> impl IntoView {
    let candidate = new_candidate.map(|at| {
        view! { " " <span class="badge new-candidate">{tf(lang, "staff.queue.new_candidate", &[("at", &at)])}</span> }
    });
    let callback =
        callback.then(|| view! { " " <span class="badge callback">{t(lang, "staff.queue.callback")}</span> });
    (candidate, callback)
}

pub fn queue_page(lang: Lang, v: &Viewer, p: QueuePage) -> String {
    let qs = p.query_string.clone();
    let prev = (p.page > 1).then(|| {
        view! { <a rel="prev" href=format!("/staff/requests?{qs}&page={}", p.page - 1)>{t(lang, "staff.prev")}</a> }
    });
    let qs = p.query_string.clone();
    let next = (p.page < p.pages).then(|| {
        view! { <a rel="next" href=format!("/staff/requests?{qs}&page={}", p.page + 1)>{t(lang, "staff.next")}</a> }
    });
    let summary = tf(
        lang,
        "staff.queue.total",
        &[("n", &p.total.to_string()), ("page", &p.page.to_string()), ("pages", &p.pages.max(1).to_string())],
    );
    let states = REQUEST_STATES
        .iter()
        .map(|s| view! { <option value=*s selected=p.state == *s>{t(lang, &format!("staff.state.{s}"))}</option> })
        .collect_view();
    let langs = Lang::ALL
        .into_iter()
        .map(|l| view! { <option value=l.code() selected=p.language == l.code()>{l.native_name()}</option> })
        .collect_view();
    let rows: Vec<AnyView> = p
        .rows
        .into_iter()
        .map(|r| {
            view! {
                <tr class=if r.new_reply { "new-reply" } else { "" }>
                    <td><a href=format!("/staff/requests/{}", r.id)>{r.reference}</a></td>
                    <td>
                        <span class=format!("badge state-{}", r.state)>{r.state_text}</span>
                        {new_reply_badge(lang, r.new_reply)}
                        {work_badges(lang, r.new_candidate, r.callback)}
                    </td>
                    <td>{r.sought_name}</td>
                    <td>{r.holder}</td>
                    <td class="turn">{r.turn}</td>
                    <td>{r.age}</td>
                    <td>{r.language}</td>
                    <td>{r.created_at}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let body = view! {
        <h1>{t(lang, "staff.queue.title")}</h1>
        <nav class="queue-head" aria-label=t(lang, "staff.queue.summary")>{count_list("counts", p.header)}</nav>
        {p.view_note.map(|n| view! { <p class="notice">{n}</p> })}
        <form method="get" action="/staff/requests" class="filters">
            <div class="field">
                <label for="state">{t(lang, "staff.queue.state")}</label>
                <select id="state" name="state"><option value="">{t(lang, "staff.queue.open")}</option>{states}</select>
            </div>
            <div class="field">
                <label for="language">{t(lang, "staff.req.f.language")}</label>
                <select id="language" name="language"><option value="">{t(lang, "staff.any")}</option>{langs}</select>
            </div>
            <div class="field">
                <label for="min_age">{t(lang, "staff.queue.min_age")}</label>
                <input id="min_age" name="min_age" type="number" min="0" value=p.min_age/>
            </div>
            <button type="submit" class="primary">{t(lang, "staff.records.filter")}</button>
        </form>
        {data_table(
            lang,
            "queue",
            &[
                "staff.queue.reference",
                "staff.queue.state",
                "staff.queue.sought",
                "staff.queue.holder",
                "staff.queue.turn",
                "staff.queue.age",
                "staff.req.f.language",
                "staff.queue.received",
            ],
            "staff.queue.empty",
            rows,
        )}
        <p class="pager">{summary} " " {prev} " " {next}</p>
    };
    document(lang, t(lang, "staff.queue.title"), Some(v), None, body.into_any())
}

/// A record suggested by the name engine, with what matched.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub record_id: i64,
    pub external_id: String,
    /// Name parts with a flag: matched the request.
    pub name_parts: Vec<(String, bool)>,
    pub birth_date: String,
    pub birth_matches: bool,
    pub birth_place: String,
    pub birth_place_matches: bool,
    pub region: String,
    pub region_matches: bool,
    pub unit: String,
    pub unit_matches: bool,
    /// Explanation: "Саша → Имя (по словарю имён)".
    pub why: String,
    pub from_public_hit: bool,
}

/// What the viewer can do now: one flag per form, each from the workflow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actions {
    pub claim: bool,
    pub release: bool,
    pub ask: bool,
    pub propose: bool,
    pub no_match: bool,
    pub reject: bool,
    pub approve: bool,
    pub send_back: bool,
    pub message: bool,
}

/// One message of the conversation with the relative.
pub struct MessageView {
    pub from_staff: bool,
    /// Staff name, or "родственник".
    pub author: String,
    pub at: String,
    pub text: String,
    /// The relative wrote it after staff last acted.
    pub new: bool,
}

/// One row of the side-by-side comparison: what the request says and what
/// the record says, the record's parts marked where they match.
pub struct SideBySide {
    /// Label, in words.
    pub label: String,
    pub request: String,
    pub record: Vec<(String, bool)>,
}

/// A change made to the proposed record after the proposal.
pub struct ChangeView {
    pub field: String,
    pub old: String,
    pub new: String,
    pub by: String,
}

/// The second moderator's evidence: the request and the proposed record
/// side by side, the proposer's note, and edits made since the proposal.
pub struct Approval {
    pub record_id: i64,
    pub external_id: String,
    /// The record's name, as it reads.
    pub record_name: String,
    pub proposed_by: String,
    pub rows: Vec<SideBySide>,
    pub note: Option<String>,
    /// (proposed version, current version, what changed) if the record moved on.
    pub changes: Option<(i64, i64, Vec<ChangeView>)>,
    /// The viewer made the proposal (and so cannot decide it).
    pub own: bool,
}

pub struct RequestDetail {
    pub id: i64,
    pub reference: String,
    pub state: &'static str,
    pub state_text: String,
    /// "В работе у: m1" or "Свободен".
    pub holder: String,
    pub turn: String,
    /// How long it has been in its state, in words.
    pub age: String,
    pub reply_pending: bool,
    /// When re-matching raised a new strong candidate, if no moderator has acted since.
    pub new_candidate: Option<String>,
    /// The relative's phone, when there is news they have no channel for.
    pub callback: Option<String>,
    /// (label key, value)
    pub requester: Vec<(&'static str, String)>,
    pub sought: Vec<(&'static str, String)>,
    /// (thumbnail URL, full URL)
    pub photos: Vec<(String, String)>,
    pub candidates: Vec<Candidate>,
    pub messages: Vec<MessageView>,
    /// (at, who, what happened in words)
    pub events: Vec<(String, String, String)>,
    /// Present while a match is proposed.
    pub approval: Option<Approval>,
    pub can: Actions,
}

fn mark(text: String, hit: bool) -> AnyView {
    if hit {
        view! { <mark>{text}</mark> }.into_any()
    } else {
        view! { <span>{text}</span> }.into_any()
    }
}

/// A labelled textarea: the label says who will read the words.
fn words_field(
    lang: Lang,
    id: &'static str,
    name: &'static str,
    label_key: &'static str,
    required: bool,
) -> impl IntoView {
    view! {
        <label for=id>{t(lang, label_key)}</label>
        <textarea id=id name=name rows="3" required=required></textarea>
    }
}

fn candidates_table(lang: Lang, candidates: Vec<Candidate>, choose: bool) -> impl IntoView {
    let rows = candidates
        .into_iter()
        .map(|c| {
            let name = c.name_parts.into_iter().map(|(p, hit)| view! { {mark(p, hit)} " " }).collect_view();
            let id = format!("cand-{}", c.record_id);
            let pick = choose.then(|| {
                view! {
                    <input type="radio" name="record_id" id=id.clone() value=c.record_id.to_string() required=true/>
                    " " <label for=id class="inline">{t(lang, "staff.req.propose_choice")}</label>
                }
            });
            view! {
                <tr>
                    <td>{pick}</td>
                    <td><a href=format!("/staff/records/{}", c.record_id)>{c.external_id}</a>
                        {c.from_public_hit.then(|| view! { <br/><small class="badge">{t(lang, "staff.req.from_hit")}</small> })}</td>
                    <td>{name}<br/><small class="muted">{c.why}</small></td>
                    <td>{mark(c.birth_date, c.birth_matches)}</td>
                    <td>{mark(c.birth_place, c.birth_place_matches)}</td>
                    <td>{mark(c.region, c.region_matches)}</td>
                    <td>{mark(c.unit, c.unit_matches)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="candidates">
                <thead>
                    <tr>
                        <th scope="col"></th>
                        <th scope="col">{t(lang, "field.external_id")}</th>
                        <th scope="col">{t(lang, "staff.records.name")}</th>
                        <th scope="col">{t(lang, "field.birth_date")}</th>
                        <th scope="col">{t(lang, "field.birth_place")}</th>
                        <th scope="col">{t(lang, "field.region")}</th>
                        <th scope="col">{t(lang, "field.unit")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The candidates, inside the proposal form when the viewer may propose.
fn candidates_section(lang: Lang, v: &Viewer, id: i64, candidates: Vec<Candidate>, propose: bool) -> impl IntoView {
    let table = candidates_table(lang, candidates, propose);
    let body = if propose {
        view! {
            <form method="post" action=format!("/staff/requests/{id}/propose") class="propose">
                {csrf_field(v)}
                {table}
                <h3>{t(lang, "staff.req.propose_title")}</h3>
                <p class="hint">{t(lang, "staff.req.propose_hint")}</p>
                {words_field(lang, "propose-note", "note", "staff.req.propose_note", false)}
                <button type="submit" class="primary">{t(lang, "staff.req.propose_submit")}</button>
            </form>
        }
        .into_any()
    } else {
        table.into_any()
    };
    view! {
        <section class="panel" id="candidates">
            <h2>{t(lang, "staff.req.candidates")}</h2>
            {body}
        </section>
    }
}

fn approval_section(lang: Lang, v: &Viewer, id: i64, a: Approval, can: Actions) -> impl IntoView {
    let post = |what: &str| format!("/staff/requests/{id}/{what}");
    let rows = a
        .rows
        .into_iter()
        .map(|r| {
            let hit = r.record.iter().any(|(_, m)| *m);
            let record = r.record.into_iter().map(|(p, m)| view! { {mark(p, m)} " " }).collect_view();
            view! {
                <tr class=if hit { "match" } else { "" }>
                    <th scope="row">{r.label}</th>
                    <td>{r.request}</td>
                    <td>{record}</td>
                </tr>
            }
        })
        .collect_view();
    let note = match a.note {
        Some(n) => view! { <blockquote class="proposer-note">{n}</blockquote> }.into_any(),
        None => view! { <p class="muted">{t(lang, "staff.approval.no_note")}</p> }.into_any(),
    };
    let changes = a.changes.map(|(from, to, list)| {
        let items = list
            .into_iter()
            .map(|c| {
                view! {
                    <li><strong>{c.field}</strong> ": " <del>{c.old}</del> " → " <ins>{c.new}</ins>
                        " " <small class="muted">"(" {c.by} ")"</small></li>
                }
            })
            .collect_view();
        view! {
            <div class="notice error changed-after" role="alert">
                <p><strong>{t(lang, "staff.approval.changed")}</strong></p>
                <p>{tf(lang, "staff.approval.changed_lead", &[("from", &from.to_string()), ("to", &to.to_string())])}</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let approve = can.approve.then(|| {
        view! {
            <form method="post" action=post("approve") class="decide">
                {csrf_field(v)}
                {words_field(lang, "approve-message", "message", "staff.approval.approve_message", true)}
                {words_field(lang, "approve-note", "note", "staff.approval.approve_note", false)}
                <button type="submit" class="primary">{t(lang, "staff.req.approve")}</button>
            </form>
        }
    });
    let send_back = can.send_back.then(|| {
        view! {
            <form method="post" action=post("return") class="decide">
                {csrf_field(v)}
                {words_field(lang, "return-note", "note", "staff.approval.return_note", true)}
                <button type="submit">{t(lang, "staff.req.return")}</button>
            </form>
        }
    });
    view! {
        <section class="panel approval" id="approval">
            <h2>{t(lang, "staff.approval.title")}</h2>
            <p>
                <a href=format!("/staff/records/{}", a.record_id)>{format!("{} ({})", a.record_name, a.external_id)}</a>
                " · " {tf(lang, "staff.approval.by", &[("name", &a.proposed_by)])}
            </p>
            <p class="lead">{t(lang, if a.own { "staff.approval.own" } else { "staff.approval.lead" })}</p>
            {changes}
            <div class="table-wrap">
                <table class="side-by-side">
                    <thead>
                        <tr>
                            <th scope="col">{t(lang, "staff.approval.col_field")}</th>
                            <th scope="col">{t(lang, "staff.approval.col_request")}</th>
                            <th scope="col">{tf(lang, "staff.approval.col_record", &[("ext", &a.external_id)])}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <h3>{t(lang, "staff.approval.note")}</h3>
            {note}
            <div class="two-col">{approve}{send_back}</div>
        </section>
    }
}

/// The claimer's decisions: each with the words it needs, and who reads them.
fn review_section(lang: Lang, v: &Viewer, id: i64, can: Actions) -> impl IntoView {
    let post = |what: &str| format!("/staff/requests/{id}/{what}");
    let ask = can.ask.then(|| {
        view! {
            <form method="post" action=post("ask")>
                {csrf_field(v)}
                {words_field(lang, "ask-message", "message", "staff.req.ask_label", true)}
                <button type="submit">{t(lang, "staff.req.ask_submit")}</button>
            </form>
        }
    });
    let no_match = can.no_match.then(|| {
        view! {
            <form method="post" action=post("no-match")>
                {csrf_field(v)}
                {words_field(lang, "no-match-message", "message", "staff.req.no_match_label", true)}
                <button type="submit">{t(lang, "staff.req.no_match_submit")}</button>
            </form>
        }
    });
    let reject = can.reject.then(|| {
        view! {
            <form method="post" action=post("reject")>
                {csrf_field(v)}
                {words_field(lang, "reject-message", "message", "staff.req.reject_label", true)}
                <button type="submit">{t(lang, "staff.req.reject")}</button>
            </form>
        }
    });
    (can.ask || can.no_match || can.reject).then(|| {
        view! {
            <section class="panel decisions">
                <h2>{t(lang, "staff.req.actions")}</h2>
                <div class="two-col">{ask}{no_match}{reject}</div>
            </section>
        }
    })
}

fn messages_section(lang: Lang, v: &Viewer, id: i64, messages: Vec<MessageView>, can_write: bool) -> impl IntoView {
    let empty = messages.is_empty().then(|| view! { <p class="muted">{t(lang, "staff.req.no_messages")}</p> });
    let items = messages
        .into_iter()
        .map(|m| {
            let class = match (m.from_staff, m.new) {
                (true, _) => "msg staff",
                (false, true) => "msg you new",
                (false, false) => "msg you",
            };
            view! {
                <li class=class>
                    <span class="meta">
                        {m.author} " · " {m.at} " UTC"
                        {m.new.then(|| view! { " " <span class="badge new-reply">{t(lang, "staff.req.new")}</span> })}
                    </span>
                    <p>{m.text}</p>
                </li>
            }
        })
        .collect_view();
    let write = can_write.then(|| {
        view! {
            <form method="post" action=format!("/staff/requests/{id}/message")>
                {csrf_field(v)}
                {words_field(lang, "message-body", "message", "staff.req.message_label", true)}
                <button type="submit">{t(lang, "status.send")}</button>
            </form>
        }
    });
    view! {
        <section class="panel" id="messages">
            <h2>{t(lang, "staff.req.messages")}</h2>
            {empty}
            <ul class="messages">{items}</ul>
            {write}
        </section>
    }
}

pub fn request_page(lang: Lang, v: &Viewer, notice: Option<Notice>, d: RequestDetail) -> String {
    let (id, can) = (d.id, d.can);
    let post = |what: &str| format!("/staff/requests/{id}/{what}");
    let pairs = |list: Vec<(&'static str, String)>| {
        list.into_iter()
            .map(|(k, val)| view! { <tr><th scope="row">{t(lang, k)}</th><td>{val}</td></tr> })
            .collect_view()
    };
    let photos = d
        .photos
        .into_iter()
        .map(|(thumb, full)| view! { <a href=full><img src=thumb alt=t(lang, "status.photo_alt") width="200"/></a> })
        .collect_view();
    let events = d
        .events
        .into_iter()
        .map(|(at, actor, what)| view! { <tr><td>{at}</td><td>{actor}</td><td>{what}</td></tr> })
        .collect_view();
    let claim = can.claim.then(|| {
        view! {
            <form method="post" action=post("claim") class="inline">
                {csrf_field(v)}
                <button type="submit" class="primary">{t(lang, "staff.req.claim")}</button>
            </form>
        }
    });
    let release = can.release.then(|| {
        view! {
            <form method="post" action=post("release") class="inline">
                {csrf_field(v)}
                <button type="submit">{t(lang, "staff.req.release")}</button>
                " " <small class="hint">{t(lang, "staff.req.release_hint")}</small>
            </form>
        }
    });
    let reply = d.reply_pending.then(|| {
        view! { <p class="notice new-reply" role="status"><a href="#messages">{t(lang, "staff.req.new_reply")}</a></p> }
    });
    let candidate_news = d.new_candidate.clone().map(|at| {
        view! {
            <p class="notice new-candidate" role="status">
                <a href="#candidates">{tf(lang, "staff.req.new_candidate", &[("at", &at)])}</a>
            </p>
        }
    });
    let callback = d.callback.clone().map(|phone| {
        view! {
            <form method="post" action=post("called-back") class="notice callback">
                {csrf_field(v)}
                <p>{tf(lang, "staff.req.callback", &[("phone", &phone)])}</p>
                <button type="submit">{t(lang, "staff.req.called_back")}</button>
            </form>
        }
    });
    let approval = d.approval.map(|a| approval_section(lang, v, id, a, can));
    let body = view! {
        <h1>{d.reference.clone()}</h1>
        <section class="request-head">
            <p>
                <span class=format!("badge state-{}", d.state)>{d.state_text}</span>
                " · " {tf(lang, "staff.req.in_state", &[("age", &d.age)])}
                {new_reply_badge(lang, d.reply_pending)}
                {work_badges(lang, d.new_candidate.clone(), d.callback.is_some())}
            </p>
            <p><span>{d.holder}</span> " · " <strong class="turn">{d.turn}</strong></p>
            <p class="actions">{claim} {release}</p>
        </section>
        {reply}
        {candidate_news}
        {callback}
        {approval}
        <div class="two-col">
            <section class="panel">
                <h2>{t(lang, "staff.req.requester")}</h2>
                <table class="fields"><tbody>{pairs(d.requester)}</tbody></table>
            </section>
            <section class="panel">
                <h2>{t(lang, "staff.req.sought")}</h2>
                <table class="fields"><tbody>{pairs(d.sought)}</tbody></table>
                <div class="photos">{photos}</div>
            </section>
        </div>
        {messages_section(lang, v, id, d.messages, can.message)}
        {review_section(lang, v, id, can)}
        {candidates_section(lang, v, id, d.candidates, can.propose)}
        <section class="panel">
            <h2>{t(lang, "staff.req.history")}</h2>
            <table class="history">
                <thead>
                    <tr>
                        <th scope="col">{t(lang, "staff.history.at")}</th>
                        <th scope="col">{t(lang, "staff.history.who")}</th>
                        <th scope="col">{t(lang, "staff.history.what")}</th>
                    </tr>
                </thead>
                <tbody>{events}</tbody>
            </table>
        </section>
    };
    document(lang, d.reference, Some(v), notice, body.into_any())
}

// ------------------------------------------------------------------ claims

/// An open request someone holds, as the claims page shows it: no content.
pub struct ClaimRow {
    pub id: i64,
    pub reference: String,
    pub state_text: String,
    pub holder: String,
    pub holder_id: i64,
    pub holder_disabled: bool,
    pub since: String,
    pub age: String,
}

/// `/staff/claims` (admins): who holds which open request, and a form per
/// row to hand it to an active moderator or back to the queue.
pub fn claims_page(
    lang: Lang,
    v: &Viewer,
    notice: Option<Notice>,
    rows: Vec<ClaimRow>,
    moderators: &[(i64, String)],
) -> String {
    let rows: Vec<AnyView> = rows
        .into_iter()
        .map(|r| {
            let select_id = format!("to-{}", r.id);
            let options = moderators
                .iter()
                .filter(|(mid, _)| *mid != r.holder_id)
                .map(|(mid, name)| view! { <option value=mid.to_string()>{name.clone()}</option> })
                .collect_view();
            let disabled = r
                .holder_disabled
                .then(|| view! { " " <span class="badge disabled">{t(lang, "staff.claims.disabled")}</span> });
            view! {
                <tr>
                    <td>{r.reference.clone()}</td>
                    <td>{r.state_text}</td>
                    <td>{r.holder}{disabled}</td>
                    <td>{r.since} <br/><small class="muted">{r.age}</small></td>
                    <td>
                        <form method="post" action=format!("/staff/claims/{}", r.id) class="inline hand">
                            {csrf_field(v)}
                            <label for=select_id.clone() class="visually-hidden">
                                {tf(lang, "staff.claims.to", &[("ref", &r.reference)])}
                            </label>
                            <select id=select_id name="to" required=true>
                                <option value="">{t(lang, "staff.claims.choose")}</option>
                                {options}
                                <option value="queue">{t(lang, "staff.claims.to_queue")}</option>
                            </select>
                            " " <button type="submit">{t(lang, "staff.claims.submit")}</button>
                        </form>
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let body = view! {
        <h1>{t(lang, "staff.claims.title")}</h1>
        <p class="lead">{t(lang, "staff.claims.lead")}</p>
        {data_table(
            lang,
            "claims",
            &["staff.claims.reference", "staff.queue.state", "staff.claims.holder", "staff.claims.since", "staff.claims.hand"],
            "staff.claims.none",
            rows,
        )}
    };
    document(lang, t(lang, "staff.claims.title"), Some(v), notice, body.into_any())
}

// ----------------------------------------------------------- notifications

/// `/staff/notifications`: how this staff member hears of new work.
#[derive(Debug, Clone, Default)]
pub struct NotifyPage {
    /// The channel the form shows chosen: `none`, `email` or `telegram`.
    pub channel: String,
    /// The address as stored or as typed.
    pub email: String,
    /// What is wrong with the address, in words.
    pub email_error: Option<String>,
    /// The current setting, in words.
    pub current: String,
    pub telegram_linked: bool,
    /// A code issued just now, shown once.
    pub code: Option<String>,
    /// An earlier code is still valid.
    pub code_pending: bool,
    /// The role gets digests (moderators and admins).
    pub receives: bool,
}

pub fn notifications_page(lang: Lang, v: &Viewer, notice: Option<Notice>, p: NotifyPage) -> String {
    let invalid = p.email_error.is_some();
    let summary = p.email_error.clone().map(|m| {
        view! {
            <div class="notice error" role="alert">
                <p>{t(lang, "staff.form.errors")}</p>
                <ul><li><a href="#email">{t(lang, "staff.notify.email")}</a> ": " {m}</li></ul>
            </div>
        }
    });
    let radio = |value: &'static str, label: String, disabled: bool| {
        let id = format!("channel-{value}");
        view! {
            <div class="choice">
                <input type="radio" id=id.clone() name="channel" value=value checked=p.channel == value disabled=disabled/>
                " " <label for=id class="inline">{label}</label>
            </div>
        }
    };
    let telegram_label = if p.telegram_linked {
        t(lang, "staff.notify.channel.telegram")
    } else {
        t(lang, "staff.notify.channel.telegram_unlinked")
    };
    let code = p.code.clone().map(|c| {
        view! {
            <div class="notice ok" role="status">
                <p>{t(lang, "staff.notify.code.send")}</p>
                <p><code id="telegram-code">{format!("/staff {c}")}</code></p>
                <p>{t(lang, "staff.notify.code.valid")}</p>
            </div>
        }
    });
    let pending = (p.code.is_none() && p.code_pending)
        .then(|| view! { <p class="muted">{t(lang, "staff.notify.code.pending")}</p> });
    let unlink = p.telegram_linked.then(|| {
        view! {
            <form method="post" action="/staff/notifications/unlink" class="inline">
                {csrf_field(v)}
                <button type="submit">{t(lang, "staff.notify.unlink")}</button>
            </form>
        }
    });
    let body = view! {
        <h1>{t(lang, "staff.notify.title")}</h1>
        <p class="lead">{t(lang, "staff.notify.lead")}</p>
        {(!p.receives).then(|| view! { <p class="notice">{t(lang, "staff.notify.not_for_role")}</p> })}
        <p id="notify-current">{tf(lang, "staff.notify.current", &[("setting", &p.current)])}</p>
        {summary}
        <form method="post" action="/staff/notifications" class="notify-form">
            {csrf_field(v)}
            <fieldset class="panel">
                <legend>{t(lang, "staff.notify.where")}</legend>
                {radio("none", t(lang, "staff.notify.channel.none"), false)}
                {radio("email", t(lang, "staff.notify.channel.email"), false)}
                <div class="field">
                    <label for="email">{t(lang, "staff.notify.email")}</label>
                    <input id="email" name="email" type="email" autocomplete="email" value=p.email.clone()
                        aria-invalid=invalid.to_string() aria-describedby="email-err"/>
                    {p.email_error.clone().map(|m| view! { <small id="email-err" class="error">{m}</small> })}
                </div>
                {radio("telegram", telegram_label, !p.telegram_linked)}
            </fieldset>
            <button type="submit" class="primary">{t(lang, "staff.notify.save")}</button>
        </form>
        <section class="panel" aria-labelledby="telegram-title">
            <h2 id="telegram-title">{t(lang, "staff.notify.telegram.title")}</h2>
            <p>{t(lang, if p.telegram_linked { "staff.notify.telegram.linked" } else { "staff.notify.telegram.how" })}</p>
            {code}
            {pending}
            <form method="post" action="/staff/notifications/telegram" class="inline">
                {csrf_field(v)}
                <button type="submit">{t(lang, if p.telegram_linked { "staff.notify.code.relink" } else { "staff.notify.code.issue" })}</button>
            </form>
            " " {unlink}
        </section>
    };
    document(lang, t(lang, "staff.notify.title"), Some(v), notice, body.into_any())
}
