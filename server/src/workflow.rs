//! The contact request workflow (docs/ARCHITECTURE.md) as a pure state machine: which
//! step is allowed from which state, by whom. Storage applies the result.
//!
//! ```text
//! submitted ─claim─▶ in_review ─propose─▶ match_proposed ─approve (2nd moderator)─▶ released
//!     ▲                 │ │ │                  └─return (2nd moderator)─▶ in_review
//!     └─requester adds──┘ │ ├─ask for info─▶ needs_info ─requester answers─▶ submitted
//!                         │ ├─no match─▶ closed_no_match
//!                         └─reject (reason)─▶ rejected      withdrawn (requester, any open state)
//! ```

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Submitted,
    InReview,
    NeedsInfo,
    MatchProposed,
    Released,
    ClosedNoMatch,
    Rejected,
    Withdrawn,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Submitted,
        State::InReview,
        State::NeedsInfo,
        State::MatchProposed,
        State::Released,
        State::ClosedNoMatch,
        State::Rejected,
        State::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::InReview => "in_review",
            State::NeedsInfo => "needs_info",
            State::MatchProposed => "match_proposed",
            State::Released => "released",
            State::ClosedNoMatch => "closed_no_match",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still being worked on: the requester may withdraw or add information.
    pub fn is_open(self) -> bool {
        matches!(self, State::Submitted | State::InReview | State::NeedsInfo | State::MatchProposed)
    }
}

/// A step someone asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Claim,
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
    pub fn as_str(&self) -> &'static str {
        match self {
            Step::Claim => "claim",
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
}

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Requester,
    Moderator(i64),
}

/// What the request looks like to the machine.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub state: State,
    pub claimed_by: Option<i64>,
    pub proposed_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this step is not possible while the request is {0}")]
    WrongState(&'static str),
    #[error("only the requester can do this")]
    RequesterOnly,
    #[error("only a moderator can do this")]
    ModeratorOnly,
    #[error("another moderator is handling this request")]
    ClaimedByOther,
    #[error("the moderator who proposed the match cannot approve it: a second moderator must")]
    SelfApproval,
}

/// The state a step leads to, or why it is refused.
pub fn next(f: Facts, step: &Step, actor: Actor) -> Result<State, Refusal> {
    use State::*;
    let wrong = || Refusal::WrongState(f.state.as_str());
    let moderator = match actor {
        Actor::Moderator(id) => Some(id),
        Actor::Requester => None,
    };
    let need_moderator = || moderator.ok_or(Refusal::ModeratorOnly);
    // Review steps belong to the moderator who claimed the request.
    let claimer = || -> Result<(), Refusal> {
        let me = need_moderator()?;
        if f.claimed_by.is_some_and(|c| c != me) {
            return Err(Refusal::ClaimedByOther);
        }
        Ok(())
    };
    match step {
        Step::Claim => {
            let me = need_moderator()?;
            match f.state {
                Submitted => Ok(InReview),
                InReview if f.claimed_by == Some(me) => Ok(InReview),
                InReview => Err(Refusal::ClaimedByOther),
                _ => Err(wrong()),
            }
        }
        Step::AskInfo | Step::ProposeMatch | Step::NoMatch | Step::Reject => {
            claimer()?;
            if f.state != InReview {
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
            Ok(if *step == Step::Approve { Released } else { InReview })
        }
        Step::RequesterAddsInfo => {
            if moderator.is_some() {
                return Err(Refusal::RequesterOnly);
            }
            match f.state {
                Submitted => Ok(Submitted),
                InReview | NeedsInfo => Ok(Submitted),
                MatchProposed => Ok(MatchProposed),
                _ => Err(wrong()),
            }
        }
        Step::Withdraw => {
            if moderator.is_some() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: State, claimed_by: Option<i64>, proposed_by: Option<i64>) -> Facts {
        Facts { state, claimed_by, proposed_by }
    }

    #[test]
    fn the_happy_path_needs_two_moderators() {
        let m1 = Actor::Moderator(1);
        let m2 = Actor::Moderator(2);
        assert_eq!(next(facts(State::Submitted, None, None), &Step::Claim, m1), Ok(State::InReview));
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::ProposeMatch, m1), Ok(State::MatchProposed));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Approve, m1), Err(Refusal::SelfApproval));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Approve, m2), Ok(State::Released));
        assert_eq!(next(facts(State::MatchProposed, Some(1), Some(1)), &Step::ReturnToReview, m2), Ok(State::InReview));
    }

    #[test]
    fn every_state_and_step_is_decided() {
        // Exhaustive: every combination gives a state or a reason, never a panic,
        // and nothing leaves a closed state.
        let steps = [
            Step::Claim,
            Step::AskInfo,
            Step::ProposeMatch,
            Step::NoMatch,
            Step::Reject,
            Step::Approve,
            Step::ReturnToReview,
            Step::RequesterAddsInfo,
            Step::Withdraw,
        ];
        for state in State::ALL {
            for step in &steps {
                for actor in [Actor::Requester, Actor::Moderator(1), Actor::Moderator(2)] {
                    let r = next(facts(state, Some(1), Some(1)), step, actor);
                    if !state.is_open() {
                        assert!(r.is_err(), "{state:?} {step:?} {actor:?} must be refused");
                    }
                }
            }
        }
    }

    #[test]
    fn refusals() {
        let m1 = Actor::Moderator(1);
        let m2 = Actor::Moderator(2);
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Claim, m2), Err(Refusal::ClaimedByOther));
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Reject, m2), Err(Refusal::ClaimedByOther));
        assert_eq!(
            next(facts(State::Submitted, None, None), &Step::ProposeMatch, m1),
            Err(Refusal::WrongState("submitted"))
        );
        assert_eq!(
            next(facts(State::Submitted, None, None), &Step::Claim, Actor::Requester),
            Err(Refusal::ModeratorOnly)
        );
        assert_eq!(next(facts(State::InReview, Some(1), None), &Step::Withdraw, m1), Err(Refusal::RequesterOnly));
        assert_eq!(
            next(facts(State::NeedsInfo, Some(1), None), &Step::RequesterAddsInfo, Actor::Requester),
            Ok(State::Submitted)
        );
        assert_eq!(
            next(facts(State::Released, Some(1), Some(1)), &Step::Withdraw, Actor::Requester),
            Err(Refusal::WrongState("released"))
        );
        assert_eq!(
            next(facts(State::MatchProposed, Some(1), Some(1)), &Step::Withdraw, Actor::Requester),
            Ok(State::Withdrawn)
        );
    }
}
