use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::backend::{search_public, PublicHit, PublicResults, SearchOutcome, SearchProblem, RATE_LIMITED_FN_ERROR};
use crate::components::{encode_component, SearchForm};
use crate::i18n::{t, tf, Lang};
use crate::site::SiteContext;

/// The results page: rendered on the server from the URL, so it works
/// without JavaScript; with it, results follow the typing.
#[component]
pub fn SearchPage() -> impl IntoView {
    let lang = SiteContext::current().lang;
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q"));
    let year = Memo::new(move |_| query.read().get("birth_year").unwrap_or_default());
    let results = Resource::new(
        move || (q.get(), year.get()),
        |(q, year)| async move {
            match q {
                None => None,
                Some(q) => Some(search_public(q, year).await),
            }
        },
    );
    view! {
        <section class="search-page">
            <h1>{t(lang, "search.heading")}</h1>
            <SearchForm q=q.get_untracked().unwrap_or_default() birth_year=year.get_untracked() live=true/>
            <div id="results" aria-live="polite">
                <Transition fallback=move || view! { <p class="muted">{t(lang, "search.loading")}</p> }>
                    {move || results.get().map(|r| match r {
                        None => view! { <p class="muted intro">{t(lang, "search.intro")}</p> }.into_any(),
                        Some(Ok(SearchOutcome::Hits(hits))) => hit_list(lang, hits, &q.get().unwrap_or_default()).into_any(),
                        Some(Ok(SearchOutcome::Refused(p))) => problem(lang, p, &q.get().unwrap_or_default()).into_any(),
                        Some(Err(e)) if e.to_string().contains(RATE_LIMITED_FN_ERROR) => {
                            problem(lang, SearchProblem::RateLimited, "").into_any()
                        }
                        Some(Err(_)) => problem(lang, SearchProblem::Unavailable, "").into_any(),
                    })}
                </Transition>
            </div>
        </section>
    }
}

fn problem(lang: Lang, p: SearchProblem, q: &str) -> impl IntoView {
    // A query too broad to list is no dead end: the moderators search further.
    let invite = (p == SearchProblem::NeedsMore).then(|| request_invite(lang, "search.needs_more.request", q));
    view! {
        <p class="error" role="alert">{t(lang, p.message_key())}</p>
        {invite}
    }
}

/// The request form, prefilled with the query. It is not a page of this
/// app: links to it are full page loads (rel=external).
fn request_href(q: &str) -> String {
    format!("/request?q={}", encode_component(q))
}

/// "Not found what you need? Send a request": under every answer that
/// lists people or refuses to, so no search ends without a way on.
fn request_invite(lang: Lang, text_key: &'static str, q: &str) -> impl IntoView {
    view! {
        <p class="request-invite">
            {t(lang, text_key)} " "
            <a class="button" href=request_href(q) rel="external">{t(lang, "search.request_button")}</a>
        </p>
    }
}

/// "ищу", "сына" were not read as a name: said once, above the answer.
fn set_aside_note(lang: Lang, words: &[String]) -> Option<impl IntoView> {
    (!words.is_empty()).then(|| {
        let list = words.iter().map(|w| format!("«{w}»")).collect::<Vec<_>>().join(", ");
        view! { <p class="muted set-aside">{tf(lang, "search.set_aside", &[("words", &list)])}</p> }
    })
}

fn hit_list(lang: Lang, results: PublicResults, q: &str) -> impl IntoView {
    let PublicResults { hits, set_aside } = results;
    let aside = set_aside_note(lang, &set_aside);
    if hits.is_empty() {
        let href = request_href(q);
        return view! {
            {aside}
            <div class="no-hits">
                <h2>{t(lang, "search.none.title")}</h2>
                <p>{t(lang, "search.none.text")}</p>
                <p><a class="button" href=href rel="external">{t(lang, "search.none.request")}</a></p>
            </div>
        }
        .into_any();
    }
    let count = tf(lang, "search.count", &[("n", &hits.len().to_string())]);
    view! {
        {aside}
        <p class="count">{count}</p>
        <ol class="hits">
            {hits.into_iter().map(|h| hit_item(lang, h)).collect_view()}
        </ol>
        <p class="muted">{t(lang, "search.hits.note")}</p>
        {request_invite(lang, "search.not_listed", q)}
    }
    .into_any()
}

fn hit_item(lang: Lang, h: PublicHit) -> impl IntoView {
    let name = [h.surname.as_str(), h.given_name.as_str(), h.patronymic.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let born = h.birth_year.map(|y| tf(lang, "search.hit.born", &[("year", &y.to_string())]));
    let request = h.candidate.map(|c| {
        let href = format!("/request?c={}", encode_component(&c));
        view! { <a class="request-link" href=href rel="external">{t(lang, "search.hit.request")}</a> }
    });
    view! {
        <li class="hit">
            <span class="badge">{t(lang, "search.hit.label")}</span>
            <span class="hit-name">{name}</span>
            <span class="hit-meta">
                {born.map(|b| view! { <span class="born">{b}</span> })}
                {h.region.map(|r| view! { <span class="region">{r}</span> })}
            </span>
            {request}
        </li>
    }
}
