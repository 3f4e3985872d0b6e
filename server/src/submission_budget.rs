//! Budgets for what relatives send in (contact requests, messages, photos),
//! charged in the database ([`findkin_store::rate_limits`]) so that every
//! replica spends the same buckets: behind a load balancer, a flood gets
//! one budget, not one per replica. Searches keep their in-memory budget
//! (`http::search_guard`): a database write per search would cost more
//! than the search itself.

use std::sync::Arc;
use std::time::Duration;

use findkin_store::rate_limits::{self, Quota};

use crate::http::client_ip::ClientKey;
use crate::store::{Conn, Store};
use crate::Error;

/// A per-client and a global bucket for one kind of submission, charged
/// together.
#[derive(Debug)]
pub struct SubmissionBudget {
    /// The buckets' key prefix (`request`, `message`, `photo`).
    kind: &'static str,
    per_client: Option<Quota>,
    global: Option<Quota>,
}

impl SubmissionBudget {
    /// `per_hour` per client with a small burst (half of it, at most 10),
    /// and `global_per_minute` for everyone with a burst of one minute's
    /// worth. 0 turns either part off; `None` when both are off.
    pub fn hourly(kind: &'static str, per_hour: u32, global_per_minute: u32) -> Option<Arc<SubmissionBudget>> {
        let per_client = (per_hour > 0).then(|| Quota {
            period_ms: (3_600_000 / i64::from(per_hour)).max(1),
            burst: i64::from((per_hour / 2).clamp(1, 10)),
        });
        let global = (global_per_minute > 0).then(|| Quota {
            period_ms: (60_000 / i64::from(global_per_minute)).max(1),
            burst: i64::from(global_per_minute),
        });
        (per_client.is_some() || global.is_some()).then(|| Arc::new(SubmissionBudget { kind, per_client, global }))
    }

    /// Charges `n` units to `client` inside the caller's transaction
    /// (written with what it pays for, or rolled back with it). `Ok(Err)`
    /// says how long to wait.
    pub async fn charge_in(&self, tx: &mut Conn, client: ClientKey, n: u32) -> Result<Result<(), Duration>, Error> {
        if n == 0 {
            return Ok(Ok(()));
        }
        let client_key = format!("{}:{client}", self.kind);
        let global_key = format!("{}:*", self.kind);
        let mut buckets = Vec::with_capacity(2);
        if let Some(q) = self.per_client {
            buckets.push((client_key.as_str(), q));
        }
        if let Some(q) = self.global {
            buckets.push((global_key.as_str(), q));
        }
        let taken = rate_limits::take_in(tx, &buckets, i64::from(n), crate::store::clock::unix_now_ms()).await?;
        Ok(taken.map_err(|ms| Duration::from_millis(ms.max(0) as u64)))
    }

    /// [`SubmissionBudget::charge_in`] in a transaction of its own.
    pub async fn charge(&self, store: &Store, client: ClientKey, n: u32) -> Result<Result<(), Duration>, Error> {
        let mut tx = store.begin(crate::store::Writer::Service).await?;
        let taken = self.charge_in(&mut tx, client, n).await?;
        if taken.is_ok() {
            tx.commit().await?;
        }
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client_ip::ClientIp;

    fn key(ip: &str) -> ClientKey {
        ClientIp(ip.parse().expect("ip")).key()
    }

    #[tokio::test]
    async fn hourly_budgets_give_a_small_burst_and_zero_turns_parts_off() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let b = SubmissionBudget::hourly("t1", 10, 0).expect("per client only");
        let mut passed = 0;
        for _ in 0..20 {
            passed += usize::from(b.charge(&store, key("192.0.2.1"), 1).await.expect("db").is_ok());
        }
        assert_eq!(passed, 5, "half of the hourly rate");
        let wait = b.charge(&store, key("192.0.2.1"), 1).await.expect("db").expect_err("spent");
        assert!(wait > Duration::from_secs(300), "the next one is six minutes away: {wait:?}");
        let g = SubmissionBudget::hourly("t2", 0, 3).expect("global only");
        let mut passed = 0;
        for i in 0..10u8 {
            passed += usize::from(g.charge(&store, key(&format!("198.51.100.{i}")), 1).await.expect("db").is_ok());
        }
        assert_eq!(passed, 3);
        assert!(SubmissionBudget::hourly("t3", 0, 0).is_none(), "0 and 0: no budget at all");
        let b = SubmissionBudget::hourly("t4", 10, 100).expect("both");
        assert!(b.charge(&store, key("192.0.2.9"), 50).await.expect("db").is_err(), "more than a bucket ever holds");
        assert!(b.charge(&store, key("192.0.2.9"), 3).await.expect("db").is_ok());
    }
}
