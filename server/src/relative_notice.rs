//! Tells the relative what their status page shows as new, on every
//! channel they gave: email through the outbox, the Telegram chat once the
//! bot knows it. A request with neither (a phone only) becomes "call back"
//! work in the moderators' queue, so the news still reaches a person.
//!
//! Messages never carry record details or a live status link at rest; the
//! Telegram sender adds a fresh link at send time where one is asked for.

use findkin_store::{email_addresses, requests};

use crate::store::Conn;

use crate::auth::sessions::hash_token;
use crate::notify::{self, Channel, Message};
use crate::requests::{random_token, RequestRow, RequestRowExt};
use crate::users::now;
use crate::workflow::State;
use crate::Error;
use findkin_app::i18n::{t, tf, Lang};

/// An unconfirmed address gets at most one notification in this many seconds.
const UNCONFIRMED_NOTICE_GAP: i64 = 24 * 60 * 60;

/// What there is to tell.
#[derive(Debug, Clone, Copy)]
pub enum News<'a> {
    /// The request is now in `state`, with the moderator's words, if any.
    State { state: State, words: Option<&'a str> },
    /// Re-matching raised a new candidate: only "there is news, a moderator
    /// is checking" — never who or what, since it may not be him.
    Candidate,
}

impl News<'_> {
    fn headline(&self, lang: Lang, reference: &str) -> String {
        match self {
            News::State { state, .. } => tf(
                lang,
                "notify.body",
                &[("ref", reference), ("state", &t(lang, &format!("request.state.{}", state.as_str())))],
            ),
            News::Candidate => tf(lang, "notify.news", &[("ref", reference)]),
        }
    }

    fn words(&self) -> Option<&str> {
        match self {
            News::State { words, .. } => *words,
            News::Candidate => None,
        }
    }
}

/// Tells the relative of `news` on each channel the request has; with none
/// (a phone, or a Telegram name the bot has never seen), marks the request
/// for a call back.
pub(crate) async fn tell(tx: &mut Conn, req: &RequestRow, news: News<'_>) -> Result<(), Error> {
    let lang = req.lang();
    if let Some(email) = &req.email {
        let notice = Notice { id: req.id, email, lang, reference: &req.reference, news, origin: None };
        queue_email(tx, notice).await?;
    }
    if let Some(chat) = req.telegram_chat_id {
        queue_telegram(tx, req, chat, news).await?;
    }
    if req.email.is_none() && req.telegram_chat_id.is_none() {
        requests::mark_for_call_back(tx, req.id).await?;
    }
    Ok(())
}

/// The chat is the relative's own (proven by Telegram), so it gets the
/// moderator's words; after a release, a fresh status link instead of any
/// detail ([`crate::telegram::courier::chat_notice`]).
async fn queue_telegram(tx: &mut Conn, req: &RequestRow, chat: i64, news: News<'_>) -> Result<(), Error> {
    let lang = req.lang();
    let (body, fresh_link) = match news {
        News::State { state, words } => crate::telegram::courier::chat_notice(lang, &req.reference, state, words),
        News::Candidate => {
            let news = tf(lang, "tg.notify.news", &[("ref", &req.reference)]);
            (format!("{news}\n\n{}", t(lang, "tg.notify.status_hint")), false)
        }
    };
    let m = Message {
        request_id: Some(req.id),
        channel: Channel::Telegram,
        recipient: chat.to_string(),
        subject: String::new(),
        body,
        fresh_link,
    };
    notify::enqueue(tx, &m, now()).await?;
    Ok(())
}

/// A notification about a request, before the address is checked.
pub(crate) struct Notice<'a> {
    pub id: i64,
    pub email: &'a str,
    pub lang: Lang,
    pub reference: &'a str,
    pub news: News<'a>,
    /// `scheme://host` of the submission, remembered for confirmation links.
    pub origin: Option<&'a str>,
}

/// Whether a notification goes to an address now.
enum Gate {
    /// Confirmed: every notification goes.
    Send,
    /// Unconfirmed, and nothing went there for a day: this one goes, with
    /// the confirmation link.
    Confirm(String),
    /// Unconfirmed, and one went there within a day: not sent.
    Skip,
}

/// Decides whether an address may be mailed now (see [`queue_notice`]) and
/// records the decision in the same transaction; with the `scheme://host`
/// the address last submitted from, for links.
async fn gate(tx: &mut Conn, email: &str, origin: Option<&str>, now: i64) -> Result<(Gate, String), Error> {
    let address = email.trim().to_lowercase();
    let known = email_addresses::remember(tx, &address, origin).await?;
    let origin = known.link_origin.unwrap_or_else(|| "http://localhost".into());
    if known.confirmed_at.is_some() {
        return Ok((Gate::Send, origin));
    }
    if known.last_notice_at.is_some_and(|at| now - at < UNCONFIRMED_NOTICE_GAP) {
        return Ok((Gate::Skip, origin));
    }
    let token = random_token();
    email_addresses::set_confirmation(tx, &address, &hash_token(&token), now).await?;
    Ok((Gate::Confirm(format!("{origin}/confirm/{token}")), origin))
}

/// Queues "your request has news" in the requester's language. The
/// message never carries details or the secret link: it only says to look.
///
/// Anyone can type any address into the form, so an address that has never
/// confirmed gets at most one notification a day; that one carries a
/// confirmation link (`/confirm/{token}`). Further notifications to it
/// within the day are *dropped*, not kept: the status page behind the
/// requester's secret link always shows the current state, so nothing is
/// lost, and a stranger's mailbox is not filled later either. Once
/// confirmed, every notification goes.
pub(crate) async fn queue_email(tx: &mut Conn, n: Notice<'_>) -> Result<(), Error> {
    let (lang, reference) = (n.lang, n.reference);
    let at = now();
    let (gate, origin) = gate(tx, n.email, n.origin, at).await?;
    let mut body = n.news.headline(lang, reference);
    // The moderator's words go only to an address that has confirmed it is
    // the relative's: anyone can type someone else's address into the form.
    match (n.news.words(), &gate) {
        (Some(words), Gate::Send) => {
            body.push_str("\n\n");
            body.push_str(&tf(lang, "notify.words", &[("text", words.trim())]));
        }
        (Some(_), _) => {
            body.push_str("\n\n");
            body.push_str(&t(lang, "notify.words_on_page"));
        }
        (None, _) => {}
    }
    body.push_str("\n\n");
    body.push_str(&tf(lang, "notify.lost_link", &[("link", &format!("{origin}/status/recover"))]));
    match gate {
        Gate::Send => {}
        Gate::Confirm(link) => {
            body.push_str("\n\n");
            body.push_str(&tf(lang, "notify.confirm", &[("link", &link)]));
        }
        Gate::Skip => return Ok(()),
    }
    let m = Message {
        request_id: Some(n.id),
        channel: Channel::Email,
        fresh_link: false,
        recipient: n.email.to_string(),
        subject: tf(lang, "notify.subject", &[("ref", reference)]),
        body,
    };
    notify::enqueue(tx, &m, at).await?;
    Ok(())
}
