//! Pieces shared by several pages: header, language switch, demo banner,
//! footer and the search form.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::i18n::{t, Lang};
use crate::site::SiteContext;

/// Minimal percent-encoding for a query-string value.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The results URL for a query, as the GET form would build it.
pub fn search_url(q: &str, birth_year: &str) -> String {
    format!("/search?q={}&birth_year={}", encode_component(q), encode_component(birth_year))
}

/// The current URL with `lang` replaced, so switching keeps the page and query.
fn with_lang(path: &str, search: &str, lang: Lang) -> String {
    let kept: Vec<&str> =
        search.trim_start_matches('?').split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
    let mut url = format!("{path}?");
    for p in kept {
        url.push_str(p);
        url.push('&');
    }
    url.push_str("lang=");
    url.push_str(lang.code());
    url
}

#[component]
pub fn Header() -> impl IntoView {
    let site = SiteContext::current();
    let lang = site.lang;
    let location = use_location();
    let switch = move || {
        Lang::ALL
            .into_iter()
            .map(|l| {
                let href = with_lang(&location.pathname.get(), &location.search.get(), l);
                if l == lang {
                    view! { <span class="lang current" aria-current="true">{l.native_name()}</span> }.into_any()
                } else {
                    // rel=external: a full page load, so the server renders the new language.
                    view! { <a class="lang" href=href rel="external" hreflang=l.code() lang=l.code()>{l.native_name()}</a> }
                        .into_any()
                }
            })
            .collect_view()
    };
    view! {
        <a class="skip" href="#main">{t(lang, "nav.skip")}</a>
        {site.demo.then(|| view! { <div class="demo-banner" role="note">{t(lang, "demo.banner")}</div> })}
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◈"</span>
                <span>{t(lang, "site.name")}</span>
            </a>
            <nav class="langs" aria-label=t(lang, "nav.languages")>{switch}</nav>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    let lang = SiteContext::current().lang;
    view! {
        <footer class="site-footer">
            <p>{t(lang, "footer.privacy")}</p>
            <p class="muted">{t(lang, "footer.operator")}</p>
        </footer>
    }
}

/// The search form: a plain GET form (works without JavaScript). With
/// `live`, and JavaScript on, results follow the typing after a short pause.
#[component]
pub fn SearchForm(
    #[prop(into)] q: String,
    #[prop(into)] birth_year: String,
    #[prop(optional)] live: bool,
) -> impl IntoView {
    let lang = SiteContext::current().lang;
    let q_ref = NodeRef::<leptos::html::Input>::new();
    let year_ref = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |_| {
        if !live {
            return;
        }
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let navigate = navigate.clone();
        let handle = set_timeout_with_handle(
            move || {
                let q = q_ref.get_untracked().map(|i| i.value()).unwrap_or_default();
                let y = year_ref.get_untracked().map(|i| i.value()).unwrap_or_default();
                if q.trim().chars().count() >= 2 {
                    navigate(
                        &search_url(&q, &y),
                        NavigateOptions { replace: true, scroll: false, ..Default::default() },
                    );
                }
            },
            Duration::from_millis(350),
        )
        .ok();
        timer.set_value(handle);
    };
    view! {
        <Form method="GET" action="/search" attr:class="search-form" attr:role="search">
            <div class="field grow">
                <label for="q">{t(lang, "search.name_label")}</label>
                <input
                    id="q"
                    name="q"
                    type="search"
                    value=q
                    node_ref=q_ref
                    autocomplete="off"
                    spellcheck="false"
                    maxlength="200"
                    placeholder=t(lang, "search.name_placeholder")
                    aria-describedby="q-hint"
                    on:input=on_input.clone()
                />
                <small id="q-hint" class="hint">{t(lang, "search.name_hint")}</small>
            </div>
            <div class="field year">
                <label for="birth_year">{t(lang, "search.year_label")}</label>
                <input
                    id="birth_year"
                    name="birth_year"
                    type="text"
                    inputmode="numeric"
                    pattern="[0-9]{4}"
                    maxlength="4"
                    value=birth_year
                    node_ref=year_ref
                    placeholder=t(lang, "search.year_placeholder")
                    on:input=on_input
                />
            </div>
            <button type="submit" class="primary">{t(lang, "search.submit")}</button>
        </Form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_encoded() {
        assert_eq!(
            search_url("Иванов Пётр", ""),
            "/search?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2+%D0%9F%D1%91%D1%82%D1%80&birth_year="
        );
        assert_eq!(with_lang("/search", "?q=a&lang=en", Lang::Uk), "/search?q=a&lang=uk");
        assert_eq!(with_lang("/", "", Lang::En), "/?lang=en");
    }
}
