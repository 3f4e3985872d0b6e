//! Contact requests in the database: idempotent creation, the workflow's
//! transitions (each an event, an audit row and, where the requester can
//! see it, a queued notification — all in one transaction), messages,
//! photos, the moderation queue, and what a requester may see.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Conn, Writer};
use findkin_store::requests;

use crate::auth::sessions::hash_token;
use crate::auth::StaffUser;
use crate::notify::{self, Message};
use crate::photos::CleanPhoto;
use crate::relative_notice::{self, News, Notice};
use crate::staff_alerts::{self, AlertKind};
use crate::store::Store;
use crate::users::now;
use crate::workflow::{apply, next, Actor, Facts, Refusal, State, Step};
use crate::Error;
use findkin_app::i18n::{tf, Lang};

pub use findkin_store::photos::{MAX_PHOTOS, MAX_REQUEST_PHOTO_BYTES};

/// Seconds between two lost-link recoveries of one request: a stranger who
/// knows the reference and address cannot fill that mailbox.
pub const RECOVERY_GAP: i64 = 5 * 60;

/// The outcome of a lost-link recovery. The relative is told the same in
/// every case but `TooSoon`, so the form does not reveal which references
/// exist or which contact they carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// A new link went to the request's email address; old links are revoked.
    Sent,
    /// No request with that reference and contact.
    NoMatch,
    /// The request has no email address to send a link to.
    NoChannel,
    /// A link was sent within [`RECOVERY_GAP`].
    TooSoon,
}

pub use findkin_store::requests::{
    HeldClaim, QueueFilter, QueueSummary, QueueView, ReleasedDetails, RequestEvent, RequestRow, StateCount, QUEUE_PAGE,
    SELECT,
};
pub use findkin_store::telegram::telegram_handle;

/// What the server reads from a stored request beyond its fields.
pub trait RequestRowExt {
    /// The request's language.
    fn lang(&self) -> Lang;
    /// The person sought, as the name engine reads it.
    fn sought(&self) -> crate::candidates::Sought<'_>;
    /// What the workflow needs to know.
    fn facts(&self) -> Facts;
}

impl RequestRowExt for RequestRow {
    fn lang(&self) -> Lang {
        Lang::from_code(&self.language).unwrap_or_default()
    }

    fn sought(&self) -> crate::candidates::Sought<'_> {
        crate::candidates::Sought {
            name: &self.sought_name,
            birth: self.sought_birth.as_deref(),
            region: self.sought_region.as_deref(),
            unit: self.sought_unit.as_deref(),
        }
    }

    fn facts(&self) -> Facts {
        Facts {
            state: self.state,
            claimed_by: self.claimed_by,
            proposed_by: self.proposed_by,
            reply_pending: self.reply_pending,
        }
    }
}

/// Whether `given` is one of the contacts the request was sent with:
/// email case-insensitively, phone by its digits, Telegram without `@`.
fn contact_matches(req: &RequestRow, given: &str) -> bool {
    let given = given.trim();
    if given.is_empty() {
        return false;
    }
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    let handle = telegram_handle;
    req.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(given))
        || req.phone.as_deref().is_some_and(|p| digits(p).len() >= 7 && digits(p) == digits(given))
        || req.telegram.as_deref().is_some_and(|t| !handle(t).is_empty() && handle(t) == handle(given))
}

/// What a requester submits (form or API), before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(default)]
pub struct RequestInput {
    pub language: String,
    pub requester_name: String,
    pub relationship: String,
    pub email: String,
    pub phone: String,
    pub telegram: String,
    pub sought_name: String,
    pub sought_birth: String,
    pub sought_birth_place: String,
    pub sought_region: String,
    pub sought_unit: String,
    pub marks: String,
    pub free_text: String,
    /// Opaque reference of a public search hit ("this may be him").
    pub candidate: String,
    pub consent: bool,
}

/// A problem with one field: the field and a translation key.
pub type FieldError = (&'static str, &'static str);

