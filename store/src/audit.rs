//! The audit log: append-only, and tamper-evident.
//!
//! Every row carries the SHA-256 of its content chained to the previous
//! row's hash, so deleting, changing or reordering a row breaks the chain
//! at that row, even for someone who can drop the SQLite triggers or own
//! the PostgreSQL table. [`Store::verify_audit`] walks the chain.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Executor, FromRow};

use crate::staff::StaffUser;
use crate::{clock, Conn, Dialect, Sql, Store, StoreError, Writer};

/// One thing that happened.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    pub actor: Option<&'a StaffUser>,
    /// The actor's id when there is no [`StaffUser`] at hand.
    pub actor_id: Option<i64>,
    /// For events without a signed-in actor (a failed sign-in names the account tried).
    pub actor_name: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub details: Option<String>,
    /// Already truncated (the server's `auth::truncate_address`).
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, FromRow)]
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

/// A row as the chain sees it.
#[derive(Debug, FromRow)]
struct Link {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    actor_name: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    details: Option<String>,
    address: Option<String>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Link {
    /// The hash of this row's content after `prev`. Each field is length
    /// prefixed, so no two different rows hash the same text.
    fn digest(&self, prev: &str) -> String {
        let mut h = Sha256::new();
        let mut field = |v: Option<&str>| match v {
            Some(v) => {
                h.update((v.len() as u64 + 1).to_be_bytes());
                h.update(v.as_bytes());
            }
            None => h.update(0u64.to_be_bytes()),
        };
        let actor_id = self.actor_id.map(|i| i.to_string());
        field(Some(prev));
        field(Some(&self.at));
        field(actor_id.as_deref());
        field(Some(&self.actor_name));
        field(Some(&self.action));
        field(self.target_type.as_deref());
        field(self.target_id.as_deref());
        field(self.details.as_deref());
        field(self.address.as_deref());
        hex::encode(h.finalize())
    }
}

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every chained row links to the one before; `head` is the last hash
    /// (write it down elsewhere to notice a cut-off tail later).
    Intact { rows: u64, unchained: u64, head: String },
    /// The first row whose link does not hold, and why.
    Broken { id: i64, reason: &'static str },
}

/// Appends one row to the chain in the caller's transaction. On
/// PostgreSQL the chain's tail is locked until the transaction ends, so two
/// transactions never chain to the same row.
pub async fn append(conn: &mut Conn, e: &Entry<'_>) -> Result<(), StoreError> {
    if let Some(lock) = Dialect::of_conn(conn).audit_lock() {
        conn.execute(lock.as_str()).await?;
    }
    let prev: Option<Option<String>> =
        sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let prev = prev.flatten().unwrap_or_default();
    let mut link = Link {
        id: 0,
        at: clock::now(),
        actor_id: e.actor.map(|a| a.id).or(e.actor_id),
        actor_name: e.actor.map(|a| a.name.as_str()).or(e.actor_name).unwrap_or("-").to_string(),
        action: e.action.to_string(),
        target_type: e.target_type.map(str::to_string),
        target_id: e.target_id.clone(),
        details: e.details.clone(),
        address: e.address.clone(),
        prev_hash: None,
        hash: None,
    };
    let hash = link.digest(&prev);
    link.prev_hash = Some(prev);
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target_type, target_id, details, address, \
         prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&link.at)
    .bind(link.actor_id)
    .bind(&link.actor_name)
    .bind(&link.action)
    .bind(&link.target_type)
    .bind(&link.target_id)
    .bind(&link.details)
    .bind(&link.address)
    .bind(&link.prev_hash)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
    /// Appends one row in a transaction of its own.
    pub async fn audit(&self, e: Entry<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Walks the whole chain, oldest first, in pages. Rows written before
    /// the chain existed (no hash) may only come first.
    pub async fn verify_audit(&self, progress: &mut (dyn FnMut(u64) + Send)) -> Result<Verdict, StoreError> {
        let (mut after, mut rows, mut unchained) = (0_i64, 0_u64, 0_u64);
        let mut prev: Option<String> = None;
        loop {
            let page: Vec<Link> = sqlx::query_as(
                "SELECT id, at, actor_id, actor_name, action, target_type, target_id, details, address, prev_hash, \
                 hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for link in &page {
                rows += 1;
                match (&link.hash, &prev) {
                    (None, None) => unchained += 1,
                    (None, Some(_)) => {
                        return Ok(Verdict::Broken { id: link.id, reason: "no hash after the chain began" })
                    }
                    (Some(hash), expected) => {
                        let expected = expected.as_deref().unwrap_or("");
                        if link.prev_hash.as_deref() != Some(expected) {
                            return Ok(Verdict::Broken {
                                id: link.id,
                                reason: "does not link to the row before it (a row was removed or reordered)",
                            });
                        }
                        if *hash != link.digest(expected) {
                            return Ok(Verdict::Broken { id: link.id, reason: "its content was changed" });
                        }
                        prev = Some(hash.clone());
                    }
                }
            }
            progress(rows);
        }
        Ok(Verdict::Intact { rows, unchained, head: prev.unwrap_or_default() })
    }

    /// Newest first; `limit` rows after skipping `offset`.
    pub async fn audit_rows(&self, f: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>, StoreError> {
        let mut q = Sql::new(
            "SELECT id, at, actor_name, action, target_type, target_id, details, address FROM audit_log WHERE 1 = 1",
        );
        if let Some(a) = &f.actor {
            q.push(" AND actor_name = ").bind(a.clone());
        }
        if let Some(a) = &f.action {
            q.push(" AND action = ").bind(a.clone());
        }
        if let Some(d) = &f.from {
            q.push(" AND at >= ").bind(d.clone());
        }
        if let Some(d) = &f.to {
            q.push(" AND at < ").bind(next_day(d));
        }
        q.push(" ORDER BY id DESC LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
        Ok(q.fetch_as(&self.pool).await?)
    }
}

/// The day after a `YYYY-MM-DD` date, as text that sorts after every
/// timestamp of that day (the date itself when it is not a date).
fn next_day(d: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(d, format).ok().and_then(|d| d.next_day()) {
        Some(n) => n.format(format).unwrap_or_else(|_| d.to_string()),
        None => format!("{d}\u{10FFFF}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        store.audit(Entry { actor_name: Some("t"), action: "test", ..Entry::default() }).await.expect("append");
        for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
            let err = sqlx::query(sql).execute(&store.pool).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        let rows = store.audit_rows(&Filter::default(), 10, 0).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].action, "test");
    }

    async fn chained(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        for i in 0..n {
            let details = Some(format!("row {i}"));
            store
                .audit(Entry { actor_name: Some("t"), action: "test", details, ..Entry::default() })
                .await
                .expect("append");
        }
        (dir, store)
    }

    /// What someone with full access to the database can do: drop the
    /// triggers that refuse updates and deletes.
    async fn drop_guards(store: &Store) {
        for trigger in ["audit_log_no_update", "audit_log_no_delete"] {
            let sql = match store.dialect {
                crate::Dialect::Sqlite => format!("DROP TRIGGER {trigger}"),
                crate::Dialect::Postgres => format!("DROP TRIGGER {trigger} ON audit_log"),
            };
            sqlx::query(&sql).execute(&store.pool).await.expect("drop trigger");
        }
    }

    async fn verdict(store: &Store) -> Verdict {
        store.verify_audit(&mut |_| {}).await.expect("verify")
    }

    #[tokio::test]
    async fn an_untouched_chain_verifies() {
        let (_dir, store) = chained(5).await;
        match verdict(&store).await {
            Verdict::Intact { rows: 5, unchained: 0, head } => assert_eq!(head.len(), 64),
            v => panic!("{v:?}"),
        }
    }

    #[tokio::test]
    async fn dropping_the_triggers_and_deleting_a_row_is_found() {
        let (_dir, store) = chained(5).await;
        drop_guards(&store).await;
        sqlx::query("DELETE FROM audit_log WHERE id = 3").execute(&store.pool).await.expect("delete");
        assert!(matches!(verdict(&store).await, Verdict::Broken { id: 4, .. }));
    }

    #[tokio::test]
    async fn an_edited_row_is_found() {
        let (_dir, store) = chained(5).await;
        drop_guards(&store).await;
        let sql = "UPDATE audit_log SET details = 'nothing happened' WHERE id = 2";
        sqlx::query(sql).execute(&store.pool).await.expect(sql);
        assert_eq!(verdict(&store).await, Verdict::Broken { id: 2, reason: "its content was changed" });
    }
}
