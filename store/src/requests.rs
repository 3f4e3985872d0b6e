//! Contact requests as stored: the rows, the moderation queue and the
//! reads of the status page. (The workflow's writes are still in the
//! server's `requests` module and move here next.)

use crate::public_ref::FIND_BY_PUBLIC_REF;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use crate::audit::{self, Entry};
use crate::photos::CleanPhoto;
use crate::sessions::hash_token;
use crate::staff::StaffUser;
use crate::state::State;
use crate::{clock, Conn, Sql, Store, StoreError, Writer};

/// A stored request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub reference: String,
    pub state: State,
    /// The request's language code as stored (`ru`, `uk`, `en`).
    pub language: String,
    pub requester_name: String,
    pub relationship: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub sought_name: String,
    pub sought_birth: Option<String>,
    pub sought_birth_place: Option<String>,
    pub sought_region: Option<String>,
    pub sought_unit: Option<String>,
    pub marks: Option<String>,
    pub free_text: Option<String>,
    pub candidate_record_id: Option<i64>,
    pub claimed_by: Option<i64>,
    pub claimed_by_name: Option<String>,
    pub proposed_record_id: Option<i64>,
    pub proposed_by: Option<i64>,
    pub proposed_by_name: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The relative wrote after staff last acted ("new reply").
    pub reply_pending: bool,
    pub reply_at: Option<String>,
    /// When the request entered its current state.
    pub state_since: Option<String>,
    /// The record's version when the match was proposed.
    pub proposed_version: Option<i64>,
    /// What was released, frozen at approval (JSON of [`ReleasedDetails`]).
    pub released_details: Option<String>,
    pub released_at: Option<String>,
    /// The relative's Telegram chat, once the bot knows it.
    pub telegram_chat_id: Option<i64>,
    /// News the relative has no channel for: a moderator should call back.
    pub callback_since: Option<String>,
    /// A record import or edit brought a new strong candidate.
    pub new_candidate_at: Option<String>,
}

/// A request row as read with [`SELECT`] (state as text, flags as 0/1).
#[derive(FromRow)]
struct RequestFields {
    id: i64,
    reference: String,
    state: String,
    language: String,
    requester_name: String,
    relationship: String,
    email: Option<String>,
    phone: Option<String>,
    telegram: Option<String>,
    sought_name: String,
    sought_birth: Option<String>,
    sought_birth_place: Option<String>,
    sought_region: Option<String>,
    sought_unit: Option<String>,
    marks: Option<String>,
    free_text: Option<String>,
    candidate_record_id: Option<i64>,
    claimed_by: Option<i64>,
    claimed_by_name: Option<String>,
    proposed_record_id: Option<i64>,
    proposed_by: Option<i64>,
    proposed_by_name: Option<String>,
    reason: Option<String>,
    created_at: String,
    updated_at: String,
    reply_pending: i64,
    reply_at: Option<String>,
    state_since: Option<String>,
    proposed_version: Option<i64>,
    released_details: Option<String>,
    released_at: Option<String>,
    telegram_chat_id: Option<i64>,
    callback_since: Option<String>,
    new_candidate_at: Option<String>,
}

impl TryFrom<RequestFields> for RequestRow {
    type Error = StoreError;

    fn try_from(r: RequestFields) -> Result<Self, StoreError> {
        Ok(RequestRow {
            id: r.id,
            reference: r.reference,
            state: State::parse(&r.state).ok_or_else(|| StoreError::Corrupt(format!("unknown state {:?}", r.state)))?,
            language: r.language,
            requester_name: r.requester_name,
            relationship: r.relationship,
            email: r.email,
            phone: r.phone,
            telegram: r.telegram,
            sought_name: r.sought_name,
            sought_birth: r.sought_birth,
            sought_birth_place: r.sought_birth_place,
            sought_region: r.sought_region,
            sought_unit: r.sought_unit,
            marks: r.marks,
            free_text: r.free_text,
            candidate_record_id: r.candidate_record_id,
            claimed_by: r.claimed_by,
            claimed_by_name: r.claimed_by_name,
            proposed_record_id: r.proposed_record_id,
            proposed_by: r.proposed_by,
            proposed_by_name: r.proposed_by_name,
            reason: r.reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
            reply_pending: r.reply_pending != 0,
            reply_at: r.reply_at,
            state_since: r.state_since,
            proposed_version: r.proposed_version,
            released_details: r.released_details,
            released_at: r.released_at,
            telegram_chat_id: r.telegram_chat_id,
            callback_since: r.callback_since,
            new_candidate_at: r.new_candidate_at,
        })
    }
}

