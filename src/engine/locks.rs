//! Read-modify-write of one policy (a profile's or a layer version's):
//! serialised per key inside this process, retried on a stale revision id
//! across processes.

use std::collections::HashMap;
use std::sync::Arc;

use crate::backend::{BackendError, BackendResult};

/// One async mutex per key, created on first use.
#[derive(Default)]
pub struct KeyedLocks(std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl KeyedLocks {
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let mutex = match self.0.lock() {
            Ok(mut map) => map.entry(key.to_string()).or_default().clone(),
            Err(poisoned) => poisoned
                .into_inner()
                .entry(key.to_string())
                .or_default()
                .clone(),
        };
        mutex.lock_owned().await
    }
}

/// Attempts at a read-modify-write before a stale revision id is an error.
pub const REVISION_ATTEMPTS: u32 = 8;

/// Runs a read-modify-write step again while it meets a stale revision id
/// (another writer got there first), with jittered exponential backoff.
pub async fn retry_on_stale_revision<T, F, Fut>(mut step: F) -> BackendResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BackendResult<T>>,
{
    let mut attempt = 0;
    loop {
        match step().await {
            Err(BackendError::StaleRevision(_)) if attempt + 1 < REVISION_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(backoff(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Exponential backoff with jitter: 40 ms, 80 ms, ... (capped) plus up to 50%.
fn backoff(attempt: u32) -> std::time::Duration {
    use rand_core::RngCore as _;
    let base = 20u64 << attempt.min(6);
    let jitter = rand_core::OsRng.next_u64() % (base / 2 + 1);
    std::time::Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stale_revisions_are_retried_then_given_up() {
        let mut calls = 0;
        let result = retry_on_stale_revision(|| {
            calls += 1;
            let outcome = if calls < 3 {
                Err(BackendError::StaleRevision("stale".into()))
            } else {
                Ok(calls)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(result, Ok(3));

        let mut calls = 0;
        let result: BackendResult<()> = retry_on_stale_revision(|| {
            calls += 1;
            async { Err(BackendError::StaleRevision("always".into())) }
        })
        .await;
        assert!(matches!(result, Err(BackendError::StaleRevision(_))));
        assert_eq!(calls, REVISION_ATTEMPTS);

        let result: BackendResult<()> =
            retry_on_stale_revision(|| async { Err(BackendError::Conflict("no".into())) }).await;
        assert!(matches!(result, Err(BackendError::Conflict(_))));
    }

    #[tokio::test]
    async fn one_key_is_held_by_one_caller_at_a_time() {
        let locks = Arc::new(KeyedLocks::default());
        let first = locks.lock("profile/a").await;
        let other_key = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            locks.lock("profile/b"),
        )
        .await;
        assert!(other_key.is_ok(), "another key is free");
        let same_key = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            locks.lock("profile/a"),
        )
        .await;
        assert!(same_key.is_err(), "the same key waits");
        drop(first);
        assert!(
            tokio::time::timeout(std::time::Duration::from_secs(1), locks.lock("profile/a"))
                .await
                .is_ok()
        );
    }
}
