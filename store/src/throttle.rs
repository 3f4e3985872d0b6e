//! Sign-in throttling per client address. Failures are counted where they
//! come from, not per account: a stranger who guesses slows down only
//! their own address and cannot lock a moderator out.
//!
//! Every attempt is counted *before* it is checked and forgiven when it
//! turns out right, so parallel guesses cannot slip past the limit.

use crate::{Store, StoreError, Writer};

/// Failures an address may make before it has to wait.
pub const FREE_FAILURES: i64 = 5;
/// The first wait; it doubles with each further failure.
pub const FIRST_WAIT_SECONDS: i64 = 30;
/// The longest wait.
pub const MAX_WAIT_SECONDS: i64 = 60 * 60;
/// An address quiet this long starts afresh.
pub const FORGET_SECONDS: i64 = 24 * 60 * 60;

/// How long an address waits after `failures` failures in a row: nothing
/// for the first few, then 30 s doubling up to an hour.
pub fn wait_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    (FIRST_WAIT_SECONDS << doublings).min(MAX_WAIT_SECONDS)
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; `wait_if_failed` is the wait it starts if it fails (0: none).
    Admitted { wait_if_failed: i64 },
    /// Refused without checking anything: come back after `retry_after` seconds.
    Refused { retry_after: i64 },
}

impl Store {
    /// Counts an attempt from `key` at time `now`, or refuses it while the
    /// address must wait. The write lock is taken up front so two parallel
    /// attempts are counted one after the other.
    pub async fn admit_attempt(&self, key: &str, now: i64) -> Result<Admission, StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        let row: Option<(i64, i64, i64)> =
            sqlx::query_as("SELECT failures, last_at, blocked_until FROM login_throttle WHERE client_key = $1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        let (failures, last_at, blocked_until) = row.unwrap_or((0, now, 0));
        if blocked_until > now {
            return Ok(Admission::Refused { retry_after: blocked_until - now });
        }
        let failures = if now - last_at > FORGET_SECONDS { 1 } else { failures + 1 };
        let wait = wait_after(failures);
        sqlx::query(
            "INSERT INTO login_throttle (client_key, failures, last_at, blocked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT(client_key) DO UPDATE SET failures = $2, last_at = $3, blocked_until = $4",
        )
        .bind(key)
        .bind(failures)
        .bind(now)
        .bind(if wait > 0 { now + wait } else { 0 })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Admission::Admitted { wait_if_failed: wait })
    }

    /// The attempt was right: it no longer counts, and the wait it would
    /// have started is lifted (the next step of signing in must not wait).
    pub async fn forgive_attempt(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, blocked_until = 0 WHERE client_key = $1",
        )
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops addresses that have been quiet long enough to be forgotten.
    pub async fn purge_throttle(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM login_throttle WHERE last_at < $1 AND blocked_until <= $2")
            .bind(now - FORGET_SECONDS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_starts_after_a_few_failures_and_doubles_to_a_limit() {
        assert_eq!(wait_after(1), 0);
        assert_eq!(wait_after(FREE_FAILURES - 1), 0);
        assert_eq!(wait_after(FREE_FAILURES), FIRST_WAIT_SECONDS);
        assert_eq!(wait_after(FREE_FAILURES + 1), 2 * FIRST_WAIT_SECONDS);
        assert_eq!(wait_after(FREE_FAILURES + 40), MAX_WAIT_SECONDS);
        assert_eq!(wait_after(i64::MAX), MAX_WAIT_SECONDS);
    }

    #[tokio::test]
    async fn an_address_waits_after_failures_others_do_not_and_success_forgives() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let t0 = 1_800_000_000;
        for i in 1..FREE_FAILURES {
            let got = store.admit_attempt("a", t0 + i).await.expect("admit");
            assert_eq!(got, Admission::Admitted { wait_if_failed: 0 }, "attempt {i}");
        }
        let last = store.admit_attempt("a", t0 + 10).await.expect("admit");
        assert_eq!(last, Admission::Admitted { wait_if_failed: FIRST_WAIT_SECONDS });
        assert_eq!(
            store.admit_attempt("a", t0 + 11).await.expect("admit"),
            Admission::Refused { retry_after: FIRST_WAIT_SECONDS - 1 }
        );
        assert!(matches!(store.admit_attempt("b", t0 + 11).await.expect("admit"), Admission::Admitted { .. }));
        // After the wait the next failure waits twice as long.
        let next = store.admit_attempt("a", t0 + 10 + FIRST_WAIT_SECONDS).await.expect("admit");
        assert_eq!(next, Admission::Admitted { wait_if_failed: 2 * FIRST_WAIT_SECONDS });
        // A right attempt lifts the wait it started.
        store.forgive_attempt("a").await.expect("forgive");
        assert!(matches!(store.admit_attempt("a", t0 + 41).await.expect("admit"), Admission::Admitted { .. }));
        // A long quiet time forgets the address.
        let later = t0 + 41 + FORGET_SECONDS + 1 + MAX_WAIT_SECONDS;
        assert_eq!(store.purge_throttle(later).await.expect("purge"), 2, "both addresses are forgotten");
        assert_eq!(store.admit_attempt("a", later).await.expect("admit"), Admission::Admitted { wait_if_failed: 0 });
    }
}