impl RequestRow {
    /// When the request entered its state (a new request has no
    /// `state_since` yet: it entered `submitted` when it was created).
    pub fn in_state_since(&self) -> &str {
        self.state_since.as_deref().unwrap_or(&self.created_at)
    }

    /// When it began to wait for staff: an unanswered reply, else its state.
    pub fn waiting_since(&self) -> &str {
        match (&self.reply_at, self.reply_pending) {
            (Some(at), true) => at,
            _ => self.in_state_since(),
        }
    }
}

pub const SELECT: &str = "SELECT r.*, c.name AS claimed_by_name, p.name AS proposed_by_name FROM contact_requests r \
     LEFT JOIN users c ON c.id = r.claimed_by LEFT JOIN users p ON p.id = r.proposed_by";

/// A held claim as read, before its state is parsed.
#[derive(FromRow)]
struct HeldRow {
    id: i64,
    reference: String,
    state: String,
    claimed_by: i64,
    name: String,
    disabled: i64,
    since: String,
}

impl Store {
    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>, StoreError> {
        let r: Option<RequestFields> =
            sqlx::query_as(&format!("{SELECT} WHERE r.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        r.map(RequestRow::try_from).transpose()
    }

    /// The request a status link opens, if reference and token belong together.
    pub async fn request_for_link(&self, reference: &str, token: &str) -> Result<Option<RequestRow>, StoreError> {
        let r: Option<RequestFields> = sqlx::query_as(&format!(
            "{SELECT} JOIN request_tokens t ON t.request_id = r.id WHERE r.reference = $1 AND t.token_hash = $2"
        ))
        .bind(reference)
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        r.map(RequestRow::try_from).transpose()
    }

    /// Marks the address behind a confirmation link as confirmed; `false`
    /// when the link is unknown (or replaced by a newer one).
    pub async fn confirm_email(&self, token: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE email_addresses SET confirmed_at = COALESCE(confirmed_at, $2) WHERE token_hash = $1")
                .bind(hash_token(token))
                .bind(clock::now())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn request_messages(&self, id: i64) -> Result<Vec<(bool, String, String, String)>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT from_staff, author, at, body FROM request_messages WHERE request_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(staff, author, at, body)| (staff != 0, author, at, body)).collect())
    }

