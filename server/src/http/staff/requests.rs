//! Moderation: the queue (with what waits, and whose turn each request
//! is), a request with candidate records suggested by the name engine from
//! everything the requester gave, the second moderator's side-by-side
//! evidence, and the workflow actions. Every form shown is one the
//! workflow allows the viewer now.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use findkin_app::i18n::{t, tf, Lang};
use findkin_app::staff::{
    queue_page, request_page, Actions, Approval, Candidate, ChangeView, CountLink, MessageView, QueuePage, QueueRow,
    RequestDetail, SideBySide,
};
use findkin_search::normalize::fold;
use findkin_search::{Hit, NameField};

use super::words;
use super::{notice, page, query_string, redirect, Ctx, Guard, StaffError};
use crate::auth::Action;
use crate::http::requests::jpeg;
use crate::http::AppState;
use crate::record_store::StoredRecord;
use crate::requests::{
    By, QueueFilter, QueueSummary, QueueView, RequestEvent, RequestRow, RequestRowExt, StepData, QUEUE_PAGE,
};
use crate::users::now;
use crate::workflow::{next, Actor, Facts, Refusal, State as RState, Step};

fn short_time(at: &str) -> String {
    crate::calendar::display_utc(at, false)
}

/// A ready-made view of the queue from its `view` parameter.
fn parse_view(v: &str, me: i64) -> Option<QueueView> {
    match v {
        "new_reply" => Some(QueueView::NewReply),
        "my_approval" => Some(QueueView::AwaitingMyApproval(me)),
        "mine" => Some(QueueView::Mine(me)),
        "my_replies" => Some(QueueView::MyReplies(me)),
        "unclaimed" => Some(QueueView::Unclaimed),
        "new_candidate" => Some(QueueView::NewCandidate),
        "callback" => Some(QueueView::Callback),
        _ => None,
    }
}

/// State words start lowercase for use inside sentences; a count starts with one.
fn capitalized(s: String) -> String {
    let mut cs = s.chars();
    cs.next().map(|f| f.to_uppercase().chain(cs).collect()).unwrap_or_default()
}

/// The queue's counts in words, each linking to what it counts: per open
/// state (with how long the oldest has waited), new replies, proposals
/// waiting for my approval, my claims (and those with a new reply). Shared
/// by the queue's header and the dashboard.
pub(super) struct SummaryLinks {
    pub by_state: Vec<CountLink>,
    pub replies: CountLink,
    pub my_approvals: CountLink,
    pub mine: CountLink,
    pub my_replies: CountLink,
    pub new_candidates: CountLink,
    pub callbacks: CountLink,
}

