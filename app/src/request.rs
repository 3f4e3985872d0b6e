//! The relative's request pages: the request form and the private status
//! page. Server-rendered HTML forms without any script, so they work the
//! same in Tor Browser "Safest"; the server answers posts with a redirect.

use leptos::prelude::*;

use crate::document::{static_document, Referrer};
use crate::i18n::{t, tf, Lang};

/// The page frame of the public side for these pages.
fn document(lang: Lang, demo: bool, title: String, self_path: &str, body: AnyView) -> String {
    frame(lang, demo, title, lang_links(lang, self_path), body)
}

/// The language switch of most pages: plain links to the same page.
fn lang_links(lang: Lang, self_path: &str) -> AnyView {
    let sep = if self_path.contains('?') { '&' } else { '?' };
    Lang::ALL
        .into_iter()
        .map(|l| {
            if l == lang {
                view! { <span class="lang current">{l.native_name()}</span> }.into_any()
            } else {
                let href = format!("{self_path}{sep}lang={}", l.code());
                view! { <a class="lang" href=href hreflang=l.code() lang=l.code()>{l.native_name()}</a> }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// The id of the request form, for controls outside it.
const FORM_ID: &str = "request-form";

/// The request form's language switch: submit buttons of the form (by its
/// id), so switching posts what was typed and the server shows the same form
/// in the chosen language — a link would lose it. No script needed.
///
/// Enter in a field presses the form's first submit button in the page,
/// which would be a language: an unseen plain submit button comes first.
fn lang_buttons(lang: Lang) -> AnyView {
    let default_submit = view! {
        <button type="submit" form=FORM_ID class="default-submit" tabindex="-1" aria-hidden="true"></button>
    };
    let langs = Lang::ALL
        .into_iter()
        .map(|l| {
            if l == lang {
                view! { <span class="lang current">{l.native_name()}</span> }.into_any()
            } else {
                view! {
                    <button type="submit" form=FORM_ID class="lang link" name="switch_lang" value=l.code()
                        formaction=format!("/request?lang={}", l.code()) formnovalidate=true lang=l.code()>
                        {l.native_name()}
                    </button>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { {default_submit} {langs} }.into_any()
}

fn frame(lang: Lang, demo: bool, title: String, langs: AnyView, body: AnyView) -> String {
    let html = view! {
        {demo.then(|| view! { <div class="demo-banner" role="note">{t(lang, "demo.banner")}</div> })}
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◈"</span>
                <span>{t(lang, "site.name")}</span>
            </a>
            <nav class="langs" aria-label=t(lang, "nav.languages")>{langs}</nav>
        </header>
        <main id="main">{body}</main>
        <footer class="site-footer"><p>{t(lang, "footer.privacy")}</p></footer>
    }
    .to_html();
    static_document(lang, &title, Referrer::Never, &html)
}

/// A photo uploaded with an earlier post of the form and kept on the server.
#[derive(Debug, Clone, Default)]
pub struct KeptPhoto {
    /// Names it in the form's hidden fields.
    pub token: String,
    /// The file name it was uploaded under (may be empty).
    pub name: String,
    /// URL of its thumbnail.
    pub thumb: String,
}

/// The kept photos: how many, which, and a box to remove each. Each one's
/// token rides in a hidden field, so the next post keeps it.
fn kept_photos(lang: Lang, photos: Vec<KeptPhoto>) -> Option<impl IntoView> {
    if photos.is_empty() {
        return None;
    }
    let count = tf(lang, "request.photos_kept", &[("n", &photos.len().to_string())]);
    let items = photos
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let name =
                if p.name.is_empty() { tf(lang, "request.photo_n", &[("n", &(i + 1).to_string())]) } else { p.name };
            view! {
                <li>
                    <input type="hidden" name="kept_photo" value=p.token.clone()/>
                    <img src=p.thumb alt=name.clone() width="96"/>
                    <span class="file-name">{name}</span>
                    <label class="remove">
                        <input type="checkbox" name="remove_photo" value=p.token/>
                        " " {t(lang, "request.photo_remove")}
                    </label>
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <div class="kept-photos" id="kept-photos">
            <p><strong>{count}</strong> " " {t(lang, "request.photos_kept_hint")}</p>
            <ul>{items}</ul>
        </div>
    })
}

/// The request form as filled in so far.
#[derive(Debug, Clone, Default)]
pub struct RequestFormView {
    /// (field, value) for every text field.
    pub values: Vec<(&'static str, String)>,
    pub consent: bool,
    /// (field, message in words).
    pub errors: Vec<(String, String)>,
    /// Hidden: makes a double click or a browser retry one request.
    pub idempotency_key: String,
    /// Opaque reference of the search hit the form was opened from.
    pub candidate: String,
    /// "Possible match" line of that hit, shown for orientation.
    pub candidate_label: Option<String>,
    /// Photos of earlier posts of this form, kept on the server.
    pub kept_photos: Vec<KeptPhoto>,
}

const REQUESTER_FIELDS: [(&str, &str); 5] =
    [("requester_name", "text"), ("relationship", "text"), ("email", "email"), ("phone", "tel"), ("telegram", "text")];
const SOUGHT_FIELDS: [(&str, &str); 5] = [
    ("sought_name", "text"),
    ("sought_birth", "text"),
    ("sought_birth_place", "text"),
    ("sought_region", "text"),
    ("sought_unit", "text"),
];

pub fn request_form_page(lang: Lang, demo: bool, f: RequestFormView) -> String {
    let value = |name: &str| f.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let error = |name: &str| f.errors.iter().find(|(n, _)| n == name).map(|(_, m)| m.clone());
    let input = |(name, kind): (&'static str, &'static str)| {
        let err = error(name);
        let invalid = err.is_some().to_string();
        let err_id = format!("{name}-err");
        // Dates may be written as people write them: say so.
        let hint = (name == "sought_birth").then(|| t(lang, "request.hint.sought_birth"));
        let described = if hint.is_some() { format!("{name}-hint {err_id}") } else { err_id.clone() };
        view! {
            <div class="field">
                <label for=name>{t(lang, &format!("request.field.{name}"))}</label>
                <input id=name name=name type=kind value=value(name) aria-invalid=invalid aria-describedby=described/>
                {hint.map(|h| view! { <small id=format!("{name}-hint") class="hint">{h}</small> })}
                {err.map(|m| view! { <small id=err_id class="error">{m}</small> })}
            </div>
        }
    };
    let summary = (!f.errors.is_empty()).then(|| {
        let items = f
            .errors
            .iter()
            .map(|(field, msg)| view! { <li><a href=format!("#{field}")>{t(lang, &format!("request.field.{field}"))}</a> ": " {msg.clone()}</li> })
            .collect_view();
        view! { <div class="notice error" role="alert"><p>{t(lang, "request.errors")}</p><ul>{items}</ul></div> }
    });
    let language = value("language");
    let lang_options = Lang::ALL
        .into_iter()
        .map(|l| {
            let selected = if language.is_empty() { l == lang } else { language == l.code() };
            view! { <option value=l.code() selected=selected>{l.native_name()}</option> }
        })
        .collect_view();
    let consent_err = error("consent");
    let body = view! {
        <h1>{t(lang, "request.title")}</h1>
        <p class="lead">{t(lang, "request.lead")}</p>
        {f.candidate_label.map(|c| view! { <p class="card">{t(lang, "request.from_hit")} " " <strong>{c}</strong></p> })}
        {summary}
        <form id=FORM_ID method="post" action="/request" enctype="multipart/form-data" class="request-form">
            <input type="hidden" name="idempotency_key" value=f.idempotency_key/>
            <input type="hidden" name="page_lang" value=lang.code()/>
            <input type="hidden" name="candidate" value=f.candidate/>
            <fieldset class="panel">
                <legend>{t(lang, "request.about_you")}</legend>
                <div class="form-grid">
                    {REQUESTER_FIELDS.into_iter().map(input).collect_view()}
                    <div class="field">
                        <label for="language">{t(lang, "request.field.language")}</label>
                        <select id="language" name="language">{lang_options}</select>
                    </div>
                </div>
                <p class="hint">{t(lang, "request.contact_hint")}</p>
            </fieldset>
            <fieldset class="panel">
                <legend>{t(lang, "request.about_them")}</legend>
                <div class="form-grid">{SOUGHT_FIELDS.into_iter().map(input).collect_view()}</div>
                <div class="field">
                    <label for="marks">{t(lang, "request.field.marks")}</label>
                    <textarea id="marks" name="marks" rows="3">{value("marks")}</textarea>
                </div>
                <div class="field">
                    <label for="free_text">{t(lang, "request.field.free_text")}</label>
                    <textarea id="free_text" name="free_text" rows="5">{value("free_text")}</textarea>
                </div>
                <div class="field">
                    <label for="photos">{t(lang, "request.field.photos")}</label>
                    <input id="photos" name="photos" type="file" accept="image/jpeg,image/png,image/webp" multiple/>
                    <small class="hint">{t(lang, "request.photos_hint")}</small>
                    {error("photos").map(|m| view! { <small class="error">{m}</small> })}
                    {kept_photos(lang, f.kept_photos)}
                </div>
            </fieldset>
            <div class="panel consent">
                <p>{t(lang, "request.consent_text")}</p>
                <label>
                    <input id="consent" type="checkbox" name="consent" value="yes" checked=f.consent/>
                    " " {t(lang, "request.field.consent")}
                </label>
                {consent_err.map(|m| view! { <small class="error">{m}</small> })}
            </div>
            <button type="submit" class="primary">{t(lang, "request.submit")}</button>
        </form>
    };
    frame(lang, demo, t(lang, "request.title"), lang_buttons(lang), body.into_any())
}

/// What the status page shows (built by the server from the requester view).
pub struct StatusView {
    pub reference: String,
    /// The secret, for the forms on this page (never shown elsewhere).
    pub token: String,
    pub state: &'static str,
    /// Just submitted: show the reference and say to keep the link.
    pub is_new: bool,
    pub link: String,
    /// (from staff, time as shown (UTC), text)
    pub messages: Vec<(bool, String, String)>,
    /// Photo URLs (thumbnail, full).
    pub photos: Vec<(String, String)>,
    /// (field key, value) of the released details.
    pub released: Option<Vec<(&'static str, String)>>,
    pub open: bool,
    pub notice: Option<String>,
}

pub fn status_page(lang: Lang, demo: bool, v: StatusView) -> String {
    let action = |what: &str| format!("/status/{}/{what}", v.reference);
    let token_field = || view! { <input type="hidden" name="t" value=v.token.clone()/> };
    let saved = v.is_new.then(|| {
        view! {
            <div class="notice ok" role="status">
                <p><strong>{tf(lang, "status.saved", &[("ref", &v.reference)])}</strong></p>
                <p>{t(lang, "status.keep_link")}</p>
                <p><code class="secret-link">{v.link.clone()}</code></p>
            </div>
        }
    });
    let messages = v
        .messages
        .into_iter()
        .map(|(staff, at, text)| {
            let who = if staff { t(lang, "status.from_moderator") } else { t(lang, "status.from_you") };
            view! {
                <li class=if staff { "msg staff" } else { "msg you" }>
                    <span class="meta">{who} " · " {at} " UTC"</span>
                    <p>{text}</p>
                </li>
            }
        })
        .collect_view();
    let photos = v
        .photos
        .into_iter()
        .map(|(thumb, full)| view! { <a href=full><img src=thumb alt=t(lang, "status.photo_alt") width="160"/></a> })
        .collect_view();
    let released = v.released.map(|fields| {
        view! {
            <section class="panel released">
                <h2>{t(lang, "status.released_title")}</h2>
                <table class="fields">
                    <tbody>
                        {fields
                            .into_iter()
                            .map(|(k, val)| view! { <tr><th scope="row">{t(lang, &format!("field.{k}"))}</th><td>{val}</td></tr> })
                            .collect_view()}
                    </tbody>
                </table>
                <p class="muted">{t(lang, "status.released_note")}</p>
            </section>
        }
    });
    let forms = v.open.then(|| {
        view! {
            <section class="panel">
                <h2>{t(lang, "status.write_title")}</h2>
                <form method="post" action=action("message")>
                    {token_field()}
                    <label for="body">{t(lang, "status.write_label")}</label>
                    <textarea id="body" name="body" rows="4" required></textarea>
                    <button type="submit" class="primary">{t(lang, "status.send")}</button>
                </form>
                <form method="post" action=action("photo") enctype="multipart/form-data">
                    {token_field()}
                    <label for="photo">{t(lang, "status.add_photo")}</label>
                    <input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp"/>
                    <button type="submit">{t(lang, "status.upload")}</button>
                </form>
                <form method="post" action=action("withdraw") class="withdraw">
                    {token_field()}
                    <button type="submit">{t(lang, "status.withdraw")}</button>
                    <small class="hint">{t(lang, "status.withdraw_hint")}</small>
                </form>
            </section>
        }
    });
    let self_path = format!("/status/{}?t={}", v.reference, v.token);
    let body = view! {
        <h1>{tf(lang, "status.title", &[("ref", &v.reference)])}</h1>
        {v.notice.map(|n| view! { <p class="notice ok" role="status">{n}</p> })}
        {saved}
        <section class="panel">
            <p class="state" id="state">
                <span class=format!("badge state-{}", v.state)>{t(lang, &format!("request.state.{}", v.state))}</span>
            </p>
            <p>{t(lang, &format!("request.state_help.{}", v.state))}</p>
        </section>
        {released}
        <section class="panel">
            <h2>{t(lang, "status.messages")}</h2>
            <ul class="messages">{messages}</ul>
            <div class="photos">{photos}</div>
        </section>
        {forms}
    };
    document(lang, demo, tf(lang, "status.title", &[("ref", &v.reference)]), &self_path, body.into_any())
}
