//! The contact request workflow (docs/ARCHITECTURE.md) as a pure state machine: which
//! step is allowed from which state, by whom. Storage applies the result.
//!
//! ```text
//!            ┌──release claim / claimer disabled──┐
//!            ▼                                    │
//! submitted ─claim / admin reassigns─▶ in_review ─propose─▶ match_proposed ─approve (2nd moderator)─▶ released
//!                                      ▲  │ │ │                 └─return with a note (2nd moderator)─▶ in_review
//!                     relative answers │  │ │ └─ask (message)─▶ needs_info
//!                     ─────────────────┘──┘ ├─no match (message)─▶ closed_no_match
//!                                           └─reject (message)─▶ rejected     withdrawn (relative, any open state)
//! ```
//!
//! A reply from the relative never moves a request out of someone's hands:
//! an answer to a question goes back to the review of the moderator who
//! asked; elsewhere (also after a decision) the state stays and the queue
//! shows "new reply". [`turn`] names who can act; the tests prove that
//! every reachable open request has someone.

pub use findkin_store::state::State;

/// A step someone asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Claim,
    /// The claimer (or an admin) gives the request back to the queue.
    ReleaseClaim,
    /// An admin hands the request to this moderator.
    Reassign(i64),
    AskInfo,
    ProposeMatch,
    NoMatch,
    Reject,
    /// Second moderator confirms the proposed match: details are released.
    Approve,
    /// Second moderator disagrees with the proposal: back to review.
    ReturnToReview,
    /// The requester writes or adds a photo.
    RequesterAddsInfo,
    Withdraw,
}

impl Step {
    /// One of each kind of step (the reassignment to a placeholder user),
    /// for tables and tests that must cover them all.
    pub const KINDS: [Step; 11] = [
        Step::Claim,
        Step::ReleaseClaim,
        Step::Reassign(0),
        Step::AskInfo,
        Step::ProposeMatch,
        Step::NoMatch,
        Step::Reject,
        Step::Approve,
        Step::ReturnToReview,
        Step::RequesterAddsInfo,
        Step::Withdraw,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Step::Claim => "claim",
            Step::ReleaseClaim => "release_claim",
            Step::Reassign(_) => "reassign",
            Step::AskInfo => "ask_info",
            Step::ProposeMatch => "propose_match",
            Step::NoMatch => "no_match",
            Step::Reject => "reject",
            Step::Approve => "approve",
            Step::ReturnToReview => "return_to_review",
            Step::RequesterAddsInfo => "requester_adds_info",
            Step::Withdraw => "withdraw",
        }
    }

    /// Steps that end in words to the relative: a question, a decision.
    /// Without a message the relative would read a bare state.
    pub fn needs_message(&self) -> bool {
        matches!(self, Step::AskInfo | Step::NoMatch | Step::Reject | Step::Approve)
    }

    /// Steps that owe the other moderator a reason.
    pub fn needs_note(&self) -> bool {
        matches!(self, Step::ReturnToReview)
    }

    /// Whether the relative is told of the state this step leads to. Only
    /// questions and final decisions are sent: a proposal may still be
    /// returned, so "a match is being checked" would be a false hope.
    pub fn tells_requester(&self) -> bool {
        matches!(self, Step::AskInfo | Step::NoMatch | Step::Reject | Step::Approve)
    }

    /// Steps by which staff take up what the relative wrote: they clear "new reply".
    pub fn answers_reply(&self) -> bool {
        !matches!(self, Step::Claim | Step::ReleaseClaim | Step::Reassign(_) | Step::RequesterAddsInfo | Step::Withdraw)
    }
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Requester,
    Moderator(i64),
    /// Administrators do not moderate, but they can move claims.
    Admin(i64),
}