fn bounded(v: &str, max: usize) -> bool {
    v.chars().count() <= max && !v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// Whether the part after `@` is a domain with a dot (`mail.ru`, not
/// `mail`): valid by the RFC, `olga@mail` is a typo that no answer reaches.
fn has_dotted_domain(email: &str) -> bool {
    email.rsplit_once('@').is_some_and(|(_, d)| d.split('.').count() >= 2 && d.split('.').all(|l| !l.is_empty()))
}

/// Checks a submission; every problem is reported with its field.
pub fn validate(i: &RequestInput) -> Vec<FieldError> {
    let mut e = Vec::new();
    if i.requester_name.trim().is_empty() || !bounded(&i.requester_name, 200) {
        e.push(("requester_name", "request.error.requester_name"));
    }
    if i.relationship.trim().is_empty() || !bounded(&i.relationship, 100) {
        e.push(("relationship", "request.error.relationship"));
    }
    let email = i.email.trim();
    if !email.is_empty() && (!bounded(email, 200) || email.parse::<lettre::Address>().is_err()) {
        e.push(("email", "request.error.email"));
    } else if !email.is_empty() && !has_dotted_domain(email) {
        e.push(("email", "request.error.email_domain"));
    }
    let phone = i.phone.trim();
    if !phone.is_empty()
        && (phone.chars().filter(char::is_ascii_digit).count() < 7
            || !phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
            || phone.len() > 30)
    {
        e.push(("phone", "request.error.phone"));
    }
    let tg = i.telegram.trim().trim_start_matches('@');
    if !tg.is_empty() && (!(5..=32).contains(&tg.len()) || !tg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
        e.push(("telegram", "request.error.telegram"));
    }
    if email.is_empty() && phone.is_empty() && tg.is_empty() {
        e.push(("email", "request.error.contact"));
    }
    if Lang::from_code(&i.language).is_none() {
        e.push(("language", "request.error.language"));
    }
    if findkin_search::normalize::words(&i.sought_name).is_empty() || !bounded(&i.sought_name, 200) {
        e.push(("sought_name", "request.error.sought_name"));
    }
    if let Err(problem) = crate::records::parse_written_date(&i.sought_birth) {
        e.push(("sought_birth", problem.message_key()));
    }
    for (field, v, max) in [
        ("sought_birth_place", &i.sought_birth_place, 200),
        ("sought_region", &i.sought_region, 200),
        ("sought_unit", &i.sought_unit, 200),
        ("marks", &i.marks, 2000),
        ("free_text", &i.free_text, 4000),
    ] {
        if !bounded(v, max) {
            e.push((field, "request.error.too_long"));
        }
    }
    if !i.consent {
        e.push(("consent", "request.error.consent"));
    }
    e
}

fn opt(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// The outcome of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Stored; the token is the secret of the status link (shown once).
    Created { id: i64, reference: String, token: String },
    /// A retry of an earlier submission: the same request, a fresh link.
    Repeated { id: i64, reference: String, token: String },
    /// The idempotency key was used for a different request.
    KeyReused,
    /// The client's (or everyone's) submission budget is spent; retry after this long.
    Limited(std::time::Duration),
    /// The photos do not fit the storage budget; the text alone would.
    NoPhotoSpace,
}

/// What a new submission must pass before it is stored. Checked inside the
/// transaction after the idempotency lookup, so a retry of an earlier
/// submission costs the client nothing.
pub struct Admission<'a> {
    /// `scheme://host` for links in emails, as the status link is built.
    pub origin: &'a str,
    /// The budget one submission is charged to, and the client it is
    /// charged to (`None`: no budget, or no known client).
    pub charge: Option<(&'a crate::submission_budget::SubmissionBudget, crate::http::client_ip::ClientKey)>,
    /// Total bytes all stored photos may take; `None`: no budget.
    pub photo_budget: Option<i64>,
}

/// The outcome of adding a photo to an existing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoAdded {
    Added,
    /// The request already has [`MAX_PHOTOS`].
    TooMany,
    /// The request's or the database's photo budget would be exceeded.
    NoSpace,
}

/// Bytes a photo takes in the database.
fn photo_bytes(photos: &[CleanPhoto]) -> i64 {
    photos.iter().map(|p| (p.jpeg.len() + p.thumb_jpeg.len()) as i64).sum()
}

