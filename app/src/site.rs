//! Per-request facts every page needs: the language and whether the
//! registry holds demo data. The server provides them as context; in the
//! browser they are read back from `<html lang data-demo>`.

use leptos::prelude::*;

use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteContext {
    pub lang: Lang,
    /// The registry holds generated demo records: say so on every page.
    pub demo: bool,
}

impl Default for SiteContext {
    fn default() -> Self {
        SiteContext { lang: Lang::Ru, demo: false }
    }
}

impl SiteContext {
    pub fn current() -> Self {
        use_context::<SiteContext>().unwrap_or_else(Self::from_request_or_document)
    }

    /// On the server, the HTTP layer puts the context in the request's extensions.
    #[cfg(feature = "ssr")]
    fn from_request_or_document() -> Self {
        use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<SiteContext>().copied())
            .unwrap_or_default()
    }

    #[cfg(not(feature = "ssr"))]
    fn from_request_or_document() -> Self {
        Self::from_document()
    }

    #[cfg(feature = "hydrate")]
    fn from_document() -> Self {
        let root = document().document_element();
        let attr = |name: &str| root.as_ref().and_then(|r| r.get_attribute(name));
        SiteContext {
            lang: attr("lang").and_then(|l| Lang::from_code(&l)).unwrap_or_default(),
            demo: attr("data-demo").as_deref() == Some("1"),
        }
    }

    #[cfg(not(any(feature = "hydrate", feature = "ssr")))]
    fn from_document() -> Self {
        Self::default()
    }
}