    /// The request's history, oldest first.
    pub async fn request_events(&self, id: i64) -> Result<Vec<RequestEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT at, actor, step, from_state, to_state, note FROM request_events WHERE request_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// What the queue's header says: per open state how many and since
    /// when the oldest waits, how many have a new reply, and what waits for
    /// `me` (my claims, proposals I may approve).
    pub async fn queue_summary(&self, me: i64) -> Result<QueueSummary, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT state, COUNT(*) AS n, MIN(COALESCE(state_since, created_at)) AS oldest FROM contact_requests \
             WHERE state IN ('submitted', 'in_review', 'needs_info', 'match_proposed') GROUP BY state",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_state = Vec::new();
        for st in State::ALL.into_iter().filter(|s| s.is_open()) {
            let (count, oldest) = match rows.iter().find(|(s, _, _)| s == st.as_str()) {
                Some((_, n, oldest)) => (*n, oldest.clone()),
                None => (0, None),
            };
            by_state.push(StateCount { state: st, count, oldest });
        }
        let count = |view: QueueView| {
            let f = QueueFilter { view: Some(view), ..QueueFilter::default() };
            async move {
                let mut q = Sql::new(
                    "SELECT COUNT(*), MIN(COALESCE(r.reply_at, r.state_since, r.updated_at)) FROM contact_requests r \
                     WHERE 1 = 1",
                );
                f.push_where(&mut q);
                let (count, oldest): (i64, Option<String>) = q.fetch_as_one(&self.pool).await?;
                Ok::<_, StoreError>(StateCount { state: State::Submitted, count, oldest })
            }
        };
        let replies = count(QueueView::NewReply).await?;
        Ok(QueueSummary {
            by_state,
            new_replies: replies.count,
            oldest_reply: replies.oldest,
            mine: count(QueueView::Mine(me)).await?.count,
            my_replies: count(QueueView::MyReplies(me)).await?.count,
            my_approvals: count(QueueView::AwaitingMyApproval(me)).await?.count,
            new_candidates: count(QueueView::NewCandidate).await?.count,
            callbacks: count(QueueView::Callback).await?.count,
        })
    }

    /// Photo tokens of a request, oldest first.
    pub async fn photo_tokens(&self, id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT token FROM photos WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// A photo (or its thumbnail) and the request it belongs to.
    pub async fn photo(&self, token: &str, thumb: bool) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let col = if thumb { "thumb" } else { "jpeg" };
        Ok(sqlx::query_as(&format!("SELECT request_id, {col} AS data FROM photos WHERE token = $1"))
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// One page of the moderation queue, oldest first (a flood of new
    /// requests cannot push old ones out of sight), filtered by state,
    /// language and minimum age in days; with the number of matching requests.
    pub async fn request_queue(&self, filter: &QueueFilter, page: i64) -> Result<(Vec<RequestRow>, i64), StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM contact_requests r WHERE 1 = 1");
        filter.push_where(&mut count);
        let total: i64 = count.fetch_scalar(&self.pool).await?;
        let mut q = Sql::new(format!("{SELECT} WHERE 1 = 1"));
        filter.push_where(&mut q);
        q.push(" ORDER BY r.created_at, r.id LIMIT ")
            .bind(QUEUE_PAGE)
            .push(" OFFSET ")
            .bind(page.clamp(1, i64::MAX / QUEUE_PAGE).saturating_sub(1) * QUEUE_PAGE);
        let rows: Vec<RequestFields> = q.fetch_as(&self.pool).await?;
        Ok((rows.into_iter().map(RequestRow::try_from).collect::<Result<_, _>>()?, total))
    }

    /// The open request that has waited longest for staff: by the time of
    /// an unanswered reply, else since it entered its state. A question
    /// waiting for the relative is not waiting for staff.
    pub async fn oldest_waiting(&self) -> Result<Option<RequestRow>, StoreError> {
        let r: Option<RequestFields> = sqlx::query_as(&format!(
            "{SELECT} WHERE (r.state IN ('submitted', 'in_review', 'match_proposed') \
             OR (r.reply_pending = 1 AND r.state <> 'withdrawn')) \
             ORDER BY COALESCE(CASE WHEN r.reply_pending = 1 THEN r.reply_at END, r.state_since, r.created_at), r.id \
             LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        r.map(RequestRow::try_from).transpose()
    }

    /// Open requests a moderator holds for review (what an admin can hand
    /// on), oldest claim first, with whether the holder is disabled.
    pub async fn held_claims(&self) -> Result<Vec<HeldClaim>, StoreError> {
        let rows: Vec<HeldRow> = sqlx::query_as(
            "SELECT r.id, r.reference, r.state, r.claimed_by, u.name, u.disabled, \
             COALESCE((SELECT MAX(e.at) FROM request_events e WHERE e.request_id = r.id \
                       AND e.step IN ('claim', 'reassign')), r.state_since, r.created_at) AS since \
             FROM contact_requests r JOIN users u ON u.id = r.claimed_by \
             WHERE r.state IN ('in_review', 'needs_info') ORDER BY since, r.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(HeldClaim {
                    state: State::parse(&r.state)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown state {:?}", r.state)))?,
                    id: r.id,
                    reference: r.reference,
                    holder_id: r.claimed_by,
                    holder: r.name,
                    holder_disabled: r.disabled != 0,
                    since: r.since,
                })
            })
            .collect()
    }

    /// Requests a new record may be news for: open ones, and those closed
    /// "no match" within `window_days`.
    pub async fn waiting_requests(&self, window_days: i64) -> Result<Vec<RequestRow>, StoreError> {
        let rows: Vec<RequestFields> = sqlx::query_as(&format!(
            "{SELECT} WHERE r.state IN ('submitted', 'in_review', 'needs_info', 'match_proposed') \
             OR (r.state = 'closed_no_match' AND COALESCE(r.state_since, r.updated_at) >= $1)"
        ))
        .bind(clock::ago(time::Duration::days(window_days.clamp(0, 36_500))))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RequestRow::try_from).collect()
    }

    /// The language of the request a reference names, if any: a link that
    /// no longer opens it (replaced, mistyped token) is still answered in
    /// the relative's language.
    pub async fn request_language_code(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT language FROM contact_requests WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&self.pool)
            .await?)
    }
}

