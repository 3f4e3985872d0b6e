//! The database: the registry's source of truth (SQLite by default).
//!
//! Writes happen in one transaction per import, so a file goes in whole
//! or not at all; every written record appends to `record_changes`, which
//! the search index follows.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::records::RecordInput;
use crate::Error;
use findkin_search::RecordDoc;

/// Numbers of one finished import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
}

#[derive(Clone)]
pub struct Store {
    pub pool: SqlitePool,
}

/// Rows per multi-row statement: 15 values each stays far below SQLite's
/// limit of 32,766 bound variables.
const BATCH: usize = 1_000;

impl Store {
    /// Opens (creating if needed) the SQLite database and applies migrations.
    pub async fn open_sqlite(path: &Path) -> Result<Self, Error> {
        let url = format!("sqlite://{}", path.display());
        Self::connect(&url).await
    }

    /// Connects to a database URL (`sqlite://FILE`) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        if !url.starts_with("sqlite:") {
            return Err(Error::Config(format!(
                "unsupported database URL {url:?}: this build stores data in SQLite (sqlite://FILE)"
            )));
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a request is on disk before its reference code is shown.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Inserts or updates (by `external_id`) all records in one transaction.
    pub async fn import(
        &self,
        source_name: &str,
        records: &[RecordInput],
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportCounts, Error> {
        // IMMEDIATE: take the write lock up front, so concurrent writers wait
        // (busy timeout) instead of failing on a lock upgrade.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut counts = ImportCounts::default();
        let mut done = 0u64;
        for chunk in records.chunks(BATCH) {
            // One multi-row statement per batch: far fewer round trips than a
            // statement per row, which is what makes a million rows quick.
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (external_id, surname, given_name, patronymic, sex, birth_date, birth_place,
                    region, unit, rank, status, status_date, status_place, source, notes) ",
            );
            insert.push_values(chunk, |mut b, r| {
                b.push_bind(&r.external_id)
                    .push_bind(&r.surname)
                    .push_bind(&r.given_name)
                    .push_bind(&r.patronymic)
                    .push_bind(r.sex.map(|s| s.as_str()))
                    .push_bind(&r.birth_date)
                    .push_bind(&r.birth_place)
                    .push_bind(&r.region)
                    .push_bind(&r.unit)
                    .push_bind(&r.rank)
                    .push_bind(r.status.as_str())
                    .push_bind(&r.status_date)
                    .push_bind(&r.status_place)
                    .push_bind(&r.source)
                    .push_bind(&r.notes);
            });
            insert.push(
                " ON CONFLICT(external_id) DO UPDATE SET
                    surname = excluded.surname, given_name = excluded.given_name,
                    patronymic = excluded.patronymic, sex = excluded.sex, birth_date = excluded.birth_date,
                    birth_place = excluded.birth_place, region = excluded.region, unit = excluded.unit,
                    rank = excluded.rank, status = excluded.status, status_date = excluded.status_date,
                    status_place = excluded.status_place, source = excluded.source, notes = excluded.notes,
                    version = records.version + 1,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 RETURNING id, version",
            );
            let rows = insert.build().fetch_all(&mut *tx).await?;
            let mut ids = Vec::with_capacity(rows.len());
            for row in &rows {
                ids.push(row.try_get::<i64, _>("id")?);
                if row.try_get::<i64, _>("version")? == 1 {
                    counts.inserted += 1;
                } else {
                    counts.updated += 1;
                }
            }
            let mut changes = QueryBuilder::<Sqlite>::new("INSERT INTO record_changes (record_id) ");
            changes.push_values(&ids, |mut b, id| {
                b.push_bind(id);
            });
            changes.build().execute(&mut *tx).await?;
            done += chunk.len() as u64;
            progress(done);
        }
        sqlx::query("INSERT INTO imports (source_name, rows_total, inserted, updated) VALUES (?, ?, ?, ?)")
            .bind(source_name)
            .bind(records.len() as i64)
            .bind(counts.inserted as i64)
            .bind(counts.updated as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn count_records(&self) -> Result<u64, Error> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records").fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    /// Gauges for `/metrics`: notifications not yet sent, and contact
    /// requests still waiting for someone (not released or closed).
    pub async fn backlog(&self) -> Result<(u64, u64), Error> {
        let outbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contact_requests WHERE state IN ('submitted', 'in_review', 'needs_info', 'match_proposed')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((outbox as u64, open as u64))
    }

    /// The newest change number (0 when nothing was ever written).
    pub async fn last_change(&self) -> Result<i64, Error> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM record_changes").fetch_one(&self.pool).await?;
        Ok(n.unwrap_or(0))
    }

    /// Up to `limit` records with id above `after_id` that changed after
    /// change `since` (all records when `since` is `None`), by id.
    pub async fn index_page(&self, since: Option<i64>, after_id: i64, limit: i64) -> Result<Vec<RecordDoc>, Error> {
        let rows = sqlx::query(
            "SELECT id, external_id, surname, given_name, patronymic, birth_date, region, public_ref FROM records
             WHERE id > ?1 AND (?2 IS NULL OR id IN (SELECT record_id FROM record_changes WHERE seq > ?2))
             ORDER BY id LIMIT ?3",
        )
        .bind(after_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordDoc {
                    id: r.try_get::<i64, _>("id")? as u64,
                    external_id: r.try_get("external_id")?,
                    surname: r.try_get("surname")?,
                    given_name: r.try_get("given_name")?,
                    patronymic: r.try_get("patronymic")?,
                    birth_date: r.try_get("birth_date")?,
                    region: r.try_get("region")?,
                    public_ref: r.try_get("public_ref")?,
                })
            })
            .collect()
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
