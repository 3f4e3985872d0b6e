//! Record imports, staged and then applied in short transactions.
//!
//! A file is first *staged*: its rows go into `import_staging`, a batch per
//! transaction, touching no record. If the stream fails (a bad row, a file
//! that changed), the staged rows are dropped and nothing happened. Once
//! every row is staged, one transaction marks the import `applying` and
//! writes its audit entry: from then on the import *will* be applied whole.
//! It is applied a batch per transaction (records, change-feed rows, its
//! progress), so no transaction holds the write lock for long: on SQLite,
//! where there is one writer at a time, a contact request sent during a
//! million-row import waits for one batch, not for the import. A process
//! that dies while applying leaves the rest staged, and
//! [`Store::resume_imports`] (run when the service or an import starts)
//! finishes it. Readers see the records arrive batch by batch.
//!
//! The pauses and small batches are for others' sake. A command-line import
//! ([`Store::set_one_shot`]) that finds no other process with the SQLite
//! database open (`neighbours`) writes 25,000 rows per transaction and
//! does not pause; it looks again before every transaction.

use std::time::{Duration, Instant};

use sqlx::FromRow;

use crate::audit::{self, Entry};
use crate::records::RecordInput;
use crate::{clock, neighbours, upsert_records, Dialect, Sql, Store, StoreError, Writer, BATCH};

/// Numbers of one finished import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// Rows staged, and staged rows applied, per transaction: tens of
/// milliseconds of lock each, and few enough commits (each one a sync to
/// disk) to keep a million-row import quick.
const STAGE_BATCH: usize = 5_000;
const APPLY_BATCH: usize = 2_000;

/// Rows per transaction, staged or applied, when no one can be waiting for
/// the lock (see [`Store::alone`]): fewer commits, and no pauses.
const ALONE_BATCH: usize = 25_000;

/// A `staging` import untouched for this long was abandoned by a process
/// that died; its rows are dropped.
const ABANDONED_AFTER: time::Duration = time::Duration::HOUR;

/// An `applying` import untouched for this long has lost the process that
/// applied it (a live one touches it every batch); another may finish it.
/// A live applier is left alone: two would take turns at the lock and
/// leave the service's writers none.
const STALLED_AFTER: time::Duration = time::Duration::MINUTE;

/// Where an import stands.
#[derive(FromRow)]
struct Progress {
    state: String,
    applied_upto: i64,
    inserted: i64,
    updated: i64,
}

impl Store {
    /// Inserts or updates (by `external_id`) a list of records as one import.
    pub async fn import(
        &self,
        source_name: &str,
        records: &[RecordInput],
        who: &Entry<'_>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportCounts, StoreError> {
        self.import_rows(source_name, records.iter().cloned().map(Ok::<_, StoreError>), who, progress).await
    }

    /// Imports a stream of records (memory holds one batch). An `Err` from
    /// the stream (the caller's own error type, which store errors convert
    /// into) drops what was staged: nothing is applied. `progress` counts
    /// rows twice over, staged then applied, up to twice the row count.
    pub async fn import_rows<E: From<StoreError> + Send>(
        &self,
        source_name: &str,
        records: impl Iterator<Item = Result<RecordInput, E>> + Send,
        who: &Entry<'_>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportCounts, E> {
        let id = self.begin_import(source_name).await?;
        let started = Instant::now();
        let staged = self.stage(id, records, progress).await;
        let rows = match staged {
            Ok(rows) => rows,
            Err(e) => {
                self.drop_staged(id).await?;
                return Err(e);
            }
        };
        tracing::info!(import = id, rows, seconds = started.elapsed().as_secs_f64(), "import staged");
        self.commit_import(id, source_name, rows, who).await?;
        let counts = self.apply_import(id, &mut |n| progress(rows + n)).await?;
        tracing::info!(import = id, rows, seconds = started.elapsed().as_secs_f64(), "import applied");
        Ok(counts)
    }

