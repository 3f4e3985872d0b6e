//! `findkin backup` while the service runs, and `findkin restore` into a
//! fresh data directory (on PostgreSQL, a fresh database): the restored
//! registry holds exactly what the original held at the backup, the audit
//! chain included, and nothing written later. Runs on both backends.

use findkin_tests::relative::{submit, view};
use findkin_tests::workflow::request_body;
use findkin_tests::{findkin, staff_registry, stderr, stdout, Server};

/// The head hash `findkin audit verify` reports.
fn audit_head(dir: &std::path::Path) -> String {
    let out = findkin(dir, &["audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    stdout(&out).split("head ").nth(1).map(|h| h.trim().to_string()).expect("head hash")
}

/// Every record at the public level, without the export's own time.
fn export(dir: &std::path::Path) -> String {
    let out = findkin(dir, &["pfif", "export", "--domain", "findkin.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().filter(|l| !l.contains("<pfif:entry_date>") && !l.contains("<pfif:source_date>")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_serving_restores_into_a_fresh_registry() {
    let (dir, _) = staff_registry(&[("m1", "moderator")]);
    let server = Server::start(dir.path(), &[]);
    let (reference, token) = submit(&server, &request_body("Анна")).await;
    let head = audit_head(dir.path());
    let records = export(dir.path());
    assert!(records.contains("Лаврентьев"), "the export lists the records");

    let backups = tempfile::tempdir().expect("tmp");
    let file = backups.path().join("findkin.backup");
    let out = findkin(dir.path(), &["backup", file.to_str().expect("path")]);
    assert!(out.status.success(), "backup: {}", stderr(&out));
    // Written after the backup: must not come back.
    let out = findkin(dir.path(), &["user", "add", "later", "--role", "moderator"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(audit_head(dir.path()), head, "the later account moved the chain on");
    drop(server);

    let fresh = tempfile::tempdir().expect("tmp");
    let out = findkin(fresh.path(), &["restore", file.to_str().expect("path")]);
    assert!(out.status.success(), "restore: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("3 records, 3 indexed"), "{}", stdout(&out));
    assert_eq!(audit_head(fresh.path()), head, "the audit chain is restored exactly, and is intact");
    assert_eq!(export(fresh.path()), records, "the same records");
    let out = findkin(fresh.path(), &["db", "check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    // The restored registry serves the request that was in the backup.
    let restored = Server::start(fresh.path(), &[]);
    let v = view(&restored, &reference, &token).await;
    assert_eq!(v["state"].as_str(), Some("submitted"), "{v}");

    // A second restore over it is refused, and nothing is overwritten.
    let out = findkin(fresh.path(), &["restore", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was overwritten"), "{}", stderr(&out));
    assert_eq!(audit_head(fresh.path()), head);
}
