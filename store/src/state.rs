//! Where a contact request stands, as stored in `contact_requests.state`.
//! The rules for moving between states are the server's `workflow`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
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