/// Builds [`SummaryLinks`]; `current` is the queue's `(state, view)`
/// parameters, to mark the list shown.
pub(super) fn summary_links(lang: Lang, s: &QueueSummary, current: (&str, &str)) -> SummaryLinks {
    let now = now();
    let waited = |at: &Option<String>| at.as_deref().and_then(|a| words::age_since(lang, a, now)).unwrap_or_default();
    let link = |text: String, href: String, n: i64, param: (&str, &str)| CountLink {
        current: current == param,
        hot: n > 0,
        text,
        href,
    };
    let by_state = s
        .by_state
        .iter()
        .map(|c| {
            let name = capitalized(words::state(lang, c.state));
            let n = c.count.to_string();
            let text = if c.count > 0 {
                tf(lang, "staff.queue.head.state", &[("state", &name), ("n", &n), ("age", &waited(&c.oldest))])
            } else {
                tf(lang, "staff.queue.head.state_none", &[("state", &name)])
            };
            // Submitted requests are exactly the unclaimed ones.
            let (href, param) = match c.state {
                RState::Submitted => ("/staff/requests?view=unclaimed".to_string(), ("", "unclaimed")),
                st => (format!("/staff/requests?state={}", st.as_str()), (st.as_str(), "")),
            };
            link(text, href, c.count, param)
        })
        .collect();
    let n = |v: i64| v.to_string();
    let replies = if s.new_replies > 0 {
        let args = [("n", n(s.new_replies)), ("age", waited(&s.oldest_reply))];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tf(lang, "staff.queue.head.replies", &args)
    } else {
        t(lang, "staff.queue.head.replies_none")
    };
    SummaryLinks {
        by_state,
        replies: link(replies, "/staff/requests?view=new_reply".into(), s.new_replies, ("", "new_reply")),
        my_approvals: link(
            tf(lang, "staff.queue.head.my_approval", &[("n", &n(s.my_approvals))]),
            "/staff/requests?view=my_approval".into(),
            s.my_approvals,
            ("", "my_approval"),
        ),
        mine: link(
            tf(lang, "staff.queue.head.mine", &[("n", &n(s.mine))]),
            "/staff/requests?view=mine".into(),
            s.mine,
            ("", "mine"),
        ),
        my_replies: link(
            tf(lang, "staff.dash.my_replies", &[("n", &n(s.my_replies))]),
            "/staff/requests?view=my_replies".into(),
            s.my_replies,
            ("", "my_replies"),
        ),
        new_candidates: link(
            tf(lang, "staff.queue.head.new_candidates", &[("n", &n(s.new_candidates))]),
            "/staff/requests?view=new_candidate".into(),
            s.new_candidates,
            ("", "new_candidate"),
        ),
        callbacks: link(
            tf(lang, "staff.queue.head.callbacks", &[("n", &n(s.callbacks))]),
            "/staff/requests?view=callback".into(),
            s.callbacks,
            ("", "callback"),
        ),
    }
}

/// One queue row: state in words, the new-reply flag, who holds it, whose
/// turn it is and how long it has been in its state.
fn queue_row(lang: Lang, r: RequestRow, now: i64) -> QueueRow {
    let turn = words::turn_text(lang, r.facts(), r.claimed_by_name.as_deref(), r.proposed_by_name.as_deref());
    let age = words::age_since(lang, r.in_state_since(), now).unwrap_or_default();
    QueueRow {
        id: r.id,
        state: r.state.as_str(),
        state_text: words::state(lang, r.state),
        new_reply: r.reply_pending,
        new_candidate: r.new_candidate_at.as_deref().map(short_time),
        callback: r.callback_since.is_some(),
        sought_name: r.sought_name,
        language: r.language,
        created_at: short_time(&r.created_at),
        holder: r.claimed_by_name.unwrap_or_else(|| "—".into()),
        turn,
        age,
        reference: r.reference,
    }
}

/// `GET /staff/requests?state=&language=&min_age=&view=&page=N`: the queue,
/// oldest first, a page at a time, under its counts.
pub async fn queue(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    let (lang, me) = (ctx.lang, g.session.user.id);
    let get = |k: &str| p.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (state_text, language_text, min_age_text, view_text) =
        (get("state"), get("language"), get("min_age"), get("view"));
    let state = RState::parse(&state_text);
    let view = parse_view(&view_text, me);
    let filter = QueueFilter {
        state,
        language: Lang::from_code(&language_text).filter(|_| !language_text.is_empty()).map(|l| l.code().to_string()),
        min_age_days: min_age_text.parse::<i64>().ok().filter(|d| *d > 0),
        view,
    };
    let page_no = get("page").parse::<i64>().ok().filter(|p| *p > 0).unwrap_or(1);
    let (rows, total) = st.registry.store.request_queue(&filter, page_no).await?;
    let summary = st.registry.store.queue_summary(me).await?;
    let shown_view = if view.is_some() { view_text.as_str() } else { "" };
    let shown_state = if state.is_some() { state_text.as_str() } else { "" };
    let links = summary_links(lang, &summary, (shown_state, shown_view));
    let all = CountLink {
        text: t(lang, "staff.queue.head.all"),
        href: "/staff/requests".into(),
        current: shown_state.is_empty() && shown_view.is_empty(),
        hot: false,
    };
    let mut header = vec![all];
    header.extend(links.by_state);
    header.extend([links.replies, links.new_candidates, links.callbacks, links.my_approvals, links.mine]);
    let query_string = query_string(&[
        ("state", state_text.as_str()),
        ("language", language_text.as_str()),
        ("min_age", min_age_text.as_str()),
        ("view", shown_view),
    ]);
    let now = now();
    let view = QueuePage {
        state: state_text.clone(),
        language: language_text.clone(),
        min_age: min_age_text.clone(),
        header,
        view_note: view.map(|_| t(lang, &format!("staff.queue.view.{view_text}"))),
        page: page_no,
        pages: (total + QUEUE_PAGE - 1) / QUEUE_PAGE,
        total,
        query_string,
        rows: rows.into_iter().map(|r| queue_row(lang, r, now)).collect(),
    };
    Ok(page(StatusCode::OK, queue_page(lang, &g.viewer, view)))
}

