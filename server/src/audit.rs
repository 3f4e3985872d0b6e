//! The audit log: append-only. This module only inserts and reads; the
//! database refuses updates and deletes (triggers in the migration).

use serde::Serialize;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::auth::StaffUser;
use crate::store::Store;
use crate::Error;

/// One thing that happened.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    pub actor: Option<&'a StaffUser>,
    /// For events without a signed-in actor (a failed sign-in names the account tried).
    pub actor_name: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub details: Option<String>,
    /// Already truncated ([`crate::auth::truncate_address`]).
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_name: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: Option<String>,
    pub address: Option<String>,
}

/// Filters for browsing the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Inclusive dates, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Store {
    pub async fn audit(&self, e: Entry<'_>) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, details, address)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.actor.map(|a| a.id))
        .bind(e.actor.map(|a| a.name.as_str()).or(e.actor_name).unwrap_or("-"))
        .bind(e.action)
        .bind(e.target_type)
        .bind(e.target_id)
        .bind(e.details)
        .bind(e.address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Newest first; `limit` rows after skipping `offset`.
    pub async fn audit_rows(&self, f: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>, Error> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, at, actor_name, action, target_type, target_id, details, address FROM audit_log WHERE 1 = 1",
        );
        if let Some(a) = &f.actor {
            q.push(" AND actor_name = ").push_bind(a.clone());
        }
        if let Some(a) = &f.action {
            q.push(" AND action = ").push_bind(a.clone());
        }
        if let Some(d) = &f.from {
            q.push(" AND at >= ").push_bind(d.clone());
        }
        if let Some(d) = &f.to {
            q.push(" AND at < date(").push_bind(d.clone()).push(", '+1 day')");
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_name: r.try_get("actor_name")?,
                    action: r.try_get("action")?,
                    target_type: r.try_get("target_type")?,
                    target_id: r.try_get("target_id")?,
                    details: r.try_get("details")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }
}

/// The log as CSV (for an admin's export).
pub fn to_csv(rows: &[AuditRow]) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "at", "actor", "action", "target_type", "target_id", "details", "address"])
        .map_err(|e| Error::Config(e.to_string()))?;
    for r in rows {
        w.write_record([
            r.id.to_string(),
            r.at.clone(),
            r.actor_name.clone(),
            r.action.clone(),
            r.target_type.clone().unwrap_or_default(),
            r.target_id.clone().unwrap_or_default(),
            r.details.clone().unwrap_or_default(),
            r.address.clone().unwrap_or_default(),
        ])
        .map_err(|e| Error::Config(e.to_string()))?;
    }
    w.into_inner().map_err(|e| Error::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open_sqlite(&dir.path().join("t.db")).await.expect("store");
        store.audit(Entry { actor_name: Some("t"), action: "test", ..Entry::default() }).await.expect("append");
        for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
            let err = sqlx::query(sql).execute(&store.pool).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        let rows = store.audit_rows(&Filter::default(), 10, 0).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "test");
        let csv = String::from_utf8(to_csv(&rows).expect("csv")).expect("utf8");
        assert!(csv.starts_with("id,at,actor,action"));
    }
}
