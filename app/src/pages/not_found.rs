use leptos::prelude::*;

use crate::i18n::t;
use crate::site::SiteContext;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let lang = SiteContext::current().lang;
    view! {
        <section class="panel">
            <h1>{t(lang, "notfound.title")}</h1>
            <p><a href="/">{t(lang, "notfound.home")}</a></p>
        </section>
    }
}
