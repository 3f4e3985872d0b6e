//! Whether another process has a SQLite database open.
//!
//! An import on SQLite steps aside after each of its transactions so that a
//! running server's writers get the one write lock (see `import::Pace`).
//! When no other process has the database open, nobody is waiting, and the
//! pauses and small transactions only make the import slower.
//!
//! SQLite's unix VFS has every process that opened a WAL database hold a
//! shared POSIX lock on one byte of its `-shm` file (the "DMS" byte) for as
//! long as it keeps a connection. The kernel lists such locks in
//! `/proc/locks` with their owner's pid. Reading that file, rather than
//! probing the `-shm` file with `fcntl(F_GETLK)`, matters: closing any
//! descriptor of a file drops every POSIX lock this process holds on it,
//! our own SQLite connections' locks included.

use std::path::{Path, PathBuf};

/// The DMS byte: `UNIX_SHM_BASE` (120) + `SQLITE_SHM_NLOCK` (8).
const DMS_BYTE: u64 = 128;

/// True when another process holds the database open, or when that cannot
/// be told (no `/proc/locks`, an unreadable `-shm` file): an import then
/// keeps its pauses, which cost time but never a neighbour's write.
pub fn others_have_open(db: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(shm_path(db)) else {
        // Without a `-shm` file no process has the database open in WAL
        // mode, and ours always has: be careful.
        return true;
    };
    let Ok(locks) = std::fs::read_to_string("/proc/locks") else { return true };
    let others = holders(&locks, meta.ino()).any(|pid| pid != std::process::id());
    others
}

fn shm_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-shm");
    PathBuf::from(name)
}

/// Pids holding a POSIX lock over the DMS byte of the file with inode `ino`.
/// A line reads `1: POSIX  ADVISORY  READ 4242 fe:00:770064 128 128`
/// (lines starting with `->` are waiters, not holders).
fn holders(locks: &str, ino: u64) -> impl Iterator<Item = u32> + '_ {
    locks.lines().filter_map(move |line| {
        let mut f = line.split_whitespace();
        let (_id, kind) = (f.next()?, f.next()?);
        if kind != "POSIX" {
            return None;
        }
        let (_advisory, _kind, pid, file, start, end) =
            (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
        let inode: u64 = file.rsplit(':').next()?.parse().ok()?;
        let start: u64 = start.parse().ok()?;
        let covers = match end {
            "EOF" => start <= DMS_BYTE,
            end => start <= DMS_BYTE && end.parse::<u64>().ok()? >= DMS_BYTE,
        };
        (inode == ino && covers).then(|| pid.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCKS: &str = "\
1: POSIX  ADVISORY  READ 4242 fe:00:770064 128 128
2: POSIX  ADVISORY  READ 99 fe:00:770064 120 127
3: FLOCK  ADVISORY  WRITE 77 fe:00:770064 0 EOF
4: POSIX  ADVISORY  READ 55 fe:00:111111 128 128
5: POSIX  ADVISORY  WRITE 66 fe:00:770064 100 EOF
5: -> POSIX  ADVISORY  WRITE 88 fe:00:770064 128 128
";

    #[test]
    fn finds_the_processes_that_hold_the_dms_byte() {
        let pids: Vec<u32> = holders(LOCKS, 770064).collect();
        // 99 locks other bytes, 77 is a flock, 55 another file, 88 only waits.
        assert_eq!(pids, vec![4242, 66]);
    }

    #[tokio::test]
    async fn our_own_connections_do_not_count() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("findkin.db");
        let store = crate::Store::open_sqlite(&db).await.expect("open");
        store.count_records().await.expect("a query opens the -shm file");
        assert!(!others_have_open(&db), "only this process has it open");
        // No `-shm` file: it cannot be told, so the answer is the careful one.
        assert!(others_have_open(&dir.path().join("absent.db")));
    }
}
