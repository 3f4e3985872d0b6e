//! What the bot does with each update: commands, the search, the
//! questionnaire, photos, answers to moderators' questions, and buttons.
//!
//! Updates are handled one at a time, in order (long polling, or the
//! webhook's queue), so two taps on "send" never race; the questionnaire's
//! idempotency key makes a repeated one harmless anyway.

use std::sync::Arc;
use std::time::Duration;

use findkin_app::backend::{PublicHit, SearchProblem};
use findkin_app::i18n::{t, tf, Lang};

use super::api::{Api, Button, CallbackQuery, Keyboard, Message, Update, User, MAX_DOWNLOAD_BYTES};
use super::dialog::{Dialog, Field, Input, Outcome};

type ChatRow = super::store::ChatRow<Dialog>;
use super::{lang_of_code, TelegramError};
use crate::backend::{public_search, PublicSearchError};
use crate::http::client_ip::ClientKey;
use crate::http::public_url::PublicUrl;
use crate::http::search_guard::Budget;
use crate::http::Submissions;
use crate::photos::{clean, Limits};
use crate::registry::Registry;
use crate::requests::{Admission, By, StepData, Submitted, MAX_PHOTOS};
use crate::workflow::{State, Step};

/// Photos decoded at once by the bot (each may take the decoder's memory limit).
static PHOTO_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The bot and what it shares with the web site: the registry, the same
/// search and submission budgets, the public address for links.
pub struct Bot {
    pub api: Api,
    pub registry: Arc<Registry>,
    pub search_budget: Option<Arc<Budget>>,
    pub submissions: Submissions,
    pub public_url: PublicUrl,
}

/// One chat's update being handled.
struct Ctx<'a> {
    chat: i64,
    user: &'a User,
    lang: Lang,
    row: ChatRow,
}

type Result<T> = std::result::Result<T, TelegramError>;

fn minutes(wait: Duration) -> String {
    wait.as_secs().div_ceil(60).max(1).to_string()
}

fn cancel_row(lang: Lang) -> Vec<Button> {
    vec![Button::new(t(lang, "tg.button.cancel"), "cancel")]
}

/// The same line the web shows for a hit: name, birth year, region.
fn hit_line(lang: Lang, h: &PublicHit) -> String {
    let mut line = [h.surname.as_str(), h.given_name.as_str(), h.patronymic.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(y) = h.birth_year {
        line.push_str(", ");
        line.push_str(&tf(lang, "search.hit.born", &[("year", &y.to_string())]));
    }
    if let Some(r) = h.region.as_deref().filter(|r| !r.is_empty()) {
        line.push_str(", ");
        line.push_str(r);
    }
    line
}

/// A trailing four-digit year is the birth year, as the web form's own field.
fn split_year(text: &str) -> (String, Option<u16>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    if let Some((last, rest)) = words.split_last() {
        if last.len() == 4 && last.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty() {
            return (rest.join(" "), last.parse().ok());
        }
    }
    (text.trim().to_string(), None)
}

fn problem_key(p: SearchProblem) -> &'static str {
    match p {
        SearchProblem::EmptyQuery => "search.error.empty",
        SearchProblem::QueryTooLong => "search.error.too_long",
        SearchProblem::TooManyWords => "search.error.too_many_words",
        SearchProblem::BadBirthYear => "search.error.birth_year",
        SearchProblem::NeedsMore => "search.error.needs_more",
        _ => "search.error.unavailable",
    }
}

impl Bot {
    fn store(&self) -> &crate::store::Store {
        &self.registry.store
    }

    async fn say(&self, chat: i64, text: &str, keyboard: Option<Keyboard>) -> Result<()> {
        self.api.send_message(chat, text, keyboard.as_ref()).await
    }

    /// Handles one update; a failure is logged (no names, no texts) and the
    /// bot goes on with the next.
    pub async fn handle(&self, update: Update) {
        let kind = if update.message.is_some() { "message" } else { "callback" };
        let done = match (update.message, update.callback_query) {
            (Some(m), _) => self.on_message(m).await,
            (None, Some(q)) => self.on_callback(q).await,
            _ => Ok(()),
        };
        if let Err(error) = done {
            tracing::warn!(update_id = update.update_id, kind, %error, "telegram update not handled");
        }
    }

