//! Records in the console: list with staff search and filters, record page
//! (every view audited), create, edit saved as a three-way merge with a
//! conflict page, and CSV export of a filtered list.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::staff::{
    record_form_page, record_page, records_page, ConflictRow, ConflictView, FieldView, HistoryRow, RecordForm,
    RecordRow, RecordView, RecordsPage, RecordsQuery,
};
use findkin_search::SearchOptions;

use super::{notice, page, query_string, redirect, Ctx, Guard, StaffError};
use crate::auth::Action;
use crate::csv_import::{parse_row, COLUMNS};
use crate::http::AppState;
use crate::record_merge::{self, base_value, FieldMerge, Value};
use crate::record_store::{fields, to_csv, RecordFilter, SaveOutcome, StoredRecord};
use crate::records::{parse_partial_date, RecordInput, Status};

const PAGE: i64 = 50;
/// Most hits a name search contributes to the list.
const SEARCH_LIMIT: usize = 500;
/// Most rows one export writes.
const EXPORT_LIMIT: i64 = 1_000_000;

type Params = Query<HashMap<String, String>>;

fn param<'a>(p: &'a HashMap<String, String>, k: &str) -> &'a str {
    p.get(k).map(|s| s.trim()).unwrap_or("")
}

/// The list filter from the query string; bad values are ignored, not fatal.
async fn filter(st: &AppState, p: &HashMap<String, String>) -> Result<RecordFilter, StaffError> {
    let date = |k: &str| parse_partial_date(param(p, k)).ok().flatten();
    let mut f = RecordFilter {
        status: Status::parse(param(p, "status")).ok(),
        region: Some(param(p, "region").to_string()).filter(|r| !r.is_empty()),
        from: date("from"),
        to: date("to"),
        ids: None,
    };
    let q = param(p, "q");
    if !q.is_empty() {
        let registry = st.registry.clone();
        let q = q.to_string();
        let hits = tokio::task::spawn_blocking(move || {
            registry.search(&q, None, SearchOptions { limit: SEARCH_LIMIT, public_only: false })
        })
        .await
        .map_err(|e| StaffError::Internal(crate::Error::Task(e)))?;
        // A query the engine refuses (too long, …) simply finds nothing.
        f.ids = Some(hits.map(|h| h.into_iter().map(|h| h.record.id as i64).collect()).unwrap_or_default());
    }
    Ok(f)
}

fn display_name(r: &RecordInput) -> String {
    [r.surname.as_str(), r.given_name.as_str(), r.patronymic.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(crate::backend::display_name)
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Params) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ListRecords).await?;
    let page_no: i64 = param(&p, "page").parse().unwrap_or(1).max(1);
    let f = filter(&st, &p).await?;
    let mut recs = st.registry.store.list_records(&f, PAGE + 1, (page_no - 1) * PAGE).await?;
    let has_next = recs.len() as i64 > PAGE;
    recs.truncate(PAGE as usize);
    let keys = ["q", "status", "region", "from", "to"];
    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, param(&p, k))).collect();
    let rows = recs
        .iter()
        .map(|r| RecordRow {
            id: r.id,
            external_id: r.input.external_id.clone(),
            name: display_name(&r.input),
            // The list shows public fields only; the record page is audited.
            birth_year: r.input.birth_date.as_deref().and_then(|d| d.get(..4)).unwrap_or("—").to_string(),
            region: r.input.region.clone().unwrap_or_default(),
        })
        .collect();
    let data = RecordsPage {
        query: RecordsQuery {
            q: param(&p, "q").to_string(),
            status: param(&p, "status").to_string(),
            region: param(&p, "region").to_string(),
            from: param(&p, "from").to_string(),
            to: param(&p, "to").to_string(),
        },
        regions: st.registry.store.regions().await?,
        rows,
        page: page_no,
        has_next,
        query_string: query_string(&pairs),
    };
    let n = notice(ctx.lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, records_page(ctx.lang, &g.viewer, n, data)))
}

pub async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Params) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ExportRecords).await?;
    let f = filter(&st, &p).await?;
    let recs = st.registry.store.list_records(&f, EXPORT_LIMIT, 0).await?;
    let body = crate::csv_safe::neutralise_csv(&to_csv(&recs)?)?;
    let keys = ["q", "status", "region", "from", "to"];
    let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (*k, param(&p, k))).collect();
    g.audit(
        &st,
        &ctx,
        "export_records",
        None,
        Some(format!("{} records; filter: {}", recs.len(), query_string(&pairs))),
    )
    .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"findkin-records.csv\""),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Disclosure level of each field (docs/ARCHITECTURE.md): the page labels every value.
fn level(field: &str) -> &'static str {
    match field {
        "surname" | "given_name" | "patronymic" | "region" => "public",
        "source" | "notes" | "external_id" => "staff",
        _ => "released",
    }
}

/// A field's value as a person reads it: statuses and sex in words, "—"
/// for nothing.
fn shown(lang: Lang, name: &str, v: Option<String>) -> String {
    match (name, v) {
        ("status", Some(s)) => t(lang, &format!("status.{s}")),
        ("sex", Some(s)) => t(lang, &format!("sex.{s}")),
        (_, Some(v)) => v,
        (_, None) => "—".to_string(),
    }
}

