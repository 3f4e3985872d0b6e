//! Rate-limit buckets kept in the database, so that every replica charges
//! the same ones: a relative (or a flood) gets one budget, not one per
//! replica. Each bucket is GCRA, as the in-memory `governor` buckets are:
//! it stores its theoretical arrival time (TAT); one unit costs `period`,
//! and a charge passes while the TAT stays within `burst` periods of now.
//! A charge reads and writes every bucket it touches inside the caller's
//! write transaction, so two replicas cannot both spend the last unit.

use crate::{Conn, Store, StoreError, Writer};

/// One unit per `period_ms`, up to `burst` units at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub period_ms: i64,
    pub burst: i64,
}

/// Charges `n` units to each bucket `(key, quota)` at `now_ms`: all or
/// none. `Ok(Err(ms))` is how long to wait before the charge would pass.
pub async fn take_in(
    tx: &mut Conn,
    buckets: &[(&str, Quota)],
    n: i64,
    now_ms: i64,
) -> Result<Result<(), i64>, StoreError> {
    let mut next = Vec::with_capacity(buckets.len());
    for (key, q) in buckets {
        let stored: Option<i64> = sqlx::query_scalar("SELECT tat_ms FROM rate_limits WHERE key = $1")
            .bind(*key)
            .fetch_optional(&mut *tx)
            .await?;
        let tat = stored.unwrap_or(now_ms).max(now_ms).saturating_add(n.saturating_mul(q.period_ms));
        let allowed_until = now_ms.saturating_add(q.burst.saturating_mul(q.period_ms));
        if tat > allowed_until {
            // More than the bucket ever holds waits an hour: it will not pass.
            let wait = if n > q.burst { 3_600_000 } else { tat - allowed_until };
            return Ok(Err(wait));
        }
        next.push((*key, tat));
    }
    for (key, tat) in next {
        sqlx::query(
            "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET tat_ms = excluded.tat_ms",
        )
        .bind(key)
        .bind(tat)
        .execute(&mut *tx)
        .await?;
    }
    Ok(Ok(()))
}

impl Store {
    /// [`take_in`] in a transaction of its own.
    pub async fn take(&self, buckets: &[(&str, Quota)], n: i64, now_ms: i64) -> Result<Result<(), i64>, StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        let taken = take_in(&mut tx, buckets, n, now_ms).await?;
        if taken.is_ok() {
            tx.commit().await?;
        }
        Ok(taken)
    }

    /// Forgets buckets that are full again (their TAT is past): they hold
    /// nothing a new bucket would not.
    pub async fn purge_rate_limits(&self, now_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM rate_limits WHERE tat_ms < $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[tokio::test]
    async fn a_bucket_passes_its_burst_then_one_per_period_and_a_shared_one_binds_everyone() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let client = Quota { period_ms: 1_000, burst: 3 };
        let everyone = Quota { period_ms: 100, burst: 4 };
        let a = [("req:a", client), ("req:all", everyone)];
        let b = [("req:b", client), ("req:all", everyone)];
        for i in 0..3 {
            assert_eq!(store.take(&a, 1, T0).await.expect("q"), Ok(()), "burst unit {i}");
        }
        assert_eq!(store.take(&a, 1, T0).await.expect("q"), Err(1_000), "a's burst is spent");
        assert_eq!(store.take(&b, 1, T0).await.expect("q"), Ok(()), "b has its own bucket");
        assert_eq!(store.take(&b, 1, T0).await.expect("q"), Err(100), "but everyone's is spent");
        assert_eq!(store.take(&a, 1, T0 + 1_000).await.expect("q"), Ok(()), "one more after a period");
        assert_eq!(store.take(&b, 5, T0 + 10_000).await.expect("q"), Err(3_600_000), "more than a burst never passes");
        assert_eq!(store.purge_rate_limits(T0 + 60_000).await.expect("purge"), 3);
        assert_eq!(store.take(&a, 3, T0 + 60_000).await.expect("q"), Ok(()), "a purged bucket starts full");
    }
}
