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
//!
//! A server (and the eval) may instead keep the term dictionaries and
//! postings resident ([`ReadSwitch::keep_resident`]): copied into
//! anonymous memory backed by 2 MB pages. Why: at a million records a
//! public search is bound by memory latency, a few hundred scattered
//! reads of a 90 MB working set, and with 4 KB pages nearly every one of
//! them also misses the TLB, a page walk that under a hypervisor costs
//! several more reads of memory. Page-cache pages of a mapped file are
//! not given huge pages, anonymous memory that asks for them is.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::ops::{Deref, Range};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use memmap2::{Advice, Mmap, MmapOptions};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::HasLen;

/// A directory of index files that maps them, except that files opened
/// while [`ReadSwitch::read_through`] is held are read by `pread`, and
/// that dictionaries and postings are copied into huge pages once
/// [`ReadSwitch::keep_resident`] is on.
#[derive(Debug, Clone)]
pub(crate) struct IndexDirectory {
    mapped: MmapDirectory,
    root: PathBuf,
    switch: ReadSwitch,
}

impl IndexDirectory {
    pub fn open(root: &Path) -> Result<Self, tantivy::directory::error::OpenDirectoryError> {
        Ok(IndexDirectory {
            mapped: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
            switch: ReadSwitch::default(),
        })
    }

    /// A handle to the directory's switches that outlives the directory
    /// moved into the index.
    pub fn switch(&self) -> ReadSwitch {
        self.switch.clone()
    }

    fn open_file(&self, path: &Path) -> Result<(File, usize), OpenReadError> {
        let file = File::open(self.root.join(path)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, path.to_path_buf()),
        })?;
        let len = file.metadata().map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?.len() as usize;
        Ok((file, len))
    }

    /// The file's resident copy: shared if some reader holds it already,
    /// else read whole into memory that asks for huge pages. A file
    /// smaller than one such page stays mapped.
    fn resident_copy(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mut copies = self.switch.copies.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(copy) = copies.get(path).and_then(Weak::upgrade) {
            return Ok(Arc::new(OwnedBytes::new(Resident(copy))));
        }
        let (file, len) = self.open_file(path)?;
        if len < RESIDENT_FROM {
            return self.mapped.get_file_handle(path);
        }
        let wrap = |e: io::Error| OpenReadError::wrap_io_error(e, path.to_path_buf());
        let mut copy = MmapOptions::new().len(len).map_anon().map_err(wrap)?;
        // Only a request: where the kernel has no huge page to give, the
        // copy is still a plain one.
        let _ = copy.advise(Advice::HugePage);
        file.read_exact_at(&mut copy, 0).map_err(wrap)?;
        let copy = Arc::new(copy.make_read_only().map_err(wrap)?);
        copies.retain(|_, c| c.strong_count() > 0);
        copies.insert(path.to_path_buf(), Arc::downgrade(&copy));
        Ok(Arc::new(OwnedBytes::new(Resident(copy))))
    }
}

/// The smallest file copied: a huge page on x86-64 (any file but an empty
/// one in the tests, whose indexes are small).
const RESIDENT_FROM: usize = if cfg!(test) { 1 } else { 2 << 20 };

/// Whether a segment file is read at random by every search: the term
/// dictionaries, the postings and the fast fields (birth years). Stored
/// documents are read a few blocks a search and stay mapped, so that only
/// the blocks read are resident: copied, the whole store would be.
fn read_by_every_search(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("term" | "idx" | "fast"))
}

/// A resident copy as the bytes of an index file.
struct Resident(Arc<Mmap>);

impl Deref for Resident {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

// SAFETY: the bytes are those of the mapping the `Arc` holds, which never
// moves nor changes while any clone of it lives.
unsafe impl stable_deref_trait::StableDeref for Resident {}

/// Switches how the files opened from then on are read. Its clones share
/// one set of switches: the directory's and the index's handle.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadSwitch {
    through: Arc<AtomicBool>,
    resident: Arc<AtomicBool>,
    /// The resident copies, shared by every reader of a file: a reload
    /// opens every segment again while the old searcher still holds them.
    copies: Arc<Mutex<HashMap<PathBuf, Weak<Mmap>>>>,
}

impl ReadSwitch {
    /// Files opened until the guard drops are read by `pread`; those open
    /// already (a searcher's) stay as they are.
    pub fn read_through(&self) -> ReadThrough<'_> {
        self.through.store(true, Ordering::SeqCst);
        ReadThrough(&self.through)
    }

    /// From now on dictionaries and postings are opened as resident copies
    /// in huge pages. For a process that mostly searches: one that builds
    /// the index would copy every segment it writes.
    pub fn keep_resident(&self) {
        self.resident.store(true, Ordering::SeqCst);
    }

    /// The bytes held as resident copies now.
    pub fn resident_bytes(&self) -> usize {
        let copies = self.copies.lock().unwrap_or_else(|p| p.into_inner());
        copies.values().filter_map(Weak::upgrade).map(|c| c.len()).sum()
    }

    /// The files held as resident copies now.
    #[cfg(test)]
    pub fn resident_files(&self) -> Vec<PathBuf> {
        let copies = self.copies.lock().unwrap_or_else(|p| p.into_inner());
        let mut held: Vec<PathBuf> =
            copies.iter().filter(|(_, c)| c.strong_count() > 0).map(|(p, _)| p.clone()).collect();
        held.sort();
        held
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
        if self.switch.through.load(Ordering::SeqCst) {
            let (file, len) = self.open_file(path)?;
            return Ok(Arc::new(ReadFile { file, len }));
        }
        if self.switch.resident.load(Ordering::SeqCst) && read_by_every_search(path) {
            return self.resident_copy(path);
        }
        self.mapped.get_file_handle(path)
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

    /// Once resident, postings and dictionaries are copies holding the
    /// file's bytes, one copy however often they are opened, dropped with
    /// their last reader; other files and empty ones stay mapped.
    #[test]
    fn resident_copies_hold_the_files_bytes_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect();
        for name in ["a.idx", "a.term", "a.store"] {
            std::fs::write(dir.path().join(name), &data).expect("write");
        }
        std::fs::write(dir.path().join("b.idx"), b"").expect("write");
        let directory = IndexDirectory::open(dir.path()).expect("directory");
        let switch = directory.switch();
        switch.keep_resident();
        let open = |name: &str| directory.get_file_handle(Path::new(name)).expect("open");
        let (postings, again, terms, stored) = (open("a.idx"), open("a.idx"), open("a.term"), open("a.store"));
        assert_eq!(switch.resident_files(), vec![PathBuf::from("a.idx"), PathBuf::from("a.term")]);
        assert_eq!(switch.resident_bytes(), 2 * data.len());
        for handle in [&postings, &again, &terms, &stored] {
            assert_eq!(handle.read_bytes(0..data.len()).expect("read").as_slice(), &data[..]);
            assert_eq!(handle.read_bytes(4_097..9_000).expect("read").as_slice(), &data[4_097..9_000]);
        }
        let first = postings.read_bytes(0..1).expect("read");
        assert_eq!(first.as_ptr(), again.read_bytes(0..1).expect("read").as_ptr(), "one copy, shared");
        assert_eq!(open("b.idx").len(), 0, "an empty file is opened as it is");
        drop((postings, again, first));
        assert_eq!(switch.resident_files(), vec![PathBuf::from("a.term")], "the copy goes with its readers");
        assert!(matches!(directory.get_file_handle(Path::new("c.idx")), Err(OpenReadError::FileDoesNotExist(_))));
    }
}
