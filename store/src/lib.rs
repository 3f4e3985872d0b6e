//! The database: the registry's source of truth, SQLite by default or
//! PostgreSQL for several replicas. This crate holds every SQL statement;
//! the rest of findkin sees domain types and one [`Store`] handle.
//!
//! One SQL text serves both (see [`dialect`]); timestamps come from
//! [`clock`]. Writes happen in one transaction each, with their change-feed
//! rows and audit entries, so a file goes in whole or not at all; every
//! written record appends to `record_changes`, which the search index follows.

pub mod audit;
pub mod backup;
pub mod clock;
pub mod dialect;
pub mod email_addresses;
mod error;
pub mod import;
pub mod neighbours;
pub mod outbox;
pub mod pending_photos;
pub mod photos;
pub mod public_ref;
pub mod rate_limits;
pub mod record_merge;
pub mod record_store;
pub mod records;
pub mod requests;
pub mod sessions;
pub mod sql;
pub mod staff;
pub mod staff_alerts;
pub mod state;
pub mod telegram;
pub mod throttle;
pub mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor, FromRow, Transaction};

use crate::records::RecordInput;
use findkin_search::RecordDoc;

pub use dialect::{Dialect, Writer};
pub use error::StoreError;
pub use import::ImportCounts;
pub use public_ref::PublicRefs;
pub use sql::Sql;

/// A transaction on either backend.
pub type Tx = Transaction<'static, Any>;
/// A connection (or transaction) on either backend.
pub type Conn = sqlx::AnyConnection;

/// The one handle to the database the rest of the code holds.
#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// Kept for the PostgreSQL change listener, which needs its own connection.
    url: String,
    /// The process serves nobody (a CLI import): when no other process has
    /// the SQLite database open either, an import need not make way.
    one_shot: bool,
    /// Records' public references (enciphered ids).
    refs: PublicRefs,
}

/// The PostgreSQL channel a commit that changed records notifies.
const CHANGES_CHANNEL: &str = "findkin_record_changes";

/// Rows per multi-row statement: 15 values each stays far below SQLite's
/// limit of 32,766 bound variables and PostgreSQL's 65,535.
pub(crate) const BATCH: usize = 1_000;

