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
    /// Words of `q` not read as part of a name ("ищу", "сына", "рядовой").
    set_aside: Vec<String>,
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
///
/// `q` bounds are [`findkin_search::query::MAX_QUERY_CHARS`] and one letter
/// (an initial); the tests below keep the literals here equal to them.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(
        ("q" = String, Query, min_length = 1, max_length = 200, example = "Петров Иван",
            description = "the name, any script, any order; at most 6 words; a surname alone needs a birth_year"),
        ("birth_year" = Option<u16>, Query, minimum = 1900, maximum = 2030, example = 1990,
            description = "keeps that year or unknown dates"),
    ),
    responses(
        (status = 200, description = "possible matches", body = SearchResponse),
        (status = 400, description = "`error.code` is `empty_query`, `query_too_long`, `too_many_words`, \
            `bad_birth_year`, `bad_query_string`, or `needs_given_name_or_year` (a surname alone lists \
            nobody)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: this client (IPv4 address or IPv6 /64) or everyone \
            together searched too often; `Retry-After` says when to retry",
            headers(("Retry-After" = u64, description = "seconds to wait")), body = ErrorBody),
        (status = 500, description = "`internal`: the registry could not answer", body = ErrorBody),
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
        Ok(found) => Ok(Json(SearchResponse { query: q, birth_year, hits: found.hits, set_aside: found.set_aside })),
        Err(PublicSearchError::Failed(e)) => Err(ApiError::Internal(e)),
        Err(PublicSearchError::Refused(pr)) => Err(bad(pr, t(Lang::En, pr.message_key()))),
    }
}

/// What `/healthz` says: only that the service works. Counts (registry
/// size, demo mode) are not for anyone who asks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`; a failure is a 500 with an [`ErrorBody`].
    status: &'static str,
}

/// The database answers and the index is open.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "the service works", body = Health),
        (status = 500, description = "`internal`: the database does not answer", body = ErrorBody),
    )
)]
pub async fn healthz(State(st): State<AppState>) -> Result<Json<Health>, ApiError> {
    st.registry.store.ping().await?;
    Ok(Json(Health { status: "ok" }))
}

/// Every error answer of the API (built by `ApiError`): a stable code for
/// programs and a message for people.
#[allow(dead_code)] // documentation only: error.rs writes this shape with `json!`
#[derive(utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[allow(dead_code)] // documentation only, see ErrorBody
#[derive(utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, e.g. `empty_query`, `bad_json`, `not_found`, `rate_limited`.
    code: String,
    message: String,
}

/// A submission refused field by field (422, `error.code` = `invalid`).
#[allow(dead_code)] // documentation only: requests.rs writes this shape with `json!`
#[derive(utoipa::ToSchema)]
pub struct InvalidBody {
    error: InvalidDetail,
}

#[allow(dead_code)] // documentation only, see InvalidBody
#[derive(utoipa::ToSchema)]
pub struct InvalidDetail {
    /// Always `invalid`.
    code: String,
    fields: Vec<FieldProblem>,
}

#[allow(dead_code)] // documentation only, see InvalidBody
#[derive(utoipa::ToSchema)]
pub struct FieldProblem {
    field: String,
    message: String,
}

/// What `requests::validate` insists on, which the derived schema cannot
/// say (`RequestInput` is `#[serde(default)]`, so no field is required to
/// parse): (field, required, longest accepted in characters).
const INPUT_RULES: [(&str, bool, Option<usize>); 10] = [
    ("language", true, None),
    ("requester_name", true, Some(200)),
    ("relationship", true, Some(100)),
    ("sought_name", true, Some(200)),
    ("consent", true, None),
    ("sought_birth_place", false, Some(200)),
    ("sought_region", false, Some(200)),
    ("sought_unit", false, Some(200)),
    ("marks", false, Some(2000)),
    ("free_text", false, Some(4000)),
];

/// Says what the derives cannot: the `status_token` bearer scheme and the
/// required fields and bounds of `RequestInput`.
struct Rules;