/// An open request held by a moderator, without its content.
#[derive(Debug, Clone)]
pub struct HeldClaim {
    pub id: i64,
    pub reference: String,
    pub state: State,
    pub holder_id: i64,
    pub holder: String,
    pub holder_disabled: bool,
    /// When it was claimed or handed to the holder.
    pub since: String,
}

/// Requests per page of the moderation queue.
pub const QUEUE_PAGE: i64 = 50;

/// One entry of a request's history.
#[derive(Debug, Clone, FromRow)]
pub struct RequestEvent {
    pub at: String,
    pub actor: String,
    /// The workflow step (`None` for rows written before steps were named).
    pub step: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

/// How many requests wait in one state, and since when the oldest.
#[derive(Debug, Clone)]
pub struct StateCount {
    pub state: State,
    pub count: i64,
    pub oldest: Option<String>,
}

/// The queue's header and the dashboard's "waiting" panel.
#[derive(Debug, Clone)]
pub struct QueueSummary {
    pub by_state: Vec<StateCount>,
    pub new_replies: i64,
    pub oldest_reply: Option<String>,
    /// Requests I hold for review.
    pub mine: i64,
    /// Requests I hold in which the relative wrote since I last acted.
    pub my_replies: i64,
    /// Proposals by someone else, waiting for a second moderator (me).
    pub my_approvals: i64,
    /// Requests with a new strong candidate no moderator has acted on.
    pub new_candidates: i64,
    /// Relatives with news and no channel: to call back.
    pub callbacks: i64,
}

/// A ready-made view of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueView {
    /// The relative wrote since staff last acted (any state).
    NewReply,
    /// Proposals someone other than this moderator made.
    AwaitingMyApproval(i64),
    /// Open requests this moderator holds.
    Mine(i64),
    /// Requests this moderator holds with a new reply from the relative.
    MyReplies(i64),
    /// Nobody holds them.
    Unclaimed,
    /// Re-matching raised a new candidate since a moderator last acted.
    NewCandidate,
    /// The relative has news and no channel: a moderator calls back.
    Callback,
}

/// Which requests the moderation queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// `None`: every open state, and closed ones with a new reply.
    pub state: Option<State>,
    pub view: Option<QueueView>,
    /// The request's language code (`ru`, `uk`, `en`).
    pub language: Option<String>,
    pub min_age_days: Option<i64>,
}

