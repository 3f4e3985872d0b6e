//! The index's files: memory-mapped for searches, read by `pread` while a
//! merge copies segments whole.
//!
//! Why: a mapped page that was read stays in the process's resident memory
//! until the mapping goes, and a merge maps and reads every file of every
//! segment it takes. The final merge of a fresh build of a million records
//! so held the whole index at once (about 230 MB on top of the writer's
//! heap), although each of its bytes is read once and never again. Read
//! into buffers instead, a merge holds only what it is working on: the
//! term dictionaries of the segments it merges and one term's postings or
//! one segment's stored documents at a time.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::HasLen;

/// A directory of index files that maps them, except that files opened
/// while [`IndexDirectory::read_through`] is held are read by `pread`.
#[derive(Debug, Clone)]
pub(crate) struct IndexDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
    through: Arc<AtomicBool>,
}

impl IndexDirectory {
    pub fn open(root: &Path) -> Result<Self, tantivy::directory::error::OpenDirectoryError> {
        Ok(IndexDirectory {
            mapped: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
            through: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A handle to [`Self::read_through`] that outlives the directory moved
    /// into the index.
    pub fn switch(&self) -> ReadSwitch {
        ReadSwitch(Arc::clone(&self.through))
    }
}

/// Turns reads by `pread` on for the files opened from then on.
#[derive(Debug, Clone)]
pub(crate) struct ReadSwitch(Arc<AtomicBool>);

impl ReadSwitch {
    /// Files opened until the guard drops are read by `pread`; those open
    /// already (a searcher's) stay mapped.
    pub fn read_through(&self) -> ReadThrough<'_> {
        self.0.store(true, Ordering::SeqCst);
        ReadThrough(&self.0)
    }
}

/// While alive, new files are read by `pread`.
pub(crate) struct ReadThrough<'a>(&'a AtomicBool);

impl Drop for ReadThrough<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if !self.through.load(Ordering::SeqCst) {
            return self.mapped.get_file_handle(path);
        }
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, path.to_path_buf()),
        })?;
        let len = file.metadata().map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?.len() as usize;
        Ok(Arc::new(ReadFile { file, len }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(callback)
    }
}

/// An index file read by `pread`, each read into its own buffer.
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
}

impl HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.end > self.len || range.start > range.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bytes {range:?} of a file of {} bytes", self.len),
            ));
        }
        let mut buffer = vec![0; range.len()];
        self.file.read_exact_at(&mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read through gives the bytes the mapped one gives, for any
    /// range, an empty one too, and refuses a range past its end.
    #[test]
    fn reads_through_give_what_the_map_gives() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(dir.path().join("f"), &data).expect("write");
        let directory = IndexDirectory::open(dir.path()).expect("directory");
        let mapped = directory.get_file_handle(Path::new("f")).expect("mapped");
        let switch = directory.switch();
        let through = {
            let _guard = switch.read_through();
            directory.get_file_handle(Path::new("f")).expect("read through")
        };
        assert!(format!("{through:?}").contains("ReadFile"), "opened under the guard: read by pread");
        assert!(!format!("{:?}", directory.get_file_handle(Path::new("f")).expect("again")).contains("ReadFile"));
        for range in [0..10_000, 0..0, 17..4_113, 9_999..10_000, 5_000..5_000] {
            assert_eq!(through.read_bytes(range.clone()).expect("read").as_slice(), &data[range.clone()]);
            assert_eq!(mapped.read_bytes(range.clone()).expect("read").as_slice(), &data[range]);
        }
        assert!(through.read_bytes(9_990..10_001).is_err(), "past the end");
        let _guard = switch.read_through();
        assert!(matches!(directory.get_file_handle(Path::new("absent")), Err(OpenReadError::FileDoesNotExist(_))));
    }
}