async fn load(st: &AppState, lang: Lang, id: i64) -> Result<StoredRecord, StaffError> {
    st.registry.store.record(id).await?.ok_or(StaffError::NotFound { lang })
}

pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(p): Params,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ViewRecord).await?;
    let r = load(&st, ctx.lang, id).await?;
    g.audit(&st, &ctx, "view_record", Some(("record", r.input.external_id.clone())), None).await?;
    let lang = ctx.lang;
    let history = st
        .registry
        .store
        .history(id)
        .await?
        .into_iter()
        .map(|c| HistoryRow {
            at: crate::calendar::display_utc(&c.at, true),
            user: c.user_name,
            version: c.version,
            field: c.field,
            old: c.old_value.unwrap_or_else(|| "—".into()),
            new: c.new_value.unwrap_or_else(|| "—".into()),
        })
        .collect();
    let view = RecordView {
        id,
        title: display_name(&r.input),
        version: r.version,
        updated_at: crate::calendar::display_utc(&r.updated_at, false),
        fields: fields(&r.input)
            .into_iter()
            .map(|(name, v)| FieldView { name, value: shown(lang, name, v), level: level(name) })
            .collect(),
        history,
    };
    let n = notice(ctx.lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, record_page(ctx.lang, &g.viewer, n, view)))
}

fn form_values(r: &RecordInput) -> Vec<(&'static str, String)> {
    fields(r).into_iter().map(|(name, v)| (name, v.unwrap_or_default())).collect()
}

fn typed_values(form: &HashMap<String, String>) -> Vec<(&'static str, String)> {
    COLUMNS.iter().map(|c| (*c, form.get(*c).cloned().unwrap_or_default())).collect()
}

/// The hidden `base_<field>` values a form came back with, as sent (to
/// render them again unchanged after a validation error).
fn typed_base(form: &HashMap<String, String>) -> Vec<(&'static str, String)> {
    COLUMNS.iter().filter_map(|c| form.get(&format!("base_{c}")).map(|v| (*c, v.clone()))).collect()
}

/// What the form was opened with, per field; `None` for a form without
/// base values (opened before they existed), which then saves only if the
/// record did not move on.
fn submitted_base(form: &HashMap<String, String>) -> Option<Vec<(&'static str, Value)>> {
    COLUMNS.iter().map(|c| form.get(&format!("base_{c}")).map(|v| (*c, base_value(v)))).collect()
}

/// Browsers send a textarea's line breaks as CRLF; the record keeps LF
/// (and the validator refuses a bare CR as a control character).
fn unix_newlines(mut form: HashMap<String, String>) -> HashMap<String, String> {
    for v in form.values_mut() {
        if v.contains('\r') {
            *v = v.replace("\r\n", "\n");
        }
    }
    form
}

pub async fn new_form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::CreateRecord).await?;
    let values =
        COLUMNS.iter().map(|c| (*c, if *c == "status" { "captured".to_string() } else { String::new() })).collect();
    let form = RecordForm { id: None, version: 0, values, base: Vec::new(), errors: Vec::new(), conflict: None };
    Ok(page(StatusCode::OK, record_form_page(ctx.lang, &g.viewer, form)))
}

pub async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::EditRecord).await?;
    let r = load(&st, ctx.lang, id).await?;
    let form = RecordForm {
        id: Some(id),
        version: r.version,
        values: form_values(&r.input),
        base: form_values(&r.input),
        errors: Vec::new(),
        conflict: None,
    };
    Ok(page(StatusCode::OK, record_form_page(ctx.lang, &g.viewer, form)))
}

/// Validates a submitted form with the importer's rules.
fn validate(form: &HashMap<String, String>) -> Result<RecordInput, Vec<(String, String)>> {
    let get = |name: &str| -> &str { form.get(name).map(String::as_str).unwrap_or("") };
    parse_row(0, &get).map_err(|errs| errs.into_iter().map(|e| (e.column.unwrap_or_default(), e.message)).collect())
}

/// The form again with what was typed and the messages; an edit keeps the
/// version and base values it was opened with, so the next save still
/// merges against them.
fn invalid(
    lang: Lang,
    g: &Guard,
    id: Option<i64>,
    version: i64,
    form: &HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let base = if id.is_some() { typed_base(form) } else { Vec::new() };
    let f = RecordForm { id, version, values: typed_values(form), base, errors, conflict: None };
    page(StatusCode::UNPROCESSABLE_ENTITY, record_form_page(lang, &g.viewer, f))
}

pub async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::CreateRecord).await?;
    g.check_form(ctx.lang, form.get("csrf").map(String::as_str))?;
    let form = unix_newlines(form);
    let rec = match validate(&form) {
        Ok(r) => r,
        Err(errors) => return Ok(invalid(ctx.lang, &g, None, 0, &form, errors)),
    };
    let Some(id) = st.registry.store.create_record(&rec, &g.who(&ctx)).await? else {
        let errors = vec![("external_id".to_string(), t(ctx.lang, "staff.form.external_id_taken"))];
        return Ok(invalid(ctx.lang, &g, None, 0, &form, errors));
    };
    st.registry.sync(&mut |_, _| {}).await?;
    Ok(redirect(&format!("/staff/records/{id}?ok=staff.notice.created")))
}