impl QueueFilter {
    fn push_where(&self, q: &mut Sql<'_>) {
        const OPEN: &str = "r.state IN ('submitted', 'in_review', 'needs_info', 'match_proposed')";
        match self.state {
            Some(s) => {
                q.push(" AND r.state = ").bind(s.as_str());
            }
            None if matches!(self.view, Some(QueueView::NewReply | QueueView::Callback)) => {}
            None => {
                q.push(format!(" AND ({OPEN} OR r.reply_pending = 1)"));
            }
        }
        match self.view {
            Some(QueueView::NewReply) => {
                q.push(" AND r.reply_pending = 1 AND r.state <> 'withdrawn'");
            }
            Some(QueueView::AwaitingMyApproval(me)) => {
                q.push(" AND r.state = 'match_proposed' AND r.proposed_by <> ").bind(me);
            }
            Some(QueueView::Mine(me)) => {
                q.push(format!(" AND {OPEN} AND r.claimed_by = ")).bind(me);
            }
            Some(QueueView::MyReplies(me)) => {
                q.push(format!(" AND {OPEN} AND r.reply_pending = 1 AND r.claimed_by = ")).bind(me);
            }
            Some(QueueView::Unclaimed) => {
                q.push(" AND r.state = 'submitted'");
            }
            Some(QueueView::NewCandidate) => {
                q.push(format!(" AND {OPEN} AND r.new_candidate_at IS NOT NULL"));
            }
            Some(QueueView::Callback) => {
                q.push(" AND r.callback_since IS NOT NULL");
            }
            None => {}
        }
        if let Some(l) = &self.language {
            q.push(" AND r.language = ").bind(l.clone());
        }
        if let Some(d) = self.min_age_days {
            q.push(" AND r.created_at <= ").bind(clock::ago(time::Duration::days(d.clamp(0, 36_500))));
        }
    }
}

/// A request read inside the caller's transaction.
pub async fn request_in(tx: &mut Conn, id: i64) -> Result<Option<RequestRow>, StoreError> {
    let r: Option<RequestFields> =
        sqlx::query_as(&format!("{SELECT} WHERE r.id = $1")).bind(id).fetch_optional(&mut *tx).await?;
    r.map(RequestRow::try_from).transpose()
}

/// A request by its reference, read inside the caller's transaction.
pub async fn request_by_reference_in(tx: &mut Conn, reference: &str) -> Result<Option<RequestRow>, StoreError> {
    let r: Option<RequestFields> =
        sqlx::query_as(&format!("{SELECT} WHERE r.reference = $1")).bind(reference).fetch_optional(&mut *tx).await?;
    r.map(RequestRow::try_from).transpose()
}