    /// Finishes imports a stopped process left half-applied (untouched for
    /// a minute), and drops staging abandoned for an hour. Returns how many
    /// imports were finished. The service runs it at start and every minute.
    pub async fn resume_imports(&self) -> Result<u64, StoreError> {
        let applying: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM imports WHERE state = 'applying' AND COALESCE(touched_at, imported_at) < $1 ORDER BY id",
        )
        .bind(clock::ago(STALLED_AFTER))
        .fetch_all(&self.pool)
        .await?;
        for id in &applying {
            let counts = self.apply_import(*id, &mut |_| {}).await?;
            tracing::info!(
                import = id,
                inserted = counts.inserted,
                updated = counts.updated,
                "finished an interrupted import"
            );
        }
        let abandoned: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM imports WHERE state = 'staging' AND COALESCE(touched_at, imported_at) < $1",
        )
        .bind(clock::ago(ABANDONED_AFTER))
        .fetch_all(&self.pool)
        .await?;
        for id in abandoned {
            self.drop_staged(id).await?;
        }
        Ok(applying.len() as u64)
    }

    async fn begin_import(&self, source_name: &str) -> Result<i64, StoreError> {
        let now = clock::now();
        Ok(sqlx::query_scalar(
            "INSERT INTO imports (source_name, rows_total, inserted, updated, imported_at, state, touched_at) \
             VALUES ($1, 0, 0, 0, $2, 'staging', $2) RETURNING id",
        )
        .bind(source_name)
        .bind(&now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Stages the stream a batch per transaction; the number of rows.
    async fn stage<E: From<StoreError>>(
        &self,
        id: i64,
        records: impl Iterator<Item = Result<RecordInput, E>>,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, E> {
        let mut records = records;
        let mut line = 0i64;
        let mut alone = self.alone();
        let mut rows = next_to_stage(&mut records, alone, &mut line)?;
        while let Some(&(staged_upto, _)) = rows.last() {
            let took = Instant::now();
            // The next batch is read and encoded while this one is written:
            // the database works on a thread of its own.
            let (stored, (next_alone, next)) = tokio::join!(
                async {
                    self.stage_batch(id, &rows).await?;
                    if !alone {
                        self.make_way(took.elapsed()).await;
                    }
                    Ok::<_, StoreError>(())
                },
                async {
                    let next_alone = self.alone();
                    (next_alone, next_to_stage(&mut records, next_alone, &mut line))
                }
            );
            stored?;
            progress(staged_upto as u64);
            (alone, rows) = (next_alone, next?);
        }
        Ok(line as u64)
    }

    async fn stage_batch(&self, id: i64, rows: &[(i64, String)]) -> Result<(), StoreError> {
        // Staging touches no record: it takes no writer-class lock.
        let mut tx = self.pool.begin_with(self.dialect.begin()).await?;
        for chunk in rows.chunks(BATCH) {
            let mut insert = Sql::new("INSERT INTO import_staging (import_id, line, record) ").for_backend(&tx);
            insert.values(chunk, |b, (line, json)| {
                b.bind(id).bind(*line).bind(json.as_str());
            });
            insert.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE imports SET touched_at = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every row is staged: from this commit on the import will be applied
    /// whole, and the audit log says so.
    async fn commit_import(&self, id: i64, source_name: &str, rows: u64, who: &Entry<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Registry).await?;
        sqlx::query("UPDATE imports SET state = 'applying', rows_total = $1, touched_at = $2 WHERE id = $3")
            .bind(rows as i64)
            .bind(clock::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry = Entry {
            action: "import_records",
            details: Some(format!("{source_name}: {rows} rows")),
            actor_name: who.actor_name.or(Some("findkin")),
            ..who.clone()
        };
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// SQLite has one writer at a time and does not queue the writers
    /// waiting for it: they poll, sleeping up to 100 ms. So after each of
    /// its transactions the import steps aside for half as long as that one
    /// held the lock, and a waiting contact request gets its turn (measured
    /// in `tests/tests/import_writes.rs`: the slowest request during a
    /// 200,000-row import took about 0.12 s; a quarter let one wait 0.5 s).
    /// PostgreSQL needs no pause: there the import and the service's
    /// writers do not wait for each other.
    async fn make_way(&self, held: Duration) {
        if self.dialect == Dialect::Sqlite {
            tokio::time::sleep((held / 2).max(Duration::from_millis(5))).await;
        }
    }

    /// No writer can be waiting for SQLite's lock: this process serves
    /// nobody ([`Store::set_one_shot`]) and no other process has the
    /// database open. Asked before every transaction, so a server started
    /// during an import waits for one batch at most (about a second).
    fn alone(&self) -> bool {
        self.one_shot && self.sqlite_file().is_some_and(|f| !neighbours::others_have_open(&f))
    }

    /// Applies an `applying` import's staged rows, a batch per transaction,
    /// from where it stands (several processes may apply one import: each
    /// batch reads the progress under the registry writers' lock).
    async fn apply_import(&self, id: i64, progress: &mut (dyn FnMut(u64) + Send)) -> Result<ImportCounts, StoreError> {
        loop {
            let alone = self.alone();
            let took = Instant::now();
            let mut tx = self.begin(Writer::Registry).await?;
            let p: Progress =
                sqlx::query_as("SELECT state, applied_upto, inserted, updated FROM imports WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let counts = ImportCounts { inserted: p.inserted as u64, updated: p.updated as u64 };
            if p.state != "applying" {
                return Ok(counts);
            }
            let batch: Vec<(i64, String)> = sqlx::query_as(
                "SELECT line, record FROM import_staging WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3",
            )
            .bind(id)
            .bind(p.applied_upto)
            .bind((if alone { ALONE_BATCH } else { APPLY_BATCH }).div_ceil(BATCH) as i64)
            .fetch_all(&mut *tx)
            .await?;
            let now = clock::now();
            let Some(&(last, _)) = batch.last() else {
                let source: String = sqlx::query_scalar(
                    "UPDATE imports SET state = 'done', touched_at = $1 WHERE id = $2 RETURNING source_name",
                )
                .bind(&now)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let entry = Entry {
                    actor_name: Some("findkin"),
                    action: "import_applied",
                    details: Some(format!("{source}: {} new, {} updated", counts.inserted, counts.updated)),
                    ..Entry::default()
                };
                audit::append(&mut tx, &entry).await?;
                tx.commit().await?;
                return Ok(counts);
            };
            let decode = |json: &str| {
                let mut records = Vec::new();
                unstage(json, &mut records)
                    .map_err(|e| StoreError::Corrupt(format!("staged row of import {id}: {e}")))?;
                Ok::<_, StoreError>(records)
            };
            let mut staged = batch.iter().map(|(_, json)| json.as_str());
            let mut current = staged.next().map(decode).transpose()?;
            let (mut inserted, mut updated) = (0i64, 0i64);
            while let Some(records) = current {
                // The next staged row is decoded while this one is written.
                let (written, next) = tokio::join!(upsert_records(&mut tx, &records, &now), async {
                    staged.next().map(decode).transpose()
                });
                for (_, version) in written? {
                    if version == 1 {
                        inserted += 1;
                    } else {
                        updated += 1;
                    }
                }
                current = next?;
            }
            sqlx::query("DELETE FROM import_staging WHERE import_id = $1 AND line <= $2")
                .bind(id)
                .bind(last)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE imports SET applied_upto = $1, inserted = inserted + $2, updated = updated + $3, \
                 touched_at = $4 WHERE id = $5",
            )
            .bind(last)
            .bind(inserted)
            .bind(updated)
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            if !alone {
                self.make_way(took.elapsed()).await;
            }
            progress(last as u64);
        }
    }

    /// Drops a staged import that will not be applied (its rows and its
    /// row), only while it is still `staging`: under the registry writers'
    /// lock, so an import committed meanwhile keeps its rows.
    async fn drop_staged(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Registry).await?;
        let staging: Option<i64> = sqlx::query_scalar("SELECT id FROM imports WHERE id = $1 AND state = 'staging'")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if staging.is_none() {
            return Ok(());
        }
        sqlx::query("DELETE FROM import_staging WHERE import_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM imports WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The next batch to stage, as rows of up to [`BATCH`] records in one JSON
/// array each, keyed by the count of records up to the row's last (`line`).
/// Larger when the import is alone with the database. Empty at the end.
fn next_to_stage<E: From<StoreError>>(
    records: &mut impl Iterator<Item = Result<RecordInput, E>>,
    alone: bool,
    line: &mut i64,
) -> Result<Vec<(i64, String)>, E> {
    let size = if alone { ALONE_BATCH } else { STAGE_BATCH };
    let batch = records.take(size).collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::with_capacity(batch.len().div_ceil(BATCH));
    for chunk in batch.chunks(BATCH) {
        *line += chunk.len() as i64;
        rows.push((*line, serde_json::to_string(chunk).map_err(|e| StoreError::Corrupt(e.to_string()))?));
    }
    Ok(rows)
}

/// The records of one staged row: a JSON array of up to [`BATCH`] records,
/// or one record as an earlier version staged them (an import it left
/// `applying` is finished by this one).
fn unstage(json: &str, into: &mut Vec<RecordInput>) -> Result<(), serde_json::Error> {
    if json.trim_start().starts_with('[') {
        into.extend(serde_json::from_str::<Vec<RecordInput>>(json)?);
    } else {
        into.push(serde_json::from_str(json)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> RecordInput {
        RecordInput::sample(&format!("T-{n}"))
    }

    async fn imports(store: &Store) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT state, inserted, updated FROM imports ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .expect("q")
    }

    /// Staged rows, each up to [`BATCH`] records.
    async fn staged(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM import_staging").fetch_one(&store.pool).await.expect("q")
    }

    #[tokio::test]
    async fn an_import_is_applied_whole_and_leaves_nothing_staged() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let rows: Vec<RecordInput> = (0..4_500).map(record).collect();
        let mut seen = 0;
        let counts = store.import("t", &rows, &Entry::default(), &mut |n| seen = n).await.expect("import");
        assert_eq!((counts.inserted, counts.updated, seen), (4_500, 0, 9_000));
        let again = store.import("t", &rows[..10], &Entry::default(), &mut |_| {}).await.expect("import");
        assert_eq!((again.inserted, again.updated), (0, 10));
        assert_eq!(store.count_records().await.expect("count"), 4_500);
        assert_eq!(staged(&store).await, 0);
        assert_eq!(imports(&store).await, vec![("done".into(), 4_500, 0), ("done".into(), 0, 10)]);
        assert_eq!(store.last_change().await.expect("feed"), 4_510, "every applied row is in the change feed");
    }

    #[tokio::test]
    async fn a_failing_stream_applies_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let rows =
            (0..2_500).map(|n| if n == 2_400 { Err(StoreError::Invalid("line 2401".into())) } else { Ok(record(n)) });
        let err = store.import_rows("t", rows, &Entry::default(), &mut |_| {}).await.expect_err("fails");
        assert!(matches!(err, StoreError::Invalid(_)));
        assert_eq!(store.count_records().await.expect("count"), 0);
        assert_eq!(staged(&store).await, 0);
        assert!(imports(&store).await.is_empty());
    }

    #[tokio::test]
    async fn an_import_cut_off_while_applying_is_finished_by_resume() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        // What a process that died after the first batch leaves behind.
        let rows: Vec<RecordInput> = (0..5_000).map(record).collect();
        let id = store.begin_import("t").await.expect("begin");
        let n = store.stage(id, rows.iter().cloned().map(Ok::<_, StoreError>), &mut |_| {}).await.expect("stage");
        store.commit_import(id, "t", n, &Entry::default()).await.expect("commit");
        let mut tx = store.begin(Writer::Registry).await.expect("tx");
        for chunk in rows[..APPLY_BATCH].chunks(BATCH) {
            upsert_records(&mut tx, chunk, &clock::now()).await.expect("first batch");
        }
        sqlx::query("DELETE FROM import_staging WHERE line <= $1")
            .bind(APPLY_BATCH as i64)
            .execute(&mut *tx)
            .await
            .expect("d");
        sqlx::query("UPDATE imports SET applied_upto = $1, inserted = $1, touched_at = '2000-01-01T00:00:00.000Z'")
            .bind(APPLY_BATCH as i64)
            .execute(&mut *tx)
            .await
            .expect("u");
        tx.commit().await.expect("commit");

        assert_eq!(store.resume_imports().await.expect("resume"), 1);
        assert_eq!(store.count_records().await.expect("count"), 5_000);
        assert_eq!(imports(&store).await, vec![("done".into(), 5_000, 0)]);
        assert_eq!(staged(&store).await, 0);
        assert_eq!(store.resume_imports().await.expect("resume"), 0, "nothing left to finish");
    }

    #[test]
    fn a_row_staged_by_an_earlier_version_is_read_too() {
        let one = serde_json::to_string(&record(1)).expect("json");
        let many = serde_json::to_string(&[record(2), record(3)]).expect("json");
        let mut out = Vec::new();
        unstage(&one, &mut out).expect("one record");
        unstage(&many, &mut out).expect("an array");
        let ids: Vec<&str> = out.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids, ["T-1", "T-2", "T-3"]);
        assert!(unstage("{\"broken\"", &mut out).is_err());
    }

    #[tokio::test]
    async fn dropping_abandoned_staging_spares_an_import_already_committed() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let rows: Vec<RecordInput> = (0..10).map(record).collect();
        let id = store.begin_import("t").await.expect("begin");
        let n = store.stage(id, rows.iter().cloned().map(Ok::<_, StoreError>), &mut |_| {}).await.expect("stage");
        store.commit_import(id, "t", n, &Entry::default()).await.expect("commit");
        // A cleanup that judged it abandoned a moment too early.
        store.drop_staged(id).await.expect("drop");
        assert_eq!(staged(&store).await, 1, "its rows are kept (ten records in one staged row)");
        assert_eq!(store.apply_import(id, &mut |_| {}).await.expect("apply").inserted, 10);
        let applied: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'import_applied'")
            .fetch_all(&store.pool)
            .await
            .expect("audit");
        assert_eq!(applied, vec!["t: 10 new, 0 updated".to_string()]);
    }
}