/// How the pool waits for the database.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// SQLite: how long a writer waits for another writer's lock before
    /// giving up ([`StoreError::Busy`]).
    pub busy_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { busy_timeout: Duration::from_secs(10) }
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database and applies migrations.
    pub async fn open_sqlite(path: &Path) -> Result<Self, StoreError> {
        Self::connect(&format!("sqlite://{}", path.display())).await
    }

    /// Connects to a database URL (`sqlite://FILE` or `postgres://…`) and
    /// applies the migrations of its backend.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Tuning::default()).await
    }

    /// [`Store::connect`] with the pool's waits set.
    pub async fn connect_with(url: &str, tuning: Tuning) -> Result<Self, StoreError> {
        let busy_ms = tuning.busy_timeout.as_millis();
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url)?;
        let options = match dialect {
            Dialect::Sqlite => {
                // Create the file and switch it to WAL once; the mode stays
                // with the file, so pooled connections inherit it.
                let opts =
                    SqliteConnectOptions::from_str(url)?.create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
                opts.connect().await?.close().await?;
                AnyConnectOptions::from_str(url)?
            }
            Dialect::Postgres => AnyConnectOptions::from_str(url)?,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match dialect {
                Dialect::Sqlite => 4,
                Dialect::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: a request is on disk before its reference
                        // code is shown. Writers wait for the lock up to the
                        // busy timeout.
                        let pragmas = format!(
                            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms}"
                        );
                        conn.execute(pragmas.as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unreachable { url: dialect::redact(url), reason: e.to_string() })?;
        // Replicas running as a role without DDL rights start without
        // touching the schema when every migration is already applied.
        if migrations_pending(&pool, dialect).await {
            dialect.migrator().run(&pool).await?;
        }
        let key: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(public_ref::KEY_NAME)
            .fetch_optional(&pool)
            .await?;
        let key = key.ok_or_else(|| StoreError::Corrupt(format!("meta.{} is missing", public_ref::KEY_NAME)))?;
        let refs = PublicRefs::from_hex_key(&key)?;
        Ok(Store { pool, dialect, url: url.to_string(), one_shot: false, refs })
    }

    /// Turns record ids into public references and back.
    pub fn public_refs(&self) -> &PublicRefs {
        &self.refs
    }

    /// Declares that this process serves nobody else (a command-line
    /// import): an import then makes way only for other processes.
    pub fn set_one_shot(&mut self) {
        self.one_shot = true;
    }

    /// SQLite's database file (`None` on PostgreSQL or in memory).
    pub(crate) fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        if self.dialect != Dialect::Sqlite {
            return None;
        }
        let opts = SqliteConnectOptions::from_str(&self.url).ok()?;
        let file = opts.get_filename();
        (file.as_os_str() != ":memory:").then(|| file.to_path_buf())
    }

    /// On PostgreSQL, a listener woken by every commit that changes records
    /// (other replicas' included), so followers index them at once; `None`
    /// on SQLite, where the periodic catch-up is the only trigger.
    pub async fn change_listener(&self) -> Option<sqlx::postgres::PgListener> {
        if self.dialect != Dialect::Postgres {
            return None;
        }
        let listening = async {
            let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
            listener.listen(CHANGES_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        listening
            .await
            .map_err(|e| tracing::warn!(error = %e, "cannot listen for record changes; following by polling only"))
            .ok()
    }

    /// PostgreSQL: gives `role` what `findkin serve` needs, and no more on
    /// the audit log than reading and appending (run as the tables' owner,
    /// after the migrations). A role that owns the tables could always take
    /// the rights back, so the application should connect as another one.
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StoreError> {
        if self.dialect != Dialect::Postgres {
            return Err(StoreError::Invalid("roles and privileges exist only on PostgreSQL".into()));
        }
        let valid = role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!("invalid role name {role:?}: lowercase letters, digits and '_'")));
        }
        let mut tx = self.pool.begin().await?;
        for sql in [
            format!("GRANT USAGE ON SCHEMA public TO {role}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {role}"),
        ] {
            tx.execute(sql.as_str()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A store for a unit test: SQLite in `dir`, or with
    /// `FINDKIN_TEST_DATABASE=postgres` a fresh PostgreSQL database on
    /// `FINDKIN_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`).
    #[cfg(any(test, feature = "scratch"))]
    pub async fn scratch(dir: &Path) -> Self {
        if std::env::var("FINDKIN_TEST_DATABASE").is_ok_and(|v| v == "postgres") {
            let server =
                std::env::var("FINDKIN_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            sqlx::any::install_default_drivers();
            let name = format!("findkin_u_{}", uuid::Uuid::new_v4().simple());
            let admin = AnyPool::connect(&format!("{server}/postgres")).await.expect("PostgreSQL for the tests");
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
            admin.close().await;
            Self::connect(&format!("{server}/{name}")).await.expect("store")
        } else {
            Self::open_sqlite(&dir.join("t.db")).await.expect("store")
        }
    }

    /// Opens a write transaction for one class of writer (see [`Writer`]).
    pub async fn begin(&self, writer: Writer) -> Result<Tx, StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin()).await?;
        if let Some(lock) = self.dialect.lock(writer) {
            tx.execute(lock.as_str()).await?;
        }
        Ok(tx)
    }

    pub async fn count_records(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records").fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    /// Gauges for `/metrics`: notifications not yet sent, and contact
    /// requests still waiting for someone (not released or closed).
    pub async fn backlog(&self) -> Result<(u64, u64), StoreError> {
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
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM record_changes").fetch_one(&self.pool).await?;
        Ok(n.unwrap_or(0))
    }

    /// Up to `limit` records with id above `after_id`, by id: a fresh
    /// index is built from these pages.
    pub async fn index_page(&self, after_id: i64, limit: i64) -> Result<Vec<RecordDoc>, StoreError> {
        let rows: Vec<DocRow> = sqlx::query_as(
            "SELECT id, external_id, surname, given_name, patronymic, birth_date, region, unit, public_ref FROM records
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.into_doc(&self.refs)).collect())
    }

    /// The records changed in `(from, upto]` of the change feed, by id.
    /// The feed is walked through its primary key and each record fetched
    /// by id, so a page costs its own changes, not the table: the index
    /// follows a million-row import this way, a stretch of the feed at a
    /// time. A stretch should hold a bounded number of changes.
    pub async fn feed_page(&self, from: i64, upto: i64) -> Result<Vec<RecordDoc>, StoreError> {
        let rows: Vec<DocRow> = sqlx::query_as(
            "SELECT id, external_id, surname, given_name, patronymic, birth_date, region, unit, public_ref FROM records
             WHERE id IN (SELECT record_id FROM record_changes WHERE seq > $1 AND seq <= $2)
             ORDER BY id",
        )
        .bind(from)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.into_doc(&self.refs)).collect())
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Problems the database finds in itself (none: an empty list).
    pub async fn integrity(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(self.dialect.integrity_check()).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Whether the database lacks a migration this build has (or cannot say).
async fn migrations_pending(pool: &AnyPool, dialect: Dialect) -> bool {
    let applied: Result<Vec<i64>, _> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await;
    match applied {
        Ok(applied) => dialect.migrator().iter().any(|m| !applied.contains(&m.version)),
        Err(_) => true,
    }
}

/// Inserts or updates (by `external_id`) one batch of records with one
/// multi-row statement (far fewer round trips than a statement per row,
/// which is what makes a million rows quick) and appends each to the change
/// feed. Returns (id, version) per record.
pub async fn upsert_records(tx: &mut Conn, chunk: &[RecordInput], now: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut insert = Sql::new(
        "INSERT INTO records (external_id, surname, given_name, patronymic, sex, birth_date, birth_place,
            region, unit, rank, status, status_date, status_place, source, notes, created_at, updated_at) ",
    )
    .for_backend(tx);
    insert.values(chunk, |b, r| {
        b.bind(&r.external_id)
            .bind(&r.surname)
            .bind(&r.given_name)
            .bind(&r.patronymic)
            .bind(r.sex.map(|s| s.as_str()))
            .bind(&r.birth_date)
            .bind(&r.birth_place)
            .bind(&r.region)
            .bind(&r.unit)
            .bind(&r.rank)
            .bind(r.status.as_str())
            .bind(&r.status_date)
            .bind(&r.status_place)
            .bind(&r.source)
            .bind(&r.notes)
            .bind(now)
            .bind(now);
    });
    insert.push(
        " ON CONFLICT(external_id) DO UPDATE SET
            surname = excluded.surname, given_name = excluded.given_name,
            patronymic = excluded.patronymic, sex = excluded.sex, birth_date = excluded.birth_date,
            birth_place = excluded.birth_place, region = excluded.region, unit = excluded.unit,
            rank = excluded.rank, status = excluded.status, status_date = excluded.status_date,
            status_place = excluded.status_place, source = excluded.source, notes = excluded.notes,
            version = records.version + 1, updated_at = excluded.updated_at
         RETURNING id, version",
    );
    let (text, args) = insert.build();
    let rows: Vec<(i64, i64)> = sqlx::query_as_with(&text, args).fetch_all(&mut *tx).await?;
    let mut changes = Sql::new("INSERT INTO record_changes (record_id, changed_at) ").for_backend(tx);
    changes.values(&rows, |b, (id, _)| {
        b.bind(*id).bind(now);
    });
    changes.execute(&mut *tx).await?;
    announce_changes(tx).await?;
    Ok(rows)
}