/// Whether `adding` more photo bytes fit the request's cap and the total
/// budget; read inside the caller's (immediate) transaction, so two uploads
/// cannot both take the last space.
async fn photos_fit(tx: &mut Conn, request_id: Option<i64>, adding: i64, budget: Option<i64>) -> Result<bool, Error> {
    if adding == 0 {
        return Ok(true);
    }
    let of_request = match request_id {
        Some(id) => requests::photo_usage_in(tx, id).await?.1,
        None => 0,
    };
    if of_request + adding > MAX_REQUEST_PHOTO_BYTES {
        return Ok(false);
    }
    let Some(budget) = budget else { return Ok(true) };
    Ok(requests::photo_bytes_total_in(tx).await? + adding <= budget)
}

fn random_reference() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let mut part = || (0..4).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect::<String>();
    format!("FK-{}-{}", part(), part())
}

pub(crate) fn random_token() -> String {
    let mut raw = [0u8; 24];
    rand::thread_rng().fill(&mut raw);
    hex::encode(raw)
}

fn photo_token() -> String {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill(&mut raw);
    hex::encode(raw)
}

/// Who did something, for events and the audit log.
pub enum By<'a> {
    Requester,
    Staff(&'a StaffUser),
}

impl By<'_> {
    fn name(&self) -> String {
        match self {
            By::Requester => "requester".into(),
            By::Staff(u) => u.name.clone(),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            By::Requester => Actor::Requester,
            By::Staff(u) if u.role == crate::auth::Role::Admin => Actor::Admin(u.id),
            By::Staff(u) => Actor::Moderator(u.id),
        }
    }
}

/// A step applied, or why not.
pub type StepOutcome = Result<State, Refusal>;

/// Extra data a step carries.
#[derive(Debug, Clone, Default)]
pub struct StepData {
    /// Words to the other side: a moderator's question or decision to the
    /// relative (the rejection reason included), or the relative's answer.
    pub message: Option<String>,
    /// A note between moderators (the proposal's case, the approver's or
    /// returner's reason); never shown to the relative.
    pub note: Option<String>,
    pub proposed_record_id: Option<i64>,
}

fn present(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(|m| m.chars().take(4000).collect())
}

