//! The registry as the rest of the server sees it: the database plus the
//! search index that follows it through the `record_changes` feed.

use std::path::{Path, PathBuf};

use findkin_search::index::INDEX_VERSION;
use findkin_search::{Hit, NameIndex, Query, SearchOptions};

use crate::store::{Store, Tuning};
use crate::Error;

/// Records read from the database per indexing step.
const PAGE: i64 = 5_000;

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
        let since = self.applied();
        if since.is_some_and(|s| s >= target) {
            // Another process may have moved the index on: look again.
            self.index.reload()?;
            return Ok(0);
        }
        let total = match since {
            None => self.store.count_records().await?,
            Some(_) => 0,
        };
        let mut after = 0i64;
        let mut done = 0u64;
        loop {
            let page = self.store.index_page(since, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id as i64;
            // With no applied change the index is empty (a new or cleared
            // one): every record is new to it.
            if since.is_none() {
                self.index.add_new(&page)?;
            } else {
                self.index.upsert(&page)?;
            }
            done += page.len() as u64;
            progress(done, total.max(done));
        }
        self.index.commit()?;
        if since.is_none() {
            self.index.merge_segments()?;
        }
        self.index.close_writer()?;
        IndexState { version: INDEX_VERSION, applied: target }.write(&self.state_path)?;
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
