use leptos::prelude::*;

use crate::components::SearchForm;
use crate::i18n::t;
use crate::site::SiteContext;

/// What the service is and is not, how a request works, who runs it, the
/// search form and the way to the request form.
#[component]
pub fn HomePage() -> impl IntoView {
    let lang = SiteContext::current().lang;
    let steps = ["home.step1", "home.step2", "home.step3", "home.step4"];
    view! {
        <section class="hero">
            <h1>{t(lang, "home.title")}</h1>
            <p class="lead">{t(lang, "home.lead")}</p>
            <SearchForm q="" birth_year=""/>
        </section>
        // Not everyone finds the person, or wants to search first: the
        // request form is one click away. A full page load (rel=external):
        // the form is not a page of this app.
        <section class="panel cta">
            <h2>{t(lang, "home.cta.title")}</h2>
            <p>{t(lang, "home.cta.text")}</p>
            <p><a class="button primary" href="/request" rel="external">{t(lang, "home.cta.button")}</a></p>
        </section>
        <section class="cards">
            <article class="card">
                <h2>{t(lang, "home.is.title")}</h2>
                <p>{t(lang, "home.is.text")}</p>
            </article>
            <article class="card">
                <h2>{t(lang, "home.isnot.title")}</h2>
                <p>{t(lang, "home.isnot.text")}</p>
            </article>
        </section>
        <section class="panel">
            <h2>{t(lang, "home.how.title")}</h2>
            <ol class="steps">
                {steps.into_iter().map(|k| view! { <li>{t(lang, k)}</li> }).collect_view()}
            </ol>
        </section>
        <section class="panel">
            <h2>{t(lang, "home.who.title")}</h2>
            <p>{t(lang, "home.who.text")}</p>
        </section>
    }
}