/// Tells PostgreSQL listeners, at commit, that records changed.
pub async fn announce_changes(conn: &mut Conn) -> Result<(), StoreError> {
    if Dialect::of_conn(conn) == Dialect::Postgres {
        conn.execute(format!("NOTIFY {CHANGES_CHANNEL}").as_str()).await?;
    }
    Ok(())
}

/// What the search index keeps of a record.
#[derive(FromRow)]
struct DocRow {
    id: i64,
    external_id: String,
    surname: String,
    given_name: String,
    patronymic: String,
    birth_date: Option<String>,
    region: Option<String>,
    unit: Option<String>,
    public_ref: Option<String>,
}

impl DocRow {
    fn into_doc(self, refs: &PublicRefs) -> RecordDoc {
        RecordDoc {
            id: self.id as u64,
            external_id: self.external_id,
            surname: self.surname,
            given_name: self.given_name,
            patronymic: self.patronymic,
            birth_date: self.birth_date,
            region: self.region,
            unit: self.unit,
            public_ref: Some(refs.resolve(self.id, self.public_ref)),
        }
    }
}

impl Store {
    /// Keeps a console upload until its uploader confirms it (a day at
    /// most: older unconfirmed uploads go now). Returns its token.
    pub async fn stage_upload(&self, user_id: i64, file_name: &str, csv: &[u8], token: &str) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        sqlx::query("DELETE FROM import_uploads WHERE created_at < $1")
            .bind(clock::ago(time::Duration::DAY))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO import_uploads (token, user_id, file_name, csv, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token)
        .bind(user_id)
        .bind(file_name)
        .bind(csv)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An upload of `user_id` (only its uploader may confirm it): its file
    /// name and bytes.
    pub async fn staged_upload(&self, user_id: i64, token: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        Ok(sqlx::query_as("SELECT file_name, csv FROM import_uploads WHERE token = $1 AND user_id = $2")
            .bind(token)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Forgets an upload once it is imported.
    pub async fn drop_upload(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM import_uploads WHERE token = $1").bind(token).execute(&self.pool).await?;
        Ok(())
    }
}