/// Marks a request whose relative has no channel the service can write to
/// (a phone only) for a moderator's call back, once.
pub async fn mark_for_call_back(tx: &mut Conn, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE contact_requests SET callback_since = COALESCE(callback_since, $2) WHERE id = $1")
        .bind(id)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

impl Store {
    /// A moderator has told the relative of the news by phone: the call-back
    /// mark goes, with an event and an audit row. Calling twice changes nothing.
    pub async fn called_back(&self, id: i64, by: &StaffUser) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        let cleared = sqlx::query(
            "UPDATE contact_requests SET callback_since = NULL WHERE id = $1 AND callback_since IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if cleared == 1 {
            sqlx::query(
                "INSERT INTO request_events (request_id, actor, step, from_state, to_state) \
                 SELECT id, $1, 'called_back', state, state FROM contact_requests WHERE id = $2",
            )
            .bind(&by.name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let reference: String = sqlx::query_scalar("SELECT reference FROM contact_requests WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let entry = Entry {
                actor: Some(by),
                action: "request_called_back",
                target_type: Some("request"),
                target_id: Some(reference),
                ..Default::default()
            };
            audit::append(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

// ------------------------------------------------------------ the workflow's writes
//
// The primitives the server's workflow (`requests`, `rematch`) combines,
// each inside the caller's transaction, so a step is written whole with its
// event, audit row, alert and notices.

/// A request a retried submission (same idempotency key) may be.
#[derive(Debug, FromRow)]
pub struct Keyed {
    pub id: i64,
    pub reference: String,
    pub body_hash: String,
}

/// The request sent earlier under this idempotency key, if any.
pub async fn by_idempotency_key_in(tx: &mut Conn, key: &str) -> Result<Option<Keyed>, StoreError> {
    Ok(sqlx::query_as("SELECT id, reference, body_hash FROM contact_requests WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?)
}

/// A new status link (its token's hash) for a request; older links stay valid.
pub async fn add_link_in(tx: &mut Conn, request_id: i64, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO request_tokens (token_hash, request_id) VALUES ($1, $2)")
        .bind(token_hash)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Replaces every status link of a request by one new link.
pub async fn replace_links_in(tx: &mut Conn, request_id: i64, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM request_tokens WHERE request_id = $1").bind(request_id).execute(&mut *tx).await?;
    add_link_in(tx, request_id, token_hash).await
}

/// A new request's stored fields (already trimmed and checked).
#[derive(Debug)]
pub struct NewRequest<'a> {
    pub reference: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub body_hash: &'a str,
    pub language: &'a str,
    pub requester_name: &'a str,
    pub relationship: &'a str,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub sought_name: &'a str,
    pub sought_birth: Option<String>,
    pub sought_birth_place: Option<String>,
    pub sought_region: Option<String>,
    pub sought_unit: Option<String>,
    pub marks: Option<String>,
    pub free_text: Option<String>,
    pub candidate_record_id: Option<i64>,
}

/// Stores a new request in state `submitted` with its first event; `None`
/// when a concurrent twin took the idempotency key first.
pub async fn insert_request_in(tx: &mut Conn, r: &NewRequest<'_>) -> Result<Option<i64>, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO contact_requests (reference, idempotency_key, body_hash, state, language, requester_name,
            relationship, email, phone, telegram, sought_name, sought_birth, sought_birth_place, sought_region,
            sought_unit, marks, free_text, candidate_record_id)
         VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT(idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(r.reference)
    .bind(r.idempotency_key)
    .bind(r.body_hash)
    .bind(r.language)
    .bind(r.requester_name)
    .bind(r.relationship)
    .bind(&r.email)
    .bind(&r.phone)
    .bind(&r.telegram)
    .bind(r.sought_name)
    .bind(&r.sought_birth)
    .bind(&r.sought_birth_place)
    .bind(&r.sought_region)
    .bind(&r.sought_unit)
    .bind(&r.marks)
    .bind(&r.free_text)
    .bind(r.candidate_record_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        add_event_in(
            tx,
            &Event { request_id: id, actor: "requester", step: None, from: None, to: "submitted", note: None },
        )
        .await?;
    }
    Ok(id)
}

/// One row of a request's history.
#[derive(Debug)]
pub struct Event<'a> {
    pub request_id: i64,
    pub actor: &'a str,
    pub step: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub note: Option<&'a str>,
}

pub async fn add_event_in(tx: &mut Conn, e: &Event<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO request_events (request_id, actor, step, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.request_id)
    .bind(e.actor)
    .bind(e.step)
    .bind(e.from)
    .bind(e.to)
    .bind(e.note)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One message of the conversation (cut to 4,000 characters).
pub async fn add_message_in(
    tx: &mut Conn,
    request_id: i64,
    from_staff: bool,
    author: &str,
    body: &str,
) -> Result<(), StoreError> {
    let body: String = body.trim().chars().take(4000).collect();
    sqlx::query("INSERT INTO request_messages (request_id, from_staff, author, body) VALUES ($1, $2, $3, $4)")
        .bind(request_id)
        .bind(i64::from(from_staff))
        .bind(author)
        .bind(body)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A staff message answered the relative: no reply waits any more.
pub async fn staff_answered_in(tx: &mut Conn, request_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contact_requests SET reply_pending = 0, updated_at = $2, \
         first_response_at = COALESCE(first_response_at, $2) WHERE id = $1",
    )
    .bind(request_id)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What a proposal, a return or a decision does to the request's
/// proposal and decision columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing beyond the state and the holders.
    None,
    /// A match proposed: the record and its version now.
    Propose { record_id: Option<i64>, version: Option<i64> },
    /// The proposal withdrawn.
    ClearProposal,
    /// Approved: the deciding moderator and the released fields, frozen.
    Approve { decided_by: Option<i64>, released_details: Option<String> },
    /// Closed without a match.
    NoMatch { decided_by: Option<i64> },
    /// Rejected, with the reason the relative reads.
    Reject { decided_by: Option<i64>, reason: Option<String> },
}

/// One workflow step's change to a request, as decided by the workflow.
#[derive(Debug, Clone)]
pub struct Transition {
    pub request_id: i64,
    /// The state the decision was made in: the write happens only if the
    /// request is still in it.
    pub from: State,
    pub to: State,
    pub claimed_by: Option<i64>,
    pub proposed_by: Option<i64>,
    pub reply_pending: bool,
    /// The relative added information now.
    pub reply_now: bool,
    /// A moderator acted: a new candidate counts as seen, and a waiting
    /// reply as answered (when `answers_reply`).
    pub by_staff: bool,
    pub answers_reply: bool,
    pub outcome: Outcome,
}

/// Writes a transition; `false` when someone else moved the request on
/// between the caller's read and this write (nothing is written).
pub async fn apply_transition_in(tx: &mut Conn, t: &Transition) -> Result<bool, StoreError> {
    let now = clock::now();
    let mut q = Sql::new("UPDATE contact_requests SET state = ");
    q.bind(t.to.as_str()).push(", updated_at = ").bind(now.clone());
    q.push(", claimed_by = ").bind(t.claimed_by);
    q.push(", proposed_by = ").bind(t.proposed_by);
    q.push(", reply_pending = ").bind(i64::from(t.reply_pending));
    if t.to != t.from {
        q.push(", state_since = ").bind(now.clone());
    }
    if t.reply_now {
        q.push(", reply_at = ").bind(now.clone());
    }
    if t.by_staff {
        q.push(", new_candidate_at = NULL");
    }
    match &t.outcome {
        Outcome::None => {}
        Outcome::Propose { record_id, version } => {
            q.push(", proposed_record_id = ").bind(*record_id).push(", proposed_version = ").bind(*version);
        }
        Outcome::ClearProposal => {
            q.push(", proposed_record_id = NULL, proposed_version = NULL");
        }
        Outcome::Approve { decided_by, released_details } => {
            q.push(", decided_by = ").bind(*decided_by);
            q.push(", released_details = ").bind(released_details.clone());
            q.push(", released_at = ").bind(now.clone());
        }
        Outcome::NoMatch { decided_by } => {
            q.push(", decided_by = ").bind(*decided_by);
        }
        Outcome::Reject { decided_by, reason } => {
            q.push(", decided_by = ").bind(*decided_by).push(", reason = ").bind(reason.clone());
        }
    }
    if t.by_staff && t.answers_reply {
        q.push(", first_response_at = COALESCE(first_response_at, ").bind(now.clone()).push(")");
    }
    q.push(" WHERE id = ").bind(t.request_id).push(" AND state = ").bind(t.from.as_str());
    Ok(q.execute(&mut *tx).await?.rows_affected() == 1)
}

/// A record's version now (a proposal remembers it, so the approver sees
/// the edits made since).
pub async fn record_version_in(tx: &mut Conn, record_id: Option<i64>) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT version FROM records WHERE id = $1").bind(record_id).fetch_optional(&mut *tx).await?)
}

/// What a requester may see of the person once details are released:
/// public and `released` fields only — never source, notes or ids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, FromRow, utoipa::ToSchema)]
pub struct ReleasedDetails {
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: Option<String>,
    pub birth_place: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub status: String,
    pub status_date: Option<String>,
    pub status_place: Option<String>,
}

/// The released fields of a record as they are now (frozen into the
/// request at approval).
pub async fn releasable_fields_in(tx: &mut Conn, record_id: i64) -> Result<Option<ReleasedDetails>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT surname, given_name, patronymic, birth_date, birth_place, region, unit, rank, status, \
         status_date, status_place FROM records WHERE id = $1",
    )
    .bind(record_id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// Whether `user_id` is an enabled moderator (who can be handed a request).
pub async fn is_active_moderator_in(tx: &mut Conn, user_id: i64) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1 AND role = 'moderator' AND disabled = 0")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    Ok(n == 1)
}

/// A staff member's name (the id as text if the account is gone).
pub async fn user_name_in(tx: &mut Conn, user_id: i64) -> Result<String, StoreError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
    Ok(name.unwrap_or_else(|| user_id.to_string()))
}

/// An open request a staff member holds.
#[derive(Debug, FromRow)]
pub struct Held {
    pub id: i64,
    pub reference: String,
    pub state: String,
    pub claimed_by: Option<i64>,
    pub proposed_by: Option<i64>,
    pub reply_pending: i64,
}

/// The open requests `user_id` holds for review.
pub async fn held_by_in(tx: &mut Conn, user_id: i64) -> Result<Vec<Held>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, reference, state, claimed_by, proposed_by, reply_pending FROM contact_requests \
         WHERE claimed_by = $1 AND state IN ('submitted', 'in_review', 'needs_info', 'match_proposed')",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Gives a held request back to the queue in state `to`.
pub async fn release_claim_in(tx: &mut Conn, request_id: i64, to: State) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contact_requests SET state = $1, claimed_by = NULL, updated_at = $3, \
         state_since = CASE WHEN state = $1 THEN state_since ELSE $3 END WHERE id = $2",
    )
    .bind(to.as_str())
    .bind(request_id)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// When the request's link was last recovered (Unix seconds), if ever.
pub async fn recovered_at_in(tx: &mut Conn, request_id: i64) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT recovered_at FROM contact_requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(&mut *tx)
        .await?)
}

pub async fn set_recovered_at_in(tx: &mut Conn, request_id: i64, at: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE contact_requests SET recovered_at = $1 WHERE id = $2")
        .bind(at)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Photos of a request, and the bytes they take.
pub async fn photo_usage_in(tx: &mut Conn, request_id: i64) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(length(jpeg) + length(thumb)), 0) AS BIGINT) FROM photos \
         WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_one(&mut *tx)
    .await?)
}