impl Store {
    /// Stores a new request with its photos in one transaction (durable
    /// before the caller answers). A retry with the same idempotency key and
    /// body returns the same request.
    pub async fn submit_request(
        &self,
        input: &RequestInput,
        photos: &[CleanPhoto],
        idempotency_key: Option<&str>,
        admit: &Admission<'_>,
    ) -> Result<Submitted, Error> {
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(input)?);
        for p in photos {
            hasher.update(Sha256::digest(&p.jpeg));
        }
        let body_hash = hex::encode(hasher.finalize());
        let candidate: Option<i64> = match opt(&input.candidate) {
            Some(c) => self.record_id_by_public_ref(&c).await?,
            None => None,
        };
        let token = random_token();
        let mut tx = self.begin(Writer::Service).await?;
        if let Some(key) = idempotency_key {
            if let Some(e) = requests::by_idempotency_key_in(&mut tx, key).await? {
                if e.body_hash != body_hash {
                    return Ok(Submitted::KeyReused);
                }
                requests::add_link_in(&mut tx, e.id, &hash_token(&token)).await?;
                tx.commit().await?;
                return Ok(Submitted::Repeated { id: e.id, reference: e.reference, token });
            }
        }
        let photos = &photos[..photos.len().min(MAX_PHOTOS)];
        if !photos_fit(&mut tx, None, photo_bytes(photos), admit.photo_budget).await? {
            return Ok(Submitted::NoPhotoSpace);
        }
        if let Some((budget, client)) = admit.charge {
            if let Err(wait) = budget.charge_in(&mut tx, client, 1).await? {
                return Ok(Submitted::Limited(wait));
            }
        }
        let reference = random_reference();
        let new = requests::NewRequest {
            reference: &reference,
            idempotency_key,
            body_hash: &body_hash,
            language: Lang::from_code(&input.language).unwrap_or_default().code(),
            requester_name: input.requester_name.trim(),
            relationship: input.relationship.trim(),
            email: opt(&input.email),
            phone: opt(&input.phone),
            telegram: opt(input.telegram.trim().trim_start_matches('@')),
            sought_name: input.sought_name.trim(),
            sought_birth: crate::records::parse_written_date(&input.sought_birth).ok().flatten(),
            sought_birth_place: opt(&input.sought_birth_place),
            sought_region: opt(&input.sought_region),
            sought_unit: opt(&input.sought_unit),
            marks: opt(&input.marks),
            free_text: opt(&input.free_text),
            candidate_record_id: candidate,
        };
        let inserted = requests::insert_request_in(&mut tx, &new).await?;
        let Some(id) = inserted else {
            // A concurrent twin won the race between our check and insert.
            drop(tx);
            // The retry finds the twin and is free.
            let again = Admission { charge: None, ..*admit };
            return Box::pin(self.submit_request(input, photos, idempotency_key, &again)).await;
        };
        requests::add_link_in(&mut tx, id, &hash_token(&token)).await?;
        for p in photos {
            requests::insert_photo_in(&mut tx, id, &photo_token(), p).await?;
        }
        audit_in(&mut tx, &By::Requester, "request_submitted", &reference, None).await?;
        staff_alerts::raise(&mut tx, AlertKind::NewRequest, id).await?;
        if let Some(email) = opt(&input.email) {
            let lang = Lang::from_code(&input.language).unwrap_or_default();
            let origin = Some(admit.origin);
            let news = News::State { state: State::Submitted, words: None };
            let notice = Notice { id, email: &email, lang, reference: &reference, news, origin };
            relative_notice::queue_email(&mut tx, notice).await?;
        }
        tx.commit().await?;
        Ok(Submitted::Created { id, reference, token })
    }

    /// Applies a workflow step in one transaction; `Ok(Err(..))` is a refusal
    /// in words (only the refusal's audit row is written).
    pub async fn apply_step(&self, id: i64, step: &Step, by: By<'_>, data: StepData) -> Result<StepOutcome, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let Some(req) = requests::request_in(&mut tx, id).await? else {
            return Err(Error::NotFound { what: "request", id });
        };
        let (message, note) = (present(&data.message), present(&data.note));
        let mut decided = next(req.facts(), step, by.actor());
        if decided.is_ok() {
            if step.needs_message() && message.is_none() {
                decided = Err(Refusal::MessageRequired);
            } else if step.needs_note() && note.is_none() {
                decided = Err(Refusal::NoteRequired);
            } else if let Step::Reassign(to) = step {
                if !requests::is_active_moderator_in(&mut tx, *to).await? {
                    decided = Err(Refusal::NotAModerator);
                }
            }
        }
        let to = match decided {
            Ok(s) => s,
            Err(refusal) => {
                let details = Some(format!("{}: {refusal}", step.as_str()));
                audit_in(&mut tx, &by, "request_step_refused", &req.reference, details).await?;
                tx.commit().await?;
                return Ok(Err(refusal));
            }
        };
        let after = apply(req.facts(), step, by.actor(), to);
        let staff_id = match &by {
            By::Staff(u) => Some(u.id),
            By::Requester => None,
        };
        let outcome = match step {
            Step::ProposeMatch => requests::Outcome::Propose {
                record_id: data.proposed_record_id,
                version: requests::record_version_in(&mut tx, data.proposed_record_id).await?,
            },
            Step::ReturnToReview => requests::Outcome::ClearProposal,
            Step::Approve => requests::Outcome::Approve {
                decided_by: staff_id,
                released_details: match req.proposed_record_id {
                    Some(rid) => released_snapshot(&mut tx, rid).await?,
                    None => None,
                },
            },
            Step::NoMatch => requests::Outcome::NoMatch { decided_by: staff_id },
            Step::Reject => requests::Outcome::Reject { decided_by: staff_id, reason: message.clone() },
            _ => requests::Outcome::None,
        };
        let transition = requests::Transition {
            request_id: id,
            from: req.state,
            to,
            claimed_by: after.claimed_by,
            proposed_by: after.proposed_by,
            reply_pending: after.reply_pending,
            reply_now: *step == Step::RequesterAddsInfo,
            by_staff: staff_id.is_some(),
            answers_reply: step.answers_reply(),
            outcome,
        };
        if !requests::apply_transition_in(&mut tx, &transition).await? {
            // Someone else moved the request on between our read and write.
            return Ok(Err(Refusal::WrongState(req.state.as_str())));
        }
        let event_note = match step {
            Step::Reassign(to) => Some(format!("→ {}", requests::user_name_in(&mut tx, *to).await?)),
            Step::ProposeMatch => note.clone(),
            _ => note.clone(),
        };
        let actor = by.name();
        let event = requests::Event {
            request_id: id,
            actor: &actor,
            step: Some(step.as_str()),
            from: Some(req.state.as_str()),
            to: to.as_str(),
            note: event_note.as_deref(),
        };
        requests::add_event_in(&mut tx, &event).await?;
        if let Some(body) = &message {
            add_message_in(&mut tx, id, &by, body).await?;
        }
        let audit_details = match (data.proposed_record_id, &event_note) {
            (Some(r), _) if *step == Step::ProposeMatch => Some(format!("record {r}")),
            (_, n) => n.clone(),
        };
        audit_in(&mut tx, &by, &format!("request_{}", step.as_str()), &req.reference, audit_details).await?;
        if *step == Step::RequesterAddsInfo {
            staff_alerts::raise(&mut tx, AlertKind::Reply, id).await?;
        }
        // The relative hears of questions and final decisions, in the
        // moderator's words; never of steps that may still be undone.
        if step.tells_requester() {
            relative_notice::tell(&mut tx, &req, News::State { state: to, words: message.as_deref() }).await?;
        }
        tx.commit().await?;
        Ok(Ok(to))
    }

    /// A staff message to the relative without a state change: it answers
    /// any new reply, and the relative is notified with its words.
    pub async fn add_message(&self, id: i64, by: By<'_>, body: &str) -> Result<(), Error> {
        let mut tx = self.begin(Writer::Service).await?;
        add_message_in(&mut tx, id, &by, body).await?;
        if matches!(by, By::Staff(_)) {
            requests::staff_answered_in(&mut tx, id).await?;
            if let Some(req) = requests::request_in(&mut tx, id).await? {
                relative_notice::tell(&mut tx, &req, News::State { state: req.state, words: Some(body) }).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives back every request `user_id` held for review (in the caller's
    /// transaction, with an event and audit row each), so disabling an
    /// account never strands a request. Returns how many were released.
    pub(crate) async fn release_claims_in(tx: &mut Conn, user_id: i64, by: &str) -> Result<u64, Error> {
        let held = requests::held_by_in(tx, user_id).await?;
        for h in &held {
            let Some(state) = State::parse(&h.state) else { continue };
            let facts = Facts {
                state,
                claimed_by: h.claimed_by,
                proposed_by: h.proposed_by,
                reply_pending: h.reply_pending != 0,
            };
            let after = crate::workflow::on_disable(facts, user_id);
            requests::release_claim_in(tx, h.id, after.state).await?;
            let event = requests::Event {
                request_id: h.id,
                actor: by,
                step: Some("release_claim"),
                from: Some(state.as_str()),
                to: after.state.as_str(),
                note: Some("account disabled"),
            };
            requests::add_event_in(tx, &event).await?;
            let reference = h.reference.clone();
            let e = crate::audit::Entry {
                actor_name: Some(by),
                action: "request_release_claim",
                target_type: Some("request"),
                target_id: Some(reference),
                details: Some("account disabled".into()),
                ..Default::default()
            };
            crate::audit::append(&mut *tx, &e).await?;
        }
        Ok(held.len() as u64)
    }

    /// A lost link: if `contact` is the email, phone or Telegram name the
    /// request was sent with, every old link stops working and a new one is
    /// sent where the request gets its news: mailed to its address, or, with
    /// no address, to its linked Telegram chat. A phone alone has no channel
    /// (there is no SMS gateway). At most one recovery per [`RECOVERY_GAP`]
    /// seconds per request.
    pub async fn recover_link(&self, reference: &str, contact: &str, origin: &str) -> Result<Recovery, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let found = requests::request_by_reference_in(&mut tx, &reference.trim().to_uppercase()).await?;
        let Some(req) = found else { return Ok(Recovery::NoMatch) };
        if !contact_matches(&req, contact) {
            return Ok(Recovery::NoMatch);
        }
        let at = now();
        let last = requests::recovered_at_in(&mut tx, req.id).await?;
        if last.is_some_and(|l| at - l < RECOVERY_GAP) {
            return Ok(Recovery::TooSoon);
        }
        let (channel, recipient) = match (req.email.clone(), req.telegram_chat_id) {
            (Some(email), _) => (notify::Channel::Email, email),
            (None, Some(chat)) => (notify::Channel::Telegram, chat.to_string()),
            (None, None) => return Ok(Recovery::NoChannel),
        };
        let token = random_token();
        requests::replace_links_in(&mut tx, req.id, &hash_token(&token)).await?;
        requests::set_recovered_at_in(&mut tx, req.id, at).await?;
        audit_in(&mut tx, &By::Requester, "request_link_recovered", &req.reference, None).await?;
        let lang = req.lang();
        let link = format!("{origin}/status/{}?t={token}", req.reference);
        let m = Message {
            request_id: Some(req.id),
            channel,
            fresh_link: false,
            recipient,
            subject: tf(lang, "notify.recover.subject", &[("ref", &req.reference)]),
            body: tf(lang, "notify.recover.body", &[("ref", &req.reference), ("link", &link)]),
        };
        notify::enqueue(&mut tx, &m, at).await?;
        tx.commit().await?;
        Ok(Recovery::Sent)
    }

    /// Adds a photo to a request within the per-request count and byte caps
    /// and the total storage budget (`None`: no budget).
    pub async fn add_photo(&self, id: i64, p: &CleanPhoto, budget: Option<i64>) -> Result<PhotoAdded, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let (n, _) = requests::photo_usage_in(&mut tx, id).await?;
        if n as usize >= MAX_PHOTOS {
            return Ok(PhotoAdded::TooMany);
        }
        if !photos_fit(&mut tx, Some(id), photo_bytes(std::slice::from_ref(p)), budget).await? {
            return Ok(PhotoAdded::NoSpace);
        }
        requests::insert_photo_in(&mut tx, id, &photo_token(), p).await?;
        tx.commit().await?;
        Ok(PhotoAdded::Added)
    }
}

async fn add_message_in(tx: &mut Conn, id: i64, by: &By<'_>, body: &str) -> Result<(), Error> {
    Ok(requests::add_message_in(tx, id, matches!(by, By::Staff(_)), &by.name(), body).await?)
}

/// The released fields of a record as they are now, as JSON: frozen into
/// the request at approval.
async fn released_snapshot(tx: &mut Conn, record_id: i64) -> Result<Option<String>, Error> {
    let Some(details) = requests::releasable_fields_in(tx, record_id).await? else { return Ok(None) };
    Ok(Some(serde_json::to_string(&details)?))
}

async fn audit_in(
    tx: &mut Conn,
    by: &By<'_>,
    action: &str,
    reference: &str,
    details: Option<String>,
) -> Result<(), Error> {
    let (id, name) = match by {
        By::Requester => (None, "requester".to_string()),
        By::Staff(u) => (Some(u.id), u.name.clone()),
    };
    let e = crate::audit::Entry {
        actor_name: Some(&name),
        actor_id: id,
        action,
        target_type: Some("request"),
        target_id: Some(reference.to_string()),
        details,
        ..Default::default()
    };
    crate::audit::append(&mut *tx, &e).await?;
    Ok(())
}

/// Everything a requester can receive about their request, built in one
/// place: the disclosure rule lives here.
/// One message of the conversation, as the requester sees it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ViewMessage {
    pub from_moderator: bool,
    pub at: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequesterView {
    pub reference: String,
    pub state: State,
    pub created_at: String,
    pub updated_at: String,
    pub messages: Vec<ViewMessage>,
    /// Photo tokens (fetch through the status link).
    pub photos: Vec<String>,
    /// Present only when the request is released: what two moderators approved.
    pub released: Option<ReleasedDetails>,
    /// When the details were released.
    pub released_at: Option<String>,
    /// The request's language (`ru`, `uk`, `en`): its pages speak it.
    pub language: String,
}

/// Builds the requester's view. Released details come only from what was
/// frozen at approval, never from the live record: a later edit reaches the
/// relative only through a new decision.
pub fn requester_view(
    req: &RequestRow,
    messages: Vec<(bool, String, String, String)>,
    photos: Vec<String>,
) -> RequesterView {
    let released = match (req.state, &req.released_details) {
        (State::Released, Some(json)) => serde_json::from_str::<ReleasedDetails>(json).ok(),
        _ => None,
    };
    RequesterView {
        reference: req.reference.clone(),
        state: req.state,
        created_at: req.created_at.clone(),
        updated_at: req.updated_at.clone(),
        // Staff names are not shown to requesters: "moderator" is enough.
        messages: messages
            .into_iter()
            .map(|(staff, _author, at, text)| ViewMessage { from_moderator: staff, at, text })
            .collect(),
        photos,
        released,
        released_at: req.released_at.clone(),
        language: req.language.clone(),
    }
}

impl Store {
    /// The requester's view of a request.
    pub async fn requester_view(&self, req: &RequestRow) -> Result<RequesterView, Error> {
        Ok(requester_view(req, self.request_messages(req.id).await?, self.photo_tokens(req.id).await?))
    }

    /// The language of the request a reference names, if any: a link that
    /// no longer opens it (replaced, mistyped token) is still answered in
    /// the relative's language.
    pub async fn request_language(&self, reference: &str) -> Result<Option<Lang>, Error> {
        Ok(self.request_language_code(reference).await?.as_deref().and_then(Lang::from_code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> RequestInput {
        RequestInput {
            language: "ru".into(),
            requester_name: "Анна".into(),
            relationship: "мать".into(),
            email: "anna@example.org".into(),
            sought_name: "Иванов Пётр".into(),
            sought_birth: "1990".into(),
            consent: true,
            ..RequestInput::default()
        }
    }

    #[test]
    fn validation_names_each_field() {
        assert!(validate(&good()).is_empty());
        let mut bad = good();
        bad.email = "not an address".into();
        bad.sought_birth = "31.02.1990".into();
        bad.consent = false;
        let fields: Vec<&str> = validate(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["email", "sought_birth", "consent"]);
        let mut none = good();
        none.email.clear();
        assert!(validate(&none).contains(&("email", "request.error.contact")));
        none.telegram = "@anna_k".into();
        assert!(validate(&none).is_empty());
    }

    #[test]
    fn dates_as_written_and_emails_with_a_dotted_domain() {
        let with = |birth: &str, email: &str| {
            validate(&RequestInput { sought_birth: birth.into(), email: email.into(), ..good() })
        };
        for birth in ["31.12.1990", "13/05/1987", "05.1987", "1987", "1987-05-13"] {
            assert!(with(birth, "anna@example.org").is_empty(), "{birth}");
        }
        assert_eq!(with("31.02.1990", "anna@example.org"), vec![("sought_birth", "request.error.birth_no_such_day")]);
        assert_eq!(with("1990", "olga@mail"), vec![("email", "request.error.email_domain")]);
        assert!(with("1990", "olga@mail.").iter().all(|(f, _)| *f == "email"));
        assert!(!with("1990", "olga@mail.").is_empty());
        assert!(with("1990", "olga@mail.ru").is_empty());
    }

    #[test]
    fn references_are_short_and_unambiguous() {
        let r = random_reference();
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("FK-"));
        assert!(!r.contains('0') && !r.contains('O') && !r.contains('1') && !r.contains('I'));
    }
}

#[cfg(test)]
mod handle_tests {
    use super::telegram_handle;

    #[test]
    fn usernames_as_people_write_them() {
        for written in ["@Olga_K", "olga_k", " https://t.me/olga_k ", "t.me/Olga_K"] {
            assert_eq!(telegram_handle(written), "olga_k", "{written}");
        }
        assert_ne!(telegram_handle("@olga_k2"), "olga_k");
    }
}
