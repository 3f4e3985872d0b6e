//! The JSON API (`/api/v1/...`) and `/healthz`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use findkin_app::backend::{parse_birth_year, PublicHit, SearchProblem};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiError;
use super::AppState;
use crate::backend::{public_search, PublicSearchError};
use findkin_app::i18n::{t, Lang};

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    birth_year: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
        SearchProblem::NeedsMore => "needs_given_name_or_year",
        SearchProblem::RateLimited => "rate_limited",
        SearchProblem::Unavailable => "unavailable",
    };
    ApiError::BadRequest { code, message }
}

/// The public search: at most 10 possible matches, public fields only.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(
        ("q" = String, Query, description = "the name, any script, any order"),
        ("birth_year" = Option<u16>, Query, description = "keeps that year or unknown dates"),
    ),
    responses(
        (status = 200, description = "possible matches", body = SearchResponse),
        (status = 400, description = "empty or too long query, bad year; `error.code` says which"),
        (status = 429, description = "too many searches from this address; retry in a minute"),
    )
)]
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
        Err(PublicSearchError::Failed(e)) => Err(ApiError::Internal(e)),
        Err(PublicSearchError::Refused(pr)) => Err(bad(pr, t(Lang::En, pr.message_key()))),
    }
}

/// The database answers and the index is open.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok, with the number of indexed records")))]
pub async fn healthz(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    st.registry.store.ping().await?;
    Ok(Json(json!({ "status": "ok", "indexed": st.registry.index.num_docs(), "demo": st.demo })))
}

/// The OpenAPI document of this API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "findkin API",
        description = "Public search and contact requests. Nothing about a person is public beyond name, birth year and region."
    ),
    paths(search, healthz, super::requests::api_submit, super::requests::api_status),
    components(schemas(
        SearchResponse,
        PublicHit,
        crate::requests::RequestInput,
        crate::requests::RequesterView,
        crate::requests::ReleasedDetails,
        crate::requests::ViewMessage,
        crate::workflow::State,
        super::requests::SubmitAnswer
    ))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(ApiDoc::openapi())
}