/// Saves an edit as a three-way merge (`record_merge`): the editor's own
/// changes are written, changes others made meanwhile are kept, and only a
/// field both changed differently stops the save — with a page that shows
/// the three values and a form based on the current version.
pub async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::EditRecord).await?;
    g.check_form(ctx.lang, form.get("csrf").map(String::as_str))?;
    let form = unix_newlines(form);
    let version: i64 = form.get("version").and_then(|v| v.parse().ok()).unwrap_or(-1);
    let rec = match validate(&form) {
        Ok(r) => r,
        Err(errors) => return Ok(invalid(ctx.lang, &g, Some(id), version, &form, errors)),
    };
    load(&st, ctx.lang, id).await?;
    let base = submitted_base(&form);
    match st.registry.store.update_record(id, version, base.as_deref(), &rec, &g.who(&ctx)).await? {
        SaveOutcome::Unchanged { .. } => Ok(redirect(&format!("/staff/records/{id}?ok=staff.notice.unchanged"))),
        SaveOutcome::Saved { kept_theirs, .. } => {
            st.registry.sync(&mut |_, _| {}).await?;
            let notice = if kept_theirs.is_empty() { "staff.notice.saved" } else { "staff.notice.merged" };
            Ok(redirect(&format!("/staff/records/{id}?ok={notice}#history")))
        }
        SaveOutcome::Conflict { current, plan } => {
            let colliding = record_merge::with(&plan, FieldMerge::Conflict);
            g.audit(
                &st,
                &ctx,
                "edit_conflict",
                Some(("record", rec.external_id.clone())),
                Some(format!(
                    "had version {version}, current {}; both changed {}",
                    current.version,
                    colliding.join(", ")
                )),
            )
            .await?;
            let f = conflict_form(&st, ctx.lang, id, version, base.as_deref(), &rec, &current, &plan).await?;
            Ok(page(StatusCode::CONFLICT, record_form_page(ctx.lang, &g.viewer, f)))
        }
    }
}

/// The form after a refused save. It starts from the CURRENT stored version
/// (its number and its values as the new base), with this editor's own
/// changes filled in where nobody else touched the field. Where both
/// changed a field the stored value stays in the input and theirs is
/// beside it, so saving again can never put back a colleague's value
/// unless the editor types it in on purpose.
#[allow(clippy::too_many_arguments)]
async fn conflict_form(
    st: &AppState,
    lang: Lang,
    id: i64,
    opened_version: i64,
    base: Option<&[(&'static str, Value)]>,
    yours: &RecordInput,
    current: &StoredRecord,
    plan: &[(&'static str, FieldMerge)],
) -> Result<RecordForm, StaffError> {
    // Who saved each field since the form was opened (newest first); a
    // field changed by an import has no history row.
    let history: Vec<_> =
        st.registry.store.history(id).await?.into_iter().filter(|c| c.version > opened_version).collect();
    let mut by: Vec<String> = Vec::new();
    for c in &history {
        if !by.contains(&c.user_name) {
            by.push(c.user_name.clone());
        }
    }
    let saved_at = |field: &str| match history.iter().find(|c| c.field == field) {
        Some(c) => format!("{}, {}", c.user_name, crate::calendar::display_utc(&c.at, true)),
        None => {
            tf(lang, "staff.conflict.by_unknown", &[("at", &crate::calendar::display_utc(&current.updated_at, true))])
        }
    };
    let theirs = fields(&current.input);
    let rows = fields(yours)
        .into_iter()
        .zip(theirs)
        .zip(plan)
        .filter_map(|(((name, y), (_, s)), (_, kind))| {
            let kind = match kind {
                FieldMerge::Conflict => "conflict",
                FieldMerge::Theirs => "theirs",
                FieldMerge::Yours => "mine",
                FieldMerge::Same => return None,
            };
            let b = match base {
                Some(b) => b.iter().find(|(n, _)| *n == name).map(|(_, v)| shown(lang, name, v.clone())),
                None => None,
            };
            Some(ConflictRow {
                field: name,
                kind,
                base: b.unwrap_or_else(|| t(lang, "staff.conflict.base_unknown")),
                yours: shown(lang, name, y),
                theirs: shown(lang, name, s),
                theirs_by: if kind == "mine" { String::new() } else { saved_at(name) },
            })
        })
        .collect();
    if by.is_empty() {
        by.push(t(lang, "staff.conflict.someone"));
    }
    // The editor's non-colliding changes on top of what is stored now.
    let start = record_merge::apply(plan, yours, &current.input);
    Ok(RecordForm {
        id: Some(id),
        version: current.version,
        values: form_values(&start),
        base: form_values(&current.input),
        errors: Vec::new(),
        conflict: Some(ConflictView { by: by.join(", "), version: current.version, rows }),
    })
}
