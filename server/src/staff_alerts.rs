//! Work for moderators — new requests, replies, new candidates — written
//! as alerts in the same transaction as the event. A digest worker turns
//! the alerts since each moderator's last digest into one message on the
//! channel they chose, so a busy day is a few messages, not a flood.

use sqlx::SqliteConnection;

use crate::Error;

/// What happened that a moderator should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    NewRequest,
    Reply,
    Candidate,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [AlertKind::NewRequest, AlertKind::Reply, AlertKind::Candidate];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewRequest => "new_request",
            AlertKind::Reply => "reply",
            AlertKind::Candidate => "candidate",
        }
    }
}

/// Records an alert inside the caller's transaction.
pub async fn raise(tx: &mut SqliteConnection, kind: AlertKind, request_id: i64) -> Result<(), Error> {
    sqlx::query("INSERT INTO staff_alerts (kind, request_id, at) VALUES (?, ?, ?)")
        .bind(kind.as_str())
        .bind(request_id)
        .bind(crate::users::now())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