pub(super) async fn load(st: &AppState, lang: Lang, id: i64) -> Result<RequestRow, StaffError> {
    st.registry.store.request(id).await?.ok_or(StaffError::NotFound { lang })
}

/// How a record compares with the request: name parts marked where the
/// name engine matched them, and each other field marked where it agrees
/// with what the requester gave. `hit` is the record's search hit, if any.
fn candidate(lang: Lang, r: &RequestRow, rec: &StoredRecord, hit: Option<&Hit>) -> Candidate {
    let matched = |field: NameField| hit.is_some_and(|h| h.matches.iter().flatten().any(|m| m.field == field));
    let i = &rec.input;
    let name_parts = [
        (i.surname.clone(), NameField::Surname),
        (i.given_name.clone(), NameField::GivenName),
        (i.patronymic.clone(), NameField::Patronymic),
    ]
    .into_iter()
    .filter(|(s, _)| !s.is_empty())
    .map(|(s, f)| (crate::backend::display_name(&s), matched(f)))
    .collect();
    let why = hit
        .map(|h| {
            h.matches
                .iter()
                .flatten()
                .map(|m| {
                    format!(
                        "{} → {} ({})",
                        m.query,
                        t(lang, &format!("field.{}", field_key(m.field))),
                        words::kind(lang, m.kind)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let same = |have: &str, want: &Option<String>| {
        !have.is_empty() && want.as_deref().is_some_and(|w| !w.trim().is_empty() && fold(w) == fold(have))
    };
    let (birth, want_birth) = (text(&i.birth_date), text(&r.sought_birth));
    let common = birth.len().min(want_birth.len());
    let (unit, want_unit) = (text(&i.unit), text(&r.sought_unit));
    let (region, place) = (text(&i.region), text(&i.birth_place));
    Candidate {
        record_id: rec.id,
        external_id: i.external_id.clone(),
        name_parts,
        birth_matches: common >= 4 && birth.get(..common) == want_birth.get(..common),
        birth_date: birth,
        birth_place_matches: same(&place, &r.sought_birth_place),
        birth_place: place,
        region_matches: same(&region, &r.sought_region),
        region,
        unit_matches: !unit.is_empty() && !want_unit.is_empty() && fold(&unit).contains(&fold(&want_unit)),
        unit,
        why,
        from_public_hit: r.candidate_record_id == Some(rec.id),
    }
}

/// The name engine's hits for the request (see [`crate::candidates`]).
fn search(st: &AppState, r: &RequestRow) -> Vec<Hit> {
    r.sought().hits(&st.registry)
}

/// Candidate records for a request, strongest first; the record the
/// relative chose from a public hit comes first.
async fn candidates(st: &AppState, lang: Lang, r: &RequestRow) -> Result<Vec<Candidate>, StaffError> {
    let hits = search(st, r);
    let mut ids: Vec<i64> = hits.iter().map(|h| h.record.id as i64).collect();
    if let Some(c) = r.candidate_record_id.filter(|c| !ids.contains(c)) {
        ids.insert(0, c);
    }
    let mut out = Vec::new();
    for id in ids {
        let Some(rec) = st.registry.store.record(id).await? else { continue };
        let hit = hits.iter().find(|h| h.record.id as i64 == id);
        out.push(candidate(lang, r, &rec, hit));
    }
    Ok(out)
}

fn field_key(f: NameField) -> &'static str {
    match f {
        NameField::Surname => "surname",
        NameField::GivenName => "given_name",
        NameField::Patronymic => "patronymic",
    }
}

/// What the moderator `me` can do now: each form is shown only if the
/// workflow would accept its step.
fn actions(f: Facts, me: i64) -> Actions {
    let may = |s: Step| next(f, &s, Actor::Moderator(me)).is_ok();
    Actions {
        // A repeated claim by the holder changes nothing: no button.
        claim: may(Step::Claim) && f.claimed_by != Some(me),
        release: may(Step::ReleaseClaim),
        ask: may(Step::AskInfo),
        propose: may(Step::ProposeMatch),
        no_match: may(Step::NoMatch),
        reject: may(Step::Reject),
        approve: may(Step::Approve),
        send_back: may(Step::ReturnToReview),
        message: may_write(f, me).is_ok(),
    }
}

/// Who may write to the relative without a step: whoever holds the
/// request; after a decision, any moderator (to answer a reply). A
/// withdrawn request takes no more words.
fn may_write(f: Facts, me: i64) -> Result<(), Refusal> {
    match f.state {
        RState::Withdrawn => Err(Refusal::WrongState(f.state.as_str())),
        s if !s.is_open() => Ok(()),
        _ if f.claimed_by == Some(me) => Ok(()),
        _ => Err(Refusal::ClaimedByOther),
    }
}

/// The conversation; the relative's messages since the last staff message
/// are marked new while the reply is unanswered.
fn message_views(lang: Lang, messages: Vec<(bool, String, String, String)>, reply_pending: bool) -> Vec<MessageView> {
    let last_staff = messages.iter().rposition(|m| m.0);
    messages
        .into_iter()
        .enumerate()
        .map(|(i, (staff, author, at, text))| MessageView {
            from_staff: staff,
            author: words::actor(lang, &author),
            at: short_time(&at),
            text,
            new: reply_pending && !staff && last_staff.is_none_or(|l| i > l),
        })
        .collect()
}

/// A record field's value as staff read it (statuses in words).
fn field_value(lang: Lang, field: &str, v: Option<String>) -> String {
    match v {
        Some(v) if field == "status" => t(lang, &format!("status.{v}")),
        Some(v) if !v.is_empty() => v,
        _ => "—".into(),
    }
}

/// The second moderator's evidence while a match is proposed: request and
/// record side by side, the proposer's note (of the latest proposal), and
/// every edit of the record since the proposal.
async fn approval(
    st: &AppState,
    lang: Lang,
    r: &RequestRow,
    events: &[RequestEvent],
    candidates: &[Candidate],
    me: i64,
) -> Result<Option<Approval>, StaffError> {
    let (RState::MatchProposed, Some(rid)) = (r.state, r.proposed_record_id) else { return Ok(None) };
    let Some(rec) = st.registry.store.record(rid).await? else { return Ok(None) };
    let c = match candidates.iter().find(|c| c.record_id == rid) {
        Some(c) => c.clone(),
        None => candidate(lang, r, &rec, None),
    };
    let o = |v: &Option<String>| v.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "—".into());
    let one = |v: String, hit: bool| vec![(if v.is_empty() { "—".into() } else { v }, hit)];
    let i = &rec.input;
    let status =
        [Some(t(lang, &format!("status.{}", i.status.as_str()))), i.status_date.clone(), i.status_place.clone()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
    let rows = vec![
        SideBySide { label: t(lang, "staff.approval.name"), request: r.sought_name.clone(), record: c.name_parts },
        SideBySide {
            label: t(lang, "field.birth_date"),
            request: o(&r.sought_birth),
            record: one(c.birth_date, c.birth_matches),
        },
        SideBySide {
            label: t(lang, "field.birth_place"),
            request: o(&r.sought_birth_place),
            record: one(c.birth_place, c.birth_place_matches),
        },
        SideBySide {
            label: t(lang, "field.region"),
            request: o(&r.sought_region),
            record: one(c.region, c.region_matches),
        },
        SideBySide { label: t(lang, "field.unit"), request: o(&r.sought_unit), record: one(c.unit, c.unit_matches) },
        SideBySide { label: t(lang, "staff.approval.status"), request: "—".into(), record: one(status, false) },
    ];
    let note = events
        .iter()
        .rev()
        .find(|e| e.step.as_deref() == Some(Step::ProposeMatch.as_str()))
        .and_then(|e| e.note.clone())
        .filter(|n| !n.trim().is_empty());
    let proposed = r.proposed_version.unwrap_or(rec.version);
    let changes = if rec.version > proposed {
        let list = st
            .registry
            .store
            .history(rid)
            .await?
            .into_iter()
            .filter(|h| h.version > proposed)
            .rev()
            .map(|h| ChangeView {
                field: t(lang, &format!("field.{}", h.field)),
                old: field_value(lang, &h.field, h.old_value),
                new: field_value(lang, &h.field, h.new_value),
                by: tf(lang, "staff.approval.change_by", &[("who", &h.user_name), ("at", &short_time(&h.at))]),
            })
            .collect();
        Some((proposed, rec.version, list))
    } else {
        None
    };
    let name = [&i.surname, &i.given_name, &i.patronymic]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| crate::backend::display_name(s))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Approval {
        record_id: rid,
        external_id: i.external_id.clone(),
        record_name: name,
        proposed_by: r.proposed_by_name.clone().unwrap_or_else(|| "—".into()),
        rows,
        note,
        changes,
        own: r.proposed_by == Some(me),
    }))
}

/// Rows of a label key and a value.
type Fields = Vec<(&'static str, String)>;

/// The requester's side and the sought person, under staff labels.
fn request_fields(r: &RequestRow) -> (Fields, Fields) {
    let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
    let requester = vec![
        ("staff.req.f.requester_name", r.requester_name.clone()),
        ("staff.req.f.relationship", r.relationship.clone()),
        ("staff.req.f.email", o(&r.email)),
        ("staff.req.f.phone", o(&r.phone)),
        ("staff.req.f.telegram", o(&r.telegram)),
        ("staff.req.f.language", r.lang().native_name().to_string()),
        ("staff.queue.received", short_time(&r.created_at)),
    ];
    let sought = vec![
        ("staff.req.f.sought_name", r.sought_name.clone()),
        ("staff.req.f.sought_birth", o(&r.sought_birth)),
        ("staff.req.f.sought_birth_place", o(&r.sought_birth_place)),
        ("staff.req.f.sought_region", o(&r.sought_region)),
        ("staff.req.f.sought_unit", o(&r.sought_unit)),
        ("staff.req.f.marks", o(&r.marks)),
        ("staff.req.f.free_text", o(&r.free_text)),
    ];
    (requester, sought)
}

/// `GET /staff/requests/{id}`
pub async fn show(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    let (lang, me) = (ctx.lang, g.session.user.id);
    let r = load(&st, lang, id).await?;
    g.audit(&st, &ctx, "view_request", Some(("request", r.reference.clone())), None).await?;
    let store = &st.registry.store;
    let photos = store
        .photo_tokens(id)
        .await?
        .into_iter()
        .map(|tok| (format!("/staff/photos/{tok}?thumb=1"), format!("/staff/photos/{tok}")))
        .collect();
    let events = store.request_events(id).await?;
    let candidates = candidates(&st, lang, &r).await?;
    let approval = approval(&st, lang, &r, &events, &candidates, me).await?;
    let (requester, sought) = request_fields(&r);
    let holder = match &r.claimed_by_name {
        Some(name) => tf(lang, "staff.req.holder", &[("name", name)]),
        None => t(lang, "staff.req.unclaimed"),
    };
    let detail = RequestDetail {
        id,
        reference: r.reference.clone(),
        state: r.state.as_str(),
        state_text: words::state(lang, r.state),
        holder,
        turn: words::turn_text(lang, r.facts(), r.claimed_by_name.as_deref(), r.proposed_by_name.as_deref()),
        age: words::age_since(lang, r.in_state_since(), now()).unwrap_or_default(),
        reply_pending: r.reply_pending,
        new_candidate: r.new_candidate_at.as_deref().map(short_time),
        callback: r.callback_since.as_ref().map(|_| r.phone.clone().or(r.telegram.clone()).unwrap_or_default()),
        requester,
        sought,
        photos,
        candidates,
        messages: message_views(lang, store.request_messages(id).await?, r.reply_pending),
        events: events
            .iter()
            .map(|e| (crate::calendar::display_utc(&e.at, false), words::actor(lang, &e.actor), words::event(lang, e)))
            .collect(),
        approval,
        can: actions(r.facts(), me),
    };
    let n = notice(lang, p.get("ok").map(String::as_str), p.get("err").map(String::as_str));
    Ok(page(StatusCode::OK, request_page(lang, &g.viewer, n, detail)))
}

/// Runs one workflow step from a console form; refusals come back as a
/// notice on the request page (and are in the audit log).
async fn step(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &HashMap<String, String>,
    step: Step,
    data: StepData,
) -> Result<Response, StaffError> {
    let g = Guard::require(st, ctx, Action::ModerateRequests).await?;
    g.check_form(ctx.lang, form.get("csrf").map(String::as_str))?;
    let r = load(st, ctx.lang, id).await?;
    let outcome = st.registry.store.apply_step(id, &step, By::Staff(&g.session.user), data).await?;
    Ok(match outcome {
        Ok(_) => {
            if step == Step::NoMatch {
                // What the page showed was weighed: re-matching will not raise it again.
                let seen: Vec<i64> = search(st, &r).iter().map(|h| h.record.id as i64).collect();
                st.registry.store.mark_candidates_seen(id, &seen).await?;
            }
            redirect(&format!("/staff/requests/{id}?ok=staff.notice.step_done"))
        }
        Err(refusal) => {
            tracing::info!(step = step.as_str(), %refusal, "workflow step refused");
            refused(ctx.lang, &g, &refusal)
        }
    })
}

/// A refused step, in words, as a 409 page.
pub(super) fn refused(lang: Lang, g: &Guard, refusal: &Refusal) -> Response {
    page(
        StatusCode::CONFLICT,
        findkin_app::staff::message_page(lang, Some(&g.viewer), "staff.req.refused", refusal_text(lang, refusal)),
    )
}

fn refusal_text(lang: Lang, r: &Refusal) -> String {
    use Refusal::*;
    t(
        lang,
        match r {
            WrongState(_) => "staff.req.refused.state",
            RequesterOnly => "staff.req.refused.requester_only",
            ModeratorOnly => "staff.req.refused.moderator_only",
            ClaimedByOther => "staff.req.refused.claimed",
            SelfApproval => "staff.req.refused.self_approval",
            AdminOnly => "staff.req.refused.admin_only",
            MessageRequired => "staff.req.refused.message_required",
            NoteRequired => "staff.req.refused.note_required",
            NotAModerator => "staff.req.refused.not_a_moderator",
        },
    )
}

type F = Form<HashMap<String, String>>;

/// The words a console form carries: `message` to the relative, `note` to
/// the other moderator. The workflow refuses a step that needs one without it.
pub(super) fn words(f: &HashMap<String, String>) -> StepData {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    StepData { message: field("message"), note: field("note"), ..StepData::default() }
}

pub async fn claim(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::Claim, StepData::default()).await
}

pub async fn ask(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let data = words(&f);
    if data.message.is_none() {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.message_needed")));
    }
    step(&st, &ctx, id, &f, Step::AskInfo, data).await
}

pub async fn propose(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let record = f.get("record_id").and_then(|r| r.parse::<i64>().ok());
    let exists = match record {
        Some(r) => st.registry.store.record(r).await?.is_some(),
        None => false,
    };
    if !exists {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.record_needed")));
    }
    step(&st, &ctx, id, &f, Step::ProposeMatch, StepData { proposed_record_id: record, ..words(&f) }).await
}

/// `POST /staff/requests/{id}/called_back`: a moderator has told a
/// relative without email or Telegram of the news by phone.
pub async fn called_back(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    load(&st, ctx.lang, id).await?;
    st.registry.store.called_back(id, &g.session.user).await?;
    Ok(redirect(&format!("/staff/requests/{id}?ok=staff.notice.called_back")))
}

pub async fn no_match(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::NoMatch, words(&f)).await
}

