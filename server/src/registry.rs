//! The registry as the rest of the server sees it: the database plus the
//! search index that follows it through the `record_changes` feed.

use std::path::{Path, PathBuf};

use findkin_search::index::INDEX_VERSION;
use findkin_search::{Hit, NameIndex, Query, SearchOptions};

use crate::store::{Store, Tuning};
use crate::Error;

/// Records read from the database per indexing step.
const PAGE: i64 = 5_000;

/// How often [`Registry::follow`] looks for newly stored records.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Deletes queued in tantivy before a commit releases them (about a kilobyte each).
const MAX_PENDING_DELETES: usize = 100_000;

/// How far the index has followed the change feed, kept beside the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IndexState {
    version: u32,
    applied: i64,
}

impl IndexState {
    fn read(path: &Path) -> Option<IndexState> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut it = text.split_whitespace();
        Some(IndexState { version: it.next()?.parse().ok()?, applied: it.next()?.parse().ok()? })
    }

    /// Written to a temporary file and renamed, so a crash leaves the old state.
    fn write(self, path: &Path) -> Result<(), Error> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{} {}\n", self.version, self.applied))?;
        std::fs::rename(tmp, path)?;
        Ok(())
    }
}

pub struct Registry {
    pub store: Store,
    pub index: NameIndex,
    state_path: PathBuf,
    /// One index update at a time within this process.
    sync_lock: tokio::sync::Mutex<()>,
    /// One re-matching run at a time within this process.
    pub(crate) rematch_lock: tokio::sync::Mutex<()>,
    /// Searches running at once (see [`search_slots`]): a crowd queues here
    /// briefly instead of starting a thread per visitor and thrashing.
    pub search_slots: tokio::sync::Semaphore,
}

/// Searches run at once: twice the cores. A search is pure CPU, so more at
/// once only adds threads and stretches every one of them (at 128 clients
/// the unbounded server ran 517 threads and p99 reached 1.5 s).
pub fn search_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

