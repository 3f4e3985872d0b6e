//! CSV import from the console: upload, a preview of every problem (or of
//! what would change) with nothing stored, then an explicit confirmation.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::t;
use findkin_app::staff::{import_page, ImportRowError, ImportStage, Notice};
use rand::RngCore;
use serde::Deserialize;

use super::{page, redirect, Ctx, Guard, StaffError};
use crate::auth::Action;
use crate::csv_import::parse_csv;
use crate::http::AppState;

/// Largest upload accepted.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// Problems listed on the preview page; the count covers the rest.
const SHOWN: usize = 500;

fn token_ok(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn form(State(st): State<AppState>, ctx: Ctx) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ImportRecords).await?;
    Ok(page(StatusCode::OK, import_page(ctx.lang, &g.viewer, None, ImportStage::Upload)))
}

pub async fn preview(State(st): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ImportRecords).await?;
    let mut csrf = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").chars().take(100).collect::<String>();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let n = Notice { ok: false, text: t(ctx.lang, "staff.import.too_large") };
                        return Ok(page(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            import_page(ctx.lang, &g.viewer, Some(n), ImportStage::Upload),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    g.check_form(ctx.lang, csrf.as_deref())?;
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let n = Notice { ok: false, text: t(ctx.lang, "staff.import.no_file") };
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            import_page(ctx.lang, &g.viewer, Some(n), ImportStage::Upload),
        ));
    };
    let parsed = tokio::task::spawn_blocking(move || (parse_csv(&bytes, &mut |_| {}), bytes))
        .await
        .map_err(|e| StaffError::Internal(crate::Error::Task(e)))?;
    let (result, bytes) = parsed;
    match result {
        Err(errors) => {
            g.audit(&st, &ctx, "import_rejected", None, Some(format!("{file_name}: {} problems", errors.0.len())))
                .await?;
            let total = errors.0.len();
            let rows = errors
                .0
                .into_iter()
                .take(SHOWN)
                .map(|e| ImportRowError { line: e.line, column: e.column.unwrap_or_default(), message: e.message })
                .collect();
            let stage = ImportStage::Rejected { file_name, errors: rows, total };
            Ok(page(StatusCode::UNPROCESSABLE_ENTITY, import_page(ctx.lang, &g.viewer, None, stage)))
        }
        Ok(records) => {
            let ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
            let updated = st.registry.store.count_existing(&ids).await?;
            let mut raw = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut raw);
            let token = hex::encode(raw);
            // Kept in the database (any replica may get the confirmation),
            // under the uploader's id: only they can confirm it.
            st.registry.store.stage_upload(g.session.user.id, &file_name, &bytes, &token).await?;
            let stage =
                ImportStage::Ready { file_name, rows: records.len(), new: records.len() - updated, updated, token };
            Ok(page(StatusCode::OK, import_page(ctx.lang, &g.viewer, None, stage)))
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: Option<String>,
    token: String,
}

pub async fn confirm(State(st): State<AppState>, ctx: Ctx, Form(f): Form<ConfirmForm>) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ImportRecords).await?;
    g.check_form(ctx.lang, f.csrf.as_deref())?;
    let staged =
        if token_ok(&f.token) { st.registry.store.staged_upload(g.session.user.id, &f.token).await? } else { None };
    let Some((file_name, bytes)) = staged else {
        let n = Notice { ok: false, text: t(ctx.lang, "staff.import.expired") };
        return Ok(page(StatusCode::NOT_FOUND, import_page(ctx.lang, &g.viewer, Some(n), ImportStage::Upload)));
    };
    let records = parse_csv(&bytes, &mut |_| {}).map_err(|e| StaffError::Internal(e.into()))?;
    st.registry.store.import(&format!("console:{file_name}"), &records, &g.who(&ctx), &mut |_| {}).await?;
    st.registry.store.drop_upload(&f.token).await?;
    st.registry.sync(&mut |_, _| {}).await?;
    Ok(redirect("/staff/records?ok=staff.notice.imported"))
}
