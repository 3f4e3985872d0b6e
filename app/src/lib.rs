//! findkin user interface: the public pages (server-rendered, hydrated when
//! JavaScript is available), their server functions, and the types shared
//! with the server. The server implements [`backend::Backend`].

pub mod backend;
pub mod components;
#[cfg(feature = "ssr")]
pub mod document;
pub mod i18n;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;
pub mod site;
#[cfg(feature = "ssr")]
pub mod staff;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::i18n::t;
use crate::site::SiteContext;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let site = SiteContext::current();
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang=site.lang.code() data-demo=if site.demo { "1" } else { "0" }>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Both under `site_pkg_dir`, `pkg/<content hash>` (set by
                // the server), so a new build is never a cached old one.
                <HashedStylesheet options=options.clone() id="findkin"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A Content-Security-Policy for the hydrated pages: our own files, inline
/// scripts only with this response's nonce (Leptos puts it on its hydration
/// and resource scripts), WebAssembly compiled from our bundle, never framed.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let site = SiteContext::current();
    provide_context(site);
    let lang = site.lang;
    mark_hydrated();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Title text=t(lang, "site.title")/>
        <Meta name="description" content=t(lang, "site.description")/>
        <Router>
            <components::Header/>
            <main id="main">
                <Routes fallback=|| view! { <pages::NotFound/> }>
                    <Route path=path!("/") view=pages::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=pages::SearchPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <components::Footer/>
        </Router>
    }
}

/// Sets `data-hydrated="1"` on `<html>` once the browser half has taken
/// over the server-rendered page: effects run only after hydration, so the
/// browser tests (and anyone debugging a page) can tell a live page from a
/// dead one.
fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "1");
        }
    });
}

/// Entry point of the browser half: attaches to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
