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

/// One message of the conversation, as the status page shows it.
#[derive(Debug, Clone)]
pub struct StatusMessage {
    pub from_moderator: bool,
    /// When, in words ("13 мая 2026, 14:05", UTC).
    pub at: String,
    pub text: String,
}

/// What was released, ready to be said in sentences (dates already in words).
#[derive(Debug, Clone, Default)]
pub struct ReleaseView {
    /// The full name as the registry writes it.
    pub name: String,
    /// `captured`, `released`, `deceased`, `remains_repatriated` (or another code).
    pub status: String,
    pub status_date: Option<String>,
    pub status_place: Option<String>,
    /// (`field.*` key, value) of what else is known: birth, region, unit, rank.
    pub facts: Vec<(&'static str, String)>,
    /// When two moderators confirmed it, in words.
    pub confirmed_at: Option<String>,
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
    /// The conversation, oldest first.
    pub messages: Vec<StatusMessage>,
    /// Photo URLs (thumbnail, full).
    pub photos: Vec<(String, String)>,
    pub released: Option<ReleaseView>,
    /// Photos and withdrawal: only while the request is open.
    pub open: bool,
    /// Writing to the moderator: open or decided, not withdrawn.
    pub can_write: bool,
    pub notice: Option<String>,
    /// How to get this request's news in Telegram (a Telegram name was given
    /// on the form and no chat is linked yet), if the bot runs.
    pub telegram_hint: Option<String>,
    /// The language the visitor picked on this page (`?lang=`): its forms
    /// and links carry it, or the request's own language would come back.
    pub picked: Option<Lang>,
}

/// The status link's path, with the visitor's picked language if any.
pub fn status_path(reference: &str, token: &str, picked: Option<Lang>) -> String {
    let lang = picked.map(|l| format!("&lang={}", l.code())).unwrap_or_default();
    format!("/status/{reference}?t={token}{lang}")
}

/// The hidden fields that identify the request on a status form.
fn status_fields(token: &str, picked: Option<Lang>) -> impl IntoView {
    view! {
        <input type="hidden" name="t" value=token.to_string()/>
        {picked.map(|l| view! { <input type="hidden" name="lang" value=l.code()/> })}
    }
}

/// Record statuses the page can explain; anything else is said plainly.
const KNOWN_STATUSES: [&str; 4] = ["captured", "released", "deceased", "remains_repatriated"];

fn status_kind(status: &str) -> &'static str {
    KNOWN_STATUSES.into_iter().find(|s| *s == status).unwrap_or("other")
}

fn status_label(lang: Lang, status: &str) -> String {
    match status_kind(status) {
        "other" => status.to_string(),
        known => t(lang, &format!("status.{known}")),
    }
}

/// The released details for a person: condolences first where he died,
/// then a sentence, a short list with plain dates, and what it means.
fn release_section(lang: Lang, r: ReleaseView) -> impl IntoView {
    let kind = status_kind(&r.status);
    let grief = matches!(kind, "deceased" | "remains_repatriated");
    let label = status_label(lang, &r.status);
    let sentence = tf(lang, &format!("status.rel.is.{kind}"), &[("name", &r.name), ("status", &label)]);
    // The status itself is said in the sentence, not as a bare label.
    let mut items: Vec<(String, String)> =
        r.facts.into_iter().map(|(k, v)| (t(lang, &format!("field.{k}")), v)).collect();
    items.extend(r.status_date.map(|d| (t(lang, &format!("status.rel.date.{kind}")), d)));
    items.extend(r.status_place.map(|p| (t(lang, &format!("status.rel.place.{kind}")), p)));
    let items = items
        .into_iter()
        .map(|(k, v)| view! { <li><span class="label">{k} ": "</span><strong>{v}</strong></li> })
        .collect_view();
    view! {
        <section class=if grief { "panel released grief" } else { "panel released" } aria-labelledby="known">
            <h2 id="known">{t(lang, "status.rel.title")}</h2>
            {grief.then(|| view! { <p class="condolence">{t(lang, "status.rel.condolence")}</p> })}
            <p class="sentence">{sentence}</p>
            <ul class="facts">{items}</ul>
            <p>{t(lang, &format!("status.rel.means.{kind}"))}</p>
            {r.confirmed_at.map(|at| view! { <p class="muted">{tf(lang, "status.rel.when", &[("at", &at)])}</p> })}
            <p class="muted">{t(lang, "status.released_note")}</p>
        </section>
        <section class="panel next-steps">
            <h2>{t(lang, "status.next_steps.title")}</h2>
            <ul>
                <li><a href="#reply">{t(lang, "status.next_steps.ask")}</a></li>
                <li>{t(lang, "status.next_steps.official")}</li>
                <li>{t(lang, "status.next_steps.icrc")}</li>
            </ul>
        </section>
    }
}

/// States that end with the moderator's words to the relative: those words
/// come first on the page.
fn worded_state(state: &str) -> bool {
    matches!(state, "needs_info" | "released" | "closed_no_match" | "rejected")
}