/// Bytes all stored photos take.
pub async fn photo_bytes_total_in(tx: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT CAST(COALESCE(SUM(length(jpeg) + length(thumb)), 0) AS BIGINT) FROM photos")
        .fetch_one(&mut *tx)
        .await?)
}

/// Stores a cleaned photo under an unguessable token.
pub async fn insert_photo_in(tx: &mut Conn, request_id: i64, token: &str, p: &CleanPhoto) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO photos (request_id, token, width, height, jpeg, thumb) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(request_id)
        .bind(token)
        .bind(p.width as i64)
        .bind(p.height as i64)
        .bind(&p.jpeg)
        .bind(&p.thumb_jpeg)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

impl Store {
    /// The record a public search hit refers to, by its opaque reference.
    pub async fn record_id_by_public_ref(&self, public_ref: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT id FROM records {FIND_BY_PUBLIC_REF}"))
            .bind(public_ref)
            .bind(self.public_refs().id_of(public_ref).unwrap_or(0))
            .fetch_optional(&self.pool)
            .await?)
    }
}

// ------------------------------------------------------------ re-matching

/// Records changed in `(after, upto]` of the change feed, with when each
/// last changed.
impl Store {
    pub async fn count_changed(&self, after: i64, upto: i64) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT record_id) FROM record_changes WHERE seq > $1 AND seq <= $2")
                .bind(after)
                .bind(upto)
                .fetch_one(&self.pool)
                .await?;
        Ok(n as u64)
    }

    /// Records changed in `(after, upto]` of the change feed, with when
    /// each last changed.
    pub async fn changes_between(&self, after: i64, upto: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT record_id, MAX(changed_at) AS at FROM record_changes WHERE seq > $1 AND seq <= $2 GROUP BY record_id",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Remembers that a record was put before the request's moderators
/// (raised or already weighed); `false` if it was before.
pub async fn note_candidate_in(tx: &mut Conn, request_id: i64, record_id: i64, at: &str) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO request_candidates (request_id, record_id, raised_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(request_id)
    .bind(record_id)
    .bind(at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A new candidate came: the request goes to `to` with its holders, and
/// carries the new-candidate mark.
pub async fn mark_new_candidate_in(
    tx: &mut Conn,
    request_id: i64,
    to: State,
    claimed_by: Option<i64>,
    proposed_by: Option<i64>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contact_requests SET state = $1, claimed_by = $2, proposed_by = $3, \
         new_candidate_at = $5, state_since = CASE WHEN state = $1 THEN state_since ELSE $5 END \
         WHERE id = $4",
    )
    .bind(to.as_str())
    .bind(claimed_by)
    .bind(proposed_by)
    .bind(request_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