/// `POST /staff/requests/{id}/reject`: the reason to the relative comes
/// as `message` (older forms sent `reason`).
pub async fn reject(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let mut data = words(&f);
    if data.message.is_none() {
        data.message = f.get("reason").map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    }
    if data.message.is_none() {
        return Ok(redirect(&format!("/staff/requests/{id}?err=staff.notice.reason_needed")));
    }
    step(&st, &ctx, id, &f, Step::Reject, data).await
}

pub async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::Approve, words(&f)).await
}

pub async fn return_to_review(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::ReturnToReview, words(&f)).await
}

/// `POST /staff/requests/{id}/release`: the claimer gives the request back
/// to the queue for any moderator.
pub async fn release(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    step(&st, &ctx, id, &f, Step::ReleaseClaim, words(&f)).await
}

/// A message to the requester without a state change, from whoever holds
/// the request (after a decision: any moderator); see [`may_write`].
pub async fn message(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): F,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    g.check_form(ctx.lang, f.get("csrf").map(String::as_str))?;
    let r = load(&st, ctx.lang, id).await?;
    if let Err(refusal) = may_write(r.facts(), g.session.user.id) {
        return Ok(refused(ctx.lang, &g, &refusal));
    }
    if let Some(body) = f.get("message").filter(|m| !m.trim().is_empty()) {
        st.registry.store.add_message(id, By::Staff(&g.session.user), body).await?;
        g.audit(&st, &ctx, "request_message", Some(("request", r.reference)), None).await?;
    }
    Ok(redirect(&format!("/staff/requests/{id}?ok=staff.notice.step_done")))
}