fn message_item(lang: Lang, m: StatusMessage) -> impl IntoView {
    let who = if m.from_moderator { t(lang, "status.from_moderator") } else { t(lang, "status.from_you") };
    view! {
        <li class=if m.from_moderator { "msg staff" } else { "msg you" }>
            <span class="meta">{who} " · " {m.at}</span>
            <p class="text">{m.text}</p>
        </li>
    }
}

/// The recovery form's address, with the reference filled in when known.
fn recover_href(reference: Option<&str>) -> String {
    match reference {
        Some(r) if !r.is_empty() => format!("/status/recover?ref={r}"),
        _ => "/status/recover".into(),
    }
}

/// A line on every status page: how to get a new link.
fn lost_link_line(lang: Lang, reference: &str) -> impl IntoView {
    view! {
        <p class="lost-link">
            {t(lang, "status.lost_link.text")} " "
            <a href=recover_href(Some(reference))>{t(lang, "status.lost_link.action")}</a>
        </p>
    }
}

pub fn status_page(lang: Lang, demo: bool, v: StatusView) -> String {
    let action = |what: &str| format!("/status/{}/{what}", v.reference);
    let (token, picked, state) = (v.token.clone(), v.picked, v.state);
    let fields = || status_fields(&token, picked);
    let saved = v.is_new.then(|| {
        view! {
            <div class="notice ok" role="status">
                <p><strong>{tf(lang, "status.saved", &[("ref", &v.reference)])}</strong></p>
                <p>{t(lang, "status.keep_link_recover")}</p>
                <p><code class="secret-link">{v.link.clone()}</code></p>
            </div>
        }
    });
    let word = worded_state(state).then(|| v.messages.iter().rev().find(|m| m.from_moderator).cloned()).flatten();
    let word = word.map(|m| {
        view! {
            <section class="panel word" aria-labelledby="word">
                <h2 id="word">{t(lang, &format!("status.word.{state}"))}</h2>
                <p class="meta">{m.at}</p>
                <blockquote><p class="text">{m.text}</p></blockquote>
            </section>
        }
    });
    let conversation = if v.messages.is_empty() {
        view! { <p class="muted">{t(lang, "status.conversation_empty")}</p> }.into_any()
    } else {
        let items = v.messages.into_iter().map(|m| message_item(lang, m)).collect_view();
        view! { <ul class="messages">{items}</ul><p class="hint">{t(lang, "status.time_note")}</p> }.into_any()
    };
    let photos = v
        .photos
        .into_iter()
        .map(|(thumb, full)| view! { <a href=full><img src=thumb alt=t(lang, "status.photo_alt") width="160"/></a> })
        .collect_view();
    let reply = v.can_write.then(|| {
        let title = if state == "needs_info" { "status.reply.answer_title" } else { "status.reply.write_title" };
        let hint = if v.open { "status.reply.hint" } else { "status.reply.hint_decided" };
        view! {
            <section class="panel reply" id="reply">
                <h2>{t(lang, title)}</h2>
                <form method="post" action=action("message")>
                    {fields()}
                    <label for="body">{t(lang, "status.write_label")}</label>
                    <textarea id="body" name="body" rows="4" required></textarea>
                    <small class="hint">{t(lang, hint)}</small>
                    <button type="submit" class="primary">{t(lang, "status.send")}</button>
                </form>
            </section>
        }
    });
    let more = v.open.then(|| {
        view! {
            <section class="panel">
                <h2>{t(lang, "status.more_title")}</h2>
                <form method="post" action=action("photo") enctype="multipart/form-data">
                    {fields()}
                    <label for="photo">{t(lang, "status.add_photo")}</label>
                    <input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp"/>
                    <button type="submit">{t(lang, "status.upload")}</button>
                </form>
                <form method="post" action=action("withdraw") class="withdraw">
                    {fields()}
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
        {v.telegram_hint.map(|h| view! { <p class="notice telegram-hint">{h}</p> })}
        <section class=format!("panel now state-{state}") id="state">
            <h2>{t(lang, &format!("status.now.{state}"))}</h2>
            <p>{t(lang, &format!("status.next.{state}"))}</p>
            <p class="who"><strong>{t(lang, "status.who.label")}</strong> " " {t(lang, &format!("status.who.{state}"))}</p>
        </section>
        {word}
        {v.released.map(|r| release_section(lang, r))}
        <section class="panel conversation">
            <h2>{t(lang, "status.conversation")}</h2>
            {conversation}
            <div class="photos">{photos}</div>
        </section>
        {reply}
        {more}
        {lost_link_line(lang, &v.reference)}
    };
    document(lang, demo, tf(lang, "status.title", &[("ref", &v.reference)]), &self_path, body.into_any())
}

/// "Are you sure?" before a withdrawal: one tap must not end a search.
pub fn withdraw_confirm_page(lang: Lang, demo: bool, reference: &str, token: &str, picked: Option<Lang>) -> String {
    let title = tf(lang, "status.withdraw.confirm_title", &[("ref", reference)]);
    let body = view! {
        <section class="panel confirm">
            <h1>{title.clone()}</h1>
            <p class="lead">{t(lang, "status.withdraw.confirm_text")}</p>
            <form method="post" action=format!("/status/{reference}/withdraw")>
                {status_fields(token, picked)}
                <input type="hidden" name="confirm" value="yes"/>
                <button type="submit" class="danger">{t(lang, "status.withdraw.yes")}</button>
            </form>
            <p><a class="button" href=status_path(reference, token, picked)>{t(lang, "status.withdraw.no")}</a></p>
        </section>
    };
    document(lang, demo, title, &status_path(reference, token, None), body.into_any())
}

/// The lost-link form: the reference and a contact given in the request.
pub fn recover_page(lang: Lang, demo: bool, reference: &str, contact: &str, error: Option<String>) -> String {
    let invalid = error.is_some().to_string();
    let body = view! {
        <section class="panel recover">
            <h1>{t(lang, "status.recover.title")}</h1>
            <p class="lead">{t(lang, "status.recover.lead")}</p>
            {error.map(|e| view! { <p class="notice error" role="alert" id="recover-error">{e}</p> })}
            <form method="post" action="/status/recover">
                <div class="field">
                    <label for="reference">{t(lang, "status.recover.reference")}</label>
                    <input id="reference" name="reference" type="text" value=reference.to_string() required
                        autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="FK-XXXX-XXXX"
                        aria-invalid=invalid.clone() aria-describedby="reference-hint"/>
                    <small class="hint" id="reference-hint">{t(lang, "status.recover.reference_hint")}</small>
                </div>
                <div class="field">
                    <label for="contact">{t(lang, "status.recover.contact")}</label>
                    <input id="contact" name="contact" type="text" value=contact.to_string() required
                        autocomplete="email" aria-invalid=invalid/>
                </div>
                <button type="submit" class="primary">{t(lang, "status.recover.submit")}</button>
            </form>
            <p class="hint">{t(lang, "status.recover.only_email")} " "
                <a href="/request">{t(lang, "status.recover.new_request")}</a></p>
        </section>
    };
    document(lang, demo, t(lang, "status.recover.title"), "/status/recover", body.into_any())
}

/// The answer to a recovery: the same words whether or not anything was
/// sent, so the form tells nobody which references or contacts exist.
pub fn recover_sent_page(lang: Lang, demo: bool) -> String {
    let body = view! {
        <section class="panel recover" id="recover-sent">
            <h1>{t(lang, "status.recover.sent_title")}</h1>
            <p class="lead">{t(lang, "status.recover.sent")}</p>
            <p>{t(lang, "status.recover.sent_no_email")} " "
                <a href="/request">{t(lang, "status.recover.new_request")}</a></p>
            <p>{t(lang, "status.recover.again")} " "
                <a href="/status/recover">{t(lang, "status.recover.submit")}</a></p>
        </section>
    };
    document(lang, demo, t(lang, "status.recover.sent_title"), "/status/recover", body.into_any())
}

/// A recovery that must wait (sent moments ago, or too many tries).
pub fn recover_wait_page(lang: Lang, demo: bool, title_key: &str, text: String) -> String {
    let body = view! {
        <section class="panel recover limited">
            <h1>{t(lang, title_key)}</h1>
            <p class="lead">{text}</p>
            <p><a class="button" href="/status/recover">{t(lang, "status.recover.submit")}</a></p>
        </section>
    };
    document(lang, demo, t(lang, title_key), "/status/recover", body.into_any())
}

/// A status link that opens nothing: why that happens and the ways on —
/// a new link (the form filled with the reference of the link), or a new
/// request. Never says whether the reference exists.
pub fn link_not_found_page(lang: Lang, demo: bool, reference: &str) -> String {
    let self_path = format!("/status/{reference}");
    let body = view! {
        <section class="panel gone">
            <h1>{t(lang, "status.gone.title")}</h1>
            <p>{t(lang, "status.gone.why")}</p>
            <ul>
                <li>{t(lang, "status.gone.typo")}</li>
                <li>{t(lang, "status.gone.replaced")}</li>
            </ul>
            <p><a class="button primary" href=recover_href(Some(reference))>{t(lang, "status.lost_link.action")}</a></p>
            <p>{t(lang, "status.gone.new")} " " <a href="/request">{t(lang, "status.recover.new_request")}</a></p>
        </section>
    };
    document(lang, demo, t(lang, "status.gone.title"), &self_path, body.into_any())
}

/// A short public message (an address confirmed, a photo refused) in the
/// frame of the relative's pages, with a way back.
pub fn notice_page(lang: Lang, demo: bool, title_key: &str, text: String, back: Option<&str>) -> String {
    let body = view! {
        <section class="panel">
            <h1>{t(lang, title_key)}</h1>
            <p class="lead">{text}</p>
            {back.map(|b| view! { <p><a class="button" href=b.to_string()>{t(lang, "status.limited.back")}</a></p> })}
        </section>
    };
    document(lang, demo, t(lang, title_key), back.unwrap_or("/"), body.into_any())
}
