//! The staff CSV exports open in a spreadsheet as text: a cell that would
//! start a formula (= + - @) gets a leading quote (OWASP CSV injection).

use findkin_tests::staff::{between, first_login, text};
use findkin_tests::{findkin, staff_registry, stderr, Server};
use reqwest::StatusCode;

/// A record as a hostile registry file could carry it: formulas in the
/// external id (a free identifier), the surname (a leading hyphen is allowed
/// in names) and the notes.
const HOSTILE: &str = "external_id,surname,given_name,patronymic,sex,birth_date,region,status,notes\n\
     \"=HYPERLINK(\"\"http://x\"\")\",-Формулова,Вера,,f,1990,,captured,@SUM(1+1)\n";

/// The external id as a CSV cell, neutralised and then quoted by the writer.
const SAFE_ID: &str = "\"'=HYPERLINK(\"\"http://x\"\")\"";

#[tokio::test]
async fn records_and_audit_exports_neutralise_formulas() {
    let (dir, creds) = staff_registry(&[("editor1", "editor"), ("admin1", "admin")]);
    let csv = dir.path().join("hostile.csv");
    std::fs::write(&csv, HOSTILE).expect("csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "the file is valid: {}", stderr(&out));
    let s = Server::start(dir.path(), &[]);

    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (st, body) = text(&ed.c, &s.url("/staff/records/export.csv")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(body.contains(SAFE_ID), "{body}");
    assert!(body.contains(",'-Формулова,") && body.contains(",'@SUM(1+1)"), "{body}");
    assert!(!body.contains("\"=HYPERLINK") && !body.contains(",-Формулова"), "{body}");
    assert!(body.contains("Лаврентьев,Остап"), "ordinary cells are unchanged: {body}");

    // Viewing the record (imported last: the highest id) writes its
    // external id to the audit log.
    let (_, list) = text(&ed.c, &s.url("/staff/records")).await;
    let id = list
        .match_indices("href=\"/staff/records/")
        .filter_map(|(i, m)| between(&list[i + m.len()..], "", "\"")?.parse::<u64>().ok())
        .max()
        .expect("record links");
    let (st, _) = text(&ed.c, &s.url(&format!("/staff/records/{id}"))).await;
    assert_eq!(st, StatusCode::OK);

    let adm = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (st, log) = text(&adm.c, &s.url("/staff/audit.csv")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(log.lines().any(|l| l.contains(",view_record,") && l.contains(SAFE_ID)), "{log}");
    assert!(!log.contains("\"=HYPERLINK"), "{log}");
}