/// What the request looks like to the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facts {
    pub state: State,
    pub claimed_by: Option<i64>,
    pub proposed_by: Option<i64>,
    /// The relative wrote after staff last acted.
    pub reply_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this step is not possible while the request is {0}")]
    WrongState(&'static str),
    #[error("only the requester can do this")]
    RequesterOnly,
    #[error("only a moderator can do this")]
    ModeratorOnly,
    #[error("only an administrator can do this")]
    AdminOnly,
    #[error("another moderator is handling this request")]
    ClaimedByOther,
    #[error("the moderator who proposed the match cannot approve it: a second moderator must")]
    SelfApproval,
    #[error("this step needs a message to the relative")]
    MessageRequired,
    #[error("this step needs a note for the other moderator")]
    NoteRequired,
    #[error("the request can only be handed to an active moderator")]
    NotAModerator,
}

/// Whose turn it is: who the queue says can act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Unclaimed (or a closed request with a new reply): any moderator.
    AnyModerator,
    /// The moderator who claimed it.
    Claimer(i64),
    /// Any moderator but the one who proposed the match.
    SecondModerator { not: i64 },
    /// A question waits for the relative (the claimer may still act).
    Requester { claimer: i64 },
    /// Closed and nothing new.
    Nobody,
}

/// Whose turn it is for these facts.
pub fn turn(f: Facts) -> Turn {
    use State::*;
    match (f.state, f.claimed_by, f.proposed_by) {
        (MatchProposed, _, Some(p)) => Turn::SecondModerator { not: p },
        (InReview, Some(c), _) => Turn::Claimer(c),
        (NeedsInfo, Some(c), _) => Turn::Requester { claimer: c },
        (s, _, _) if !s.is_open() && !f.reply_pending => Turn::Nobody,
        _ => Turn::AnyModerator,
    }
}

/// The state a step leads to, or why it is refused.
pub fn next(f: Facts, step: &Step, actor: Actor) -> Result<State, Refusal> {
    use State::*;
    let wrong = || Refusal::WrongState(f.state.as_str());
    let moderator = match actor {
        Actor::Moderator(id) => Some(id),
        _ => None,
    };
    let need_moderator = || moderator.ok_or(Refusal::ModeratorOnly);
    // Review steps belong to the moderator who claimed the request.
    let claimer = || -> Result<(), Refusal> {
        let me = need_moderator()?;
        if f.claimed_by != Some(me) {
            return Err(Refusal::ClaimedByOther);
        }
        Ok(())
    };
    let staff_only = || {
        if actor == Actor::Requester {
            Err(Refusal::ModeratorOnly)
        } else {
            Ok(())
        }
    };
    match step {
        Step::Claim => {
            let me = need_moderator()?;
            match f.state {
                Submitted => Ok(InReview),
                InReview | NeedsInfo if f.claimed_by == Some(me) => Ok(f.state),
                // Nobody holds it (its claimer left): anyone may take it up.
                InReview | NeedsInfo if f.claimed_by.is_none() => Ok(InReview),
                InReview | NeedsInfo => Err(Refusal::ClaimedByOther),
                _ => Err(wrong()),
            }
        }
        Step::ReleaseClaim => {
            staff_only()?;
            if !matches!(f.state, InReview | NeedsInfo) {
                return Err(wrong());
            }
            match actor {
                Actor::Admin(_) => Ok(Submitted),
                _ => claimer().map(|_| Submitted),
            }
        }
        Step::Reassign(_) => {
            if !matches!(actor, Actor::Admin(_)) {
                return Err(Refusal::AdminOnly);
            }
            match f.state {
                Submitted => Ok(InReview),
                InReview | NeedsInfo => Ok(f.state),
                _ => Err(wrong()),
            }
        }
        Step::AskInfo | Step::ProposeMatch | Step::NoMatch | Step::Reject => {
            claimer()?;
            if !matches!(f.state, InReview | NeedsInfo) {
                return Err(wrong());
            }
            Ok(match step {
                Step::AskInfo => NeedsInfo,
                Step::ProposeMatch => MatchProposed,
                Step::NoMatch => ClosedNoMatch,
                _ => Rejected,
            })
        }
        Step::Approve | Step::ReturnToReview => {
            let me = need_moderator()?;
            if f.state != MatchProposed {
                return Err(wrong());
            }
            if f.proposed_by == Some(me) {
                return Err(Refusal::SelfApproval);
            }
            Ok(match step {
                Step::Approve => Released,
                // Back to the moderator who proposed, if they still can act.
                _ if f.claimed_by.is_some() => InReview,
                _ => Submitted,
            })
        }
        Step::RequesterAddsInfo => {
            if actor != Actor::Requester {
                return Err(Refusal::RequesterOnly);
            }
            match f.state {
                // An answer goes back to the review of whoever asked.
                NeedsInfo if f.claimed_by.is_some() => Ok(InReview),
                NeedsInfo => Ok(Submitted),
                Withdrawn => Err(wrong()),
                // Elsewhere, including after a decision, the state stays and
                // the queue shows the new reply.
                s => Ok(s),
            }
        }
        Step::Withdraw => {
            if actor != Actor::Requester {
                return Err(Refusal::RequesterOnly);
            }
            if f.state.is_open() {
                Ok(Withdrawn)
            } else {
                Err(wrong())
            }
        }
    }
}

