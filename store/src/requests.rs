//! Contact requests as stored. (The workflow's own statements are still
//! in the server's `requests` module and move here next.)

use crate::audit::{self, Entry};
use crate::staff::StaffUser;
use crate::{clock, Conn, Store, StoreError, Writer};

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
