//! The HTML document around the script-free pages (request, status, staff
//! console): one head for all of them, so each loads the same styles and
//! icon and nothing else.

use std::sync::OnceLock;

use crate::i18n::Lang;

/// The URL directory of the browser files (`pkg/<content hash>`), the same
/// for every page of the process: the server sets it once at start, from
/// its LeptosOptions, so these pages share the hydrated pages' stylesheet
/// URL (and its year-long cache).
static PKG_DIR: OnceLock<String> = OnceLock::new();

/// Sets the URL directory of the browser files; later calls are ignored.
pub fn set_pkg_dir(dir: &str) {
    let _ = PKG_DIR.set(dir.trim_matches('/').to_string());
}

/// Where the stylesheet is: under the hashed directory, or `/pkg/` before
/// the server set one.
fn stylesheet_href() -> String {
    format!("/{}/findkin.css", PKG_DIR.get().map_or("pkg", String::as_str))
}

/// Whether the page may tell other sites where the visitor came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referrer {
    /// The relative's pages: the secret status link must never leak.
    Never,
    /// The staff console: the browser's same-origin default applies.
    SameOrigin,
}

/// A whole page: `body_html` is already rendered, `title` is plain text.
pub fn static_document(lang: Lang, title: &str, referrer: Referrer, body_html: &str) -> String {
    let referrer = match referrer {
        Referrer::Never => "<meta name=\"referrer\" content=\"no-referrer\">",
        Referrer::SameOrigin => "",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">{referrer}\
         <title>{}</title><link rel=\"stylesheet\" href=\"{}\">\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"></head><body>{body_html}</body></html>",
        lang.code(),
        escape_text(title),
        stylesheet_href(),
    )
}

/// Escapes text for HTML outside the view macro.
pub fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