    async fn ctx<'a>(&self, chat: i64, user: &'a User) -> Result<Ctx<'a>> {
        let from_telegram = lang_of_code(user.language_code.as_deref());
        let store = self.store();
        let mut row = store.tg_chat(chat, from_telegram.code()).await?;
        if !row.language_set && row.language != from_telegram.code() {
            store.tg_set_language(chat, from_telegram.code(), false).await?;
            row.language = from_telegram.code().to_string();
        }
        let lang = Lang::from_code(&row.language).unwrap_or(from_telegram);
        Ok(Ctx { chat, user, lang, row })
    }

    async fn on_message(&self, m: Message) -> Result<()> {
        // Only one-to-one chats: a group would show one relative's news to others.
        if m.chat.kind.as_deref().is_some_and(|k| k != "private") {
            return Ok(());
        }
        let Some(user) = m.from.clone() else { return Ok(()) };
        let cx = self.ctx(m.chat.id, &user).await?;
        if m.photo.is_some() || m.document.is_some() {
            return self.on_photo(cx, &m).await;
        }
        let Some(text) = m.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(()) };
        if let Some(command) = text.strip_prefix('/') {
            let (name, arg) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
            // `/status@findkin_bot` in clients that name the bot.
            let name = name.split('@').next().unwrap_or_default().to_ascii_lowercase();
            return self.on_command(cx, &name, arg.trim()).await;
        }
        if cx.row.dialog.as_ref().is_some_and(Dialog::active) {
            return self.dialog_step(cx, Input::Text(text)).await;
        }
        let waiting: Vec<_> =
            self.store().tg_chat_requests(cx.chat).await?.into_iter().filter(|r| r.state == State::NeedsInfo).collect();
        match waiting.as_slice() {
            [] => self.search(&cx, text).await,
            [one] => self.answer(&cx, one.id, text).await,
            several => {
                self.store().tg_set_pending_answer(cx.chat, Some(text)).await?;
                let rows: Keyboard =
                    several.iter().map(|r| vec![Button::new(r.reference.clone(), format!("ans:{}", r.id))]).collect();
                self.say(cx.chat, &t(cx.lang, "tg.answer.which"), Some(rows)).await
            }
        }
    }

    /// `/start REF` (the status page's instruction, or a t.me deep link): a
    /// request sent on the web with this user's @username as its Telegram
    /// contact now gets its news in this chat. Both must hold: the sender
    /// is the account named on the form (Telegram vouches for the
    /// username), and knows the request's reference.
    async fn link_request(&self, cx: &Ctx<'_>, reference: &str) -> Result<()> {
        let lang = cx.lang;
        let Some(username) = cx.user.username.as_deref() else {
            return self.say(cx.chat, &t(lang, "tg.link.no_username"), None).await;
        };
        let text = match self.store().tg_link_web_request(reference, username, cx.chat).await? {
            Some(reference) => tf(lang, "tg.link.done", &[("ref", &reference)]),
            None => t(lang, "tg.link.unknown"),
        };
        self.say(cx.chat, &text, None).await
    }

    async fn on_command(&self, cx: Ctx<'_>, name: &str, arg: &str) -> Result<()> {
        let lang = cx.lang;
        match name {
            "start" | "link" if !arg.is_empty() => self.link_request(&cx, arg).await,
            "start" | "help" => {
                self.say(cx.chat, &format!("{}\n\n{}", t(lang, "tg.start"), t(lang, "tg.help")), None).await
            }
            "lang" => {
                let row: Vec<Button> = Lang::ALL
                    .iter()
                    .map(|l| Button::new(t(*l, "tg.lang.name"), format!("lang:{}", l.code())))
                    .collect();
                self.say(cx.chat, &t(lang, "tg.lang.choose"), Some(vec![row])).await
            }
            "search" if !arg.is_empty() => self.search(&cx, arg).await,
            "search" => self.say(cx.chat, &t(lang, "tg.search.how"), None).await,
            "request" => self.start_dialog(&cx, None).await,
            "cancel" => self.cancel(&cx).await,
            "status" => self.status(&cx).await,
            "stop" => {
                self.store().tg_forget_chat(cx.chat).await?;
                self.say(cx.chat, &t(lang, "tg.stop.done"), None).await
            }
            "staff" => {
                let linked = if arg.is_empty() { None } else { self.store().tg_link_staff(arg, cx.chat).await? };
                let text = match linked {
                    Some(name) => tf(lang, "tg.staff.linked", &[("name", &name)]),
                    None => t(lang, "tg.staff.unknown"),
                };
                self.say(cx.chat, &text, None).await
            }
            _ => self.say(cx.chat, &t(lang, "tg.help"), None).await,
        }
    }

    async fn on_callback(&self, q: CallbackQuery) -> Result<()> {
        // Stop the button's spinner whatever happens next.
        let _ = self.api.answer_callback_query(&q.id).await;
        let Some(chat) = q.message.as_ref().map(|m| m.chat.clone()) else { return Ok(()) };
        if chat.kind.as_deref().is_some_and(|k| k != "private") {
            return Ok(());
        }
        let cx = self.ctx(chat.id, &q.from).await?;
        let data = q.data.as_deref().unwrap_or_default();
        let (what, arg) = data.split_once(':').unwrap_or((data, ""));
        match what {
            "hit" => self.start_dialog(&cx, Some(arg)).await,
            "new" => self.start_dialog(&cx, None).await,
            "skip" => self.dialog_step(cx, Input::Skip).await,
            "done" => self.dialog_step(cx, Input::Done).await,
            "send" => match arg.parse() {
                Ok(id) => self.dialog_step(cx, Input::Send(id)).await,
                Err(_) => Ok(()),
            },
            "cancel" => self.cancel(&cx).await,
            "lang" => {
                let Some(to) = Lang::from_code(arg) else { return Ok(()) };
                self.store().tg_set_language(cx.chat, to.code(), true).await?;
                self.say(cx.chat, &format!("{}\n\n{}", t(to, "tg.lang.done"), t(to, "tg.help")), None).await
            }
            "ans" => {
                let Some(text) = cx.row.pending_answer.clone() else {
                    return self.say(cx.chat, &t(cx.lang, "tg.answer.again"), None).await;
                };
                let id: i64 = arg.parse().unwrap_or(0);
                if !self.store().tg_chat_requests(cx.chat).await?.iter().any(|r| r.id == id) {
                    return Ok(());
                }
                self.store().tg_set_pending_answer(cx.chat, None).await?;
                self.answer(&cx, id, &text).await
            }
            _ => Ok(()),
        }
    }

    // ------------------------------------------------------------ search

    async fn search(&self, cx: &Ctx<'_>, text: &str) -> Result<()> {
        let lang = cx.lang;
        if let Some(b) = &self.search_budget {
            if b.check(ClientKey::telegram(cx.user.id)).is_err() {
                crate::metrics::rate_limited("search_telegram");
                return self.say(cx.chat, &t(lang, "search.error.rate_limited"), None).await;
            }
        }
        let (query, year) = split_year(text);
        let hits = match public_search(&self.registry, &query, year).await {
            Ok(found) => found.hits,
            Err(PublicSearchError::Refused(p)) => {
                let keyboard = (p == SearchProblem::NeedsMore)
                    .then(|| vec![vec![Button::new(t(lang, "search.request_button"), "new")]]);
                let mut text = t(lang, problem_key(p));
                if keyboard.is_some() {
                    text = format!("{text}\n\n{}", t(lang, "search.needs_more.request"));
                }
                return self.say(cx.chat, &text, keyboard).await;
            }
            Err(PublicSearchError::Failed(e)) => {
                tracing::error!(error = %e, "public search failed (telegram)");
                return self.say(cx.chat, &t(lang, "search.error.unavailable"), None).await;
            }
        };
        if hits.is_empty() {
            let text = format!("{}\n\n{}", t(lang, "search.none.title"), t(lang, "search.none.text"));
            let keyboard = vec![vec![Button::new(t(lang, "search.none.request"), "new")]];
            return self.say(cx.chat, &text, Some(keyboard)).await;
        }
        let mut text = tf(lang, "search.count", &[("n", &hits.len().to_string())]);
        let mut keyboard: Keyboard = Vec::new();
        for (i, h) in hits.iter().take(10).enumerate() {
            text.push_str(&format!("\n{}. {}", i + 1, hit_line(lang, h)));
            if let Some(c) = &h.candidate {
                keyboard.push(vec![Button::new(
                    format!("{}. {}", i + 1, t(lang, "search.hit.request")),
                    format!("hit:{c}"),
                )]);
            }
        }
        text.push_str(&format!("\n\n{}\n\n{}", t(lang, "search.hits.note"), t(lang, "search.not_listed")));
        keyboard.push(vec![Button::new(t(lang, "search.request_button"), "new")]);
        self.say(cx.chat, &text, Some(keyboard)).await
    }

    // ------------------------------------------------------- questionnaire

    async fn start_dialog(&self, cx: &Ctx<'_>, candidate: Option<&str>) -> Result<()> {
        let hit = match candidate.filter(|c| !c.is_empty() && c.len() <= 64) {
            Some(c) => self.store().record_by_public_ref(c).await?.map(|r| (c.to_string(), r)),
            None => None,
        };
        let lines = hit.as_ref().map(|(c, r)| {
            let (name, line) = crate::backend::public_line(r);
            (c.clone(), name, line)
        });
        let id = self.store().tg_next_dialog_id(cx.chat).await?;
        let username = cx.user.username.as_deref();
        let dialog = Dialog::start(
            id,
            cx.lang.code(),
            username,
            lines.as_ref().map(|(c, n, l)| (c.as_str(), n.as_str(), l.as_str())),
        );
        self.store().tg_save_dialog(cx.chat, Some(&dialog)).await?;
        let mut intro = t(cx.lang, "tg.request.intro");
        if let Some(label) = &dialog.candidate_label {
            intro.push_str("\n\n");
            intro.push_str(&tf(cx.lang, "tg.request.candidate", &[("line", label)]));
        }
        self.say(cx.chat, &intro, None).await?;
        self.ask(cx.chat, cx.lang, &dialog).await
    }

    async fn cancel(&self, cx: &Ctx<'_>) -> Result<()> {
        let active = cx.row.dialog.as_ref().is_some_and(Dialog::active);
        if active {
            self.store().tg_save_dialog::<Dialog>(cx.chat, None).await?;
        }
        let key = if active { "tg.request.cancelled" } else { "tg.request.nothing" };
        self.say(cx.chat, &t(cx.lang, key), None).await
    }

    /// The current question, with "skip" when it may be left out.
    async fn ask(&self, chat: i64, lang: Lang, d: &Dialog) -> Result<()> {
        if d.at == Field::Confirm {
            return self.summary(chat, lang, d).await;
        }
        let mut text = t(lang, &format!("tg.ask.{}", d.at.name()));
        let mut row = Vec::new();
        if d.at == Field::Photos {
            if d.photos > 0 {
                text =
                    tf(lang, "tg.ask.photos_more", &[("n", &d.photos.to_string()), ("max", &MAX_PHOTOS.to_string())]);
            }
            row.push(Button::new(t(lang, if d.photos > 0 { "tg.button.done" } else { "tg.button.no_photos" }), "done"));
        } else if d.at.optional() {
            row.push(Button::new(t(lang, "tg.button.skip"), "skip"));
        }
        row.extend(cancel_row(lang));
        self.say(chat, &text, Some(vec![row])).await
    }

    async fn summary(&self, chat: i64, lang: Lang, d: &Dialog) -> Result<()> {
        let mut text = t(lang, "tg.summary.title");
        if let Some(label) = &d.candidate_label {
            text.push_str(&format!("\n{}", tf(lang, "tg.request.candidate", &[("line", label)])));
        }
        for (field, value) in d.answers() {
            text.push_str(&format!("\n• {}: {value}", t(lang, &format!("request.field.{field}"))));
        }
        text.push_str(&format!("\n• {}", tf(lang, "tg.summary.photos", &[("n", &d.photos.to_string())])));
        text.push_str(&format!("\n\n{}", t(lang, "tg.summary.consent")));
        let row = vec![Button::new(t(lang, "tg.button.send"), format!("send:{}", d.id))];
        self.say(chat, &text, Some(vec![row, cancel_row(lang)])).await
    }

    async fn dialog_step(&self, cx: Ctx<'_>, input: Input<'_>) -> Result<()> {
        let lang = cx.lang;
        let Some(mut d) = cx.row.dialog.clone() else {
            return self.say(cx.chat, &t(lang, "tg.request.nothing"), None).await;
        };
        if !d.active() && !matches!(input, Input::Send(_)) {
            return self.say(cx.chat, &t(lang, "tg.request.nothing"), None).await;
        }
        match d.step(input) {
            Outcome::Ask(_) | Outcome::Summary => {
                self.store().tg_save_dialog(cx.chat, Some(&d)).await?;
                self.ask(cx.chat, lang, &d).await
            }
            Outcome::Invalid { field, key } => {
                self.store().tg_save_dialog(cx.chat, Some(&d)).await?;
                let label = t(lang, &format!("request.field.{}", field.name()));
                let text = tf(lang, "tg.invalid", &[("field", &label), ("problem", &t(lang, key))]);
                self.say(cx.chat, &text, None).await?;
                self.ask(cx.chat, lang, &d).await
            }
            Outcome::Repeat(_) => self.ask(cx.chat, lang, &d).await,
            Outcome::AlreadySent(reference) => {
                let link = match self.store().tg_request_by_key(&d.key(cx.chat)).await? {
                    Some(id) => self.fresh_link(id).await?,
                    None => None,
                };
                let text = tf(lang, "tg.request.already", &[("ref", &reference), ("link", &link.unwrap_or_default())]);
                self.say(cx.chat, &text, None).await
            }
            Outcome::Submit(input) => self.submit(cx, d, *input).await,
        }
    }

    async fn submit(&self, cx: Ctx<'_>, mut d: Dialog, input: crate::requests::RequestInput) -> Result<()> {
        let lang = cx.lang;
        let store = self.store();
        let key = d.key(cx.chat);
        let photos = store.kept_clean_photos(&key).await?;
        let origin = self.public_url.origin().to_string();
        let user = ClientKey::telegram(cx.user.id);
        let charge = self.submissions.requests.as_deref().map(|b| (b, user));
        let admit = Admission { origin: &origin, charge, photo_budget: self.submissions.photo_storage_bytes };
        let text = match store.submit_request(&input, &photos, Some(&key), &admit).await? {
            Submitted::Created { id, reference, token } | Submitted::Repeated { id, reference, token } => {
                store.tg_link_request(id, cx.chat).await?;
                d.sent(&reference);
                store.tg_save_dialog(cx.chat, Some(&d)).await?;
                let link = self.public_url.link(&format!("/status/{reference}?t={token}"));
                tf(lang, "tg.request.sent", &[("ref", &reference), ("link", &link)])
            }
            Submitted::Limited(wait) => {
                crate::metrics::rate_limited("submit_telegram");
                tf(lang, "request.error.rate_limited", &[("minutes", &minutes(wait))])
            }
            Submitted::NoPhotoSpace => t(lang, "request.error.photo_space"),
            Submitted::KeyReused => {
                // Cannot happen for a questionnaire (its answers are fixed once
                // sent); start over rather than guess.
                store.tg_save_dialog::<Dialog>(cx.chat, None).await?;
                t(lang, "request.error.key_reused")
            }
        };
        self.say(cx.chat, &text, None).await
    }

    async fn on_photo(&self, cx: Ctx<'_>, m: &Message) -> Result<()> {
        let lang = cx.lang;
        let Some(d) = cx.row.dialog.clone().filter(|d| d.active() && d.at == Field::Photos) else {
            return self.say(cx.chat, &t(lang, "tg.photo.not_now"), None).await;
        };
        let file_id = match (&m.photo, &m.document) {
            // Telegram sends several sizes: the largest is the original.
            (Some(sizes), _) => {
                sizes.iter().max_by_key(|p| u64::from(p.width) * u64::from(p.height)).map(|p| p.file_id.clone())
            }
            (None, Some(doc)) => Some(doc.file_id.clone()),
            _ => None,
        };
        let Some(file_id) = file_id else { return Ok(()) };
        if let Some(b) = &self.submissions.photos {
            if let Err(wait) = b.charge(self.store(), ClientKey::telegram(cx.user.id), 1).await? {
                crate::metrics::rate_limited("photo_telegram");
                let text = tf(lang, "request.error.photo_rate", &[("minutes", &minutes(wait))]);
                return self.say(cx.chat, &text, None).await;
            }
        }
        let limits = Limits::default();
        let bytes = match self.api.download(&file_id, limits.max_bytes.min(MAX_DOWNLOAD_BYTES)).await {
            Ok(b) => b,
            Err(TelegramError::Http(e)) if e.contains("too large") => {
                let text = tf(lang, "tg.photo.refused", &[("problem", &t(lang, "request.error.photo_size"))]);
                return self.say(cx.chat, &text, None).await;
            }
            Err(e) => return Err(e),
        };
        let cleaned = {
            let _slot = PHOTO_SLOTS.acquire().await.map_err(|_| TelegramError::Http("photo slots closed".into()))?;
            clean(bytes, limits).await
        };
        let photo = match cleaned {
            Ok(p) => p,
            Err(e) => {
                let text = tf(lang, "tg.photo.refused", &[("problem", &e.in_words(lang))]);
                return self.say(cx.chat, &text, None).await;
            }
        };
        let name = format!("telegram-{}.jpg", d.photos + 1);
        let kept =
            self.store().keep_photos(&d.key(cx.chat), &[(name, photo)], self.submissions.photo_storage_bytes).await?;
        if kept.is_none() {
            return self.say(cx.chat, &t(lang, "request.error.photo_space"), None).await;
        }
        self.say(cx.chat, &t(lang, "tg.photo.kept"), None).await?;
        self.dialog_step(cx, Input::PhotoKept).await
    }

    // ----------------------------------------------------- after sending

    async fn fresh_link(&self, request_id: i64) -> Result<Option<String>> {
        let minted = crate::notify::mint_status_token(&self.store().pool, request_id)
            .await
            .map_err(|e| TelegramError::Http(e.to_string()))?;
        Ok(minted.map(|(reference, token, _)| self.public_url.link(&format!("/status/{reference}?t={token}"))))
    }

    /// The relative's typed answer to a moderator's question: exactly what
    /// the status page's message form does.
    async fn answer(&self, cx: &Ctx<'_>, request_id: i64, text: &str) -> Result<()> {
        let lang = cx.lang;
        if let Some(b) = &self.submissions.messages {
            if let Err(wait) = b.charge(self.store(), ClientKey::telegram(cx.user.id), 1).await? {
                crate::metrics::rate_limited("message_telegram");
                let text = tf(lang, "status.error.message_rate", &[("minutes", &minutes(wait))]);
                return self.say(cx.chat, &text, None).await;
            }
        }
        let data = StepData { message: Some(text.to_string()), ..StepData::default() };
        let done = self.store().apply_step(request_id, &Step::RequesterAddsInfo, By::Requester, data).await?;
        let key = if done.is_ok() { "tg.answer.sent" } else { "tg.answer.closed" };
        self.say(cx.chat, &t(lang, key), None).await
    }

    async fn status(&self, cx: &Ctx<'_>) -> Result<()> {
        let lang = cx.lang;
        let requests = self.store().tg_chat_requests(cx.chat).await?;
        if requests.is_empty() {
            return self.say(cx.chat, &t(lang, "tg.status.none"), None).await;
        }
        let mut text = t(lang, "tg.status.title");
        for r in &requests {
            let state = t(lang, &format!("request.state.{}", r.state.as_str()));
            let link = self.fresh_link(r.id).await?.unwrap_or_default();
            text.push_str(&format!("\n\n{} — {state}\n{link}", r.reference));
        }
        self.say(cx.chat, &text, None).await
    }

    // ------------------------------------------------------------- running

    /// Long polling: getUpdates in a loop, each update handled in order and
    /// its offset stored, so a restart neither loses nor repeats one.
    pub async fn poll(self: Arc<Self>, timeout_secs: u64) {
        if let Err(error) = self.api.delete_webhook().await {
            tracing::warn!(%error, "telegram: could not remove a webhook; polling anyway");
        }
        let mut pause = Duration::from_secs(1);
        loop {
            let offset = match self.store().tg_offset().await {
                Ok(o) => o,
                Err(error) => {
                    tracing::error!(%error, "telegram: cannot read the update offset");
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            match self.api.get_updates(offset, timeout_secs).await {
                Ok(updates) => {
                    pause = Duration::from_secs(1);
                    for u in updates {
                        let next = u.update_id + 1;
                        self.handle(u).await;
                        if let Err(error) = self.store().tg_set_offset(next).await {
                            tracing::error!(%error, "telegram: cannot store the update offset");
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "telegram: getUpdates failed; will retry");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    /// Webhook mode: updates arrive from the HTTP route through `rx`.
    pub async fn serve_queue(self: Arc<Self>, mut rx: tokio::sync::mpsc::Receiver<Update>) {
        while let Some(u) = rx.recv().await {
            self.handle(u).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_year_is_the_birth_year() {
        assert_eq!(split_year("Иванов Сергей 1990"), ("Иванов Сергей".into(), Some(1990)));
        assert_eq!(split_year("Иванов Сергей"), ("Иванов Сергей".into(), None));
        assert_eq!(split_year("1990"), ("1990".into(), None));
    }

    #[test]
    fn the_hit_line_is_the_webs() {
        let h = PublicHit {
            surname: "Лаврентьев".into(),
            given_name: "Остап".into(),
            patronymic: "Ильич".into(),
            birth_year: Some(1990),
            region: Some("Тульская область".into()),
            candidate: Some("abc".into()),
        };
        assert_eq!(hit_line(Lang::En, &h), "Лаврентьев Остап Ильич, born 1990, Тульская область");
    }
}
