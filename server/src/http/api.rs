//! The JSON API (`/api/v1/...`) and `/healthz`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use findkin_app::backend::{parse_birth_year, PublicHit, SearchProblem};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiError;
use super::AppState;
use crate::backend::{problem_of, public_search};

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    birth_year: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchResponse {
    query: String,
    birth_year: Option<u16>,
    hits: Vec<PublicHit>,
}

fn bad(problem: SearchProblem, message: String) -> ApiError {
    let code = match problem {
        SearchProblem::EmptyQuery => "empty_query",
        SearchProblem::QueryTooLong => "query_too_long",
        SearchProblem::TooManyWords => "too_many_words",
        SearchProblem::BadBirthYear => "bad_birth_year",
        SearchProblem::Unavailable => "unavailable",
    };
    ApiError::BadRequest { code, message }
}

/// `GET /api/v1/search?q=…&birth_year=…`: the public search, public fields only.
pub async fn search(
    State(st): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest { code: "bad_query_string", message: e.body_text() })?;
    let q = p.q.unwrap_or_default();
    let year_text = p.birth_year.unwrap_or_default();
    let birth_year = parse_birth_year(&year_text)
        .map_err(|pr| bad(pr, format!("birth_year {year_text:?} is not a year between 1900 and 2030")))?;
    match public_search(&st.registry, &q, birth_year).await {
        Ok(hits) => Ok(Json(SearchResponse { query: q, birth_year, hits })),
        Err(e) => match problem_of(&e) {
            SearchProblem::Unavailable => Err(ApiError::Internal(e)),
            pr => Err(bad(pr, e.to_string())),
        },
    }
}

/// `GET /healthz`: the database answers and the index is open.
pub async fn healthz(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    st.registry.store.ping().await?;
    Ok(Json(json!({ "status": "ok", "indexed": st.registry.index.num_docs(), "demo": st.demo })))
}