/// The facts after a step: the state and who holds the request.
pub fn apply(f: Facts, step: &Step, actor: Actor, to: State) -> Facts {
    let me = match actor {
        Actor::Moderator(id) | Actor::Admin(id) => Some(id),
        Actor::Requester => None,
    };
    let mut out = Facts { state: to, ..f };
    match step {
        Step::Claim => out.claimed_by = me,
        Step::Reassign(to) => out.claimed_by = Some(*to),
        Step::ReleaseClaim => out.claimed_by = None,
        Step::ProposeMatch => out.proposed_by = me,
        Step::ReturnToReview => out.proposed_by = None,
        _ => {}
    }
    if *step == Step::RequesterAddsInfo {
        out.reply_pending = true;
    } else if step.answers_reply() {
        out.reply_pending = false;
    }
    out
}

/// Disabling an account gives back every request it held for review, so
/// none waits on someone who can no longer sign in.
pub fn on_disable(f: Facts, user: i64) -> Facts {
    if f.claimed_by != Some(user) || !f.state.is_open() {
        return f;
    }
    let state = if matches!(f.state, State::InReview | State::NeedsInfo) { State::Submitted } else { f.state };
    Facts { state, claimed_by: None, ..f }
}

/// A new strong candidate came with a record import or edit: a request
/// closed as "no match" goes back to the queue for any moderator; an open
/// one stays where it is (the queue marks it). Nothing else reopens.
pub fn on_new_candidate(f: Facts) -> Facts {
    match f.state {
        State::ClosedNoMatch => Facts { state: State::Submitted, claimed_by: None, proposed_by: None, ..f },
        _ => f,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashSet, VecDeque};

    use super::*;

    fn facts(state: State, claimed_by: Option<i64>, proposed_by: Option<i64>) -> Facts {
        Facts { state, claimed_by, proposed_by, reply_pending: false }
    }

    const M1: Actor = Actor::Moderator(1);
    const M2: Actor = Actor::Moderator(2);
    const ADMIN: Actor = Actor::Admin(9);

    fn all_steps() -> Vec<Step> {
        let mut steps = Step::KINDS.to_vec();
        steps.extend([Step::Reassign(1), Step::Reassign(2), Step::Reassign(3)]);
        steps
    }

    #[test]
    fn the_happy_path_needs_two_moderators() {
        assert_eq!(next(facts(State::Submitted, None, None), &Step::Claim, M1), Ok(State::InReview));
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::ProposeMatch, M1), Ok(State::MatchProposed));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Approve, M1), Err(Refusal::SelfApproval));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Approve, M2), Ok(State::Released));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::ReturnToReview, M2), Ok(State::InReview));
    }

    #[test]
    fn an_answer_goes_back_to_the_moderator_who_asked() {
        let asked = apply(facts(State::InReview, Some(2), None), &Step::AskInfo, M2, State::NeedsInfo);
        let to = next(asked, &Step::RequesterAddsInfo, Actor::Requester);
        assert_eq!(to, Ok(State::InReview));
        let answered = apply(asked, &Step::RequesterAddsInfo, Actor::Requester, State::InReview);
        assert_eq!(answered.claimed_by, Some(2));
        assert!(answered.reply_pending, "the queue shows a new reply");
        assert_eq!(turn(answered), Turn::Claimer(2));
        // and moderator 2 has the review steps again
        assert_eq!(next(answered, &Step::ProposeMatch, M2), Ok(State::MatchProposed));
        let proposed = apply(answered, &Step::ProposeMatch, M2, State::MatchProposed);
        assert!(!proposed.reply_pending, "acting on it clears the reply flag");
    }

    #[test]
    fn claims_can_be_released_reassigned_and_are_freed_by_disabling() {
        let held = facts(State::InReview, Some(1), None);
        assert_eq!(next(held, &Step::ReleaseClaim, M1), Ok(State::Submitted));
        assert_eq!(next(held, &Step::ReleaseClaim, M2), Err(Refusal::ClaimedByOther));
        assert_eq!(next(held, &Step::ReleaseClaim, ADMIN), Ok(State::Submitted));
        assert_eq!(next(held, &Step::Reassign(2), M1), Err(Refusal::AdminOnly));
        assert_eq!(next(held, &Step::Reassign(2), ADMIN), Ok(State::InReview));
        assert_eq!(apply(held, &Step::Reassign(2), ADMIN, State::InReview).claimed_by, Some(2));
        let freed = on_disable(held, 1);
        assert_eq!((freed.state, freed.claimed_by), (State::Submitted, None));
        assert_eq!(next(freed, &Step::Claim, M2), Ok(State::InReview));
        // A proposal by someone since disabled comes back to the queue, not to them.
        let proposal = on_disable(facts(State::MatchProposed, Some(1), Some(1)), 1);
        assert_eq!(next(proposal, &Step::ReturnToReview, M2), Ok(State::Submitted));
    }

    #[test]
    fn decisions_need_words_and_only_they_reach_the_relative() {
        for s in [Step::AskInfo, Step::NoMatch, Step::Reject, Step::Approve] {
            assert!(s.needs_message() && s.tells_requester(), "{s:?}");
        }
        for s in [Step::Claim, Step::ProposeMatch, Step::ReturnToReview, Step::ReleaseClaim] {
            assert!(!s.tells_requester(), "{s:?} is not final: the relative hears nothing yet");
        }
        assert!(Step::ReturnToReview.needs_note());
    }

    /// The proof the issue asks for: from a new request, every sequence of
    /// steps by the requester, three moderators and an admin, with any one
    /// moderator disabled at any point, reaches only states in which an
    /// open request (or a closed one with a new reply) has a staff member
    /// still able to act, and a turn that names them.
    #[test]
    fn no_reachable_open_request_is_without_someone_who_can_act() {
        let actors = [Actor::Requester, M1, M2, Actor::Moderator(3), ADMIN];
        // (facts, the disabled moderator if any)
        let start = (facts(State::Submitted, None, None), None::<i64>);
        let mut seen = HashSet::new();
        let mut todo = VecDeque::from([start]);
        while let Some((f, disabled)) = todo.pop_front() {
            if !seen.insert((f, disabled)) {
                continue;
            }
            let active = |a: &Actor| match a {
                Actor::Moderator(id) => Some(*id) != disabled,
                _ => true,
            };
            let needs_staff = f.state.is_open() || f.reply_pending;
            if needs_staff {
                // Someone on staff, still active, has a step that moves it on
                // (a closed request with a reply is answered by a message,
                // which any moderator may write).
                let staff_can = actors.iter().filter(|a| **a != Actor::Requester && active(a)).any(|a| {
                    all_steps().iter().any(|s| match s {
                        Step::Reassign(to) if Some(*to) == disabled => false,
                        s => {
                            next(f, s, *a).is_ok_and(|to| to != f.state || *s == Step::Claim && f.claimed_by.is_none())
                        }
                    })
                }) || (!f.state.is_open() && f.reply_pending);
                assert!(staff_can, "stranded: {f:?} with moderator {disabled:?} disabled");
                let named = match turn(f) {
                    Turn::Claimer(c) | Turn::Requester { claimer: c } => Some(c) != disabled,
                    Turn::AnyModerator | Turn::SecondModerator { .. } => true,
                    Turn::Nobody => false,
                };
                assert!(named, "the queue names nobody who can act: {f:?}, disabled {disabled:?}");
            }
            for a in actors.iter().filter(|a| active(a)) {
                for s in all_steps() {
                    if matches!(s, Step::Reassign(to) if Some(to) == disabled) {
                        continue; // storage refuses handing work to a disabled account
                    }
                    if let Ok(to) = next(f, &s, *a) {
                        todo.push_back((apply(f, &s, *a, to), disabled));
                    }
                }
            }
            if disabled.is_none() {
                for m in 1..=3 {
                    todo.push_back((on_disable(f, m), Some(m)));
                }
            }
        }
        assert!(seen.len() > 30, "the search explored the machine: {} states", seen.len());
    }

    #[test]
    fn every_state_and_step_is_decided() {
        // Every combination gives a state or a reason, never a panic, and
        // nothing but a reply is possible in a closed state.
        for state in State::ALL {
            for step in all_steps() {
                for actor in [Actor::Requester, M1, M2, ADMIN] {
                    let r = next(facts(state, Some(1), Some(1)), &step, actor);
                    if !state.is_open() && step != Step::RequesterAddsInfo {
                        assert!(r.is_err(), "{state:?} {step:?} {actor:?} must be refused");
                    }
                }
            }
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Claim, M2), Err(Refusal::ClaimedByOther));
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Reject, M2), Err(Refusal::ClaimedByOther));
        assert_eq!(next(facts(State::Submitted, None, None), &Step::ProposeMatch, M1), Err(Refusal::ClaimedByOther));
        assert_eq!(
            next(facts(State::Submitted, None, None), &Step::Claim, Actor::Requester),
            Err(Refusal::ModeratorOnly)
        );
        assert_eq!(next(facts(State::Submitted, None, None), &Step::Claim, ADMIN), Err(Refusal::ModeratorOnly));
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Withdraw, M1), Err(Refusal::RequesterOnly));
        assert_eq!(
            next(facts(State::Released, Some(1), Some(1)), &Step::Withdraw, Actor::Requester),
            Err(Refusal::WrongState("released"))
        );
        assert_eq!(
            next(facts(State::Released, Some(1), Some(1)), &Step::RequesterAddsInfo, Actor::Requester),
            Ok(State::Released),
            "the relative can answer a release"
        );
        assert_eq!(
            next(facts(State::Withdrawn, None, None), &Step::RequesterAddsInfo, Actor::Requester),
            Err(Refusal::WrongState("withdrawn"))
        );
        assert_eq!(
            next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Withdraw, Actor::Requester),
            Ok(State::Withdrawn)
        );
    }

    #[test]
    fn a_new_candidate_reopens_only_no_match_and_someone_can_act() {
        let closed = facts(State::ClosedNoMatch, Some(1), None);
        let reopened = on_new_candidate(closed);
        assert_eq!(reopened.state, State::Submitted);
        assert_eq!(reopened.claimed_by, None);
        assert_eq!(turn(reopened), Turn::AnyModerator);
        assert!(next(reopened, &Step::Claim, M2).is_ok());
        for state in [State::InReview, State::NeedsInfo, State::MatchProposed, State::Released, State::Rejected] {
            let f = facts(state, Some(1), Some(1));
            assert_eq!(on_new_candidate(f), f, "{state:?} must stay as it is");
        }
    }
}