impl utoipa::Modify for Rules {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::Link;
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        use utoipa::openapi::RefOr;
        if let Some(c) = doc.components.as_mut() {
            let mut bearer = Http::new(HttpAuthScheme::Bearer);
            bearer.description = Some("the secret of the status link, shown once at submission".into());
            c.security_schemes.insert("status_token".into(), SecurityScheme::Http(bearer));
        }
        // A submission's answer leads to its status: the reference and token
        // of the body are the parameters (test tools follow such links).
        if let Some(submit) = doc.paths.paths.get_mut("/api/v1/requests").and_then(|p| p.post.as_mut()) {
            for code in ["200", "201"] {
                if let Some(RefOr::T(answer)) = submit.responses.responses.get_mut(code) {
                    let link = Link::builder()
                        .operation_id("api_status")
                        .parameter("reference", "$response.body#/reference")
                        .parameter("token", "$response.body#/token")
                        .description("the requester's view of this request")
                        .build();
                    answer.links.insert("status".into(), RefOr::T(link));
                }
            }
        }
        let Some(RefOr::T(Schema::Object(input))) =
            doc.components.as_mut().and_then(|c| c.schemas.get_mut("RequestInput"))
        else {
            return;
        };
        input.required = INPUT_RULES.iter().filter(|r| r.1).map(|r| r.0.to_string()).collect();
        // One contact is needed too; an `anyOf` of three `required` lists
        // would say it, but generators then fill every contact field.
        input.description = Some(
            "A contact request. Besides the required fields, at least one of `email`, `phone` and \
             `telegram` must be given, and `consent` must be true; otherwise the answer is 422."
                .into(),
        );
        for (field, required, max) in INPUT_RULES {
            if let Some(RefOr::T(Schema::Object(p))) = input.properties.get_mut(field) {
                p.max_length = max;
                p.min_length = (required && max.is_some()).then_some(1);
                if required {
                    p.default = None; // a default would say the field may be left out
                }
            }
        }
        input.examples = vec![json!({
            "language": "ru",
            "requester_name": "Анна Петрова",
            "relationship": "мать",
            "email": "anna@example.org",
            "sought_name": "Петров Иван Сергеевич",
            "sought_birth": "2001-03",
            "consent": true
        })];
        if let Some(RefOr::T(Schema::Object(p))) = input.properties.get_mut("language") {
            // `Lang::from_code`: the first two letters, any case.
            p.pattern = Some("^\\s*([Rr][Uu]|[Uu][KkAa]|[Ee][Nn])".into());
            p.description = Some("`ru`, `uk` or `en`; a longer tag such as `en-GB` is read by its start".into());
        }
        if let Some(RefOr::T(Schema::Object(p))) = input.properties.get_mut("sought_birth") {
            p.description = Some(
                "`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, or as people write it, day first (`13.05.1987`, \
                 `13/05/1987`, `5.1987`), or empty; stored as ISO"
                    .into(),
            );
        }
    }
}

/// The OpenAPI document of this API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "findkin API",
        description = "Public search and contact requests. Nothing about a person is public beyond name, birth year and region."
    ),
    paths(search, healthz, super::requests::api_submit, super::requests::api_status),
    modifiers(&Rules),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        InvalidBody,
        InvalidDetail,
        FieldProblem,
        Health,
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

/// The OpenAPI document as served.
pub fn document() -> serde_json::Value {
    use utoipa::OpenApi;
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    fix_link_keys(&mut doc);
    doc
}

/// utoipa 5.5 writes a link's `operationId` as `operation_id`, which no
/// tool reads; renamed here.
fn fix_link_keys(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    let operations = paths.values_mut().filter_map(|p| p.as_object_mut()).flat_map(|p| p.values_mut());
    let responses = operations.filter_map(|o| o.get_mut("responses")?.as_object_mut()).flat_map(|r| r.values_mut());
    let links = responses.filter_map(|r| r.get_mut("links")?.as_object_mut()).flat_map(|l| l.values_mut());
    for link in links.filter_map(|l| l.as_object_mut()) {
        if let Some(id) = link.remove("operation_id") {
            link.insert("operationId".into(), id);
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Json<serde_json::Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::{validate, RequestInput};

    #[test]
    fn query_bounds_are_the_parsers() {
        let q = &document()["paths"]["/api/v1/search"]["get"]["parameters"][0]["schema"];
        assert_eq!(q["maxLength"], findkin_search::query::MAX_QUERY_CHARS);
        assert_eq!(q["minLength"], 1);
        assert!(findkin_search::query::Query::parse("a", None).is_ok(), "one letter is a query");
    }

    #[test]
    fn a_submission_links_to_its_status() {
        let link = &document()["paths"]["/api/v1/requests"]["post"]["responses"]["201"]["links"]["status"];
        assert_eq!(link["operationId"], "api_status", "{link}");
        assert_eq!(link["parameters"]["token"], "$response.body#/token");
    }

    #[test]
    fn input_rules_are_the_validators() {
        let good = RequestInput {
            language: "en".into(),
            requester_name: "Anna".into(),
            relationship: "mother".into(),
            email: "anna@example.org".into(),
            sought_name: "Ivanov".into(),
            consent: true,
            ..RequestInput::default()
        };
        assert!(validate(&good).is_empty(), "{:?}", validate(&good));
        let set = |field: &str, v: String| {
            let mut i = good.clone();
            match field {
                "requester_name" => i.requester_name = v,
                "relationship" => i.relationship = v,
                "sought_name" => i.sought_name = v,
                "sought_birth_place" => i.sought_birth_place = v,
                "sought_region" => i.sought_region = v,
                "sought_unit" => i.sought_unit = v,
                "marks" => i.marks = v,
                "free_text" => i.free_text = v,
                "language" => i.language = v,
                _ => i.consent = false,
            }
            validate(&i).iter().any(|(f, _)| *f == field)
        };
        let schema = &document()["components"]["schemas"]["RequestInput"];
        for (field, required, max) in INPUT_RULES {
            let listed = schema["required"].as_array().is_some_and(|r| r.iter().any(|f| f == field));
            assert_eq!(listed, required, "{field}");
            if required {
                assert!(set(field, String::new()), "{field} may not be empty");
            }
            if let Some(max) = max {
                assert!(!set(field, "a".repeat(max)), "{field}: {max} characters pass");
                assert!(set(field, "a".repeat(max + 1)), "{field}: {} characters fail", max + 1);
                assert_eq!(schema["properties"][field]["maxLength"], max, "{field}");
            }
        }
    }
}