impl Registry {
    /// Opens the registry in `data_dir`: `findkin.db` and `index/`.
    /// An index left by another version of findkin is dropped and rebuilt.
    pub async fn open(data_dir: &Path, database_url: Option<&str>, tuning: Tuning) -> Result<Self, Error> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::Config(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        let url = match database_url {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}", data_dir.join("findkin.db").display()),
        };
        let store = Store::connect_with(&url, tuning).await?;
        let index_dir = data_dir.join("index");
        let state_path = data_dir.join("index.state");
        if !index_dir.exists() {
            let _ = std::fs::remove_file(&state_path);
        }
        let state = IndexState::read(&state_path);
        if state.is_some_and(|s| s.version != INDEX_VERSION) || (state.is_none() && index_dir.exists()) {
            tracing::info!("search index was built by another version; rebuilding it");
            std::fs::remove_dir_all(&index_dir)?;
            let _ = std::fs::remove_file(&state_path);
        }
        let index = match NameIndex::open(&index_dir) {
            // A schema that does not match is an index of another build that
            // kept the version number: the database holds the truth, so the
            // index is built again rather than refusing to start.
            Err(findkin_search::SearchError::SchemaMismatch) => {
                tracing::warn!("search index schema differs; rebuilding it");
                std::fs::remove_dir_all(&index_dir)?;
                let _ = std::fs::remove_file(&state_path);
                NameIndex::open(&index_dir)?
            }
            other => other?,
        };
        Ok(Registry {
            store,
            index,
            state_path,
            sync_lock: tokio::sync::Mutex::new(()),
            rematch_lock: tokio::sync::Mutex::new(()),
            search_slots: tokio::sync::Semaphore::new(search_slots()),
        })
    }

    /// How far the index has followed the change feed.
    pub(crate) fn applied(&self) -> Option<i64> {
        IndexState::read(&self.state_path).filter(|s| s.version == INDEX_VERSION).map(|s| s.applied)
    }

    /// Brings the index up to date with the database. Returns the number of
    /// records (re)indexed. A fresh index gets every record.
    pub async fn sync(&self, progress: &mut (dyn FnMut(u64, u64) + Send)) -> Result<u64, Error> {
        let _guard = self.sync_lock.lock().await;
        let target = self.store.last_change().await?;
        if self.applied().is_some_and(|s| s >= target) {
            // Another process may have moved the index on: look again.
            self.index.reload()?;
            return Ok(0);
        }
        self.follow_locked(std::future::ready(()), progress).await
    }

    /// Keeps the index following the database until `until` resolves (an
    /// import stored its last batch), then catches up and commits once.
    /// The records of a large import are so indexed while they are stored,
    /// on the other core, instead of after. Returns the records (re)indexed.
    pub async fn follow(
        &self,
        until: impl std::future::Future<Output = ()>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64, Error> {
        let _guard = self.sync_lock.lock().await;
        self.follow_locked(until, progress).await
    }

    async fn follow_locked(
        &self,
        until: impl std::future::Future<Output = ()>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64, Error> {
        let result = self.follow_passes(until, progress).await;
        if result.is_err() {
            // Uncommitted documents of a failed run are dropped with the
            // writer: the next run starts from the committed index, so none
            // is added twice.
            let _ = self.index.close_writer();
        }
        result
    }

    async fn follow_passes(
        &self,
        until: impl std::future::Future<Output = ()>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<u64, Error> {
        let mut until = std::pin::pin!(until);
        self.index.begin_writing()?;
        let mut since = self.applied();
        let fresh = since.is_none();
        if fresh {
            self.index.hold_merges()?;
        }
        let total = if fresh { self.store.count_records().await? } else { 0 };
        // Ids only grow: a record above the highest id indexed so far is
        // new to the index and needs no delete before it is added.
        let mut known_max = self.index.max_rid()?;
        let (mut done, mut deletes) = (0u64, 0usize);
        let mut last = false;
        loop {
            let target = self.store.last_change().await?;
            if since.is_none_or(|s| s < target) {
                // A fresh index takes every record, by id; after that, each
                // page is a stretch of the change feed (at most PAGE
                // changes), read through its primary key.
                let (mut after, mut from) = (0i64, since.unwrap_or(target));
                loop {
                    let page = if since.is_none() {
                        self.store.index_page(after, PAGE).await?
                    } else if from < target {
                        let upto = (from + PAGE).min(target);
                        let page = self.store.feed_page(from, upto).await?;
                        from = upto;
                        page
                    } else {
                        break;
                    };
                    let Some(last_id) = page.iter().map(|r| r.id).max() else {
                        if since.is_none() {
                            break;
                        }
                        continue;
                    };
                    after = last_id as i64;
                    let queued = cpu_bound(|| self.index.upsert_above(&page, Some(known_max)))?;
                    known_max = known_max.max(last_id);
                    done += page.len() as u64;
                    progress(done, total.max(done));
                    // tantivy keeps queued deletes until a commit: a large
                    // re-import of known records commits on the way.
                    deletes += queued;
                    if deletes >= MAX_PENDING_DELETES {
                        self.index.commit()?;
                        deletes = 0;
                    }
                }
                since = Some(target);
            }
            if last {
                break;
            }
            tokio::select! {
                () = &mut until => last = true,
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
        }
        self.index.commit()?;
        if fresh {
            self.index.merge_segments()?;
        }
        self.index.close_writer()?;
        IndexState { version: INDEX_VERSION, applied: since.unwrap_or(0) }.write(&self.state_path)?;
        Ok(done)
    }

    /// Drops the index and builds it again from the database.
    pub async fn rebuild(&self, progress: &mut (dyn FnMut(u64, u64) + Send)) -> Result<u64, Error> {
        {
            let _guard = self.sync_lock.lock().await;
            let _ = std::fs::remove_file(&self.state_path);
            self.index.clear()?;
            self.index.commit()?;
        }
        self.sync(progress).await
    }

    /// Runs a search on the current index.
    pub fn search(&self, text: &str, birth_year: Option<u16>, opts: SearchOptions) -> Result<Vec<Hit>, Error> {
        self.search_query(&Query::parse(text, birth_year)?, opts)
    }

    /// Runs an already parsed query (with birth date or region for ranking).
    pub fn search_query(&self, q: &Query, opts: SearchOptions) -> Result<Vec<Hit>, Error> {
        Ok(self.index.search(q, opts)?)
    }
}

/// Runs CPU work on the current worker, telling a multi-threaded runtime to
/// move its other tasks away meanwhile (an import's own task goes on storing
/// while its records are indexed). A current-thread runtime just runs it.
fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