/// A request photo for staff (moderators), never cached.
pub async fn photo(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Response, StaffError> {
    let g = Guard::require(&st, &ctx, Action::ModerateRequests).await?;
    match st.registry.store.photo(&token, p.contains_key("thumb")).await? {
        Some((rid, data)) => {
            if !p.contains_key("thumb") {
                g.audit(&st, &ctx, "view_photo", Some(("request", rid.to_string())), None).await?;
            }
            Ok(jpeg(data))
        }
        None => Err(StaffError::NotFound { lang: ctx.lang }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use findkin_app::i18n::has_key;

    #[test]
    fn every_queue_view_parses_and_is_explained() {
        for v in ["new_reply", "my_approval", "mine", "my_replies", "unclaimed", "new_candidate", "callback"] {
            assert!(parse_view(v, 1).is_some(), "{v}");
            assert!(has_key(&format!("staff.queue.view.{v}")), "{v}");
        }
        assert_eq!(parse_view("everything", 1), None);
    }

    #[test]
    fn forms_follow_the_workflow() {
        let f = |state, claimed_by, proposed_by| Facts { state, claimed_by, proposed_by, reply_pending: false };
        let free = actions(f(RState::Submitted, None, None), 1);
        assert!(free.claim && !free.release && !free.ask && !free.message);
        let mine = actions(f(RState::InReview, Some(1), None), 1);
        assert!(
            !mine.claim && mine.release && mine.ask && mine.propose && mine.no_match && mine.reject && mine.message
        );
        let theirs = actions(f(RState::InReview, Some(2), None), 1);
        assert!(!theirs.claim && !theirs.release && !theirs.ask && !theirs.message);
        let proposed = f(RState::MatchProposed, Some(1), Some(1));
        assert!(!actions(proposed, 1).approve && actions(proposed, 2).approve && actions(proposed, 2).send_back);
        assert!(actions(f(RState::Released, Some(1), Some(1)), 3).message, "anyone answers after a decision");
        assert!(!actions(f(RState::Withdrawn, None, None), 3).message);
    }
}
