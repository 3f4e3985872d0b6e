//! The console start page (charts drawn on the server) and the audit log
//! browser with its CSV export.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::staff::{audit_page, dashboard_page, AuditPage, AuditRowView, CountLink, Dashboard, RequestsPanel};

use super::requests::summary_links;
use super::{notice, page, query_string, words, Ctx, Guard, StaffError};
use crate::audit::{to_csv, Filter};
use crate::auth::Action;
use crate::charts::{bar_chart, column_chart, Bar, Point};
use crate::http::AppState;
use crate::users::now;

/// Days shown on the per-day charts.
const DAYS: i64 = 30;

/// The last `DAYS` days, oldest first, with a value for each (0 if absent).
fn daily(counts: &[(String, i64)]) -> Vec<Point> {
    let today = now().div_euclid(86_400);
    (today - DAYS + 1..=today)
        .map(|d| {
            let label = crate::calendar::iso(d);
            let value = counts.iter().find(|(day, _)| *day == label).map_or(0.0, |(_, n)| *n as f64);
            Point { label, value }
        })
        .collect()
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ViewDashboard).await?;
    let lang = ctx.lang;
    let store = &st.registry.store;
    let by_status: Vec<Bar> = store
        .count_by_status()
        .await?
        .into_iter()
        .map(|(s, n)| Bar { label: t(lang, &format!("status.{s}")), value: n as f64 })
        .collect();
    let median = store.median_first_response_hours().await?;
    let d = Dashboard {
        records_total: store.count_records().await? as i64,
        status_chart: bar_chart(&t(lang, "staff.dash.by_status"), &by_status, ""),
        requests_chart: column_chart(
            &t(lang, "staff.dash.requests"),
            &daily(&store.requests_per_day(DAYS).await?),
            &t(lang, "staff.dash.requests_unit"),
            None,
        ),
        changes_chart: column_chart(
            &t(lang, "staff.dash.changes"),
            &daily(&store.changes_per_day(DAYS).await?),
            &t(lang, "staff.dash.changes_unit"),
            None,
        ),
        median_first_response: median.map(|h| format!("{h:.1}")),
        requests: requests_panel(&st, lang, &g).await?,
    };
    let n = notice(lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, dashboard_page(lang, &g.viewer, n, d)))
}

/// Open requests by state (counts, the oldest's wait, a bar each), the request
/// that has waited longest, and for a moderator what waits for them. Shown
/// to those who work with requests: moderators, and admins (who move
/// claims); links only where the viewer may follow them.
async fn requests_panel(st: &AppState, lang: Lang, g: &Guard) -> Result<Option<RequestsPanel>, StaffError> {
    let (moderator, admin) = (g.viewer.can_moderate, g.viewer.can_manage_claims);
    if !moderator && !admin {
        return Ok(None);
    }
    let store = &st.registry.store;
    let summary = store.queue_summary(g.session.user.id).await?;
    let links = summary_links(lang, &summary, ("", ""));
    let oldest = match store.oldest_waiting().await? {
        Some(r) => {
            let age = words::age_since(lang, r.waiting_since(), now()).unwrap_or_default();
            let state = words::state(lang, r.state);
            CountLink {
                text: tf(lang, "staff.dash.oldest", &[("ref", &r.reference), ("state", &state), ("age", &age)]),
                href: if moderator { format!("/staff/requests/{}", r.id) } else { String::new() },
                current: false,
                hot: true,
            }
        }
        None => CountLink { text: t(lang, "staff.dash.oldest_none"), ..CountLink::default() },
    };
    let unlinked = |l: CountLink| if moderator { l } else { CountLink { href: String::new(), ..l } };
    let mine = if moderator { vec![links.my_replies, links.my_approvals, links.mine] } else { Vec::new() };
    Ok(Some(RequestsPanel {
        by_state: links.by_state.into_iter().map(unlinked).zip(summary.by_state.iter().map(|c| c.count)).collect(),
        replies: unlinked(links.replies),
        oldest,
        mine,
    }))
}

fn audit_filter(p: &HashMap<String, String>) -> Filter {
    let get = |k: &str| p.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let date = |k: &str| {
        get(k).filter(|d| crate::records::parse_partial_date(d).is_ok_and(|d| d.is_some_and(|d| d.len() == 10)))
    };
    Filter { actor: get("actor"), action: get("action"), from: date("from"), to: date("to") }
}

const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ViewAudit).await?;
    let f = audit_filter(&p);
    let page_no: i64 = p.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let mut rows = st.registry.store.audit_rows(&f, AUDIT_PAGE + 1, (page_no - 1) * AUDIT_PAGE).await?;
    let has_next = rows.len() as i64 > AUDIT_PAGE;
    rows.truncate(AUDIT_PAGE as usize);
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let view = AuditPage {
        actor: s(&f.actor),
        action: s(&f.action),
        from: s(&f.from),
        to: s(&f.to),
        rows: rows
            .into_iter()
            .map(|r| AuditRowView {
                at: crate::calendar::display_utc(&r.at, true),
                actor: r.actor_name,
                action: r.action,
                target: [r.target_type.unwrap_or_default(), r.target_id.unwrap_or_default()]
                    .join(" ")
                    .trim()
                    .to_string(),
                details: r.details.unwrap_or_default(),
                address: r.address.unwrap_or_default(),
            })
            .collect(),
        page: page_no,
        has_next,
        query_string: query_string(&[
            ("actor", &s(&f.actor)),
            ("action", &s(&f.action)),
            ("from", &s(&f.from)),
            ("to", &s(&f.to)),
        ]),
    };
    Ok(page(StatusCode::OK, audit_page(ctx.lang, &g.viewer, view)))
}

pub async fn audit_csv(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ExportAudit).await?;
    let f = audit_filter(&p);
    let rows = st.registry.store.audit_rows(&f, i64::MAX, 0).await?;
    g.audit(&st, &ctx, "export_audit", None, Some(format!("{} rows", rows.len()))).await?;
    let body = crate::csv_safe::neutralise_csv(&to_csv(&rows)?)?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"findkin-audit.csv\""),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
